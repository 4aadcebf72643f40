//! The header's search as you type and the judged query set.
//!
//! - Chromium (`tests/browser/header-search.mjs`): the dropdown on a content
//!   page of the bundled site, at the root and under a sub-path: options,
//!   arrow keys moving aria-activedescendant, Enter, Esc, `/`, the count in
//!   the live region, and the form without JavaScript.
//! - The query set (`bench/search-quality/queries.yaml`) parses, and every
//!   page a judgment names exists in the site it is judged on, so judgments
//!   cannot silently rot when a page is renamed.

mod common;

// The query set's parser, shared with kb-bench.
#[allow(dead_code)]
#[path = "../src/bin/kb-bench/quality.rs"]
mod quality;

use common::static_server::Server;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kennisbank::site::{build_in_memory, BuildOptions, Built};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn model(root: &Path) -> Built {
    let opts = BuildOptions {
        root: root.to_path_buf(),
        ..Default::default()
    };
    build_in_memory(&opts).unwrap_or_else(|e| {
        panic!(
            "{} kan niet gebouwd worden: {:?}",
            root.display(),
            e.diagnostics
        )
    })
}

#[test]
fn the_query_set_parses_and_every_judged_page_exists() {
    let file = repo().join("bench/search-quality/queries.yaml");
    let set = quality::QuerySet::load(&file).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        set.queries.len() >= 40,
        "the issue asks for at least 40 queries, there are {}",
        set.queries.len()
    );
    let scratch = tempfile::tempdir().unwrap();
    for (name, rel) in &set.sites {
        assert!(
            set.queries.iter().any(|q| &q.site == name),
            "site {name} has no queries"
        );
        let root = quality::site_root(&repo(), rel, scratch.path()).unwrap();
        let built = model(&root);
        let pages: BTreeSet<&str> = built
            .site
            .pages
            .iter()
            .map(|p| p.file.rel.as_str())
            .collect();
        let gone: Vec<&str> = set
            .judged_pages(name)
            .into_iter()
            .filter(|p| !pages.contains(p))
            .collect();
        assert!(
            gone.is_empty(),
            "{}: site {name} has no page {gone:?}",
            file.display()
        );
    }
}

/// Builds the bundled site for `prefix`, serves it, and runs the dropdown
/// checks on a pilot page with a query whose expected result comes from the
/// model (the page whose title has the word).
fn check_header_search(prefix: &str) {
    let dep = repo().join("tests/browser/node_modules/playwright-core");
    assert!(
        dep.is_dir(),
        "{} is missing: run `npm ci --prefix tests/browser`",
        dep.display()
    );
    let built = model(&repo());
    let query = "begeleiding";
    let expected = built
        .site
        .pages
        .iter()
        .find(|p| p.file.rel.starts_with("pilots/") && p.meta.title.to_lowercase().contains(query))
        .map(|p| format!("/{}", p.path))
        .expect("a pilot with begeleiding in its title");
    let page = built
        .site
        .pages
        .iter()
        .find(|p| p.file.rel.starts_with("conclusies/"))
        .map(|p| p.path.clone())
        .expect("a conclusion page");

    let server = Server::start(prefix);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kennisbank"));
    cmd.args(["build", "--root"])
        .arg(repo())
        .arg("--output")
        .arg(&out);
    if prefix != "/" {
        cmd.arg("--base-url")
            .arg(format!("{}{prefix}", server.origin()));
    }
    let run = cmd.output().unwrap();
    assert!(
        run.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    server.serve(&out);
    let site_url = format!("{}{prefix}", server.origin());

    let mut child = Command::new("node")
        .current_dir(repo().join("tests/browser"))
        .args(["header-search.mjs", &site_url, &page, query, &expected])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("header-search.mjs took more than two minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("all checks passed"),
        "header search under {prefix}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs Chromium, Java and tests/browser/node_modules: run scripts/test"
)]
fn header_search_as_you_type_at_the_root() {
    check_header_search("/");
}

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs Chromium, Java and tests/browser/node_modules: run scripts/test"
)]
fn header_search_as_you_type_under_a_sub_path() {
    check_header_search("/kennisbank/");
}

#[test]
fn both_search_forms_load_the_analyser_and_the_client_by_their_fingerprinted_urls() {
    // A cached kb-dutch.js of an older build would make keys the index no
    // longer has: the forms name it with asset()'s content hash.
    let built = model(&repo());
    let html = |path: &str| {
        let f = built
            .files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("no {path}"));
        String::from_utf8_lossy(&f.bytes).into_owned()
    };
    // So is the client that speaks to Pagefind's worker (kb-pagefind.js).
    for path in ["programma-via/index.html", "zoeken/index.html"] {
        let page = html(path);
        for (attr, file) in [
            ("data-analyser", "/js/kb-dutch.js?h="),
            ("data-client", "/js/kb-pagefind.js?h="),
        ] {
            let at = page
                .find(&format!("{attr}=\""))
                .unwrap_or_else(|| panic!("{path}: no {attr}"));
            let url = &page[at + attr.len() + 2..];
            let url = &url[..url.find('"').unwrap()];
            assert!(url.starts_with(file), "{path}: {url}");
        }
    }
}
