//! Parse stage: front matter into the model, the section tree, URLs, schema
//! checks, taxonomies, then Markdown bodies (after the link table exists, so
//! links are rewritten in the same pass, and after the tree exists, so
//! shortcodes can list pages: see [`crate::shortcodes`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use crate::yaml::Value;
use rayon::prelude::*;

use crate::config::Config;
use crate::content::Loaded;
use crate::error::{Code, Diagnostic};
use crate::frontmatter::{self, RawFront, Reader, Schema};
use crate::links::Resolver;
use crate::markdown::{self, slugify};
use crate::model::*;
use crate::shortcodes::{self, Library};

#[derive(Debug, Clone, Copy, Default)]
pub struct ParseOptions {
    pub drafts: bool,
    /// Stop after the tree (front matter, sections, schemas, URLs): no
    /// Markdown is rendered. For `kennisbank new`, which needs one schema.
    pub tree_only: bool,
}

/// A file after its front matter is read, before it is placed in the tree.
struct Doc {
    file: SourceFile,
    meta: Meta,
    body_line: usize,
    title_from_body: bool,
    is_section: bool,
    section: SectionMeta,
}

/// Builds the site model from loaded files. Errors are collected, not fatal,
/// so one build reports every problem.
pub fn parse(
    config: Config,
    loaded: Loaded,
    opts: ParseOptions,
    diags: &mut Vec<Diagnostic>,
) -> Site {
    parse_reusing(config, loaded, opts, diags, None)
}

