//! Our own index writer, in Pagefind 1.6's format (read back by
//! [`super::bundle`]), so the browser keeps Pagefind's runtime while we
//! choose the index keys and the cost.
//!
//! - Each page is analysed on the thread that rendered it: its fragment
//!   (gzipped JSON, named by its content hash) is returned at once, to be
//!   written beside the page, and its postings go into a compact run: one
//!   byte string per index key, shared by the pages a thread handled.
//! - At the end the runs are sorted and merged key by key (a k-way merge),
//!   compounds give their postings to their parts ([`super::dutch`]), and
//!   the words are cut into chunks that are encoded and gzipped in parallel.
//! - Pages are numbered in URL order, whatever order they were rendered
//!   in, so every build of the same site writes the same bytes.
//!
//! Field values and taxonomy terms are indexed as a metadata field
//! (`meta_locs`), not as text: they find the page and filter it, but the
//! browser never builds an excerpt from them (excerpts come from `locs`,
//! positions in `content`, which holds only title, description and body).

use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use sha1::{Digest, Sha1};

use super::format::{
    FilterIndex, MetaChunk, MetaFilter, MetaIndex, MetaPage, PackedPage, PackedValue,
    PackedVariant, PackedWord,
};
use super::record::Record;
use super::text::{self, Text, BODY};
use super::{dutch, BUNDLE_DIR};
use crate::error::Diagnostic;
use crate::render::OutputFile;

/// The signature Pagefind expects at the start of every gzipped file.
const SIGNATURE: &[u8] = b"pagefind_dcd";
/// Locations per chunk, roughly: a quarter of Pagefind's default, so a
/// query fetches a quarter of the postings it does not need (at 10,000
/// pages a chunk of 20,000 was a sixth of a query's bytes) for a longer
/// chunk list in `pf_meta`.
pub(super) const CHUNK_SIZE: usize = 5_000;
/// A thread's run is sorted and set aside beyond this many bytes.
const RUN_BYTES: usize = 32 << 20;
/// The metadata fields whose words are indexed (as `meta_locs`), sorted:
/// their position is the field id. `velden` holds the page's field values
/// and taxonomy terms; it is searchable but not part of the fragment.
pub const META_FIELDS: [&str; 5] = ["date", "description", "section", "title", FACTS];
pub const FACTS: &str = "velden";
/// Hex digits of the content hash in a file name: 40 bits, so a clash is
/// unlikely even at 100,000 pages (`pf_meta`, fetched for every search,
/// holds one per page); a clash still gets a longer name.
const HASH_DIGITS: usize = 10;

/// One page's postings for one key.
#[derive(Debug, Default, Clone)]
pub(super) struct Posting {
    pub(super) page: u32,
    /// (position, weight).
    pub(super) locs: Vec<(u32, u8)>,
    /// (field id, position).
    pub(super) meta: Vec<(u16, u32)>,
}

/// Sorted (key, postings): per key, one posting per page as varints (page
/// slot, location count, locations ([`put_loc`]), metadata count, (field,
/// position)…).
///
/// The postings of all keys are in one buffer, exactly sized: a buffer per
/// key would hold a quarter more in unused capacity.
#[derive(Default)]
struct Run {
    /// (key, start, end in `bytes`), sorted by key.
    keys: Vec<(Box<str>, usize, usize)>,
    bytes: Vec<u8>,
}

impl Run {
    /// A run of `entries` (in any order).
    fn of(mut entries: Vec<(Box<str>, Vec<u8>)>) -> Run {
        entries.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut run = Run {
            keys: Vec::with_capacity(entries.len()),
            bytes: Vec::with_capacity(entries.iter().map(|e| e.1.len()).sum()),
        };
        for (k, b) in entries {
            let start = run.bytes.len();
            run.bytes.extend_from_slice(&b);
            run.keys.push((k, start, run.bytes.len()));
        }
        run
    }

    fn len(&self) -> usize {
        self.keys.len()
    }

    fn key(&self, i: usize) -> &str {
        &self.keys[i].0
    }

    fn blob(&self, i: usize) -> &[u8] {
        let (_, a, b) = self.keys[i];
        &self.bytes[a..b]
    }

    /// The first index whose key is not below `k`.
    fn find(&self, k: &str) -> usize {
        self.keys.partition_point(|e| &*e.0 < k)
    }
}

fn put_varint(buf: &mut Vec<u8>, mut v: u32) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            buf.push(b);
            return;
        }
        buf.push(b | 0x80);
    }
}

fn get_varint(buf: &[u8], at: &mut usize) -> u32 {
    let mut v = 0u32;
    let mut shift = 0;
    loop {
        let b = buf[*at];
        *at += 1;
        v |= u32::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return v;
        }
        shift += 7;
    }
}

/// A location as a run holds it: the distance from the posting's previous
/// position (ascending), shifted left, its low bit set when a weight byte
/// follows (the body's weight has none), so most take one byte.
fn put_loc(buf: &mut Vec<u8>, delta: u32, w: u8) {
    if w == BODY {
        put_varint(buf, delta << 1);
    } else {
        put_varint(buf, (delta << 1) | 1);
        buf.push(w);
    }
}

fn get_loc(buf: &[u8], at: &mut usize) -> (u32, u8) {
    let v = get_varint(buf, at);
    if v & 1 == 0 {
        (v >> 1, BODY)
    } else {
        let w = buf[*at];
        *at += 1;
        (v >> 1, w)
    }
}

/// The postings of `buf` (as [`Worker::absorb`] writes them) into
/// `out[*used..]`, reusing the postings (and their buffers) already there:
/// the merge decodes every posting once.
fn decode_postings_reusing(buf: &[u8], out: &mut Vec<Posting>, used: &mut usize) {
    let mut at = 0;
    while at < buf.len() {
        if *used == out.len() {
            out.push(Posting::default());
        }
        let p = &mut out[*used];
        *used += 1;
        p.page = get_varint(buf, &mut at);
        get_posting(buf, &mut at, p);
    }
}

/// One posting's locations and metadata (what [`put_posting`] wrote) into
/// `p`, reusing its buffers.
fn get_posting(buf: &[u8], at: &mut usize, p: &mut Posting) {
    let n = get_varint(buf, at) as usize;
    p.locs.clear();
    let mut pos = 0;
    for _ in 0..n {
        let (delta, w) = get_loc(buf, at);
        pos += delta;
        p.locs.push((pos, w));
    }
    let m = get_varint(buf, at) as usize;
    p.meta.clear();
    for _ in 0..m {
        let f = get_varint(buf, at) as u16;
        let pos = get_varint(buf, at);
        p.meta.push((f, pos));
    }
}

/// One key's locations (positions ascending) and metadata, varint-coded.
fn put_posting(buf: &mut Vec<u8>, locs: &[(u32, u32, u8)], meta: &[(u32, u16, u32)]) {
    put_varint(buf, locs.len() as u32);
    let mut last = 0;
    for &(_, pos, w) in locs {
        put_loc(buf, pos - last, w);
        last = pos;
    }
    put_varint(buf, meta.len() as u32);
    for &(_, f, pos) in meta {
        put_varint(buf, u32::from(f));
        put_varint(buf, pos);
    }
}

/// The index keys of one word as written (`Geïnformeerd,`): its key, the
/// form with diacritics when it has them (Pagefind's variant), and the keys
/// of its parts when punctuation joins several (`monitoring-en-beheer`).
pub struct WordKeys {
    pub key: String,
    pub variant: Option<String>,
    pub parts: Vec<String>,
}

/// The key a normalised word is indexed under in `language`.
pub(crate) fn key_of(normalised: &str, dutch_stem: bool) -> String {
    if dutch_stem {
        dutch::stem(normalised)
    } else {
        normalised.to_string()
    }
}

