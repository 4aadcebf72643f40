//! What each output of the dev server read, as data: the renderer records
//! the inputs it put into each context (`reads::Reads`), this module turns
//! them into keys that stay the same across edits (documents by source
//! path, terms by URL, templates by name), keeps output → keys and
//! key → outputs, and fingerprints every key of a model, so after an edit
//! the engine re-renders exactly the outputs whose inputs changed. No rule
//! here knows what a template shows: it reads what the renderer recorded.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value;

use crate::model::{Rendered, Site, Target, Text};
use crate::reads::Reads;
use crate::theme::Theme;

/// A string given a number for the whole session: a page keeps its
/// number when others are added or removed, unlike its index in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Name(u32);

/// The session's names (document paths, term URLs, template names, ...).
#[derive(Debug, Default)]
pub(crate) struct Names {
    ids: HashMap<String, Name>,
    texts: Vec<String>,
}

impl Names {
    pub(crate) fn of(&mut self, s: &str) -> Name {
        if let Some(&n) = self.ids.get(s) {
            return n;
        }
        let n = Name(self.texts.len() as u32);
        self.texts.push(s.to_string());
        self.ids.insert(s.to_string(), n);
        n
    }

    #[cfg(test)]
    pub(crate) fn get(&self, s: &str) -> Option<Name> {
        self.ids.get(s).copied()
    }

    #[cfg(any(test, debug_assertions))]
    pub(crate) fn text(&self, n: Name) -> &str {
        &self.texts[n.0 as usize]
    }

    /// What a key names, for messages.
    #[cfg(debug_assertions)]
    fn text_of(&self, k: &Key) -> &str {
        match *k {
            Key::Global(n)
            | Key::Template(n)
            | Key::Summary(n)
            | Key::Page(n)
            | Key::SectionSummary(n)
            | Key::SectionCount(n)
            | Key::Section(n)
            | Key::Nav(n)
            | Key::Term(n)
            | Key::Taxonomy(n) => self.text(n),
            Key::Listing => "",
        }
    }
}

/// One output item (one or more files), named stably.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum OutId {
    /// By source path relative to content/.
    Page(Name),
    Section(Name),
    /// By URL path.
    TaxonomyList(Name),
    Term(Name),
    /// 404, search page, feed, sitemap, robots.txt, redirects.
    Special,
}

/// One input of a render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Key {
    /// A global: a field of `site` (`site.menu`), all of `site`
    /// (`site.*`), `t`, `lang`, or what `asset()` returns (`asset()`).
    Global(Name),
    /// A template's text (each one a render includes or extends counts).
    Template(Name),
    /// A page's summary, as lists show it.
    Summary(Name),
    /// A page as its own output shows it (see [`Prints::of`]).
    Page(Name),
    /// A section's summary without its page count, which only templates
    /// that name `page_count` read (see [`COUNT_MARK`]).
    SectionSummary(Name),
    SectionCount(Name),
    Section(Name),
    /// The section tree rendered for the pages of a section.
    Nav(Name),
    /// A term's name and pages, by its URL path.
    Term(Name),
    /// A taxonomy's terms and their counts, by its URL path.
    Taxonomy(Name),
    /// Every document's URL, title, dates and aliases.
    Listing,
}

/// Output → the keys it read, and key → the outputs that read it.
#[derive(Debug)]
pub(crate) struct Index<O, K> {
    reads: HashMap<O, Vec<K>>,
    readers: HashMap<K, HashSet<O>>,
}

impl<O, K> Default for Index<O, K> {
    fn default() -> Self {
        Index {
            reads: HashMap::new(),
            readers: HashMap::new(),
        }
    }
}

impl<O: Copy + Eq + Hash + Ord, K: Copy + Eq + Hash + Ord> Index<O, K> {
    /// Replaces what `out` read.
    pub(crate) fn record(&mut self, out: O, mut keys: Vec<K>) {
        self.forget(out);
        keys.sort_unstable();
        keys.dedup();
        for k in &keys {
            self.readers.entry(*k).or_default().insert(out);
        }
        self.reads.insert(out, keys);
    }

    /// `out` no longer exists (or must be rendered again before it counts).
    pub(crate) fn forget(&mut self, out: O) {
        let Some(keys) = self.reads.remove(&out) else {
            return;
        };
        for k in keys {
            if let Some(set) = self.readers.get_mut(&k) {
                set.remove(&out);
                if set.is_empty() {
                    self.readers.remove(&k);
                }
            }
        }
    }

