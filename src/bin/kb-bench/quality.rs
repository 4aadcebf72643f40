//! The judged Dutch query set (`bench/search-quality/queries.yaml`) and its
//! scores: precision@5, recall@10 and which queries fail. Parsing and
//! scoring only, so `tests/search_ui.rs` can include this file and check that
//! no judgment names a page that is gone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Results looked at for a query's judgment (`must`, `must_not`).
pub const TOP: usize = 5;
/// Results looked at for recall.
pub const DEPTH: usize = 10;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuerySet {
    /// Site name → its root, relative to the repository.
    pub sites: BTreeMap<String, PathBuf>,
    pub queries: Vec<Query>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    pub site: String,
    pub q: String,
    /// Pages (file under `content/`) that must be among the first `TOP`.
    pub must: Vec<String>,
    /// Pages that must not be among the first `TOP`.
    #[serde(default)]
    pub must_not: Vec<String>,
    /// The page that must come first (one of `must`): the page whose title
    /// is the query, ranked above pages that only say it in the body.
    #[serde(default)]
    pub first: Option<String>,
    #[serde(default)]
    pub why: String,
}

impl QuerySet {
    /// Parses and checks a query set; errors name the file and line.
    pub fn parse(text: &str, file: &Path) -> Result<QuerySet, String> {
        let set: QuerySet = kennisbank::yaml::from_str(text).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!(" regel {}, kolom {}", l.line(), l.column()))
                .unwrap_or_default();
            format!("{}:{at}: {e}", file.display())
        })?;
        let mut seen = BTreeSet::new();
        let mut problems = Vec::new();
        for (i, q) in set.queries.iter().enumerate() {
            let at = format!("{}: vraag {} ({:?})", file.display(), i + 1, q.q);
            if !set.sites.contains_key(&q.site) {
                problems.push(format!(
                    "{at}: onbekende site {:?}; zet hem onder 'sites:'",
                    q.site
                ));
            }
            if q.q.trim().is_empty() {
                problems.push(format!("{at}: lege zoekvraag"));
            }
            if q.must.is_empty() {
                problems.push(format!(
                    "{at}: 'must' is leeg; noem minstens één pagina die in de top {TOP} hoort"
                ));
            }
            if let Some(both) = q.must.iter().find(|p| q.must_not.contains(p)) {
                problems.push(format!("{at}: {both} staat in 'must' en in 'must_not'"));
            }
            if let Some(first) = q.first.as_ref().filter(|f| !q.must.contains(f)) {
                problems.push(format!(
                    "{at}: 'first' ({first}) hoort ook in 'must' te staan"
                ));
            }
            if q.must.len() > TOP {
                problems.push(format!(
                    "{at}: meer dan {TOP} pagina's in 'must' passen niet in de top {TOP}"
                ));
            }
            if !seen.insert((q.site.clone(), q.q.clone())) {
                problems.push(format!("{at}: deze vraag staat er twee keer in"));
            }
        }
        if problems.is_empty() {
            Ok(set)
        } else {
            Err(problems.join("\n"))
        }
    }

    pub fn load(file: &Path) -> Result<QuerySet, String> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("{}: kan het bestand niet lezen: {e}", file.display()))?;
        QuerySet::parse(&text, file)
    }

    /// Every page a judgment names on `site`.
    pub fn judged_pages(&self, site: &str) -> BTreeSet<&str> {
        self.queries
            .iter()
            .filter(|q| q.site == site)
            .flat_map(|q| q.must.iter().chain(&q.must_not).chain(&q.first))
            .map(String::as_str)
            .collect()
    }
}

/// How one query did. `got` holds the ranked results as pages (file under
/// `content/`), or as the URL for a result that is no page of the site.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub query: Query,
    pub got: Vec<String>,
    /// `must` pages not in the top `TOP`.
    pub missing: Vec<String>,
    /// `must_not` pages in the top `TOP`.
    pub intruders: Vec<String>,
    pub recall: f64,
    /// Where `first` came (0 is first), `None` when not in the results or
    /// when the query names no `first`.
    pub first_rank: Option<usize>,
    /// `None` when nothing was found (precision is undefined then; the
    /// query still fails and counts for recall).
    pub precision: Option<f64>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.missing.is_empty()
            && self.intruders.is_empty()
            && (self.query.first.is_none() || self.first_rank == Some(0))
    }
}

pub fn score(query: &Query, got: Vec<String>) -> Outcome {
    let top: Vec<&String> = got.iter().take(TOP).collect();
    let deep: Vec<&String> = got.iter().take(DEPTH).collect();
    let missing = query
        .must
        .iter()
        .filter(|p| !top.contains(p))
        .cloned()
        .collect();
    let intruders: Vec<String> = query
        .must_not
        .iter()
        .filter(|p| top.contains(p))
        .cloned()
        .collect();
    let found = query.must.iter().filter(|p| deep.contains(p)).count();
    let recall = found as f64 / query.must.len().max(1) as f64;
    let precision =
        (!top.is_empty()).then(|| (top.len() - intruders.len()) as f64 / top.len() as f64);
    let first_rank = query
        .first
        .as_ref()
        .and_then(|f| got.iter().position(|p| p == f));
    Outcome {
        query: query.clone(),
        got,
        missing,
        intruders,
        recall,
        first_rank,
        precision,
    }
}

