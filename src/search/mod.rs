//! Index stage: the Pagefind search index, written with the site, so search
//! works from any static host with no separate tool, Node or service.
//!
//! Every content page (not sections, term lists, the 404 or redirects)
//! becomes a [`Record`] built from the model, indexed in the site language
//! (Dutch stemming and diacritic folding for `nl`), with its title,
//! description, section and date as result metadata and the front-matter
//! values named in `search.filters` as filters. The files Pagefind returns,
//! the index and its browser bundle (`pagefind.js`, the language's
//! WebAssembly, `pagefind-highlight.js`, ...), go to `<output>/pagefind/`.
//!
//! Speed: Pagefind's `add_html_file` and `add_custom_record` take `&mut
//! self`, parse one page at a time and look up every earlier page by URL,
//! while its `add_directory` parses a folder in parallel with rayon (the
//! CLI's path). So the records are written as small HTML files to a private
//! temporary folder ([`RecordWriter`]; a build writes each page's record
//! right after rendering the page) and indexed with `add_directory`
//! ([`Records::index`]), after the build has freed the site: Pagefind is
//! the biggest consumer of memory in a build. The crate is used as
//! published: no patched copy (its gzip runs on the `zlib-rs` backend
//! chosen in Cargo.toml).

pub mod bundle;
pub mod dutch;
mod record;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;
use rayon::prelude::*;

pub use bundle::{bundle_size, query_cost, BundleSize, QueryCost};
pub use record::Record;

use crate::cleanup::RemoveOnExit;
use crate::error::Diagnostic;
use crate::model::{PageId, Site, Target};
use crate::render::OutputFile;

/// Folder of the index and its browser bundle in the output.
pub const BUNDLE_DIR: &str = "pagefind";

/// What the index stage did, for the build summary and the benchmark.
#[derive(Debug, Default, Clone, Copy)]
pub struct SearchStats {
    /// Pages indexed.
    pub pages: usize,
    /// Words on the indexed pages (title, description, fields and body).
    pub words: usize,
    pub duration: Duration,
    /// Files written to `pagefind/`, and their total size.
    pub files: usize,
    pub bytes: u64,
}

/// The content pages among the rendered files, in output order.
pub fn indexed_pages(files: &[OutputFile]) -> Vec<PageId> {
    files
        .iter()
        .filter_map(|f| match f.source {
            Some(Target::Page(id)) => Some(id),
            _ => None,
        })
        .collect()
}

/// Builds the search index of the pages `ids`, from the model alone (so a
/// build can index before rendering and never hold both in memory).
pub fn index_pages(
    site: &Site,
    ids: &[PageId],
) -> Result<(Vec<OutputFile>, SearchStats), Diagnostic> {
    index_records(&site.config.language, &records(site, ids))
}

/// The records of a site, written and waiting to be indexed. They need
/// nothing of the site any more, so a build can free it first: Pagefind is
/// the biggest consumer of memory in a build.
pub struct Records {
    scratch: tempfile::TempDir,
    /// Held for its `Drop`: removes `scratch` even if this process is killed.
    _guard: RemoveOnExit,
    language: String,
    pages: usize,
    words: usize,
    /// Thread time spent making the records.
    took: Duration,
}

/// The records of the pages `ids`. Cheap (the bodies are shared with the
/// model), so `serve` takes them on its own thread and leaves the rest of
/// the index to a background thread, without a copy of the site.
pub fn records(site: &Site, ids: &[PageId]) -> Vec<Record> {
    ids.par_iter()
        .map(|&id| Record::of_page(site, id))
        .collect()
}

/// Builds the search index of `records`, in the site language `language`.
pub fn index_records(
    language: &str,
    records: &[Record],
) -> Result<(Vec<OutputFile>, SearchStats), Diagnostic> {
    let writer = RecordWriter::for_pages(language, records.iter().map(|r| r.url.as_str()))?;
    records
        .par_iter()
        .try_for_each(|r| writer.write(r, Instant::now()))?;
    writer.finish().index()
}

/// Writes records one page at a time, from any thread: a build writes each
/// page's record right after rendering the page.
pub struct RecordWriter {
    scratch: tempfile::TempDir,
    /// Removes `scratch` even if this process is killed.
    guard: RemoveOnExit,
    language: String,
    pages: AtomicUsize,
    words: AtomicUsize,
    /// Thread time spent on records, in microseconds.
    micros: AtomicU64,
}

impl RecordWriter {
    pub fn new(site: &Site) -> Result<RecordWriter, Diagnostic> {
        RecordWriter::for_pages(
            &site.config.language,
            site.pages.iter().map(|p| p.path.as_str()),
        )
    }

