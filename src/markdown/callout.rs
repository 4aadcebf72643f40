//! Callouts: MkDocs / Python-Markdown admonitions (`!!! type "Titel"`),
//! pymdownx collapsibles (`??? type "Titel"`, `???+` open) and GitHub alerts
//! (`> [!NOTE] Titel`).
//!
//! The pre-pass ([`transform`]) rewrites each callout into a block quote whose
//! first line is a one-line HTML comment naming an entry of a side table,
//! `<!--\u{E000}3-->`: an admonition's four-space body becomes `> `-prefixed
//! lines (so CommonMark parses it as Markdown in a container, not as code), a
//! GitHub alert's `[!KIND] Titel` line becomes the marker. The event loop then
//! turns a block quote that starts with a marker into `<div class="callout">`
//! or `<details>`, and its end into the closing tag. See `dialect.rs` for how
//! lines keep their numbers.

use super::dialect::Line;
use super::escape;

/// Marks our own comment so an editor's `<!-- 3 -->` is never taken for one.
const MARK: char = '\u{E000}';

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Form {
    /// `!!!` or a GitHub alert: always open.
    Block,
    /// `???` (closed) or `???+` (open).
    Details { open: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Callout {
    pub form: Form,
    /// As written: the type first (`note`, `expander`), then extra classes
    /// (`inline end`). Empty for `??? "Titel"`.
    pub classes: Vec<String>,
    /// `None`: the type's default title; `Some("")`: no title.
    pub title: Option<String>,
    /// GitHub alerts keep GitHub's colours (CAUTION is red there, where
    /// MkDocs-Material's `caution` is a warning).
    pub github: bool,
}

/// The canonical type (key of the default title) and the style of a type
/// name, after MkDocs-Material's list of types and aliases.
pub(crate) fn kind_of(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name.to_lowercase().as_str() {
        "note" => ("note", "note"),
        "abstract" | "summary" | "tldr" => ("abstract", "note"),
        "info" | "todo" => ("info", "note"),
        "tip" | "hint" => ("tip", "tip"),
        "important" => ("important", "important"),
        "success" | "check" | "done" => ("success", "tip"),
        "question" | "help" | "faq" => ("question", "note"),
        "warning" | "attention" => ("warning", "warning"),
        "caution" => ("caution", "warning"),
        "failure" | "fail" | "missing" => ("failure", "danger"),
        "danger" | "error" => ("danger", "danger"),
        "bug" => ("bug", "danger"),
        "example" => ("example", "important"),
        "quote" | "cite" => ("quote", "neutral"),
        _ => return None,
    })
}

impl Callout {
    fn style(&self) -> &'static str {
        match self.classes.first() {
            None => "note",
            Some(t) if self.github && t == "caution" => "danger",
            Some(t) => kind_of(t).map_or("neutral", |k| k.1),
        }
    }

    /// The title shown: as written, else the translation of the type, else
    /// the type with a capital (Python-Markdown's default).
    fn title_text(&self, titles: &dyn Fn(&str) -> Option<String>) -> String {
        if let Some(t) = &self.title {
            if !t.is_empty() || matches!(self.form, Form::Block) {
                return t.clone();
            }
        }
        let Some(name) = self.classes.first() else {
            return titles("details").unwrap_or_else(|| "Details".into());
        };
        if let Some(t) = kind_of(name).and_then(|(canon, _)| titles(canon)) {
            return t;
        }
        let mut c = name.chars();
        match c.next() {
            Some(f) => f.to_uppercase().chain(c).collect(),
            None => String::new(),
        }
    }

    pub(crate) fn open_html(&self, titles: &dyn Fn(&str) -> Option<String>) -> String {
        let mut class = format!("callout callout-{}", self.style());
        for c in &self.classes {
            class.push(' ');
            class.push_str(&escape(c));
        }
        let title = title_html(&self.title_text(titles));
        match self.form {
            Form::Block if title.is_empty() => format!("<div class=\"{class}\">\n"),
            Form::Block => {
                format!("<div class=\"{class}\">\n<p class=\"callout-title\">{title}</p>\n")
            }
            Form::Details { open } => format!(
                "<details class=\"{class}\"{}>\n<summary class=\"callout-title\">{title}</summary>\n",
                if open { " open" } else { "" }
            ),
        }
    }

    pub(crate) fn close_html(&self) -> &'static str {
        match self.form {
            Form::Block => "</div>\n",
            Form::Details { .. } => "</details>\n",
        }
    }
}

