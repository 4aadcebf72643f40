//! The Markdown that knowledge-base editors already write, beyond
//! CommonMark: MkDocs-Material admonitions and collapsibles, GitHub alerts,
//! abbreviations, attribute lists, and HTML comments that never reach the
//! reader.
//!
//! # Design
//!
//! Two steps around the one pulldown-cmark parse of a body:
//!
//! 1. **A pre-pass over the source lines** ([`prepare`]) for what CommonMark
//!    would read otherwise. An admonition's body is indented four spaces,
//!    which CommonMark reads as code; the pre-pass rewrites each callout into
//!    a block quote (`> ` before each body line, the marker line replaced by
//!    a one-line comment `<!--\u{E000}N-->` naming entry `N` of a side table),
//!    so its body is parsed as Markdown in a container: lists, code and
//!    callouts inside it work, and it can sit in a list item (the quote keeps
//!    the marker's indentation). This happens level by level, each level
//!    parsed to know which lines are code (a `!!!` line inside a fenced
//!    block stays code); fenced code inside a body only loses the body's
//!    indentation. Abbreviation definitions (`*[VIA]: …`) outside code are
//!    collected and their lines blanked. Like Python-Markdown: a body is the
//!    following lines indented four more columns (tabs count to the next
//!    multiple of four), blank lines inside it included, trailing ones not;
//!    a marker needs a type, a collapsible a type or a title.
//!
//!    GitHub alerts go the same way (their `[!KIND] Titel` line becomes the
//!    marker) rather than through pulldown-cmark's `ENABLE_GFM`, which takes
//!    `[!NOTE]` only with nothing after it, so titled alerts would stay text.
//!
//!    Every output line remembers the source line it came from (a blank
//!    line is put in after a body where the next text would otherwise run
//!    on into the body's last paragraph), so diagnostics inside and after
//!    these blocks name the line in the file.
//! 2. **In the event stream** (`markdown::render`): a block quote opening
//!    with a marker becomes `<div class="callout …">` or `<details>`;
//!    comments are dropped ([`Comments`]); after the body's events are
//!    final, [`finish`] applies attribute lists (classes kept, the rest
//!    dropped) and abbreviations (text outside code, links and images).
//!
//! Default titles are the theme's translations (`callout_note`, …), handed
//! in as data ([`Dialect`]), so this module never reads the theme.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use pulldown_cmark::{CowStr, Event, Parser, Tag, TagEnd};

use super::abbr::{self, Abbreviations};
use super::callout::{self, Callout};

/// What the Markdown stage needs from outside the page: default callout
/// titles (from the theme's translations) and the site-wide abbreviations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dialect {
    /// Canonical callout type (`note`, `abstract`, …, and `details` for an
    /// untyped collapsible) → title.
    pub titles: BTreeMap<String, String>,
    pub abbreviations: Abbreviations,
}

/// Prefix of the translation keys that hold callout titles.
pub(crate) const TITLE_KEY: &str = "callout_";

impl Dialect {
    pub(crate) fn title(&self, canon: &str) -> Option<String> {
        self.titles.get(canon).cloned()
    }
}

/// One source line on its way through the pre-pass.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub text: String,
    /// 0-based line of the body it came from.
    pub orig: usize,
}

/// A body ready for the parser.
pub(crate) struct Prepared<'a> {
    pub text: std::borrow::Cow<'a, str>,
    /// Output line → body line (0-based); `None` when they are the same.
    pub line_map: Option<Vec<usize>>,
    pub callouts: Vec<Callout>,
    pub abbreviations: Abbreviations,
}

impl Prepared<'_> {
    /// 1-based body line of a 1-based line of [`Prepared::text`].
    pub(crate) fn body_line(&self, line: usize) -> usize {
        match &self.line_map {
            Some(map) => map.get(line - 1).map_or(line, |l| l + 1),
            None => line,
        }
    }
}

/// Which lines are inside code or HTML blocks, where nothing is rewritten.
fn protected(lines: &[Line]) -> Vec<bool> {
    let text = join(lines);
    let mut starts = Vec::with_capacity(lines.len());
    let mut at = 0;
    for l in lines {
        starts.push(at);
        at += l.text.len() + 1;
    }
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset).saturating_sub(1);
    let mut marks = vec![false; lines.len()];
    for (event, range) in Parser::new_ext(&text, super::parser_options()).into_offset_iter() {
        if let Event::Start(Tag::CodeBlock(_) | Tag::HtmlBlock) = event {
            let last = line_of(range.end.saturating_sub(1).max(range.start));
            for m in &mut marks[line_of(range.start)..=last] {
                *m = true;
            }
        }
    }
    marks
}

fn join(lines: &[Line]) -> String {
    let mut s = String::with_capacity(lines.iter().map(|l| l.text.len() + 1).sum());
    for l in lines {
        s.push_str(&l.text);
        s.push('\n');
    }
    s
}

