//! Section-tree navigation. A full site tree in every page is what makes
//! some peers quadratic (every page carries every other page), so the tree
//! is pruned the way MkDocs-Material's `navigation.prune` does it: the
//! branches on the way to a section are open, with their pages (at most
//! [`PAGES_SHOWN`] each) and sub-sections; other branches are one link.
//! That tree is the same for every page of a section, so the renderer makes
//! its HTML once per section and each page only marks its own link.

use serde_json::{json, Value};

use crate::model::{SectionId, Site};

/// Pages listed per open branch; the rest are behind "all N pages".
pub const PAGES_SHOWN: usize = 30;

/// The attribute on every tree link, so a page can find its own.
const MARK: &str = "data-nav";

/// Whether the site has a tree worth showing: sections beyond the root.
pub(crate) fn wanted(site: &Site) -> bool {
    site.sections.len() > 1
}

/// The tree as the nav template sees it, for the pages of section `s`:
/// `items`, each `{title, url, section, open, children, more}` where
/// `more` is `{url, count}` when a branch has more pages than it lists
/// (`more` beside `items` for the root's own pages).
pub(crate) fn tree(site: &Site, s: SectionId, url: &dyn Fn(&str) -> String) -> Value {
    let path = site.section_chain(s);
    json!({ "items": items(site, path[0], &path, url), "more": more_of(site, path[0], url) })
}

fn items(
    site: &Site,
    at: SectionId,
    path: &[SectionId],
    url: &dyn Fn(&str) -> String,
) -> Vec<Value> {
    let sec = &site.sections[at];
    // Pages and sub-sections in one list, by weight (an imported nav order
    // mixes them); the unweighted keep their own order after.
    let mut entries: Vec<(Option<i64>, Value)> = Vec::new();
    for &p in sec.pages.iter().take(PAGES_SHOWN) {
        let page = &site.pages[p];
        entries.push((
            page.meta.weight,
            json!({"title": page.meta.title, "url": url(&page.path), "section": false}),
        ));
    }
    for &c in &sec.subsections {
        let child = &site.sections[c];
        let open = path.contains(&c);
        let (children, more) = if open {
            (items(site, c, path, url), more_of(site, c, url))
        } else {
            (Vec::new(), Value::Null)
        };
        entries.push((
            child.meta.weight,
            json!({"title": child.meta.title, "url": url(&child.path), "section": true,
                   "open": open, "children": children, "more": more}),
        ));
    }
    entries.sort_by_key(|(w, _)| (w.is_none(), w.unwrap_or(0)));
    entries.into_iter().map(|(_, v)| v).collect()
}

fn more_of(site: &Site, s: SectionId, url: &dyn Fn(&str) -> String) -> Value {
    let n = site.sections[s].pages.len();
    if n > PAGES_SHOWN {
        json!({"url": url(&site.sections[s].path), "count": n})
    } else {
        Value::Null
    }
}

/// The section's tree HTML with the link to `url` marked as the current
/// page (one copy of a bounded string per page).
pub(crate) fn mark_current(html: &str, url: &str) -> String {
    let needle = format!("href=\"{url}\" {MARK}");
    match html.find(&needle) {
        Some(at) => {
            let end = at + needle.len();
            let mut out = String::with_capacity(html.len() + 16);
            out.push_str(&html[..end]);
            out.push_str(" aria-current=\"page\"");
            out.push_str(&html[end..]);
            out
        }
        None => html.to_string(),
    }
}