fn fold(lower_alnum: &str) -> String {
    dutch::normalise(lower_alnum)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

pub fn word_keys(token: &str, dutch_stem: bool) -> Option<WordKeys> {
    // Most words are ASCII: lowercase is all the folding they need, and
    // only a word with punctuation inside has parts (a third of the index
    // time went to the general path's allocations).
    let (lower, folded, joined) = if token.is_ascii() {
        let lower: String = token
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| char::from(b.to_ascii_lowercase()))
            .collect();
        let joined = lower.len() < token.len();
        (lower, None, joined)
    } else {
        let lower: String = token
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        let folded = fold(&lower);
        (lower, Some(folded), true)
    };
    if lower.is_empty() {
        return None;
    }
    let folded = folded.as_ref().unwrap_or(&lower);
    if folded.is_empty() {
        return None;
    }
    let key = key_of(folded, dutch_stem);
    let variant = (*folded != lower).then_some(lower);
    if !joined {
        return Some(WordKeys {
            key,
            variant,
            parts: Vec::new(),
        });
    }
    let runs: Vec<&str> = token
        .split(|c: char| !c.is_alphanumeric())
        .filter(|r| !r.is_empty())
        .collect();
    let mut parts = Vec::new();
    if runs.len() > 1 {
        for r in runs {
            if r.chars().count() < 2 {
                continue;
            }
            let lower: String = r.chars().flat_map(char::to_lowercase).collect();
            let f = fold(&lower);
            if !f.is_empty() {
                let k = key_of(&f, dutch_stem);
                if k != key && !parts.contains(&k) {
                    parts.push(k);
                }
            }
        }
    }
    Some(WordKeys {
        key,
        variant,
        parts,
    })
}

pub(super) fn run_key(key: &str, variant: Option<&str>) -> String {
    match variant {
        Some(v) => format!("{key}\0{v}"),
        None => key.to_string(),
    }
}

/// The keys of the tokens a thread has met, across pages: a site repeats
/// its words, so each distinct token is analysed once per thread rather
/// than once per page (making keys, with their allocations, was a tenth of
/// a 10,000-page build's CPU time).
#[derive(Default)]
struct Vocab {
    tokens: FxHashMap<Box<str>, Option<TokenKeys>>,
    /// Key id → key (a run key or a part's key).
    keys: Vec<Arc<str>>,
    ids: FxHashMap<Arc<str>, u32>,
    /// The part key ids of every token, `TokenKeys::parts` indexes them.
    parts: Vec<u32>,
}

#[derive(Clone, Copy)]
struct TokenKeys {
    key: u32,
    /// Range in [`Vocab::parts`].
    parts: (u32, u32),
}

/// A thread's [`Vocab`] is dropped beyond this many tokens, so that a
/// site with an unbounded vocabulary (numbers, codes) stays bounded.
const VOCAB_TOKENS: usize = 1 << 20;

impl Vocab {
    fn id(&mut self, key: String) -> u32 {
        if let Some(&id) = self.ids.get(key.as_str()) {
            return id;
        }
        let id = self.keys.len() as u32;
        let key: Arc<str> = key.into();
        self.keys.push(key.clone());
        self.ids.insert(key, id);
        id
    }

    /// The keys of `token` as written, made the first time it is met.
    fn token(&mut self, token: &str, dutch: bool) -> Option<TokenKeys> {
        if let Some(k) = self.tokens.get(token) {
            return *k;
        }
        let keys = word_keys(token, dutch).map(|k| {
            let key = self.id(run_key(&k.key, k.variant.as_deref()));
            let start = self.parts.len() as u32;
            for part in k.parts {
                let id = self.id(part);
                self.parts.push(id);
            }
            TokenKeys {
                key,
                parts: (start, self.parts.len() as u32),
            }
        });
        self.tokens.insert(token.into(), keys);
        keys
    }

    fn parts(&self, k: TokenKeys) -> &[u32] {
        &self.parts[k.parts.0 as usize..k.parts.1 as usize]
    }
}

/// One page's key occurrences, by key id ([`Vocab`]).
#[derive(Default)]
struct Occurrences {
    /// (key id, position, weight), in page order.
    locs: Vec<(u32, u32, u8)>,
    /// (key id, field id, position in the field), in page order.
    meta: Vec<(u32, u16, u32)>,
}

impl Occurrences {
    /// By key; each key's positions stay ascending (the sort is stable) and
    /// its metadata sorted without repeats.
    fn sort(&mut self) {
        self.locs.sort_by_key(|l| l.0);
        self.meta.sort_unstable();
        self.meta.dedup();
    }

    /// Calls `f` once per key, with its locations and metadata (sorted first).
    fn each_key(&self, mut f: impl FnMut(u32, &[(u32, u32, u8)], &[(u32, u16, u32)])) {
        let (locs, meta) = (&self.locs[..], &self.meta[..]);
        let (mut i, mut j) = (0, 0);
        while i < locs.len() || j < meta.len() {
            let id = match (locs.get(i), meta.get(j)) {
                (Some(l), Some(m)) => l.0.min(m.0),
                (Some(l), None) => l.0,
                (None, Some(m)) => m.0,
                (None, None) => break,
            };
            let li = i;
            while i < locs.len() && locs[i].0 == id {
                i += 1;
            }
            let mj = j;
            while j < meta.len() && meta[j].0 == id {
                j += 1;
            }
            f(id, &locs[li..i], &meta[mj..j]);
        }
    }

    fn clear(&mut self) {
        self.locs.clear();
        self.meta.clear();
    }
}

/// One page's postings as `serve` keeps them for its incremental index:
/// the keys sorted, each key's posting varint-coded as [`Worker::absorb`]
/// writes it (without the page) in one buffer. A `Posting` with two
/// vectors per key had held about four times the bytes (21 KB a page of
/// gen_corpus.py).
#[derive(Debug, Clone, Default)]
pub(super) struct PagePostings {
    /// (key, end of its posting in `bytes`), sorted by key.
    keys: Vec<(Arc<str>, u32)>,
    bytes: Vec<u8>,
}

impl PagePostings {
    fn of(vocab: &Vocab, occ: &mut Occurrences) -> PagePostings {
        occ.sort();
        let mut scratch = Vec::new();
        let mut spans: Vec<(&Arc<str>, usize, usize)> = Vec::new();
        occ.each_key(|id, locs, meta| {
            let start = scratch.len();
            put_posting(&mut scratch, locs, meta);
            spans.push((&vocab.keys[id as usize], start, scratch.len()));
        });
        spans.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut out = PagePostings {
            keys: Vec::with_capacity(spans.len()),
            bytes: Vec::with_capacity(scratch.len()),
        };
        for (key, start, end) in spans {
            out.bytes.extend_from_slice(&scratch[start..end]);
            out.keys.push((key.clone(), out.bytes.len() as u32));
        }
        out
    }

    /// The keys, sorted.
    pub(super) fn keys(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(k, _)| &**k)
    }

    /// Each key with its coded posting: equal bytes, equal postings.
    pub(super) fn coded(&self) -> impl Iterator<Item = (&str, &[u8])> {
        let starts = std::iter::once(0).chain(self.keys.iter().map(|&(_, end)| end));
        self.keys
            .iter()
            .zip(starts)
            .map(|((k, end), start)| (&**k, &self.bytes[start as usize..*end as usize]))
    }

    /// Key `key`'s posting, decoded (its page left at 0).
    pub(super) fn get(&self, key: &str) -> Option<Posting> {
        let i = self.keys.binary_search_by(|(k, _)| (**k).cmp(key)).ok()?;
        let start = match i {
            0 => 0,
            _ => self.keys[i - 1].1 as usize,
        };
        let mut p = Posting::default();
        get_posting(&self.bytes[start..self.keys[i].1 as usize], &mut 0, &mut p);
        Some(p)
    }
}

/// What one thread analysing pages keeps between them: its vocabulary and
/// its run, the postings of its pages per key id, as [`Run`] holds them.
#[derive(Default)]
struct Worker {
    vocab: Vocab,
    run: Vec<Vec<u8>>,
    bytes: usize,
    /// Scratch for one page.
    occ: Occurrences,
}

