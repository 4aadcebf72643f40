//! Render stage: Tera templates turn the linked site into output files.
//! Templates are parsed once; each page's context is built from summaries
//! serialised once, so no page context holds a copy of the whole site.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::error::{Code, Diagnostic};
use crate::links::alias_path;
use crate::model::*;
use crate::reads::Reads;

mod chrome;
mod context;
mod lend;
mod tera_error;

pub(crate) use lend::Workspace;
use lend::{Cards, Lending, Loan, Locals, Seg};
pub(crate) use tera_error::template_error;

/// One file of the built site, held in memory until written (or served).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Relative to the output root, `/`-separated (`pilots/a/index.html`).
    pub path: String,
    pub bytes: Vec<u8>,
    /// The document it came from, for search indexing.
    pub source: Option<Target>,
}

pub use crate::theme::{load_theme, theme_dir, Theme};

/// The theme partial that draws the section tree (see `nav`); a theme
/// without it has no tree.
pub(crate) const NAV_TEMPLATE: &str = "partials/nav.html";

/// `2020-11-09` (or a date-time starting so) as `9 november 2020`, with
/// the month names of the interface strings (`maand_01` …); anything that
/// is not such a date is returned as it is.
pub(crate) fn written_date(s: &str, months: &[Option<String>]) -> String {
    let Some(date) = s
        .get(..10)
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    else {
        return s.to_string();
    };
    use chrono::Datelike;
    let month = months
        .get(date.month0() as usize)
        .cloned()
        .flatten()
        .unwrap_or_else(|| date.month().to_string());
    format!("{} {month} {}", date.day(), date.year())
}

/// A front-matter value as text: lists joined with commas, booleans in the
/// interface language (`ja`/`nee` of the interface strings).
fn field_text(v: &crate::yaml::Value, translations: &Value) -> String {
    let word = |key: &'static str| translations.get(key).and_then(Value::as_str).unwrap_or(key);
    crate::yaml::value_texts(v, word("ja"), word("nee"))
        .into_iter()
        .filter(|x| !x.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Entries of a table of contents, all levels.
fn toc_count(toc: &[TocEntry]) -> usize {
    toc.iter().map(|e| 1 + toc_count(&e.children)).sum()
}

/// FNV-1a, enough to bust caches when a stylesheet changes.
pub(crate) fn short_hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{:08x}", h as u32)
}

#[derive(Serialize)]
struct TermRef<'a> {
    name: &'a str,
    slug: &'a str,
    url: String,
}

/// Keys a page's context adds to its own summary (see `page_locals`).
const PAGE_EXTRA_KEYS: &[&str] = &[
    "content",
    "summary",
    "toc",
    "toc_count",
    "facts",
    "reading_time",
    "bron",
    "extra",
    "ancestors",
    "relations",
    "backrelations",
    "backlinks",
    "related",
    "prev",
    "next",
    "terms",
    "section",
    "eigenaar",
    "herzien_op",
    "laatst_gewijzigd",
    "laatst_gewijzigd_bron",
];

/// Where the accessibility statement is published (digitoegankelijk.nl
/// asks for `/toegankelijkheid`).
pub(crate) const STATEMENT_PATH: &str = "toegankelijkheid/";

/// A site's own design tokens (NL Design System names), loaded after the
/// theme's stylesheets when `static/css/tokens.css` exists.
pub(crate) const TOKENS_CSS: &str = "css/tokens.css";

/// One unit of rendering: one output, or the special files together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Job {
    Page(PageId),
    Section(SectionId),
    Taxonomy(usize),
    Term(usize, usize),
    /// 404, search page, feed, sitemap, robots.txt, alias redirects.
    Special,
}

/// The list cards of one model and theme, for renderers of it one after
/// another ([`Renderer::sharing`]): `serve` renders its queue in steps, and
/// each step's renderer would render every card again (most of the queue's
/// time at 100,000 pages). Drop it when the model or theme changes.
pub(crate) struct SharedCards(Option<Arc<Cards>>);

impl SharedCards {
    /// No cards yet, for a site of `pages` pages.
    pub(crate) fn new(theme: &Theme, pages: usize) -> Self {
        SharedCards(Cards::new(theme, pages).map(Arc::new))
    }
}

