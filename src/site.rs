//! The pipeline in one place: load → parse → link → render → index → write,
//! timing each phase. `build` writes to disk; `build_in_memory` stops before
//! writing so the dev server can serve the result.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::error::{BuildFailure, Code, Diagnostic};
use crate::model::{Site, Target};
use crate::parse::ParseOptions;
use rayon::prelude::*;

use crate::render::{load_theme, theme_dir, OutputFile, Renderer, Theme};
use crate::{content, links, output, parse, search};

#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub root: PathBuf,
    pub output: Option<PathBuf>,
    pub base_url: Option<String>,
    pub drafts: bool,
    /// Overrides the config's theme.
    pub theme: Option<String>,
    /// Build the search index (off for `check` and some benchmarks).
    pub search: bool,
    /// Warnings count as errors (`--strict`).
    pub strict: bool,
    /// How diagnostics are printed.
    pub messages: crate::error::MessageFormat,
    /// Show per-phase progress (on a terminal only; see `progress`).
    pub progress: bool,
}

impl BuildOptions {
    pub(crate) fn output_dir(&self) -> PathBuf {
        self.output
            .clone()
            .unwrap_or_else(|| self.root.join("public"))
    }
}

/// What a build did, for the summary line and the benchmark.
#[derive(Debug, Default, Clone)]
pub struct BuildReport {
    pub pages: usize,
    pub sections: usize,
    pub files: usize,
    pub bytes: u64,
    pub phases: Vec<(&'static str, Duration)>,
    pub warnings: Vec<Diagnostic>,
    pub search: Option<search::SearchStats>,
    pub total: Duration,
    /// Files whose bytes were new in the output (the rest were unchanged).
    pub changed: usize,
    /// Pages past their review date (`herzien_op`).
    pub review: Vec<crate::governance::Overdue>,
    /// Writing hints per page (`check` only).
    pub b1: Vec<crate::b1::PageReport>,
}

impl BuildReport {
    pub(crate) fn summary_line(&self) -> String {
        let phases: Vec<String> = self
            .phases
            .iter()
            .map(|(n, d)| format!("{n} {}", d.as_millis()))
            .collect();
        format!(
            "{} pagina's, {} secties, {} bestanden ({} gewijzigd) in {} ms ({})",
            self.pages,
            self.sections,
            self.files,
            self.changed,
            self.total.as_millis(),
            phases.join(", ")
        )
    }

