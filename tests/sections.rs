//! Folder sections (MkDocs, Docusaurus and Starlight write a folder's page as
//! `index.md`), page bundles beside them, and fields from existing sites
//! (`show: false`, `open_fields`). Runs the real binary on
//! `tests/fixtures/sections` with the default theme copied in.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::TestSite;
use kennisbank::serve::classify::Batch;
use kennisbank::serve::engine::Engine;
use kennisbank::site::{build_in_memory, BuildOptions};

fn site() -> TestSite {
    let site = TestSite::fixture("sections");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    common::copy_dir(&repo.join("themes/default"), &site.path("themes/default"));
    site
}

/// Markdown files under content/ (relative), to derive expectations from.
fn md_files(root: &Path) -> Vec<String> {
    let content = root.join("content");
    walkdir::WalkDir::new(&content)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| {
            e.path()
                .strip_prefix(&content)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

fn is_section_page(html: &str) -> bool {
    html.contains("<article class=\"section-page\"")
}

#[test]
fn index_md_beside_other_pages_makes_a_section_and_alone_it_stays_a_bundle() {
    let site = site();
    site.build().assert_ok();
    for (folder, section) in [
        ("regelingen", true),
        ("regelingen/participatiewet", true),
        ("regelingen/participatiewet/re-integratie", false),
        ("loket", false),
        ("beleid", true),
    ] {
        let html = site.public(&format!("{folder}/index.html"));
        assert_eq!(is_section_page(&html), section, "{folder}: section?");
        // One h1: an index.md's `# Titel` is the title, not a second heading.
        assert_eq!(html.matches("<h1").count(), 1, "{folder}: h1 count");
    }
    // A section lists the pages and sub-folders beside its index.md.
    let regelingen = site.public("regelingen/index.html");
    assert!(regelingen.contains("href=\"/regelingen/bijstand/\""));
    assert!(regelingen.contains("href=\"/regelingen/participatiewet/\""));
    let pw = site.public("regelingen/participatiewet/index.html");
    assert!(pw.contains("href=\"/regelingen/participatiewet/inkomen/\""));
    assert!(pw.contains("href=\"/regelingen/participatiewet/re-integratie/\""));
    // Bundles keep their files beside the page.
    for asset in [
        "loket/plattegrond.svg",
        "regelingen/participatiewet/re-integratie/traject.svg",
    ] {
        assert!(site.path(&format!("public/{asset}")).is_file(), "{asset}");
    }
    // The root index.md is the home page; links to index.md files resolve.
    let home = site.public("index.html");
    assert!(home.contains("Welkom bij de kennisbank"));
    assert!(home.contains("href=\"/regelingen/\""));
    assert!(home.contains("href=\"/loket/\""));
    let bijstand = site.public("regelingen/bijstand/index.html");
    assert!(bijstand.contains("href=\"/loket/\""), "{bijstand}");
    // Every Markdown file became exactly one page or section.
    let count = md_files(site.root()).len();
    let summary = site.build().stdout();
    let built: usize = ["pagina", "sectie"]
        .iter()
        .map(|w| number_before(&summary, w))
        .sum();
    assert_eq!(built, count, "{summary}");
}

/// The number in `text` just before the first word starting with `word`.
fn number_before(text: &str, word: &str) -> usize {
    let words: Vec<&str> = text.split_whitespace().collect();
    let at = words
        .iter()
        .position(|w| w.starts_with(word))
        .unwrap_or_else(|| panic!("no {word} in {text}"));
    words[at - 1]
        .trim_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .unwrap_or_else(|_| panic!("no count before {word} in {text}"))
}

#[test]
fn underscore_index_and_index_in_one_folder_is_an_error_naming_both() {
    let site = site();
    site.write(
        "content/beleid/index.md",
        "---\ntitle: Beleid (oud)\n---\nDubbel.\n",
    );
    site.build().assert_fails_with(&[
        "content/beleid/index.md:1",
        "content/beleid/_index.md",
        "verwijder de ander",
    ]);
    // The root too.
    let site = self::site();
    site.write("content/_index.md", "---\ntitle: Thuis\n---\n");
    site.build()
        .assert_fails_with(&["content/index.md", "content/_index.md"]);
}

#[test]
fn show_false_and_mkdocs_own_fields_stay_out_of_the_facts_table() {
    let site = site();
    site.build().assert_ok();
    let html = site.public("regelingen/bijstand/index.html");
    assert!(html.contains("fact-team"), "declared field shown");
    assert!(html.contains("Team Inkomen"));
    assert!(!html.contains("fact-afdeling"), "show: false is not a fact");
    assert!(!html.contains("Sociaal Domein"));
    assert!(!html.contains("fact-hide"), "MkDocs' hide is not a fact");
    // Without `show: false` the same field is a fact again.
    let root = site.read("content/index.md");
    site.write("content/index.md", &root.replace("    show: false\n", ""));
    site.build().assert_ok();
    assert!(site
        .public("regelingen/bijstand/index.html")
        .contains("fact-afdeling"));
}

#[test]
fn open_fields_allows_undeclared_fields_with_one_note_each() {
    let site = site();
    let run = site.build();
    run.assert_ok();
    let err = run.stderr();
    // Expected from the fixture: the fields of archief/ pages that no
    // schema declares, and on how many pages each is.
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for rel in md_files(site.root()) {
        if !rel.starts_with("archief/") || rel.ends_with("_index.md") {
            continue;
        }
        let text = site.read(&format!("content/{rel}"));
        let front = text.split("---").nth(1).unwrap();
        for line in front.lines() {
            if let Some((key, _)) = line.split_once(':') {
                if !["title", "team", "afdeling", "hide"].contains(&key) {
                    *expected.entry(key.to_string()).or_default() += 1;
                }
            }
        }
    }
    assert!(expected.len() >= 2, "fixture has undeclared fields");
    for (key, pages) in &expected {
        let needle = format!("veld '{key}' staat niet in het schema");
        assert_eq!(err.matches(&needle).count(), 1, "{key} once:\n{err}");
        let line = err.lines().find(|l| l.contains(&needle)).unwrap();
        assert!(line.starts_with("content/archief/_index.md:3"), "{line}");
        let count = if *pages == 1 {
            "1 pagina,".to_string()
        } else {
            format!("{pages} pagina's")
        };
        assert!(line.contains(&count), "{line}");
    }
    assert!(err.contains("opmerking"), "{err}");
    // The fields are kept for templates, filters and search, not shown.
    let html = site.public("archief/oude-regeling/index.html");
    assert!(!html.contains("WI-2019-044"));
    // Without open_fields they are errors, one per page and field.
    let index = site.read("content/archief/_index.md");
    site.write(
        "content/archief/_index.md",
        &index.replace("open_fields: true\n", ""),
    );
    site.build().assert_fails_with(&[
        "content/archief/oude-regeling.md:4: fout: onbekend veld 'kenmerk'",
        "open_fields: true",
        "content/archief/ioaw.md:3",
    ]);
}

// ---------------------------------------------------------------------------
// serve: a page added beside a bundle's index.md makes a section

fn full_outputs(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let built = build_in_memory(&BuildOptions {
        root: root.to_path_buf(),
        ..BuildOptions::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    built.files.into_iter().map(|f| (f.path, f.bytes)).collect()
}

fn assert_same(e: &Engine, root: &Path, step: &str) {
    assert!(e.errors().is_empty(), "{step}: {:?}", e.errors());
    let full = full_outputs(root);
    let inc: BTreeMap<String, Vec<u8>> = e
        .outputs()
        .iter()
        .map(|(p, o)| (p.clone(), o.bytes().to_vec()))
        .collect();
    assert_eq!(
        full.keys().collect::<Vec<_>>(),
        inc.keys().collect::<Vec<_>>(),
        "{step}: same files"
    );
    for (p, bytes) in &full {
        assert!(inc[p] == *bytes, "{step}: {p} differs from a full build");
    }
}

fn apply(e: &mut Engine, root: &Path, rels: &[&str]) {
    let mut b = Batch::default();
    for r in rels {
        b.add(root, &root.join(r), e.theme_name());
    }
    e.apply(&b, &[]);
    while e.has_queue() {
        e.step(&[], &|| false);
    }
}

#[test]
fn serve_turns_a_bundle_into_a_section_when_a_page_is_added_beside_it_and_back() {
    let site = site();
    let root = site.root().canonicalize().unwrap();
    let mut e = Engine::new(
        BuildOptions {
            root: root.clone(),
            ..BuildOptions::default()
        },
        None,
    );
    e.initial();
    assert_same(&e, &root, "initial");
    let loket =
        |e: &Engine| String::from_utf8(e.outputs()["loket/index.html"].bytes().to_vec()).unwrap();
    assert!(!is_section_page(&loket(&e)));

    std::fs::write(
        root.join("content/loket/adressen.md"),
        "---\ntitle: Adressen\neigenaar: Team Dienstverlening\n---\nStadhuisplein 1.\n",
    )
    .unwrap();
    apply(&mut e, &root, &["content/loket/adressen.md"]);
    assert_same(&e, &root, "page added beside index.md");
    assert!(is_section_page(&loket(&e)));
    assert!(loket(&e).contains("href=\"/loket/adressen/\""));
    // The bundle's image now sits in the section's folder: same URL.
    assert!(e.outputs().contains_key("loket/adressen/index.html"));

    // An edit of the new section's index.md body is a body edit.
    let index = root.join("content/loket/index.md");
    let text = std::fs::read_to_string(&index).unwrap();
    std::fs::write(&index, text.replace("9 tot 17", "8 tot 18")).unwrap();
    apply(&mut e, &root, &["content/loket/index.md"]);
    assert_same(&e, &root, "section index.md body edit");
    assert!(loket(&e).contains("8 tot 18"));

    std::fs::remove_file(root.join("content/loket/adressen.md")).unwrap();
    apply(&mut e, &root, &["content/loket/adressen.md"]);
    assert_same(&e, &root, "page removed again");
    assert!(!is_section_page(&loket(&e)));
}

// ---------------------------------------------------------------------------
// Section-tree navigation (default theme)

/// The section tree of a built page, and the one link marked current.
fn nav_of(html: &str) -> (&str, Vec<&str>) {
    let start = html
        .find("<nav class=\"section-nav\"")
        .unwrap_or_else(|| panic!("no section tree"));
    let end = start + html[start..].find("</nav>").unwrap() + 6;
    let nav = &html[start..end];
    let current = nav
        .match_indices(" aria-current=\"page\"")
        .map(|(i, _)| {
            let href = nav[..i].rfind("href=\"").unwrap() + 6;
            &nav[href..href + nav[href..].find('"').unwrap()]
        })
        .collect();
    (nav, current)
}

#[test]
fn section_tree_marks_the_current_page_and_opens_only_the_way_to_it() {
    let site = site();
    site.build().assert_ok();
    let html = site.public("regelingen/participatiewet/inkomen/index.html");
    let (nav, current) = nav_of(&html);
    assert_eq!(current, ["/regelingen/participatiewet/inkomen/"]);
    // Open: the sections on the way, with their pages.
    for open in [
        "<summary>Regelingen</summary>",
        "<summary>Participatiewet</summary>",
    ] {
        assert!(nav.contains(open), "{open} in {nav}");
    }
    assert!(nav.contains("href=\"/regelingen/bijstand/\""));
    assert!(nav.contains("href=\"/regelingen/participatiewet/re-integratie/\""));
    // Other sections are one link, their pages not listed.
    assert!(nav.contains("href=\"/archief/\""));
    assert!(!nav.contains("href=\"/archief/ioaw/\""));
    assert!(!nav.contains("<summary>Archief</summary>"));
    // A section's own page is marked on the section page.
    let section = site.public("regelingen/index.html");
    let (_, current) = nav_of(&section);
    assert_eq!(current, ["/regelingen/"]);
    // The skip link still jumps over the tree to the content.
    assert!(html.find("href=\"#inhoud\"").unwrap() < html.find("section-nav").unwrap());
}

#[test]
fn section_tree_is_the_same_for_every_page_of_a_section_and_bounded() {
    let site = site();
    // A large section: more pages than the tree lists.
    let n = kennisbank::nav::PAGES_SHOWN + 5;
    for i in 0..n {
        site.write(
            &format!("content/beleid/nota-{i:02}.md"),
            &format!(
                "---\ntitle: \"Nota {i:02}\"\neigenaar: Team Beleid\n---\nTekst van nota {i}.\n"
            ),
        );
    }
    site.build().assert_ok();
    let pages = n + 1; // and the armoedebeleid page
    let strip = |rel: &str| {
        let html = site.public(rel);
        let (nav, current) = nav_of(&html);
        assert_eq!(current.len(), 1, "{rel}: one current link");
        nav.replace(" aria-current=\"page\"", "")
    };
    let first = strip("beleid/nota-00/index.html");
    for rel in [
        "beleid/nota-07/index.html",
        "beleid/armoedebeleid/index.html",
        "beleid/index.html",
    ] {
        assert_eq!(strip(rel), first, "{rel}: same tree as its siblings");
    }
    let listed = first.matches("href=\"/beleid/").count();
    // The section's own link, the pages shown and the "all pages" link.
    assert_eq!(listed, 1 + kennisbank::nav::PAGES_SHOWN + 1, "{first}");
    assert!(first.contains(&format!("Alle {pages} pagina")), "{first}");
}

#[test]
fn serve_keeps_section_trees_current_after_a_title_edit() {
    let site = site();
    let root = site.root().canonicalize().unwrap();
    let mut e = Engine::new(
        BuildOptions {
            root: root.clone(),
            ..BuildOptions::default()
        },
        None,
    );
    e.initial();
    // A page of regelingen/ is listed in the trees of the sections below it.
    let page = root.join("content/regelingen/bijstand.md");
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(
        &page,
        text.replace("Bijstandsuitkering", "Bijzondere bijstand"),
    )
    .unwrap();
    apply(&mut e, &root, &["content/regelingen/bijstand.md"]);
    assert_same(&e, &root, "title edit shown in the trees below its section");
    let below = String::from_utf8(
        e.outputs()["regelingen/participatiewet/inkomen/index.html"]
            .bytes()
            .to_vec(),
    )
    .unwrap();
    assert!(nav_of(&below).0.contains("Bijzondere bijstand"));
}