    pub(crate) fn is_recorded(&self, out: &O) -> bool {
        self.reads.contains_key(out)
    }

    #[cfg(test)]
    pub(crate) fn reads_of(&self, out: &O) -> &[K] {
        self.reads.get(out).map_or(&[], Vec::as_slice)
    }

    /// The outputs that read any of `keys`.
    pub(crate) fn readers<'k>(&self, keys: impl IntoIterator<Item = &'k K>) -> BTreeSet<O>
    where
        K: 'k,
    {
        keys.into_iter()
            .filter_map(|k| self.readers.get(k))
            .flatten()
            .copied()
            .collect()
    }

    pub(crate) fn recorded(&self) -> impl Iterator<Item = &O> {
        self.reads.keys()
    }
}

/// The stable names of one model's documents, terms and taxonomies, by
/// their index in it.
#[derive(Debug, Default, Clone)]
pub(crate) struct ModelNames {
    pub pages: Vec<Name>,
    pub sections: Vec<Name>,
    pub taxonomies: Vec<Name>,
    pub terms: Vec<Vec<Name>>,
}

impl ModelNames {
    pub(crate) fn of(site: &Site, names: &mut Names) -> ModelNames {
        ModelNames {
            pages: site.pages.iter().map(|p| names.of(&p.file.rel)).collect(),
            sections: site
                .sections
                .iter()
                .map(|s| names.of(&s.file.rel))
                .collect(),
            taxonomies: site.taxonomies.iter().map(|t| names.of(&t.path)).collect(),
            terms: site
                .taxonomies
                .iter()
                .map(|t| t.terms.iter().map(|x| names.of(&x.path)).collect())
                .collect(),
        }
    }
}

/// The name of a marker key among a template's keys: its text shows
/// section page counts (or dumps whole values), so its renders read the
/// count of every section summary they get. A page added to a section of
/// 3,000 pages changes the count; its pages do not show it.
pub(crate) const COUNT_MARK: &str = "#page_count";

/// Keys of what a template reads besides the page data: itself and every
/// template it includes, extends or imports, and the globals their code
/// names (read from Tera's parsed templates), so a template that shows
/// `site.build_date` depends on it and one that does not, does not.
pub(crate) fn template_keys(theme: &Theme, name: &str, names: &mut Names) -> Vec<Key> {
    let reads = super::template_reads::of(&theme.tera, name);
    let mut keys: Vec<Key> = reads
        .templates
        .iter()
        .map(|t| Key::Template(names.of(t)))
        .collect();
    if reads.counts {
        keys.push(Key::Global(names.of(COUNT_MARK)));
    }
    keys.extend(reads.globals.iter().map(|g| Key::Global(names.of(g))));
    // Every template gets these; the default theme uses them everywhere.
    keys.push(Key::Global(names.of("t")));
    keys.push(Key::Global(names.of("lang")));
    keys
}

/// The keys of one recorded render.
pub(crate) fn keys_of(
    reads: &Reads,
    m: &ModelNames,
    names: &mut Names,
    template_cache: &mut HashMap<String, Vec<Key>>,
    theme: &Theme,
) -> Vec<Key> {
    let mut keys: Vec<Key> = Vec::with_capacity(reads.summaries.len() + 16);
    keys.extend(reads.summaries.iter().map(|&p| Key::Summary(m.pages[p])));
    keys.extend(
        reads
            .sections
            .iter()
            .map(|&s| Key::SectionSummary(m.sections[s])),
    );
    for &d in &reads.docs {
        keys.push(match d {
            Target::Page(p) => Key::Page(m.pages[p]),
            Target::Section(s) => Key::Section(m.sections[s]),
        });
    }
    keys.extend(reads.navs.iter().map(|&s| Key::Nav(m.sections[s])));
    keys.extend(reads.terms.iter().map(|&(t, i)| Key::Term(m.terms[t][i])));
    keys.extend(
        reads
            .taxonomies
            .iter()
            .map(|&t| Key::Taxonomy(m.taxonomies[t])),
    );
    if reads.listing {
        keys.push(Key::Listing);
    }
    let mark = Key::Global(names.of(COUNT_MARK));
    let mut counts = false;
    for t in &reads.templates {
        if !template_cache.contains_key(t) {
            let k = template_keys(theme, t, names);
            template_cache.insert(t.clone(), k);
        }
        let k = &template_cache[t];
        counts |= k.contains(&mark);
        keys.extend(k.iter().copied());
    }
    if counts {
        keys.extend(
            reads
                .sections
                .iter()
                .map(|&s| Key::SectionCount(m.sections[s])),
        );
    }
    keys
}

