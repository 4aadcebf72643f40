//! The hosting configurations in docs/publishing.md, tested: Debian's nginx
//! runs the blocks marked `<!-- test: … -->` there (not a copy of them) in
//! the foreground, with its own prefix in a temporary folder, on a free
//! loopback port. A sub-path build of the bundled site must answer every
//! page with 200, a folder without a slash with a redirect that keeps the
//! sub-path, and a missing page with the site's own 404.html and status 404.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NGINX: &str = "/usr/sbin/nginx";
/// The folder the documented blocks serve from.
const DOC_ROOT: &str = "/var/www/kennisbank";
const DOC_HEADERS: &str = "/etc/nginx/snippets/kennisbank-headers.conf";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fenced block that follows `<!-- test: NAME -->` in docs/publishing.md.
fn documented(name: &str) -> String {
    let doc = std::fs::read_to_string(repo().join("docs/publishing.md")).unwrap();
    let marker = format!("<!-- test: {name} -->");
    let start = doc
        .find(&marker)
        .unwrap_or_else(|| panic!("docs/publishing.md has no {marker}"));
    let rest = &doc[start + marker.len()..];
    let open = rest.find("```").unwrap();
    let body = &rest[open..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_string()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// nginx in the foreground, stopped when dropped.
struct Nginx {
    child: Child,
    port: u16,
    prefix: tempfile::TempDir,
}

impl Nginx {
    /// Runs the documented server block `name`, serving `site` (a build's
    /// output) where the documentation says /var/www/kennisbank.
    fn start(name: &str, site: &Path) -> Nginx {
        let prefix = tempfile::tempdir().unwrap();
        let p = prefix.path();
        let port = free_port();
        let headers = p.join("kennisbank-headers.conf");
        std::fs::write(&headers, documented("nginx-headers")).unwrap();
        let server = documented(name);
        assert!(server.contains("listen 80;"), "{server}");
        assert!(server.contains(DOC_ROOT), "{server}");
        let server = server
            .replace("listen 80;", &format!("listen 127.0.0.1:{port};"))
            .replace(DOC_ROOT, &site.display().to_string())
            .replace(DOC_HEADERS, &headers.display().to_string());
        for d in ["body", "proxy", "fastcgi", "uwsgi", "scgi"] {
            std::fs::create_dir_all(p.join("tmp").join(d)).unwrap();
        }
        let t = |d: &str| p.join("tmp").join(d).display().to_string();
        // master_process off: one process as the test's own user, so the
        // temporary folders need not be readable by nginx's usual user.
        let conf = format!(
            "daemon off;\nmaster_process off;\npid {pid};\nerror_log {log} warn;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n  access_log off;\n\
             client_body_temp_path {body};\n  proxy_temp_path {proxy};\n  fastcgi_temp_path {fastcgi};\n\
             uwsgi_temp_path {uwsgi};\n  scgi_temp_path {scgi};\n{server}\n}}\n",
            pid = p.join("nginx.pid").display(),
            log = p.join("error.log").display(),
            body = t("body"),
            proxy = t("proxy"),
            fastcgi = t("fastcgi"),
            uwsgi = t("uwsgi"),
            scgi = t("scgi"),
        );
        let conf_path = p.join("nginx.conf");
        std::fs::write(&conf_path, &conf).unwrap();
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(p)
            .arg("-e")
            .arg(p.join("error.log"))
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{NGINX} starts (apt-get install nginx-light): {e}"));
        let nginx = Nginx {
            child,
            port,
            prefix,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not start:\n{}\n{conf}",
                std::fs::read_to_string(nginx.prefix.path().join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        nginx
    }

    fn get(&self, path: &str) -> Response {
        get(self.port, path)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    /// The start of the body, for messages.
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body)
            .chars()
            .take(400)
            .collect()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A plain HTTP/1.0 GET (nginx answers with the length or by closing).
fn get(port: u16, path: &str) -> Response {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete HTTP response");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Response {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn build(root: &Path, out: &Path, base_url: &str) {
    let run = Command::new(common::bin())
        .arg("build")
        .arg("--root")
        .arg(root)
        .arg("--output")
        .arg(out)
        .arg("--base-url")
        .arg(base_url)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// `(URL path relative to the site, file)` of every HTML page of a build:
/// `pilots/x/` for `pilots/x/index.html`, `404.html` as is.
fn pages(public: &Path) -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = walkdir::WalkDir::new(public)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(public)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let url = rel.strip_suffix("index.html").unwrap_or(&rel).to_string();
            (url, e.path().to_path_buf())
        })
        .collect();
    out.sort();
    out
}

fn check_site(nginx: &Nginx, prefix: &str, public: &Path) {
    let pages = pages(public);
    let sections = pages
        .iter()
        .filter(|(u, _)| u.ends_with('/') && !u.is_empty())
        .count();
    assert!(pages.len() > 10 && sections > 3, "a real site: {pages:?}");
    for (url, file) in &pages {
        let r = nginx.get(&format!("{prefix}{url}"));
        assert_eq!(r.status, 200, "{prefix}{url}");
        assert!(
            r.body == std::fs::read(file).unwrap(),
            "{prefix}{url}: not the built file, got:\n{}",
            r.text()
        );
        assert_eq!(r.header("X-Content-Type-Options"), Some("nosniff"));
        assert!(
            r.header("Content-Security-Policy")
                .is_some_and(|c| c.contains("default-src 'self'")),
            "{prefix}{url}: {:?}",
            r.headers
        );
        assert!(r.header("Strict-Transport-Security").is_some());
    }
    let css = nginx.get(&format!("{prefix}css/site.css"));
    assert_eq!(css.status, 200);
    assert!(css
        .header("Content-Type")
        .is_some_and(|c| c.starts_with("text/css")));
    let index = nginx.get(&format!("{prefix}pagefind/pagefind.js"));
    assert_eq!(index.status, 200, "the search bundle is served");

    // A folder without its slash: a redirect that keeps the sub-path.
    let (folder, _) = pages
        .iter()
        .find(|(u, _)| u.ends_with('/') && !u.is_empty())
        .unwrap();
    let r = nginx.get(&format!("{prefix}{}", folder.trim_end_matches('/')));
    assert_eq!(r.status, 301, "{folder}");
    assert_eq!(
        r.header("Location"),
        Some(format!("{prefix}{folder}").as_str())
    );

    // Missing pages: the site's own 404 page, with status 404.
    let own_404 = std::fs::read(public.join("404.html")).unwrap();
    for missing in ["bestaat-niet/", "pilots/bestaat-niet/", "oud.html"] {
        let r = nginx.get(&format!("{prefix}{missing}"));
        assert_eq!(r.status, 404, "{missing}");
        assert!(
            r.body == own_404,
            "{missing}: not the site's own 404.html, got:\n{}",
            r.text()
        );
        assert_eq!(r.header("X-Content-Type-Options"), Some("nosniff"));
    }
}

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs nginx (/usr/sbin/nginx, .ci/run installs it): run scripts/test"
)]
fn nginx_serves_a_sub_path_build_with_the_documented_configuration() {
    let out = tempfile::tempdir().unwrap();
    let public = out.path().join("public");
    let nginx_site = out.path().join("kennisbank");
    build(&repo(), &public, "/kennisbank/");
    // The documented block serves /var/www/kennisbank/: the copied output.
    std::fs::rename(&public, &nginx_site).unwrap();
    let nginx = Nginx::start("nginx-subpath", &nginx_site);
    check_site(&nginx, "/kennisbank/", &nginx_site);
    // Outside the sub-path nothing is served from the site.
    assert_eq!(nginx.get("/pilots/").status, 404);
}

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs nginx (/usr/sbin/nginx, .ci/run installs it): run scripts/test"
)]
fn nginx_serves_a_root_build_with_the_documented_configuration() {
    let out = tempfile::tempdir().unwrap();
    let public = out.path().join("kennisbank");
    build(&repo(), &public, "/");
    let nginx = Nginx::start("nginx-root", &public);
    check_site(&nginx, "/", &public);
}
