//! `kennisbank serve`: the live preview. Builds the site in memory, serves it
//! over HTTP on loopback and rebuilds on every save, incrementally; the open
//! page reloads (or swaps its stylesheet) over Server-Sent Events. Nothing is
//! written to `public/`: previewing never touches the published output.
//!
//! The site is served under the base path of `base_url` (`/kennisbank/` for
//! `https://example.org/kennisbank/`, `/` redirects there), with the host of
//! `base_url` replaced by the dev server's, so links and permalinks stay on
//! the preview and sub-path mistakes show up as they would in production.
//!
//! Threads: tokio serves HTTP; one rebuild thread owns the [`engine::Engine`]
//! and the file watcher and publishes snapshots into [`http::Shared`]; the
//! search index is built in the background on a low-priority pool when the
//! site is idle (see [`search_bg`]), so it never delays a reload.

pub mod classify;
pub mod deps;
pub mod engine;
pub mod http;
pub mod live;
pub mod packed;
pub(crate) mod template_reads;
pub mod watch;

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use crate::error::{Code, Diagnostic, MessageFormat, Severity};
use crate::model::Asset;

use self::engine::{Engine, Outcome, RebuildKind};
use self::http::{Served, Shared, Snapshot};
use self::watch::{Msg, Watcher};

pub(crate) const DEFAULT_PORT: u16 = 1111;

/// What `serve` is asked to do, as plain data (the CLI fills it in).
#[derive(Debug, Clone)]
pub(crate) struct ServeOptions {
    /// The build to serve (search is always built).
    pub build: crate::site::BuildOptions,
    pub bind: IpAddr,
    /// `None`: [`DEFAULT_PORT`], or the next free one.
    pub port: Option<u16>,
    /// Open the site in the browser.
    pub open: bool,
}

pub(crate) fn run(opts: ServeOptions) -> ExitCode {
    let ServeOptions {
        build: mut opts,
        bind: ip,
        port,
        open,
    } = opts;
    opts.search = true;
    if !opts.root.is_dir() {
        eprintln!(
            "fout: map {} niet gevonden\n  = hint: start serve in de map van de site, of geef --root",
            opts.root.display()
        );
        return ExitCode::FAILURE;
    }
    if !ip.is_loopback() {
        eprintln!(
            "waarschuwing: serve luistert op {ip}: iedereen die deze computer kan bereiken, ziet de voorbeeldsite \
             (ook concepten met --drafts). Gebruik dit alleen op een vertrouwd netwerk."
        );
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fout: kan de server niet starten: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve_main(opts, ip, port, open))
}

async fn serve_main(
    opts: crate::site::BuildOptions,
    ip: IpAddr,
    port: Option<u16>,
    open: bool,
) -> ExitCode {
    let listener = match http::bind(
        SocketAddr::new(ip, port.unwrap_or(DEFAULT_PORT)),
        port.is_some(),
    )
    .await
    {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "fout: kan niet luisteren op {ip}:{}: {e}\n  = hint: kies een andere poort met --port",
                port.unwrap_or(DEFAULT_PORT)
            );
            return ExitCode::FAILURE;
        }
    };
    let addr = listener
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::new(ip, port.unwrap_or(DEFAULT_PORT)));
    let host = match addr.ip() {
        IpAddr::V6(v6) => format!("[{v6}]"),
        IpAddr::V4(v4) if v4.is_unspecified() => "127.0.0.1".to_string(),
        v4 => v4.to_string(),
    };
    let origin = format!("http://{host}:{}", addr.port());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut engine = Engine::new(opts, Some(origin.clone()));
    let shared = Shared::new(engine.root().to_path_buf(), stop_rx.clone());

    // Rebuilds get a rayon pool of their own: the search index (Pagefind)
    // runs on the global pool and must not hold up a reload.
    let pool = match render_pool() {
        Ok(p) => Arc::new(p),
        Err(e) => {
            eprintln!("fout: kan geen threads starten: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Signal handlers go in before the URL is announced: a Ctrl-C right
    // after the announcement must stop us cleanly, not kill us mid-write.
    let signals = Signals::install();
    // Watching first: a save during the first build, or right after the
    // URL is announced, is not missed.
    let (tx, rx) = mpsc::channel::<Msg>();
    let watcher = match Watcher::new(engine.root(), tx.clone()) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("fout: kan de bestanden niet volgen: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The first build up to the linked model, before the URL is announced;
    // its outputs are rendered by the rebuild thread, requested ones first.
    let start = Instant::now();
    let first = pool.install(|| engine.start());
    let mut publisher = Publisher::new(shared.clone());
    report(&first, start.elapsed(), true, engine.messages());
    publisher.publish(&engine, &first);
    let url = format!("{origin}{}", engine.base_path());
    let messages = engine.messages();
    messages.say(&format!("Kennisbank draait op {url}  (Ctrl-C stopt)"));
    if open {
        open_browser(&url);
    }

    let rebuild_shared = shared.clone();
    let stop_rebuild = tx.clone();
    // The HTTP server answers while the first build still renders.
    let server = tokio::spawn(http::serve(listener, shared.clone(), stop_rx));
    let rebuild = std::thread::Builder::new()
        .name("kennisbank-rebuild".into())
        .spawn(move || {
            pool.install(|| rebuild_loop(engine, watcher, rx, tx, publisher, rebuild_shared, true))
        });
    let rebuild = match rebuild {
        Ok(h) => h,
        Err(e) => {
            eprintln!("fout: kan de herbouw-thread niet starten: {e}");
            return ExitCode::FAILURE;
        }
    };
    signals.wait().await;
    messages.say("\nstoppen…");
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(4), server).await;
    // The rebuild thread ends on Stop (after the rebuild it may be in).
    let _ = stop_rebuild.send(Msg::Stop);
    let _ = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(2);
        while !rebuild.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    })
    .await;
    messages.say("gestopt");
    ExitCode::SUCCESS
}

