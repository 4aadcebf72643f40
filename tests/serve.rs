//! `kennisbank serve`: the real binary on a temp copy of
//! `tests/fixtures/serve-site`, driven over real HTTP (std TcpStream), plus
//! engine tests that check incremental rebuilds against a full build.
//! Every wait is bounded; the server is killed when a test ends.

mod common;

use common::copy_dir;
use common::http::free_port;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use kennisbank::serve::classify::Batch;
use kennisbank::serve::engine::{Engine, RebuildKind, CHUNK};
use kennisbank::site::{build_in_memory, BuildOptions};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/serve-site");
const WAIT: Duration = Duration::from_secs(20);

fn site_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(FIXTURE), dir.path());
    dir
}

/// The running binary; killed on drop.
struct Server {
    child: Child,
    port: u16,
    out: Receiver<String>,
    log: Vec<String>,
}

impl Server {
    /// Started, and the first build's background render finished (or
    /// failed): the tests of edits and errors start from a rendered site.
    fn start(root: &Path) -> Server {
        let mut s = Server::start_linked(root);
        if s.log.iter().any(|l| l.contains("in de wachtrij")) {
            s.wait_line_any(&["afhankelijke pagina's bijgewerkt", "mislukt"]);
        }
        s
    }

    /// Started: serve answers once the model is linked, with every output
    /// still queued.
    fn start_linked(root: &Path) -> Server {
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kennisbank"))
            .args(["serve", "--port", &port.to_string(), "--root"])
            .arg(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start kennisbank serve");
        let (tx, out) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        let mut s = Server {
            child,
            port,
            out,
            log: Vec::new(),
        };
        s.wait_line("draait op");
        s
    }

    fn wait_line(&mut self, needle: &str) -> String {
        self.wait_line_any(&[needle])
    }

    fn wait_line_any(&mut self, needles: &[&str]) -> String {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Ok(line) = self.out.recv_timeout(Duration::from_millis(100)) {
                self.log.push(line.clone());
                if needles.iter().any(|n| line.contains(n)) {
                    return line;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "server stopped ({status}); output:\n{}",
                    self.log.join("\n")
                );
            }
        }
        panic!(
            "no line with {needles:?} within {WAIT:?}; output:\n{}",
            self.log.join("\n")
        );
    }

    fn get(&self, path: &str) -> Response {
        request(
            self.port,
            &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        )
    }

    fn events(&self) -> Events {
        Events::connect(self.port, "/__kennisbank/events")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
}

fn request(port: u16, raw: &str) -> Response {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Response {
        status,
        headers,
        body: body.to_string(),
    }
}

/// An event-stream subscription over HTTP/1.0 (no chunking), read by a thread.
struct Events {
    rx: Receiver<(String, String)>,
}

impl Events {
    fn connect(port: u16, path: &str) -> Events {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
            .unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(s);
            let (mut event, mut data) = (String::new(), String::new());
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                let l = line.trim_end_matches(['\r', '\n']);
                if l.is_empty() {
                    if !event.is_empty()
                        && tx
                            .send((std::mem::take(&mut event), std::mem::take(&mut data)))
                            .is_err()
                    {
                        return;
                    }
                } else if let Some(e) = l.strip_prefix("event: ") {
                    event = e.to_string();
                } else if let Some(d) = l.strip_prefix("data: ") {
                    data = d.to_string();
                }
                line.clear();
            }
        });
        let ev = Events { rx };
        ev.wait("hello", |_| true);
        ev
    }

    /// The data of the first `event` whose data satisfies `ok`.
    fn wait(&self, event: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            if let Ok((e, d)) = self.rx.recv_timeout(Duration::from_millis(50)) {
                if e == event && ok(&d) {
                    return d;
                }
                seen.push(format!("{e}: {d}"));
            }
        }
        panic!("no {event} event within {WAIT:?}; saw: {seen:#?}");
    }

    /// Waits until reload events (together) have named every path: outputs
    /// that show something of a changed page may come a moment later.
    fn wait_reloaded(&self, paths: &[&str]) {
        let mut missing: Vec<&str> = paths.to_vec();
        let deadline = Instant::now() + WAIT;
        while !missing.is_empty() {
            assert!(
                Instant::now() < deadline,
                "no reload for {missing:?} within {WAIT:?}"
            );
            if let Ok((e, d)) = self.rx.recv_timeout(Duration::from_millis(50)) {
                if e == "reload" {
                    missing.retain(|p| !names(&d, p));
                }
            }
        }
    }

    /// Every event up to and including the first `event` whose data
    /// satisfies `ok` (bounded by the usual wait).
    fn until(&self, event: &str, ok: impl Fn(&str) -> bool) -> Vec<(String, String)> {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            if let Ok((e, d)) = self.rx.recv_timeout(Duration::from_millis(50)) {
                let done = e == event && ok(&d);
                seen.push((e, d));
                if done {
                    return seen;
                }
            }
        }
        panic!("no {event} event within {WAIT:?}; saw: {seen:#?}");
    }

    /// Everything that arrives within `d`.
    fn drain(&self, d: Duration) -> Vec<(String, String)> {
        let deadline = Instant::now() + d;
        let mut out = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            if let Ok(x) = self.rx.recv_timeout(left) {
                out.push(x);
            }
        }
        out
    }
}

fn names(data: &str, path: &str) -> bool {
    data.contains(&format!("\"{path}\""))
}

// ---------------------------------------------------------------------------
// The real binary

#[test]
fn edits_in_place_and_by_rename_reload_the_page_once_each() {
    let site = site_copy();
    let server = Server::start(site.path());
    let page = "/pilots/alfa/";
    let page_file = "/pilots/alfa/index.html";
    let before = server.get(page);
    assert_eq!(before.status, 200);
    assert!(
        before.body.contains("Eerste versie van de alfatekst"),
        "{}",
        before.body
    );
    assert!(
        before.body.contains("/__kennisbank/live.js"),
        "serve injects the reload script"
    );
    let events = server.events();
    let md = site.path().join("content/pilots/alfa.md");
    let text = std::fs::read_to_string(&md).unwrap();

    // 1. Write in place.
    std::fs::write(&md, text.replace("Eerste versie", "Tweede versie")).unwrap();
    events.wait("reload", |d| names(d, page_file));
    assert!(server
        .get(page)
        .body
        .contains("Tweede versie van de alfatekst"));
    let more = events.drain(Duration::from_millis(400));
    assert!(
        !more
            .iter()
            .any(|(e, d)| e == "reload" && names(d, page_file)),
        "one save, one reload of the page: {more:?}"
    );

    // 2. Write a temp file and rename it over (vim, VS Code, JetBrains).
    let tmp = site.path().join("content/pilots/.alfa.md.tmp");
    std::fs::write(&tmp, text.replace("Eerste versie", "Derde versie")).unwrap();
    std::fs::rename(&tmp, &md).unwrap();
    events.wait("reload", |d| names(d, page_file));
    assert!(server
        .get(page)
        .body
        .contains("Derde versie van de alfatekst"));
    let more = events.drain(Duration::from_millis(400));
    assert!(
        !more
            .iter()
            .any(|(e, d)| e == "reload" && names(d, page_file)),
        "{more:?}"
    );

    // 3. A burst of writes is one rebuild showing the last one.
    for i in 0..5 {
        std::fs::write(&md, text.replace("Eerste versie", &format!("Versie {i}"))).unwrap();
    }
    events.wait("reload", |d| names(d, page_file));
    std::thread::sleep(Duration::from_millis(300));
    assert!(server.get(page).body.contains("Versie 4 van de alfatekst"));

    // 4. The section list shows the new word count (a dependent output).
    let alfa_words = |body: &str| -> usize {
        let at = body
            .find("Pilot Alfa</a> (")
            .expect("alfa in the section list")
            + 16;
        body[at..].split(' ').next().unwrap().parse().unwrap()
    };
    // Earlier steps' section reloads are drained, so the wait is for this one.
    events.drain(Duration::from_millis(400));
    let before = alfa_words(&server.get("/pilots/").body);
    std::fs::write(&md, format!("{text}\nDrie extra woorden.\n")).unwrap();
    events.wait("reload", |d| names(d, "/pilots/index.html"));
    let section = server.get("/pilots/");
    assert_eq!(alfa_words(&section.body), before + 3, "{}", section.body);
}

