//! The dev server's rebuild engine: keeps the last model, theme and rendered
//! outputs, applies one batch of file changes with as little work as is
//! correct, and says which output files changed. No HTTP and no watching
//! here, so it can be driven by tests and the latency benchmark directly.
//!
//! What to render again is never decided by rules here: every render
//! records what its context read (`reads::Reads`), `deps` keeps that per
//! output under names that survive edits (source paths, term URLs), and
//! after any change the engine fingerprints the model again and queues the
//! outputs that read a key whose print changed, plus outputs not rendered
//! yet. Ways to get the model up to date, cheapest first:
//! - **body edit** of existing documents whose front matter is unchanged:
//!   re-render their Markdown and re-run the link stage (whole site, ~20 ms
//!   at 10,000 pages);
//! - **front-matter edit** of pages that keep their URL, section, aliases,
//!   terms and relations (a new title, date, description or field value):
//!   parse the page again, patch it into the model, move it within its
//!   section and term lists;
//! - **template edit**: reload the theme (template texts are keys too);
//! - **re-parse**: front matter, added/removed/renamed files and folders,
//!   config: load, parse and link everything again, reusing unchanged
//!   texts and bodies; a config change renders everything.
//!
//! Queued outputs are rendered in small chunks by [`Engine::step`], the pages
//! open in a browser first, and each chunk is published as soon as it is
//! done, so the page being edited reloads without waiting for the rest.
//! A build with errors publishes nothing: the last good outputs stay served.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rayon::prelude::*;

use crate::config::{Config, CONFIG_FILE};
use crate::content::{self, Stamp};
use crate::error::{BuildFailure, Code, Diagnostic, Severity};
use crate::frontmatter;
use crate::links::{self, Resolver};
use crate::markdown;
use crate::model::{Asset, PageId, SectionId, Site, SortBy, Target};
use crate::parse::{self, Held, ParseOptions};
use crate::render::{
    load_theme, same_related_inputs, theme_dir, Job, Renderer, SharedCards, Theme, RELATED_TERM_CAP,
};
use crate::shortcodes;
use crate::site::BuildOptions;

use super::classify::{Batch, ChangeKind};
use super::deps::{self, Index, Inputs, Key, ModelNames, Names, OutId, Prints, Touched};
use super::packed::Packed;

mod diags;
mod edits;
mod full;

use diags::{Diags, Stage};

/// One rendered output file as the server holds it (deflated).
#[derive(Debug, Clone)]
pub struct Out {
    pub packed: Packed,
    /// The document it came from (for the search index).
    pub source: Option<Target>,
}

impl Out {
    /// The file's bytes.
    pub fn bytes(&self) -> Bytes {
        self.packed.bytes()
    }
}

/// Something that renders to one or more output files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Item {
    Page(PageId),
    Section(SectionId),
    TaxonomyList(usize),
    Term(usize, usize),
    /// 404, search page, feed, sitemap, robots.txt, alias redirects.
    Special,
}

/// Which kind of rebuild an [`Outcome`] reports.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum RebuildKind {
    /// Nothing needed rebuilding.
    #[default]
    Nothing,
    /// The site was parsed again from its files.
    Full,
    /// Only Markdown bodies changed.
    Body,
    /// Front matter changed and was patched into the model.
    FrontMatter,
    /// A template or translation changed.
    Template,
    /// A static file changed.
    Static,
    /// Queued dependent outputs were rendered.
    Queued,
}

impl RebuildKind {
    /// Whether what the search index holds (text, titles, fields, URLs) may
    /// have changed, so the index must be refreshed.
    pub(crate) fn touches_search(self) -> bool {
        match self {
            RebuildKind::Full
            | RebuildKind::Body
            | RebuildKind::FrontMatter
            | RebuildKind::Template => true,
            RebuildKind::Nothing | RebuildKind::Static | RebuildKind::Queued => false,
        }
    }
}

/// What one call of [`Engine::apply`] or [`Engine::step`] did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub kind: RebuildKind,
    /// Output path → new content, or `None` when the file is gone.
    pub updates: Vec<(String, Option<Out>)>,
    /// The new asset table, when it changed.
    pub assets: Option<Vec<Asset>>,
    /// Output paths of stylesheets whose file changed (swap, don't reload).
    pub styles: Vec<String>,
    /// A script, image or other static file changed: reload every page.
    pub reload_all: bool,
    /// Paths among `updates` that changed only in an asset fingerprint:
    /// served, but no reason to reload a page.
    pub silent: Vec<String>,
    /// The errors now, when they changed (empty: the errors were fixed).
    pub errors: Option<Vec<Diagnostic>>,
    /// Warnings of the files this rebuild read.
    pub warnings: Vec<Diagnostic>,
    /// Outputs rendered (changed or not).
    pub rendered: usize,
    /// Outputs still queued afterwards.
    pub queued: usize,
    pub elapsed: Duration,
    /// Time per stage of a re-parse (load, parse, link, summaries).
    pub phases: Vec<(&'static str, Duration)>,
}

