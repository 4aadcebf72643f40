//! "Laatst gewijzigd" from git: one `git log` over the whole history gives
//! the newest commit date of every file, so a site of any size costs one
//! process, never one per page. Not a git checkout, or no git installed:
//! no dates, and pages fall back to `updated` or the file's time.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};

use chrono::NaiveDate;

/// Marks a commit line in our `--format`, so it cannot be a file name.
const COMMIT: &str = "\u{1}";

/// Newest commit date of each file under `root/content/`, keyed by its path
/// relative to `content/` (`pilots/a.md`). `None` when `root` is not in a
/// git work tree or git cannot run.
pub(crate) fn last_changes(root: &Path) -> Option<HashMap<String, NaiveDate>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "core.quotepath=off",
            "log",
            "--name-only",
            "--relative",
            "--no-renames",
            // Committer date: when the change landed, in ISO 8601 strict.
            "--format=\u{1}%cI",
            "--",
            "content",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(parse_log(&String::from_utf8_lossy(&out.stdout)))
}

/// Reads `git log --name-only --format=<COMMIT>%cI` output, newest commit
/// first: the first date seen for a file is its last change.
pub(crate) fn parse_log(log: &str) -> HashMap<String, NaiveDate> {
    let mut dates = HashMap::new();
    let mut current: Option<NaiveDate> = None;
    for line in log.lines() {
        if let Some(date) = line.strip_prefix(COMMIT) {
            current = date.get(..10).and_then(|d| d.parse().ok());
            continue;
        }
        let Some(date) = current else { continue };
        let Some(rel) = line.strip_prefix("content/") else {
            continue;
        };
        dates.entry(rel.to_string()).or_insert(date);
    }
    dates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_commit_wins_and_other_folders_are_ignored() {
        let log = "\u{1}2026-03-04T10:00:00+01:00\n\ncontent/a.md\ncontent/pilots/b.md\n\
                   \u{1}2025-01-02T09:00:00+00:00\n\ncontent/a.md\ncontent/c.md\nREADME.md\n";
        let d = parse_log(log);
        assert_eq!(d["a.md"], "2026-03-04".parse::<NaiveDate>().unwrap());
        assert_eq!(d["pilots/b.md"], "2026-03-04".parse::<NaiveDate>().unwrap());
        assert_eq!(d["c.md"], "2025-01-02".parse::<NaiveDate>().unwrap());
        assert_eq!(d.len(), 3);
    }
}
