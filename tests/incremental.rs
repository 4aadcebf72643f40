//! Serve's incremental rebuilds against a full build, as a state machine:
//! random sequences of the edits editors make (titles, dates, weights,
//! terms, links, anchors, drafts, pages added, deleted and renamed,
//! section pages, templates, translations, assets, the config) on a copy of
//! the bundled site and on `tests/fixtures/incremental` (nested `index.md`
//! and `_index.md` sections, bundles, a relation), both with the default
//! theme. After every step every output of the engine must equal a full
//! build of the same files, or both must fail. Proptest shrinks a failing
//! sequence to the shortest one.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proptest::prelude::*;

use kennisbank::serve::classify::Batch;
use kennisbank::serve::engine::Engine;
use kennisbank::site::{build_in_memory, BuildOptions};

/// One edit; the numbers pick a page (modulo the pages there are then) or
/// a value, so a sequence stays meaningful after pages come and go.
#[derive(Debug, Clone)]
enum Edit {
    Title(usize, u8),
    Date(usize, u8),
    Weight(usize, u8),
    Terms(usize, u8),
    Body(usize),
    AddLink(usize, usize),
    RemoveLinks(usize),
    RenameHeading(usize),
    ToggleDraft(usize),
    AddPage(usize, u8),
    DeletePage(usize),
    RenamePage(usize),
    SectionTitle(usize, u8),
    Partial(u8),
    Translation(u8),
    Stylesheet(u8),
    ConfigDescription(u8),
    Description(usize, u8),
    Relation(usize, usize),
    PagesQuery(usize),
    SectionBody(usize),
    /// A link to the first `##` heading of another page (which
    /// `RenameHeading` then breaks).
    AnchorLink(usize, usize),
    /// A page bundle's image.
    BundleAsset(u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, n)| Edit::Title(i, n)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, n)| Edit::Date(i, n)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, n)| Edit::Weight(i, n)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, n)| Edit::Terms(i, n)),
        any::<usize>().prop_map(Edit::Body),
        (any::<usize>(), any::<usize>()).prop_map(|(i, j)| Edit::AddLink(i, j)),
        any::<usize>().prop_map(Edit::RemoveLinks),
        any::<usize>().prop_map(Edit::RenameHeading),
        any::<usize>().prop_map(Edit::ToggleDraft),
        (any::<usize>(), any::<u8>()).prop_map(|(i, n)| Edit::AddPage(i, n)),
        any::<usize>().prop_map(Edit::DeletePage),
        any::<usize>().prop_map(Edit::RenamePage),
        (any::<usize>(), any::<u8>()).prop_map(|(i, n)| Edit::SectionTitle(i, n)),
        any::<u8>().prop_map(Edit::Partial),
        any::<u8>().prop_map(Edit::Translation),
        any::<u8>().prop_map(Edit::Stylesheet),
        any::<u8>().prop_map(Edit::ConfigDescription),
        (any::<usize>(), any::<u8>()).prop_map(|(i, n)| Edit::Description(i, n)),
        (any::<usize>(), any::<usize>()).prop_map(|(i, j)| Edit::Relation(i, j)),
        any::<usize>().prop_map(Edit::PagesQuery),
        any::<usize>().prop_map(Edit::SectionBody),
        (any::<usize>(), any::<usize>()).prop_map(|(i, j)| Edit::AnchorLink(i, j)),
        any::<u8>().prop_map(Edit::BundleAsset),
    ]
}

const LINK_MARK: &str = "[zie ook, toegevoegd]";

