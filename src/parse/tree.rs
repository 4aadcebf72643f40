//! The section tree and where things go: which `index.md` files are
//! sections, each page's section and URL, taxonomies and their terms, and
//! the output paths of bundle and content assets.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::doc::*;
use super::sort::*;
use super::*;
use crate::config::Config;
use crate::error::{Code, Diagnostic};
use crate::frontmatter::{self};
use crate::markdown::slugify;

/// Which `index.md` files are sections: MkDocs, Docusaurus and Starlight
/// make a folder's `index.md` its own page when other pages sit beside or
/// below it; alone with its images it stays a page bundle. Decided from the
/// file list only, so a page added beside a bundle turns it into a section.
#[derive(Debug, Default)]
pub(crate) struct FolderSections {
    /// `index.md` files that are a section's own page.
    pub(super) sections: HashSet<String>,
    /// `index.md` files beside an `_index.md`: reported, not built.
    pub shadowed: HashSet<String>,
}

impl FolderSections {
    pub(crate) fn of<'a>(rels: impl Iterator<Item = &'a str>) -> Self {
        let rels: Vec<&str> = rels.collect();
        let underscore: HashSet<&str> = rels
            .iter()
            .filter(|r| file_name(r) == "_index.md")
            .map(|r| parent_dir(r))
            .collect();
        // Folders holding a Markdown file other than their own index.md,
        // directly or in a sub-folder.
        let mut has_other: HashSet<&str> = HashSet::new();
        for rel in &rels {
            let own = parent_dir(rel);
            let mut dir = own;
            loop {
                // Once a folder is in, so is every folder above it.
                if (dir != own || file_name(rel) != "index.md") && !has_other.insert(dir) {
                    break;
                }
                if dir.is_empty() {
                    break;
                }
                dir = parent_dir(dir);
            }
        }
        let mut out = FolderSections::default();
        for rel in rels.iter().filter(|r| file_name(r) == "index.md") {
            let dir = parent_dir(rel);
            if underscore.contains(dir) {
                out.shadowed.insert(rel.to_string());
            } else if dir.is_empty() || has_other.contains(dir) {
                // The root's index.md is always the home page.
                out.sections.insert(rel.to_string());
            }
        }
        out
    }

    pub(crate) fn is_section(&self, rel: &str) -> bool {
        file_name(rel) == "_index.md" || self.sections.contains(rel)
    }

    /// An error for every folder with both an `_index.md` and an `index.md`.
    pub(super) fn conflicts(&self, files: &[SourceFile]) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = files
            .iter()
            .filter(|f| self.shadowed.contains(&f.rel))
            .map(|f| {
                let dir = parent_dir(&f.rel);
                let both = if dir.is_empty() {
                    "_index.md".to_string()
                } else {
                    format!("{dir}/_index.md")
                };
                Diagnostic::error(Code::TreeTwoIndexPages,
                    &f.display,
                    format!(
                        "map heeft zowel content/{both} als content/{}: welke is de pagina van de sectie?",
                        f.rel
                    ),
                )
                .at_line(Some(1))
                .hint("houd één van beide: voeg de tekst samen in _index.md of in index.md en verwijder de ander")
            })
            .collect();
        out.sort_by(|a, b| a.file().cmp(&b.file()));
        out
    }
}

pub(super) fn file_name(rel: &str) -> &str {
    last_segment(rel)
}

/// The section whose `open_fields: true` lets a page in `s` have
/// undeclared fields: the highest one that says so on the way up.
pub(super) fn open_root(sections: &[Section], s: SectionId) -> SectionId {
    let mut found = s;
    let mut cur = Some(s);
    while let Some(id) = cur {
        if !sections[id].open_fields {
            break;
        }
        if sections[id].section.open_fields == Some(true) {
            found = id;
        }
        cur = sections[id].parent;
    }
    found
}

/// One note per undeclared field under an `open_fields` section, however
/// many pages use it: a site in migration should not drown in messages.
pub(super) fn undeclared_notes(
    undeclared: &BTreeMap<(SectionId, String), Vec<PageId>>,
    sections: &[Section],
    pages: &[Page],
) -> Vec<Diagnostic> {
    undeclared
        .iter()
        .map(|((s, key), ids)| {
            let first = &pages[ids[0]];
            let count = if ids.len() == 1 {
                "1 pagina".to_string()
            } else {
                format!("{} pagina's", ids.len())
            };
            Diagnostic::note(Code::SchemaOpenField,
                &sections[*s].file.display,
                format!(
                    "veld '{key}' staat niet in het schema ({count}, o.a. {}{}); toegestaan door open_fields",
                    first.file.display.display(),
                    first.meta.raw.line(key).map(|l| format!(":{l}")).unwrap_or_default()
                ),
            )
            .at_line(sections[*s].meta.raw.line("open_fields"))
            .hint(format!(
                "declareer het in schema: (bv. {key}: {{ type: string }}), of met show: false als het niet in de feitentabel hoort"
            ))
        })
        .collect()
}

