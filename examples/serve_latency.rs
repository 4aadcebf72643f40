//! Save-to-reload latency of `kennisbank serve` on generated corpora.
//!
//!     cargo run --release --example serve_latency -- [N ...] [--edits 20] [--pause-ms 1000] [--search] [--title]
//!
//! For each N (default 1000 and 10000): generates a corpus with
//! `gen_corpus.py` (path from $KB_GEN_CORPUS, else ../shared/bench/ beside
//! the repository or /work/shared/bench/), adds a kennisbank.yaml and the
//! default theme, then times EDITS appends to one page's Markdown until the
//! reload event for that page is sent (watcher, debounce, rebuild, publish).
//! `--search` also runs serve's background search index meanwhile; `--title`
//! edits the title in the front matter instead of the body.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()))?;
        } else {
            std::fs::copy(e.path(), to.join(e.file_name()))?;
        }
    }
    Ok(())
}

fn generator() -> PathBuf {
    if let Ok(p) = std::env::var("KB_GEN_CORPUS") {
        return p.into();
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_corpus.py");
    if beside.is_file() {
        return beside;
    }
    PathBuf::from("/work/shared/bench/gen_corpus.py")
}

fn main() {
    let mut sizes = Vec::new();
    let mut edits = 20;
    let mut pause = 1000;
    let mut search = false;
    let mut edit = kennisbank::serve::latency::Edit::Body;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--edits" => edits = args.next().and_then(|v| v.parse().ok()).unwrap_or(edits),
            "--search" => search = true,
            "--title" => edit = kennisbank::serve::latency::Edit::Title,
            "--pause-ms" => pause = args.next().and_then(|v| v.parse().ok()).unwrap_or(pause),
            n => sizes.push(n.parse::<usize>().expect("aantal pagina's")),
        }
    }
    if sizes.is_empty() {
        sizes = vec![1000, 10000];
    }
    let theme = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default");
    println!("| pagina's | opstart s | p50 ms | p95 ms | max ms | bewerkingen |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for n in sizes {
        let dir = tempfile::tempdir().expect("tijdelijke map");
        let root = dir.path();
        let ok = Command::new("python3")
            .arg(generator())
            .args(["--pages", &n.to_string(), "--out"])
            .arg(root.join("content"))
            .stdout(std::process::Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "gen_corpus.py mislukt (zet KB_GEN_CORPUS)");
        std::fs::write(
            root.join("kennisbank.yaml"),
            "title: \"Benchmark\"\ntaxonomies:\n  - name: tags\n  - name: loopbaanmoment\n  - name: doelgroep\n  - name: regio\n",
        )
        .expect("config");
        copy_dir(&theme, &root.join("themes/default")).expect("thema kopiëren");
        match kennisbank::serve::latency::measure_edit(
            root,
            edits,
            Duration::from_millis(pause),
            search,
            edit,
        ) {
            Ok(r) => {
                println!(
                    "| {} | {:.1} | {} | {} | {} | {} |",
                    r.pages,
                    r.startup.as_secs_f64(),
                    r.percentile(50.0).as_millis(),
                    r.percentile(95.0).as_millis(),
                    r.samples
                        .iter()
                        .max()
                        .copied()
                        .unwrap_or_default()
                        .as_millis(),
                    r.samples.len()
                );
                eprintln!("{}", r.summary());
                let ms: Vec<String> = r
                    .samples
                    .iter()
                    .map(|d| d.as_millis().to_string())
                    .collect();
                eprintln!("  samples ms: {}", ms.join(" "));
            }
            Err(e) => eprintln!("{n}: {e}"),
        }
    }
}
