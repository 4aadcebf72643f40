//! Index stage: the search index, written with the site in Pagefind 1.6's
//! format, so search works from any static host with no separate tool,
//! Node or service.
//!
//! Every content page (not sections, term lists, the 404 or redirects)
//! becomes a [`Record`] built from the model: title, description, section
//! and date as result metadata, the front-matter values named in
//! `search.filters` as filters, field values and taxonomy terms as a
//! searchable metadata field, and the rendered Markdown as text.
//!
//! The index is written by our own streaming writer ([`writer`]): a build
//! indexes each page right after rendering it and writes the page's
//! fragment at once; the postings are merged into word chunks at the end.
//! The keys are ours ([`dutch`]: conservative Dutch stemming and
//! decompounding for `nl`), and the entry names no language WebAssembly,
//! so the browser runs Pagefind's non-stemming engine on them. Only
//! Pagefind's browser runtime comes from the `pagefind` crate
//! ([`runtime`]).

pub mod bundle;
pub mod dutch;
mod format;
mod incremental;
mod record;
mod runtime;
mod text;
mod writer;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

pub use bundle::{bundle_size, query_cost, query_cost_header, BundleSize, QueryCost};
pub(crate) use record::Record;
pub use writer::{word_keys, WordKeys, FACTS, META_FIELDS};

use crate::error::{Code, Diagnostic, Severity};
use crate::model::{PageId, Site, Target};
use crate::render::OutputFile;

/// Folder of the index and its browser bundle in the output.
pub(crate) const BUNDLE_DIR: &str = "pagefind";

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
pub(crate) fn index_pages(
    site: &Site,
    ids: &[PageId],
) -> Result<(Vec<OutputFile>, SearchStats), Diagnostic> {
    index_records(&site.config.language, &records(site, ids))
}

/// The records of the pages `ids`. Cheap (the bodies are shared with the
/// model), so `serve` takes them on its own thread and leaves the rest of
/// the index to a background thread, without a copy of the site.
pub fn records(site: &Site, ids: &[PageId]) -> Vec<Record> {
    ids.par_iter()
        .map(|&id| Record::of_page(site, id))
        .collect()
}

/// Builds the search index of `records`, in the site language `language`:
/// every file of `pagefind/`, sorted by path.
pub fn index_records(
    language: &str,
    records: &[Record],
) -> Result<(Vec<OutputFile>, SearchStats), Diagnostic> {
    let writer = RecordWriter::for_pages(language, records.iter().map(|r| r.url.as_str()));
    let fragments: Vec<OutputFile> = records
        .par_iter()
        .map(|r| writer.write(r))
        .collect::<Result<_, _>>()?;
    let (mut files, mut stats) = writer.finish().index()?;
    files.extend(fragments);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    stats.files = files.len();
    stats.bytes = files.iter().map(|f| f.bytes.len() as u64).sum();
    Ok((files, stats))
}

/// Indexes pages one at a time, from any thread: a build indexes each page
/// right after rendering it and writes the fragment it returns.
pub(crate) struct RecordWriter {
    index: writer::IndexWriter,
    fragments: AtomicUsize,
    fragment_bytes: AtomicU64,
}

impl RecordWriter {
    pub(crate) fn new(site: &Site) -> Result<RecordWriter, Diagnostic> {
        Ok(RecordWriter::for_pages(
            &site.config.language,
            site.pages.iter().map(|p| p.path.as_str()),
        ))
    }

