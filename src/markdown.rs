//! Markdown to HTML (pulldown-cmark): heading ids and table of contents,
//! internal links rewritten to final URLs, code highlighted with syntect
//! classes. `render` is pure given a link resolver, so it is unit-testable.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

use crate::error::Diagnostic;
use crate::model::{InternalLink, Rendered, Target, TocEntry};

/// What a link destination turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Leave the destination as written (external, relative asset, …).
    Keep,
    /// A document of this site: write `url`, remember the edge for checks.
    Internal {
        url: String,
        target: Target,
        anchor: Option<String>,
    },
    /// `#anchor` on the page itself.
    SelfAnchor(String),
    /// A site path (generated page, static file) that needs the base path.
    Rewrite(String),
    Broken(String),
}

/// Where a stretch of the body came from, when shortcodes put text of other
/// files into it (`src/shortcodes/`): lines and messages point there, and
/// relative `.md` links in it resolve from that file's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Line of the body (0-based) where the stretch starts; it runs to the
    /// next origin. Lines, not bytes: a pre-pass that rewrites lines keeps
    /// their numbers.
    pub start_line: usize,
    pub file: PathBuf,
    /// Line in `file` of the stretch's first line.
    pub line: usize,
    /// Folder (relative to content/) that relative links are written
    /// from, when it is not the document's own.
    pub base: Option<String>,
    /// Every line of the stretch counts as `line` (text a template wrote).
    pub fixed: bool,
}

pub struct RenderOptions<'a> {
    pub raw_html: bool,
    /// Drop the first `# heading` (it became the page title).
    pub strip_first_h1: bool,
    /// Line of the body's first line in the file.
    pub body_line: usize,
    pub file: &'a Path,
    pub resolve: &'a (dyn Fn(&str) -> Resolution + Sync),
    /// The document being rendered, for same-page anchors.
    pub this: Target,
    /// Stretches of `body` that do not come straight from the document
    /// (sorted by start; empty for a plain body).
    pub origins: &'a [Origin],
}

pub fn parser_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// The text of the body's first level-1 heading as the Markdown parser sees
/// it (never a `#` line inside code; `{#id}` attributes left out). The one
/// place that decides a title taken from the body; [`render`] strips the
/// same heading when asked.
pub fn first_h1(body: &str) -> Option<String> {
    let mut text: Option<String> = None;
    for event in Parser::new_ext(body, parser_options()) {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            }) => text = Some(String::new()),
            Event::End(TagEnd::Heading(HeadingLevel::H1)) => {
                return text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(into) = text.as_mut() {
                    into.push_str(&t);
                }
            }
            _ => {}
        }
    }
    None
}

/// A heading being read: level, explicit id, classes, inner events, text.
type OpenHeading<'a> = (
    HeadingLevel,
    Option<String>,
    Vec<CowStr<'a>>,
    Vec<Event<'a>>,
    String,
);

