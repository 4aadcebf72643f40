//! `kennisbank new SECTION "Titel"`: a new page in a section, as a draft.
//! The front matter has the title, today's date, `draft: true` and every
//! field the section's schema (merged down from the root) requires, written
//! *empty*, with a comment naming the allowed values. Nothing is filled in
//! for the editor: `check` and `build` name each field still empty, so a
//! forgotten field can never be published as an invented status or source.
//! Optional fields follow as comments.
//!
//! A section can bring its own template: `content/<section>/_archetype.md`
//! (never published). In it `{{ title }}`, `{{ date }}` and `{{ slug }}` are
//! replaced; the title is inserted as a YAML double-quoted string. A page
//! made from an archetype is a draft too, unless the archetype says so.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::error::{closest, Code, Diagnostic, Severity};
use crate::frontmatter::{parse_yaml, split, FieldSpec, FieldType, Schema};
use crate::markdown::slugify;
use crate::site::BuildOptions;

pub(crate) const ARCHETYPE: &str = "_archetype.md";

/// Written above `draft: true` in every new page.
pub(crate) const DRAFT_COMMENT: &str =
    "# Concept: haal deze regel weg als alle verplichte velden zijn ingevuld.";

/// Writes the new page; returns its path (as `root` joined with it).
pub(crate) fn create(
    root: &Path,
    section: &str,
    title: &str,
    today: NaiveDate,
) -> Result<PathBuf, Diagnostic> {
    let title = title.trim();
    if title.is_empty() {
        return Err(
            Diagnostic::new(Severity::Error, Code::NewInvalidTitle, "de titel is leeg")
                .hint("kennisbank new SECTIE \"Titel\""),
        );
    }
    let slug = slugify(title);
    if slug.is_empty() {
        return Err(Diagnostic::new(
            Severity::Error,
            Code::NewInvalidTitle,
            format!("van de titel '{title}' is geen bestandsnaam te maken"),
        )
        .hint("gebruik letters of cijfers in de titel"));
    }
    let (dir, schema) = section_schema(root, section)?;
    let content = crate::content::content_dir(root);
    let folder = if dir.is_empty() {
        content
    } else {
        content.join(&dir)
    };
    let path = folder.join(format!("{slug}.md"));
    let shown = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
    let archetype = folder.join(ARCHETYPE);
    let text = match std::fs::read_to_string(&archetype) {
        Ok(t) => as_draft(&fill_archetype(&t, title, &slug, today)),
        Err(_) => generate(title, today, &schema),
    };
    // create_new: never overwrite, also not a file that appeared meanwhile.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Diagnostic::error(
                    Code::WriteRefused,
                    &shown,
                    "bestaat al; er is niets overschreven",
                )
                .hint("kies een andere titel, of bewerk het bestaande bestand")
            } else {
                Diagnostic::error(
                    Code::WriteFailed,
                    &shown,
                    format!("kan niet schrijven: {e}"),
                )
            }
        })?;
    use std::io::Write as _;
    file.write_all(text.as_bytes()).map_err(|e| {
        Diagnostic::error(
            Code::WriteFailed,
            &shown,
            format!("kan niet schrijven: {e}"),
        )
    })?;
    Ok(path)
}

/// Finds the section (folder under content/ with an `_index.md`) and its
/// merged schema. Problems elsewhere in the site do not stop `new`.
fn section_schema(root: &Path, section: &str) -> Result<(String, Schema), Diagnostic> {
    let opts = BuildOptions {
        root: root.to_path_buf(),
        ..BuildOptions::default()
    };
    let config = crate::site::load_config(&opts).map_err(|f| {
        f.diagnostics.into_iter().next().unwrap_or_else(|| {
            Diagnostic::error(
                Code::ConfigUnreadable,
                crate::config::CONFIG_FILE,
                "onleesbaar",
            )
        })
    })?;
    let theme = crate::render::theme_dir(root, &config.theme);
    let loaded = crate::content::load(root, &theme);
    let mut ignored = Vec::new();
    let site = crate::parse::parse(
        config,
        loaded,
        crate::parse::ParseOptions {
            drafts: true,
            tree_only: true,
            ..Default::default()
        },
        &mut ignored,
    );
    let wanted = section.trim().trim_matches('/').replace('\\', "/");
    let wanted = wanted.strip_prefix("content/").unwrap_or(&wanted);
    match site.sections.iter().find(|s| s.dir == wanted) {
        Some(s) => Ok((s.dir.clone(), s.schema.clone())),
        None => {
            let dirs: Vec<&str> = site
                .sections
                .iter()
                .map(|s| s.dir.as_str())
                .filter(|d| !d.is_empty())
                .collect();
            let hint = match closest(wanted, dirs.iter().copied()) {
                Some(c) => format!("bedoelt u '{c}'? Secties: {}", dirs.join(", ")),
                None => format!("secties: {}", dirs.join(", ")),
            };
            Err(Diagnostic::error(
                Code::NewUnknownSection,
                format!("content/{wanted}"),
                format!("sectie '{wanted}' bestaat niet"),
            )
            .hint(hint))
        }
    }
}

