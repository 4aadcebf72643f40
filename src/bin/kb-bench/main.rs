//! `kb-bench`: generates a Dutch corpus and measures Kennisbank on it,
//! printing one table. Builds run the real `kennisbank` binary as a child
//! process so wall time and peak memory are those a user sees.
//!
//!   kb-bench run --pages 1000 --pages 10000   # the table
//!   kb-bench gen --pages 500 --out DIR         # just the corpus
//!   kb-bench adapt DIR                         # make a gen_corpus.py corpus buildable
//!   kb-bench search-quality                    # judged Dutch queries: precision, recall

mod corpus;
mod latency;
mod quality;
mod search_quality;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use rayon::prelude::*;

// The latency rows run serve's engine in this process: same allocator as
// the `kennisbank` binary, so they measure what an editor gets.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "kb-bench",
    about = "Benchmark van Kennisbank op een gegenereerd corpus"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Measure builds, search index and the I/O floor; print a table
    Run {
        /// Corpus sizes (repeatable)
        #[arg(long = "pages", default_values_t = vec![1000, 10000])]
        pages: Vec<usize>,
        /// Timed runs per row (median reported), after one warm-up
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Work folder for corpora and outputs
        #[arg(long, default_value = "target/kb-bench")]
        work: PathBuf,
        /// Use ../shared/bench/gen_corpus.py instead of the built-in generator
        #[arg(long)]
        shared_corpus: Option<PathBuf>,
        /// Skip the rows with the search index
        #[arg(long)]
        no_search: bool,
        /// Edits per dev-server latency row (0 skips them)
        #[arg(long, default_value_t = 20)]
        edits: usize,
        /// Only the dev-server latency rows (no builds, no floor)
        #[arg(long)]
        serve_only: bool,
        /// Kinds of edit for the latency rows (repeatable)
        #[arg(long = "edit", value_enum, default_values_t = vec![EditKind::Body, EditKind::Title, EditKind::Template])]
        edit_kinds: Vec<EditKind>,
        /// Keep serve's background search index running during the edits
        #[arg(long)]
        serve_search: bool,
        /// Also time this Pagefind CLI binary on the same pages (e.g. from
        /// `npm i pagefind`: node_modules/@pagefind/linux-x64/bin/pagefind_extended)
        #[arg(long)]
        pagefind_cli: Option<PathBuf>,
        /// Output: the Markdown table, or one JSON object with every figure
        #[arg(long, value_enum, default_value_t = Report::Table)]
        report: Report,
    },
    /// Write a corpus
    Gen {
        #[arg(long)]
        pages: usize,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Add kennisbank.yaml and themes to an existing corpus folder
    Adapt { dir: PathBuf },
    /// Run the judged Dutch query set in Chromium; print precision@5,
    /// recall@10 and every failing query
    SearchQuality {
        /// Query set (default bench/search-quality/queries.yaml)
        #[arg(long)]
        queries: Option<PathBuf>,
        /// Work folder for the built sites
        #[arg(long, default_value = "target/kb-bench/search-quality")]
        work: PathBuf,
    },
}

/// How `run` prints its figures.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Report {
    Table,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum EditKind {
    Body,
    Title,
    Template,
}

impl EditKind {
    fn edit(self) -> latency::Edit {
        use latency::Edit;
        match self {
            EditKind::Body => Edit::Body,
            EditKind::Title => Edit::Title,
            EditKind::Template => Edit::Template,
        }
    }

    fn label(self) -> &'static str {
        match self {
            EditKind::Body => "serve: save → reload event, body edit",
            EditKind::Title => "serve: save → reload event, title edit",
            EditKind::Template => "serve: save → reload event, template edit",
        }
    }
}

fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Makes `dir` buildable with every theme, and writes its peer site.
fn adapt(dir: &Path) -> std::io::Result<()> {
    corpus::adapt(dir, &repo_dir().join("themes"))?;
    corpus::adapt(dir, &repo_dir().join("bench/themes"))?;
    corpus::adapt_peer(dir, &repo_dir().join("bench/themes"))
}

