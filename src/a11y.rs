//! Accessibility lint of a Markdown body, fed the parser's own events by
//! `markdown::render` (one parser decides what is a heading, a link or a
//! table). Warnings carry the file line; `--strict` turns them into errors.
//!
//! What it can tell honestly, and what not, is in `docs/toegankelijkheid.md`:
//! language changes are guessed from English function words only, and raw
//! HTML is read tag by tag, not as a document.

use std::ops::Range;
use std::path::Path;

use pulldown_cmark::{Event, LinkType, Tag, TagEnd};

use crate::error::Diagnostic;

/// Link texts that say nothing out of context (WCAG 2.4.4).
const VAGUE: &[&str] = &[
    "klik hier",
    "hier",
    "lees meer",
    "lees verder",
    "meer informatie",
    "meer info",
    "meer",
    "klik",
    "link",
    "deze link",
    "deze pagina",
    "download",
    "click here",
    "here",
    "read more",
    "more",
];

/// Downloads whose link text must say type and size.
const DOCUMENTS: &[(&str, &str)] = &[
    ("pdf", "PDF"),
    ("doc", "Word"),
    ("docx", "Word"),
    ("odt", "ODT"),
    ("xls", "Excel"),
    ("xlsx", "Excel"),
    ("ods", "ODS"),
    ("ppt", "PowerPoint"),
    ("pptx", "PowerPoint"),
    ("odp", "ODP"),
    ("csv", "CSV"),
    ("zip", "ZIP"),
];

const IMAGE_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "bmp", "tif", "tiff",
];

/// Frequent English words that are rare in Dutch text. A `match` rather
/// than a list: it is asked for every word of every paragraph.
fn is_english(w: &str) -> bool {
    matches!(
        w,
        "the"
            | "and"
            | "of"
            | "to"
            | "is"
            | "are"
            | "with"
            | "for"
            | "this"
            | "that"
            | "you"
            | "your"
            | "from"
            | "not"
            | "be"
            | "it"
            | "on"
            | "at"
            | "by"
            | "which"
            | "have"
            | "has"
            | "will"
            | "can"
            | "our"
            | "we"
            | "they"
            | "their"
            | "what"
            | "how"
            | "about"
            | "or"
            | "all"
            | "more"
            | "should"
            | "would"
    )
}

/// Frequent Dutch words; a paragraph with these is Dutch with loan words.
fn is_dutch(w: &str) -> bool {
    matches!(
        w,
        "de" | "het"
            | "een"
            | "en"
            | "van"
            | "in"
            | "is"
            | "op"
            | "dat"
            | "die"
            | "voor"
            | "met"
            | "niet"
            | "zijn"
            | "ook"
            | "aan"
            | "er"
            | "als"
            | "bij"
            | "of"
            | "naar"
            | "om"
            | "wordt"
            | "worden"
            | "kan"
            | "je"
            | "u"
            | "we"
            | "ze"
    )
}

/// Lint state for one body, fed every event before `render` transforms it.
pub struct Lint<'a> {
    file: &'a Path,
    body_line: usize,
    body: &'a str,
    /// Check a language change only on a Dutch page.
    dutch: bool,
    raw_html: bool,
    out: Vec<Diagnostic>,
    last_heading: u8,
    link: Option<OpenLink>,
    image: Option<(usize, String, String)>,
    table: Option<(usize, bool)>,
    /// Text of the current paragraph, and whether raw HTML marks a language in it.
    paragraph: Option<(usize, String, bool)>,
    html_block: Option<(usize, String)>,
    in_code: bool,
    in_head: bool,
    /// Offsets of the body's line starts, made on the first warning's line
    /// lookup (counting newlines per lookup is quadratic on big pages).
    starts: std::cell::OnceCell<Vec<usize>>,
}

struct OpenLink {
    line: usize,
    dest: String,
    kind: LinkType,
    text: String,
    has_image: bool,
}

impl<'a> Lint<'a> {
    pub fn new(
        file: &'a Path,
        body: &'a str,
        body_line: usize,
        language: &str,
        raw_html: bool,
    ) -> Self {
        Lint {
            file,
            body_line,
            body,
            dutch: language == "nl" || language.starts_with("nl-"),
            raw_html,
            out: Vec::new(),
            last_heading: 1,
            link: None,
            image: None,
            table: None,
            paragraph: None,
            html_block: None,
            in_code: false,
            in_head: false,
            starts: std::cell::OnceCell::new(),
        }
    }

