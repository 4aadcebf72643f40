//! Reading a built Pagefind bundle (`<output>/pagefind/`) back: its size on
//! disk and what a browser downloads to answer one query. The benchmark and
//! the tests use this; the build itself never does.
//!
//! The files are Pagefind 1.6's: `pagefind-entry.json` names the language's
//! metadata file `pagefind.<hash>.pf_meta`; that, the word index chunks
//! (`index/*.pf_index`), filter chunks (`filter/*.pf_filter`) and the
//! per-page fragments (`fragment/*.pf_fragment`) are gzipped, begin with the
//! signature `pagefind_dcd`, and (except the fragments, which are JSON) hold
//! CBOR.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::Path;

use minicbor::Decode;

use super::format::{FilterIndex, MetaChunk, MetaIndex, PackedWord, WordIndex};

/// The signature Pagefind writes at the start of every compressed file.
pub(super) const SIGNATURE: &[u8] = b"pagefind_dcd";

/// Bytes on disk of one bundle, by kind of file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BundleSize {
    pub files: usize,
    pub bytes: u64,
    /// One per page: its text, metadata and filters (JSON).
    pub fragments: u64,
    /// Word index chunks.
    pub index: u64,
    /// Filter chunks.
    pub filters: u64,
    /// `pagefind-entry.json` and the `.pf_meta` file.
    pub meta: u64,
    /// JavaScript, CSS and WebAssembly that do not depend on the content.
    pub code: u64,
}

/// Sizes of everything under `dir` (the `pagefind/` folder of a build).
pub fn bundle_size(dir: &Path) -> io::Result<BundleSize> {
    let mut size = BundleSize::default();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.map_err(io::Error::other)?;
        if !entry.file_type().is_file() {
            continue;
        }
        let len = entry.metadata().map_err(io::Error::other)?.len();
        let name = entry.file_name().to_string_lossy();
        size.files += 1;
        size.bytes += len;
        if name.ends_with(".pf_fragment") {
            size.fragments += len;
        } else if name.ends_with(".pf_index") {
            size.index += len;
        } else if name.ends_with(".pf_filter") {
            size.filters += len;
        } else if name.ends_with(".pf_meta") || name == "pagefind-entry.json" {
            size.meta += len;
        } else {
            size.code += len;
        }
    }
    Ok(size)
}

/// The file Pagefind fetches for a page's fragment: it requests
/// `fragment/<hash>.pf_fragment`, and our hashes end in a query string
/// (`<name>.pf_fragment?v=<token>`) that the host ignores.
fn fragment_file(hash: &str) -> String {
    let url = format!("fragment/{hash}.pf_fragment");
    match url.split_once('?') {
        Some((file, _)) => file.to_string(),
        None => url,
    }
}

/// The default theme's modules a search loads, beside `pagefind/`: its
/// client for Pagefind's worker and its Dutch analyser.
const THEME_CLIENT: [&str; 2] = ["../js/kb-pagefind.js", "../js/kb-dutch.js"];

/// What a browser fetches for one query on the search page.
#[derive(Debug, Clone, Default)]
pub struct QueryCost {
    /// Pages that contain a word starting with the (stemmed) query words.
    pub matches: usize,
    /// Each file fetched (path inside the bundle) and its size in bytes.
    pub files: Vec<(String, u64)>,
    pub bytes: u64,
    /// The same with the host compressing text files (`.js`, `.json`) as
    /// most do (gzip, default level); the index files are gzipped already.
    pub bytes_http_gzip: u64,
}

/// The bytes a browser downloads (compressed, as served) to run `query` on
/// the search page and show the first `shown` results: the default theme's
/// `js/kb-pagefind.js` and `js/kb-dutch.js` (for another theme
/// `pagefind.js`) and `pagefind-worker.js`, `pagefind-entry.json`, the
/// language's WebAssembly and `.pf_meta`, the facets (the search page lists
/// the filters with counts; the entry again for their name) or for another
/// theme every filter chunk, the word
/// index chunks that cover the query's words, and the fragments of `shown`
/// result pages.
///
/// Which pages come first is approximated by the number of occurrences of
/// the query words (Pagefind ranks with BM25 and word weights); fragments
/// are of similar size, so the total hardly depends on it. The browser test
/// checks this figure against what Chromium actually downloads.
pub fn query_cost(dir: &Path, query: &str, shown: usize) -> io::Result<QueryCost> {
    cost_of(dir, query, shown, true)
}