/// What the edits need to know of a site.
struct Shape {
    /// Folders under content/ holding ordinary pages, each with the file
    /// that makes it a section (`_index.md` or `index.md`).
    sections: &'static [(&'static str, &'static str)],
    /// A relation's front-matter field and the folder of its targets.
    relation: (&'static str, &'static str),
    /// A taxonomy's field and values to set it to.
    terms: (&'static str, &'static [&'static str]),
    stylesheet: &'static str,
    bundle_asset: Option<&'static str>,
}

const BUNDLED: Shape = Shape {
    sections: &[
        ("pilots", "_index.md"),
        ("conclusies", "_index.md"),
        ("praktijken", "_index.md"),
    ],
    relation: ("pilots", "pilots"),
    terms: (
        "doelgroep",
        &[
            "[werkgevers]",
            "[mbo-studenten, werkgevers]",
            "[werknemers]",
            "[niet-westerse migratieachtergrond]",
        ],
    ),
    stylesheet: "static/css/via.css",
    bundle_asset: None,
};

const FIXTURE: Shape = Shape {
    sections: &[
        ("regelingen", "index.md"),
        ("regelingen/participatiewet", "index.md"),
        ("beleid", "_index.md"),
        ("archief", "_index.md"),
    ],
    relation: ("regelingen", "regelingen"),
    terms: (
        "doelgroep",
        &[
            "[inwoners]",
            "[ondernemers]",
            "[inwoners, ondernemers]",
            "[]",
        ],
    ),
    stylesheet: "themes/default/static/css/site.css",
    bundle_asset: Some("content/loket/plattegrond.svg"),
};

struct SiteCopy {
    _dir: tempfile::TempDir,
    root: PathBuf,
    shape: &'static Shape,
    /// Pages (relative to the root) that exist now, in a stable order.
    pages: Vec<String>,
}

impl SiteCopy {
    fn bundled() -> SiteCopy {
        let dir = tempfile::tempdir().unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        for d in [
            "content",
            "themes",
            "static",
            "templates",
            "includes",
            "i18n",
        ] {
            if repo.join(d).is_dir() {
                common::copy_dir(&repo.join(d), &dir.path().join(d));
            }
        }
        std::fs::copy(
            repo.join("kennisbank.yaml"),
            dir.path().join("kennisbank.yaml"),
        )
        .unwrap();
        SiteCopy::of(dir, &BUNDLED)
    }

    /// `tests/fixtures/incremental` with the default theme copied in.
    fn fixture() -> SiteCopy {
        let dir = tempfile::tempdir().unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        common::copy_dir(&repo.join("tests/fixtures/incremental"), dir.path());
        common::copy_dir(
            &repo.join("themes/default"),
            &dir.path().join("themes/default"),
        );
        SiteCopy::of(dir, &FIXTURE)
    }

    fn of(dir: tempfile::TempDir, shape: &'static Shape) -> SiteCopy {
        let root = dir.path().canonicalize().unwrap();
        let mut pages = Vec::new();
        for (s, _) in shape.sections {
            let mut files: Vec<String> = std::fs::read_dir(root.join("content").join(s))
                .unwrap()
                .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".md") && n != "_index.md" && n != "index.md")
                .map(|n| format!("content/{s}/{n}"))
                .collect();
            files.sort();
            pages.extend(files);
        }
        SiteCopy {
            _dir: dir,
            root,
            shape,
            pages,
        }
    }

    /// Whether page `rel` is directly in folder `section`.
    fn in_section(rel: &str, section: &str) -> bool {
        Path::new(rel).parent() == Some(&Path::new("content").join(section))
    }

    fn section(&self, s: usize) -> (&'static str, &'static str) {
        self.shape.sections[s % self.shape.sections.len()]
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join(rel)).unwrap()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn page(&self, i: usize) -> Option<String> {
        (!self.pages.is_empty()).then(|| self.pages[i % self.pages.len()].clone())
    }

    /// Sets front-matter key `key` of `rel` to `value` (added when absent).
    fn set_field(&self, rel: &str, key: &str, value: &str) {
        let text = self.read(rel);
        let Some(rest) = text.strip_prefix("---\n") else {
            return;
        };
        let Some(end) = rest.find("\n---") else {
            return;
        };
        let (front, body) = rest.split_at(end);
        let mut lines: Vec<String> = front
            .lines()
            .filter(|l| !l.starts_with(&format!("{key}:")))
            .map(str::to_string)
            .collect();
        if !value.is_empty() {
            lines.push(format!("{key}: {value}"));
        }
        self.write(rel, &format!("---\n{}{body}", lines.join("\n")));
    }