/// A hash of a text or body and the shared value it was made of: an
/// unchanged one (the same allocation) is not hashed again.
#[derive(Debug, Clone)]
struct Hashed<T> {
    of: T,
    hash: u64,
}

/// A page's neighbours in its section's list (prev, next).
type Neighbours = (Option<Name>, Option<Name>);

/// Fingerprints of every key of one model: a key changed when its print
/// differs (or it is new, or gone). Besides the prints it keeps the parts
/// they are made of, so [`Prints::update`] can redo only what an edit
/// touched.
#[derive(Debug, Default)]
pub(crate) struct Prints {
    prints: HashMap<Key, u64>,
    texts: HashMap<Name, Hashed<Text>>,
    bodies: HashMap<Name, Hashed<Arc<Rendered>>>,
    /// Per page: the print of everything its own output shows but its
    /// neighbours, and its neighbours (a move within a section changes
    /// only the neighbours of the pages around it).
    pages: HashMap<Name, (u64, Neighbours)>,
    /// Per section, by index: its schema's print.
    schemas: Vec<u64>,
    /// What [`Key::Listing`] is the print of: one print per page, then per
    /// section, then one of every term URL.
    listing: Vec<u64>,
    /// Whether the model had section trees (site and theme).
    navs: bool,
}

/// What an in-place edit (body, front matter, theme) can have changed, by
/// id in the model; ids are those the prints were made with, as such edits
/// add or remove nothing. [`Prints::update`] redoes the keys these name
/// (and the globals, section summaries and neighbours, which are cheap).
#[derive(Debug, Default, Clone)]
pub(crate) struct Touched {
    /// Documents whose text, front matter or body changed.
    pub docs: Vec<Target>,
    /// Pages whose lists (backlinks, relations) may be different: the
    /// targets of the links an edited body had or has.
    pub lists: Vec<usize>,
    /// Sections whose page order may be different.
    pub orders: Vec<usize>,
    /// Terms (taxonomy, term) whose page order may be different.
    pub terms: Vec<(usize, usize)>,
    /// Relations were resolved again: any page's lists may differ.
    pub relinked: bool,
    /// The theme was loaded again.
    pub theme: bool,
}

impl Touched {
    /// The page targets of the internal links of `body`.
    pub(crate) fn links_of(&mut self, body: &Rendered) {
        self.lists
            .extend(body.links.iter().filter_map(|l| match l.target {
                Target::Page(p) => Some(p),
                Target::Section(_) => None,
            }));
    }
}

/// What [`Prints::of`] fingerprints, besides the model.
pub(crate) struct Inputs<'a> {
    pub site: &'a Site,
    pub theme: &'a Theme,
    pub model: &'a ModelNames,
    /// The renderer of `site`: summaries and globals as contexts get them.
    pub renderer: &'a crate::render::Renderer<'a>,
    /// The pages whose summaries `renderer` built anew; the others are the
    /// same values as when `before` was printed. `None`: all are new.
    pub fresh: Option<&'a [usize]>,
    /// Each page's "related" list.
    pub related: &'a [Vec<usize>],
    /// A hash of the `asset()` fingerprints.
    pub assets: u64,
}

fn hash_of(v: impl Hash) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

/// Hashes a JSON value (serde_json's has no `Hash`).
fn hash_value(v: &Value, h: &mut impl Hasher) {
    match v {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => (2u8, n.to_string()).hash(h),
        Value::String(s) => (3u8, s).hash(h),
        Value::Array(a) => {
            (4u8, a.len()).hash(h);
            for x in a {
                hash_value(x, h);
            }
        }
        Value::Object(m) => {
            (5u8, m.len()).hash(h);
            for (k, x) in m {
                k.hash(h);
                hash_value(x, h);
            }
        }
    }
}

fn value_print(v: &Value) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    hash_value(v, &mut h);
    h.finish()
}

/// The text's print, taken from `before` when it is the same allocation.
fn text_print(before: Option<&Prints>, name: Name, text: &Text) -> Hashed<Text> {
    match before.and_then(|b| b.texts.get(&name)) {
        Some(h) if h.of.ptr_eq(text) => h.clone(),
        // Serve holds every text deflated (see `Text`): hashed as held.
        _ => Hashed {
            of: text.clone(),
            hash: hash_of((text.held(), text.len())),
        },
    }
}

