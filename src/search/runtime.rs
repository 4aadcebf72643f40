//! Pagefind's browser runtime (`pagefind.js`, its worker, the highlighter,
//! the UI bundles and `wasm.unknown.pagefind`, the search engine that does
//! not stem), taken from the `pagefind` crate, which builds and minifies
//! them: we cannot build WebAssembly here. Made once per process by indexing
//! one tiny page with the crate and keeping only the files that do not
//! depend on the content; the index itself is ours ([`super::writer`]).

use std::sync::OnceLock;

use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;

use crate::error::Diagnostic;

/// The Pagefind version the runtime expects in the index.
pub(crate) const VERSION: &str = "1.6.0";

type Files = Vec<(String, Vec<u8>)>;

static FILES: OnceLock<Result<Files, String>> = OnceLock::new();

/// The runtime's files (name inside `pagefind/`, bytes).
pub(crate) fn files() -> Result<&'static Files, Diagnostic> {
    FILES
        .get_or_init(make)
        .as_ref()
        .map_err(|e| super::failure(format!("Pagefind: {e}")))
}

/// Starts making the files on another thread (a build does it while it
/// renders).
pub(crate) fn warm() {
    if FILES.get().is_none() {
        std::thread::spawn(|| {
            let _ = files();
        });
    }
}

fn make() -> Result<Files, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    let config = PagefindServiceConfig::builder()
        .force_language("unknown".to_string())
        .build();
    let mut index = PagefindIndex::new(Some(config)).map_err(|e| e.to_string())?;
    let out = runtime
        .block_on(async {
            index
                .add_html_file(
                    None,
                    Some("/x/".into()),
                    "<html><body><p>x</p></body></html>".into(),
                )
                .await?;
            index.get_files().await
        })
        .map_err(|e| e.to_string())?;
    let mut files: Files = out
        .into_iter()
        .filter_map(|f| {
            let name = f.filename.to_string_lossy().replace('\\', "/");
            let content_independent = !name.contains('/')
                && !name.ends_with(".pf_meta")
                && name != "pagefind-entry.json"
                && (!name.starts_with("wasm.") || name == "wasm.unknown.pagefind");
            content_independent.then_some((name, f.contents))
        })
        .collect();
    files.sort();
    if !files.iter().any(|(n, _)| n == "pagefind.js")
        || !files.iter().any(|(n, _)| n == "wasm.unknown.pagefind")
    {
        return Err("pagefind.js of wasm.unknown.pagefind ontbreekt".into());
    }
    Ok(files)
}
