//! What one page contributes to the search index, built from the model
//! rather than from the themed page: the title, description, field values,
//! taxonomy terms and the rendered Markdown. Menus, footers, breadcrumbs and
//! related-links lists are therefore never indexed, whatever the theme does,
//! and Pagefind parses a few kilobytes per page instead of the whole page.
//!
//! The body keeps its headings (heading weights, and sub-results that link
//! to `#anchor`s on the page): [`super::text`] reads them from its HTML.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::yaml::Value;

use crate::model::{PageId, Rendered, Site};

/// One page as handed to the index writer.
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
    pub(crate) fn of_page(site: &Site, id: PageId) -> Record {
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

    /// The text the index holds for this page and the browser makes
    /// excerpts from (the fragment's `content`): title, description and
    /// body, without field values.
    pub fn content(&self) -> String {
        let body = self.body.search_html();
        super::text::page_text(
            &self.title,
            self.meta.get("description").map(String::as_str),
            &body,
        )
        .content
    }
}

/// Strings, numbers and lists of them as text; maps are left out.
fn text_values(value: &Value) -> Vec<String> {
    crate::yaml::value_texts(value, "true", "false")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_values_become_text() {
        let v: Value = crate::yaml::from_str("[CBS, 3, true, {a: b}]").unwrap();
        assert_eq!(text_values(&v), vec!["CBS", "3", "true"]);
    }
}
