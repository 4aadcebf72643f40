//! Front matter: splitting it from the body, reading its fields, and checking
//! pages against section schemas. Pure functions over text; lines reported are
//! counted from the top of the file, not from the front matter.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{closest, Code, Diagnostic};
use crate::yaml::{key_line, kind_of, Mapping, Value};

/// Fields every page may have, whatever its section.
pub(crate) const PAGE_KEYS: &[&str] = &[
    "title",
    "description",
    "date",
    "updated",
    "draft",
    "weight",
    "slug",
    "aliases",
    "template",
    "bron",
    "soort",
    "eigenaar",
    "herzien_op",
    "extra",
];

/// Fields only a section's `_index.md` may have (besides [`PAGE_KEYS`]).
pub(crate) const SECTION_ONLY_KEYS: &[&str] =
    &["page_template", "sort_by", "schema", "open_fields"];

pub fn is_builtin(key: &str) -> bool {
    PAGE_KEYS.contains(&key) || SECTION_ONLY_KEYS.contains(&key)
}

/// A file split into front matter and body.
#[derive(Debug, PartialEq, Eq)]
pub struct Split<'a> {
    pub front: Option<&'a str>,
    pub body: &'a str,
    /// 1-based line where the body starts.
    pub body_line: usize,
}

/// Splits `---` fenced YAML front matter off the body. Text without a leading
/// `---` line has no front matter.
pub fn split<'a>(text: &'a str, file: &Path) -> Result<Split<'a>, Diagnostic> {
    let first_end = text.find('\n').unwrap_or(text.len());
    if text[..first_end].trim_end() != "---" {
        return Ok(Split {
            front: None,
            body: text,
            body_line: 1,
        });
    }
    let front_start = (first_end + 1).min(text.len());
    let mut offset = front_start;
    for (line, l) in (2..).zip(text[front_start..].split_inclusive('\n')) {
        let trimmed = l.trim_end();
        if trimmed == "---" || trimmed == "..." {
            let body_start = offset + l.len();
            return Ok(Split {
                front: Some(&text[front_start..offset]),
                body: &text[body_start..],
                body_line: line + 1,
            });
        }
        offset += l.len();
    }
    Err(Diagnostic::error(
        Code::FrontmatterUnclosed,
        file,
        "front matter is niet afgesloten",
    )
    .at_line(Some(1))
    .hint("zet een regel met alleen --- onder de front matter"))
}

/// The parsed YAML of a front matter, with the line of every top-level key.
#[derive(Debug, Clone, Default)]
pub struct RawFront {
    pub map: Mapping,
    pub lines: BTreeMap<String, usize>,
}

impl RawFront {
    pub(crate) fn line(&self, key: &str) -> Option<usize> {
        self.lines.get(key).copied()
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }
}

/// Parses the YAML of a front matter that starts on file line 2.
pub fn parse_yaml(front: &str, file: &Path) -> Result<RawFront, Diagnostic> {
    if front.trim().is_empty() {
        return Ok(RawFront::default());
    }
    let value: Value = crate::yaml::from_str(front).map_err(|e| {
        let mut d = crate::yaml::error(&e, file);
        // The front matter starts after the opening `---` line.
        d = d.shift_lines(1);
        d.hint.get_or_insert_with(|| {
            "controleer de inspringing en zet tekst met een dubbele punt tussen aanhalingstekens"
                .into()
        });
        d
    })?;
    let map = match value {
        Value::Mapping(m) => m,
        Value::Null => Mapping::new(),
        other => {
            return Err(Diagnostic::error(
                Code::FrontmatterNotMapping,
                file,
                format!(
                    "front matter moet uit velden bestaan (sleutel: waarde), niet uit {}",
                    kind_of(&other)
                ),
            )
            .at_line(Some(2))
            .hint("schrijf bijvoorbeeld: title: \"Mijn pagina\""))
        }
    };
    let mut lines = BTreeMap::new();
    for key in map.keys() {
        match key.as_str() {
            Some(k) => {
                // The front matter starts after the `---` line.
                if let Some(l) = key_line(front, k) {
                    lines.insert(k.to_string(), l + 1);
                }
            }
            None => {
                return Err(Diagnostic::error(
                    Code::FrontmatterKeyNotText,
                    file,
                    "front-matter sleutels moeten tekst zijn",
                )
                .at_line(Some(2)))
            }
        }
    }
    Ok(RawFront { map, lines })
}