pub(crate) struct Renderer<'a> {
    site: &'a Site,
    theme: &'a Theme,
    base_path: String,
    base_url: String,
    globals: Map<String, Value>,
    section_summaries: Vec<Value>,
    /// Per taxonomy: term slug → index in its `terms`, built on first use.
    term_index: OnceLock<Vec<HashMap<String, usize>>>,
    /// Per section: its tree's HTML (see `nav`), made on first use;
    /// empty when the site or theme has none.
    navs: Vec<OnceLock<Result<String, Diagnostic>>>,
    /// Each page's card for lists, made on first use.
    cards: Option<Arc<Cards>>,
    /// Idle workspaces; in practice one per rendering thread.
    workspaces: Mutex<Vec<Workspace>>,
    /// The summaries the workspaces lend (see `lend`).
    pool: lend::Pool,
    /// The theme's `partials/chrome/`, rendered on first use (see `chrome`).
    chrome: OnceLock<Result<Option<chrome::Chrome>, Diagnostic>>,
    /// The page bodies, when a build took them out of the model.
    bodies: Option<&'a PageBodies>,
}

impl<'a> Renderer<'a> {
    /// A renderer for one step of `serve`'s queue: its cards are `cards`,
    /// and it keeps no page summary after lending it (each list makes its
    /// own, a few microseconds apiece). Keeping them for the whole queue
    /// held every page's summary by its end: 300 MiB of the peak at
    /// 100,000 pages, for no time the queue gained.
    pub(crate) fn sharing(site: &'a Site, theme: &'a Theme, cards: &SharedCards) -> Self {
        let mut r = Self::with_pool(site, theme, None, lend::pool(0));
        r.cards = cards.0.clone();
        r
    }

    /// A renderer for fingerprints (`serve`): lends nothing, so its pool
    /// is empty.
    pub(crate) fn new(site: &'a Site, theme: &'a Theme) -> Self {
        Self::with_pool(site, theme, None, lend::pool(0))
    }

    /// A renderer for one pass over the site (a build): a page summary is
    /// made when it is first lent and then lives only in the lending pool
    /// (one lent out twice at once is made again). With `bodies`, each
    /// page's body is moved into its context instead of copied, and given
    /// back there after its render.
    pub(crate) fn once(site: &'a Site, theme: &'a Theme, bodies: Option<&'a PageBodies>) -> Self {
        Self::with_pool(site, theme, bodies, lend::pool(site.pages.len()))
    }

    fn with_pool(
        site: &'a Site,
        theme: &'a Theme,
        bodies: Option<&'a PageBodies>,
        pool: lend::Pool,
    ) -> Self {
        let base_path = site.config.base_path();
        let base_url = site.config.base_url.clone();
        let mut r = Renderer {
            site,
            theme,
            base_path,
            base_url,
            globals: Map::new(),
            section_summaries: Vec::new(),
            term_index: OnceLock::new(),
            navs: Vec::new(),
            cards: Cards::new(theme, site.pages.len()).map(Arc::new),
            workspaces: Mutex::new(Vec::new()),
            pool,
            chrome: OnceLock::new(),
            bodies,
        };
        if crate::nav::wanted(site) && theme.tera.get_template_names().any(|n| n == NAV_TEMPLATE) {
            r.navs = (0..site.sections.len()).map(|_| OnceLock::new()).collect();
        }
        r.section_summaries = (0..site.sections.len())
            .map(|i| r.section_summary(i))
            .collect();
        r.globals = r.make_globals();
        r
    }

