//! The data model: plain structs, no I/O. Every stage of the pipeline reads or
//! fills these; dependencies between pages (links, relations, sections,
//! taxonomies) are data here so an incremental rebuild can follow them.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::yaml::{Mapping, Value};
use chrono::NaiveDate;

use crate::config::Config;
use crate::frontmatter::{RawFront, Schema};

pub(crate) type PageId = usize;
pub(crate) type SectionId = usize;

/// A Markdown file as read from disk.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to `content/`, with `/` separators (`pilots/a.md`).
    pub rel: String,
    /// Path for messages, relative to the site root (`content/pilots/a.md`).
    pub display: PathBuf,
    /// Shared: `serve` keeps the text of unchanged files between rebuilds.
    pub text: Text,
}

/// A source file's text, shared between the models that hold it: plain as
/// read; deflated where `serve` keeps every file between rebuilds (6.8 KB
/// of Markdown a page in the benchmark corpus, 2.4 KB deflated).
///
/// Texts held the same way compare by their bytes (deflating is
/// deterministic); `serve`, which deflates every text, hashes them as held.
#[derive(Debug, Clone)]
pub enum Text {
    Plain(Arc<str>),
    Deflated { data: Arc<[u8]>, len: usize },
}

impl Default for Text {
    fn default() -> Text {
        Text::Plain(Arc::from(""))
    }
}

impl<T: Into<Arc<str>>> From<T> for Text {
    fn from(s: T) -> Text {
        Text::Plain(s.into())
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        match (self, other) {
            (Text::Plain(a), Text::Plain(b)) => a == b,
            (Text::Deflated { data: a, len: m }, Text::Deflated { data: b, len: n }) => {
                m == n && (Arc::ptr_eq(a, b) || a == b)
            }
            _ => self.len() == other.len() && self.as_str() == other.as_str(),
        }
    }
}

impl Eq for Text {}

