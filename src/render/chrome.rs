//! Site chrome: the parts of every page that are the same on every page
//! but for the link to the page itself (the head's links, the site name,
//! the header's search field, the menu, the footer). Interpreting them
//! per page was about a fifth of the default theme's render, so each
//! template in `partials/chrome/` is rendered once per renderer, with the
//! globals only, and every page gets the result as `chrome.<name>` with its
//! own links marked.
//!
//! A chrome partial cannot see `current_url`; it marks a link that may be
//! the current page with an attribute right after its `href`, which the
//! engine replaces per page (see [`Rule`]):
//! `<a href="{{ item.url }}" data-kb-current="menu">`.

use serde_json::{Map, Value};

use crate::error::{Code, Diagnostic};
use crate::theme::Theme;

/// Where a theme keeps its chrome partials.
pub(crate) const CHROME_DIR: &str = "partials/chrome/";

/// The marker attribute, as rendered (with the space before it).
const MARKER: &str = " data-kb-current=\"";

/// What a marked link gets, compared with the page being rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// `page`: ` aria-current="page"` when the link is the page.
    Page,
    /// `within`: ` aria-current="page"` when the page is the link's page
    /// or below it.
    Within,
    /// `menu`: ` aria-current="page"` when the link is the page,
    /// ` class="is-active"` when the page is below it (not below the home
    /// page, which every page is).
    Menu,
}

impl Rule {
    fn parse(s: &str) -> Option<Rule> {
        match s {
            "page" => Some(Rule::Page),
            "within" => Some(Rule::Within),
            "menu" => Some(Rule::Menu),
            _ => None,
        }
    }

    /// The attribute for a link to `href` on the page at `current` (both
    /// HTML-escaped the same way, so prefixes compare as the raw URLs do).
    fn mark(self, href: &str, current: &str, home: &str) -> &'static str {
        const CURRENT: &str = " aria-current=\"page\"";
        let below = current.starts_with(href);
        match self {
            Rule::Page if href == current => CURRENT,
            Rule::Within if below => CURRENT,
            Rule::Menu if href == current => CURRENT,
            Rule::Menu if below && href != home => " class=\"is-active\"",
            _ => "",
        }
    }
}

/// A link to mark: where its marker was, its `href` and its rule.
#[derive(Debug)]
struct Mark {
    at: usize,
    href: String,
    rule: Rule,
}

/// One rendered partial with its markers taken out.
#[derive(Debug)]
struct Part {
    text: String,
    marks: Vec<Mark>,
}

impl Part {
    /// Splits the markers out of `html` and drops one trailing newline (as
    /// Jinja does), so a partial's file can end with one; a marker that is
    /// not right after an `href` or has an unknown rule is returned as its
    /// value.
    fn parse(html: &str) -> Result<Part, String> {
        let html = html.strip_suffix('\n').unwrap_or(html);
        let mut text = String::with_capacity(html.len());
        let mut marks = Vec::new();
        let mut rest = html;
        while let Some(i) = rest.find(MARKER) {
            let before = &rest[..i];
            let after = &rest[i + MARKER.len()..];
            let value_end = after.find('"').unwrap_or(after.len());
            let value = &after[..value_end];
            // An escaped value has no `"`: one inside means another
            // attribute came between the href and the marker.
            let href = before
                .strip_suffix('"')
                .and_then(|b| b.rfind(" href=\"").map(|h| &b[h + 7..]))
                .filter(|h| !h.contains('"'));
            let (Some(rule), Some(href)) = (Rule::parse(value), href) else {
                return Err(value.to_string());
            };
            text.push_str(before);
            marks.push(Mark {
                at: text.len(),
                href: href.to_string(),
                rule,
            });
            rest = after.get(value_end + 1..).unwrap_or("");
        }
        text.push_str(rest);
        Ok(Part { text, marks })
    }

    fn for_page(&self, current: &str, home: &str) -> String {
        let mut out = String::with_capacity(self.text.len() + 24 * self.marks.len());
        let mut last = 0;
        for m in &self.marks {
            out.push_str(&self.text[last..m.at]);
            out.push_str(m.rule.mark(&m.href, current, home));
            last = m.at;
        }
        out.push_str(&self.text[last..]);
        out
    }
}

/// A bad marker in template `name`, at its line in the source when found.
fn marker_error(theme: &Theme, name: &str, value: &str) -> Diagnostic {
    let (file, line) = match theme.sources.get(name) {
        Some((path, src)) => {
            let needle = format!("data-kb-current=\"{value}\"");
            let line = src
                .find(&needle)
                .map(|i| src[..i].matches('\n').count() + 1);
            (path.clone(), line)
        }
        None => (name.into(), None),
    };
    Diagnostic::error(
        Code::TemplateRender,
        &file,
        format!("data-kb-current=\"{value}\": onbekende waarde, of niet direct na href=\"…\""),
    )
    .at_line(line)
    .hint("schrijf <a href=\"{{ … }}\" data-kb-current=\"page\"> (of \"within\" of \"menu\"), met het attribuut direct na href")
}

/// The theme's chrome, rendered once (see the note above).
#[derive(Debug)]
pub(super) struct Chrome {
    /// Per partial: its name under `chrome` and its parts.
    parts: Vec<(String, Part)>,
    /// The site's home, escaped like the hrefs.
    home: String,
}