/// [`query_cost`] for the header box on every page: the same files without
/// the filters, which only the search page loads (`pagefind.filters()`);
/// a search without filters fetches none.
pub fn query_cost_header(dir: &Path, query: &str, shown: usize) -> io::Result<QueryCost> {
    cost_of(dir, query, shown, false)
}

fn cost_of(dir: &Path, query: &str, shown: usize, filters: bool) -> io::Result<QueryCost> {
    let mut cost = QueryCost::default();
    let fetch = |cost: &mut QueryCost, rel: &str| -> io::Result<()> {
        let len = std::fs::metadata(dir.join(rel))?.len();
        cost.files.push((rel.to_string(), len));
        cost.bytes += len;
        cost.bytes_http_gzip += if rel.ends_with(".js") || rel.ends_with(".json") {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            std::io::Write::write_all(&mut gz, &std::fs::read(dir.join(rel))?)?;
            gz.finish()?.len() as u64
        } else {
            len
        };
        Ok(())
    };
    // The default theme starts Pagefind's worker itself and never loads
    // `pagefind.js` (`kb-pagefind.js`); it also loads its Dutch analyser.
    // Another theme uses `pagefind.js`, which starts the worker.
    if dir.join(THEME_CLIENT[0]).is_file() {
        for rel in THEME_CLIENT {
            fetch(&mut cost, rel)?;
        }
    } else {
        fetch(&mut cost, "pagefind.js")?;
    }
    fetch(&mut cost, "pagefind-worker.js")?;
    fetch(&mut cost, "pagefind-entry.json")?;
    let entry: Entry = serde_json::from_slice(&std::fs::read(dir.join("pagefind-entry.json"))?)
        .map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("pagefind-entry.json: {e}"),
            )
        })?;
    let (lang, language) = entry
        .languages
        .iter()
        .max_by_key(|(_, l)| l.page_count)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "pagefind-entry.json: geen talen",
            )
        })?;
    match &language.wasm {
        Some(w) => fetch(&mut cost, &format!("wasm.{w}.pagefind"))?,
        None => fetch(&mut cost, "wasm.unknown.pagefind")?,
    }
    let meta_rel = format!("pagefind.{}.pf_meta", language.hash);
    fetch(&mut cost, &meta_rel)?;
    let meta: MetaIndex = decode(&read_compressed(&dir.join(&meta_rel))?)?;
    // The default theme's search page counts with the facets; Pagefind's
    // own filter chunks are for a theme without them.
    if filters {
        match &entry.kb_facets {
            Some(facets) if dir.join(THEME_CLIENT[0]).is_file() => {
                // `search.js` reads the entry itself for the facets' name.
                fetch(&mut cost, "pagefind-entry.json")?;
                fetch(&mut cost, facets)?;
            }
            _ => {
                for f in &meta.filters {
                    fetch(&mut cost, &format!("filter/{}.pf_filter", f.hash))?;
                }
            }
        }
    }

    // Pages and occurrences of the words each query term matches: those
    // starting with its stem, else the longest word its stem starts with
    // (Pagefind's `find_word_extensions`).
    let mut hits: BTreeMap<usize, usize> = BTreeMap::new();
    for (raw, stem) in query_terms(query, lang) {
        let mut words: Vec<PackedWord> = Vec::new();
        for chunk in chunks_for(&meta.index_chunks, &raw, &stem) {
            let rel = format!("index/{}.pf_index", chunk.hash);
            if !cost.files.iter().any(|(f, _)| *f == rel) {
                fetch(&mut cost, &rel)?;
            }
            let index: WordIndex = decode(&read_compressed(&dir.join(&rel))?)?;
            words.extend(index.words);
        }
        let mut matched: Vec<&PackedWord> =
            words.iter().filter(|w| w.word.starts_with(&stem)).collect();
        if matched.is_empty() {
            matched.extend(
                words
                    .iter()
                    .filter(|w| stem.starts_with(&w.word))
                    .max_by_key(|w| w.word.len()),
            );
        }
        for word in matched {
            let lists = std::iter::once(&word.pages)
                .chain(word.additional_variants.iter().map(|v| &v.pages));
            for pages in lists {
                let mut page = 0;
                for p in pages {
                    page += p.page_number as usize; // delta-encoded
                    *hits.entry(page).or_default() += p.locs.len() + p.meta_locs.len();
                }
            }
        }
    }
    cost.matches = hits.len();
    let mut ranked: Vec<(usize, usize)> = hits.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut groups_seen = Vec::new();
    for (page, _) in ranked.into_iter().take(shown) {
        let Some(p) = meta.pages.get(page) else {
            continue;
        };
        // With `max_fragments`, pages share group files: fetched once.
        let rel = if p.group_hash.is_empty() {
            fragment_file(&p.hash)
        } else if groups_seen.contains(&p.group_hash) {
            continue;
        } else {
            groups_seen.push(p.group_hash.clone());
            format!("fragment/{}.pf_fragment", p.group_hash)
        };
        fetch(&mut cost, &rel)?;
    }
    Ok(cost)
}

