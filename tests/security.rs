//! Security: Markdown from any contributor never runs script in a reader's
//! browser (issue 17).
//!
//! - `tests/fixtures/hostile/` holds one hostile input per page, written
//!   from the well-known XSS filter-evasion patterns; each page says in
//!   `extra.verwacht` whether the build must refuse it (`geweigerd`, or
//!   `geweigerd-sanitized` for URLs in raw HTML that `false` shows as
//!   text). With `markdown.raw_html: false` and `sanitized`, `check` must
//!   refuse exactly those, naming file and line; the rest builds, and
//!   headless Chromium (`tests/browser/csp.mjs`) loads every page under the
//!   strict CSP and without any: no dialog, no `window.__pwned`, no CSP
//!   violation, nothing script-like left in the DOM.
//! - Every page of the bundled site and of `kennisbank init`'s starter site
//!   (and any site added to [`STRICT_CSP_SITES`]) runs under the strict
//!   policy with zero violations, and its search still finds pages there.
//! - `serve` works under the policy too: its overlay and writing panel are
//!   styled from a served file, with no violation (`serve-csp.mjs`).
//! - Snapshots of what `sanitized` keeps; config and security.txt checks.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::static_server::Server;
use common::{copy_dir, fixture_dir};
use kennisbank::markdown::{self, RenderOptions, Resolution};
use kennisbank::model::Target;
use kennisbank::safety::{self, RawHtml, STRICT_CSP};
use serde_json::{json, Value};