/// The rayon pool rebuilds run on (one thread per core); public for
/// kb-bench's latency rows, which drive the same machinery.
pub fn render_pool() -> Result<rayon::ThreadPool, rayon::ThreadPoolBuildError> {
    let n = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("kennisbank-render-{i}"))
        .build()
}

/// Ctrl-C and (on Unix) SIGTERM, registered when made.
struct Signals {
    #[cfg(unix)]
    unix: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn install() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let unix = signal(SignalKind::interrupt())
                .and_then(|int| Ok((int, signal(SignalKind::terminate())?)))
                .ok();
            Signals { unix }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn wait(self) {
        #[cfg(unix)]
        if let Some((mut int, mut term)) = self.unix {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn open_browser(url: &str) {
    let cmd = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(cmd)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        eprintln!("waarschuwing: kan de browser niet openen ({cmd}: {e}); open {url} zelf");
    }
}

/// Debounce window: a save's burst of events (temp file, rename, chmod)
/// arrives within a few milliseconds; 25 ms of quiet ends the burst.
pub(crate) const QUIET: Duration = Duration::from_millis(25);
/// A burst that never goes quiet is still applied after this long.
pub(crate) const MAX_WAIT: Duration = Duration::from_millis(500);
/// Idle time before the search index is refreshed: short, since a refresh
/// redoes only the saved pages' words (`search::LiveIndex`), and it starts
/// only once the saved page's reload has been sent.
const SEARCH_IDLE: Duration = Duration::from_millis(100);

/// The rebuild thread's loop: waits for saves, rebuilds, publishes, until
/// `Msg::Stop`. Public for kb-bench's latency rows.
pub fn rebuild_loop(
    mut engine: Engine,
    mut watcher: Watcher,
    rx: mpsc::Receiver<Msg>,
    tx: mpsc::Sender<Msg>,
    mut publisher: Publisher,
    shared: Arc<Shared>,
    search: bool,
) {
    // The first build may still be rendering: the site's config says
    // whether there is an index at all.
    let enabled = search && engine.search_enabled();
    let mut search = search_bg::SearchState::new(enabled);
    search.maybe_start(&engine, &tx, true);
    engine.defer_heavy(engine::HEAVY_QUIET);
    let mut seen_wanted = shared.wanted_gen();
    loop {
        let timeout = match engine.next_step_in() {
            // Heavy items wait for a pause in the saves; a request for a
            // page not rendered yet is looked at meanwhile.
            Some(wait) => Some(wait.min(WANT_POLL)),
            None if search.wants_idle() => Some(SEARCH_IDLE),
            None => None,
        };
        watcher.watch_inputs(engine.inputs());
        let next = watcher.next_batch(&rx, engine.theme_name(), timeout, QUIET, MAX_WAIT);
        match next {
            watch::Next::Stop => return,
            watch::Next::Search(files, ok) => {
                publisher.add_search(files, ok);
                search.finished();
            }
            watch::Next::Batch(batch) => {
                let start = Instant::now();
                let open = first_paths(&shared);
                let out = guarded(&mut engine, |e| e.apply(&batch, &open));
                report(&out, start.elapsed(), false, engine.messages());
                publisher.publish(&engine, &out);
                if out.kind.touches_search() {
                    search.stale();
                }
            }
            watch::Next::Idle => {
                let wanted = shared.wanted_gen();
                let due = engine.next_step_in().is_some_and(|w| w.is_zero());
                if due || (engine.has_queue() && wanted != seen_wanted) {
                    seen_wanted = wanted;
                    let start = Instant::now();
                    let counter = watcher.counter();
                    let seen = counter.load(std::sync::atomic::Ordering::Relaxed);
                    let open = first_paths(&shared);
                    let step_shared = shared.clone();
                    let out = guarded(&mut engine, |e| {
                        e.step(&open, &|| {
                            counter.load(std::sync::atomic::Ordering::Relaxed) != seen
                                || step_shared.wanted_gen() != wanted
                        })
                    });
                    if out.is_visible() && out.queued == 0 {
                        report(&out, start.elapsed(), false, engine.messages());
                    }
                    publisher.publish(&engine, &out);
                } else {
                    // Nothing due: idle, or only long lists waiting.
                    search.maybe_start(&engine, &tx, false);
                }
            }
        }
    }
}

/// While a request for a missing page is waiting, how often the rebuild
/// thread looks for it when it has nothing due.
const WANT_POLL: Duration = Duration::from_millis(20);

/// The outputs to render first: those requested but not rendered yet, then
/// those open in a browser.
fn first_paths(shared: &Shared) -> Vec<String> {
    let (mut paths, _) = shared.wanted();
    paths.extend(shared.open_paths());
    paths
}

/// Runs one rebuild step; a panic (a bug, or a template that overflows
/// Tera) is reported like an error instead of ending the rebuild thread,
/// and the next change rebuilds from scratch.
fn guarded(engine: &mut Engine, f: impl FnOnce(&mut Engine) -> Outcome) -> Outcome {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(engine))) {
        Ok(out) => out,
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "onbekende fout".into());
            engine.crashed(Diagnostic::new(
                Severity::Error,
                Code::ServeInternal,
                format!("interne fout bij het herbouwen: {what}"),
            )
            .hint("sla een bestand opnieuw op om volledig te herbouwen; meld dit als het blijft gebeuren"))
        }
    }
}