/// A page in the tree: its section, URL, terms and fields, with the
/// problems its front matter has against the section's schema.
pub(super) fn place_page(
    doc: Doc,
    config: &Config,
    sections: &[Section],
    section_of_dir: &HashMap<String, SectionId>,
) -> (Page, Vec<Diagnostic>, Vec<String>) {
    let dir = parent_dir(&doc.file.rel);
    let is_bundle = doc.file.rel.ends_with("/index.md") || doc.file.rel == "index.md";
    let (folder, stem) = if is_bundle {
        (parent_dir(dir), last_segment(dir))
    } else {
        (dir, file_stem(&doc.file.rel))
    };
    let section = nearest_section(section_of_dir, dir, false).unwrap_or(0);
    let slug = doc.meta.slug.clone().unwrap_or_else(|| slugify(stem));
    let folder_path = folder_url(section_of_dir, sections, folder);
    let path = format!("{folder_path}{slug}/");
    let (mut diags, open) = check_page_keys(
        &doc,
        config,
        &sections[section].schema,
        sections[section].open_fields,
    );
    diags.extend(frontmatter::check_schema(
        &doc.meta.raw,
        &sections[section].schema,
        &doc.file.display,
    ));
    let (taxonomies, fields) = split_fields(&doc.meta.raw, config);
    let soort = doc
        .meta
        .soort
        .clone()
        .or_else(|| sections[section].soort.clone());
    let bundle_dir = is_bundle.then(|| Path::new(dir).to_path_buf());
    let page = Page {
        file: doc.file,
        meta: doc.meta,
        body_line: doc.body_line,
        section,
        path,
        slug,
        bundle_dir,
        soort,
        taxonomies,
        relations: BTreeMap::new(),
        fields,
        title_from_body: doc.title_from_body,
        rendered: Default::default(),
    };
    (page, diags, open)
}

pub(super) fn parent_dir(rel: &str) -> &str {
    rel.rfind('/').map(|i| &rel[..i]).unwrap_or("")
}

pub(super) fn last_segment(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

pub(super) fn file_stem(rel: &str) -> &str {
    let name = last_segment(rel);
    name.strip_suffix(".md").unwrap_or(name)
}

/// Nearest folder at or above `dir` that is a section.
pub(super) fn nearest_section(
    map: &HashMap<String, SectionId>,
    dir: &str,
    strictly_above: bool,
) -> Option<SectionId> {
    let mut cur = if strictly_above {
        if dir.is_empty() {
            return None;
        }
        parent_dir(dir)
    } else {
        dir
    };
    loop {
        if let Some(&id) = map.get(cur) {
            return Some(id);
        }
        if cur.is_empty() {
            return None;
        }
        cur = parent_dir(cur);
    }
}

/// URL of a content folder: its section's path, plus slugified folders below it.
pub(super) fn folder_url(
    map: &HashMap<String, SectionId>,
    sections: &[Section],
    folder: &str,
) -> String {
    if let Some(&id) = map.get(folder) {
        return sections[id].path.clone();
    }
    if folder.is_empty() {
        return String::new();
    }
    format!(
        "{}{}/",
        folder_url(map, sections, parent_dir(folder)),
        slugify(last_segment(folder))
    )
}

pub(super) fn build_taxonomies(
    config: &Config,
    pages: &[Page],
    folded: &[String],
) -> Vec<Taxonomy> {
    config
        .taxonomies
        .iter()
        .map(|tc| {
            let path = format!("{}/", slugify(&tc.name));
            let mut terms: BTreeMap<String, Term> = BTreeMap::new();
            // Few distinct names on many pages: slugify each once.
            let mut slugs: HashMap<&str, String> = HashMap::new();
            for (id, page) in pages.iter().enumerate() {
                for name in page.taxonomies.get(&tc.name).into_iter().flatten() {
                    let slug = slugs
                        .entry(name.as_str())
                        .or_insert_with(|| slugify(name))
                        .clone();
                    let term = terms.entry(slug.clone()).or_insert_with(|| Term {
                        name: name.clone(),
                        path: format!("{path}{slug}/"),
                        slug,
                        pages: Vec::new(),
                    });
                    if term.pages.last() != Some(&id) {
                        term.pages.push(id);
                    }
                }
            }
            let mut terms: Vec<Term> = terms.into_values().collect();
            terms.sort_by_cached_key(|t| collation_key(&t.name));
            for t in &mut terms {
                sort_page_ids(&mut t.pages, pages, folded, SortBy::Weight);
            }
            Taxonomy {
                name: tc.name.clone(),
                title: tc.title().to_string(),
                path,
                terms,
            }
        })
        .collect()
}

/// Bundle assets go beside their page's URL; other content files keep their
/// folder's URL; static files keep their path.
pub(super) fn place_assets(
    content_assets: Vec<(std::path::PathBuf, String)>,
    pages: &[Page],
    sections: &[Section],
    section_of_dir: &HashMap<String, SectionId>,
    static_files: Vec<Asset>,
) -> Vec<Asset> {
    let bundles: HashMap<&Path, &str> = pages
        .iter()
        .filter_map(|p| p.bundle_dir.as_deref().map(|d| (d, p.path.as_str())))
        .collect();
    let mut assets = static_files;
    for (source, rel) in content_assets {
        let dir = parent_dir(&rel);
        let name = last_segment(&rel);
        let dest = match bundles.get(Path::new(dir)) {
            Some(page_path) => format!("{page_path}{name}"),
            None => format!("{}{name}", folder_url(section_of_dir, sections, dir)),
        };
        assets.push(Asset::file(source, dest));
    }
    assets
}