/// YAML double-quoted scalar.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The front matter and a starting body, from the schema.
pub(crate) fn generate(title: &str, today: NaiveDate, schema: &Schema) -> String {
    let mut s = String::from("---\n");
    let _ = writeln!(s, "title: {}", quoted(title));
    if !schema.contains_key("date") {
        let _ = writeln!(s, "date: {today}");
    }
    let _ = writeln!(s, "{DRAFT_COMMENT}\ndraft: true");
    for (name, spec) in schema.iter().filter(|(_, f)| f.required) {
        s.push_str(&field(name, spec, false));
    }
    let optional: Vec<(&String, &FieldSpec)> = schema.iter().filter(|(_, f)| !f.required).collect();
    if !optional.is_empty() {
        s.push_str("# Niet verplicht:\n");
        for (name, spec) in optional {
            s.push_str(&field(name, spec, true));
        }
    }
    s.push_str("---\n\nSchrijf hier de tekst.\n");
    s
}

/// One field, empty, under a comment with what it wants.
fn field(name: &str, spec: &FieldSpec, commented: bool) -> String {
    let mut s = String::new();
    let mut about = Vec::new();
    if let Some(d) = spec.description.as_deref().or(spec.label.as_deref()) {
        about.push(d.to_string());
    }
    if !commented {
        about.push("Verplicht.".into());
    }
    match (&spec.values, spec.kind) {
        (Some(values), FieldType::List) => {
            about.push(format!("Kies een of meer uit: {}.", values.join(", ")))
        }
        (Some(values), _) => about.push(format!("Kies uit: {}.", values.join(", "))),
        (None, FieldType::Bool) => about.push("Kies uit: true, false.".into()),
        (None, FieldType::Date) => about.push("Een datum: JJJJ-MM-DD.".into()),
        (None, FieldType::Number) => about.push("Een getal.".into()),
        (None, _) => {}
    }
    if !about.is_empty() {
        let _ = writeln!(s, "# {}", about.join(" "));
    }
    // Empty on purpose: `check` reports an empty required field.
    let value = match spec.kind {
        FieldType::List => " []",
        FieldType::String | FieldType::Url => " \"\"",
        FieldType::Number | FieldType::Bool | FieldType::Date | FieldType::Any => "",
    };
    let _ = writeln!(s, "{}{name}:{value}", if commented { "# " } else { "" });
    s
}

/// Adds `draft: true` to a filled archetype whose front matter has no
/// `draft` field (an archetype that sets `draft` itself is left alone).
pub(crate) fn as_draft(text: &str) -> String {
    let draft = format!("{DRAFT_COMMENT}\ndraft: true\n");
    match split(text, Path::new(ARCHETYPE)) {
        Ok(sp) => match sp.front {
            Some(front) => {
                let has_draft = parse_yaml(front, Path::new(ARCHETYPE))
                    .map(|raw| raw.get("draft").is_some())
                    .unwrap_or(false);
                if has_draft {
                    return text.to_string();
                }
                // The front matter is a slice of `text`: insert at its end.
                let at = front.as_ptr() as usize - text.as_ptr() as usize + front.len();
                let sep = if front.is_empty() || front.ends_with('\n') {
                    ""
                } else {
                    "\n"
                };
                format!("{}{sep}{draft}{}", &text[..at], &text[at..])
            }
            None => format!("---\n{draft}---\n{text}"),
        },
        // Unclosed front matter: `check` will say so; change nothing.
        Err(_) => text.to_string(),
    }
}