/// Like [`parse`], reusing the rendered bodies of `prev` (an earlier parse
/// of the same site) where a body, its position and every link in it are
/// unchanged: `serve` re-parses the whole site after a front-matter edit.
pub fn parse_reusing(
    config: Config,
    loaded: Loaded,
    opts: ParseOptions,
    diags: &mut Vec<Diagnostic>,
    prev: Option<&Site>,
) -> Site {
    diags.extend(config.problems.iter().cloned());
    let changes = Arc::new(crate::governance::changes(&loaded));
    let folders = FolderSections::of(loaded.files.iter().map(|f| f.rel.as_str()));
    diags.extend(folders.conflicts(&loaded.files));
    let library = Library::new(loaded.shortcode_templates, loaded.snippets, diags);
    let results: Vec<DocResult> = loaded
        .files
        .into_par_iter()
        .filter(|f| !folders.shadowed.contains(&f.rel))
        .map(|f| {
            let is_section = folders.is_section(&f.rel);
            let f = match prev {
                Some(p) if !is_section => match unchanged_page(p, f) {
                    Ok(doc) => return Ok((doc, Vec::new())),
                    Err(f) => f,
                },
                _ => f,
            };
            parse_doc(f, is_section)
        })
        .collect();
    let order: HashMap<&str, i64> = (config
        .order
        .iter()
        .rev()
        .zip((1..=config.order.len() as i64).rev()))
    .map(|(rel, w)| (rel.trim_start_matches("./"), w))
    .collect();
    let mut docs = Vec::new();
    for r in results {
        match r {
            Ok((mut d, mut e)) => {
                apply_order(&mut d, |rel| order.get(rel).copied());
                docs.push(d);
                diags.append(&mut e);
            }
            Err(mut e) => diags.append(&mut e),
        }
    }

    // Sections first: one per folder with an `_index.md` (or an `index.md`
    // beside other pages); the root always exists.
    let mut sections: Vec<Section> = Vec::new();
    let mut section_of_dir: HashMap<String, SectionId> = HashMap::new();
    let (mut section_docs, page_docs): (Vec<Doc>, Vec<Doc>) =
        docs.into_iter().partition(|d| d.is_section);
    section_docs.sort_by_key(|d| d.file.rel.matches('/').count());
    if !section_docs
        .iter()
        .any(|d| parent_dir(&d.file.rel).is_empty())
    {
        section_docs.insert(0, synthetic_root(&config));
    }
    for doc in section_docs {
        let dir = parent_dir(&doc.file.rel).to_string();
        let parent = nearest_section(&section_of_dir, &dir, true);
        let id = sections.len();
        let path = if dir.is_empty() {
            String::new()
        } else {
            let own = doc
                .meta
                .slug
                .clone()
                .unwrap_or_else(|| slugify(last_segment(&dir)));
            let parent_path = parent.map(|p| sections[p].path.clone()).unwrap_or_default();
            format!("{parent_path}{own}/")
        };
        let mut schema = parent
            .map(|p| sections[p].schema.clone())
            .unwrap_or_else(|| config.schema.clone());
        schema.extend(doc.section.schema.clone());
        let open_fields = doc
            .section
            .open_fields
            .or_else(|| parent.map(|p| sections[p].open_fields))
            .unwrap_or(false);
        diags.extend(check_section_keys(&doc, &config, &schema, open_fields));
        let soort = doc
            .meta
            .soort
            .clone()
            .or_else(|| parent.and_then(|p| sections[p].soort.clone()));
        if let Some(p) = parent {
            sections[p].subsections.push(id);
        }
        section_of_dir.insert(dir.clone(), id);
        sections.push(Section {
            file: doc.file,
            meta: doc.meta,
            section: doc.section,
            body_line: doc.body_line,
            dir,
            path,
            parent,
            subsections: Vec::new(),
            pages: Vec::new(),
            schema,
            open_fields,
            soort,
            title_from_body: doc.title_from_body,
            rendered: Default::default(),
        });
    }

    // Pages: placed in the nearest section, checked against its schema.
    let (draft_docs, page_docs): (Vec<Doc>, Vec<Doc>) = page_docs
        .into_iter()
        .partition(|d| d.meta.draft && !opts.drafts);
    let drafts: HashSet<String> = draft_docs.into_iter().map(|d| d.file.rel).collect();
    let placed: Vec<(Page, Vec<Diagnostic>, Vec<String>)> = page_docs
        .into_par_iter()
        .map(|doc| place_page(doc, &config, &sections, &section_of_dir))
        .collect();
    let mut pages: Vec<Page> = Vec::with_capacity(placed.len());
    let mut undeclared: BTreeMap<(SectionId, String), Vec<PageId>> = BTreeMap::new();
    for (page, mut d, open) in placed {
        for key in open {
            undeclared
                .entry((open_root(&sections, page.section), key))
                .or_default()
                .push(pages.len());
        }
        pages.push(page);
        diags.append(&mut d);
    }
    diags.extend(undeclared_notes(&undeclared, &sections, &pages));
    for (id, page) in pages.iter().enumerate() {
        sections[page.section].pages.push(id);
    }
    let folded: Vec<String> = pages
        .par_iter()
        .map(|p| collation_key(&p.meta.title).0)
        .collect();
    for s in &mut sections {
        let sort_by = s.section.sort_by;
        sort_page_ids(&mut s.pages, &pages, &folded, sort_by);
    }
    let mut order: Vec<SectionId> = (0..sections.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&sections[a].meta, &sections[b].meta);
        weight_key(x.weight)
            .cmp(&weight_key(y.weight))
            .then_with(|| collation_key(&x.title).cmp(&collation_key(&y.title)))
    });
    let rank: HashMap<SectionId, usize> = order.iter().enumerate().map(|(i, &s)| (s, i)).collect();
    for s in &mut sections {
        s.subsections.sort_by_key(|id| rank[id]);
    }

    let taxonomies = build_taxonomies(&config, &pages, &folded);
    let assets = place_assets(
        loaded.content_assets,
        &pages,
        &sections,
        &section_of_dir,
        loaded.static_files,
    );

    let mut by_file = HashMap::new();
    let mut by_path = HashMap::new();
    for (i, s) in sections.iter().enumerate() {
        by_file.insert(s.file.rel.clone(), Target::Section(i));
        by_path.insert(s.path.clone(), Target::Section(i));
    }
    for (i, p) in pages.iter().enumerate() {
        by_file.insert(p.file.rel.clone(), Target::Page(i));
        by_path.insert(p.path.clone(), Target::Page(i));
    }

    let mut site = Site {
        config,
        pages,
        sections,
        taxonomies,
        backrefs: Backrefs::default(),
        assets,
        by_file,
        by_path,
        drafts: drafts.iter().cloned().collect(),
        changes,
        dialect: loaded.dialect,
        shortcodes: Arc::new(library),
    };
    if !opts.tree_only {
        let resolver = Resolver::new(&site, drafts);
        render_markdown(&mut site, &resolver, diags, prev);
    }
    // Without kennisbank.yaml the home page names the site.
    if site.config.implicit {
        if let Some(home) = site
            .sections
            .first()
            .filter(|s| !s.meta.title.trim().is_empty())
        {
            site.config.title = home.meta.title.clone();
        }
    }
    site
}

