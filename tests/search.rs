//! Search, end to end: the index `kennisbank build` writes, used the way a
//! reader's browser uses it.
//!
//! - The repository's own site is built with the real binary, served over
//!   HTTP on 127.0.0.1 by a tiny static server, and searched in headless
//!   Chromium (`tests/browser/search-index.mjs`, through Pagefind's JS API and
//!   the search page), at the root and under a sub-path (`/kennisbank/`).
//! - A small generated site checks Dutch stemming and diacritic folding
//!   (`werkgevers` finds a page that only says `werkgever`; `geinformeerd`
//!   finds `geïnformeerd`) and that menus, footers and related-links lists are
//!   not indexed.
//!
//! Expected results are derived from the site model, not hard-coded.
//! The browser tests need `npm ci --prefix tests/browser` (playwright-core)
//! and Debian's `/usr/bin/chromium`; without them they fail saying so.

mod common;

use common::static_server::Server;
use common::TestSite;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kennisbank::model::Site;
use kennisbank::search::{bundle, indexed_pages};
use kennisbank::site::{build_in_memory, BuildOptions, Built};
use serde_json::{json, Value};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn browser_dir() -> PathBuf {
    repo().join("tests/browser")
}

fn require_browser_tools() {
    let dep = browser_dir().join("node_modules/playwright-core");
    assert!(
        dep.is_dir(),
        "{} is missing: run `npm ci --prefix tests/browser` first",
        dep.display()
    );
}

/// Builds `root` with the real binary into `out`.
fn build_with_binary(root: &Path, out: &Path, base_url: Option<&str>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kennisbank"));
    cmd.arg("build")
        .arg("--root")
        .arg(root)
        .arg("--output")
        .arg(out);
    if let Some(url) = base_url {
        cmd.arg("--base-url").arg(url);
    }
    let run = cmd.output().expect("run kennisbank build");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "kennisbank build failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // The build reports the index (src/cli.rs prints SearchStats).
    assert!(
        stdout.contains("zoekindex:"),
        "no search index line in the build output:\n{stdout}"
    );
}

/// The site model (no index), for deriving what searches must find.
fn model(root: &Path) -> Built {
    let opts = BuildOptions {
        root: root.to_path_buf(),
        ..Default::default()
    };
    match build_in_memory(&opts) {
        Ok(b) => b,
        Err(e) => panic!(
            "{} kan niet gebouwd worden: {:?}",
            root.display(),
            e.diagnostics
        ),
    }
}

fn url_of(site: &Site, rel: &str) -> String {
    let page = site
        .pages
        .iter()
        .find(|p| p.file.rel == rel)
        .unwrap_or_else(|| panic!("no page content/{rel}"));
    format!("/{}", page.path)
}

// ---- Chromium ---------------------------------------------------------------------

/// Runs `search-index.mjs` with a plan and returns what it saw.
fn browse(site_url: &str, plan: &Value) -> Value {
    require_browser_tools();
    let dir = tempfile::tempdir().unwrap();
    let plan_file = dir.path().join("plan.json");
    std::fs::write(&plan_file, plan.to_string()).unwrap();
    let out = run_node(&[site_url, plan_file.to_str().unwrap()]);
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("search-index.mjs printed no JSON ({e}):\n{out}"))
}

/// `node tests/browser/search-index.mjs <args>`, killed after two minutes.
fn run_node(args: &[&str]) -> String {
    let mut child = Command::new("node")
        .current_dir(browser_dir())
        .arg("search-index.mjs")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node (is Node.js installed?)");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("search-index.mjs took more than two minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "search-index.mjs failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn urls(results: &Value) -> Vec<String> {
    results["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["url"].as_str().unwrap().to_string())
        .collect()
}

fn engine<'a>(seen: &'a Value, term: &str) -> &'a Value {
    seen["engine"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["term"].as_str() == Some(term) || (term.is_empty() && e["term"].is_null()))
        .unwrap_or_else(|| panic!("no engine result for {term:?}"))
}

fn assert_clean(seen: &Value) {
    assert_eq!(seen["foreign"], json!([]), "requests to another origin");
    assert_eq!(seen["errors"], json!([]), "JavaScript errors in the page");
}

