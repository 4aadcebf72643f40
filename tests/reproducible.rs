//! Reproducible output: the same sources give the same bytes on any day and
//! by either build path (on disk or in memory), search index included.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kennisbank::site::{build_in_memory, BuildOptions};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Builds the bundled site with search into `out`, with extra environment.
fn build_to(out: &Path, env: &[(&str, &str)]) {
    let mut cmd = std::process::Command::new(common::bin());
    cmd.args(["build", "--root"])
        .arg(repo())
        .arg("--output")
        .arg(out)
        .env_remove("SOURCE_DATE_EPOCH");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let run = cmd.output().unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Every output file but the build's own marker, by path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    common::snapshot_tree(dir)
        .into_iter()
        .filter(|(p, _)| p != ".kennisbank-output")
        .collect()
}

/// The newest `date:` or `updated:` value in the bundled content's front matter.
fn newest_content_date() -> String {
    let mut newest = String::new();
    for entry in walkdir::WalkDir::new(repo().join("content")) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let front = text
            .strip_prefix("---\n")
            .and_then(|t| t.split("\n---").next())
            .unwrap_or("");
        for line in front.lines() {
            for key in ["date:", "updated:"] {
                if let Some(v) = line.strip_prefix(key) {
                    let v = v.trim().trim_matches('"').to_string();
                    if v > newest {
                        newest = v;
                    }
                }
            }
        }
    }
    assert!(!newest.is_empty(), "the bundled content has dates");
    newest
}

fn footer_date(html: &str) -> &str {
    let at = html
        .find("class=\"footer-build\"")
        .expect("the footer shows the build date");
    let rest = &html[at..];
    let start = rest.find("datetime=\"").unwrap() + "datetime=\"".len();
    let len = rest[start..].find('"').unwrap();
    &rest[start..start + len]
}

#[test]
fn the_footer_date_is_the_newest_content_date_or_source_date_epoch() {
    let dir = tempfile::tempdir().unwrap();
    build_to(&dir.path().join("a"), &[]);
    let home = std::fs::read_to_string(dir.path().join("a/index.html")).unwrap();
    assert_eq!(footer_date(&home), newest_content_date());

    // 2001-09-09T01:46:40Z
    build_to(
        &dir.path().join("b"),
        &[("SOURCE_DATE_EPOCH", "1000000000")],
    );
    let home = std::fs::read_to_string(dir.path().join("b/index.html")).unwrap();
    assert_eq!(footer_date(&home), "2001-09-09");
}

#[test]
fn two_builds_are_byte_identical_and_equal_build_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    build_to(&a, &[]);
    // A different time zone must not matter either.
    build_to(&b, &[("TZ", "Pacific/Kiritimati")]);
    let disk = tree(&a);
    assert!(
        disk.keys().any(|p| p.starts_with("pagefind/")),
        "the search index is part of the comparison"
    );
    assert_eq!(
        disk.keys().collect::<Vec<_>>(),
        tree(&b).keys().collect::<Vec<_>>()
    );
    for (path, bytes) in tree(&b) {
        assert!(disk[&path] == bytes, "{path} differs between two builds");
    }

    let built = build_in_memory(&BuildOptions {
        root: repo().to_path_buf(),
        output: Some(PathBuf::from(&a)),
        base_url: None,
        drafts: false,
        theme: None,
        search: true,
        ..BuildOptions::default()
    })
    .unwrap_or_else(|e| panic!("{e:?}"));
    let mut memory: BTreeMap<String, Vec<u8>> =
        built.files.into_iter().map(|f| (f.path, f.bytes)).collect();
    for asset in &built.site.assets {
        memory.insert(asset.dest.clone(), asset.read().unwrap().into_owned());
    }
    let only_disk: Vec<_> = disk.keys().filter(|p| !memory.contains_key(*p)).collect();
    let only_memory: Vec<_> = memory.keys().filter(|p| !disk.contains_key(*p)).collect();
    assert!(
        only_disk.is_empty() && only_memory.is_empty(),
        "only on disk: {only_disk:?}\nonly in memory: {only_memory:?}"
    );
    for (path, bytes) in &memory {
        assert!(
            disk[path] == *bytes,
            "{path}: build and build_in_memory differ"
        );
    }
}