/// A site checked page by page under [`STRICT_CSP`].
enum CspSite {
    /// A folder relative to the repository.
    Repo(&'static str),
    /// What `kennisbank init` writes, with `security.csp: true` added (so
    /// the build puts the policy in every page as a `<meta>` as well).
    Init,
}

/// Sites checked page by page under [`STRICT_CSP`], each with a search term
/// that must find something there.
const STRICT_CSP_SITES: &[(CspSite, &str)] =
    &[(CspSite::Repo("."), "taal"), (CspSite::Init, "artikel")];

/// A new site written by the real binary's `init` into `parent/kb`.
fn init_site(parent: &Path) -> PathBuf {
    let out = Command::new(common::bin())
        .current_dir(parent)
        .args(["init", "kb"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "init failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    parent.join("kb")
}

/// Turns the strict policy on in a site's kennisbank.yaml.
fn with_csp_meta(root: &Path) {
    let cfg = root.join("kennisbank.yaml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(!text.contains("\nsecurity:"), "{text}");
    std::fs::write(&cfg, format!("{text}\nsecurity:\n  csp: true\n")).unwrap();
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the hostile fixture with `markdown.raw_html: <level>`.
fn hostile(level: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture_dir("hostile"), dir.path());
    copy_dir(
        &repo().join("themes/default"),
        &dir.path().join("themes/default"),
    );
    let cfg = dir.path().join("kennisbank.yaml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(text.contains("raw_html: false"), "fixture config changed");
    std::fs::write(
        &cfg,
        text.replace("raw_html: false", &format!("raw_html: {level}")),
    )
    .unwrap();
    dir
}

/// `content/…` path → `extra.verwacht` of every hostile page.
fn expectations(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root.join("content")) {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".md") || name == "_index.md" {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        let front = text.split("---\n").nth(1).expect("front matter");
        let yaml: serde_yaml::Value = serde_yaml::from_str(front).unwrap();
        let verwacht = yaml["extra"]["verwacht"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no extra.verwacht"))
            .to_string();
        let rel = e.path().strip_prefix(root).unwrap().display().to_string();
        out.insert(rel, verwacht);
    }
    out
}

/// One located error line of the CLI's output.
#[derive(Debug)]
struct Reported {
    file: String,
    line: usize,
    message: String,
}

fn run(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new(common::bin())
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap()
}

/// Every `file:line[:col]: fout: …` the command printed; panics on an
/// error without a line.
fn errors_of(out: &std::process::Output) -> Vec<Reported> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut found = Vec::new();
    for l in stderr.lines() {
        let Some((loc, message)) = l.split_once(": fout: ") else {
            continue;
        };
        let mut parts = loc.split(':');
        let file = parts.next().unwrap().to_string();
        let line = parts
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("error without a line: {l}"));
        found.push(Reported {
            file,
            line,
            message: message.to_string(),
        });
    }
    found
}

/// Which pages `check` refuses at `level`, checked against the fixture's
/// expectations and for located, sensible lines. Returns the refused files.
fn refused_at(level: &str, root: &Path) -> BTreeSet<String> {
    let expect = expectations(root);
    assert!(
        expect.len() >= 60,
        "the hostile corpus has {} inputs",
        expect.len()
    );
    let out = run(root, &["check"]);
    assert!(!out.status.success(), "check accepted the hostile corpus");
    let errors = errors_of(&out);
    let refused: BTreeSet<String> = errors.iter().map(|e| e.file.clone()).collect();
    let want: BTreeSet<String> = expect
        .iter()
        .filter(|(_, v)| *v == "geweigerd" || (level == "sanitized" && *v == "geweigerd-sanitized"))
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(refused, want, "refused at raw_html: {level}");
    for e in &errors {
        let text = std::fs::read_to_string(root.join(&e.file)).unwrap();
        let line = text
            .lines()
            .nth(e.line - 1)
            .unwrap_or_else(|| panic!("{}:{} is past the end", e.file, e.line));
        // The line holds the input: not blank, not the fences or the intro.
        assert!(
            !line.trim().is_empty()
                && line != "---"
                && !line.starts_with("Een bijdrage die")
                && !line.starts_with("title:"),
            "{}:{} points at {line:?} for {}",
            e.file,
            e.line,
            e.message
        );
        assert!(
            e.message.contains("geweigerd") || e.message.contains("geen pad"),
            "not a refusal: {}",
            e.message
        );
    }
    refused
}

#[test]
fn hostile_inputs_are_refused_with_their_line_when_raw_html_is_off() {
    let site = hostile("false");
    refused_at("false", site.path());
}

#[test]
fn hostile_inputs_are_refused_with_their_line_when_raw_html_is_sanitized() {
    let site = hostile("sanitized");
    refused_at("sanitized", site.path());
}

#[test]
fn sanitized_warns_for_each_dropped_element_at_its_line() {
    let site = hostile("sanitized");
    let out = run(site.path(), &["check"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Derived from the fixture: each raw <script>, <style>, <iframe>, on…
    // and style attribute is named with its file and the line it is on.
    let expect = expectations(site.path());
    let mut checked = 0;
    for rel in expect.keys().filter(|k| k.starts_with("content/html/")) {
        let text = std::fs::read_to_string(site.path().join(rel)).unwrap();
        let body_start = text.match_indices("---\n").nth(1).unwrap().0;
        let mut in_comment = false;
        for (i, line) in text.lines().enumerate() {
            let at = text.lines().take(i).map(|l| l.len() + 1).sum::<usize>();
            let was_comment = in_comment;
            if line.contains("<!--") {
                in_comment = !line.contains("-->");
            } else if line.contains("-->") {
                in_comment = false;
            }
            if at < body_start || was_comment || line.contains("<!--") || line.starts_with("<<") {
                continue;
            }
            for tag in ["<script", "<iframe", "<style"] {
                if line.to_ascii_lowercase().starts_with(tag) {
                    let want = format!("{rel}:{}: waarschuwing: HTML-element {tag}>", i + 1);
                    assert!(stderr.contains(&want), "no warning {want}:\n{stderr}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 5, "only {checked} dropped elements checked");
    // A tag over three lines is reported at the line of its handler.
    let split = expect
        .keys()
        .find(|k| k.ends_with("img-over-regels.md"))
        .expect("the fixture has a tag over several lines");
    let text = std::fs::read_to_string(site.path().join(split)).unwrap();
    let line = text.lines().position(|l| l.contains("onerror")).unwrap() + 1;
    let want = format!("{split}:{line}: waarschuwing: attribuut onerror op <img>");
    assert!(stderr.contains(&want), "no {want}:\n{stderr}");
    assert!(
        stderr.contains("attribuut style op <div> verwijderd"),
        "{stderr}"
    );
}

// ---- Chromium ---------------------------------------------------------------------

fn require_browser_tools() {
    let dep = repo().join("tests/browser/node_modules/playwright-core");
    assert!(
        dep.is_dir(),
        "{} is missing: run `npm ci --prefix tests/browser` first",
        dep.display()
    );
}

fn build(root: &Path, out: &Path) {
    let run = Command::new(common::bin())
        .arg("build")
        .arg("--root")
        .arg(root)
        .arg("--output")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "build of {} failed:\n{}",
        root.display(),
        String::from_utf8_lossy(&run.stderr)
    );
}

/// URL paths of every HTML file in a built site.
fn html_pages(out: &Path) -> Vec<String> {
    let mut pages: Vec<String> = walkdir::WalkDir::new(out)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| {
            let rel = e.path().strip_prefix(out).unwrap().display().to_string();
            match rel.strip_suffix("index.html") {
                Some(dir) => format!("/{dir}"),
                None => format!("/{rel}"),
            }
        })
        .collect();
    pages.sort();
    pages
}

/// The file of URL path `p` in the output `out`.
fn page_file(out: &Path, p: &str) -> PathBuf {
    let f = out.join(p.trim_start_matches('/'));
    if p.ends_with('/') {
        f.join("index.html")
    } else {
        f
    }
}

/// `node tests/browser/csp.mjs` over `pages` of the site at `url`.
fn browse(url: &str, pages: &[String], search: Option<&str>) -> Value {
    require_browser_tools();
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    std::fs::write(
        &plan,
        json!({"pages": pages, "policy": STRICT_CSP, "search": search}).to_string(),
    )
    .unwrap();
    let mut child = Command::new("node")
        .current_dir(repo().join("tests/browser"))
        .arg("csp.mjs")
        .arg(url)
        .arg(&plan)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node (is Node.js installed?)");
    let deadline = Instant::now() + Duration::from_secs(600);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("csp.mjs took more than ten minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "csp.mjs failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("csp.mjs printed no JSON ({e}):\n{stdout}"))
}

/// Every page in both modes: nothing ran, nothing was blocked, nothing
/// script-like is left. Returns the number of page loads checked.
fn assert_nothing_ran(seen: &Value, pages: &[String]) -> usize {
    assert_eq!(seen["foreign"], json!([]), "requests to another origin");
    let mut loads = 0;
    for mode in ["csp", "open"] {
        let got = seen["modes"][mode]["pages"].as_array().unwrap();
        assert_eq!(got.len(), pages.len(), "{mode}: pages loaded");
        let mut problems = Vec::new();
        for p in got {
            let path = p["path"].as_str().unwrap();
            if p["http"] != 200 {
                problems.push(format!("{path}: HTTP {}", p["http"]));
            }
            for key in ["violations", "dialogs", "dangerous", "errors"] {
                if p[key] != json!([]) {
                    problems.push(format!("{path}: {key} {}", p[key]));
                }
            }
            if p["pwned"] != false {
                problems.push(format!("{path}: window.__pwned was set"));
            }
            loads += 1;
        }
        assert!(problems.is_empty(), "{mode}:\n{}", problems.join("\n"));
    }
    loads
}

fn hostile_in_chromium(level: &str) {
    let site = hostile(level);
    for rel in refused_at(level, site.path()) {
        std::fs::remove_file(site.path().join(rel)).unwrap();
    }
    let out = site.path().join("public");
    build(site.path(), &out);
    let pages = html_pages(&out);
    // Every page still there is in the output, the meta policy in each.
    for (rel, _) in expectations(site.path()) {
        let stem = rel
            .trim_start_matches("content/")
            .trim_end_matches(".md")
            .to_string();
        let slug = stem.rsplit('/').next().unwrap();
        assert!(
            pages
                .iter()
                .any(|p| p.trim_end_matches('/').ends_with(slug)),
            "{rel} not built: {pages:?}"
        );
    }
    for p in &pages {
        let html = std::fs::read_to_string(page_file(&out, p)).unwrap();
        assert!(
            html.contains("<meta http-equiv=\"Content-Security-Policy\""),
            "{p} lacks the CSP meta"
        );
    }
    let server = Server::at(out);
    let seen = browse(&server.url(), &pages, Some("zoeken/?q=bijdrage"));
    let loads = assert_nothing_ran(&seen, &pages);
    assert_eq!(loads, 2 * pages.len());
    for mode in ["csp", "open"] {
        let s = &seen["modes"][mode]["search"];
        assert_eq!(
            s["shown"], true,
            "{mode}: search shows no hostile page: {s}"
        );
        assert_eq!(s["violations"], json!([]), "{mode}: {s}");
        assert_eq!(s["dialogs"], json!([]), "{mode}: {s}");
        assert_eq!(s["pwned"], false, "{mode}: {s}");
    }
}

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs Chromium, Java and tests/browser/node_modules: run scripts/test"
)]
fn hostile_pages_run_no_script_in_chromium_when_raw_html_is_off() {
    hostile_in_chromium("false");
}

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs Chromium, Java and tests/browser/node_modules: run scripts/test"
)]
fn hostile_pages_run_no_script_in_chromium_when_raw_html_is_sanitized() {
    hostile_in_chromium("sanitized");
}

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs Chromium, Java and tests/browser/node_modules: run scripts/test"
)]
fn every_page_runs_under_the_strict_csp_and_search_works() {
    for (site, term) in STRICT_CSP_SITES {
        let tmp = tempfile::tempdir().unwrap();
        let (root, dir) = match site {
            CspSite::Repo(dir) => (repo().join(dir), dir.to_string()),
            CspSite::Init => {
                let root = init_site(tmp.path());
                with_csp_meta(&root);
                (root, "init".to_string())
            }
        };
        let out = tmp.path().join("public");
        build(&root, &out);
        let pages = html_pages(&out);
        assert!(pages.len() > 3, "{dir}: too few pages: {pages:?}");
        if matches!(site, CspSite::Init) {
            for p in &pages {
                let html = std::fs::read_to_string(page_file(&out, p)).unwrap();
                assert!(
                    html.contains("<meta http-equiv=\"Content-Security-Policy\""),
                    "init: {p} lacks the CSP meta"
                );
            }
        }
        let server = Server::at(out);
        let search = format!("zoeken/?q={term}");
        let seen = browse(&server.url(), &pages, Some(&search));
        assert_nothing_ran(&seen, &pages);
        let s = &seen["modes"]["csp"]["search"];
        assert_eq!(
            s["shown"], true,
            "{dir}: search under the CSP shows nothing: {s}"
        );
        assert_eq!(s["violations"], json!([]), "{dir}: {s}");
        assert_eq!(s["errors"], json!([]), "{dir}: {s}");
    }
}

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs Chromium, Java and tests/browser/node_modules: run scripts/test"
)]
fn serve_shows_its_overlay_and_panel_under_the_strict_csp_without_violations() {
    require_browser_tools();
    let tmp = tempfile::tempdir().unwrap();
    let root = init_site(tmp.path());
    with_csp_meta(&root);
    // A passive sentence, so serve's writing panel is on the page too.
    let md = root.join("content/artikelen/zo-schrijft-u-een-artikel.md");
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.starts_with("---\n") && text.contains("\ntitle: "),
        "{text}"
    );
    std::fs::write(
        &md,
        format!("{text}\nHet rooster wordt door de teamleider opgesteld.\n"),
    )
    .unwrap();
    let server = common::http::Serving::start(Path::new(common::bin()), &root, &[]);
    let page = "/artikelen/zo-schrijft-u-een-artikel/";
    let served = server.get(page).body_text();
    assert!(served.contains("/__kennisbank/live.css"), "{served}");
    assert!(!served.contains(" style=\""), "inline style in {served}");
    let css = server.get("/__kennisbank/live.css");
    assert_eq!(css.status, 200);
    assert!(css
        .header("Content-Type")
        .is_some_and(|c| c.starts_with("text/css")));
    let out = Command::new("node")
        .current_dir(repo().join("tests/browser"))
        .arg("serve-csp.mjs")
        .arg(server.url())
        .arg(page)
        .arg(&md)
        .output()
        .expect("run node (is Node.js installed?)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "serve-csp.mjs failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("serve-csp.mjs printed no JSON ({e}):\n{stdout}"));
    assert_eq!(seen["errors"], json!([]), "{seen}");
    assert_eq!(seen["meta"], true, "the page carries the policy: {seen}");
    assert_eq!(seen["violations"], json!([]), "{seen}");
    // Styled: `position: fixed` comes only from live.css.
    assert_eq!(seen["panel"]["position"], "fixed", "{seen}");
    assert!(
        seen["panel"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("Schrijftips")),
        "{seen}"
    );
    for drawn in ["overlayLive", "overlayServed"] {
        let o = &seen[drawn];
        assert_eq!(o["position"], "fixed", "{drawn}: {seen}");
        assert_eq!(o["background"], "rgb(43, 11, 11)", "{drawn}: {seen}");
        assert!(
            o["text"]
                .as_str()
                .is_some_and(|t| t.contains("content/artikelen/zo-schrijft-u-een-artikel.md")),
            "{drawn}: {seen}"
        );
    }
    assert_eq!(seen["cleared"], true, "{seen}");
}