#[test]
fn bad_yaml_shows_the_error_over_the_last_good_page_until_fixed() {
    let site = site_copy();
    let server = Server::start(site.path());
    let events = server.events();
    let md = site.path().join("content/pilots/alfa.md");
    let good = std::fs::read_to_string(&md).unwrap();

    let bad = good.replace(
        "title: \"Pilot Alfa\"",
        "title: \"Pilot <script>alert(1)</script>\n  tags: [kapot",
    );
    std::fs::write(&md, &bad).unwrap();
    let status = events.wait("status", |d| d.contains("content/pilots/alfa.md"));
    assert!(status.contains("\"line\":"), "{status}");
    let page = server.get("/pilots/alfa/");
    assert_eq!(page.status, 200, "the last good page is still served");
    assert!(page.body.contains("Eerste versie van de alfatekst"));
    assert!(
        page.body.contains("id=\"kennisbank-overlay\""),
        "overlay in the HTML"
    );
    assert!(
        page.body.contains("content/pilots/alfa.md:"),
        "overlay names file and line"
    );
    assert!(
        !page.body.contains("<script>alert(1)"),
        "overlay text is escaped"
    );
    server_still_answers(&server);

    std::fs::write(&md, good.replace("Eerste versie", "Herstelde versie")).unwrap();
    events.wait("status", |d| d.contains("\"errors\":[]"));
    events.wait("reload", |d| names(d, "/pilots/alfa/index.html"));
    let page = server.get("/pilots/alfa/");
    assert!(page.body.contains("Herstelde versie"));
    assert!(!page.body.contains("kennisbank-overlay"));
}

fn server_still_answers(server: &Server) {
    assert_eq!(server.get("/").status, 200);
}