/// Renders `body`; problems (broken links, images without alt) are returned
/// as diagnostics beside the output, never as a panic.
pub fn render(body: &str, opts: &RenderOptions) -> (Rendered, Vec<Diagnostic>) {
    let mut out = Rendered::default();
    let mut diags = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    let mut ids = Ids::default();
    let mut headings: Vec<(u8, String, String)> = Vec::new();
    let mut first_paragraph_end: Option<usize> = None;
    let mut stripped_h1 = !opts.strip_first_h1;

    // State for constructs that need their inner text first.
    let mut heading: Option<OpenHeading> = None;
    let mut code: Option<(Option<String>, String)> = None;
    let mut image: Option<(Place, String)> = None;

    let mut lines = Lines {
        text: body,
        starts: None,
    };
    let mut line_at = |offset: usize| place(opts, &mut lines, offset);

    for (event, range) in Parser::new_ext(body, parser_options()).into_offset_iter() {
        // Code blocks: gather text, then highlight in one go.
        if let Some((lang, text)) = code.as_mut() {
            match event {
                Event::Text(t) => text.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let html = highlight(text, lang.as_deref());
                    events.push(Event::Html(html.into()));
                    code = None;
                }
                _ => {}
            }
            continue;
        }
        if let Event::Text(t) | Event::Code(t) = &event {
            out.word_count += count_words(t);
        }
        if let Some((_, alt)) = image.as_mut() {
            if let Event::Text(t) | Event::Code(t) = &event {
                alt.push_str(t);
            }
        }
        let event = match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(l) => l.split_whitespace().next().map(str::to_string),
                    CodeBlockKind::Indented => None,
                };
                code = Some((lang, String::new()));
                continue;
            }
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs: _,
            }) => {
                if level == HeadingLevel::H1 && stripped_h1 {
                    let at = line_at(range.start);
                    diags.push(
                        Diagnostic::warning(
                            at.file,
                            "kop van niveau 1 in de tekst: de paginatitel is al de hoofdkop",
                        )
                        .at_line(Some(at.line))
                        .hint("gebruik ## voor kopjes in de tekst, zodat de pagina één h1 houdt"),
                    );
                }
                heading = Some((
                    level,
                    id.map(|i| i.to_string()),
                    classes,
                    Vec::new(),
                    String::new(),
                ));
                continue;
            }
            Event::End(TagEnd::Heading(_)) => {
                let Some((level, explicit, classes, inner, text)) = heading.take() else {
                    continue;
                };
                if !stripped_h1 && level == HeadingLevel::H1 {
                    stripped_h1 = true;
                    continue;
                }
                let id = unique_id(explicit.unwrap_or_else(|| slugify(&text)), &mut ids);
                headings.push((level as u8, id.clone(), text.trim().to_string()));
                events.push(Event::Start(Tag::Heading {
                    level,
                    id: Some(id.into()),
                    classes,
                    attrs: Vec::new(),
                }));
                events.extend(inner);
                events.push(Event::End(TagEnd::Heading(level)));
                continue;
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest =
                    rewrite_link(&dest_url, opts, line_at(range.start), &mut out, &mut diags);
                Event::Start(Tag::Link {
                    link_type,
                    dest_url: dest.map(Into::into).unwrap_or(dest_url),
                    title,
                    id,
                })
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let at = line_at(range.start);
                let dest = match resolve(opts, &dest_url, at.base, &mut out) {
                    Resolution::Rewrite(u) => Some(u),
                    _ => None,
                };
                image = Some((at, String::new()));
                Event::Start(Tag::Image {
                    link_type,
                    dest_url: dest.map(Into::into).unwrap_or(dest_url),
                    title,
                    id,
                })
            }
            Event::End(TagEnd::Image) => {
                if let Some((at, alt)) = image.take() {
                    if alt.trim().is_empty() {
                        diags.push(
                            Diagnostic::warning(at.file, "afbeelding zonder alt-tekst")
                                .at_line(Some(at.line))
                                .hint("beschrijf de afbeelding: ![wat erop staat](bestand.png)"),
                        );
                    }
                }
                event
            }
            Event::Html(h) | Event::InlineHtml(h) if !opts.raw_html => Event::Text(h),
            Event::End(TagEnd::Paragraph) => {
                if first_paragraph_end.is_none() && heading.is_none() {
                    first_paragraph_end = Some(events.len());
                }
                event
            }
            other => other,
        };
        match heading.as_mut() {
            Some((_, _, _, inner, text)) => {
                if let Event::Text(t) | Event::Code(t) = &event {
                    text.push_str(t);
                }
                inner.push(event);
            }
            None => events.push(event),
        }
    }

    if let Some(end) = first_paragraph_end {
        let start = events[..end]
            .iter()
            .rposition(|e| matches!(e, Event::Start(Tag::Paragraph)))
            .unwrap_or(0);
        pulldown_cmark::html::push_html(&mut out.summary, events[start..=end].iter().cloned());
    }
    out.html.reserve(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut out.html, events.into_iter());
    out.anchors = headings.iter().map(|(_, id, _)| id.clone()).collect();
    out.toc = build_toc(&headings);
    out.clean = diags.is_empty();
    (out, diags)
}

/// A place in the source: file, line, and the folder relative links are
/// written from when it is not the document's.
#[derive(Clone, Copy)]
struct Place<'o> {
    file: &'o Path,
    line: usize,
    base: Option<&'o str>,
}

/// Where byte `offset` of the body was written (see [`Origin`]).
fn place<'o>(opts: &'o RenderOptions, lines: &mut Lines, offset: usize) -> Place<'o> {
    let k = lines.line(offset) - 1;
    let i = opts.origins.partition_point(|o| o.start_line <= k);
    let Some(o) = i.checked_sub(1).map(|i| &opts.origins[i]) else {
        return Place {
            file: opts.file,
            line: opts.body_line + k,
            base: None,
        };
    };
    let line = if o.fixed {
        o.line
    } else {
        o.line + k - o.start_line
    };
    Place {
        file: &o.file,
        line,
        base: o.base.as_deref(),
    }
}

