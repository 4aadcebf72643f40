//! Diagnostics: every problem a build finds, with a stable code, where it
//! is (file, line, column, when it is in a file) and a hint on what to do.
//! A build collects all of them and fails listing them all.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing once, nothing to fix now.
    Note,
    Warning,
    Error,
}

/// Declares [`Code`]: one variant per kind of problem, with the stable
/// text editors, CI and tests match on (the Dutch message may be reworded,
/// the code is not).
macro_rules! codes {
    ($($variant:ident = $text:literal,)*) => {
        /// What kind of problem a diagnostic is: `area::what`, kebab-case.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in the order declared (the docs list them all).
            #[cfg(test)]
            const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub(crate) fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }
        }
    };
}

codes! {
    // kennisbank.yaml and other YAML files
    ConfigUnreadable = "config::unreadable",
    YamlSyntax = "yaml::syntax",
    YamlUnknownKey = "yaml::unknown-key",
    ConfigNameClash = "config::name-clash",
    ConfigRelationSection = "config::relation-section",
    // loading content/
    ContentMissing = "content::missing",
    ContentUnreadable = "content::unreadable",
    ContentNotUtf8 = "content::not-utf8",
    ContentSymlink = "content::symlink",
    AbbreviationsUnreadable = "content::abbreviations-unreadable",
    // front matter and schemas
    FrontmatterUnclosed = "frontmatter::unclosed",
    FrontmatterNotMapping = "frontmatter::not-a-mapping",
    FrontmatterKeyNotText = "frontmatter::key-not-text",
    FrontmatterWrongType = "frontmatter::wrong-type",
    FrontmatterUnknownField = "frontmatter::unknown-field",
    SchemaInvalid = "schema::invalid",
    SchemaRequiredMissing = "schema::required-missing",
    SchemaRequiredEmpty = "schema::required-empty",
    SchemaWrongType = "schema::wrong-type",
    SchemaValueNotAllowed = "schema::value-not-allowed",
    SchemaOpenField = "schema::open-field",
    // the section tree and page placement
    TreeTwoIndexPages = "tree::two-index-pages",
    TreeUnknownSortBy = "tree::unknown-sort-by",
    TreeTitleMissing = "tree::title-missing",
    // Markdown bodies and links
    MarkdownSecondH1 = "markdown::second-h1",
    LinkBroken = "link::broken",
    LinkAnchorMissing = "link::anchor-missing",
    LinkUrlInUse = "link::url-in-use",
    RelationNotAList = "relation::not-a-list",
    RelationDraft = "relation::draft",
    RelationUnknownPage = "relation::unknown-page",
    // shortcodes
    ShortcodeDuplicate = "shortcode::duplicate",
    ShortcodeBuiltinTemplate = "shortcode::builtin-template",
    ShortcodeTemplateUnreadable = "shortcode::template-unreadable",
    ShortcodeTemplateBroken = "shortcode::template-broken",
    ShortcodeCall = "shortcode::call",
    // safety: URLs and raw HTML
    UrlRefused = "safety::url-refused",
    AliasNotAPath = "safety::alias-not-a-path",
    HtmlElementRemoved = "safety::html-element-removed",
    HtmlAttributeRemoved = "safety::html-attribute-removed",
    SecurityConfig = "security::config",
    // accessibility lint and statement
    A11yHeadingSkip = "a11y::heading-skip",
    A11yTableWithoutHeader = "a11y::table-without-header",
    A11yImageWithoutAlt = "a11y::image-without-alt",
    A11yAltIsFileName = "a11y::alt-is-file-name",
    A11yLinkWithoutText = "a11y::link-without-text",
    A11yBareUrlText = "a11y::bare-url-text",
    A11yVagueLinkText = "a11y::vague-link-text",
    A11yDownloadUnlabelled = "a11y::download-unlabelled",
    A11yLanguageUnmarked = "a11y::language-unmarked",
    A11yColourOnly = "a11y::colour-only",
    A11yStatement = "a11y::statement",
    // theme and templates
    ThemeMissing = "theme::missing",
    ThemeInvalidName = "theme::invalid-name",
    TemplateUnreadable = "template::unreadable",
    TemplateCycle = "template::cycle",
    TemplateSyntax = "template::syntax",
    TemplateUnknownVariable = "template::unknown-variable",
    TemplateRender = "template::render",
    TemplateMissing = "template::missing",
    // search index, output and the commands that write files
    SearchIndex = "search::index",
    OutputRefused = "output::refused",
    OutputWrite = "output::write",
    NewInvalidTitle = "new::invalid-title",
    NewUnknownSection = "new::unknown-section",
    WriteRefused = "write::refused",
    WriteFailed = "write::failed",
    ImportInvalid = "import::invalid",
    ServeInternal = "serve::internal",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Where a problem is: a file (relative to the site root when possible)
/// and, when known, a 1-based line and column counted from the top of the
/// file (front matter included).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Location {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl fmt::Display for Location {
    /// `file:line:column`, as far as known.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        Ok(())
    }
}