impl Text {
    /// The text (inflated into a new string when deflated).
    pub fn as_str(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Text::Plain(s) => (**s).into(),
            Text::Deflated { data, len } => crate::deflate::inflate_str(data, *len).into(),
        }
    }

    /// Holds the text deflated, when that makes it smaller.
    pub fn deflate(&mut self) {
        if let Text::Plain(s) = self {
            if let Some(data) = crate::deflate::deflate(s.as_bytes()) {
                let len = s.len();
                *self = Text::Deflated {
                    data: data.into(),
                    len,
                };
            }
        }
    }

    /// The bytes as held (deflated or not): equal texts held the same way
    /// have equal bytes.
    pub fn held(&self) -> &[u8] {
        match self {
            Text::Plain(s) => s.as_bytes(),
            Text::Deflated { data, .. } => data,
        }
    }

    /// The same allocation (so certainly the same text).
    pub fn ptr_eq(&self, other: &Text) -> bool {
        match (self, other) {
            (Text::Plain(a), Text::Plain(b)) => Arc::ptr_eq(a, b),
            (Text::Deflated { data: a, .. }, Text::Deflated { data: b, .. }) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Length of the plain text.
    pub fn len(&self) -> usize {
        match self {
            Text::Plain(s) => s.len(),
            Text::Deflated { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A non-Markdown file: a page-bundle asset or a static file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    pub source: PathBuf,
    /// Output path relative to the output root.
    pub dest: String,
    /// The bytes of a file built into the binary (the default theme's
    /// static files); `source` then only names it in messages.
    pub embedded: Option<&'static [u8]>,
}

impl Asset {
    pub(crate) fn file(source: PathBuf, dest: String) -> Asset {
        Asset {
            source,
            dest,
            embedded: None,
        }
    }

    /// The file's bytes.
    pub fn read(&self) -> std::io::Result<std::borrow::Cow<'static, [u8]>> {
        match self.embedded {
            Some(b) => Ok(std::borrow::Cow::Borrowed(b)),
            None => std::fs::read(&self.source).map(std::borrow::Cow::Owned),
        }
    }
}

/// Front-matter fields shared by pages and sections.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub title: String,
    pub description: Option<String>,
    pub date: Option<NaiveDate>,
    pub updated: Option<NaiveDate>,
    pub draft: bool,
    pub weight: Option<i64>,
    pub slug: Option<String>,
    pub aliases: Vec<String>,
    pub template: Option<String>,
    pub bron: Option<String>,
    pub soort: Option<String>,
    /// Who looks after the page (name, team or e-mail), shown to readers.
    pub eigenaar: Option<String>,
    /// Date by which the page must be reviewed.
    pub herzien_op: Option<NaiveDate>,
    pub extra: Mapping,
    /// The whole front matter, for schema checks and custom fields.
    pub raw: RawFront,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortBy {
    #[default]
    Weight,
    Date,
    Title,
}

#[derive(Debug, Clone, Default)]
pub struct SectionMeta {
    pub sort_by: SortBy,
    pub page_template: Option<String>,
    /// Fields this section requires of its pages (own schema only).
    pub schema: Schema,
    /// `open_fields:` as written (`None`: inherited from the parent).
    pub open_fields: Option<bool>,
}

/// What a link destination turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Leave the destination as written (external, relative asset, …).
    Keep,
    /// A document of this site: write `url`, remember the edge for checks.
    Internal {
        url: String,
        target: Target,
        anchor: Option<String>,
    },
    /// `#anchor` on the page itself.
    SelfAnchor(String),
    /// A site path (generated page, static file) that needs the base path.
    Rewrite(String),
    Broken(String),
}

/// The pages' body HTML taken out of a build's model (by page id): the
/// renderer moves a body into its page's context and back, and the build
/// frees it as soon as the page is written, so the bodies do not all stay
/// in memory to the end of rendering.
#[derive(Debug, Default)]
pub(crate) struct PageBodies {
    slots: Vec<std::sync::Mutex<String>>,
}

impl PageBodies {
    /// Page `id`'s body, leaving the slot empty.
    pub(crate) fn take(&self, id: PageId) -> String {
        self.slots
            .get(id)
            .and_then(|s| s.lock().ok())
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }

    /// Gives page `id`'s body back after its render.
    pub(crate) fn put(&self, id: PageId, html: String) {
        if let Some(mut s) = self.slots.get(id).and_then(|s| s.lock().ok()) {
            *s = html;
        }
    }
}

/// A rendered body's HTML: plain while a build works with it; deflated
/// where `serve` keeps every body between renders (about 8 KB a page at
/// 100,000 pages, under a third of that deflated).
///
/// Equal HTML held the same way hashes the same (deflating is
/// deterministic), so `serve` hashes bodies without inflating them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Html {
    Plain(String),
    Deflated { data: Box<[u8]>, len: usize },
}

impl Default for Html {
    fn default() -> Html {
        Html::Plain(String::new())
    }
}

impl From<String> for Html {
    fn from(s: String) -> Html {
        Html::Plain(s)
    }
}

impl std::fmt::Display for Html {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl Html {
    /// The HTML (inflated into a new string when deflated).
    pub fn as_str(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Html::Plain(s) => s.as_str().into(),
            Html::Deflated { data, len } => crate::deflate::inflate_str(data, *len).into(),
        }
    }

    /// The HTML as an owned string, without a copy when it is plain.
    pub fn into_string(self) -> String {
        match self {
            Html::Plain(s) => s,
            deflated => deflated.as_str().into_owned(),
        }
    }

    /// Holds the HTML deflated, when that makes it smaller.
    pub fn deflate(&mut self) {
        if let Html::Plain(s) = self {
            if let Some(data) = crate::deflate::deflate(s.as_bytes()) {
                let len = s.len();
                *self = Html::Deflated { data, len };
            }
        }
    }

    /// Length of the plain HTML.
    pub fn len(&self) -> usize {
        match self {
            Html::Plain(s) => s.len(),
            Html::Deflated { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Result of rendering one Markdown body.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub html: Html,
    pub summary: String,
    pub toc: Vec<TocEntry>,
    /// Every heading id, for anchor checks.
    pub anchors: Vec<String>,
    pub links: Vec<InternalLink>,
    pub word_count: usize,
    /// Every link and image destination with what it resolved to. `serve`
    /// reuses this render for an unchanged body while they all still
    /// resolve the same.
    pub lookups: Vec<(String, Resolution)>,
    /// Rendered without diagnostics (a body with problems is always
    /// rendered again, so its messages are never lost).
    pub clean: bool,
    /// Byte ranges of `html` kept out of the search index (sections under
    /// a `{ data-search-exclude }` heading).
    pub search_skip: Vec<(usize, usize)>,
    /// What the body's shortcodes read besides its own text.
    pub uses: Uses,
    /// The messages rendering it gave (what made it not `clean`), so
    /// `serve` knows a body's old messages without rendering it again.
    pub diags: Vec<crate::error::Diagnostic>,
}

impl Rendered {
    /// Frees what the link stage and `serve` read (see
    /// [`Site::drop_build_inputs`]); rendering and search use the rest.
    fn drop_link_tables(&mut self) {
        self.anchors = Vec::new();
        self.links = Vec::new();
        self.lookups = Vec::new();
        self.uses = Uses::default();
    }

    /// `html` without the parts kept out of the search index.
    pub fn search_html(&self) -> std::borrow::Cow<'_, str> {
        let html = self.html.as_str();
        if self.search_skip.is_empty() {
            return html;
        }
        let mut kept = String::with_capacity(html.len());
        let mut at = 0;
        for &(start, end) in &self.search_skip {
            kept.push_str(&html[at..start]);
            at = end;
        }
        kept.push_str(&html[at..]);
        kept.into()
    }
}

/// What a body's shortcodes read besides the body itself, recorded while
/// they ran: a re-parse reuses the body only while all of it reads the
/// same, and `serve` re-renders the body when any of it changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uses {
    /// Files included (relative to content/, nested ones too), each with a
    /// hash of the text it had.
    pub includes: Vec<(String, u64)>,
    /// `pages()` queries run, each with a hash of what its list showed
    /// (titles, URLs, fields of the pages in the result, in order).
    pub queries: Vec<(PagesQuery, u64)>,
    /// Shortcode templates used, each with a hash of its text.
    pub templates: Vec<(String, u64)>,
}

/// The selection of a `pages()` shortcode, kept so it can be run again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PagesQuery {
    /// Folder of the section under content/ (`""`: the whole site).
    pub section: String,
    /// Pages of subsections too.
    pub subsections: bool,
    /// Front-matter field → value it must have (or contain, for lists).
    pub filters: Vec<(String, String)>,
    /// `None`: the order of section lists.
    pub sort_by: Option<SortBy>,
    pub reverse: bool,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub title: String,
    pub children: Vec<TocEntry>,
}

/// A link in Markdown to another document of the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalLink {
    pub target: Target,
    pub anchor: Option<String>,
    /// 1-based line in the source file.
    pub line: usize,
    /// The file the link is written in when that is not the document
    /// itself (a file it includes).
    pub from: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Page(PageId),
    Section(SectionId),
}