/// A title as inline Markdown (`Over \`mkdocs.yml\``, `*niet*`), as
/// MkDocs renders it; raw HTML in it is shown as text.
fn title_html(title: &str) -> String {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    if !title.contains(['*', '_', '`', '[', '<', '&', '~', '\\', '!']) {
        return escape(title);
    }
    // Links in a title skip the body's link stage (no resolving, no URL
    // rule), so only a web or mail address that passes the URL rule stays
    // a link; any other link or image keeps just its text.
    let kept = |dest: &str| {
        let lower = dest.trim_start().to_ascii_lowercase();
        (lower.starts_with("https://")
            || lower.starts_with("http://")
            || lower.starts_with("mailto:"))
            && crate::safety::check_url(dest, crate::safety::UrlUse::Link).is_ok()
    };
    let mut open: Vec<bool> = Vec::new();
    let events = Parser::new_ext(title, pulldown_cmark::Options::ENABLE_STRIKETHROUGH).filter_map(
        move |e| match e {
            Event::Start(Tag::Paragraph) | Event::End(TagEnd::Paragraph) => None,
            Event::Html(h) | Event::InlineHtml(h) => Some(Event::Text(h)),
            Event::Start(Tag::Link { ref dest_url, .. }) => {
                let keep = kept(dest_url);
                open.push(keep);
                keep.then_some(e)
            }
            Event::Start(Tag::Image { .. }) => {
                open.push(false);
                None
            }
            Event::End(TagEnd::Link) | Event::End(TagEnd::Image) => {
                open.pop().unwrap_or(false).then_some(e)
            }
            e => Some(e),
        },
    );
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html.trim_end().to_string()
}

/// The table index in one of our marker comments.
pub(crate) fn marker_index(html: &str) -> Option<usize> {
    let rest = html.trim_end().strip_prefix("<!--")?.strip_suffix("-->")?;
    rest.strip_prefix(MARK)?.parse().ok()
}

/// Width of leading white space in columns (tab stops every four), and
/// its length in bytes.
fn indent(line: &str) -> (usize, usize) {
    let mut cols = 0;
    for (i, b) in line.bytes().enumerate() {
        match b {
            b' ' => cols += 1,
            b'\t' => cols += 4 - cols % 4,
            _ => return (cols, i),
        }
    }
    (cols, line.len())
}

