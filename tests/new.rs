//! `kennisbank new`: the real binary on a temp copy of the repository's own
//! site (its sections carry schemas merged down from the root).

mod common;

use common::copy_dir;
use std::collections::BTreeMap;
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

/// The required fields of a section: its `_index.md` schema merged over the
/// root's, as the tool merges them (a section's own field wins).
fn required_fields(root: &Path, section: &str) -> BTreeMap<String, Vec<String>> {
    let schema = |rel: &str| -> serde_yaml::Mapping {
        let text = std::fs::read_to_string(root.join("content").join(rel)).unwrap();
        let front = text
            .strip_prefix("---\n")
            .and_then(|r| r.split_once("\n---\n"))
            .map(|(f, _)| f)
            .unwrap();
        let front: serde_yaml::Mapping = serde_yaml::from_str(front).unwrap();
        front
            .get("schema")
            .and_then(|s| s.as_mapping())
            .cloned()
            .unwrap_or_default()
    };
    let mut merged = schema("_index.md");
    for (k, v) in schema(&format!("{section}/_index.md")) {
        merged.insert(k, v);
    }
    merged
        .into_iter()
        .filter(|(_, spec)| spec.get("required").and_then(|r| r.as_bool()) == Some(true))
        .map(|(name, spec)| {
            let values = spec
                .get("values")
                .and_then(|v| v.as_sequence())
                .map(|v| {
                    v.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            (name.as_str().unwrap().to_string(), values)
        })
        .collect()
}

/// 1-based line of `key:` in a file.
fn line_of(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no line '{key}:' in\n{text}"))
        + 1
}

#[test]
fn new_page_is_a_draft_with_every_required_field_empty() {
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
    assert!(text.contains("\ndraft: true\n"), "{text}");
    // The root's schema requires bron and thema (merged down into praktijken):
    // written empty, the allowed values in the comment above.
    assert!(text.contains("\nbron: \"\"\n"), "{text}");
    assert!(text.contains("\nthema: []\n"), "{text}");
    assert!(
        text.contains("Kies een of meer uit: begeleiding, corona,"),
        "{text}"
    );
    assert!(!text.contains("(invullen)"), "no placeholder text: {text}");
    // An optional field stays a comment.
    assert!(text.contains("\n# voor_wie: []\n"), "{text}");
}

#[test]
fn new_page_fails_check_naming_each_empty_field_until_filled() {
    let site = site();
    for section in ["pilots", "conclusies", "praktijken"] {
        let required = required_fields(site.path(), section);
        assert!(!required.is_empty(), "{section} has required fields");
        let out = kb(site.path(), &["new", section, "Nieuw in dit onderdeel"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rel = format!("content/{section}/nieuw-in-dit-onderdeel.md");
        let file = site.path().join(&rel);
        let text = std::fs::read_to_string(&file).unwrap();

        // A draft, yet check reports every empty field at its own line,
        // with the allowed values.
        let c = check(site.path());
        let err = String::from_utf8_lossy(&c.stderr);
        assert_eq!(c.status.code(), Some(1), "{section}: {err}");
        for (name, values) in &required {
            let at = format!(
                "{rel}:{}: fout: verplicht veld '{name}' is nog niet ingevuld",
                line_of(&text, name)
            );
            assert!(err.contains(&at), "{section}: missing '{at}' in\n{err}");
            if !values.is_empty() {
                assert!(
                    err.contains(&format!("kies uit: {}", values.join(", "))),
                    "{section}: allowed values of {name} in\n{err}"
                );
            }
        }
        let reported = err.matches("is nog niet ingevuld").count();
        assert_eq!(
            reported,
            required.len(),
            "{section}: one error per field:\n{err}"
        );

        // A build without --drafts leaves the draft out and succeeds; with
        // --drafts it fails on the same fields.
        let outdir = site.path().join("uit");
        let b = kb(
            site.path(),
            &["build", "--no-search", "--output", outdir.to_str().unwrap()],
        );
        assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
        let b = kb(
            site.path(),
            &[
                "build",
                "--drafts",
                "--no-search",
                "--output",
                outdir.to_str().unwrap(),
            ],
        );
        assert_eq!(b.status.code(), Some(1));
        assert_eq!(
            String::from_utf8_lossy(&b.stderr)
                .matches("is nog niet ingevuld")
                .count(),
            required.len()
        );

        // Filled in and no longer a draft: check passes.
        let mut filled = String::new();
        for line in text.lines() {
            let key = line.split(':').next().unwrap_or("");
            let line = match required.get(key) {
                Some(values) if line.ends_with("[]") => match values.first() {
                    Some(v) => format!("{key}: [\"{v}\"]"),
                    None => format!("{key}: [\"iets\"]"),
                },
                Some(values) if line.ends_with("\"\"") => match values.first() {
                    Some(v) => format!("{key}: \"{v}\""),
                    None => format!("{key}: \"Kamerbrief van 9 november 2020\""),
                },
                Some(_) => format!("{key}: true"),
                None if line == "draft: true" => continue,
                None => line.to_string(),
            };
            filled.push_str(&line);
            filled.push('\n');
        }
        std::fs::write(&file, &filled).unwrap();
        let c = check(site.path());
        assert!(
            c.status.success(),
            "{section}: filled in passes check:\n{filled}\n{}",
            String::from_utf8_lossy(&c.stderr)
        );
        std::fs::remove_file(&file).unwrap();
    }
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
    assert!(
        text.contains("thema: [onderzoek]\n# Concept: haal deze regel weg als alle verplichte velden zijn ingevuld.\ndraft: true\n---\n"),
        "a page from an archetype is a draft too: {text}"
    );
    // It still lacks the pilot fields the archetype left out: check names them.
    let c = check(site.path());
    let err = String::from_utf8_lossy(&c.stderr);
    assert_eq!(c.status.code(), Some(1), "{err}");
    for name in required_fields(site.path(), "pilots").keys() {
        if !text.contains(&format!("\n{name}:")) {
            assert!(
                err.contains(&format!(
                    "content/pilots/een-proef.md:1: fout: verplicht veld '{name}' ontbreekt"
                )),
                "{name}: {err}"
            );
        }
    }
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
