//! `kb-bench search-quality`: builds every site of the judged query set with
//! the real binary, serves each on 127.0.0.1, runs every query through the
//! site's own Pagefind bundle in headless Chromium
//! (`tests/browser/search-quality.mjs`), and prints precision@5, recall@10
//! and each failing query with what it got.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::{json, Value};

use crate::quality::{self, Outcome, QuerySet, DEPTH, TOP};

// The tests' tiny static server, shared rather than written twice.
#[allow(dead_code)]
#[path = "../../../tests/common/static_server.rs"]
mod static_server;

pub fn run(repo: &Path, queries: &Path, work: &Path, bin: &Path) -> anyhow::Result<()> {
    let set = QuerySet::load(queries).map_err(anyhow::Error::msg)?;
    std::fs::create_dir_all(work)?;
    // node runs in tests/browser/: hand it absolute paths.
    let work = &std::path::absolute(work)?;
    let mut servers = Vec::new();
    let mut plan_sites = Vec::new();
    // URL path → page file, per site.
    let mut pages: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (name, rel) in &set.sites {
        let root = quality::site_root(repo, rel, &work.join("sites"))
            .with_context(|| format!("kan site {name} ({}) niet klaarzetten", rel.display()))?;
        let out = work.join(format!("public-{name}"));
        let build = Command::new(bin)
            .arg("build")
            .arg("--root")
            .arg(&root)
            .arg("--output")
            .arg(&out)
            .output()
            .with_context(|| format!("kan {} niet starten", bin.display()))?;
        anyhow::ensure!(
            build.status.success(),
            "bouwen van site {name} mislukt:\n{}",
            String::from_utf8_lossy(&build.stderr)
        );
        let urls = page_urls(&root)?;
        // A judgment naming a page that is gone would silently pass.
        let known: std::collections::BTreeSet<&str> = urls.values().map(String::as_str).collect();
        let gone: Vec<&str> = set
            .judged_pages(name)
            .into_iter()
            .filter(|p| !known.contains(p))
            .collect();
        anyhow::ensure!(
            gone.is_empty(),
            "{}: site {name} heeft deze beoordeelde pagina's niet: {}",
            queries.display(),
            gone.join(", ")
        );
        pages.insert(name.clone(), urls);
        let server = static_server::Server::start("/");
        server.serve(&out);
        plan_sites.push(json!({
            "name": name,
            "url": server.url(),
            "queries": set.queries.iter().filter(|q| &q.site == name).map(|q| &q.q).collect::<Vec<_>>(),
        }));
        servers.push(server);
    }
    let plan = json!({ "sites": plan_sites, "depth": DEPTH });
    let plan_file = work.join("search-quality-plan.json");
    std::fs::write(&plan_file, plan.to_string())?;
    let seen = run_node(&repo.join("tests/browser"), &plan_file)?;
    drop(servers);
    for key in ["foreign", "errors"] {
        anyhow::ensure!(
            seen[key].as_array().is_some_and(|a| a.is_empty()),
            "Chromium meldde {key}: {}",
            seen[key]
        );
    }

    let mut outcomes = Vec::new();
    for q in &set.queries {
        let ran = seen["sites"][&q.site]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["q"].as_str() == Some(q.q.as_str())))
            .with_context(|| format!("geen uitkomst voor {:?} op {}", q.q, q.site))?;
        let site_pages = &pages[&q.site];
        let got = ran["results"]
            .as_array()
            .map(|rs| {
                rs.iter()
                    .filter_map(|r| r["url"].as_str())
                    .map(|u| {
                        let path = u.split(['#', '?']).next().unwrap_or(u);
                        site_pages
                            .get(path)
                            .cloned()
                            .unwrap_or_else(|| u.to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();
        outcomes.push(quality::score(q, got));
    }
    print_report(&set, &outcomes);
    Ok(())
}

/// URL path (`/pilots/a/`) → page file (`pilots/a.md`), from the model.
fn page_urls(root: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let opts = kennisbank::site::BuildOptions {
        root: root.to_path_buf(),
        ..Default::default()
    };
    let built = kennisbank::site::build_in_memory(&opts)
        .map_err(|e| anyhow::anyhow!("{}: {:?}", root.display(), e.diagnostics))?;
    Ok(built
        .site
        .pages
        .iter()
        .map(|p| (format!("/{}", p.path), p.file.rel.clone()))
        .collect())
}

fn run_node(dir: &Path, plan: &Path) -> anyhow::Result<Value> {
    let out_file = plan.with_extension("out.json");
    let _ = std::fs::remove_file(&out_file);
    let mut child = Command::new("node")
        .current_dir(dir)
        .arg("search-quality.mjs")
        .arg(plan)
        .arg(&out_file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context(
            "kan node niet starten (staat Node.js erop, en `npm ci --prefix tests/browser`?)",
        )?;
    let deadline = Instant::now() + Duration::from_secs(300);
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            anyhow::bail!("search-quality.mjs duurde langer dan vijf minuten");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output()?;
    anyhow::ensure!(
        out.status.success(),
        "search-quality.mjs mislukte:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&out_file)
        .with_context(|| format!("search-quality.mjs schreef {} niet", out_file.display()))?;
    serde_json::from_str(&text).context("search-quality.mjs gaf geen JSON")
}

fn print_report(set: &QuerySet, outcomes: &[Outcome]) {
    let (precision, recall) = quality::totals(outcomes);
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    let per_site: Vec<String> = set
        .sites
        .keys()
        .map(|s| {
            let n = outcomes.iter().filter(|o| &o.query.site == s).count();
            format!("{s} {n}")
        })
        .collect();
    println!(
        "zoekkwaliteit: {} vragen ({})",
        outcomes.len(),
        per_site.join(", ")
    );
    println!("  precision@{TOP}  {precision:.3}");
    println!("  recall@{DEPTH}   {recall:.3}");
    let (first, named, mrr) = quality::firsts(outcomes);
    println!("  titelpagina eerst  {first} van {named} (MRR {mrr:.3})");
    println!("  geslaagd      {passed} van {}", outcomes.len());
    for o in outcomes.iter().filter(|o| !o.passed()) {
        println!("FAIL {} {:?} ({})", o.query.site, o.query.q, o.query.why);
        if !o.missing.is_empty() {
            println!("     niet in de top {TOP}: {}", o.missing.join(", "));
        }
        if !o.intruders.is_empty() {
            println!(
                "     in de top {TOP} maar hoort er niet: {}",
                o.intruders.join(", ")
            );
        }
        if let (Some(first), rank) = (&o.query.first, o.first_rank) {
            if rank != Some(0) {
                let at = rank.map_or("niet gevonden".to_string(), |r| format!("plaats {}", r + 1));
                println!("     hoort eerst: {first} ({at})");
            }
        }
        if o.got.is_empty() {
            println!("     kreeg: niets");
        }
        for (i, page) in o.got.iter().enumerate() {
            println!("     {:>2}. {page}", i + 1);
        }
    }
}

/// Default query set, relative to the repository.
pub fn default_queries(repo: &Path) -> PathBuf {
    repo.join("bench/search-quality/queries.yaml")
}
