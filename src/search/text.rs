//! The text of one page as Pagefind's browser code reads it: `content` is
//! the words of the title, the description and the rendered body, joined by
//! single spaces, and a word's position is its index in `content` split on
//! whitespace (`build_excerpt` in pagefind.js). Each word carries a weight
//! ([`BODY`] is 1.0) and headings with an id become anchors at
//! the position of their first word, for sub-results.
//!
//! The body is HTML we rendered ourselves (pulldown-cmark and the sanitiser),
//! so a small scanner is enough: no tree, one pass. Like Pagefind it drops
//! `script`, `style`, `svg`, `form`, `nav`, `footer`, ... and anything marked
//! `data-pagefind-ignore`, and ends block elements with a full stop so
//! excerpts read as sentences.

use std::borrow::Cow;

/// Weight 1.0: 25, the weight at which Pagefind's decoder starts each
/// page's locations (its packer's 1.0), so body words need no weight
/// marker. Pagefind's own HTML reader weighs them 24 (`data-pagefind-weight`
/// × 24) and so writes a marker on every page of every word.
pub(crate) const BODY: u8 = 25;
/// The title: the highest weight `data-pagefind-weight` allows (10).
pub(crate) const TITLE: u8 = 10 * BODY;

/// One heading with an id: a sub-result's target.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct Anchor {
    pub element: String,
    pub id: String,
    pub text: String,
    /// Position of the heading's first word.
    pub location: u32,
}

/// A page's words: `content` and, per word (in order), its weight.
#[derive(Debug, Default)]
pub(crate) struct Text {
    pub content: String,
    /// Per word of `content`: its byte range and weight.
    pub words: Vec<(usize, usize, u8)>,
    pub anchors: Vec<Anchor>,
}

impl Text {
    pub(crate) fn word(&self, i: usize) -> &str {
        let (s, e, _) = self.words[i];
        &self.content[s..e]
    }
}

/// Whitespace as pagefind.js splits on (`/[^\S\uFEFF]+/`): Unicode spaces
/// except U+0085, which JavaScript does not count as space.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() && c != '\u{85}'
}

/// Collects text with weights, then cuts it into words.
struct Builder {
    raw: String,
    /// (byte offset in `raw`, weight from there on).
    weights: Vec<(usize, u8)>,
    /// (byte offset in `raw`, element, id, text).
    anchors: Vec<(usize, String, String, String)>,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            raw: String::new(),
            weights: vec![(0, BODY)],
            anchors: Vec::new(),
        }
    }

    fn weight(&mut self, w: u8) {
        let at = self.raw.len();
        match self.weights.last_mut() {
            Some(last) if last.0 == at => last.1 = w,
            _ => self.weights.push((at, w)),
        }
    }

    fn current_weight(&self) -> u8 {
        self.weights.last().map_or(BODY, |w| w.1)
    }

    fn text(&mut self, s: &str) {
        // A zero-width space would make pagefind.js split on it instead.
        if s.contains('\u{200B}') {
            self.raw.push_str(&s.replace('\u{200B}', ""));
        } else {
            self.raw.push_str(s);
        }
    }

    fn space(&mut self) {
        self.raw.push(' ');
    }

    /// Ends a block: a full stop after a word, as Pagefind does.
    fn end_block(&mut self) {
        if let Some(c) = self.raw.trim_end_matches(is_space).chars().last() {
            if c.is_alphanumeric() || "_'\")$*".contains(c) {
                let end = self.raw.trim_end_matches(is_space).len();
                self.raw.truncate(end);
                self.raw.push('.');
            }
        }
        self.raw.push(' ');
    }

    fn finish(self) -> Text {
        let mut out = Text {
            content: String::with_capacity(self.raw.len()),
            ..Default::default()
        };
        let mut weights = self.weights.iter().peekable();
        let mut weight = BODY;
        let mut anchors = self.anchors.into_iter().peekable();
        let mut at = 0;
        let raw = &self.raw;
        while at < raw.len() {
            let rest = &raw[at..];
            let Some(skip) = rest.find(|c: char| !is_space(c)) else {
                break;
            };
            let start = at + skip;
            let end = raw[start..].find(is_space).map_or(raw.len(), |n| start + n);
            while let Some(&&(off, w)) = weights.peek() {
                if off > start {
                    break;
                }
                weight = w;
                weights.next();
            }
            let location = out.words.len() as u32;
            while let Some(a) = anchors.peek() {
                if a.0 > start {
                    break;
                }
                let (_, element, id, text) = anchors.next().expect("peeked");
                out.anchors.push(Anchor {
                    element,
                    id,
                    text,
                    location,
                });
            }
            if !out.content.is_empty() {
                out.content.push(' ');
            }
            let s = out.content.len();
            out.content.push_str(&raw[start..end]);
            out.words.push((s, out.content.len(), weight));
            at = end;
        }
        out
    }
}