/// Which `index.md` files are sections: MkDocs, Docusaurus and Starlight
/// make a folder's `index.md` its own page when other pages sit beside or
/// below it; alone with its images it stays a page bundle. Decided from the
/// file list only, so a page added beside a bundle turns it into a section.
#[derive(Debug, Default)]
pub struct FolderSections {
    /// `index.md` files that are a section's own page.
    sections: HashSet<String>,
    /// `index.md` files beside an `_index.md`: reported, not built.
    pub shadowed: HashSet<String>,
}

impl FolderSections {
    pub fn of<'a>(rels: impl Iterator<Item = &'a str>) -> Self {
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

    pub fn is_section(&self, rel: &str) -> bool {
        file_name(rel) == "_index.md" || self.sections.contains(rel)
    }

    /// An error for every folder with both an `_index.md` and an `index.md`.
    fn conflicts(&self, files: &[SourceFile]) -> Vec<Diagnostic> {
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

/// A document without `weight:` takes its place in the config's `order`.
fn apply_order(doc: &mut Doc, weight_of: impl Fn(&str) -> Option<i64>) {
    if doc.meta.raw.get("weight").is_none() {
        doc.meta.weight = weight_of(&doc.file.rel);
    }
}

fn file_name(rel: &str) -> &str {
    last_segment(rel)
}

/// The section whose `open_fields: true` lets a page in `s` have
/// undeclared fields: the highest one that says so on the way up.
fn open_root(sections: &[Section], s: SectionId) -> SectionId {
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
fn undeclared_notes(
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

fn synthetic_root(config: &Config) -> Doc {
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
type DocResult = Result<(Doc, Vec<Diagnostic>), Vec<Diagnostic>>;

/// Fatal problems (unreadable front matter, no title) drop the document;
/// the rest are reported beside it so one typo does not cascade.
fn parse_doc(file: SourceFile, is_section: bool) -> DocResult {
    let path = file.display.clone();
    let split = frontmatter::split(&file.text, &path).map_err(|d| vec![d])?;
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

/// A page file read before with the same text gives the same document
/// (pages' front matter reads the same whatever the config): take it from
/// `prev` instead of parsing the YAML again. Otherwise the file comes back.
fn unchanged_page(prev: &Site, file: SourceFile) -> Result<Doc, SourceFile> {
    let Some(&Target::Page(p)) = prev.by_file.get(&file.rel) else {
        return Err(file);
    };
    let page = &prev.pages[p];
    if page.file.text != file.text || page.file.display != file.display {
        return Err(file);
    }
    Ok(Doc {
        file,
        meta: page.meta.clone(),
        body_line: page.body_line,
        title_from_body: page.title_from_body,
        is_section: false,
        section: SectionMeta::default(),
    })
}

/// Parses one page file again, placed as [`parse`] would place it among
/// `site`'s sections: the page with its non-fatal problems, without its
/// rendered body and relations (the caller and the link stage fill those).
/// `Err` with the fatal problems, or empty when the file would no longer
/// be a page (a draft now, or a section).
pub fn reparse_page(
    site: &Site,
    file: SourceFile,
    opts: ParseOptions,
) -> Result<(Page, Vec<Diagnostic>), Vec<Diagnostic>> {
    // The file set is unchanged (else serve re-parses all), so a folder's
    // index.md is what it was.
    let is_section = file_name(&file.rel) == "_index.md"
        || matches!(site.by_file.get(&file.rel), Some(Target::Section(_)));
    let (mut doc, soft) = parse_doc(file, is_section)?;
    apply_order(&mut doc, |rel| site.config.order_weight(rel));
    if doc.is_section || (doc.meta.draft && !opts.drafts) {
        return Err(Vec::new());
    }
    let section_of_dir: HashMap<String, SectionId> = site
        .sections
        .iter()
        .enumerate()
        .map(|(i, s)| (s.dir.clone(), i))
        .collect();
    let (page, mut diags, _) = place_page(doc, &site.config, &site.sections, &section_of_dir);
    diags.extend(soft);
    Ok((page, diags))
}

/// Moves page `p` to its place in `ids`, a list sorted by [`compare_pages`]
/// in which only `p`'s sort keys changed: the same order a full sort gives,
/// in a logarithmic number of comparisons.
pub fn resort_page(ids: &mut Vec<PageId>, pages: &[Page], p: PageId, sort_by: SortBy) {
    let Some(at) = ids.iter().position(|&x| x == p) else {
        return;
    };
    ids.remove(at);
    let to = ids.partition_point(|&x| compare_pages(&pages[x], &pages[p], sort_by).is_lt());
    ids.insert(to, p);
}

/// Body text after the front matter (the split is cheap to redo).
pub fn body_of(file: &SourceFile) -> &str {
    match frontmatter::split(&file.text, &file.display) {
        Ok(s) => s.body,
        Err(_) => "",
    }
}

/// Keys a section's own file may use: a page's, the section-only ones, and
/// (an `index.md` is written like any page) the schema's fields.
fn check_section_keys(
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
fn check_page_keys(
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

/// A page in the tree: its section, URL, terms and fields, with the
/// problems its front matter has against the section's schema.
fn place_page(
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

/// Taxonomy terms and custom fields out of the raw front matter.
fn split_fields(
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

fn parent_dir(rel: &str) -> &str {
    rel.rfind('/').map(|i| &rel[..i]).unwrap_or("")
}

fn last_segment(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn file_stem(rel: &str) -> &str {
    let name = last_segment(rel);
    name.strip_suffix(".md").unwrap_or(name)
}

/// Nearest folder at or above `dir` that is a section.
fn nearest_section(
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
fn folder_url(map: &HashMap<String, SectionId>, sections: &[Section], folder: &str) -> String {
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

fn weight_key(w: Option<i64>) -> (bool, i64) {
    (w.is_none(), w.unwrap_or(0))
}

/// Sort key that orders Dutch titles as a reader expects: diacritics are
/// folded for the primary comparison ("één" sorts with "een", before "f"),
/// and the original breaks ties so the order is total and stable.
pub fn collation_key(title: &str) -> (String, String) {
    (
        deunicode::deunicode(title).to_lowercase(),
        title.to_string(),
    )
}

/// Weight, then date (newest first), then title; `sort_by` puts its key first.
pub fn compare_pages(a: &Page, b: &Page, sort_by: SortBy) -> std::cmp::Ordering {
    compare_with(a, b, sort_by, || {
        collation_key(&a.meta.title).cmp(&collation_key(&b.meta.title))
    })
}

/// Sorts `ids` like [`compare_pages`] does; `folded` holds each page's
/// folded title (the first half of its [`collation_key`]), made once.
fn sort_page_ids(ids: &mut [PageId], pages: &[Page], folded: &[String], sort_by: SortBy) {
    ids.sort_by(|&x, &y| {
        compare_with(&pages[x], &pages[y], sort_by, || {
            (&folded[x], &pages[x].meta.title).cmp(&(&folded[y], &pages[y].meta.title))
        })
    });
}

fn compare_with(
    a: &Page,
    b: &Page,
    sort_by: SortBy,
    by_title: impl Fn() -> std::cmp::Ordering,
) -> std::cmp::Ordering {
    let by_weight = || weight_key(a.meta.weight).cmp(&weight_key(b.meta.weight));
    let by_date = || b.meta.date.cmp(&a.meta.date);
    let first = match sort_by {
        SortBy::Weight => by_weight(),
        SortBy::Date => by_date(),
        SortBy::Title => by_title(),
    };
    first
        .then_with(by_weight)
        .then_with(by_date)
        .then_with(by_title)
        .then_with(|| a.file.rel.cmp(&b.file.rel))
}

fn build_taxonomies(config: &Config, pages: &[Page], folded: &[String]) -> Vec<Taxonomy> {
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
fn place_assets(
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

/// Renders every body in parallel, links rewritten by `resolver`; bodies
/// of `prev` are reused where [`reusable`] says so.
fn render_markdown(
    site: &mut Site,
    resolver: &Resolver,
    diags: &mut Vec<Diagnostic>,
    prev: Option<&Site>,
) {
    let raw_html = site.config.markdown.raw_html;
    let prev = prev.filter(|p| p.config.markdown.raw_html == raw_html && p.dialect == site.dialect);
    let tree: &Site = site;
    let render = |file: &SourceFile, this: Target, body_line: usize, strip_first_h1: bool| {
        if let Some(r) =
            prev.and_then(|p| reusable(p, tree, resolver, file, this, body_line, strip_first_h1))
        {
            return (Arc::clone(r), Vec::new());
        }
        let doc = shortcodes::Doc {
            file,
            this,
            body_line,
            strip_first_h1,
        };
        let (rendered, diags) = shortcodes::render_body(tree, resolver, doc);
        (Arc::new(rendered), diags)
    };
    let page_results: Vec<(Arc<Rendered>, Vec<Diagnostic>)> = tree
        .pages
        .par_iter()
        .enumerate()
        .map(|(i, p)| render(&p.file, Target::Page(i), p.body_line, p.title_from_body))
        .collect();
    let section_results: Vec<(Arc<Rendered>, Vec<Diagnostic>)> = tree
        .sections
        .par_iter()
        .enumerate()
        .map(|(i, s)| render(&s.file, Target::Section(i), s.body_line, s.title_from_body))
        .collect();
    for (page, (rendered, mut d)) in site.pages.iter_mut().zip(page_results) {
        page.rendered = rendered;
        diags.append(&mut d);
    }
    for (section, (rendered, mut d)) in site.sections.iter_mut().zip(section_results) {
        section.rendered = rendered;
        diags.append(&mut d);
    }
}

/// The earlier render of `file`'s body, if rendering it again would give
/// the same: same text, line, id and title handling, no diagnostics then,
/// every link destination resolving as it did, and what its shortcodes
/// read (in `site`, the new tree) unchanged.
fn reusable<'a>(
    prev: &'a Site,
    site: &Site,
    resolver: &Resolver,
    file: &SourceFile,
    this: Target,
    body_line: usize,
    strip_first_h1: bool,
) -> Option<&'a Arc<Rendered>> {
    let (old_file, old_line, old_strip, rendered) = match *prev.by_file.get(&file.rel)? {
        Target::Page(p) => {
            let p = &prev.pages[p];
            (&p.file, p.body_line, p.title_from_body, &p.rendered)
        }
        Target::Section(s) => {
            let s = &prev.sections[s];
            (&s.file, s.body_line, s.title_from_body, &s.rendered)
        }
    };
    let same = rendered.clean
        && prev.by_file.get(&file.rel) == Some(&this)
        && old_line == body_line
        && old_strip == strip_first_h1
        && old_file.display == file.display
        && (Arc::ptr_eq(&old_file.text, &file.text) || body_of(old_file) == body_of(file))
        && rendered
            .lookups
            .iter()
            .all(|(dest, was)| resolver.resolve(&file.rel, dest) == *was)
        && shortcodes::still_current(&rendered.uses, site);
    same.then_some(rendered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(title: &str, weight: Option<i64>, date: Option<&str>) -> Page {
        Page {
            file: SourceFile {
                rel: format!("{title}.md"),
                display: title.into(),
                text: "".into(),
            },
            meta: Meta {
                title: title.into(),
                weight,
                date: date.and_then(frontmatter::parse_date),
                ..Meta::default()
            },
            body_line: 1,
            section: 0,
            path: String::new(),
            slug: String::new(),
            bundle_dir: None,
            soort: None,
            taxonomies: BTreeMap::new(),
            relations: BTreeMap::new(),
            fields: BTreeMap::new(),
            title_from_body: false,
            rendered: Default::default(),
        }
    }

    fn sorted(mut pages: Vec<Page>) -> Vec<String> {
        pages.sort_by(|a, b| compare_pages(a, b, SortBy::Weight));
        pages.into_iter().map(|p| p.meta.title).collect()
    }

    #[test]
    fn dutch_titles_with_diacritics_sort_in_reading_order() {
        let titles = [
            "Zorg",
            "Één aanpak",
            "Eerste stap",
            "Émigratie",
            "Financiën",
            "Ëxtra",
        ];
        let got = sorted(titles.iter().map(|t| page(t, None, None)).collect());
        assert_eq!(
            got,
            [
                "Één aanpak",
                "Eerste stap",
                "Émigratie",
                "Ëxtra",
                "Financiën",
                "Zorg"
            ]
        );
    }

    #[test]
    fn weight_beats_date_beats_title() {
        let got = sorted(vec![
            page("b", None, Some("2020-01-01")),
            page("a", None, Some("2019-01-01")),
            page("z", Some(1), None),
            page("c", None, Some("2020-01-01")),
        ]);
        assert_eq!(got, ["z", "b", "c", "a"]);
    }

    fn site_of(files: &[(&str, &str)], prev: Option<&Site>) -> (Site, Vec<Diagnostic>) {
        let config = Config::parse(
            "title: T\ntaxonomies:\n  - name: tags\n",
            Path::new("k.yaml"),
        )
        .expect("config");
        let loaded = Loaded {
            files: files
                .iter()
                .map(|(rel, text)| SourceFile {
                    rel: rel.to_string(),
                    display: format!("content/{rel}").into(),
                    text: (*text).into(),
                })
                .collect(),
            ..Loaded::default()
        };
        let mut diags = Vec::new();
        let site = parse_reusing(config, loaded, ParseOptions::default(), &mut diags, prev);
        (site, diags)
    }

    fn html_of<'a>(site: &'a Site, rel: &str) -> &'a str {
        match site.by_file[rel] {
            Target::Page(p) => &site.pages[p].rendered.html,
            Target::Section(s) => &site.sections[s].rendered.html,
        }
    }

    /// Marks every body of `site` so a reused render can be told apart.
    fn mark_bodies(site: &mut Site) {
        for p in &mut site.pages {
            let mut r = (*p.rendered).clone();
            r.html = format!("<!-- vorige -->{}", r.html);
            p.rendered = Arc::new(r);
        }
    }

    #[test]
    fn resorting_one_page_gives_the_full_sort() {
        let files: Vec<(String, String)> = (0..40)
            .map(|i| {
                let date = 1 + (i * 7) % 28;
                let weight = if i % 5 == 0 {
                    format!("weight: {}\n", i % 3)
                } else {
                    String::new()
                };
                (
                    format!("p{i}.md"),
                    format!(
                        "---\ntitle: \"Pagina {}\"\ndate: 2020-01-{date:02}\n{weight}---\n",
                        40 - i
                    ),
                )
            })
            .collect();
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let (mut site, _) = site_of(&refs, None);
        for sort_by in [SortBy::Weight, SortBy::Date, SortBy::Title] {
            for (p, title, date) in [
                (3, "Één", "2020-01-02"),
                (17, "aap", "2019-05-05"),
                (0, "Zeker", "2021-01-01"),
            ] {
                site.pages[p].meta.title = title.into();
                site.pages[p].meta.date = date.parse().ok();
                let mut ids = site.sections[0].pages.clone();
                sort_page_ids(
                    &mut ids,
                    &site.pages,
                    &site
                        .pages
                        .iter()
                        .map(|x| collation_key(&x.meta.title).0)
                        .collect::<Vec<_>>(),
                    sort_by,
                );
                let mut moved = ids.clone();
                // Scramble p's place first, as an edit would.
                let at = moved.iter().position(|&x| x == p).unwrap();
                moved.remove(at);
                moved.insert(0, p);
                resort_page(&mut moved, &site.pages, p, sort_by);
                assert_eq!(moved, ids, "{sort_by:?} page {p}");
            }
        }
    }

    #[test]
    fn reparse_page_places_a_page_like_parse_does() {
        let (site, _) = site_of(
            &[
                ("a.md", "---\ntitle: A\n---\nTekst.\n"),
                ("s/_index.md", "---\ntitle: S\n---\n"),
                ("s/b.md", "---\ntitle: B\ntags: [x]\n---\n"),
            ],
            None,
        );
        let file = |rel: &str, text: &str| SourceFile {
            rel: rel.into(),
            display: format!("content/{rel}").into(),
            text: text.into(),
        };
        let (page, diags) = reparse_page(
            &site,
            file(
                "s/b.md",
                "---\ntitle: Nieuw\ntags: [x, y]\nonbekend: 1\n---\n",
            ),
            ParseOptions::default(),
        )
        .unwrap();
        let old = &site.pages[match site.by_file["s/b.md"] {
            Target::Page(p) => p,
            _ => unreachable!(),
        }];
        assert_eq!(
            (page.path.as_str(), page.section),
            (old.path.as_str(), old.section)
        );
        assert_eq!(page.meta.title, "Nieuw");
        assert_eq!(page.taxonomies["tags"], ["x", "y"]);
        assert!(
            diags.iter().any(|d| d.message.contains("onbekend")),
            "{diags:?}"
        );
        // A draft or a section is no page to patch in.
        assert!(reparse_page(
            &site,
            file("a.md", "---\ntitle: A\ndraft: true\n---\n"),
            ParseOptions::default()
        )
        .unwrap_err()
        .is_empty());
        assert!(
            !reparse_page(&site, file("a.md", "---\n---\n"), ParseOptions::default())
                .unwrap_err()
                .is_empty()
        );
    }

    #[test]
    fn unchanged_bodies_are_reused_and_changed_links_are_not() {
        let a = "---\ntitle: A\n---\nNaar [B](@/b.md).\n";
        let b = "---\ntitle: B\nweight: 1\n---\nTekst.\n";
        let c = "---\ntitle: C\ntags: [x]\n---\nMeer tekst.\n";
        let (mut first, diags) = site_of(&[("a.md", a), ("b.md", b), ("c.md", c)], None);
        assert!(diags.is_empty(), "{diags:?}");
        assert!(html_of(&first, "a.md").contains("href=\"/b/\""));
        mark_bodies(&mut first);

        // C's title changes, B gets another URL (same number of lines): A
        // must follow B's new URL, B and C keep their bodies.
        let b2 = "---\ntitle: B\nslug: bee\n---\nTekst.\n";
        let c2 = "---\ntitle: C nieuw\ntags: [x]\n---\nMeer tekst.\n";
        let (second, diags) = site_of(&[("a.md", a), ("b.md", b2), ("c.md", c2)], Some(&first));
        assert!(diags.is_empty(), "{diags:?}");
        let a_html = html_of(&second, "a.md");
        assert!(a_html.contains("href=\"/bee/\"") && !a_html.starts_with("<!-- vorige"));
        assert!(html_of(&second, "b.md").starts_with("<!-- vorige -->"));
        assert!(html_of(&second, "c.md").starts_with("<!-- vorige -->"));
        let c_page = &second.pages[match second.by_file["c.md"] {
            Target::Page(p) => p,
            Target::Section(_) => unreachable!(),
        }];
        assert_eq!(c_page.meta.title, "C nieuw");
    }

    #[test]
    fn a_body_with_problems_is_rendered_again_so_its_messages_stay() {
        let a = "---\ntitle: A\n---\n![](plaatje.png)\n";
        let (mut first, diags) = site_of(&[("a.md", a)], None);
        assert_eq!(diags.len(), 1, "{diags:?}");
        mark_bodies(&mut first);
        let (second, diags) = site_of(&[("a.md", a)], Some(&first));
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(!html_of(&second, "a.md").starts_with("<!-- vorige"));
    }

    #[test]
    fn index_md_is_a_section_only_beside_other_markdown() {
        let f = FolderSections::of(
            [
                "index.md",
                "a/index.md",
                "a/b.md",
                "c/index.md",
                "d/index.md",
                "d/e/index.md",
                "f/_index.md",
                "f/index.md",
            ]
            .into_iter(),
        );
        for (rel, section) in [
            ("index.md", true),
            ("a/index.md", true),
            ("c/index.md", false),
            ("d/index.md", true),
            ("d/e/index.md", false),
            ("f/_index.md", true),
            ("f/index.md", false),
            ("a/b.md", false),
        ] {
            assert_eq!(f.is_section(rel), section, "{rel}");
        }
        assert_eq!(f.shadowed, HashSet::from(["f/index.md".to_string()]));
    }

    #[test]
    fn title_falls_back_to_first_h1() {
        let (site, _) = site_of(&[("a.md", "tekst\n\n# Mijn titel #\n\nmeer\n")], None);
        assert_eq!(site.pages[0].meta.title, "Mijn titel");
        assert!(!html_of(&site, "a.md").contains("Mijn titel"));
    }

    /// Regression: a `# comment` in a fenced code block became the title and
    /// the real `# Echte titel` heading disappeared from the HTML, because a
    /// line scanner and the Markdown parser disagreed on the first h1.
    #[test]
    fn a_hash_line_in_code_is_not_the_title() {
        let body = "```sh\n# installeer eerst\nmake\n```\n\n# Echte titel\n\nTekst.\n";
        let (site, diags) = site_of(&[("a.md", body)], None);
        assert_eq!(site.pages[0].meta.title, "Echte titel");
        let html = html_of(&site, "a.md");
        assert!(html.contains("installeer eerst"), "{html}");
        assert!(
            !html.contains("Echte titel"),
            "the title is not repeated: {html}"
        );
        assert!(diags.is_empty(), "{diags:?}");
    }
}
