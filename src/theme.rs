//! Themes: where a theme's files come from (a folder in `themes/`, or the
//! default theme built into the binary), loading its templates and
//! translations with the site's own overriding them, and writing the
//! built-in theme out (`kennisbank theme eject`).
//!
//! The default theme is embedded with `include_dir`, which puts every file
//! in the binary in debug builds too (rust-embed reads from disk in debug
//! builds), gives `&'static [u8]` without copying, and keeps the folder
//! tree, which is what a theme is.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use serde_json::{Map, Value};
use tera::Tera;

use crate::error::{Code, Diagnostic, Severity};
use crate::model::Asset;
use crate::render::{short_hash, template_error};

/// The default theme: templates, static files and translations.
pub(crate) static DEFAULT: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

/// The name `theme:` gives the built-in theme.
pub(crate) const DEFAULT_NAME: &str = "default";

/// How messages name a file of the built-in theme.
const EMBEDDED_LABEL: &str = "(ingebouwd thema default)";

/// What a theme consists of; `eject` writes these folders.
const THEME_PARTS: &[&str] = &["templates", "static", "i18n"];

/// Templates, translations and asset fingerprints of the active theme.
pub struct Theme {
    pub tera: Tera,
    /// Template name → file it came from, and its text (for error lines).
    pub(crate) sources: HashMap<String, (PathBuf, String)>,
    pub(crate) translations: Value,
}

const BUILTIN: &[(&str, &str)] = &[
    ("sitemap.xml", include_str!("builtin/sitemap.xml")),
    ("atom.xml", include_str!("builtin/atom.xml")),
    ("robots.txt", include_str!("builtin/robots.txt")),
    ("__redirect.html", include_str!("builtin/redirect.html")),
];

pub fn theme_dir(root: &Path, theme: &str) -> PathBuf {
    root.join("themes").join(theme)
}

/// Where a theme's files come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// A folder on disk (`themes/<name>/`, with a `templates/` folder).
    Disk(PathBuf),
    /// The theme built into the binary.
    Embedded(&'static Dir<'static>),
}

impl Source {
    /// The theme folder `dir` (`<root>/themes/<name>`): the folder itself
    /// when it has `templates/`, else the built-in theme when `<name>` is
    /// its name (so `theme: default` needs no copy on disk, and a copy on
    /// disk wins). `None`: no such theme.
    pub(crate) fn of(dir: &Path) -> Option<Source> {
        if dir.join("templates").is_dir() {
            return Some(Source::Disk(dir.to_path_buf()));
        }
        (dir.file_name().and_then(|n| n.to_str()) == Some(DEFAULT_NAME))
            .then_some(Source::Embedded(&DEFAULT))
    }
}

/// Files of the embedded theme under `sub` (`templates`, `static`,
/// `i18n`): the path relative to `sub`, `/`-separated, and the bytes.
pub(crate) fn embedded_files(
    dir: &'static Dir<'static>,
    sub: &str,
) -> Vec<(String, &'static [u8])> {
    fn walk(d: &'static Dir<'static>, base: &Path, out: &mut Vec<(String, &'static [u8])>) {
        for f in d.files() {
            if let Ok(rel) = f.path().strip_prefix(base) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                out.push((rel, f.contents()));
            }
        }
        for sub in d.dirs() {
            walk(sub, base, out);
        }
    }
    let mut out = Vec::new();
    if let Some(d) = dir.get_dir(sub) {
        walk(d, Path::new(sub), &mut out);
    }
    out.sort();
    out
}

