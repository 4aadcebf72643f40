//! Accessibility, HTML validity and self-containment of the bundled site.
//!
//! Builds the repository's own site with the real binary, serves it on
//! 127.0.0.1 with a tiny static server, and runs:
//! - axe-core (WCAG 2.0/2.1/2.2 A + AA, light and dark scheme) on every HTML
//!   page and on the search page with results (`common::browser::axe`),
//! - the search page itself: results for `?q=taal`, filters kept in the URL,
//!   "nothing found", highlighting on the result page, `<noscript>`
//!   (`tests/browser/search.mjs`),
//! - the Nu HTML Checker (vnu) over the whole output, errors only,
//! - a scan that no page, stylesheet or script loads anything from another
//!   origin (only `<a href>` may point elsewhere).
//!
//! The browser checks need `npm ci --prefix tests/browser` (axe-core,
//! playwright-core, vnu-jar), Debian's `/usr/bin/chromium` and a Java runtime.
//! When one is missing the tests fail with the command that fixes it.

mod common;

use common::browser::{browser_dir, require_node_modules};
use common::static_server::Server;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The site, built once per test binary.
struct Built {
    public: PathBuf,
}

/// Into cargo's per-target scratch space, replaced on each run: a `TempDir`
/// in a static is never dropped, and left a built site in /tmp per run.
fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let public = Path::new(env!("CARGO_TARGET_TMPDIR")).join("a11y-site");
        let _ = std::fs::remove_dir_all(&public);
        let out = Command::new(env!("CARGO_BIN_EXE_kennisbank"))
            .arg("build")
            .arg("--root")
            .arg(repo())
            .arg("--output")
            .arg(&public)
            .output()
            .expect("run kennisbank build");
        assert!(
            out.status.success(),
            "kennisbank build failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Built { public }
    })
}

fn files_with_ext(root: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read output dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| exts.contains(&e))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// URL paths of every HTML page in the output ("/", "/pilots/x/", "/404.html").
fn html_paths(public: &Path) -> Vec<String> {
    files_with_ext(public, &["html"])
        .iter()
        .map(|p| {
            let rel = p
                .strip_prefix(public)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            match rel.strip_suffix("index.html") {
                Some(dir) => format!("/{dir}"),
                None => format!("/{rel}"),
            }
        })
        .collect()
}

// ---- axe ------------------------------------------------------------------------

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs Chromium, Java and tests/browser/node_modules: run scripts/test"
)]
fn axe_finds_no_violations_on_any_page() {
    let site = built();
    let mut paths = html_paths(&site.public);
    assert!(
        paths.len() > 5,
        "expected a real site, found only {paths:?}"
    );
    // The search page with results, as a reader arriving from the header form.
    paths.push("/zoeken/?q=taal".into());
    println!("{}", common::browser::axe(&site.public, &paths));
}