    /// What the renderer owns (summaries, workspaces), to drop elsewhere.
    pub(crate) fn into_parts(self) -> impl Send + 'static {
        (self.section_summaries, self.workspaces, self.pool)
    }

    /// What every template sees (`site`, `t`, `lang`): when it changes,
    /// every output may change.
    pub(crate) fn globals(&self) -> &Map<String, Value> {
        &self.globals
    }

    /// The summary of one section, as templates see it.
    pub(crate) fn section_summary_of(&self, id: SectionId) -> &Value {
        &self.section_summaries[id]
    }

    /// Runs `f` with an idle workspace (or a new one) and returns it after.
    fn with_workspace<T>(&self, f: impl FnOnce(&mut Workspace) -> T) -> T {
        let idle = self.workspaces.lock().ok().and_then(|mut v| v.pop());
        let mut ws = idle.unwrap_or_else(|| Workspace::new(&self.globals, self.pool.clone()));
        let out = f(&mut ws);
        if let Ok(mut v) = self.workspaces.lock() {
            v.push(ws);
        }
        out
    }

    fn lending<'w>(&'w self, ws: &'w mut Workspace) -> Lending<'w> {
        Lending {
            ws,
            renderer: self,
            loans: Vec::new(),
            cards: self.cards.as_deref().map(|c| (self.theme, c)),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_path)
    }

    fn permalink(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    fn make_globals(&self) -> Map<String, Value> {
        let site = self.site;
        let menu: Vec<Value> = site
            .config
            .menu
            .iter()
            .map(|m| {
                let url = match m.url.strip_prefix("@/") {
                    Some(file) => site
                        .by_file
                        .get(file)
                        .map(|&t| self.url(site.path_of(t)))
                        .unwrap_or_else(|| m.url.clone()),
                    None if m.url.starts_with('/') => self.url(m.url.trim_start_matches('/')),
                    None => m.url.clone(),
                };
                json!({"title": m.title, "url": url})
            })
            .collect();
        let taxonomies: Vec<Value> = site
            .taxonomies
            .iter()
            .map(|t| json!({"name": t.name, "title": t.title, "url": self.url(&t.path), "term_count": t.terms.len()}))
            .collect();
        let sections: Vec<Value> = tree_order(site)
            .into_iter()
            .map(|s| {
                let sec = &site.sections[s];
                let schema: Vec<Value> = sec
                    .section
                    .schema
                    .iter()
                    .map(|(name, spec)| {
                        json!({"name": name, "type": spec.kind, "required": spec.required,
                               "values": spec.values, "description": spec.description, "label": spec.label,
                               "badge": spec.badge})
                    })
                    .collect();
                json!({"title": sec.meta.title, "description": sec.meta.description, "url": self.url(&sec.path),
                       "path": sec.path, "depth": site.section_chain(s).len() - 1, "page_count": sec.pages.len(),
                       "soort": sec.soort, "schema": schema})
            })
            .collect();
        let search_url = self.url("zoeken/");
        let config = &site.config;
        let site_value = json!({
            "title": config.title,
            "description": config.description,
            "base_url": config.base_url,
            "base_path": self.base_path,
            "language": config.language,
            "extra": config.extra,
            "build_date": site.build_date().map(|d| d.to_string()),
            "toegankelijkheid_url": config.toegankelijkheid.as_ref().map(|_| self.url(STATEMENT_PATH)),
            "tokens_css": site.assets.iter().any(|a| a.dest == TOKENS_CSS).then_some(TOKENS_CSS),
            "menu": menu,
            "taxonomies": taxonomies,
            "sections": sections,
            "search": {"enabled": config.search.enabled, "url": search_url, "filters": config.search.filters},
            "feed_url": if config.feed { Some(self.url("atom.xml")) } else { None },
        });
        let mut g = Map::new();
        g.insert("site".into(), site_value);
        g.insert("t".into(), self.theme.translations.clone());
        g.insert("lang".into(), Value::String(config.language.clone()));
        g
    }

    /// Renders `template` with the workspace's globals plus `locals`, then
    /// takes the locals (and the summaries lent into them) back out.
    fn render_in(
        &self,
        ws: &mut Workspace,
        template: &str,
        locals: Locals,
        out_path: String,
        source: Option<Target>,
    ) -> Result<OutputFile, Diagnostic> {
        let Locals { mut map, loans } = locals;
        if let Some(d) = ws.card_error.take() {
            ws.take_back(&mut map, loans);
            return Err(d);
        }
        if let Some(Value::String(current)) = map.get("current_url") {
            match self.chrome_in(ws, current) {
                Ok(Some(chrome)) => {
                    map.insert("chrome".into(), chrome);
                }
                Ok(None) => {}
                Err(d) => {
                    ws.take_back(&mut map, loans);
                    return Err(d);
                }
            }
        }
        ws.read(|r| {
            r.summaries.extend(loans.iter().flat_map(|l| &l.ids));
            r.templates.push(template.to_string());
            r.docs.extend(source);
        });
        let keys: Vec<String> = map.keys().cloned().collect();
        let mut capacity = 16 * 1024;
        if let Some(Value::Object(page)) = map.get("page") {
            capacity += page
                .get("content")
                .and_then(Value::as_str)
                .map_or(0, str::len);
        }
        ws.ctx.extend(
            tera::Context::from_value(Value::Object(map)).expect("a JSON object is a Tera context"),
        );
        let mut bytes = Vec::with_capacity(capacity);
        let result = self.theme.tera.render_to(template, &ws.ctx, &mut bytes);
        let mut back = Map::new();
        for k in keys {
            if let Some(v) = ws.ctx.remove(&k) {
                back.insert(k, v);
            }
        }
        // A local named like a global hid it; put the global back.
        for (k, v) in &self.globals {
            if !ws.ctx.contains_key(k) {
                ws.ctx.insert(k.as_str(), v);
            }
        }
        ws.take_back(&mut back, loans);
        result.map_err(|e| template_error(&e, &self.theme.sources, Some(template)))?;
        if out_path.ends_with(".html") {
            let csp = self.site.config.security.csp.meta_policy();
            crate::safety::harden_page(&mut bytes, csp.as_deref());
        }
        Ok(OutputFile {
            path: out_path,
            bytes,
            source,
        })
    }

    fn has_template(&self, name: &str) -> bool {
        self.theme.sources.contains_key(name)
    }

    fn require(&self, name: &str, file: &Path) -> Result<(), Diagnostic> {
        if self.has_template(name) {
            Ok(())
        } else {
            Err(Diagnostic::error(
                Code::TemplateMissing,
                file,
                format!("sjabloon '{name}' bestaat niet"),
            )
            .hint("maak het aan in templates/ van de site of het thema, of pas 'template:' aan"))
        }
    }

    /// The template a page is rendered with.
    pub(crate) fn page_template(&self, id: PageId) -> String {
        let p = &self.site.pages[id];
        p.meta
            .template
            .clone()
            .or_else(|| self.site.sections[p.section].section.page_template.clone())
            .unwrap_or_else(|| "page.html".into())
    }

    /// The template a section is rendered with.
    pub(crate) fn section_template(&self, id: SectionId) -> String {
        let default = if id == self.site.root_section() {
            "index.html"
        } else {
            "section.html"
        };
        self.site.sections[id]
            .meta
            .template
            .clone()
            .unwrap_or_else(|| default.into())
    }

    /// The section tree for the pages of section `s`, rendered once per
    /// section by `partials/nav.html`, with the link to `current` marked.
    fn section_nav(
        &self,
        ws: &mut Workspace,
        s: SectionId,
        current: &str,
    ) -> Result<Option<Value>, Diagnostic> {
        let Some(cell) = self.navs.get(s) else {
            return Ok(None);
        };
        ws.read(|r| {
            r.navs.push(s);
            r.templates.push(NAV_TEMPLATE.to_string());
        });
        let html = cell.get_or_init(|| {
            let tree = crate::nav::tree(self.site, s, &|p| self.url(p));
            ws.ctx.insert("nav", &tree);
            let html = self.theme.tera.render(NAV_TEMPLATE, &ws.ctx);
            ws.ctx.remove("nav");
            html.map_err(|e| template_error(&e, &self.theme.sources, Some(NAV_TEMPLATE)))
        });
        match html {
            Ok(h) => Ok(Some(Value::String(crate::nav::mark_current(h, current)))),
            Err(d) => Err(d.clone()),
        }
    }

    fn page_in(&self, ws: &mut Workspace, id: PageId) -> Result<OutputFile, Diagnostic> {
        let p = &self.site.pages[id];
        let template = self.page_template(id);
        self.require(&template, &p.file.display)?;
        let nav = self.section_nav(ws, p.section, &self.url(&p.path))?;
        let locals = self.page_locals(ws, id);
        let out = self.document_in(
            ws,
            &template,
            locals,
            nav,
            &p.path,
            &p.file.display,
            Target::Page(id),
        );
        if let (Some(bodies), Some(html)) = (self.bodies, ws.body.take()) {
            bodies.put(id, html);
        }
        out
    }

    fn section_in(&self, ws: &mut Workspace, id: SectionId) -> Result<OutputFile, Diagnostic> {
        let s = &self.site.sections[id];
        let template = self.section_template(id);
        self.require(&template, &s.file.display)?;
        let nav = self.section_nav(ws, id, &self.url(&s.path))?;
        let locals = self.section_locals(ws, id);
        self.document_in(
            ws,
            &template,
            locals,
            nav,
            &s.path,
            &s.file.display,
            Target::Section(id),
        )
    }

    /// A page's or section's own output: its locals plus the section tree,
    /// errors hinted with its file.
    #[allow(clippy::too_many_arguments)]
    fn document_in(
        &self,
        ws: &mut Workspace,
        template: &str,
        mut locals: Locals,
        nav: Option<Value>,
        path: &str,
        file: &Path,
        target: Target,
    ) -> Result<OutputFile, Diagnostic> {
        if let Some(nav) = nav {
            locals.map.insert("section_nav".into(), nav);
        }
        self.render_in(
            ws,
            template,
            locals,
            format!("{path}index.html"),
            Some(target),
        )
        .map_err(|d| d.hint_for(file))
    }

    fn taxonomy_base(&self, tax: &Taxonomy) -> Value {
        json!({"name": tax.name, "title": tax.title, "url": self.url(&tax.path)})
    }

    fn taxonomy_list_in(&self, ws: &mut Workspace, tax: usize) -> Result<OutputFile, Diagnostic> {
        ws.read(|r| r.taxonomies.push(tax));
        let tax = &self.site.taxonomies[tax];
        let terms: Vec<Value> = tax
            .terms
            .iter()
            .map(|t| json!({"name": t.name, "slug": t.slug, "url": self.url(&t.path), "count": t.pages.len()}))
            .collect();
        let mut list = self.taxonomy_base(tax);
        list["terms"] = Value::Array(terms);
        let mut map = Map::new();
        map.insert("current_url".into(), Value::String(self.url(&tax.path)));
        map.insert("taxonomy".into(), list);
        self.render_in(
            ws,
            "taxonomy_list.html",
            Locals::plain(map),
            format!("{}index.html", tax.path),
            None,
        )
    }

    fn term_in(
        &self,
        ws: &mut Workspace,
        tax: usize,
        term: usize,
    ) -> Result<OutputFile, Diagnostic> {
        ws.read(|r| r.terms.push((tax, term)));
        let tax = &self.site.taxonomies[tax];
        let t = &tax.terms[term];
        let mut lend = self.lending(ws);
        let pages = lend.list(vec![Seg::Key("term"), Seg::Key("pages")], &t.pages);
        let loans = lend.loans;
        let mut map = Map::new();
        map.insert("current_url".into(), Value::String(self.url(&t.path)));
        map.insert("taxonomy".into(), self.taxonomy_base(tax));
        let mut term = match json!({"name": t.name, "slug": t.slug, "url": self.url(&t.path), "count": t.pages.len()})
        {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        term.insert("pages".into(), pages);
        map.insert("term".into(), Value::Object(term));
        self.render_in(
            ws,
            "taxonomy_term.html",
            Locals { map, loans },
            format!("{}index.html", t.path),
            None,
        )
    }

    fn special_in(&self, ws: &mut Workspace) -> Vec<Result<OutputFile, Diagnostic>> {
        ws.read(|r| r.listing = true);
        let site = self.site;
        let mut out = Vec::new();
        let mut plain = |ws: &mut Workspace, template: &str, path: &str, locals: Locals| {
            let mut locals = locals;
            locals
                .map
                .insert("current_url".into(), Value::String(self.url(path)));
            out.push(self.render_in(ws, template, locals, path.into(), None));
        };
        let fields = |extra: Vec<(&str, Value)>| {
            Locals::plain(extra.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        };
        plain(ws, "404.html", "404.html", fields(vec![]));
        if let Some(statement) = &site.config.toegankelijkheid {
            let mut v = serde_json::to_value(statement).unwrap_or_default();
            if let Some(m) = v.as_object_mut() {
                m.insert("status_naam".into(), json!(statement.status.label()));
                m.entry("website")
                    .and_modify(|w| {
                        if w.is_null() {
                            *w = json!(site.config.title)
                        }
                    })
                    .or_insert(json!(site.config.title));
            }
            let path = format!("{STATEMENT_PATH}index.html");
            plain(
                ws,
                "toegankelijkheid.html",
                &path,
                fields(vec![("verklaring", v)]),
            );
        }
        if site.config.search.enabled {
            plain(ws, "search.html", "zoeken/index.html", fields(vec![]));
        }
        // Atom needs a date; a site with no dated content gets the epoch
        // rather than the wall clock, so builds stay reproducible.
        let today = site.build_date().unwrap_or_default().to_string();
        if site.config.feed {
            let mut by_date: Vec<PageId> = (0..site.pages.len()).collect();
            by_date.sort_by(|&a, &b| {
                let (x, y) = (&site.pages[a].meta, &site.pages[b].meta);
                y.updated
                    .or(y.date)
                    .cmp(&x.updated.or(x.date))
                    .then(a.cmp(&b))
            });
            by_date.truncate(30);
            let mut lend = self.lending(ws);
            let pages = lend.list(vec![Seg::Key("pages")], &by_date);
            let mut locals = fields(vec![
                ("pages", pages),
                ("updated", Value::String(today.clone())),
                ("feed_url", Value::String(self.permalink("atom.xml"))),
            ]);
            locals.loans = lend.loans;
            plain(ws, "atom.xml", "atom.xml", locals);
        }
        let mut entries: Vec<Value> = site
            .sections
            .iter()
            .map(|s| json!({"permalink": self.permalink(&s.path), "updated": s.meta.updated.or(s.meta.date).map(|d| d.to_string())}))
            .collect();
        entries.extend(site.pages.iter().map(|p| {
            json!({"permalink": self.permalink(&p.path), "updated": p.meta.updated.or(p.meta.date).map(|d| d.to_string())})
        }));
        if site.config.toegankelijkheid.is_some() {
            entries.push(json!({"permalink": self.permalink(STATEMENT_PATH)}));
        }
        for tax in &site.taxonomies {
            entries.push(json!({"permalink": self.permalink(&tax.path)}));
            entries.extend(
                tax.terms
                    .iter()
                    .map(|t| json!({"permalink": self.permalink(&t.path)})),
            );
        }
        plain(
            ws,
            "sitemap.xml",
            "sitemap.xml",
            fields(vec![("entries", Value::Array(entries))]),
        );
        plain(
            ws,
            "robots.txt",
            "robots.txt",
            fields(vec![(
                "sitemap_url",
                Value::String(self.permalink("sitemap.xml")),
            )]),
        );
        // Redirects for aliases.
        let docs = site
            .pages
            .iter()
            .map(|p| (&p.meta, &p.path))
            .chain(site.sections.iter().map(|s| (&s.meta, &s.path)));
        for (meta, path) in docs {
            for alias in &meta.aliases {
                let a = alias_path(alias);
                let file = if a.ends_with(".html") {
                    a
                } else {
                    format!("{a}index.html")
                };
                plain(
                    ws,
                    "__redirect.html",
                    &file,
                    fields(vec![
                        ("url", Value::String(self.url(path))),
                        ("title", Value::String(meta.title.clone())),
                    ]),
                );
            }
        }
        let security = &site.config.security;
        let canonical = site
            .config
            .base_url
            .starts_with("https://")
            .then(|| self.permalink(crate::safety::SECURITY_TXT));
        if let Some(txt) =
            crate::safety::security_txt(security, &site.config.language, canonical.as_deref())
        {
            out.push(Ok(OutputFile {
                path: crate::safety::SECURITY_TXT.into(),
                bytes: txt.into_bytes(),
                source: None,
            }));
        }
        out
    }

    fn job_in(&self, ws: &mut Workspace, job: Job) -> Vec<Result<OutputFile, Diagnostic>> {
        match job {
            Job::Page(i) => vec![self.page_in(ws, i)],
            Job::Section(i) => vec![self.section_in(ws, i)],
            Job::Taxonomy(i) => vec![self.taxonomy_list_in(ws, i)],
            Job::Term(i, t) => vec![self.term_in(ws, i, t)],
            Job::Special => self.special_in(ws),
        }
    }

    /// Renders one job and says what its contexts read (`kennisbank serve`
    /// keeps that to know what to render again after an edit).
    pub(crate) fn render_recorded(&self, job: Job) -> (Vec<Result<OutputFile, Diagnostic>>, Reads) {
        self.with_workspace(|ws| {
            ws.reads = Some(Reads::default());
            let files = self.job_in(ws, job);
            (files, ws.reads.take().unwrap_or_default())
        })
    }

    /// Renders everything in parallel and hands each file to `sink` as soon
    /// as it is made (a build writes it to disk there, so rendering and
    /// writing overlap and no output is held in memory). Returns the
    /// problems: template errors (each reported once) and sink errors.
    pub(crate) fn render_each<F>(&self, sink: F) -> Vec<Diagnostic>
    where
        F: Fn(OutputFile) -> Result<(), Diagnostic> + Sync,
    {
        // One queue of jobs, biggest lists first, so the two cores stay busy
        // to the end instead of waiting on the one huge section or term page.
        let site = self.site;
        let mut jobs: Vec<(usize, Job)> =
            Vec::with_capacity(site.pages.len() + site.sections.len() + 256);
        jobs.extend((0..site.pages.len()).map(|i| (1, Job::Page(i))));
        jobs.extend(
            (0..site.sections.len()).map(|i| (site.sections[i].pages.len(), Job::Section(i))),
        );
        for (i, tax) in site.taxonomies.iter().enumerate() {
            jobs.push((tax.terms.len(), Job::Taxonomy(i)));
            jobs.extend(
                tax.terms
                    .iter()
                    .enumerate()
                    .map(|(t, term)| (term.pages.len(), Job::Term(i, t))),
            );
        }
        jobs.push((site.pages.len(), Job::Special));
        // Pages come first, though: in a build each frees its body as it
        // goes, so the bodies are mostly gone by the time the lists have
        // made every page's summary (see `once`).
        jobs.sort_by_key(|&(cost, job)| (!matches!(job, Job::Page(_)), std::cmp::Reverse(cost)));
        let problems: Vec<Diagnostic> = jobs
            .into_par_iter()
            .flat_map_iter(|(_, job)| {
                let results = self.with_workspace(|ws| self.job_in(ws, job));
                results
                    .into_iter()
                    .filter_map(|r| r.and_then(&sink).err())
                    .collect::<Vec<_>>()
            })
            .collect();
        // One broken template fails every page: report it once.
        let mut seen = std::collections::HashSet::new();
        problems
            .into_iter()
            .filter(|d| seen.insert((d.message.clone(), d.line())))
            .collect()
    }

    /// Renders everything into memory, sorted by path; problems go to `diags`.
    pub(crate) fn render_all(&self, diags: &mut Vec<Diagnostic>) -> Vec<OutputFile> {
        let files = Mutex::new(Vec::with_capacity(self.site.pages.len() + 256));
        diags.extend(self.render_each(|f| {
            if let Ok(mut v) = files.lock() {
                v.push(f);
            }
            Ok(())
        }));
        let mut files = files.into_inner().unwrap_or_default();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
    }
}

/// Sections in depth-first order, children by weight then title.
fn tree_order(site: &Site) -> Vec<SectionId> {
    fn visit(site: &Site, s: SectionId, out: &mut Vec<SectionId>) {
        out.push(s);
        for &c in &site.sections[s].subsections {
            visit(site, c, out);
        }
    }
    let mut out = Vec::new();
    if !site.sections.is_empty() {
        visit(site, 0, &mut out);
    }
    out
}

impl Diagnostic {
    /// Adds which content file was being rendered when a template failed.
    fn hint_for(self, file: &Path) -> Diagnostic {
        let hint = format!("bij het renderen van {}", file.display());
        let combined = match &self.hint {
            Some(h) => format!("{h} ({hint})"),
            None => hint,
        };
        self.hint(combined)
    }
}

/// Pages of one term that count towards [`Renderer::related`].
pub(crate) const RELATED_TERM_CAP: usize = 100;

/// Would [`Renderer::related`] give every page of `b` the same list as in
/// `a`? True when the pages and their terms are the same and each term's
/// counted pages are the same set (a title edit may reorder a term).
pub(crate) fn same_related_inputs(a: &Site, b: &Site) -> bool {
    let counted = |t: &crate::model::Term| {
        let mut v: Vec<PageId> = t.pages.iter().take(RELATED_TERM_CAP).copied().collect();
        v.sort_unstable();
        v
    };
    a.pages.len() == b.pages.len()
        && a.taxonomies.len() == b.taxonomies.len()
        && a.pages
            .iter()
            .zip(&b.pages)
            .all(|(x, y)| x.taxonomies == y.taxonomies)
        && a.taxonomies.iter().zip(&b.taxonomies).all(|(x, y)| {
            x.name == y.name
                && x.terms.len() == y.terms.len()
                && x.terms
                    .iter()
                    .zip(&y.terms)
                    .all(|(s, t)| s.slug == t.slug && counted(s) == counted(t))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use tera::Tera;

    fn dutch_months() -> Vec<Option<String>> {
        let names = [
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ];
        names.iter().map(|m| Some(m.to_string())).collect()
    }

    #[test]
    fn dates_are_written_out_and_anything_else_is_kept() {
        let months = dutch_months();
        assert_eq!(written_date("2020-11-09", &months), "9 november 2020");
        assert_eq!(
            written_date("2021-01-31T10:00:00", &months),
            "31 januari 2021"
        );
        assert_eq!(written_date("2020-02-30", &months), "2020-02-30");
        assert_eq!(written_date("medio 2021", &months), "medio 2021");
        assert_eq!(written_date("2020-11", &months), "2020-11");
        // Without month names the month stays a number.
        assert_eq!(written_date("2020-11-09", &[]), "9 11 2020");
    }

    #[test]
    fn field_values_as_text() {
        let t = json!({"ja": "yes"});
        let yaml = |s: &str| crate::yaml::from_str::<crate::yaml::Value>(s).unwrap();
        assert_eq!(field_text(&yaml("[a, 2, '']"), &t), "a, 2");
        assert_eq!(field_text(&yaml("true"), &t), "yes");
        assert_eq!(field_text(&yaml("false"), &t), "nee");
        assert_eq!(field_text(&yaml("1.5"), &t), "1.5");
        assert_eq!(field_text(&yaml("~"), &t), "");
        assert_eq!(field_text(&yaml("{a: 1}"), &t), "");
    }

    #[test]
    fn toc_count_counts_every_level() {
        let entry = |children: Vec<TocEntry>| TocEntry {
            level: 2,
            id: "x".into(),
            title: "x".into(),
            children,
        };
        assert_eq!(toc_count(&[]), 0);
        let toc = vec![
            entry(vec![entry(vec![]), entry(vec![entry(vec![])])]),
            entry(vec![]),
        ];
        assert_eq!(toc_count(&toc), 5);
    }

    #[test]
    fn missing_variable_error_names_template_line_and_variable() {
        let mut tera = Tera::default();
        let src = "<h1>{{ page.title }}</h1>\n<p>{{ page.nope }}</p>\n";
        tera.add_raw_template("page.html", src).unwrap();
        let mut sources = HashMap::new();
        sources.insert(
            "page.html".to_string(),
            (
                PathBuf::from("themes/t/templates/page.html"),
                src.to_string(),
            ),
        );
        let ctx = tera::Context::from_value(json!({"page": {"title": "x"}})).unwrap();
        let err = tera.render("page.html", &ctx).unwrap_err();
        let d = template_error(&err, &sources, Some("page.html"));
        assert_eq!(d.file(), Some(Path::new("themes/t/templates/page.html")));
        assert_eq!(d.line(), Some(2));
        assert!(d.message.contains("page.nope"), "{}", d.message);
    }

    #[test]
    fn parse_error_has_line() {
        let mut tera = Tera::default();
        let src = "ok\n{{ page.title | }}\n";
        let err = tera.add_raw_template("page.html", src).unwrap_err();
        let mut sources = HashMap::new();
        sources.insert(
            "page.html".to_string(),
            (PathBuf::from("page.html"), src.to_string()),
        );
        let d = template_error(&err, &sources, None);
        assert_eq!(d.line(), Some(2), "{d}");
    }
}