#[derive(Debug, Clone)]
pub struct Page {
    pub file: SourceFile,
    pub meta: Meta,
    pub body_line: usize,
    pub section: SectionId,
    /// URL path relative to the base path, ending in `/` (`pilots/a/`).
    pub path: String,
    /// The page's slug (last URL segment).
    pub slug: String,
    /// Folder of a page bundle (`index.md` with assets beside it).
    pub bundle_dir: Option<PathBuf>,
    pub soort: Option<String>,
    /// Taxonomy name → terms, in front-matter order.
    pub taxonomies: BTreeMap<String, Vec<String>>,
    /// Relation name → target pages, resolved in the link stage.
    pub relations: BTreeMap<String, Vec<PageId>>,
    /// Custom schema fields (neither builtin, taxonomy nor relation).
    pub fields: BTreeMap<String, Value>,
    /// The title came from the body's first `# heading` (dropped from the HTML).
    pub title_from_body: bool,
    pub rendered: Arc<Rendered>,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub file: SourceFile,
    pub meta: Meta,
    pub section: SectionMeta,
    pub body_line: usize,
    /// Folder relative to content/ (`""` for the root, `pilots`).
    pub dir: String,
    pub path: String,
    pub parent: Option<SectionId>,
    pub subsections: Vec<SectionId>,
    /// Pages directly in this section, sorted.
    pub pages: Vec<PageId>,
    /// Schema merged down from the root: what pages here must have.
    pub schema: Schema,
    /// Undeclared page fields allowed (`open_fields`, inherited).
    pub open_fields: bool,
    pub soort: Option<String>,
    /// The title came from the body's first `# heading` (an `index.md`).
    pub title_from_body: bool,
    pub rendered: Arc<Rendered>,
}

/// A taxonomy with its terms; term pages list pages sorted like sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taxonomy {
    pub name: String,
    pub title: String,
    pub path: String,
    pub terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub name: String,
    pub slug: String,
    pub path: String,
    pub pages: Vec<PageId>,
}

/// Incoming edges, computed in the link stage.
#[derive(Debug, Clone, Default)]
pub struct Backrefs {
    /// Target page → relation name → source pages.
    pub relations: HashMap<PageId, BTreeMap<String, Vec<PageId>>>,
    /// Target page → pages whose Markdown links to it.
    pub links: HashMap<PageId, Vec<PageId>>,
}