#[test]
fn serve_refuses_a_dangerous_url_and_shows_it_escaped_in_the_overlay() {
    let tmp = tempfile::tempdir().unwrap();
    let root = init_site(tmp.path());
    let rel = "content/artikelen/zo-schrijft-u-een-artikel.md";
    let md = root.join(rel);
    let good = std::fs::read_to_string(&md).unwrap();
    let mut server = common::http::Serving::start(Path::new(common::bin()), &root, &[]);
    let page = "/artikelen/zo-schrijft-u-een-artikel/";
    assert_eq!(server.get(page).status, 200);
    let bad = format!("{good}\nEen [handige link](JaVa&#x09;ScRiPt:x('<b>vet</b>')) van buiten.\n");
    std::fs::write(&md, &bad).unwrap();
    let line = bad
        .lines()
        .position(|l| l.contains("handige link"))
        .unwrap()
        + 1;
    server.wait_line(|l| l.contains("build mislukt"), Duration::from_secs(20));
    let logged = server.log.join("\n");
    assert!(
        logged.contains(&format!("{rel}:{line}")) && logged.contains("geweigerd"),
        "the terminal names file and line:\n{logged}"
    );
    // Serve prints the result before it publishes it: poll the page.
    let html = poll_page(&server, page, |h| h.contains("kennisbank-overlay"));
    let at = html
        .find("<div id=\"kennisbank-overlay\"")
        .unwrap_or_else(|| panic!("no overlay:\n{html}"));
    let (last_good, overlay) = html.split_at(at);
    assert!(overlay.contains(&format!("{rel}:{line}")), "{overlay}");
    assert!(overlay.contains("geweigerd"), "{overlay}");
    assert!(
        overlay.contains("&lt;b&gt;vet&lt;/b&gt;"),
        "escaped: {overlay}"
    );
    assert!(!html.contains("<b>vet</b>"), "unescaped somewhere");
    // The last good page is shown, without the link.
    assert!(last_good.contains("<main"), "{last_good}");
    assert!(
        !last_good.to_ascii_lowercase().contains("script:x("),
        "the refused link is on the page"
    );
    std::fs::write(&md, &good).unwrap();
    server.wait_line(|l| l.contains("fouten opgelost"), Duration::from_secs(20));
    poll_page(&server, page, |h| !h.contains("kennisbank-overlay"));
}

