//! The index `serve` keeps up to date after a save, page by page: it keeps
//! the previous update's analysed pages, which pages hold each key, the
//! compound splits and the encoded chunks, so a save re-analyses only the
//! pages whose record changed, rebuilds only the words those pages (and the
//! compounds they hold) touch, and re-encodes only the chunks holding such
//! words; every other chunk keeps its bytes and name. The filters are
//! rewritten only when a changed page's filter values changed, `pf_meta`
//! and the entry on every update (they name the fragments).
//!
//! A page that comes or goes renumbers the pages after it, which changes
//! nearly every chunk: then the state is built again from all records.
//! Chunks are cut where they were (a chunk that grows past twice the usual
//! size is split), so the chunk boundaries may differ from a full build's;
//! the words, their pages and positions, the filters and the fragments are
//! the same (`tests/search_incremental.rs` compares them).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::bundle::SIGNATURE;
use super::format::{MetaChunk, MetaPage, PackedPage, PackedVariant, PackedWord};
use super::record::Record;
use super::writer::{self, IndexWriter, PageIndex, Posting, CHUNK_SIZE};
use super::{dutch, runtime};
use crate::error::Diagnostic;
use crate::render::OutputFile;

/// What one update made.
pub(crate) struct Updated {
    /// Every file of `pagefind/`, sorted by path.
    pub files: Vec<OutputFile>,
    pub pages: usize,
    pub words: usize,
    /// Pages analysed again, and chunks encoded again, by this update.
    pub analysed: usize,
    pub chunks_written: usize,
    /// Words patched page by page instead of made again.
    pub words_patched: usize,
    pub duration: Duration,
}

/// See the module comment. Empty until the first update.
#[derive(Default)]
pub(crate) struct Incremental {
    state: Option<State>,
    /// Locations per chunk; 0 is [`CHUNK_SIZE`].
    chunk_size: usize,
}

struct State {
    language: String,
    chunk_size: usize,
    dutch: bool,
    /// The records of the last update, by page number (URL order): a
    /// record is unchanged when it shares its body with the new one and its
    /// small fields are equal, so no body is hashed or compared.
    records: Vec<Record>,
    pages: Vec<PageIndex>,
    /// Run key (`key`, or `key\0form` for a diacritic form) → the pages
    /// holding it, ascending.
    keys: BTreeMap<String, Vec<u32>>,
    /// Key → its compound parts (keys that split only).
    parts: HashMap<String, Vec<String>>,
    /// Part → the keys that give it their postings.
    wholes: HashMap<String, BTreeSet<String>>,
    chunks: Vec<Chunk>,
    filters: writer::FilterFiles,
    /// Words patched since the last update was reported.
    patched: std::sync::atomic::AtomicUsize,
}

/// A word's CBOR, its size in locations, and where each page's entry
/// of its `pages` starts, so a page whose postings moved is patched in
/// place ([`State::splice`]) instead of the word being made again from
/// every page that holds it.
#[derive(Clone, Default)]
struct Encoded {
    cbor: Vec<u8>,
    size: usize,
    /// (page number, offset of its entry), ascending.
    pages: Vec<(u32, u32)>,
    /// Where the last entry ends (the diacritic forms follow).
    pages_end: u32,
}

impl Encoded {
    /// The bytes `minicbor::encode(word)` writes, and the entries' offsets.
    fn new(word: &PackedWord, size: usize) -> Encoded {
        let mut cbor = Vec::new();
        let mut pages = Vec::with_capacity(word.pages.len());
        let mut e = minicbor::Encoder::new(&mut cbor);
        // Writing to a Vec cannot fail.
        let _ = e
            .array(3)
            .and_then(|e| e.str(&word.word))
            .and_then(|e| e.array(word.pages.len() as u64));
        let mut page = 0u32;
        for p in &word.pages {
            page += p.page_number;
            pages.push((page, e.writer().len() as u32));
            let _ = e.encode(p);
        }
        let pages_end = e.writer().len() as u32;
        let _ = e.encode(&word.additional_variants);
        cbor.shrink_to_fit();
        Encoded {
            cbor,
            size,
            pages,
            pages_end,
        }
    }
}

/// What changed for the words an update rewrites: per word the pages
/// whose entry changed; a word in `full` is made again from all pages (it
/// came, went, gained or lost a page, or its compound parts changed).
#[derive(Default)]
struct Patches {
    pages: HashMap<String, BTreeSet<u32>>,
    full: HashSet<String>,
}

struct Chunk {
    /// Its words, sorted.
    words: Vec<String>,
    /// Per word: its CBOR and its size in locations, so a rewritten chunk
    /// encodes only the words that changed.
    encoded: Vec<Encoded>,
    /// Bounds not yet trimmed.
    meta: MetaChunk,
    file: OutputFile,
    /// The file's deflate stream in pieces, so a rewrite compresses only
    /// the pieces whose bytes changed.
    pieces: Vec<Piece>,
}

