//! The built-in `pages()` shortcode: a list of pages chosen by section and
//! front-matter fields, sorted and limited. A query is data
//! ([`PagesQuery`]) so it can be run again when the site changes; what it
//! shows is only front matter, titles and URLs, never bodies.

use std::collections::BTreeSet;

use serde_json::{json, Value as Json};

use crate::error::closest;
use crate::markdown::slugify;
use crate::model::{PageId, PagesQuery, SectionId, Site, SortBy};
use crate::yaml::value_texts;

use super::call::{Call, Value};

/// Arguments that shape the list; every other argument filters on a field.
pub(crate) const OPTIONS: &[&str] = &["section", "subsections", "sort_by", "reverse", "limit"];

/// A bad argument: where, what, and what would be right.
pub(crate) struct ArgError {
    pub at: usize,
    pub message: String,
    pub hint: String,
}

/// Fields a query can filter on: `soort`, `bron`, the taxonomies and every
/// field a section's schema declares.
pub(crate) fn filter_fields(site: &Site) -> BTreeSet<String> {
    let mut fields: BTreeSet<String> = ["soort", "bron"].iter().map(|s| s.to_string()).collect();
    fields.extend(site.config.taxonomies.iter().map(|t| t.name.clone()));
    for s in &site.sections {
        fields.extend(s.schema.keys().cloned());
    }
    fields
}

