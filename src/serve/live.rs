//! What serve adds to pages: the live-reload script and its stylesheet
//! (before `</body>`, only in serve, never in `build` output), the error
//! overlay drawn on top of the last good page, and the Server-Sent Event
//! frames. Nothing inline: a site with a strict Content-Security-Policy
//! (`script-src 'self'; style-src 'self'`) works in serve too.

use std::fmt::Write as _;

use serde_json::json;

use crate::error::Diagnostic;
use crate::markdown::escape;

pub(crate) const EVENTS_PATH: &str = "/__kennisbank/events";
pub(crate) const SCRIPT_PATH: &str = "/__kennisbank/live.js";
pub(crate) const STYLE_PATH: &str = "/__kennisbank/live.css";
pub(crate) const LIVE_JS: &str = include_str!("live.js");
/// The overlay's and the writing panel's look (classes, no inline styles).
pub(crate) const LIVE_CSS: &str = include_str!("live.css");

/// Inserts `snippet` before the last `</body>` (any case), or appends it.
pub(crate) fn insert_before_body_end(html: &[u8], snippet: &str) -> Vec<u8> {
    let at = rfind_ascii_ci(html, b"</body").unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + snippet.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(snippet.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

fn rfind_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if hay.len() < needle.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

/// The script tag; `gen` is the publish generation the page was served at
/// and `instance` the server run, so a page that missed an event while
/// loading reloads as soon as it connects.
pub(crate) fn script_tag(gen: u64, instance: &str) -> String {
    format!("<script src=\"{SCRIPT_PATH}\" data-gen=\"{gen}\" data-inst=\"{instance}\"></script>")
}

/// The stylesheet of the overlay and the panel (a `<link>` may stand in
/// `<body>`), so `live.js` can draw the overlay on a page that had none.
pub(crate) fn style_tag() -> String {
    format!("<link rel=\"stylesheet\" href=\"{STYLE_PATH}\">")
}

/// The overlay as HTML, every text escaped (titles and messages can contain
/// `<script>`). Same look as the one `live.js` draws from a status event.
pub(crate) fn overlay_html(errors: &[Diagnostic]) -> String {
    let n = errors.len();
    let mut s = "<div id=\"kennisbank-overlay\" role=\"alert\">".to_string();
    let _ = write!(
        s,
        "<div class=\"kb-titel\">Kennisbank: de laatste wijziging bevat {n} {} (u ziet de laatste goede versie)</div>",
        if n == 1 { "fout" } else { "fouten" }
    );
    for d in errors {
        let mut text = match &d.location {
            Some(l) => format!("{l}: {}", d.message),
            None => d.message.clone(),
        };
        if let Some(h) = &d.hint {
            text.push_str(&format!("\n  = hint: {h}"));
        }
        let _ = write!(s, "<div class=\"kb-regel\">{}</div>", escape(&text));
    }
    s.push_str("</div>");
    s
}

/// The writing hints (B1) of the page, as a closed panel in the corner:
/// for the editor only (serve never publishes it) and never in the way.
pub(crate) fn writing_panel(r: &crate::b1::PageReport) -> String {
    if r.hints.is_empty() && r.meets_thresholds() {
        return String::new();
    }
    let mut s = format!(
        "<details id=\"kennisbank-schrijftips\"><summary>Schrijftips (B1): {} {}</summary>",
        r.hints.len(),
        if r.hints.len() == 1 { "tip" } else { "tips" }
    );
    let _ = write!(
        s,
        "<div class=\"kb-regel\">{}</div>",
        escape(&format!(
            "{} zinnen, gemiddeld {:.1} woorden per zin, leesgemak (Flesch-Douma) {:.0}{}",
            r.sentences,
            r.average_words,
            r.douma,
            if r.meets_thresholds() {
                ""
            } else {
                " (onder de B1-grens, zie docs/schrijven.md)"
            }
        ))
    );
    for h in &r.hints {
        let text = format!(
            "regel {}: {} ({}): {}",
            h.line,
            h.kind.label(),
            h.detail,
            h.sentence
        );
        let _ = write!(s, "<div class=\"kb-regel\">{}</div>", escape(&text));
    }
    s.push_str("</details>");
    s
}

/// A page shown while no build has succeeded yet.
pub(crate) fn no_build_page(errors: &[Diagnostic], script: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Kennisbank: build mislukt</title>{}</head>\
         <body><p>De site kon nog niet worden gebouwd. Herstel de fout; deze pagina herlaadt vanzelf.</p>{}{script}</body></html>\n",
        style_tag(),
        overlay_html(errors)
    )
}

/// One Server-Sent Event frame.
pub(crate) fn frame(event: &str, data: &serde_json::Value) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

pub(crate) fn reload_frame(paths: &[String]) -> String {
    frame("reload", &json!({ "paths": paths }))
}

pub(crate) fn reload_all_frame() -> String {
    frame("reload", &json!({ "all": true }))
}

pub(crate) fn css_frame(paths: &[String]) -> String {
    frame("css", &json!({ "paths": paths }))
}

pub(crate) fn status_frame(errors: &[Diagnostic]) -> String {
    let list: Vec<serde_json::Value> = errors
        .iter()
        .map(|d| {
            json!({"file": d.file().map(|f| f.display().to_string()), "line": d.line(),
                   "column": d.column(), "message": d.message, "hint": d.hint,
                   "code": d.code})
        })
        .collect();
    frame("status", &json!({ "errors": list }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    #[test]
    fn script_goes_before_the_last_body_end_tag() {
        let html = b"<html><body><p>&lt;/body&gt;</p></BODY></html>";
        let out = String::from_utf8(insert_before_body_end(html, "<s>")).unwrap();
        assert_eq!(out, "<html><body><p>&lt;/body&gt;</p><s></BODY></html>");
        let out = String::from_utf8(insert_before_body_end(b"<p>kaal", "<s>")).unwrap();
        assert_eq!(out, "<p>kaal<s>");
    }

    #[test]
    fn writing_panel_lists_hints_escaped_and_is_empty_without_any() {
        let body = "Het contract wordt door de school opgesteld <b>nu</b>.\n";
        let r = crate::b1::analyse(
            std::path::Path::new("content/a.md"),
            body,
            4,
            &Default::default(),
        );
        let html = writing_panel(&r);
        assert!(
            html.starts_with("<details id=\"kennisbank-schrijftips\""),
            "{html}"
        );
        assert!(html.contains("regel 4: lijdende vorm"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        let r = crate::b1::analyse(
            std::path::Path::new("content/a.md"),
            "Dit is kort.\n",
            1,
            &Default::default(),
        );
        assert_eq!(writing_panel(&r), "");
    }

    #[test]
    fn overlay_escapes_titles_and_messages() {
        let d = Diagnostic::error(
            Code::FrontmatterWrongType,
            "content/<script>.md",
            "titel <script>alert(1)</script>",
        )
        .at(3, 1)
        .hint("a & b");
        let html = overlay_html(&[d]);
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("content/&lt;script&gt;.md:3:1"), "{html}");
        assert!(html.contains("a &amp; b"), "{html}");
    }

    #[test]
    fn nothing_serve_adds_is_inline_style_or_script() {
        // A strict CSP (style-src 'self') blocks style attributes and
        // <style>; the stylesheet file styles every class the HTML and the
        // script use.
        let d = Diagnostic::error(Code::LinkBroken, "content/a.md", "kapot").at(1, 1);
        let r = crate::b1::analyse(
            std::path::Path::new("content/a.md"),
            "Het contract wordt door de school opgesteld.\n",
            1,
            &Default::default(),
        );
        let html = format!(
            "{}{}{}{}",
            overlay_html(std::slice::from_ref(&d)),
            writing_panel(&r),
            no_build_page(&[d], &script_tag(1, "x")),
            style_tag()
        );
        for inline in ["style=", "<style", "onclick", "<script>"] {
            assert!(!html.contains(inline), "{inline} in {html}");
        }
        for js_inline in ["cssText", ".style.", "setAttribute(\"style\""] {
            assert!(!LIVE_JS.contains(js_inline), "{js_inline} in live.js");
        }
        for class in ["kb-titel", "kb-regel", "kb-sluiten"] {
            assert!(LIVE_JS.contains(class), "live.js does not use {class}");
            assert!(LIVE_CSS.contains(&format!(".{class}")), "{class} unstyled");
        }
        for id in ["#kennisbank-overlay", "#kennisbank-schrijftips"] {
            assert!(LIVE_CSS.contains(id), "{id} unstyled");
        }
    }

    #[test]
    fn frames_are_single_data_lines() {
        let d = Diagnostic::error(Code::LinkBroken, "a.md", "regel 1\nregel 2");
        let f = status_frame(&[d]);
        assert_eq!(f.matches("\ndata: ").count(), 1, "{f}");
        assert!(f.ends_with("\n\n"));
        assert!(reload_frame(&["/a/index.html".into()])
            .starts_with("event: reload\ndata: {\"paths\":[\"/a/index.html\"]}"));
    }
}