/// What a context shows of a body, taken from `before` when it is the
/// same allocation.
fn body_print(before: Option<&Prints>, name: Name, body: &Arc<Rendered>) -> Hashed<Arc<Rendered>> {
    match before.and_then(|b| b.bodies.get(&name)) {
        Some(h) if Arc::ptr_eq(&h.of, body) => h.clone(),
        _ => Hashed {
            of: Arc::clone(body),
            hash: hash_of((
                &body.html,
                &body.summary,
                format!("{:?}", body.toc),
                body.word_count,
            )),
        },
    }
}

/// Each page's neighbours in its section's list.
fn neighbours_of(site: &Site, m: &ModelNames) -> Vec<Neighbours> {
    let mut out = vec![(None, None); site.pages.len()];
    for sec in &site.sections {
        for (p, near) in neighbours_in(sec, m) {
            out[p] = near;
        }
    }
    out
}

/// The neighbours of the pages of one section's list.
fn neighbours_in<'a>(
    sec: &'a crate::model::Section,
    m: &'a ModelNames,
) -> impl Iterator<Item = (usize, Neighbours)> + 'a {
    sec.pages.iter().enumerate().map(move |(i, &p)| {
        let prev = i.checked_sub(1).map(|j| m.pages[sec.pages[j]]);
        let next = sec.pages.get(i + 1).map(|&x| m.pages[x]);
        (p, (prev, next))
    })
}

fn schema_print(s: &crate::model::Section) -> u64 {
    hash_of(format!("{:?}", s.schema))
}

/// Everything page `id`'s own output shows but its neighbours: its text
/// (front matter included) and body, and the lists the model keeps for it.
fn page_part(i: &Inputs<'_>, id: usize, text: u64, body: u64, schemas: &[u64]) -> u64 {
    let site = i.site;
    let m = i.model;
    let p = &site.pages[id];
    let names_of = |ids: &[usize]| -> Vec<Name> { ids.iter().map(|&p| m.pages[p]).collect() };
    let relations: Vec<(&String, Vec<Name>)> = p
        .relations
        .iter()
        .map(|(k, ids)| (k, names_of(ids)))
        .collect();
    let back: Vec<(&String, Vec<Name>)> = site
        .backrefs
        .relations
        .get(&id)
        .into_iter()
        .flatten()
        .map(|(k, ids)| (k, names_of(ids)))
        .collect();
    let links = site.backrefs.links.get(&id).map(|ids| names_of(ids));
    let related = i.related.get(id).map(|ids| names_of(ids));
    let changed =
        crate::governance::last_changed(&site.changes, p).map(|(d, s)| (d, format!("{s:?}")));
    hash_of((
        text,
        body,
        &p.path,
        m.sections[p.section],
        schemas[p.section],
        (relations, back, links, related),
        changed,
    ))
}

fn page_print(part: u64, neighbours: Neighbours) -> u64 {
    hash_of((part, neighbours))
}

fn section_print(i: &Inputs<'_>, id: usize, text: u64, body: u64) -> u64 {
    let m = i.model;
    let s = &i.site.sections[id];
    let pages: Vec<Name> = s.pages.iter().map(|&p| m.pages[p]).collect();
    let subs: Vec<Name> = s.subsections.iter().map(|&c| m.sections[c]).collect();
    hash_of((
        text,
        body,
        &s.path,
        pages,
        subs,
        s.parent.map(|p| m.sections[p]),
    ))
}

/// A section's summary without its page count, and the count.
fn section_summary_prints(i: &Inputs<'_>, id: usize) -> (u64, u64) {
    let mut summary = i.renderer.section_summary_of(id).clone();
    let count = summary.as_object_mut().and_then(|m| m.remove("page_count"));
    (value_print(&summary), hash_of(count.map(|c| c.to_string())))
}

/// Whether the model and theme have section trees.
fn navs_wanted(i: &Inputs<'_>) -> bool {
    crate::nav::wanted(i.site) && i.theme.has_template(crate::render::NAV_TEMPLATE)
}

fn nav_print(i: &Inputs<'_>, s: usize) -> u64 {
    let base = i.site.config.base_path();
    let url = |p: &str| format!("{base}{p}");
    value_print(&crate::nav::tree(i.site, s, &url))
}