/// Reads the arguments of a `pages()` call.
pub(crate) fn query_of(call: &Call, site: &Site) -> Result<PagesQuery, ArgError> {
    let mut q = PagesQuery {
        subsections: true,
        ..PagesQuery::default()
    };
    let fields = filter_fields(site);
    for arg in &call.args {
        let bad = |expected: &str| ArgError {
            at: arg.at,
            message: format!(
                "pages(): argument '{}' verwacht {expected}, niet {}",
                arg.key,
                arg.value.kind()
            ),
            hint: format!("bijvoorbeeld {}", example(&arg.key)),
        };
        match (arg.key.as_str(), &arg.value) {
            ("section", Value::Str(s)) => {
                let dir = s.trim_matches('/').trim_start_matches("@/").to_string();
                if !site.sections.iter().any(|x| x.dir == dir) {
                    let dirs: Vec<&str> = site
                        .sections
                        .iter()
                        .map(|x| x.dir.as_str())
                        .filter(|d| !d.is_empty())
                        .collect();
                    let near = closest(&dir, dirs.iter().copied())
                        .map(|c| format!("bedoelt u \"{c}\"? "))
                        .unwrap_or_default();
                    return Err(ArgError {
                        at: arg.at,
                        message: format!("pages(): sectie '{dir}' bestaat niet"),
                        hint: format!("{near}secties: {}", dirs.join(", ")),
                    });
                }
                q.section = dir;
            }
            ("section", _) => return Err(bad("tekst (een map onder content/)")),
            ("subsections", Value::Bool(b)) => q.subsections = *b,
            ("subsections", _) => return Err(bad("true of false")),
            ("reverse", Value::Bool(b)) => q.reverse = *b,
            ("reverse", _) => return Err(bad("true of false")),
            ("sort_by", Value::Str(s)) => {
                q.sort_by = Some(match s.as_str() {
                    "weight" => SortBy::Weight,
                    "date" => SortBy::Date,
                    "title" => SortBy::Title,
                    other => {
                        return Err(ArgError {
                            at: arg.at,
                            message: format!("pages(): onbekende volgorde sort_by=\"{other}\""),
                            hint: "kies \"weight\", \"date\" of \"title\"".into(),
                        })
                    }
                })
            }
            ("sort_by", _) => return Err(bad("\"weight\", \"date\" of \"title\"")),
            ("limit", Value::Int(n)) if *n > 0 => q.limit = Some(*n as usize),
            ("limit", _) => return Err(bad("een heel getal groter dan 0")),
            (field, value) => {
                if !fields.contains(field) {
                    let near = closest(
                        field,
                        fields
                            .iter()
                            .map(String::as_str)
                            .chain(OPTIONS.iter().copied()),
                    )
                    .map(|c| format!("bedoelt u '{c}'? "))
                    .unwrap_or_default();
                    return Err(ArgError {
                        at: arg.at,
                        message: format!("pages(): onbekend argument '{field}'"),
                        hint: format!(
                            "{near}pages() kent {} en filtert op de velden {}",
                            OPTIONS.join(", "),
                            fields.iter().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    });
                }
                let Some(text) = value.text() else {
                    return Err(bad("één waarde (tekst, getal of true/false)"));
                };
                q.filters.push((field.to_string(), text));
            }
        }
    }
    Ok(q)
}

fn example(key: &str) -> String {
    match key {
        "section" => "section=\"praktijken\"".into(),
        "subsections" => "subsections=false".into(),
        "reverse" => "reverse=true".into(),
        "sort_by" => "sort_by=\"title\"".into(),
        "limit" => "limit=10".into(),
        field => format!("{field}=\"waarde\""),
    }
}

/// A query's answer: what the template gets, and a hash of it.
pub(crate) struct Answer {
    pub pages: Vec<Json>,
    /// Pages that matched before `limit`.
    pub total: usize,
    pub hash: u64,
}

/// Runs `q` on `site`; `None` when its section is gone.
pub(crate) fn run(q: &PagesQuery, site: &Site) -> Option<Answer> {
    let section = site.sections.iter().position(|s| s.dir == q.section)?;
    let mut in_scope: BTreeSet<SectionId> = BTreeSet::from([section]);
    if q.subsections {
        let mut todo = vec![section];
        while let Some(s) = todo.pop() {
            for &sub in &site.sections[s].subsections {
                if in_scope.insert(sub) {
                    todo.push(sub);
                }
            }
        }
    }
    let wanted: Vec<(&str, String)> = q
        .filters
        .iter()
        .map(|(f, v)| (f.as_str(), slugify(v)))
        .collect();
    let mut ids: Vec<PageId> = in_scope
        .iter()
        .flat_map(|&s| site.sections[s].pages.iter().copied())
        .filter(|&p| {
            wanted.iter().all(|(field, value)| {
                field_texts(site, p, field)
                    .iter()
                    .any(|t| slugify(t) == *value)
            })
        })
        .collect();
    let sort_by = q.sort_by.unwrap_or(site.sections[section].section.sort_by);
    ids.sort_by(|&a, &b| crate::parse::compare_pages(&site.pages[a], &site.pages[b], sort_by));
    if q.reverse {
        ids.reverse();
    }
    let total = ids.len();
    if let Some(limit) = q.limit {
        ids.truncate(limit);
    }
    let base = site.config.base_path();
    let pages: Vec<Json> = ids.iter().map(|&p| item(site, p, &base)).collect();
    let hash = super::hash(
        serde_json::to_string(&(&pages, total))
            .unwrap_or_default()
            .as_bytes(),
    );
    Some(Answer { pages, total, hash })
}

/// The texts of one field of page `p`, as filters compare them.
fn field_texts(site: &Site, p: PageId, field: &str) -> Vec<String> {
    let page = &site.pages[p];
    match field {
        "soort" => page.soort.iter().cloned().collect(),
        "bron" => page.meta.bron.iter().cloned().collect(),
        _ => match page.taxonomies.get(field) {
            Some(terms) => terms.clone(),
            None => page
                .fields
                .get(field)
                .map(|v| value_texts(v, "true", "false"))
                .unwrap_or_default(),
        },
    }
}

/// What a listed page shows: front matter, title and URL only.
fn item(site: &Site, p: PageId, base: &str) -> Json {
    let page = &site.pages[p];
    let section = &site.sections[page.section];
    json!({
        "title": page.meta.title,
        "url": format!("{base}{}", page.path),
        "path": page.path,
        "description": page.meta.description,
        "date": page.meta.date.map(|d| d.to_string()),
        "updated": page.meta.updated.map(|d| d.to_string()),
        "soort": page.soort,
        "section": {"title": section.meta.title, "url": format!("{base}{}", section.path), "dir": section.dir},
        "taxonomies": page.taxonomies,
        "fields": serde_json::to_value(&page.fields).unwrap_or_default(),
    })
}
