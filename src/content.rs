//! Load stage: read `content/`, `static/` and the theme's static files from
//! disk. Only I/O lives here; everything after works on the loaded text.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::config::Config;
use crate::error::{Code, Diagnostic};
use crate::markdown::dialect::{self, Dialect};
use crate::model::{Asset, SourceFile};

/// Everything read from disk for one build.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub files: Vec<SourceFile>,
    /// Non-Markdown files under content/, relative to content/.
    pub content_assets: Vec<(PathBuf, String)>,
    /// Theme and site static files (site wins on a clash).
    pub static_files: Vec<Asset>,
    pub diagnostics: Vec<Diagnostic>,
    /// Size and modification time of each Markdown file (by `rel`), taken
    /// before it was read.
    pub stamps: HashMap<String, Stamp>,
    /// Last commit date per Markdown file (by `rel`) when the site is a
    /// git checkout (see [`crate::git`]).
    pub git: Option<HashMap<String, chrono::NaiveDate>>,
    /// Callout titles and site-wide abbreviations ([`load_dialect`]).
    pub dialect: Dialect,
    /// Markdown files that are only included (`_includes/` folders).
    pub snippets: Vec<SourceFile>,
    /// `templates/shortcodes/` of the theme and the site.
    pub shortcode_templates: Vec<crate::shortcodes::TemplateFile>,
}

/// What `serve` compares to decide a file is unchanged since it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub len: u64,
    pub modified: Option<SystemTime>,
}

impl Stamp {
    pub(crate) fn of(path: &Path) -> Option<Stamp> {
        let m = std::fs::metadata(path).ok()?;
        Some(Stamp {
            len: m.len(),
            modified: m.modified().ok(),
        })
    }
}

/// Text of an unchanged file, if the caller still has it: given the file's
/// `rel` and its stamp now.
pub(crate) type Known<'a> = &'a (dyn Fn(&str, Stamp) -> Option<crate::model::Text> + Sync);

/// Files an editor leaves around while saving; never content.
pub(crate) fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || (name.starts_with('#') && name.ends_with('#'))
        || name == "4913" // vim's write test file
        || name == "_archetype.md" // template for `kennisbank new`, never a page
}

/// Top-level folders of a site that are never content (when a bare folder
/// of Markdown is its own content folder).
pub(crate) const NOT_CONTENT: &[&str] = &[
    "public",
    "themes",
    "templates",
    "static",
    "i18n",
    "node_modules",
    "target",
];

/// The folder the pages are in: `content/`, or, in a folder of Markdown
/// without `content/` and without a configuration, the folder itself.
pub(crate) fn content_dir(root: &Path) -> PathBuf {
    let content = root.join("content");
    if content.is_dir() || root.join(crate::config::CONFIG_FILE).is_file() {
        content
    } else {
        root.to_path_buf()
    }
}

pub(crate) fn load(root: &Path, theme_dir: &Path) -> Loaded {
    load_reusing(root, theme_dir, &|_, _| None)
}

