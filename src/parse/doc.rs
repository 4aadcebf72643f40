//! Front matter into documents: typed built-in fields, the title (from
//! `title:` or the body's first heading), the keys a page or section may
//! have, taxonomy terms and custom fields.

use std::collections::BTreeMap;

use crate::yaml::Value;

use super::tree::*;
use super::*;
use crate::config::Config;
use crate::error::{Code, Diagnostic};
use crate::frontmatter::{self, RawFront, Reader, Schema};
use crate::markdown::{self, slugify};

/// A file after its front matter is read, before it is placed in the tree.
pub(super) struct Doc {
    pub(super) file: SourceFile,
    pub(super) meta: Meta,
    pub(super) body_line: usize,
    pub(super) title_from_body: bool,
    pub(super) is_section: bool,
    pub(super) section: SectionMeta,
}

/// A document without `weight:` takes its place in the config's `order`.
pub(super) fn apply_order(doc: &mut Doc, weight_of: impl Fn(&str) -> Option<i64>) {
    if doc.meta.raw.get("weight").is_none() {
        doc.meta.weight = weight_of(&doc.file.rel);
    }
}

pub(super) fn synthetic_root(config: &Config) -> Doc {
    Doc {
        file: SourceFile {
            rel: "_index.md".into(),
            display: "content/_index.md".into(),
            text: "".into(),
        },
        meta: Meta {
            title: config.title.clone(),
            description: Some(config.description.clone()),
            ..Meta::default()
        },
        body_line: 1,
        title_from_body: false,
        is_section: true,
        section: SectionMeta::default(),
    }
}

/// A parsed document with its non-fatal problems, or the fatal ones.
pub(super) type DocResult = Result<(Doc, Vec<Diagnostic>), Vec<Diagnostic>>;