// ---- Search page -----------------------------------------------------------------

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs Chromium, Java and tests/browser/node_modules: run scripts/test"
)]
fn search_page_finds_filters_and_highlights() {
    require_node_modules();
    let site = built();
    assert!(
        site.public.join("pagefind/pagefind.js").is_file(),
        "the build wrote no pagefind/pagefind.js: the search page cannot work"
    );
    let server = Server::at(site.public.clone());
    let out = Command::new("node")
        .current_dir(browser_dir())
        .arg("search.mjs")
        .arg(server.url())
        .arg("taal")
        .output()
        .expect("run node (is Node.js installed?)");
    drop(server);
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "search page checks failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---- vnu --------------------------------------------------------------------------

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs Chromium, Java and tests/browser/node_modules: run scripts/test"
)]
fn every_page_is_valid_html() {
    require_node_modules();
    let site = built();
    let jar = browser_dir().join("node_modules/vnu-jar/build/dist/vnu.jar");
    let out = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--errors-only", "--skip-non-html"])
        .arg(&site.public)
        .output()
        .expect("run java (install a Java runtime: apt-get install default-jre-headless)");
    let report = String::from_utf8_lossy(&out.stderr)
        .replace(&format!("file:{}", site.public.display()), "");
    assert!(
        out.status.success(),
        "vnu found errors:\n{report}{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

// ---- No other origins -----------------------------------------------------------

/// Decode the HTML character references Tera's escaping produces (`&#x2F;` …).
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
            } else if let Some(dec) = name.strip_prefix('#') {
                dec.parse().ok().and_then(char::from_u32)
            } else {
                match name {
                    "amp" => Some('&'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "sol" => Some('/'),
                    "colon" => Some(':'),
                    _ => None,
                }
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A URL that leaves the site: a scheme other than a same-document one, or `//host`.
fn is_foreign(url: &str) -> bool {
    let u = url.trim().to_ascii_lowercase();
    u.starts_with("//")
        || u.starts_with("\\\\")
        || (u.contains(':')
            && !u.starts_with("data:")
            && !u.starts_with("mailto:")
            && !u.starts_with("tel:")
            && !u.starts_with("javascript:")
            && !u.starts_with('/')
            && !u.starts_with('#')
            && !u.starts_with('?')
            && u.split(':').next().is_some_and(|s| {
                s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
            }))
}

/// Foreign `url(...)` and `@import` references in CSS text.
fn css_problems(css: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let lower = css.to_ascii_lowercase();
    for (i, _) in lower.match_indices("url(") {
        let arg = &css[i + 4..];
        let end = arg.find(')').unwrap_or(arg.len());
        let target = arg[..end].trim().trim_matches(['"', '\'']);
        if is_foreign(target) {
            problems.push(format!("url({target})"));
        }
    }
    for (i, _) in lower.match_indices("@import") {
        let arg = css[i + 7..].trim_start();
        let arg = arg.strip_prefix("url(").unwrap_or(arg);
        let target: String = arg
            .trim_start_matches(['"', '\''])
            .chars()
            .take_while(|c| !"\"') ;".contains(*c))
            .collect();
        if is_foreign(&target) {
            problems.push(format!("@import {target}"));
        }
    }
    problems
}

/// Foreign loads in JavaScript: fetch/import/importScripts/Worker/EventSource/
/// WebSocket/sendBeacon with a literal absolute URL, or a static `from "http…"`.
fn js_problems(js: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let calls = [
        "fetch(",
        "import(",
        "importScripts(",
        "Worker(",
        "EventSource(",
        "WebSocket(",
        "sendBeacon(",
        "open(",
    ];
    for call in calls {
        for (i, _) in js.match_indices(call) {
            let arg = js[i + call.len()..].trim_start();
            let arg = if call == "open(" || call == "sendBeacon(" {
                // xhr.open("GET", url) / navigator.sendBeacon(url): look at every literal argument.
                arg.split(')').next().unwrap_or("")
            } else {
                arg
            };
            for quote in ['"', '\'', '`'] {
                if let Some(lit) = arg.strip_prefix(quote).and_then(|a| a.split(quote).next()) {
                    if is_foreign(lit) && lit.contains("//") {
                        problems.push(format!("{call}{lit}"));
                    }
                }
            }
            if call == "open(" || call == "sendBeacon(" {
                for part in arg.split(',') {
                    let lit = part.trim().trim_matches(['"', '\'', '`']);
                    if lit.contains("//") && is_foreign(lit) {
                        problems.push(format!("{call}{lit}"));
                    }
                }
            }
        }
    }
    for pat in ["from \"", "from '", "import \"", "import '"] {
        for (i, _) in js.match_indices(pat) {
            let lit: String = js[i + pat.len()..]
                .chars()
                .take_while(|c| *c != '"' && *c != '\'')
                .collect();
            if is_foreign(&lit) {
                problems.push(format!("{pat}{lit}"));
            }
        }
    }
    problems
}

/// Every reference in an HTML document that would load or submit to another
/// origin. Only `<a href>` (and `<area href>`) may point elsewhere.
fn html_problems(html: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt + 1..];
        if let Some(after) = rest.strip_prefix("!--") {
            rest = after.find("-->").map(|e| &after[e + 3..]).unwrap_or("");
            continue;
        }
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len());
        if name_len == 0 {
            continue;
        }
        let tag = rest[..name_len].to_ascii_lowercase();
        // Attributes up to the end of the tag (quotes respected).
        let bytes = rest.as_bytes();
        let mut i = name_len;
        let mut quote = None;
        while i < bytes.len() {
            match (quote, bytes[i]) {
                (None, b'>') => break,
                (None, q @ (b'"' | b'\'')) => quote = Some(q),
                (Some(q), c) if c == q => quote = None,
                _ => {}
            }
            i += 1;
        }
        let attrs = &rest[name_len..i.min(rest.len())];
        rest = &rest[(i + 1).min(rest.len())..];
        for (name, value) in parse_attrs(attrs) {
            let value = decode_entities(&value);
            let link_ok = (tag == "a" || tag == "area") && name == "href";
            let url_attrs = [
                "href",
                "src",
                "srcset",
                "action",
                "formaction",
                "poster",
                "data",
                "background",
                "cite",
                "longdesc",
                "manifest",
                "ping",
                "xlink:href",
                "content",
            ];
            if name == "style" {
                problems.extend(
                    css_problems(&value)
                        .into_iter()
                        .map(|p| format!("<{tag} style> {p}")),
                );
            } else if name == "srcset" {
                for candidate in value.split(',') {
                    let url = candidate.split_whitespace().next().unwrap_or("");
                    if is_foreign(url) {
                        problems.push(format!("<{tag} srcset> {url}"));
                    }
                }
            } else if name == "content" {
                // <meta http-equiv="refresh" content="0; url=…">
                if tag == "meta" {
                    if let Some(u) = value.to_ascii_lowercase().split("url=").nth(1) {
                        if is_foreign(u) {
                            problems.push(format!("<meta content> {u}"));
                        }
                    }
                }
            } else if url_attrs.contains(&name.as_str()) && !link_ok && is_foreign(&value) {
                problems.push(format!("<{tag} {name}> {value}"));
            }
        }
        if tag == "style" || tag == "script" {
            let close = format!("</{tag}");
            let end = rest.to_ascii_lowercase().find(&close).unwrap_or(rest.len());
            let body = &rest[..end];
            if tag == "style" {
                problems.extend(
                    css_problems(body)
                        .into_iter()
                        .map(|p| format!("<style> {p}")),
                );
            } else {
                problems.extend(
                    js_problems(body)
                        .into_iter()
                        .map(|p| format!("<script> {p}")),
                );
            }
            rest = &rest[end..];
        }
    }
    problems
}

