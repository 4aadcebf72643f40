//! `kennisbank import mkdocs`: turns an MkDocs project into a Kennisbank
//! site, so editors keep the Markdown they wrote. The pages are copied
//! unchanged; what `mkdocs.yml` says about them becomes `kennisbank.yaml`
//! (title, language, menu and page order from `nav`, a schema for the
//! front-matter fields the pages use, the snippets' abbreviations file).
//! What has no counterpart (plugins, hooks, theme overrides) is listed
//! with what to do instead, never silently dropped.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use crate::yaml::{self, Mapping, Value};

use crate::error::{Code, Diagnostic};
use crate::frontmatter::{self, FieldType, MKDOCS_OWN_FIELDS};

/// What to import from where.
#[derive(Debug, Clone)]
pub(crate) struct ImportOptions {
    /// The project's `mkdocs.yml`.
    pub config: PathBuf,
    /// New site folder (must be empty or absent).
    pub out: PathBuf,
    /// A theme folder to copy into `out/themes/` (e.g. Kennisbank's
    /// `themes/default`).
    pub theme: Option<PathBuf>,
}

/// Something the import could not carry over, and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Advice {
    pub what: String,
    pub todo: String,
}

#[derive(Debug, Default)]
pub(crate) struct ImportReport {
    pub pages: usize,
    pub assets: usize,
    /// Front-matter fields declared in the schema.
    pub fields: usize,
    pub taxonomies: Vec<String>,
    /// What the Markdown extensions mean here, carried over.
    pub carried: Vec<String>,
    pub advice: Vec<Advice>,
}

/// Fields on fewer distinct values than this (and repeated) get a list of
/// values and a taxonomy.
const SMALL_SET: usize = 12;