/// Reads typed builtin fields, reporting each wrong type at its line.
pub(crate) struct Reader<'a> {
    pub raw: &'a RawFront,
    pub file: &'a Path,
    pub errors: Vec<Diagnostic>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(raw: &'a RawFront, file: &'a Path) -> Self {
        Reader {
            raw,
            file,
            errors: Vec::new(),
        }
    }

    fn fail(&mut self, key: &str, expected: &str, example: &str) {
        let found = self.raw.get(key).map(kind_of).unwrap_or("niets");
        self.errors.push(
            Diagnostic::error(
                Code::FrontmatterWrongType,
                self.file,
                format!("{key}: verwacht {expected}, gevonden: {found}"),
            )
            .at_line(self.raw.line(key))
            .hint(format!("bijvoorbeeld: {key}: {example}")),
        );
    }

    pub(crate) fn string(&mut self, key: &str) -> Option<String> {
        match self.raw.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Null => None,
            _ => {
                self.fail(key, "tekst", "\"…\"");
                None
            }
        }
    }

    pub(crate) fn bool(&mut self, key: &str) -> bool {
        match self.raw.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.fail(key, "true of false", "true");
                false
            }
        }
    }

    pub(crate) fn int(&mut self, key: &str) -> Option<i64> {
        match self.raw.get(key)? {
            Value::Number(n) if n.as_i64().is_some() => n.as_i64(),
            Value::Null => None,
            _ => {
                self.fail(key, "een geheel getal", "10");
                None
            }
        }
    }

    pub(crate) fn date(&mut self, key: &str) -> Option<NaiveDate> {
        let v = self.raw.get(key)?;
        if v.is_null() {
            return None;
        }
        let parsed = v.as_str().and_then(parse_date);
        if parsed.is_none() {
            self.fail(key, "een datum (JJJJ-MM-DD)", "2020-11-09");
        }
        parsed
    }

    /// A string or a list of strings, as a list.
    pub(crate) fn list(&mut self, key: &str) -> Vec<String> {
        match value_as_list(self.raw.get(key)) {
            Some(l) => l,
            None => {
                self.fail(key, "tekst of een lijst met tekst", "[een, twee]");
                Vec::new()
            }
        }
    }

    pub(crate) fn mapping(&mut self, key: &str) -> Mapping {
        match self.raw.get(key) {
            None | Some(Value::Null) => Mapping::new(),
            Some(Value::Mapping(m)) => m.clone(),
            Some(_) => {
                self.fail(key, "velden (sleutel: waarde)", "{ veld: waarde }");
                Mapping::new()
            }
        }
    }

    /// Unknown keys: those not in `allowed`, with a "did you mean".
    pub(crate) fn reject_unknown(&mut self, allowed: &[&str], what: &str) {
        for key in self.raw.map.keys().filter_map(Value::as_str) {
            if !allowed.contains(&key) {
                let mut d = Diagnostic::error(
                    Code::FrontmatterUnknownField,
                    self.file,
                    format!("onbekend veld '{key}' in {what}"),
                )
                .at_line(self.raw.line(key));
                d = match closest(key, allowed.iter().copied()) {
                    Some(best) => d.hint(format!("bedoelt u '{best}'?")),
                    None => d.hint(format!("toegestane velden: {}", allowed.join(", "))),
                };
                self.errors.push(d);
            }
        }
    }
}

/// `None` when the value is neither a string (or number) nor a list of them.
pub(crate) fn value_as_list(v: Option<&Value>) -> Option<Vec<String>> {
    match v {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::String(s)) => Some(vec![s.clone()]),
        Some(Value::Number(n)) => Some(vec![n.to_string()]),
        Some(Value::Sequence(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(_) => None,
    }
}

/// Accepts `2020-11-09` and RFC 3339 date-times (the date part is kept).
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().or_else(|| {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|d| d.date_naive())
    })
}

// ---------------------------------------------------------------------------
// Section schemas

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    #[default]
    Any,
    String,
    List,
    Number,
    Bool,
    Date,
    /// A link target, checked by `safety::check_url`.
    Url,
}

/// What a section requires of one front-matter field of its pages.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    #[serde(default)]
    pub required: bool,
    #[serde(default, rename = "type")]
    pub kind: FieldType,
    /// Allowed values (for lists: of every element).
    #[serde(default)]
    pub values: Option<Vec<String>>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Show the value as a badge on the page and in lists and search
    /// results (a status, say); the theme gets it as `page.badges`.
    #[serde(default)]
    pub badge: bool,
    /// `false`: kept for templates, filters and search, not in the page's
    /// facts table. Unset: shown, except fields MkDocs uses for itself.
    #[serde(default)]
    pub show: Option<bool>,
}

/// Front-matter fields MkDocs and MkDocs-Material read for themselves (how
/// to lay the page out, not facts about its subject).
pub(crate) const MKDOCS_OWN_FIELDS: &[&str] = &["hide", "search", "icon", "comments"];

impl FieldSpec {
    /// Whether the field belongs in the page's facts table.
    pub(crate) fn shown(&self, name: &str) -> bool {
        self.show.unwrap_or(!MKDOCS_OWN_FIELDS.contains(&name))
    }
}