impl Worker {
    /// Appends page `slot`'s postings to the run: the occurrences sorted by
    /// key, one posting per key (its order within a posting does not
    /// matter: [`pack_pages`] sorts and deduplicates).
    fn absorb(&mut self, slot: u32, occ: &mut Occurrences) {
        occ.sort();
        if self.run.len() < self.vocab.keys.len() {
            self.run.resize_with(self.vocab.keys.len(), Vec::new);
        }
        let (run, keys, bytes) = (&mut self.run, &self.vocab.keys, &mut self.bytes);
        occ.each_key(|id, locs, meta| {
            let buf = &mut run[id as usize];
            if buf.is_empty() {
                *bytes += keys[id as usize].len() + 48;
            }
            let before = buf.len();
            put_varint(buf, slot);
            put_posting(buf, locs, meta);
            *bytes += buf.len() - before;
        });
    }

    /// The run so far, sorted by key, and an empty one in its place.
    fn seal(&mut self) -> Option<Run> {
        self.bytes = 0;
        let run = std::mem::take(&mut self.run);
        let v: Vec<(Box<str>, Vec<u8>)> = run
            .into_iter()
            .enumerate()
            .filter(|(_, b)| !b.is_empty())
            .map(|(id, b)| (Box::from(&*self.vocab.keys[id]), b))
            .collect();
        (!v.is_empty()).then(|| Run::of(v))
    }
}

fn page_text_of(r: &Record) -> Text {
    let body = r.body.search_html();
    text::page_text(
        &r.title,
        r.meta.get("description").map(String::as_str),
        &body,
    )
}

/// Writes the index of a site's pages; pages may be added from any thread.
pub(crate) struct IndexWriter {
    language: String,
    dutch: bool,
    /// URL → page slot, in URL order.
    slots: HashMap<String, u32>,
    /// Per slot: (fragment name, word count) once added.
    pages: Mutex<Vec<Option<(String, u32)>>>,
    /// One per thread analysing pages, taken and put back per page.
    workers: Mutex<Vec<Worker>>,
    runs: Mutex<Vec<Run>>,
    /// (filter, value, slot).
    filters: Mutex<Vec<(String, String, u32)>>,
    /// The fragments' SHA-1s, XORed: the cache token of their names.
    digest: Mutex<[u8; 20]>,
    words: AtomicUsize,
    micros: AtomicU64,
}

/// One page's part of the index (kept by `serve`'s incremental index).
pub(super) struct PageIndex {
    pub(super) fragment: OutputFile,
    pub(super) name: String,
    /// URL order; the fragment's name is this in base 36.
    pub(super) slot: u32,
    /// SHA-1 of the fragment's JSON.
    pub(super) digest: [u8; 20],
    pub(super) word_count: u32,
    pub(super) words: usize,
    /// Empty but in `serve` ([`IndexWriter::analyse`]).
    pub(super) postings: PagePostings,
    pub(super) filters: Vec<(String, String)>,
}

/// What [`IndexWriter::finish`] made.
pub(crate) struct Finished {
    pub files: Vec<OutputFile>,
    pub pages: usize,
    pub words: usize,
    /// Thread time spent adding pages.
    pub adding: Duration,
}