/// About this many bytes of CBOR per independently compressed piece: a
/// piece starts with an empty dictionary, which costs little at this size.
const PIECE: usize = 32 * 1024;

/// One piece of a chunk's CBOR, deflated on its own and ended with a full
/// flush (byte-aligned, no reference to the bytes before it), so pieces
/// concatenate into one deflate stream and a gzip file: the first time a
/// title grows, every position on its page moves and so does a word in
/// about half the chunks, but only one piece of each.
#[derive(Clone)]
struct Piece {
    /// Of the raw bytes, to find the piece again in the next rewrite.
    hash: u64,
    raw_len: usize,
    deflated: Vec<u8>,
}

impl Piece {
    fn new(raw: &[u8], hash: u64) -> Piece {
        let mut c = flate2::Compress::new(flate2::Compression::fast(), false);
        let mut out = Vec::with_capacity(raw.len() / 2 + 64);
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(1024));
            }
            let done = c.total_in() as usize;
            // Compressing into a Vec from memory cannot fail.
            let _ = c.compress_vec(&raw[done..], &mut out, flate2::FlushCompress::Full);
            if c.total_in() as usize == raw.len() && out.len() < out.capacity() {
                break;
            }
        }
        // Serve keeps every piece: not the spare room of the last reserve.
        out.shrink_to_fit();
        Piece {
            hash,
            raw_len: raw.len(),
            deflated: out,
        }
    }
}

fn piece_hash(raw: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    raw.hash(&mut h);
    h.finish()
}

/// Where the CBOR after the chunk's header is cut into pieces: at the
/// first word end after [`PIECE`] bytes, and inside a word every [`PIECE`]
/// bytes from its start, so a change in one word leaves the cuts before it
/// and, mostly, after it where they were.
fn cuts(encoded: &[Encoded]) -> Vec<usize> {
    let mut cuts = Vec::new();
    let (mut at, mut start) = (0usize, 0usize);
    for e in encoded {
        let bytes = &e.cbor;
        let mut i = PIECE;
        while i < bytes.len() {
            if at + i > start {
                cuts.push(at + i);
                start = at + i;
            }
            i += PIECE;
        }
        at += bytes.len();
        if at - start >= PIECE {
            cuts.push(at);
            start = at;
        }
    }
    cuts
}

/// The gzip file of `raw` from its deflated `pieces`.
fn gzip_of(raw: &[u8], pieces: &[Piece]) -> Vec<u8> {
    let size: usize = pieces.iter().map(|p| p.deflated.len()).sum();
    let mut out = Vec::with_capacity(size + 20);
    // Magic, deflate, no flags, no time, no extra flags, unknown OS.
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    for p in pieces {
        out.extend_from_slice(&p.deflated);
    }
    // The last block: empty, final, fixed Huffman codes.
    out.extend_from_slice(&[0x03, 0x00]);
    let mut crc = flate2::Crc::new();
    crc.update(raw);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&crc.amount().to_le_bytes());
    out
}

impl Incremental {
    pub(crate) fn with_chunk_size(locations: usize) -> Incremental {
        Incremental {
            state: None,
            chunk_size: locations,
        }
    }

    /// The whole bundle for `records`; what did not change is reused.
    pub(crate) fn update(
        &mut self,
        language: &str,
        records: &[Record],
    ) -> Result<Updated, Diagnostic> {
        let start = Instant::now();
        let mut records: Vec<Record> = records.to_vec();
        records.sort_by(|a, b| a.url.cmp(&b.url));
        records.dedup_by(|a, b| a.url == b.url);
        let same_pages = self.state.as_ref().is_some_and(|s| {
            s.language == language
                && s.records.len() == records.len()
                && s.records.iter().zip(&records).all(|(a, b)| a.url == b.url)
        });
        let (analysed, chunks_written) = match (&mut self.state, same_pages) {
            (Some(state), true) => state.apply(records)?,
            _ => {
                let size = if self.chunk_size == 0 {
                    CHUNK_SIZE
                } else {
                    self.chunk_size
                };
                let state = State::build(language, records, size)?;
                let n = (state.pages.len(), state.chunks.len());
                self.state = Some(state);
                n
            }
        };
        let state = self.state.as_ref().expect("set above");
        let files = state.files()?;
        Ok(Updated {
            files,
            pages: state.pages.len(),
            words: state.pages.iter().map(|p| p.words).sum(),
            analysed,
            chunks_written,
            words_patched: state.patched.swap(0, std::sync::atomic::Ordering::Relaxed),
            duration: start.elapsed(),
        })
    }
}

/// Whether the index may differ between two records of the same URL. The
/// body is compared by identity: `serve` shares an unchanged page's
/// rendered body between builds.
fn unchanged(a: &Record, b: &Record) -> bool {
    Arc::ptr_eq(&a.body, &b.body)
        && a.title == b.title
        && a.meta == b.meta
        && a.filters == b.filters
        && a.facts == b.facts
}