fn main() -> anyhow::Result<()> {
    // Like the build's own binary: the in-process serve rows run the engine here.
    kennisbank::no_transparent_huge_pages();
    match Cli::parse().command {
        Cmd::Gen { pages, out, seed } => {
            corpus::generate(&out, pages, seed)?;
            adapt(&out)?;
            println!("{pages} pagina's geschreven naar {}", out.display());
        }
        Cmd::Adapt { dir } => {
            adapt(&dir)?;
            println!("{}", corpus::site_dir(&dir).display());
            println!("{}", corpus::peer_dir(&dir).display());
        }
        Cmd::SearchQuality { queries, work } => {
            let repo = repo_dir();
            let queries = queries.unwrap_or_else(|| search_quality::default_queries(&repo));
            search_quality::run(&repo, &queries, &work, &kennisbank_bin())?;
        }
        Cmd::Run {
            pages,
            runs,
            work,
            shared_corpus,
            no_search,
            edits,
            serve_only,
            edit_kinds,
            serve_search,
            pagefind_cli,
            report,
        } => run(
            &pages,
            &Plan {
                runs,
                no_search,
                edits,
                builds: !serve_only,
                edit_kinds,
                serve_search,
                pagefind_cli,
                report,
            },
            &work,
            shared_corpus.as_deref(),
        )?,
    }
    Ok(())
}

/// One child-process build: wall time, peak RSS, and the phases it printed.
struct Measured {
    wall: Duration,
    rss_kib: i64,
    stdout: String,
}

fn kennisbank_bin() -> PathBuf {
    let me = std::env::current_exe().expect("current exe");
    me.with_file_name("kennisbank")
}

/// Runs `cmd`, waiting with `wait4` so its own peak RSS is known.
fn measure(cmd: &mut Command) -> anyhow::Result<Measured> {
    let start = Instant::now();
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let pid = child.id() as libc::pid_t;
    let output = {
        // Read output on threads, then reap with wait4 for the rusage.
        let mut child = child;
        let mut so = child.stdout.take().expect("stdout");
        let mut se = child.stderr.take().expect("stderr");
        let t1 = std::thread::spawn(move || {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut so, &mut s).ok();
            s
        });
        let t2 = std::thread::spawn(move || {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut se, &mut s).ok();
            s
        });
        let mut status = 0;
        // SAFETY: plain FFI call on a child we own; rusage is zero-initialised.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        let wall = start.elapsed();
        let stdout = t1.join().unwrap_or_default();
        let stderr = t2.join().unwrap_or_default();
        anyhow::ensure!(rc == pid, "wait4 failed");
        anyhow::ensure!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "build failed:\n{stderr}"
        );
        std::mem::forget(child);
        Measured {
            wall,
            rss_kib: usage.ru_maxrss,
            stdout,
        }
    };
    Ok(output)
}

/// The phases of a build's `--summary-json` file, in the build's order.
fn phases(summary: &serde_json::Value) -> Vec<(String, u64)> {
    summary["phases"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|p| Some((p["name"].as_str()?.to_string(), p["ms"].as_u64()?)))
                .collect()
        })
        .unwrap_or_default()
}

/// The note a build row carries: what the search index reported.
fn search_note(summary: &serde_json::Value) -> String {
    let s = &summary["search"];
    match (s["pages"].as_u64(), s["words"].as_u64(), s["ms"].as_u64()) {
        (Some(p), Some(w), Some(ms)) => format!("zoekindex: {p} pagina's, {w} woorden in {ms} ms"),
        _ => String::new(),
    }
}

struct Row {
    label: String,
    n: usize,
    walls: Vec<Duration>,
    rss_kib: i64,
    phases: Vec<(String, u64)>,
    note: String,
    /// The row's own figures (floor ratio, percentiles, index size…) for
    /// `--report json`; the note says the same in words.
    figures: serde_json::Map<String, serde_json::Value>,
}

fn median(v: &[Duration]) -> Duration {
    let mut s = v.to_vec();
    s.sort();
    s[s.len() / 2]
}