    /// A writer for the pages at `paths` (URL paths, with or without the
    /// leading `/`).
    fn for_pages<'a>(language: &str, paths: impl Iterator<Item = &'a str>) -> RecordWriter {
        runtime::warm();
        RecordWriter {
            index: writer::IndexWriter::new(language, paths),
            fragments: AtomicUsize::new(0),
            fragment_bytes: AtomicU64::new(0),
        }
    }

    /// Indexes page `id`, whose body HTML the build took out of the model
    /// (see [`crate::model::PageBodies`]); returns its fragment
    /// (`pagefind/fragment/…`).
    pub(crate) fn add(
        &self,
        site: &Site,
        id: PageId,
        html: String,
    ) -> Result<OutputFile, Diagnostic> {
        let mut r = Record::of_page(site, id);
        r.body = std::sync::Arc::new(crate::model::Rendered {
            html: html.into(),
            search_skip: r.body.search_skip.clone(),
            ..Default::default()
        });
        self.write(&r)
    }

    fn write(&self, r: &Record) -> Result<OutputFile, Diagnostic> {
        let f = self.index.add(r)?;
        self.fragments.fetch_add(1, Ordering::Relaxed);
        self.fragment_bytes
            .fetch_add(f.bytes.len() as u64, Ordering::Relaxed);
        Ok(f)
    }

    pub(crate) fn finish(self) -> Records {
        Records { writer: self }
    }
}

/// The pages added, waiting for their word index. They need nothing of the
/// site any more, so a build frees it first.
pub(crate) struct Records {
    writer: RecordWriter,
}

impl Records {
    /// The word index, filters, metadata, entry and browser runtime (the
    /// fragments were returned by [`RecordWriter::add`]).
    pub(crate) fn index(self) -> Result<(Vec<OutputFile>, SearchStats), Diagnostic> {
        let start = Instant::now();
        let RecordWriter {
            index,
            fragments,
            fragment_bytes,
        } = self.writer;
        let done = index.finish()?;
        let bytes = done.files.iter().map(|f| f.bytes.len() as u64).sum::<u64>()
            + fragment_bytes.into_inner();
        let stats = SearchStats {
            pages: done.pages,
            words: done.words,
            duration: done.adding + start.elapsed(),
            files: done.files.len() + fragments.into_inner(),
            bytes,
        };
        Ok((done.files, stats))
    }
}

/// The index `serve` keeps: each refresh re-analyses only the pages whose
/// record changed and re-encodes only the chunks holding the words they
/// touch ([`incremental`]), so unchanged chunks keep their bytes and names.
#[derive(Default)]
pub struct LiveIndex {
    inner: incremental::Incremental,
}

/// What one [`LiveIndex::update`] did beyond [`SearchStats`].
#[derive(Debug, Default, Clone, Copy)]
pub struct LiveStats {
    /// Pages analysed again (all on the first update).
    pub analysed: usize,
    /// Word chunks encoded again.
    pub chunks_written: usize,
    /// Words whose changed pages were patched into their kept encoding
    /// instead of the word being made again from all its pages.
    pub words_patched: usize,
}

impl LiveIndex {
    /// A live index cutting word chunks at about `locations` locations
    /// instead of the build's size: tests use tiny chunks, so a word that
    /// an update misses shows in its own chunk.
    #[doc(hidden)]
    pub fn with_chunk_size(locations: usize) -> LiveIndex {
        LiveIndex {
            inner: incremental::Incremental::with_chunk_size(locations.max(1)),
        }
    }

    /// Every file of `pagefind/` for `records`, sorted by path.
    pub fn update(
        &mut self,
        language: &str,
        records: &[Record],
    ) -> Result<(Vec<OutputFile>, SearchStats), Diagnostic> {
        self.update_counted(language, records)
            .map(|(files, stats, _)| (files, stats))
    }

    /// [`Self::update`], also saying how much was redone.
    pub fn update_counted(
        &mut self,
        language: &str,
        records: &[Record],
    ) -> Result<(Vec<OutputFile>, SearchStats, LiveStats), Diagnostic> {
        let done = self.inner.update(language, records)?;
        let stats = SearchStats {
            pages: done.pages,
            words: done.words,
            duration: done.duration,
            files: done.files.len(),
            bytes: done.files.iter().map(|f| f.bytes.len() as u64).sum(),
        };
        let live = LiveStats {
            analysed: done.analysed,
            chunks_written: done.chunks_written,
            words_patched: done.words_patched,
        };
        Ok((done.files, stats, live))
    }
}

fn failure(message: String) -> Diagnostic {
    Diagnostic::new(Severity::Error, Code::SearchIndex, message)
        .hint("zet 'search: enabled: false' om zonder zoekfunctie te bouwen")
}
