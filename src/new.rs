//! `kennisbank new SECTION "Titel"`: a new page in a section, with front
//! matter that already passes the section's schema (merged down from the
//! root): title, today's date and every required field, filled with the
//! first allowed value or a visible placeholder, with a comment listing the
//! allowed values. Optional fields follow as comments.
//!
//! A section can bring its own template: `content/<section>/_archetype.md`
//! (never published). In it `{{ title }}`, `{{ date }}` and `{{ slug }}` are
//! replaced; the title is inserted as a YAML double-quoted string.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;

use crate::cli::NewArgs;
use crate::error::{closest, Diagnostic};
use crate::frontmatter::{FieldSpec, FieldType, Schema};
use crate::markdown::slugify;
use crate::site::BuildOptions;

pub const ARCHETYPE: &str = "_archetype.md";

/// Placeholder for required text without allowed values: visible on the
/// page, so it is not forgotten.
pub const PLACEHOLDER: &str = "… (invullen)";

pub fn run(args: NewArgs) -> ExitCode {
    let today = chrono::Local::now().date_naive();
    match create(&args.root, &args.section, &args.title, today) {
        Ok(path) => {
            println!("{}", path.display());
            ExitCode::SUCCESS
        }
        Err(d) => {
            eprintln!("{d}");
            ExitCode::FAILURE
        }
    }
}

/// Writes the new page; returns its path (as `root` joined with it).
pub fn create(
    root: &Path,
    section: &str,
    title: &str,
    today: NaiveDate,
) -> Result<PathBuf, Diagnostic> {
    let title = title.trim();
    if title.is_empty() {
        return Err(Diagnostic::error("(opdrachtregel)", "de titel is leeg")
            .hint("kennisbank new SECTIE \"Titel\""));
    }
    let slug = slugify(title);
    if slug.is_empty() {
        return Err(Diagnostic::error(
            "(opdrachtregel)",
            format!("van de titel '{title}' is geen bestandsnaam te maken"),
        )
        .hint("gebruik letters of cijfers in de titel"));
    }
    let (dir, schema) = section_schema(root, section)?;
    let folder = if dir.is_empty() {
        root.join("content")
    } else {
        root.join("content").join(&dir)
    };
    let path = folder.join(format!("{slug}.md"));
    let shown = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
    let archetype = folder.join(ARCHETYPE);
    let text = match std::fs::read_to_string(&archetype) {
        Ok(t) => fill_archetype(&t, title, &slug, today),
        Err(_) => generate(title, today, &schema),
    };
    // create_new: never overwrite, also not a file that appeared meanwhile.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Diagnostic::error(&shown, "bestaat al; er is niets overschreven")
                    .hint("kies een andere titel, of bewerk het bestaande bestand")
            } else {
                Diagnostic::error(&shown, format!("kan niet schrijven: {e}"))
            }
        })?;
    use std::io::Write as _;
    file.write_all(text.as_bytes())
        .map_err(|e| Diagnostic::error(&shown, format!("kan niet schrijven: {e}")))?;
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
        f.diagnostics
            .into_iter()
            .next()
            .unwrap_or_else(|| Diagnostic::error(crate::config::CONFIG_FILE, "onleesbaar"))
    })?;
    let theme = crate::render::theme_dir(root, &config.theme);
    let loaded = crate::content::load(root, &theme);
    let mut ignored = Vec::new();
    let site = crate::parse::parse(
        config,
        loaded,
        crate::parse::ParseOptions { drafts: true },
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
pub fn generate(title: &str, today: NaiveDate, schema: &Schema) -> String {
    let mut s = String::from("---\n");
    let _ = writeln!(s, "title: {}", quoted(title));
    if !schema.contains_key("date") {
        let _ = writeln!(s, "date: {today}");
    }
    for (name, spec) in schema.iter().filter(|(_, f)| f.required) {
        s.push_str(&field(name, spec, today, false));
    }
    let optional: Vec<(&String, &FieldSpec)> = schema.iter().filter(|(_, f)| !f.required).collect();
    if !optional.is_empty() {
        s.push_str("# Niet verplicht:\n");
        for (name, spec) in optional {
            s.push_str(&field(name, spec, today, true));
        }
    }
    s.push_str("---\n\nSchrijf hier de tekst.\n");
    s
}

fn field(name: &str, spec: &FieldSpec, today: NaiveDate, commented: bool) -> String {
    let mut s = String::new();
    let about = spec.description.as_deref().or(spec.label.as_deref());
    match (&spec.values, about) {
        (Some(values), Some(d)) => {
            let _ = writeln!(s, "# {d} Toegestaan: {}", values.join(", "));
        }
        (Some(values), None) => {
            let _ = writeln!(s, "# Toegestaan: {}", values.join(", "));
        }
        (None, Some(d)) => {
            let _ = writeln!(s, "# {d}");
        }
        (None, None) => {}
    }
    let first = spec
        .values
        .as_ref()
        .and_then(|v| v.first())
        .map(|v| quoted(v));
    let value = match spec.kind {
        FieldType::List => format!("[{}]", first.unwrap_or_else(|| quoted(PLACEHOLDER))),
        FieldType::Number => first
            .map(|f| f.trim_matches('"').to_string())
            .unwrap_or_else(|| "0".into()),
        FieldType::Bool => "false".into(),
        FieldType::Date => today.to_string(),
        FieldType::String | FieldType::Any => first.unwrap_or_else(|| quoted(PLACEHOLDER)),
    };
    let _ = writeln!(s, "{}{name}: {value}", if commented { "# " } else { "" });
    s
}

/// Fills an `_archetype.md`.
pub fn fill_archetype(text: &str, title: &str, slug: &str, today: NaiveDate) -> String {
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
            show: None,
        }
    }

    #[test]
    fn generated_front_matter_passes_the_schema() {
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
        schema.insert(
            "voor_wie".into(),
            spec(false, FieldType::List, Some(&["werkgevers"])),
        );
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let text = generate("Stages \"zoeken\" met een buddy: tips", today, &schema);
        let sp = split(&text, Path::new("x.md")).unwrap();
        let raw = parse_yaml(sp.front.unwrap(), Path::new("x.md")).unwrap();
        assert!(
            check_schema(&raw, &schema, Path::new("x.md")).is_empty(),
            "{text}"
        );
        assert_eq!(
            raw.get("title").and_then(|v| v.as_str()),
            Some("Stages \"zoeken\" met een buddy: tips")
        );
        assert!(text.contains("date: 2026-11-25"), "{text}");
        assert!(
            text.contains("# Uitleg. Toegestaan: begeleiding, corona\nthema: [\"begeleiding\"]"),
            "{text}"
        );
        assert!(text.contains("status: \"lopend\""), "{text}");
        assert!(
            text.contains("# voor_wie: [\"werkgevers\"]"),
            "optional fields as comments: {text}"
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