    /// A writer for the pages at `paths` (URL paths, with or without the
    /// leading `/`).
    fn for_pages<'a>(
        language: &str,
        paths: impl Iterator<Item = &'a str>,
    ) -> Result<RecordWriter, Diagnostic> {
        // Records as files under a private folder: `pilots/a/index.html`
        // gives the URL `/pilots/a/`, as the page has on the site. In memory
        // (tmpfs) where there is one: creating and deleting ten thousand
        // small files on a disk costs more than indexing them.
        // The guard is started before its folder exists, so no moment
        // passes in which a kill would leave the records behind.
        static SERIAL: AtomicUsize = AtomicUsize::new(0);
        let shm = std::path::Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let outer = base.join(format!(
            "kennisbank-zoekindex-{}-{}",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        ));
        let guard = RemoveOnExit::guard(&outer);
        let scratch = std::fs::create_dir_all(&outer)
            .and_then(|()| tempfile::Builder::new().prefix("r-").tempdir_in(&outer))
            .map_err(|e| failure(format!("kan geen tijdelijke map maken: {e}")))?;
        // Pagefind numbers the pages in the order it finds their files, which
        // is the order their folders were made (tmpfs) or a name hash
        // (disk). Making every folder now, one by one in URL order, rather
        // than as rendering threads finish, gives the same index every build.
        let mut paths: Vec<&str> = paths.map(|p| p.trim_start_matches('/')).collect();
        paths.sort_unstable();
        for path in paths {
            std::fs::create_dir_all(scratch.path().join(path))
                .map_err(|e| failure(format!("kan de zoekrecords niet schrijven: {e}")))?;
        }
        Ok(RecordWriter {
            scratch,
            guard,
            language: language.to_string(),
            pages: AtomicUsize::new(0),
            words: AtomicUsize::new(0),
            micros: AtomicU64::new(0),
        })
    }

    /// Writes the record of page `id`; none are held in memory.
    pub fn add(&self, site: &Site, id: PageId) -> Result<(), Diagnostic> {
        let start = Instant::now();
        self.write(&Record::of_page(site, id), start)
    }

    /// Writes one record; `start` is when making it began (for the timing).
    fn write(&self, r: &Record, start: Instant) -> Result<(), Diagnostic> {
        // The folder was made up front (see `for_pages`).
        let file = self
            .scratch
            .path()
            .join(r.url.trim_start_matches('/'))
            .join("index.html");
        std::fs::write(file, r.to_html(&self.language))
            .map_err(|e| failure(format!("kan de zoekrecords niet schrijven: {e}")))?;
        self.pages.fetch_add(1, Ordering::Relaxed);
        self.words.fetch_add(r.word_count(), Ordering::Relaxed);
        self.micros
            .fetch_add(start.elapsed().as_micros() as u64, Ordering::Relaxed);
        Ok(())
    }

    pub fn finish(self) -> Records {
        Records {
            scratch: self.scratch,
            _guard: self.guard,
            language: self.language,
            pages: self.pages.into_inner(),
            words: self.words.into_inner(),
            took: Duration::from_micros(self.micros.into_inner()),
        }
    }
}

impl Records {
    /// Indexes the records with Pagefind: the index and its browser bundle.
    pub fn index(self) -> Result<(Vec<OutputFile>, SearchStats), Diagnostic> {
        let start = Instant::now();
        // Pagefind's API is async; a runtime on this thread drives it. The
        // parsing inside `add_directory` is rayon work in the global pool.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| failure(format!("kan de zoekindex niet starten: {e}")))?;
        let config = PagefindServiceConfig::builder()
            .force_language(self.language.clone())
            .build();
        let mut pagefind =
            PagefindIndex::new(Some(config)).map_err(|e| failure(format!("Pagefind: {e}")))?;
        let folder = self.scratch.path().to_string_lossy().into_owned();
        let (indexed, out) = runtime
            .block_on(async {
                let indexed = pagefind
                    .add_directory(folder, Some("**/*.html".into()))
                    .await?;
                // Builds the index, then hands every file back.
                let out = pagefind.get_files().await?;
                anyhow::Ok((indexed, out))
            })
            .map_err(|e| failure(format!("Pagefind: {e}")))?;
        if indexed != self.pages {
            return Err(failure(format!(
                "Pagefind indexeerde {indexed} van de {} pagina's",
                self.pages
            )));
        }

        let mut bytes = 0;
        let files: Vec<OutputFile> = out
            .into_iter()
            .map(|f| {
                bytes += f.contents.len() as u64;
                let name = f.filename.to_string_lossy().replace('\\', "/");
                OutputFile {
                    path: format!("{BUNDLE_DIR}/{name}"),
                    bytes: f.contents,
                    source: None,
                }
            })
            .collect();
        let stats = SearchStats {
            pages: self.pages,
            words: self.words,
            duration: self.took + start.elapsed(),
            files: files.len(),
            bytes,
        };
        Ok((files, stats))
    }
}

fn failure(message: String) -> Diagnostic {
    Diagnostic::error(crate::config::CONFIG_FILE, message)
        .hint("zet 'search: enabled: false' om zonder zoekfunctie te bouwen")
}
