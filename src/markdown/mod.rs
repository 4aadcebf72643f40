//! Markdown to HTML (pulldown-cmark): heading ids and table of contents,
//! internal links rewritten to final URLs, code highlighted with syntect
//! classes. `render` is pure given a link resolver, so it is unit-testable.
//! The MkDocs / GitHub extensions (callouts, abbreviations, attribute
//! lists, comments) are in [`dialect`].

mod abbr;
mod attrs;
mod callout;
pub(crate) mod dialect;
mod highlight;

pub use dialect::Dialect;
pub(crate) use highlight::highlight;

/// The definitions of a site-wide abbreviations file.
pub fn abbr_file(text: &str) -> abbr::Abbreviations {
    abbr::Abbreviations::parse(text)
}

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use pulldown_cmark::{
    CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd,
};

use crate::error::{Code, Diagnostic};
/// Data of the model; re-exported here, where resolvers return it.
pub use crate::model::Resolution;
use crate::model::{Html, InternalLink, Rendered, Target, TocEntry};
use crate::safety::{self, HtmlGate, RawHtml, UrlUse};

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
    pub raw_html: RawHtml,
    /// The site's language, for the accessibility lint's language check.
    pub language: &'a str,
    /// Drop the first `# heading` (it became the page title).
    pub strip_first_h1: bool,
    /// Line of the body's first line in the file.
    pub body_line: usize,
    pub file: &'a Path,
    pub resolve: &'a (dyn Fn(&str) -> Resolution + Sync),
    /// The document being rendered, for same-page anchors.
    pub this: Target,
    /// Callout titles and site-wide abbreviations.
    pub dialect: &'a Dialect,
    /// Stretches of `body` that do not come straight from the document
    /// (sorted by start; empty for a plain body).
    pub origins: &'a [Origin],
}

