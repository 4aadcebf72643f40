//! HTTP for the dev server: serves the published snapshot from memory (and
//! assets from their source files), the live-reload script and the event
//! stream. Paths are checked before any lookup: no `..`, encoded slashes,
//! backslashes or NUL; assets must resolve inside the site root.
//!
//! Plain hyper with the `http` types, no web framework: every path is looked
//! up in the published snapshot (there are no routes to declare), assets
//! are checked against the root after `canonicalize` before they are read,
//! conditional GET is answered from memory with ETags of the publish
//! generation, and event-stream frames are built once by [`live`] and
//! broadcast as text to every browser.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc, watch};

use crate::error::Diagnostic;

use super::live;
use super::packed::Packed;

/// A response body: bytes in memory, or the event stream.
type Body = BoxBody<Bytes, Infallible>;

fn full(bytes: Bytes) -> Body {
    Full::new(bytes).boxed()
}

/// One served output file, as rendered (the live-reload script and the
/// error overlay are added to HTML when it is sent).
#[derive(Debug)]
pub(crate) struct Served {
    /// The file as rendered, deflated (see `packed`).
    pub packed: Packed,
    /// Publish generation of this version: the ETag and missed-event check.
    pub gen: u64,
    pub modified: SystemTime,
}

/// What the server shows; replaced whole on every publish.
#[derive(Debug, Clone, Default)]
pub(crate) struct Snapshot {
    pub base_path: String,
    pub files: Files,
    /// Output path → source file, read on request.
    pub assets: HashMap<String, PathBuf>,
    /// Output path → bytes built into the binary (the default theme's static files).
    pub embedded: HashMap<String, &'static [u8]>,
    pub errors: Arc<Vec<Diagnostic>>,
    /// Changes with every change of `errors` (part of HTML ETags).
    pub error_gen: u64,
    pub gen: u64,
    /// A build has succeeded at least once.
    pub built: bool,
    /// Page sources for the writing-hints panel (B1).
    pub writing: Arc<crate::b1::Sources>,
    /// Outputs the engine still has to render (the first build renders in
    /// the background): a request for a missing file waits for it.
    pub queued: usize,
}

/// Output path → served file, in shards that are shared between snapshots:
/// a publish copies the shards it changes, not a map of every file of the
/// site (100,000 paths at 100,000 pages, on every save).
#[derive(Debug, Clone, Default)]
pub(crate) struct Files {
    shards: Vec<Arc<HashMap<String, Arc<Served>>>>,
}

/// Shards of [`Files`]: a publish that changes one file copies 1/256 of
/// the paths.
const SHARDS: usize = 256;

impl Files {
    fn shard(path: &str) -> usize {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        path.hash(&mut h);
        (h.finish() as usize) % SHARDS
    }

    pub(crate) fn get(&self, path: &str) -> Option<&Arc<Served>> {
        self.shards.get(Self::shard(path))?.get(path)
    }

    pub(crate) fn contains_key(&self, path: &str) -> bool {
        self.get(path).is_some()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.shards.iter().all(|s| s.is_empty())
    }

    pub(crate) fn insert(&mut self, path: String, f: Arc<Served>) {
        if self.shards.is_empty() {
            self.shards = (0..SHARDS).map(|_| Arc::default()).collect();
        }
        let i = Self::shard(&path);
        Arc::make_mut(&mut self.shards[i]).insert(path, f);
    }

    pub(crate) fn remove(&mut self, path: &str) {
        let i = Self::shard(path);
        if self.shards.get(i).is_some_and(|s| s.contains_key(path)) {
            Arc::make_mut(&mut self.shards[i]).remove(path);
        }
    }

    /// Drops the files under `prefix` (the search index's, when a new one
    /// comes).
    pub(crate) fn remove_under(&mut self, prefix: &str) {
        for s in &mut self.shards {
            if s.keys().any(|p| p.starts_with(prefix)) {
                Arc::make_mut(s).retain(|p, _| !p.starts_with(prefix));
            }
        }
    }
}