pub(crate) type Schema = BTreeMap<String, FieldSpec>;

/// Parses a section's `schema:` mapping.
pub(crate) fn parse_schema(raw: &RawFront, file: &Path) -> Result<Schema, Diagnostic> {
    match raw.get("schema") {
        None | Some(Value::Null) => Ok(Schema::new()),
        Some(v) => crate::yaml::from_value(v.clone()).map_err(|e| {
            let msg = e.to_string();
            Diagnostic::error(Code::SchemaInvalid, file, format!("schema: {msg}"))
                .at_line(raw.line("schema"))
                .hint("elk veld: { required: true, type: string|list|number|bool|date|url, values: [..] }")
        }),
    }
}

/// True when a value says nothing yet: empty text, an empty list, or a
/// list of only empty texts. `kennisbank new` writes required fields this
/// way, so a forgotten field can never pass as a fact.
pub(crate) fn is_unfilled(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Sequence(items) => items.iter().all(is_unfilled),
        _ => false,
    }
}

/// What a required field wants, for the hint: its allowed values, or its
/// description.
fn wanted(spec: &FieldSpec) -> String {
    match (&spec.values, spec.description.as_deref()) {
        (Some(v), _) => format!("kies uit: {}", v.join(", ")),
        (None, Some(d)) => format!("vul in: {d}"),
        (None, None) => format!("vul in: {}", type_name(spec.kind)),
    }
}

/// Checks a page's front matter against its (merged) section schema.
pub(crate) fn check_schema(raw: &RawFront, schema: &Schema, file: &Path) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for (name, spec) in schema {
        let Some(value) = raw.get(name) else {
            if spec.required {
                errors.push(
                    Diagnostic::error(
                        Code::SchemaRequiredMissing,
                        file,
                        format!("verplicht veld '{name}' ontbreekt"),
                    )
                    .at_line(Some(1))
                    .hint(format!(
                        "voeg in de front matter toe: {name}: … ({})",
                        wanted(spec)
                    )),
                );
            }
            continue;
        };
        if is_unfilled(value) {
            if spec.required {
                errors.push(
                    Diagnostic::error(
                        Code::SchemaRequiredEmpty,
                        file,
                        format!("verplicht veld '{name}' is nog niet ingevuld"),
                    )
                    .at_line(raw.line(name))
                    .hint(wanted(spec)),
                );
            }
            continue;
        }
        let line = raw.line(name);
        let type_ok = match spec.kind {
            FieldType::Any => true,
            FieldType::String => matches!(value, Value::String(_) | Value::Number(_)),
            FieldType::List => value_as_list(Some(value)).is_some(),
            FieldType::Number => value.is_number(),
            FieldType::Bool => value.is_bool(),
            FieldType::Date => value.as_str().and_then(parse_date).is_some(),
            FieldType::Url => value.is_string(),
        };
        if !type_ok {
            errors.push(
                Diagnostic::error(
                    Code::SchemaWrongType,
                    file,
                    format!(
                        "{name}: verwacht {}, gevonden: {}",
                        type_name(spec.kind),
                        kind_of(value)
                    ),
                )
                .at_line(line),
            );
            continue;
        }
        if let (FieldType::Url, Some(url)) = (spec.kind, value.as_str()) {
            if let Err(r) = crate::safety::check_url(url, crate::safety::UrlUse::Link) {
                errors.push(
                    crate::safety::refusal_diagnostic(file, &format!("{name}:"), url, &r)
                        .at_line(line),
                );
                continue;
            }
        }
        if let Some(allowed) = &spec.values {
            for v in value_as_list(Some(value)).unwrap_or_default() {
                if !allowed.iter().any(|a| a == &v) {
                    let hint = match closest(&v, allowed.iter().map(String::as_str)) {
                        Some(best) => {
                            format!("bedoelt u '{best}'? Kies uit: {}", allowed.join(", "))
                        }
                        None => format!("kies uit: {}", allowed.join(", ")),
                    };
                    errors.push(
                        Diagnostic::error(
                            Code::SchemaValueNotAllowed,
                            file,
                            format!("{name}: '{v}' is geen toegestane waarde"),
                        )
                        .at_line(line)
                        .hint(hint),
                    );
                }
            }
        }
    }
    errors
}