/// One line per rebuild; errors in full, as the overlay shows them.
fn report(out: &Outcome, elapsed: Duration, first: bool, format: MessageFormat) {
    for w in &out.warnings {
        format.emit(w);
    }
    if let Some(errors) = &out.errors {
        if errors.is_empty() {
            format.say("fouten opgelost");
        } else {
            for e in errors {
                format.emit(e);
            }
            let n = errors.len();
            eprintln!(
                "build mislukt: {n} {}; de browser toont de laatste goede versie",
                if n == 1 { "fout" } else { "fouten" }
            );
        }
    }
    if out.kind == RebuildKind::Nothing && !out.is_visible() {
        return;
    }
    let what = match out.kind {
        RebuildKind::Full if first => "gebouwd",
        RebuildKind::Full => "volledig herbouwd",
        RebuildKind::Body => "tekst herbouwd",
        RebuildKind::FrontMatter => "front matter bijgewerkt",
        RebuildKind::Template => "sjabloon herbouwd",
        RebuildKind::Static => "statisch bestand gewijzigd",
        RebuildKind::Queued => "afhankelijke pagina's bijgewerkt",
        RebuildKind::Nothing => "bijgewerkt",
    };
    let queued = if out.queued > 0 {
        format!(", {} in de wachtrij", out.queued)
    } else {
        String::new()
    };
    let phases = if out.phases.is_empty() {
        String::new()
    } else {
        let p: Vec<String> = out
            .phases
            .iter()
            .map(|(n, d)| format!("{n} {}", d.as_millis()))
            .collect();
        format!(" ({})", p.join(", "))
    };
    format.say(&format!(
        "{what} in {} ms{phases}: {} gerenderd, {} gewijzigd{queued}",
        elapsed.as_millis(),
        out.rendered,
        out.updates.len()
    ));
}

