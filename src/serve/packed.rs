//! Rendered outputs as the dev server holds them: deflated in memory.
//! Serve keeps every output of the site so that any page is answered at
//! once and a rebuild can tell which files changed; at 100,000 pages the
//! plain HTML was most of its memory (about 5 GB), and HTML deflates about
//! tenfold. libdeflate's fastest level costs a fraction of rendering the
//! page; inflating on request, a fraction of a millisecond. Nothing is
//! written to disk, so a killed server leaves nothing behind.
//!
//! Compression is deterministic: equal bytes give equal packed bytes, so two
//! versions are compared packed, without inflating either.

use std::cell::RefCell;

use bytes::Bytes;

/// Outputs smaller than this are kept as they are (headers and block
/// overhead would eat the gain).
const MIN_PACKED: usize = 1024;

/// One output file's bytes, deflated when that saves memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packed {
    data: Bytes,
    /// Length of the plain bytes (the buffer to inflate into).
    len: usize,
    /// `data` is raw deflate, else the plain bytes.
    deflated: bool,
}

thread_local! {
    /// The compressor and its output buffer: a deflated output is copied
    /// out at its exact size (a buffer of the compression bound, truncated,
    /// kept the plain size in memory).
    static DEFLATE: RefCell<Option<(libdeflater::Compressor, Vec<u8>)>> = const { RefCell::new(None) };
    static INFLATE: RefCell<Option<libdeflater::Decompressor>> = const { RefCell::new(None) };
}

impl Packed {
    /// Packs `bytes` (deflated when it is larger than [`MIN_PACKED`] and
    /// deflating makes it smaller).
    pub fn new(bytes: Vec<u8>) -> Packed {
        let len = bytes.len();
        if len >= MIN_PACKED {
            let packed = DEFLATE.with_borrow_mut(|c| {
                // Level 1: `fastest()` is level 0, which only stores.
                let (c, scratch) = c.get_or_insert_with(|| {
                    let level = libdeflater::CompressionLvl::new(1)
                        .unwrap_or_else(|_| libdeflater::CompressionLvl::default());
                    (libdeflater::Compressor::new(level), Vec::new())
                });
                scratch.resize(c.deflate_compress_bound(len), 0);
                let n = c.deflate_compress(&bytes, scratch).ok()?;
                Some(Box::<[u8]>::from(&scratch[..n]))
            });
            if let Some(out) = packed.filter(|o| o.len() < len) {
                return Packed {
                    data: Bytes::from(out),
                    len,
                    deflated: true,
                };
            }
        }
        Packed::plain(Bytes::from(bytes))
    }

    /// Keeps `bytes` as they are (files that are compressed already).
    pub fn plain(bytes: Bytes) -> Packed {
        Packed {
            len: bytes.len(),
            data: bytes,
            deflated: false,
        }
    }

    /// The plain bytes (inflated: a new buffer for a deflated file).
    pub fn bytes(&self) -> Bytes {
        if !self.deflated {
            return self.data.clone();
        }
        let inflated = INFLATE.with_borrow_mut(|d| {
            let d = d.get_or_insert_with(libdeflater::Decompressor::new);
            let mut out = vec![0; self.len];
            let n = d.deflate_decompress(&self.data, &mut out).ok()?;
            (n == self.len).then_some(out)
        });
        // Inflating what was deflated here cannot fail short of a bug.
        Bytes::from(inflated.expect("serve: an output deflated in memory does not inflate"))
    }

    /// Length of the plain bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held in memory.
    pub fn held(&self) -> usize {
        self.data.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_deflated_and_comes_back_byte_for_byte() {
        let page: String = (0..200)
            .map(|i| format!("<li><a href=\"/pilots/p{i}/\">Pilot {i} in Utrecht</a></li>\n"))
            .collect();
        let p = Packed::new(page.clone().into_bytes());
        assert!(p.held() * 4 < page.len(), "{} of {}", p.held(), page.len());
        assert_eq!(p.len(), page.len());
        assert_eq!(&p.bytes()[..], page.as_bytes());
        // Deterministic: equal pages compare equal packed, others differ.
        assert_eq!(p, Packed::new(page.clone().into_bytes()));
        assert_ne!(
            p,
            Packed::new(page.replace("Pilot 7 ", "Pilot 8 ").into_bytes())
        );
    }

    #[test]
    fn small_and_incompressible_files_are_kept_plain() {
        let small = Packed::new(b"User-agent: *\n".to_vec());
        assert_eq!(small.held(), small.len());
        assert_eq!(&small.bytes()[..], b"User-agent: *\n");
        // An xorshift stream does not deflate: kept as it is.
        let mut x: u64 = 0x9e3779b97f4a7c15;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let p = Packed::new(noise.clone());
        assert_eq!(p.held(), noise.len());
        assert_eq!(&p.bytes()[..], &noise[..]);
    }
}