impl IndexWriter {
    /// A writer for the pages at `urls` (each `/`-rooted, as in a record).
    pub(crate) fn new<'a>(language: &str, urls: impl Iterator<Item = &'a str>) -> IndexWriter {
        let mut urls: Vec<String> = urls
            .map(|u| format!("/{}", u.trim_start_matches('/')))
            .collect();
        urls.sort_unstable();
        urls.dedup();
        let n = urls.len();
        let slots = urls
            .into_iter()
            .enumerate()
            .map(|(i, u)| (u, i as u32))
            .collect();
        IndexWriter {
            language: language.to_string(),
            dutch: language.split('-').next() == Some("nl"),
            slots,
            pages: Mutex::new(vec![None; n]),
            workers: Mutex::new(Vec::new()),
            runs: Mutex::new(Vec::new()),
            filters: Mutex::new(Vec::new()),
            digest: Mutex::new([0; 20]),
            words: AtomicUsize::new(0),
            micros: AtomicU64::new(0),
        }
    }

    /// Indexes one page; returns its fragment file, to be written now.
    /// The page's postings go straight into the thread's run by key id:
    /// no key is hashed as a string and no posting is allocated per key.
    pub(crate) fn add(&self, r: &Record) -> Result<OutputFile, Diagnostic> {
        let start = Instant::now();
        let slot = self.slot(&r.url)?;
        let mut worker = borrow(&self.workers)?;
        if worker.vocab.tokens.len() > VOCAB_TOKENS {
            // Key ids are the vocabulary's: the run goes with it.
            if let Some(run) = worker.seal() {
                self.runs.lock().map_err(|_| poisoned())?.push(run);
            }
            worker = Worker::default();
        }
        let text = page_text_of(r);
        let facts = r.facts.join(" ");
        let mut occ = std::mem::take(&mut worker.occ);
        occ.clear();
        self.occurrences(&mut worker.vocab, r, &text, &facts, &mut occ);
        worker.absorb(slot, &mut occ);
        worker.occ = occ;
        if worker.bytes > RUN_BYTES {
            if let Some(run) = worker.seal() {
                self.runs.lock().map_err(|_| poisoned())?.push(run);
            }
        }
        self.workers.lock().map_err(|_| poisoned())?.push(worker);
        let page = self.page_parts(r, &text, slot)?;
        self.record(slot, &page)?;
        self.micros
            .fetch_add(start.elapsed().as_micros() as u64, Ordering::Relaxed);
        Ok(page.fragment)
    }

    fn slot(&self, url: &str) -> Result<u32, Diagnostic> {
        self.slots.get(url).copied().ok_or_else(|| {
            super::failure(format!(
                "zoekindex: pagina {url} stond niet in de lijst van te indexeren pagina's"
            ))
        })
    }

    /// Every occurrence of an index key on page `r`, in page order: the
    /// text's words (a joined word's parts before the word), then the
    /// metadata fields' words.
    fn occurrences(
        &self,
        vocab: &mut Vocab,
        r: &Record,
        text: &Text,
        facts: &str,
        out: &mut Occurrences,
    ) {
        for (i, &(_, _, weight)) in text.words.iter().enumerate() {
            let Some(k) = vocab.token(text.word(i), self.dutch) else {
                continue;
            };
            let pos = i as u32;
            let parts = vocab.parts(k);
            // Parts of a joined word weigh a share of it, as in Pagefind.
            let part_weight = (weight / (parts.len().max(1) as u8)).max(1);
            for &part in parts {
                out.locs.push((part, pos, part_weight));
            }
            out.locs.push((k.key, pos, weight));
        }
        let mut meta: Vec<(&str, &str)> = r
            .meta
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        meta.push(("title", &r.title));
        meta.push((FACTS, facts));
        for (field, value) in meta {
            let Some(id) = META_FIELDS.iter().position(|f| *f == field) else {
                continue;
            };
            for (pos, token) in value
                .split(text::is_space)
                .filter(|t| !t.is_empty())
                .enumerate()
            {
                let Some(k) = vocab.token(token, self.dutch) else {
                    continue;
                };
                for &key in std::iter::once(&k.key).chain(vocab.parts(k)) {
                    out.meta.push((key, id as u16, pos as u32));
                }
            }
        }
    }

    /// What one page contributes, independent of the other pages (its page
    /// number is set when it is absorbed): `serve`'s incremental index.
    pub(super) fn analyse(&self, r: &Record) -> Result<PageIndex, Diagnostic> {
        let text = page_text_of(r);
        let facts = r.facts.join(" ");
        let mut occ = Occurrences::default();
        let postings = {
            let mut worker = borrow(&self.workers)?;
            if worker.vocab.tokens.len() > VOCAB_TOKENS {
                worker.vocab = Vocab::default();
                worker.run.clear();
                worker.bytes = 0;
            }
            self.occurrences(&mut worker.vocab, r, &text, &facts, &mut occ);
            let postings = PagePostings::of(&worker.vocab, &mut occ);
            self.workers.lock().map_err(|_| poisoned())?.push(worker);
            postings
        };
        let slot = self.slots.get(&r.url).copied().unwrap_or(u32::MAX);
        let mut page = self.page_parts(r, &text, slot)?;
        page.postings = postings;
        Ok(page)
    }

    /// A page's fragment, word counts and filters.
    fn page_parts(&self, r: &Record, text: &Text, slot: u32) -> Result<PageIndex, Diagnostic> {
        // The fragment: what the browser shows for a result.
        let mut fmeta: BTreeMap<&str, &str> = r
            .meta
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        fmeta.insert("title", &r.title);
        let fragment = Fragment {
            url: &r.url,
            content: &text.content,
            word_count: text.words.len(),
            filters: &r.filters,
            meta: fmeta,
            anchors: &text.anchors,
        };
        let json =
            serde_json::to_vec(&fragment).map_err(|e| super::failure(format!("zoekindex: {e}")))?;
        let digest: [u8; 20] = Sha1::digest(&json).into();
        let name = fragment_name(slot);
        let file = OutputFile {
            path: format!("{BUNDLE_DIR}/fragment/{name}.pf_fragment"),
            bytes: compress_fragment(&json),
            source: None,
        };
        let words = text.words.len()
            + r.facts
                .iter()
                .map(|f| f.split_whitespace().count())
                .sum::<usize>();
        Ok(PageIndex {
            fragment: file,
            name,
            slot,
            digest,
            word_count: text.words.len() as u32,
            words,
            postings: PagePostings::default(),
            filters: r
                .filters
                .iter()
                .flat_map(|(n, vs)| vs.iter().map(move |v| (n.clone(), v.clone())))
                .collect(),
        })
    }

    /// Records an analysed page's fragment, filters and counts (not its
    /// postings).
    fn record(&self, slot: u32, page: &PageIndex) -> Result<(), Diagnostic> {
        {
            let mut filters = self.filters.lock().map_err(|_| poisoned())?;
            for (name, value) in &page.filters {
                filters.push((name.clone(), value.clone(), slot));
            }
        }
        {
            let mut digest = self.digest.lock().map_err(|_| poisoned())?;
            for (d, x) in digest.iter_mut().zip(page.digest) {
                *d ^= x;
            }
        }
        self.words.fetch_add(page.words, Ordering::Relaxed);
        self.pages.lock().map_err(|_| poisoned())?[slot as usize] =
            Some((page.name.clone(), page.word_count));
        Ok(())
    }

    /// Merges the postings into the word index and writes the rest of the
    /// bundle: chunks, filters, `pf_meta`, the entry and Pagefind's browser
    /// files.
    pub(crate) fn finish(self) -> Result<Finished, Diagnostic> {
        self.finish_with(&[])
    }

    /// [`Self::finish`], cutting chunks where the previous index did
    /// (`bounds`: the first word of each of its chunks).
    fn finish_with(self, bounds: &[String]) -> Result<Finished, Diagnostic> {
        let runtime = std::thread::spawn(super::runtime::files);
        let adding = Duration::from_micros(self.micros.into_inner());
        let words = self.words.into_inner();
        let pages = self.pages.into_inner().map_err(|_| poisoned())?;
        let token = fragment_token(&self.digest.into_inner().map_err(|_| poisoned())?);
        let mut runs = self.runs.into_inner().map_err(|_| poisoned())?;
        let workers = self.workers.into_inner().map_err(|_| poisoned())?;
        runs.extend(
            workers
                .into_par_iter()
                .filter_map(|mut w| w.seal())
                .collect::<Vec<_>>(),
        );

        // Dense page numbers, in URL order.
        let mut number = vec![u32::MAX; pages.len()];
        let mut meta_pages = Vec::new();
        for (slot, p) in pages.iter().enumerate() {
            if let Some((hash, word_count)) = p {
                number[slot] = meta_pages.len() as u32;
                meta_pages.push(MetaPage {
                    hash: fragment_ref(hash, &token),
                    word_count: ranking_length(*word_count),
                    group_hash: String::new(),
                });
            }
        }

        let trace = std::env::var_os("KB_TRACE_INDEX").is_some();
        let t = Instant::now();
        if self.dutch {
            if let Some(extra) = compounds(&runs) {
                runs.push(extra);
            }
        }
        if trace {
            eprintln!("zoekindex: samenstellingen {:?}", t.elapsed());
        }
        let t = Instant::now();
        let chunks = merge(&runs, &number, bounds);
        if trace {
            eprintln!("zoekindex: samenvoegen {:?}", t.elapsed());
        }
        drop(runs);
        let lang = &self.language;
        let t = Instant::now();
        let encoded: Vec<(MetaChunk, OutputFile)> = chunks
            .into_par_iter()
            .map(|words| chunk_of_encoded(lang, &words))
            .collect();
        if trace {
            eprintln!("zoekindex: chunks gecomprimeerd {:?}", t.elapsed());
        }
        let (mut index_chunks, mut files): (Vec<MetaChunk>, Vec<OutputFile>) =
            encoded.into_iter().unzip();
        trim_bounds(&mut index_chunks);

        let filters = self.filters.into_inner().map_err(|_| poisoned())?;
        let filters = encode_filter_set(
            lang,
            pages.len(),
            filters.into_iter().filter_map(|(f, v, slot)| {
                let n = number[slot as usize];
                (n != u32::MAX).then_some((f, v, n, slot))
            }),
        );
        files.extend(filters.files);

        let page_count = meta_pages.len();
        files.extend(encode_meta(
            lang,
            meta_pages,
            index_chunks,
            filters.meta,
            &filters.facets,
        ));
        let runtime = runtime.join().map_err(|_| {
            super::failure("zoekindex: Pagefind's browserbestanden ontbreken".into())
        })??;
        files.extend(runtime_files(runtime));
        Ok(Finished {
            files,
            pages: page_count,
            words,
            adding,
        })
    }
}

/// One word chunk as `minicbor` writes a [`WordIndex`]: what the build's
/// [`chunk_of_encoded`] and serve's chunks must equal.
#[cfg(test)]
pub(super) fn encode_chunk(lang: &str, words: Vec<PackedWord>) -> (MetaChunk, OutputFile) {
    let from = words.first().map_or(String::new(), |w| w.word.clone());
    let to = words.last().map_or(String::new(), |w| w.word.clone());
    let mut cbor = Vec::new();
    let _ = minicbor::encode(super::format::WordIndex { words }, &mut cbor);
    chunk_file(lang, from, to, &cbor)
}

/// A word as the merge leaves it: its CBOR (`minicbor::encode` of its
/// [`PackedWord`]) and its size in locations, for cutting chunks. Encoded
/// as soon as it is merged, so the merge's parts hold bytes, not every
/// page's locations as vectors of their own.
pub(super) struct EncodedWord {
    word: String,
    cbor: Vec<u8>,
    size: usize,
}

impl EncodedWord {
    fn new(w: &PackedWord) -> EncodedWord {
        let size = w
            .pages
            .iter()
            .chain(w.additional_variants.iter().flat_map(|v| &v.pages))
            .map(|p| p.locs.len() + p.meta_locs.len() + 1)
            .sum::<usize>()
            + w.additional_variants.len();
        let mut cbor = Vec::new();
        let _ = minicbor::encode(w, &mut cbor);
        EncodedWord {
            word: w.word.clone(),
            cbor,
            size,
        }
    }
}

/// One word chunk from its words' CBOR (a `WordIndex` is an array holding
/// the array of words): its entry in `pf_meta` (bounds not yet trimmed) and
/// its file, named by the hash of its CBOR.
pub(super) fn chunk_of_encoded(lang: &str, words: &[EncodedWord]) -> (MetaChunk, OutputFile) {
    let from = words.first().map_or(String::new(), |w| w.word.clone());
    let to = words.last().map_or(String::new(), |w| w.word.clone());
    let body: usize = words.iter().map(|w| w.cbor.len()).sum();
    let mut cbor = Vec::with_capacity(body + 16);
    {
        let mut e = minicbor::Encoder::new(&mut cbor);
        let _ = e.array(1).and_then(|e| e.array(words.len() as u64));
    }
    for w in words {
        cbor.extend_from_slice(&w.cbor);
    }
    chunk_file(lang, from, to, &cbor)
}

/// A chunk's `pf_meta` entry and file, named by the hash of its CBOR.
fn chunk_file(lang: &str, from: String, to: String, cbor: &[u8]) -> (MetaChunk, OutputFile) {
    let name = format!("{lang}_{}", short_hash(cbor));
    let chunk = MetaChunk {
        from,
        to,
        hash: name.clone(),
    };
    let file = OutputFile {
        path: format!("{BUNDLE_DIR}/index/{name}.pf_index"),
        bytes: compress_fast(cbor),
        source: None,
    };
    (chunk, file)
}