/// State shared by the request handlers and the rebuild thread.
pub struct Shared {
    snapshot: RwLock<Arc<Snapshot>>,
    events: broadcast::Sender<Arc<str>>,
    /// Output paths open in a browser (with an event stream), with a count.
    open: Mutex<HashMap<String, usize>>,
    /// Canonical site root: assets must stay inside it.
    root: PathBuf,
    pub instance: String,
    shutdown: watch::Receiver<bool>,
    /// Requested output paths not rendered yet (see [`Shared::want`]).
    wanted: Mutex<Wanted>,
    /// Counts publishes and settlings: a waiting request wakes on each
    /// (see [`Shared::wait_for`]) instead of polling.
    published: watch::Sender<u64>,
}

/// Requests waiting for the engine's queue.
#[derive(Debug, Default)]
struct Wanted {
    /// Output paths asked for, for the rebuild thread to render first.
    paths: HashSet<String>,
    /// Paths the rebuild thread found no queued output for: a request
    /// stops waiting for them.
    settled: HashSet<String>,
    /// Changes with every new path (interrupts the rendering in progress).
    gen: u64,
}

impl Shared {
    pub fn new(root: PathBuf, shutdown: watch::Receiver<bool>) -> Arc<Shared> {
        let (events, _) = broadcast::channel(256);
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        Arc::new(Shared {
            snapshot: RwLock::new(Arc::new(Snapshot {
                base_path: "/".into(),
                ..Snapshot::default()
            })),
            events,
            open: Mutex::new(HashMap::new()),
            root,
            instance: format!("{:x}{:x}", nanos as u64, std::process::id()),
            shutdown,
            wanted: Mutex::new(Wanted::default()),
            published: watch::channel(0).0,
        })
    }

    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn replace(&self, snap: Snapshot) {
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(snap);
        self.published.send_modify(|n| *n += 1);
    }

    /// Sends one SSE frame to every connected browser.
    pub(crate) fn send(&self, frame: String) {
        let _ = self.events.send(Arc::from(frame));
    }

    /// Counts `path` (an output path) as open in a browser, as its event
    /// stream does; for kb-bench's latency measurement, which has no browser.
    pub fn mark_open(&self, path: &str) {
        *self
            .open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(path.to_string())
            .or_default() += 1;
    }

    /// Output paths currently open in a browser.
    pub(crate) fn open_paths(&self) -> Vec<String> {
        self.open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    /// Asks the rebuild thread to render output `path` next (a request for
    /// it arrived before the background render reached it).
    pub fn want(&self, path: &str) {
        let mut w = self.wanted.lock().unwrap_or_else(|e| e.into_inner());
        if !w.settled.contains(path) && w.paths.insert(path.to_string()) {
            w.gen += 1;
        }
    }

    /// The requested paths still waiting, and a number that changes with
    /// every new one.
    pub(crate) fn wanted(&self) -> (Vec<String>, u64) {
        let w = self.wanted.lock().unwrap_or_else(|e| e.into_inner());
        (w.paths.iter().cloned().collect(), w.gen)
    }

    /// Outputs the engine had queued at the last publish (kb-bench waits
    /// for the first build's background render with it).
    pub fn queued(&self) -> usize {
        self.snapshot().queued
    }

    pub(crate) fn wanted_gen(&self) -> u64 {
        self.wanted.lock().unwrap_or_else(|e| e.into_inner()).gen
    }

    /// After a publish: the wanted paths that are served now, or that
    /// `pending` says no queued output will make, stop waiting. With
    /// nothing queued any more, everything is settled.
    pub(crate) fn settle(&self, pending: impl Fn(&str) -> bool, queue_empty: bool) {
        {
            let mut w = self.wanted.lock().unwrap_or_else(|e| e.into_inner());
            if queue_empty {
                w.paths.clear();
                w.settled.clear();
            } else {
                let done: Vec<String> = w.paths.iter().filter(|p| !pending(p)).cloned().collect();
                for p in done {
                    w.paths.remove(&p);
                    w.settled.insert(p);
                }
            }
        }
        self.published.send_modify(|n| *n += 1);
    }

    fn is_settled(&self, path: &str) -> bool {
        self.wanted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .settled
            .contains(path)
    }

    /// Waits (at most [`WANT_WAIT`]) until the output at `key`, or the
    /// folder's `index.html` behind it, is rendered, or no queued output
    /// will make it; returns the snapshot to answer from.
    async fn wait_for(&self, snap: Arc<Snapshot>, key: &str) -> Arc<Snapshot> {
        let mut keys = vec![key.to_string()];
        if !key.is_empty() && !key.ends_with(".html") && !key.contains('.') {
            keys.push(format!("{key}/index.html"));
        }
        let present = |s: &Snapshot| {
            keys.iter().any(|k| s.files.contains_key(k))
                || s.assets.contains_key(key)
                || s.embedded.contains_key(key)
        };
        if snap.queued == 0 || present(&snap) {
            return snap;
        }
        // Subscribed before asking: a publish from now on is not missed.
        let mut published = self.published.subscribe();
        for k in &keys {
            self.want(k);
        }
        let deadline = tokio::time::Instant::now() + WANT_WAIT;
        let mut snap = self.snapshot();
        while snap.queued > 0 && !present(&snap) && !keys.iter().all(|k| self.is_settled(k)) {
            match tokio::time::timeout_at(deadline, published.changed()).await {
                Ok(Ok(())) => snap = self.snapshot(),
                // The deadline passed (`changed` errs only once the sender
                // is dropped, and `Shared` owns it).
                _ => return self.snapshot(),
            }
        }
        snap
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.events.subscribe()
    }

    /// The bytes served at output path `path`; for kb-bench, which times
    /// when `pagefind/pagefind-entry.json` changes after a save.
    pub fn served(&self, path: &str) -> Option<Vec<u8>> {
        self.snapshot()
            .files
            .get(path)
            .map(|s| s.packed.bytes().to_vec())
    }
}

// ---------------------------------------------------------------------------
// Paths

/// Why a request path is refused before any lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not a valid path at all (no leading slash, bad UTF-8).
    BadRequest,
    /// An attempt to leave the site: `..`, encoded separators, NUL, `\`.
    Forbidden,
}