impl Outcome {
    fn new(kind: RebuildKind) -> Self {
        Outcome {
            kind,
            ..Outcome::default()
        }
    }

    /// Whether a browser has anything to hear about.
    pub(crate) fn is_visible(&self) -> bool {
        !self.updates.is_empty()
            || !self.styles.is_empty()
            || self.reload_all
            || self.errors.is_some()
    }
}

/// The model of the last build attempt that got past parsing.
struct State {
    theme: Theme,
    site: Site,
    resolver: Resolver,
    /// Every Markdown file read (drafts and unparsable ones included),
    /// relative to content/.
    md_files: HashSet<String>,
    /// Every stage's diagnostics, per document (see `diags`).
    diags: Diags,
    /// Page → its "related" list.
    related: Vec<Vec<PageId>>,
    /// The stable names of its documents, terms and taxonomies.
    model: ModelNames,
    /// Fingerprints of every input a render can read (see `deps`).
    prints: Prints,
    /// Output item by stable name.
    out_items: HashMap<OutId, Item>,
    /// Asset output path → (size, modified): `asset()` fingerprints.
    asset_stamps: HashMap<String, (u64, Option<std::time::SystemTime>)>,
    item_of_path: HashMap<String, Item>,
    /// Asset sources relative to the root.
    asset_sources: HashSet<PathBuf>,
    /// Markdown files as they were when read (see `content::Stamp`).
    stamps: HashMap<String, Stamp>,
}

pub struct Engine {
    /// Canonical site root.
    root: PathBuf,
    opts: BuildOptions,
    /// `http://127.0.0.1:1111`: permalinks point at the dev server.
    origin: Option<String>,
    st: Option<State>,
    /// Output path → what is served now (the last good render).
    outputs: HashMap<String, Out>,
    /// Output paths the special item wrote last time (aliases come and go).
    special_paths: HashSet<String>,
    queue: BTreeSet<Item>,
    /// Queued only because an asset's fingerprint (`asset()`'s `?h=`)
    /// changed: the browser swapped the stylesheet already, so their new
    /// bytes are served without a reload.
    silent: HashSet<Item>,
    /// Set when the model cannot be patched: the next change rebuilds fully.
    needs_full: bool,
    errors: Vec<Diagnostic>,
    /// Content hashes of templates, translations and the config as last read.
    prints: HashMap<PathBuf, u64>,
    theme_name: String,
    base_path: String,
    /// Stable names for the session (document paths, term URLs, ...).
    names: Names,
    /// What every rendered output read, recorded by the renderer.
    deps: Index<OutId, Key>,
    /// Template name → the keys rendering it reads (cleared per theme).
    template_keys: HashMap<String, Vec<Key>>,
    /// When the last batch of changes was applied: outputs that take long
    /// to render wait until the saves have paused (see [`Engine::next_step_in`]).
    last_apply: Option<Instant>,
    /// How long heavy items wait after a save (serve: [`HEAVY_QUIET`];
    /// zero, the default, for tests that drain the queue at once).
    defer_heavy: Duration,
    /// The model is the last good build's, unpatched since: while a later
    /// build's errors are shown, the outputs it never rendered (the first
    /// build renders in the background) are still rendered from it, so
    /// the last good site stays whole.
    model_good: bool,
    /// Such outputs may be left (cleared once a step finds none).
    backlog: bool,
    /// The first build's outputs are still being rendered: one rendered
    /// for the first time is no change a browser must reload for.
    first_build: bool,
    /// List cards the first build's renders share while the model stays
    /// as it is; dropped on every change and once the queue is empty.
    lent: Option<SharedCards>,
}

/// One item's files (path, packed bytes, document) and what rendering it read.
type Rendered = (
    Item,
    Vec<Result<(String, Packed, Option<Target>), Diagnostic>>,
    crate::reads::Reads,
);

/// Outputs rendered per parallel chunk of [`Engine::step`].
pub const CHUNK: usize = 48;

/// A step that renders the queue returns after about this long, so what
/// it rendered is published while the rest waits.
const STEP_BUDGET: Duration = Duration::from_millis(500);

/// Quiet after a save before [`Engine::step`] starts a heavy item (serve).
pub const HEAVY_QUIET: Duration = Duration::from_millis(1500);

/// Pages listed by an item above which rendering it takes long enough
/// (tens of milliseconds and up) to hold a save back.
const HEAVY_PAGES: usize = 500;