/// The bundled site at `prefix` ("/" or "/kennisbank/"): engine and search page.
fn check_bundled_site(prefix: &str) {
    let built = model(&repo());
    let site = &built.site;
    let indexed: BTreeSet<usize> = indexed_pages(&built.files).into_iter().collect();
    let begeleiding = url_of(site, "pilots/intensieve-begeleiding.md");
    let conclusies: BTreeSet<String> = indexed
        .iter()
        .filter(|&&id| site.pages[id].soort.as_deref() == Some("conclusie"))
        .map(|&id| format!("/{}", site.pages[id].path))
        .collect();
    assert!(
        !conclusies.is_empty(),
        "the bundled site has no pages with soort conclusie"
    );
    // Pages whose body says "werkgever" (singular) must be found by the plural.
    let singular: BTreeSet<String> = indexed
        .iter()
        .filter(|&&id| {
            has_word(
                &kennisbank::parse::body_of(&site.pages[id].file),
                "werkgever",
            )
        })
        .map(|&id| format!("/{}", site.pages[id].path))
        .collect();
    assert!(
        !singular.is_empty(),
        "no page of the bundled site says 'werkgever'"
    );

    let server = Server::start(prefix);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let base_url = (prefix != "/").then(|| format!("{}{}", server.origin(), prefix));
    build_with_binary(&repo(), &out, base_url.as_deref());
    server.serve(&out);
    let site_url = format!("{}{}", server.origin(), prefix);

    let seen = browse(
        &site_url,
        &json!({
            "queries": [
                {"term": "begeleiding"},
                {"term": "werkgevers"},
                {"term": null, "filters": {"soort": "conclusie"}},
            ],
            "ui": ["zoeken/?q=taal", "zoeken/?q=begeleiding&soort=pilot"],
        }),
    );
    assert_clean(&seen);
    let with_prefix = |u: &str| format!("{}{}", prefix.trim_end_matches('/'), u);

    // `begeleiding` finds the Intensieve Begeleiding pilot, near the top.
    let found = urls(engine(&seen, "begeleiding"));
    let rank = found.iter().position(|u| *u == with_prefix(&begeleiding));
    assert!(
        rank.is_some_and(|r| r < 5),
        "begeleiding: {begeleiding} not among the first 5 results: {found:?}"
    );
    // Every result URL carries the deployment's base path.
    assert!(
        found.iter().all(|u| u.starts_with(prefix)),
        "result URLs without {prefix}: {found:?}"
    );

    let found: BTreeSet<String> = urls(engine(&seen, "werkgevers")).into_iter().collect();
    let missing: Vec<&String> = singular
        .iter()
        .filter(|u| !found.contains(&with_prefix(u)))
        .collect();
    assert!(
        missing.is_empty(),
        "werkgevers misses pages that say werkgever: {missing:?}"
    );

    // Filtering on soort = conclusie leaves exactly the conclusions.
    let filtered = engine(&seen, "");
    let got: BTreeSet<String> = urls(filtered).into_iter().collect();
    let want: BTreeSet<String> = conclusies.iter().map(|u| with_prefix(u)).collect();
    assert_eq!(got, want, "soort = conclusie");
    for r in filtered["results"].as_array().unwrap() {
        assert_eq!(r["filters"]["soort"], json!(["conclusie"]), "{}", r["url"]);
        assert!(
            r["meta"]["title"].is_string(),
            "result without a title: {r}"
        );
    }

    // The search page opened with ?q=taal shows results that lead to pages.
    for ui in seen["ui"].as_array().unwrap() {
        let path = ui["path"].as_str().unwrap();
        assert_eq!(ui["http"], 200, "{path}");
        assert_eq!(ui["shown"], true, "{path} shows no results: {ui}");
        let links = ui["links"].as_array().unwrap();
        assert!(
            links
                .iter()
                .all(|l| l.as_str().unwrap().starts_with(prefix)),
            "{path}: result links without {prefix}: {links:?}"
        );
        let first = &ui["first"];
        assert_eq!(
            first["http"], 200,
            "{path}: the first result does not open: {first}"
        );
        assert!(
            !first["h1"].as_str().unwrap().is_empty(),
            "{path}: the first result has no <h1>"
        );
    }
    let pilots = &seen["ui"][1];
    assert_eq!(
        pilots["checked"],
        json!(["soort=pilot"]),
        "the soort filter from the URL is checked"
    );
    assert!(
        pilots["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().starts_with(&with_prefix(&begeleiding))),
        "begeleiding&soort=pilot does not list {begeleiding}: {pilots}"
    );
}

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs Chromium, Java and tests/browser/node_modules: run scripts/test"
)]
fn search_in_chromium_at_the_root() {
    check_bundled_site("/");
}