#[test]
fn broken_link_and_template_errors_are_reported_and_recovered() {
    let site = site_copy();
    let server = Server::start(site.path());
    let events = server.events();
    let md = site.path().join("content/pilots/bravo.md");
    let good = std::fs::read_to_string(&md).unwrap();
    std::fs::write(&md, good.replace("alfa.md#aanpak", "bestaat-niet.md")).unwrap();
    events.wait("status", |d| d.contains("bestaat-niet.md"));
    assert!(server
        .get("/pilots/bravo/")
        .body
        .contains("kennisbank-overlay"));
    std::fs::write(&md, &good).unwrap();
    events.wait("status", |d| d.contains("\"errors\":[]"));

    let tpl = site.path().join("themes/mini/templates/page.html");
    let good_tpl = std::fs::read_to_string(&tpl).unwrap();
    std::fs::write(
        &tpl,
        good_tpl.replace("{{ page.title }}</h1>", "{{ page.title }</h1>"),
    )
    .unwrap();
    events.wait("status", |d| d.contains("page.html"));
    let page = server.get("/pilots/alfa/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("kennisbank-overlay"));
    std::fs::write(
        &tpl,
        good_tpl.replace(
            "<h1>{{ page.title }}</h1>",
            "<h1 class=\"nieuw\">{{ page.title }}</h1>",
        ),
    )
    .unwrap();
    events.wait("status", |d| d.contains("\"errors\":[]"));
    events.wait("reload", |d| names(d, "/pilots/alfa/index.html"));
    assert!(server
        .get("/pilots/alfa/")
        .body
        .contains("<h1 class=\"nieuw\">Pilot Alfa</h1>"));
}

#[test]
fn files_and_folders_can_be_added_renamed_and_deleted() {
    let site = site_copy();
    let server = Server::start(site.path());
    let events = server.events();
    let content = site.path().join("content");
    std::fs::write(
        content.join("pilots/charlie.md"),
        "---\ntitle: \"Pilot Charlie\"\n---\n\nNieuw.\n",
    )
    .unwrap();
    events.wait_reloaded(&["/pilots/charlie/index.html", "/pilots/index.html"]);
    assert!(server.get("/pilots/charlie/").body.contains("Nieuw."));
    assert!(server.get("/pilots/").body.contains("Pilot Charlie"));

    std::fs::rename(
        content.join("pilots/charlie.md"),
        content.join("pilots/delta.md"),
    )
    .unwrap();
    events.wait("reload", |d| names(d, "/pilots/delta/index.html"));
    assert_eq!(server.get("/pilots/charlie/").status, 404);
    assert_eq!(server.get("/pilots/delta/").status, 200);

    std::fs::rename(content.join("begrippen"), content.join("woorden")).unwrap();
    events.wait("reload", |d| names(d, "/woorden/mentor/index.html"));
    assert_eq!(server.get("/begrippen/mentor/").status, 404);
    assert!(server
        .get("/woorden/mentor/")
        .body
        .contains("Een mentor begeleidt."));

    std::fs::remove_file(content.join("pilots/delta.md")).unwrap();
    events.wait("reload", |d| names(d, "/pilots/delta/index.html"));
    assert_eq!(server.get("/pilots/delta/").status, 404);
}

#[test]
fn stylesheet_change_swaps_css_without_a_reload() {
    let site = site_copy();
    let server = Server::start(site.path());
    let events = server.events();
    let css = site.path().join("themes/mini/static/css/site.css");
    std::fs::write(&css, "body { color: rebeccapurple; }\n").unwrap();
    let d = events.wait("css", |_| true);
    assert!(d.contains("/css/site.css"), "{d}");
    let after = events.drain(Duration::from_millis(300));
    assert!(!after.iter().any(|(e, _)| e == "reload"), "{after:?}");
    assert!(server.get("/css/site.css").body.contains("rebeccapurple"));
}

#[test]
fn paths_that_leave_the_site_are_refused() {
    let site = site_copy();
    let server = Server::start(site.path());
    for p in [
        "/../kennisbank.yaml",
        "/%2e%2e/kennisbank.yaml",
        "/..%2fkennisbank.yaml",
        "/%2e%2e%2fkennisbank.yaml",
        "/css/..%5c..%5ckennisbank.yaml",
        "/..\\kennisbank.yaml",
        "/index.html%00.css",
        "/../../../../etc/passwd",
    ] {
        let r = request(
            server.port,
            &format!("GET {p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        );
        assert!(matches!(r.status, 400 | 403 | 404), "{p}: {}", r.status);
        assert!(
            !r.body.contains("Servetest\"\ndescription"),
            "{p} leaked the config"
        );
        assert!(!r.body.contains("root:"), "{p}");
    }
    // A symlink in static/ pointing out of the site is not followed.
    #[cfg(unix)]
    {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("geheim.css"), "geheim").unwrap();
        let _ = std::os::unix::fs::symlink(
            outside.path().join("geheim.css"),
            site.path().join("themes/mini/static/css/geheim.css"),
        );
        std::thread::sleep(Duration::from_millis(500));
        let r = server.get("/css/geheim.css");
        assert_ne!(r.status, 200);
        assert!(!r.body.contains("geheim\n") && r.body != "geheim");
    }
}

#[test]
fn http_is_done_properly() {
    let site = site_copy();
    let server = Server::start(site.path());
    let missing = server.get("/bestaat/niet/");
    assert_eq!(missing.status, 404);
    assert!(
        missing.body.contains("Pagina niet gevonden"),
        "the site's 404 page"
    );

    let redirect = server.get("/pilots");
    assert_eq!(redirect.status, 301);
    assert_eq!(
        redirect.headers.get("location").map(String::as_str),
        Some("/pilots/")
    );

    let page = server.get("/pilots/alfa/");
    assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(page.headers["cache-control"], "no-cache");
    let etag = page.headers["etag"].clone();
    let cached = request(
        server.port,
        &format!("GET /pilots/alfa/ HTTP/1.1\r\nHost: x\r\nIf-None-Match: {etag}\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(cached.status, 304);
    assert!(cached.body.is_empty());
    let lm = page.headers["last-modified"].clone();
    let since = request(
        server.port,
        &format!("GET /css/site.css HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: {lm}\r\nConnection: close\r\n\r\n"),
    );
    assert!(matches!(since.status, 200 | 304));

    let head = request(
        server.port,
        "HEAD /pilots/alfa/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.headers["content-length"], page.body.len().to_string());

    let css = server.get("/css/site.css");
    assert_eq!(css.status, 200);
    assert_eq!(css.headers["content-type"], "text/css; charset=utf-8");

    let post = request(
        server.port,
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
    );
    assert_eq!(post.status, 405);
    let big_header = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Groot: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(200_000)
    );
    let r = request(server.port, &big_header);
    assert_ne!(r.status, 200, "oversized headers are refused");
    assert_eq!(server.get("/").status, 200, "and the server lives on");

    // Preview never writes the published output.
    assert!(!site.path().join("public").exists());
}

#[test]
fn build_output_has_no_live_reload_script() {
    let site = site_copy();
    let out = site.path().join("uit");
    let status = Command::new(env!("CARGO_BIN_EXE_kennisbank"))
        .args(["build", "--root"])
        .arg(site.path())
        .arg("--output")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let html = std::fs::read_to_string(out.join("pilots/alfa/index.html")).unwrap();
    assert!(!html.contains("__kennisbank"), "{html}");
}

#[test]
fn ctrl_c_stops_cleanly() {
    let site = site_copy();
    let mut server = Server::start(site.path());
    let _events = server.events();
    #[cfg(unix)]
    {
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(server.child.id() as libc::pid_t, libc::SIGINT) };
        server.wait_line("gestopt");
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                assert!(status.success(), "{status}");
                break;
            }
            assert!(Instant::now() < deadline, "serve did not exit after SIGINT");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

// ---------------------------------------------------------------------------
// Engine: incremental equals full

fn full_outputs(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let built = build_in_memory(&BuildOptions {
        root: root.to_path_buf(),
        ..BuildOptions::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    built.files.into_iter().map(|f| (f.path, f.bytes)).collect()
}

fn engine_outputs(e: &Engine) -> BTreeMap<String, Vec<u8>> {
    e.outputs()
        .iter()
        .map(|(p, o)| (p.clone(), o.bytes().to_vec()))
        .collect()
}

/// Rewrites the file `rel` of the site at `root` with `f`.
fn edit(root: &Path, rel: &str, f: &dyn Fn(String) -> String) {
    let p = root.join(rel);
    std::fs::write(&p, f(std::fs::read_to_string(&p).unwrap())).unwrap();
}

/// An engine on the site at `root`, after its first build.
fn started_engine(root: &Path) -> Engine {
    let mut e = Engine::new(
        BuildOptions {
            root: root.to_path_buf(),
            ..BuildOptions::default()
        },
        None,
    );
    e.initial();
    e
}

fn apply(e: &mut Engine, root: &Path, rel: &[&str]) -> kennisbank::serve::engine::Outcome {
    let mut b = Batch::default();
    for r in rel {
        b.add(root, &root.join(r), e.theme_name());
    }
    let mut out = e.apply(&b, &[]);
    while e.has_queue() {
        out.rendered += e.step(&[], &|| false).rendered;
    }
    out
}

fn assert_same(e: &Engine, root: &Path, step: &str) {
    assert!(e.errors().is_empty(), "{step}: {:?}", e.errors());
    let full = full_outputs(root);
    let inc = engine_outputs(e);
    let a: Vec<&String> = full.keys().collect();
    let b: Vec<&String> = inc.keys().collect();
    assert_eq!(a, b, "{step}: same files");
    for (p, bytes) in &full {
        assert!(inc[p] == *bytes, "{step}: {p} differs from a full build");
    }
}

#[test]
fn incremental_rebuilds_equal_a_full_build() {
    let site = site_copy();
    let root = site.path().canonicalize().unwrap();
    let mut e = started_engine(&root);
    assert_same(&e, &root, "initial");

    let w = |rel: &str, f: &dyn Fn(String) -> String| edit(&root, rel, f);
    // Body edit adding a link: a backlink appears on the target.
    w("content/pilots/alfa.md", &|t| {
        t + "\nEn [de mentor](../begrippen/mentor.md).\n"
    });
    let out = apply(&mut e, &root, &["content/pilots/alfa.md"]);
    assert_eq!(out.kind, RebuildKind::Body);
    assert_same(&e, &root, "body edit with new link");
    // Body edit of a section.
    w("content/pilots/_index.md", &|t| {
        t.replace("Alle pilots.", "Alle pilots, bijgewerkt.")
    });
    assert_eq!(
        apply(&mut e, &root, &["content/pilots/_index.md"]).kind,
        RebuildKind::Body
    );
    assert_same(&e, &root, "section body");
    // Front matter: title and tags change lists, terms and relations.
    w("content/pilots/alfa.md", &|t| {
        t.replace("Pilot Alfa", "Pilot Alfa Nieuw")
            .replace("mentoraat, stages", "coaching")
    });
    assert_eq!(
        apply(&mut e, &root, &["content/pilots/alfa.md"]).kind,
        RebuildKind::Full
    );
    assert_same(&e, &root, "front matter");
    // Front matter: a date that reorders the list (neighbours, feed). The
    // page keeps its URL, terms and relations: patched in, no re-parse.
    w("content/pilots/bravo.md", &|t| {
        t.replace("date: 2024-02-01", "date: 2023-02-01")
    });
    assert_eq!(
        apply(&mut e, &root, &["content/pilots/bravo.md"]).kind,
        RebuildKind::FrontMatter
    );
    assert_same(&e, &root, "date reorder");
    // Front matter: a relation moves (backrelations on both targets).
    w("content/begrippen/mentor.md", &|t| {
        t.replace("pilots: [alfa]", "pilots: [bravo]")
    });
    assert_eq!(
        apply(&mut e, &root, &["content/begrippen/mentor.md"]).kind,
        RebuildKind::Full
    );
    assert_same(&e, &root, "relation moved");
    let out = apply(&mut e, &root, &["content/begrippen/mentor.md"]);
    assert_eq!(out.rendered, 0, "nothing changed, nothing rendered");
    w("content/begrippen/mentor.md", &|t| {
        t.replace("title: \"Mentor\"", "title: \"De mentor\"")
    });
    let out = apply(&mut e, &root, &["content/begrippen/mentor.md"]);
    let total = e.outputs().len();
    assert!(
        out.rendered < total,
        "a title edit re-renders only what shows it: {} of {total}",
        out.rendered
    );
    assert_same(&e, &root, "title edit");
    // One batch: a body edit and a front-matter edit (the body edit must not
    // be lost when the batch falls back to a re-parse).
    w("content/_index.md", &|t| t.replace("testsite", "proefsite"));
    w("content/pilots/bravo.md", &|t| {
        t.replace("Pilot Bravo", "Pilot Bravo Twee")
    });
    let out = apply(
        &mut e,
        &root,
        &["content/_index.md", "content/pilots/bravo.md"],
    );
    assert_eq!(out.kind, RebuildKind::Full);
    assert_same(&e, &root, "mixed batch");
    // A template used only by sections.
    w("themes/mini/templates/section.html", &|t| {
        t.replace("woorden)", "woorden, bijgewerkt)")
    });
    assert_eq!(
        apply(&mut e, &root, &["themes/mini/templates/section.html"]).kind,
        RebuildKind::Template
    );
    assert_same(&e, &root, "section template");
    // Added and removed pages.
    std::fs::write(
        root.join("content/pilots/echo.md"),
        "---\ntitle: Echo\ntags: [stages]\n---\nEcho.\n",
    )
    .unwrap();
    apply(&mut e, &root, &["content/pilots/echo.md"]);
    assert_same(&e, &root, "added page");
    std::fs::remove_file(root.join("content/pilots/bravo.md")).unwrap();
    // alfa links to bravo: fix that too, or the build fails (as it should).
    w("content/pilots/alfa.md", &|t| {
        t.replace("(bravo.md)", "(echo.md)")
    });
    w("content/begrippen/mentor.md", &|t| {
        t.replace("pilots: [bravo]", "pilots: [echo]")
    });
    apply(
        &mut e,
        &root,
        &[
            "content/pilots/bravo.md",
            "content/pilots/alfa.md",
            "content/begrippen/mentor.md",
        ],
    );
    assert_same(&e, &root, "removed page");
    // Saving without a change does nothing.
    w("content/pilots/alfa.md", &|t| t);
    let out = apply(&mut e, &root, &["content/pilots/alfa.md"]);
    assert!(
        out.updates.is_empty(),
        "{:?}",
        out.updates.iter().map(|u| &u.0).collect::<Vec<_>>()
    );
    // Config change: everything.
    w("kennisbank.yaml", &|t| {
        t.replace("Servetest\"", "Servetest twee\"")
    });
    assert_eq!(
        apply(&mut e, &root, &["kennisbank.yaml"]).kind,
        RebuildKind::Full
    );
    assert_same(&e, &root, "config");
}

/// Two saves within one timestamp tick, same length: the stamp cannot tell
/// them apart, the watcher can. A saved file is always read again.
#[test]
fn a_saved_file_is_read_again_even_when_its_stamp_is_unchanged() {
    let site = site_copy();
    let root = site.path().canonicalize().unwrap();
    let mut e = started_engine(&root);
    let path = root.join("content/pilots/alfa.md");
    let before = std::fs::metadata(&path).unwrap().modified().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    // Front matter changes, same length, same mtime.
    let edited = text.replacen("Pilot Alfa", "Pilot Alfx", 1);
    assert_ne!(edited, text);
    assert_eq!(edited.len(), text.len());
    std::fs::write(&path, &edited).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(before)
        .unwrap();
    assert_eq!(
        apply(&mut e, &root, &["content/pilots/alfa.md"]).kind,
        RebuildKind::FrontMatter
    );
    assert_same(&e, &root, "same stamp");
    let page = String::from_utf8(e.outputs()["pilots/alfa/index.html"].bytes().to_vec()).unwrap();
    assert!(page.contains("Pilot Alfx"), "the saved text is shown");
}

#[test]
fn a_failed_body_edit_keeps_the_last_good_outputs() {
    let site = site_copy();
    let root = site.path().canonicalize().unwrap();
    let mut e = started_engine(&root);
    let before = engine_outputs(&e);
    let md = root.join("content/pilots/bravo.md");
    let good = std::fs::read_to_string(&md).unwrap();
    std::fs::write(&md, good.replace("alfa.md#aanpak", "alfa.md#bestaat-niet")).unwrap();
    let out = apply(&mut e, &root, &["content/pilots/bravo.md"]);
    let errors = out.errors.expect("errors reported");
    assert!(
        errors[0].to_string().contains("#bestaat-niet"),
        "{errors:?}"
    );
    assert_eq!(engine_outputs(&e), before, "nothing published");
    std::fs::write(&md, good.replace("terug naar", "weer terug naar")).unwrap();
    let out = apply(&mut e, &root, &["content/pilots/bravo.md"]);
    assert_eq!(out.errors, Some(Vec::new()));
    assert_same(&e, &root, "after the fix");
}

#[test]
fn fixing_one_of_two_broken_documents_keeps_the_other_s_error() {
    let site = site_copy();
    let root = site.path().canonicalize().unwrap();
    let mut e = started_engine(&root);
    let bravo = "content/pilots/bravo.md";
    let mentor = "content/begrippen/mentor.md";
    let good_bravo = std::fs::read_to_string(root.join(bravo)).unwrap();
    let good_mentor = std::fs::read_to_string(root.join(mentor)).unwrap();
    // Two bodies, each with a link to a page that does not exist.
    edit(&root, bravo, &|t| {
        format!("{t}\nZie ook [de evaluatie](../pilots/evaluatie-2023.md).\n")
    });
    apply(&mut e, &root, &[bravo]);
    edit(&root, mentor, &|t| {
        t.replace(
            "Een mentor begeleidt.",
            "Een mentor begeleidt ([rooster](roosters.md)).",
        )
    });
    let out = apply(&mut e, &root, &[mentor]);
    let errors = out.errors.expect("errors reported");
    let files = |errors: &[kennisbank::error::Diagnostic]| -> Vec<String> {
        errors
            .iter()
            .map(|d| format!("{}:{}", d.file().unwrap().display(), d.line().unwrap_or(0)))
            .collect()
    };
    let bravo_line = good_bravo.lines().count() + 2;
    let mentor_line = 1 + good_mentor
        .lines()
        .position(|l| l.contains("Een mentor begeleidt"))
        .unwrap();
    assert_eq!(
        files(&errors),
        vec![
            format!("{mentor}:{mentor_line}"),
            format!("{bravo}:{bravo_line}")
        ],
        "{errors:?}"
    );
    let mentor_error = errors[0].clone();
    assert!(
        mentor_error.message.contains("roosters.md"),
        "{mentor_error}"
    );
    // Fixing bravo leaves mentor's error as it was, and nothing else.
    std::fs::write(root.join(bravo), &good_bravo).unwrap();
    let out = apply(&mut e, &root, &[bravo]);
    assert_eq!(out.errors, Some(vec![mentor_error.clone()]));
    assert_eq!(e.errors(), &[mentor_error]);
    // And fixing mentor clears it: the site equals a full build again.
    std::fs::write(root.join(mentor), &good_mentor).unwrap();
    let out = apply(&mut e, &root, &[mentor]);
    assert_eq!(out.errors, Some(Vec::new()));
    assert_same(&e, &root, "after both fixes");
}

// ---------------------------------------------------------------------------
// A real browser: Debian's Chromium through playwright-core
// (`npm ci --prefix tests/browser`, `apt-get install chromium`).

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs Chromium, Java and tests/browser/node_modules: run scripts/test"
)]
fn browser_reloads_the_open_page_keeps_scroll_and_swaps_css() {
    let browser = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        browser.join("node_modules/playwright-core").is_dir(),
        "playwright-core missing: run `npm ci --prefix tests/browser`"
    );
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} missing: run `apt-get install -y chromium`"
    );
    let site = site_copy();
    // A long page, so there is a scroll position to keep.
    let md = site.path().join("content/pilots/alfa.md");
    let mut text = std::fs::read_to_string(&md).unwrap();
    for i in 0..120 {
        text.push_str(&format!(
            "\nAlinea {i} om de pagina lang genoeg te maken om te scrollen.\n"
        ));
    }
    std::fs::write(&md, text).unwrap();
    let server = Server::start(site.path());
    let mut child = Command::new("node")
        .current_dir(&browser)
        .arg("reload.mjs")
        .arg(format!("http://127.0.0.1:{}/", server.port))
        .arg("/pilots/alfa/")
        .arg(&md)
        .arg(site.path().join("themes/mini/static/css/site.css"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node");
    let deadline = Instant::now() + Duration::from_secs(90);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("reload.mjs did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("ok"),
        "reload.mjs failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sub_path_sites_are_served_under_their_base_path() {
    let site = site_copy();
    let cfg = site.path().join("kennisbank.yaml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace(
            "base_url: \"/\"",
            "base_url: \"https://example.org/kennisbank/\"",
        ),
    )
    .unwrap();
    let mut server = Server::start(site.path());
    assert!(
        server
            .log
            .iter()
            .any(|l| l.contains(&format!("http://127.0.0.1:{}/kennisbank/", server.port))),
        "{:?}",
        server.log
    );
    let root = server.get("/");
    assert_eq!(root.status, 301);
    assert_eq!(root.headers["location"], "/kennisbank/");
    let page = server.get("/kennisbank/pilots/alfa/");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("href=\"/kennisbank/pilots/bravo/\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("/kennisbank/css/site.css"),
        "{}",
        page.body
    );
    assert_eq!(server.get("/kennisbank/css/site.css").status, 200);
    assert_eq!(server.get("/pilots/alfa/").status, 404);
    let events = Events::connect(
        server.port,
        "/__kennisbank/events?path=%2Fkennisbank%2Fpilots%2Falfa%2F&gen=0&inst=x",
    );
    // A page from an earlier server run (another instance) reloads at once.
    events.wait("reload", |d| d.contains("\"all\":true"));
    let md = site.path().join("content/pilots/alfa.md");
    std::fs::write(
        &md,
        std::fs::read_to_string(&md)
            .unwrap()
            .replace("Eerste versie", "Subpadversie"),
    )
    .unwrap();
    events.wait("reload", |d| names(d, "/kennisbank/pilots/alfa/index.html"));
    assert!(server
        .get("/kennisbank/pilots/alfa/")
        .body
        .contains("Subpadversie"));
    let _ = server.wait_line("herbouwd");
}

#[test]
fn safe_write_with_the_file_briefly_gone_is_one_rebuild_without_errors() {
    let site = site_copy();
    let server = Server::start(site.path());
    let events = server.events();
    let dir = site.path().join("content/pilots");
    let md = dir.join("alfa.md");
    let text = std::fs::read_to_string(&md).unwrap();
    // JetBrains: write a temp file, move the old file away, (pause), move the
    // temp file into place, delete the old one.
    std::fs::write(
        dir.join("alfa.md___jb_tmp___"),
        text.replace("Eerste versie", "Veilige versie"),
    )
    .unwrap();
    std::fs::rename(&md, dir.join("alfa.md___jb_old___")).unwrap();
    std::thread::sleep(Duration::from_millis(70));
    std::fs::rename(dir.join("alfa.md___jb_tmp___"), &md).unwrap();
    std::fs::remove_file(dir.join("alfa.md___jb_old___")).unwrap();
    let mut seen = events.until("reload", |d| names(d, "/pilots/alfa/index.html"));
    seen.extend(events.drain(Duration::from_millis(500)));
    let reloads = seen
        .iter()
        .filter(|(e, d)| e == "reload" && names(d, "/pilots/alfa/index.html"));
    assert_eq!(reloads.count(), 1, "{seen:?}");
    assert!(
        !seen
            .iter()
            .any(|(e, d)| e == "status" && !d.contains("\"errors\":[]")),
        "no error while the file was briefly gone: {seen:?}"
    );
    assert!(server.get("/pilots/alfa/").body.contains("Veilige versie"));
}

/// The repository's own site with the default theme: incremental rebuilds
/// still equal a full build when the theme shows more of other pages
/// (guards the dependency rules in `serve::engine` against new template
/// variables).
#[test]
fn incremental_rebuilds_of_the_bundled_site_equal_a_full_build() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for d in ["content", "themes"] {
        copy_dir(&repo.join(d), &dir.path().join(d));
    }
    std::fs::copy(
        repo.join("kennisbank.yaml"),
        dir.path().join("kennisbank.yaml"),
    )
    .unwrap();
    let root = dir.path().canonicalize().unwrap();
    let mut e = started_engine(&root);
    assert_same(&e, &root, "initial");
    let mut pages: Vec<String> = Vec::new();
    for section in ["pilots", "conclusies", "praktijken"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join("content").join(section))
            .unwrap()
            .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".md") && n != "_index.md")
            .collect();
        files.sort();
        pages.push(format!("content/{section}/{}", files[0]));
    }
    // Body edits: more words, and a new link to the first pilot.
    for (i, p) in pages.iter().enumerate() {
        let path = root.join(p);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(&format!(
            "\n\nExtra alinea {i} met [een verwijzing](@/{}).\n",
            pages[0].trim_start_matches("content/")
        ));
        std::fs::write(&path, text).unwrap();
        let out = apply(&mut e, &root, &[p.as_str()]);
        assert_eq!(out.kind, RebuildKind::Body, "{p}");
        assert_same(&e, &root, &format!("body edit of {p}"));
    }
    // A title edit (front matter): lists, relations and feeds show titles.
    let path = root.join(&pages[1]);
    let text = std::fs::read_to_string(&path).unwrap();
    let changed: String = text
        .lines()
        .map(|l| if l.starts_with("title:") { "title: \"Een herziene titel\"".to_string() } else { l.to_string() } + "\n")
        .collect();
    assert_ne!(text, changed);
    std::fs::write(&path, changed).unwrap();
    apply(&mut e, &root, &[pages[1].as_str()]);
    assert_same(&e, &root, "title edit");
}