/// A page's word count as `pf_meta` gives it to Pagefind's ranking (BM25's
/// document length): its five leading bits, rounded, so at most 3 % off.
/// `pf_meta` lists one per page and every search fetches it; the exact
/// counts cost it 10 kB at 10,000 pages, rounded ones a quarter of that.
/// Lucene keeps its norms in a byte for the same reason. The fragment keeps
/// the exact count.
pub(super) fn ranking_length(words: u32) -> u32 {
    const BITS: u32 = 5;
    let len = 32 - words.leading_zeros();
    if len <= BITS {
        return words;
    }
    let shift = len - BITS;
    let rounded = (u64::from(words) + (1u64 << (shift - 1))) >> shift << shift;
    u32::try_from(rounded).unwrap_or(u32::MAX)
}

/// Filter → value → pages (page numbers or slots).
type ByFilter = BTreeMap<String, BTreeMap<String, Vec<u32>>>;

/// A bundle's filters: their `pf_meta` entries, their files (the facets'
/// last) and the facets' file name.
#[derive(Default)]
pub(super) struct FilterFiles {
    pub(super) meta: Vec<MetaFilter>,
    pub(super) files: Vec<OutputFile>,
    pub(super) facets: String,
}

/// The filter files and the facets of `values`: (filter, value, page
/// number, slot), one per value a page has; `slots` is one past the last.
pub(super) fn encode_filter_set(
    lang: &str,
    slots: usize,
    values: impl IntoIterator<Item = (String, String, u32, u32)>,
) -> FilterFiles {
    // By page number for Pagefind, by slot for the facets.
    let mut by_filter: ByFilter = BTreeMap::new();
    let mut by_slot: ByFilter = BTreeMap::new();
    for (f, v, n, slot) in values {
        let pages = by_filter.entry(f.clone()).or_default();
        pages.entry(v.clone()).or_default().push(n);
        by_slot
            .entry(f)
            .or_default()
            .entry(v)
            .or_default()
            .push(slot);
    }
    let (meta, mut files) = encode_filters(lang, by_filter);
    let (facets, file) = encode_facets(lang, slots, by_slot);
    files.push(file);
    FilterFiles {
        meta,
        files,
        facets,
    }
}

/// The filter files (filter → value → page numbers) and their `pf_meta`
/// entries.
fn encode_filters(lang: &str, by_filter: ByFilter) -> (Vec<MetaFilter>, Vec<OutputFile>) {
    let mut files = Vec::new();
    let mut meta_filters = Vec::new();
    for (filter, values) in by_filter {
        let values: Vec<PackedValue> = values
            .into_iter()
            .map(|(value, mut pages)| {
                pages.sort_unstable();
                pages.dedup();
                PackedValue { value, pages }
            })
            .collect();
        let mut cbor = Vec::new();
        let _ = minicbor::encode(
            FilterIndex {
                filter: filter.clone(),
                values,
            },
            &mut cbor,
        );
        let name = format!("{lang}_{}", short_hash(&cbor));
        files.push(OutputFile {
            path: format!("{BUNDLE_DIR}/filter/{name}.pf_filter"),
            bytes: compress(&cbor),
            source: None,
        });
        meta_filters.push(MetaFilter { filter, hash: name });
    }
    (meta_filters, files)
}

/// The filters again for the search page's counts, which it needs for
/// every query: `kb-facets.<lang>_<hash>.facets`, named in
/// `pagefind-entry.json` as `kb_facets`. Gzipped JSON, `{"slots": n,
/// "filters": {filter: [[value, gaps], …]}}`, a value's pages as slots
/// ([`put_gaps`]), so a result's fragment name (its slot in base 36) finds
/// its values. Pagefind's filter files hold each page number as a CBOR
/// integer, which gzip barely shrinks: at 10,000 pages with two filters 60 kB
/// against 17 kB here. Not named `.gz`, or a host may send it with
/// `Content-Encoding: gzip`.
fn encode_facets(lang: &str, slots: usize, by_slot: ByFilter) -> (String, OutputFile) {
    let mut filters = serde_json::Map::new();
    for (filter, values) in by_slot {
        let values: Vec<serde_json::Value> = values
            .into_iter()
            .map(|(value, mut pages)| {
                pages.sort_unstable();
                pages.dedup();
                let mut gaps = String::with_capacity(pages.len());
                put_gaps(&mut gaps, &pages);
                serde_json::json!([value, gaps])
            })
            .collect();
        filters.insert(filter, serde_json::Value::Array(values));
    }
    let json = serde_json::json!({ "slots": slots, "filters": filters }).to_string();
    let name = format!("kb-facets.{lang}_{}.facets", short_hash(json.as_bytes()));
    let mut gz = flate2::write::GzEncoder::new(
        Vec::with_capacity(json.len() / 3 + 64),
        flate2::Compression::best(),
    );
    let _ = gz.write_all(json.as_bytes());
    let file = OutputFile {
        path: format!("{BUNDLE_DIR}/{name}"),
        bytes: gz.finish().unwrap_or_default(),
        source: None,
    };
    (name, file)
}

/// The digits of [`put_gaps`]: the first 32 end a number, the other 32
/// have more digits after them. All are safe in JSON and in a URL.
pub(crate) const FACET_DIGITS: &[u8; 64] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";

/// Ascending `slots` as gaps: each slot minus the one before (the first
/// minus −1), less one, in base 32, the most significant digit first. A
/// filter value on every seventh page costs about a character a page.
pub(crate) fn put_gaps(out: &mut String, slots: &[u32]) {
    let mut prev = -1i64;
    let mut digits = [0u8; 7];
    for &s in slots {
        let mut gap = (i64::from(s) - prev - 1) as u64;
        prev = i64::from(s);
        let mut n = 0;
        loop {
            digits[n] = (gap % 32) as u8;
            n += 1;
            gap /= 32;
            if gap == 0 {
                break;
            }
        }
        for &d in digits[1..n].iter().rev() {
            out.push(FACET_DIGITS[32 + d as usize] as char);
        }
        out.push(FACET_DIGITS[digits[0] as usize] as char);
    }
}

/// The slots of [`put_gaps`]'s string; `None` for a character it does not
/// write.
pub(crate) fn read_gaps(gaps: &str) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    let mut prev = -1i64;
    let mut n = 0i64;
    for c in gaps.bytes() {
        let d = FACET_DIGITS.iter().position(|&x| x == c)? as i64;
        if d < 32 {
            prev += n * 32 + d + 1;
            out.push(u32::try_from(prev).ok()?);
            n = 0;
        } else {
            n = n * 32 + d - 32;
        }
    }
    (n == 0).then_some(out)
}

/// `pf_meta` and `pagefind-entry.json`, which names it and the facets
/// ([`encode_facets`]).
pub(super) fn encode_meta(
    lang: &str,
    meta_pages: Vec<MetaPage>,
    index_chunks: Vec<MetaChunk>,
    meta_filters: Vec<MetaFilter>,
    facets: &str,
) -> Vec<OutputFile> {
    let mut files = Vec::new();
    let page_count = meta_pages.len();
    let meta = MetaIndex {
        version: super::runtime::VERSION.to_string(),
        pages: meta_pages,
        index_chunks,
        filters: meta_filters,
        sorts: Vec::new(),
        meta_fields: META_FIELDS.iter().map(|s| s.to_string()).collect(),
    };
    let mut cbor = Vec::new();
    let _ = minicbor::encode(&meta, &mut cbor);
    let meta_name = format!("{lang}_{}", short_hash(&cbor));
    files.push(OutputFile {
        path: format!("{BUNDLE_DIR}/pagefind.{meta_name}.pf_meta"),
        bytes: compress(&cbor),
        source: None,
    });
    // `wasm: null`: pagefind.js loads `wasm.unknown.pagefind`, the engine
    // that does not stem; the keys in the index are ours.
    let entry = serde_json::json!({
        "version": super::runtime::VERSION,
        "languages": { lang: { "hash": meta_name, "wasm": null, "page_count": page_count } },
        "include_characters": [],
        "kb_facets": facets,
    });
    files.push(OutputFile {
        path: format!("{BUNDLE_DIR}/pagefind-entry.json"),
        bytes: entry.to_string().into_bytes(),
        source: None,
    });
    files
}