pub(crate) fn import(opts: &ImportOptions) -> Result<ImportReport, Diagnostic> {
    let file = &opts.config;
    let text = std::fs::read_to_string(file).map_err(|e| {
        Diagnostic::error(Code::ImportInvalid, file, format!("kan mkdocs.yml niet lezen: {e}"))
            .hint("geef het pad naar mkdocs.yml, bv. kennisbank import mkdocs ../site/mkdocs.yml --out nieuw")
    })?;
    let mk: Value = yaml::parse(&text, file)?;
    let mk = resolve_tags(mk);
    let Value::Mapping(mk) = mk else {
        return Err(Diagnostic::error(
            Code::ImportInvalid,
            file,
            "mkdocs.yml is geen lijst van instellingen",
        )
        .at_line(Some(1))
        .hint("een mkdocs.yml begint met bv. site_name: Mijn site"));
    };
    let project = file.parent().unwrap_or(Path::new("."));
    let docs_dir = project.join(str_of(&mk, "docs_dir").unwrap_or("docs"));
    if !docs_dir.is_dir() {
        return Err(Diagnostic::error(
            Code::ImportInvalid,
            file,
            format!("map {} niet gevonden", docs_dir.display()),
        )
        .at_line(yaml::key_line(&text, "docs_dir"))
        .hint("zet docs_dir: op de map met de Markdown-pagina's"));
    }
    check_out(&opts.out)?;

    let mut report = ImportReport::default();
    let ext = Extensions::of(mk.get("markdown_extensions"));
    // Snippet files appended to every page are configuration, not pages.
    let appended = ext.auto_append(project);
    let appended_set: HashSet<PathBuf> = appended
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();

    // The docs: Markdown and assets, copied unchanged.
    let mut pages: Vec<DocFile> = Vec::new();
    let content = opts.out.join("content");
    for entry in walkdir::WalkDir::new(&docs_dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
    {
        let path = entry.path();
        let Ok(rel) = path.strip_prefix(&docs_dir) else {
            continue;
        };
        let rel_s = rel.to_string_lossy().replace('\\', "/");
        if path.canonicalize().is_ok_and(|c| appended_set.contains(&c)) {
            continue;
        }
        let dest = content.join(rel);
        copy_file(path, &dest)?;
        if rel_s.ends_with(".md") {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            pages.push(DocFile::read(rel_s, text));
        } else if !crate::content::is_ignored_name(&file_name(&rel_s)) {
            report.assets += 1;
        }
    }
    report.pages = pages.len();

    // kennisbank.yaml
    let mut config = Mapping::new();
    let title = str_of(&mk, "site_name").unwrap_or("Kennisbank").to_string();
    config.insert("title".into(), title.into());
    if let Some(d) = str_of(&mk, "site_description") {
        config.insert("description".into(), d.into());
    }
    if let Some(url) = str_of(&mk, "site_url") {
        config.insert("base_url".into(), url.into());
    }
    let theme = mk.get("theme");
    let language = theme
        .and_then(|t| t.get("language"))
        .and_then(Value::as_str)
        .unwrap_or("nl");
    config.insert("language".into(), language.into());
    if language != "nl" && language != "en" {
        report.advice.push(Advice {
            what: format!("theme.language: {language}"),
            todo: format!(
                "voeg themes/default/i18n/{language}.yaml toe (kopie van nl.yaml, vertaald) of zet language: nl"
            ),
        });
    }
    config.insert("theme".into(), "default".into());

    let schema = infer_schema(&pages);
    report.fields = schema.len();
    let folders: HashSet<String> = pages
        .iter()
        .filter_map(|p| {
            p.rel
                .split_once('/')
                .map(|(f, _)| crate::markdown::slugify(f))
        })
        .collect();
    let mut taxonomies = Vec::new();
    for (name, f) in &schema {
        if f.taxonomy && !folders.contains(&crate::markdown::slugify(name)) {
            let mut t = Mapping::new();
            t.insert("name".into(), name.as_str().into());
            t.insert("title".into(), label_of(name).into());
            taxonomies.push(Value::Mapping(t));
            report.taxonomies.push(name.clone());
        }
    }
    if !taxonomies.is_empty() {
        config.insert("taxonomies".into(), Value::Sequence(taxonomies));
    }

    let nav = Nav::build(mk.get("nav"), &pages, &mut report.advice);
    if !nav.menu.is_empty() {
        config.insert("menu".into(), Value::Sequence(nav.menu.clone()));
    }
    if !nav.order.is_empty() {
        config.insert(
            "order".into(),
            Value::Sequence(nav.order.iter().map(|r| r.as_str().into()).collect()),
        );
    }

    // Markdown: Python-Markdown passes raw HTML through, so pages written
    // for it may use it.
    let mut markdown = Mapping::new();
    markdown.insert("raw_html".into(), true.into());
    report.carried.push(
        "ruwe HTML in pagina's wordt doorgegeven, zoals Python-Markdown doet (markdown.raw_html: true)"
            .into(),
    );
    let abbreviations = write_appended(&appended, &opts.out, &mut report)?;
    if let Some(rel) = abbreviations {
        markdown.insert("abbreviations".into(), rel.into());
    }
    config.insert("markdown".into(), Value::Mapping(markdown));
    ext.explain(&mut report);

    let mut root_schema = Mapping::new();
    for (name, f) in &schema {
        root_schema.insert(name.as_str().into(), f.to_yaml());
    }
    if !root_schema.is_empty() {
        config.insert("schema".into(), Value::Mapping(root_schema));
    }
    let yaml = yaml::to_string(&Value::Mapping(config)).map_err(|e| {
        Diagnostic::error(
            Code::WriteFailed,
            &opts.out,
            format!("kan kennisbank.yaml niet maken: {e}"),
        )
    })?;
    let header = format!(
        "# Geïmporteerd uit {} door `kennisbank import mkdocs`.\n# De Markdown in content/ is ongewijzigd overgenomen.\n",
        file.display()
    );
    write(
        &opts.out.join(crate::config::CONFIG_FILE),
        &(header + &yaml),
    )?;

    templates_for(&pages, &opts.out, &mut report)?;
    page_settings(&pages, &mut report);
    snippets_in_pages(&pages, &mut report);
    not_carried(&mk, &text, &mut report);
    // Without --theme the site uses the default theme built into the binary.
    if let Some(theme) = &opts.theme {
        copy_tree(theme, &opts.out.join("themes/default"))?;
    }
    Ok(report)
}

/// `!ENV [NAME, default]` becomes the variable's value (or the default),
/// as MkDocs reads it; `!!python/name:…` and other tags keep their value.
fn resolve_tags(v: Value) -> Value {
    match v {
        Value::Tagged(t) => {
            let tag = t.tag.to_string();
            if tag == "!ENV" {
                let names: Vec<Value> = match t.value {
                    Value::Sequence(s) => s,
                    other => vec![other],
                };
                let (default, vars) = match names.split_last() {
                    Some((last, rest)) if names.len() > 1 => (Some(last.clone()), rest.to_vec()),
                    _ => (None, names.clone()),
                };
                vars.iter()
                    .filter_map(Value::as_str)
                    .find_map(|n| std::env::var(n).ok())
                    .map(Value::String)
                    .or(default)
                    .unwrap_or(Value::Null)
            } else if tag.starts_with("!!python/name:") || tag.starts_with("!python/name:") {
                // A Python object by name (an emoji index, a formatter):
                // only the name says anything here.
                Value::String(tag.trim_start_matches('!').to_string())
            } else {
                resolve_tags(t.value)
            }
        }
        Value::Sequence(s) => Value::Sequence(s.into_iter().map(resolve_tags).collect()),
        Value::Mapping(m) => {
            Value::Mapping(m.into_iter().map(|(k, v)| (k, resolve_tags(v))).collect())
        }
        other => other,
    }
}

fn str_of<'a>(m: &'a Mapping, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}