/// Turns engine outcomes into snapshots and browser events.
pub struct Publisher {
    shared: Arc<Shared>,
    snap: Snapshot,
    /// The writing panel's sources are older than the model.
    writing_stale: bool,
}

impl Publisher {
    pub fn new(shared: Arc<Shared>) -> Publisher {
        let snap = (*shared.snapshot()).clone();
        Publisher {
            shared,
            snap,
            writing_stale: true,
        }
    }

    pub fn publish(&mut self, engine: &Engine, out: &Outcome) {
        if !out.is_visible()
            && out.assets.is_none()
            && self.snap.base_path == engine.base_path()
            && self.snap.queued == engine.queued()
        {
            self.shared
                .settle(|p| engine.is_pending(p), self.snap.queued == 0);
            return;
        }
        let gen = self.snap.gen + 1;
        self.snap.gen = gen;
        self.snap.base_path = engine.base_path().to_string();
        let now = SystemTime::now();
        let mut changed = Vec::new();
        let silent: std::collections::HashSet<&str> =
            out.silent.iter().map(String::as_str).collect();
        for (path, o) in &out.updates {
            match o {
                Some(o) => {
                    self.snap.files.insert(
                        path.clone(),
                        Arc::new(Served {
                            packed: o.packed.clone(),
                            gen,
                            modified: now,
                        }),
                    );
                }
                None => {
                    self.snap.files.remove(path);
                }
            }
            if !silent.contains(path.as_str()) {
                changed.push(format!("{}{path}", self.snap.base_path));
            }
        }
        let assets = match &out.assets {
            Some(assets) => Some(assets.as_slice()),
            None if self.snap.assets.is_empty() && self.snap.embedded.is_empty() => {
                Some(engine.assets())
            }
            None => None,
        };
        if let Some(assets) = assets {
            let (embedded, on_disk): (Vec<&Asset>, Vec<&Asset>) =
                assets.iter().partition(|a| a.embedded.is_some());
            self.snap.assets = on_disk
                .iter()
                .map(|a| (a.dest.clone(), a.source.clone()))
                .collect();
            self.snap.embedded = embedded
                .iter()
                .filter_map(|a| Some((a.dest.clone(), a.embedded?)))
                .collect();
        }
        if let Some(errors) = &out.errors {
            self.snap.errors = Arc::new(errors.clone());
            self.snap.error_gen += 1;
        }
        self.snap.queued = engine.queued();
        // Good once linked: what is not rendered yet is rendered on request.
        if engine.errors().is_empty() && (!self.snap.files.is_empty() || self.snap.queued > 0) {
            self.snap.built = true;
        }
        // The writing panel's sources (one entry per page: tens of
        // milliseconds at 100,000 pages) only after edits that change them.
        self.writing_stale |= matches!(
            out.kind,
            RebuildKind::Full | RebuildKind::Body | RebuildKind::FrontMatter
        );
        if self.writing_stale {
            if let Some(site) = engine.good_site() {
                self.snap.writing = Arc::new(crate::b1::Sources::of(site));
                self.writing_stale = false;
            }
        }
        self.shared.replace(self.snap.clone());
        self.shared
            .settle(|p| engine.is_pending(p), self.snap.queued == 0);
        // Events after the snapshot: a reloading browser gets the new page.
        if let Some(errors) = &out.errors {
            self.shared.send(live::status_frame(errors));
        }
        if out.reload_all {
            self.shared.send(live::reload_all_frame());
        } else if !changed.is_empty() {
            changed.sort();
            self.shared.send(live::reload_frame(&changed));
        }
        if !out.styles.is_empty() {
            let paths: Vec<String> = out
                .styles
                .iter()
                .map(|p| format!("{}{p}", self.snap.base_path))
                .collect();
            self.shared.send(live::css_frame(&paths));
        }
    }

    /// Search index files arrived from the background: served, no reload.
    fn add_search(&mut self, files: Vec<crate::render::OutputFile>, ok: Result<(), Diagnostic>) {
        if let Err(d) = ok {
            eprintln!("zoekindex: {d}");
            return;
        }
        let gen = self.snap.gen + 1;
        self.snap.gen = gen;
        let now = SystemTime::now();
        self.snap.files.remove_under("pagefind/");
        for f in files {
            self.snap.files.insert(
                f.path,
                Arc::new(Served {
                    // Pagefind's files are gzipped already.
                    packed: self::packed::Packed::plain(Bytes::from(f.bytes)),
                    gen,
                    modified: now,
                }),
            );
        }
        self.shared.replace(self.snap.clone());
    }
}