/// Pagefind's browser files as bundle files.
pub(super) fn runtime_files(
    runtime: &[(String, Vec<u8>)],
) -> impl Iterator<Item = OutputFile> + '_ {
    runtime.iter().map(|(name, bytes)| OutputFile {
        path: format!("{BUNDLE_DIR}/{name}"),
        bytes: bytes.clone(),
        source: None,
    })
}

/// One of the per-thread values kept in `pool` (a fresh one when all are
/// in use); the caller pushes it back when done.
fn borrow<T: Default>(pool: &Mutex<Vec<T>>) -> Result<T, Diagnostic> {
    Ok(pool
        .lock()
        .map_err(|_| poisoned())?
        .pop()
        .unwrap_or_default())
}

fn poisoned() -> Diagnostic {
    super::failure("zoekindex: een indexeerdraad liep vast".into())
}

/// Decompounding, a pass over the site's vocabulary: every key whose parts
/// occur on their own (`arbeidsmarkt` → `markt`) gives its postings, at
/// the same positions (so the whole word is highlighted) and half weight,
/// to those parts. Returns them as one more run.
fn compounds(runs: &[Run]) -> Option<Run> {
    let mut vocab: FxHashSet<&str> = FxHashSet::default();
    for run in runs {
        for (k, _, _) in &run.keys {
            vocab.insert(k.split('\0').next().unwrap_or(k));
        }
    }
    let keys: Vec<&str> = vocab.iter().copied().collect();
    let known = |k: &str| vocab.contains(k);
    let parts: FxHashMap<&str, Vec<String>> = keys
        .par_iter()
        .filter_map(|&k| {
            let p = dutch::compound_parts(k, &known);
            let p: Vec<String> = p.into_iter().filter(|x| x != k).collect();
            (!p.is_empty()).then_some((k, p))
        })
        .collect();
    if parts.is_empty() {
        return None;
    }
    // Every compound's postings at half weight, once per part it gives
    // them to; then one entry per part, its postings in any order
    // ([`pack_pages`] sorts them).
    let mut given: Vec<(&str, Vec<u8>)> = runs
        .par_iter()
        .flat_map_iter(|run| (0..run.len()).map(move |i| (run.key(i), run.blob(i))))
        .filter_map(|(k, blob)| {
            let ps = parts.get(k.split('\0').next().unwrap_or(k))?;
            let halved = halve_weights(blob);
            Some(
                ps.iter()
                    .map(|p| (p.as_str(), halved.clone()))
                    .collect::<Vec<_>>(),
            )
        })
        .flatten_iter()
        .collect();
    given.par_sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut extra = Run::default();
    for (part, blob) in given {
        match extra.keys.last_mut() {
            Some((k, _, end)) if &**k == part => *end += blob.len(),
            _ => {
                let at = extra.bytes.len();
                extra.keys.push((part.into(), at, at + blob.len()));
            }
        }
        extra.bytes.extend_from_slice(&blob);
    }
    Some(extra)
}

/// Postings (as [`Worker::absorb`] writes them) with every weight halved
/// (at least 1): what a compound gives its parts.
fn halve_weights(blob: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(blob.len());
    let mut at = 0;
    while at < blob.len() {
        put_varint(&mut out, get_varint(blob, &mut at));
        let n = get_varint(blob, &mut at);
        put_varint(&mut out, n);
        for _ in 0..n {
            let (delta, w) = get_loc(blob, &mut at);
            put_loc(&mut out, delta, (w / 2).max(1));
        }
        let m = get_varint(blob, &mut at);
        put_varint(&mut out, m);
        for _ in 0..2 * m {
            put_varint(&mut out, get_varint(blob, &mut at));
        }
    }
    out
}

/// Where chunks are cut: at about [`CHUNK_SIZE`] locations, or, when the
/// previous index's chunks are given (serve), before the first word of
/// each of those, so that a chunk whose words did not change keeps its
/// bytes and name.
struct Cutter<'a> {
    chunks: Vec<Vec<EncodedWord>>,
    chunk: Vec<EncodedWord>,
    size: usize,
    bounds: &'a [String],
    next: usize,
}

impl Cutter<'_> {
    fn push(&mut self, w: EncodedWord) {
        if !self.bounds.is_empty() {
            let mut cut = false;
            while self.next < self.bounds.len() && self.bounds[self.next] <= w.word {
                self.next += 1;
                cut = true;
            }
            if cut && !self.chunk.is_empty() {
                self.chunks.push(std::mem::take(&mut self.chunk));
                self.size = 0;
            }
        }
        self.size += w.size;
        self.chunk.push(w);
        // Between kept bounds a chunk may grow to twice the size.
        let limit = if self.bounds.is_empty() {
            CHUNK_SIZE
        } else {
            2 * CHUNK_SIZE
        };
        if self.size >= limit {
            self.chunks.push(std::mem::take(&mut self.chunk));
            self.size = 0;
        }
    }
}

/// The k-way merge of sorted runs into words, cut into chunks. The key
/// range is cut into parts merged in parallel; the chunks are cut after,
/// over all words in order, so they are the same as from one merge.
fn merge(runs: &[Run], number: &[u32], bounds: &[String]) -> Vec<Vec<EncodedWord>> {
    let splits = split_keys(runs, 4 * rayon::current_num_threads());
    let parts: Vec<Vec<EncodedWord>> = (0..=splits.len())
        .into_par_iter()
        .map(|i| {
            // Keys from splits[i - 1] (inclusive) to splits[i]: a base key
            // sorts before its variants (`key\0form`), so a word is never
            // divided.
            let from = i.checked_sub(1).map(|j| splits[j]);
            let to = splits.get(i).copied();
            let slices: Vec<(&Run, usize, usize)> = runs
                .iter()
                .map(|r| {
                    let a = from.map_or(0, |k| r.find(k));
                    let b = to.map_or(r.len(), |k| r.find(k));
                    (r, a, b.max(a))
                })
                .collect();
            merge_words(&slices, number)
        })
        .collect();
    let mut cutter = Cutter {
        chunks: Vec::new(),
        chunk: Vec::new(),
        size: 0,
        bounds,
        next: 0,
    };
    for w in parts.into_iter().flatten() {
        cutter.push(w);
    }
    if !cutter.chunk.is_empty() {
        cutter.chunks.push(cutter.chunk);
    }
    cutter.chunks
}

/// Up to `n - 1` base keys (no variant part) that cut the runs' keys into
/// about `n` parts, ascending: taken from the longest run.
fn split_keys(runs: &[Run], n: usize) -> Vec<&str> {
    let Some(run) = runs.iter().max_by_key(|r| r.len()) else {
        return Vec::new();
    };
    let mut keys: Vec<&str> = (1..n)
        .filter_map(|j| run.keys.get(j * run.len() / n))
        .map(|(k, _, _)| k.split('\0').next().unwrap_or(k))
        .collect();
    keys.dedup();
    keys
}