fn parse_attrs(s: &str) -> Vec<(String, String)> {
    let mut attrs = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        if start == i {
            i += 1;
            continue;
        }
        let name = s[start..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let vstart = i + 1;
                i = vstart;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
                value = s[vstart..i.min(b.len())].to_string();
                i += 1;
            } else {
                let vstart = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = s[vstart..i].to_string();
            }
        }
        attrs.push((name, value));
    }
    attrs
}

#[test]
fn origin_checker_flags_foreign_loads_and_allows_links() {
    let ok = r#"<a href="https://www.rijksoverheid.nl/">Kamerbrief</a><link rel="stylesheet" href="&#x2F;css&#x2F;site.css">
        <img src="/img/a.png" alt=""><script>import("/pagefind/pagefind.js"); fetch(base + "x")</script>
        <div style="background:url(/a.png)"></div><a href="mailto:a@b.nl">mail</a>"#;
    assert_eq!(html_problems(ok), Vec::<String>::new());
    let bad = [
        r#"<link rel="stylesheet" href="https://fonts.example/x.css">"#,
        r#"<link rel="preconnect" href="&#x2F;&#x2F;cdn.example">"#,
        r#"<script src="//cdn.example/x.js"></script>"#,
        r#"<img src="http://example.org/a.png" alt="">"#,
        r#"<img srcset="/a.png 1x, https://x.example/b.png 2x" alt="">"#,
        r#"<form action="https://x.example/"></form>"#,
        r#"<iframe src="https://x.example/"></iframe>"#,
        r#"<style>@import url("https://x.example/a.css");</style>"#,
        r#"<p style="background:url('//x.example/a.png')"></p>"#,
        r#"<script>fetch("https://tracker.example/p")</script>"#,
        r#"<meta http-equiv="refresh" content="0; url=https://x.example/">"#,
    ];
    for b in bad {
        assert!(!html_problems(b).is_empty(), "not flagged: {b}");
    }
    assert!(!css_problems("@import 'https://x.example/a.css';").is_empty());
    assert!(!js_problems("import x from \"https://x.example/m.js\"").is_empty());
}

#[test]
fn no_page_loads_anything_from_another_origin() {
    let site = built();
    let mut problems = Vec::new();
    for file in files_with_ext(&site.public, &["html", "css", "js", "mjs"]) {
        let mut text = String::new();
        std::fs::File::open(&file)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap_or_default();
        let rel = file
            .strip_prefix(&site.public)
            .unwrap()
            .display()
            .to_string();
        let found = match file.extension().and_then(|e| e.to_str()) {
            Some("html") => html_problems(&text),
            Some("css") => css_problems(&text),
            _ => js_problems(&text),
        };
        problems.extend(found.into_iter().map(|p| format!("{rel}: {p}")));
    }
    assert!(
        problems.is_empty(),
        "references to other origins:\n{}",
        problems.join("\n")
    );
}

#[test]
fn theme_css_and_js_fit_the_size_budget() {
    // What every page loads, the default theme's CSS and JS: under 60 KB. The
    // search page's script and the modules the header box imports on the first
    // search are left out: kb-bench's bytes per query counts those.
    let on_demand = ["search.js", "kb-dutch.js", "kb-pagefind.js"];
    let templates = repo().join("themes/default/templates");
    for t in files_with_ext(&templates, &["html"]) {
        let text = std::fs::read_to_string(&t).unwrap();
        for line in text.lines().filter(|l| l.contains("<script")) {
            for module in &on_demand[1..] {
                assert!(
                    !line.contains(module),
                    "{} loads {module} on every page: count it in the budget",
                    t.display()
                );
            }
        }
    }
    let root = repo().join("themes/default/static");
    let total: u64 = files_with_ext(&root, &["css", "js"])
        .iter()
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !on_demand.contains(&name)
        })
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert!(
        total < 60 * 1024,
        "theme CSS+JS is {total} bytes, budget 61440"
    );
}
