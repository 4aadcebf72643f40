//! `kennisbank import mkdocs` on `tests/fixtures/mkdocs-site`, an MkDocs
//! project written the way Dutch public-sector knowledge bases are
//! (MkDocs-Material, nested folders with index.md, admonitions, snippets'
//! abbreviations, awesome-pages `...` in the nav, `!ENV` and
//! `!!python/name:` tags, plugins and hooks), then `build` on the result.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml::Value;

fn fixture() -> PathBuf {
    common::fixture_dir("mkdocs-site")
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Imported {
    _dir: tempfile::TempDir,
    out: PathBuf,
    stdout: String,
}

/// Imports the fixture into a fresh folder, with the default theme.
fn import() -> Imported {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let run = Command::new(common::bin())
        .args(["import", "mkdocs"])
        .arg(fixture().join("mkdocs.yml"))
        .arg("--out")
        .arg(&out)
        .arg("--theme")
        .arg(repo().join("themes/default"))
        .env(
            "HANDBOEK_SITE_URL",
            "https://intern.zuiderveen.nl/handboek/",
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(
        run.status.success(),
        "import failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    Imported {
        _dir: dir,
        out,
        stdout,
    }
}

fn build(out: &Path) -> (bool, String, String) {
    let run = Command::new(common::bin())
        .args(["build", "--no-search", "--root"])
        .arg(out)
        .output()
        .unwrap();
    (
        run.status.success(),
        String::from_utf8_lossy(&run.stdout).into_owned(),
        String::from_utf8_lossy(&run.stderr).into_owned(),
    )
}

/// The fixture's mkdocs.yml, tags and all.
fn mkdocs_yml() -> Value {
    serde_yaml::from_str(&std::fs::read_to_string(fixture().join("mkdocs.yml")).unwrap()).unwrap()
}

/// Markdown files of the docs (relative), without the snippet file that
/// mkdocs.yml appends to every page.
fn doc_pages() -> Vec<String> {
    let docs = fixture().join("docs");
    walkdir::WalkDir::new(&docs)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| {
            e.path()
                .strip_prefix(&docs)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .filter(|rel| !appended().contains(rel))
        .collect()
}

/// `auto_append` of the snippets extension, as written in mkdocs.yml.
fn appended() -> Vec<String> {
    let mk = mkdocs_yml();
    let exts = mk["markdown_extensions"].as_sequence().unwrap();
    exts.iter()
        .filter_map(|e| e.get("pymdownx.snippets"))
        .flat_map(|s| s["auto_append"].as_sequence().unwrap().clone())
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn front_of(text: &str) -> serde_yaml::Mapping {
    text.strip_prefix("---\n")
        .and_then(|t| t.split_once("\n---\n"))
        .map(|(f, _)| serde_yaml::from_str(f).unwrap())
        .unwrap_or_default()
}

fn html_files(public: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(public)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| e.path().to_path_buf())
        .collect()
}

#[test]
fn imported_mkdocs_site_builds_with_nested_sections_and_no_dialect_residue() {
    let site = import();
    let (ok, stdout, stderr) = build(&site.out);
    assert!(ok, "build failed:\n{stderr}");
    assert!(!stderr.contains("fout"), "{stderr}");

    // Every page, and only pages: the appended snippet is configuration.
    let pages = doc_pages();
    assert!(pages.len() >= 30, "fixture has {} pages", pages.len());
    let words: Vec<&str> = stdout.split_whitespace().collect();
    let n = |w: &str| -> usize {
        let at = words.iter().position(|x| x.starts_with(w)).unwrap();
        words[at - 1].parse().unwrap()
    };
    assert_eq!(n("pagina") + n("sectie"), pages.len(), "{stdout}");

    // Folders whose index.md sits beside other pages are sections, at
    // every depth; a folder with only index.md and an image is a page.
    let public = site.out.join("public");
    let mut nested = 0;
    for rel in pages
        .iter()
        .filter(|r| r.ends_with("index.md") && r.contains('/'))
    {
        let folder = rel.trim_end_matches("/index.md");
        let beside = pages
            .iter()
            .any(|p| p != rel && p.starts_with(&format!("{folder}/")));
        let html = std::fs::read_to_string(public.join(folder).join("index.html")).unwrap();
        assert_eq!(
            html.contains("<article class=\"section-page\""),
            beside,
            "{folder}: section?"
        );
        if beside && folder.contains('/') {
            nested += 1;
        }
    }
    assert!(nested >= 3, "nested sections: {nested}");
    assert!(public.join("over/logo.svg").is_file(), "bundle asset");

    // No Python-Markdown syntax shows through as text.
    for file in html_files(&public) {
        let html = std::fs::read_to_string(&file).unwrap();
        for residue in ["!!!", "???", "&lt;!--", "*[", "{ ."] {
            assert!(
                !html.contains(residue),
                "{}: {residue:?} in the HTML",
                file.display()
            );
        }
    }
    // The abbreviations appended to every page apply to every page.
    let verhuizing =
        std::fs::read_to_string(public.join("burgerzaken/verhuizing/index.html")).unwrap();
    assert!(
        verhuizing.contains("<abbr title=\"Basisregistratie Personen\">BRP</abbr>"),
        "abbreviations from the auto_append file"
    );
    // Relative .md links with anchors point at the built pages.
    let bijstand =
        std::fs::read_to_string(public.join("werk-en-inkomen/bijstand/index.html")).unwrap();
    assert!(
        bijstand.contains("href=\"/handboek/werk-en-inkomen/schulden/budgetbeheer/#aanmelden\"")
    );
}

#[test]
fn import_writes_config_from_mkdocs_yml_and_copies_markdown_unchanged() {
    let site = import();
    let mk = mkdocs_yml();
    let config: Value =
        serde_yaml::from_str(&std::fs::read_to_string(site.out.join("kennisbank.yaml")).unwrap())
            .unwrap();
    assert_eq!(config["title"], mk["site_name"]);
    assert_eq!(config["description"], mk["site_description"]);
    assert_eq!(config["language"], mk["theme"]["language"]);
    // `!ENV [HANDBOEK_SITE_URL, default]` read from the environment.
    assert_eq!(config["base_url"], "https://intern.zuiderveen.nl/handboek/");
    // The appended abbreviations are the site-wide abbreviations file.
    let abbr = config["markdown"]["abbreviations"].as_str().unwrap();
    let snippet = fixture().join("docs").join(&appended()[0]);
    assert_eq!(
        std::fs::read(site.out.join(abbr)).unwrap(),
        std::fs::read(snippet).unwrap()
    );

    // The Markdown, byte for byte, and the assets beside it.
    let docs = fixture().join("docs");
    for rel in doc_pages() {
        assert_eq!(
            std::fs::read(site.out.join("content").join(&rel)).unwrap(),
            std::fs::read(docs.join(&rel)).unwrap(),
            "{rel}"
        );
    }
    for e in walkdir::WalkDir::new(&docs)
        .into_iter()
        .filter_map(Result::ok)
    {
        let rel = e.path().strip_prefix(&docs).unwrap();
        if e.file_type().is_file() && e.path().extension().is_some_and(|x| x != "md") {
            assert!(
                site.out.join("content").join(rel).is_file(),
                "{}",
                rel.display()
            );
        }
    }

    // Every custom front-matter field the pages use is declared, with a
    // type; fields on a small set of values list them and are taxonomies.
    let schema = config["schema"].as_mapping().unwrap();
    let taxonomies: BTreeSet<&str> = config["taxonomies"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let mut used: BTreeSet<String> = BTreeSet::new();
    for rel in doc_pages() {
        let front = front_of(&std::fs::read_to_string(docs.join(&rel)).unwrap());
        for (k, _) in front {
            let k = k.as_str().unwrap().to_string();
            if !kennisbank::frontmatter::is_builtin(&k) {
                used.insert(k);
            }
        }
    }
    assert!(
        used.len() >= 10,
        "fixture uses {} custom fields",
        used.len()
    );
    for field in &used {
        let spec = &schema[field.as_str()];
        assert!(spec.is_mapping(), "{field} declared");
        if let Some(values) = spec.get("values") {
            assert!(taxonomies.contains(field.as_str()), "{field}: taxonomy");
            assert!(values.as_sequence().unwrap().len() <= 12);
        }
    }
    assert_eq!(schema["termijn_dagen"]["type"], "number");
    assert_eq!(schema["vertrouwelijk"]["type"], "bool");
    assert_eq!(schema["laatst_gecontroleerd"]["type"], "date");
    assert_eq!(schema["doelgroep"]["type"], "list");
    assert_eq!(schema["hide"]["show"], false);
    assert!(
        schema["wettelijke_basis"].get("values").is_none(),
        "many values"
    );
    assert!(taxonomies.contains("tags"));

    // The menu follows the top level of the nav; the home page is the site name.
    let nav = mk["nav"].as_sequence().unwrap();
    let nav_titles: Vec<&str> = nav
        .iter()
        .filter_map(|e| e.as_mapping()?.keys().next()?.as_str())
        .filter(|t| *t != "Home")
        .collect();
    let menu: Vec<&str> = config["menu"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap())
        .collect();
    assert_eq!(menu, nav_titles);
}

#[test]
fn nav_order_with_awesome_pages_rest_entries_decides_page_order() {
    let site = import();
    let (ok, _, stderr) = build(&site.out);
    assert!(ok, "{stderr}");
    // In the nav: jobcoaching first, then `...` (the rest, by file name).
    let dir = fixture().join("docs/werk-en-inkomen/participatiewet");
    let mut rest: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md") && n != "index.md" && n != "jobcoaching.md")
        .collect();
    rest.sort();
    let mut expected = vec!["jobcoaching".to_string()];
    expected.extend(rest.iter().map(|n| n.trim_end_matches(".md").to_string()));
    let html = std::fs::read_to_string(
        site.out
            .join("public/werk-en-inkomen/participatiewet/index.html"),
    )
    .unwrap();
    let listing = html.split("<main").nth(1).unwrap();
    let positions: Vec<usize> = expected
        .iter()
        .map(|slug| {
            listing
                .find(&format!("/werk-en-inkomen/participatiewet/{slug}/\""))
                .unwrap_or_else(|| panic!("{slug} listed"))
        })
        .collect();
    let mut sorted = positions.clone();
    sorted.sort();
    assert_eq!(positions, sorted, "order {expected:?}");
    // Which is not the order of the titles.
    let mut by_title = expected.clone();
    by_title.sort();
    assert_ne!(
        by_title, expected,
        "the fixture must tell nav order from title order"
    );
}

#[test]
fn import_names_what_it_could_not_carry_over_with_what_to_do() {
    let site = import();
    let mk = mkdocs_yml();
    let out = &site.stdout;
    // Plugins other than search and awesome-pages (which carry over).
    for p in mk["plugins"].as_sequence().unwrap() {
        let name = match p {
            Value::String(s) => s.clone(),
            Value::Mapping(m) => m.keys().next().unwrap().as_str().unwrap().to_string(),
            _ => unreachable!(),
        };
        if name == "search" || name == "awesome-pages" {
            continue;
        }
        let line = format!("  - plugin {name}\n    → ");
        assert!(out.contains(&line), "{name} named with advice:\n{out}");
    }
    for needle in [
        "hooks (",
        "extra_javascript: https://unpkg.com/",
        "theme.custom_dir: overrides",
        "pymdownx.tabbed",
        "toc_depth: 3",
    ] {
        let at = out
            .find(needle)
            .unwrap_or_else(|| panic!("{needle}:\n{out}"));
        let next = &out[at..].lines().nth(1).unwrap_or("");
        assert!(next.trim_start().starts_with('→'), "{needle}: what to do");
    }
    // A local script is copied, not reported as another origin.
    assert!(!out.contains("extra_javascript: javascripts/extra.js\n    → Kennisbank laadt niets"));
}

#[test]
fn import_refuses_a_folder_that_is_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notities.txt"), "van mij").unwrap();
    let run = Command::new(common::bin())
        .args(["import", "mkdocs"])
        .arg(fixture().join("mkdocs.yml"))
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("niet leeg") && err.contains("--out"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notities.txt")).unwrap(),
        "van mij"
    );
}
