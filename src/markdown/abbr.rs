//! Abbreviations (PHP Markdown Extra / Python-Markdown `abbr`):
//! `*[VIA]: Verdere Integratie op de Arbeidsmarkt` defines one; every
//! whole-word `VIA` in the text (not in code, links or image text) becomes
//! `<abbr title="…">VIA</abbr>`. Definitions come from the page and from the
//! site-wide file `markdown.abbreviations`; the page's win, and an empty one
//! (`*[VIA]:`) switches a site-wide one off for that page.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, MatchKind};

use super::escape_into;

/// The automaton over the abbreviations, and the title of each pattern.
type Matcher = (AhoCorasick, Vec<String>);

/// A set of definitions with its matcher, built on first use.
#[derive(Default, Clone)]
pub struct Abbreviations {
    /// Shared: every page without definitions of its own uses the site's.
    defs: Arc<BTreeMap<String, String>>,
    matcher: Arc<OnceLock<Option<Matcher>>>,
}

impl std::fmt::Debug for Abbreviations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.defs.fmt(f)
    }
}

impl PartialEq for Abbreviations {
    fn eq(&self, other: &Self) -> bool {
        self.defs == other.defs
    }
}

impl Abbreviations {
    pub(crate) fn new(defs: BTreeMap<String, String>) -> Abbreviations {
        Abbreviations {
            defs: Arc::new(defs),
            matcher: Arc::default(),
        }
    }

    /// The definitions in a text (a site-wide file): every definition
    /// line, the rest ignored.
    pub(crate) fn parse(text: &str) -> Abbreviations {
        Abbreviations::new(text.lines().filter_map(definition).collect())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.defs.values().all(String::is_empty)
    }

    /// `self` with `page`'s definitions on top.
    pub(crate) fn with(&self, page: BTreeMap<String, String>) -> Abbreviations {
        if page.is_empty() {
            return self.clone();
        }
        let mut defs = BTreeMap::clone(&self.defs);
        defs.extend(page);
        Abbreviations::new(defs)
    }

    fn matcher(&self) -> Option<&Matcher> {
        self.matcher
            .get_or_init(|| {
                let (abbrs, titles): (Vec<&String>, Vec<String>) = self
                    .defs
                    .iter()
                    .filter(|(_, t)| !t.is_empty())
                    .map(|(a, t)| (a, t.clone()))
                    .unzip();
                if abbrs.is_empty() {
                    return None;
                }
                let ac = AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(abbrs)
                    .ok()?;
                Some((ac, titles))
            })
            .as_ref()
    }

    /// `text` as HTML with its abbreviations marked up, or `None` when it
    /// has none (the caller keeps the plain text event).
    pub(crate) fn apply(&self, text: &str) -> Option<String> {
        let (ac, titles) = self.matcher()?;
        let mut out: Option<String> = None;
        let mut last = 0;
        for m in ac.find_iter(text) {
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            if before.is_some_and(is_word) || after.is_some_and(is_word) {
                continue;
            }
            let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
            escape_into(&text[last..m.start()], o);
            o.push_str("<abbr title=\"");
            escape_into(&titles[m.pattern().as_usize()], o);
            o.push_str("\">");
            escape_into(&text[m.start()..m.end()], o);
            o.push_str("</abbr>");
            last = m.end();
        }
        let mut o = out?;
        escape_into(&text[last..], &mut o);
        Some(o)
    }
}

/// Letters (with diacritics), digits and `_` make words; a hyphen does
/// not, so `VIA-pilot` contains `VIA`.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `*[VIA]: Verdere Integratie op de Arbeidsmarkt` → (`VIA`, title). The
/// title may be quoted; an empty title removes the abbreviation.
pub(crate) fn definition(line: &str) -> Option<(String, String)> {
    let rest = line.trim_start().strip_prefix("*[")?;
    let close = rest.find("]:")?;
    let abbr = rest[..close].trim();
    if abbr.is_empty() || abbr.contains(['\\', '[', ']']) {
        return None;
    }
    let mut title = rest[close + 2..].trim();
    for q in ['"', '\''] {
        if title.len() >= 2 && title.starts_with(q) && title.ends_with(q) {
            title = &title[1..title.len() - 1];
        }
    }
    Some((abbr.to_string(), title.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> Abbreviations {
        Abbreviations::parse(
            "*[VIA]: Verdere Integratie op de Arbeidsmarkt\n*[mbo]: middelbaar beroepsonderwijs\n*[MBO-raad]: \"De MBO Raad\"\ntekst\n",
        )
    }

    #[test]
    fn whole_words_only_with_dutch_boundaries() {
        let a = set();
        let html = a.apply("De VIA-pilot en VIAs, het mbo en ÉVIA.").unwrap();
        assert_eq!(
            html,
            "De <abbr title=\"Verdere Integratie op de Arbeidsmarkt\">VIA</abbr>-pilot en VIAs, het <abbr title=\"middelbaar beroepsonderwijs\">mbo</abbr> en ÉVIA."
        );
        assert!(a.apply("geenVIA of mboë").is_none());
        assert!(a
            .apply("De MBO-raad zegt")
            .unwrap()
            .contains("<abbr title=\"De MBO Raad\">MBO-raad</abbr>"));
    }

    #[test]
    fn page_definitions_override_and_empty_ones_remove() {
        let page = BTreeMap::from([
            ("VIA".to_string(), "Via-programma".to_string()),
            ("mbo".to_string(), String::new()),
        ]);
        let a = set().with(page);
        let html = a.apply("VIA en mbo").unwrap();
        assert_eq!(html, "<abbr title=\"Via-programma\">VIA</abbr> en mbo");
    }

    #[test]
    fn text_is_escaped() {
        let html = set().apply("<VIA> & \"mbo\"").unwrap();
        assert!(html.starts_with("&lt;<abbr"), "{html}");
        assert!(html.contains("&amp; &quot;<abbr"), "{html}");
    }

    #[test]
    fn definitions_need_the_syntax() {
        assert!(definition("*[VIA] Verdere").is_none());
        assert!(definition("[VIA]: x").is_none());
        assert_eq!(
            definition("  *[ HTML ]:  'HyperText'"),
            Some(("HTML".into(), "HyperText".into()))
        );
    }
}
