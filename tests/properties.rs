//! Property tests: the front-matter splitter and the Markdown renderer never
//! panic, whatever the input. CI runs a bounded number of cases
//! (`PROPTEST_CASES`, set in .ci/run).

use std::path::Path;

use kennisbank::frontmatter;
use kennisbank::markdown::{self, RenderOptions, Resolution};
use kennisbank::model::Target;
use kennisbank::safety::RawHtml;
use proptest::prelude::*;

fn markdownish() -> impl Strategy<Value = String> {
    // Fragments that exercise the tricky parts: fences, headings, links,
    // tables, footnotes, HTML, nesting and odd Unicode.
    let piece = prop_oneof![
        Just("---\n".to_string()),
        Just("...\n".to_string()),
        Just("# Kop\n".to_string()),
        Just("## Kop {#id}\n".to_string()),
        Just("```yaml\n".to_string()),
        Just("```\n".to_string()),
        Just("[a](@/x.md#y)".to_string()),
        Just("[b](../c.md)".to_string()),
        Just("![](img.png)".to_string()),
        Just("| a | b |\n|---|---|\n".to_string()),
        Just("[^1]\n\n[^1]: n\n".to_string()),
        Just("<script>x</script>".to_string()),
        Just("<script\n>x".to_string()),
        Just("<details>\n".to_string()),
        Just("</details>\n".to_string()),
        Just("<img src=x\nonerror=y>".to_string()),
        Just("<!-- c\n".to_string()),
        Just("> ".to_string()),
        Just("- ".to_string()),
        Just("title: x\n".to_string()),
        Just("\r\n".to_string()),
        Just("\u{feff}ë́\u{200b}".to_string()),
        // The MkDocs / GitHub dialect.
        Just("!!! note \"Titel\"\n".to_string()),
        Just("??? tip\n".to_string()),
        Just("???+ \"Open\"\n".to_string()),
        Just("    ".to_string()),
        Just("\t".to_string()),
        Just("> [!WARNING] Let op\n".to_string()),
        Just("*[VIA]: Verdere Integratie\n".to_string()),
        Just("VIA-pilot ".to_string()),
        Just("<!-- notitie\n".to_string()),
        Just(" -->".to_string()),
        Just("{ .knop }".to_string()),
        Just("## Kop { data-search-exclude }\n".to_string()),
        Just("\u{e000}\u{e001}".to_string()),
        "[ -~]{0,12}",
        "\\PC{0,6}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

fn resolve(dest: &str) -> Resolution {
    match dest.len() % 4 {
        0 => Resolution::Keep,
        1 => Resolution::SelfAnchor("y".into()),
        2 => Resolution::Broken("nee".into()),
        _ => Resolution::Internal {
            url: "/x/".into(),
            target: Target::Page(1),
            anchor: Some("y".into()),
        },
    }
}

proptest! {
    #[test]
    fn splitter_never_panics_and_keeps_the_body(text in markdownish()) {
        let path = Path::new("content/p.md");
        if let Ok(split) = frontmatter::split(&text, path) {
            prop_assert!(text.ends_with(split.body));
            prop_assert!(split.body_line >= 1);
            if let Some(front) = split.front {
                let _ = frontmatter::parse_yaml(front, path);
            }
        }
    }

    #[test]
    fn markdown_never_panics_and_lines_stay_in_the_file(text in markdownish(), level in 0..3u8, strip: bool) {
        let raw_html = [RawHtml::Escape, RawHtml::Sanitize, RawHtml::Trust][level as usize];
        let opts = RenderOptions {
            raw_html,
            language: "nl",
            strip_first_h1: strip,
            body_line: 3,
            file: Path::new("content/p.md"),
            resolve: &resolve,
            this: Target::Page(0),
            dialect: &markdown::Dialect {
                abbreviations: markdown::abbr_file("*[mbo]: middelbaar beroepsonderwijs\n"),
                ..Default::default()
            },
            origins: &[],
        };
        let (rendered, diags) = markdown::render(&text, &opts);
        let lines = text.lines().count() + 3;
        for d in diags {
            prop_assert!(d.line().unwrap_or(1) <= lines + 1, "line {:?} beyond {lines}", d.line());
        }
        if raw_html != RawHtml::Trust {
            prop_assert!(!rendered.html.as_str().contains("<script"));
            prop_assert!(!rendered.summary.contains("<script"));
        }
        // Search-skip ranges are on character boundaries of the HTML.
        let _ = rendered.search_html();
    }
}