/// Decodes a request path (without query) and refuses anything that could
/// escape the site. The result starts with `/`.
pub(crate) fn clean_path(raw: &str) -> Result<String, Refusal> {
    if !raw.starts_with('/') {
        return Err(Refusal::BadRequest);
    }
    let lower = raw.to_ascii_lowercase();
    if raw.contains('\\') || lower.contains("%2f") || lower.contains("%5c") || lower.contains("%00")
    {
        return Err(Refusal::Forbidden);
    }
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| Refusal::BadRequest)?;
    if decoded.contains('\0') || decoded.contains('\\') {
        return Err(Refusal::Forbidden);
    }
    if decoded.split('/').any(|seg| seg == ".." || seg == ".") {
        return Err(Refusal::Forbidden);
    }
    Ok(decoded.into_owned())
}

/// What a clean path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// An output or asset path relative to the output root.
    File(String),
    /// Redirect to this URL path (folder without slash, root to base path).
    Redirect(String),
    NotFound,
}

/// Maps a clean URL path onto the snapshot: the base path is stripped,
/// folders get `index.html`, `/pilots` redirects to `/pilots/`.
pub(crate) fn lookup(snap: &Snapshot, path: &str) -> Lookup {
    let base = snap.base_path.as_str();
    let Some(rest) = path.strip_prefix(base) else {
        if path == base.trim_end_matches('/') || path == "/" {
            return Lookup::Redirect(base.to_string());
        }
        return Lookup::NotFound;
    };
    let key = if rest.is_empty() || rest.ends_with('/') {
        format!("{rest}index.html")
    } else {
        rest.to_string()
    };
    if snap.files.contains_key(&key)
        || snap.assets.contains_key(&key)
        || snap.embedded.contains_key(&key)
    {
        return Lookup::File(key);
    }
    if !rest.is_empty()
        && !rest.ends_with('/')
        && snap.files.contains_key(&format!("{rest}/index.html"))
    {
        return Lookup::Redirect(format!("{path}/"));
    }
    Lookup::NotFound
}

// ---------------------------------------------------------------------------
// Serving

const MAX_HEADER_BYTES: usize = 64 * 1024;
/// How long a request waits for its page while the first build renders.
const WANT_WAIT: Duration = Duration::from_secs(60);
const MAX_CONNECTIONS: usize = 512;