/// The page `path` once `ok` holds for it (twenty seconds at most).
fn poll_page(server: &common::http::Serving, path: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let html = server.get(path).body_text();
        if ok(&html) {
            return html;
        }
        assert!(Instant::now() < deadline, "{path} never changed:\n{html}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

// ---- What `sanitized` keeps ------------------------------------------------------

fn keep(_: &str) -> Resolution {
    Resolution::Keep
}

fn render(md: &str, raw_html: RawHtml) -> (String, Vec<String>) {
    let (r, d) = markdown::render(
        md,
        &RenderOptions {
            raw_html,
            language: "nl",
            strip_first_h1: false,
            body_line: 5,
            file: Path::new("content/a.md"),
            resolve: &keep,
            this: Target::Page(0),
            dialect: &markdown::Dialect::default(),
            origins: &[],
        },
    );
    (
        r.html.into_string(),
        d.iter().map(ToString::to_string).collect(),
    )
}

#[test]
fn sanitized_keeps_the_allowed_elements() {
    let md = "\
<details open class=\"meer\" id=\"uitleg\">
<summary>Waarom taal telt</summary>

Een **Markdown**-alinea in het uitklapblok, met <abbr title=\"Verdere Integratie op de Arbeidsmarkt\">VIA</abbr>,
m<sup>2</sup>, H<sub>2</sub>O, <kbd>Ctrl</kbd>, <mark>gemarkeerd</mark> en <a href=\"https://example.org/\" title=\"extern\">een link</a>.

</details>

<table class=\"resultaten\">
<caption>Deelnemers per regio</caption>
<thead><tr><th scope=\"col\">Regio</th><th scope=\"col\">Aantal</th></tr></thead>
<tbody><tr><td>Noord</td><td>12</td></tr><tr><td colspan=\"2\">Totaal volgt</td></tr></tbody>
</table>

<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"stip\" width=\"1\" height=\"1\">
<div class=\"kader\" id=\"kader-1\" lang=\"en\" dir=\"ltr\" aria-label=\"kader\"><p>Tekst</p></div>
";
    let (html, diags) = render(md, RawHtml::Sanitize);
    assert!(diags.is_empty(), "{diags:?}");
    insta::assert_snapshot!("sanitized_allowed", html);
}

#[test]
fn sanitized_drops_the_rest_and_says_where() {
    let md = "\
Tekst <span onclick=\"x()\" style=\"color:red\">hier</span>.

<script>alert(1)</script>
<iframe src=\"https://example.org\"></iframe>

<details>
<summary ontoggle=\"x()\">Meer</summary>

<style>body{}</style>

</details>
";
    let (html, diags) = render(md, RawHtml::Sanitize);
    insta::assert_snapshot!(
        "sanitized_dropped",
        format!("{html}\n---\n{}", diags.join("\n"))
    );
}

#[test]
fn the_allow_list_covers_everything_markdown_writes() {
    // No raw HTML: the renderer's own output, which `sanitized` passes
    // through the same allow-list whenever a body has raw HTML.
    let md = "\
## Kop {#eigen .klasse}

Tekst met *nadruk*, **vet**, ~~weg~~, `code`, een [link](https://example.org \"titel\"),
een ![plaatje](p.png \"titel\") en een voetnoot[^1].  
Harde regelbreuk.

> Citaat

3. drie
4. vier

- [x] klaar
- [ ] nog niet

| Links | Midden | Rechts |
|:------|:------:|-------:|
| a     | b      | c      |

```rust
fn main() {}
```

---

[^1]: De voetnoot.
";
    let (html, _) = render(md, RawHtml::Escape);
    let findings = safety::scan(&html);
    assert!(findings.is_empty(), "{findings:?}\n{html}");
    assert!(
        html.contains("class=\"align-center\"") && !html.contains("style="),
        "{html}"
    );
    // And sanitising it changes nothing a reader sees.
    let again = safety::sanitize(&html);
    assert_eq!(safety::scan(&again), vec![]);
    for needle in [
        "<h2 id=\"eigen\"",
        "align-right",
        "footnote-definition",
        "type=\"checkbox\"",
        "hl-code",
        "<ol start=\"3\">",
    ] {
        assert!(again.contains(needle), "{needle} lost:\n{again}");
    }
}

#[test]
fn raw_html_off_drops_comments_and_escapes_the_rest() {
    let (html, diags) = render(
        "Voor <!-- verborgen --> na.\n\n<!--\nblok\n-->\n\n<div>x</div>\n",
        RawHtml::Escape,
    );
    assert!(diags.is_empty());
    assert!(
        !html.contains("verborgen") && !html.contains("blok"),
        "{html}"
    );
    assert!(html.contains("&lt;div&gt;x&lt;/div&gt;"), "{html}");
}

// ---- Config: menu, CSP, security.txt ---------------------------------------------

fn site_with_config(extra: &str) -> tempfile::TempDir {
    let dir = hostile("false");
    // Only harmless pages: the config is what is tested.
    for (rel, v) in expectations(dir.path()) {
        if v != "veilig" {
            std::fs::remove_file(dir.path().join(rel)).unwrap();
        }
    }
    let cfg = dir.path().join("kennisbank.yaml");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("security:\n  csp: true\n", "");
    std::fs::write(&cfg, format!("{text}{extra}")).unwrap();
    dir
}

#[test]
fn hostile_menu_urls_and_security_values_are_located_errors_all_at_once() {
    let site = site_with_config(
        "security:\n  contact:\n    - mailto:security@example.nl\n    - security@example.nl\n  expires: 2020-01-01\n",
    );
    let cfg = site.path().join("kennisbank.yaml");
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        "url: \"@/html/_index.md\"",
        "url: \" JaVa&#x09;ScRiPt:window.__pwned=1\"",
    );
    std::fs::write(&cfg, &text).unwrap();
    let out = run(site.path(), &["check"]);
    assert_eq!(out.status.code(), Some(1));
    let errors = errors_of(&out);
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let want = [
        (line_of("ScRiPt"), "menu-URL"),
        (line_of("- security@example.nl"), "security.contact"),
        (line_of("expires:"), "security.expires"),
    ];
    for (line, what) in want {
        assert!(
            errors.iter().any(|e| e.file == "kennisbank.yaml"
                && e.line == line
                && e.message.starts_with(what)),
            "no {what} error at kennisbank.yaml:{line}: {errors:?}"
        );
    }
    assert_eq!(errors.len(), want.len(), "{errors:?}");
}

#[test]
fn security_txt_and_the_csp_meta_are_written_from_the_config() {
    let expires = (chrono::Utc::now() + chrono::Duration::days(200))
        .format("%Y-%m-%d")
        .to_string();
    let site = site_with_config(&format!(
        "security:\n  csp: true\n  contact: mailto:security@example.nl\n  expires: {expires}\n  policy: https://example.nl/melden\n"
    ));
    let out = run(
        site.path(),
        &["build", "--no-search", "--base-url", "https://example.nl/"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let txt = std::fs::read_to_string(site.path().join("public/.well-known/security.txt")).unwrap();
    assert_eq!(
        txt,
        format!(
            "# Meld kwetsbaarheden in deze site bij het contact hieronder (RFC 9116).\n\
             Contact: mailto:security@example.nl\nExpires: {expires}T23:59:59Z\nPolicy: https://example.nl/melden\n\
             Preferred-Languages: nl\nCanonical: https://example.nl/.well-known/security.txt\n"
        )
    );
    let pages = html_pages(&site.path().join("public"));
    assert!(pages.len() > 5);
    for p in &pages {
        let html = std::fs::read_to_string(page_file(&site.path().join("public"), p)).unwrap();
        let head = html
            .find("<head>")
            .unwrap_or_else(|| panic!("{p}: no <head>"));
        let meta = html.find("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;self&#39;; script-src &#39;self&#39; &#39;wasm-unsafe-eval&#39;;").unwrap_or_else(|| panic!("{p}: no CSP meta"));
        let first_script = html.find("<script").unwrap_or(html.len());
        assert!(
            head < meta && meta < first_script,
            "{p}: the meta must come before any script"
        );
    }
    // Without `security:` neither is written.
    let plain = site_with_config("");
    let out = run(plain.path(), &["build", "--no-search"]);
    assert!(out.status.success());
    assert!(!plain.path().join("public/.well-known").exists());
    let home = std::fs::read_to_string(plain.path().join("public/index.html")).unwrap();
    assert!(!home.contains("Content-Security-Policy"));
}

#[test]
fn links_a_template_opens_in_a_new_window_carry_noopener() {
    let site = site_with_config("");
    let tpl = site.path().join("templates/404.html");
    std::fs::create_dir_all(tpl.parent().unwrap()).unwrap();
    std::fs::write(
        &tpl,
        "{% extends \"base.html\" %}{% block main %}<a href=\"https://example.org/\" target=\"_blank\">elders</a>{% endblock main %}",
    )
    .unwrap();
    let out = run(site.path(), &["build", "--no-search"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(site.path().join("public/404.html")).unwrap();
    assert!(
        html.contains("<a href=\"https://example.org/\" target=\"_blank\" rel=\"noopener noreferrer\">elders</a>"),
        "{html}"
    );
}