/// One problem. `location` is `None` for a problem that belongs to no file
/// (the search indexer failed, an internal error in serve).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub location: Option<Location>,
    pub message: String,
    /// What the editor can do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A problem that belongs to no file.
    pub(crate) fn new(severity: Severity, code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            location: None,
            message: message.into(),
            hint: None,
        }
    }

    /// An error in `file` (line and column added with [`Self::at`]).
    pub(crate) fn error(code: Code, file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, code, message).in_file(file)
    }

    pub(crate) fn warning(
        code: Code,
        file: impl Into<PathBuf>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic::new(Severity::Warning, code, message).in_file(file)
    }

    pub(crate) fn note(code: Code, file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Note, code, message).in_file(file)
    }

    /// Places the problem in `file`, line and column unknown.
    pub(crate) fn in_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.location = Some(Location {
            file: file.into(),
            line: None,
            column: None,
        });
        self
    }

    /// Sets the line (the column is then unknown). A problem in no file
    /// has no line: a bug at the call site, so it is kept unlocated.
    pub(crate) fn at_line(mut self, line: Option<usize>) -> Self {
        debug_assert!(self.location.is_some(), "a line without a file");
        if let Some(l) = &mut self.location {
            l.line = line;
            l.column = None;
        }
        self
    }

    pub(crate) fn at(mut self, line: usize, column: usize) -> Self {
        debug_assert!(self.location.is_some(), "a line without a file");
        if let Some(l) = &mut self.location {
            l.line = Some(line);
            l.column = Some(column);
        }
        self
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub(crate) fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn file(&self) -> Option<&Path> {
        self.location.as_ref().map(|l| l.file.as_path())
    }

    pub fn line(&self) -> Option<usize> {
        self.location.as_ref().and_then(|l| l.line)
    }

    pub(crate) fn column(&self) -> Option<usize> {
        self.location.as_ref().and_then(|l| l.column)
    }

    /// Moves the line by `lines` (a parser that counted from a later line).
    pub(crate) fn shift_lines(mut self, lines: usize) -> Self {
        if let Some(line) = self.location.as_mut().and_then(|l| l.line.as_mut()) {
            *line += lines;
        }
        self
    }

    /// The key problems are sorted by: file, then line (unlocated first).
    pub(crate) fn sort_key(&self) -> (Option<&Path>, Option<usize>) {
        (self.file(), self.line())
    }

    /// Makes the file relative to `root` so messages stay short.
    pub(crate) fn relative_to(&mut self, root: &Path) {
        if let Some(l) = &mut self.location {
            if let Ok(rel) = l.file.strip_prefix(root) {
                l.file = rel.to_path_buf();
            }
        }
    }
}

impl fmt::Display for Diagnostic {
    /// `file:line:column: fout: message [code]`, then the hint.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "fout",
            Severity::Warning => "waarschuwing",
            Severity::Note => "opmerking",
        };
        if let Some(l) = &self.location {
            write!(f, "{l}: ")?;
        }
        write!(f, "{kind}: {} [{}]", self.message, self.code)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {hint}")?;
        }
        Ok(())
    }
}

/// How diagnostics are printed: for people (on stderr), or one JSON object
/// per line on stdout for editors and CI (`--message-format json`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageFormat {
    #[default]
    Human,
    Json,
}

/// The JSON form of a diagnostic; fields in this order, always present
/// (`null` when unknown), so a line-based problem matcher can read it.
/// `code` came last, after the fields such matchers already read.
#[derive(serde::Serialize)]
struct JsonDiagnostic<'a> {
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    severity: Severity,
    message: &'a str,
    hint: Option<&'a str>,
    code: Code,
}

