//! Raw deflate for what `serve` keeps in memory between renders: every
//! output file (see `serve::packed`) and every rendered body (see
//! [`crate::model::Html`]). HTML deflates about fivefold to tenfold at
//! libdeflate's fastest real level, which costs a fraction of rendering it;
//! inflating, a fraction of a millisecond.
//!
//! Deterministic: equal bytes give equal deflated bytes, so two versions
//! are compared (and hashed) deflated. Tested through its users' types.

use std::cell::RefCell;

/// Inputs smaller than this are kept as they are (headers and block
/// overhead would eat the gain).
pub(crate) const MIN_DEFLATED: usize = 1024;

thread_local! {
    /// The compressor and its output buffer: a result is copied out at its
    /// exact size (a buffer of the compression bound, truncated, would keep
    /// the plain size in memory).
    static DEFLATE: RefCell<Option<(libdeflater::Compressor, Vec<u8>)>> = const { RefCell::new(None) };
    static INFLATE: RefCell<Option<libdeflater::Decompressor>> = const { RefCell::new(None) };
}

/// `bytes` deflated, or `None` when they are smaller than
/// [`MIN_DEFLATED`] or deflating does not make them smaller.
pub(crate) fn deflate(bytes: &[u8]) -> Option<Box<[u8]>> {
    let len = bytes.len();
    if len < MIN_DEFLATED {
        return None;
    }
    DEFLATE
        .with_borrow_mut(|c| {
            // Level 1: `fastest()` is level 0, which only stores.
            let (c, scratch) = c.get_or_insert_with(|| {
                let level = libdeflater::CompressionLvl::new(1)
                    .unwrap_or_else(|_| libdeflater::CompressionLvl::default());
                (libdeflater::Compressor::new(level), Vec::new())
            });
            scratch.resize(c.deflate_compress_bound(len), 0);
            let n = c.deflate_compress(bytes, scratch).ok()?;
            Some(Box::<[u8]>::from(&scratch[..n]))
        })
        .filter(|out| out.len() < len)
}

/// The `len` plain bytes of what [`deflate`] made.
pub(crate) fn inflate(data: &[u8], len: usize) -> Vec<u8> {
    let inflated = INFLATE.with_borrow_mut(|d| {
        let d = d.get_or_insert_with(libdeflater::Decompressor::new);
        let mut out = vec![0; len];
        let n = d.deflate_decompress(data, &mut out).ok()?;
        (n == len).then_some(out)
    });
    // Inflating what was deflated in this process cannot fail short of a bug.
    inflated.expect("kennisbank: bytes deflated in memory do not inflate")
}

/// The text [`deflate`] made of a `&str`.
pub(crate) fn inflate_str(data: &[u8], len: usize) -> String {
    // Deflated from a `str` in this process.
    String::from_utf8(inflate(data, len)).expect("kennisbank: text deflated in memory is not UTF-8")
}