fn build_row(
    label: &str,
    n: usize,
    corpus: &Path,
    work: &Path,
    runs: usize,
    extra: &[&str],
    seq: &mut usize,
) -> anyhow::Result<(Row, PathBuf)> {
    let mut walls = Vec::new();
    let mut rss = 0;
    let mut last = serde_json::Value::Null;
    let mut out = PathBuf::new();
    for i in 0..=runs {
        *seq += 1;
        // A fresh output folder per run: deleting a big tree slows the writes after it.
        out = work.join("runs").join(seq.to_string());
        let summary = work.join("summary.json");
        let mut cmd = Command::new(kennisbank_bin());
        cmd.arg("build")
            .arg("--root")
            .arg(corpus)
            .arg("--output")
            .arg(&out)
            .arg("--summary-json")
            .arg(&summary)
            .args(extra);
        let m = measure(&mut cmd)?;
        if i == 0 {
            continue; // warm-up
        }
        walls.push(m.wall);
        rss = rss.max(m.rss_kib);
        last = serde_json::from_slice(&std::fs::read(&summary)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", summary.display()))?;
    }
    Ok((
        Row {
            label: label.into(),
            n,
            walls,
            rss_kib: rss,
            phases: phases(&last),
            note: search_note(&last),
            figures: serde_json::Map::new(),
        },
        out,
    ))
}

/// The floor: read every input file and write as many bytes, in as many
/// files, as the build wrote; both in parallel like the build does.
fn floor(corpus: &Path, built: &Path, work: &Path) -> anyhow::Result<Duration> {
    let inputs: Vec<PathBuf> = walkdir::WalkDir::new(corpus.join("content"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    let outputs: Vec<(String, u64)> = walkdir::WalkDir::new(built)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path()
                    .strip_prefix(built)
                    .unwrap_or(e.path())
                    .display()
                    .to_string(),
                e.metadata().map(|m| m.len()).unwrap_or(0),
            )
        })
        .collect();
    let dest = work
        .join("runs")
        .join(format!("floor-{}", std::process::id()));
    let start = Instant::now();
    let read: usize = inputs
        .par_iter()
        .map(|p| std::fs::read(p).map(|b| b.len()).unwrap_or(0))
        .sum();
    let mut dirs: Vec<PathBuf> = outputs
        .iter()
        .filter_map(|(p, _)| Path::new(p).parent().map(|d| dest.join(d)))
        .collect();
    dirs.sort();
    dirs.dedup();
    for d in &dirs {
        std::fs::create_dir_all(d)?;
    }
    outputs
        .par_iter()
        .try_for_each(|(p, len)| std::fs::write(dest.join(p), vec![b'x'; *len as usize]))?;
    let elapsed = start.elapsed();
    let _ = read;
    Ok(elapsed)
}

fn dir_size(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.metadata().ok().map(|m| m.len()))
        .sum()
}

fn floor_row(n: usize, floor: Duration, which: &str, build: Duration) -> Row {
    Row {
        label: format!("floor: read inputs + write the {which} build's bytes"),
        n,
        walls: vec![floor],
        rss_kib: 0,
        phases: Vec::new(),
        note: format!(
            "{which} build = {:.1}× floor",
            build.as_secs_f64() / floor.as_secs_f64()
        ),
        figures: figures([(
            "build_over_floor",
            serde_json::json!(build.as_secs_f64() / floor.as_secs_f64()),
        )]),
    }
}

/// The Pagefind CLI indexing the HTML of a build without search (a fresh
/// output folder per run), for the same-run comparison with our index phase.
fn pagefind_cli_row(
    cli: &Path,
    n: usize,
    site: &Path,
    work: &Path,
    seq: &mut usize,
) -> anyhow::Result<Row> {
    let mut walls = Vec::new();
    let mut rss = 0;
    let mut note = String::new();
    for i in 0..2 {
        *seq += 1;
        let out = work.join("runs").join(seq.to_string());
        let m = measure(
            Command::new(cli)
                .arg("--site")
                .arg(site)
                .arg("--output-path")
                .arg(&out),
        )?;
        if i == 0 {
            continue; // warm-up
        }
        walls.push(m.wall);
        rss = rss.max(m.rss_kib);
        note = m
            .stdout
            .lines()
            .find(|l| l.contains("Indexed") && l.contains("pages"))
            .unwrap_or("")
            .trim()
            .to_string();
    }
    Ok(Row {
        label: "Pagefind CLI on the default theme's HTML".into(),
        n,
        walls,
        rss_kib: rss,
        phases: Vec::new(),
        note,
        figures: serde_json::Map::new(),
    })
}