/// `line` without its first `cols` columns of indentation (a tab that
/// straddles the cut leaves spaces).
fn dedent(line: &str, cols: usize) -> String {
    let mut at = 0;
    for (i, b) in line.bytes().enumerate() {
        if at >= cols {
            return line[i..].to_string();
        }
        match b {
            b' ' => at += 1,
            b'\t' => {
                let next = at + 4 - at % 4;
                if next > cols {
                    return " ".repeat(next - cols) + &line[i + 1..];
                }
                at = next;
            }
            _ => return line[i..].to_string(),
        }
    }
    String::new()
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// `!!! note "Titel"`, `??? "Titel"`, `???+ tip`: the form, classes and title.
/// Anything else (`!!!` alone, text after the title) is not a marker and
/// stays text, as in Python-Markdown.
fn parse_marker(rest: &str) -> Option<Callout> {
    let (form, rest) = if let Some(r) = rest.strip_prefix("!!!") {
        (Form::Block, r)
    } else if let Some(r) = rest.strip_prefix("???+") {
        (Form::Details { open: true }, r)
    } else if let Some(r) = rest.strip_prefix("???") {
        (Form::Details { open: false }, r)
    } else {
        return None;
    };
    let rest = rest.trim();
    let (words, title) = match rest.find('"') {
        Some(q) => {
            let t = rest[q + 1..].strip_suffix('"')?;
            (&rest[..q], Some(t.to_string()))
        }
        None => (rest, None),
    };
    let classes: Vec<String> = words.split_whitespace().map(str::to_string).collect();
    let word_ok = |w: &String| {
        w.chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    };
    if !classes.iter().all(word_ok) {
        return None;
    }
    // Admonitions need a type; collapsibles a type or a title.
    match form {
        Form::Block if classes.is_empty() => return None,
        Form::Details { .. } if classes.is_empty() && title.is_none() => return None,
        _ => {}
    }
    Some(Callout {
        form,
        classes,
        title,
        github: false,
    })
}

/// `> > [!TIP] Titel`: the quote prefix (`> > `), the alert and its title.
fn parse_alert(line: &str) -> Option<(usize, usize, Callout)> {
    let bytes = line.as_bytes();
    let mut i = 0;
    let mut depth = 0;
    loop {
        let start = i;
        while i < bytes.len() && bytes[i] == b' ' && i - start < 3 {
            i += 1;
        }
        if bytes.get(i) == Some(&b'>') {
            i += 1;
            depth += 1;
            if bytes.get(i) == Some(&b' ') {
                i += 1;
            }
        } else {
            i = start;
            break;
        }
    }
    if depth == 0 {
        return None;
    }
    let rest = line[i..].strip_prefix("[!")?;
    let close = rest.find(']')?;
    let kind = rest[..close].to_lowercase();
    if !matches!(
        kind.as_str(),
        "note" | "tip" | "important" | "warning" | "caution"
    ) {
        return None;
    }
    let title = rest[close + 1..].trim();
    Some((
        i,
        depth,
        Callout {
            form: Form::Block,
            classes: vec![kind],
            title: (!title.is_empty()).then(|| title.to_string()),
            github: true,
        },
    ))
}

/// How many `>` a line starts with.
fn quote_depth(line: &str) -> usize {
    let mut depth = 0;
    let mut rest = line;
    loop {
        let t = rest.trim_start_matches(' ');
        match t.strip_prefix('>') {
            Some(r) if rest.len() - t.len() < 4 => {
                depth += 1;
                rest = r;
            }
            _ => return depth,
        }
    }
}

/// Whether a line may start a block that interrupts a paragraph; before
/// any other line after a body, a blank line is put in so the text is not
/// read as a lazy continuation of the body's last paragraph.
fn interrupts(line: &str) -> bool {
    let t = line.trim_start();
    let list = t
        .strip_prefix(['-', '*', '+'])
        .is_some_and(|r| r.starts_with([' ', '\t']) || r.is_empty())
        || {
            let digits = t.bytes().take_while(u8::is_ascii_digit).count();
            digits > 0
                && t[digits..]
                    .strip_prefix(['.', ')'])
                    .is_some_and(|r| r.starts_with([' ', '\t']) || r.is_empty())
        };
    list || t.starts_with(['#', '>', '<', '|'])
        || t.starts_with("```")
        || t.starts_with("~~~")
        || t.starts_with("!!!")
        || t.starts_with("???")
}

/// Rewrites the callouts of `lines` (recursively: callouts in callouts),
/// appending their descriptions to `table`. `code` says which lines are in
/// code or HTML blocks and are left alone.
pub(crate) fn transform(
    lines: Vec<Line>,
    table: &mut Vec<Callout>,
    depth: usize,
    code: &dyn Fn(&[Line]) -> Vec<bool>,
) -> Vec<Line> {
    if depth > 16 {
        return lines;
    }
    let protected = code(&lines);
    let mut out = Vec::with_capacity(lines.len() + 2);
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if protected[i] {
            out.push(line.clone());
            i += 1;
            continue;
        }
        let (cols, bytes) = indent(&line.text);
        if let Some(callout) = parse_marker(line.text[bytes..].trim_end()) {
            // The body: following lines indented four more, with blank
            // lines inside it (not after it).
            let mut end = i + 1;
            let mut j = i + 1;
            while j < lines.len() {
                if is_blank(&lines[j].text) {
                    j += 1;
                } else if indent(&lines[j].text).0 >= cols + 4 {
                    j += 1;
                    end = j;
                } else {
                    break;
                }
            }
            let body: Vec<Line> = lines[i + 1..end]
                .iter()
                .map(|l| Line {
                    text: if is_blank(&l.text) {
                        String::new()
                    } else {
                        dedent(&l.text, cols + 4)
                    },
                    orig: l.orig,
                })
                .collect();
            let has_body = !body.is_empty();
            let inner = transform(body, table, depth + 1, code);
            let prefix = " ".repeat(cols);
            out.push(Line {
                text: format!("{prefix}> <!--{MARK}{}-->", table.len()),
                orig: line.orig,
            });
            table.push(callout);
            out.reserve(inner.len());
            for l in inner {
                let text = if l.text.is_empty() {
                    format!("{prefix}>")
                } else {
                    format!("{prefix}> {}", l.text)
                };
                out.push(Line { text, orig: l.orig });
            }
            if has_body {
                if let Some(next) = lines.get(end) {
                    if !is_blank(&next.text) && !interrupts(&next.text) {
                        out.push(Line {
                            text: String::new(),
                            orig: next.orig,
                        });
                    }
                }
            }
            i = end;
            continue;
        }
        if let Some((prefix_len, depth, callout)) = parse_alert(&line.text) {
            let starts_quote = i == 0 || quote_depth(&lines[i - 1].text) < depth;
            if starts_quote {
                out.push(Line {
                    text: format!("{}<!--{MARK}{}-->", &line.text[..prefix_len], table.len()),
                    orig: line.orig,
                });
                table.push(callout);
                i += 1;
                continue;
            }
        }
        out.push(line.clone());
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_parse_like_python_markdown() {
        let c = parse_marker("!!! note \"Voorlopig\"").unwrap();
        assert_eq!(c.classes, ["note"]);
        assert_eq!(c.title.as_deref(), Some("Voorlopig"));
        let c = parse_marker("!!! danger inline end").unwrap();
        assert_eq!(c.classes, ["danger", "inline", "end"]);
        assert_eq!(c.title, None);
        assert_eq!(
            parse_marker("!!! tip \"\"").unwrap().title.as_deref(),
            Some("")
        );
        let c = parse_marker("???+ \"Achtergrond\"").unwrap();
        assert_eq!(c.form, Form::Details { open: true });
        assert!(c.classes.is_empty());
        assert_eq!(
            parse_marker("??? info").unwrap().form,
            Form::Details { open: false }
        );
        assert!(parse_marker("!!!").is_none());
        assert!(parse_marker("!!! \"alleen titel\"").is_none());
        assert!(parse_marker("!!! note \"titel\" en meer").is_none());
        assert!(parse_marker("!!!! note").is_none());
    }

    #[test]
    fn alerts_parse_with_optional_title() {
        let (p, d, c) = parse_alert("> [!WARNING] Let goed op").unwrap();
        assert_eq!((p, d), (2, 1));
        assert_eq!(c.classes, ["warning"]);
        assert_eq!(c.title.as_deref(), Some("Let goed op"));
        let (p, d, c) = parse_alert("> > [!tip]").unwrap();
        assert_eq!((p, d), (4, 2));
        assert_eq!(c.title, None);
        assert!(parse_alert("> [!FOO]").is_none());
        assert!(parse_alert("[!NOTE]").is_none());
    }

    #[test]
    fn titles_are_inline_markdown_without_raw_html() {
        assert_eq!(
            title_html("Over `kennisbank.yaml`"),
            "Over <code>kennisbank.yaml</code>"
        );
        assert_eq!(title_html("Doe dit *niet*"), "Doe dit <em>niet</em>");
        assert_eq!(title_html("<b>x</b> & y"), "&lt;b&gt;x&lt;/b&gt; &amp; y");
        assert_eq!(title_html("Taal & werk"), "Taal &amp; werk");
        assert_eq!(title_html("Wat \"nu\"?"), "Wat &quot;nu&quot;?");
    }

    #[test]
    fn dedent_handles_tabs() {
        assert_eq!(dedent("\tTekst", 4), "Tekst");
        assert_eq!(dedent("  \t  x", 4), "  x");
        assert_eq!(dedent("        x", 4), "    x");
        assert_eq!(dedent("\t\tx", 4), "\tx");
        assert_eq!(indent("\t x"), (5, 2));
    }

    #[test]
    fn styles_follow_mkdocs_material() {
        let style = |t: &str, github| {
            Callout {
                form: Form::Block,
                classes: vec![t.into()],
                title: None,
                github,
            }
            .style()
        };
        assert_eq!(style("tldr", false), "note");
        assert_eq!(style("done", false), "tip");
        assert_eq!(style("caution", false), "warning");
        assert_eq!(style("caution", true), "danger");
        assert_eq!(style("expander", false), "neutral");
        assert_eq!(style("Bug", false), "danger");
    }
}
