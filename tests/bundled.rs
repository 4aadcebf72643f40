//! The bundled VIA site: builds cleanly, every page is reachable from the home
//! page within three clicks, and every typed relation shows on both ends.

mod common;

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;

fn build_bundled() -> tempfile::TempDir {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let run = std::process::Command::new(common::bin())
        .args(["build", "--no-search", "--root"])
        .arg(repo)
        .arg("--output")
        .arg(out.path().join("public"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let config = std::fs::read_to_string(repo.join("kennisbank.yaml")).unwrap();
    let rest = common::without_placeholder_contact_warning(&stderr, &config);
    assert!(
        rest.trim().is_empty(),
        "the bundled site must build without warnings (but the placeholder contact):\n{stderr}"
    );
    out
}

/// Site-internal hrefs of an HTML page, as output paths of folders (`pilots/x/`).
fn links(html: &str) -> Vec<String> {
    html.match_indices("href=\"/")
        .filter_map(|(i, _)| {
            let rest = &html[i + 7..];
            let end = rest.find('"')?;
            let url = rest[..end].split(['#', '?']).next()?.to_string();
            Some(url)
        })
        .collect()
}

fn content_pages(repo: &Path) -> Vec<String> {
    walkdir::WalkDir::new(repo.join("content"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(repo.join("content"))
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let rel = rel.trim_end_matches(".md");
            let rel = rel
                .strip_suffix("_index")
                .or_else(|| rel.strip_suffix("/index"))
                .unwrap_or(rel);
            if rel.is_empty() || rel.ends_with('/') {
                rel.to_string()
            } else {
                format!("{rel}/")
            }
        })
        .collect()
}

#[test]
fn every_page_is_reachable_from_home_within_three_clicks() {
    let out = build_bundled();
    let public = out.path().join("public");
    let read = |url: &str| std::fs::read_to_string(public.join(url).join("index.html")).ok();
    let mut depth: HashMap<String, usize> = HashMap::new();
    let mut queue = VecDeque::from([(String::new(), 0)]);
    depth.insert(String::new(), 0);
    while let Some((url, d)) = queue.pop_front() {
        if d == 3 {
            continue;
        }
        let Some(html) = read(&url) else { continue };
        for link in links(&html) {
            if !depth.contains_key(&link) {
                depth.insert(link.clone(), d + 1);
                queue.push_back((link, d + 1));
            }
        }
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pages = content_pages(repo);
    assert!(
        pages.len() >= 27,
        "expected the bundled content, found {}",
        pages.len()
    );
    let missing: Vec<&String> = pages.iter().filter(|p| !depth.contains_key(*p)).collect();
    assert!(
        missing.is_empty(),
        "not reachable within three clicks: {missing:?}"
    );
}

#[test]
fn every_relation_is_shown_on_both_ends() {
    let out = build_bundled();
    let public = out.path().join("public");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let relation_keys = ["pilots", "conclusies", "praktijken"];
    let mut checked = 0;
    for page in content_pages(repo) {
        let file = if page.is_empty() {
            continue;
        } else {
            repo.join("content")
                .join(format!("{}.md", page.trim_end_matches('/')))
        };
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let front = text.split("---").nth(1).unwrap_or("");
        for key in relation_keys {
            let Some(line) = front.lines().find(|l| l.starts_with(&format!("{key}:"))) else {
                continue;
            };
            let targets: HashSet<&str> = line[key.len() + 1..]
                .trim()
                .trim_matches(['[', ']'])
                .split(',')
                .map(|s| s.trim().trim_matches('"'))
                .filter(|s| !s.is_empty())
                .collect();
            let source_html =
                std::fs::read_to_string(public.join(&page).join("index.html")).unwrap();
            for t in targets {
                let target_url = format!("/{key}/{t}/");
                assert!(
                    source_html.contains(&format!("href=\"{target_url}\"")),
                    "{page} does not show its relation to {target_url}"
                );
                let target_html =
                    std::fs::read_to_string(public.join(key).join(t).join("index.html")).unwrap();
                assert!(
                    target_html.contains(&format!("href=\"/{page}\"")),
                    "{target_url} does not show the incoming relation from /{page}"
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 5,
        "only {checked} relations found in the bundled content"
    );
}
