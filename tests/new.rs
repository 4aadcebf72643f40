//! `kennisbank new`: the real binary on a temp copy of the repository's own
//! site (its sections carry schemas merged down from the root).

mod common;

use common::copy_dir;
use std::path::Path;
use std::process::{Command, Output};

fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for d in ["content", "themes"] {
        copy_dir(&repo.join(d), &dir.path().join(d));
    }
    std::fs::copy(
        repo.join("kennisbank.yaml"),
        dir.path().join("kennisbank.yaml"),
    )
    .unwrap();
    dir
}

fn kb(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kennisbank"))
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap()
}

fn check(root: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kennisbank"))
        .args(["check", "--root"])
        .arg(root)
        .output()
        .unwrap()
}

#[test]
fn new_page_has_every_required_field_and_passes_check() {
    let site = site();
    let out = kb(
        site.path(),
        &["new", "praktijken", "Stages zoeken met een buddy"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = site
        .path()
        .join("content/praktijken/stages-zoeken-met-een-buddy.md");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("stages-zoeken-met-een-buddy.md"),
        "prints the path"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("---\ntitle: \"Stages zoeken met een buddy\"\n"),
        "{text}"
    );
    let today = chrono::Local::now().date_naive().to_string();
    assert!(text.contains(&format!("date: {today}")), "{text}");
    // The root's schema requires bron and thema (merged down into praktijken).
    assert!(text.contains("\nbron: "), "{text}");
    assert!(text.contains("\nthema: [\"begeleiding\"]"), "{text}");
    assert!(text.contains("Toegestaan: begeleiding, corona"), "{text}");
    let c = check(site.path());
    assert!(
        c.status.success(),
        "the new page passes check:\n{}",
        String::from_utf8_lossy(&c.stderr)
    );
}

#[test]
fn new_refuses_to_overwrite() {
    let site = site();
    assert!(kb(site.path(), &["new", "pilots", "Dubbel"])
        .status
        .success());
    let file = site.path().join("content/pilots/dubbel.md");
    std::fs::write(&file, "mijn tekst").unwrap();
    let out = kb(site.path(), &["new", "pilots", "Dubbel"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bestaat al"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mijn tekst");
}

#[test]
fn new_in_an_unknown_section_suggests_the_closest() {
    let site = site();
    let out = kb(site.path(), &["new", "praktijk", "Iets"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sectie 'praktijk' bestaat niet"), "{err}");
    assert!(err.contains("bedoelt u 'praktijken'?"), "{err}");
    assert!(!site.path().join("content/praktijk").exists());
}

#[test]
fn section_archetype_overrides_and_is_never_published() {
    let site = site();
    let archetype = site.path().join("content/pilots/_archetype.md");
    std::fs::write(
        &archetype,
        "---\ntitle: {{ title }}\ndate: {{ date }}\nbron: \"Eigen bron\"\nthema: [onderzoek]\n---\n\nPilot {{ slug }}.\n",
    )
    .unwrap();
    let out = kb(site.path(), &["new", "pilots", "Een \"proef\""]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(site.path().join("content/pilots/een-proef.md")).unwrap();
    assert!(
        text.starts_with("---\ntitle: \"Een \\\"proef\\\"\"\n"),
        "{text}"
    );
    assert!(text.contains("Pilot een-proef."), "{text}");
    // The archetype itself (invalid YAML before filling) is no page.
    std::fs::remove_file(site.path().join("content/pilots/een-proef.md")).unwrap();
    let c = check(site.path());
    assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    let outdir = site.path().join("uit");
    let b = Command::new(env!("CARGO_BIN_EXE_kennisbank"))
        .args(["build", "--no-search", "--root"])
        .arg(site.path())
        .arg("--output")
        .arg(&outdir)
        .output()
        .unwrap();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    assert!(
        !outdir.join("pilots/archetype").exists() && !outdir.join("pilots/_archetype").exists()
    );
}