fn taxonomy_print(i: &Inputs<'_>, t: usize) -> u64 {
    let tax = &i.site.taxonomies[t];
    let counts: Vec<(&str, &str, &str, usize)> = tax
        .terms
        .iter()
        .map(|x| {
            (
                x.name.as_str(),
                x.slug.as_str(),
                x.path.as_str(),
                x.pages.len(),
            )
        })
        .collect();
    hash_of((&tax.name, &tax.title, counts))
}

fn term_print(i: &Inputs<'_>, t: usize, x: usize) -> u64 {
    let term = &i.site.taxonomies[t].terms[x];
    let pages: Vec<Name> = term.pages.iter().map(|&p| i.model.pages[p]).collect();
    hash_of((&term.name, &term.slug, pages))
}

fn listing_part(path: &str, meta: &crate::model::Meta) -> u64 {
    hash_of((path, &meta.title, meta.date, meta.updated, &meta.aliases))
}

fn listing_terms(site: &Site) -> u64 {
    let paths: Vec<&str> = site
        .taxonomies
        .iter()
        .flat_map(|t| &t.terms)
        .map(|x| x.path.as_str())
        .collect();
    hash_of(paths)
}

/// The prints of the globals (`site` field by field and whole, `t`,
/// `lang`, `asset()`).
fn global_prints(i: &Inputs<'_>, names: &mut Names) -> Vec<(Key, u64)> {
    let mut out = Vec::new();
    let globals = i.renderer.globals();
    let site_value = globals.get("site");
    if let Some(Value::Object(fields)) = site_value {
        for (k, v) in fields {
            out.push((Key::Global(names.of(&format!("site.{k}"))), value_print(v)));
        }
    }
    if let Some(v) = site_value {
        out.push((Key::Global(names.of("site.*")), value_print(v)));
    }
    for k in ["t", "lang"] {
        if let Some(v) = globals.get(k) {
            out.push((Key::Global(names.of(k)), value_print(v)));
        }
    }
    out.push((Key::Global(names.of("asset()")), i.assets));
    out
}

fn template_prints(i: &Inputs<'_>, names: &mut Names) -> Vec<(Key, u64)> {
    i.theme
        .sources
        .iter()
        .map(|(name, (_, text))| (Key::Template(names.of(name)), hash_of(text)))
        .collect()
}

impl Prints {
    /// Fingerprints every key of a model; texts and bodies that `before`
    /// hashed already (the same allocation) are not hashed again.
    pub(crate) fn of(i: &Inputs<'_>, names: &mut Names, before: Option<&Prints>) -> Prints {
        let site = i.site;
        let m = i.model;
        let mut prints: HashMap<Key, u64> = HashMap::new();
        prints.extend(global_prints(i, names));
        prints.extend(template_prints(i, names));
        // Texts and bodies, hashed only when they are new.
        let docs: Vec<(Name, Hashed<Text>, Hashed<Arc<Rendered>>)> = site
            .pages
            .par_iter()
            .zip(&m.pages)
            .map(|(p, &n)| {
                (
                    n,
                    text_print(before, n, &p.file.text),
                    body_print(before, n, &p.rendered),
                )
            })
            .chain(site.sections.par_iter().zip(&m.sections).map(|(s, &n)| {
                (
                    n,
                    text_print(before, n, &s.file.text),
                    body_print(before, n, &s.rendered),
                )
            }))
            .collect();
        let mut texts = HashMap::with_capacity(docs.len());
        let mut bodies = HashMap::with_capacity(docs.len());
        for (n, t, b) in docs {
            texts.insert(n, t);
            bodies.insert(n, b);
        }
        let schemas: Vec<u64> = site.sections.iter().map(schema_print).collect();
        let neighbours = neighbours_of(site, m);
        let pages: Vec<(Name, u64, Neighbours, u64)> = (0..site.pages.len())
            .into_par_iter()
            .map(|id| {
                let n = m.pages[id];
                let part = page_part(i, id, texts[&n].hash, bodies[&n].hash, &schemas);
                let reused = match (i.fresh, before) {
                    (Some(fresh), Some(b)) if !fresh.contains(&id) => {
                        b.prints.get(&Key::Summary(n)).copied()
                    }
                    _ => None,
                };
                let summary = reused.unwrap_or_else(|| value_print(&i.renderer.page_summary(id)));
                (n, part, neighbours[id], summary)
            })
            .collect();
        let mut parts = HashMap::with_capacity(pages.len());
        for (n, part, near, summary) in pages {
            prints.insert(Key::Page(n), page_print(part, near));
            prints.insert(Key::Summary(n), summary);
            parts.insert(n, (part, near));
        }
        for (id, &n) in m.sections.iter().enumerate() {
            prints.insert(
                Key::Section(n),
                section_print(i, id, texts[&n].hash, bodies[&n].hash),
            );
            let (summary, count) = section_summary_prints(i, id);
            prints.insert(Key::SectionSummary(n), summary);
            prints.insert(Key::SectionCount(n), count);
        }
        let navs = navs_wanted(i);
        if navs {
            let trees: Vec<u64> = (0..site.sections.len())
                .into_par_iter()
                .map(|s| nav_print(i, s))
                .collect();
            for (s, v) in trees.into_iter().enumerate() {
                prints.insert(Key::Nav(m.sections[s]), v);
            }
        }
        for t in 0..site.taxonomies.len() {
            prints.insert(Key::Taxonomy(m.taxonomies[t]), taxonomy_print(i, t));
            for x in 0..site.taxonomies[t].terms.len() {
                prints.insert(Key::Term(m.terms[t][x]), term_print(i, t, x));
            }
        }
        let mut listing: Vec<u64> = site
            .pages
            .iter()
            .map(|p| listing_part(&p.path, &p.meta))
            .chain(site.sections.iter().map(|s| listing_part(&s.path, &s.meta)))
            .collect();
        listing.push(listing_terms(site));
        prints.insert(Key::Listing, hash_of(&listing));
        Prints {
            prints,
            texts,
            bodies,
            pages: parts,
            schemas,
            listing,
            navs,
        }
    }