/// `search::query_cost` (used by the benchmark) against what Chromium
/// downloads when a reader searches with the theme's own clients: the search
/// page opened with `?q=` (10 results shown) and the query typed into a
/// page's header box (5 shown). The same files with the same sizes (the
/// theme's modules, Pagefind's worker, not `pagefind.js`, the index files),
/// except which result fragments (ranking is approximated): as many.
#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs Chromium, Java and tests/browser/node_modules: run scripts/test"
)]
fn query_cost_matches_chromium() {
    require_browser_tools();
    let server = Server::start("/");
    let dir = tempfile::tempdir().unwrap();
    build_with_binary(&repo(), dir.path(), None);
    server.serve(dir.path());
    let pages = [
        ("--measure", "begeleiding"),
        ("--measure", "werkgevers"),
        ("--measure", "taal"),
        ("--measure-header", "begeleiding"),
        ("--measure-header", "taal"),
    ];
    for (mode, query) in pages {
        let out = run_node(&[&format!("{}/", server.origin()), mode, query]);
        let seen: Value = serde_json::from_str(&out).unwrap();
        assert_clean(&seen);
        let bundle_dir = dir.path().join("pagefind");
        let cost = if mode == "--measure" {
            bundle::query_cost(&bundle_dir, query, 10).unwrap()
        } else {
            kennisbank::search::query_cost_header(&bundle_dir, query, 5).unwrap()
        };
        let kinds = |files: Vec<(String, u64)>| {
            let fragments = files
                .iter()
                .filter(|(f, _)| f.starts_with("fragment/"))
                .count();
            let other: BTreeSet<(String, u64)> = files
                .into_iter()
                .filter(|(f, _)| !f.starts_with("fragment/"))
                .collect();
            (fragments, other)
        };
        let browser: Vec<(String, u64)> = seen["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["bytes"].as_u64().unwrap(),
                )
            })
            .collect();
        assert!(
            !browser.iter().any(|(f, _)| f == "pagefind.js"),
            "{mode} {query}: the theme loaded pagefind.js: {browser:?}"
        );
        let (fragments, other) = kinds(cost.files.clone());
        assert_eq!(
            (fragments, other),
            kinds(browser),
            "{mode} {query}: files fetched"
        );
        assert_eq!(
            seen["shown"].as_u64().unwrap() as usize,
            fragments,
            "{mode} {query}: one fragment per result shown"
        );
        assert_eq!(
            cost.matches as u64,
            seen["matches"].as_u64().unwrap(),
            "{query}: matching pages ({})",
            seen["status"]
        );
    }
}

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs Chromium, Java and tests/browser/node_modules: run scripts/test"
)]
fn search_in_chromium_under_a_sub_path() {
    check_bundled_site("/kennisbank/");
}

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs Chromium, Java and tests/browser/node_modules: run scripts/test"
)]
fn dutch_stemming_and_diacritics_in_chromium() {
    let site = search_site();
    let server = Server::start("/");
    let out = site.dir.path().join("public");
    build_with_binary(site.root(), &out, None);
    server.serve(&out);
    let seen = browse(
        &format!("{}/", server.origin()),
        &json!({"queries": [{"term": "werkgevers"}, {"term": "geinformeerd"}, {"term": "Inhoudswoordalfa"}]}),
    );
    assert_clean(&seen);
    let alfa = "/notities/alfa/".to_string();
    assert!(!site.read("content/notities/alfa.md").contains("werkgevers"));
    assert_eq!(
        urls(engine(&seen, "werkgevers")),
        vec![alfa.clone()],
        "werkgevers finds the page saying werkgever"
    );
    assert_eq!(
        urls(engine(&seen, "geinformeerd")),
        vec![alfa.clone()],
        "geinformeerd finds geïnformeerd"
    );
    let hit = &engine(&seen, "geinformeerd")["results"][0];
    assert!(
        hit["excerpt"].as_str().unwrap().contains("geïnformeerd"),
        "excerpt keeps the diaeresis: {hit}"
    );
    assert_eq!(hit["meta"]["title"], "Werkgever in de regio");
}

// ---- The index itself (no browser) -----------------------------------------------

#[test]
fn chrome_is_not_indexed_and_metadata_and_filters_are() {
    let site = search_site();
    let built = model_with_search(site.root());
    let page = built
        .files
        .iter()
        .find(|f| f.path == "notities/alfa/index.html")
        .expect("alfa rendered");
    let html = String::from_utf8_lossy(&page.bytes);
    // The themed page does carry the chrome ...
    for chrome in [
        "Menuwoordje",
        "Sitetitelwoord",
        "Betapaginatitel",
        "Thuispaginawoord",
    ] {
        assert!(
            html.contains(chrome),
            "the rendered page lacks {chrome}: the test proves nothing"
        );
    }
    // ... but the page's index record holds only its content.
    let fragments = fragments(&built);
    let alfa = fragments
        .iter()
        .find(|f| f["url"] == "/notities/alfa/")
        .expect("alfa indexed");
    let content = alfa["content"].as_str().unwrap();
    assert!(
        content.contains("Inhoudswoordalfa") && content.contains("geïnformeerd"),
        "{content}"
    );
    // Field values are searchable (a metadata field) but not text, so
    // they can never form an excerpt.
    assert!(
        !content.contains("Bemiddelaars"),
        "field values are not part of the text: {content}"
    );
    let index = read_back(&built);
    let velden = index
        .meta_fields
        .iter()
        .position(|f| f == kennisbank::search::FACTS)
        .expect("the field-values field") as u16;
    let alfa_page = index
        .pages
        .iter()
        .position(|p| p.fragment["url"] == "/notities/alfa/")
        .unwrap();
    let key = kennisbank::search::word_keys("Bemiddelaars", true)
        .unwrap()
        .key;
    assert!(
        index.words[&key]
            .iter()
            .any(|h| h.page == alfa_page && h.meta.iter().any(|m| m.0 == velden)),
        "{:?}",
        index.words.get(&key)
    );
    for chrome in [
        "Menuwoordje",
        "Sitetitelwoord",
        "Betapaginatitel",
        "Thuispaginawoord",
    ] {
        assert!(
            !content.contains(chrome),
            "chrome text {chrome:?} was indexed: {content}"
        );
    }
    assert_eq!(alfa["meta"]["title"], "Werkgever in de regio");
    assert_eq!(
        alfa["meta"]["description"],
        "Een pagina over één werkgever."
    );
    assert_eq!(alfa["meta"]["section"], "Notities");
    assert_eq!(alfa["meta"]["date"], "2024-03-01");
    assert_eq!(alfa["filters"]["soort"], json!(["notitie"]));
    assert_eq!(alfa["filters"]["thema"], json!(["arbeidsmarkt", "regio"]));
    // Only content pages: not the home page, sections or term lists.
    let indexed: BTreeSet<&str> = fragments
        .iter()
        .map(|f| f["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        indexed,
        BTreeSet::from(["/notities/alfa/", "/notities/beta/"])
    );

    let stats = built.report.search.expect("search stats");
    assert_eq!(stats.pages, 2);
    assert!(stats.words > 20, "{stats:?}");
}

#[test]
fn the_bundle_has_the_dutch_browser_files() {
    let site = search_site();
    let built = model_with_search(site.root());
    let names: BTreeSet<&str> = built
        .files
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| p.starts_with("pagefind/"))
        .collect();
    for want in [
        "pagefind/pagefind.js",
        "pagefind/pagefind-worker.js",
        "pagefind/pagefind-highlight.js",
        "pagefind/pagefind-entry.json",
        "pagefind/wasm.unknown.pagefind",
    ] {
        assert!(names.contains(want), "{want} missing from {names:?}");
    }
    let entry = built
        .files
        .iter()
        .find(|f| f.path == "pagefind/pagefind-entry.json")
        .unwrap();
    let entry: Value = serde_json::from_slice(&entry.bytes).unwrap();
    // No language WebAssembly: the browser must not stem, the keys are ours.
    assert_eq!(entry["languages"]["nl"]["wasm"], Value::Null, "{entry}");
    assert!(
        !names.iter().any(|n| n.starts_with("pagefind/wasm.nl")),
        "{names:?}"
    );
    assert_eq!(entry["languages"]["nl"]["page_count"], 2, "{entry}");
}

