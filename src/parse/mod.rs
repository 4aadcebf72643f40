//! Parse stage: front matter into the model, the section tree, URLs, schema
//! checks, taxonomies, then Markdown bodies (after the link table exists, so
//! links are rewritten in the same pass, and after the tree exists, so
//! shortcodes can list pages: see [`crate::shortcodes`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::content::Loaded;
use crate::error::Diagnostic;
use crate::frontmatter::{self};
use crate::markdown::slugify;
use crate::model::*;
use crate::shortcodes::Library;

mod body;
mod doc;
mod sort;
mod tree;

use doc::*;
use sort::*;
use tree::*;

pub(crate) use body::markdown;
pub(crate) use sort::{collation_key, compare_pages};
pub(crate) use tree::FolderSections;

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ParseOptions {
    pub drafts: bool,
    /// Stop after the tree (front matter, sections, schemas, URLs): no
    /// Markdown is rendered. For `kennisbank new`, which needs one schema.
    pub tree_only: bool,
    pub held: Held,
}

/// How the model holds source texts and rendered bodies: plain for a
/// build, which uses each once; deflated for `serve`, which keeps them all
/// between rebuilds (see [`Text`] and [`crate::model::Html`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Held {
    #[default]
    Plain,
    Deflated,
}

/// Builds the site model from loaded files. Errors are collected, not fatal,
/// so one build reports every problem.
pub(crate) fn parse(
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
pub(crate) fn parse_reusing(
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
        newest: Default::default(),
    };
    if !opts.tree_only {
        markdown(&mut site, diags, prev, opts.held);
    }
    if opts.held == Held::Deflated {
        // After the bodies: the ones that include a file read its text.
        site.pages
            .par_iter_mut()
            .for_each(|p| p.file.text.deflate());
        site.sections
            .par_iter_mut()
            .for_each(|s| s.file.text.deflate());
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
pub(crate) fn reparse_page(
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
pub(crate) fn resort_page(ids: &mut Vec<PageId>, pages: &[Page], p: PageId, sort_by: SortBy) {
    let Some(at) = ids.iter().position(|&x| x == p) else {
        return;
    };
    ids.remove(at);
    let to = ids.partition_point(|&x| compare_pages(&pages[x], &pages[p], sort_by).is_lt());
    ids.insert(to, p);
}

/// Body text after the front matter (the split is cheap to redo).
pub fn body_of(file: &SourceFile) -> std::borrow::Cow<'_, str> {
    let body = |text: &str| match frontmatter::split(text, &file.display) {
        Ok(s) => s.body.len(),
        Err(_) => 0,
    };
    match file.text.as_str() {
        std::borrow::Cow::Borrowed(t) => t[t.len() - body(t)..].into(),
        std::borrow::Cow::Owned(t) => t[t.len() - body(&t)..].to_string().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

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

    fn html_of(site: &Site, rel: &str) -> String {
        match site.by_file[rel] {
            Target::Page(p) => site.pages[p].rendered.html.to_string(),
            Target::Section(s) => site.sections[s].rendered.html.to_string(),
        }
    }

    /// Marks every body of `site` so a reused render can be told apart.
    fn mark_bodies(site: &mut Site) {
        for p in &mut site.pages {
            let mut r = (*p.rendered).clone();
            r.html = format!("<!-- vorige -->{}", r.html).into();
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