/// Whether `item` lists enough pages to take long: the special item (feed,
/// sitemap: every page) and big sections and terms.
fn is_heavy(site: &Site, item: Item) -> bool {
    match item {
        Item::Page(_) => false,
        Item::Special => site.pages.len() > HEAVY_PAGES,
        Item::Section(s) => site
            .sections
            .get(s)
            .is_some_and(|s| s.pages.len() > HEAVY_PAGES),
        Item::TaxonomyList(_) => site.pages.len() > HEAVY_PAGES,
        Item::Term(t, i) => site
            .taxonomies
            .get(t)
            .and_then(|t| t.terms.get(i))
            .is_some_and(|t| t.pages.len() > HEAVY_PAGES),
    }
}

impl Engine {
    /// `opts.root` must exist; `origin` (scheme, host and port) replaces the
    /// host of `base_url` so links and permalinks stay on the dev server.
    pub fn new(opts: BuildOptions, origin: Option<String>) -> Engine {
        let root = opts
            .root
            .canonicalize()
            .unwrap_or_else(|_| opts.root.clone());
        let mut opts = opts;
        opts.root = root.clone();
        Engine {
            root,
            opts,
            origin,
            st: None,
            outputs: HashMap::new(),
            special_paths: HashSet::new(),
            queue: BTreeSet::new(),
            silent: HashSet::new(),
            needs_full: true,
            errors: Vec::new(),
            prints: HashMap::new(),
            theme_name: "default".into(),
            base_path: "/".into(),
            names: Names::default(),
            deps: Index::default(),
            template_keys: HashMap::new(),
            last_apply: None,
            defer_heavy: Duration::ZERO,
            model_good: false,
            backlog: false,
            first_build: false,
            lent: None,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// How diagnostics are printed (`--message-format`).
    pub(crate) fn messages(&self) -> crate::error::MessageFormat {
        self.opts.messages
    }

    /// The active theme's folder name, for classifying events.
    pub fn theme_name(&self) -> &str {
        &self.theme_name
    }

    /// Files outside the watched folders that the build reads (the
    /// `markdown.abbreviations` file), relative to the root: a change to
    /// one is a change of the configuration.
    pub fn inputs(&self) -> Vec<PathBuf> {
        self.st
            .as_ref()
            .and_then(|st| st.site.config.markdown.abbreviations.as_deref())
            .map(|rel| vec![PathBuf::from(rel)])
            .unwrap_or_default()
    }

    /// URL path the site is served under (`/` or `/kennisbank/`).
    pub(crate) fn base_path(&self) -> &str {
        &self.base_path
    }

    pub fn outputs(&self) -> &HashMap<String, Out> {
        &self.outputs
    }

    /// The pages among the outputs: what the search index holds.
    pub fn rendered_pages(&self) -> Vec<PageId> {
        self.outputs
            .values()
            .filter_map(|o| match o.source {
                Some(Target::Page(id)) => Some(id),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn assets(&self) -> &[Asset] {
        self.st
            .as_ref()
            .map(|s| s.site.assets.as_slice())
            .unwrap_or(&[])
    }

    pub fn errors(&self) -> &[Diagnostic] {
        &self.errors
    }

    pub fn has_queue(&self) -> bool {
        !self.queue.is_empty() && (self.errors.is_empty() || self.rendering_backlog())
    }

    /// Whether [`Engine::step`] renders the last good build's outputs not
    /// rendered yet while errors are shown.
    fn rendering_backlog(&self) -> bool {
        !self.errors.is_empty() && self.model_good && self.backlog
    }

    /// The linked model, when it has no errors (outputs may be queued).
    pub fn linked_site(&self) -> Option<&Site> {
        match &self.st {
            Some(st) if self.errors.is_empty() => Some(&st.site),
            _ => None,
        }
    }

    /// The current model, when it is good (no errors, nothing queued).
    pub fn good_site(&self) -> Option<&Site> {
        match &self.st {
            Some(st) if self.errors.is_empty() && self.queue.is_empty() => Some(&st.site),
            _ => None,
        }
    }

    /// The current model for the search index: no errors, and nothing
    /// queued but long lists waiting for a pause in the saves (pages are
    /// never such items, and the index holds pages only), so the index
    /// follows a save without waiting for the pause and those lists.
    pub fn indexable_site(&self) -> Option<&Site> {
        match &self.st {
            Some(st)
                if self.errors.is_empty() && self.queue.iter().all(|&i| is_heavy(&st.site, i)) =>
            {
                Some(&st.site)
            }
            _ => None,
        }
    }

    /// Output path (`pilots/a/index.html`) of a URL path below the base path.
    pub(crate) fn output_path_of(url_rest: &str) -> String {
        if url_rest.is_empty() || url_rest.ends_with('/') {
            format!("{url_rest}index.html")
        } else {
            url_rest.to_string()
        }
    }

    // -----------------------------------------------------------------------
    // Entry points

    /// The first build: everything. Renders all outputs before returning.
    pub fn initial(&mut self) -> Outcome {
        let mut out = self.start();
        while self.has_queue() {
            let more = self.step(&[], &|| false);
            merge(&mut out, more);
        }
        out
    }

    /// The first build up to a linked model, with every output queued:
    /// serve answers requests from here on, rendering what is asked for
    /// first ([`Engine::step`] with the requested paths) and the rest in
    /// the background.
    pub fn start(&mut self) -> Outcome {
        self.discard_lent();
        let mut out = self.full(true, &HashSet::new());
        self.first_build = true;
        out.queued = self.queued();
        out
    }

    /// Whether the site (as last parsed) has a search index.
    pub fn search_enabled(&self) -> bool {
        self.st
            .as_ref()
            .is_some_and(|st| st.site.config.search.enabled)
    }

    /// Outputs still to render (0 while the build has errors: nothing is
    /// rendered then).
    pub fn queued(&self) -> usize {
        if self.errors.is_empty() || self.rendering_backlog() {
            self.queue.len()
        } else {
            0
        }
    }

    /// Whether a request for output `path` should wait for the queue: its
    /// item is queued, or it is no document's output and the special item
    /// (404 page, feed, sitemap, alias redirects) is queued.
    pub fn is_pending(&self, path: &str) -> bool {
        if !self.has_queue() {
            return false;
        }
        match self.st.as_ref().and_then(|st| st.item_of_path.get(path)) {
            Some(item) => self.queue.contains(item),
            None => self.queue.contains(&Item::Special),
        }
    }

    /// When [`Engine::step`] has work: `None` with nothing queued, zero
    /// when something cheap is queued, else the time left until the saves
    /// have paused for [`HEAVY_QUIET`] and the long outputs may start.
    pub fn next_step_in(&self) -> Option<Duration> {
        if !self.has_queue() {
            return None;
        }
        let st = self.st.as_ref()?;
        let wait = self.heavy_wait();
        if wait.is_zero() || self.queue.iter().any(|&i| !is_heavy(&st.site, i)) {
            Some(Duration::ZERO)
        } else {
            Some(wait)
        }
    }

    /// Lets heavy items wait until no save came for `quiet` (serve's
    /// rebuild loop: [`HEAVY_QUIET`]; zero: never).
    pub fn defer_heavy(&mut self, quiet: Duration) {
        self.defer_heavy = quiet;
    }

    /// How long heavy items still wait after the last save.
    fn heavy_wait(&self) -> Duration {
        self.last_apply.map_or(Duration::ZERO, |t| {
            self.defer_heavy.saturating_sub(t.elapsed())
        })
    }

    /// Applies one debounced batch of changes; returns what changed now.
    /// Work that can wait is queued for [`Engine::step`].
    pub fn apply(&mut self, batch: &Batch, open: &[String]) -> Outcome {
        // Whatever changes, the cards made for the old model go.
        self.discard_lent();
        let start = Instant::now();
        let mut out = self.apply_inner(batch, open);
        dedup_updates(&mut out.updates);
        // The pause before heavy items counts from the save handled. Only
        // a full rebuild can add outputs, and from then on an output new to
        // the site is news to a browser; after other edits what the first
        // build has not rendered yet was never served (a request waits for
        // it), so rendering it reloads nothing.
        self.last_apply = Some(Instant::now());
        if out.kind == RebuildKind::Full {
            self.first_build = false;
        }
        // The files just saved first: the cause before its consequences
        // (a front-matter error before the broken links to that page).
        if let Some(errors) = &mut out.errors {
            errors.sort_by_key(|d| !d.file().is_some_and(|f| batch.paths.contains_key(f)));
            self.errors.clone_from(errors);
        }
        out.queued = self.queue.len();
        out.elapsed = start.elapsed();
        out
    }

    fn apply_inner(&mut self, batch: &Batch, open: &[String]) -> Outcome {
        if self.st.is_none() || self.needs_full {
            return self.full_then_open(batch, open, true);
        }
        self.settle_missing(batch);
        let changed_config = batch.of_kind(ChangeKind::Config).any(|p| self.reprint(p));
        let theme_files: Vec<PathBuf> = batch
            .of_kind(ChangeKind::Template)
            .chain(batch.of_kind(ChangeKind::Translations))
            .filter(|p| self.reprint(p))
            .map(Path::to_path_buf)
            .collect();
        // Translations hold the callouts' default titles, which are in the
        // rendered bodies: a full rebuild, which re-renders only the bodies
        // when those titles changed.
        let changed_titles =
            batch.of_kind(ChangeKind::Translations).next().is_some() && !theme_files.is_empty();
        if changed_config || changed_titles || self.structural(batch) {
            return self.full_then_open(batch, open, changed_config);
        }
        // A shortcode template changed: the re-parse renders again exactly
        // the bodies whose recorded uses differ (`shortcodes::still_current`).
        // (Included files: see `body_edit` and `meta_edit`.)
        let (shortcode_templates, theme_files): (Vec<PathBuf>, Vec<PathBuf>) = theme_files
            .into_iter()
            .partition(|p| is_shortcode_template(p));
        if !shortcode_templates.is_empty() {
            return self.full_then_open(batch, open, false);
        }
        let mut out = Outcome::new(RebuildKind::Nothing);
        // A real edit may change what a silent item shows: its reload then
        // counts (at worst one reload more, never one missed).
        self.silent.clear();
        // Static files that only changed: no rebuild, tell the browser.
        for p in batch
            .of_kind(ChangeKind::Style)
            .chain(batch.of_kind(ChangeKind::Asset))
        {
            let Some(st) = &self.st else { break };
            let abs = self.root.join(p);
            if let Some(a) = st.site.assets.iter().find(|a| a.source == abs) {
                if a.dest.ends_with(".css") {
                    out.styles.push(a.dest.clone());
                } else {
                    out.reload_all = true;
                }
                out.kind = RebuildKind::Static;
            }
        }
        if out.kind == RebuildKind::Static {
            self.refingerprint(&mut out);
        }
        let md: Vec<String> = content_rels(batch).collect();
        if !md.is_empty() {
            let edit = match self.body_edit(&md, open) {
                Some(o) => Some(o),
                None => self.meta_edit(&md, open),
            };
            match edit {
                Some(o) => merge(&mut out, o),
                None => return self.full_then_open(batch, open, false),
            }
        }
        if !theme_files.is_empty() {
            merge(&mut out, self.template_edit(open));
        }
        out
    }

    /// Drops the shared cards, on a thread of their own: freeing a
    /// string per page is no work for a save to wait on.
    fn discard_lent(&mut self) {
        if let Some(cards) = self.lent.take() {
            free_in_background(cards);
        }
    }

    /// After a panic in a rebuild: forget the queue, show `error`, rebuild
    /// fully on the next change. The served outputs stay as they were.
    pub(crate) fn crashed(&mut self, error: Diagnostic) -> Outcome {
        let mut out = Outcome::new(RebuildKind::Full);
        self.queue.clear();
        self.discard_lent();
        self.needs_full = true;
        self.fail(&mut out, vec![error]);
        out
    }

    /// Renders queued outputs, the open pages first, in chunks, until the
    /// queue is empty or `interrupted()` says new changes are waiting.
    /// An item already being rendered finishes; the chunk's others wait.
    /// Outputs that take long (feed and sitemap, lists of many pages) wait
    /// until no save came for [`HEAVY_QUIET`], unless they are open: a save
    /// must not queue behind the last save's sitemap.
    pub fn step(&mut self, open: &[String], interrupted: &(dyn Fn() -> bool + Sync)) -> Outcome {
        let start = Instant::now();
        let mut out = Outcome::new(RebuildKind::Queued);
        if !self.errors.is_empty() {
            self.step_backlog(open, interrupted, &mut out);
            dedup_updates(&mut out.updates);
            out.queued = self.queued();
            out.elapsed = start.elapsed();
            return out;
        }
        let first = self.open_items(open);
        let heavy_ok = self.heavy_wait().is_zero();
        loop {
            if self.queue.is_empty() {
                break;
            }
            let chunk: Vec<Item> = {
                let Some(st) = self.st.as_ref() else { break };
                first
                    .iter()
                    .filter(|i| self.queue.contains(i))
                    .copied()
                    .chain(
                        self.queue
                            .iter()
                            .copied()
                            .filter(|&i| heavy_ok || !is_heavy(&st.site, i)),
                    )
                    .take(CHUNK)
                    .collect()
            };
            if chunk.is_empty() {
                break;
            }
            let had_first = chunk.iter().any(|i| first.contains(i));
            if let Err(errs) = self.render_items(&chunk, &mut out, interrupted) {
                self.fail(&mut out, errs);
                break;
            }
            // The open and requested outputs are published at once, and a
            // long run of the queue now and then (a step publishes when
            // it returns).
            if interrupted() || had_first || start.elapsed() >= STEP_BUDGET {
                break;
            }
        }
        out.queued = self.queue.len();
        if self.queue.is_empty() {
            self.first_build = false;
            self.discard_lent();
        }
        dedup_updates(&mut out.updates);
        out.elapsed = start.elapsed();
        out
    }

    /// With errors shown: renders the outputs the last good build has not
    /// rendered yet, from its model, the open ones first, so that what is
    /// served stays the last good site (a render error ends this).
    fn step_backlog(
        &mut self,
        open: &[String],
        interrupted: &(dyn Fn() -> bool + Sync),
        out: &mut Outcome,
    ) {
        if !self.rendering_backlog() {
            return;
        }
        let Some(st) = self.st.as_ref() else { return };
        let mut left: Vec<Item> = unrecorded(&self.deps, st)
            .filter(|i| self.queue.contains(i))
            .collect();
        left.sort();
        let first: Vec<Item> = self
            .open_items(open)
            .into_iter()
            .filter(|i| left.binary_search(i).is_ok())
            .collect();
        let mut order = first;
        order.extend(left);
        for chunk in order.chunks(CHUNK) {
            if self.render_items(chunk, out, interrupted).is_err() {
                self.backlog = false;
                return;
            }
            if interrupted() {
                return;
            }
        }
        self.backlog = false;
    }

    // -----------------------------------------------------------------------
    // Rendering and bookkeeping

    fn open_items(&self, open: &[String]) -> Vec<Item> {
        let Some(st) = &self.st else {
            return Vec::new();
        };
        // A path that is no document's output is the special item's (the
        // 404 page, an alias), while that has not been rendered yet.
        let special = !self.deps.is_recorded(&OutId::Special);
        open.iter()
            .filter_map(|p| {
                st.item_of_path
                    .get(p)
                    .copied()
                    .or((special || self.special_paths.contains(p)).then_some(Item::Special))
            })
            .filter(|i| self.queue.contains(i))
            .collect()
    }

    /// Renders `items` (if queued); on success publishes the changed files
    /// into `out` and takes the items off the queue. On a template error
    /// nothing is published and the items stay queued.
    /// Once `stop()` says so, items not started yet are left queued.
    fn render_items(
        &mut self,
        items: &[Item],
        out: &mut Outcome,
        stop: &(dyn Fn() -> bool + Sync),
    ) -> Result<(), Vec<Diagnostic>> {
        let Some(st) = self.st.as_mut() else {
            return Ok(());
        };
        let mut items: Vec<Item> = items
            .iter()
            .filter(|i| self.queue.contains(i))
            .copied()
            .collect();
        items.sort();
        items.dedup();
        if items.is_empty() {
            return Ok(());
        }
        // The first build's steps share their cards (each would render
        // most of them again); a later render is a handful of outputs and
        // makes what it lends itself.
        let r = if self.first_build {
            let cards = self
                .lent
                .get_or_insert_with(|| SharedCards::new(&st.theme, st.site.pages.len()));
            Renderer::sharing(&st.site, &st.theme, cards)
        } else {
            Renderer::once(&st.site, &st.theme, None)
        };
        let results: Vec<Rendered> = items
            .par_iter()
            .filter_map(|&item| {
                // A save is waiting: it goes first (the item stays queued).
                if stop() {
                    return None;
                }
                let job = match item {
                    Item::Page(p) => Job::Page(p),
                    Item::Section(s) => Job::Section(s),
                    Item::TaxonomyList(t) => Job::Taxonomy(t),
                    Item::Term(t, i) => Job::Term(t, i),
                    Item::Special => Job::Special,
                };
                let (files, reads) = r.render_recorded(job);
                // Deflated on the rendering threads, in parallel.
                let files = files
                    .into_iter()
                    .map(|f| f.map(|f| (f.path, Packed::new(f.bytes), f.source)))
                    .collect();
                Some((item, files, reads))
            })
            .collect();
        let mut errors: Vec<Diagnostic> = Vec::new();
        for (_, files, _) in &results {
            for f in files {
                if let Err(d) = f {
                    if d.is_error()
                        && !errors
                            .iter()
                            .any(|e| e.message == d.message && e.line() == d.line())
                    {
                        errors.push(d.clone());
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        for (item, files, reads) in results {
            let keys = deps::keys_of(
                &reads,
                &st.model,
                &mut self.names,
                &mut self.template_keys,
                &st.theme,
            );
            self.deps.record(out_in(&st.model, item), keys);
            self.queue.remove(&item);
            let silent = self.silent.remove(&item);
            out.rendered += files.len();
            let mut written = HashSet::new();
            for (path, packed, source) in files.into_iter().flatten() {
                written.insert(path.clone());
                // Deflating is deterministic: equal packed, equal bytes.
                let unchanged = self.outputs.get(&path).is_some_and(|o| o.packed == packed);
                if !unchanged {
                    let o = Out { packed, source };
                    let new = self.outputs.insert(path.clone(), o.clone()).is_none();
                    if silent || (new && self.first_build) {
                        out.silent.push(path.clone());
                    }
                    // Duplicates are dropped once, at the end (`dedup_updates`).
                    out.updates.push((path, Some(o)));
                }
            }
            if item == Item::Special {
                for gone in self.special_paths.difference(&written) {
                    if self.outputs.remove(gone).is_some() {
                        out.updates.push((gone.clone(), None));
                    }
                }
                self.special_paths = written;
            }
        }
        Ok(())
    }

    /// After a re-parse into `new`: the outputs that read an input whose
    /// fingerprint differs from `before`, and those not rendered yet.
    fn stale(&self, before: &Prints, new: &State) -> BTreeSet<Item> {
        self.readers_of(&before.changed(&new.prints), new)
    }

    /// The outputs of `st` that read one of `changed`, and those not
    /// rendered yet.
    fn readers_of(&self, changed: &[Key], st: &State) -> BTreeSet<Item> {
        let mut items = self.readers(changed, st);
        items.extend(unrecorded(&self.deps, st));
        items
    }

    /// The outputs of `st` that read one of `changed`.
    fn readers(&self, changed: &[Key], st: &State) -> BTreeSet<Item> {
        self.deps
            .readers(changed)
            .iter()
            .filter_map(|o| st.out_items.get(o).copied())
            .collect()
    }

    /// After the model was patched in place or the theme reloaded:
    /// fingerprints again what `touched` says changed (the summaries of its
    /// pages are refreshed) and returns the outputs that read what changed.
    fn restale(&mut self, touched: &Touched) -> BTreeSet<Item> {
        let Some(st) = self.st.as_mut() else {
            return BTreeSet::new();
        };
        let pages: Vec<PageId> = touched
            .docs
            .iter()
            .filter_map(|t| match *t {
                Target::Page(p) => Some(p),
                Target::Section(_) => None,
            })
            .collect();
        // Only the touched pages' summaries can have new prints (an
        // in-place edit adds and removes no page).
        let r = Renderer::new(&st.site, &st.theme);
        let inputs = Inputs {
            site: &st.site,
            theme: &st.theme,
            model: &st.model,
            renderer: &r,
            fresh: Some(&pages),
            related: &st.related,
            assets: assets_print(&st.asset_stamps),
        };
        let changed = st.prints.update(&inputs, &mut self.names, touched);
        let st = self.st.as_ref().expect("checked above");
        // Outputs never rendered stay queued until they are (a render that
        // fails leaves them queued): no need to look for them among the
        // site's every output on each edit.
        debug_assert!(
            unrecorded(&self.deps, st).all(|i| self.queue.contains(&i)),
            "an output that was never rendered is not queued"
        );
        self.readers(&changed, st)
    }

    fn fail(&mut self, out: &mut Outcome, mut errors: Vec<Diagnostic>) {
        self.backlog = true;
        errors.retain(Diagnostic::is_error);
        if errors.is_empty() {
            errors.push(Diagnostic::new(
                Severity::Error,
                Code::ServeInternal,
                "de build is mislukt zonder melding",
            ));
        }
        self.set_errors(out, errors);
    }

    fn set_errors(&mut self, out: &mut Outcome, errors: Vec<Diagnostic>) {
        if errors != self.errors {
            out.errors = Some(errors.clone());
            self.errors = errors;
        }
    }

    /// Fingerprints every template, translation and the config.
    fn fingerprint_all(&mut self) {
        self.prints.clear();
        let mut files = vec![self.root.join(CONFIG_FILE)];
        let config = std::fs::read_to_string(self.root.join(CONFIG_FILE))
            .ok()
            .and_then(|text| Config::parse(&text, Path::new(CONFIG_FILE)).ok());
        if let Some(rel) = config
            .as_ref()
            .and_then(|c| c.markdown.abbreviations.as_ref())
        {
            files.push(self.root.join(rel));
        }
        let theme = config.map_or_else(|| self.theme_name.clone(), |c| c.theme);
        let theme = self.opts.theme.clone().unwrap_or(theme);
        let tdir = theme_dir(&self.root, &theme);
        for dir in [
            tdir.join("templates"),
            tdir.join("i18n"),
            self.root.join("templates"),
            self.root.join("i18n"),
        ] {
            for e in walkdir::WalkDir::new(dir).into_iter().flatten() {
                if e.file_type().is_file() {
                    files.push(e.into_path());
                }
            }
        }
        for f in files {
            if let (Ok(rel), Some(h)) = (f.strip_prefix(&self.root), hash_file(&f)) {
                self.prints.insert(rel.to_path_buf(), h);
            }
        }
    }

    /// Records the current hash of `rel`; true when it differs from before.
    fn reprint(&mut self, rel: &Path) -> bool {
        let now = hash_file(&self.root.join(rel));
        let before = match now {
            Some(h) => self.prints.insert(rel.to_path_buf(), h),
            None => self.prints.remove(rel),
        };
        now != before || (now.is_none() && self.root.join(rel).is_dir())
    }
}

fn hash_file(path: &Path) -> Option<u64> {
    let bytes = std::fs::read(path).ok()?;
    let mut h: u64 = 0xcbf29ce484222325;
    for b in &bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    Some(h)
}

/// Keeps the last update of each path (in their order): one retain per
/// file would be quadratic in a step of the first build's 100,000.
fn dedup_updates(updates: &mut Vec<(String, Option<Out>)>) {
    let mut seen: HashSet<String> = HashSet::with_capacity(updates.len());
    let mut kept: Vec<(String, Option<Out>)> = Vec::with_capacity(updates.len());
    for (p, o) in std::mem::take(updates).into_iter().rev() {
        if seen.insert(p.clone()) {
            kept.push((p, o));
        }
    }
    kept.reverse();
    *updates = kept;
}

fn merge(into: &mut Outcome, more: Outcome) {
    if into.kind == RebuildKind::Nothing {
        into.kind = more.kind;
    }
    into.updates.extend(more.updates);
    dedup_updates(&mut into.updates);
    if more.assets.is_some() {
        into.assets = more.assets;
    }
    into.styles.extend(more.styles);
    into.reload_all |= more.reload_all;
    if more.errors.is_some() {
        into.errors = more.errors;
    }
    into.warnings.extend(more.warnings);
    into.rendered += more.rendered;
    into.queued = more.queued;
    into.phases.extend(more.phases);
}

/// The batch's Markdown files, relative to content/ with `/` separators.
fn content_rels(batch: &Batch) -> impl Iterator<Item = String> + '_ {
    batch
        .of_kind(ChangeKind::Content)
        .filter_map(|p| p.strip_prefix("content").ok())
        .filter_map(|p| p.to_str().map(|s| s.replace('\\', "/")))
}

/// A template in `templates/shortcodes/` (of the site or the theme).
fn is_shortcode_template(path: &Path) -> bool {
    let parts: Vec<&str> = path.iter().filter_map(|c| c.to_str()).collect();
    parts
        .windows(2)
        .any(|w| w[0] == "templates" && w[1] == "shortcodes")
}

/// The stable name of `item` of a model.
fn out_in(m: &ModelNames, item: Item) -> OutId {
    match item {
        Item::Page(p) => OutId::Page(m.pages[p]),
        Item::Section(s) => OutId::Section(m.sections[s]),
        Item::TaxonomyList(t) => OutId::TaxonomyList(m.taxonomies[t]),
        Item::Term(t, i) => OutId::Term(m.terms[t][i]),
        Item::Special => OutId::Special,
    }
}

fn out_of(st: &State, item: Item) -> OutId {
    out_in(&st.model, item)
}

/// Items of `st` with nothing recorded: new, or never rendered well.
fn unrecorded<'a>(deps: &'a Index<OutId, Key>, st: &'a State) -> impl Iterator<Item = Item> + 'a {
    st.out_items
        .iter()
        .filter(|(o, _)| !deps.is_recorded(o))
        .map(|(_, &i)| i)
}

/// A document's rendered body.
fn rendered_of(site: &Site, t: Target) -> &crate::model::Rendered {
    match t {
        Target::Page(p) => &site.pages[p].rendered,
        Target::Section(s) => &site.sections[s].rendered,
    }
}

/// A hash of the `asset()` fingerprints.
fn assets_print(asset_stamps: &HashMap<String, (u64, Option<std::time::SystemTime>)>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut stamps: Vec<_> = asset_stamps.iter().collect();
    stamps.sort();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    stamps.hash(&mut h);
    h.finish()
}

fn all_items(site: &Site) -> BTreeSet<Item> {
    let mut all: BTreeSet<Item> = (0..site.pages.len()).map(Item::Page).collect();
    all.extend((0..site.sections.len()).map(Item::Section));
    for (t, tax) in site.taxonomies.iter().enumerate() {
        all.insert(Item::TaxonomyList(t));
        all.extend((0..tax.terms.len()).map(|i| Item::Term(t, i)));
    }
    all.insert(Item::Special);
    all
}

fn item_paths(site: &Site) -> HashMap<String, Item> {
    let mut m = HashMap::new();
    for (i, s) in site.sections.iter().enumerate() {
        m.insert(format!("{}index.html", s.path), Item::Section(i));
    }
    for (i, p) in site.pages.iter().enumerate() {
        m.insert(format!("{}index.html", p.path), Item::Page(i));
    }
    for (t, tax) in site.taxonomies.iter().enumerate() {
        m.insert(format!("{}index.html", tax.path), Item::TaxonomyList(t));
        for (i, term) in tax.terms.iter().enumerate() {
            m.insert(format!("{}index.html", term.path), Item::Term(t, i));
        }
    }
    m
}

/// Drops `value` on a thread of its own, so freeing a large model or pool
/// stays off the reload path (if no thread starts, it is dropped here).
pub(super) fn free_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("kennisbank-free".into())
        .spawn(move || drop(value));
}