pub(crate) fn parser_options() -> Options {
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
pub(crate) fn first_h1(body: &str) -> Option<String> {
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
    bool,
);

/// Around a `data-search-exclude` section in the rendered HTML; taken out
/// again after rendering, their places kept in [`Rendered::search_skip`].
const SKIP_START: &str = "\u{E001}";
const SKIP_END: &str = "\u{E002}";

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

    let prepared = dialect::prepare(body, opts.dialect);
    let source: &str = &prepared.text;
    let mut lines = Lines {
        text: source,
        starts: None,
    };
    let mut line_at = |offset: usize| {
        let body_line = prepared.body_line(lines.line(offset));
        let col = match prepared.text {
            std::borrow::Cow::Borrowed(_) => Some(column(source, offset)),
            std::borrow::Cow::Owned(_) => cut_column(source, offset, body, body_line),
        };
        place(opts, body_line, col)
    };
    let titles = |canon: &str| opts.dialect.title(canon);
    let mut comments = dialect::Comments::default();
    // Open block quotes: whether each became a callout (its table index).
    let mut quotes: Vec<(usize, Option<usize>)> = Vec::new();
    let mut skip_html_end = false;
    let mut depth = 0usize;
    // An open `data-search-exclude` section: its heading level and depth.
    let mut excluded: Option<(HeadingLevel, usize)> = None;
    let mut html_gate = HtmlGate::new(opts.raw_html, opts.file);
    // Column alignments of the table being read, the cell's column, and
    // whether it is in the head: alignment goes out as a class, never as
    // an inline style (a strict Content-Security-Policy blocks those).
    let mut table: (Vec<pulldown_cmark::Alignment>, usize, bool) = (Vec::new(), 0, false);

    let parser = Parser::new_ext(source, parser_options());
    // Every link reference definition, used or not, at its own line; as
    // an image source, the looser use (a `data:` link is refused where used).
    let mut defs: Vec<_> = parser.reference_definitions().iter().collect();
    defs.sort_by_key(|(_, d)| d.span.start);
    for (_, def) in defs {
        let refused = safety::check_url(&def.dest, UrlUse::Link)
            .err()
            .filter(|_| safety::check_url(&def.dest, UrlUse::Image).is_err());
        if let Some(r) = refused {
            let at = line_at(def.span.start);
            diags.push(at.locate(safety::refusal_diagnostic(
                at.file,
                "linkdefinitie",
                &def.dest,
                &r,
            )));
        }
    }

    let mut lint = crate::a11y::Lint::new(
        opts.file,
        source,
        opts.body_line,
        opts.language,
        opts.raw_html != RawHtml::Escape,
    );
    let mut iter = parser.into_offset_iter().peekable();
    while let Some((event, range)) = iter.next() {
        lint.event(&event, &range);
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth -= 1;
                if excluded.is_some_and(|(_, d)| depth < d) {
                    events.push(Event::Html(SKIP_END.into()));
                    excluded = None;
                }
            }
            _ => {}
        }
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
        // Comments go first, whatever `raw_html` does with the rest.
        let event = match event {
            Event::Html(h) if comments.applies(&h) => match comments.strip(h) {
                Some(rest) => Event::Html(rest),
                None => continue,
            },
            Event::InlineHtml(h) if comments.applies(&h) => match comments.strip(h) {
                Some(rest) => Event::InlineHtml(rest),
                None => continue,
            },
            Event::End(TagEnd::HtmlBlock | TagEnd::Paragraph) => {
                comments.reset();
                event
            }
            other => other,
        };
        if let Event::Text(t) | Event::Code(t) = &event {
            out.word_count += count_words(t);
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
            Event::Start(Tag::BlockQuote(_)) => {
                quotes.push((events.len(), None));
                event
            }
            // A callout's marker block is the dialect's, not raw HTML: it
            // must not reach the raw-HTML gate below.
            Event::Start(Tag::HtmlBlock) if matches!(iter.peek(), Some((Event::Html(h), _)) if callout::marker_index(h).is_some()) => {
                event
            }
            Event::Html(ref h) if callout::marker_index(h).is_some() => {
                let Some(index) = callout::marker_index(h) else {
                    continue;
                };
                let starts_quote = matches!(events.last(), Some(Event::Start(Tag::HtmlBlock)))
                    && quotes.last().is_some_and(|q| q.0 + 2 == events.len());
                if let (true, Some(c)) = (starts_quote, prepared.callouts.get(index)) {
                    events.pop();
                    if let Some(q) = quotes.last_mut() {
                        events[q.0] = Event::Html(c.open_html(&titles).into());
                        q.1 = Some(index);
                    }
                    skip_html_end = true;
                }
                continue;
            }
            Event::End(TagEnd::HtmlBlock) if skip_html_end => {
                skip_html_end = false;
                continue;
            }
            Event::End(TagEnd::BlockQuote(_)) => match quotes.pop() {
                Some((_, Some(index))) => Event::Html(prepared.callouts[index].close_html().into()),
                _ => event,
            },
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => {
                let exclude = attrs
                    .iter()
                    .any(|(k, _)| k.as_ref() == "data-search-exclude");
                if level == HeadingLevel::H1 && stripped_h1 {
                    let at = line_at(range.start);
                    diags.push(
                        at.locate(Diagnostic::warning(
                            Code::MarkdownSecondH1,
                            at.file,
                            "kop van niveau 1 in de tekst: de paginatitel is al de hoofdkop",
                        ))
                        .hint("gebruik ## voor kopjes in de tekst, zodat de pagina één h1 houdt"),
                    );
                }
                heading = Some((
                    level,
                    id.map(|i| i.to_string()),
                    classes,
                    Vec::new(),
                    String::new(),
                    exclude,
                ));
                continue;
            }
            Event::End(TagEnd::Heading(_)) => {
                let Some((level, explicit, classes, inner, text, exclude)) = heading.take() else {
                    continue;
                };
                if !stripped_h1 && level == HeadingLevel::H1 {
                    stripped_h1 = true;
                    continue;
                }
                if excluded.is_some_and(|(l, d)| level <= l && depth == d) {
                    events.push(Event::Html(SKIP_END.into()));
                    excluded = None;
                }
                if exclude && excluded.is_none() {
                    events.push(Event::Html(SKIP_START.into()));
                    excluded = Some((level, depth));
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
                if let Err(r) = safety::check_url(&dest_url, UrlUse::Link) {
                    // Reported at its definition unless only the use is wrong.
                    if !is_reference(link_type)
                        || safety::check_url(&dest_url, UrlUse::Image).is_ok()
                    {
                        let at = line_at(range.start);
                        diags.push(
                            at.locate(safety::refusal_diagnostic(at.file, "link", &dest_url, &r)),
                        );
                    }
                    Event::Start(Tag::Link {
                        link_type,
                        dest_url: CowStr::Borrowed(""),
                        title,
                        id,
                    })
                } else {
                    let dest =
                        rewrite_link(&dest_url, opts, line_at(range.start), &mut out, &mut diags);
                    Event::Start(Tag::Link {
                        link_type,
                        dest_url: dest.map(Into::into).unwrap_or(dest_url),
                        title,
                        id,
                    })
                }
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let refused = safety::check_url(&dest_url, UrlUse::Image).err();
                if let Some(r) = &refused {
                    if !is_reference(link_type) {
                        let at = line_at(range.start);
                        diags.push(at.locate(safety::refusal_diagnostic(
                            at.file,
                            "afbeelding",
                            &dest_url,
                            r,
                        )));
                    }
                }
                let dest = match refused {
                    Some(_) => Some(String::new()),
                    None => match resolve(opts, &dest_url, line_at(range.start).base, &mut out) {
                        Resolution::Rewrite(u) => Some(u),
                        _ => None,
                    },
                };
                Event::Start(Tag::Image {
                    link_type,
                    dest_url: dest.map(Into::into).unwrap_or(dest_url),
                    title,
                    id,
                })
            }
            e if html_gate.wants(&e) => {
                match html_gate.event(e, line_at(range.start).line, &mut diags) {
                    Some(e) => e,
                    None => continue,
                }
            }
            Event::Start(Tag::Table(aligns)) => {
                let n = aligns.len();
                table = (aligns, 0, false);
                Event::Start(Tag::Table(vec![pulldown_cmark::Alignment::None; n]))
            }
            Event::Start(Tag::TableHead) => {
                (table.1, table.2) = (0, true);
                event
            }
            Event::End(TagEnd::TableHead) => {
                table.2 = false;
                event
            }
            Event::Start(Tag::TableRow) => {
                table.1 = 0;
                event
            }
            Event::Start(Tag::TableCell) => {
                let class = match table.0.get(table.1) {
                    Some(pulldown_cmark::Alignment::Left) => Some("left"),
                    Some(pulldown_cmark::Alignment::Center) => Some("center"),
                    Some(pulldown_cmark::Alignment::Right) => Some("right"),
                    _ => None,
                };
                table.1 += 1;
                match class {
                    Some(c) => Event::Html(
                        format!(
                            "<{} class=\"align-{c}\">",
                            if table.2 { "th" } else { "td" }
                        )
                        .into(),
                    ),
                    None => event,
                }
            }
            Event::End(TagEnd::Paragraph) => {
                if first_paragraph_end.is_none() && heading.is_none() {
                    first_paragraph_end = Some(events.len());
                }
                event
            }
            other => other,
        };
        match heading.as_mut() {
            Some((_, _, _, inner, text, _)) => {
                if let Event::Text(t) | Event::Code(t) = &event {
                    text.push_str(t);
                }
                inner.push(event);
            }
            None => events.push(event),
        }
    }

    if excluded.is_some() {
        events.push(Event::Html(SKIP_END.into()));
    }
    let removed = dialect::finish(&mut events, &prepared.abbreviations);
    out.word_count = out.word_count.saturating_sub(removed);

    if let Some(end) = first_paragraph_end {
        let start = events[..end]
            .iter()
            .rposition(|e| matches!(e, Event::Start(Tag::Paragraph)))
            .unwrap_or(0);
        pulldown_cmark::html::push_html(&mut out.summary, events[start..=end].iter().cloned());
        if out.summary.contains(['\u{E001}', '\u{E002}']) {
            out.summary = out.summary.replace(['\u{E001}', '\u{E002}'], "");
        }
    }
    let mut html = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    // The whole body at once, so raw HTML split over blocks nests right.
    if html_gate.seen {
        html = safety::sanitize(&html);
        out.summary = safety::sanitize(&out.summary);
    }
    if html.contains(SKIP_START) {
        (html, out.search_skip) = take_skips(&html);
    }
    // The body is held until its page is rendered, the whole build long:
    // give back the reserve (shrinking in place would keep the block).
    if html.capacity() > html.len() + html.len() / 8 {
        html = html.as_str().to_owned();
    }
    out.html = Html::from(html);
    out.anchors = headings.iter().map(|(_, id, _)| id.clone()).collect();
    out.toc = build_toc(&headings);
    diags.extend(lint.finish());
    out.clean = diags.is_empty();
    (out, diags)
}

