//! File watching for serve: `notify` events from `content/`, `themes/`,
//! `templates/`, `static/`, `i18n/` and `kennisbank.yaml`, debounced into one
//! [`Batch`] per save: the batch ends after [`super::QUIET`] without events
//! (or [`super::MAX_WAIT`] at most), so a save is one rebuild however many
//! events the editor's way of saving produces.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

use crate::error::Diagnostic;
use crate::render::OutputFile;

use super::classify::{Batch, ChangeKind};

/// Folders watched recursively (when present; created later, they are added).
pub(crate) const WATCHED: &[&str] = &["content", "themes", "templates", "static", "i18n"];

/// What the rebuild thread receives.
pub enum Msg {
    Fs(notify::Event),
    /// The background search index is done.
    Search(Vec<OutputFile>, Result<(), Diagnostic>),
    Stop,
}

pub(crate) enum Next {
    Batch(Batch),
    Search(Vec<OutputFile>, Result<(), Diagnostic>),
    /// Nothing arrived within the timeout.
    Idle,
    Stop,
}

pub struct Watcher {
    inner: RecommendedWatcher,
    root: PathBuf,
    /// Counts relevant events as they arrive (read to interrupt long work).
    counter: Arc<AtomicU64>,
    /// A search result that arrived in the middle of a burst.
    held: Option<(Vec<OutputFile>, Result<(), Diagnostic>)>,
    /// Files outside the watched folders that the build reads, relative to
    /// the root ([`super::engine::Engine::inputs`]).
    inputs: Vec<PathBuf>,
    /// A folder of Markdown that is its own content folder (no `content/`,
    /// no config): watched whole, and a change to its Markdown rebuilds
    /// fully (such folders are small).
    bare: bool,
}

impl Watcher {
    /// `root` must be canonical (event paths are compared with it).
    pub fn new(root: &Path, tx: Sender<Msg>) -> notify::Result<Watcher> {
        let counter = Arc::new(AtomicU64::new(0));
        let c = counter.clone();
        let mut inner = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let Ok(ev) = res else { return };
            if !relevant(&ev.kind) {
                return;
            }
            c.fetch_add(1, Ordering::Relaxed);
            let _ = tx.send(Msg::Fs(ev));
        })?;
        let bare = crate::content::content_dir(root) == root;
        inner.watch(
            root,
            if bare {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            },
        )?;
        for d in WATCHED.iter().filter(|_| !bare) {
            let p = root.join(d);
            if p.is_dir() {
                inner.watch(&p, RecursiveMode::Recursive)?;
            }
        }
        Ok(Watcher {
            inner,
            root: root.to_path_buf(),
            counter,
            held: None,
            inputs: Vec::new(),
            bare,
        })
    }

    /// Watches the folders of `inputs` too; their changes count as
    /// changes of the configuration.
    pub(crate) fn watch_inputs(&mut self, inputs: Vec<PathBuf>) {
        if inputs == self.inputs {
            return;
        }
        for rel in &inputs {
            if let Some(dir) = self.root.join(rel).parent() {
                if dir != self.root && dir.is_dir() {
                    let _ = self.inner.watch(dir, RecursiveMode::NonRecursive);
                }
            }
        }
        self.inputs = inputs;
    }

    pub(crate) fn counter(&self) -> Arc<AtomicU64> {
        self.counter.clone()
    }

    /// Waits for the next burst of events (up to `timeout`, or forever when
    /// `None`) and returns it once it has been quiet for `quiet`.
    pub(crate) fn next_batch(
        &mut self,
        rx: &Receiver<Msg>,
        theme: &str,
        timeout: Option<Duration>,
        quiet: Duration,
        max: Duration,
    ) -> Next {
        if let Some((f, r)) = self.held.take() {
            return Next::Search(f, r);
        }
        let first = match timeout {
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(t) => rx.recv_timeout(t),
        };
        let mut batch = Batch::default();
        match first {
            Err(RecvTimeoutError::Timeout) => return Next::Idle,
            Err(RecvTimeoutError::Disconnected) | Ok(Msg::Stop) => return Next::Stop,
            Ok(Msg::Search(f, r)) => return Next::Search(f, r),
            Ok(Msg::Fs(ev)) => self.add(&mut batch, ev, theme),
        }
        let start = Instant::now();
        loop {
            let left = max.saturating_sub(start.elapsed());
            if left.is_zero() {
                break;
            }
            match rx.recv_timeout(quiet.min(left)) {
                Ok(Msg::Fs(ev)) => self.add(&mut batch, ev, theme),
                Ok(Msg::Search(f, r)) => self.held = Some((f, r)),
                Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => return Next::Stop,
                Err(RecvTimeoutError::Timeout) => break,
            }
        }
        if batch.is_empty() {
            Next::Idle
        } else {
            Next::Batch(batch)
        }
    }

    fn add(&mut self, batch: &mut Batch, ev: notify::Event, theme: &str) {
        for p in &ev.paths {
            // A watched folder created after start: watch it too.
            if p.parent() == Some(self.root.as_path())
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| WATCHED.contains(&n))
                && p.is_dir()
            {
                let _ = self.inner.watch(p, RecursiveMode::Recursive);
            }
            if let Some(rel) = p
                .strip_prefix(&self.root)
                .ok()
                .filter(|rel| self.inputs.iter().any(|i| i == rel))
            {
                batch.paths.insert(rel.to_path_buf(), ChangeKind::Config);
                continue;
            }
            if !batch.add(&self.root, p, theme) && self.bare {
                self.add_bare(batch, p);
            }
        }
    }

    /// In a bare folder, Markdown files and folders outside the site's
    /// other parts are content: any change to them rebuilds the site.
    fn add_bare(&self, batch: &mut Batch, path: &Path) {
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return;
        };
        let names: Vec<&str> = rel.iter().filter_map(|c| c.to_str()).collect();
        let Some(last) = names.last() else { return };
        let hidden = names.iter().any(|n| crate::content::is_ignored_name(n));
        let other_part = names
            .first()
            .is_some_and(|top| crate::content::NOT_CONTENT.contains(top));
        if hidden || other_part || super::classify::is_temp_name(last) {
            return;
        }
        if last.ends_with(".md") || !last.contains('.') {
            batch.paths.insert(
                rel.to_path_buf(),
                super::classify::ChangeKind::ContentFolder,
            );
        }
    }
}

/// Opening and reading files (the rebuild itself does that) is no change;
/// closing a file written to is.
fn relevant(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, ModifyKind};

    #[test]
    fn reads_are_not_changes() {
        assert!(!relevant(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(!relevant(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(relevant(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(relevant(&EventKind::Create(CreateKind::File)));
        assert!(relevant(&EventKind::Modify(ModifyKind::Any)));
    }
}
