//! Diagnostics: every problem a build finds, with the file, line and a hint
//! on what to do. A build collects all of them and fails listing them all.

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

/// One problem, located in a file (relative to the site root when possible).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: PathBuf,
    /// 1-based line in the whole file (front matter included).
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    /// What the editor can do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.into(),
            line: None,
            column: None,
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, message)
        }
    }

    pub fn note(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Note,
            ..Diagnostic::error(file, message)
        }
    }

    pub fn at_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The `file:line:column` prefix.
    pub fn location(&self) -> String {
        let mut s = self.file.display().to_string();
        if let Some(line) = self.line {
            s.push_str(&format!(":{line}"));
            if let Some(col) = self.column {
                s.push_str(&format!(":{col}"));
            }
        }
        s
    }

    /// Makes `file` relative to `root` so messages stay short.
    pub fn relative_to(mut self, root: &Path) -> Self {
        if let Ok(rel) = self.file.strip_prefix(root) {
            self.file = rel.to_path_buf();
        }
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "fout",
            Severity::Warning => "waarschuwing",
            Severity::Note => "opmerking",
        };
        write!(f, "{}: {kind}: {}", self.location(), self.message)?;
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
#[derive(serde::Serialize)]
struct JsonDiagnostic<'a> {
    file: String,
    line: Option<usize>,
    column: Option<usize>,
    severity: Severity,
    message: &'a str,
    hint: Option<&'a str>,
}

impl Diagnostic {
    /// One line of JSON (`file` `/`-separated, relative to the site root).
    pub fn to_json(&self) -> String {
        let j = JsonDiagnostic {
            file: self.file.to_string_lossy().replace('\\', "/"),
            line: self.line,
            column: self.column,
            severity: self.severity,
            message: &self.message,
            hint: self.hint.as_deref(),
        };
        serde_json::to_string(&j).unwrap_or_default()
    }
}

impl MessageFormat {
    pub fn emit(self, d: &Diagnostic) {
        match self {
            MessageFormat::Human => eprintln!("{d}"),
            MessageFormat::Json => println!("{}", d.to_json()),
        }
    }

    /// A summary or status line: stdout for people, stderr when stdout
    /// carries JSON.
    pub fn say(self, line: &str) {
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
    pub fn single(d: Diagnostic) -> Self {
        BuildFailure {
            diagnostics: vec![d],
        }
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
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
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Closest candidate to `word` (for "did you mean …?" hints), if any is close.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
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
    fn display_has_file_line_and_hint() {
        let d = Diagnostic::error("content/a.md", "kapot")
            .at(3, 7)
            .hint("repareer het");
        assert_eq!(
            d.to_string(),
            "content/a.md:3:7: fout: kapot\n  = hint: repareer het"
        );
    }

    #[test]
    fn json_has_every_field_in_order() {
        let d = Diagnostic::error("content/a.md", "link \"x\" kapot")
            .at(3, 7)
            .hint("repareer het");
        assert_eq!(
            d.to_json(),
            r#"{"file":"content/a.md","line":3,"column":7,"severity":"error","message":"link \"x\" kapot","hint":"repareer het"}"#
        );
        let w = Diagnostic::warning("kennisbank.yaml", "let op");
        assert_eq!(
            w.to_json(),
            r#"{"file":"kennisbank.yaml","line":null,"column":null,"severity":"warning","message":"let op","hint":null}"#
        );
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