/// Threads of a running process, from /proc.
fn thread_count(pid: u32) -> usize {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn two_hundred_concurrent_requests_during_rebuilds_all_succeed_with_bounded_threads() {
    let dir = site_copy();
    let mut server = Server::start(dir.path());
    let port = server.port;
    let page = dir.path().join("content/_index.md");
    let original = std::fs::read_to_string(&page).unwrap();
    // Rebuilds keep coming while the requests run.
    let editor = {
        let page = page.clone();
        let original = original.clone();
        std::thread::spawn(move || {
            for i in 0..10 {
                std::fs::write(&page, format!("{original}\nBewerking {i}.\n")).unwrap();
                std::thread::sleep(Duration::from_millis(40));
            }
        })
    };
    let clients: Vec<_> = (0..200)
        .map(|i| {
            std::thread::spawn(move || {
                let path = if i % 2 == 0 { "/" } else { "/pilots/" };
                request(
                    port,
                    &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
                )
                .status
            })
        })
        .collect();
    let peak_threads = thread_count(server.child.id());
    let statuses: Vec<u16> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    editor.join().unwrap();
    let failed: Vec<&u16> = statuses.iter().filter(|s| **s != 200).collect();
    assert!(failed.is_empty(), "non-200 answers: {failed:?}");
    assert!(
        peak_threads > 0 && peak_threads <= 64,
        "{peak_threads} threads while serving 200 requests"
    );
    // Still alive and serving the last edit.
    server.wait_line("herbouwd");
    assert_eq!(server.get("/").status, 200);
}

#[test]
fn front_matter_edits_are_patched_in_and_equal_a_full_build() {
    let site = site_copy();
    let root = site.path().canonicalize().unwrap();
    let mut e = started_engine(&root);
    let w = |rel: &str, f: &dyn Fn(String) -> String| edit(&root, rel, f);
    // pilots/ sorts by title: a new title moves Bravo before Alfa, so both
    // pages' neighbours, the section list and the term pages change.
    w("content/pilots/bravo.md", &|t| {
        t.replace("Pilot Bravo", "Aanloop Bravo")
    });
    let out = apply(&mut e, &root, &["content/pilots/bravo.md"]);
    assert_eq!(out.kind, RebuildKind::FrontMatter);
    assert_same(&e, &root, "title that reorders");
    // Title and body in one save; a new line shifts the body's line numbers.
    w("content/pilots/alfa.md", &|t| {
        t.replace(
            "title: \"Pilot Alfa\"",
            "title: \"Pilot Alfa 2\"\ndescription: \"Kort.\"",
        )
        .replace("Eerste versie", "Tweede versie")
    });
    let out = apply(&mut e, &root, &["content/pilots/alfa.md"]);
    assert_eq!(out.kind, RebuildKind::FrontMatter);
    assert_same(&e, &root, "title and body");
    // The anchor Bravo links to disappears with a body change: an error,
    // shown; putting it back clears it.
    w("content/pilots/alfa.md", &|t| {
        t.replace("title: \"Pilot Alfa 2\"", "title: \"Pilot Alfa 3\"")
            .replace("## Aanpak", "## Werkwijze")
    });
    apply(&mut e, &root, &["content/pilots/alfa.md"]);
    assert!(
        e.errors().iter().any(|d| d.message.contains("#aanpak")),
        "{:?}",
        e.errors()
    );
    w("content/pilots/alfa.md", &|t| {
        t.replace("## Werkwijze", "## Aanpak")
    });
    apply(&mut e, &root, &["content/pilots/alfa.md"]);
    assert_same(&e, &root, "anchor back");
    // A relation target that does not exist, then fixed: the message names
    // the line, which moves when a line is added above it.
    w("content/begrippen/mentor.md", &|t| {
        t.replace("pilots: [alfa]", "pilots: [alpha]")
    });
    apply(&mut e, &root, &["content/begrippen/mentor.md"]);
    let line_of = |e: &Engine| {
        e.errors()
            .iter()
            .find(|d| d.message.contains("alpha"))
            .and_then(|d| d.line())
    };
    assert_eq!(line_of(&e), Some(3), "{:?}", e.errors());
    w("content/begrippen/mentor.md", &|t| {
        t.replace(
            "title: \"Mentor\"",
            "title: \"Mentor\"\ndescription: \"Wie begeleidt.\"",
        )
    });
    apply(&mut e, &root, &["content/begrippen/mentor.md"]);
    assert_eq!(line_of(&e), Some(4), "{:?}", e.errors());
    w("content/begrippen/mentor.md", &|t| {
        t.replace("pilots: [alpha]", "pilots: [alfa]")
    });
    apply(&mut e, &root, &["content/begrippen/mentor.md"]);
    assert_same(&e, &root, "relation fixed");
    // Made a draft: the page leaves the site, a re-parse.
    w("content/pilots/bravo.md", &|t| {
        t.replace("date: 2024-02-01", "date: 2024-02-01\ndraft: true")
            .replace("[Alfa](alfa.md#aanpak)", "Alfa")
    });
    let out = apply(&mut e, &root, &["content/pilots/bravo.md"]);
    assert_eq!(out.kind, RebuildKind::Full);
    // alfa still links to bravo: the re-parse reports it as a full build
    // would (a draft is not published), at the link's place.
    let errors: Vec<String> = e.errors().iter().map(ToString::to_string).collect();
    let broken: Vec<_> = e
        .errors()
        .iter()
        .map(|d| (d.code, d.file().map(Path::to_path_buf)))
        .collect();
    assert_eq!(
        broken,
        [(
            kennisbank::error::Code::LinkBroken,
            Some(std::path::PathBuf::from("content/pilots/alfa.md"))
        )],
        "{errors:?}"
    );
}

/// The shortcodes fixture: pages that list pages (`pages()`) and include
/// files (`include()`). What a body's shortcodes read is recorded with it;
/// every edit below changes something a shortcode reads without touching
/// the body that calls it, and the engine must still equal a full build.
#[test]
fn shortcode_queries_and_includes_follow_edits_and_equal_a_full_build() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&common::fixture_dir("shortcodes"), dir.path());
    let root = dir.path().canonicalize().unwrap();
    let mut e = started_engine(&root);
    assert_same(&e, &root, "initial");
    let w = |rel: &str, f: &dyn Fn(String) -> String| edit(&root, rel, f);
    let served =
        |e: &Engine, path: &str| String::from_utf8(e.outputs()[path].bytes().to_vec()).unwrap();
    let listed = |e: &Engine, title: &str| {
        let html = served(e, "thema-taal/index.html");
        let list = &html[html.find("Praktijken over taal</h2>").unwrap()..];
        list[..list.find("</ul>").unwrap()].contains(title)
    };
    let total = full_outputs(&root).len();

    // A page enters a query's result (a taxonomy term added) ...
    assert!(!listed(&e, "Buddy bij de stage"));
    w("content/praktijken/buddy-bij-stage.md", &|t| {
        t.replace("thema: [stage]", "thema: [stage, taal]")
    });
    apply(&mut e, &root, &["content/praktijken/buddy-bij-stage.md"]);
    assert!(listed(&e, "Buddy bij de stage"));
    assert_same(&e, &root, "page enters pages(thema=taal)");
    // ... and leaves it again.
    w("content/praktijken/buddy-bij-stage.md", &|t| {
        t.replace("thema: [stage, taal]", "thema: [stage]")
    });
    apply(&mut e, &root, &["content/praktijken/buddy-bij-stage.md"]);
    assert!(!listed(&e, "Buddy bij de stage"));
    assert_same(&e, &root, "page leaves pages(thema=taal)");
    // A schema field a query filters on (a front-matter edit that keeps
    // the site's shape): the page leaves pages(status="loopt"), and the
    // rebuild does not render every output.
    w("content/praktijken/buddy-bij-stage.md", &|t| {
        t.replace("status: loopt", "status: afgerond")
    });
    let out = apply(&mut e, &root, &["content/praktijken/buddy-bij-stage.md"]);
    assert_eq!(out.kind, RebuildKind::FrontMatter);
    assert!(out.rendered < total, "{} of {total} rendered", out.rendered);
    assert_same(&e, &root, "page leaves pages(status=loopt)");
    // The title of a listed page.
    w("content/praktijken/taalcoach-op-de-werkvloer.md", &|t| {
        t.replace(
            "title: \"Taalcoach op de werkvloer\"",
            "title: \"Taalcoach in het bedrijf\"",
        )
    });
    let out = apply(
        &mut e,
        &root,
        &["content/praktijken/taalcoach-op-de-werkvloer.md"],
    );
    assert_eq!(
        out.kind,
        RebuildKind::Full,
        "another page includes part of it"
    );
    assert!(listed(&e, "Taalcoach in het bedrijf"));
    assert_same(&e, &root, "title of a listed page");
    // The title of a listed page that nothing includes: patched in.
    w("content/praktijken/netwerk/alumni-als-rolmodel.md", &|t| {
        t.replace(
            "title: \"Alumni als rolmodel\"",
            "title: \"Oud-studenten als rolmodel\"",
        )
    });
    let out = apply(
        &mut e,
        &root,
        &["content/praktijken/netwerk/alumni-als-rolmodel.md"],
    );
    assert_eq!(out.kind, RebuildKind::FrontMatter);
    assert!(listed(&e, "Oud-studenten als rolmodel"));
    assert_same(&e, &root, "title of a listed page, patched in");
    // An edit of an include-only file.
    w("content/_includes/over-via.md", &|t| {
        t.replace("liep van 2016", "liep (met vijftien pilots) van 2016")
    });
    apply(&mut e, &root, &["content/_includes/over-via.md"]);
    assert!(served(&e, "pilots/studiekeuze-vmbo/index.html").contains("met vijftien pilots"));
    assert_same(&e, &root, "included file edited");
    // A body edit of a page another page includes part of.
    w("content/praktijken/taalcoach-op-de-werkvloer.md", &|t| {
        t.replace("elke week een half uur", "elke week een uur")
    });
    let out = apply(
        &mut e,
        &root,
        &["content/praktijken/taalcoach-op-de-werkvloer.md"],
    );
    assert_eq!(out.kind, RebuildKind::Body, "the including page follows");
    assert!(served(&e, "pilots/studiekeuze-vmbo/index.html").contains("elke week een uur"));
    assert_same(&e, &root, "included page's body edited");
    // The included heading is renamed: the include names a heading that is
    // gone, an error at the call; naming the new heading fixes it.
    w("content/praktijken/taalcoach-op-de-werkvloer.md", &|t| {
        t.replace("## Aanpak", "## Werkwijze")
    });
    apply(
        &mut e,
        &root,
        &["content/praktijken/taalcoach-op-de-werkvloer.md"],
    );
    assert!(
        e.errors()
            .iter()
            .any(|d| d.message.contains("kop \"Aanpak\" niet gevonden")
                && d.file()
                    .is_some_and(|f| f.ends_with("content/pilots/studiekeuze-vmbo.md"))),
        "{:?}",
        e.errors()
    );
    w("content/pilots/studiekeuze-vmbo.md", &|t| {
        t.replace("heading=\"Aanpak\"", "heading=\"Werkwijze\"")
    });
    apply(&mut e, &root, &["content/pilots/studiekeuze-vmbo.md"]);
    assert!(served(&e, "pilots/studiekeuze-vmbo/index.html")
        .contains("<h2 id=\"werkwijze\">Werkwijze</h2>"));
    assert_same(&e, &root, "include heading renamed");
    // A shortcode template.
    w("templates/shortcodes/cijfer.html", &|t| {
        t.replace("<strong>", "<strong class=\"getal\">")
    });
    apply(&mut e, &root, &["templates/shortcodes/cijfer.html"]);
    assert!(served(&e, "thema-taal/index.html").contains("<strong class=\"getal\">1029</strong>"));
    assert_same(&e, &root, "shortcode template");
    // A new page that a query lists.
    std::fs::write(
        root.join("content/praktijken/voorlezen-op-stage.md"),
        "---\ntitle: \"Voorlezen op stage\"\ndate: 2024-06-01\nthema: [taal]\nstatus: gepland\n---\n\nStudenten lezen kinderen voor.\n",
    )
    .unwrap();
    apply(&mut e, &root, &["content/praktijken/voorlezen-op-stage.md"]);
    assert!(listed(&e, "Voorlezen op stage"));
    assert_same(&e, &root, "new page in a query");
    // A body edit that no shortcode reads stays a body edit.
    w("content/praktijken/nederlands-in-de-bouw.md", &|t| {
        t.replace(
            "met een docent erbij",
            "met een docent en een uitvoerder erbij",
        )
    });
    let out = apply(
        &mut e,
        &root,
        &["content/praktijken/nederlands-in-de-bouw.md"],
    );
    assert_eq!(out.kind, RebuildKind::Body);
    assert_same(&e, &root, "body edit nothing reads");
}

