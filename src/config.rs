//! Site configuration: `kennisbank.yaml` at the site root.
//!
//! Unknown keys are errors naming the closest valid key, because a typo in a
//! config key otherwise silently does nothing.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{closest, Code, Diagnostic};

pub const CONFIG_FILE: &str = "kennisbank.yaml";

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_base_url")]
    pub base_url: String,
    #[serde(default = "default_language")]
    pub language: String,
    #[serde(default = "default_theme")]
    pub theme: String,
    #[serde(default)]
    pub taxonomies: Vec<TaxonomyConfig>,
    #[serde(default)]
    pub relations: BTreeMap<String, RelationConfig>,
    #[serde(default)]
    pub menu: Vec<MenuItem>,
    #[serde(default)]
    pub search: SearchConfig,
    #[serde(default)]
    pub markdown: MarkdownConfig,
    /// Write an Atom feed of the newest pages.
    #[serde(default = "yes")]
    pub feed: bool,
    #[serde(default)]
    pub extra: serde_yaml::Mapping,
    /// There is no `kennisbank.yaml`: these are the defaults, and the home
    /// page's title (when it has one) becomes the site's.
    #[serde(skip)]
    pub implicit: bool,
    /// Content-Security-Policy and security.txt (`safety`).
    #[serde(default)]
    pub security: crate::safety::SecurityConfig,
    /// Problems found in a config that still loads (refused URLs,
    /// security.txt values): the build reports them with the content's.
    #[serde(skip)]
    pub problems: Vec<Diagnostic>,
    /// The accessibility statement, rendered at `/toegankelijkheid/`.
    #[serde(default)]
    pub toegankelijkheid: Option<crate::governance::Statement>,
    /// Writing hints (B1) for editors: which page is the glossary.
    #[serde(default)]
    pub schrijven: crate::b1::WritingConfig,
    /// Content files (relative to content/) in reading order: a page or
    /// section without `weight:` sorts by its place here (an imported
    /// MkDocs `nav`).
    #[serde(default)]
    pub order: Vec<String>,
    /// Fields every page may have, as in a section's `schema:` (under the
    /// root section's own).
    #[serde(default)]
    pub schema: crate::frontmatter::Schema,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TaxonomyConfig {
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
}