/// 1-based column (in characters) of byte `offset` in its line of `text`.
fn column(text: &str, offset: usize) -> usize {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    text[start..offset].chars().count() + 1
}

/// Column of `offset` in line `body_line` of the original `body`, when
/// the dialect pre-pass left the rest of that line as it was (it cuts or
/// rewrites only a callout's indent and marker before the text): the text
/// from `offset` to the line's end ends the original line too.
fn cut_column(source: &str, offset: usize, body: &str, body_line: usize) -> Option<usize> {
    let end = source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    let tail = source[offset..end].trim_end_matches('\r');
    let was = body.lines().nth(body_line - 1)?;
    let before = was.strip_suffix(tail)?;
    Some(before.chars().count() + 1)
}

fn is_reference(t: LinkType) -> bool {
    matches!(
        t,
        LinkType::Reference | LinkType::Collapsed | LinkType::Shortcut
    )
}

/// `html` without the search-skip marks, and the byte ranges they enclosed.
fn take_skips(html: &str) -> (String, Vec<(usize, usize)>) {
    let mut clean = String::with_capacity(html.len());
    let mut ranges = Vec::new();
    let mut open = None;
    for (i, c) in html.char_indices() {
        match c {
            '\u{E001}' => open = Some(clean.len()),
            '\u{E002}' => {
                if let Some(start) = open.take() {
                    ranges.push((start, clean.len()));
                }
            }
            _ => clean.push_str(&html[i..i + c.len_utf8()]),
        }
    }
    (clean, ranges)
}

