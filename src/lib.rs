//! Kennisbank: a static knowledge-base site generator.
//!
//! The pipeline, one module per stage: [`content`] loads files,
//! [`parse`] reads front matter and Markdown ([`frontmatter`], [`markdown`],
//! with [`shortcodes`] expanded first),
//! [`links`] resolves and checks links and relations, [`render`] applies the
//! Tera templates, [`search`] builds the Pagefind index and [`output`] writes
//! the result. [`site`] runs them in order; [`model`] holds the data.

pub mod a11y;
pub mod b1;
pub mod cleanup;
pub mod cli;
pub mod clock;
pub mod config;
pub mod content;
pub mod error;
pub mod frontmatter;
pub mod git;
pub mod governance;
pub mod import_mkdocs;
pub mod init;
pub mod links;
pub mod markdown;
pub mod model;
pub mod nav;
pub mod new;
pub mod output;
pub mod parse;
pub mod progress;
pub mod reads;
pub mod render;
pub mod safety;
pub mod search;
pub mod serve;
pub mod shortcodes;
pub mod site;
pub mod theme;
