//! Save-to-reload latency, measured the way a browser sees it: the real
//! watcher, debounce, rebuild thread and publisher run in-process, with the
//! edited page counted as open in a browser; a page's Markdown (or the
//! theme's page template) is changed and the clock stops when the reload
//! event naming that page is sent. Used by `kb-bench run`; lives here, not
//! in the library, because only the benchmark needs it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use kennisbank::serve::engine::Engine;
use kennisbank::serve::http::Shared;
use kennisbank::serve::watch::{Msg, Watcher};
use kennisbank::serve::{rebuild_loop, render_pool, Publisher};
use kennisbank::site::BuildOptions;

#[derive(Debug, Clone)]
pub struct LatencyReport {
    pub pages: usize,
    /// The first build (start to everything rendered).
    pub startup: Duration,
    /// Start to the edited page served, requested as soon as serve
    /// answers (the model linked, the rest rendering in the background).
    pub first_page: Duration,
    /// Peak resident memory of this process during the row, in KiB (Linux:
    /// `VmHWM` after resetting it with `clear_refs`; 0 elsewhere).
    pub peak_rss_kib: i64,
    /// Save → reload event, one per edit, in order.
    pub samples: Vec<Duration>,
    /// The edited file, relative to the root.
    pub file: PathBuf,
    /// With the search index: save → the served index changed
    /// (`pagefind-entry.json` names a new `pf_meta`), one per edit.
    pub search_samples: Vec<Duration>,
    /// Edits whose index changed before their reload event was sent (the
    /// goal is none).
    pub search_before_reload: usize,
}

impl LatencyReport {
    pub fn percentile(&self, p: f64) -> Duration {
        percentile(&self.samples, p)
    }

    pub fn search_percentile(&self, p: f64) -> Duration {
        percentile(&self.search_samples, p)
    }
}

fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut v = samples.to_vec();
    v.sort();
    if v.is_empty() {
        return Duration::ZERO;
    }
    let i = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
    v[i.min(v.len() - 1)]
}

/// What each timed edit changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// Append a line to the body (front matter unchanged).
    Body,
    /// Change the title in the front matter (lists, feed and term pages
    /// show it).
    Title,
    /// Change the theme's page template (every page uses it; the open page
    /// is rendered first).
    Template,
}