/// The whole site after parsing and linking.
#[derive(Debug, Clone)]
pub struct Site {
    pub config: Config,
    pub pages: Vec<Page>,
    pub sections: Vec<Section>,
    pub taxonomies: Vec<Taxonomy>,
    pub backrefs: Backrefs,
    /// Bundle assets and static files to copy.
    pub assets: Vec<Asset>,
    /// `pilots/a.md` (relative to content/) → document.
    pub by_file: HashMap<String, Target>,
    /// URL path (`pilots/a/`) → document, for root-relative links.
    pub by_path: HashMap<String, Target>,
    /// Files (relative to content/) left out because they are drafts.
    pub drafts: Vec<String>,
    /// Callout titles and site-wide abbreviations for the Markdown stage.
    pub dialect: crate::markdown::Dialect,
    /// When each source file last changed (git, file time).
    pub changes: Arc<Changes>,
    /// Shortcode templates and the Markdown files that are only included
    /// (`_includes/` folders), for the Markdown stage.
    pub shortcodes: Arc<crate::shortcodes::Library>,
    /// The newest page or section date, found on first use: every renderer
    /// asks (serve makes several per save, and at 100,000 pages the scan
    /// was a tenth of a save's time). See [`Site::dates_changed`].
    pub(crate) newest: OnceLock<Option<chrono::NaiveDate>>,
}

/// Last-change dates of the source files, keyed by path relative to
/// content/: from git when the site is a checkout, and the file times.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub git: HashMap<String, NaiveDate>,
    pub files: HashMap<String, NaiveDate>,
}

impl Site {
    /// The date a build is "of": `SOURCE_DATE_EPOCH` when set (the
    /// reproducible-builds convention), else the newest date of any page or
    /// section. Never the wall clock, so the same sources give the same
    /// bytes on any day. `None` when nothing has a date.
    pub(crate) fn build_date(&self) -> Option<chrono::NaiveDate> {
        if let Some(date) = crate::clock::source_date() {
            return Some(date);
        }
        let newest = *self.newest.get_or_init(|| self.scan_newest());
        debug_assert_eq!(
            newest,
            self.scan_newest(),
            "a date changed in place without Site::dates_changed"
        );
        newest
    }

    /// To call after changing a page's or section's date in place.
    pub(crate) fn dates_changed(&mut self) {
        self.newest = OnceLock::new();
    }

    fn scan_newest(&self) -> Option<chrono::NaiveDate> {
        let pages = self.pages.iter().map(|p| &p.meta);
        let sections = self.sections.iter().map(|s| &s.meta);
        pages
            .chain(sections)
            .filter_map(|m| m.updated.or(m.date))
            .max()
    }

    /// Frees what only the stages before rendering read: the Markdown
    /// sources, each page's parsed front matter (the lines of its keys
    /// stay, for messages; a section's is shown by its template) and each
    /// body's link table, anchors and shortcode reads. A build reads only
    /// the rest once bodies are rendered and links checked. (`serve`
    /// keeps them all, to tell a body edit from a front-matter edit and to
    /// reuse bodies.)
    pub(crate) fn drop_build_inputs(&mut self) {
        let empty = Text::default();
        for p in &mut self.pages {
            p.file.text = empty.clone();
            p.meta.raw.map = Mapping::new();
            if let Some(r) = Arc::get_mut(&mut p.rendered) {
                r.drop_link_tables();
            }
        }
        for s in &mut self.sections {
            s.file.text = empty.clone();
            if let Some(r) = Arc::get_mut(&mut s.rendered) {
                r.drop_link_tables();
            }
        }
    }

    /// Moves every page's body HTML out of the model, for a build that
    /// frees each body once its page is written (see [`PageBodies`]). A
    /// body shared with another holder of its render stays in the model
    /// and is copied.
    pub(crate) fn take_page_bodies(&mut self) -> PageBodies {
        let slots = self
            .pages
            .iter_mut()
            .map(|p| {
                let html = match Arc::get_mut(&mut p.rendered) {
                    Some(r) => std::mem::take(&mut r.html).into_string(),
                    None => p.rendered.html.as_str().into_owned(),
                };
                std::sync::Mutex::new(html)
            })
            .collect();
        PageBodies { slots }
    }

    pub(crate) fn root_section(&self) -> SectionId {
        0
    }

    pub(crate) fn path_of(&self, t: Target) -> &str {
        match t {
            Target::Page(p) => &self.pages[p].path,
            Target::Section(s) => &self.sections[s].path,
        }
    }

