//! `kennisbank init [DIR]`: a new site in an empty folder, as mdBook's and
//! Hugo's first command gives one. The starter site (`src/starter/`) builds
//! without warnings: a commented `kennisbank.yaml`, a home page, one section
//! with a schema and an archetype, one example page and a `.gitignore`.
//! `--example` writes the bundled VIA knowledge base instead (this
//! repository's `content/`, `kennisbank.yaml`, `templates/`, `static/` and
//! `i18n/`).
//!
//! Both are embedded in the binary, so `init` works without a checkout.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use include_dir::{include_dir, Dir};

use crate::error::{Code, Diagnostic};

static STARTER: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/src/starter");
static EXAMPLE_CONTENT: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/content");
static EXAMPLE_TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");
static EXAMPLE_STATIC: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/static");
static EXAMPLE_I18N: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/i18n");
const EXAMPLE_CONFIG: &str = include_str!("../kennisbank.yaml");
/// Stored without the dot (a dotfile is easy to lose in a source tree).
const GITIGNORE: &str = include_str!("starter/gitignore");
/// Replaced by today's date in the starter's example page.
const TODAY: &str = "{{ vandaag }}";

pub(crate) fn run(dir: &Path, example: bool) -> ExitCode {
    let today = chrono::Local::now().date_naive().to_string();
    match write_site(dir, example, &today) {
        Ok(files) => {
            print_done(dir, example, &files);
            ExitCode::SUCCESS
        }
        Err(d) => {
            eprintln!("{d}");
            ExitCode::FAILURE
        }
    }
}