    /// Fingerprints again what `touched` says an in-place edit changed, and
    /// the cheap keys (globals, section summaries, neighbours); returns the
    /// keys whose print changed. `i.fresh` must name the pages whose
    /// summaries were built anew (`touched`'s pages).
    pub(crate) fn update(&mut self, i: &Inputs<'_>, names: &mut Names, t: &Touched) -> Vec<Key> {
        let site = i.site;
        let m = i.model;
        let mut now: Vec<(Key, u64)> = global_prints(i, names);
        let mut gone: Vec<Key> = Vec::new();
        if t.theme {
            let templates = template_prints(i, names);
            let kept: HashSet<Key> = templates.iter().map(|(k, _)| *k).collect();
            gone.extend(
                self.prints
                    .keys()
                    .filter(|k| matches!(k, Key::Template(_)) && !kept.contains(k))
                    .copied(),
            );
            now.extend(templates);
        }
        // The edited documents' texts and bodies.
        let mut edited_pages: Vec<usize> = Vec::new();
        let mut edited_sections: Vec<usize> = Vec::new();
        for &d in &t.docs {
            let (n, text, body, meta, path) = match d {
                Target::Page(p) => {
                    edited_pages.push(p);
                    let pg = &site.pages[p];
                    (m.pages[p], &pg.file.text, &pg.rendered, &pg.meta, &pg.path)
                }
                Target::Section(s) => {
                    edited_sections.push(s);
                    let sc = &site.sections[s];
                    (
                        m.sections[s],
                        &sc.file.text,
                        &sc.rendered,
                        &sc.meta,
                        &sc.path,
                    )
                }
            };
            let text = text_print(Some(self), n, text);
            let body = body_print(Some(self), n, body);
            self.texts.insert(n, text);
            self.bodies.insert(n, body);
            let at = match d {
                Target::Page(p) => p,
                Target::Section(s) => site.pages.len() + s,
            };
            self.listing[at] = listing_part(path, meta);
        }
        now.push((Key::Listing, hash_of(&self.listing)));
        // Pages: the edited ones, those whose lists may differ, and those
        // whose neighbours moved.
        let mut lists: HashSet<usize> = edited_pages.iter().copied().collect();
        lists.extend(t.lists.iter().copied());
        if t.relinked {
            lists.extend(0..site.pages.len());
        }
        let mut redo: BTreeSet<usize> = lists.iter().copied().collect();
        // Neighbours move only within the sections whose order may differ
        // (a front-matter edit names its pages' sections; a body edit moves
        // no page): not every page's is compared.
        let orders: BTreeSet<usize> = t.orders.iter().copied().collect();
        let mut near_of: HashMap<usize, Neighbours> = HashMap::new();
        if t.relinked {
            near_of.extend(neighbours_of(site, m).into_iter().enumerate());
        } else {
            for &s in &orders {
                near_of.extend(neighbours_in(&site.sections[s], m));
            }
        }
        for (&id, near) in &near_of {
            if self.pages.get(&m.pages[id]).map(|x| x.1) != Some(*near) {
                redo.insert(id);
            }
        }
        for id in redo {
            let n = m.pages[id];
            let near = match near_of.get(&id) {
                Some(&near) => near,
                None => match self.pages.get(&n) {
                    Some(&(_, near)) => near,
                    None => neighbours_in(&site.sections[site.pages[id].section], m)
                        .find(|&(p, _)| p == id)
                        .map_or((None, None), |(_, near)| near),
                },
            };
            let part = if lists.contains(&id) {
                page_part(
                    i,
                    id,
                    self.texts[&n].hash,
                    self.bodies[&n].hash,
                    &self.schemas,
                )
            } else {
                self.pages[&n].0
            };
            self.pages.insert(n, (part, near));
            now.push((Key::Page(n), page_print(part, near)));
        }
        for &p in &edited_pages {
            now.push((
                Key::Summary(m.pages[p]),
                value_print(&i.renderer.page_summary(p)),
            ));
        }
        // Sections: every summary (a few small values), the own print of
        // the edited ones and of those whose order may differ.
        for (id, &n) in m.sections.iter().enumerate() {
            let (summary, count) = section_summary_prints(i, id);
            now.push((Key::SectionSummary(n), summary));
            now.push((Key::SectionCount(n), count));
        }
        let mut own: BTreeSet<usize> = edited_sections.iter().copied().collect();
        own.extend(t.orders.iter().copied());
        for id in own {
            let n = m.sections[id];
            now.push((
                Key::Section(n),
                section_print(i, id, self.texts[&n].hash, self.bodies[&n].hash),
            ));
        }
        // Section trees: a page shows in the trees of the sections below
        // its own, a section in those below its parent.
        let navs = navs_wanted(i);
        if navs {
            let mut shown: HashSet<usize> = t.orders.iter().copied().collect();
            shown.extend(edited_pages.iter().map(|&p| site.pages[p].section));
            shown.extend(
                edited_sections
                    .iter()
                    .map(|&s| site.sections[s].parent.unwrap_or(s)),
            );
            let all = navs != self.navs;
            for s in 0..site.sections.len() {
                if all || site.section_chain(s).iter().any(|c| shown.contains(c)) {
                    now.push((Key::Nav(m.sections[s]), nav_print(i, s)));
                }
            }
        } else if self.navs {
            gone.extend(
                self.prints
                    .keys()
                    .filter(|k| matches!(k, Key::Nav(_)))
                    .copied(),
            );
        }
        self.navs = navs;
        let mut taxonomies: BTreeSet<usize> = BTreeSet::new();
        for &(tx, x) in &t.terms {
            now.push((Key::Term(m.terms[tx][x]), term_print(i, tx, x)));
            taxonomies.insert(tx);
        }
        for tx in taxonomies {
            now.push((Key::Taxonomy(m.taxonomies[tx]), taxonomy_print(i, tx)));
        }
        let mut changed: Vec<Key> = Vec::new();
        for (k, v) in now {
            if self.prints.insert(k, v) != Some(v) {
                changed.push(k);
            }
        }
        for k in gone {
            self.prints.remove(&k);
            changed.push(k);
        }
        changed.sort_unstable();
        changed.dedup();
        #[cfg(debug_assertions)]
        self.check(i, names);
        changed
    }