/// Resolves `dest` (written in the folder `base`, when given) and remembers
/// the answer (see [`Rendered::lookups`]).
fn resolve(opts: &RenderOptions, dest: &str, base: Option<&str>, out: &mut Rendered) -> Resolution {
    let rebased = base.and_then(|b| crate::links::rebase(b, dest));
    let dest = rebased.as_deref().unwrap_or(dest);
    let r = (opts.resolve)(dest);
    out.lookups.push((dest.to_string(), r.clone()));
    r
}

fn rewrite_link(
    dest: &str,
    opts: &RenderOptions,
    at: Place,
    out: &mut Rendered,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let line = at.line;
    let from = (at.file != opts.file).then(|| at.file.to_path_buf());
    match resolve(opts, dest, at.base, out) {
        Resolution::Keep => None,
        Resolution::Rewrite(url) => Some(url),
        Resolution::SelfAnchor(anchor) => {
            out.links.push(InternalLink {
                target: opts.this,
                anchor: Some(anchor),
                line,
                from,
            });
            None
        }
        Resolution::Internal {
            url,
            target,
            anchor,
        } => {
            out.links.push(InternalLink {
                target,
                anchor,
                line,
                from,
            });
            Some(url)
        }
        Resolution::Broken(reason) => {
            diags.push(
                Diagnostic::error(at.file, format!("kapotte link '{dest}': {reason}"))
                    .at_line(Some(line))
                    .hint("verwijs naar een bestaand bestand onder content/, bijvoorbeeld [tekst](@/sectie/pagina.md)"),
            );
            None
        }
    }
}

/// `text.split_whitespace().count()`, a byte at a time with a table: every
/// body's text passes through here. A multi-byte character is decoded only
/// when its lead byte can start a whitespace character (U+0085, U+00A0,
/// U+1680, U+2000 and up).
fn count_words(text: &str) -> usize {
    // 0: not whitespace, 1: ASCII whitespace, 2: decode and look.
    const CLASS: [u8; 256] = {
        let mut t = [0u8; 256];
        t[b' ' as usize] = 1;
        t[b'\t' as usize] = 1;
        t[b'\n' as usize] = 1;
        t[0x0B] = 1;
        t[0x0C] = 1;
        t[b'\r' as usize] = 1;
        t[0xC2] = 2;
        t[0xE1] = 2;
        t[0xE2] = 2;
        t[0xE3] = 2;
        t
    };
    let bytes = text.as_bytes();
    // Most text has no such lead byte: count word starts 64 bytes at a
    // time with bit masks (the compiler turns the mask loop into SIMD).
    if !bytes.iter().any(|&b| matches!(b, 0xC2 | 0xE1..=0xE3)) {
        let space = |b: u8| (b == b' ') | (b.wrapping_sub(b'\t') < 5);
        let mut words = 0;
        let mut carry = 1u64; // the byte before was whitespace
        let mut chunks = bytes.chunks_exact(64);
        for chunk in &mut chunks {
            let mut mask = 0u64;
            for (i, &b) in chunk.iter().enumerate() {
                mask |= u64::from(space(b)) << i;
            }
            words += (!mask & ((mask << 1) | carry)).count_ones() as usize;
            carry = mask >> 63;
        }
        let mut after_space = carry == 1;
        for &b in chunks.remainder() {
            let s = space(b);
            words += usize::from(after_space & !s);
            after_space = s;
        }
        return words;
    }
    let mut words = 0;
    let mut after_space = true;
    let mut i = 0;
    while i < bytes.len() {
        let class = CLASS[bytes[i] as usize];
        let space = if class < 2 {
            i += 1;
            class == 1
        } else {
            let c = text[i..].chars().next().unwrap_or('x');
            i += c.len_utf8();
            c.is_whitespace()
        };
        words += usize::from(after_space & !space);
        after_space = space;
    }
    words
}

/// A URL- and id-safe slug: diacritics folded, lower case, `-` between words.
/// "Overgang mbo – arbeidsmarkt" → `overgang-mbo-arbeidsmarkt`.
pub fn slugify(text: &str) -> String {
    let folded = deunicode::deunicode(text).to_lowercase();
    let mut slug = String::with_capacity(folded.len());
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

/// Ids already used on a page, with the next suffix to try per base, so a
/// page with thousands of equal headings stays linear.
#[derive(Default)]
struct Ids {
    used: HashSet<String>,
    next: HashMap<String, usize>,
}

fn unique_id(base: String, ids: &mut Ids) -> String {
    let base = if base.is_empty() {
        "kop".to_string()
    } else {
        base
    };
    if ids.used.insert(base.clone()) {
        return base;
    }
    let n = ids.next.entry(base.clone()).or_insert(1);
    loop {
        let candidate = format!("{base}-{n}");
        *n += 1;
        if ids.used.insert(candidate.clone()) {
            return candidate;
        }
    }
}

/// Byte offset → line, by binary search over newline positions computed on
/// first use (most bodies never need a line number).
struct Lines<'a> {
    text: &'a str,
    starts: Option<Vec<usize>>,
}