/// Save-to-reload-event latency of the dev server's rebuild machinery.
fn latency_row(
    label: &str,
    n: usize,
    corpus: &Path,
    edits: usize,
    edit: latency::Edit,
    search: bool,
) -> anyhow::Result<Vec<Row>> {
    let report = latency::measure_edit(corpus, edits, Duration::from_millis(300), search, edit)
        .map_err(|e| anyhow::anyhow!(e))?;
    let mut rows = vec![reload_row(label, n, &report, search)];
    if !report.search_samples.is_empty() {
        rows.push(Row {
            label: label.replace("reload event", "search index updated"),
            n,
            walls: vec![report.search_percentile(50.0)],
            rss_kib: 0,
            phases: Vec::new(),
            note: format!(
                "p50 {} ms, p95 {} ms over {} edits; index changed before the reload: {} (wall column = p50)",
                report.search_percentile(50.0).as_millis(),
                report.search_percentile(95.0).as_millis(),
                report.search_samples.len(),
                report.search_before_reload,
            ),
            figures: figures([
                ("p50_ms", serde_json::json!(ms(report.search_percentile(50.0)))),
                ("p95_ms", serde_json::json!(ms(report.search_percentile(95.0)))),
                (
                    "samples_ms",
                    serde_json::json!(report
                        .search_samples
                        .iter()
                        .map(|d| ms(*d))
                        .collect::<Vec<_>>()),
                ),
                (
                    "before_reload",
                    serde_json::json!(report.search_before_reload),
                ),
            ]),
        });
    }
    Ok(rows)
}

fn reload_row(label: &str, n: usize, report: &latency::LatencyReport, search: bool) -> Row {
    Row {
        label: label.into(),
        n,
        walls: vec![report.percentile(50.0)],
        rss_kib: report.peak_rss_kib,
        phases: Vec::new(),
        note: format!(
            "p50 {} ms, p95 {} ms over {} edits; first page served {:.1} s after start, everything rendered {:.1} s{} (wall column = p50)",
            report.percentile(50.0).as_millis(),
            report.percentile(95.0).as_millis(),
            report.samples.len(),
            report.first_page.as_secs_f64(),
            report.startup.as_secs_f64(),
            if search {
                ", search index in the background"
            } else {
                ""
            }
        ),
        figures: figures([
            ("startup_s", serde_json::json!(report.startup.as_secs_f64())),
            (
                "first_page_s",
                serde_json::json!(report.first_page.as_secs_f64()),
            ),
            ("p50_ms", serde_json::json!(ms(report.percentile(50.0)))),
            ("p95_ms", serde_json::json!(ms(report.percentile(95.0)))),
            (
                "samples_ms",
                serde_json::json!(report.samples.iter().map(|d| ms(*d)).collect::<Vec<_>>()),
            ),
            ("search_in_background", serde_json::json!(search)),
            ("pages_loaded", serde_json::json!(report.pages)),
            (
                "edited_file",
                serde_json::json!(report.file.display().to_string()),
            ),
        ]),
    }
}