/// Fatal problems (unreadable front matter, no title) drop the document;
/// the rest are reported beside it so one typo does not cascade.
pub(super) fn parse_doc(file: SourceFile, is_section: bool) -> DocResult {
    let path = file.display.clone();
    let text = file.text.as_str();
    let split = frontmatter::split(&text, &path).map_err(|d| vec![d])?;
    let raw = match split.front {
        Some(front) => frontmatter::parse_yaml(front, &path).map_err(|d| vec![d])?,
        None => RawFront::default(),
    };
    let body_line = split.body_line;
    let mut r = Reader::new(&raw, &path);
    let mut title = r.string("title");
    let mut title_from_body = false;
    if title.is_none() {
        title = markdown::first_h1(split.body);
        title_from_body = title.is_some();
    }
    let meta = Meta {
        title: title.unwrap_or_default(),
        description: r.string("description"),
        date: r.date("date"),
        updated: r.date("updated"),
        draft: r.bool("draft"),
        weight: r.int("weight"),
        slug: r.string("slug").map(|s| slugify(&s)),
        aliases: r.list("aliases"),
        template: r.string("template"),
        bron: r.string("bron"),
        soort: r.string("soort"),
        eigenaar: r.string("eigenaar"),
        herzien_op: r.date("herzien_op"),
        extra: r.mapping("extra"),
        raw: raw.clone(),
    };
    let mut section = SectionMeta::default();
    let mut soft = Vec::new();
    for alias in &meta.aliases {
        if let Some(d) = crate::safety::alias_problem(alias, &path) {
            soft.push(d.at_line(raw.line("aliases")));
        }
    }
    if is_section {
        section.open_fields = raw
            .get("open_fields")
            .is_some()
            .then(|| r.bool("open_fields"));
        section.page_template = r.string("page_template");
        section.sort_by = match r.string("sort_by").as_deref() {
            None | Some("weight") => SortBy::Weight,
            Some("date") => SortBy::Date,
            Some("title") => SortBy::Title,
            Some(other) => {
                r.errors.push(
                    Diagnostic::error(
                        Code::TreeUnknownSortBy,
                        &path,
                        format!("sort_by: onbekende volgorde '{other}'"),
                    )
                    .at_line(raw.line("sort_by"))
                    .hint("kies weight, date of title"),
                );
                SortBy::Weight
            }
        };
        match frontmatter::parse_schema(&raw, &path) {
            Ok(s) => section.schema = s,
            Err(d) => r.errors.push(d),
        }
    }
    let mut errors = r.errors;
    if meta.title.trim().is_empty() && !(is_section && parent_dir(&file.rel).is_empty()) {
        errors.push(
            Diagnostic::error(Code::TreeTitleMissing, &path, "titel ontbreekt")
                .at_line(Some(1))
                .hint("zet 'title: …' in de front matter of begin de tekst met '# Titel'"),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((
        Doc {
            body_line,
            meta,
            title_from_body,
            is_section,
            section,
            file,
        },
        soft,
    ))
}

/// Keys a section's own file may use: a page's, the section-only ones, and
/// (an `index.md` is written like any page) the schema's fields.
pub(super) fn check_section_keys(
    doc: &Doc,
    config: &Config,
    schema: &Schema,
    open_fields: bool,
) -> Vec<Diagnostic> {
    let mut allowed: Vec<&str> = frontmatter::PAGE_KEYS.to_vec();
    allowed.extend(frontmatter::SECTION_ONLY_KEYS);
    allowed.extend(config.taxonomies.iter().map(|t| t.name.as_str()));
    allowed.extend(config.relations.keys().map(String::as_str));
    allowed.extend(schema.keys().map(String::as_str));
    if open_fields {
        return Vec::new();
    }
    let mut r = Reader::new(&doc.meta.raw, &doc.file.display);
    r.reject_unknown(
        &allowed,
        &format!("een sectie ({})", file_name(&doc.file.rel)),
    );
    r.errors
}

/// Keys a page may use: builtin, taxonomies, relations, and schema fields.
/// Under `open_fields` the others are allowed and come back by name.
pub(super) fn check_page_keys(
    doc: &Doc,
    config: &Config,
    schema: &Schema,
    open_fields: bool,
) -> (Vec<Diagnostic>, Vec<String>) {
    let mut allowed: Vec<&str> = frontmatter::PAGE_KEYS.to_vec();
    allowed.extend(config.taxonomies.iter().map(|t| t.name.as_str()));
    allowed.extend(config.relations.keys().map(String::as_str));
    allowed.extend(schema.keys().map(String::as_str));
    if open_fields {
        let open = doc
            .meta
            .raw
            .map
            .keys()
            .filter_map(|k| k.as_str())
            .filter(|k| !allowed.contains(k))
            .map(str::to_string)
            .collect();
        return (Vec::new(), open);
    }
    let mut r = Reader::new(&doc.meta.raw, &doc.file.display);
    r.reject_unknown(&allowed, "deze pagina");
    for d in &mut r.errors {
        d.hint = Some(format!(
            "{} Eigen velden declareert u in het schema van de sectie (_index.md) of onder 'extra:'; tijdens een migratie staat open_fields: true in de sectie ze toe.",
            d.hint.clone().unwrap_or_default()
        ));
    }
    (r.errors, Vec::new())
}

/// Taxonomy terms and custom fields out of the raw front matter.
pub(super) fn split_fields(
    raw: &RawFront,
    config: &Config,
) -> (BTreeMap<String, Vec<String>>, BTreeMap<String, Value>) {
    let mut taxonomies = BTreeMap::new();
    let mut fields = BTreeMap::new();
    for (k, v) in &raw.map {
        let Some(k) = k.as_str() else { continue };
        if frontmatter::PAGE_KEYS.contains(&k) || config.relations.contains_key(k) {
            continue;
        }
        if config.is_taxonomy(k) {
            let terms = frontmatter::value_as_list(Some(v)).unwrap_or_default();
            taxonomies.insert(k.to_string(), terms);
        } else {
            fields.insert(k.to_string(), v.clone());
        }
    }
    (taxonomies, fields)
}