/// A copy of the serve fixture with search on, served.
fn searchable_site() -> (tempfile::TempDir, Server) {
    let dir = site_copy();
    let config = dir.path().join("kennisbank.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("enabled: false", "enabled: true")).unwrap();
    // The search page needs a template of its own.
    std::fs::write(
        dir.path().join("themes/mini/templates/search.html"),
        "<!doctype html><html lang=\"nl\"><title>Zoeken</title><p>Zoeken</p></html>\n",
    )
    .unwrap();
    let server = Server::start(dir.path());
    (dir, server)
}

/// Polls the served Pagefind entry until `until` accepts it. The index is
/// rebuilt on a niced thread once serve is idle, so on a loaded machine it
/// may take longer than a page reload.
fn poll_index(server: &Server, what: &str, until: &dyn Fn(&str) -> bool) -> String {
    const SEARCH_WAIT: Duration = Duration::from_secs(90);
    let deadline = Instant::now() + SEARCH_WAIT;
    loop {
        let r = server.get("/pagefind/pagefind-entry.json");
        if r.status == 200 && until(&r.body) {
            return r.body;
        }
        assert!(Instant::now() < deadline, "{what} within {SEARCH_WAIT:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// With search on, serve builds the index in the background and builds it
/// again after a change once the site is idle: the served index changes.
#[test]
fn the_search_index_is_refreshed_after_a_change() {
    let (dir, server) = searchable_site();
    let first = poll_index(&server, "a first index", &|_| true);
    assert!(first.contains("\"page_count\":"), "{first}");

    let md = dir.path().join("content/pilots/alfa.md");
    let page = std::fs::read_to_string(&md).unwrap();
    std::fs::write(&md, format!("{page}\nEen nieuw woord: zoekproefwoord.\n")).unwrap();
    let second = poll_index(&server, "a new index after the edit", &|b| b != first);
    assert!(second.contains("\"page_count\":"), "{second}");
}

/// Regression: a front-matter edit (reported as its own rebuild kind) left
/// the search index stale until some other edit.
#[test]
fn search_is_not_stale_after_a_front_matter_edit() {
    let (dir, server) = searchable_site();
    let first = poll_index(&server, "a first index", &|_| true);
    let md = dir.path().join("content/pilots/alfa.md");
    let page = std::fs::read_to_string(&md).unwrap();
    let renamed = page.replacen("title: \"Pilot Alfa\"", "title: \"Pilot Alfa Hernoemd\"", 1);
    assert_ne!(renamed, page, "the fixture's title line");
    std::fs::write(&md, renamed).unwrap();
    let second = poll_index(&server, "a new index after a title edit", &|b| b != first);
    assert!(second.contains("\"page_count\":"), "{second}");
}

// ---------------------------------------------------------------------------
// Serving while the first build renders in the background

const LAZY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/serve-lazy");
/// Enough dossiers that rendering them all takes seconds in a debug build.
const DOSSIERS: usize = 1500;

/// A copy of `tests/fixtures/serve-lazy` with [`DOSSIERS`] dossiers made
/// from its `dossier.txt`.
fn lazy_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(LAZY), dir.path());
    let template = std::fs::read_to_string(dir.path().join("dossier.txt")).unwrap();
    let wijken = ["centrum", "noord", "zuid", "oost", "west"];
    let situaties = [
        "huurachterstand",
        "zorgschulden",
        "beslag op het loon",
        "schulden bij de Belastingdienst",
    ];
    let regelingen = ["bijzondere-bijstand", "schuldsanering"];
    for n in 1..=DOSSIERS {
        let text = template
            .replace("{n}", &format!("{n:04}"))
            .replace("{wijk}", wijken[n % wijken.len()])
            .replace("{situatie}", situaties[n % situaties.len()])
            .replace("{regeling}", regelingen[n % regelingen.len()])
            .replace("{maand}", &format!("{:02}", 1 + n % 12))
            .replace("{dag}", &format!("{:02}", 1 + n % 28));
        std::fs::write(
            dir.path()
                .join(format!("content/dossiers/dossier-{n:04}.md")),
            text,
        )
        .unwrap();
    }
    dir
}

/// A served page without what serve adds before `</body>` (the live-reload
/// stylesheet and script, the writing panel).
fn without_live(html: &str) -> String {
    let start = html
        .find("<link rel=\"stylesheet\" href=\"/__kennisbank/")
        .unwrap_or_else(|| panic!("no live-reload stylesheet in {html}"));
    let script = html[start..]
        .find("data-inst=")
        .and_then(|i| {
            html[start + i..]
                .find("</script>")
                .map(|j| start + i + j + 9)
        })
        .unwrap_or_else(|| panic!("no live-reload script in {html}"));
    format!("{}{}", &html[..start], &html[script..])
}

#[test]
fn a_page_requested_before_the_background_render_reached_it_is_served_up_to_date() {
    let site = lazy_site();
    let root = site.path().canonicalize().unwrap();
    // Announced once the model is linked; every output is still queued.
    let mut server = Server::start_linked(&root);
    assert!(
        server.log.iter().any(|l| l.contains("in de wachtrij")),
        "the first build renders in the background: {:#?}",
        server.log
    );
    // Pages render in file order: the last dossiers come last.
    let asked = format!("dossier-{:04}", DOSSIERS - 1);
    let saved = format!("dossier-{DOSSIERS:04}");
    // Asked for first, with no save to interrupt the background render: it
    // must publish the page as soon as it is rendered, not at its end.
    let first = server.get(&format!("/dossiers/{asked}/"));
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(
        first
            .body
            .contains(&format!("Dossier {:04}:", DOSSIERS - 1)),
        "{}",
        first.body
    );
    edit(&root, &format!("content/dossiers/{saved}.md"), &|t| {
        t.replace(
            "Na drie maanden",
            "Bijgewerkt tijdens de eerste render. Na drie maanden",
        )
    });
    // The saved page is asked for until the save shows (the watcher's
    // debounce may not have passed yet).
    let deadline = Instant::now() + WAIT;
    let edited = loop {
        let r = server.get(&format!("/dossiers/{saved}/"));
        assert_eq!(r.status, 200, "{}", r.body);
        if r.body.contains("Bijgewerkt tijdens de eerste render.") {
            break r;
        }
        assert!(
            Instant::now() < deadline,
            "the save never showed: {}",
            r.body
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // Both were answered while the rest was still rendering: the line that
    // says the queue is done comes after them.
    while let Ok(line) = server.out.try_recv() {
        server.log.push(line);
    }
    assert!(
        !server
            .log
            .iter()
            .any(|l| l.contains("afhankelijke pagina's bijgewerkt")),
        "the background render ended before the requests: {:#?}",
        server.log
    );
    server.wait_line("afhankelijke pagina's bijgewerkt");
    // Rendered on request or in the background: a full build's bytes.
    let full = full_outputs(&root);
    for (slug, body) in [(&asked, &first.body), (&saved, &edited.body)] {
        let path = format!("dossiers/{slug}/index.html");
        assert_eq!(
            without_live(body),
            String::from_utf8_lossy(&full[&path]),
            "{path}"
        );
        let again = server.get(&format!("/{path}"));
        assert_eq!(without_live(&again.body), without_live(body), "{path}");
    }
    // A path no output has is still a 404 (with the site's 404 page).
    let missing = server.get("/dossiers/bestaat-niet/");
    assert_eq!(missing.status, 404);
    assert_eq!(
        without_live(&missing.body),
        String::from_utf8_lossy(&full["404.html"])
    );
}

/// An engine on `root` up to its linked model (what serve does first).
fn linked_engine(root: &Path) -> Engine {
    let mut e = Engine::new(
        BuildOptions {
            root: root.to_path_buf(),
            ..BuildOptions::default()
        },
        None,
    );
    let out = e.start();
    assert!(out.errors.is_none_or(|e| e.is_empty()), "{:?}", e.errors());
    e
}

#[test]
fn the_first_build_renders_requested_outputs_before_the_rest() {
    let site = lazy_site();
    let root = site.path().canonicalize().unwrap();
    let full = full_outputs(&root);
    let mut e = linked_engine(&root);
    assert!(
        e.outputs().is_empty(),
        "nothing is rendered before serve answers"
    );
    assert!(e.indexable_site().is_none(), "no page is rendered yet");
    let queued = e.queued();
    assert!(queued > DOSSIERS, "{queued}");
    let asked = format!("dossiers/dossier-{DOSSIERS:04}/index.html");
    assert!(e.is_pending(&asked));
    // One chunk, the requested page in it; the rest stays queued. (The
    // engine asks before each item of a chunk and once after it.)
    let one_chunk = || {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        move || calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= CHUNK
    };
    e.step(std::slice::from_ref(&asked), &one_chunk());
    assert_eq!(e.outputs()[&asked].bytes()[..], full[&asked][..]);
    assert!(!e.is_pending(&asked));
    assert!(e.queued() > 0 && e.queued() < queued, "{}", e.queued());
    // A path of the special item (404 page, feed, sitemap) next.
    assert!(e.is_pending("404.html") && e.is_pending("sitemap.xml"));
    e.step(&["404.html".to_string()], &one_chunk());
    assert_eq!(e.outputs()["404.html"].bytes()[..], full["404.html"][..]);
    assert!(!e.is_pending("sitemap.xml"));
    while e.has_queue() {
        e.step(&[], &|| false);
    }
    assert_eq!(e.queued(), 0);
    assert_same(&e, &root, "rendered in the background");
}

#[test]
fn long_outputs_wait_for_a_pause_in_the_saves() {
    let site = lazy_site();
    let root = site.path().canonicalize().unwrap();
    let mut e = started_engine(&root);
    // A pause longer than the test: nothing heavy starts by itself.
    let quiet = Duration::from_secs(3600);
    e.defer_heavy(quiet);
    // A new title shows in the section list (1,500 pages), the feed and the
    // sitemap: heavy; the page itself and its terms are not.
    edit(&root, "content/dossiers/dossier-0007.md", &|t| {
        t.replacen(
            "title: \"Dossier 0007:",
            "title: \"Dossier 0007 (herzien):",
            1,
        )
    });
    let mut b = Batch::default();
    b.add(
        &root,
        &root.join("content/dossiers/dossier-0007.md"),
        e.theme_name(),
    );
    let out = e.apply(&b, &[]);
    assert!(out.errors.is_none_or(|e| e.is_empty()), "{:?}", e.errors());
    let page = "dossiers/dossier-0007/index.html";
    assert!(String::from_utf8_lossy(&e.outputs()[page].bytes()).contains("(herzien)"));
    assert!(
        e.indexable_site().is_none(),
        "its terms are queued, and they are no long lists"
    );
    // Steps return now and then to publish: until only heavy items are left.
    while e.next_step_in() == Some(Duration::ZERO) {
        e.step(&[], &|| false);
    }
    assert!(e.has_queue(), "the section list, feed and sitemap wait");
    assert!(e.is_pending("dossiers/index.html"));
    // The search index need not wait for them: it holds pages only, and
    // every page is rendered.
    assert!(e.good_site().is_none());
    let site = e.indexable_site().expect("only long lists are queued");
    let records = kennisbank::search::records(site, &e.rendered_pages());
    assert_eq!(records.len(), site.pages.len());
    assert!(
        records
            .iter()
            .any(|r| r.title.contains("Dossier 0007 (herzien)")),
        "the index would have the new title"
    );
    let list = |e: &Engine| {
        String::from_utf8_lossy(&e.outputs()["dossiers/index.html"].bytes()).into_owned()
    };
    assert!(!list(&e).contains("(herzien)"), "not rendered yet");
    let wait = e.next_step_in().expect("something is queued");
    assert!(wait > Duration::ZERO && wait <= quiet, "{wait:?}");
    // Open in a browser: rendered at once all the same.
    e.step(&["dossiers/index.html".to_string()], &|| false);
    assert!(!e.is_pending("dossiers/index.html"));
    assert!(list(&e).contains("Dossier 0007 (herzien):"));
    // The saves have paused (as if the hour had passed).
    e.defer_heavy(Duration::ZERO);
    assert_eq!(e.next_step_in(), Some(Duration::ZERO));
    while e.has_queue() {
        e.step(&[], &|| false);
    }
    assert_same(&e, &root, "after the pause");
}

/// A save while the first build is still rendering in the background: what
/// it has not rendered yet was never served (a request waits for it), so
/// rendering it afterwards reloads no browser. Only a stylesheet swap.
#[test]
fn outputs_the_first_build_renders_after_a_save_reload_nothing() {
    let site = lazy_site();
    let root = site.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("static/css")).unwrap();
    std::fs::write(root.join("static/css/eigen.css"), "p { margin: 0; }\n").unwrap();
    let mut e = linked_engine(&root);
    let asked = format!("dossiers/dossier-{DOSSIERS:04}/index.html");
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let one_chunk = || calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= CHUNK;
    e.step(std::slice::from_ref(&asked), &one_chunk);
    assert!(e.outputs().contains_key(&asked));
    let queued = e.queued();
    assert!(queued > DOSSIERS / 2, "{queued}");

    std::fs::write(root.join("static/css/eigen.css"), "p { margin: 1em; }\n").unwrap();
    let mut b = Batch::default();
    b.add(&root, &root.join("static/css/eigen.css"), e.theme_name());
    let out = e.apply(&b, &[]);
    assert_eq!(out.kind, RebuildKind::Static);
    assert_eq!(out.styles, ["css/eigen.css"]);
    let mut reloads: Vec<String> = Vec::new();
    let mut rendered = 0;
    let mut note = |o: &kennisbank::serve::engine::Outcome| {
        rendered += o.updates.len();
        reloads.extend(
            o.updates
                .iter()
                .map(|(p, _)| p.clone())
                .filter(|p| !o.silent.contains(p)),
        );
    };
    note(&out);
    while e.has_queue() {
        let o = e.step(&[], &|| false);
        note(&o);
    }
    assert!(rendered >= queued, "{rendered} of {queued}");
    assert!(
        reloads.is_empty(),
        "{} reloads: {:?}",
        reloads.len(),
        &reloads[..reloads.len().min(5)]
    );
    assert_same(&e, &root, "after the stylesheet");
}