/// The k-way merge of sorted runs (or parts of them) into words, each
/// encoded once it is whole.
fn merge_words(runs: &[(&Run, usize, usize)], number: &[u32]) -> Vec<EncodedWord> {
    let mut heap: BinaryHeap<std::cmp::Reverse<(&str, usize)>> = BinaryHeap::new();
    let mut cursor: Vec<usize> = runs.iter().map(|r| r.1).collect();
    for (i, &(run, a, b)) in runs.iter().enumerate() {
        if a < b {
            heap.push(std::cmp::Reverse((run.key(a), i)));
        }
    }
    let mut words = Vec::new();
    let mut word: Option<PackedWord> = None;
    let mut postings: Vec<Posting> = Vec::new();
    while let Some(std::cmp::Reverse((key, _))) = heap.peek().copied() {
        let mut used = 0;
        while let Some(std::cmp::Reverse((k, i))) = heap.peek().copied() {
            if k != key {
                break;
            }
            heap.pop();
            let (run, _, end) = runs[i];
            decode_postings_reusing(run.blob(cursor[i]), &mut postings, &mut used);
            cursor[i] += 1;
            if cursor[i] < end {
                heap.push(std::cmp::Reverse((run.key(cursor[i]), i)));
            }
        }
        let pages = pack_pages(&mut postings[..used], number);
        let (base, form) = match key.split_once('\0') {
            Some((b, f)) => (b, Some(f)),
            None => (key, None),
        };
        if let Some(w) = word.take_if(|w| w.word != base) {
            words.push(EncodedWord::new(&w));
        }
        let w = word.get_or_insert_with(|| PackedWord {
            word: base.to_string(),
            pages: Vec::new(),
            additional_variants: Vec::new(),
        });
        match form {
            None => w.pages = pages,
            Some(f) => w.additional_variants.push(PackedVariant {
                form: f.to_string(),
                pages,
            }),
        }
    }
    words.extend(word.as_ref().map(EncodedWord::new));
    words
}

/// One key's postings as Pagefind stores them: pages ascending and delta
/// encoded; per page the positions sorted by weight (the common weight 1.0,
/// [`BODY`], first and without a marker), a weight change written as
/// `-(weight) - 1` followed by an
/// absolute position, the rest as deltas; metadata positions per field
/// after `-(field) - 1`, delta encoded within the field.
pub(super) fn pack_pages(postings: &mut [Posting], number: &[u32]) -> Vec<PackedPage> {
    for p in postings.iter_mut() {
        p.page = number.get(p.page as usize).copied().unwrap_or(u32::MAX);
    }
    postings.sort_by_key(|p| p.page);
    let mut out: Vec<PackedPage> = Vec::new();
    let mut last_page = 0u32;
    let mut i = 0;
    // Reused from page to page.
    let mut locs: Vec<(u32, u8)> = Vec::new();
    let mut meta: Vec<(u16, u32)> = Vec::new();
    while i < postings.len() {
        let page = postings[i].page;
        locs.clear();
        meta.clear();
        while i < postings.len() && postings[i].page == page {
            locs.extend_from_slice(&postings[i].locs);
            meta.extend_from_slice(&postings[i].meta);
            i += 1;
        }
        if page == u32::MAX {
            continue;
        }
        // One location per position: the heaviest.
        locs.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        locs.dedup_by_key(|l| l.0);
        locs.sort_unstable_by_key(|&(pos, w)| (if w == BODY { 0 } else { w }, pos));
        let mut packed = Vec::with_capacity(locs.len() + 2);
        // Pagefind's decoder starts each page at weight 25 and position 0.
        let mut weight = Some(25);
        let mut last = 0u32;
        for &(pos, w) in &locs {
            if weight != Some(w) {
                packed.push(-(i32::from(w)) - 1);
                packed.push(pos as i32);
                weight = Some(w);
            } else {
                packed.push((pos - last) as i32);
            }
            last = pos;
        }
        meta.sort_unstable();
        meta.dedup();
        let mut meta_locs = Vec::with_capacity(meta.len() + 2);
        let mut field = None;
        let mut last = 0u32;
        for &(f, pos) in &meta {
            if field != Some(f) {
                meta_locs.push(-(i32::from(f)) - 1);
                field = Some(f);
                last = 0;
            }
            meta_locs.push((pos - last) as i32);
            last = pos;
        }
        out.push(PackedPage {
            page_number: page - last_page,
            locs: packed,
            meta_locs,
        });
        last_page = page;
    }
    out
}

/// Shortens each chunk's bounds to the prefixes that tell it from its
/// neighbours (what Pagefind's browser code expects), never making a
/// chunk's `to` sort before its `from`.
pub(super) fn trim_bounds(chunks: &mut [MetaChunk]) {
    for i in 1..chunks.len() {
        let (a, b) = (chunks[i - 1].to.clone(), chunks[i].from.clone());
        let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
        let pa: String = a.chars().take(common + 1).collect();
        let pb: String = b.chars().take(common + 1).collect();
        if pa >= chunks[i - 1].from {
            chunks[i - 1].to = pa;
        }
        chunks[i].from = pb;
    }
}

/// Gzips a bundle file behind Pagefind's signature, at the best level
/// (`pf_meta` and the filters: single files, fetched for every search).
pub(crate) fn compress(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 3 + 64),
        flate2::Compression::best(),
    );
    let _ = gz.write_all(SIGNATURE);
    let _ = gz.write_all(bytes);
    gz.finish().unwrap_or_default()
}

/// A fragment, one per page, gzipped on the rendering thread: libdeflate
/// at a fast level ([`FRAGMENT_LEVEL`]).
pub(super) fn compress_fragment(bytes: &[u8]) -> Vec<u8> {
    thread_local! {
        static GZIP: std::cell::RefCell<Gzipper> =
            const { std::cell::RefCell::new(None) };
    }
    gzip_with(&GZIP, FRAGMENT_LEVEL, bytes)
}

/// libdeflate's level for fragments: the fastest. The browser fetches a
/// handful per query, so their size matters less than the time to gzip one
/// per page (1,000 pages of gen_corpus.py: level 6 2.32 MB, level 3
/// 2.37 MB, level 1 2.48 MB, +150 bytes a fragment).
const FRAGMENT_LEVEL: i32 = 1;

/// A thread's compressor with its input and output buffers: the result is
/// copied out at its exact size (serve keeps every fragment, and a buffer
/// of the compression bound, truncated, kept the plain size).
type Gzipper = Option<(libdeflater::Compressor, Vec<u8>, Vec<u8>)>;

fn gzip_with(
    cell: &'static std::thread::LocalKey<std::cell::RefCell<Gzipper>>,
    level: i32,
    bytes: &[u8],
) -> Vec<u8> {
    cell.with_borrow_mut(|gz| {
        let (gz, input, out) = gz.get_or_insert_with(|| {
            let level = libdeflater::CompressionLvl::new(level).unwrap_or_default();
            (libdeflater::Compressor::new(level), Vec::new(), Vec::new())
        });
        input.clear();
        input.extend_from_slice(SIGNATURE);
        input.extend_from_slice(bytes);
        out.resize(gz.gzip_compress_bound(input.len()), 0);
        let n = gz.gzip_compress(input, out).unwrap_or(0);
        let gzipped = out[..n].to_vec();
        // A word chunk can be megabytes: a thread does not keep the largest.
        if input.capacity() > SCRATCH_KEPT {
            *input = Vec::new();
            *out = Vec::new();
        }
        gzipped
    })
}

/// Buffer capacity a compressing thread keeps between files.
const SCRATCH_KEPT: usize = 1 << 20;

/// The same for word chunks, thousands of files: libdeflate
/// at its default level, as small as zlib's default level and about twice
/// as fast (zlib's best level had taken a sixth of a 10,000-page build's
/// CPU time, its default level still a sixth of the index's).
pub(super) fn compress_fast(bytes: &[u8]) -> Vec<u8> {
    thread_local! {
        static GZIP: std::cell::RefCell<Gzipper> =
            const { std::cell::RefCell::new(None) };
    }
    gzip_with(&GZIP, 6, bytes)
}

/// A fragment's file name: its page's slot (URL order) in base 36, so the
/// name costs `pf_meta`, which every search fetches and which lists one per
/// page, two or three bytes instead of a content hash's eight.
pub(super) fn fragment_name(slot: u32) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut n = slot;
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// What `pf_meta` lists for fragment `name`: Pagefind fetches
/// `fragment/<listed>.pf_fragment`, so `<name>.pf_fragment?v=<token>`
/// fetches the file `fragment/<name>.pf_fragment` with a query string that
/// changes whenever any fragment does. A name is reused for another page
/// when pages come or go; the query keeps a browser from taking the old
/// one from its cache (hosts ignore the query).
pub(super) fn fragment_ref(name: &str, token: &str) -> String {
    format!("{name}.pf_fragment?v={token}")
}

/// The cache token of a set of fragments, from their SHA-1s XORed (so it
/// does not depend on the order pages were indexed in).
pub(super) fn fragment_token(digest: &[u8; 20]) -> String {
    short_hash(digest)[..8].to_string()
}