/// The query words as the browser looks them up: per word (split on
/// spaces) the folded word and its index key, made by the same analyser as
/// the index (`kb-dutch.js` does this in the browser; the WebAssembly
/// named `unknown` in the entry does not stem).
pub(crate) fn query_terms(query: &str, lang: &str) -> Vec<(String, String)> {
    let dutch = lang.split('-').next() == Some("nl");
    query
        .split_whitespace()
        .filter_map(|w| {
            let keys = super::word_keys(w, dutch)?;
            let folded = keys.variant.unwrap_or_else(|| keys.key.clone());
            let folded = super::dutch::normalise(&folded);
            Some((folded, keys.key))
        })
        .collect()
}

/// The word index chunks Pagefind's WebAssembly requests for one term
/// (`request_indexes`): for the term and for its stem, the chunks whose
/// `from..=to` range holds it, or when none does, those whose bounds match
/// it prefix-wise (the bounds are shortened to distinguishing prefixes).
fn chunks_for<'m>(chunks: &'m [MetaChunk], raw: &str, stem: &str) -> Vec<&'m MetaChunk> {
    let mut out: Vec<&MetaChunk> = Vec::new();
    let terms: &[&str] = if raw == stem { &[raw] } else { &[raw, stem] };
    for &term in terms {
        let strict: Vec<&MetaChunk> = chunks
            .iter()
            .filter(|c| term >= c.from.as_str() && term <= c.to.as_str())
            .collect();
        let found = if strict.is_empty() {
            let prefix = |s: &str, n: usize| s.chars().take(n).collect::<String>();
            let len = term.chars().count();
            chunks
                .iter()
                .filter(|c| {
                    let from = len.min(c.from.chars().count());
                    let to = len.min(c.to.chars().count());
                    prefix(term, from) >= prefix(&c.from, from)
                        && prefix(term, to) <= prefix(&c.to, to)
                })
                .collect()
        } else {
            strict
        };
        for c in found {
            if !out.iter().any(|o| o.hash == c.hash) {
                out.push(c);
            }
        }
    }
    out
}

/// Reads a compressed bundle file and strips the signature.
pub(crate) fn read_compressed(path: &Path) -> io::Result<Vec<u8>> {
    decompress(&std::fs::read(path)?)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// Unzips the contents of a compressed bundle file and strips the signature.
pub(crate) fn decompress(bytes: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)?;
    match out.strip_prefix(SIGNATURE) {
        Some(rest) => Ok(rest.to_vec()),
        None => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "geen Pagefind-bestand",
        )),
    }
}