/// Fills an `_archetype.md`.
pub(crate) fn fill_archetype(text: &str, title: &str, slug: &str, today: NaiveDate) -> String {
    let mut out = text.to_string();
    for (keys, value) in [
        (["{{ title }}", "{{title}}"], quoted(title)),
        (["{{ date }}", "{{date}}"], today.to_string()),
        (["{{ slug }}", "{{slug}}"], slug.to_string()),
    ] {
        for k in keys {
            out = out.replace(k, &value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontmatter::{check_schema, parse_yaml, split};

    fn spec(required: bool, kind: FieldType, values: Option<&[&str]>) -> FieldSpec {
        FieldSpec {
            required,
            kind,
            values: values.map(|v| v.iter().map(|s| s.to_string()).collect()),
            label: None,
            description: Some("Uitleg.".into()),
            badge: false,
            show: None,
        }
    }

    fn schema() -> Schema {
        let mut schema = Schema::new();
        schema.insert(
            "thema".into(),
            spec(true, FieldType::List, Some(&["begeleiding", "corona"])),
        );
        schema.insert("bron".into(), spec(true, FieldType::String, None));
        schema.insert(
            "status".into(),
            spec(true, FieldType::String, Some(&["lopend", "afgerond"])),
        );
        schema.insert("jaar".into(), spec(true, FieldType::Number, None));
        schema.insert("voorlopig".into(), spec(true, FieldType::Bool, None));
        schema.insert(
            "voor_wie".into(),
            spec(false, FieldType::List, Some(&["werkgevers"])),
        );
        schema
    }

    fn errors_of(text: &str, schema: &Schema) -> Vec<crate::error::Diagnostic> {
        let sp = split(text, Path::new("x.md")).unwrap();
        let raw = parse_yaml(sp.front.unwrap(), Path::new("x.md")).unwrap();
        check_schema(&raw, schema, Path::new("x.md"))
    }

    #[test]
    fn generated_front_matter_fills_in_nothing_and_fails_each_required_field() {
        let schema = schema();
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let text = generate("Stages \"zoeken\" met een buddy: tips", today, &schema);
        let sp = split(&text, Path::new("x.md")).unwrap();
        let raw = parse_yaml(sp.front.unwrap(), Path::new("x.md")).unwrap();
        assert_eq!(
            raw.get("title").and_then(|v| v.as_str()),
            Some("Stages \"zoeken\" met een buddy: tips")
        );
        assert_eq!(raw.get("draft").and_then(|v| v.as_bool()), Some(true));
        assert!(text.contains("date: 2026-11-25"), "{text}");
        assert!(
            text.contains(
                "# Uitleg. Verplicht. Kies een of meer uit: begeleiding, corona.\nthema: []\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("Kies uit: lopend, afgerond.\nstatus: \"\"\n"),
            "{text}"
        );
        assert!(
            text.contains("Kies uit: true, false.\nvoorlopig:\n"),
            "{text}"
        );
        assert!(
            text.contains("# voor_wie: []"),
            "optional fields as comments: {text}"
        );
        assert!(
            !text.contains("begeleiding\"]"),
            "no list is pre-filled: {text}"
        );
        let errors = errors_of(&text, &schema);
        let required: Vec<&String> = schema
            .iter()
            .filter(|(_, f)| f.required)
            .map(|(n, _)| n)
            .collect();
        assert_eq!(errors.len(), required.len(), "{errors:?}");
        for name in required {
            let e = errors
                .iter()
                .find(|e| e.message == format!("verplicht veld '{name}' is nog niet ingevuld"))
                .unwrap_or_else(|| panic!("{name} not reported: {errors:?}"));
            assert_eq!(e.line(), raw.line(name), "{name} at its own line");
        }
        let status = errors
            .iter()
            .find(|e| e.message.contains("'status'"))
            .unwrap();
        assert_eq!(status.hint.as_deref(), Some("kies uit: lopend, afgerond"));
        let bron = errors
            .iter()
            .find(|e| e.message.contains("'bron'"))
            .unwrap();
        assert_eq!(bron.hint.as_deref(), Some("vul in: Uitleg."));
    }

    #[test]
    fn filled_in_page_passes_the_schema() {
        let schema = schema();
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let text = generate("Titel", today, &schema)
            .replace("thema: []", "thema: [corona]")
            .replace("bron: \"\"", "bron: \"Kamerbrief\"")
            .replace("status: \"\"", "status: afgerond")
            .replace("jaar:\n", "jaar: 2021\n")
            .replace("voorlopig:\n", "voorlopig: true\n");
        assert!(errors_of(&text, &schema).is_empty(), "{text}");
    }

    #[test]
    fn archetype_pages_become_drafts() {
        let t = as_draft("---\ntitle: \"A\"\nbron: \"\"\n---\nTekst\n");
        assert_eq!(
            t,
            format!("---\ntitle: \"A\"\nbron: \"\"\n{DRAFT_COMMENT}\ndraft: true\n---\nTekst\n")
        );
        let own = "---\ntitle: A\ndraft: false\n---\n";
        assert_eq!(as_draft(own), own, "an archetype's own draft field wins");
        assert_eq!(
            as_draft("# Kop\n"),
            format!("---\n{DRAFT_COMMENT}\ndraft: true\n---\n# Kop\n")
        );
    }

    #[test]
    fn archetype_placeholders_are_filled() {
        let today = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
        let t = fill_archetype(
            "---\ntitle: {{ title }}\ndate: {{date}}\n---\n{{ slug }}\n",
            "A \"b\"",
            "a-b",
            today,
        );
        assert_eq!(
            t,
            "---\ntitle: \"A \\\"b\\\"\"\ndate: 2026-01-02\n---\na-b\n"
        );
    }
}
