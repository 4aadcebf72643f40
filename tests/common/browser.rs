//! The browser checks' runners shared by the test files: axe-core over a
//! built site in headless Chromium (`tests/browser/axe.mjs`).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::static_server::Server;

/// WCAG 2.0, 2.1 and 2.2, levels A and AA: what the Dutch public sector
/// must meet (EN 301 549 is 2.1 AA; NL Design System writes against 2.2).
pub const AXE_TAGS: &str = "wcag2a,wcag2aa,wcag21a,wcag21aa,wcag22aa";
pub const AXE_SCHEMES: &[&str] = &["light", "dark"];

pub fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

pub fn require_node_modules() {
    let nm = browser_dir().join("node_modules");
    for dep in ["axe-core", "playwright-core", "vnu-jar"] {
        assert!(
            nm.join(dep).is_dir(),
            "tests/browser/node_modules/{dep} is missing: run `npm ci --prefix tests/browser` first"
        );
    }
}

/// Runs axe with [`AXE_TAGS`] in both colour schemes on every URL path of
/// `paths` (a query string is allowed) of the build `public`, served on
/// 127.0.0.1; fails the test listing every violation. Returns axe's report.
pub fn axe(public: &Path, paths: &[String]) -> String {
    require_node_modules();
    assert!(!paths.is_empty(), "no pages to check");
    let list = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(list.path(), paths.join("\n")).unwrap();
    let server = Server::at(public.to_path_buf());
    let out = Command::new("node")
        .current_dir(browser_dir())
        .arg("axe.mjs")
        .arg(server.url())
        .arg(format!("@{}", list.path().display()))
        .env("AXE_TAGS", AXE_TAGS)
        .env("AXE_SCHEMES", AXE_SCHEMES.join(","))
        .output()
        .expect("run node (is Node.js installed?)");
    drop(server);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "axe found violations (or could not run):\n{stdout}\n{stderr}"
    );
    // Every page was checked in every scheme, not skipped.
    let checks = paths.len() * AXE_SCHEMES.len();
    assert!(
        stdout.contains(&format!("axe: {checks} page checks")),
        "expected {checks} page checks:\n{stdout}"
    );
    stdout
}