    fn line(&self, offset: usize) -> usize {
        let starts = self.starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.body.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        self.body_line + starts.partition_point(|&s| s <= offset) - 1
    }

    fn warn(&mut self, line: usize, message: String, hint: &str) {
        self.out.push(
            Diagnostic::warning(self.file, message)
                .at_line(Some(line))
                .hint(hint),
        );
    }

    /// Looks at one event as the parser produced it.
    pub fn event(&mut self, event: &Event, range: &Range<usize>) {
        if self.in_code {
            if matches!(event, Event::End(TagEnd::CodeBlock)) {
                self.in_code = false;
            }
            return;
        }
        let text = match event {
            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
            _ => None,
        };
        if let Some(t) = text {
            if let Some(l) = self.link.as_mut() {
                l.text.push_str(t);
            }
            if let Some((_, alt, _)) = self.image.as_mut() {
                alt.push_str(t);
            }
            if let Some((_, p, _)) = self.paragraph.as_mut() {
                p.push_str(t);
                p.push(' ');
            }
        }
        match event {
            Event::Start(Tag::CodeBlock(_)) => self.in_code = true,
            Event::Start(Tag::Heading { level, attrs, .. }) => {
                let level = *level as u8;
                if level > self.last_heading + 1 {
                    let line = self.line(range.start);
                    let from = self.last_heading;
                    self.warn(
                        line,
                        format!("kopniveau slaat over: h{from} gevolgd door h{level}"),
                        &format!(
                            "gebruik {} voor deze kop, zodat de koppen een kloppende structuur hebben",
                            "#".repeat(usize::from(from) + 1)
                        ),
                    );
                }
                self.last_heading = level;
                // `## Title {lang=en}` marks a heading's language.
                let _ = attrs;
            }
            Event::Start(Tag::Paragraph) => {
                self.paragraph = Some((self.line(range.start), String::new(), false));
            }
            Event::End(TagEnd::Paragraph) => {
                if let Some((line, text, marked)) = self.paragraph.take() {
                    if self.dutch && !marked {
                        self.check_language(line, &text);
                    }
                }
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => {
                self.link = Some(OpenLink {
                    line: self.line(range.start),
                    dest: dest_url.to_string(),
                    kind: *link_type,
                    text: String::new(),
                    has_image: false,
                });
            }
            Event::End(TagEnd::Link) => {
                if let Some(l) = self.link.take() {
                    self.check_link(l);
                }
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                if let Some(l) = self.link.as_mut() {
                    l.has_image = true;
                }
                self.image = Some((self.line(range.start), String::new(), dest_url.to_string()));
            }
            Event::End(TagEnd::Image) => {
                if let Some((line, alt, dest)) = self.image.take() {
                    self.check_alt(line, &alt, &dest);
                }
            }
            Event::Start(Tag::Table(_)) => self.table = Some((self.line(range.start), false)),
            Event::Start(Tag::TableHead) => {}
            Event::End(TagEnd::Table) => {
                if let Some((line, has_header)) = self.table.take() {
                    if !has_header {
                        self.warn(
                            line,
                            "tabel zonder kopregel: alle kopcellen zijn leeg".into(),
                            "zet in de eerste rij van de tabel wat elke kolom bevat",
                        );
                    }
                }
            }
            Event::Start(Tag::HtmlBlock) => {
                self.html_block = Some((self.line(range.start), String::new()))
            }
            Event::End(TagEnd::HtmlBlock) => {
                if let Some((line, html)) = self.html_block.take() {
                    self.check_html(line, &html);
                }
            }
            Event::Html(h) => {
                if let Some((_, block)) = self.html_block.as_mut() {
                    block.push_str(h);
                }
            }
            Event::InlineHtml(h) => {
                if let Some((_, _, marked)) = self.paragraph.as_mut() {
                    *marked |= h.contains("lang=");
                }
                let line = self.line(range.start);
                self.check_html(line, h);
            }
            _ => {}
        }
        // Text inside the table head makes it a real header row.
        match event {
            Event::Start(Tag::TableHead) => self.in_head = true,
            Event::End(TagEnd::TableHead) => self.in_head = false,
            _ => {}
        }
        if let (Some(t), Some((_, has_header)), true) = (text, self.table.as_mut(), self.in_head) {
            *has_header |= !t.trim().is_empty();
        }
    }

    fn check_alt(&mut self, line: usize, alt: &str, dest: &str) {
        let alt = alt.trim();
        if alt.is_empty() {
            self.warn(
                line,
                "afbeelding zonder alt-tekst".into(),
                "beschrijf de afbeelding: ![wat erop staat](bestand.png)",
            );
            return;
        }
        let file = dest.rsplit('/').next().unwrap_or(dest);
        let file = file.split(['?', '#']).next().unwrap_or(file);
        let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
        let norm = |s: &str| s.to_lowercase().replace(['-', '_'], " ");
        let has_ext = alt
            .rsplit_once('.')
            .is_some_and(|(_, e)| IMAGE_EXTENSIONS.contains(&e.to_lowercase().as_str()));
        let camera = {
            let a = alt.to_lowercase();
            [
                "img",
                "dsc",
                "pxl",
                "image",
                "screenshot",
                "foto",
                "afbeelding",
            ]
            .iter()
            .any(|p| {
                a.strip_prefix(p).is_some_and(|r| {
                    r.trim_start_matches(['_', '-', ' '])
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '_' || c == '-')
                })
            })
        };
        if has_ext || norm(alt) == norm(stem) || norm(alt) == norm(file) || camera {
            self.warn(
                line,
                format!("alt-tekst '{alt}' is een bestandsnaam, geen beschrijving"),
                "beschrijf wat de afbeelding laat zien of waarom ze er staat",
            );
        }
    }