/// A place in the source: file, line, column (unknown for text a
/// shortcode filled in at its call's line), and the folder relative links
/// are written from when it is not the document's.
#[derive(Clone, Copy)]
struct Place<'o> {
    file: &'o Path,
    line: usize,
    column: Option<usize>,
    base: Option<&'o str>,
}

impl Place<'_> {
    /// Sets line and column of `d` (line only when the column is unknown).
    fn locate(&self, d: Diagnostic) -> Diagnostic {
        match self.column {
            Some(col) => d.at(self.line, col),
            None => d.at_line(Some(self.line)),
        }
    }
}

/// Where line `body_line` (1-based, of the document's body), column
/// `column` (when known), was written (see [`Origin`]).
fn place<'o>(opts: &'o RenderOptions, body_line: usize, column: Option<usize>) -> Place<'o> {
    let k = body_line - 1;
    let i = opts.origins.partition_point(|o| o.start_line <= k);
    let Some(o) = i.checked_sub(1).map(|i| &opts.origins[i]) else {
        return Place {
            file: opts.file,
            line: opts.body_line + k,
            column,
            base: None,
        };
    };
    let (line, column) = if o.fixed {
        (o.line, None)
    } else {
        (o.line + k - o.start_line, column)
    };
    Place {
        file: &o.file,
        line,
        column,
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
                at.locate(Diagnostic::error(
                    Code::LinkBroken,
                    at.file,
                    format!("kapotte link '{dest}': {reason}"),
                ))
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

pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 16);
    escape_into(s, &mut out);
    out
}

