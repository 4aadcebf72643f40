//! Site configuration: `kennisbank.yaml` at the site root.
//!
//! Unknown keys are errors naming the closest valid key, because a typo in a
//! config key otherwise silently does nothing.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Code, Diagnostic};
use crate::yaml;

pub(crate) const CONFIG_FILE: &str = "kennisbank.yaml";

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
    pub extra: crate::yaml::Mapping,
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
    pub(crate) fn title(&self) -> &str {
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
    /// Line of `section:` in the config, for the link stage's messages.
    #[serde(skip)]
    pub line: Option<usize>,
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
    pub(crate) fn parse(text: &str, file: &Path) -> Result<Config, Diagnostic> {
        let mut config: Config = yaml::parse(text, file)?;
        config.base_url = normalise_base_url(&config.base_url);
        config.validate(text, file)?;
        config.problems = config.url_problems(text, file);
        for (name, rel) in &mut config.relations {
            rel.line = yaml::locate_key(text, &["relations", name, "section"], 0).map(|(l, _)| l);
        }
        Ok(config)
    }

    pub(crate) fn load(root: &Path) -> Result<Config, Diagnostic> {
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
    pub(crate) fn implicit(root: &Path) -> Config {
        let name = crate::output::absolute(root)
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
            .unwrap_or_else(|| "Kennisbank".into());
        let mut map = yaml::Mapping::new();
        map.insert("title".into(), name.into());
        let mut config: Config = yaml::from_value(yaml::Value::Mapping(map))
            .expect("the defaults with a title are a valid configuration");
        config.implicit = true;
        config
    }

    fn validate(&self, text: &str, file: &Path) -> Result<(), Diagnostic> {
        let mut seen = std::collections::HashSet::new();
        // Block-style YAML is scanned for the line (values carry none).
        let line = |path: &[&str], i: usize| yaml::locate_key(text, path, i).map(|(l, _)| l);
        for (i, t) in self.taxonomies.iter().enumerate() {
            if !seen.insert(t.name.as_str()) || crate::frontmatter::is_builtin(&t.name) {
                return Err(Diagnostic::error(
                    Code::ConfigNameClash,
                    file,
                    format!("taxonomy '{}' is dubbel of botst met een vast veld", t.name),
                )
                .at_line(line(&["taxonomies", "name"], i))
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
                .at_line(line(&["relations", name], 0)));
            }
        }
        Ok(())
    }

    /// Refused menu URLs and base URL, and the `security:` values.
    fn url_problems(&self, text: &str, file: &Path) -> Vec<Diagnostic> {
        use crate::safety::{check_url, refusal_diagnostic, UrlUse};
        let locate = |path: &[&str], i: usize| yaml::locate_key(text, path, i);
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
    pub(crate) fn order_weight(&self, rel: &str) -> Option<i64> {
        self.order
            .iter()
            .position(|o| o.trim_start_matches("./") == rel)
            .map(|i| i as i64 + 1)
    }

    pub(crate) fn is_taxonomy(&self, key: &str) -> bool {
        self.taxonomies.iter().any(|t| t.name == key)
    }
}

/// Ensures a trailing slash so joining paths never needs a special case.
pub(crate) fn normalise_base_url(url: &str) -> String {
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

pub(crate) fn base_path_of(base_url: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// key_line looked for `name:` at the top level only and returned a
    /// 0-based index: clashes had no line, or the line above.
    #[test]
    fn name_clashes_are_reported_at_their_own_line() {
        let text = "title: x\ntaxonomies:\n  - name: thema\n  - name: title\nrelations:\n  thema:\n    section: pilots\n";
        let taxonomy = |t: &str| Config::parse(t, Path::new("kennisbank.yaml")).unwrap_err();
        let e = taxonomy(text);
        assert_eq!(e.code, Code::ConfigNameClash);
        assert_eq!(
            (e.line(), e.message.as_str()),
            (
                Some(4),
                "taxonomy 'title' is dubbel of botst met een vast veld"
            )
        );
        let e = taxonomy(&text.replace("name: title", "name: status"));
        assert_eq!(
            (e.line(), e.message.as_str()),
            (
                Some(6),
                "relation 'thema' botst met een taxonomie of een vast veld"
            )
        );
    }

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