/// A chunk from its words' CBOR: the CBOR and name [`writer::chunk_of_encoded`]
/// makes for the same words (a `WordIndex`: an array holding the array
/// of words), gzipped in [`Piece`]s; the pieces of `old` whose bytes recur
/// are reused.
fn chunk_from(
    lang: &str,
    words: &[String],
    encoded: &[Encoded],
    old: &[Piece],
) -> (MetaChunk, OutputFile, Vec<Piece>) {
    let body: usize = encoded.iter().map(|e| e.cbor.len()).sum();
    let mut raw = Vec::with_capacity(SIGNATURE.len() + body + 16);
    raw.extend_from_slice(SIGNATURE);
    {
        let mut e = minicbor::Encoder::new(&mut raw);
        let _ = e.array(1).and_then(|e| e.array(encoded.len() as u64));
    }
    let header = raw.len();
    for e in encoded {
        raw.extend_from_slice(&e.cbor);
    }
    let name = format!("{}_{}", lang, writer::short_hash(&raw[SIGNATURE.len()..]));
    let kept: HashMap<(u64, usize), &Piece> =
        old.iter().map(|p| ((p.hash, p.raw_len), p)).collect();
    let mut bounds = vec![0, header];
    bounds.extend(cuts(encoded).into_iter().map(|c| header + c));
    bounds.push(raw.len());
    bounds.dedup();
    let pieces: Vec<Piece> = bounds
        .windows(2)
        .map(|w| {
            let bytes = &raw[w[0]..w[1]];
            let hash = piece_hash(bytes);
            match kept.get(&(hash, bytes.len())) {
                Some(&p) => p.clone(),
                None => Piece::new(bytes, hash),
            }
        })
        .collect();
    let meta = MetaChunk {
        from: words.first().cloned().unwrap_or_default(),
        to: words.last().cloned().unwrap_or_default(),
        hash: name.clone(),
    };
    let file = OutputFile {
        path: format!("{}/index/{name}.pf_index", super::BUNDLE_DIR),
        bytes: gzip_of(&raw, &pieces),
        source: None,
    };
    (meta, file, pieces)
}

/// Page `r` analysed, its postings sorted by key (so [`State::posting`]
/// can search them).
fn analysed(writer: &IndexWriter, r: &Record) -> Result<PageIndex, Diagnostic> {
    writer.analyse(r)
}

/// How many leading letters of key `q` every word stemming to it has
/// (see [`State::resplit`]).
fn stem_prefix(q: &str) -> usize {
    q.len().saturating_sub(2).max(1)
}

fn base(run_key: &str) -> &str {
    run_key.split('\0').next().unwrap_or(run_key)
}

impl State {
    fn build(language: &str, records: Vec<Record>, chunk_size: usize) -> Result<State, Diagnostic> {
        let writer = IndexWriter::new(language, records.iter().map(|r| r.url.as_str()));
        let pages: Vec<PageIndex> = records
            .par_iter()
            .map(|r| analysed(&writer, r))
            .collect::<Result<_, _>>()?;
        let mut keys: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for (n, p) in pages.iter().enumerate() {
            for k in p.postings.keys() {
                match keys.get_mut(k) {
                    Some(v) => v.push(n as u32),
                    None => {
                        keys.insert(k.to_string(), vec![n as u32]);
                    }
                }
            }
        }
        let mut state = State {
            language: language.to_string(),
            chunk_size,
            dutch: language.split('-').next() == Some("nl"),
            records,
            pages,
            keys,
            parts: HashMap::new(),
            wholes: HashMap::new(),
            chunks: Vec::new(),
            filters: Default::default(),
            patched: Default::default(),
        };
        if state.dutch {
            let vocab: Vec<String> = state.vocabulary().into_iter().collect();
            state.set_parts(state.split(&vocab));
        }
        let words: Vec<String> = state.words().into_iter().collect();
        state.chunks = state.cut(
            &words,
            chunk_size,
            None,
            &BTreeSet::new(),
            &Patches::default(),
        );
        state.filters = state.encode_filters();
        Ok(state)
    }