#[test]
fn query_cost_counts_what_the_browser_fetches() {
    let site = search_site();
    let dir = tempfile::tempdir().unwrap();
    build_with_binary(site.root(), dir.path(), None);
    let bundle_dir = dir.path().join("pagefind");
    let cost = bundle::query_cost(&bundle_dir, "werkgevers", 5).unwrap();
    let files: Vec<&str> = cost.files.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(cost.matches, 1, "{files:?}");
    // The default theme starts the worker itself: no pagefind.js.
    assert!(
        files.contains(&"../js/kb-pagefind.js")
            && files.contains(&"../js/kb-dutch.js")
            && files.contains(&"pagefind-worker.js")
            && !files.contains(&"pagefind.js")
            && files.contains(&"wasm.unknown.pagefind"),
        "{files:?}"
    );
    assert_eq!(
        files.iter().filter(|f| f.starts_with("fragment/")).count(),
        1,
        "{files:?}"
    );
    assert!(files.iter().any(|f| f.starts_with("index/")), "{files:?}");
    assert_eq!(cost.bytes, cost.files.iter().map(|(_, n)| n).sum::<u64>());
    let size = bundle::bundle_size(&bundle_dir).unwrap();
    assert!(
        size.bytes > cost.bytes && size.fragments > 0 && size.index > 0,
        "{size:?}"
    );
    // The search page counts with the facets, not Pagefind's filter files
    // (the bundle has both); the header box fetches neither.
    let header = kennisbank::search::query_cost_header(&bundle_dir, "werkgevers", 5).unwrap();
    let facets = |f: &str| f.starts_with("kb-facets.") && f.ends_with(".facets");
    assert_eq!(files.iter().filter(|f| facets(f)).count(), 1, "{files:?}");
    assert!(!files.iter().any(|f| f.starts_with("filter/")), "{files:?}");
    assert!(size.filters > 0, "the fixture has filters: {size:?}");
    // (and the entry once: the search page reads it again for the facets)
    let entry = |f: &str| f == "pagefind-entry.json";
    assert_eq!(files.iter().filter(|f| entry(f)).count(), 2, "{files:?}");
    let mut seen_entry = false;
    let mut again = |f: &str| entry(f) && std::mem::replace(&mut seen_entry, true);
    let without: Vec<&(String, u64)> = cost
        .files
        .iter()
        .filter(|(f, _)| !facets(f) && !again(f))
        .collect();
    assert_eq!(header.files.iter().collect::<Vec<_>>(), without);
    // Served gzipped, the JavaScript shrinks; the gzipped index does not grow.
    assert!(
        header.bytes_http_gzip < header.bytes && cost.bytes_http_gzip < cost.bytes,
        "{} of {}",
        header.bytes_http_gzip,
        header.bytes
    );
}

/// Prints the cost of a query on any built site, for benchmarks:
/// `KB_BUNDLE=<output>/pagefind KB_QUERY=begeleiding cargo test --test search -- --ignored --nocapture`
#[test]
#[ignore]
fn print_query_cost() {
    let dir =
        PathBuf::from(std::env::var("KB_BUNDLE").expect("set KB_BUNDLE to a pagefind/ folder"));
    let query = std::env::var("KB_QUERY").unwrap_or_else(|_| "begeleiding".into());
    let cost = bundle::query_cost(&dir, &query, 5).unwrap();
    for (f, n) in &cost.files {
        println!("{n:>9}  {f}");
    }
    println!(
        "{:>9}  total for {query:?} ({} matching pages)",
        cost.bytes, cost.matches
    );
    println!("{:?}", bundle::bundle_size(&dir).unwrap());
}