/// Mean precision@5 (over queries that found something) and mean recall@10.
pub fn totals(outcomes: &[Outcome]) -> (f64, f64) {
    let precisions: Vec<f64> = outcomes.iter().filter_map(|o| o.precision).collect();
    let mean = |v: &[f64]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let recalls: Vec<f64> = outcomes.iter().map(|o| o.recall).collect();
    (mean(&precisions), mean(&recalls))
}

/// Of the queries that name a `first` page: how many have it first, how
/// many there are, and the mean reciprocal rank of that page.
pub fn firsts(outcomes: &[Outcome]) -> (usize, usize, f64) {
    let named: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.query.first.is_some())
        .collect();
    let top = named.iter().filter(|o| o.first_rank == Some(0)).count();
    let mrr = named
        .iter()
        .map(|o| o.first_rank.map_or(0.0, |r| 1.0 / (r + 1) as f64))
        .sum::<f64>()
        / named.len().max(1) as f64;
    (top, named.len(), mrr)
}

/// The root to build site `rel` from: the folder itself when it has its
/// theme, otherwise a copy under `scratch` with the repository's themes
/// beside it (the fixture ships no theme of its own).
pub fn site_root(repo: &Path, rel: &Path, scratch: &Path) -> std::io::Result<PathBuf> {
    let root = repo.join(rel);
    if root.join("themes").is_dir() {
        return Ok(root);
    }
    let copy = scratch.join(rel.file_name().unwrap_or(rel.as_os_str()));
    if copy.exists() {
        std::fs::remove_dir_all(&copy)?;
    }
    copy_tree(&root, &copy)?;
    copy_tree(&repo.join("themes"), &copy.join("themes"))?;
    Ok(copy)
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.map_err(std::io::Error::other)?;
        let rel = entry
            .path()
            .strip_prefix(from)
            .map_err(std::io::Error::other)?;
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest)?;
        } else {
            std::fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(must: &[&str], must_not: &[&str]) -> Query {
        Query {
            site: "nl".into(),
            q: "beleid".into(),
            must: must.iter().map(|s| s.to_string()).collect(),
            must_not: must_not.iter().map(|s| s.to_string()).collect(),
            first: None,
            why: String::new(),
        }
    }

    fn pages(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_conflated_page_in_the_top_five_fails_and_costs_precision() {
        let o = score(
            &query(&["beleid.md"], &["begeleiding.md"]),
            pages(&["begeleiding.md", "beleid.md", "c.md", "d.md"]),
        );
        assert!(!o.passed());
        assert_eq!(o.intruders, ["begeleiding.md"]);
        assert_eq!(o.precision, Some(0.75));
        assert_eq!(o.recall, 1.0);
    }

    #[test]
    fn a_page_at_rank_six_to_ten_counts_for_recall_but_fails() {
        let got = pages(&["a", "b", "c", "d", "e", "must.md", "g"]);
        let o = score(&query(&["must.md", "gone.md"], &[]), got);
        assert_eq!(o.missing, ["must.md", "gone.md"]);
        assert_eq!(o.recall, 0.5);
        assert_eq!(o.precision, Some(1.0));
    }

    #[test]
    fn the_title_page_second_fails_and_halves_the_reciprocal_rank() {
        let mut q = query(&["title.md", "body.md"], &[]);
        q.first = Some("title.md".into());
        let o = score(&q, pages(&["body.md", "title.md"]));
        assert!(o.missing.is_empty() && !o.passed());
        assert_eq!(o.first_rank, Some(1));
        let ok = score(&q, pages(&["title.md", "body.md"]));
        assert!(ok.passed());
        assert_eq!(firsts(&[o, ok]), (1, 2, 0.75));
    }

    #[test]
    fn nothing_found_has_no_precision_and_no_recall() {
        let o = score(&query(&["a.md"], &[]), vec![]);
        assert_eq!(o.precision, None);
        assert_eq!(o.recall, 0.0);
        let (p, r) = totals(&[o, score(&query(&["a.md"], &[]), pages(&["a.md"]))]);
        assert_eq!((p, r), (1.0, 0.5));
    }

    #[test]
    fn a_bad_query_set_is_refused_with_its_file_and_line() {
        let file = Path::new("queries.yaml");
        let err = QuerySet::parse("sites: {nl: x}\nqueries:\n  - site: nl\n    q: [\n", file)
            .unwrap_err();
        assert!(err.starts_with("queries.yaml: regel"), "{err}");
        let err = QuerySet::parse(
            "sites: {nl: x}\nqueries:\n  - {site: en, q: taal, must: [a.md], must_not: [a.md]}\n",
            file,
        )
        .unwrap_err();
        assert!(err.contains("onbekende site \"en\""), "{err}");
        assert!(
            err.contains("a.md staat in 'must' en in 'must_not'"),
            "{err}"
        );
    }
}