    /// In debug builds (the tests): the prints kept up to date by
    /// [`Prints::update`] must equal a fingerprinting of everything.
    #[cfg(debug_assertions)]
    fn check(&self, i: &Inputs<'_>, names: &mut Names) {
        let all = Inputs { fresh: None, ..*i };
        let full = Prints::of(&all, names, None);
        let mut wrong: Vec<String> = full
            .changed(self)
            .into_iter()
            .map(|k| format!("{k:?} {}", names.text_of(&k)))
            .collect();
        wrong.sort();
        assert!(
            wrong.is_empty(),
            "incrementele vingerafdrukken wijken af: {wrong:?}"
        );
    }

    /// Keys whose print differs between `self` (before) and `now`.
    pub(crate) fn changed(&self, now: &Prints) -> Vec<Key> {
        let mut out: Vec<Key> = now
            .prints
            .iter()
            .filter(|(k, v)| self.prints.get(k) != Some(v))
            .map(|(k, _)| *k)
            .collect();
        out.extend(
            self.prints
                .keys()
                .filter(|k| !now.prints.contains_key(k))
                .copied(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> Index<u8, char> {
        let mut ix = Index::default();
        ix.record(1, vec!['a', 'b', 'b']);
        ix.record(2, vec!['b', 'c']);
        ix.record(3, vec!['d']);
        ix
    }

    #[test]
    fn readers_of_a_key_are_the_outputs_that_recorded_it() {
        let ix = index();
        assert_eq!(ix.readers(&['b']), BTreeSet::from([1, 2]));
        assert_eq!(ix.readers(&['a', 'd']), BTreeSet::from([1, 3]));
        assert!(ix.readers(&['z']).is_empty());
        assert_eq!(ix.reads_of(&1), &['a', 'b']);
    }

    #[test]
    fn recording_again_replaces_the_old_keys_both_ways() {
        let mut ix = index();
        ix.record(1, vec!['c']);
        assert_eq!(ix.reads_of(&1), &['c']);
        assert!(ix.readers(&['a']).is_empty(), "old key kept a reader");
        assert_eq!(ix.readers(&['b']), BTreeSet::from([2]));
        assert_eq!(ix.readers(&['c']), BTreeSet::from([1, 2]));
    }

    #[test]
    fn a_forgotten_output_is_nobody_s_reader() {
        let mut ix = index();
        ix.forget(2);
        assert!(!ix.is_recorded(&2));
        assert!(ix.is_recorded(&1));
        assert_eq!(ix.readers(&['b', 'c']), BTreeSet::from([1]));
        assert!(!ix.readers.contains_key(&'c'), "an empty reader set stays");
        ix.forget(2);
        assert_eq!(ix.recorded().count(), 2);
    }

    #[test]
    fn names_keep_their_number() {
        let mut n = Names::default();
        let a = n.of("pilots/a.md");
        let b = n.of("pilots/b.md");
        assert_ne!(a, b);
        assert_eq!(n.of("pilots/a.md"), a);
        assert_eq!(n.get("pilots/b.md"), Some(b));
        assert_eq!(n.text(b), "pilots/b.md");
        assert_eq!(n.get("pilots/c.md"), None);
    }

    /// The built-in default theme, as a site without a themes/ folder gets it.
    fn default_theme() -> Theme {
        let dir = tempfile::tempdir().unwrap();
        crate::theme::load_theme(dir.path(), "default", "nl", "/", &[]).unwrap()
    }

    #[test]
    fn a_page_depends_on_the_templates_it_extends_and_includes_and_the_globals_they_name() {
        let theme = default_theme();
        let mut names = Names::default();
        let keys = template_keys(&theme, "page.html", &mut names);
        let has = |k: Key| keys.contains(&k);
        // Cards and chrome are rendered by the engine, which records them
        // as read when a render uses them (tests/incremental.rs edits them).
        for t in ["page.html", "base.html", "macros.html"] {
            assert!(has(Key::Template(names.of(t))), "{t} missing from {keys:?}");
        }
        // The footer (chrome) shows the build date; only section lists show
        // every section's page count.
        let footer = template_keys(&theme, "partials/chrome/footer.html", &mut names);
        assert!(footer.contains(&Key::Global(names.of("site.build_date"))));
        assert!(!has(Key::Global(names.of("site.build_date"))));
        assert!(has(Key::Global(names.of("t"))));
        assert!(!has(Key::Global(names.of("site.sections"))));
        assert!(!has(Key::Global(names.of("site.*"))), "{keys:?}");
        assert!(!has(Key::Global(names.of(COUNT_MARK))));
        let section = template_keys(&theme, "section.html", &mut names);
        assert!(section.contains(&Key::Global(names.of(COUNT_MARK))));
        assert!(section.contains(&Key::Global(names.of("site.sections"))));
    }

    #[test]
    fn value_prints_tell_values_apart() {
        let a = serde_json::json!({"title": "A", "n": [1, 2]});
        let b = serde_json::json!({"title": "A", "n": [2, 1]});
        assert_eq!(value_print(&a), value_print(&a.clone()));
        assert_ne!(value_print(&a), value_print(&b));
        assert_ne!(
            value_print(&serde_json::json!("1")),
            value_print(&serde_json::json!(1))
        );
    }
}
