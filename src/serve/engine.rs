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
use serde_json::Value;

use crate::config::{Config, CONFIG_FILE};
use crate::content::{self, Stamp};
use crate::error::{BuildFailure, Code, Diagnostic, Severity};
use crate::frontmatter;
use crate::links::{self, Resolver};
use crate::markdown;
use crate::model::{Asset, PageId, SectionId, Site, SortBy, Target};
use crate::parse::{self, ParseOptions};
use crate::render::{
    load_theme, same_related_inputs, theme_dir, Job, OutputFile, Renderer, Theme, RELATED_TERM_CAP,
};
use crate::shortcodes;
use crate::site::BuildOptions;

use super::classify::{Batch, ChangeKind};
use super::deps::{self, Index, Inputs, Key, ModelNames, Names, OutId, Prints};

/// One rendered output file as the server holds it.
#[derive(Debug, Clone)]
pub struct Out {
    pub bytes: Bytes,
    /// The document it came from (for the search index).
    pub source: Option<Target>,
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
    summaries: Vec<Value>,
    /// Every Markdown file read (drafts and unparsable ones included),
    /// relative to content/.
    md_files: HashSet<String>,
    /// Load and parse diagnostics (front matter, Markdown).
    parse_diags: Vec<Diagnostic>,
    /// Broken anchors, apart from the other link problems (relations, URL
    /// clashes): a body edit can change only these.
    anchor_diags: Vec<Diagnostic>,
    link_diags: Vec<Diagnostic>,
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
    /// Why the last theme reload failed (the previous theme stays in use).
    theme_errors: Vec<Diagnostic>,
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
}

/// One item's files and what rendering it read.
type Rendered = (
    Item,
    Vec<Result<OutputFile, Diagnostic>>,
    crate::reads::Reads,
);