impl TaxonomyConfig {
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RelationConfig {
    /// Section (path under content/) whose pages the relation points at.
    pub section: String,
    #[serde(default)]
    pub title: Option<String>,
    /// Heading shown on the target page for the incoming direction.
    #[serde(default)]
    pub inverse_title: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MenuItem {
    pub title: String,
    /// `@/path.md` for content, or a path/URL.
    pub url: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SearchConfig {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Front-matter fields offered as search filters (`soort` is the page kind).
    #[serde(default)]
    pub filters: Vec<String>,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            enabled: true,
            filters: vec!["soort".into()],
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MarkdownConfig {
    /// Raw HTML in Markdown: `false` (escaped), `sanitized` or `true`.
    #[serde(default)]
    pub raw_html: crate::safety::RawHtml,
    /// File (relative to the site root) of `*[AFK]: uitleg` definitions
    /// that apply to every page, like MkDocs' snippets `auto_append`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abbreviations: Option<String>,
}

fn default_base_url() -> String {
    "/".into()
}
fn default_language() -> String {
    "nl".into()
}
fn default_theme() -> String {
    "default".into()
}
fn yes() -> bool {
    true
}

impl Config {
    /// Parses config text; `file` is only used in diagnostics.
    pub fn parse(text: &str, file: &Path) -> Result<Config, Diagnostic> {
        let mut config: Config = serde_yaml::from_str(text).map_err(|e| yaml_error(&e, file))?;
        config.base_url = normalise_base_url(&config.base_url);
        config.validate(text, file)?;
        config.problems = config.url_problems(text, file);
        Ok(config)
    }

    pub fn load(root: &Path) -> Result<Config, Diagnostic> {
        let path = root.join(CONFIG_FILE);
        if !path.exists() && root.is_dir() {
            return Ok(Config::implicit(root));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Diagnostic::error(
                Code::ConfigUnreadable,
                CONFIG_FILE,
                format!("kan de configuratie niet lezen: {e}"),
            )
            .hint(format!("maak {CONFIG_FILE} aan in {}", root.display()))
        })?;
        Config::parse(&text, Path::new(CONFIG_FILE))
    }

    /// The configuration of a folder without `kennisbank.yaml`: every
    /// default, titled after the folder.
    pub fn implicit(root: &Path) -> Config {
        let name = crate::output::absolute(root)
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
            .unwrap_or_else(|| "Kennisbank".into());
        let mut map = serde_yaml::Mapping::new();
        map.insert("title".into(), name.into());
        let mut config: Config = serde_yaml::from_value(serde_yaml::Value::Mapping(map))
            .expect("the defaults with a title are a valid configuration");
        config.implicit = true;
        config
    }

    fn validate(&self, text: &str, file: &Path) -> Result<(), Diagnostic> {
        let mut seen = std::collections::HashSet::new();
        for t in &self.taxonomies {
            if !seen.insert(t.name.as_str()) || crate::frontmatter::is_builtin(&t.name) {
                return Err(Diagnostic::error(
                    Code::ConfigNameClash,
                    file,
                    format!("taxonomy '{}' is dubbel of botst met een vast veld", t.name),
                )
                .at_line(crate::frontmatter::key_line(text, &t.name))
                .hint("geef elke taxonomie een eigen naam"));
            }
        }
        for name in self.relations.keys() {
            if !seen.insert(name.as_str()) || crate::frontmatter::is_builtin(name) {
                return Err(Diagnostic::error(
                    Code::ConfigNameClash,
                    file,
                    format!("relation '{name}' botst met een taxonomie of een vast veld"),
                )
                .at_line(crate::frontmatter::key_line(text, name)));
            }
        }
        Ok(())
    }

    /// Refused menu URLs and base URL, and the `security:` values.
    fn url_problems(&self, text: &str, file: &Path) -> Vec<Diagnostic> {
        use crate::safety::{check_url, refusal_diagnostic, UrlUse};
        let locate = |path: &[&str], i: usize| locate_key(text, path, i);
        let at = |d: Diagnostic, path: &[&str], i: usize| match locate(path, i) {
            Some((l, c)) => d.at(l, c),
            None => d,
        };
        let mut diags = Vec::new();
        if let Err(r) = check_url(&self.base_url, UrlUse::Link) {
            diags.push(at(
                refusal_diagnostic(file, "base_url", &self.base_url, &r),
                &["base_url"],
                0,
            ));
        }
        for (i, m) in self.menu.iter().enumerate() {
            if let Err(r) = check_url(&m.url, UrlUse::Link) {
                diags.push(at(
                    refusal_diagnostic(file, "menu-URL", &m.url, &r),
                    &["menu", "url"],
                    i,
                ));
            }
        }
        diags.extend(crate::safety::check_security(
            &self.security,
            &self.base_path(),
            file,
            &locate,
            chrono::Utc::now(),
        ));
        diags
    }

    /// `/kennisbank/` for `https://example.org/kennisbank/`, `/` for a root site.
    pub fn base_path(&self) -> String {
        base_path_of(&self.base_url)
    }

    /// The weight `order` gives the file `rel` (1-based), if it lists it.
    pub fn order_weight(&self, rel: &str) -> Option<i64> {
        self.order
            .iter()
            .position(|o| o.trim_start_matches("./") == rel)
            .map(|i| i as i64 + 1)
    }

    pub fn is_taxonomy(&self, key: &str) -> bool {
        self.taxonomies.iter().any(|t| t.name == key)
    }
}

/// Ensures a trailing slash so joining paths never needs a special case.
pub fn normalise_base_url(url: &str) -> String {
    let url = url.trim();
    if url.is_empty() {
        return "/".into();
    }
    if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    }
}

pub fn base_path_of(base_url: &str) -> String {
    let rest = match base_url.find("://") {
        Some(i) => {
            let after = &base_url[i + 3..];
            match after.find('/') {
                Some(j) => &after[j..],
                None => "/",
            }
        }
        None => base_url,
    };
    let rest = if rest.starts_with('/') {
        rest.to_string()
    } else {
        format!("/{rest}")
    };
    normalise_base_url(&rest)
}

/// Line and column (1-based) of the value of a nested key in block-style
/// YAML, found by scanning because serde_yaml values carry no positions:
/// `["security", "contact"]`, or `["menu", "url"]` with `index` the list
/// item (also the item of a list under the last key). Flow style falls
/// back to the nearest enclosing key the scan finds.
pub fn locate_key(text: &str, path: &[&str], index: usize) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let blank = |l: &str| l.trim().is_empty() || l.trim_start().starts_with('#');
    // The key's column, when line `l` sets `key` (possibly as a list item).
    let key_col = |l: &str, key: &str| {
        let t = l.trim_start();
        let t2 = t.strip_prefix("- ").map(str::trim_start).unwrap_or(t);
        let rest = t2.strip_prefix(key)?;
        rest.trim_start()
            .starts_with(':')
            .then(|| l.len() - t2.len())
    };
    // Lines below `i` that belong to its block.
    let block_end = |i: usize| {
        let own = indent(lines[i]);
        (i + 1..lines.len())
            .find(|&j| {
                !blank(lines[j])
                    && (indent(lines[j]) < own
                        || (indent(lines[j]) == own && !lines[j].trim_start().starts_with("- ")))
            })
            .unwrap_or(lines.len())
    };
    let (mut from, mut to) = (0, lines.len());
    let mut at = None;
    for (depth, key) in path.iter().enumerate() {
        let hits: Vec<(usize, usize)> = (from..to)
            .filter_map(|i| key_col(lines[i], key).map(|c| (i, c)))
            .filter(|&(i, _)| depth > 0 || indent(lines[i]) == 0)
            .collect();
        let last = depth + 1 == path.len();
        let hit = if last {
            hits.get(index).or(hits.first())
        } else {
            hits.first()
        };
        let &(i, c) = hit?;
        at = Some((i, c));
        from = i + 1;
        to = block_end(i);
    }
    let (i, c) = at?;
    let line = lines[i];
    let colon = c + line[c..].find(':')? + 1;
    let value = &line[colon..];
    if value.trim().is_empty() {
        // A list below the key: its item `index`.
        if let Some(j) = (i + 1..to)
            .filter(|&j| lines[j].trim_start().starts_with("- "))
            .nth(index)
        {
            return Some((j + 1, indent(lines[j]) + 3));
        }
    }
    Some((i + 1, colon + (value.len() - value.trim_start().len()) + 1))
}

/// Turns a serde_yaml error into a located diagnostic, with a "did you mean"
/// for unknown keys.
pub fn yaml_error(e: &serde_yaml::Error, file: &Path) -> Diagnostic {
    let msg = e.to_string();
    let mut d = Diagnostic::error(Code::YamlSyntax, file, clean_yaml_message(&msg));
    if let Some(loc) = e.location() {
        d = d.at(loc.line(), loc.column());
    }
    if let Some((unknown, expected)) = parse_unknown_field(&msg) {
        let hint = match closest(&unknown, expected.iter().map(String::as_str)) {
            Some(best) => format!(
                "bedoelt u '{best}'? Geldige sleutels: {}",
                expected.join(", ")
            ),
            None => format!("geldige sleutels: {}", expected.join(", ")),
        };
        d.code = Code::YamlUnknownKey;
        d.message = format!("onbekende sleutel '{unknown}'");
        d = d.hint(hint);
    }
    d
}

/// serde_yaml appends " at line N column M"; we report that separately.
fn clean_yaml_message(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Extracts `x` and the list from "unknown field `x`, expected one of `a`, `b`".
fn parse_unknown_field(msg: &str) -> Option<(String, Vec<String>)> {
    let rest = msg.strip_prefix("unknown field `").or_else(|| {
        msg.find(": unknown field `")
            .map(|i| &msg[i + ": unknown field `".len()..])
    })?;
    let end = rest.find('`')?;
    let unknown = rest[..end].to_string();
    let expected = rest[end..]
        .split('`')
        .skip(2)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((unknown, expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_the_closest_valid_one() {
        let err = Config::parse("title: x\ntitel: y\n", Path::new("kennisbank.yaml")).unwrap_err();
        assert_eq!(err.message, "onbekende sleutel 'titel'");
        assert_eq!(err.line(), Some(2));
        let hint = err.hint.unwrap();
        assert!(hint.contains("bedoelt u 'title'"), "{hint}");
    }

    #[test]
    fn base_path_from_full_url_and_path() {
        assert_eq!(
            base_path_of("https://example.org/kennisbank/"),
            "/kennisbank/"
        );
        assert_eq!(base_path_of("https://example.org"), "/");
        assert_eq!(base_path_of("/"), "/");
        assert_eq!(base_path_of("/docs"), "/docs/");
    }

    #[test]
    fn a_folder_without_config_gets_the_defaults_and_its_name() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("Mijn notities");
        std::fs::create_dir(&dir).unwrap();
        let c = Config::load(&dir).unwrap();
        assert!(c.implicit);
        assert_eq!(c.title, "Mijn notities");
        assert_eq!((c.language.as_str(), c.theme.as_str()), ("nl", "default"));
        std::fs::write(dir.join(CONFIG_FILE), "title: Echt\n").unwrap();
        let c = Config::load(&dir).unwrap();
        assert!(!c.implicit);
        assert_eq!(c.title, "Echt");
    }

    #[test]
    fn locate_key_finds_nested_keys_and_list_items() {
        let text = "title: x\nmenu:\n  - title: A\n    url: /a/\n  - title: B\n    url: \"javascript:x\"\nsecurity:\n  csp: true\n  contact:\n    - mailto:a@b.nl\n    - b@c.nl\n  expires: 2020-01-01\nextra:\n  url: y\n";
        assert_eq!(locate_key(text, &["menu", "url"], 1), Some((6, 10)));
        assert_eq!(locate_key(text, &["menu", "url"], 0), Some((4, 10)));
        assert_eq!(locate_key(text, &["security", "contact"], 1), Some((11, 7)));
        assert_eq!(
            locate_key(text, &["security", "expires"], 0),
            Some((12, 12))
        );
        assert_eq!(locate_key(text, &["security", "policy"], 0), None);
        assert_eq!(locate_key(text, &["title"], 0), Some((1, 8)));
    }

    #[test]
    fn refused_menu_urls_are_problems_at_their_line() {
        let c = Config::parse(
            "title: x\nmenu:\n  - title: Goed\n    url: /a/\n  - title: Kwaad\n    url: \" JaVa&#x09;ScRiPt:alert(1)\"\n",
            Path::new("kennisbank.yaml"),
        )
        .unwrap();
        assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
        assert_eq!(
            (c.problems[0].line(), c.problems[0].column()),
            (Some(6), Some(10))
        );
        assert!(
            c.problems[0].message.starts_with("menu-URL"),
            "{}",
            c.problems[0]
        );
        assert!(c.problems[0].is_error());
    }

    #[test]
    fn defaults_are_dutch() {
        let c = Config::parse("title: x\n", Path::new("k.yaml")).unwrap();
        assert_eq!(c.language, "nl");
        assert_eq!(c.base_url, "/");
        assert!(c.search.enabled);
    }
}