/// The JSON of one page's fragment (`url`, `content`, `meta`, `filters`, ...)
/// from the bytes of its `.pf_fragment` file.
pub fn fragment(bytes: &[u8]) -> io::Result<serde_json::Value> {
    serde_json::from_slice(&decompress(bytes)?)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// A bundle's index read back whole, for tests: pages with their
/// fragments, every word with its pages and positions, and the filters.
#[derive(Debug, Clone)]
pub struct Index {
    pub version: String,
    /// The language key in `pagefind-entry.json` and its `wasm` value.
    pub language: String,
    pub wasm: Option<String>,
    pub meta_fields: Vec<String>,
    /// In page-number order.
    pub pages: Vec<IndexPage>,
    /// Word → its postings, page numbers absolute.
    pub words: BTreeMap<String, Vec<Hit>>,
    /// Filter → value → page numbers.
    pub filters: BTreeMap<String, BTreeMap<String, Vec<usize>>>,
    /// The facets file's: filter → value → page slots (a page's slot is its
    /// fragment's name in base 36); `None` without one.
    pub facets: Option<Facets>,
    /// (from, to) of each word chunk, in order, and the words it holds.
    pub chunks: Vec<(String, String, Vec<String>)>,
}

/// The facets file (`writer::encode_facets`) read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Facets {
    pub slots: usize,
    pub filters: BTreeMap<String, BTreeMap<String, Vec<usize>>>,
}

#[derive(Debug, Clone)]
pub struct IndexPage {
    pub hash: String,
    pub word_count: u32,
    pub fragment: serde_json::Value,
}

/// One page's postings for one word (or for one of its diacritic forms).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub page: usize,
    /// The diacritic form (`additional_variants`), `None` for the word.
    pub form: Option<String>,
    /// (position in the fragment's content, weight: 25 is 1.0).
    pub locs: Vec<(u32, u8)>,
    /// (metadata field id, position in that field).
    pub meta: Vec<(u16, u32)>,
}

/// Reads the index of a bundle; `read` gives a file's bytes by its path
/// inside `pagefind/`.
pub fn read_index(read: &dyn Fn(&str) -> io::Result<Vec<u8>>) -> io::Result<Index> {
    let invalid = |m: String| io::Error::new(io::ErrorKind::InvalidData, m);
    let entry: Entry = serde_json::from_slice(&read("pagefind-entry.json")?)
        .map_err(|e| invalid(format!("pagefind-entry.json: {e}")))?;
    let (language, lang) = entry
        .languages
        .into_iter()
        .next()
        .ok_or_else(|| invalid("pagefind-entry.json: geen talen".into()))?;
    let meta_bytes = decompress(&read(&format!("pagefind.{}.pf_meta", lang.hash))?)?;
    let meta: MetaIndex = decode(&meta_bytes)?;
    let mut pages = Vec::new();
    for p in &meta.pages {
        let bytes = read(&fragment_file(&p.hash))?;
        pages.push(IndexPage {
            hash: p.hash.clone(),
            word_count: p.word_count,
            fragment: fragment(&bytes)?,
        });
    }
    let mut words: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    let mut chunks = Vec::new();
    for c in &meta.index_chunks {
        let bytes = decompress(&read(&format!("index/{}.pf_index", c.hash))?)?;
        let index: WordIndex = decode(&bytes)?;
        let mut names = Vec::new();
        for w in index.words {
            names.push(w.word.clone());
            let hits = words.entry(w.word).or_default();
            let lists = std::iter::once((None, w.pages)).chain(
                w.additional_variants
                    .into_iter()
                    .map(|v| (Some(v.form), v.pages)),
            );
            for (form, list) in lists {
                let mut page = 0;
                for p in list {
                    page += p.page_number as usize;
                    hits.push(Hit {
                        page,
                        form: form.clone(),
                        locs: unpack_locs(&p.locs),
                        meta: unpack_meta(&p.meta_locs),
                    });
                }
            }
        }
        chunks.push((c.from.clone(), c.to.clone(), names));
    }
    let mut filters = BTreeMap::new();
    for f in &meta.filters {
        let bytes = decompress(&read(&format!("filter/{}.pf_filter", f.hash))?)?;
        let index: FilterIndex = decode(&bytes)?;
        let values: BTreeMap<String, Vec<usize>> = index
            .values
            .into_iter()
            .map(|v| (v.value, v.pages.into_iter().map(|p| p as usize).collect()))
            .collect();
        if index.filter != f.filter {
            return Err(invalid(format!(
                "filter {} heet {}",
                f.filter, index.filter
            )));
        }
        filters.insert(index.filter, values);
    }
    let facets = match &entry.kb_facets {
        Some(name) => Some(read_facets(&read(name)?)?),
        None => None,
    };
    Ok(Index {
        facets,
        version: meta.version,
        language,
        wasm: lang.wasm,
        meta_fields: meta.meta_fields,
        pages,
        words,
        filters,
        chunks,
    })
}

