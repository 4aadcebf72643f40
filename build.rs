//! Build script: the commit `--version` names, and rebuilding when a file
//! is added to what the binary embeds (include_dir tracks the files it
//! includes, not new ones).

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn main() {
    // Embedded by src/theme.rs and src/init.rs.
    for dir in [
        "themes/default",
        "src/starter",
        "content",
        "templates",
        "static",
        "i18n",
        "kennisbank.yaml",
    ] {
        println!("cargo:rerun-if-changed={dir}");
    }
    println!("cargo:rerun-if-env-changed=KENNISBANK_COMMIT");

    // A packaged or copied source tree has no git: say so instead of failing.
    let commit = std::env::var("KENNISBANK_COMMIT").ok().or_else(|| {
        let hash = git(&["rev-parse", "--short=10", "HEAD"])?;
        let date = git(&["show", "-s", "--format=%cs", "HEAD"]).unwrap_or_default();
        // No "dirty" mark: the script does not rerun on every source edit,
        // so it would be stale.
        Some(format!("{hash} {date}"))
    });
    let commit = commit.unwrap_or_else(|| "commit onbekend".into());
    println!("cargo:rustc-env=KENNISBANK_COMMIT={}", commit.trim());

    // A new commit (or a checkout) changes HEAD or the branch it points to.
    if let Some(git_dir) = git(&["rev-parse", "--git-dir"]) {
        let git_dir = Path::new(&git_dir);
        println!("cargo:rerun-if-changed={}", git_dir.join("HEAD").display());
        if let (Some(common), Some(head_ref)) = (
            git(&["rev-parse", "--git-common-dir"]),
            git(&["symbolic-ref", "-q", "HEAD"]),
        ) {
            let common = Path::new(&common);
            println!("cargo:rerun-if-changed={}", common.join(head_ref).display());
            println!(
                "cargo:rerun-if-changed={}",
                common.join("packed-refs").display()
            );
        }
    }
}