pub(super) fn short_hash(bytes: &[u8]) -> String {
    let full: [u8; 20] = Sha1::digest(bytes).into();
    let hex: String = full.iter().map(|b| format!("{b:02x}")).collect();
    hex[..HASH_DIGITS].to_string()
}

#[derive(serde::Serialize)]
struct Fragment<'a> {
    url: &'a str,
    content: &'a str,
    word_count: usize,
    filters: &'a BTreeMap<String, Vec<String>>,
    meta: BTreeMap<&'a str, &'a str>,
    anchors: &'a [text::Anchor],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::text::TITLE;

    #[test]
    fn ranking_lengths_keep_five_bits_and_stay_within_three_percent() {
        assert_eq!(ranking_length(0), 0);
        assert_eq!(ranking_length(31), 31);
        assert_eq!(
            ranking_length(33),
            34,
            "6 bits: steps of 2, rounded up from the half"
        );
        assert_eq!(ranking_length(691), 704);
        assert_eq!(ranking_length(u32::MAX), u32::MAX);
        for n in 1..100_000u32 {
            let r = ranking_length(n);
            assert!(
                (f64::from(r) - f64::from(n)).abs() / f64::from(n) <= 0.031,
                "{n} → {r}"
            );
            let span = 32 - r.leading_zeros() - r.trailing_zeros();
            assert!(span <= 5, "{n} → {r}: {span} significant bits");
        }
    }

    #[test]
    fn facet_gaps_read_back_and_cost_a_character_for_a_small_gap() {
        for slots in [
            vec![],
            vec![0],
            vec![0, 1, 2, 3],
            vec![5, 37, 38, 1_000, 1_031, 40_000_000],
            (0..2_000).map(|i| i * 7 + 3).collect::<Vec<u32>>(),
        ] {
            let mut s = String::new();
            put_gaps(&mut s, &slots);
            assert_eq!(read_gaps(&s), Some(slots.clone()), "{s}");
            assert!(s.bytes().all(|b| FACET_DIGITS.contains(&b)));
        }
        let mut s = String::new();
        put_gaps(&mut s, &[0, 1, 32, 64]);
        // Gaps less one: 0, 0, 30, 31 one digit each; then 31.
        assert_eq!(s, "00uv");
        s.clear();
        put_gaps(&mut s, &[32, 33 + 32 * 32]);
        // 32 = 1·32 + 0; 1024 = 1·32² + 0·32 + 0.
        assert_eq!(s, "x0xw0");
        assert_eq!(read_gaps("x"), None, "a number that does not end");
        assert_eq!(read_gaps("0\""), None, "a character it never writes");
    }

    #[test]
    fn a_chunk_from_encoded_words_is_minicbors_word_index() {
        let page = |n: u32, locs: Vec<i32>| PackedPage {
            page_number: n,
            locs,
            meta_locs: vec![-4, 0],
        };
        let words = || {
            vec![
                PackedWord {
                    word: "beleid".into(),
                    pages: vec![page(0, vec![3, 400]), page(7, vec![-251, 0, 70_000])],
                    additional_variants: vec![],
                },
                PackedWord {
                    word: "geinformeerd".into(),
                    pages: vec![page(2, vec![5])],
                    additional_variants: vec![PackedVariant {
                        form: "geïnformeerd".into(),
                        pages: vec![page(1, vec![9, 1])],
                    }],
                },
            ]
        };
        let encoded: Vec<EncodedWord> = words().iter().map(EncodedWord::new).collect();
        assert_eq!(encoded[0].size, 2 + 3 + 2 * 3);
        assert_eq!(
            encoded[1].size,
            (1 + 2 + 1) + (2 + 2 + 1) + 1,
            "a variant counts one"
        );
        let (meta, file) = chunk_of_encoded("nl", &encoded);
        let (want_meta, want_file) = encode_chunk("nl", words());
        assert_eq!(
            (meta.from, meta.to),
            ("beleid".into(), "geinformeerd".into())
        );
        assert_eq!(meta.hash, want_meta.hash);
        assert_eq!(file.path, want_file.path);
        assert_eq!(file.bytes, want_file.bytes);
    }

    #[test]
    fn locations_are_packed_like_pagefind() {
        let mut p = vec![
            Posting {
                page: 1,
                locs: vec![(7, BODY), (2, 240), (3, BODY)],
                meta: vec![(3, 0), (1, 4), (1, 2)],
            },
            Posting {
                page: 0,
                locs: vec![(5, BODY)],
                meta: vec![],
            },
        ];
        let packed = pack_pages(&mut p, &[4, 9]);
        assert_eq!(packed[0].page_number, 4);
        assert_eq!(packed[0].locs, vec![5], "body words need no marker");
        assert_eq!(packed[1].page_number, 5, "delta from page 4 to 9");
        assert_eq!(packed[1].locs, vec![3, 4, -241, 2]);
        assert_eq!(packed[1].meta_locs, vec![-2, 2, 2, -4, 0]);
    }

    /// The run's compact encoding (deltas, implied body weight, one buffer
    /// per run) gives back every location and metadata position, and a
    /// compound's halved weights, as they went in.
    #[test]
    fn runs_give_back_what_pages_put_in() {
        let mut w = Worker::default();
        let (a, b) = (w.vocab.id("arbeid".into()), w.vocab.id("markt".into()));
        let mut occ = Occurrences {
            locs: vec![
                (b, 0, TITLE),
                (a, 3, BODY),
                (b, 5, 2 * BODY),
                (a, 300, BODY),
            ],
            meta: vec![(a, 4, 1), (a, 4, 1), (b, 3, 0)],
        };
        w.absorb(7, &mut occ);
        let mut occ = Occurrences {
            locs: vec![(a, 2, 12)],
            meta: vec![],
        };
        w.absorb(2, &mut occ);
        let run = w.seal().expect("two keys");
        let keys: Vec<&str> = (0..run.len()).map(|i| run.key(i)).collect();
        assert_eq!(keys, ["arbeid", "markt"]);
        let decode = |blob: &[u8]| {
            let (mut out, mut used) = (Vec::new(), 0);
            decode_postings_reusing(blob, &mut out, &mut used);
            out.truncate(used);
            out.into_iter()
                .map(|p| (p.page, p.locs, p.meta))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            decode(run.blob(0)),
            vec![
                (7, vec![(3, BODY), (300, BODY)], vec![(4, 1)]),
                (2, vec![(2, 12)], vec![]),
            ]
        );
        assert_eq!(
            decode(run.blob(1)),
            vec![(7, vec![(0, TITLE), (5, 2 * BODY)], vec![(3, 0)])]
        );
        assert_eq!(
            decode(&halve_weights(run.blob(1))),
            vec![(7, vec![(0, TITLE / 2), (5, BODY)], vec![(3, 0)])]
        );
        assert!(w.seal().is_none(), "a sealed run starts again empty");
    }

    #[test]
    fn word_keys_fold_and_split() {
        let k = word_keys("Geïnformeerd,", false).unwrap();
        assert_eq!(k.key, "geinformeerd");
        assert_eq!(k.variant.as_deref(), Some("geïnformeerd"));
        assert!(k.parts.is_empty());
        let k = word_keys("monitoring-en-beheer.", false).unwrap();
        assert_eq!(k.key, "monitoringenbeheer");
        assert_eq!(k.parts, vec!["monitoring", "en", "beheer"]);
        assert!(word_keys("–", false).is_none());
    }

    #[test]
    fn bounds_are_trimmed_to_distinguishing_prefixes() {
        let c = |f: &str, t: &str| MetaChunk {
            from: f.into(),
            to: t.into(),
            hash: String::new(),
        };
        let mut chunks = vec![
            c("apple", "apple"),
            c("apricot", "banana"),
            c("peach", "peach"),
        ];
        trim_bounds(&mut chunks);
        let b: Vec<(&str, &str)> = chunks
            .iter()
            .map(|c| (c.from.as_str(), c.to.as_str()))
            .collect();
        assert_eq!(b, vec![("apple", "apple"), ("apr", "b"), ("p", "peach")]);
    }
}
