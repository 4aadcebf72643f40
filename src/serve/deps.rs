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

use crate::model::{Rendered, Site, Target};
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

    #[cfg(test)]
    pub(crate) fn text(&self, n: Name) -> &str {
        &self.texts[n.0 as usize]
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

/// A hash of a text and the text it was made of: an unchanged text (the
/// same shared allocation) is not hashed again.
#[derive(Debug)]
struct Hashed<T: ?Sized> {
    of: Arc<T>,
    hash: u64,
}

impl<T: ?Sized> Clone for Hashed<T> {
    fn clone(&self) -> Self {
        Hashed {
            of: Arc::clone(&self.of),
            hash: self.hash,
        }
    }
}

/// Fingerprints of every key of one model: a key changed when its print
/// differs (or it is new, or gone).
#[derive(Debug, Default)]
pub(crate) struct Prints {
    prints: HashMap<Key, u64>,
    texts: HashMap<Name, Hashed<str>>,
    bodies: HashMap<Name, Hashed<Rendered>>,
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

impl Prints {
    /// Fingerprints every key of a model; texts and bodies that `before`
    /// hashed already (the same allocation) are not hashed again.
    pub(crate) fn of(i: &Inputs<'_>, names: &mut Names, before: Option<&Prints>) -> Prints {
        let site = i.site;
        let m = i.model;
        let mut prints: HashMap<Key, u64> = HashMap::new();
        // Globals, field by field.
        let globals = i.renderer.globals();
        let site_value = globals.get("site");
        if let Some(Value::Object(fields)) = site_value {
            for (k, v) in fields {
                prints.insert(Key::Global(names.of(&format!("site.{k}"))), value_print(v));
            }
        }
        if let Some(v) = site_value {
            prints.insert(Key::Global(names.of("site.*")), value_print(v));
        }
        for k in ["t", "lang"] {
            if let Some(v) = globals.get(k) {
                prints.insert(Key::Global(names.of(k)), value_print(v));
            }
        }
        prints.insert(Key::Global(names.of("asset()")), i.assets);
        for (name, (_, text)) in &i.theme.sources {
            prints.insert(Key::Template(names.of(name)), hash_of(text));
        }
        // Texts and bodies, hashed only when they are new.
        let text_of = |name: Name, text: &Arc<str>| -> Hashed<str> {
            match before.and_then(|b| b.texts.get(&name)) {
                Some(h) if Arc::ptr_eq(&h.of, text) => h.clone(),
                _ => Hashed {
                    of: Arc::clone(text),
                    hash: hash_of(&**text),
                },
            }
        };
        let body_of = |name: Name, body: &Arc<Rendered>| -> Hashed<Rendered> {
            match before.and_then(|b| b.bodies.get(&name)) {
                Some(h) if Arc::ptr_eq(&h.of, body) => h.clone(),
                // What a context shows of a body.
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
        };
        let docs: Vec<(Name, Hashed<str>, Hashed<Rendered>)> = site
            .pages
            .par_iter()
            .zip(&m.pages)
            .map(|(p, &n)| (n, text_of(n, &p.file.text), body_of(n, &p.rendered)))
            .chain(
                site.sections
                    .par_iter()
                    .zip(&m.sections)
                    .map(|(s, &n)| (n, text_of(n, &s.file.text), body_of(n, &s.rendered))),
            )
            .collect();
        let mut texts = HashMap::with_capacity(docs.len());
        let mut bodies = HashMap::with_capacity(docs.len());
        for (n, t, b) in docs {
            texts.insert(n, t);
            bodies.insert(n, b);
        }
        let schema_prints: Vec<u64> = site
            .sections
            .iter()
            .map(|s| hash_of(format!("{:?}", s.schema)))
            .collect();
        let names_of = |ids: &[usize]| -> Vec<Name> { ids.iter().map(|&p| m.pages[p]).collect() };
        // Each page's neighbours in its section's list (prev/next).
        let mut neighbours: Vec<(Option<Name>, Option<Name>)> =
            vec![(None, None); site.pages.len()];
        for sec in &site.sections {
            for (i, &p) in sec.pages.iter().enumerate() {
                let prev = i.checked_sub(1).map(|j| m.pages[sec.pages[j]]);
                let next = sec.pages.get(i + 1).map(|&x| m.pages[x]);
                neighbours[p] = (prev, next);
            }
        }
        // A page as its own output shows it: its text (front matter
        // included) and body, and the lists the model keeps for it.
        let pages: Vec<(Key, u64, Key, u64)> = (0..site.pages.len())
            .into_par_iter()
            .map(|id| {
                let p = &site.pages[id];
                let n = m.pages[id];
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
                let changed = crate::governance::last_changed(&site.changes, p)
                    .map(|(d, s)| (d, format!("{s:?}")));
                let own = hash_of((
                    texts[&n].hash,
                    bodies[&n].hash,
                    &p.path,
                    m.sections[p.section],
                    schema_prints[p.section],
                    neighbours[id],
                    (relations, back, links, related),
                    changed,
                ));
                let reused = match (i.fresh, before) {
                    (Some(fresh), Some(b)) if !fresh.contains(&id) => {
                        b.prints.get(&Key::Summary(n)).copied()
                    }
                    _ => None,
                };
                let summary = reused.unwrap_or_else(|| value_print(i.renderer.page_summary_of(id)));
                (Key::Page(n), own, Key::Summary(n), summary)
            })
            .collect();
        for (k, v, s, w) in pages {
            prints.insert(k, v);
            prints.insert(s, w);
        }
        for (id, s) in site.sections.iter().enumerate() {
            let n = m.sections[id];
            let subs: Vec<Name> = s.subsections.iter().map(|&c| m.sections[c]).collect();
            let own = hash_of((
                texts[&n].hash,
                bodies[&n].hash,
                &s.path,
                names_of(&s.pages),
                subs,
                s.parent.map(|p| m.sections[p]),
            ));
            prints.insert(Key::Section(n), own);
            let mut summary = i.renderer.section_summary_of(id).clone();
            let count = summary.as_object_mut().and_then(|m| m.remove("page_count"));
            prints.insert(Key::SectionSummary(n), value_print(&summary));
            prints.insert(Key::SectionCount(n), hash_of(count.map(|c| c.to_string())));
        }
        if crate::nav::wanted(site) && i.theme.has_template(crate::render::NAV_TEMPLATE) {
            let base = site.config.base_path();
            let url = |p: &str| format!("{base}{p}");
            let navs: Vec<u64> = (0..site.sections.len())
                .into_par_iter()
                .map(|s| value_print(&crate::nav::tree(site, s, &url)))
                .collect();
            for (s, v) in navs.into_iter().enumerate() {
                prints.insert(Key::Nav(m.sections[s]), v);
            }
        }
        for (t, tax) in site.taxonomies.iter().enumerate() {
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
            prints.insert(
                Key::Taxonomy(m.taxonomies[t]),
                hash_of((&tax.name, &tax.title, counts)),
            );
            for (x, term) in tax.terms.iter().enumerate() {
                prints.insert(
                    Key::Term(m.terms[t][x]),
                    hash_of((&term.name, &term.slug, names_of(&term.pages))),
                );
            }
        }
        let metas = site
            .pages
            .iter()
            .map(|p| (&p.path, &p.meta))
            .chain(site.sections.iter().map(|s| (&s.path, &s.meta)));
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for (path, meta) in metas {
            (path, &meta.title, meta.date, meta.updated, &meta.aliases).hash(&mut h);
        }
        for tax in &site.taxonomies {
            for term in &tax.terms {
                term.path.hash(&mut h);
            }
        }
        prints.insert(Key::Listing, h.finish());
        Prints {
            prints,
            texts,
            bodies,
        }
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
        for t in [
            "page.html",
            "base.html",
            "macros.html",
            "partials/kaart.html",
        ] {
            assert!(has(Key::Template(names.of(t))), "{t} missing from {keys:?}");
        }
        // The footer shows the build date; only section lists show every
        // section's page count.
        assert!(has(Key::Global(names.of("site.build_date"))));
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