    pub(crate) fn anchors_of(&self, t: Target) -> &[String] {
        match t {
            Target::Page(p) => &self.pages[p].rendered.anchors,
            Target::Section(s) => &self.sections[s].rendered.anchors,
        }
    }

    /// Ancestor sections from the root down to (and including) `s`.
    pub(crate) fn section_chain(&self, s: SectionId) -> Vec<SectionId> {
        let mut chain = vec![s];
        let mut cur = s;
        while let Some(p) = self.sections[cur].parent {
            chain.push(p);
            cur = p;
        }
        chain.reverse();
        chain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(h: &Html) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut s = std::collections::hash_map::DefaultHasher::new();
        h.hash(&mut s);
        s.finish()
    }

    #[test]
    fn a_deflated_body_reads_as_it_was_written_and_hashes_by_content() {
        let body: String = (0..80)
            .map(|i| {
                format!("<p>Pilot {i}: de school werkt met een mentor voor elke student.</p>\n")
            })
            .collect();
        let mut html = Html::from(body.clone());
        html.deflate();
        let Html::Deflated { data, len } = &html else {
            panic!("a {} byte body is kept plain", body.len());
        };
        assert!(data.len() * 3 < *len, "{} of {len}", data.len());
        assert_eq!(html.len(), body.len());
        assert_eq!(html.as_str(), body);
        assert_eq!(html.to_string(), body);
        let mut again = Html::from(body.clone());
        again.deflate();
        assert_eq!(hash(&again), hash(&html), "equal bodies, equal hashes");
        let mut other = Html::from(body.replace("Pilot 7:", "Pilot 8:"));
        other.deflate();
        assert_ne!(hash(&other), hash(&html));
        assert_eq!(html.into_string(), body);

        let mut short = Html::from("<p>Kort.</p>".to_string());
        short.deflate();
        assert_eq!(
            short,
            Html::Plain("<p>Kort.</p>".into()),
            "too short to gain"
        );
    }

    #[test]
    fn a_deflated_text_equals_its_plain_self_and_reads_the_same() {
        let md = "---\ntitle: Pilot\n---\n".to_string()
            + &"De mentor helpt de student bij de stage.\n".repeat(60);
        let plain = Text::from(md.as_str());
        let mut text = plain.clone();
        assert!(text.ptr_eq(&plain));
        text.deflate();
        assert!(matches!(text, Text::Deflated { .. }));
        assert!(text.held().len() * 3 < md.len());
        assert!(!text.ptr_eq(&plain));
        assert_eq!(text, plain, "deflated and plain compare by content");
        assert_eq!(text.as_str(), md);
        assert_eq!(text.len(), md.len());
        let mut again = Text::from(md.as_str());
        again.deflate();
        assert_eq!(again.held(), text.held(), "deterministic");
        let mut other = Text::from(md.replace("stage", "baan"));
        other.deflate();
        assert_ne!(other, text);
        assert_ne!(Text::from(md.replace("stage", "baan")), text);
    }

    #[test]
    fn search_html_leaves_out_the_excluded_ranges_of_a_deflated_body() {
        let kept = "<h2>Aanpak</h2><p>Wat werkt.</p>".repeat(40);
        let skipped = "<h2>Intern</h2><p>Niet zoeken.</p>";
        let mut r = Rendered {
            html: Html::from(format!("{kept}{skipped}{kept}")),
            search_skip: vec![(kept.len(), kept.len() + skipped.len())],
            ..Rendered::default()
        };
        r.html.deflate();
        assert!(matches!(r.html, Html::Deflated { .. }));
        assert_eq!(r.search_html(), format!("{kept}{kept}"));
    }

    #[test]
    fn a_taken_body_leaves_its_slot_empty_until_it_is_given_back() {
        let bodies = PageBodies {
            slots: ["<p>Pilot Rotterdam</p>", "<p>Conclusie mentoraat</p>"]
                .into_iter()
                .map(|s| std::sync::Mutex::new(s.to_string()))
                .collect(),
        };
        assert_eq!(bodies.take(1), "<p>Conclusie mentoraat</p>");
        assert_eq!(bodies.take(1), "", "taken once, the slot is empty");
        bodies.put(1, "<p>Conclusie mentoraat</p>".into());
        assert_eq!(bodies.take(1), "<p>Conclusie mentoraat</p>");
        assert_eq!(bodies.take(0), "<p>Pilot Rotterdam</p>");
        assert_eq!(bodies.take(9), "", "no such page: nothing");
    }
}