    /// Applies `records` (the same URLs as before); returns the pages
    /// analysed and the chunks written.
    fn apply(&mut self, records: Vec<Record>) -> Result<(usize, usize), Diagnostic> {
        let changed: Vec<usize> = (0..records.len())
            .filter(|&i| !unchanged(&self.records[i], &records[i]))
            .collect();
        if changed.is_empty() {
            self.records = records;
            return Ok((0, 0));
        }
        let writer = IndexWriter::new(&self.language, records.iter().map(|r| r.url.as_str()));
        let fresh: Vec<PageIndex> = changed
            .par_iter()
            .map(|&i| analysed(&writer, &records[i]))
            .collect::<Result<_, _>>()?;
        self.records = records;

        // The run keys whose postings changed: (page, key, gained, lost).
        let mut diffs: Vec<(u32, String, bool, bool)> = Vec::new();
        let mut filters_changed = false;
        for (&n, new) in changed.iter().zip(fresh) {
            let old = std::mem::replace(&mut self.pages[n], new);
            let new = &self.pages[n];
            filters_changed |= old.filters != new.filters;
            let old_map: HashMap<&str, &[u8]> = old.postings.coded().collect();
            let new_map: HashMap<&str, &[u8]> = new.postings.coded().collect();
            for (k, p) in &old_map {
                match new_map.get(k) {
                    Some(q) if p == q => {}
                    Some(_) => diffs.push((n as u32, k.to_string(), false, false)),
                    None => diffs.push((n as u32, k.to_string(), false, true)),
                }
            }
            for k in new_map.keys().filter(|k| !old_map.contains_key(*k)) {
                diffs.push((n as u32, k.to_string(), true, false));
            }
        }
        let touched: BTreeSet<String> = diffs.iter().map(|d| base(&d.1).to_string()).collect();
        let existed: HashSet<&String> = touched.iter().filter(|b| self.has_base(b)).collect();
        for (page, k, gained, lost) in &diffs {
            if *lost {
                if let Some(v) = self.keys.get_mut(k) {
                    v.retain(|x| x != page);
                    if v.is_empty() {
                        self.keys.remove(k);
                    }
                }
            } else if *gained {
                let v = self.keys.entry(k.clone()).or_default();
                if let Err(at) = v.binary_search(page) {
                    v.insert(at, *page);
                }
            }
        }
        // A key that came or went changes the vocabulary, and with it the
        // splits that asked about it.
        let came_or_went: Vec<&String> = touched
            .iter()
            .filter(|b| self.has_base(b) != existed.contains(b))
            .collect();
        let mut words: BTreeSet<String> = touched.clone();
        // Per word the pages whose entry changed: a word whose positions
        // moved on one page is patched there, not made from all its pages.
        let mut patches = Patches::default();
        for (page, k, _, _) in &diffs {
            let b = base(k);
            if k.contains('\0') {
                // A diacritic form: its own list follows the pages.
                patches.full.insert(b.to_string());
            }
            patches
                .pages
                .entry(b.to_string())
                .or_default()
                .insert(*page);
        }
        let trace = std::env::var_os("KB_TRACE_INDEX").is_some();
        let t = Instant::now();
        if self.dutch {
            if !came_or_went.is_empty() {
                let again = self.resplit(&came_or_went, &mut words, &mut patches.full);
                if trace {
                    eprintln!(
                        "zoekindex: {again} sleutels opnieuw gesplitst in {:?}",
                        t.elapsed()
                    );
                }
            }
            // Parts of a changed key get its postings, on the same pages.
            for (page, k, _, _) in &diffs {
                for p in self.parts.get(base(k)).into_iter().flatten() {
                    words.insert(p.clone());
                    patches.pages.entry(p.clone()).or_default().insert(*page);
                }
            }
        }

        let t = Instant::now();
        let written = self.rechunk(&words, &patches);
        if filters_changed {
            self.filters = self.encode_filters();
        }
        if trace {
            eprintln!(
                "zoekindex: {} woorden ({} per pagina bijgewerkt), {written} blokken opnieuw in {:?}",
                words.len(),
                self.patched.load(std::sync::atomic::Ordering::Relaxed),
                t.elapsed()
            );
        }
        Ok((changed.len(), written))
    }

    fn has_base(&self, b: &str) -> bool {
        self.run_keys(b).next().is_some()
    }

