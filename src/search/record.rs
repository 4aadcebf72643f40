//! What one page contributes to the search index, built from the model
//! rather than from the themed page: the title, description, field values,
//! taxonomy terms and the rendered Markdown. Menus, footers, breadcrumbs and
//! related-links lists are therefore never indexed, whatever the theme does,
//! and Pagefind parses a few kilobytes per page instead of the whole page.
//!
//! The record is a small HTML document so Pagefind still sees the headings
//! (heading weights, and sub-results that link to `#anchor`s on the page).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use serde_yaml::Value;

use crate::model::{PageId, Rendered, Site};

/// Pagefind weights (0–10; body text is 1, `<h2>` 6, `<h1>` 7 by default).
/// The title gets the most, so a title match ranks above a match in a
/// body heading.
const TITLE_WEIGHT: &str = "10";

/// One page as handed to Pagefind.
#[derive(Debug, Clone)]
pub struct Record {
    /// URL relative to the base path, starting with `/` (`/pilots/a/`).
    /// The browser side prefixes the base path (Pagefind's `baseUrl`, which
    /// defaults to the folder above `pagefind/`), so one index serves any
    /// deployment path.
    pub url: String,
    pub title: String,
    /// Result metadata: `description`, `section`, `date` (YYYY-MM-DD).
    pub meta: BTreeMap<String, String>,
    /// Filter name → values, for the names in `search.filters`.
    pub filters: BTreeMap<String, Vec<String>>,
    /// Field values and taxonomy terms shown on the page, as plain text.
    pub facts: Vec<String>,
    /// The page's rendered Markdown, shared with the model (not copied).
    pub body: Arc<Rendered>,
}

impl Record {
    pub fn of_page(site: &Site, id: PageId) -> Record {
        let p = &site.pages[id];
        let mut meta = BTreeMap::new();
        if let Some(d) = p
            .meta
            .description
            .as_deref()
            .filter(|d| !d.trim().is_empty())
        {
            meta.insert("description".to_string(), d.to_string());
        }
        let section = &site.sections[p.section].meta.title;
        if !section.is_empty() {
            meta.insert("section".to_string(), section.clone());
        }
        if let Some(d) = p.meta.date {
            meta.insert("date".to_string(), d.to_string());
        }

        let mut filters = BTreeMap::new();
        for name in &site.config.search.filters {
            let values = if name == "soort" {
                p.soort.iter().cloned().collect()
            } else if let Some(terms) = p.taxonomies.get(name) {
                terms.clone()
            } else {
                p.fields.get(name).map(text_values).unwrap_or_default()
            };
            let values: Vec<String> = values
                .into_iter()
                .filter(|v| !v.trim().is_empty())
                .collect();
            if !values.is_empty() {
                filters.insert(name.clone(), values);
            }
        }

        let mut facts: Vec<String> = Vec::new();
        for terms in p.taxonomies.values() {
            if !terms.is_empty() {
                facts.push(terms.join(", "));
            }
        }
        for value in p.fields.values() {
            let text = text_values(value).join(", ");
            if !text.trim().is_empty() {
                facts.push(text);
            }
        }

        Record {
            url: format!("/{}", p.path),
            title: p.meta.title.clone(),
            meta,
            filters,
            facts,
            body: p.rendered.clone(),
        }
    }

    /// The document Pagefind indexes. Metadata and filters sit in an element
    /// marked `data-pagefind-ignore` (Pagefind reads them there but does not
    /// index their text); the title is the `<h1>` so it carries a heading's
    /// weight, as it does on the page itself.
    /// Words Pagefind will see: title, description, facts and body text.
    pub fn word_count(&self) -> usize {
        let mut text = String::with_capacity(self.body.html.len());
        let mut in_tag = false;
        for c in self.body.search_html().chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    text.push(' ');
                }
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        let count = |s: &str| s.split_whitespace().count();
        count(&self.title)
            + self.meta.get("description").map_or(0, |d| count(d))
            + self.facts.iter().map(|f| count(f)).sum::<usize>()
            + count(&text)
    }

    pub fn to_html(&self, lang: &str) -> String {
        let mut h = String::with_capacity(self.body.html.len() + 1024);
        let _ = write!(
            h,
            "<!doctype html><html lang=\"{}\"><body><article data-pagefind-body>",
            esc(lang)
        );
        h.push_str("<div data-pagefind-ignore>");
        for (name, value) in &self.meta {
            let _ = write!(
                h,
                "<span data-pagefind-meta=\"{}\">{}</span>",
                esc(name),
                esc(value)
            );
        }
        for (name, values) in &self.filters {
            for value in values {
                let _ = write!(
                    h,
                    "<span data-pagefind-filter=\"{}\">{}</span>",
                    esc(name),
                    esc(value)
                );
            }
        }
        h.push_str("</div>");
        let _ = write!(
            h,
            "<h1 data-pagefind-meta=\"title\" data-pagefind-weight=\"{TITLE_WEIGHT}\">{}</h1>",
            esc(&self.title)
        );
        if let Some(d) = self.meta.get("description") {
            let _ = write!(h, "<p>{}</p>", esc(d));
        }
        for fact in &self.facts {
            let _ = write!(h, "<p>{}</p>", esc(fact));
        }
        h.push_str(&self.body.search_html());
        h.push_str("</article></body></html>");
        h
    }
}

/// Strings, numbers and lists of them as text; maps are left out.
fn text_values(value: &Value) -> Vec<String> {
    crate::frontmatter::value_texts(value, "true", "false")
}

/// Escapes text for an HTML element or a double-quoted attribute.
fn esc(s: &str) -> String {
    crate::markdown::escape(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            url: "/pilots/a/".into(),
            title: "Taal & <werk>".into(),
            meta: BTreeMap::from([("description".to_string(), "Over \"taal\"".to_string())]),
            filters: BTreeMap::from([("soort".to_string(), vec!["pilot".to_string()])]),
            facts: vec!["CBS".into()],
            body: Arc::new(Rendered {
                html: "<h2 id=\"x\">Kop</h2><p>Tekst</p>".into(),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn html_escapes_text_and_keeps_the_rendered_body() {
        let html = record().to_html("nl");
        assert!(
            html.starts_with("<!doctype html><html lang=\"nl\">"),
            "{html}"
        );
        assert!(
            html.contains(
                "<h1 data-pagefind-meta=\"title\" data-pagefind-weight=\"10\">Taal &amp; &lt;werk&gt;</h1>"
            ),
            "{html}"
        );
        assert!(
            html.contains("<span data-pagefind-meta=\"description\">Over &quot;taal&quot;</span>"),
            "{html}"
        );
        assert!(
            html.contains("<span data-pagefind-filter=\"soort\">pilot</span>"),
            "{html}"
        );
        assert!(
            html.contains("<p>CBS</p><h2 id=\"x\">Kop</h2><p>Tekst</p></article>"),
            "{html}"
        );
    }

    #[test]
    fn field_values_become_text() {
        let v: Value = serde_yaml::from_str("[CBS, 3, true, {a: b}]").unwrap();
        assert_eq!(text_values(&v), vec!["CBS", "3", "true"]);
    }
}