/// Accepts connections until `shutdown` turns true, then lets open
/// requests finish (event streams end at once), for at most two seconds.
/// Resolves once `rx` says stop (or its sender is gone).
async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else { continue };
                while conns.try_join_next().is_some() {}
                if conns.len() >= MAX_CONNECTIONS {
                    continue; // dropped: too many open connections
                }
                let shared = shared.clone();
                let stop = shutdown.clone();
                conns.spawn(async move {
                    let svc = service_fn(move |req| handle(req, shared.clone()));
                    let conn = http1::Builder::new()
                        .max_buf_size(MAX_HEADER_BYTES)
                        .max_headers(64)
                        .timer(TokioTimer::new())
                        .header_read_timeout(Duration::from_secs(10))
                        .serve_connection(TokioIo::new(stream), svc);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = stopped(stop) => {
                            conn.as_mut().graceful_shutdown();
                            let _ = tokio::time::timeout(Duration::from_secs(2), conn).await;
                        }
                    }
                });
            }
            _ = stopped(shutdown.clone()) => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
}

async fn handle(req: Request<Incoming>, shared: Arc<Shared>) -> Result<Response<Body>, Infallible> {
    Ok(respond(&req, &shared).await)
}

async fn respond(req: &Request<Incoming>, shared: &Arc<Shared>) -> Response<Body> {
    let head = req.method() == Method::HEAD;
    if req.method() != Method::GET && !head {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "alleen GET en HEAD\n");
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    if has_body(req.headers()) {
        let mut r = plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "verzoeken met inhoud worden niet aangenomen\n",
        );
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return r;
    }
    let path = match clean_path(req.uri().path()) {
        Ok(p) => p,
        Err(Refusal::BadRequest) => return plain(StatusCode::BAD_REQUEST, "ongeldig pad\n"),
        Err(Refusal::Forbidden) => return plain(StatusCode::FORBIDDEN, "verboden pad\n"),
    };
    if path == live::SCRIPT_PATH {
        return finish(
            req,
            head,
            StatusCode::OK,
            "text/javascript; charset=utf-8",
            Bytes::from_static(live::LIVE_JS.as_bytes()),
            Some(format!("\"live-{}\"", shared.instance)),
            None,
        );
    }
    if path == live::STYLE_PATH {
        return finish(
            req,
            head,
            StatusCode::OK,
            "text/css; charset=utf-8",
            Bytes::from_static(live::LIVE_CSS.as_bytes()),
            Some(format!("\"live-css-{}\"", shared.instance)),
            None,
        );
    }
    if path == live::EVENTS_PATH {
        return events(req, shared);
    }
    let mut snap = shared.snapshot();
    // Rendered on request while the first build renders the rest.
    if snap.queued > 0 {
        if let Some(rest) = path.strip_prefix(snap.base_path.as_str()) {
            let key = super::engine::Engine::output_path_of(rest);
            snap = shared.wait_for(snap, &key).await;
        }
    }
    if !snap.built {
        let page = live::no_build_page(&snap.errors, &live::script_tag(snap.gen, &shared.instance));
        let mut r = finish(
            req,
            head,
            StatusCode::SERVICE_UNAVAILABLE,
            "text/html; charset=utf-8",
            Bytes::from(page),
            None,
            None,
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return r;
    }
    match lookup(&snap, &path) {
        Lookup::Redirect(to) => {
            let location = match req.uri().query() {
                Some(q) => format!("{to}?{q}"),
                None => to,
            };
            let mut r = plain(StatusCode::MOVED_PERMANENTLY, "");
            if let Ok(v) = HeaderValue::from_str(&encode_path(&location)) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Lookup::File(key) => {
            if let Some(f) = snap.files.get(&key) {
                return output(req, head, shared, &snap, &key, f, StatusCode::OK);
            }
            if let Some(bytes) = snap.embedded.get(&key) {
                // Never changes while the binary runs: the hash is the ETag.
                let etag = format!("\"e-{}\"", crate::render::short_hash(bytes));
                let mime = content_type(&key);
                return finish(
                    req,
                    head,
                    StatusCode::OK,
                    &mime,
                    Bytes::from_static(bytes),
                    Some(etag),
                    None,
                );
            }
            match snap.assets.get(&key) {
                Some(src) => asset(req, head, &shared.root, src, &key).await,
                None => not_found(req, head, shared, &snap),
            }
        }
        Lookup::NotFound => not_found(req, head, shared, &snap),
    }
}

fn has_body(h: &HeaderMap) -> bool {
    h.contains_key(header::TRANSFER_ENCODING)
        || h.get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

fn not_found(
    req: &Request<Incoming>,
    head: bool,
    shared: &Shared,
    snap: &Snapshot,
) -> Response<Body> {
    match snap.files.get("404.html") {
        Some(f) => output(
            req,
            head,
            shared,
            snap,
            "404.html",
            f,
            StatusCode::NOT_FOUND,
        ),
        None => plain(StatusCode::NOT_FOUND, "niet gevonden\n"),
    }
}

fn output(
    req: &Request<Incoming>,
    head: bool,
    shared: &Shared,
    snap: &Snapshot,
    key: &str,
    f: &Served,
    status: StatusCode,
) -> Response<Body> {
    let html = key.ends_with(".html");
    let errors = html && !snap.errors.is_empty();
    // Injected per request, so the served bytes are the engine's own (one
    // copy of a large site in memory, not two).
    let bytes = if html {
        let mut extra = live::style_tag();
        if errors {
            extra.push_str(&live::overlay_html(&snap.errors));
        }
        if let Some(report) = snap.writing.report(key) {
            extra.push_str(&live::writing_panel(&report));
        }
        extra.push_str(&live::script_tag(f.gen, &shared.instance));
        Bytes::from(live::insert_before_body_end(&f.packed.bytes(), &extra))
    } else {
        f.packed.bytes()
    };
    let etag = if errors {
        format!("\"{}-{}-e{}\"", shared.instance, f.gen, snap.error_gen)
    } else {
        format!("\"{}-{}\"", shared.instance, f.gen)
    };
    finish(
        req,
        head,
        status,
        &content_type(key),
        bytes,
        Some(etag),
        Some(f.modified),
    )
}

async fn asset(
    req: &Request<Incoming>,
    head: bool,
    root: &Path,
    src: &Path,
    key: &str,
) -> Response<Body> {
    // Symlinks (or a replaced file) must not lead outside the site.
    let real = match tokio::fs::canonicalize(src).await {
        Ok(r) if r.starts_with(root) => r,
        _ => return plain(StatusCode::NOT_FOUND, "niet gevonden\n"),
    };
    let meta = match tokio::fs::metadata(&real).await {
        Ok(m) if m.is_file() => m,
        _ => return plain(StatusCode::NOT_FOUND, "niet gevonden\n"),
    };
    let modified = meta.modified().ok();
    let stamp = modified
        .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let etag = format!("\"a-{:x}-{:x}\"", meta.len(), stamp);
    if fresh(req.headers(), &etag, modified) {
        return not_modified(&etag, modified);
    }
    let bytes = if head {
        Bytes::new()
    } else {
        match tokio::fs::read(&real).await {
            Ok(b) => Bytes::from(b),
            Err(_) => return plain(StatusCode::NOT_FOUND, "niet gevonden\n"),
        }
    };
    let mut r = response(
        StatusCode::OK,
        &content_type(key),
        if head { Bytes::new() } else { bytes },
        Some(&etag),
        modified,
    );
    if head {
        r.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(meta.len()));
    }
    r
}

/// Conditional request handling, then the response (headers only for HEAD).
fn finish(
    req: &Request<Incoming>,
    head: bool,
    status: StatusCode,
    mime: &str,
    bytes: Bytes,
    etag: Option<String>,
    modified: Option<SystemTime>,
) -> Response<Body> {
    if status == StatusCode::OK {
        if let Some(tag) = &etag {
            if fresh(req.headers(), tag, modified) {
                return not_modified(tag, modified);
            }
        }
    }
    let len = bytes.len();
    let mut r = response(
        status,
        mime,
        if head { Bytes::new() } else { bytes },
        etag.as_deref(),
        modified,
    );
    if head {
        r.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    r
}

/// If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2). Times are
/// compared strictly, since Last-Modified has whole seconds and a file can
/// change twice in one second.
pub(crate) fn fresh(h: &HeaderMap, etag: &str, modified: Option<SystemTime>) -> bool {
    if let Some(inm) = h.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        return inm
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t == etag || t.strip_prefix("W/") == Some(etag));
    }
    if let (Some(ims), Some(m)) = (
        h.get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok()),
        modified,
    ) {
        let secs = |t: SystemTime| {
            t.duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        };
        return secs(m) < secs(ims);
    }
    false
}

