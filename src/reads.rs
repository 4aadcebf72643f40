//! What one render read, recorded by the renderer while it builds the
//! context (see `render::Renderer::render_recorded`). `kennisbank serve`
//! keeps these records and re-renders an output only when something it
//! read changed (`serve::deps`). Ids are the current site's; a full build
//! records nothing.

use crate::model::{PageId, SectionId, Target};

/// The inputs of one render besides the globals, which every render gets.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Reads {
    /// Page summaries put into the context (lists, neighbours, its own).
    pub summaries: Vec<PageId>,
    /// Section summaries (its section, ancestors, subsections, the
    /// sections grouping its back-relations).
    pub sections: Vec<SectionId>,
    /// Documents rendered as a whole: text, body, front matter and the
    /// lists the model keeps for them (relations, backlinks, neighbours).
    pub docs: Vec<Target>,
    /// Section trees (`partials/nav.html`) shown, by the section they are for.
    pub navs: Vec<SectionId>,
    /// Term pages' lists: (taxonomy, term).
    pub terms: Vec<(usize, usize)>,
    /// Taxonomies whose whole term list is shown.
    pub taxonomies: Vec<usize>,
    /// Templates rendered (what they include or extend is not listed: the
    /// theme knows that).
    pub templates: Vec<String>,
    /// Every document's URL, dates, title and aliases (sitemap, feed,
    /// redirects).
    pub listing: bool,
}

impl Reads {}