/// Elements whose content is never indexed (Pagefind's list).
const REMOVED: &[&str] = &[
    "head", "style", "script", "noscript", "label", "form", "svg", "footer", "nav", "iframe",
    "template",
];
/// Elements that separate words and end a sentence.
const BLOCKS: &[&str] = &[
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "td",
    "th",
    "div",
    "ul",
    "ol",
    "li",
    "dt",
    "dd",
    "article",
    "section",
    "blockquote",
    "pre",
    "figcaption",
    "caption",
    "tr",
    "table",
    "aside",
    "details",
    "summary",
];
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

fn heading_weight(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(7 * BODY),
        "h2" => Some(6 * BODY),
        "h3" => Some(5 * BODY),
        "h4" => Some(4 * BODY),
        "h5" => Some(3 * BODY),
        "h6" => Some(2 * BODY),
        _ => None,
    }
}

struct Open {
    name: String,
    /// Content is dropped inside.
    skip: bool,
    /// Weight to return to at the end tag.
    restore: Option<u8>,
    /// A heading with an id: (offset where its text starts, id).
    anchor: Option<(usize, String)>,
}

/// The text of a page: its title (weight 10), description and body HTML.
pub(crate) fn page_text(title: &str, description: Option<&str>, body_html: &str) -> Text {
    let mut b = Builder::new();
    b.weight(TITLE);
    b.text(title);
    b.end_block();
    b.weight(BODY);
    if let Some(d) = description {
        b.text(d);
        b.end_block();
    }
    html(&mut b, body_html);
    b.finish()
}

fn html(b: &mut Builder, html: &str) {
    let bytes = html.as_bytes();
    let mut stack: Vec<Open> = Vec::new();
    let mut skipping = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let Some(lt) = memchr(b'<', &bytes[i..]) else {
            if skipping == 0 {
                b.text(&decode(&html[i..]));
            }
            break;
        };
        if lt > 0 && skipping == 0 {
            b.text(&decode(&html[i..i + lt]));
        }
        i += lt;
        let rest = &html[i..];
        if rest.starts_with("<!--") {
            i += rest.find("-->").map_or(rest.len(), |n| n + 3);
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            i += rest.find('>').map_or(rest.len(), |n| n + 1);
            continue;
        }
        let Some((tag, len)) = parse_tag(rest) else {
            // A lone `<` is text.
            if skipping == 0 {
                b.text("<");
            }
            i += 1;
            continue;
        };
        i += len;
        if tag.closing {
            let Some(pos) = stack.iter().rposition(|o| o.name == tag.name) else {
                continue;
            };
            while stack.len() > pos {
                let open = stack.pop().expect("non-empty");
                close(b, &open, skipping);
                if open.skip {
                    skipping -= 1;
                }
            }
            continue;
        }
        let name = tag.name;
        if name == "br" || name == "hr" {
            b.space();
            continue;
        }
        if VOID.contains(&name.as_str()) {
            continue;
        }
        let skip = REMOVED.contains(&name.as_str()) || tag.ignore;
        if matches!(name.as_str(), "script" | "style" | "textarea") && !tag.self_closing {
            // Raw text: jump to the end tag.
            let end = format!("</{name}");
            let rest = &html[i..];
            let n = find_ascii_ci(rest, &end).unwrap_or(rest.len());
            i += n;
            if n < rest.len() {
                i += html[i..].find('>').map_or(html.len() - i, |m| m + 1);
            }
            if !skip && skipping == 0 {
                b.text(&decode(&rest[..n]));
            }
            continue;
        }
        if tag.self_closing {
            continue;
        }
        let mut open = Open {
            name,
            skip,
            restore: None,
            anchor: None,
        };
        if skip {
            skipping += 1;
        } else if skipping == 0 {
            if BLOCKS.contains(&open.name.as_str()) {
                b.space();
            }
            if let Some(w) = heading_weight(&open.name) {
                // Inside an explicitly weighted block (the title) a heading
                // keeps that weight, as in Pagefind.
                open.restore = Some(b.current_weight());
                if b.current_weight() == BODY {
                    b.weight(w);
                }
                if let Some(id) = tag.id {
                    open.anchor = Some((b.raw.len(), id));
                }
            }
        }
        stack.push(open);
    }
    while let Some(open) = stack.pop() {
        close(b, &open, skipping);
        if open.skip {
            skipping -= 1;
        }
    }
}