fn type_name(t: FieldType) -> &'static str {
    match t {
        FieldType::Any => "een waarde",
        FieldType::String => "tekst",
        FieldType::List => "een lijst",
        FieldType::Number => "een getal",
        FieldType::Bool => "true of false",
        FieldType::Date => "een datum (JJJJ-MM-DD)",
        FieldType::Url => "een adres (https://… of /pad/)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("content/a.md")
    }

    #[test]
    fn split_without_front_matter_keeps_all_text() {
        let s = split("# Titel\n\ntekst", p()).unwrap();
        assert_eq!(s.front, None);
        assert_eq!(s.body_line, 1);
    }

    #[test]
    fn split_counts_body_line_from_top_of_file() {
        let s = split("---\ntitle: a\nweight: 2\n---\nbody\n", p()).unwrap();
        assert_eq!(s.front, Some("title: a\nweight: 2\n"));
        assert_eq!(s.body, "body\n");
        assert_eq!(s.body_line, 5);
    }

    #[test]
    fn unclosed_front_matter_is_an_error_at_line_1() {
        let e = split("---\ntitle: a\n", p()).unwrap_err();
        assert_eq!(e.line(), Some(1));
        assert!(e.message.contains("niet afgesloten"));
    }

    #[test]
    fn yaml_error_line_is_counted_from_the_file_top() {
        // Line 3 of the file holds the bad indentation.
        let text = "---\ntitle: a\n  - b: [\n---\n";
        let s = split(text, p()).unwrap();
        let e = parse_yaml(s.front.unwrap(), p()).unwrap_err();
        assert_eq!(e.line(), Some(3), "{e}");
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let e = parse_yaml("title: a\ntitle: b\n", p()).unwrap_err();
        assert!(e.message.contains("duplicate"), "{e}");
    }

    #[test]
    fn non_mapping_front_matter_is_rejected() {
        let e = parse_yaml("- a\n- b\n", p()).unwrap_err();
        assert!(e.message.contains("lijst"), "{e}");
    }

    #[test]
    fn wrong_types_name_the_field_and_line() {
        let raw = parse_yaml("title: a\nweight: veel\ndate: morgen\n", p()).unwrap();
        let mut r = Reader::new(&raw, p());
        assert_eq!(r.int("weight"), None);
        assert_eq!(r.date("date"), None);
        assert_eq!(r.errors.len(), 2);
        assert_eq!(r.errors[0].line(), Some(3));
        assert!(r.errors[0].message.starts_with("weight:"));
        assert_eq!(r.errors[1].line(), Some(4));
    }

    #[test]
    fn schema_rejects_missing_and_disallowed_values() {
        let raw = parse_yaml("title: a\nstatus: bezig\n", p()).unwrap();
        let mut schema = Schema::new();
        schema.insert(
            "status".into(),
            FieldSpec {
                required: true,
                values: Some(vec!["loopt".into(), "afgerond".into()]),
                ..Default::default()
            },
        );
        schema.insert(
            "bron".into(),
            FieldSpec {
                required: true,
                ..Default::default()
            },
        );
        let errors = check_schema(&raw, &schema, p());
        assert_eq!(errors.len(), 2);
        assert!(errors
            .iter()
            .any(|e| e.message.contains("'bron' ontbreekt")));
        let bad = errors
            .iter()
            .find(|e| e.message.starts_with("status"))
            .unwrap();
        assert_eq!(bad.line(), Some(3));
        assert!(bad.hint.as_ref().unwrap().contains("loopt"));
    }

    #[test]
    fn empty_required_fields_are_reported_at_their_line() {
        let raw = parse_yaml(
            "title: a\nstatus: []\nbron: \"  \"\nvoorlopig:\nthema: [\"\"]\nnoot: \"\"\n",
            p(),
        )
        .unwrap();
        let mut schema = Schema::new();
        let required = |values: Option<Vec<String>>| FieldSpec {
            required: true,
            values,
            ..Default::default()
        };
        schema.insert(
            "status".into(),
            required(Some(vec!["loopt".into(), "afgerond".into()])),
        );
        schema.insert("bron".into(), required(None));
        schema.insert("voorlopig".into(), required(None));
        schema.insert("thema".into(), required(Some(vec!["taal".into()])));
        // Optional and empty is as good as absent.
        schema.insert(
            "noot".into(),
            FieldSpec {
                values: Some(vec!["x".into()]),
                ..Default::default()
            },
        );
        let errors = check_schema(&raw, &schema, p());
        let got: Vec<(Option<usize>, &str)> = errors
            .iter()
            .map(|e| (e.line(), e.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (Some(4), "verplicht veld 'bron' is nog niet ingevuld"),
                (Some(3), "verplicht veld 'status' is nog niet ingevuld"),
                (Some(6), "verplicht veld 'thema' is nog niet ingevuld"),
                (Some(5), "verplicht veld 'voorlopig' is nog niet ingevuld"),
            ]
        );
        assert_eq!(errors[1].hint.as_deref(), Some("kies uit: loopt, afgerond"));
        assert!(!is_unfilled(&Value::Bool(false)), "false is an answer");
    }
}