    /// `b`'s run keys: `b` itself and `b\0form`, which sort right after it.
    fn run_keys<'a>(&'a self, b: &'a str) -> impl Iterator<Item = (&'a String, &'a Vec<u32>)> {
        self.keys
            .range::<str, _>((std::ops::Bound::Included(b), std::ops::Bound::Unbounded))
            .take_while(move |(k, _)| base(k) == b)
    }

    fn vocabulary(&self) -> BTreeSet<String> {
        self.keys.keys().map(|k| base(k).to_string()).collect()
    }

    /// Splits again the keys whose split may depend on the keys that came
    /// or went (`changed`), adding the parts whose postings change to
    /// `words`; returns how many keys were split.
    ///
    /// A split of key `k` asks about substrings of `k` and their stems
    /// ([`dutch::compound_parts`]), and only for keys of lowercase letters;
    /// a stem keeps all but at most the last two letters of the word it is
    /// made from (`steden` → `stad`, `jaren` → `jaar`; checked over the
    /// site vocabulary in the tests). So only keys containing all but the
    /// last two letters of a key that came or went can split differently.
    /// Their parts' wholes change, so those parts go to `full` too.
    fn resplit(
        &mut self,
        changed: &[&String],
        words: &mut BTreeSet<String>,
        full: &mut HashSet<String>,
    ) -> usize {
        let cues: Vec<&str> = changed
            .iter()
            .filter(|q| q.len() >= 3 && q.bytes().all(|c| c.is_ascii_lowercase()))
            .map(|q| &q[..stem_prefix(q)])
            .collect();
        let mut candidates: Vec<String> = Vec::new();
        if !cues.is_empty() {
            let mut last = "";
            for k in self.keys.keys() {
                let b = base(k);
                if b != last && cues.iter().any(|c| b.contains(c)) {
                    candidates.push(b.to_string());
                }
                last = b;
            }
        }
        // A key that went has no split any more.
        let gone: Vec<&String> = changed
            .iter()
            .copied()
            .filter(|q| !self.has_base(q))
            .collect();
        for q in gone {
            if let Some(old) = self.parts.remove(q) {
                words.extend(old.iter().cloned());
                full.extend(old.iter().cloned());
                self.unlink(q, &old);
            }
        }
        let fresh = self.split(&candidates);
        for k in &candidates {
            let new = fresh.get(k);
            let old = self.parts.get(k);
            if old == new {
                continue;
            }
            for p in old.into_iter().flatten().chain(new.into_iter().flatten()) {
                words.insert(p.clone());
                full.insert(p.clone());
            }
            if let Some(old) = self.parts.remove(k) {
                self.unlink(k, &old);
            }
            if let Some(new) = new {
                for p in new {
                    self.wholes.entry(p.clone()).or_default().insert(k.clone());
                }
                self.parts.insert(k.clone(), new.clone());
            }
        }
        candidates.len()
    }

    /// Forgets that `k` gives its postings to `parts`.
    fn unlink(&mut self, k: &str, parts: &[String]) {
        for p in parts {
            if let Some(w) = self.wholes.get_mut(p) {
                w.remove(k);
                if w.is_empty() {
                    self.wholes.remove(p);
                }
            }
        }
    }

    /// The compound parts of the keys in `vocab`, as a build finds them
    /// (the keys known are those of the index).
    fn split(&self, vocab: &[String]) -> HashMap<String, Vec<String>> {
        let known = |k: &str| self.has_base(k);
        vocab
            .par_iter()
            .filter_map(|k| {
                let p: Vec<String> = dutch::compound_parts(k, &known)
                    .into_iter()
                    .filter(|x| x != k)
                    .collect();
                (!p.is_empty()).then(|| (k.clone(), p))
            })
            .collect()
    }

    fn set_parts(&mut self, parts: HashMap<String, Vec<String>>) {
        let mut wholes: HashMap<String, BTreeSet<String>> = HashMap::new();
        for (k, ps) in &parts {
            for p in ps {
                wholes.entry(p.clone()).or_default().insert(k.clone());
            }
        }
        self.parts = parts;
        self.wholes = wholes;
    }

    /// Every word of the index: the keys' bases and the compound parts.
    fn words(&self) -> BTreeSet<String> {
        let mut w = self.vocabulary();
        w.extend(self.wholes.keys().cloned());
        w
    }

    /// Page `page`'s posting of `run_key`, with the page number set.
    fn posting(&self, page: u32, run_key: &str) -> Option<Posting> {
        let mut p = self.pages[page as usize].postings.get(run_key)?;
        p.page = page;
        Some(p)
    }

    /// Word `w` as a full build writes it (its pages and forms, the
    /// postings of the compounds it is part of at half weight), with its
    /// size in locations; `None` when no page holds it any more.
    fn word(&self, w: &str, number: &[u32]) -> Option<(PackedWord, usize)> {
        let mut main: Vec<Posting> = Vec::new();
        let mut variants: Vec<(String, Vec<Posting>)> = Vec::new();
        for (k, pages) in self.run_keys(w) {
            let postings: Vec<Posting> = pages.iter().filter_map(|&n| self.posting(n, k)).collect();
            match k.split_once('\0') {
                Some((_, form)) => variants.push((form.to_string(), postings)),
                None => main.extend(postings),
            }
        }
        for whole in self.wholes.get(w).into_iter().flatten() {
            for (k, pages) in self.run_keys(whole) {
                for &n in pages {
                    if let Some(mut p) = self.posting(n, k) {
                        for l in p.locs.iter_mut() {
                            l.1 = (l.1 / 2).max(1);
                        }
                        main.push(p);
                    }
                }
            }
        }
        if main.is_empty() && variants.is_empty() {
            return None;
        }
        let pages = writer::pack_pages(&mut main, number);
        let additional_variants: Vec<PackedVariant> = variants
            .into_iter()
            .map(|(form, mut ps)| PackedVariant {
                form,
                pages: writer::pack_pages(&mut ps, number),
            })
            .collect();
        let size = pages
            .iter()
            .chain(additional_variants.iter().flat_map(|v| &v.pages))
            .map(|p| p.locs.len() + p.meta_locs.len() + 1)
            .sum::<usize>()
            + additional_variants.len();
        Some((
            PackedWord {
                word: w.to_string(),
                pages,
                additional_variants,
            },
            size,
        ))
    }

    /// Word `w`'s entry for page `n` as [`Self::word`] makes it (its own
    /// postings and its wholes' at half weight), the page number absolute;
    /// `None` when the page holds nothing of it.
    fn page_entry(&self, w: &str, n: u32, number: &[u32]) -> Option<PackedPage> {
        let mut postings: Vec<Posting> = Vec::new();
        let take = |mut p: Posting, half: bool| {
            if half {
                for l in p.locs.iter_mut() {
                    l.1 = (l.1 / 2).max(1);
                }
            }
            p
        };
        postings.extend(self.posting(n, w).map(|p| take(p, false)));
        for whole in self.wholes.get(w).into_iter().flatten() {
            for (k, _) in self.run_keys(whole) {
                postings.extend(self.posting(n, k).map(|p| take(p, true)));
            }
        }
        writer::pack_pages(&mut postings, number).into_iter().next()
    }

    /// `old` with the entries of `pages` made again; `None` when one of
    /// them is not in it or no longer holds the word (then the word is
    /// made again whole).
    fn splice(
        &self,
        w: &str,
        old: &Encoded,
        pages: &BTreeSet<u32>,
        number: &[u32],
    ) -> Option<Encoded> {
        let entry_size = |p: &PackedPage| p.locs.len() + p.meta_locs.len() + 1;
        let mut cbor = Vec::with_capacity(old.cbor.len() + 64);
        let mut offsets = old.pages.clone();
        let mut size = old.size;
        let mut copied = 0usize;
        // (index of the entry, its new length minus its old)
        let mut grown: Vec<(usize, isize)> = Vec::with_capacity(pages.len());
        for &n in pages {
            let i = old.pages.binary_search_by_key(&n, |p| p.0).ok()?;
            let start = old.pages[i].1 as usize;
            let end = old.pages.get(i + 1).map_or(old.pages_end, |p| p.1) as usize;
            let was: PackedPage = minicbor::decode(&old.cbor[start..end]).ok()?;
            let mut entry = self.page_entry(w, n, number)?;
            entry.page_number = was.page_number;
            let mut bytes = Vec::with_capacity(end - start + 8);
            let _ = minicbor::encode(&entry, &mut bytes);
            size = size + entry_size(&entry) - entry_size(&was);
            cbor.extend_from_slice(&old.cbor[copied..start]);
            cbor.extend_from_slice(&bytes);
            copied = end;
            grown.push((i, bytes.len() as isize - (end - start) as isize));
        }
        cbor.extend_from_slice(&old.cbor[copied..]);
        let mut shift = 0isize;
        let mut next = grown.iter().peekable();
        for (i, o) in offsets.iter_mut().enumerate() {
            o.1 = (o.1 as isize + shift) as u32;
            while let Some(&&(j, d)) = next.peek() {
                if j != i {
                    break;
                }
                shift += d;
                next.next();
            }
        }
        Some(Encoded {
            cbor,
            size,
            pages: offsets,
            pages_end: (old.pages_end as isize + shift) as u32,
        })
    }

    fn numbers(&self) -> Vec<u32> {
        (0..self.pages.len() as u32).collect()
    }

    /// `words` (sorted) cut into chunks of about `limit` locations, encoded;
    /// the words of `old` not in `changed` keep their encoding, and those
    /// with only some pages changed (`patches`) are patched.
    fn cut(
        &self,
        words: &[String],
        limit: usize,
        old: Option<&Chunk>,
        changed: &BTreeSet<String>,
        patches: &Patches,
    ) -> Vec<Chunk> {
        let number = self.numbers();
        let before: HashMap<&str, &Encoded> = old
            .map(|c| {
                c.words
                    .iter()
                    .map(String::as_str)
                    .zip(c.encoded.iter())
                    .collect()
            })
            .unwrap_or_default();
        let built: Vec<(String, Encoded)> = words
            .par_iter()
            .filter_map(|w| {
                let was = before.get(w.as_str()).copied();
                if let Some(e) = was.filter(|_| !changed.contains(w)) {
                    return Some((w.clone(), e.clone()));
                }
                let patched = match (was, patches.pages.get(w)) {
                    (Some(e), Some(pages)) if !patches.full.contains(w) => {
                        self.splice(w, e, pages, &number)
                    }
                    _ => None,
                };
                if let Some(e) = patched {
                    debug_assert!(
                        self.word(w, &number).is_some_and(|(word, size)| {
                            let full = Encoded::new(&word, size);
                            full.cbor == e.cbor && full.size == e.size && full.pages == e.pages
                        }),
                        "the patched word {w} is the word made again"
                    );
                    self.patched
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return Some((w.clone(), e));
                }
                let (word, size) = self.word(w, &number)?;
                Some((w.clone(), Encoded::new(&word, size)))
            })
            .collect();
        let mut groups: Vec<Vec<(String, Encoded)>> = Vec::new();
        let mut group = Vec::new();
        let mut size = 0;
        for w in built {
            size += w.1.size;
            group.push(w);
            if size >= limit {
                groups.push(std::mem::take(&mut group));
                size = 0;
            }
        }
        if !group.is_empty() {
            groups.push(group);
        }
        let old_pieces: &[Piece] = old.map_or(&[], |c| &c.pieces);
        groups
            .into_par_iter()
            .map(|group| {
                let (words, encoded): (Vec<String>, Vec<Encoded>) = group.into_iter().unzip();
                let (meta, file, pieces) = chunk_from(&self.language, &words, &encoded, old_pieces);
                Chunk {
                    words,
                    encoded,
                    meta,
                    file,
                    pieces,
                }
            })
            .collect()
    }

    /// Rebuilds the chunks that hold (or would hold) `words`; returns how
    /// many chunks were written.
    fn rechunk(&mut self, words: &BTreeSet<String>, patches: &Patches) -> usize {
        if words.is_empty() {
            return 0;
        }
        // Chunk i takes the words from its first word up to the next
        // chunk's first; words before the first chunk go to it.
        let firsts: Vec<&str> = self
            .chunks
            .iter()
            .map(|c| c.words.first().map_or("", String::as_str))
            .collect();
        let mut by_chunk: BTreeMap<usize, Vec<&String>> = BTreeMap::new();
        for w in words {
            let i = firsts
                .partition_point(|f| *f <= w.as_str())
                .saturating_sub(1);
            by_chunk.entry(i).or_default().push(w);
        }
        let rebuilt: Vec<(usize, Vec<Chunk>)> = by_chunk
            .into_par_iter()
            .map(|(i, new)| {
                let mut list: BTreeSet<String> = self
                    .chunks
                    .get(i)
                    .map(|c| c.words.iter().cloned().collect())
                    .unwrap_or_default();
                list.extend(new.into_iter().cloned());
                let list: Vec<String> = list.into_iter().collect();
                // Between kept bounds a chunk may grow to twice the size.
                (
                    i,
                    self.cut(
                        &list,
                        2 * self.chunk_size,
                        self.chunks.get(i),
                        words,
                        patches,
                    ),
                )
            })
            .collect();
        let written = rebuilt.iter().map(|(_, c)| c.len()).sum();
        let mut replace: HashMap<usize, Vec<Chunk>> = rebuilt.into_iter().collect();
        let old = std::mem::take(&mut self.chunks);
        if old.is_empty() {
            self.chunks = replace.remove(&0).unwrap_or_default();
            return written;
        }
        for (i, c) in old.into_iter().enumerate() {
            match replace.remove(&i) {
                Some(new) => self.chunks.extend(new),
                None => self.chunks.push(c),
            }
        }
        written
    }

    /// The filter files, their `pf_meta` entries and the facets (its file
    /// last, its name beside).
    fn encode_filters(&self) -> writer::FilterFiles {
        let slots = self
            .pages
            .iter()
            .map(|p| p.slot as usize + 1)
            .max()
            .unwrap_or(0);
        let values = self.pages.iter().enumerate().flat_map(|(n, p)| {
            p.filters
                .iter()
                .map(move |(f, v)| (f.clone(), v.clone(), n as u32, p.slot))
        });
        writer::encode_filter_set(&self.language, slots, values)
    }

    /// Every file of the bundle, sorted by path.
    fn files(&self) -> Result<Vec<OutputFile>, Diagnostic> {
        let mut digest = [0u8; 20];
        for p in &self.pages {
            for (d, x) in digest.iter_mut().zip(p.digest) {
                *d ^= x;
            }
        }
        let token = writer::fragment_token(&digest);
        let meta_pages: Vec<MetaPage> = self
            .pages
            .iter()
            .map(|p| MetaPage {
                hash: writer::fragment_ref(&p.name, &token),
                word_count: writer::ranking_length(p.word_count),
                group_hash: String::new(),
            })
            .collect();
        let mut index_chunks: Vec<MetaChunk> = self.chunks.iter().map(|c| c.meta.clone()).collect();
        writer::trim_bounds(&mut index_chunks);
        let mut files: Vec<OutputFile> =
            Vec::with_capacity(self.pages.len() + self.chunks.len() + 32);
        files.extend(self.pages.iter().map(|p| p.fragment.clone()));
        files.extend(self.chunks.iter().map(|c| c.file.clone()));
        files.extend(self.filters.files.iter().cloned());
        files.extend(writer::encode_meta(
            &self.language,
            meta_pages,
            index_chunks,
            self.filters.meta.clone(),
            &self.filters.facets,
        ));
        files.extend(writer::runtime_files(runtime::files()?));
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::format::WordIndex;

    #[test]
    fn a_chunk_from_its_words_cbor_is_the_writers_chunk() {
        let word = |w: &str, n: u32| PackedWord {
            word: w.to_string(),
            pages: vec![PackedPage {
                page_number: n,
                locs: vec![-25, 3, 400, 70_000],
                meta_locs: vec![-4, 0],
            }],
            additional_variants: vec![PackedVariant {
                form: format!("{w}ë"),
                pages: Vec::new(),
            }],
        };
        let words: Vec<PackedWord> = (0..30).map(|i| word(&format!("taal{i:02}"), i)).collect();
        let names: Vec<String> = words.iter().map(|w| w.word.clone()).collect();
        let encoded: Vec<Encoded> = words
            .iter()
            .map(|w| {
                let mut b = Vec::new();
                minicbor::encode(w, &mut b).unwrap();
                let e = Encoded::new(w, 1);
                assert_eq!(e.cbor, b, "Encoded writes what minicbor writes");
                let mut page = 0;
                for (p, &(n, at)) in w.pages.iter().zip(&e.pages) {
                    page += p.page_number;
                    let back: PackedPage = minicbor::decode(&b[at as usize..]).unwrap();
                    assert_eq!((n, back.locs.clone()), (page, p.locs.clone()));
                }
                e
            })
            .collect();
        let (meta, file, pieces) = chunk_from("nl", &names, &encoded, &[]);
        let (want_meta, want_file) = writer::encode_chunk("nl", words);
        assert_eq!(file.path, want_file.path);
        assert_eq!(
            crate::search::bundle::decompress(&file.bytes).unwrap(),
            crate::search::bundle::decompress(&want_file.bytes).unwrap()
        );
        assert!(pieces.len() >= 2, "the header is a piece of its own");
        assert_eq!(
            (meta.from, meta.to, meta.hash),
            (want_meta.from, want_meta.to, want_meta.hash)
        );
    }

    /// A chunk whose words are cut into several pieces reads back whole,
    /// and a change inside one word compresses only the piece it is in.
    #[test]
    fn a_rewritten_chunk_compresses_only_the_pieces_that_changed() {
        let word = |w: &str, pages: u32, shift: i32| PackedWord {
            word: w.to_string(),
            pages: (0..pages)
                .map(|n| PackedPage {
                    page_number: 1,
                    locs: vec![
                        -25,
                        3 + shift * i32::from(n == pages / 2),
                        400,
                        7 + n as i32,
                    ],
                    meta_locs: vec![-4, 0],
                })
                .collect(),
            additional_variants: Vec::new(),
        };
        let make = |shift: i32| {
            let words: Vec<PackedWord> = (0..40)
                .map(|i| {
                    let (pages, shift) = if i == 20 {
                        (30_000, shift)
                    } else {
                        (50 + i, 0)
                    };
                    word(&format!("woord{i:02}"), pages, shift)
                })
                .collect();
            let names: Vec<String> = words.iter().map(|w| w.word.clone()).collect();
            let encoded: Vec<Encoded> = words.iter().map(|w| Encoded::new(w, 1)).collect();
            let mut cbor = Vec::new();
            minicbor::encode(WordIndex { words }, &mut cbor).unwrap();
            (names, encoded, cbor)
        };
        let (names, encoded, cbor) = make(0);
        let (_, file, pieces) = chunk_from("nl", &names, &encoded, &[]);
        assert_eq!(
            crate::search::bundle::decompress(&file.bytes).unwrap(),
            cbor
        );
        assert!(pieces.len() > 8, "{} pieces", pieces.len());

        // One position in the middle of the big word moves (same length).
        let (names2, encoded2, cbor2) = make(1);
        assert_ne!(cbor2, cbor);
        let (meta2, file2, pieces2) = chunk_from("nl", &names2, &encoded2, &pieces);
        assert_eq!(
            crate::search::bundle::decompress(&file2.bytes).unwrap(),
            cbor2
        );
        let fresh = pieces2
            .iter()
            .filter(|p| !pieces.iter().any(|o| o.deflated == p.deflated))
            .count();
        // The header piece is the same too: the word count did not change.
        assert_eq!(fresh, 1, "only the piece holding the change is new");
        assert_eq!(meta2.hash, format!("nl_{}", writer::short_hash(&cbor2)));
    }

    /// What [`State::resplit`] relies on: the stem of any piece of a word
    /// keeps all but at most its last two letters, over every piece of
    /// every word of the two Dutch sites.
    #[test]
    fn a_stem_keeps_the_start_of_its_word() {
        let vectors = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/dutch/vectors.tsv"
        ))
        .unwrap();
        let words: Vec<&str> = vectors
            .lines()
            .filter_map(|l| l.strip_prefix("word\t"))
            .filter_map(|l| l.split('\t').nth(1))
            .filter(|w| w.bytes().all(|c| c.is_ascii_lowercase()))
            .collect();
        assert!(words.len() > 1000, "{} words", words.len());
        let mut checked = 0;
        for w in &words {
            for i in 0..w.len() {
                for j in i + 1..=w.len() {
                    let piece = &w[i..j];
                    let k = dutch::stem(piece);
                    if k.len() < 3 || !k.bytes().all(|c| c.is_ascii_lowercase()) {
                        continue;
                    }
                    let cue = &k[..stem_prefix(&k)];
                    assert!(piece.starts_with(cue), "{piece} → {k}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 10_000, "{checked} pieces");
        for (w, k) in [("steden", "stad"), ("jaren", "jaar"), ("leden", "lid")] {
            assert_eq!(dutch::stem(w), k);
            assert!(w.starts_with(&k[..stem_prefix(k)]), "{w} → {k}");
        }
    }
}