/// Like [`load`], taking the text of a Markdown file from `known` instead
/// of reading it when `known` has it for the file's current stamp.
pub(crate) fn load_reusing(root: &Path, theme_dir: &Path, known: Known) -> Loaded {
    let mut loaded = Loaded::default();
    let content = content_dir(root);
    let bare = content == root;
    if !content.is_dir() {
        loaded.diagnostics.push(
            Diagnostic::error(Code::ContentMissing, "content", "map content/ ontbreekt")
                .hint(format!("maak {} aan met een _index.md", content.display())),
        );
        return loaded;
    }
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut md_paths = Vec::new();
    let mut snippet_paths = Vec::new();
    walk(
        &content,
        &canonical_root,
        root,
        &mut loaded.diagnostics,
        |path, rel| {
            // A bare folder is its own content, but not its output or the
            // folders that are the site's other parts.
            if bare
                && rel
                    .split('/')
                    .next()
                    .is_some_and(|top| NOT_CONTENT.contains(&top))
            {
                return;
            }
            if rel.ends_with(".md") && crate::shortcodes::is_include_only(&rel) {
                snippet_paths.push((path, rel));
            } else if rel.ends_with(".md") {
                md_paths.push((path, rel));
            } else {
                loaded.content_assets.push((path, rel));
            }
        },
    );

    let results: Vec<(Result<SourceFile, Diagnostic>, Option<Stamp>)> = md_paths
        .into_par_iter()
        .map(|(path, rel)| {
            // Stamp first: a file saved while it is read gets a newer stamp.
            let stamp = Stamp::of(&path);
            let text = stamp.and_then(|s| known(&rel, s));
            let file = match text {
                Some(text) => Ok(SourceFile {
                    display: display_path(root)(&path),
                    rel,
                    text,
                }),
                None => read_source(&path, rel, root),
            };
            (file, stamp)
        })
        .collect();
    for (r, stamp) in results {
        match r {
            Ok(f) => {
                if let Some(s) = stamp {
                    loaded.stamps.insert(f.rel.clone(), s);
                }
                loaded.files.push(f)
            }
            Err(d) => loaded.diagnostics.push(d),
        }
    }
    loaded.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    loaded.git = crate::git::last_changes(root);
    // Few and small: read every time, so an edit is never missed.
    for (path, rel) in snippet_paths {
        match read_source(&path, rel, root) {
            Ok(f) => loaded.snippets.push(f),
            Err(d) => loaded.diagnostics.push(d),
        }
    }
    loaded.shortcode_templates =
        crate::shortcodes::read_templates(root, theme_dir, &mut loaded.diagnostics);

    // Theme static first, then the site's: a later entry overrides an earlier one.
    let mut statics: std::collections::BTreeMap<String, Asset> =
        crate::theme::embedded_static(theme_dir)
            .into_iter()
            .map(|a| (a.dest.clone(), a))
            .collect();
    for dir in [theme_dir.join("static"), root.join("static")] {
        if dir.is_dir() {
            walk(
                &dir,
                &canonical_root,
                root,
                &mut loaded.diagnostics,
                |path, rel| {
                    statics.insert(rel.clone(), Asset::file(path, rel));
                },
            );
        }
    }
    loaded.static_files = statics.into_values().collect();
    loaded
}

/// Walks `dir` without following directory symlinks; calls `found` with the
/// path and its `/`-separated path relative to `dir`.
fn walk(
    dir: &Path,
    canonical_root: &Path,
    root: &Path,
    diags: &mut Vec<Diagnostic>,
    mut found: impl FnMut(PathBuf, String),
) {
    let walker = WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_str().is_some_and(is_ignored_name));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().map(display_path(root)).unwrap_or_default();
                diags.push(Diagnostic::error(
                    Code::ContentUnreadable,
                    path,
                    format!("kan niet lezen: {e}"),
                ));
                continue;
            }
        };
        let path = entry.path();
        let Ok(rel) = path.strip_prefix(dir) else {
            continue;
        };
        let Some(rel) = rel.to_str().map(|s| s.replace('\\', "/")) else {
            diags.push(
                Diagnostic::error(
                    Code::ContentNotUtf8,
                    display_path(root)(path),
                    "bestandsnaam is geen geldige UTF-8",
                )
                .hint("geef het bestand een naam met gewone tekens"),
            );
            continue;
        };
        let ft = entry.file_type();
        // The folder itself may be a link (a corpus linked in as content/).
        if ft.is_symlink() && entry.depth() > 0 {
            match path.canonicalize() {
                Ok(target) if target.starts_with(canonical_root) && target.is_file() => {
                    found(path.to_path_buf(), rel);
                }
                Ok(target) if target.starts_with(canonical_root) => {
                    diags.push(
                        Diagnostic::warning(
                            Code::ContentSymlink,
                            display_path(root)(path),
                            "symbolische link naar een map wordt niet gevolgd",
                        )
                        .hint("kopieer de map of verplaats haar naar hier"),
                    );
                }
                Ok(_) => diags.push(
                    Diagnostic::warning(
                        Code::ContentSymlink,
                        display_path(root)(path),
                        "symbolische link wijst buiten de site en wordt niet gevolgd",
                    )
                    .hint("kopieer het bestand naar de site als het gepubliceerd moet worden"),
                ),
                Err(e) => diags.push(Diagnostic::warning(
                    Code::ContentSymlink,
                    display_path(root)(path),
                    format!("symbolische link is kapot of een lus ({e}); overgeslagen"),
                )),
            }
            continue;
        }
        if ft.is_file() {
            found(path.to_path_buf(), rel);
        }
    }
}