/// Pagefind numbers pages in the order it finds their records; that order
/// must not depend on which rendering thread finished first, or every build
/// of an unchanged site would change the index (and its cached files).
#[test]
fn the_index_is_the_same_on_every_build() {
    let index = || -> Vec<(String, Vec<u8>)> {
        model_with_search(&repo())
            .files
            .into_iter()
            .filter(|f| f.path.starts_with("pagefind/"))
            .map(|f| (f.path, f.bytes))
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_iter()
            .collect()
    };
    let first = index();
    assert!(first.len() > 10, "{} index files", first.len());
    // Before the fix one build in four came out different.
    for run in 1..10 {
        let again = index();
        let differ: Vec<&str> = first
            .iter()
            .zip(&again)
            .filter(|(a, b)| a != b)
            .map(|(a, _)| a.0.as_str())
            .collect();
        assert!(
            first.len() == again.len() && differ.is_empty(),
            "build {run} wrote another index: {} files vs {}, differing: {differ:?}",
            first.len(),
            again.len()
        );
    }
}

fn model_with_search(root: &Path) -> Built {
    let opts = BuildOptions {
        root: root.to_path_buf(),
        search: true,
        ..Default::default()
    };
    match build_in_memory(&opts) {
        Ok(b) => b,
        Err(e) => panic!("build failed: {:?}", e.diagnostics),
    }
}

fn fragments(built: &Built) -> Vec<Value> {
    built
        .files
        .iter()
        .filter(|f| f.path.starts_with("pagefind/fragment/"))
        .map(|f| bundle::fragment(&f.bytes).unwrap())
        .collect()
}

fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric())
        .any(|w| w.eq_ignore_ascii_case(word))
}

// ---- A small site with the default theme -------------------------------------------

/// Two pages in one section, sharing a theme term (so each page lists the
/// other as related), with words that occur only in the chrome: the site
/// title, a menu item, the home page title.
fn search_site() -> TestSite {
    let site = TestSite {
        dir: tempfile::tempdir().unwrap(),
    };
    common::copy_dir(
        &repo().join("themes/default"),
        &site.root().join("themes/default"),
    );
    site.write(
        "kennisbank.yaml",
        r#"title: "Sitetitelwoord"
description: "Een testsite."
language: nl
taxonomies:
  - name: thema
    title: Thema
menu:
  - title: Menuwoordje
    url: "@/notities/_index.md"
search:
  filters: [soort, thema]
"#,
    );
    site.write(
        "content/_index.md",
        "---\ntitle: Thuispaginawoord\n---\n\nWelkom.\n",
    );
    site.write(
        "content/notities/_index.md",
        "---\ntitle: Notities\nsoort: notitie\nschema:\n  betrokkenen: {type: list}\n---\n\nAlle notities.\n",
    );
    site.write(
        "content/notities/alfa.md",
        "---\ntitle: Werkgever in de regio\ndescription: Een pagina over één werkgever.\ndate: 2024-03-01\n\
         thema: [arbeidsmarkt, regio]\nbetrokkenen: [Bemiddelaars]\nweight: 1\n---\n\n\
         De werkgever is goed geïnformeerd over de regeling. Inhoudswoordalfa.\n\n\
         ## Tweede kop\n\nMeer tekst over de aanpak.\n",
    );
    site.write(
        "content/notities/beta.md",
        "---\ntitle: Betapaginatitel\nthema: [arbeidsmarkt]\nweight: 2\n---\n\n\
         Over studenten. Zie [alfa](@/notities/alfa.md).\n",
    );
    site
}

// ---- Our index writer, read back --------------------------------------------------

/// The fixture `tests/fixtures/search-index` with the default theme.
fn index_site() -> TestSite {
    let site = TestSite {
        dir: tempfile::tempdir().unwrap(),
    };
    common::copy_dir(&repo().join("tests/fixtures/search-index"), site.root());
    common::copy_dir(
        &repo().join("themes/default"),
        &site.root().join("themes/default"),
    );
    site
}

fn read_back(built: &Built) -> bundle::Index {
    let files: std::collections::BTreeMap<&str, &[u8]> = built
        .files
        .iter()
        .filter_map(|f| Some((f.path.strip_prefix("pagefind/")?, f.bytes.as_slice())))
        .collect();
    bundle::read_index(&|rel| {
        files
            .get(rel)
            .map(|b| b.to_vec())
            .ok_or_else(|| std::io::Error::other(format!("{rel} is not in the bundle")))
    })
    .expect("the index reads back")
}

