//! The hosting configurations in docs/publishing.md, tested: Debian's nginx,
//! Apache and Caddy run the blocks marked `<!-- test: … -->` there (not a
//! copy of them) in the foreground, with their own files in a temporary
//! folder, on a free loopback port. A root and a sub-path build of the
//! bundled site must answer every page with 200 and the security headers,
//! a folder without a slash with a redirect that keeps the sub-path, and a
//! missing page with the site's own 404.html and status 404.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::http::{free_port, get, wait_for_port};

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

/// A web server in the foreground with its files in `dir`, stopped when dropped.
struct Host {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Host {
    /// Waits for `child` to listen on `port`; panics with its stderr, its
    /// error log in `dir` (if it writes one) and `conf`.
    fn wait(
        child: Child,
        port: u16,
        dir: tempfile::TempDir,
        log: Option<&str>,
        conf: &str,
    ) -> Host {
        let mut host = Host { child, port, dir };
        if !wait_for_port(port, Duration::from_secs(20)) {
            let _ = host.child.kill();
            let stderr = host
                .child
                .stderr
                .take()
                .map(|mut e| {
                    let mut t = String::new();
                    let _ = std::io::Read::read_to_string(&mut e, &mut t);
                    t
                })
                .unwrap_or_default();
            panic!(
                "the server did not start:\n{stderr}\n{}\n{conf}",
                log.and_then(|l| std::fs::read_to_string(host.dir.path().join(l)).ok())
                    .unwrap_or_default()
            );
        }
        host
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Nginx;

impl Nginx {
    /// Runs the documented server block `name`, serving `site` (a build's
    /// output) where the documentation says /var/www/kennisbank.
    fn start(name: &str, site: &Path) -> Host {
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
        Host::wait(child, port, prefix, Some("error.log"), &conf)
    }
}

const APACHE: &str = "/usr/sbin/apache2";
const APACHE_MODULES: &str = "/usr/lib/apache2/modules";
const CADDY: &str = "/usr/bin/caddy";

/// Whether the tests run as root (then Apache must switch to another user,
/// which must be able to read the site).
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// Lets another user read `dir` (a temporary folder is 0700).
fn open_up(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

struct Apache;

impl Apache {
    /// Runs the documented virtual host `vhost` with the documented
    /// `.htaccess` written beside the site's index.html, in one process in
    /// the foreground (`-X`) with a configuration of its own.
    fn start(vhost: &str, htaccess: &str, site: &Path) -> Host {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        let port = free_port();
        std::fs::write(site.join(".htaccess"), documented(htaccess)).unwrap();
        let vhost = documented(vhost);
        assert!(vhost.contains("<VirtualHost *:80>"), "{vhost}");
        assert!(vhost.contains(DOC_ROOT), "{vhost}");
        let vhost = vhost
            .replace(
                "<VirtualHost *:80>",
                &format!("<VirtualHost 127.0.0.1:{port}>"),
            )
            .replace(DOC_ROOT, &site.display().to_string());
        // Requests outside the site land in an empty folder of their own.
        let empty = p.join("leeg");
        std::fs::create_dir(&empty).unwrap();
        let user = if running_as_root() {
            open_up(p);
            open_up(&empty);
            "User nobody\nGroup nogroup\n"
        } else {
            ""
        };
        let modules: String = [
            ("mpm_prefork", "mpm_prefork"),
            ("authz_core", "authz_core"),
            ("dir", "dir"),
            ("mime", "mime"),
            ("alias", "alias"),
            ("headers", "headers"),
            ("setenvif", "setenvif"),
            ("filter", "filter"),
            ("deflate", "deflate"),
        ]
        .iter()
        .map(|(m, f)| format!("LoadModule {m}_module {APACHE_MODULES}/mod_{f}.so\n"))
        .collect();
        let conf = format!(
            "ServerRoot {root}\nServerName 127.0.0.1\nListen 127.0.0.1:{port}\n{modules}{user}\
             PidFile {root}/httpd.pid\nErrorLog {root}/error.log\nDefaultRuntimeDir {root}\n\
             TypesConfig /etc/mime.types\nDocumentRoot {empty}\n\
             <Directory />\n    AllowOverride None\n    Require all denied\n</Directory>\n\
             <Directory {empty}>\n    Require all granted\n</Directory>\n{vhost}\n",
            root = p.display(),
            empty = empty.display(),
        );
        let conf_path = p.join("httpd.conf");
        std::fs::write(&conf_path, &conf).unwrap();
        let child = Command::new(APACHE)
            .arg("-X")
            .arg("-f")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{APACHE} starts (apt-get install apache2): {e}"));
        Host::wait(child, port, dir, Some("error.log"), &conf)
    }
}

struct Caddy;

impl Caddy {
    /// Runs the documented site block `name` after the documented headers
    /// snippet, on a loopback port over plain HTTP, with no admin endpoint
    /// and its data in the temporary folder.
    fn start(name: &str, site: &Path) -> Host {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        let port = free_port();
        let block = documented(name);
        let host = block.lines().next().unwrap().trim_end_matches('{').trim();
        assert!(host.ends_with("example.nl"), "{block}");
        assert!(block.contains(DOC_ROOT), "{block}");
        let block = block
            .replacen(host, &format!("http://127.0.0.1:{port}"), 1)
            .replace(DOC_ROOT, &site.display().to_string());
        let conf = format!(
            "{{\n    admin off\n    auto_https off\n    storage file_system {data}\n}}\n{headers}\n{block}",
            data = p.join("data").display(),
            headers = documented("caddy-headers"),
        );
        let conf_path = p.join("Caddyfile");
        std::fs::write(&conf_path, &conf).unwrap();
        let child = Command::new(CADDY)
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&conf_path)
            .env("HOME", p)
            .env("XDG_DATA_HOME", p.join("data"))
            .env("XDG_CONFIG_HOME", p.join("config"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{CADDY} starts (apt-get install caddy): {e}"));
        // Caddy logs to stderr.
        Host::wait(child, port, dir, None, &conf)
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

/// What every documented configuration must do for the build `public`
/// served at `prefix` by the server on `port` (`server` names it in messages).
fn check_site(server: &str, port: u16, prefix: &str, public: &Path) {
    let pages = pages(public);
    let sections = pages
        .iter()
        .filter(|(u, _)| u.ends_with('/') && !u.is_empty())
        .count();
    assert!(pages.len() > 10 && sections > 3, "a real site: {pages:?}");
    for (url, file) in &pages {
        let r = get(port, &format!("{prefix}{url}"));
        assert_eq!(r.status, 200, "{server}: {prefix}{url}");
        assert!(
            r.body == std::fs::read(file).unwrap(),
            "{server}: {prefix}{url}: not the built file, got:\n{}",
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
    let css = get(port, &format!("{prefix}css/site.css"));
    assert_eq!(css.status, 200);
    assert!(css
        .header("Content-Type")
        .is_some_and(|c| c.starts_with("text/css")));
    let index = get(port, &format!("{prefix}pagefind/pagefind.js"));
    assert_eq!(index.status, 200, "the search bundle is served");
    // The search page's facets are gzipped by the build: a host must hand
    // them on as they are (some hosts send a `.gz` file with `Content-Encoding`).
    let facets = std::fs::read_dir(public.join("pagefind"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("kb-facets."))
        .expect("the build writes the facets");
    let r = get(port, &format!("{prefix}pagefind/{facets}"));
    assert_eq!(r.status, 200, "{server}: {facets}");
    assert_eq!(r.header("Content-Encoding"), None, "{server}: {facets}");
    assert!(
        r.body == std::fs::read(public.join("pagefind").join(&facets)).unwrap(),
        "{server}: {facets} is not the built file"
    );

    // A folder without its slash: a redirect that keeps the sub-path.
    let (folder, _) = pages
        .iter()
        .find(|(u, _)| u.ends_with('/') && !u.is_empty())
        .unwrap();
    let r = get(port, &format!("{prefix}{}", folder.trim_end_matches('/')));
    // 301 or 308 (Caddy): both permanent. The target may be absolute
    // (Apache) but then on the host and port the browser used.
    assert!(
        [301, 308].contains(&r.status),
        "{server}: {folder} answers {}",
        r.status
    );
    let location = r.header("Location").unwrap_or_default();
    let origin = format!("http://127.0.0.1:{port}");
    assert_eq!(
        location.strip_prefix(&origin).unwrap_or(location),
        format!("{prefix}{folder}"),
        "{server}: redirect of {folder}"
    );

    // Missing pages: the site's own 404 page, with status 404.
    let own_404 = std::fs::read(public.join("404.html")).unwrap();
    for missing in ["bestaat-niet/", "pilots/bestaat-niet/", "oud.html"] {
        let r = get(port, &format!("{prefix}{missing}"));
        assert_eq!(r.status, 404, "{server}: {missing}");
        assert!(
            r.body == own_404,
            "{server}: {missing}: not the site's own 404.html, got:\n{}",
            r.text()
        );
        assert_eq!(
            r.header("X-Content-Type-Options"),
            Some("nosniff"),
            "{server}: {missing}: {:?}",
            r.headers
        );
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
    check_site("nginx", nginx.port, "/kennisbank/", &nginx_site);
    // Outside the sub-path nothing is served from the site.
    assert_eq!(get(nginx.port, "/pilots/").status, 404);
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
    check_site("nginx", nginx.port, "/", &public);
}

/// A build of the bundled site at `base_url`, in a folder named like the
/// documented one; the temporary folder holding it is readable by others
/// (Apache run as root switches to `nobody`).
fn built_site(base_url: &str) -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().unwrap();
    open_up(out.path());
    let site = out.path().join("kennisbank");
    build(&repo(), &site, base_url);
    (out, site)
}

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs apache2 (.ci/run installs it): run scripts/test"
)]
fn apache_serves_a_root_build_with_the_documented_configuration() {
    let (_out, site) = built_site("/");
    let apache = Apache::start("apache-root", "apache-htaccess-root", &site);
    check_site("apache", apache.port, "/", &site);
}

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs apache2 (.ci/run installs it): run scripts/test"
)]
fn apache_serves_a_sub_path_build_with_the_documented_configuration() {
    let (_out, site) = built_site("/kennisbank/");
    let apache = Apache::start("apache-subpath", "apache-htaccess-subpath", &site);
    check_site("apache", apache.port, "/kennisbank/", &site);
    let r = get(apache.port, "/kennisbank");
    assert_eq!(r.status, 301, "/kennisbank");
    assert_eq!(get(apache.port, "/pilots/").status, 404);
}

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs caddy (.ci/run installs it): run scripts/test"
)]
fn caddy_serves_a_root_build_with_the_documented_configuration() {
    let (_out, site) = built_site("/");
    let caddy = Caddy::start("caddy-root", &site);
    check_site("caddy", caddy.port, "/", &site);
}

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs caddy (.ci/run installs it): run scripts/test"
)]
fn caddy_serves_a_sub_path_build_with_the_documented_configuration() {
    let (_out, site) = built_site("/kennisbank/");
    let caddy = Caddy::start("caddy-subpath", &site);
    check_site("caddy", caddy.port, "/kennisbank/", &site);
    let r = get(caddy.port, "/kennisbank");
    assert_eq!(r.status, 301, "/kennisbank");
    assert_eq!(r.header("Location"), Some("/kennisbank/"));
    assert_eq!(get(caddy.port, "/pilots/").status, 404);
}
