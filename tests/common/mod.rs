//! Test harness: copies a fixture site to a temp folder, edits files in it,
//! and runs the real `kennisbank` binary against it.
#![allow(dead_code)]

pub mod browser;
pub mod http;
pub mod static_server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct TestSite {
    pub dir: tempfile::TempDir,
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_kennisbank")
}

pub fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Entries beside the output that a build left, other than the previous
/// output it keeps on purpose (staging folders of killed builds, say).
pub fn leftovers(root: &Path) -> Vec<String> {
    std::fs::read_dir(root)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".kb-") && n != ".public.kb-previous")
        .collect()
}

impl TestSite {
    pub fn fixture(name: &str) -> TestSite {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixture_dir(name), dir.path());
        TestSite { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) -> &Self {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(bin())
            .args(args)
            .arg("--root")
            .arg(self.root())
            .output()
            .unwrap();
        Run(out)
    }

    /// `build` into `public/` without the search index (fast).
    pub fn build(&self) -> Run {
        self.run(&["build", "--no-search"])
    }

    pub fn public(&self, rel: &str) -> String {
        self.read(&format!("public/{rel}"))
    }
}

pub struct Run(pub Output);

impl Run {
    pub fn ok(&self) -> bool {
        self.0.status.success()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        assert!(self.ok(), "build failed:\n{}", self.stderr());
        self
    }
    /// Asserts failure and that stderr mentions every `needle`.
    #[track_caller]
    pub fn assert_fails_with(&self, needles: &[&str]) -> &Self {
        assert!(
            !self.ok(),
            "expected failure, got success:\n{}",
            self.stdout()
        );
        assert_eq!(
            self.0.status.code(),
            Some(1),
            "exit code; stderr:\n{}",
            self.stderr()
        );
        let err = self.stderr();
        assert!(!err.contains("panicked"), "panic:\n{err}");
        for n in needles {
            assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
        }
        self
    }
}

/// Every file under `dir`, relative, sorted, with its bytes.
pub fn snapshot_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// `stderr` without the warning (and its hint) that the bundled site's
/// accessibility contact is a placeholder address: the repository cannot
/// hold the real address of whoever publishes it. Panics when that warning
/// is missing while kennisbank.yaml still has the placeholder.
pub fn without_placeholder_contact_warning(stderr: &str, config: &str) -> String {
    let marker = ": waarschuwing: toegankelijkheid: contact.email '";
    let has_placeholder = config.contains("@example.org\"");
    let mut out = Vec::new();
    let mut skip_hint = false;
    let mut seen = false;
    for l in stderr.lines() {
        if l.starts_with("kennisbank.yaml:") && l.contains(marker) && l.contains("voorbeeldadres") {
            seen = true;
            skip_hint = true;
            continue;
        }
        if skip_hint && l.starts_with("  = hint:") {
            skip_hint = false;
            continue;
        }
        skip_hint = false;
        out.push(l);
    }
    assert_eq!(
        seen, has_placeholder,
        "the placeholder contact warning (expected: {has_placeholder}):\n{stderr}"
    );
    out.join("\n")
}
