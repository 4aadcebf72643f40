//! Safety: the one place that decides whether content may put a URL or a
//! piece of HTML into a page. Markdown from any contributor must never run
//! script in a reader's browser.
//!
//! # URLs: [`check_url`]
//!
//! ```
//! use kennisbank::safety::{check_url, UrlUse};
//! assert!(check_url("https://example.org/", UrlUse::Link).is_ok());
//! assert!(check_url("java&#x09;script:alert(1)", UrlUse::Link).is_err());
//! assert!(check_url("data:image/png;base64,iVBO", UrlUse::Image).is_ok());
//! assert!(check_url("data:image/png;base64,iVBO", UrlUse::Link).is_err());
//! ```
//!
//! Refused schemes: `javascript:`, `vbscript:`, `file:`, and `data:` except
//! `data:image/(png|gif|jpeg|webp);base64,` used as an image. The scheme is
//! read after HTML entities and percent-escapes are decoded (repeatedly, so
//! double encoding does not help), ASCII whitespace and control characters
//! are removed, and case is folded. Every stage that takes a URL from
//! content calls it: Markdown links, images, autolinks and link reference
//! definitions (`markdown`), raw HTML attributes under
//! `markdown.raw_html: sanitized` (here), menu URLs (`config`), `aliases`
//! and schema fields of type `url` (`frontmatter`). A shortcode taking a URL
//! argument calls it the same way and turns an `Err` into a diagnostic with
//! [`refusal_diagnostic`]; a refusal is always a build error.
//!
//! # Raw HTML: [`RawHtml`], [`HtmlGate`], [`sanitize`]
//!
//! `false` escapes it (comments are dropped), `sanitized` passes it through
//! an allow-list ([`ALLOWED_TAGS`]; `ammonia` does the work, over the whole
//! rendered body so a `<details>` opened in one HTML block and closed in
//! another stays one element), `true` trusts it. The warnings about what
//! `sanitized` drops come from html5ever's tokenizer run over each coherent
//! piece of raw HTML (a whole HTML block, or one inline tag), so they name
//! the line the tag is on.
//!
//! # Pages: [`harden_page`]
//!
//! Every HTML file the renderer writes passes here: the configured
//! Content-Security-Policy goes in as a `<meta http-equiv>`, and a link that
//! opens a new window gets `rel="noopener noreferrer"`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use pulldown_cmark::{CowStr, Event, Tag, TagEnd};
use serde::{Deserialize, Serialize};

use crate::error::{Code, Diagnostic};

// ---------------------------------------------------------------------------
// URLs

/// What a URL is used for: `data:` images are allowed, `data:` links not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlUse {
    Link,
    Image,
}

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The scheme as the browser would read it, lower case (`javascript`).
    pub scheme: String,
    pub kind: RefusalKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// `javascript:`, `vbscript:`: runs script on click.
    Script,
    /// `file:`: points into the reader's own computer.
    File,
    /// `data:` as a link (a whole document, script included).
    DataLink,
    /// `data:` as an image, but not base64 PNG, GIF, JPEG or WebP.
    DataImage,
}

impl Refusal {
    pub(crate) fn reason(&self) -> String {
        match self.kind {
            RefusalKind::Script => format!(
                "een {}:-adres voert script uit in de browser van de lezer",
                self.scheme
            ),
            RefusalKind::File => {
                "een file:-adres wijst naar een bestand op de computer van de lezer".into()
            }
            RefusalKind::DataLink => {
                "een data:-adres als link kan een hele pagina met script bevatten".into()
            }
            RefusalKind::DataImage => {
                "als afbeelding mag alleen data:image/png, gif, jpeg of webp met ;base64".into()
            }
        }
    }

    pub(crate) fn hint(&self) -> &'static str {
        match self.kind {
            RefusalKind::Script => {
                "link naar een pagina (https://… of @/sectie/pagina.md); script hoort in het thema, niet in de inhoud"
            }
            RefusalKind::File => {
                "zet het bestand naast de pagina (paginabundel) of in static/ en link er relatief naar"
            }
            RefusalKind::DataLink => {
                "zet de inhoud in een bestand naast de pagina en link daarnaar"
            }
            RefusalKind::DataImage => {
                "sla de afbeelding op als bestand naast de pagina en verwijs ernaar: ![beschrijving](plaatje.png)"
            }
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason())
    }
}

/// `Ok` when `url` may be written into a page as a link (or image source).
/// Pure; see the module doc for the rule.
pub fn check_url(url: &str, used_as: UrlUse) -> Result<(), Refusal> {
    let normal = normalise(url);
    let Some(scheme) = scheme_of(&normal) else {
        return Ok(());
    };
    let kind = match scheme {
        "javascript" | "vbscript" => RefusalKind::Script,
        "file" => RefusalKind::File,
        "data" => match used_as {
            UrlUse::Link => RefusalKind::DataLink,
            UrlUse::Image if is_allowed_data_image(&normal) => return Ok(()),
            UrlUse::Image => RefusalKind::DataImage,
        },
        _ => return Ok(()),
    };
    Err(Refusal {
        scheme: scheme.to_string(),
        kind,
    })
}

fn is_allowed_data_image(normal: &str) -> bool {
    ["png", "gif", "jpeg", "webp"].iter().any(|t| {
        normal
            .strip_prefix("data:image/")
            .and_then(|r| r.strip_prefix(t))
            .is_some_and(|r| r.starts_with(";base64,"))
    })
}