/// The chrome partials of `theme`: template name and key, in name order.
pub(super) fn templates(theme: &Theme) -> Vec<(String, String)> {
    let mut names: Vec<&String> = theme
        .sources
        .keys()
        .filter(|n| n.starts_with(CHROME_DIR) && n.ends_with(".html"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let key = n[CHROME_DIR.len()..n.len() - ".html".len()].to_string();
            (n.clone(), key)
        })
        .collect()
}

impl Chrome {
    /// Renders every chrome partial with `ctx` (the globals only); `None`
    /// when the theme has none.
    pub(super) fn render(
        theme: &Theme,
        ctx: &tera::Context,
        base_path: &str,
    ) -> Result<Option<Chrome>, Diagnostic> {
        let templates = templates(theme);
        if templates.is_empty() {
            return Ok(None);
        }
        let mut parts = Vec::with_capacity(templates.len());
        for (name, key) in templates {
            let html = theme
                .tera
                .render(&name, ctx)
                .map_err(|e| super::template_error(&e, &theme.sources, Some(&name)))?;
            let part = Part::parse(&html).map_err(|v| marker_error(theme, &name, &v))?;
            parts.push((key, part));
        }
        Ok(Some(Chrome {
            parts,
            home: crate::markdown::escape(base_path),
        }))
    }

    /// The template names, for what a render reads.
    pub(super) fn names(&self) -> impl Iterator<Item = String> + '_ {
        self.parts
            .iter()
            .map(|(key, _)| format!("{CHROME_DIR}{key}.html"))
    }

    /// `chrome` for the page at `current_url`.
    pub(super) fn for_page(&self, current_url: &str) -> Value {
        let current = crate::markdown::escape(current_url);
        let mut m = Map::new();
        for (key, part) in &self.parts {
            m.insert(
                key.clone(),
                Value::String(part.for_page(&current, &self.home)),
            );
        }
        Value::Object(m)
    }
}

impl super::Renderer<'_> {
    /// `chrome` for a render at `current_url` (rendered on first use, with
    /// the workspace's context holding the globals only), noting its
    /// templates as read; `None` when the theme has no chrome.
    pub(super) fn chrome_in(
        &self,
        ws: &mut super::Workspace,
        current_url: &str,
    ) -> Result<Option<Value>, Diagnostic> {
        let chrome = self
            .chrome
            .get_or_init(|| Chrome::render(self.theme, &ws.ctx, &self.base_path));
        match chrome {
            Ok(Some(c)) => {
                ws.read(|r| r.templates.extend(c.names()));
                Ok(Some(c.for_page(current_url)))
            }
            Ok(None) => Ok(None),
            Err(d) => Err(d.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(html: &str) -> Part {
        Part::parse(html).unwrap()
    }

    #[test]
    fn markers_become_the_mark_of_the_page() {
        let p = part(concat!(
            r#"<a href="/" data-kb-current="page">Home</a>"#,
            r#"<a href="/pilots/" data-kb-current="menu">Pilots</a>"#,
            r#"<a href="/" data-kb-current="menu">Start</a>"#,
            r#"<a href="/toegankelijkheid/" data-kb-current="within">T</a>"#,
        ));
        assert_eq!(
            p.for_page("/", "/"),
            concat!(
                r#"<a href="/" aria-current="page">Home</a>"#,
                r#"<a href="/pilots/">Pilots</a>"#,
                r#"<a href="/" aria-current="page">Start</a>"#,
                r#"<a href="/toegankelijkheid/">T</a>"#,
            )
        );
        assert_eq!(
            p.for_page("/pilots/a/", "/"),
            concat!(
                r#"<a href="/">Home</a>"#,
                r#"<a href="/pilots/" class="is-active">Pilots</a>"#,
                r#"<a href="/">Start</a>"#,
                r#"<a href="/toegankelijkheid/">T</a>"#,
            )
        );
        assert!(p
            .for_page("/toegankelijkheid/", "/")
            .ends_with(r#"<a href="/toegankelijkheid/" aria-current="page">T</a>"#));
        assert!(p
            .for_page("/pilots/", "/")
            .contains(r#"<a href="/pilots/" aria-current="page">Pilots</a>"#));
    }

    #[test]
    fn escaped_links_compare_like_the_raw_urls() {
        let p = part(r#"<a href="/k&amp;b/" data-kb-current="menu">x</a>"#);
        let current = crate::markdown::escape("/k&b/sub/");
        assert_eq!(
            p.for_page(&current, "/"),
            r#"<a href="/k&amp;b/" class="is-active">x</a>"#
        );
    }

    #[test]
    fn a_marker_not_after_href_or_of_an_unknown_rule_is_refused() {
        let cases = [
            (
                r#"<a class="x" data-kb-current="page" href="/">x</a>"#,
                "page",
            ),
            (
                r#"<a href="/" class="x" data-kb-current="page">x</a>"#,
                "page",
            ),
            (r#"<a href="/" data-kb-current="huidig">x</a>"#, "huidig"),
        ];
        for (html, value) in cases {
            assert_eq!(Part::parse(html).unwrap_err(), value);
        }
    }
}