    /// The same figures for machines (`build --summary-json`): field names
    /// are stable, durations in whole milliseconds.
    pub(crate) fn summary_json(&self) -> serde_json::Value {
        // A list, not a map: the phases' order is the pipeline's.
        let phases: Vec<serde_json::Value> = self
            .phases
            .iter()
            .map(|(n, d)| serde_json::json!({ "name": n, "ms": d.as_millis() as u64 }))
            .collect();
        serde_json::json!({
            "pages": self.pages,
            "sections": self.sections,
            "files": self.files,
            "changed": self.changed,
            "bytes": self.bytes,
            "total_ms": self.total.as_millis() as u64,
            "phases": phases,
            "warnings": self.warnings.len(),
            "search": self.search.as_ref().map(|s| serde_json::json!({
                "pages": s.pages,
                "words": s.words,
                "ms": s.duration.as_millis() as u64,
                "files": s.files,
                "bytes": s.bytes,
            })),
        })
    }
}

/// The built site held in memory.
pub struct Built {
    pub site: Site,
    pub files: Vec<OutputFile>,
    pub report: BuildReport,
}

struct Timer {
    start: Instant,
    last: Instant,
    phases: Vec<(&'static str, Duration)>,
    progress: crate::progress::Progress,
}

impl Timer {
    fn new(progress: bool) -> Self {
        let now = Instant::now();
        Timer {
            start: now,
            last: now,
            phases: Vec::new(),
            progress: crate::progress::Progress::new(progress),
        }
    }
    fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        self.phases.push((name, now - self.last));
        self.last = now;
        self.progress.after(name);
    }
}

/// Fails when any diagnostic is an error; otherwise hands back the warnings.
/// Paths are shown relative to the site root.
fn gate(diags: &mut Vec<Diagnostic>, opts: &BuildOptions) -> Result<(), BuildFailure> {
    let root = crate::output::absolute(&opts.root);
    for d in diags.iter_mut() {
        if opts.strict {
            d.severity = crate::error::Severity::Error;
        }
        d.relative_to(&root);
    }
    if diags.iter().any(Diagnostic::is_error) {
        diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        return Err(BuildFailure {
            diagnostics: std::mem::take(diags),
        });
    }
    Ok(())
}

pub(crate) fn load_config(opts: &BuildOptions) -> Result<Config, BuildFailure> {
    let mut config = Config::load(&opts.root)?;
    if let Some(url) = &opts.base_url {
        config.base_url = crate::config::normalise_base_url(url);
    }
    if let Some(theme) = &opts.theme {
        config.theme = theme.clone();
    }
    Ok(config)
}

/// The stages before rendering have run: a linked, valid site and its theme.
struct Prepared {
    site: Site,
    theme: Theme,
    diags: Vec<Diagnostic>,
    timer: Timer,
}

/// Load, parse and link; then the theme. Fails on any error. With
/// `report_drafts`, drafts left out of the site are still checked.
fn prepare(opts: &BuildOptions, report_drafts: bool) -> Result<Prepared, BuildFailure> {
    let mut t = Timer::new(opts.progress);
    let mut diags = Vec::new();
    let config = load_config(opts)?;
    let theme_path = theme_dir(&opts.root, &config.theme);
    let mut loaded = content::load(&opts.root, &theme_path);
    let (dialect, dialect_diags) = content::load_dialect(&opts.root, &config, &theme_path);
    loaded.dialect = dialect;
    diags.extend(loaded.diagnostics.iter().cloned());
    diags.extend(dialect_diags);
    t.lap("load");

    let mut site = parse::parse(
        config,
        loaded,
        ParseOptions {
            drafts: opts.drafts,
            tree_only: true,
            ..ParseOptions::default()
        },
        &mut diags,
    );
    t.lap("parse");
    parse::markdown(&mut site, &mut diags, None, parse::Held::Plain);
    if report_drafts {
        // Type errors in a draft's fields were already reported by parse.
        for d in draft_problems(&site, &opts.root) {
            if !diags.contains(&d) {
                diags.push(d);
            }
        }
    }
    t.lap("markdown");
    links::link(&mut site, &mut diags);
    t.lap("link");
    diags.extend(statement_warnings(&opts.root, &site.config));
    gate(&mut diags, opts)?;

    let theme = load_theme(
        &opts.root,
        &site.config.theme,
        &site.config.language,
        &site.config.base_path(),
        &site.assets,
    )
    .map_err(|d| BuildFailure { diagnostics: d })?;
    Ok(Prepared {
        site,
        theme,
        diags,
        timer: t,
    })
}

/// The accessibility statement's checks against the build's reference date.
fn statement_warnings(root: &Path, config: &Config) -> Vec<Diagnostic> {
    let Some(s) = &config.toegankelijkheid else {
        return Vec::new();
    };
    let text = std::fs::read_to_string(root.join(crate::config::CONFIG_FILE)).unwrap_or_default();
    crate::governance::check_statement(s, &text, crate::clock::today())
}

/// The search index, when enabled, built from the model (so it can run
/// before the pages are rendered).
fn index(
    opts: &BuildOptions,
    p: &mut Prepared,
) -> Result<Option<(Vec<OutputFile>, search::SearchStats)>, BuildFailure> {
    if !(opts.search && p.site.config.search.enabled) {
        return Ok(None);
    }
    let pages: Vec<usize> = (0..p.site.pages.len()).collect();
    let out = search::index_pages(&p.site, &pages)?;
    p.timer.lap("index");
    Ok(Some(out))
}

/// Runs every stage up to and including the search index, in memory.
pub fn build_in_memory(opts: &BuildOptions) -> Result<Built, BuildFailure> {
    in_memory(opts, false)
}

fn in_memory(opts: &BuildOptions, report_drafts: bool) -> Result<Built, BuildFailure> {
    let mut p = prepare(opts, report_drafts)?;
    let search_out = index(opts, &mut p)?;
    let Prepared {
        site,
        theme,
        mut diags,
        timer: mut t,
    } = p;
    let mut files = Renderer::once(&site, &theme, None).render_all(&mut diags);
    t.lap("render");
    gate(&mut diags, opts)?;
    let search_stats = search_out.map(|(index_files, stats)| {
        files.extend(index_files);
        stats
    });
    let report = BuildReport {
        review: crate::governance::overdue(&site, crate::clock::today()),
        b1: Vec::new(),
        pages: site.pages.len(),
        sections: site.sections.len(),
        files: files.len() + site.assets.len(),
        bytes: 0,
        changed: 0,
        phases: t.phases,
        warnings: diags,
        search: search_stats,
        total: t.start.elapsed(),
    };
    Ok(Built {
        site,
        files,
        report,
    })
}

/// A full build written to the output folder (swapped in atomically). Each
/// file is written as soon as it is rendered, so writing overlaps rendering
/// and the site is never held in memory whole. The search index comes last,
/// from records written beforehand, so the site's memory is given back
/// before Pagefind, the biggest consumer, takes its own.
pub(crate) fn build(opts: &BuildOptions) -> Result<BuildReport, BuildFailure> {
    let out = opts.output_dir();
    output::check_output_dir(&opts.root, &out)?;
    let Prepared {
        mut site,
        theme,
        mut diags,
        timer: mut t,
    } = prepare(opts, false)?;
    // Bodies are rendered and links checked: the sources, front matter and
    // link tables are not read again.
    site.drop_build_inputs();
    let staging = output::Staging::begin(&out)?;
    let records = if opts.search && site.config.search.enabled {
        Some(search::RecordWriter::new(&site)?)
    } else {
        None
    };
    // Each body is freed once its page is written (and indexed).
    let bodies = site.take_page_bodies();
    let renderer = Renderer::once(&site, &theme, Some(&bodies));
    // Each content page's search record is written beside it.
    diags.extend(renderer.render_each(|f| {
        if let Some(Target::Page(id)) = f.source {
            let html = bodies.take(id);
            if let Some(records) = &records {
                let fragment = records.add(&site, id, html)?;
                staging.put(&fragment.path, &fragment.bytes)?;
            }
        }
        t.progress.file();
        staging.put(&f.path, &f.bytes)
    }));
    t.lap("render");
    drop_in_background(renderer.into_parts());
    drop_in_background(bodies);
    gate(&mut diags, opts)?;
    let review = crate::governance::overdue(&site, crate::clock::today());
    let (pages, sections) = (site.pages.len(), site.sections.len());
    let assets = std::mem::take(&mut site.assets);
    let records = records.map(search::RecordWriter::finish);
    drop_in_background((site, theme));
    let search = match records {
        Some(records) => {
            let (files, stats) = records.index()?;
            t.lap("index");
            files
                .par_iter()
                .try_for_each(|f| staging.put(&f.path, &f.bytes))?;
            Some(stats)
        }
        None => None,
    };
    assets.par_iter().try_for_each(|a| staging.copy(a))?;
    let stats = staging.commit()?;
    t.lap("write");
    Ok(BuildReport {
        pages,
        sections,
        files: stats.files,
        bytes: stats.bytes,
        changed: stats.changed,
        phases: t.phases,
        warnings: diags,
        search,
        total: t.start.elapsed(),
        review,
        b1: Vec::new(),
    })
}

/// Frees `x` on another thread. A short-lived command exits without
/// waiting for it, which is the point: the memory goes back either way.
fn drop_in_background<T: Send + 'static>(x: T) {
    std::thread::spawn(move || drop(x));
}