fn file_name(rel: &str) -> String {
    rel.rsplit('/').next().unwrap_or(rel).to_string()
}

fn check_out(out: &Path) -> Result<(), Diagnostic> {
    if out.exists() {
        let empty = std::fs::read_dir(out)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty {
            return Err(Diagnostic::error(
                Code::WriteRefused,
                out,
                "de doelmap bestaat al en is niet leeg",
            )
            .hint("kies met --out een nieuwe of lege map; de import overschrijft niets"));
        }
    }
    Ok(())
}

/// Creates the folder `path` goes in.
fn make_parent(path: &Path) -> Result<(), Diagnostic> {
    let Some(dir) = path.parent() else {
        return Ok(());
    };
    std::fs::create_dir_all(dir).map_err(|e| {
        Diagnostic::error(
            Code::WriteFailed,
            dir,
            format!("kan de map niet maken: {e}"),
        )
    })
}

fn write(path: &Path, text: &str) -> Result<(), Diagnostic> {
    make_parent(path)?;
    std::fs::write(path, text)
        .map_err(|e| Diagnostic::error(Code::WriteFailed, path, format!("kan niet schrijven: {e}")))
}

fn copy_file(from: &Path, to: &Path) -> Result<(), Diagnostic> {
    make_parent(to)?;
    std::fs::copy(from, to).map(|_| ()).map_err(|e| {
        Diagnostic::error(
            Code::WriteFailed,
            from,
            format!("kan niet kopiëren naar {}: {e}", to.display()),
        )
    })
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), Diagnostic> {
    if !from.join("templates").is_dir() {
        return Err(Diagnostic::error(
            Code::ImportInvalid,
            from,
            "geen thema: templates/ ontbreekt",
        )
        .hint("geef met --theme de map van een thema, bv. themes/default"));
    }
    for e in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(Result::ok)
    {
        if e.file_type().is_file() {
            if let Ok(rel) = e.path().strip_prefix(from) {
                copy_file(e.path(), &to.join(rel))?;
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Pages and their fields

/// One Markdown file of the docs, its front matter read.
struct DocFile {
    rel: String,
    text: String,
    front: Mapping,
    /// From the front matter or the first `# heading`.
    title: Option<String>,
}

impl DocFile {
    fn read(rel: String, text: String) -> DocFile {
        let display = PathBuf::from(&rel);
        let (front, body) = match frontmatter::split(&text, &display) {
            Ok(s) => (
                s.front
                    .and_then(|f| frontmatter::parse_yaml(f, &display).ok())
                    .map(|r| r.map)
                    .unwrap_or_default(),
                s.body.to_string(),
            ),
            // Problems in the front matter are the build's to report, with lines.
            Err(_) => (Mapping::new(), String::new()),
        };
        let title = front
            .get("title")
            .and_then(Value::as_str)
            .map(str::to_string)
            // The Markdown parser's own first heading, not a line scan
            // (a `# comment` in a code block is no title).
            .or_else(|| crate::markdown::first_h1(&body));
        DocFile {
            rel,
            text,
            front,
            title,
        }
    }

    fn title(&self) -> String {
        self.title.clone().unwrap_or_else(|| {
            let stem = file_name(&self.rel).trim_end_matches(".md").to_string();
            label_of(&stem)
        })
    }
}

/// "vastgesteld_door" → "Vastgesteld door".
fn label_of(name: &str) -> String {
    let spaced = name.replace(['_', '-'], " ");
    let mut c = spaced.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => spaced,
    }
}

/// What the import declares for one field.
#[derive(Debug, Default)]
struct Field {
    kind: FieldType,
    taxonomy: bool,
    values: Option<Vec<String>>,
    show: bool,
}

impl Field {
    fn to_yaml(&self) -> Value {
        let mut m = Mapping::new();
        let kind = match self.kind {
            FieldType::Any => None,
            FieldType::String => Some("string"),
            FieldType::List => Some("list"),
            FieldType::Number => Some("number"),
            FieldType::Bool => Some("bool"),
            FieldType::Date => Some("date"),
            FieldType::Url => Some("url"),
        };
        if let Some(k) = kind {
            m.insert("type".into(), k.into());
        }
        if let Some(v) = &self.values {
            m.insert(
                "values".into(),
                Value::Sequence(v.iter().map(|s| s.as_str().into()).collect()),
            );
        }
        if !self.show {
            m.insert("show".into(), false.into());
        }
        Value::Mapping(m)
    }
}

/// Every front-matter field the pages use (besides Kennisbank's own), its
/// type from the values seen and, for a small repeated set, the values.
fn infer_schema(pages: &[DocFile]) -> BTreeMap<String, Field> {
    #[derive(Default)]
    struct Seen {
        kinds: BTreeSet<&'static str>,
        values: BTreeSet<String>,
        uses: usize,
        scalar_text: bool,
    }
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    for p in pages {
        for (k, v) in &p.front {
            let Some(k) = k.as_str() else { continue };
            if frontmatter::is_builtin(k) {
                continue;
            }
            let s = seen.entry(k.to_string()).or_default();
            s.uses += 1;
            let kind = match v {
                Value::Null => continue,
                Value::Bool(_) => "bool",
                Value::Number(_) => "number",
                Value::String(t) if frontmatter::parse_date(t).is_some() => "date",
                Value::String(_) => "string",
                Value::Sequence(items) if items.iter().all(is_scalar) => "list",
                _ => "other",
            };
            s.kinds.insert(kind);
            if matches!(kind, "string" | "list") {
                s.scalar_text = true;
                s.values
                    .extend(frontmatter::value_as_list(Some(v)).unwrap_or_default());
            }
        }
    }
    seen.into_iter()
        .map(|(name, s)| {
            let kinds: Vec<&str> = s.kinds.iter().copied().collect();
            let kind = match kinds.as_slice() {
                ["bool"] => FieldType::Bool,
                ["number"] => FieldType::Number,
                ["date"] => FieldType::Date,
                ["string"] => FieldType::String,
                ["list"] | ["list", "string"] => FieldType::List,
                _ => FieldType::Any,
            };
            let own = MKDOCS_OWN_FIELDS.contains(&name.as_str());
            let small = s.scalar_text
                && matches!(kind, FieldType::String | FieldType::List)
                && !own
                && s.values.len() <= SMALL_SET
                && s.uses >= 2 * s.values.len().max(1)
                && s.uses >= 3;
            let field = Field {
                kind,
                // MkDocs-Material's tags plugin makes `tags` a taxonomy
                // whatever its size; then new tags stay allowed.
                taxonomy: small || (name == "tags" && s.scalar_text),
                values: small.then(|| s.values.into_iter().collect()),
                show: !own,
            };
            (name, field)
        })
        .collect()
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

// ---------------------------------------------------------------------------
// nav

/// The menu (top-level entries) and the reading order of `nav`.
struct Nav {
    menu: Vec<Value>,
    order: Vec<String>,
}

impl Nav {
    fn build(nav: Option<&Value>, pages: &[DocFile], advice: &mut Vec<Advice>) -> Nav {
        let mut n = Nav {
            menu: Vec::new(),
            order: Vec::new(),
        };
        let Some(Value::Sequence(items)) = nav else {
            return n;
        };
        // Explicit entries first: `...` takes what the nav does not name.
        let mut named = HashSet::new();
        collect_named(items, &mut named);
        let mut listed = HashSet::new();
        let mut order = Vec::new();
        walk_nav(items, "", pages, &named, &mut listed, &mut order, advice);
        for item in items {
            if let Some(entry) = menu_entry(item, pages) {
                n.menu.push(entry);
            }
        }
        let known: HashSet<&str> = pages.iter().map(|p| p.rel.as_str()).collect();
        for rel in order {
            if known.contains(rel.as_str()) {
                n.order.push(rel);
            } else if !rel.contains("://") {
                advice.push(Advice {
                    what: format!("nav noemt {rel}, dat niet in docs/ staat"),
                    todo: "haal de regel uit de nav of zet de pagina terug".into(),
                });
            }
        }
        n
    }
}

/// A nav entry: its title (if written) and its value.
fn entry_of(item: &Value) -> Option<(Option<&str>, &Value)> {
    match item {
        Value::String(_) => Some((None, item)),
        Value::Mapping(m) if m.len() == 1 => {
            let (k, v) = m.iter().next()?;
            Some((k.as_str(), v))
        }
        _ => None,
    }
}

fn collect_named(items: &[Value], named: &mut HashSet<String>) {
    for item in items {
        match entry_of(item) {
            Some((_, Value::String(s))) if !s.trim_start().starts_with("...") => {
                named.insert(s.trim_start_matches("./").to_string());
            }
            Some((_, Value::Sequence(children))) => collect_named(children, named),
            _ => {}
        }
    }
}

fn parent_of(rel: &str) -> &str {
    rel.rfind('/').map(|i| &rel[..i]).unwrap_or("")
}

/// The folder a list of nav entries is about: the common folder of the
/// pages it names (MkDocs lets a nav group pages from anywhere).
fn folder_of(items: &[Value], outer: &str) -> String {
    let mut dirs = Vec::new();
    for item in items {
        if let Some((_, Value::String(s))) = entry_of(item) {
            if !s.starts_with("...") && !s.contains("://") {
                dirs.push(parent_of(s.trim_start_matches("./")).to_string());
            }
        }
    }
    let Some(first) = dirs.first().cloned() else {
        return outer.to_string();
    };
    let mut common = first;
    for d in &dirs[1..] {
        while !(d == &common || d.starts_with(&format!("{common}/")) || common.is_empty()) {
            common = parent_of(&common).to_string();
        }
    }
    common
}

#[allow(clippy::too_many_arguments)]
fn walk_nav(
    items: &[Value],
    outer: &str,
    pages: &[DocFile],
    named: &HashSet<String>,
    listed: &mut HashSet<String>,
    order: &mut Vec<String>,
    advice: &mut Vec<Advice>,
) {
    let folder = folder_of(items, outer);
    for item in items {
        match entry_of(item) {
            Some((_, Value::String(s))) if s.trim_start().starts_with("...") => {
                // awesome-pages: `...`, `... | glob`, `... | glob=…`, `... | regex=…`.
                let filter = s.trim_start().trim_start_matches("...").trim();
                let filter = filter.strip_prefix('|').map(str::trim).unwrap_or("");
                let matcher = rest_matcher(filter, advice);
                let under = if folder.is_empty() {
                    String::new()
                } else {
                    format!("{folder}/")
                };
                for p in pages {
                    let rel = p.rel.as_str();
                    if rel.starts_with(&under)
                        && !named.contains(rel)
                        && !listed.contains(rel)
                        && matcher(&rel[under.len()..])
                    {
                        listed.insert(rel.to_string());
                        order.push(rel.to_string());
                    }
                }
            }
            Some((_, Value::String(s))) => {
                let rel = s.trim_start_matches("./").to_string();
                if listed.insert(rel.clone()) {
                    order.push(rel);
                }
            }
            Some((_, Value::Sequence(children))) => {
                walk_nav(children, &folder, pages, named, listed, order, advice);
            }
            _ => {}
        }
    }
}

/// The file filter after `... |`: a glob (`*.md`, `glob=reg*`) or a regex,
/// which is not carried over (all remaining pages are taken).
fn rest_matcher(filter: &str, advice: &mut Vec<Advice>) -> Box<dyn Fn(&str) -> bool> {
    if filter.is_empty() || filter == "flat" {
        return Box::new(|_| true);
    }
    if let Some(re) = filter.strip_prefix("regex=") {
        advice.push(Advice {
            what: format!("nav: '... | regex={re}'"),
            todo: "schrijf het als glob ('... | glob=patroon*') of zet de pagina's met naam in de nav; nu komen alle overige pagina's op die plek".into(),
        });
        return Box::new(|_| true);
    }
    let pattern = filter.strip_prefix("glob=").unwrap_or(filter);
    match globset::GlobBuilder::new(pattern)
        .literal_separator(false)
        .build()
    {
        Ok(g) => {
            let m = g.compile_matcher();
            Box::new(move |rel: &str| m.is_match(rel) || m.is_match(file_name(rel)))
        }
        Err(e) => {
            advice.push(Advice {
                what: format!("nav: '... | {filter}' ({e})"),
                todo: "verbeter het patroon; nu komen alle overige pagina's op die plek".into(),
            });
            Box::new(|_| true)
        }
    }
}

/// A top-level nav entry as a menu item; the home page is the site name.
fn menu_entry(item: &Value, pages: &[DocFile]) -> Option<Value> {
    let (title, value) = entry_of(item)?;
    let (title, url) = match value {
        Value::String(s) if s.starts_with("...") => return None,
        Value::String(s) if s.contains("://") => (title?.to_string(), s.clone()),
        Value::String(s) => {
            let rel = s.trim_start_matches("./");
            if rel == "index.md" || rel == "README.md" {
                return None;
            }
            let title = title
                .map(str::to_string)
                .or_else(|| pages.iter().find(|p| p.rel == rel).map(DocFile::title))
                .unwrap_or_else(|| label_of(rel.trim_end_matches(".md")));
            (title, format!("@/{rel}"))
        }
        Value::Sequence(children) => {
            let folder = folder_of(children, "");
            let index = if folder.is_empty() {
                None
            } else {
                Some(format!("{folder}/index.md"))
            };
            let target = index
                .filter(|i| pages.iter().any(|p| &p.rel == i))
                .or_else(|| first_page(children));
            (title?.to_string(), format!("@/{}", target?))
        }
        _ => return None,
    };
    let mut m = Mapping::new();
    m.insert("title".into(), title.into());
    m.insert("url".into(), url.into());
    Some(Value::Mapping(m))
}

fn first_page(items: &[Value]) -> Option<String> {
    items.iter().find_map(|i| match entry_of(i)? {
        (_, Value::String(s)) if !s.starts_with("...") && !s.contains("://") => {
            Some(s.trim_start_matches("./").to_string())
        }
        (_, Value::Sequence(c)) => first_page(c),
        _ => None,
    })
}

// ---------------------------------------------------------------------------
// Markdown extensions

/// `markdown_extensions:` by name, each with its options.
struct Extensions {
    list: Vec<(String, Value)>,
}

impl Extensions {
    fn of(v: Option<&Value>) -> Extensions {
        let mut list = Vec::new();
        match v {
            Some(Value::Sequence(items)) => {
                for item in items {
                    match item {
                        Value::String(name) => list.push((name.clone(), Value::Null)),
                        Value::Mapping(m) => {
                            for (k, v) in m {
                                if let Some(k) = k.as_str() {
                                    list.push((k.to_string(), v.clone()));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            Some(Value::Mapping(m)) => {
                for (k, v) in m {
                    if let Some(k) = k.as_str() {
                        list.push((k.to_string(), v.clone()));
                    }
                }
            }
            _ => {}
        }
        Extensions { list }
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.list.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The snippets extension's `auto_append` files, resolved as it does:
    /// against each `base_path` in turn (default `.`, the folder MkDocs
    /// runs in, i.e. that of mkdocs.yml); the first that exists.
    fn auto_append(&self, project: &Path) -> Vec<PathBuf> {
        let Some(opts) = self.get("pymdownx.snippets") else {
            return Vec::new();
        };
        let bases: Vec<PathBuf> = match opts.get("base_path") {
            Some(Value::String(s)) => vec![project.join(s)],
            Some(Value::Sequence(s)) => s
                .iter()
                .filter_map(Value::as_str)
                .map(|b| project.join(b))
                .collect(),
            _ => vec![project.to_path_buf()],
        };
        let files: Vec<&str> = match opts.get("auto_append") {
            Some(Value::Sequence(s)) => s.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(s)) => vec![s.as_str()],
            _ => Vec::new(),
        };
        files
            .iter()
            .filter_map(|f| bases.iter().map(|b| b.join(f)).find(|p| p.is_file()))
            .collect()
    }

    /// What each extension means for the pages here.
    fn explain(&self, report: &mut ImportReport) {
        for (name, opts) in &self.list {
            let short = name
                .trim_start_matches("pymdownx.")
                .trim_start_matches("markdown.extensions.");
            let carried = match short {
                "admonition" => {
                    Some("!!! blokken (admonition) worden opmerkingen, waarschuwingen enz.")
                }
                "details" => Some("??? en ???+ blokken (details) worden inklapbare <details>"),
                "abbr" => Some("afkortingen *[AFK]: … worden <abbr>"),
                "attr_list" => Some("attributen { .klasse } op koppen en links blijven klassen"),
                "footnotes" => Some("voetnoten [^1] werken zoals in MkDocs"),
                "tables" => Some("tabellen werken zoals in MkDocs"),
                "md_in_html" => Some("Markdown in HTML-blokken: ruwe HTML wordt doorgegeven"),
                "superfences" | "fenced_code" | "highlight" | "inlinehilite" => {
                    Some("codeblokken met ``` krijgen syntaxiskleuring")
                }
                "tasklist" => Some("takenlijsten - [x] werken zoals in MkDocs"),
                "meta" => Some("front matter tussen --- wordt gelezen"),
                "snippets" => None,
                "toc" => {
                    if let Some(depth) = opts.get("toc_depth") {
                        report.advice.push(Advice {
                            what: format!("toc_depth: {}", yaml_text(depth)),
                            todo: "de inhoudsopgave toont alle koppen vanaf h2; beperk de diepte in een eigen templates/page.html (macro toc)".into(),
                        });
                    }
                    if opts.get("permalink").is_some() {
                        report
                            .carried
                            .push("koppen krijgen ankers (toc permalink)".into());
                    }
                    continue;
                }
                "emoji" => {
                    report.advice.push(Advice {
                        what: format!("{name} (:emoji: codes)"),
                        todo: "codes als :smile: blijven tekst; zet het teken zelf in de tekst of haal de code weg".into(),
                    });
                    continue;
                }
                "tabbed" => {
                    report.advice.push(Advice {
                        what: format!("{name} (=== \"Tab\" blokken)"),
                        todo: "tabbladen blijven tekst met een ingesprongen blok; schrijf ze als koppen of als ??? inklapbare blokken".into(),
                    });
                    continue;
                }
                _ => {
                    report.advice.push(Advice {
                        what: format!("Markdown-extensie {name}"),
                        todo: "niet overgenomen; controleer de pagina's die deze syntaxis gebruiken na een build".into(),
                    });
                    continue;
                }
            };
            if let Some(c) = carried.filter(|c| !report.carried.iter().any(|x| x == c)) {
                report.carried.push(c.to_string());
            }
        }
    }
}

fn yaml_text(v: &Value) -> String {
    yaml::to_string(v)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Copies the snippet files appended to every page into `includes/`;
/// one that holds abbreviations becomes `markdown.abbreviations`.
fn write_appended(
    files: &[PathBuf],
    out: &Path,
    report: &mut ImportReport,
) -> Result<Option<String>, Diagnostic> {
    let mut abbreviations = None;
    for f in files {
        let text = std::fs::read_to_string(f).map_err(|e| {
            Diagnostic::error(Code::ContentUnreadable, f, format!("kan niet lezen: {e}"))
        })?;
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "snippet.md".into());
        let rel = format!("includes/{name}");
        write(&out.join(&rel), &text)?;
        let only_abbr = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("<!--"))
            .all(|l| l.starts_with("*["));
        if only_abbr && abbreviations.is_none() {
            report.carried.push(format!(
                "afkortingen uit {} (snippets auto_append) gelden op elke pagina: markdown.abbreviations: {rel}",
                f.display()
            ));
            abbreviations = Some(rel);
        } else {
            report.advice.push(Advice {
                what: format!("snippets auto_append {} (meer dan afkortingen)", f.display()),
                todo: format!("gekopieerd naar {rel}; zet wat onder elke pagina moet in een eigen templates/page.html"),
            });
        }
    }
    Ok(abbreviations)
}

/// Pages with an MkDocs `template:` get a template of that name that looks
/// like a normal page, so the build finds it; the original is a Jinja file.
fn templates_for(
    pages: &[DocFile],
    out: &Path,
    report: &mut ImportReport,
) -> Result<(), Diagnostic> {
    let names: BTreeSet<&str> = pages
        .iter()
        .filter_map(|p| p.front.get("template").and_then(Value::as_str))
        .collect();
    for name in names {
        let path = out.join("templates").join(name);
        write(
            &path,
            "{# Geïmporteerd: het MkDocs-sjabloon van deze naam is Jinja; dit toont de pagina gewoon. #}\n{% extends \"page.html\" %}\n",
        )?;
        report.advice.push(Advice {
            what: format!("template: {name} (MkDocs-sjabloon)"),
            todo: format!("templates/{name} toont de pagina nu als elke pagina; herschrijf het in Tera als het meer moet doen"),
        });
    }
    Ok(())
}

/// MkDocs-Material's per-page layout settings: kept (declared with
/// `show: false`), but they do not change the page here.
fn page_settings(pages: &[DocFile], report: &mut ImportReport) {
    let using = |key: &str, what: &dyn Fn(&Value) -> bool| -> Vec<&str> {
        pages
            .iter()
            .filter(|p| p.front.get(key).is_some_and(what))
            .map(|p| p.rel.as_str())
            .collect()
    };
    let excluded = using("search", &|v| v.get("exclude") == Some(&Value::Bool(true)));
    if !excluded.is_empty() {
        report.advice.push(Advice {
            what: format!("search: exclude: true op {} pagina('s), bv. content/{}", excluded.len(), excluded[0]),
            todo: "Kennisbank indexeert elke pagina; zet data-pagefind-ignore in een eigen sjabloon of markeer de kop met { data-search-exclude }".into(),
        });
    }
    let hidden = using("hide", &|_| true);
    if !hidden.is_empty() {
        report.advice.push(Advice {
            what: format!("hide: op {} pagina('s), bv. content/{}", hidden.len(), hidden[0]),
            todo: "het veld blijft staan maar verbergt niets; de inhoudsopgave verschijnt pas vanaf drie koppen".into(),
        });
    }
}

/// `--8<--` includes in pages: each named with file and line.
fn snippets_in_pages(pages: &[DocFile], report: &mut ImportReport) {
    for p in pages {
        for (i, line) in p.text.lines().enumerate() {
            let t = line.trim_start();
            if t.starts_with("--8<--") || t.starts_with(";--8<--") {
                report.advice.push(Advice {
                    what: format!("content/{}:{}: snippet {}", p.rel, i + 1, t),
                    todo: "vervang het door {{ include(path=\"…\") }}; nu blijft de regel als tekst staan".into(),
                });
            }
        }
    }
}

/// Plugins, hooks, scripts from elsewhere and theme overrides.
fn not_carried(mk: &Mapping, text: &str, report: &mut ImportReport) {
    let plugins: Vec<(String, Value)> = match mk.get("plugins") {
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some((s.clone(), Value::Null)),
                Value::Mapping(m) => m
                    .iter()
                    .next()
                    .and_then(|(k, v)| Some((k.as_str()?.to_string(), v.clone()))),
                _ => None,
            })
            .collect(),
        Some(Value::Mapping(m)) => m
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.clone())))
            .collect(),
        _ => Vec::new(),
    };
    for (name, _) in plugins {
        let short = name.rsplit('/').next().unwrap_or(&name);
        let todo = match short {
            "search" => {
                report
                    .carried
                    .push("zoeken: Kennisbank maakt zelf een zoekindex (Pagefind)".into());
                continue;
            }
            "awesome-pages" => {
                report
                    .carried
                    .push("paginavolgorde uit de nav, met ... (awesome-pages), staat in order:".into());
                continue;
            }
            "tags" => "tags zijn een taxonomie geworden als ze in de front matter staan; een tagpagina per term komt vanzelf",
            "git-revision-date-localized" | "git-revision-date" => {
                "zet 'updated: JJJJ-MM-DD' in de front matter; Kennisbank leest geen git-geschiedenis"
            }
            "redirects" => "zet de oude adressen als 'aliases:' in de front matter van de nieuwe pagina",
            "macros" => "gebruik shortcodes ({{ naam(arg=\"…\") }} uit templates/shortcodes/)",
            "minify" => "niet nodig: Kennisbank schrijft compacte HTML",
            "i18n" | "static-i18n" => "maak per taal een eigen site; de interface volgt language:",
            "blog" => "maak een sectie (map met index.md) met sort_by: date",
            "privacy" | "offline" => "niet nodig: Kennisbank doet geen verzoeken aan derden en werkt vanaf elke statische host",
            _ => "niet overgenomen; kijk of een shortcode, sjabloon of front-matterveld hetzelfde doet",
        };
        report.advice.push(Advice {
            what: format!("plugin {name}"),
            todo: todo.into(),
        });
    }
    if let Some(hooks) = mk.get("hooks") {
        let line = yaml::key_line(text, "hooks");
        report.advice.push(Advice {
            what: format!(
                "hooks ({}){}",
                yaml_text(hooks).replace('\n', " "),
                line.map(|l| format!(", mkdocs.yml:{l}"))
                    .unwrap_or_default()
            ),
            todo:
                "Python-hooks draaien niet; doe het werk vooraf in een script of met een shortcode"
                    .into(),
        });
    }
    for key in ["extra_javascript", "extra_css"] {
        let Some(Value::Sequence(items)) = mk.get(key) else {
            continue;
        };
        for item in items {
            let src = item
                .as_str()
                .map(str::to_string)
                .or_else(|| item.get("path").and_then(Value::as_str).map(str::to_string));
            let Some(src) = src else { continue };
            let todo = if src.starts_with("http://")
                || src.starts_with("https://")
                || src.starts_with("//")
            {
                "Kennisbank laadt niets van andere sites; download het bestand naar static/ en voeg het toe in templates/base.html (block head), of laat het weg"
            } else {
                "het bestand is meegekopieerd; voeg het toe in een eigen templates/base.html (block head)"
            };
            report.advice.push(Advice {
                what: format!("{key}: {src}"),
                todo: todo.into(),
            });
        }
    }
    if let Some(dir) = mk
        .get("theme")
        .and_then(|t| t.get("custom_dir"))
        .and_then(Value::as_str)
    {
        report.advice.push(Advice {
            what: format!("theme.custom_dir: {dir} (Jinja-overrides)"),
            todo: "herschrijf de overrides als Tera-sjablonen in templates/ (met de namen van het ingebouwde thema; `kennisbank theme eject` schrijft het uit)".into(),
        });
    }
    if let Some(name) = mk
        .get("theme")
        .and_then(|t| t.get("name").or(Some(t)))
        .and_then(Value::as_str)
    {
        if name != "material" && name != "mkdocs" && name != "readthedocs" {
            report.advice.push(Advice {
                what: format!("thema {name}"),
                todo: "de site gebruikt het standaardthema van Kennisbank".into(),
            });
        }
    }
    for key in ["repo_url", "edit_uri", "copyright", "extra"] {
        if mk.contains_key(key) {
            report.advice.push(Advice {
                what: key.to_string(),
                todo: "niet overgenomen; zet wat u wilt tonen onder extra: in kennisbank.yaml en gebruik het in een eigen sjabloon (site.extra)".into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_tags_take_the_variable_or_the_default_and_python_names_are_read() {
        let yaml = "a: !ENV [KB_IMPORT_TEST_UNSET, 'standaard']\nb: !ENV KB_IMPORT_TEST_UNSET\nc: !!python/name:material.extensions.emoji.twemoji\n";
        let v = resolve_tags(yaml::from_str(yaml).unwrap());
        assert_eq!(v["a"], Value::String("standaard".into()));
        assert_eq!(v["b"], Value::Null);
        // serde_yaml reads a `!!` tag it does not know as an empty scalar:
        // the file is readable, the Python object means nothing here.
        assert!(v["c"].is_string() || v["c"].is_null(), "{:?}", v["c"]);
    }

    #[test]
    fn rest_entries_filter_by_glob_and_report_regexes() {
        let mut advice = Vec::new();
        let m = rest_matcher("glob=reg*", &mut advice);
        assert!(m("regels.md") && !m("beleid.md"));
        let all = rest_matcher("regex=^a", &mut advice);
        assert!(all("beleid.md"));
        assert_eq!(advice.len(), 1, "{advice:?}");
    }
}