    /// Makes the edit; returns the files it touched (for the watcher batch).
    fn apply(&mut self, edit: &Edit) -> Vec<String> {
        match *edit {
            Edit::Title(i, n) => self.page(i).map_or(vec![], |p| {
                self.set_field(&p, "title", &format!("\"Herziene titel {n}\""));
                vec![p]
            }),
            Edit::Date(i, n) => self.page(i).map_or(vec![], |p| {
                let day = 1 + n % 28;
                self.set_field(&p, "date", &format!("2025-{:02}-{day:02}", 1 + n % 12));
                vec![p]
            }),
            Edit::Weight(i, n) => self.page(i).map_or(vec![], |p| {
                self.set_field(&p, "weight", &(n % 5).to_string());
                vec![p]
            }),
            Edit::Terms(i, n) => self.page(i).map_or(vec![], |p| {
                let (field, terms) = self.shape.terms;
                self.set_field(&p, field, terms[n as usize % terms.len()]);
                vec![p]
            }),
            Edit::Body(i) => self.page(i).map_or(vec![], |p| {
                let text = self.read(&p);
                self.write(&p, &format!("{text}\nEen extra alinea over de aanpak.\n"));
                vec![p]
            }),
            Edit::AddLink(i, j) => match (self.page(i), self.page(j)) {
                (Some(p), Some(q)) => {
                    let text = self.read(&p);
                    let target = q.trim_start_matches("content/");
                    self.write(&p, &format!("{text}\n{LINK_MARK}(@/{target})\n"));
                    vec![p]
                }
                _ => vec![],
            },
            Edit::RemoveLinks(i) => self.page(i).map_or(vec![], |p| {
                let text = self.read(&p);
                let kept: String = text
                    .lines()
                    .filter(|l| !l.starts_with(LINK_MARK))
                    .map(|l| format!("{l}\n"))
                    .collect();
                self.write(&p, &kept);
                vec![p]
            }),
            Edit::RenameHeading(i) => self.page(i).map_or(vec![], |p| {
                let text = self.read(&p);
                let renamed = text.replacen("\n## ", "\n## Herzien: ", 1);
                self.write(&p, &renamed);
                vec![p]
            }),
            Edit::ToggleDraft(i) => self.page(i).map_or(vec![], |p| {
                let draft = self.read(&p).contains("\ndraft: true");
                self.set_field(&p, "draft", if draft { "" } else { "true" });
                vec![p]
            }),
            Edit::AddPage(s, n) => {
                let (section, _) = self.section(s);
                let rel = format!("content/{section}/nieuw-{n}.md");
                if self.pages.contains(&rel) {
                    return vec![];
                }
                // Copy an existing page of the section, so its schema's
                // required fields are there.
                let Some(model) = self
                    .pages
                    .iter()
                    .find(|p| Self::in_section(p, section))
                    .cloned()
                else {
                    return vec![];
                };
                self.write(&rel, &self.read(&model));
                self.set_field(&rel, "title", &format!("\"Nieuwe pagina {n}\""));
                self.set_field(&rel, "aliases", "");
                self.pages.push(rel.clone());
                vec![rel]
            }
            Edit::DeletePage(i) => self.page(i).map_or(vec![], |p| {
                std::fs::remove_file(self.root.join(&p)).unwrap();
                self.pages.retain(|x| *x != p);
                vec![p]
            }),
            Edit::RenamePage(i) => self.page(i).map_or(vec![], |p| {
                let to = p.replace(".md", "-hernoemd.md");
                std::fs::rename(self.root.join(&p), self.root.join(&to)).unwrap();
                let at = self.pages.iter().position(|x| *x == p).unwrap();
                self.pages[at] = to.clone();
                vec![p, to]
            }),
            Edit::SectionTitle(s, n) => {
                let (dir, file) = self.section(s);
                let rel = format!("content/{dir}/{file}");
                self.set_field(&rel, "title", &format!("\"Sectie {n}\""));
                vec![rel]
            }
            Edit::Partial(n) => {
                // The section tree, the cards and link items the renderer
                // draws once per page, and the chrome drawn once per build.
                let rel = [
                    "themes/default/templates/partials/nav.html",
                    "themes/default/templates/partials/kaart.html",
                    "themes/default/templates/partials/verwijzing.html",
                    "themes/default/templates/partials/chrome/menu.html",
                    "themes/default/templates/partials/chrome/footer.html",
                ][n as usize % 5];
                let text = self.read(rel);
                self.write(rel, &format!("{text}\n<!-- versie {n} -->\n"));
                vec![rel.to_string()]
            }
            Edit::Translation(n) => {
                let rel = "themes/default/i18n/nl.yaml";
                let text = self.read(rel);
                let lines: String = text
                    .lines()
                    .map(|l| {
                        if l.starts_with("nav_titel:") {
                            format!("nav_titel: \"In deze kennisbank ({n})\"\n")
                        } else {
                            format!("{l}\n")
                        }
                    })
                    .collect();
                self.write(rel, &lines);
                vec![rel.to_string()]
            }
            Edit::Stylesheet(n) => {
                let rel = self.shape.stylesheet;
                let text = self.read(rel);
                self.write(rel, &format!("{text}\n/* versie {n} */\n"));
                vec![rel.to_string()]
            }
            Edit::Description(i, n) => self.page(i).map_or(vec![], |p| {
                self.set_field(
                    &p,
                    "description",
                    &format!("\"Een nieuwe samenvatting {n}\""),
                );
                vec![p]
            }),
            Edit::Relation(i, j) => {
                let (field, dir) = self.shape.relation;
                let targets: Vec<String> = self
                    .pages
                    .iter()
                    .filter(|p| Self::in_section(p, dir))
                    .cloned()
                    .collect();
                match (self.page(i), targets.get(j % targets.len().max(1))) {
                    (Some(p), Some(target)) if !Self::in_section(&p, dir) => {
                        let slug = Path::new(target)
                            .file_stem()
                            .unwrap()
                            .to_string_lossy()
                            .into_owned();
                        self.set_field(&p, field, &format!("[{slug}]"));
                        vec![p]
                    }
                    _ => vec![],
                }
            }
            Edit::AnchorLink(i, j) => match (self.page(i), self.page(j)) {
                (Some(p), Some(q)) => {
                    let Some(heading) = self
                        .read(&q)
                        .lines()
                        .find_map(|l| l.strip_prefix("## ").map(str::to_string))
                    else {
                        return vec![];
                    };
                    let anchor = kennisbank::markdown::slugify(&heading);
                    let text = self.read(&p);
                    let target = q.trim_start_matches("content/");
                    self.write(
                        &p,
                        &format!(
                            "{text}
{LINK_MARK}(@/{target}#{anchor})
"
                        ),
                    );
                    vec![p]
                }
                _ => vec![],
            },
            Edit::BundleAsset(n) => match self.shape.bundle_asset {
                Some(rel) => {
                    let text = self.read(rel);
                    self.write(
                        rel,
                        &format!(
                            "{text}
<!-- versie {n} -->
"
                        ),
                    );
                    vec![rel.to_string()]
                }
                None => vec![],
            },
            Edit::PagesQuery(i) => self.page(i).map_or(vec![], |p| {
                let text = self.read(&p);
                self.write(
                    &p,
                    &format!("{text}\n{{{{ pages(section=\"pilots\", sort_by=\"title\") }}}}\n"),
                );
                vec![p]
            }),
            Edit::SectionBody(s) => {
                let (dir, file) = self.section(s);
                let rel = format!("content/{dir}/{file}");
                let text = self.read(&rel);
                self.write(&rel, &format!("{text}\nMeer uitleg over deze sectie.\n"));
                vec![rel]
            }
            Edit::ConfigDescription(n) => {
                let rel = "kennisbank.yaml";
                let text = self.read(rel);
                let lines: String = text
                    .lines()
                    .map(|l| {
                        if l.starts_with("description:") {
                            format!("description: \"Kennisbank, versie {n}\"\n")
                        } else {
                            format!("{l}\n")
                        }
                    })
                    .collect();
                self.write(rel, &lines);
                vec![rel.to_string()]
            }
        }
    }
}

/// Search off: it has its own incremental test, and here it would only
/// make every full build slower.
fn options(root: &Path) -> BuildOptions {
    BuildOptions {
        root: root.to_path_buf(),
        search: false,
        ..BuildOptions::default()
    }
}

/// What the search index is made of, per page: serve indexes the records
/// of its model (`serve::search_bg`), a build those of its own, and the
/// index is a function of them. Comparing them is cheap; running Pagefind
/// twice per step is not.
type SearchInput = Vec<(String, String, String, String, Vec<String>, String)>;

fn search_input(site: &kennisbank::model::Site, pages: &[usize]) -> SearchInput {
    let mut v: SearchInput = kennisbank::search::records(site, pages)
        .into_iter()
        .map(|r| {
            (
                r.url.clone(),
                r.title.clone(),
                format!("{:?}", r.meta),
                format!("{:?}", r.filters),
                r.facts.clone(),
                r.body.search_html().into_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

/// A full build's outputs and search input, or `None` when it fails.
fn full(root: &Path) -> Option<(BTreeMap<String, Vec<u8>>, SearchInput)> {
    build_in_memory(&options(root)).ok().map(|b| {
        let all: Vec<usize> = (0..b.site.pages.len()).collect();
        let search = search_input(&b.site, &all);
        (
            b.files.into_iter().map(|f| (f.path, f.bytes)).collect(),
            search,
        )
    })
}

/// Serve's search input: the pages it has outputs of, from its model.
fn engine_search_input(e: &Engine) -> SearchInput {
    let Some(site) = e.good_site() else {
        return Vec::new();
    };
    let pages: Vec<usize> = e
        .outputs()
        .values()
        .filter_map(|o| match o.source {
            Some(kennisbank::model::Target::Page(id)) => Some(id),
            _ => None,
        })
        .collect();
    search_input(site, &pages)
}

fn engine_outputs(e: &Engine) -> BTreeMap<String, Vec<u8>> {
    e.outputs()
        .iter()
        .map(|(p, o)| (p.clone(), o.bytes().to_vec()))
        .collect()
}

fn step(e: &mut Engine, root: &Path, touched: &[String]) {
    let mut b = Batch::default();
    for r in touched {
        b.add(root, &root.join(r), e.theme_name());
    }
    e.apply(&b, &[]);
    while e.has_queue() {
        e.step(&[], &|| false);
    }
}

/// The engine's state after a step against a full build: the same files
/// with the same bytes, or errors on both sides.
fn compare(e: &Engine, root: &Path) -> Result<(), String> {
    match full(root) {
        None => {
            if e.errors().is_empty() {
                return Err("a full build fails, serve reports no error".into());
            }
            Ok(())
        }
        Some((full, search)) => {
            if !e.errors().is_empty() {
                return Err(format!(
                    "a full build succeeds, serve reports {:?}",
                    e.errors()
                ));
            }
            let inc = engine_outputs(e);
            let missing: Vec<&String> = full.keys().filter(|k| !inc.contains_key(*k)).collect();
            let extra: Vec<&String> = inc.keys().filter(|k| !full.contains_key(*k)).collect();
            if !missing.is_empty() || !extra.is_empty() {
                return Err(format!("files: missing {missing:?}, extra {extra:?}"));
            }
            let differ: Vec<&String> = full
                .iter()
                .filter(|(p, bytes)| inc[*p] != **bytes)
                .map(|(p, _)| p)
                .collect();
            if !differ.is_empty() {
                return Err(format!("differ from a full build: {differ:?}"));
            }
            let served = engine_search_input(e);
            if served != search {
                let urls =
                    |v: &SearchInput| -> Vec<String> { v.iter().map(|r| r.0.clone()).collect() };
                let odd: Vec<&String> = served
                    .iter()
                    .filter(|r| !search.contains(r))
                    .map(|r| &r.0)
                    .collect();
                return Err(format!(
                    "search input differs from a full build's: {} pages against {}, differing {odd:?} (full build: {:?})",
                    served.len(),
                    search.len(),
                    urls(&search)
                ));
            }
            Ok(())
        }
    }
}

/// Pages whose body or source text serve holds plain although it is large
/// enough to deflate (serve keeps every text and body between rebuilds,
/// deflated), and how many of those it holds deflated.
fn held_plain(e: &Engine) -> (Vec<String>, usize) {
    use kennisbank::model::{Html, Text};
    let Some(site) = e.good_site() else {
        return (Vec::new(), 0);
    };
    let mut plain = Vec::new();
    let mut deflated = 0;
    for p in &site.pages {
        for (what, len, is_plain) in [
            (
                "body",
                p.rendered.html.len(),
                matches!(p.rendered.html, Html::Plain(_)),
            ),
            (
                "text",
                p.file.text.len(),
                matches!(p.file.text, Text::Plain(_)),
            ),
        ] {
            if len < 2048 {
                continue;
            }
            match is_plain {
                true => plain.push(format!("{} ({what})", p.file.rel)),
                false => deflated += 1,
            }
        }
    }
    (plain, deflated)
}

#[test]
fn serve_holds_the_bundled_sites_texts_and_bodies_deflated() {
    let site = SiteCopy::bundled();
    let mut e = Engine::new(options(&site.root), None);
    e.initial();
    let (plain, deflated) = held_plain(&e);
    assert_eq!(plain, Vec::<String>::new());
    assert!(deflated >= 10, "{deflated} texts and bodies deflated");
}

proptest! {
    // Each case is a few full builds of the bundled site: few cases,
    // whatever PROPTEST_CASES says for the cheap properties
    // (KB_INCREMENTAL_CASES=200 explores more).
    #![proptest_config(ProptestConfig {
        cases: std::env::var("KB_INCREMENTAL_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(12),
        max_shrink_iters: 64,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_edit_sequence_leaves_serve_equal_to_a_full_build(edits in prop::collection::vec(edit(), 1..7)) {
        run(SiteCopy::bundled(), &edits)?;
    }

    #[test]
    fn every_edit_sequence_on_nested_sections_leaves_serve_equal_to_a_full_build(edits in prop::collection::vec(edit(), 1..7)) {
        run(SiteCopy::fixture(), &edits)?;
    }
}

fn run(mut site: SiteCopy, edits: &[Edit]) -> Result<(), TestCaseError> {
    let mut e = Engine::new(options(&site.root), None);
    e.initial();
    // The starting point must build, or every comparison is "both fail".
    if let Err(failure) = build_in_memory(&options(&site.root)) {
        panic!("the site copy does not build: {failure}");
    }
    prop_assert_eq!(compare(&e, &site.root), Ok(()), "initial build");
    prop_assert_eq!(held_plain(&e).0, Vec::<String>::new(), "initial build");
    for (n, ed) in edits.iter().enumerate() {
        let touched = site.apply(ed);
        step(&mut e, &site.root, &touched);
        let result = compare(&e, &site.root);
        prop_assert!(
            result.is_ok(),
            "after step {} ({:?}) of {:?}: {}",
            n + 1,
            ed,
            edits,
            result.unwrap_err()
        );
        prop_assert_eq!(held_plain(&e).0, Vec::<String>::new(), "after {:?}", ed);
    }
    Ok(())
}