/// The words a page's field values and terms consist of.
fn fact_words(site: &Site, id: usize) -> Vec<String> {
    let p = &site.pages[id];
    let mut out = Vec::new();
    for terms in p.taxonomies.values() {
        out.extend(terms.iter().cloned());
    }
    for v in p.fields.values() {
        out.extend(kennisbank::yaml::value_texts(v, "true", "false"));
    }
    out.iter()
        .flat_map(|v| v.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

#[test]
fn the_index_reads_back_as_the_model_says() {
    let site = index_site();
    let built = model_with_search(site.root());
    let model = &built.site;
    let index = read_back(&built);
    assert_eq!(index.version, "1.6.0");
    assert_eq!(index.language, "nl");
    assert_eq!(index.wasm, None, "the browser must not stem");

    // Every content page once, in URL order.
    let want: Vec<String> = {
        let mut v: Vec<String> = (0..model.pages.len())
            .map(|id| format!("/{}", model.pages[id].path))
            .collect();
        v.sort();
        v
    };
    let got: Vec<String> = index
        .pages
        .iter()
        .map(|p| p.fragment["url"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, want);
    assert!(want.len() >= 5, "the fixture has pages: {want:?}");

    // The search page's facets: the filters again, by page slot (its
    // fragment's name in base 36), and nothing else.
    let facets = index.facets.as_ref().expect("the entry names the facets");
    let slot_of = |n: usize| {
        let name = index.pages[n].hash.split('.').next().unwrap();
        usize::from_str_radix(name, 36).unwrap()
    };
    assert_eq!(facets.slots, index.pages.len());
    let by_slot: std::collections::BTreeMap<_, std::collections::BTreeMap<_, Vec<usize>>> = index
        .filters
        .iter()
        .map(|(f, values)| {
            let values = values
                .iter()
                .map(|(v, pages)| {
                    let mut slots: Vec<usize> = pages.iter().map(|&n| slot_of(n)).collect();
                    slots.sort();
                    (v.clone(), slots)
                })
                .collect();
            (f.clone(), values)
        })
        .collect();
    assert!(
        by_slot.values().map(|v| v.len()).sum::<usize>() >= 3,
        "the fixture has filter values: {by_slot:?}"
    );
    assert_eq!(facets.filters, by_slot);

    let field = |name: &str| index.meta_fields.iter().position(|f| f == name).unwrap() as u16;
    let (velden, title_field) = (field(kennisbank::search::FACTS), field("title"));
    let known = |k: &str| index.words.contains_key(k);
    for (n, page) in index.pages.iter().enumerate() {
        let url = page.fragment["url"].as_str().unwrap();
        let id = (0..model.pages.len())
            .find(|&id| format!("/{}", model.pages[id].path) == url)
            .unwrap();
        let p = &model.pages[id];
        let content = page.fragment["content"].as_str().unwrap();
        let words: Vec<&str> = content.split_whitespace().collect();
        // Ranking gets the count to five significant bits; the fragment has it exact.
        let exact = words.len() as f64;
        assert!(
            (f64::from(page.word_count) - exact).abs() <= exact * 0.031,
            "{url}: {} for {exact} words",
            page.word_count
        );
        assert_eq!(page.fragment["word_count"], words.len(), "{url}");

        // Result metadata and filters from the model.
        assert_eq!(
            page.fragment["meta"]["title"],
            p.meta.title.as_str(),
            "{url}"
        );
        assert_eq!(
            page.fragment["meta"]["description"].as_str(),
            p.meta.description.as_deref(),
            "{url}"
        );
        assert_eq!(
            page.fragment["meta"]["section"],
            model.sections[p.section].meta.title.as_str()
        );
        assert_eq!(
            page.fragment["meta"]["date"].as_str(),
            p.meta.date.map(|d| d.to_string()).as_deref()
        );
        for name in &model.config.search.filters {
            let values: Vec<String> = if name == "soort" {
                p.soort.iter().cloned().collect()
            } else if let Some(t) = p.taxonomies.get(name) {
                t.clone()
            } else {
                p.fields
                    .get(name)
                    .map(|v| kennisbank::yaml::value_texts(v, "true", "false"))
                    .unwrap_or_default()
            };
            for v in &values {
                assert!(
                    index.filters[name][v].contains(&n),
                    "{url}: filter {name}={v} misses the page"
                );
            }
            assert_eq!(
                page.fragment["filters"]
                    .get(name)
                    .cloned()
                    .unwrap_or(json!([])),
                json!(values),
                "{url}"
            );
        }

        // The text starts with the title, at the title's weight.
        let title_words: Vec<&str> = p.meta.title.split_whitespace().collect();
        // (a full stop ends the title's sentence, as Pagefind does for an h1)
        let key = |w: &str| kennisbank::search::word_keys(w, true).map(|k| k.key);
        let lead: Vec<_> = words[..title_words.len()].iter().map(|w| key(w)).collect();
        let want: Vec<_> = title_words.iter().map(|w| key(w)).collect();
        assert_eq!(lead, want, "{url}");
        for (i, w) in title_words.iter().enumerate() {
            let k = kennisbank::search::word_keys(w, true).unwrap();
            let hits = &index.words[&k.key];
            let hit = hits
                .iter()
                .find(|h| h.page == n && h.form == k.variant)
                .unwrap_or_else(|| panic!("{url}: title word {w} not indexed"));
            assert!(hit.locs.contains(&(i as u32, 250)), "{url}: {w} {hit:?}");
            assert!(hit.meta.iter().any(|m| m.0 == title_field), "{url}: {w}");
        }

        // Every word of the text is indexed at its position ...
        for (i, w) in words.iter().enumerate() {
            let Some(k) = kennisbank::search::word_keys(w, true) else {
                continue;
            };
            let hits = index
                .words
                .get(&k.key)
                .unwrap_or_else(|| panic!("{url}: {w:?} (key {}) is not in the index", k.key));
            assert!(
                hits.iter().any(|h| h.page == n
                    && h.form == k.variant
                    && h.locs.iter().any(|l| l.0 == i as u32)),
                "{url}: {w:?} at {i} missing: {hits:?}"
            );
        }
        // ... and every field value and term word as a field match.
        for w in fact_words(model, id) {
            let Some(k) = kennisbank::search::word_keys(&w, true) else {
                continue;
            };
            let hits = &index.words[&k.key];
            assert!(
                hits.iter()
                    .any(|h| h.page == n && h.meta.iter().any(|m| m.0 == velden)),
                "{url}: field value {w:?} is not searchable"
            );
        }

        // Headings are anchors at their first word.
        let anchors = page.fragment["anchors"].as_array().unwrap();
        let mut toc = Vec::new();
        fn walk<'a>(
            t: &'a [kennisbank::model::TocEntry],
            out: &mut Vec<&'a kennisbank::model::TocEntry>,
        ) {
            for e in t {
                out.push(e);
                walk(&e.children, out);
            }
        }
        walk(&p.rendered.toc, &mut toc);
        assert_eq!(anchors.len(), toc.len(), "{url}: {anchors:?}");
        for (a, e) in anchors.iter().zip(&toc) {
            assert_eq!(a["id"], e.id.as_str());
            assert_eq!(a["element"], format!("h{}", e.level));
            let at = a["location"].as_u64().unwrap() as usize;
            let first = e.title.split_whitespace().next().unwrap();
            assert_eq!(key(words[at]), key(first), "{url}: anchor {} at {at}", e.id);
            assert_eq!(a["text"], e.title.as_str(), "{url}");
        }
    }

    // Conversely, every position in the index is a word of that page whose
    // key (or a part's) is the indexed word.
    for (word, hits) in &index.words {
        for h in hits {
            let content = index.pages[h.page].fragment["content"].as_str().unwrap();
            let words: Vec<&str> = content.split_whitespace().collect();
            for &(pos, _) in &h.locs {
                let w = words.get(pos as usize).unwrap_or_else(|| {
                    panic!("{word}: position {pos} past the end of page {}", h.page)
                });
                let k = kennisbank::search::word_keys(w, true).unwrap();
                let compound = kennisbank::search::dutch::compound_parts(&k.key, &known);
                assert!(
                    k.key == *word || k.parts.contains(word) || compound.contains(word),
                    "{word} indexed at {pos} of page {}, which says {w:?}",
                    h.page
                );
            }
        }
    }
    // Chunks cover the words in order and their bounds hold them.
    let mut all = Vec::new();
    for (from, to, words) in &index.chunks {
        for w in words {
            assert!(w.as_str() >= from.as_str(), "{w} before chunk {from}..{to}");
            assert!(
                w.starts_with(to.as_str()) || w.as_str() <= to.as_str(),
                "{w} after {to}"
            );
        }
        all.extend(words.iter().cloned());
    }
    let mut sorted = all.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(all, sorted, "chunks hold each word once, in order");
}

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs Chromium, Java and tests/browser/node_modules: run scripts/test"
)]
fn excerpts_come_from_the_body_and_sub_results_link_to_headings() {
    let site = index_site();
    let built = model_with_search(site.root());
    let model = &built.site;
    let server = Server::start("/");
    let out = site.dir.path().join("public");
    build_with_binary(site.root(), &out, None);
    server.serve(&out);

    // Words that only occur in field values and terms, never in any text.
    let texts: String = fragments(&built)
        .iter()
        .map(|f| f["content"].as_str().unwrap().to_lowercase())
        .collect::<Vec<_>>()
        .join(" ");
    let mut only_fields: Vec<(String, String)> = Vec::new();
    for id in 0..model.pages.len() {
        for w in fact_words(model, id) {
            if w.chars().count() > 4 && !has_word(&texts, &w.to_lowercase()) {
                only_fields.push((w, format!("/{}", model.pages[id].path)));
            }
        }
    }
    assert!(
        only_fields.len() >= 8,
        "the fixture has field-only words: {only_fields:?}"
    );
    let mut queries: Vec<Value> = only_fields
        .iter()
        .map(|(w, _)| json!({"term": w}))
        .collect();
    for q in [
        "student",
        "werkvloer",
        "gemeente",
        "praktijkopleider",
        "stage",
    ] {
        queries.push(json!({"term": q}));
    }
    let seen = browse(
        &format!("{}/", server.origin()),
        &json!({ "queries": queries }),
    );
    assert_clean(&seen);

    // A field value finds its page ...
    for (w, url) in &only_fields {
        assert!(
            urls(engine(&seen, w)).contains(url),
            "{w:?} does not find {url}: {:?}",
            engine(&seen, w)
        );
    }
    // ... but no excerpt, of any result, shows a field value.
    for e in seen["engine"].as_array().unwrap() {
        for r in e["results"].as_array().unwrap() {
            let mut shown = vec![r["excerpt"].as_str().unwrap().to_string()];
            for s in r["sub_results"].as_array().unwrap() {
                shown.push(s["excerpt"].as_str().unwrap().to_string());
            }
            for text in shown {
                for (w, _) in &only_fields {
                    assert!(
                        !has_word(&text, w),
                        "{:?}: the excerpt {text:?} shows the field value {w:?}",
                        e["term"]
                    );
                }
            }
        }
    }
    // A body match under a heading gives a sub-result linking to it.
    let p = model
        .pages
        .iter()
        .find(|p| p.file.rel.ends_with("leerwerkplekken.md"))
        .unwrap();
    let heading = p
        .rendered
        .toc
        .iter()
        .find(|e| e.title == "Aanpak in de regio")
        .expect("the heading of the praktijkopleider paragraph");
    let hit = &engine(&seen, "praktijkopleider")["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["url"] == format!("/{}", p.path))
        .expect("leerwerkplekken found")["sub_results"];
    assert!(
        hit.as_array()
            .unwrap()
            .iter()
            .any(|s| s["url"] == format!("/{}#{}", p.path, heading.id)),
        "{hit}"
    );
    // A title match ranks above body matches.
    let titled: Vec<String> = model
        .pages
        .iter()
        .filter(|p| has_word(&p.meta.title.to_lowercase().replace('-', " "), "stage"))
        .map(|p| format!("/{}", p.path))
        .collect();
    assert_eq!(titled.len(), 1, "{titled:?}");
    let stage = urls(engine(&seen, "stage"));
    assert!(
        stage.len() > 1,
        "stage is in other pages' text too: {stage:?}"
    );
    assert_eq!(stage[0], titled[0], "{stage:?}");
}

/// `serve`'s index: a save re-analyses the saved page only and keeps the
/// chunk boundaries, so only the page's fragment, the chunks holding its
/// words and `pf_meta` change, and the result reads back the same as an
/// index made from scratch.
#[test]
fn live_index_rewrites_only_what_a_save_touches() {
    let site = index_site();
    // Enough pages for several word chunks: 150 more project pages, each
    // with words of its own.
    for i in 0..150 {
        site.write(
            &format!("content/projecten/project-{i}.md"),
            &format!(
                "---\ntitle: Project {i} in de regio\nstatus: [lopend]\ndoelgroep: [jongeren]\n---\n\n{}\n\n## Aanpak {i}\n\n{}\n",
                (0..60)
                    .map(|j| format!("werkafspraak{i}x{j} met de praktijkopleider over stage{j}."))
                    .collect::<Vec<_>>()
                    .join(" "),
                "De studenten en de school maken samen een plan. ".repeat(10)
            ),
        );
    }
    let built = model_with_search(site.root());
    let ids: Vec<usize> = (0..built.site.pages.len()).collect();
    let mut records = kennisbank::search::records(&built.site, &ids);
    let mut live = kennisbank::search::LiveIndex::default();
    let as_map = |files: Vec<kennisbank::render::OutputFile>| {
        files
            .into_iter()
            .map(|f| (f.path, f.bytes))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let first = as_map(live.update("nl", &records).unwrap().0);
    let chunks = first
        .keys()
        .filter(|p| p.starts_with("pagefind/index/"))
        .count();
    assert!(chunks >= 3, "{chunks} chunks: the test needs several");
    assert_eq!(
        as_map(live.update("nl", &records).unwrap().0),
        first,
        "nothing changed, nothing rewritten"
    );

    // A save: one page's body gains a sentence.
    let k = records
        .iter()
        .position(|r| r.url.ends_with("/taalcoaching/"))
        .unwrap();
    let mut body = (*records[k].body).clone();
    body.html = format!("{}<p>De taalcoach schrijft een verslag.</p>", body.html).into();
    records[k].body = std::sync::Arc::new(body);
    let after = as_map(live.update("nl", &records).unwrap().0);
    let changed: Vec<&String> = after
        .iter()
        .filter(|(p, b)| first.get(*p) != Some(*b))
        .map(|(p, _)| p)
        .collect();
    let kind = |prefix: &str| changed.iter().filter(|p| p.starts_with(prefix)).count();
    assert_eq!(kind("pagefind/fragment/"), 1, "{changed:?}");
    assert_eq!(kind("pagefind/pagefind."), 1, "the pf_meta: {changed:?}");
    let new_chunks = kind("pagefind/index/");
    assert!(
        new_chunks >= 1 && new_chunks < chunks,
        "{new_chunks} of {chunks} chunks rewritten: {changed:?}"
    );
    assert!(
        !changed.iter().any(|p| p.starts_with("pagefind/filter/")),
        "{changed:?}"
    );

    // The same index as one made from scratch, word for word.
    let read = |files: &std::collections::BTreeMap<String, Vec<u8>>| {
        bundle::read_index(&|rel| {
            files
                .get(&format!("pagefind/{rel}"))
                .cloned()
                .ok_or_else(|| std::io::Error::other(rel.to_string()))
        })
        .unwrap()
    };
    let fresh = as_map(kennisbank::search::index_records("nl", &records).unwrap().0);
    let (a, b) = (read(&after), read(&fresh));
    assert_eq!(a.words, b.words);
    assert_eq!(a.filters, b.filters);
    let frags = |i: &bundle::Index| {
        i.pages
            .iter()
            .map(|p| p.fragment.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(frags(&a), frags(&b));
    assert!(a.words.contains_key("verslag"), "the new word is indexed");
}