/// The static files of the theme in folder `dir`, when that is the
/// embedded theme (a theme on disk is read by the load stage).
pub(crate) fn embedded_static(dir: &Path) -> Vec<Asset> {
    match Source::of(dir) {
        Some(Source::Embedded(d)) => embedded_files(d, "static")
            .into_iter()
            .map(|(dest, bytes)| Asset {
                source: PathBuf::from(format!("{EMBEDDED_LABEL}/static/{dest}")),
                dest,
                embedded: Some(bytes),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Loads the theme's templates with the site's `templates/` overriding them
/// file by file, then the interface strings of `language`.
pub fn load_theme(
    root: &Path,
    theme: &str,
    language: &str,
    base_path: &str,
    assets: &[Asset],
) -> Result<Theme, Vec<Diagnostic>> {
    let dir = theme_dir(root, theme);
    let Some(source) = Source::of(&dir) else {
        return Err(vec![Diagnostic::new(
            Severity::Error,
            Code::ThemeMissing,
            format!(
                "thema '{theme}' niet gevonden: {} ontbreekt",
                dir.join("templates").display()
            ),
        )
        .hint(format!(
            "zet 'theme:' op een map in themes/, of op {DEFAULT_NAME} (ingebouwd; `kennisbank theme eject` schrijft het uit)"
        ))]);
    };
    let mut sources: HashMap<String, (PathBuf, String)> = HashMap::new();
    for (name, text) in BUILTIN {
        sources.insert(
            name.to_string(),
            (
                PathBuf::from(format!("(ingebouwd) {name}")),
                text.to_string(),
            ),
        );
    }
    let mut diags = Vec::new();
    match &source {
        Source::Embedded(d) => {
            for (name, bytes) in embedded_files(d, "templates") {
                let text = String::from_utf8_lossy(bytes).into_owned();
                let shown = PathBuf::from(format!("{EMBEDDED_LABEL}/templates/{name}"));
                sources.insert(name, (shown, text));
            }
        }
        Source::Disk(dir) => read_templates(root, &dir.join("templates"), &mut sources, &mut diags),
    }
    read_templates(root, &root.join("templates"), &mut sources, &mut diags);
    diags.extend(check_include_cycles(&sources));
    if !diags.is_empty() {
        return Err(diags);
    }
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html", ".htm", ".xml"]);
    // Tera's default also escapes `/`, which turns every URL into `&#x2F;` noise.
    tera.set_escape_fn(crate::markdown::escape);
    if let Err(e) = add_templates(&mut tera, &sources) {
        return Err(vec![template_error(&e, &sources, None)]);
    }
    register_functions(&mut tera, base_path, assets);
    let translations = load_translations(root, &source, language)?;
    register_filters(&mut tera, &translations);
    Ok(Theme {
        tera,
        sources,
        translations,
    })
}

/// What `Tera::add_raw_templates` does, with the templates parsed on all
/// cores: parsing (pest) was a third of a small site's build. The checks
/// after parsing are Tera's own, so errors are the same.
fn add_templates(
    tera: &mut Tera,
    sources: &HashMap<String, (PathBuf, String)>,
) -> tera::Result<()> {
    use rayon::prelude::*;
    // Biggest first, so the last template parsed is a small one.
    let mut todo: Vec<(&String, &String)> = sources.iter().map(|(n, (_, t))| (n, t)).collect();
    todo.sort_by_key(|(n, t)| (std::cmp::Reverse(t.len()), n.as_str()));
    let parsed: Vec<tera::Result<tera::Template>> = todo
        .par_iter()
        .map(|(name, text)| {
            tera::Template::new(name, None, text)
                .map_err(|e| tera::Error::chain(format!("Failed to parse '{name}'"), e))
        })
        .collect();
    // The first failure in name order, as a sequential parse would not
    // promise any particular one either; this one is at least stable.
    let mut failures: Vec<(&String, tera::Error)> = Vec::new();
    for ((name, _), t) in todo.iter().zip(parsed) {
        match t {
            Ok(t) => {
                tera.templates.insert(name.to_string(), t);
            }
            Err(e) => failures.push((name, e)),
        }
    }
    failures.sort_by(|a, b| a.0.cmp(b.0));
    if let Some((_, e)) = failures.into_iter().next() {
        return Err(e);
    }
    tera.build_inheritance_chains()?;
    tera.check_macro_files()
}

/// Adds the templates in `tdir` (when it exists) to `sources`, replacing
/// those of the same name.
fn read_templates(
    root: &Path,
    tdir: &Path,
    sources: &mut HashMap<String, (PathBuf, String)>,
    diags: &mut Vec<Diagnostic>,
) {
    if !tdir.is_dir() {
        return;
    }
    for entry in walkdir::WalkDir::new(tdir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let Some(name) = path.strip_prefix(tdir).ok().and_then(|p| p.to_str()) else {
            continue;
        };
        if crate::content::is_ignored_name(name.rsplit('/').next().unwrap_or(name)) {
            continue;
        }
        let shown = path.strip_prefix(root).unwrap_or(path).to_path_buf();
        match std::fs::read_to_string(path) {
            Ok(text) => {
                sources.insert(name.replace('\\', "/"), (shown, text));
            }
            Err(e) => diags.push(Diagnostic::error(
                Code::TemplateUnreadable,
                shown,
                format!("kan sjabloon niet lezen: {e}"),
            )),
        }
    }
}

impl Theme {
    /// Whether the theme (or the site's templates/) has a template `name`.
    pub(crate) fn has_template(&self, name: &str) -> bool {
        self.sources.contains_key(name)
    }
}

fn load_translations(
    root: &Path,
    source: &Source,
    language: &str,
) -> Result<Value, Vec<Diagnostic>> {
    let file_name = format!("{language}.yaml");
    let mut texts: Vec<(PathBuf, String)> = Vec::new();
    match source {
        Source::Embedded(d) => {
            if let Some(f) = d.get_file(format!("i18n/{file_name}")) {
                let shown = PathBuf::from(format!("{EMBEDDED_LABEL}/i18n/{file_name}"));
                texts.push((shown, String::from_utf8_lossy(f.contents()).into_owned()));
            }
        }
        Source::Disk(dir) => texts.extend(read_text(root, &dir.join("i18n").join(&file_name))),
    }
    texts.extend(read_text(root, &root.join("i18n").join(&file_name)));
    let mut map = Map::new();
    for (shown, text) in texts {
        // Read as JSON values directly: a map with a key that is not text
        // is a located error here, not a value silently turned into null.
        let parsed: BTreeMap<String, Value> =
            crate::yaml::parse(&text, &shown).map_err(|d| vec![d])?;
        map.extend(parsed);
    }
    Ok(Value::Object(map))
}

/// A file's text with its path relative to `root`, if it can be read.
fn read_text(root: &Path, file: &Path) -> Option<(PathBuf, String)> {
    let text = std::fs::read_to_string(file).ok()?;
    Some((file.strip_prefix(root).unwrap_or(file).to_path_buf(), text))
}

/// `{% include %}` / `{% extends %}` / `{% import %}` cycles would make Tera
/// recurse forever; refuse them up front.
fn check_include_cycles(sources: &HashMap<String, (PathBuf, String)>) -> Vec<Diagnostic> {
    let edges: HashMap<&str, Vec<String>> = sources
        .iter()
        .map(|(name, (_, text))| (name.as_str(), referenced_templates(text)))
        .collect();
    let mut diags = Vec::new();
    for start in edges.keys() {
        // Depth-first search for a path back to `start`.
        let mut stack: Vec<(String, usize)> = vec![(start.to_string(), 0)];
        let mut seen = std::collections::HashSet::new();
        while let Some((node, depth)) = stack.pop() {
            for next in edges.get(node.as_str()).into_iter().flatten() {
                if next == start {
                    let (file, _) = &sources[*start];
                    diags.push(
                        Diagnostic::error(Code::TemplateCycle, file, format!("sjabloon '{start}' neemt zichzelf (via '{node}') op: oneindige lus"))
                            .hint("verwijder de include/extends die terugverwijst"),
                    );
                    stack.clear();
                    break;
                }
                if seen.insert(next.clone()) && depth < 64 {
                    stack.push((next.clone(), depth + 1));
                }
            }
        }
    }
    diags.sort_by(|a, b| a.file().cmp(&b.file()));
    diags.dedup_by(|a, b| a.file() == b.file());
    diags
}

pub(crate) fn referenced_templates(text: &str) -> Vec<String> {
    // Comments may name templates without using them.
    let mut code = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{#") {
        code.push_str(&rest[..start]);
        rest = rest[start..]
            .find("#}")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    code.push_str(rest);
    let text = code.as_str();
    let mut out = Vec::new();
    for keyword in ["include", "extends", "import"] {
        let mut rest = text;
        while let Some(i) = rest.find(keyword) {
            rest = &rest[i + keyword.len()..];
            let after = rest.trim_start();
            if let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') {
                if let Some(end) = after[1..].find(q) {
                    out.push(after[1..1 + end].to_string());
                }
            }
        }
    }
    out
}

fn register_functions(tera: &mut Tera, base_path: &str, assets: &[Asset]) {
    // Only the files a template passes to `asset()` are read and hashed,
    // each once per theme load (a site's images and downloads never are).
    // A cell per file: no lock on the render threads once it is hashed.
    let by_dest: HashMap<String, (Asset, std::sync::OnceLock<Option<String>>)> = assets
        .iter()
        .filter(|a| !a.dest.contains("index.html"))
        .map(|a| (a.dest.clone(), (a.clone(), std::sync::OnceLock::new())))
        .collect();
    let base = base_path.to_string();
    tera.register_function("asset", move |args: &HashMap<String, Value>| {
        let path = args
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| tera::Error::msg("asset() heeft path=\"…\" nodig"))?
            .trim_start_matches('/');
        let hash = by_dest.get(path).and_then(|(asset, cell)| {
            cell.get_or_init(|| asset.read().ok().map(|b| short_hash(&b)))
                .clone()
        });
        match hash {
            Some(h) => Ok(Value::String(format!("{base}{path}?h={h}"))),
            None => Err(tera::Error::msg(format!(
                "asset(path=\"{path}\"): bestand niet gevonden in static/ van thema of site"
            ))),
        }
    });
    let base = base_path.to_string();
    tera.register_function("url", move |args: &HashMap<String, Value>| {
        let path = args
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| tera::Error::msg("url() heeft path=\"…\" nodig"))?;
        Ok(Value::String(format!(
            "{base}{}",
            path.trim_start_matches('/')
        )))
    });
}

/// Filters a theme gets besides Tera's own (built without its optional
/// ones): `datum` writes a `YYYY-MM-DD` date out in the site's language.
fn register_filters(tera: &mut Tera, translations: &Value) {
    let months: Vec<Option<String>> = (1..=12)
        .map(|m| {
            translations
                .get(format!("maand_{m:02}"))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    tera.register_filter(
        "datum",
        move |v: &Value, _: &HashMap<String, Value>| match v.as_str() {
            Some(s) => Ok(Value::String(crate::render::written_date(s, &months))),
            None => Ok(v.clone()),
        },
    );
}

/// Writes the built-in theme into `<root>/themes/<name>/` and returns the
/// files written (relative to `root`). Refuses a folder that exists and is
/// not empty, so nothing an editor changed is overwritten.
pub(crate) fn eject(root: &Path, name: &str) -> Result<Vec<PathBuf>, Diagnostic> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(Diagnostic::error(
            Code::ThemeInvalidName,
            "themes",
            format!("'{name}' is geen geldige themanaam"),
        )
        .hint("kies een naam van letters, cijfers en streepjes, bijvoorbeeld 'huisstijl'"));
    }
    let dir = theme_dir(root, name);
    let shown = dir.strip_prefix(root).unwrap_or(&dir).to_path_buf();
    if std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(Diagnostic::error(
            Code::WriteRefused,
            &shown,
            "de map bestaat al en is niet leeg",
        )
        .hint("kies een andere naam, of verwijder of hernoem de map eerst"));
    }
    let mut written = Vec::new();
    for part in THEME_PARTS {
        for (rel, bytes) in embedded_files(&DEFAULT, part) {
            let path = dir.join(part).join(&rel);
            let shown = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            let io = |e: std::io::Error| {
                Diagnostic::error(
                    Code::WriteFailed,
                    &shown,
                    format!("kan niet schrijven: {e}"),
                )
                .hint("controleer of de map schrijfbaar is")
            };
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            std::fs::write(&path, bytes).map_err(io)?;
            written.push(shown);
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_default_theme_is_embedded_whole() {
        // Every template, static file and translation on disk is in the binary.
        let on_disk = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default");
        for part in THEME_PARTS {
            let mut disk: Vec<String> = walkdir::WalkDir::new(on_disk.join(part))
                .into_iter()
                .flatten()
                .filter(|e| e.file_type().is_file())
                .map(|e| {
                    e.path()
                        .strip_prefix(on_disk.join(part))
                        .unwrap()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            disk.sort();
            let embedded: Vec<String> = embedded_files(&DEFAULT, part)
                .into_iter()
                .map(|(rel, _)| rel)
                .collect();
            assert!(!disk.is_empty(), "{part}");
            assert_eq!(embedded, disk, "{part}");
        }
    }

    #[test]
    fn a_theme_folder_on_disk_wins_and_only_default_is_built_in() {
        let tmp = tempfile::tempdir().unwrap();
        let default = theme_dir(tmp.path(), DEFAULT_NAME);
        assert!(matches!(Source::of(&default), Some(Source::Embedded(_))));
        assert!(Source::of(&theme_dir(tmp.path(), "huisstijl")).is_none());
        std::fs::create_dir_all(default.join("templates")).unwrap();
        assert!(matches!(Source::of(&default), Some(Source::Disk(_))));
    }

    #[test]
    fn eject_writes_the_theme_and_refuses_to_overwrite() {
        let tmp = tempfile::tempdir().unwrap();
        let written = eject(tmp.path(), "huisstijl").unwrap();
        let expected: usize = THEME_PARTS
            .iter()
            .map(|p| embedded_files(&DEFAULT, p).len())
            .sum();
        assert_eq!(written.len(), expected);
        let base = tmp.path().join("themes/huisstijl/templates/base.html");
        assert_eq!(
            std::fs::read(&base).unwrap(),
            DEFAULT.get_file("templates/base.html").unwrap().contents()
        );
        let err = eject(tmp.path(), "huisstijl").unwrap_err();
        assert!(err.message.contains("niet leeg"), "{err}");
        assert!(eject(tmp.path(), "../buiten").is_err());
    }

    #[test]
    fn the_embedded_theme_loads_with_site_templates_overriding_it() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("templates")).unwrap();
        std::fs::write(tmp.path().join("templates/404.html"), "eigen 404").unwrap();
        let assets = embedded_static(&theme_dir(tmp.path(), DEFAULT_NAME));
        assert!(assets.iter().any(|a| a.dest == "css/site.css"));
        let theme = load_theme(tmp.path(), DEFAULT_NAME, "nl", "/", &assets).unwrap();
        assert_eq!(
            theme.sources["404.html"].0,
            PathBuf::from("templates/404.html")
        );
        assert!(theme.sources["page.html"].0.starts_with(EMBEDDED_LABEL));
        assert_eq!(theme.translations["maand_01"], json!("januari"));
    }

    #[test]
    fn the_datum_filter_uses_the_theme_month_names() {
        let mut tera = Tera::default();
        let t = json!({"maand_03": "maart"});
        register_filters(&mut tera, &t);
        let out = tera
            .render_str(
                "{{ d | datum }}|{{ n | datum }}",
                &tera::Context::from_value(json!({"d": "2020-03-04", "n": 5})).unwrap(),
            )
            .unwrap();
        assert_eq!(out, "4 maart 2020|5");
    }

    /// Converting serde_yaml values to JSON turned a map with a number
    /// key into null, silently: the translation vanished.
    #[test]
    fn translations_keep_number_keys_and_report_keys_that_are_no_text() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("themes/t");
        std::fs::create_dir_all(dir.join("i18n")).unwrap();
        let write = |text: &str| std::fs::write(dir.join("i18n/nl.yaml"), text).unwrap();
        write("zoeken: Zoeken\nmaanden:\n  1: januari\n");
        let v = load_translations(tmp.path(), &Source::Disk(dir.clone()), "nl").unwrap();
        assert_eq!(v["maanden"]["1"], "januari");
        write("zoeken: Zoeken\n? [a, b]\n: x\n");
        let d = load_translations(tmp.path(), &Source::Disk(dir.clone()), "nl").unwrap_err();
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].file(), Some(Path::new("themes/t/i18n/nl.yaml")));
        assert_eq!(d[0].code, Code::YamlSyntax);
        assert!(d[0].line().is_some(), "{}", d[0]);
    }

    #[test]
    fn include_cycles_are_found() {
        let mut s = HashMap::new();
        s.insert(
            "a.html".to_string(),
            (
                PathBuf::from("a.html"),
                "{% include \"b.html\" %}".to_string(),
            ),
        );
        s.insert(
            "b.html".to_string(),
            (
                PathBuf::from("b.html"),
                "{% include 'a.html' %}".to_string(),
            ),
        );
        s.insert(
            "c.html".to_string(),
            (
                PathBuf::from("c.html"),
                "{% extends \"a.html\" %}".to_string(),
            ),
        );
        let d = check_include_cycles(&s);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].message.contains("oneindige lus"));
    }

    #[test]
    fn templates_named_in_comments_are_not_references() {
        let text = "{# gebruik: {% include \"a.html\" %} #}{% include 'b.html' %}{#- {% extends \"c.html\" %}";
        assert_eq!(referenced_templates(text), vec!["b.html".to_string()]);
    }
}
