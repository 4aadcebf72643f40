//! Page order: weight, then date, then title in Dutch collation.

use super::*;

pub(super) fn weight_key(w: Option<i64>) -> (bool, i64) {
    (w.is_none(), w.unwrap_or(0))
}

/// Sort key that orders Dutch titles as a reader expects: diacritics are
/// folded for the primary comparison ("één" sorts with "een", before "f"),
/// and the original breaks ties so the order is total and stable.
pub(crate) fn collation_key(title: &str) -> (String, String) {
    (
        deunicode::deunicode(title).to_lowercase(),
        title.to_string(),
    )
}

/// Weight, then date (newest first), then title; `sort_by` puts its key first.
pub(crate) fn compare_pages(a: &Page, b: &Page, sort_by: SortBy) -> std::cmp::Ordering {
    compare_with(a, b, sort_by, || {
        collation_key(&a.meta.title).cmp(&collation_key(&b.meta.title))
    })
}

/// Sorts `ids` like [`compare_pages`] does; `folded` holds each page's
/// folded title (the first half of its [`collation_key`]), made once.
pub(super) fn sort_page_ids(
    ids: &mut [PageId],
    pages: &[Page],
    folded: &[String],
    sort_by: SortBy,
) {
    ids.sort_by(|&x, &y| {
        compare_with(&pages[x], &pages[y], sort_by, || {
            (&folded[x], &pages[x].meta.title).cmp(&(&folded[y], &pages[y].meta.title))
        })
    });
}

pub(super) fn compare_with(
    a: &Page,
    b: &Page,
    sort_by: SortBy,
    by_title: impl Fn() -> std::cmp::Ordering,
) -> std::cmp::Ordering {
    let by_weight = || weight_key(a.meta.weight).cmp(&weight_key(b.meta.weight));
    let by_date = || b.meta.date.cmp(&a.meta.date);
    let first = match sort_by {
        SortBy::Weight => by_weight(),
        SortBy::Date => by_date(),
        SortBy::Title => by_title(),
    };
    first
        .then_with(by_weight)
        .then_with(by_date)
        .then_with(by_title)
        .then_with(|| a.file.rel.cmp(&b.file.rel))
}