fn figures<const N: usize>(
    items: [(&str, serde_json::Value); N],
) -> serde_json::Map<String, serde_json::Value> {
    items.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Which rows `run` measures.
struct Plan {
    runs: usize,
    no_search: bool,
    edits: usize,
    builds: bool,
    edit_kinds: Vec<EditKind>,
    serve_search: bool,
    pagefind_cli: Option<PathBuf>,
    report: Report,
}

fn run(sizes: &[usize], plan: &Plan, work: &Path, shared: Option<&Path>) -> anyhow::Result<()> {
    let &Plan {
        runs,
        no_search,
        edits,
        builds,
        ref edit_kinds,
        serve_search,
        ref pagefind_cli,
        report,
    } = plan;
    let pagefind_cli = pagefind_cli.as_deref();
    // The latency rows run serve in this process, and serve prints its
    // rebuild lines on stdout: with a JSON report they go to stderr.
    let quiet = (report == Report::Json).then(StdoutToStderr::new);
    std::fs::create_dir_all(work)?;
    let work = work.canonicalize()?;
    let mut rows: Vec<Row> = Vec::new();
    let mut corpora: Vec<(usize, u64)> = Vec::new();
    let mut seq = 0;
    for &n in sizes {
        let corpus = work.join(format!("corpus-{n}"));
        // Made once and kept: regenerating means deleting ten thousand files,
        // which slows the file creation of the builds measured after it.
        let ready = corpus::site_dir(&corpus).join("kennisbank.yaml").exists()
            && (corpus.join("_index.md").exists() || corpus.join("content").is_dir());
        if !ready {
            let _ = std::fs::remove_dir_all(&corpus);
            match shared {
                Some(script) => {
                    let status = Command::new("python3")
                        .arg(script)
                        .arg("--pages")
                        .arg(n.to_string())
                        .arg("--out")
                        .arg(&corpus)
                        .status()?;
                    anyhow::ensure!(status.success(), "gen_corpus.py failed");
                }
                None => {
                    corpus::generate(&corpus, n, 42)?;
                }
            }
        }
        adapt(&corpus)?;
        let peer_site = corpus::peer_dir(&corpus);
        let corpus = corpus::site_dir(&corpus);
        if builds {
            eprintln!("N={n}: peer-like site …");
            let (peer, peer_out) = build_row(
                "build, peer-like site and theme, no search",
                n,
                &peer_site,
                &work,
                runs,
                &["--no-search"],
                &mut seq,
            )?;
            let peer_floor = floor(&peer_site, &peer_out, &work)?;
            let peer_median = median(&peer.walls);
            rows.push(peer);
            rows.push(floor_row(n, peer_floor, "peer-like", peer_median));
            eprintln!("N={n}: default theme …");
            let (full, out) = build_row(
                "build, default theme, no search",
                n,
                &corpus,
                &work,
                runs,
                &["--no-search"],
                &mut seq,
            )?;
            let full_floor = floor(&corpus, &out, &work)?;
            let full_median = median(&full.walls);
            rows.push(full);
            rows.push(floor_row(n, full_floor, "default", full_median));
            if let Some(cli) = pagefind_cli {
                eprintln!("N={n}: Pagefind CLI on the default theme's output …");
                rows.push(pagefind_cli_row(cli, n, &out, &work, &mut seq)?);
            }
            if !no_search {
                eprintln!("N={n}: default theme with search …");
                let (mut search, out) = build_row(
                    "build, default theme, with search",
                    n,
                    &corpus,
                    &work,
                    1, // one timed run: indexing dominates and barely varies
                    &[],
                    &mut seq,
                )?;
                let index_size = dir_size(&out.join("pagefind"));
                let query =
                    kennisbank::search::query_cost(&out.join("pagefind"), "begeleiding", 10)?;
                let header =
                    kennisbank::search::query_cost_header(&out.join("pagefind"), "begeleiding", 5)?;
                search.figures = figures([
                    ("index_bytes", serde_json::json!(index_size)),
                    ("query", serde_json::json!("begeleiding")),
                    ("query_bytes_fetched", serde_json::json!(query.bytes)),
                    ("query_files", serde_json::json!(query.files.len())),
                    ("query_matches", serde_json::json!(query.matches)),
                    (
                        "query_bytes_http_gzip",
                        serde_json::json!(query.bytes_http_gzip),
                    ),
                    (
                        "header_query_bytes_fetched",
                        serde_json::json!(header.bytes),
                    ),
                    ("header_query_files", serde_json::json!(header.files.len())),
                    (
                        "header_query_bytes_http_gzip",
                        serde_json::json!(header.bytes_http_gzip),
                    ),
                ]);
                // KiB and, for the goal's unit, kB; "gzip" is with the host
                // compressing the JavaScript and JSON.
                search.note = format!(
                    "{} · index on disk {:.1} MiB · query 'begeleiding': search page {} KiB = {} kB fetched ({} files, {} matches; {} kB with gzip), header box {} KiB = {} kB ({} files; {} kB with gzip)",
                    search.note.trim(),
                    index_size as f64 / 1048576.0,
                    query.bytes / 1024,
                    query.bytes / 1000,
                    query.files.len(),
                    query.matches,
                    query.bytes_http_gzip / 1000,
                    header.bytes / 1024,
                    header.bytes / 1000,
                    header.files.len(),
                    header.bytes_http_gzip / 1000,
                );
                if let (Some(cli), Some((_, ours))) = (
                    rows.iter()
                        .rev()
                        .find(|r| r.label.starts_with("Pagefind CLI")),
                    search.phases.iter().find(|(p, _)| p == "index"),
                ) {
                    let theirs = median(&cli.walls).as_millis() as f64;
                    search.figures.insert(
                        "index_over_pagefind_cli".into(),
                        serde_json::json!(*ours as f64 / theirs),
                    );
                    search.note.push_str(&format!(
                        " · index phase {:.2}× the Pagefind CLI's time",
                        *ours as f64 / theirs
                    ));
                }
                rows.push(search);
            }
        }
        if edits > 0 {
            eprintln!("N={n}: dev-server latency …");
            for kind in edit_kinds {
                rows.extend(latency_row(
                    kind.label(),
                    n,
                    &corpus,
                    edits,
                    kind.edit(),
                    serve_search,
                )?);
            }
        }
        corpora.push((n, dir_size(&corpus.join("content"))));
    }
    // Left until every size is measured: a big delete slows later writes.
    let _ = std::fs::remove_dir_all(work.join("runs"));
    match report {
        Report::Table => print_table(&rows, &corpora),
        Report::Json => {
            let json = json_report(&rows, &corpora).to_string();
            drop(quiet);
            println!("{json}");
        }
    }
    Ok(())
}

/// Peak memory per page of a build row: what the page list and everything
/// kept per page cost (the goal is that it does not grow with N).
fn rss_per_page(r: &Row) -> Option<f64> {
    (r.rss_kib > 0 && r.n > 0).then(|| r.rss_kib as f64 * 1024.0 / r.n as f64)
}

fn print_table(rows: &[Row], corpora: &[(usize, u64)]) {
    println!("| step | N | wall s (median) | runs | pages/s | peak RSS MiB | KiB/page | phases ms | note |");
    println!("|---|---:|---:|---|---:|---:|---:|---|---|");
    for r in rows {
        let m = median(&r.walls);
        let runs: Vec<String> = r
            .walls
            .iter()
            .map(|w| format!("{:.2}", w.as_secs_f64()))
            .collect();
        let phases: Vec<String> = r.phases.iter().map(|(n, ms)| format!("{n} {ms}")).collect();
        println!(
            "| {} | {} | {:.2} | {} | {:.0} | {} | {} | {} | {} |",
            r.label,
            r.n,
            m.as_secs_f64(),
            runs.join("/"),
            r.n as f64 / m.as_secs_f64(),
            if r.rss_kib > 0 {
                (r.rss_kib / 1024).to_string()
            } else {
                "–".into()
            },
            rss_per_page(r).map_or("–".into(), |b| format!("{:.1}", b / 1024.0)),
            phases.join(", "),
            r.note
        );
    }
    for (n, bytes) in corpora {
        println!(
            "\nN={n}: corpus {:.1} MiB of Markdown",
            *bytes as f64 / 1048576.0
        );
    }
}

/// One JSON object with every figure the table shows, for scripts.
fn json_report(rows: &[Row], corpora: &[(usize, u64)]) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let m = median(&r.walls);
            let phases: serde_json::Map<String, serde_json::Value> = r
                .phases
                .iter()
                .map(|(n, ms)| (n.clone(), serde_json::json!(ms)))
                .collect();
            serde_json::json!({
                "step": r.label,
                "pages": r.n,
                "wall_s_median": m.as_secs_f64(),
                "wall_s_runs": r.walls.iter().map(Duration::as_secs_f64).collect::<Vec<_>>(),
                "pages_per_s": r.n as f64 / m.as_secs_f64(),
                "peak_rss_bytes": (r.rss_kib > 0).then_some(r.rss_kib * 1024),
                "peak_rss_bytes_per_page": rss_per_page(r),
                "phases_ms": phases,
                "note": r.note,
                "figures": r.figures,
            })
        })
        .collect();
    let corpora: Vec<serde_json::Value> = corpora
        .iter()
        .map(|(n, bytes)| serde_json::json!({"pages": n, "markdown_bytes": bytes}))
        .collect();
    serde_json::json!({"rows": rows, "corpora": corpora})
}

/// While alive, whatever this process writes to stdout goes to stderr.
struct StdoutToStderr {
    saved: libc::c_int,
}

impl StdoutToStderr {
    fn new() -> StdoutToStderr {
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        // SAFETY: plain descriptor calls on this process's own fds 1 and 2.
        let saved = unsafe { libc::dup(1) };
        if saved >= 0 {
            unsafe { libc::dup2(2, 1) };
        }
        StdoutToStderr { saved }
    }
}

impl Drop for StdoutToStderr {
    fn drop(&mut self) {
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        if self.saved >= 0 {
            // SAFETY: restores the descriptor saved in `new`.
            unsafe {
                libc::dup2(self.saved, 1);
                libc::close(self.saved);
            }
        }
    }
}
