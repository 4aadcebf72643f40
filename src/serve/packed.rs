//! Rendered outputs as the dev server holds them: deflated in memory.
//! Serve keeps every output of the site so that any page is answered at
//! once and a rebuild can tell which files changed; at 100,000 pages the
//! plain HTML was most of its memory (about 5 GB), and HTML deflates about
//! tenfold. libdeflate's fastest level costs a fraction of rendering the
//! page; inflating on request, a fraction of a millisecond. Nothing is
//! written to disk, so a killed server leaves nothing behind.
//!
//! Compression is deterministic (see [`crate::deflate`]): two versions are
//! compared packed, without inflating either.

use bytes::Bytes;

use crate::deflate::{deflate, inflate};

/// One output file's bytes, deflated when that saves memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packed {
    data: Bytes,
    /// Length of the plain bytes (the buffer to inflate into).
    len: usize,
    /// `data` is raw deflate, else the plain bytes.
    deflated: bool,
}

impl Packed {
    /// Packs `bytes` (deflated when that makes them smaller).
    pub fn new(bytes: Vec<u8>) -> Packed {
        match deflate(&bytes) {
            Some(out) => Packed {
                len: bytes.len(),
                data: Bytes::from(out),
                deflated: true,
            },
            None => Packed::plain(Bytes::from(bytes)),
        }
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
        Bytes::from(inflate(&self.data, self.len))
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