fn display_path(root: &Path) -> impl Fn(&Path) -> PathBuf + '_ {
    move |p: &Path| p.strip_prefix(root).unwrap_or(p).to_path_buf()
}

/// Reads one Markdown file: strips a byte-order mark, normalises CRLF, and
/// names the byte offset of invalid UTF-8.
pub(crate) fn read_source(path: &Path, rel: String, root: &Path) -> Result<SourceFile, Diagnostic> {
    let display = display_path(root)(path);
    let bytes = std::fs::read(path).map_err(|e| {
        Diagnostic::error(
            Code::ContentUnreadable,
            &display,
            format!("kan niet lezen: {e}"),
        )
    })?;
    let text = decode(bytes).map_err(|(offset, line)| {
        Diagnostic::error(
            Code::ContentNotUtf8,
            &display,
            format!("geen geldige UTF-8 bij byte {offset}"),
        )
        .at_line(Some(line))
        .hint("sla het bestand op als UTF-8")
    })?;
    Ok(SourceFile {
        rel,
        display,
        text: text.into(),
    })
}

/// UTF-8 text with BOM removed and CRLF turned into LF (line numbers stay).
/// On failure: the byte offset and line of the first invalid byte.
pub(crate) fn decode(mut bytes: Vec<u8>) -> Result<String, (usize, usize)> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        (offset, line)
    })?;
    Ok(if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text
    })
}

/// What the Markdown stage needs from files outside content/: the callout
/// titles of the theme's translations (`callout_*` keys of
/// `i18n/<language>.yaml`, the site's overriding the theme's) and the
/// abbreviations of `markdown.abbreviations`.
pub(crate) fn load_dialect(
    root: &Path,
    config: &Config,
    theme_dir: &Path,
) -> (Dialect, Vec<Diagnostic>) {
    let mut out = Dialect::default();
    let mut diags = Vec::new();
    let file_name = format!("{}.yaml", config.language);
    let mut texts: Vec<String> = Vec::new();
    match crate::theme::Source::of(theme_dir) {
        Some(crate::theme::Source::Embedded(d)) => {
            if let Some(f) = d.get_file(format!("i18n/{file_name}")) {
                texts.push(String::from_utf8_lossy(f.contents()).into_owned());
            }
        }
        Some(crate::theme::Source::Disk(dir)) => {
            texts.extend(std::fs::read_to_string(dir.join("i18n").join(&file_name)).ok());
        }
        None => {}
    }
    texts.extend(std::fs::read_to_string(root.join("i18n").join(&file_name)).ok());
    for text in texts {
        // A broken file is reported by the theme loader; here it only
        // leaves the default titles.
        let Ok(map) = crate::yaml::from_str::<HashMap<String, crate::yaml::Value>>(&text) else {
            continue;
        };
        for (key, value) in map {
            if let (Some(kind), crate::yaml::Value::String(title)) =
                (key.strip_prefix(dialect::TITLE_KEY), value)
            {
                out.titles.insert(kind.to_string(), title);
            }
        }
    }
    if let Some(rel) = &config.markdown.abbreviations {
        let path = root.join(rel);
        match std::fs::read_to_string(&path) {
            Ok(text) => out.abbreviations = crate::markdown::abbr_file(&text),
            Err(e) => diags.push(
                Diagnostic::error(Code::AbbreviationsUnreadable,
                    crate::config::CONFIG_FILE,
                    format!("kan het afkortingenbestand '{rel}' niet lezen: {e}"),
                )
                .hint("zet in markdown.abbreviations het pad van een bestaand bestand, gezien vanaf de map van kennisbank.yaml (bijvoorbeeld includes/abbreviations.md)"),
            ),
        }
    }
    (out, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_strips_bom_and_crlf() {
        let t = decode(b"\xEF\xBB\xBF---\r\ntitle: a\r\n---\r\n".to_vec()).unwrap();
        assert_eq!(t, "---\ntitle: a\n---\n");
    }

    #[test]
    fn decode_names_offset_and_line_of_bad_byte() {
        let err = decode(b"ab\ncd\xFFef".to_vec()).unwrap_err();
        assert_eq!(err, (5, 2));
    }

    #[test]
    fn editor_temp_files_are_ignored() {
        for n in [".x.md.swp", "a.md~", "#a.md#", "4913", ".hidden"] {
            assert!(is_ignored_name(n), "{n}");
        }
        assert!(!is_ignored_name("a.md"));
    }
}