impl Lines<'_> {
    fn line(&mut self, offset: usize) -> usize {
        let text = self.text;
        let starts = self
            .starts
            .get_or_insert_with(|| text.match_indices('\n').map(|(i, _)| i).collect());
        starts.partition_point(|&nl| nl < offset) + 1
    }
}

/// Nests h2…h6 entries under the nearest higher-level heading.
fn build_toc(headings: &[(u8, String, String)]) -> Vec<TocEntry> {
    fn insert(into: &mut Vec<TocEntry>, entry: TocEntry) {
        match into.last_mut() {
            Some(last) if last.level < entry.level => insert(&mut last.children, entry),
            _ => into.push(entry),
        }
    }
    let mut toc = Vec::new();
    for (level, id, title) in headings.iter().filter(|h| h.0 >= 2) {
        insert(
            &mut toc,
            TocEntry {
                level: *level,
                id: id.clone(),
                title: title.clone(),
                children: Vec::new(),
            },
        );
    }
    toc
}

/// The syntax definitions, loaded once and only when a page has code.
fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// Highlights with CSS classes (`hl-…`); unknown languages are escaped only.
pub fn highlight(code: &str, lang: Option<&str>) -> String {
    let lang_attr = lang
        .map(|l| format!(" data-lang=\"{}\"", escape(l)))
        .unwrap_or_default();
    let inner = lang
        .and_then(|l| {
            let set = syntaxes();
            let syntax = set
                .find_syntax_by_token(l)
                .or_else(|| set.find_syntax_by_extension(l))?;
            let mut gen = ClassedHTMLGenerator::new_with_class_style(
                syntax,
                set,
                ClassStyle::SpacedPrefixed { prefix: "hl-" },
            );
            for line in LinesWithEndings::from(code) {
                gen.parse_html_for_line_which_includes_newline(line).ok()?;
            }
            Some(gen.finalize())
        })
        .unwrap_or_else(|| escape(code));
    format!("<pre class=\"hl-code\"{lang_attr}><code>{inner}</code></pre>\n")
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 16);
    escape_into(s, &mut out);
    out
}