/// The search index in serve: after the first build, and again after
/// changes once the site has been idle for [`SEARCH_IDLE`] (or nothing is
/// queued but long lists waiting for a pause in the saves), the records of
/// the last good site are taken on the serve thread (they share the
/// rendered bodies with the model: 20–40 ms at 10,000 pages) and indexed on
/// a separate low-priority thread. Should taking them ever cost more than
/// [`search_bg::SNAPSHOT_LIMIT_MS`] (a save arriving meanwhile would wait),
/// the index is no longer refreshed after changes and the terminal says so
/// once.
mod search_bg {
    use super::*;

    /// Taking the records may block the rebuild thread this long at most
    /// (20–40 ms at 10,000 pages on a quiet machine; more on a loaded one).
    pub(crate) const SNAPSHOT_LIMIT_MS: u128 = 250;

    pub(crate) struct SearchState {
        enabled: bool,
        /// Kept between refreshes: only changed pages are analysed again.
        index: Arc<std::sync::Mutex<crate::search::LiveIndex>>,
        running: bool,
        /// The first index has been started (the first build renders in
        /// the background, so it starts once that is done).
        started: bool,
        stale: bool,
        snapshot_ms: u128,
        told: bool,
    }

    impl SearchState {
        pub(crate) fn new(enabled: bool) -> Self {
            SearchState {
                enabled,
                index: Arc::default(),
                running: false,
                started: false,
                stale: false,
                snapshot_ms: 0,
                told: false,
            }
        }

        pub(crate) fn stale(&mut self) {
            self.stale = true;
        }

        pub(crate) fn finished(&mut self) {
            self.running = false;
        }

        pub(crate) fn wants_idle(&self) -> bool {
            self.enabled
                && (self.stale || !self.started)
                && !self.running
                && self.snapshot_ms <= SNAPSHOT_LIMIT_MS
        }

        pub(crate) fn maybe_start(&mut self, engine: &Engine, tx: &mpsc::Sender<Msg>, first: bool) {
            let first = first || !self.started;
            if !self.enabled || self.running || !(first || self.stale) {
                return;
            }
            if !first && self.snapshot_ms > SNAPSHOT_LIMIT_MS {
                if !self.told {
                    println!("zoekindex: niet bijgewerkt tijdens serve (site te groot om ongemerkt bij te werken); herstart serve voor een verse index");
                    self.told = true;
                }
                return;
            }
            let Some(site) = engine.indexable_site() else {
                return;
            };
            let t = Instant::now();
            // The records are made from the model (their bodies shared with
            // it): the index needs which pages were rendered, not their HTML
            // and not a copy of the site.
            let records = crate::search::records(site, &engine.rendered_pages());
            let language = site.config.language.clone();
            self.snapshot_ms = t.elapsed().as_millis();
            self.running = true;
            self.started = true;
            self.stale = false;
            let tx = tx.clone();
            let index = self.index.clone();
            let spawned = std::thread::Builder::new()
                .name("kennisbank-search".into())
                .spawn(move || {
                    lower_priority();
                    // Two niced threads: an update re-encodes its chunks in
                    // parallel and still yields to rebuilds.
                    let pool = rayon::ThreadPoolBuilder::new()
                        .num_threads(2)
                        .start_handler(|_| lower_priority())
                        .build();
                    let update = || match index.lock() {
                        Ok(mut index) => index.update(&language, &records),
                        Err(_) => crate::search::index_records(&language, &records),
                    };
                    let result = match pool {
                        Ok(pool) => pool.install(update),
                        Err(_) => update(),
                    };
                    let msg = match result {
                        Ok((files, _)) => Msg::Search(files, Ok(())),
                        Err(d) => Msg::Search(Vec::new(), Err(d)),
                    };
                    let _ = tx.send(msg);
                });
            if spawned.is_err() {
                self.running = false;
            }
        }
    }

    /// Nice the calling thread (Linux: per thread), so indexing yields to
    /// rebuilds and the HTTP server.
    fn lower_priority() {
        #[cfg(target_os = "linux")]
        // SAFETY: setpriority on the calling thread (tid from gettid) has no
        // memory effects; failure is ignored.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, 10);
        }
    }
}