    fn check_link(&mut self, l: OpenLink) {
        let text = l.text.split_whitespace().collect::<Vec<_>>().join(" ");
        let bare = text.trim_end_matches('/');
        let lower = text
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        if l.kind == LinkType::Email {
            return;
        }
        if text.is_empty() && !l.has_image {
            self.warn(
                l.line,
                format!("link zonder tekst naar '{}'", l.dest),
                "zet tussen de [ ] waar de link naartoe gaat",
            );
            return;
        }
        if l.kind == LinkType::Autolink
            || bare.starts_with("http://")
            || bare.starts_with("https://")
            || bare.starts_with("www.")
        {
            self.warn(
                l.line,
                format!("kale URL als linktekst: {text}"),
                "schrijf waar de link naartoe gaat: [naam van de pagina of organisatie](URL)",
            );
        } else if VAGUE.contains(&lower.as_str()) {
            self.warn(
                l.line,
                format!("vage linktekst '{text}'"),
                "schrijf waar de link naartoe gaat, zodat de tekst ook los te begrijpen is",
            );
        }
        let path = l.dest.split(['?', '#']).next().unwrap_or("");
        let ext = path
            .rsplit_once('.')
            .map(|(_, e)| e.to_lowercase())
            .unwrap_or_default();
        if let Some((_, name)) = DOCUMENTS.iter().find(|(e, _)| *e == ext) {
            let lower = text.to_lowercase();
            let has_type = lower.contains(&ext) || lower.contains(&name.to_lowercase());
            // The size of a file on another site is not ours to know (and
            // may change); only its type is asked for there.
            let external = l.dest.starts_with("http://") || l.dest.starts_with("https://");
            let sized = external || has_size(&lower);
            if !has_type || !sized {
                self.warn(
                    l.line,
                    format!("link naar een {name}-bestand zonder {}", match (has_type, sized) {
                        (false, false) => "bestandstype en grootte",
                        (false, true) => "bestandstype",
                        _ => "grootte",
                    }),
                    &format!("zet type en grootte in de linktekst, bijvoorbeeld [Jaarverslag 2024 ({name}, 1,2 MB)]({path})"),
                );
            }
        }
    }