/// Appends `s` with `& < > " '` escaped. Copies the runs between special
/// bytes whole: templates escape every value, so this is hot.
pub(crate) fn escape_into(s: &str, out: &mut String) {
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
            raw_html: RawHtml::Escape,
            language: "nl",
            strip_first_h1: false,
            body_line: 1,
            file: Path::new("content/a.md"),
            resolve,
            this: Target::Page(0),
            dialect: &NO_DIALECT,
            origins: &[],
        }
    }

    static NO_DIALECT: std::sync::LazyLock<Dialect> = std::sync::LazyLock::new(Dialect::default);

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
        assert!(r.html.as_str().contains("<h2 id=\"aanpak\">"));
        assert!(r.html.as_str().contains("<h3 id=\"stap-een\">"));
        assert!(r.html.as_str().contains("<h2 id=\"aanpak-1\">"));
        assert!(r.html.as_str().contains("<h2 id=\"mijn-id\">"));
        assert_eq!(r.toc.len(), 3);
        assert_eq!(r.toc[0].children[0].id, "stap-een");
    }

    #[test]
    fn code_is_highlighted_with_classes_not_colours() {
        let (r, _) = render("```yaml\ntitle: a\n```\n", &opts(&no_links));
        assert!(
            r.html
                .as_str()
                .contains("class=\"hl-code\" data-lang=\"yaml\""),
            "{}",
            r.html
        );
        assert!(r.html.as_str().contains("<span class=\"hl-"), "{}", r.html);
        assert!(!r.html.as_str().contains("style="));
    }

    #[test]
    fn raw_html_is_escaped_unless_allowed() {
        let (r, _) = render("<script>alert(1)</script>\n", &opts(&no_links));
        assert!(!r.html.as_str().contains("<script>"));
        let mut o = opts(&no_links);
        o.raw_html = RawHtml::Trust;
        let (r, _) = render("<b>vet</b>\n", &o);
        assert!(r.html.as_str().contains("<b>vet</b>"));
    }

    #[test]
    fn broken_link_reports_file_line() {
        let broken = |_: &str| Resolution::Broken("bestaat niet".into());
        let mut o = opts(&broken);
        o.body_line = 5;
        let (_, d) = render("tekst\n\nzie [de pagina X](@/x.md)\n", &o);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line(), Some(7));
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
        assert!(r.html.as_str().contains("href=\"/kb/b/#kop\""));
        assert!(r.html.as_str().contains("href=\"https://example.org\""));
        assert_eq!(r.links.len(), 1);
        assert_eq!(r.links[0].target, Target::Page(1));
    }

    #[test]
    fn gfm_extensions_are_on() {
        let md = "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~weg~~\n\n- [x] klaar\n\nTekst[^1]\n\n[^1]: Voetnoot.\n";
        let (r, _) = render(md, &opts(&no_links));
        assert!(r.html.as_str().contains("<table>"));
        assert!(r.html.as_str().contains("<del>weg</del>"));
        assert!(r.html.as_str().contains("type=\"checkbox\""));
        assert!(r.html.as_str().contains("footnote"));
    }

    #[test]
    fn h1_in_body_warns_when_the_title_is_in_front_matter() {
        let (r, d) = render("tekst\n\n# Tweede titel\n", &opts(&no_links));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].line(), Some(3));
        assert!(r.html.as_str().contains("<h1"));
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
        assert!(!r.html.as_str().contains("<h1"));
        assert_eq!(r.summary.trim(), "<p>Eerste alinea.</p>");
    }
}

#[cfg(test)]
mod dialect_tests {
    //! The dialect through the whole renderer.
    use super::*;

    fn no_links(_: &str) -> Resolution {
        Resolution::Keep
    }