/// Decoded (entities, percent-escapes) until stable, then without ASCII
/// whitespace and control characters, in lower case: what is left is what
/// a browser's scheme parser could see, and more.
fn normalise(url: &str) -> String {
    let mut s = url.to_string();
    // Each round undoes one layer; five covers any sane nesting and keeps
    // a hostile input from looping.
    for _ in 0..5 {
        let decoded = percent_encoding::percent_decode_str(&decode_entities(&s))
            .decode_utf8_lossy()
            .into_owned();
        if decoded == s {
            break;
        }
        s = decoded;
    }
    s.chars()
        .filter(|&c| !(c <= ' ' || c == '\u{7f}'))
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The scheme (`[a-z][a-z0-9+.-]*` before `:`), if the URL has one.
fn scheme_of(normal: &str) -> Option<&str> {
    let end = normal.find(':')?;
    let scheme = &normal[..end];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// Numeric character references (with or without `;`) and the named ones
/// that can hide a scheme's punctuation or whitespace. No ASCII letter or
/// digit has a named entity, so this table is enough for [`scheme_of`].
fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    const NAMED: &[(&str, char)] = &[
        ("colon", ':'),
        ("tab", '\t'),
        ("newline", '\n'),
        ("nbsp", ' '),
        ("amp", '&'),
        ("num", '#'),
        ("semi", ';'),
        ("sol", '/'),
        ("percnt", '%'),
        ("lt", '<'),
        ("gt", '>'),
        ("quot", '"'),
        ("apos", '\''),
        ("lpar", '('),
        ("rpar", ')'),
        ("period", '.'),
        ("comma", ','),
        ("plus", '+'),
        ("equals", '='),
    ];
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (decoded, used) = if let Some(num) = after.strip_prefix('#') {
            let (digits, radix, skip) = match num.strip_prefix(['x', 'X']) {
                Some(hex) => (
                    hex.chars().take_while(char::is_ascii_hexdigit).count(),
                    16,
                    2,
                ),
                None => (num.chars().take_while(char::is_ascii_digit).count(), 10, 1),
            };
            let text = &after[skip..skip + digits];
            let c = u32::from_str_radix(text, radix)
                .ok()
                .map(|n| char::from_u32(n).unwrap_or('\u{fffd}'));
            let semi = usize::from(after[skip + digits..].starts_with(';'));
            match c {
                Some(c) if digits > 0 => (Some(c), skip + digits + semi),
                _ => (None, 0),
            }
        } else {
            let name_len = after
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .count();
            let name = after[..name_len].to_ascii_lowercase();
            match NAMED.iter().find(|(n, _)| *n == name) {
                Some((_, c)) => (
                    Some(*c),
                    name_len + usize::from(after[name_len..].starts_with(';')),
                ),
                None => (None, 0),
            }
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[used..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// `url` shown in a message: control characters made visible, long ones cut.
pub(crate) fn shown(url: &str) -> String {
    let mut s: String = url.chars().take(80).flat_map(char::escape_debug).collect();
    if url.chars().count() > 80 {
        s.push('…');
    }
    s
}

/// The build error for a refused URL: `what` says where it was
/// (`link`, `afbeelding`, `menu-URL`, `alias`, `veld 'website'`).
pub(crate) fn refusal_diagnostic(file: &Path, what: &str, url: &str, r: &Refusal) -> Diagnostic {
    Diagnostic::error(
        Code::UrlRefused,
        file,
        format!("{what} '{}' geweigerd: {}", shown(url), r.reason()),
    )
    .hint(r.hint())
}

/// An alias is a path on this site where a redirect page is written: a
/// refused scheme, another host, `..` or a query cannot be one.
pub(crate) fn alias_problem(alias: &str, file: &Path) -> Option<Diagnostic> {
    if let Err(r) = check_url(alias, UrlUse::Link) {
        return Some(refusal_diagnostic(file, "alias", alias, &r));
    }
    let a = alias.trim();
    let bad = scheme_of(&normalise(a)).is_some()
        || a.starts_with("//")
        || a.contains(['\\', '?', '#'])
        || a.chars().any(char::is_control)
        || a.split('/').any(|seg| seg == "..");
    bad.then(|| {
        Diagnostic::error(
            Code::AliasNotAPath,
            file,
            format!("alias '{}' is geen pad op deze site", shown(alias)),
        )
        .hint("een alias is een oud pad van deze pagina, bijvoorbeeld: aliases: [/oud/pad/]")
    })
}

// ---------------------------------------------------------------------------
// Raw HTML levels

/// `markdown.raw_html`: `false` (escape), `sanitized`, or `true` (trust).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RawHtml {
    /// Shown as text; comments dropped.
    #[default]
    Escape,
    /// Passed through the allow-list; the rest dropped with a warning.
    Sanitize,
    /// Passed through as written: only for sites whose every author is trusted.
    Trust,
}

impl Serialize for RawHtml {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RawHtml::Escape => s.serialize_bool(false),
            RawHtml::Sanitize => s.serialize_str("sanitized"),
            RawHtml::Trust => s.serialize_bool(true),
        }
    }
}

impl<'de> Deserialize<'de> for RawHtml {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = RawHtml;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("false, sanitized of true")
            }
            fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<RawHtml, E> {
                Ok(if b { RawHtml::Trust } else { RawHtml::Escape })
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<RawHtml, E> {
                match s {
                    "sanitized" => Ok(RawHtml::Sanitize),
                    "false" => Ok(RawHtml::Escape),
                    "true" => Ok(RawHtml::Trust),
                    other => Err(E::custom(format!(
                        "markdown.raw_html: '{other}' is geen geldige waarde; kies false, sanitized of true"
                    ))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// Elements raw HTML may use under `sanitized`. Everything the Markdown
/// renderer writes is in here too: the whole rendered body is sanitised.
pub(crate) const ALLOWED_TAGS: &[&str] = &[
    "a",
    "abbr",
    "aside",
    "b",
    "bdi",
    "bdo",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "input",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
    "var",
    "wbr",
];

/// Attributes every allowed element may have.
pub(crate) const GENERIC_ATTRIBUTES: &[&str] = &["id", "class", "title", "lang", "dir", "role"];
const GENERIC_PREFIX: &str = "aria-";

/// Attributes particular elements may have.
pub(crate) const TAG_ATTRIBUTES: &[(&str, &[&str])] = &[
    ("a", &["href", "hreflang"]),
    ("img", &["src", "alt", "width", "height", "loading"]),
    ("blockquote", &["cite"]),
    ("q", &["cite"]),
    ("del", &["cite", "datetime"]),
    ("ins", &["cite", "datetime"]),
    ("time", &["datetime"]),
    ("details", &["open"]),
    ("ol", &["start", "reversed", "type"]),
    ("li", &["value"]),
    ("td", &["colspan", "rowspan", "headers"]),
    ("th", &["colspan", "rowspan", "headers", "scope", "abbr"]),
    ("col", &["span"]),
    ("colgroup", &["span"]),
    ("pre", &["data-lang"]),
    // Task lists: Markdown writes a disabled checkbox.
    ("input", &["type", "checked", "disabled"]),
];

/// Elements whose content goes with them (script text, styles, frames).
const DROP_WITH_CONTENT: &[&str] = &[
    "script", "style", "iframe", "noscript", "noembed", "noframes", "template", "object", "svg",
    "math", "textarea", "select", "title", "xmp",
];

/// URL schemes that pass the sanitiser (the refused ones are never here).
const SCHEMES: &[&str] = &[
    "http", "https", "mailto", "tel", "ftp", "ftps", "sftp", "irc", "ircs", "xmpp", "sip", "sms",
    "geo", "webcal", "news", "nntp", "magnet", "data",
];

fn is_url_attribute(attr: &str) -> bool {
    matches!(
        attr,
        "href"
            | "src"
            | "cite"
            | "xlink:href"
            | "action"
            | "formaction"
            | "data"
            | "poster"
            | "ping"
            | "background"
            | "longdesc"
            | "srcset"
            | "srcdoc"
    )
}

fn attribute_allowed(tag: &str, attr: &str, value: &str) -> bool {
    if tag == "input" && attr == "type" {
        return value.eq_ignore_ascii_case("checkbox");
    }
    GENERIC_ATTRIBUTES.contains(&attr)
        || attr.starts_with(GENERIC_PREFIX)
        || TAG_ATTRIBUTES
            .iter()
            .any(|(t, attrs)| *t == tag && attrs.contains(&attr))
}

fn url_use(tag: &str, attr: &str) -> UrlUse {
    if tag == "img" && attr == "src" {
        UrlUse::Image
    } else {
        UrlUse::Link
    }
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static B: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    B.get_or_init(|| {
        let mut b = ammonia::Builder::empty();
        let mut per_tag: HashMap<&str, HashSet<&str>> = HashMap::new();
        for (tag, attrs) in TAG_ATTRIBUTES {
            per_tag
                .entry(tag)
                .or_default()
                .extend(attrs.iter().filter(|a| !(*tag == "input" && **a == "type")));
        }
        let mut values: HashMap<&str, HashMap<&str, HashSet<&str>>> = HashMap::new();
        values
            .entry("input")
            .or_default()
            .insert("type", HashSet::from(["checkbox"]));
        b.tags(ALLOWED_TAGS.iter().copied().collect())
            .clean_content_tags(DROP_WITH_CONTENT.iter().copied().collect())
            .generic_attributes(GENERIC_ATTRIBUTES.iter().copied().collect())
            .generic_attribute_prefixes(HashSet::from([GENERIC_PREFIX]))
            .tag_attributes(per_tag)
            .tag_attribute_values(values)
            .url_schemes(SCHEMES.iter().copied().collect())
            .url_relative(ammonia::UrlRelative::PassThrough)
            .link_rel(None)
            .strip_comments(true)
            // The same URL rule as everywhere: also for `cite`, which
            // ammonia does not treat as a URL.
            .attribute_filter(|tag, attr, value| {
                if is_url_attribute(attr) && check_url(value, url_use(tag, attr)).is_err() {
                    None
                } else {
                    Some(value.into())
                }
            });
        b
    })
}

/// `html` with everything outside the allow-list removed.
pub fn sanitize(html: &str) -> String {
    sanitizer().clean(html).to_string()
}

/// What the tokenizer saw in one piece of raw HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// An element that `sanitized` removes.
    Element { line: usize, tag: String },
    /// An attribute that `sanitized` removes.
    Attribute {
        line: usize,
        tag: String,
        attr: String,
    },
    /// A URL refused by [`check_url`]: a build error.
    Url {
        line: usize,
        tag: String,
        attr: String,
        url: String,
        refusal: Refusal,
    },
}

#[derive(Default)]
struct Scan {
    findings: RefCell<Vec<Finding>>,
}

impl TokenSink for Scan {
    type Handle = ();

    fn process_token(&self, token: Token, line: u64) -> TokenSinkResult<()> {
        let Token::TagToken(tag) = token else {
            return TokenSinkResult::Continue;
        };
        if tag.kind != TagKind::StartTag {
            return TokenSinkResult::Continue;
        }
        let line = line as usize;
        let name = tag.name.to_string();
        let mut found = self.findings.borrow_mut();
        if !ALLOWED_TAGS.contains(&name.as_str()) {
            found.push(Finding::Element {
                line,
                tag: name.clone(),
            });
        } else {
            for a in &tag.attrs {
                let attr = a.name.local.to_string();
                let value = a.value.to_string();
                if !attribute_allowed(&name, &attr, &value) {
                    found.push(Finding::Attribute {
                        line,
                        tag: name.clone(),
                        attr,
                    });
                } else if is_url_attribute(&attr) {
                    if let Err(refusal) = check_url(&value, url_use(&name, &attr)) {
                        found.push(Finding::Url {
                            line,
                            tag: name.clone(),
                            attr,
                            url: value,
                            refusal,
                        });
                    }
                }
            }
        }
        // What a tree builder would tell the tokenizer: these elements'
        // content is text, not tags.
        match name.as_str() {
            "script" => TokenSinkResult::RawData(RawKind::ScriptData),
            "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                TokenSinkResult::RawData(RawKind::Rawtext)
            }
            "textarea" | "title" => TokenSinkResult::RawData(RawKind::Rcdata),
            "plaintext" => TokenSinkResult::Plaintext,
            _ => TokenSinkResult::Continue,
        }
    }
}

/// Tokenizes one coherent piece of raw HTML; lines in the findings are
/// 1-based within `fragment`.
pub fn scan(fragment: &str) -> Vec<Finding> {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from(fragment));
    let tok = Tokenizer::new(Scan::default(), TokenizerOpts::default());
    let _ = tok.feed(&input);
    tok.end();
    tok.sink.findings.into_inner()
}

/// `fragment` without HTML comments (`<!-- … -->`, also `<!-->`, and an
/// unclosed one to the end): with raw HTML off they are never shown.
pub(crate) fn strip_comments(fragment: &str) -> Cow<'_, str> {
    if !fragment.contains("<!--") {
        return Cow::Borrowed(fragment);
    }
    let mut out = String::with_capacity(fragment.len());
    let mut rest = fragment;
    while let Some(i) = rest.find("<!--") {
        out.push_str(&rest[..i]);
        let body = &rest[i + 4..];
        let end = if body.starts_with('>') {
            Some(1)
        } else if body.starts_with("->") {
            Some(2)
        } else {
            body.find("-->").map(|j| j + 3)
        };
        match end {
            Some(e) => rest = &body[e..],
            None => return Cow::Owned(out),
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Raw HTML events of one body, handled for `Escape` and `Sanitize` (with
/// `Trust` the renderer leaves them alone). An HTML block arrives as one
/// event per line: its lines are gathered and handled as one piece, so a
/// tag spread over lines is one tag, and a comment over lines one comment.
pub(crate) struct HtmlGate<'f> {
    mode: RawHtml,
    file: &'f Path,
    /// The HTML block being gathered, with the file line of each of its lines.
    block: Option<(String, Vec<usize>)>,
    /// Raw HTML went into the output: the body must be sanitised.
    pub seen: bool,
}

impl<'f> HtmlGate<'f> {
    pub(crate) fn new(mode: RawHtml, file: &'f Path) -> Self {
        HtmlGate {
            mode,
            file,
            block: None,
            seen: false,
        }
    }

    /// Whether this gate takes `event` (raw HTML, or an HTML block's ends).
    pub(crate) fn wants(&self, event: &Event) -> bool {
        self.mode != RawHtml::Trust
            && matches!(
                event,
                Event::Html(_)
                    | Event::InlineHtml(_)
                    | Event::Start(Tag::HtmlBlock)
                    | Event::End(TagEnd::HtmlBlock)
            )
    }

    /// Takes a wanted event at file line `line`; gives the event to write
    /// in its place, if any. Problems go to `diags`.
    pub(crate) fn event<'a>(
        &mut self,
        event: Event<'a>,
        line: usize,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Event<'a>> {
        match event {
            Event::Start(Tag::HtmlBlock) => {
                self.block = Some((String::new(), Vec::new()));
                None
            }
            Event::Html(h) => match self.block.as_mut() {
                Some((text, lines)) => {
                    text.push_str(&h);
                    lines.push(line);
                    None
                }
                None => self.piece(h, &[line], diags),
            },
            Event::End(TagEnd::HtmlBlock) => {
                let (text, lines) = self.block.take()?;
                self.piece(text.into(), &lines, diags)
            }
            Event::InlineHtml(h) => {
                let lines: Vec<usize> = (0..=h.matches('\n').count()).map(|i| line + i).collect();
                self.piece(h, &lines, diags)
            }
            other => Some(other),
        }
    }

    /// One coherent piece of raw HTML; `lines[i]` is the file line of its
    /// line `i + 1`.
    fn piece<'a>(
        &mut self,
        html: CowStr<'a>,
        lines: &[usize],
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Event<'a>> {
        match self.mode {
            RawHtml::Escape => {
                let text = strip_comments(&html);
                if text.is_empty() {
                    return None;
                }
                Some(Event::Text(text.into_owned().into()))
            }
            RawHtml::Sanitize => {
                let at = |l: usize| lines.get(l.saturating_sub(1)).or(lines.last()).copied();
                for f in scan(&html) {
                    diags.push(self.finding(f, at));
                }
                self.seen = true;
                Some(Event::Html(html))
            }
            RawHtml::Trust => Some(Event::Html(html)),
        }
    }

    fn finding(&self, f: Finding, at: impl Fn(usize) -> Option<usize>) -> Diagnostic {
        match f {
            Finding::Element { line, tag } => Diagnostic::warning(Code::HtmlElementRemoved,
                self.file,
                format!("HTML-element <{tag}> verwijderd (markdown.raw_html: sanitized)"),
            )
            .at_line(at(line))
            .hint(match tag.as_str() {
                "script" | "noscript" => "script hoort in het thema (static/js/), niet in de tekst",
                "style" => "zet opmaak in de CSS van het thema en gebruik hier een class",
                "iframe" | "object" | "embed" | "frame" | "frameset" => {
                    "ingesloten pagina's mogen niet; link ernaar met [tekst](https://…)"
                }
                _ => {
                    "toegestaan zijn onder meer <details>, <summary>, <abbr>, <sup>, <sub>, <kbd>, <mark> en tabellen"
                }
            }),
            Finding::Attribute { line, tag, attr } => {
                let hint = if attr.starts_with("on") {
                    "gebeurtenis-attributen (on…) voeren script uit en mogen niet in de inhoud"
                } else if attr == "style" {
                    "zet opmaak in de CSS van het thema en geef het element een class"
                } else {
                    "toegestaan zijn id, class, title, lang, dir, role, aria-… en per element de gewone attributen (href, src, alt, colspan, …)"
                };
                Diagnostic::warning(Code::HtmlAttributeRemoved,
                    self.file,
                    format!("attribuut {attr} op <{tag}> verwijderd (markdown.raw_html: sanitized)"),
                )
                .at_line(at(line))
                .hint(hint)
            }
            Finding::Url {
                line,
                tag,
                attr,
                url,
                refusal,
            } => refusal_diagnostic(self.file, &format!("<{tag} {attr}>"), &url, &refusal)
                .at_line(at(line)),
        }
    }
}

// ---------------------------------------------------------------------------
// Content-Security-Policy and security.txt

/// The policy the default theme and search are built to run under.
pub const STRICT_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/// `security.csp`: `false`, `true` ([`STRICT_CSP`]) or a policy of your own.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Csp {
    #[default]
    Off,
    Strict,
    Policy(String),
}

impl Serialize for Csp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Csp::Off => s.serialize_bool(false),
            Csp::Strict => s.serialize_bool(true),
            Csp::Policy(p) => s.serialize_str(p),
        }
    }
}

