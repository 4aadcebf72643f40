//! Code blocks highlighted with syntect, as CSS classes (`hl-…`) so the
//! theme's stylesheet colours them. Where the time goes (measured on the
//! bundled 27-page site, December 2026): loading syntect's default set is
//! well under a millisecond (the dump is not compressed at the outer level;
//! each grammar's contexts stay compressed bytes until first use); the cost
//! is per language on first use: inflating and deserialising that grammar's
//! contexts (syntect does it lazily, per syntax) and Oniguruma compiling the
//! regexes of the contexts it enters (lazily, per pattern). The set lives in
//! a process-wide cell, so `serve` pays this once, not per rebuild.

use std::sync::OnceLock;

use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

use super::escape_into;

/// The syntax definitions, loaded once and only when a page has code.
fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// The grammar for a fence's language tag (`yaml`, `sh`, `py`…), by
/// Sublime's token rules, then by file extension.
fn syntax_for(lang: &str) -> Option<(&'static SyntaxSet, &'static SyntaxReference)> {
    let set = syntaxes();
    let syntax = set
        .find_syntax_by_token(lang)
        .or_else(|| set.find_syntax_by_extension(lang))?;
    Some((set, syntax))
}

/// Highlights with CSS classes (`hl-…`); unknown languages are escaped only.
pub(crate) fn highlight(code: &str, lang: Option<&str>) -> String {
    let mut out = String::with_capacity(code.len() * 2 + 64);
    out.push_str("<pre class=\"hl-code\"");
    if let Some(l) = lang {
        out.push_str(" data-lang=\"");
        escape_into(l, &mut out);
        out.push('"');
    }
    out.push_str("><code>");
    match lang.and_then(|l| classed(code, l)) {
        Some(html) => out.push_str(&html),
        None => escape_into(code, &mut out),
    }
    out.push_str("</code></pre>\n");
    out
}

/// The classed HTML of `code`, or `None` for a language syntect does not
/// know (or a grammar that fails on this text): then the code is plain.
fn classed(code: &str, lang: &str) -> Option<String> {
    let (set, syntax) = syntax_for(lang)?;
    let mut gen = ClassedHTMLGenerator::new_with_class_style(
        syntax,
        set,
        ClassStyle::SpacedPrefixed { prefix: "hl-" },
    );
    for line in LinesWithEndings::from(code) {
        gen.parse_html_for_line_which_includes_newline(line).ok()?;
    }
    Some(gen.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::escape;

    #[test]
    fn known_languages_get_classes_and_a_data_lang() {
        for (lang, code) in [
            ("yaml", "titel: Aanvraag\nstatus: concept\n"),
            ("sh", "kennisbank build --root site\n"),
            ("json", "{\"naam\": \"Jansen\", \"leeftijd\": 42}\n"),
            ("py", "def groet(naam):\n    return f'Hallo {naam}'\n"),
        ] {
            let html = highlight(code, Some(lang));
            assert!(
                html.starts_with(&format!(
                    "<pre class=\"hl-code\" data-lang=\"{lang}\"><code>"
                )),
                "{html}"
            );
            assert!(html.contains("<span class=\"hl-"), "{lang}: {html}");
            assert!(!html.contains("style="), "{html}");
            assert!(html.ends_with("</code></pre>\n"), "{html}");
        }
    }

    #[test]
    fn unknown_language_is_plain_escaped_code() {
        let code = "server { listen 80; } # <geen> & \"kleur\"\n";
        let html = highlight(code, Some("nginx-onbekend"));
        assert_eq!(
            html,
            format!(
                "<pre class=\"hl-code\" data-lang=\"nginx-onbekend\"><code>{}</code></pre>\n",
                escape(code)
            )
        );
        assert!(!html.contains("<span"));
    }

    #[test]
    fn no_language_has_no_data_lang() {
        let html = highlight("a < b\n", None);
        assert_eq!(
            html,
            "<pre class=\"hl-code\"><code>a &lt; b\n</code></pre>\n"
        );
    }

    #[test]
    fn a_language_tag_is_escaped_in_the_attribute() {
        let html = highlight("x\n", Some("a\"b"));
        assert!(html.contains("data-lang=\"a&quot;b\""), "{html}");
    }
}