/// Appends `s` with `& < > " '` escaped. Copies the runs between special
/// bytes whole: templates escape every value, so this is hot.
pub fn escape_into(s: &str, out: &mut String) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        // The special bytes are ASCII, so `last..i` is on char boundaries.
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_words_agrees_with_split_whitespace() {
        for t in [
            "",
            "  ",
            "een twee  drie",
            " geïnformeerd\tën\nook ",
            "a\u{a0}b\u{2003}c\u{3000}d\u{85}e\u{1680}f",
            "é\u{e9}\u{20ac}\u{2190}x",
            "\x0bvt\x0cff\rcr",
        ] {
            assert_eq!(count_words(t), t.split_whitespace().count(), "{t:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn count_words_agrees_on_any_text(t in "\\PC*|[ a\u{a0}\u{2000}-\u{200b}\u{3000}\u{85}é€\t\n]*") {
            proptest::prop_assert_eq!(count_words(&t), t.split_whitespace().count());
        }
    }

    #[test]
    fn escape_replaces_the_five_specials_and_keeps_the_rest() {
        assert_eq!(
            escape("a<b>&\"c\" 'd' ë€"),
            "a&lt;b&gt;&amp;&quot;c&quot; &#39;d&#39; ë€"
        );
        assert_eq!(escape(""), "");
        assert_eq!(escape("<<"), "&lt;&lt;");
        assert_eq!(escape("geen"), "geen");
    }

    fn no_links(_: &str) -> Resolution {
        Resolution::Keep
    }

    fn opts<'a>(resolve: &'a (dyn Fn(&str) -> Resolution + Sync)) -> RenderOptions<'a> {
        RenderOptions {
            raw_html: false,
            strip_first_h1: false,
            body_line: 1,
            file: Path::new("content/a.md"),
            resolve,
            this: Target::Page(0),
            origins: &[],
        }
    }

    #[test]
    fn slugify_folds_diacritics_and_dashes() {
        assert_eq!(
            slugify("Overgang mbo – arbeidsmarkt"),
            "overgang-mbo-arbeidsmarkt"
        );
        assert_eq!(
            slugify("Geïnformeerd & Coördinatie!"),
            "geinformeerd-coordinatie"
        );
        assert_eq!(slugify("  --  "), "");
    }

    #[test]
    fn headings_get_stable_unique_ids_and_toc() {
        let md = "## Aanpak\n\n### Stap één\n\n## Aanpak\n\n## Eigen {#mijn-id}\n";
        let (r, d) = render(md, &opts(&no_links));
        assert!(d.is_empty());
        assert!(r.html.contains("<h2 id=\"aanpak\">"));
        assert!(r.html.contains("<h3 id=\"stap-een\">"));
        assert!(r.html.contains("<h2 id=\"aanpak-1\">"));
        assert!(r.html.contains("<h2 id=\"mijn-id\">"));
        assert_eq!(r.toc.len(), 3);
        assert_eq!(r.toc[0].children[0].id, "stap-een");
    }

    #[test]
    fn code_is_highlighted_with_classes_not_colours() {
        let (r, _) = render("```yaml\ntitle: a\n```\n", &opts(&no_links));
        assert!(
            r.html.contains("class=\"hl-code\" data-lang=\"yaml\""),
            "{}",
            r.html
        );
        assert!(r.html.contains("<span class=\"hl-"), "{}", r.html);
        assert!(!r.html.contains("style="));
    }

    #[test]
    fn raw_html_is_escaped_unless_allowed() {
        let (r, _) = render("<script>alert(1)</script>\n", &opts(&no_links));
        assert!(!r.html.contains("<script>"));
        let mut o = opts(&no_links);
        o.raw_html = true;
        let (r, _) = render("<b>vet</b>\n", &o);
        assert!(r.html.contains("<b>vet</b>"));
    }

    #[test]
    fn broken_link_reports_file_line() {
        let broken = |_: &str| Resolution::Broken("bestaat niet".into());
        let mut o = opts(&broken);
        o.body_line = 5;
        let (_, d) = render("tekst\n\nzie [hier](@/x.md)\n", &o);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, Some(7));
        assert!(d[0].message.contains("@/x.md"));
    }

    #[test]
    fn internal_links_are_rewritten_and_recorded() {
        let resolve = |dest: &str| {
            if dest == "@/b.md#kop" {
                Resolution::Internal {
                    url: "/kb/b/#kop".into(),
                    target: Target::Page(1),
                    anchor: Some("kop".into()),
                }
            } else {
                Resolution::Keep
            }
        };
        let (r, _) = render(
            "[b](@/b.md#kop) en [c](https://example.org)\n",
            &opts(&resolve),
        );
        assert!(r.html.contains("href=\"/kb/b/#kop\""));
        assert!(r.html.contains("href=\"https://example.org\""));
        assert_eq!(r.links.len(), 1);
        assert_eq!(r.links[0].target, Target::Page(1));
    }

    #[test]
    fn gfm_extensions_are_on() {
        let md = "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~weg~~\n\n- [x] klaar\n\nTekst[^1]\n\n[^1]: Voetnoot.\n";
        let (r, _) = render(md, &opts(&no_links));
        assert!(r.html.contains("<table>"));
        assert!(r.html.contains("<del>weg</del>"));
        assert!(r.html.contains("type=\"checkbox\""));
        assert!(r.html.contains("footnote"));
    }

    #[test]
    fn h1_in_body_warns_when_the_title_is_in_front_matter() {
        let (r, d) = render("tekst\n\n# Tweede titel\n", &opts(&no_links));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].line, Some(3));
        assert!(r.html.contains("<h1"));
    }

    #[test]
    fn image_without_alt_warns() {
        let (_, d) = render("![](foto.png)\n", &opts(&no_links));
        assert_eq!(d.len(), 1);
        assert!(!d[0].is_error());
    }

    #[test]
    fn first_h1_can_be_stripped_and_summary_is_first_paragraph() {
        let mut o = opts(&no_links);
        o.strip_first_h1 = true;
        let (r, _) = render("# Titel\n\nEerste alinea.\n\nTweede.\n", &o);
        assert!(!r.html.contains("<h1"));
        assert_eq!(r.summary.trim(), "<p>Eerste alinea.</p>");
    }
}