    fn titles() -> Dialect {
        Dialect {
            titles: [
                ("note", "Opmerking"),
                ("warning", "Waarschuwing"),
                ("caution", "Let op"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            abbreviations: abbr_file("*[VIA]: Verdere Integratie op de Arbeidsmarkt\n"),
        }
    }

    fn render_with<'a>(
        md: &str,
        dialect: &'a Dialect,
        resolve: &'a (dyn Fn(&str) -> Resolution + Sync),
    ) -> (Rendered, Vec<Diagnostic>) {
        render(
            md,
            &RenderOptions {
                raw_html: RawHtml::Escape,
                language: "nl",
                strip_first_h1: false,
                body_line: 1,
                file: Path::new("content/a.md"),
                resolve,
                this: Target::Page(0),
                dialect,
                origins: &[],
            },
        )
    }

    fn html(md: &str) -> String {
        render_with(md, &titles(), &no_links).0.html.into_string()
    }

    #[test]
    fn admonition_body_is_markdown_with_default_title() {
        let h = html("!!! note\n    Een **vette** regel.\n\n    - punt\n");
        assert!(
            h.starts_with("<div class=\"callout callout-note note\">\n<p class=\"callout-title\">Opmerking</p>\n<p>Een <strong>vette</strong> regel.</p>\n<ul>"),
            "{h}"
        );
        assert!(h.trim_end().ends_with("</ul>\n</div>"), "{h}");
        assert!(!h.contains("blockquote"), "{h}");
    }

    #[test]
    fn titles_empty_unknown_and_custom() {
        let h = html("!!! warning \"Voorlopig\"\n    x\n");
        assert!(
            h.contains("<p class=\"callout-title\">Voorlopig</p>"),
            "{h}"
        );
        let h = html("!!! note \"\"\n    x\n");
        assert!(!h.contains("callout-title"), "{h}");
        let h = html("!!! expander\n    x\n");
        assert!(
            h.contains("class=\"callout callout-neutral expander\""),
            "{h}"
        );
        assert!(h.contains(">Expander</p>"), "{h}");
    }

    #[test]
    fn collapsibles_become_details() {
        let h = html("??? note \"Achtergrond\"\n    Verborgen tekst.\n");
        assert!(h.starts_with("<details class=\"callout callout-note note\">\n<summary class=\"callout-title\">Achtergrond</summary>"), "{h}");
        assert!(h.contains("</details>"), "{h}");
        let h = html("???+ warning\n    Open.\n");
        assert!(
            h.starts_with("<details class=\"callout callout-warning warning\" open>"),
            "{h}"
        );
        assert!(
            h.contains("<summary class=\"callout-title\">Waarschuwing</summary>"),
            "{h}"
        );
    }

    #[test]
    fn links_in_callout_titles_keep_only_safe_web_addresses() {
        let h = html(
            "!!! note \"Zie [hier](javascript:alert(1)) en [de brief](https://example.org/brief) ![x](data:text/html,a)\"\n    Tekst.\n\n\
             > [!TIP] Een [link](vbscript:msgbox) en [intern](pilots/a.md)\n> Body.\n",
        );
        assert!(
            !h.contains("javascript:") && !h.contains("vbscript:") && !h.contains("data:"),
            "{h}"
        );
        assert!(
            h.contains("Zie hier en <a href=\"https://example.org/brief\">de brief</a>"),
            "{h}"
        );
        assert!(h.contains("Een link en intern</p>"), "{h}");
    }

    #[test]
    fn github_alerts_with_and_without_title() {
        let h = html("> [!CAUTION]\n> Pas op.\n");
        assert!(h.starts_with("<div class=\"callout callout-danger caution\">\n<p class=\"callout-title\">Let op</p>\n<p>Pas op.</p>"), "{h}");
        let h = html("> [!NOTE] Zelf gekozen\n> Tekst.\n");
        assert!(h.contains(">Zelf gekozen</p>"), "{h}");
        // A plain quote stays a quote.
        assert!(html("> Citaat.\n").starts_with("<blockquote>"));
    }

    #[test]
    fn nesting_in_lists_and_in_callouts() {
        let md = "1. Stap een\n\n    !!! tip \"Hint\"\n        Binnen de lijst.\n\n2. Stap twee\n\n!!! note\n    Buiten.\n\n    !!! warning\n        Binnen binnen.\n\n        ```yaml\n        a: 1\n        ```\n";
        let h = html(md);
        let li = h.find("<li>").unwrap();
        let tip = h.find("callout-tip").unwrap();
        let li_end = h.find("</li>").unwrap();
        assert!(li < tip && tip < li_end, "{h}");
        assert!(
            h.contains("<li>\n<p>Stap twee</p>") || h.contains("Stap twee"),
            "{h}"
        );
        let outer = h.find("callout-note").unwrap();
        let inner = h.find("callout-warning").unwrap();
        assert!(outer < inner, "{h}");
        assert!(h.contains("data-lang=\"yaml\""), "{h}");
        assert!(h.contains("</div>\n</div>"), "{h}");
    }

    #[test]
    fn odd_endings_crlf_and_empty_bodies() {
        let h = html("!!! tip \"Zonder slot\"\n    Laatste regel");
        assert!(h.contains("<p>Laatste regel</p>\n</div>"), "{h}");
        let h = html("Tekst.\r\n\r\n!!! note\r\n    Windows-regels.\r\n\r\nNa.\r\n");
        assert!(
            h.contains("<p>Windows-regels.</p>\n</div>\n<p>Na.</p>"),
            "{h}"
        );
        // No body: an empty callout, and the text after it is a paragraph.
        let h = html("!!! note \"Leeg\"\nGewone tekst.\n");
        assert!(h.contains("Leeg</p>\n</div>\n<p>Gewone tekst.</p>"), "{h}");
        // `???` in running text is no marker.
        let h = html("Wat nu???\n\n??? \n");
        assert!(h.contains("Wat nu???"), "{h}");
        assert!(!h.contains("details"), "{h}");
    }

    #[test]
    fn broken_link_lines_inside_and_after_callouts() {
        let broken = |_: &str| Resolution::Broken("bestaat niet".into());
        let md = "!!! note\n    Regel twee.\n\n    Zie [a](@/a.md).\nZie [b](@/b.md).\n\n> [!TIP]\n> [c](@/c.md)\n\n[d](@/d.md)\n";
        let (_, d) = render_with(md, &titles(), &broken);
        let lines: Vec<_> = d.iter().map(|d| d.line().unwrap()).collect();
        assert_eq!(lines, [4, 5, 8, 10]);
    }

    #[test]
    fn comments_never_show() {
        let h = html("Voor<!-- weg --> na.\n\n<!--\nMeerdere\nregels\n-->\n\nTekst <!-- over\nregels --> einde.\n");
        assert!(!h.contains("&lt;!--"), "{h}");
        assert!(
            !h.contains("weg") && !h.contains("Meerdere") && !h.contains("over"),
            "{h}"
        );
        assert!(h.contains("Voor na."), "{h}");
        assert!(h.contains("einde."), "{h}");
    }

    #[test]
    fn abbreviations_outside_code_links_and_headings_ids() {
        let md = "## Over VIA\n\nDe VIA-pilot, `VIA` en [VIA](https://example.org).\n\n*[mbo]: middelbaar beroepsonderwijs\n\nHet mbo.\n";
        let (r, _) = render_with(md, &titles(), &no_links);
        let h = r.html.into_string();
        assert!(h.contains("<h2 id=\"over-via\">Over <abbr title=\"Verdere Integratie op de Arbeidsmarkt\">VIA</abbr></h2>"), "{h}");
        assert!(
            h.contains("<abbr title=\"Verdere Integratie op de Arbeidsmarkt\">VIA</abbr>-pilot"),
            "{h}"
        );
        assert!(h.contains("<code>VIA</code>"), "{h}");
        assert!(h.contains(">VIA</a>"), "{h}");
        assert!(
            h.contains("Het <abbr title=\"middelbaar beroepsonderwijs\">mbo</abbr>."),
            "{h}"
        );
        assert!(!h.contains("*["), "{h}");
        assert_eq!(r.toc[0].title, "Over VIA");
    }

    #[test]
    fn attribute_lists_keep_classes_and_leave_no_residue() {
        let h = html("[Download](x.csv){ .button } en ![Kaart](a.png){ width=\"300\" } en ![Foto](b.png){: .breed }\n\nAlinea.\n{: .lead }\n\n## Kop {: .apart }\n");
        assert!(
            h.contains("<a href=\"x.csv\" class=\"button\">Download</a> en"),
            "{h}"
        );
        assert!(h.contains("<img src=\"a.png\" alt=\"Kaart\" /> en"), "{h}");
        assert!(
            h.contains("<img src=\"b.png\" alt=\"Foto\" class=\"breed\" />"),
            "{h}"
        );
        assert!(h.contains("<p>Alinea.</p>"), "{h}");
        assert!(h.contains("<h2 id=\"kop\" class=\"apart\">"), "{h}");
        assert!(!h.contains('{'), "{h}");
        let h = html("Een **vet** woord{ .x } en `code`{: .y } en *schuin*{ .z }.\n");
        assert_eq!(h, "<p>Een <strong>vet</strong> woord{ .x } en <code>code</code> en <em>schuin</em>.</p>\n");
    }

    #[test]
    fn search_exclude_keeps_a_section_out_of_the_index() {
        let md = "## Open\n\nZichtbaar.\n\n## Intern { data-search-exclude }\n\nGeheim.\n\n### Dieper\n\nOok geheim.\n\n## Weer open\n\nGevonden.\n";
        let (r, _) = render_with(md, &titles(), &no_links);
        assert!(r.html.as_str().contains("Geheim.") && r.html.as_str().contains("Ook geheim."));
        assert!(!r.html.as_str().contains('\u{E001}'));
        let s = r.search_html();
        assert!(s.contains("Zichtbaar.") && s.contains("Gevonden."), "{s}");
        assert!(
            !s.contains("Geheim") && !s.contains("Intern") && !s.contains("Ook geheim"),
            "{s}"
        );
        assert!(s.contains("<h2 id=\"weer-open\">"), "{s}");
    }
}