    /// English running text in a Dutch page without a marked language
    /// (WCAG 3.1.2). Only a paragraph of eight words or more where English
    /// function words are frequent and Dutch ones nearly absent counts.
    fn check_language(&mut self, line: usize, text: &str) {
        // Counted without a string per word: this runs on every paragraph
        // of every page (it was 15% of a 250-page build).
        let (mut words, mut en, mut nl) = (0usize, 0usize, 0usize);
        let mut lower = String::new();
        for w in text
            .split(|c: char| !c.is_alphabetic() && c != '\'')
            .filter(|w| !w.is_empty())
        {
            words += 1;
            let w = if w.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
                lower.clear();
                lower.extend(w.chars().flat_map(char::to_lowercase));
                lower.as_str()
            } else {
                w
            };
            en += usize::from(is_english(w));
            nl += usize::from(is_dutch(w));
        }
        if words < 8 {
            return;
        }
        if en * 5 >= words && nl * 10 < words {
            self.warn(
                line,
                "alinea lijkt Engels zonder dat de taal is aangegeven".into(),
                "zet Engelse tekst in <span lang=\"en\">…</span> (raw_html aan) of vertaal hem",
            );
        }
    }

    /// Raw HTML, tag by tag: colour as the only emphasis, tables without
    /// header cells, images without alt.
    fn check_html(&mut self, line: usize, html: &str) {
        if !self.raw_html {
            return;
        }
        let lower = html.to_lowercase();
        let mut table_open = false;
        let mut saw_th = false;
        for tag in tags(&lower) {
            // `br/` and `img src=… /` end in a slash; `/table` starts with one.
            let name = tag
                .split(char::is_whitespace)
                .next()
                .unwrap_or("")
                .trim_end_matches('/');
            let colour = style_has_colour(tag) || (name == "font" && tag.contains("color"));
            if colour && !matches!(name, "strong" | "em" | "b" | "mark" | "i") {
                self.warn(
                    line,
                    format!("kleur als enige nadruk: <{}>", tag.chars().take(60).collect::<String>()),
                    "wie geen kleur ziet mist de nadruk: gebruik **vet** of *cursief* (of <strong>) en eventueel kleur erbij",
                );
            }
            match name {
                "table" => {
                    table_open = true;
                    saw_th = false;
                }
                "th" => saw_th = true,
                "/table" if table_open && !saw_th => {
                    table_open = false;
                    self.warn(
                        line,
                        "HTML-tabel zonder kopcellen (<th>)".into(),
                        "maak de eerste rij van kopcellen: <th> in plaats van <td>",
                    );
                }
                "img" if !tag.contains("alt=") => self.warn(
                    line,
                    "HTML-afbeelding zonder alt-attribuut".into(),
                    "geef de <img> een alt=\"…\" die beschrijft wat erop staat",
                ),
                _ => {}
            }
        }
    }

    /// The warnings found.
    pub fn finish(self) -> Vec<Diagnostic> {
        self.out
    }
}

/// The insides of the tags of an HTML fragment (`span style="…"`, `/table`).
fn tags(html: &str) -> impl Iterator<Item = &str> {
    html.split('<')
        .skip(1)
        .filter_map(|t| t.split_once('>').map(|(inside, _)| inside.trim()))
}

/// A `style` that sets the text colour (`background-color` does not count).
fn style_has_colour(tag: &str) -> bool {
    let Some(i) = tag.find("style=") else {
        return false;
    };
    let style = &tag[i + 6..];
    style.match_indices("color").any(|(j, _)| {
        let before = style[..j].chars().last();
        !matches!(before, Some('-')) && style[j + 5..].trim_start().starts_with(':')
    })
}