fn close(b: &mut Builder, open: &Open, skipping: usize) {
    if skipping > 0 {
        return;
    }
    if let Some((start, id)) = &open.anchor {
        let text = b.raw[*start..]
            .split(is_space)
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        b.anchors
            .push((*start, open.name.clone(), id.clone(), text));
    }
    if BLOCKS.contains(&open.name.as_str()) {
        b.end_block();
    }
    if let Some(w) = open.restore {
        b.weight(w);
    }
}

struct Tag {
    name: String,
    closing: bool,
    self_closing: bool,
    id: Option<String>,
    ignore: bool,
}

/// Parses the tag at the start of `s` (which starts with `<`): the tag and
/// its length in bytes. `None` when it is not a tag.
fn parse_tag(s: &str) -> Option<(Tag, usize)> {
    let bytes = s.as_bytes();
    let mut i = 1;
    let closing = bytes.get(1) == Some(&b'/');
    if closing {
        i += 1;
    }
    let start = i;
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-') {
        i += 1;
    }
    if i == start || !bytes[start].is_ascii_alphabetic() {
        return None;
    }
    let name = s[start..i].to_ascii_lowercase();
    let mut tag = Tag {
        name,
        closing,
        self_closing: false,
        id: None,
        ignore: false,
    };
    // Attributes.
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i) {
            None => return Some((tag, bytes.len())),
            Some(b'>') => return Some((tag, i + 1)),
            Some(b'/') => {
                if bytes.get(i + 1) == Some(&b'>') {
                    tag.self_closing = true;
                    return Some((tag, i + 2));
                }
                i += 1;
                continue;
            }
            _ => {}
        }
        let a = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !b"=>/".contains(&bytes[i]) {
            i += 1;
        }
        let attr = s[a..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = None;
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            match bytes.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let v = i + 1;
                    let end = memchr(q, &bytes[v..]).map_or(bytes.len(), |n| v + n);
                    value = Some(&s[v..end]);
                    i = (end + 1).min(bytes.len());
                }
                _ => {
                    let v = i;
                    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                        i += 1;
                    }
                    value = Some(&s[v..i]);
                }
            }
        }
        if attr.is_empty() {
            i += 1;
            continue;
        }
        match attr.as_str() {
            "id" => tag.id = value.map(|v| decode(v).into_owned()),
            "data-pagefind-ignore" => tag.ignore = true,
            _ => {}
        }
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.len();
    hay.as_bytes()
        .windows(n)
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

fn decode(s: &str) -> Cow<'_, str> {
    if s.contains('&') {
        html_escape::decode_html_entities(s)
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(t: &Text) -> Vec<(&str, u8)> {
        (0..t.words.len())
            .map(|i| (t.word(i), t.words[i].2))
            .collect()
    }

    #[test]
    fn title_description_and_body_with_weights_and_anchors() {
        let t = page_text(
            "Taal & werk",
            Some("Over taal"),
            "<h2 id=\"aan-de-slag\">Aan de <em>slag</em></h2><p>Tekst met&nbsp;<b>vet</b>gedrukt</p>\
             <script>var x = '<p>nee</p>';</script><nav>Menu</nav>\
             <div data-pagefind-ignore><p>Verborgen</p></div><ul><li>een</li><li>twee</li></ul>",
        );
        assert_eq!(
            t.content,
            "Taal & werk. Over taal. Aan de slag. Tekst met vetgedrukt. een. twee."
        );
        let w = words(&t);
        assert_eq!(w[0], ("Taal", TITLE));
        assert_eq!(w[2], ("werk.", TITLE));
        assert_eq!(w[3], ("Over", BODY));
        assert_eq!(w[5], ("Aan", 6 * BODY));
        assert_eq!(w[7], ("slag.", 6 * BODY));
        assert_eq!(w[8], ("Tekst", BODY));
        // The no-break space is a space to pagefind.js, too.
        assert_eq!(w[9], ("met", BODY));
        assert_eq!(w[10], ("vetgedrukt.", BODY));
        assert_eq!(
            t.anchors,
            vec![Anchor {
                element: "h2".into(),
                id: "aan-de-slag".into(),
                text: "Aan de slag".into(),
                location: 5
            }]
        );
        // Positions are what the browser counts.
        let js: Vec<&str> = t.content.split(is_space).collect();
        assert_eq!(js.len(), t.words.len());
    }

    #[test]
    fn unclosed_and_odd_markup_does_not_lose_text() {
        let t = page_text("T", None, "<p>a < b <p>c<br>d<img alt=x>e");
        // An image is inline: the words around it join, as in Pagefind.
        assert_eq!(t.content, "T. a < b c de.");
    }
}