fn not_modified(etag: &str, modified: Option<SystemTime>) -> Response<Body> {
    let mut r = Response::new(full(Bytes::new()));
    *r.status_mut() = StatusCode::NOT_MODIFIED;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    if let Some(m) = modified {
        if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(m)) {
            h.insert(header::LAST_MODIFIED, v);
        }
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

fn response(
    status: StatusCode,
    mime: &str,
    bytes: Bytes,
    etag: Option<&str>,
    modified: Option<SystemTime>,
) -> Response<Body> {
    let mut r = Response::new(full(bytes));
    *r.status_mut() = status;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(t).ok()) {
        h.insert(header::ETAG, tag);
    }
    if let Some(m) = modified {
        if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(m)) {
            h.insert(header::LAST_MODIFIED, v);
        }
    }
    r
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    response(
        status,
        "text/plain; charset=utf-8",
        Bytes::from_static(text.as_bytes()),
        None,
        None,
    )
}

/// MIME type by extension; text types get a charset.
pub(crate) fn content_type(path: &str) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let s = mime.essence_str();
    let texty = mime.type_() == "text"
        || matches!(
            s,
            "application/javascript"
                | "application/json"
                | "application/xml"
                | "image/svg+xml"
                | "application/atom+xml"
        );
    if texty {
        format!("{s}; charset=utf-8")
    } else {
        s.to_string()
    }
}

