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
//! Speed: Pagefind's library API parses one page at a time behind a lock,
//! and copies every parsed page once more when it builds the index. We use a
//! patched copy (`vendor/pagefind`, see its `KENNISBANK.md`) that adds
//! `add_html_files` (parses in parallel, like the Pagefind CLI) and a
//! consuming `finish` (moves the pages into the index and compresses the
//! output files in parallel). Both run on the calling thread, so the work
//! stays in the caller's rayon pool (the dev server gives it a pool of its
//! own).

pub mod bundle;
mod record;

use std::time::{Duration, Instant};

use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;
use rayon::prelude::*;

pub use bundle::{bundle_size, query_cost, BundleSize, QueryCost};
pub use record::Record;

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

/// Builds the search index files for the rendered site.
pub fn index(
    site: &Site,
    files: &[OutputFile],
) -> Result<(Vec<OutputFile>, SearchStats), Diagnostic> {
    let start = Instant::now();
    let lang = site.config.language.clone();
    let ids = indexed_pages(files);
    let records: Vec<(String, String)> = ids
        .par_iter()
        .map(|&id| {
            let r = Record::of_page(site, id);
            let html = r.to_html(&lang);
            (r.url, html)
        })
        .collect();

    // Pagefind's API is async; a runtime on this thread runs it (the heavy
    // parts are rayon work inside, see the module comment).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| failure(format!("kan de zoekindex niet starten: {e}")))?;
    let config = PagefindServiceConfig::builder()
        .force_language(lang)
        .build();
    let mut pagefind =
        PagefindIndex::new(Some(config)).map_err(|e| failure(format!("Pagefind: {e}")))?;
    let (responses, out) = runtime
        .block_on(async {
            let responses = pagefind.add_html_files(records).await?;
            let out = pagefind.finish().await?;
            anyhow::Ok((responses, out))
        })
        .map_err(|e| failure(format!("Pagefind: {e}")))?;

    let mut words = 0;
    let mut failed = Vec::new();
    for (response, &id) in responses.iter().zip(&ids) {
        match response {
            Ok(r) => words += r.page_word_count as usize,
            Err(e) => failed.push(Diagnostic::error(
                &site.pages[id].file.display,
                format!("niet geïndexeerd: {e}"),
            )),
        }
    }
    if let Some(first) = failed.first() {
        let mut d = first.clone();
        if failed.len() > 1 {
            d.message
                .push_str(&format!(" (en {} andere pagina's)", failed.len() - 1));
        }
        return Err(d);
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
        pages: ids.len(),
        words,
        duration: start.elapsed(),
        files: files.len(),
        bytes,
    };
    Ok((files, stats))
}

fn failure(message: String) -> Diagnostic {
    Diagnostic::error(crate::config::CONFIG_FILE, message)
        .hint("zet 'search: enabled: false' om zonder zoekfunctie te bouwen")
}