/// Runs serve's rebuild machinery on the site at `root` and times `edits`
/// edits of one kind (waiting `pause` between them), with or without the
/// background search index. The edited file is restored afterwards.
pub fn measure_edit(
    root: &Path,
    edits: usize,
    pause: Duration,
    search: bool,
    edit: Edit,
) -> Result<LatencyReport, String> {
    let opts = BuildOptions {
        root: root.to_path_buf(),
        search: false,
        ..BuildOptions::default()
    };
    let pool = render_pool().map_err(|e| e.to_string())?;
    // The previous row's peak is not this one's.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let mut engine = Engine::new(opts, None);
    let start = Instant::now();
    // As `kennisbank serve`: the model first, the outputs in the rebuild
    // thread, a requested page before the rest.
    let first = pool.install(|| engine.start());
    if !engine.errors().is_empty() {
        let msgs: Vec<String> = engine.errors().iter().map(ToString::to_string).collect();
        return Err(msgs.join("\n"));
    }
    let site = engine.linked_site().ok_or("geen site")?;
    let pages = site.pages.len();
    // Like the peers' benchmark: the second page of pilots/, else the first page.
    let mut candidates: Vec<&kennisbank::model::Page> = site
        .pages
        .iter()
        .filter(|p| p.file.rel.starts_with("pilots/"))
        .collect();
    if candidates.len() < 2 {
        candidates = site.pages.iter().collect();
    }
    candidates.sort_by(|a, b| a.file.rel.cmp(&b.file.rel));
    let page = candidates
        .get(1)
        .or(candidates.first())
        .ok_or("de site heeft geen pagina's")?;
    let file = engine.root().join("content").join(&page.file.rel);
    let url = format!("{}{}index.html", site.config.base_path(), page.path);
    let original = std::fs::read(&file).map_err(|e| e.to_string())?;
    let template = kennisbank::render::theme_dir(engine.root(), engine.theme_name())
        .join("templates")
        .join("page.html");
    let original_template = match edit {
        Edit::Template => std::fs::read_to_string(&template)
            .map_err(|e| format!("{}: {e}", template.display()))?,
        _ => String::new(),
    };
    // The template edit adds a comment right after `{% block main %}` (or
    // `{% block main -%}`): where the page's own content starts.
    let block_end = original_template
        .find("{% block main")
        .and_then(|i| original_template[i..].find("%}").map(|j| i + j + 2));
    if edit == Edit::Template && block_end.is_none() {
        return Err(format!("{}: geen {{% block main %}}", template.display()));
    }
    let open_path = format!("{}index.html", page.path);

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let shared = Shared::new(engine.root().to_path_buf(), stop_rx);
    let mut publisher = Publisher::new(shared.clone());
    publisher.publish(&engine, &first);
    let (tx, rx) = mpsc::channel::<Msg>();
    let watcher = Watcher::new(engine.root(), tx.clone()).map_err(|e| e.to_string())?;
    let mut sub = shared.subscribe();
    let loop_shared = shared.clone();
    let loop_tx = tx.clone();
    let thread = std::thread::spawn(move || {
        pool.install(|| rebuild_loop(engine, watcher, rx, loop_tx, publisher, loop_shared, search))
    });
    // A browser asks for the page as soon as serve answers.
    shared.want(&open_path);
    while shared.served(&open_path).is_none() && start.elapsed() < Duration::from_secs(1200) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let first_page = start.elapsed();
    // The editor looks at the page being edited.
    shared.mark_open(&open_path);
    // The edits start once everything is rendered, as before serve
    // rendered in the background, so their figures compare.
    while shared.queued() > 0 && start.elapsed() < Duration::from_secs(1800) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let startup = start.elapsed();
    std::thread::sleep(Duration::from_millis(300));
    // With search, the first index must be served before the first edit.
    const ENTRY: &str = "pagefind/pagefind-entry.json";
    if search {
        let deadline = Instant::now() + Duration::from_secs(600);
        while shared.served(ENTRY).is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    let needle = format!("\"{url}\"");
    let mut samples = Vec::new();
    let mut search_samples = Vec::new();
    let mut search_before_reload = 0;
    let mut result = Ok(());
    for i in 0..edits {
        while sub.try_recv().is_ok() {}
        let entry = if search { shared.served(ENTRY) } else { None };
        let mut index_changed_early = false;
        let t0 = Instant::now();
        let appended = match edit {
            Edit::Body => std::fs::OpenOptions::new()
                .append(true)
                .open(&file)
                .and_then(|mut f| {
                    f.write_all(format!("\nMarkering {i} voor de meting.\n").as_bytes())
                }),
            Edit::Title => {
                let text = String::from_utf8_lossy(&original).replacen(
                    "title: \"",
                    &format!("title: \"({i}) "),
                    1,
                );
                std::fs::write(&file, text)
            }
            Edit::Template => {
                let at = block_end.unwrap_or(0);
                let mut text = original_template.clone();
                text.insert_str(at, &format!("<!-- meting {i} -->"));
                std::fs::write(&template, text)
            }
        };
        if let Err(e) = appended {
            result = Err(e.to_string());
            break;
        }
        let deadline = t0 + Duration::from_secs(60);
        let got = loop {
            match sub.try_recv() {
                Ok(frame) if frame.starts_with("event: reload") && frame.contains(&needle) => {
                    break true
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::TryRecvError::Empty) => {
                    if Instant::now() > deadline {
                        break false;
                    }
                    if search && !index_changed_early && shared.served(ENTRY) != entry {
                        index_changed_early = true;
                    }
                    std::thread::sleep(Duration::from_micros(500));
                }
                Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::TryRecvError::Closed) => break false,
            }
        };
        if !got {
            result = Err(format!("geen herlaadbericht voor {url} binnen 60 s"));
            break;
        }
        samples.push(t0.elapsed());
        if search {
            search_before_reload += usize::from(index_changed_early);
            // The template edit changes no record: the index stays as it is.
            if edit != Edit::Template {
                let deadline = t0 + Duration::from_secs(60);
                while shared.served(ENTRY) == entry && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
                if shared.served(ENTRY) == entry {
                    result = Err(format!("zoekindex niet bijgewerkt binnen 60 s na {url}"));
                    break;
                }
                search_samples.push(t0.elapsed());
            }
        }
        std::thread::sleep(pause);
    }
    let _ = std::fs::write(&file, &original);
    if edit == Edit::Template {
        let _ = std::fs::write(&template, &original_template);
    }
    std::thread::sleep(Duration::from_millis(200));
    let _ = tx.send(Msg::Stop);
    let _ = stop_tx.send(true);
    let _ = thread.join();
    result?;
    let peak_rss_kib = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0);
    Ok(LatencyReport {
        peak_rss_kib,
        pages,
        startup,
        first_page,
        samples,
        file: file.strip_prefix(root).unwrap_or(&file).to_path_buf(),
        search_samples,
        search_before_reload,
    })
}