impl Diagnostic {
    /// One line of JSON (`file` `/`-separated, relative to the site root).
    pub(crate) fn to_json(&self) -> String {
        let j = JsonDiagnostic {
            file: self.file().map(|f| f.to_string_lossy().replace('\\', "/")),
            line: self.line(),
            column: self.column(),
            severity: self.severity,
            message: &self.message,
            hint: self.hint.as_deref(),
            code: self.code,
        };
        serde_json::to_string(&j).expect("strings and numbers serialise")
    }
}

impl MessageFormat {
    pub(crate) fn emit(self, d: &Diagnostic) {
        match self {
            MessageFormat::Human => eprintln!("{d}"),
            MessageFormat::Json => println!("{}", d.to_json()),
        }
    }

    /// A summary or status line: stdout for people, stderr when stdout
    /// carries JSON.
    pub(crate) fn say(self, line: &str) {
        match self {
            MessageFormat::Human => println!("{line}"),
            MessageFormat::Json => eprintln!("{line}"),
        }
    }
}

/// A failed build: every error found (warnings ride along).
#[derive(Debug, Clone)]
pub struct BuildFailure {
    pub diagnostics: Vec<Diagnostic>,
}

impl BuildFailure {
    pub(crate) fn single(d: Diagnostic) -> Self {
        BuildFailure {
            diagnostics: vec![d],
        }
    }

    pub(crate) fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

// Display is written out below; no derive crate is needed for one type.
impl std::error::Error for BuildFailure {}

impl From<Diagnostic> for BuildFailure {
    fn from(d: Diagnostic) -> Self {
        BuildFailure::single(d)
    }
}

impl fmt::Display for BuildFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors().count();
        for d in &self.diagnostics {
            writeln!(f, "{d}")?;
        }
        write!(
            f,
            "build mislukt: {n} {}",
            if n == 1 { "fout" } else { "fouten" }
        )
    }
}

/// 1-based line of a byte offset in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Closest candidate to `word` (for "did you mean …?" hints), if any is close.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_file_line_code_and_hint() {
        let d = Diagnostic::error(Code::LinkBroken, "content/a.md", "kapot")
            .at(3, 7)
            .hint("repareer het");
        assert_eq!(
            d.to_string(),
            "content/a.md:3:7: fout: kapot [link::broken]\n  = hint: repareer het"
        );
        let nowhere = Diagnostic::new(Severity::Error, Code::SearchIndex, "indexeren mislukt");
        assert_eq!(
            nowhere.to_string(),
            "fout: indexeren mislukt [search::index]"
        );
    }

    #[test]
    fn json_has_every_field_in_order() {
        let d = Diagnostic::error(Code::LinkBroken, "content/a.md", "link \"x\" kapot")
            .at(3, 7)
            .hint("repareer het");
        assert_eq!(
            d.to_json(),
            r#"{"file":"content/a.md","line":3,"column":7,"severity":"error","message":"link \"x\" kapot","hint":"repareer het","code":"link::broken"}"#
        );
        let w = Diagnostic::warning(Code::A11yStatement, "kennisbank.yaml", "let op");
        assert_eq!(
            w.to_json(),
            r#"{"file":"kennisbank.yaml","line":null,"column":null,"severity":"warning","message":"let op","hint":null,"code":"a11y::statement"}"#
        );
        let nowhere = Diagnostic::new(Severity::Error, Code::ServeInternal, "kapot");
        assert_eq!(
            nowhere.to_json(),
            r#"{"file":null,"line":null,"column":null,"severity":"error","message":"kapot","hint":null,"code":"serve::internal"}"#
        );
    }

    #[test]
    fn codes_are_unique_kebab_case_and_documented() {
        let docs = include_str!("../docs/editors.md");
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            let (area, what) = s.split_once("::").unwrap_or_else(|| panic!("{s}: no area"));
            for part in [area, what] {
                assert!(
                    !part.is_empty()
                        && part.split('-').all(|w| !w.is_empty()
                            && w.bytes()
                                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
                    "{s} is not area::kebab-case"
                );
            }
            assert!(
                docs.contains(&format!("`{s}`")),
                "docs/editors.md does not list {s}"
            );
        }
    }

    #[test]
    fn line_of_counts_newlines_before_offset() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 4), 3);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }

    #[test]
    fn closest_suggests_near_misses_only() {
        let keys = ["title", "description", "base_url"];
        assert_eq!(closest("titel", keys), Some("title"));
        assert_eq!(closest("baseurl", keys), Some("base_url"));
        assert_eq!(closest("zzz", keys), None);
    }
}
