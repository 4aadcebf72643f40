//! The CBOR structures of Pagefind 1.6's index files, fields by index as
//! its browser code reads them: written by [`super::writer`], read back by
//! [`super::bundle`], one definition for both so they cannot drift.

use minicbor::{Decode, Encode};

/// `pagefind.<hash>.pf_meta`: the pages, the word chunks' bounds, the
/// filters, the sorts and the indexed metadata fields.
#[derive(Debug, Encode, Decode)]
pub(crate) struct MetaIndex {
    #[n(0)]
    pub version: String,
    #[n(1)]
    pub pages: Vec<MetaPage>,
    #[n(2)]
    pub index_chunks: Vec<MetaChunk>,
    #[n(3)]
    pub filters: Vec<MetaFilter>,
    #[n(4)]
    pub sorts: Vec<MetaSort>,
    #[n(5)]
    pub meta_fields: Vec<String>,
}

#[derive(Debug, Encode, Decode)]
pub(crate) struct MetaPage {
    /// The fragment's name (`fragment/<hash>.pf_fragment`).
    #[n(0)]
    pub hash: String,
    #[n(1)]
    pub word_count: u32,
    /// With `max_fragments`, the shared fragment file; empty here.
    #[n(2)]
    pub group_hash: String,
}

/// One word chunk (`index/<hash>.pf_index`) and the words it covers.
#[derive(Debug, Clone, Encode, Decode)]
pub(crate) struct MetaChunk {
    #[n(0)]
    pub from: String,
    #[n(1)]
    pub to: String,
    #[n(2)]
    pub hash: String,
}

#[derive(Debug, Clone, Encode, Decode)]
pub(crate) struct MetaFilter {
    #[n(0)]
    pub filter: String,
    #[n(1)]
    pub hash: String,
}

#[derive(Debug, Encode, Decode)]
pub(crate) struct MetaSort {
    #[n(0)]
    pub sort: String,
    #[n(1)]
    pub pages: Vec<u32>,
}

/// One `.pf_index` chunk.
#[derive(Debug, Encode, Decode)]
pub(crate) struct WordIndex {
    #[n(0)]
    pub words: Vec<PackedWord>,
}

#[derive(Debug, Encode, Decode)]
pub(crate) struct PackedWord {
    #[n(0)]
    pub word: String,
    #[n(1)]
    pub pages: Vec<PackedPage>,
    /// The same key's diacritic forms (`geïnformeerd` under
    /// `geinformeerd`), each with its own pages.
    #[n(2)]
    pub additional_variants: Vec<PackedVariant>,
}

#[derive(Debug, Encode, Decode)]
pub(crate) struct PackedVariant {
    #[n(0)]
    pub form: String,
    #[n(1)]
    pub pages: Vec<PackedPage>,
}

/// One page's postings of a word: the page number as a delta from the
/// previous page, positions packed as [`super::writer`] describes.
#[derive(Debug, Encode, Decode)]
pub(crate) struct PackedPage {
    #[n(0)]
    pub page_number: u32,
    #[n(1)]
    pub locs: Vec<i32>,
    #[n(2)]
    pub meta_locs: Vec<i32>,
}

/// One `.pf_filter` file: a filter's values and their pages.
#[derive(Debug, Encode, Decode)]
pub(crate) struct FilterIndex {
    #[n(0)]
    pub filter: String,
    #[n(1)]
    pub values: Vec<PackedValue>,
}

#[derive(Debug, Encode, Decode)]
pub(crate) struct PackedValue {
    #[n(0)]
    pub value: String,
    #[n(1)]
    pub pages: Vec<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_reads_back_as_written() {
        let index = WordIndex {
            words: vec![PackedWord {
                word: "taal".into(),
                pages: vec![PackedPage {
                    page_number: 3,
                    locs: vec![-25, 4, 2],
                    meta_locs: vec![-4, 0],
                }],
                additional_variants: vec![PackedVariant {
                    form: "táal".into(),
                    pages: Vec::new(),
                }],
            }],
        };
        let mut cbor = Vec::new();
        minicbor::encode(&index, &mut cbor).unwrap();
        let back: WordIndex = minicbor::decode(&cbor).unwrap();
        assert_eq!(format!("{back:?}"), format!("{index:?}"));
    }
}
