//! The build's reference date. Everything that asks "what is today?"
//! (the footer's build date, review dates that have passed, the age of the
//! last accessibility test) asks [`today`], so a reproducible build can fix
//! it with `SOURCE_DATE_EPOCH` (reproducible-builds.org) and a test can too.

use chrono::{DateTime, NaiveDate};

/// `SOURCE_DATE_EPOCH` as a date (UTC), when it is set and valid.
pub(crate) fn source_date() -> Option<NaiveDate> {
    let secs: i64 = std::env::var("SOURCE_DATE_EPOCH")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    DateTime::from_timestamp(secs, 0).map(|t| t.date_naive())
}

/// The reference date of this build: `SOURCE_DATE_EPOCH` when set, else
/// the local calendar date.
pub(crate) fn today() -> NaiveDate {
    source_date().unwrap_or_else(|| chrono::Local::now().date_naive())
}

/// A file's modification date, clamped to `SOURCE_DATE_EPOCH` when that
/// is set (a checkout gives every file a new time; the clamp keeps such
/// builds reproducible, as reproducible-builds.org recommends).
pub(crate) fn file_date(modified: std::time::SystemTime) -> NaiveDate {
    // UTC: the same file gives the same date in any time zone.
    let date = DateTime::<chrono::Utc>::from(modified).date_naive();
    match source_date() {
        Some(limit) if date > limit => limit,
        _ => date,
    }
}

/// Whole months from `from` to `to` (negative when `to` is earlier).
pub(crate) fn months_between(from: NaiveDate, to: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut m = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    if to.day() < from.day() {
        m -= 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn months_count_whole_months_only() {
        assert_eq!(months_between(d("2023-12-01"), d("2026-12-01")), 36);
        assert_eq!(months_between(d("2023-12-02"), d("2026-12-01")), 35);
        assert_eq!(months_between(d("2023-11-30"), d("2026-12-01")), 36);
        assert_eq!(months_between(d("2026-12-01"), d("2026-11-01")), -1);
    }
}
