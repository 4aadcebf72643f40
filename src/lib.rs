//! Kennisbank: a static knowledge-base site generator.
//!
//! The pipeline, one module per stage: `content` loads files,
//! `parse` reads front matter into the tree of sections and pages,
//! `parse::markdown` renders the bodies (`markdown`, with `shortcodes`
//! expanded first), `links` resolves and checks links and relations,
//! `render` applies the Tera templates, `search` writes the index and
//! `output` writes the result. [`site`] runs them in order; [`model`]
//! holds the data.
//!
//! The crate is documented for its maintainers, private items and all
//! (`cargo doc --document-private-items`; `scripts/test` checks it), so
//! public module docs may link to private items.
#![allow(rustdoc::private_intra_doc_links)]

pub(crate) mod a11y;
pub(crate) mod b1;
pub mod cli;
pub(crate) mod clock;
pub(crate) mod config;
pub(crate) mod content;
pub(crate) mod deflate;
pub mod error;
pub mod frontmatter;
pub(crate) mod git;
pub(crate) mod governance;
pub(crate) mod import_mkdocs;
pub(crate) mod init;
pub(crate) mod links;
pub mod markdown;
pub mod model;
pub mod nav;
pub(crate) mod new;
pub(crate) mod output;
pub mod parse;
pub(crate) mod progress;
pub mod reads;
pub mod render;
pub mod safety;
pub mod search;
pub mod serve;
pub(crate) mod shortcodes;
pub mod site;
pub(crate) mod theme;
pub mod yaml;

/// mimalloc asks the kernel for transparent huge pages (`MADV_HUGEPAGE`),
/// so the first touch of each fresh 2 MiB page zeroes all of it: 40% of a
/// small site's build was `clear_page` in the kernel (docs/performance.md).
/// Turned off for this process only (the binaries call it first thing); failure (an old kernel) changes nothing.
pub fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with an integer option and integer arguments; no memory is passed.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