/// The facets file's gzipped JSON.
fn read_facets(bytes: &[u8]) -> io::Result<Facets> {
    let invalid = |m: &str| io::Error::new(io::ErrorKind::InvalidData, format!("facetten: {m}"));
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut json)?;
    let raw: RawFacets = serde_json::from_slice(&json).map_err(|e| invalid(&e.to_string()))?;
    let mut filters = BTreeMap::new();
    for (filter, values) in raw.filters {
        let mut by_value = BTreeMap::new();
        for (value, gaps) in values {
            let slots = super::writer::read_gaps(&gaps).ok_or_else(|| invalid(&gaps))?;
            if slots.iter().any(|&s| s as usize >= raw.slots) {
                return Err(invalid("slot buiten bereik"));
            }
            by_value.insert(value, slots.into_iter().map(|s| s as usize).collect());
        }
        filters.insert(filter, by_value);
    }
    Ok(Facets {
        slots: raw.slots,
        filters,
    })
}

#[derive(serde::Deserialize)]
struct RawFacets {
    slots: usize,
    filters: BTreeMap<String, Vec<(String, String)>>,
}

/// Pagefind's `locs`: deltas, with `-(weight) - 1` then an absolute
/// position where the weight changes.
fn unpack_locs(locs: &[i32]) -> Vec<(u32, u8)> {
    let mut out = Vec::new();
    let mut weight = 25u8; // as Pagefind's decoder
    let mut last = 0i64;
    let mut it = locs.iter();
    while let Some(&v) = it.next() {
        if v < 0 {
            weight = (-(i64::from(v)) - 1) as u8;
            if let Some(&abs) = it.next() {
                last = i64::from(abs);
                out.push((abs as u32, weight));
            }
        } else {
            last += i64::from(v);
            out.push((last as u32, weight));
        }
    }
    out
}

/// `meta_locs`: `-(field) - 1`, then deltas within the field.
fn unpack_meta(locs: &[i32]) -> Vec<(u16, u32)> {
    let mut out = Vec::new();
    let mut field = 0u16;
    let mut last = 0i64;
    for &v in locs {
        if v < 0 {
            field = (-(i64::from(v)) - 1) as u16;
            last = 0;
        } else {
            last += i64::from(v);
            out.push((field, last as u32));
        }
    }
    out
}

fn decode<'b, T: Decode<'b, ()>>(bytes: &'b [u8]) -> io::Result<T> {
    minicbor::decode(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
}

#[derive(serde::Deserialize)]
struct Entry {
    languages: BTreeMap<String, EntryLanguage>,
    /// The facets file, beside the entry (`writer::encode_facets`).
    #[serde(default)]
    kb_facets: Option<String>,
}

#[derive(serde::Deserialize)]
struct EntryLanguage {
    hash: String,
    wasm: Option<String>,
    page_count: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_terms_are_folded_and_keyed_like_the_index() {
        let stems = |q: &str| {
            query_terms(q, "nl")
                .into_iter()
                .map(|(_, s)| s)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            stems("Werkgevers"),
            vec![crate::search::word_keys("werkgevers", true).unwrap().key]
        );
        assert_eq!(stems("geïnformeerd"), stems("geinformeerd"));
        assert_eq!(
            query_terms("  Taal, ", "nl"),
            vec![("taal".to_string(), "taal".to_string())]
        );
    }

    #[test]
    fn chunks_are_chosen_like_pagefind_does() {
        let chunk = |from: &str, to: &str, hash: &str| MetaChunk {
            from: from.into(),
            to: to.into(),
            hash: hash.into(),
        };
        let chunks = [
            chunk("a", "apple", "1"),
            chunk("apr", "b", "2"),
            chunk("c", "d", "3"),
        ];
        let hashes = |raw, stem| {
            chunks_for(&chunks, raw, stem)
                .iter()
                .map(|c| c.hash.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(hashes("apricot", "apricot"), vec!["2"]);
        assert_eq!(
            hashes("banana", "banana"),
            vec!["2"],
            "b extends to banana (loose)"
        );
        assert_eq!(
            hashes("apples", "appl"),
            vec!["1"],
            "apples: loose; its stem: strict"
        );
        assert!(hashes("zebra", "zebra").is_empty());
    }
}