/// Outputs rendered per parallel chunk of [`Engine::step`].
const CHUNK: usize = 48;

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
            theme_errors: Vec::new(),
            prints: HashMap::new(),
            theme_name: "default".into(),
            base_path: "/".into(),
            names: Names::default(),
            deps: Index::default(),
            template_keys: HashMap::new(),
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
        !self.queue.is_empty() && self.errors.is_empty()
    }

    /// The current model, when it is good (no errors, nothing queued).
    pub fn good_site(&self) -> Option<&Site> {
        match &self.st {
            Some(st) if self.errors.is_empty() && self.queue.is_empty() => Some(&st.site),
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
        let mut out = self.full(true, &HashSet::new());
        while self.has_queue() {
            let more = self.step(&[], &|| false);
            merge(&mut out, more);
        }
        out
    }

    /// Applies one debounced batch of changes; returns what changed now.
    /// Work that can wait is queued for [`Engine::step`].
    pub fn apply(&mut self, batch: &Batch, open: &[String]) -> Outcome {
        let start = Instant::now();
        let mut out = self.apply_inner(batch, open);
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

    /// After a panic in a rebuild: forget the queue, show `error`, rebuild
    /// fully on the next change. The served outputs stay as they were.
    pub(crate) fn crashed(&mut self, error: Diagnostic) -> Outcome {
        let mut out = Outcome::new(RebuildKind::Full);
        self.queue.clear();
        self.needs_full = true;
        self.fail(&mut out, vec![error]);
        out
    }

    /// Renders queued outputs, the open pages first, in chunks, until the
    /// queue is empty or `interrupted()` says new changes are waiting.
    pub fn step(&mut self, open: &[String], interrupted: &dyn Fn() -> bool) -> Outcome {
        let start = Instant::now();
        let mut out = Outcome::new(RebuildKind::Queued);
        if !self.errors.is_empty() {
            return out;
        }
        let first = self.open_items(open);
        loop {
            if self.queue.is_empty() {
                break;
            }
            let chunk: Vec<Item> = first
                .iter()
                .filter(|i| self.queue.contains(i))
                .copied()
                .chain(self.queue.iter().copied())
                .take(CHUNK)
                .collect();
            if let Err(errs) = self.render_items(&chunk, &mut out) {
                self.fail(&mut out, errs);
                break;
            }
            if interrupted() {
                break;
            }
        }
        out.queued = self.queue.len();
        out.elapsed = start.elapsed();
        out
    }

    // -----------------------------------------------------------------------
    // Full rebuild

    fn full_then_open(&mut self, batch: &Batch, open: &[String], everything: bool) -> Outcome {
        // Files the watcher named are read again whatever their stamp says
        // (two saves within one timestamp tick can leave it unchanged).
        let saved: HashSet<String> = content_rels(batch).collect();
        let mut out = self.full(everything, &saved);
        if self.errors.is_empty() {
            // The open pages and the documents just saved come first.
            let mut first = self.open_items(open);
            if let Some(st) = &self.st {
                for rel in &saved {
                    if let Some(t) = st.site.by_file.get(rel) {
                        first.push(match *t {
                            Target::Page(p) => Item::Page(p),
                            Target::Section(s) => Item::Section(s),
                        });
                    }
                }
            }
            if !first.is_empty() {
                if let Err(errs) = self.render_items(&first, &mut out) {
                    self.fail(&mut out, errs);
                }
            }
        }
        out
    }

    /// Load, parse and link everything; queue every output. Publishes only
    /// removals of outputs that no longer exist (and only when good).
    fn full(&mut self, everything: bool, saved: &HashSet<String>) -> Outcome {
        let mut out = Outcome::new(RebuildKind::Full);
        // The config changed (every stage reads it), or a theme error hid
        // what the last renders read.
        let everything = everything || !self.theme_errors.is_empty();
        self.needs_full = true;
        // The old model lends its texts and rendered bodies to the new one.
        let prev = self.st.take();
        let loaded = self.load_all(&mut out.phases, prev.as_ref(), saved);
        match loaded {
            Ok((st, warnings)) => {
                out.warnings = warnings;
                self.theme_name = st.site.config.theme.clone();
                self.base_path = st.site.config.base_path();
                let mut new_paths: HashSet<&str> =
                    st.item_of_path.keys().map(String::as_str).collect();
                new_paths.extend(self.special_paths.iter().map(String::as_str));
                let gone: Vec<String> = self
                    .outputs
                    .keys()
                    .filter(|p| !new_paths.contains(p.as_str()))
                    .cloned()
                    .collect();
                for p in gone {
                    self.outputs.remove(&p);
                    out.updates.push((p, None));
                }
                if prev.as_ref().map(|o| &o.site.assets) != Some(&st.site.assets) {
                    out.assets = Some(st.site.assets.clone());
                }
                // Ids shift when a file comes or goes: outputs that are not
                // rendered again name their document by its new id (the
                // search index reads them).
                for (path, item) in &st.item_of_path {
                    let source = match *item {
                        Item::Page(p) => Target::Page(p),
                        Item::Section(s) => Target::Section(s),
                        _ => continue,
                    };
                    if let Some(o) = self.outputs.get_mut(path) {
                        o.source = Some(source);
                    }
                }
                // Outputs that are gone are nobody's readers any more.
                let gone: Vec<OutId> = self
                    .deps
                    .recorded()
                    .filter(|o| !st.out_items.contains_key(o))
                    .copied()
                    .collect();
                for o in gone {
                    self.deps.forget(o);
                }
                self.queue = match &prev {
                    Some(old) if !everything => {
                        // Still queued from before, by stable name.
                        let pending = self.queue.iter().map(|&i| out_of(old, i));
                        let mut q: BTreeSet<Item> = pending
                            .filter_map(|o| st.out_items.get(&o).copied())
                            .collect();
                        q.extend(self.stale(&old.prints, &st));
                        q
                    }
                    _ => all_items(&st.site),
                };
                self.st = Some(st);
                // Freeing a large model takes a while: not on the reload path.
                if let Some(old) = prev {
                    let _ = std::thread::Builder::new()
                        .name("kennisbank-free".into())
                        .spawn(move || drop(old));
                }
                self.needs_full = false;
                self.theme_errors.clear();
                self.set_errors(&mut out, Vec::new());
            }
            Err(failure) => {
                self.st = prev;
                self.fail(&mut out, failure.diagnostics);
            }
        }
        out
    }

    /// Loads the site; files not in `saved` whose stamp is unchanged since
    /// `prev` read them are not read again, and its unchanged bodies are
    /// not rendered again.
    fn load_all(
        &mut self,
        phases: &mut Vec<(&'static str, Duration)>,
        prev: Option<&State>,
        saved: &HashSet<String>,
    ) -> Result<(State, Vec<Diagnostic>), BuildFailure> {
        let mut t = Instant::now();
        let mut lap = |name: &'static str| {
            let now = Instant::now();
            phases.push((name, now - t));
            t = now;
        };
        self.fingerprint_all();
        let mut config = crate::site::load_config(&self.opts)?;
        if let Some(origin) = &self.origin {
            config.base_url = format!("{origin}{}", config.base_path());
        }
        self.theme_name = config.theme.clone();
        let theme_path = theme_dir(&self.root, &config.theme);
        let known = |rel: &str, stamp: Stamp| -> Option<Arc<str>> {
            let prev = prev?;
            if saved.contains(rel) || prev.stamps.get(rel) != Some(&stamp) {
                return None;
            }
            match *prev.site.by_file.get(rel)? {
                Target::Page(p) => Some(prev.site.pages[p].file.text.clone()),
                Target::Section(s) => Some(prev.site.sections[s].file.text.clone()),
            }
        };
        let mut loaded = content::load_reusing(&self.root, &theme_path, &known);
        let (dialect, dialect_diags) = content::load_dialect(&self.root, &config, &theme_path);
        loaded.dialect = dialect;
        loaded.diagnostics.extend(dialect_diags);
        let stamps = loaded.stamps.clone();
        let mut parse_diags: Vec<Diagnostic> = loaded.diagnostics.clone();
        let md_files: HashSet<String> = loaded.files.iter().map(|f| f.rel.clone()).collect();
        lap("load");
        let mut site = parse::parse_reusing(
            config,
            loaded,
            ParseOptions {
                drafts: self.opts.drafts,
                ..ParseOptions::default()
            },
            &mut parse_diags,
            prev.map(|p| &p.site),
        );
        lap("parse");
        let (mut anchor_diags, mut link_diags) = (Vec::new(), Vec::new());
        links::link_apart(&mut site, &mut anchor_diags, &mut link_diags);
        lap("link");
        let mut all: Vec<Diagnostic> = parse_diags
            .iter()
            .chain(&anchor_diags)
            .chain(&link_diags)
            .cloned()
            .collect();
        if all.iter().any(Diagnostic::is_error) {
            all.sort_by(|a, b| (&a.file(), a.line()).cmp(&(&b.file(), b.line())));
            return Err(BuildFailure { diagnostics: all });
        }
        let theme = load_theme(
            &self.root,
            &site.config.theme,
            &site.config.language,
            &site.config.base_path(),
            &site.assets,
        )
        .map_err(|d| BuildFailure { diagnostics: d })?;
        self.template_keys.clear();
        lap("theme");
        let asset_stamps: HashMap<String, (u64, Option<std::time::SystemTime>)> = site
            .assets
            .iter()
            .map(|a| {
                let m = std::fs::metadata(&a.source).ok();
                let stamp = (
                    m.as_ref().map(|m| m.len()).unwrap_or(0),
                    m.and_then(|m| m.modified().ok()),
                );
                (a.dest.clone(), stamp)
            })
            .collect();
        let model = ModelNames::of(&site, &mut self.names);
        let (summaries, related, prints) = {
            let r = Renderer::new(&site, &theme);
            lap("summaries");
            // Related lists come from taxonomy terms alone.
            let same_terms = prev.is_some_and(|p| same_related_inputs(&p.site, &site));
            let related: Vec<Vec<PageId>> = match prev {
                Some(p) if same_terms => p.related.clone(),
                _ => (0..site.pages.len())
                    .into_par_iter()
                    .map(|i| r.related(i))
                    .collect(),
            };
            lap("related");
            let prints = prints_of(
                &r,
                None,
                &site,
                &theme,
                &model,
                &related,
                &asset_stamps,
                &mut self.names,
                prev.map(|p| &p.prints),
            );
            lap("prints");
            (r.into_page_summaries(), related, prints)
        };
        let drafts: HashSet<String> = md_files
            .iter()
            .filter(|f| !site.by_file.contains_key(*f))
            .cloned()
            .collect();
        let resolver = Resolver::new(&site, drafts);
        let item_of_path = item_paths(&site);
        let out_items = all_items(&site)
            .into_iter()
            .map(|i| (out_in(&model, i), i))
            .collect();
        lap("index");
        let asset_sources = site
            .assets
            .iter()
            .filter_map(|a| {
                a.source
                    .strip_prefix(&self.root)
                    .ok()
                    .map(Path::to_path_buf)
            })
            .collect();
        Ok((
            State {
                theme,
                site,
                resolver,
                summaries,
                md_files,
                parse_diags,
                anchor_diags,
                link_diags,
                related,
                model,
                prints,
                out_items,
                asset_stamps,
                item_of_path,
                asset_sources,
                stamps,
            },
            all,
        ))
    }

    /// Safe-write editors (JetBrains) move the old file away before the new
    /// one is renamed into place. When a known document is missing, give it
    /// up to 100 ms to come back before treating it as deleted.
    fn settle_missing(&self, batch: &Batch) {
        let Some(st) = &self.st else { return };
        let missing = |p: &Path| {
            let rel = p
                .strip_prefix("content")
                .ok()
                .and_then(Path::to_str)
                .unwrap_or("");
            st.md_files.contains(rel) && !self.root.join(p).exists()
        };
        let deadline = Instant::now() + Duration::from_millis(100);
        while batch.of_kind(ChangeKind::Content).any(missing) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Does the batch change which files make up the site?
    fn structural(&self, batch: &Batch) -> bool {
        let Some(st) = &self.st else { return true };
        batch.paths.iter().any(|(p, kind)| {
            let abs = self.root.join(p);
            match kind {
                ChangeKind::ContentFolder => true,
                ChangeKind::Content => {
                    let rel = p
                        .strip_prefix("content")
                        .ok()
                        .and_then(Path::to_str)
                        .unwrap_or("");
                    // Added, removed, or now a folder: the file set changed.
                    abs.is_file() != st.md_files.contains(rel)
                }
                ChangeKind::Asset | ChangeKind::Style => {
                    let known = st.asset_sources.contains(p.as_path());
                    if abs.is_dir() {
                        return true;
                    }
                    if !abs.exists() && !known {
                        // A removed folder of assets?
                        return st.asset_sources.iter().any(|s| s.starts_with(p));
                    }
                    abs.is_file() != known
                }
                ChangeKind::Template | ChangeKind::Translations | ChangeKind::Config => false,
            }
        })
    }

    // -----------------------------------------------------------------------
    // Body edits

    /// Re-renders the bodies of `rels` (relative to content/). `None` when a
    /// body edit is not enough (front matter changed, a file is unreadable
    /// or unknown): the caller rebuilds fully.
    fn body_edit(&mut self, rels: &[String], open: &[String]) -> Option<Outcome> {
        let started = Instant::now();
        let mut out = Outcome::new(RebuildKind::Body);
        let root = self.root.clone();
        let st = self.st.as_mut()?;
        let mut changed: Vec<Target> = Vec::new();
        // Read and check every file first: the model is changed only when all
        // of them are body edits, so a fallback to a full rebuild starts from
        // the model as it was.
        let mut files = Vec::new();
        for rel in rels {
            let target = *st.site.by_file.get(rel)?;
            let path = root.join("content").join(rel);
            let file = content::read_source(&path, rel.clone(), &root).ok()?;
            let (old_file, title_from_body) = match target {
                Target::Page(p) => (&st.site.pages[p].file, st.site.pages[p].title_from_body),
                Target::Section(s) => (
                    &st.site.sections[s].file,
                    st.site.sections[s].title_from_body,
                ),
            };
            if old_file.text == file.text {
                continue;
            }
            let old = frontmatter::split(&old_file.text, &old_file.display).ok()?;
            let new = frontmatter::split(&file.text, &file.display).ok()?;
            if old.front != new.front || old.body_line != new.body_line {
                return None;
            }
            if title_from_body && markdown::first_h1(old.body) != markdown::first_h1(new.body) {
                return None;
            }
            files.push((rel, target, file));
        }
        // Bodies that include an edited one are rendered again too (their
        // recorded includes say which). One with messages, or edited itself
        // in this batch, goes through the re-parse instead.
        let edited: Vec<&str> = files.iter().map(|(rel, _, _)| rel.as_str()).collect();
        let includers = shortcodes::includers(&st.site, &edited);
        let clean = |t: &Target| match *t {
            Target::Page(p) => st.site.pages[p].rendered.clean,
            Target::Section(s) => st.site.sections[s].rendered.clean,
        };
        if includers
            .iter()
            .any(|t| !clean(t) || files.iter().any(|(_, f, _)| f == t))
        {
            return None;
        }
        for (_, target, file) in files {
            let (old_file, body_line, title_from_body, this) = match target {
                Target::Page(p) => {
                    let pg = &st.site.pages[p];
                    (&pg.file, pg.body_line, pg.title_from_body, target)
                }
                Target::Section(s) => {
                    let sc = &st.site.sections[s];
                    (&sc.file, sc.body_line, sc.title_from_body, target)
                }
            };
            let doc = |file| shortcodes::Doc {
                file,
                this,
                body_line,
                strip_first_h1: title_from_body,
            };
            let (_, old_diags) = shortcodes::render_body(&st.site, &st.resolver, doc(old_file));
            let (rendered, new_diags) = shortcodes::render_body(&st.site, &st.resolver, doc(&file));
            for d in &old_diags {
                if let Some(i) = st.parse_diags.iter().position(|x| x == d) {
                    st.parse_diags.remove(i);
                }
            }
            out.warnings
                .extend(new_diags.iter().filter(|d| !d.is_error()).cloned());
            st.parse_diags.extend(new_diags);
            match target {
                Target::Page(p) => {
                    let page = &mut st.site.pages[p];
                    page.file = file;
                    page.rendered = Arc::new(rendered);
                }
                Target::Section(s) => {
                    let section = &mut st.site.sections[s];
                    section.file = file;
                    section.rendered = Arc::new(rendered);
                }
            }
            changed.push(target);
        }
        for t in includers {
            let doc = shortcodes::Doc::of(&st.site, t);
            let (rendered, diags) = shortcodes::render_body(&st.site, &st.resolver, doc);
            out.warnings
                .extend(diags.iter().filter(|d| !d.is_error()).cloned());
            st.parse_diags.extend(diags);
            match t {
                Target::Page(p) => st.site.pages[p].rendered = Arc::new(rendered),
                Target::Section(s) => st.site.sections[s].rendered = Arc::new(rendered),
            }
            changed.push(t);
        }
        if changed.is_empty() {
            out.kind = RebuildKind::Nothing;
            return Some(out);
        }
        let t = Instant::now();
        out.phases.push(("markdown", t - started));
        // Only bodies changed: relations and URLs are as they were.
        st.anchor_diags.clear();
        links::relink_bodies(&mut st.site, &mut st.anchor_diags);
        out.phases.push(("link", t.elapsed()));
        let pages: Vec<PageId> = changed
            .iter()
            .filter_map(|t| match t {
                Target::Page(p) => Some(*p),
                Target::Section(_) => None,
            })
            .collect();
        let now: Vec<Item> = changed
            .iter()
            .map(|t| match *t {
                Target::Page(p) => Item::Page(p),
                Target::Section(s) => Item::Section(s),
            })
            .collect();
        Some(self.finish_edit(out, &pages, now, open))
    }

    /// The end of a body or front-matter edit, once the model is patched:
    /// refreshes the summaries of `pages` and queues the outputs that read
    /// an input that changed, `now` among them; unless the site has
    /// errors, renders `now` and the open pages at once (the rest when
    /// stepped).
    fn finish_edit(
        &mut self,
        mut out: Outcome,
        pages: &[PageId],
        now: Vec<Item>,
        open: &[String],
    ) -> Outcome {
        let Some(st) = self.st.as_mut() else {
            return out;
        };
        let errors: Vec<Diagnostic> = st
            .parse_diags
            .iter()
            .chain(&st.anchor_diags)
            .chain(&st.link_diags)
            .chain(&self.theme_errors)
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        let t = Instant::now();
        let later = self.restale(pages);
        out.phases.push(("deps", t.elapsed()));
        self.queue.extend(now.iter().copied());
        self.queue.extend(later);
        if !errors.is_empty() {
            let mut errors = errors;
            errors.sort_by(|a, b| (&a.file(), a.line()).cmp(&(&b.file(), b.line())));
            self.fail(&mut out, errors);
            return out;
        }
        self.set_errors(&mut out, Vec::new());
        // The edited documents and the open pages now; the rest when stepped.
        let mut first = now;
        first.extend(self.open_items(open));
        let t = Instant::now();
        if let Err(errs) = self.render_items(&first, &mut out) {
            self.fail(&mut out, errs);
        }
        out.phases.push(("render", t.elapsed()));
        out
    }

    // -----------------------------------------------------------------------
    // Front-matter edits

    /// Front-matter edits (title, description, date, weight, fields, ...)
    /// of pages that keep the site's shape: same URL, section, aliases,
    /// taxonomy terms and relations. Patches each page in place, moves it
    /// within the lists it is in, renders it at once and queues what shows
    /// it. `None`: a re-parse is needed (the caller does one); the model may
    /// then be partly patched, which the re-parse replaces.
    fn meta_edit(&mut self, rels: &[String], open: &[String]) -> Option<Outcome> {
        let started = Instant::now();
        let mut out = Outcome::new(RebuildKind::FrontMatter);
        let root = self.root.clone();
        let drafts = ParseOptions {
            drafts: self.opts.drafts,
            ..ParseOptions::default()
        };
        let st = self.st.as_mut()?;
        // Read and check every file before changing anything.
        let mut edits = Vec::new();
        for rel in rels {
            let Target::Page(p) = *st.site.by_file.get(rel)? else {
                return None;
            };
            // Another body includes it: the re-parse renders that again.
            if shortcodes::is_included(&st.site, rel) {
                return None;
            }
            let path = root.join("content").join(rel);
            let stamp = Stamp::of(&path);
            let file = content::read_source(&path, rel.clone(), &root).ok()?;
            if st.site.pages[p].file.text == file.text {
                continue;
            }
            let (page, diags) = parse::reparse_page(&st.site, file, drafts).ok()?;
            let old = &st.site.pages[p];
            let same_relations = st.site.config.relations.keys().all(|name| {
                old.meta.raw.map.get(name.as_str()) == page.meta.raw.map.get(name.as_str())
            });
            let same_shape = page.path == old.path
                && page.section == old.section
                && page.bundle_dir == old.bundle_dir
                && page.meta.aliases == old.meta.aliases
                && page.taxonomies == old.taxonomies
                && same_relations;
            if !same_shape {
                return None;
            }
            edits.push((rel, p, page, diags, stamp));
        }
        if edits.is_empty() {
            out.kind = RebuildKind::Nothing;
            return Some(out);
        }
        let mut relink = false;
        let mut pages = Vec::new();
        for (rel, p, mut page, diags, stamp) in edits {
            let old = &st.site.pages[p];
            let section = old.section;
            let old_body = parse::body_of(&old.file);
            let same_body = old_body == parse::body_of(&page.file)
                && old.body_line == page.body_line
                && old.title_from_body == page.title_from_body
                && old.rendered.clean;
            st.parse_diags
                .retain(|d| d.file() != Some(page.file.display.as_path()));
            st.parse_diags.extend(diags);
            if same_body {
                page.rendered = Arc::clone(&old.rendered);
            } else {
                let (rendered, body_diags) = shortcodes::render_body(
                    &st.site,
                    &st.resolver,
                    shortcodes::Doc {
                        file: &page.file,
                        this: Target::Page(p),
                        body_line: page.body_line,
                        strip_first_h1: page.title_from_body,
                    },
                );
                page.rendered = Arc::new(rendered);
                out.warnings
                    .extend(body_diags.iter().filter(|d| !d.is_error()).cloned());
                st.parse_diags.extend(body_diags);
                relink = true;
            }
            // Resolved relations stay: their front matter is unchanged.
            page.relations = std::mem::take(&mut st.site.pages[p].relations);
            let counted = |site: &Site| -> Vec<Vec<PageId>> {
                site.taxonomies
                    .iter()
                    .flat_map(|t| &t.terms)
                    .filter(|t| t.pages.contains(&p))
                    .map(|t| {
                        let mut v: Vec<PageId> =
                            t.pages.iter().take(RELATED_TERM_CAP).copied().collect();
                        v.sort_unstable();
                        v
                    })
                    .collect()
            };
            let counted_before = counted(&st.site);
            st.site.pages[p] = page;
            if let Some(s) = stamp {
                st.stamps.insert(rel.clone(), s);
            }
            let sort_by = st.site.sections[section].section.sort_by;
            parse::resort_page(
                &mut st.site.sections[section].pages,
                &st.site.pages,
                p,
                sort_by,
            );
            let site = &mut st.site;
            for tax in &mut site.taxonomies {
                for term in &mut tax.terms {
                    if term.pages.contains(&p) {
                        parse::resort_page(&mut term.pages, &site.pages, p, SortBy::Weight);
                    }
                }
            }
            // Related lists take each term's first pages: if those changed,
            // other pages' lists may too.
            if counted(&st.site) != counted_before {
                self.needs_full = true;
                return None;
            }
            pages.push(p);
        }
        // Documents whose `pages()` lists now show something else (their
        // recorded queries, run again): their bodies are rendered again and
        // they count as edited. A body that had messages (which cannot be
        // told apart from its file's others here) goes through the
        // re-parse instead, which reuses every other body; checked before
        // any body changes, so the re-parse sees them as they are served.
        let requeried = shortcodes::stale_queries(&st.site);
        let clean = |t: &Target| match *t {
            Target::Page(q) => st.site.pages[q].rendered.clean,
            Target::Section(q) => st.site.sections[q].rendered.clean,
        };
        if !requeried.iter().all(clean) {
            return None;
        }
        let mut sections_now = Vec::new();
        for t in requeried {
            let doc = shortcodes::Doc::of(&st.site, t);
            let (rendered, diags) = shortcodes::render_body(&st.site, &st.resolver, doc);
            out.warnings
                .extend(diags.iter().filter(|d| !d.is_error()).cloned());
            st.parse_diags.extend(diags);
            relink = true;
            match t {
                Target::Page(q) => {
                    st.site.pages[q].rendered = Arc::new(rendered);
                    if !pages.contains(&q) {
                        pages.push(q);
                    }
                }
                Target::Section(q) => {
                    st.site.sections[q].rendered = Arc::new(rendered);
                    sections_now.push(Item::Section(q));
                }
            }
        }
        out.phases.push(("parse", started.elapsed()));
        if relink {
            // URLs and relations are as they were; but a relation problem
            // names a front-matter line, which may have moved.
            let t = Instant::now();
            let shown = |d: &Diagnostic| {
                pages
                    .iter()
                    .any(|&p| d.file() == Some(st.site.pages[p].file.display.as_path()))
            };
            st.anchor_diags.clear();
            if st.link_diags.iter().any(shown) {
                st.link_diags.clear();
                links::link_apart(&mut st.site, &mut st.anchor_diags, &mut st.link_diags);
            } else {
                links::relink_bodies(&mut st.site, &mut st.anchor_diags);
            }
            out.phases.push(("link", t.elapsed()));
        } else if st.link_diags.iter().any(|d| {
            pages
                .iter()
                .any(|&p| d.file() == Some(st.site.pages[p].file.display.as_path()))
        }) {
            st.anchor_diags.clear();
            st.link_diags.clear();
            links::link_apart(&mut st.site, &mut st.anchor_diags, &mut st.link_diags);
        }
        let mut now: Vec<Item> = pages.iter().map(|&p| Item::Page(p)).collect();
        now.extend(sections_now);
        Some(self.finish_edit(out, &pages, now, open))
    }

    /// Static files changed: every output that links one through
    /// `asset()` carries its fingerprint, so the theme is loaded again (it
    /// hashes the files) and every output queued, silently.
    fn refingerprint(&mut self, out: &mut Outcome) {
        let Some(st) = self.st.as_mut() else {
            return;
        };
        let site = &st.site;
        match load_theme(
            &self.root,
            &site.config.theme,
            &site.config.language,
            &site.config.base_path(),
            &site.assets,
        ) {
            Ok(theme) => st.theme = theme,
            Err(d) => {
                self.theme_errors = d.clone();
                self.fail(out, d);
                return;
            }
        }
        self.template_keys.clear();
        // The outputs whose templates call `asset()`, and any not yet
        // rendered.
        let asset = Key::Global(self.names.of("asset()"));
        let mut items: BTreeSet<Item> = self
            .deps
            .readers(&[asset])
            .iter()
            .filter_map(|o| st.out_items.get(o).copied())
            .collect();
        items.extend(unrecorded(&self.deps, st));
        for item in items {
            if self.queue.insert(item) {
                self.silent.insert(item);
            }
        }
    }

    // -----------------------------------------------------------------------
    // Template and translation edits

    fn template_edit(&mut self, open: &[String]) -> Outcome {
        let mut out = Outcome::new(RebuildKind::Template);
        let Some(st) = self.st.as_mut() else {
            return out;
        };
        let site = &st.site;
        let theme = match load_theme(
            &self.root,
            &site.config.theme,
            &site.config.language,
            &site.config.base_path(),
            &site.assets,
        ) {
            Ok(t) => t,
            Err(d) => {
                self.theme_errors = d.clone();
                self.fail(&mut out, d);
                return out;
            }
        };
        self.theme_errors.clear();
        st.theme = theme;
        self.template_keys.clear();
        // The outputs that rendered a changed template, found by the
        // templates' fingerprints (an included one counts, see `deps`).
        let later = self.restale(&[]);
        self.queue.extend(later);
        let Some(st) = self.st.as_ref() else {
            return out;
        };
        // A template error shown before may be fixed now.
        let still: Vec<Diagnostic> = st
            .parse_diags
            .iter()
            .chain(&st.anchor_diags)
            .chain(&st.link_diags)
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        self.set_errors(&mut out, still);
        if self.errors.is_empty() {
            let first = self.open_items(open);
            if let Err(errs) = self.render_items(&first, &mut out) {
                self.fail(&mut out, errs);
            }
        }
        out
    }

    // -----------------------------------------------------------------------
    // Rendering and bookkeeping

    fn open_items(&self, open: &[String]) -> Vec<Item> {
        let Some(st) = &self.st else {
            return Vec::new();
        };
        open.iter()
            .filter_map(|p| st.item_of_path.get(p).copied())
            .filter(|i| self.queue.contains(i))
            .collect()
    }

    /// Renders `items` (if queued); on success publishes the changed files
    /// into `out` and takes the items off the queue. On a template error
    /// nothing is published and the items stay queued.
    fn render_items(&mut self, items: &[Item], out: &mut Outcome) -> Result<(), Vec<Diagnostic>> {
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
        let summaries = std::mem::take(&mut st.summaries);
        let r = Renderer::reusing(&st.site, &st.theme, summaries, &[]);
        let results: Vec<Rendered> = items
            .par_iter()
            .map(|&item| {
                let job = match item {
                    Item::Page(p) => Job::Page(p),
                    Item::Section(s) => Job::Section(s),
                    Item::TaxonomyList(t) => Job::Taxonomy(t),
                    Item::Term(t, i) => Job::Term(t, i),
                    Item::Special => Job::Special,
                };
                let (files, reads) = r.render_recorded(job);
                (item, files, reads)
            })
            .collect();
        st.summaries = r.into_page_summaries();
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
            for f in files.into_iter().flatten() {
                written.insert(f.path.clone());
                let unchanged = self
                    .outputs
                    .get(&f.path)
                    .is_some_and(|o| o.bytes[..] == f.bytes[..]);
                if !unchanged {
                    let o = Out {
                        bytes: Bytes::from(f.bytes),
                        source: f.source,
                    };
                    self.outputs.insert(f.path.clone(), o.clone());
                    if silent {
                        out.silent.push(f.path.clone());
                    }
                    out.updates.retain(|(p, _)| *p != f.path);
                    out.updates.push((f.path, Some(o)));
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
        let changed = before.changed(&new.prints);
        let mut items: BTreeSet<Item> = self
            .deps
            .readers(&changed)
            .iter()
            .filter_map(|o| new.out_items.get(o).copied())
            .collect();
        items.extend(unrecorded(&self.deps, new));
        items
    }

    /// After the model was patched in place (summaries of `pages` to
    /// refresh) or the theme reloaded: fingerprints everything again and
    /// returns the outputs that read what changed.
    fn restale(&mut self, pages: &[PageId]) -> BTreeSet<Item> {
        let Some(st) = self.st.as_mut() else {
            return BTreeSet::new();
        };
        let summaries = std::mem::take(&mut st.summaries);
        // Only the summaries `reusing` rebuilds can have new prints.
        let fresh = (summaries.len() == st.site.pages.len()).then_some(pages);
        let r = Renderer::reusing(&st.site, &st.theme, summaries, pages);
        let prints = prints_of(
            &r,
            fresh,
            &st.site,
            &st.theme,
            &st.model,
            &st.related,
            &st.asset_stamps,
            &mut self.names,
            Some(&st.prints),
        );
        st.summaries = r.into_page_summaries();
        let before = std::mem::replace(&mut st.prints, prints);
        let st = self.st.as_ref().expect("checked above");
        self.stale(&before, st)
    }

    fn fail(&mut self, out: &mut Outcome, mut errors: Vec<Diagnostic>) {
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

fn merge(into: &mut Outcome, more: Outcome) {
    if into.kind == RebuildKind::Nothing {
        into.kind = more.kind;
    }
    for (p, o) in more.updates {
        into.updates.retain(|(q, _)| *q != p);
        into.updates.push((p, o));
    }
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

/// Fingerprints what the renderer `r` of `site` can put into a context.
#[allow(clippy::too_many_arguments)]
fn prints_of(
    r: &Renderer<'_>,
    fresh: Option<&[PageId]>,
    site: &Site,
    theme: &Theme,
    model: &ModelNames,
    related: &[Vec<PageId>],
    asset_stamps: &HashMap<String, (u64, Option<std::time::SystemTime>)>,
    names: &mut Names,
    before: Option<&Prints>,
) -> Prints {
    let mut stamps: Vec<_> = asset_stamps.iter().collect();
    stamps.sort();
    let assets = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        stamps.hash(&mut h);
        h.finish()
    };
    Prints::of(
        &Inputs {
            site,
            theme,
            model,
            renderer: r,
            fresh,
            related,
            assets,
        },
        names,
        before,
    )
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