/// Percent-encodes what may not stand in a Location header as is (every
/// non-ASCII byte is always encoded).
fn encode_path(p: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'<')
        .add(b'>')
        .add(b'`')
        .add(b'#');
    percent_encoding::utf8_percent_encode(p, SET).to_string()
}

// ---------------------------------------------------------------------------
// Event stream

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// `/__kennisbank/events?path=/pilots/a/&gen=12&inst=…`: the page's path
/// (to render it first after a change), the generation it was served at
/// and the server run (to reload at once when it missed a change).
fn events(req: &Request<Incoming>, shared: &Arc<Shared>) -> Response<Body> {
    let query = req.uri().query().unwrap_or("");
    let page_gen: u64 = query_param(query, "gen")
        .and_then(|g| g.parse().ok())
        .unwrap_or(0);
    let inst = query_param(query, "inst");
    let mut sub = shared.subscribe();
    let snap = shared.snapshot();
    let open = query_param(query, "path")
        .and_then(|p| clean_path(&p).ok())
        .and_then(|p| {
            p.strip_prefix(snap.base_path.as_str())
                .map(super::engine::Engine::output_path_of)
        });
    let mut first = String::from("retry: 1000\n\n");
    first.push_str(&live::frame(
        "hello",
        &serde_json::json!({"gen": snap.gen, "instance": shared.instance}),
    ));
    first.push_str(&live::status_frame(&snap.errors));
    let missed = match (&open, inst.as_deref()) {
        (_, Some(i)) if !i.is_empty() && i != shared.instance => true,
        (Some(p), Some(_)) => snap.files.get(p).is_some_and(|f| f.gen > page_gen),
        _ => false,
    };
    if missed {
        first.push_str(&live::reload_all_frame());
    }
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let shared = shared.clone();
    let stop = shared.shutdown.clone();
    tokio::spawn(async move {
        let stop = stopped(stop);
        tokio::pin!(stop);
        if let Some(p) = &open {
            *shared
                .open
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(p.clone())
                .or_default() += 1;
        }
        let mut ping = tokio::time::interval(Duration::from_secs(15));
        ping.tick().await;
        if tx.send(Bytes::from(first)).await.is_ok() {
            loop {
                let frame: Bytes = tokio::select! {
                    m = sub.recv() => match m {
                        Ok(f) => Bytes::copy_from_slice(f.as_bytes()),
                        Err(broadcast::error::RecvError::Lagged(_)) => Bytes::from(live::reload_all_frame()),
                        Err(broadcast::error::RecvError::Closed) => break,
                    },
                    _ = ping.tick() => Bytes::from_static(b": ping\n\n"),
                    _ = &mut stop => break,
                    _ = tx.closed() => break,
                };
                if tx.send(frame).await.is_err() {
                    break;
                }
            }
        }
        if let Some(p) = &open {
            let mut map = shared.open.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(n) = map.get_mut(p) {
                *n -= 1;
                if *n == 0 {
                    map.remove(p);
                }
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
    });
    let mut r = Response::new(StreamBody::new(stream).boxed());
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    r
}

/// Binds `addr`; when `exact` is false and the port is taken, tries the next
/// 50 ports.
pub(crate) async fn bind(addr: SocketAddr, exact: bool) -> std::io::Result<TcpListener> {
    let mut last = None;
    let tries = if exact { 1 } else { 50 };
    for i in 0..tries {
        let mut a = addr;
        a.set_port(addr.port().saturating_add(i));
        match TcpListener::bind(a).await {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("geen vrije poort")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_redirect_location_is_percent_encoded_once() {
        assert_eq!(
            encode_path("/zoeken/?q=één \"x\"#y"),
            "/zoeken/?q=%C3%A9%C3%A9n%20%22x%22%23y"
        );
        assert_eq!(encode_path("/pilots/a/"), "/pilots/a/");
    }

    use super::*;

    #[test]
    fn traversal_and_encoded_separators_are_refused() {
        for p in [
            "/../kennisbank.yaml",
            "/%2e%2e/kennisbank.yaml",
            "/%2E%2E/",
            "/..%2fkennisbank.yaml",
            "/a/..%2F..%2Fetc/passwd",
            "/a%5c..%5cb",
            "/a\\b",
            "/a%00.html",
            "/./index.html",
            "/pilots/../../x",
        ] {
            assert_eq!(clean_path(p), Err(Refusal::Forbidden), "{p}");
        }
        assert_eq!(clean_path("relative"), Err(Refusal::BadRequest));
        assert_eq!(clean_path("/%ff"), Err(Refusal::BadRequest));
        assert_eq!(clean_path("/caf%C3%A9/a..b/"), Ok("/café/a..b/".into()));
    }

    fn snap(base: &str) -> Snapshot {
        let mut s = Snapshot {
            base_path: base.into(),
            built: true,
            ..Snapshot::default()
        };
        for f in [
            "index.html",
            "pilots/index.html",
            "pilots/a/index.html",
            "404.html",
        ] {
            s.files.insert(
                f.into(),
                Arc::new(Served {
                    packed: Packed::plain(Bytes::new()),
                    gen: 1,
                    modified: SystemTime::now(),
                }),
            );
        }
        s.assets
            .insert("css/site.css".into(), PathBuf::from("/x/site.css"));
        s
    }

    #[test]
    fn folders_get_index_and_a_slash_redirect() {
        let s = snap("/");
        assert_eq!(lookup(&s, "/"), Lookup::File("index.html".into()));
        assert_eq!(
            lookup(&s, "/pilots/"),
            Lookup::File("pilots/index.html".into())
        );
        assert_eq!(lookup(&s, "/pilots"), Lookup::Redirect("/pilots/".into()));
        assert_eq!(
            lookup(&s, "/css/site.css"),
            Lookup::File("css/site.css".into())
        );
        assert_eq!(lookup(&s, "/nergens/"), Lookup::NotFound);
    }

    #[test]
    fn sub_path_sites_are_served_under_their_base_path() {
        let s = snap("/kennisbank/");
        assert_eq!(lookup(&s, "/"), Lookup::Redirect("/kennisbank/".into()));
        assert_eq!(
            lookup(&s, "/kennisbank"),
            Lookup::Redirect("/kennisbank/".into())
        );
        assert_eq!(
            lookup(&s, "/kennisbank/pilots/a/"),
            Lookup::File("pilots/a/index.html".into())
        );
        assert_eq!(lookup(&s, "/pilots/a/"), Lookup::NotFound);
    }

    #[test]
    fn etag_beats_last_modified_and_times_compare_strictly() {
        let now = SystemTime::now();
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", \"y\""),
        );
        assert!(fresh(&h, "\"y\"", Some(now)));
        assert!(!fresh(&h, "\"z\"", Some(now)));
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_str(&httpdate::fmt_http_date(now)).unwrap(),
        );
        assert!(!fresh(&h, "\"z\"", Some(now)), "same second is not fresh");
        assert!(fresh(&h, "\"z\"", Some(now - Duration::from_secs(5))));
    }

    #[test]
    fn mime_types_have_charsets_for_text() {
        assert_eq!(content_type("a/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("css/site.css"), "text/css; charset=utf-8");
        assert_eq!(
            content_type("js/theme.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("img/a.png"), "image/png");
        assert_eq!(content_type("atom.xml"), "text/xml; charset=utf-8");
        assert_eq!(content_type("bestand.onbekend"), "application/octet-stream");
    }
}