impl<'de> Deserialize<'de> for Csp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Csp;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("true, false of een policy als tekst")
            }
            fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Csp, E> {
                Ok(if b { Csp::Strict } else { Csp::Off })
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Csp, E> {
                Ok(Csp::Policy(s.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl Csp {
    /// The policy for the `<meta>` tag. `frame-ancestors` is left out: a
    /// browser ignores it there (with a console error); only a header can
    /// carry it (docs/security.md).
    pub(crate) fn meta_policy(&self) -> Option<String> {
        let policy = match self {
            Csp::Strict => STRICT_CSP,
            Csp::Policy(p) => p.as_str(),
            Csp::Off => return None,
        };
        let kept: Vec<&str> = policy
            .split(';')
            .map(str::trim)
            .filter(|d| !d.is_empty() && !d.to_ascii_lowercase().starts_with("frame-ancestors"))
            .collect();
        Some(kept.join("; "))
    }
}

/// `security:` in kennisbank.yaml.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    /// Emit a Content-Security-Policy `<meta>` in every page.
    #[serde(default)]
    pub csp: Csp,
    /// security.txt `Contact:` lines (mailto:, https: or tel:).
    #[serde(default, deserialize_with = "one_or_many")]
    pub contact: Vec<String>,
    /// security.txt `Expires:` (a date or an RFC 3339 date-time).
    #[serde(default)]
    pub expires: Option<String>,
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub encryption: Option<String>,
    #[serde(default)]
    pub acknowledgments: Option<String>,
    #[serde(default)]
    pub hiring: Option<String>,
    /// Defaults to the site language.
    #[serde(default)]
    pub preferred_languages: Option<String>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

pub(crate) const SECURITY_TXT: &str = ".well-known/security.txt";

/// A located value of the config, for [`check_security`]'s messages.
pub(crate) type Locate<'a> = &'a dyn Fn(&[&str], usize) -> Option<(usize, usize)>;

/// Problems with `security:`; `locate(path, index)` gives the line and
/// column of a key (`["security", "contact"]`, list item `index`).
pub(crate) fn check_security(
    sec: &SecurityConfig,
    base_path: &str,
    file: &Path,
    locate: Locate,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let at = |d: Diagnostic, key: &str, i: usize| match locate(&["security", key], i)
        .or_else(|| locate(&["security", key], 0))
        .or_else(|| locate(&["security"], 0))
    {
        Some((l, c)) => d.at(l, c),
        None => d,
    };
    if let Csp::Policy(p) = &sec.csp {
        if p.trim().is_empty() || p.chars().any(char::is_control) {
            diags.push(at(
                Diagnostic::error(
                    Code::SecurityConfig,
                    file,
                    "security.csp: een lege policy of een met regeleinden",
                )
                .hint("zet true voor de strikte policy, of de policy op één regel"),
                "csp",
                0,
            ));
        }
    }
    let wants_txt = !sec.contact.is_empty()
        || sec.expires.is_some()
        || sec.policy.is_some()
        || sec.encryption.is_some()
        || sec.acknowledgments.is_some()
        || sec.hiring.is_some();
    if !wants_txt {
        return diags;
    }
    if sec.contact.is_empty() {
        diags.push(at(
            Diagnostic::error(
                Code::SecurityConfig,
                file,
                "security.txt zonder security.contact",
            )
            .hint("RFC 9116 vraagt minstens één contact: contact: mailto:security@example.nl"),
            "contact",
            0,
        ));
    }
    for (i, c) in sec.contact.iter().enumerate() {
        let lower = c.trim().to_ascii_lowercase();
        let ok = !c.chars().any(char::is_control)
            && check_url(c, UrlUse::Link).is_ok()
            && (lower.starts_with("https://")
                || (lower.starts_with("mailto:") && lower.contains('@'))
                || lower.starts_with("tel:"));
        if !ok {
            let hint = if c.contains('@') && !lower.starts_with("mailto:") {
                format!("schrijf contact: mailto:{}", c.trim())
            } else {
                "een contact is mailto:adres@example.nl, https://… of tel:+31…".into()
            };
            diags.push(at(
                Diagnostic::error(
                    Code::SecurityConfig,
                    file,
                    format!(
                        "security.contact: '{}' is geen mailto:-, https:- of tel:-adres",
                        shown(c)
                    ),
                )
                .hint(hint),
                "contact",
                i,
            ));
        }
    }
    match sec.expires.as_deref().map(parse_expires) {
        None => diags.push(at(
            Diagnostic::error(Code::SecurityConfig, file, "security.expires ontbreekt").hint(
                "RFC 9116 vraagt een vervaldatum, liefst binnen een jaar: expires: 2027-06-30",
            ),
            "expires",
            0,
        )),
        Some(None) => diags.push(at(
            Diagnostic::error(Code::SecurityConfig, file, "security.expires is geen datum").hint(
                "schrijf JJJJ-MM-DD of een RFC 3339-tijd: 2027-06-30 of 2027-06-30T12:00:00Z",
            ),
            "expires",
            0,
        )),
        Some(Some(t)) if t <= now => diags.push(at(
            Diagnostic::error(
                Code::SecurityConfig,
                file,
                format!(
                    "security.expires ligt in het verleden ({})",
                    t.format("%Y-%m-%d")
                ),
            )
            .hint("een verlopen security.txt telt niet meer: zet een datum binnen een jaar"),
            "expires",
            0,
        )),
        Some(Some(t)) if t > now + chrono::Duration::days(366) => diags.push(at(
            Diagnostic::warning(
                Code::SecurityConfig,
                file,
                "security.expires ligt meer dan een jaar vooruit",
            )
            .hint("RFC 9116 raadt minder dan een jaar aan, zodat de gegevens bijgehouden worden"),
            "expires",
            0,
        )),
        Some(Some(_)) => {}
    }
    for (key, value) in [
        ("policy", &sec.policy),
        ("encryption", &sec.encryption),
        ("acknowledgments", &sec.acknowledgments),
        ("hiring", &sec.hiring),
    ] {
        if let Some(v) = value {
            let ok = !v.chars().any(char::is_control)
                && check_url(v, UrlUse::Link).is_ok()
                && (v.trim().to_ascii_lowercase().starts_with("https://")
                    || (key == "encryption"
                        && ["dns:", "openpgp4fpr:"]
                            .iter()
                            .any(|p| v.trim().to_ascii_lowercase().starts_with(p))));
            if !ok {
                diags.push(at(
                    Diagnostic::error(
                        Code::SecurityConfig,
                        file,
                        format!("security.{key}: '{}' is geen https://-adres", shown(v)),
                    )
                    .hint("RFC 9116: een webadres in security.txt begint met https://"),
                    key,
                    0,
                ));
            }
        }
    }
    if let Some(l) = &sec.preferred_languages {
        if l.chars().any(char::is_control) {
            diags.push(at(
                Diagnostic::error(
                    Code::SecurityConfig,
                    file,
                    "security.preferred_languages bevat een regeleinde",
                )
                .hint("bijvoorbeeld: preferred_languages: nl, en"),
                "preferred_languages",
                0,
            ));
        }
    }
    if base_path != "/" {
        diags.push(at(
            Diagnostic::warning(Code::SecurityConfig,
                file,
                format!("security.txt komt onder {base_path}.well-known/, maar hoort op /.well-known/ van het domein"),
            )
            .hint("kopieer het bestand naar de hoofdmap van de webserver, of laat de webserver ernaar verwijzen"),
            "contact",
            0,
        ));
    }
    diags
}

/// `2027-06-30` (the end of that day, UTC) or an RFC 3339 date-time.
pub(crate) fn parse_expires(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(23, 59, 59)?.and_utc())
}

/// The text of `/.well-known/security.txt` (RFC 9116), or `None` when no
/// contact is configured. `canonical` is its own URL when the site's
/// address is known.
pub(crate) fn security_txt(
    sec: &SecurityConfig,
    language: &str,
    canonical: Option<&str>,
) -> Option<String> {
    if sec.contact.is_empty() {
        return None;
    }
    let expires = parse_expires(sec.expires.as_deref()?)?;
    let mut s =
        String::from("# Meld kwetsbaarheden in deze site bij het contact hieronder (RFC 9116).\n");
    for c in &sec.contact {
        s.push_str(&format!("Contact: {}\n", c.trim()));
    }
    s.push_str(&format!(
        "Expires: {}\n",
        expires.format("%Y-%m-%dT%H:%M:%SZ")
    ));
    for (field, value) in [
        ("Encryption", &sec.encryption),
        ("Acknowledgments", &sec.acknowledgments),
        ("Policy", &sec.policy),
        ("Hiring", &sec.hiring),
    ] {
        if let Some(v) = value {
            s.push_str(&format!("{field}: {}\n", v.trim()));
        }
    }
    let languages = sec.preferred_languages.as_deref().unwrap_or(language);
    s.push_str(&format!("Preferred-Languages: {}\n", languages.trim()));
    if let Some(c) = canonical {
        s.push_str(&format!("Canonical: {c}\n"));
    }
    Some(s)
}

// ---------------------------------------------------------------------------
// Every page

/// The finishing touches on one rendered HTML page: the CSP `<meta>`
/// (right after `<head>`, before anything it governs) and
/// `rel="noopener noreferrer"` on links that open a new window.
pub(crate) fn harden_page(html: &mut Vec<u8>, csp_meta: Option<&str>) {
    if let Some(policy) = csp_meta {
        if let Some(at) = after_head_tag(html) {
            let meta = format!(
                "\n<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
                crate::markdown::escape(policy)
            );
            html.splice(at..at, meta.into_bytes());
        }
    }
    if contains_target(html) {
        if let Some(fixed) = add_noopener(html) {
            *html = fixed;
        }
    }
}

/// Whether `hay` contains `target` in any case. Every page is scanned, so
/// this lower-cases a block at a time and searches it with memchr's
/// vectorised `memmem` (through aho-corasick, which uses it for one
/// pattern); comparing every 6-byte window was 10% of a default-theme
/// build's instructions.
fn contains_target(hay: &[u8]) -> bool {
    const NEEDLE: &[u8] = b"target";
    static FINDER: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::OnceLock::new();
    let Some(finder) = FINDER.get_or_init(|| aho_corasick::AhoCorasick::new([NEEDLE]).ok()) else {
        return hay.windows(6).any(|w| w.eq_ignore_ascii_case(NEEDLE));
    };
    // `b | 0x20` turns exactly `T` and `t` into `t` (and so for every
    // letter), so the lowered block holds "target" iff `hay` holds it in
    // some case. Blocks overlap by one byte less than the needle.
    let mut block = [0u8; 8192];
    let mut start = 0;
    loop {
        let end = (start + block.len()).min(hay.len());
        let lowered = &mut block[..end - start];
        for (d, s) in lowered.iter_mut().zip(&hay[start..end]) {
            *d = s | 0x20;
        }
        if finder.is_match(&*lowered) {
            return true;
        }
        if end == hay.len() {
            return false;
        }
        start = end - (NEEDLE.len() - 1);
    }
}

/// Offset just after the `<head …>` start tag.
fn after_head_tag(html: &[u8]) -> Option<usize> {
    let start = html
        .windows(5)
        .position(|w| w.eq_ignore_ascii_case(b"<head"))?;
    let next = *html.get(start + 5)?;
    if !(next == b'>' || next.is_ascii_whitespace()) {
        return None;
    }
    let end = html[start..].iter().position(|&b| b == b'>')?;
    Some(start + end + 1)
}

/// Adds `noopener noreferrer` to every `<a>` (or `<area>`, `<form>`) whose
/// `target` opens another window. `None` when nothing needed it.
fn add_noopener(html: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(html).ok()?;
    let mut out = String::with_capacity(text.len() + 64);
    let mut changed = false;
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(tag) = start_tag(rest) else {
            out.push('<');
            rest = &rest[1..];
            continue;
        };
        let raw = &rest[..tag.len];
        rest = &rest[tag.len..];
        let opens_window = matches!(tag.name.as_str(), "a" | "area" | "form")
            && tag.attrs.iter().any(|(n, v)| {
                n == "target"
                    && !matches!(
                        v.as_deref().map(str::to_ascii_lowercase).as_deref(),
                        Some("_self" | "_parent" | "_top" | "")
                    )
            });
        let rel = tag.attrs.iter().find(|(n, _)| n == "rel");
        let has = |w: &str| {
            rel.and_then(|(_, v)| v.as_deref()).is_some_and(|v| {
                v.split_ascii_whitespace()
                    .any(|x| x.eq_ignore_ascii_case(w))
            })
        };
        if !opens_window || (has("noopener") && has("noreferrer")) {
            out.push_str(raw);
            continue;
        }
        changed = true;
        // Rewrite the tag from its parts, `rel` completed; values quoted.
        out.push('<');
        out.push_str(&raw[1..1 + tag.name.len()]);
        let mut words: Vec<String> = rel
            .and_then(|(_, v)| v.clone())
            .map(|v| v.split_ascii_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        for w in ["noopener", "noreferrer"] {
            if !words.iter().any(|x| x.eq_ignore_ascii_case(w)) {
                words.push(w.to_string());
            }
        }
        for (n, v) in &tag.attrs {
            if n == "rel" {
                continue;
            }
            out.push(' ');
            out.push_str(n);
            if let Some(v) = v {
                out.push_str("=\"");
                out.push_str(&v.replace('"', "&quot;"));
                out.push('"');
            }
        }
        out.push_str(&format!(" rel=\"{}\"", words.join(" ")));
        out.push_str(if tag.self_closing { " />" } else { ">" });
    }
    out.push_str(rest);
    changed.then(|| out.into_bytes())
}

struct StartTag {
    name: String,
    /// Names lower-cased; values as written (entities left alone).
    attrs: Vec<(String, Option<String>)>,
    self_closing: bool,
    len: usize,
}

/// Reads a start tag at the start of `s` (which begins with `<`), the way
/// the HTML tokenizer does for well-formed output: our templates' output,
/// not arbitrary input (that went through [`sanitize`] already).
fn start_tag(s: &str) -> Option<StartTag> {
    let b = s.as_bytes();
    let mut i = 1;
    while i < b.len() && b[i].is_ascii_alphanumeric() {
        i += 1;
    }
    if i == 1 {
        return None;
    }
    let name = s[1..i].to_ascii_lowercase();
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        match b.get(i)? {
            b'>' => {
                return Some(StartTag {
                    name,
                    attrs,
                    self_closing: false,
                    len: i + 1,
                })
            }
            b'/' if b.get(i + 1) == Some(&b'>') => {
                return Some(StartTag {
                    name,
                    attrs,
                    self_closing: true,
                    len: i + 2,
                })
            }
            b'/' => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let n0 = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let attr = s[n0..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let value = if b.get(i) == Some(&b'=') {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            match b.get(i)? {
                q @ (b'"' | b'\'') => {
                    let end = s[i + 1..].find(*q as char)? + i + 1;
                    let v = s[i + 1..end].to_string();
                    i = end + 1;
                    Some(v)
                }
                _ => {
                    let v0 = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                        i += 1;
                    }
                    Some(s[v0..i].to_string())
                }
            }
        } else {
            None
        };
        attrs.push((attr, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> bool {
        check_url(url, UrlUse::Link).is_err()
    }

    #[test]
    fn obfuscated_script_schemes_are_refused() {
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "\u{1}javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "java&#x09;script:alert(1)",
            "java&#9;script:alert(1)",
            "&#106;avascript:alert(1)",
            "&#x6A;avascript:alert(1)",
            "&#0000106&#0000097vascript:alert(1)",
            "javascript&colon;alert(1)",
            "java&Tab;script:alert(1)",
            "&amp;#106;avascript:alert(1)",
            "%6Aavascript:alert(1)",
            "java%0ascript:alert(1)",
            "%2526%2523106;avascript:x",
            "vbscript:msgbox(1)",
            "VBScript:x",
            "file:///etc/passwd",
            "FILE://server/share",
            "data:text/html,<script>alert(1)</script>",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            "  DaTa:image/png;base64,AAAA",
        ] {
            assert!(refused(url), "{url:?} passed");
        }
    }

    #[test]
    fn ordinary_urls_pass() {
        for url in [
            "https://example.org/pad?q=javascript:x",
            "http://example.org",
            "mailto:info@example.nl",
            "tel:+31201234567",
            "/pilots/",
            "../conclusies/taal.md",
            "@/pilots/a.md#kop",
            "#javascript:",
            "plaatje.png",
            "?javascript:alert(1)",
            "pad/javascript:alert(1)",
            "",
        ] {
            assert!(!refused(url), "{url:?} refused");
        }
    }

    #[test]
    fn data_images_only_as_base64_raster_images() {
        for ok in [
            "data:image/png;base64,iVBORw0KGgo=",
            "data:image/gif;base64,R0lGOD",
            "DATA:image/jpeg;base64,/9j/",
            "data:image/webp;base64,UklGR",
        ] {
            assert_eq!(check_url(ok, UrlUse::Image), Ok(()), "{ok}");
            assert!(check_url(ok, UrlUse::Link).is_err(), "{ok} as a link");
        }
        for bad in [
            "data:image/svg+xml;base64,PHN2Zz4=",
            "data:image/svg+xml,<svg onload=alert(1)>",
            "data:image/png,rauw",
            "data:text/html;base64,PHNjcmlwdD4=",
            "data:image/pngx;base64,AAAA",
        ] {
            let r = check_url(bad, UrlUse::Image).unwrap_err();
            assert_eq!(r.kind, RefusalKind::DataImage, "{bad}");
        }
    }

    proptest::proptest! {
        /// Whatever is spliced between the letters of `javascript:`
        /// (whitespace, controls, entity or percent forms of them), it is refused.
        #[test]
        fn noise_inside_the_scheme_never_helps(
            noise in proptest::collection::vec(
                proptest::sample::select(vec!["", " ", "\t", "\n", "\r", "\u{0}", "\u{1f}", "&#9;", "&#x0A;", "&Tab;", "&NewLine;", "%09", "%0d", "%00", "&#x7f;"]),
                12,
            ),
            upper in proptest::collection::vec(proptest::bool::ANY, 10),
        ) {
            let mut url = String::from(noise[0]);
            for (i, c) in "javascript".chars().enumerate() {
                url.push(if upper[i] { c.to_ascii_uppercase() } else { c });
                url.push_str(noise[i + 1]);
            }
            url.push(':');
            url.push_str(noise[11]);
            url.push_str("alert(1)");
            proptest::prop_assert!(refused(&url), "{:?} passed", url);
        }

        #[test]
        fn check_url_never_panics(url in "\\PC*") {
            let _ = check_url(&url, UrlUse::Link);
            let _ = check_url(&url, UrlUse::Image);
        }
    }

    #[test]
    fn raw_html_levels_read_booleans_and_sanitized() {
        let read = |y: &str| crate::yaml::from_str::<RawHtml>(y);
        assert_eq!(read("false").unwrap(), RawHtml::Escape);
        assert_eq!(read("true").unwrap(), RawHtml::Trust);
        assert_eq!(read("sanitized").unwrap(), RawHtml::Sanitize);
        let e = read("ja").unwrap_err().to_string();
        assert!(e.contains("false, sanitized of true"), "{e}");
        assert_eq!(
            crate::yaml::to_string(&RawHtml::Sanitize).unwrap().trim(),
            "sanitized"
        );
    }

    #[test]
    fn scan_names_dropped_elements_attributes_and_urls_by_line() {
        let f = scan("<details>\n<summary onclick=\"x()\">Meer</summary>\n<script>\n<b>nee</b>\n</script>\n<img\n src=\"javascript:alert(1)\">\n");
        assert_eq!(
            f[0],
            Finding::Attribute {
                line: 2,
                tag: "summary".into(),
                attr: "onclick".into()
            }
        );
        assert_eq!(
            f[1],
            Finding::Element {
                line: 3,
                tag: "script".into()
            }
        );
        // <b> inside the script is script text, not an element.
        assert!(
            matches!(&f[2], Finding::Url { line: 7, attr, .. } if attr == "src"),
            "{f:?}"
        );
        assert_eq!(f.len(), 3);
    }

    #[test]
    fn sanitize_keeps_the_allow_list_and_drops_the_rest() {
        let out = sanitize(
            "<details id=\"d\" class=\"x\"><summary>Meer</summary><p style=\"color:red\" onclick=\"a()\">t<sup>2</sup></p></details><script>alert(1)</script><iframe srcdoc=\"<script>\"></iframe><a href=\"javascript:alert(1)\">a</a><img src=\"data:image/png;base64,AA\" alt=\"p\"><a href=\"data:text/html,x\">d</a><blockquote cite=\"javascript:x\">c</blockquote>",
        );
        assert_eq!(
            out,
            "<details id=\"d\" class=\"x\"><summary>Meer</summary><p>t<sup>2</sup></p></details><a>a</a><img src=\"data:image/png;base64,AA\" alt=\"p\"><a>d</a><blockquote>c</blockquote>"
        );
    }

    #[test]
    fn comments_are_stripped_whole() {
        assert_eq!(strip_comments("a<!-- x -->b<!---->c<!-->d"), "abcd");
        assert_eq!(strip_comments("a<!-- open"), "a");
        assert_eq!(strip_comments("<!--\nregel\n-->\nna"), "\nna");
    }

    #[test]
    fn csp_meta_goes_after_head_and_drops_frame_ancestors() {
        let mut html =
            b"<!doctype html><html><HEAD lang=x><meta charset=utf-8></head></html>".to_vec();
        let policy = Csp::Strict.meta_policy();
        harden_page(&mut html, policy.as_deref());
        let s = String::from_utf8(html).unwrap();
        assert!(s.contains("<HEAD lang=x>\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;self&#39;;"), "{s}");
        assert!(!s.contains("frame-ancestors"));
        assert_eq!(Csp::Off.meta_policy(), None);
        // <header> is not <head>.
        let mut h = b"<header>x</header>".to_vec();
        harden_page(&mut h, Some("default-src 'self'"));
        assert_eq!(h, b"<header>x</header>");
    }

    #[test]
    fn target_is_found_in_any_case_and_across_blocks() {
        assert!(contains_target(b"<a TaRgEt=\"_blank\">"));
        assert!(!contains_target(b"<a href=\"/targe\">tar get</a>"));
        assert!(!contains_target(b""));
        // Straddling the 8 KiB block boundary, and at the very end.
        for at in [8189, 8190, 8192, 16380] {
            let mut hay = vec![b'x'; at];
            hay.extend_from_slice(b"TARGET");
            hay.extend(vec![b'y'; 3]);
            assert!(contains_target(&hay), "at {at}");
            hay.truncate(at + 5);
            assert!(!contains_target(&hay), "cut at {at}");
        }
    }

    #[test]
    fn new_window_links_get_noopener() {
        let fix = |s: &str| {
            let mut v = s.as_bytes().to_vec();
            harden_page(&mut v, None);
            String::from_utf8(v).unwrap()
        };
        assert_eq!(
            fix("<p><a href=\"https://x.nl\" target=\"_blank\">x</a></p>"),
            "<p><a href=\"https://x.nl\" target=\"_blank\" rel=\"noopener noreferrer\">x</a></p>"
        );
        assert_eq!(
            fix("<a target=nieuw rel=\"external\" href='/a'>x</a>"),
            "<a target=\"nieuw\" href=\"/a\" rel=\"external noopener noreferrer\">x</a>"
        );
        let kept = "<a href=\"/a\" target=\"_self\">x</a><a target=\"_blank\" rel=\"noreferrer noopener\">y</a><p>target</p>";
        assert_eq!(fix(kept), kept);
    }

    #[test]
    fn security_txt_has_the_required_fields_and_checks_them() {
        let now = chrono::Utc::now();
        let next = (now + chrono::Duration::days(100))
            .format("%Y-%m-%d")
            .to_string();
        let sec = SecurityConfig {
            contact: vec![
                "mailto:security@example.nl".into(),
                "https://example.nl/melden".into(),
            ],
            expires: Some(next.clone()),
            policy: Some("https://example.nl/beleid".into()),
            ..Default::default()
        };
        let none = |_: &[&str], _: usize| None;
        assert!(check_security(&sec, "/", Path::new("k.yaml"), &none, now).is_empty());
        let txt = security_txt(
            &sec,
            "nl",
            Some("https://example.nl/.well-known/security.txt"),
        )
        .unwrap();
        assert!(
            txt.contains(
                "Contact: mailto:security@example.nl\nContact: https://example.nl/melden\n"
            ),
            "{txt}"
        );
        assert!(
            txt.contains(&format!("Expires: {next}T23:59:59Z\n")),
            "{txt}"
        );
        assert!(txt.contains("Policy: https://example.nl/beleid\nPreferred-Languages: nl\nCanonical: https://example.nl/.well-known/security.txt\n"), "{txt}");

        let bad = SecurityConfig {
            contact: vec!["security@example.nl".into(), "javascript:alert(1)".into()],
            expires: Some("2020-01-01".into()),
            policy: Some("http://example.nl".into()),
            ..Default::default()
        };
        let at = |path: &[&str], i: usize| Some((10 + path.len() * 10 + i, 3));
        let d = check_security(&bad, "/", Path::new("k.yaml"), &at, now);
        let msgs: Vec<String> = d
            .iter()
            .map(|d| format!("{}: {}", d.location.as_ref().expect("in k.yaml"), d.message))
            .collect();
        assert_eq!(d.len(), 4, "{msgs:?}");
        assert!(
            msgs[0].starts_with("k.yaml:30:3: security.contact: 'security@example.nl'"),
            "{msgs:?}"
        );
        assert_eq!(
            d[0].hint.as_deref(),
            Some("schrijf contact: mailto:security@example.nl")
        );
        assert!(msgs[1].starts_with("k.yaml:31:3:"), "{msgs:?}");
        assert!(msgs[2].contains("verleden"), "{msgs:?}");
        assert!(msgs[3].contains("security.policy"), "{msgs:?}");
    }
}