/// Runs the pre-pass (see the module doc). Bodies without any of the
/// constructs are passed through untouched.
pub(crate) fn prepare<'a>(body: &'a str, dialect: &Dialect) -> Prepared<'a> {
    // One scan for every trigger (each body passes here).
    static TRIGGERS: OnceLock<Option<AhoCorasick>> = OnceLock::new();
    let triggers = TRIGGERS.get_or_init(|| AhoCorasick::new(["!!!", "???", "[!", "*["]).ok());
    let (mut has_callouts, mut has_defs) = (triggers.is_none(), triggers.is_none());
    for m in triggers.iter().flat_map(|t| t.find_overlapping_iter(body)) {
        match m.pattern().as_usize() {
            3 => has_defs = true,
            _ => has_callouts = true,
        }
        if has_callouts && has_defs {
            break;
        }
    }
    if !has_callouts && !has_defs {
        return Prepared {
            text: body.into(),
            line_map: None,
            callouts: Vec::new(),
            abbreviations: dialect.abbreviations.clone(),
        };
    }
    let mut lines: Vec<Line> = body
        .lines()
        .enumerate()
        .map(|(orig, l)| Line {
            text: l.to_string(),
            orig,
        })
        .collect();
    let mut callouts = Vec::new();
    if has_callouts {
        lines = callout::transform(lines, &mut callouts, 0, &protected);
    }
    let mut defs = BTreeMap::new();
    if has_defs {
        let code = protected(&lines);
        for (l, in_code) in lines.iter_mut().zip(code) {
            if in_code {
                continue;
            }
            // Inside a callout the definition follows the quote prefix.
            let quote = l.text.len() - l.text.trim_start_matches([' ', '>']).len();
            if let Some((a, t)) = abbr::definition(&l.text[quote..]) {
                defs.insert(a, t);
                l.text.truncate(quote);
                let kept = l.text.trim_end().len();
                l.text.truncate(kept);
            }
        }
    }
    let same_lines = lines.iter().enumerate().all(|(i, l)| l.orig == i);
    let mut text = join(&lines);
    if !body.ends_with('\n') {
        text.pop();
    }
    Prepared {
        text: text.into(),
        line_map: (!same_lines).then(|| lines.iter().map(|l| l.orig).collect()),
        callouts,
        abbreviations: dialect.abbreviations.with(defs),
    }
}

/// Drops HTML comments from raw HTML events (block and inline, over
/// several lines), whatever `markdown.raw_html` says: they are notes to
/// other editors, never for the reader or the search index.
#[derive(Default)]
pub(crate) struct Comments {
    open: bool,
}

impl Comments {
    /// Whether `html` is (or continues) a comment; our own callout
    /// markers are not.
    pub(crate) fn applies(&self, html: &str) -> bool {
        self.open || (html.contains("<!--") && callout::marker_index(html).is_none())
    }

    /// What is left of `html` without its comments; `None` when nothing
    /// but white space is.
    pub(crate) fn strip<'a>(&mut self, html: CowStr<'a>) -> Option<CowStr<'a>> {
        if !self.open && !html.contains("<!--") {
            return Some(html);
        }
        let mut kept = String::new();
        let mut rest: &str = &html;
        loop {
            if self.open {
                match rest.find("-->") {
                    Some(end) => {
                        rest = &rest[end + 3..];
                        self.open = false;
                    }
                    None => break,
                }
            } else {
                match rest.find("<!--") {
                    // Inside a tag (an attribute value, say) `<!--` is text,
                    // not a comment: dropping it would join what is around it.
                    Some(start) if in_tag(&format!("{kept}{}", &rest[..start])) => {
                        kept.push_str(&rest[..start + 4]);
                        rest = &rest[start + 4..];
                    }
                    Some(start) => {
                        kept.push_str(&rest[..start]);
                        rest = &rest[start + 4..];
                        self.open = true;
                        // `<!-->` and `<!--->` are complete comments.
                        for short in [">", "->"] {
                            if let Some(r) = rest.strip_prefix(short) {
                                rest = r;
                                self.open = false;
                                break;
                            }
                        }
                    }
                    None => {
                        kept.push_str(rest);
                        break;
                    }
                }
            }
        }
        (!kept.trim().is_empty()).then(|| kept.into())
    }

    /// An HTML block or paragraph ended: an unclosed comment ends with it.
    pub(crate) fn reset(&mut self) {
        self.open = false;
    }
}

/// Whether `html` ends inside an open tag (`<a href="…`), where `<!--` is
/// part of the tag, as browsers read it.
fn in_tag(html: &str) -> bool {
    let mut tag = false;
    let mut quote: Option<char> = None;
    let mut chars = html.chars().peekable();
    while let Some(c) = chars.next() {
        if !tag {
            if c == '<'
                && chars
                    .peek()
                    .is_some_and(|n| n.is_ascii_alphabetic() || *n == '/')
            {
                tag = true;
            }
        } else if let Some(q) = quote {
            if c == q {
                quote = None;
            }
        } else if c == '"' || c == '\'' {
            quote = Some(c);
        } else if c == '>' {
            tag = false;
        }
    }
    tag
}