/// The files of the new site: path relative to the site, and bytes.
pub(crate) fn files(example: bool, today: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = vec![(PathBuf::from(".gitignore"), GITIGNORE.as_bytes().to_vec())];
    if example {
        out.push((
            PathBuf::from(crate::config::CONFIG_FILE),
            EXAMPLE_CONFIG.as_bytes().to_vec(),
        ));
        collect(&EXAMPLE_CONTENT, Path::new("content"), &mut out);
        collect(&EXAMPLE_TEMPLATES, Path::new("templates"), &mut out);
        collect(&EXAMPLE_STATIC, Path::new("static"), &mut out);
        collect(&EXAMPLE_I18N, Path::new("i18n"), &mut out);
    } else {
        let mut starter = Vec::new();
        collect(&STARTER, Path::new(""), &mut starter);
        for (path, bytes) in starter {
            if path == Path::new("gitignore") {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            let bytes = if text.contains(TODAY) && !path.ends_with(crate::new::ARCHETYPE) {
                text.replace(TODAY, today).into_bytes()
            } else {
                bytes
            };
            out.push((path, bytes));
        }
    }
    out.sort();
    out
}

fn collect(dir: &'static Dir<'static>, prefix: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    for f in dir.files() {
        out.push((prefix.join(f.path()), f.contents().to_vec()));
    }
    for d in dir.dirs() {
        collect(d, prefix, out);
    }
}

/// Writes the site into `dir` (made when missing); refuses a folder with
/// anything in it, so nothing is ever overwritten.
pub(crate) fn write_site(
    dir: &Path,
    example: bool,
    today: &str,
) -> Result<Vec<PathBuf>, Diagnostic> {
    let shown = dir.display().to_string();
    if dir.exists() && !dir.is_dir() {
        return Err(
            Diagnostic::error(Code::WriteRefused, &shown, "dit is een bestand, geen map")
                .hint("geef een nieuwe mapnaam: kennisbank init mijn-kennisbank"),
        );
    }
    let non_empty = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
    if non_empty {
        return Err(Diagnostic::error(
            Code::WriteRefused,
            &shown,
            "de map is niet leeg; init schrijft alleen in een lege of nieuwe map",
        )
        .hint("geef een nieuwe map op, bijvoorbeeld: kennisbank init mijn-kennisbank"));
    }
    let mut written = Vec::new();
    for (rel, bytes) in files(example, today) {
        let path = dir.join(&rel);
        let io = |e: std::io::Error| {
            Diagnostic::error(
                Code::WriteFailed,
                path.display().to_string(),
                format!("kan niet schrijven: {e}"),
            )
            .hint("controleer of u in deze map mag schrijven")
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(&path, bytes).map_err(io)?;
        written.push(rel);
    }
    Ok(written)
}

fn print_done(dir: &Path, example: bool, files: &[PathBuf]) {
    let what = if example {
        "de VIA-kennisbank (voorbeeld)"
    } else {
        "een nieuwe kennisbank"
    };
    println!(
        "{what} geschreven in {}: {} bestanden",
        dir.display(),
        files.len()
    );
    // The starter is small enough to list; the example gets its folders.
    if example {
        let mut tops: Vec<String> = files
            .iter()
            .map(|f| match f.components().count() {
                1 => f.display().to_string(),
                _ => format!(
                    "{}/",
                    f.iter()
                        .next()
                        .map(|c| c.to_string_lossy())
                        .unwrap_or_default()
                ),
            })
            .collect();
        tops.dedup();
        for t in tops {
            println!("  {t}");
        }
    } else {
        for f in files {
            println!("  {}", f.display());
        }
    }
    println!("\nvolgende stap:");
    if dir != Path::new(".") {
        println!("  cd {}", dir.display());
    }
    println!("  kennisbank serve    # voorbeeld in de browser, vernieuwt bij elke wijziging");
    println!("  kennisbank build    # de hele site in public/, klaar om te publiceren");
    if !example {
        println!("  kennisbank new artikelen \"Titel\"    # een nieuw artikel");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_has_every_part_the_issue_names() {
        let files = files(false, "2026-12-01");
        let names: Vec<String> = files
            .iter()
            .map(|(p, _)| p.to_string_lossy().into_owned())
            .collect();
        for expected in [
            ".gitignore",
            "kennisbank.yaml",
            "content/_index.md",
            "content/artikelen/_index.md",
            "content/artikelen/_archetype.md",
            "content/artikelen/zo-schrijft-u-een-artikel.md",
        ] {
            assert!(
                names.contains(&expected.to_string()),
                "{expected} in {names:?}"
            );
        }
        let text = |name: &str| {
            let (_, b) = files.iter().find(|(p, _)| p == Path::new(name)).unwrap();
            String::from_utf8(b.clone()).unwrap()
        };
        assert!(text(".gitignore").lines().any(|l| l == "/public/"));
        let page = text("content/artikelen/zo-schrijft-u-een-artikel.md");
        assert!(page.contains("date: 2026-12-01"), "{page}");
        // The archetype keeps its own placeholders for `kennisbank new`.
        assert!(text("content/artikelen/_archetype.md").contains("{{ date }}"));
        // The configuration parses and is commented.
        let config = text("kennisbank.yaml");
        crate::config::Config::parse(&config, Path::new("kennisbank.yaml")).unwrap();
        assert!(config.lines().filter(|l| l.starts_with('#')).count() > 10);
    }

    #[test]
    fn the_example_is_this_repositorys_site() {
        let files = files(true, "2026-12-01");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let pages = walkdir::WalkDir::new(root.join("content"))
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .count();
        let content = files
            .iter()
            .filter(|(p, _)| p.starts_with("content"))
            .count();
        assert_eq!(content, pages);
        let (_, config) = files
            .iter()
            .find(|(p, _)| p == Path::new("kennisbank.yaml"))
            .unwrap();
        assert_eq!(
            config,
            &std::fs::read(root.join("kennisbank.yaml")).unwrap()
        );
    }

    #[test]
    fn a_folder_with_anything_in_it_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("notities.md"), "# Mijn notities\n").unwrap();
        let err = write_site(tmp.path(), false, "2026-12-01").unwrap_err();
        assert!(err.message.contains("niet leeg"), "{err}");
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("notities.md")).unwrap(),
            "# Mijn notities\n"
        );
        let new = tmp.path().join("kb");
        let written = write_site(&new, false, "2026-12-01").unwrap();
        assert_eq!(written.len(), files(false, "2026-12-01").len());
        assert!(new.join("content/_index.md").is_file());
    }
}
