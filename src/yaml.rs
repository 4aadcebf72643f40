//! The YAML boundary: the only module that names serde_yaml (deprecated
//! upstream), so a later switch to another parser (serde_norway, saphyr
//! with spans) stays in this file. Config, front matter, translations and
//! `import mkdocs` read YAML through here; errors come out as located
//! diagnostics, and keys are found by line scans because serde_yaml values
//! carry no positions.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use serde_yaml::{Mapping, Value};

use crate::error::{closest, Code, Diagnostic};

/// What went wrong reading or writing YAML (turn it into a diagnostic
/// with [`error`]).
pub(crate) type Error = serde_yaml::Error;

/// Parses `text`; a syntax error or an unknown key is located in `file`.
pub(crate) fn parse<T: DeserializeOwned>(text: &str, file: &Path) -> Result<T, Diagnostic> {
    from_str(text).map_err(|e| error(&e, file))
}

pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    serde_yaml::from_str(text)
}

pub(crate) fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    serde_yaml::from_value(value)
}

pub(crate) fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    serde_yaml::to_string(value)
}

/// How a value is named in messages ("verwacht tekst, gevonden: een lijst").
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "niets",
        Value::Bool(_) => "ja/nee",
        Value::Number(_) => "een getal",
        Value::String(_) => "tekst",
        Value::Sequence(_) => "een lijst",
        Value::Mapping(_) => "velden",
        Value::Tagged(_) => "een getagde waarde",
    }
}

/// A value as text, one string per scalar: strings and numbers as written,
/// booleans as `yes`/`no`, lists flattened; maps and nulls give nothing.
pub fn value_texts(v: &Value, yes: &str, no: &str) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Number(n) => vec![n.to_string()],
        Value::Bool(b) => vec![if *b { yes } else { no }.to_string()],
        Value::Sequence(items) => items.iter().flat_map(|i| value_texts(i, yes, no)).collect(),
        Value::Tagged(t) => value_texts(&t.value, yes, no),
        Value::Null | Value::Mapping(_) => Vec::new(),
    }
}

/// 1-based line of a top-level key in `text`, found by scanning: serde_yaml
/// values carry no positions.
pub(crate) fn key_line(text: &str, key: &str) -> Option<usize> {
    let i = text.lines().position(|l| {
        l.strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
            || l.strip_prefix(&format!("\"{key}\""))
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
    })?;
    Some(i + 1)
}

/// Line and column (1-based) of the value of a nested key in block-style
/// YAML, found by scanning because serde_yaml values carry no positions:
/// `["security", "contact"]`, or `["menu", "url"]` with `index` the list
/// item (also the item of a list under the last key). Flow style falls
/// back to the nearest enclosing key the scan finds.
pub(crate) fn locate_key(text: &str, path: &[&str], index: usize) -> Option<(usize, usize)> {
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
pub(crate) fn error(e: &serde_yaml::Error, file: &Path) -> Diagnostic {
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
    fn key_line_ignores_nested_and_prefix_keys() {
        let front = "titles: x\ntitle: y\nextra:\n  title: z\n";
        assert_eq!(key_line(front, "title"), Some(2));
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
}