/// A file size in link text: a number and a unit (`1,2 MB`, `340 kB`).
fn has_size(text: &str) -> bool {
    let t = text.replace('\u{a0}', " ");
    let unit = |w: &str| {
        matches!(
            w.trim_matches(|c: char| !c.is_alphanumeric()),
            "kb" | "mb" | "gb" | "kib" | "mib" | "bytes" | "byte"
        )
    };
    t.split_whitespace().enumerate().any(|(i, w)| {
        let w = w.trim_start_matches('(');
        let digits = w.trim_end_matches(|c: char| c.is_alphabetic() || c == ')' || c == ',');
        let num = !digits.is_empty()
            && digits
                .chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == '.');
        let glued = num && unit(&w[digits.len()..]);
        let next = t.split_whitespace().nth(i + 1).is_some_and(unit);
        num && (glued || next)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lint(md: &str, raw_html: bool) -> Vec<Diagnostic> {
        let file = Path::new("content/a.md");
        let mut l = Lint::new(file, md, 1, "nl", raw_html);
        for (e, r) in pulldown_cmark::Parser::new_ext(md, crate::markdown::parser_options())
            .into_offset_iter()
        {
            l.event(&e, &r);
        }
        l.finish()
    }

    fn messages(md: &str) -> Vec<(usize, String)> {
        lint(md, true)
            .into_iter()
            .map(|d| (d.line.unwrap_or(0), d.message))
            .collect()
    }

    /// The word counts match the first version's (a lowercased copy of
    /// every word, looked up in lists), which allocated per word.
    #[test]
    fn english_paragraph_counts_capitals_and_ignores_dutch_with_loan_words() {
        let english = "THE Intake form is ready and you should sign it with your manager today.\n";
        let m = messages(english);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].1.contains("lijkt Engels"), "{m:?}");
        assert_eq!(m[0].0, 1);
        // Eleven English function words, but "de", "het", "een", "van" make it Dutch.
        let dutch =
            "De manager is ready: het intake form van een team, the deadline and the scope.\n";
        assert!(messages(dutch).is_empty(), "{:?}", messages(dutch));
        // Fewer than eight words are never judged.
        assert!(messages("The form and the plan.\n").is_empty());
        // Non-ASCII capitals are lowercased too ("Ÿou" is not a word of the list).
        assert_eq!(
            messages("Ÿou THE and to are with for this that your.\n").len(),
            1
        );
    }

    #[test]
    fn sizes_in_link_text() {
        for t in [
            "jaarverslag (pdf, 1,2 mb)",
            "plan (word, 340 kb)",
            "(pdf 2mb)",
        ] {
            assert!(has_size(t), "{t}");
        }
        for t in ["jaarverslag (pdf)", "2024 verslag", "mb"] {
            assert!(!has_size(t), "{t}");
        }
    }

    #[test]
    fn heading_skip_is_reported_at_its_line() {
        let m = messages("## Twee\n\ntekst\n\n#### Vier\n\n### Drie\n");
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].0, 5);
        assert!(m[0].1.contains("h2 gevolgd door h4"));
    }

    #[test]
    fn vague_bare_and_good_link_texts() {
        let m = messages("Zie [klik hier](https://a.nl), [Lees meer…](@/b.md), <https://c.nl> en [https://d.nl](https://d.nl).\n\n[De regeling van het UWV](https://uwv.nl) is goed.\n");
        assert_eq!(m.len(), 4, "{m:?}");
        assert!(m.iter().all(|(l, _)| *l == 1));
    }

    #[test]
    fn document_links_need_type_and_size() {
        let m = messages("[Jaarverslag](verslag.pdf), [Plan (PDF)](plan.pdf) en [Begroting (Excel, 40 kB)](b.xlsx).\n");
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m[0].1.contains("bestandstype en grootte"));
        assert!(m[1].1.ends_with("zonder grootte"));
        // Another site's file: its type is asked for, not its size.
        let m = messages(
            "[Rapport](https://example.org/r.pdf) en [Rapport (PDF)](https://example.org/r.pdf).\n",
        );
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].1.ends_with("zonder bestandstype"), "{m:?}");
    }

    #[test]
    fn html_table_without_header_cells() {
        let m = messages(
            "<table>\n<tr><td>a</td></tr>\n</table>\n\n<table><tr><th>Kop</th></tr></table>\n",
        );
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].1.contains("zonder kopcellen"));
        assert_eq!(m[0].0, 1);
    }

    #[test]
    fn colour_only_emphasis_in_raw_html() {
        let m = messages("Let op: <span style=\"color: red\">belangrijk</span> en <strong style=\"color:red\">ook</strong> en <span style=\"background-color: #eee\">grijs</span>.\n");
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].1.contains("kleur als enige nadruk"));
        assert!(lint("<span style=\"color: red\">x</span>\n", false).is_empty());
    }
}