/// Everything `build` validates, and the front matter of drafts that a
/// build without `--drafts` leaves out: an editor sees which fields of a
/// page made by `kennisbank new` are still empty. Writes nothing.
pub(crate) fn check(opts: &BuildOptions) -> Result<BuildReport, BuildFailure> {
    let mut o = opts.clone();
    o.search = false;
    in_memory(&o, !o.drafts).map(|b| {
        let mut report = b.report;
        report.b1 = crate::b1::analyse_site(&b.site);
        report
    })
}

/// The front-matter problems of each draft left out of `site` (read again
/// from disk: drafts are few), checked as the page it will become.
fn draft_problems(site: &Site, root: &Path) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for rel in &site.drafts {
        let display = Path::new("content").join(rel);
        let text = match std::fs::read_to_string(root.join(&display)) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::error(
                    Code::ContentUnreadable,
                    &display,
                    format!("kan niet lezen: {e}"),
                ));
                continue;
            }
        };
        let file = crate::model::SourceFile {
            rel: rel.clone(),
            display,
            text: text.into(),
        };
        match parse::reparse_page(
            site,
            file,
            ParseOptions {
                drafts: true,
                ..ParseOptions::default()
            },
        ) {
            Ok((_, d)) | Err(d) => diags.extend(d),
        }
    }
    diags
}
