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

use super::format::{MetaChunk, MetaFilter, MetaPage, PackedVariant, PackedWord};
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
    filters: (Vec<MetaFilter>, Vec<OutputFile>),
}

/// A word's CBOR and its size in locations.
type Encoded = (Vec<u8>, usize);

struct Chunk {
    /// Its words, sorted.
    words: Vec<String>,
    /// Per word: its CBOR and its size in locations, so a rewritten chunk
    /// encodes only the words that changed.
    encoded: Vec<Encoded>,
    /// Bounds not yet trimmed.
    meta: MetaChunk,
    file: OutputFile,
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

fn same_posting(a: &Posting, b: &Posting) -> bool {
    a.locs == b.locs && a.meta == b.meta
}

/// A chunk from its words' CBOR: the bytes [`writer::encode_chunk`]
/// writes for the same words (a `WordIndex`: an array holding the array
/// of words).
fn chunk_from(
    lang: &str,
    words: &[String],
    encoded: &[(Vec<u8>, usize)],
) -> (MetaChunk, OutputFile) {
    let mut cbor = Vec::with_capacity(encoded.iter().map(|e| e.0.len()).sum::<usize>() + 16);
    {
        let mut e = minicbor::Encoder::new(&mut cbor);
        let _ = e.array(1).and_then(|e| e.array(encoded.len() as u64));
    }
    for (bytes, _) in encoded {
        cbor.extend_from_slice(bytes);
    }
    let name = format!("{}_{}", lang, writer::short_hash(&cbor));
    let meta = MetaChunk {
        from: words.first().cloned().unwrap_or_default(),
        to: words.last().cloned().unwrap_or_default(),
        hash: name.clone(),
    };
    let file = OutputFile {
        path: format!("{}/index/{name}.pf_index", super::BUNDLE_DIR),
        bytes: writer::compress_fast(&cbor),
        source: None,
    };
    (meta, file)
}

/// Page `r` analysed, its postings sorted by key (so [`State::posting`]
/// can search them; the writer keeps them in first-seen order).
fn analysed(writer: &IndexWriter, r: &Record) -> Result<PageIndex, Diagnostic> {
    let mut page = writer.analyse(r)?;
    page.postings.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(page)
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
            for (k, _) in &p.postings {
                match keys.get_mut(&**k) {
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
            filters: (Vec::new(), Vec::new()),
        };
        if state.dutch {
            let vocab: Vec<String> = state.vocabulary().into_iter().collect();
            state.set_parts(state.split(&vocab));
        }
        let words: Vec<String> = state.words().into_iter().collect();
        state.chunks = state.cut(&words, chunk_size, None, &BTreeSet::new());
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
            let old_map: HashMap<&str, &Posting> =
                old.postings.iter().map(|(k, p)| (&**k, p)).collect();
            let new_map: HashMap<&str, &Posting> =
                new.postings.iter().map(|(k, p)| (&**k, p)).collect();
            for (k, p) in &old_map {
                match new_map.get(k) {
                    Some(q) if same_posting(p, q) => {}
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
        let trace = std::env::var_os("KB_TRACE_INDEX").is_some();
        let t = Instant::now();
        if self.dutch {
            if !came_or_went.is_empty() {
                let again = self.resplit(&came_or_went, &mut words);
                if trace {
                    eprintln!(
                        "zoekindex: {again} sleutels opnieuw gesplitst in {:?}",
                        t.elapsed()
                    );
                }
            }
            // Parts of a changed key get its postings.
            for b in &touched {
                if let Some(p) = self.parts.get(b) {
                    words.extend(p.iter().cloned());
                }
            }
        }

        let t = Instant::now();
        let written = self.rechunk(&words);
        if filters_changed {
            self.filters = self.encode_filters();
        }
        if trace {
            eprintln!(
                "zoekindex: {} woorden, {written} blokken opnieuw in {:?}",
                words.len(),
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
    fn resplit(&mut self, changed: &[&String], words: &mut BTreeSet<String>) -> usize {
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
            words.extend(old.into_iter().flatten().cloned());
            words.extend(new.into_iter().flatten().cloned());
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

    fn posting(&self, page: u32, run_key: &str) -> Option<&Posting> {
        let p = &self.pages[page as usize].postings;
        p.binary_search_by(|(k, _)| (**k).cmp(run_key))
            .ok()
            .map(|i| &p[i].1)
    }

    /// Word `w` as a full build writes it (its pages and forms, the
    /// postings of the compounds it is part of at half weight), with its
    /// size in locations; `None` when no page holds it any more.
    fn word(&self, w: &str, number: &[u32]) -> Option<(PackedWord, usize)> {
        let mut main: Vec<Posting> = Vec::new();
        let mut variants: Vec<(String, Vec<Posting>)> = Vec::new();
        let with_page = |n: u32, p: &Posting| Posting {
            page: n,
            locs: p.locs.clone(),
            meta: p.meta.clone(),
        };
        for (k, pages) in self.run_keys(w) {
            let postings: Vec<Posting> = pages
                .iter()
                .filter_map(|&n| self.posting(n, k).map(|p| with_page(n, p)))
                .collect();
            match k.split_once('\0') {
                Some((_, form)) => variants.push((form.to_string(), postings)),
                None => main.extend(postings),
            }
        }
        for whole in self.wholes.get(w).into_iter().flatten() {
            for (k, pages) in self.run_keys(whole) {
                for &n in pages {
                    if let Some(p) = self.posting(n, k) {
                        let mut p = with_page(n, p);
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

    fn numbers(&self) -> Vec<u32> {
        (0..self.pages.len() as u32).collect()
    }

    /// `words` (sorted) cut into chunks of about `limit` locations, encoded;
    /// the words of `old` not in `changed` keep their encoding.
    fn cut(
        &self,
        words: &[String],
        limit: usize,
        old: Option<&Chunk>,
        changed: &BTreeSet<String>,
    ) -> Vec<Chunk> {
        let number = self.numbers();
        let kept: HashMap<&str, &Encoded> = old
            .map(|c| {
                c.words
                    .iter()
                    .map(String::as_str)
                    .zip(c.encoded.iter())
                    .filter(|(w, _)| !changed.contains(*w))
                    .collect()
            })
            .unwrap_or_default();
        let built: Vec<(String, Encoded)> = words
            .par_iter()
            .filter_map(|w| {
                if let Some(&e) = kept.get(w.as_str()) {
                    return Some((w.clone(), e.clone()));
                }
                let (word, size) = self.word(w, &number)?;
                let mut cbor = Vec::new();
                let _ = minicbor::encode(&word, &mut cbor);
                Some((w.clone(), (cbor, size)))
            })
            .collect();
        let mut groups: Vec<Vec<(String, Encoded)>> = Vec::new();
        let mut group = Vec::new();
        let mut size = 0;
        for w in built {
            size += w.1 .1;
            group.push(w);
            if size >= limit {
                groups.push(std::mem::take(&mut group));
                size = 0;
            }
        }
        if !group.is_empty() {
            groups.push(group);
        }
        groups
            .into_par_iter()
            .map(|group| {
                let (words, encoded): (Vec<String>, Vec<Encoded>) = group.into_iter().unzip();
                let (meta, file) = chunk_from(&self.language, &words, &encoded);
                Chunk {
                    words,
                    encoded,
                    meta,
                    file,
                }
            })
            .collect()
    }

    /// Rebuilds the chunks that hold (or would hold) `words`; returns how
    /// many chunks were written.
    fn rechunk(&mut self, words: &BTreeSet<String>) -> usize {
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
                    self.cut(&list, 2 * self.chunk_size, self.chunks.get(i), words),
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

    fn encode_filters(&self) -> (Vec<MetaFilter>, Vec<OutputFile>) {
        let mut by_filter: BTreeMap<String, BTreeMap<String, Vec<u32>>> = BTreeMap::new();
        for (n, p) in self.pages.iter().enumerate() {
            for (f, v) in &p.filters {
                by_filter
                    .entry(f.clone())
                    .or_default()
                    .entry(v.clone())
                    .or_default()
                    .push(n as u32);
            }
        }
        writer::encode_filters(&self.language, by_filter)
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
                word_count: p.word_count,
                group_hash: String::new(),
            })
            .collect();
        let mut index_chunks: Vec<MetaChunk> = self.chunks.iter().map(|c| c.meta.clone()).collect();
        writer::trim_bounds(&mut index_chunks);
        let mut files: Vec<OutputFile> =
            Vec::with_capacity(self.pages.len() + self.chunks.len() + 32);
        files.extend(self.pages.iter().map(|p| p.fragment.clone()));
        files.extend(self.chunks.iter().map(|c| c.file.clone()));
        files.extend(self.filters.1.iter().cloned());
        files.extend(writer::encode_meta(
            &self.language,
            meta_pages,
            index_chunks,
            self.filters.0.clone(),
        ));
        files.extend(writer::runtime_files(runtime::files()?));
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::format::PackedPage;

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
                (b, 1)
            })
            .collect();
        let (meta, file) = chunk_from("nl", &names, &encoded);
        let (want_meta, want_file) = writer::encode_chunk("nl", words);
        assert_eq!(file.path, want_file.path);
        assert_eq!(file.bytes, want_file.bytes);
        assert_eq!(
            (meta.from, meta.to, meta.hash),
            (want_meta.from, want_meta.to, want_meta.hash)
        );
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