/// The last pass over a body's events: adjacent text joined, attribute
/// lists applied, abbreviations marked up. Returns the words removed with
/// attribute lists.
pub(crate) fn finish(events: &mut [Event], abbreviations: &Abbreviations) -> usize {
    // Most bodies have neither: leave their events as they are.
    let lists = events
        .iter()
        .any(|e| matches!(e, Event::Text(t) if t.contains('{')));
    if !lists && abbreviations.is_empty() {
        return 0;
    }
    join_texts(events);
    let removed = super::attrs::apply(events);
    if !abbreviations.is_empty() {
        let mut skip = 0usize; // inside links and images
        for e in events.iter_mut() {
            match e {
                Event::Start(Tag::Link { .. } | Tag::Image { .. }) => skip += 1,
                Event::End(TagEnd::Link | TagEnd::Image) => skip = skip.saturating_sub(1),
                Event::InlineHtml(h) if h.starts_with("<a ") => skip += 1,
                Event::InlineHtml(h) if &**h == "</a>" => skip = skip.saturating_sub(1),
                Event::Text(t) if skip == 0 => {
                    if let Some(html) = abbreviations.apply(t) {
                        *e = Event::InlineHtml(html.into());
                    }
                }
                _ => {}
            }
        }
    }
    removed
}

/// Joins runs of text events (the parser splits text at characters that
/// might have been markup), so lists and abbreviations are seen whole.
fn join_texts(events: &mut [Event]) {
    let mut i = 0;
    while i < events.len() {
        if !matches!(events[i], Event::Text(_)) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while matches!(events.get(j), Some(Event::Text(_))) {
            j += 1;
        }
        if j > i + 1 {
            let mut s = String::new();
            for e in &mut events[i..j] {
                if let Event::Text(t) = std::mem::replace(e, Event::Text(CowStr::Borrowed(""))) {
                    s.push_str(&t);
                }
            }
            events[i] = Event::Text(s.into());
        }
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_opener_inside_a_tag_is_not_a_comment() {
        let mut c = Comments::default();
        let kept = c.strip("<a href=\"javas<!-- -->cript:x\">klik</a> <!-- weg -->".into());
        assert_eq!(
            kept.as_deref(),
            Some("<a href=\"javas<!-- -->cript:x\">klik</a> ")
        );
        assert!(in_tag("<a href=\"x"));
        assert!(!in_tag("<a href=\"x>\">tekst"));
    }

    #[test]
    fn comments_are_stripped_across_events() {
        let mut c = Comments::default();
        assert!(c.strip("<!-- notitie -->\n".into()).is_none());
        assert_eq!(
            c.strip("<b>x</b><!-- weg --> <i>y</i>".into()).as_deref(),
            Some("<b>x</b> <i>y</i>")
        );
        assert!(c.strip("<!-- begin\n".into()).is_none());
        assert!(c.strip("midden\n".into()).is_none());
        assert_eq!(
            c.strip("eind --> rest\n".into()).as_deref(),
            Some(" rest\n")
        );
        assert!(c.strip("<!---->".into()).is_none());
        assert!(c.strip("<!-->".into()).is_none());
        assert_eq!(c.strip("<p>".into()).as_deref(), Some("<p>"));
    }

    #[test]
    fn admonition_keeps_lines_and_marks_the_block() {
        let body = "Tekst\n\n!!! note \"Let op\"\n    Eerste regel.\n\n    Tweede.\nNa afloop.\n";
        let p = prepare(body, &Dialect::default());
        let lines: Vec<&str> = p.text.lines().collect();
        assert_eq!(lines[2], "> <!--\u{E000}0-->");
        assert_eq!(lines[3], "> Eerste regel.");
        assert_eq!(lines[4], ">");
        assert_eq!(lines[5], "> Tweede.");
        // A blank line keeps "Na afloop." out of the callout…
        assert_eq!(lines[6], "");
        assert_eq!(lines[7], "Na afloop.");
        // …and maps to the line it stands before.
        assert_eq!(p.body_line(7), 7);
        assert_eq!(p.body_line(8), 7);
        assert_eq!(p.callouts.len(), 1);
    }

    #[test]
    fn fenced_markers_stay_code() {
        let body = "```\n!!! note\n    x\n```\n";
        let p = prepare(body, &Dialect::default());
        assert_eq!(p.text, body);
        assert!(p.callouts.is_empty());
    }

    #[test]
    fn definitions_are_collected_outside_code() {
        let body = "Tekst over VIA.\n\n*[VIA]: Verdere Integratie\n\n    *[X]: code\n";
        let p = prepare(body, &Dialect::default());
        assert_eq!(p.text, "Tekst over VIA.\n\n\n\n    *[X]: code\n");
        assert!(p.abbreviations.apply("VIA").is_some());
        assert!(p.abbreviations.apply("X").is_none());
        assert!(p.line_map.is_none());
    }
}
