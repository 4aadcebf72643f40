//! Writing hints at language level B1, for editors only: `kennisbank check`
//! prints them and `serve` shows them in a panel; the published site never
//! contains them. Sentences come from the Markdown parser's events (text of
//! paragraphs, list items and quotes; no headings, code or tables).
//!
//! The measures and thresholds are explained in `docs/schrijven.md`. The
//! readability score is Flesch-Douma (W.H. Douma, 1960):
//! `206,84 − 0,77 × lettergrepen per 100 woorden − 0,93 × woorden per zin`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

/// A sentence longer than this is hard to follow at B1.
pub(crate) const MAX_SENTENCE_WORDS: usize = 20;
/// The average sentence length a page should stay at or under.
pub(crate) const MAX_AVERAGE_WORDS: f64 = 15.0;
/// Words longer than this (in letters) are hard to read at B1.
pub(crate) const MAX_WORD_LETTERS: usize = 15;
/// Flesch-Douma score a page should reach (60-70: "normaal").
pub(crate) const MIN_DOUMA: f64 = 60.0;
/// Pages with fewer sentences get hints but no verdict on the averages.
pub(crate) const MIN_SENTENCES: usize = 5;

/// `schrijven:` in kennisbank.yaml.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WritingConfig {
    /// Glossary pages (paths under content/). Their headings are terms a
    /// reader can look up, so long words among them are not flagged.
    /// Default: `begrippen.md` when it exists.
    #[serde(default)]
    pub begrippenlijst: Vec<String>,
}

impl WritingConfig {
    pub(crate) fn glossary_files(&self) -> Vec<String> {
        if self.begrippenlijst.is_empty() {
            vec!["begrippen.md".into()]
        } else {
            self.begrippenlijst.clone()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HintKind {
    LongSentence,
    LongWord,
    Passive,
}

/// One hint: line in the file and the sentence it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hint {
    pub kind: HintKind,
    pub line: usize,
    pub sentence: String,
    /// What exactly: the long word, the passive words, the word count.
    pub detail: String,
}

/// The measures of one page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageReport {
    pub file: PathBuf,
    pub sentences: usize,
    pub words: usize,
    pub average_words: f64,
    pub douma: f64,
    pub hints: Vec<Hint>,
}

impl PageReport {
    /// The page meets the average and score thresholds.
    /// Pages of fewer than [`MIN_SENTENCES`] sentences are not judged: the
    /// averages of a few sentences say little.
    pub(crate) fn meets_thresholds(&self) -> bool {
        self.sentences < MIN_SENTENCES
            || (self.average_words <= MAX_AVERAGE_WORDS && self.douma >= MIN_DOUMA)
    }
}

/// A stretch of running text with the file line of each byte's line.
struct Block {
    text: String,
    /// (offset in `text`, file line) at each piece's start.
    lines: Vec<(usize, usize)>,
}

impl Block {
    fn line_at(&self, offset: usize) -> usize {
        let i = self.lines.partition_point(|(o, _)| *o <= offset);
        self.lines[i.saturating_sub(1)].1
    }
}

/// Text blocks of a Markdown body: paragraphs and list items, with lines.
fn blocks(body: &str, body_line: usize) -> Vec<Block> {
    let line_of = |offset: usize| body_line + crate::error::line_of(body, offset) - 1;
    let mut out = Vec::new();
    let mut cur: Option<Block> = None;
    // Inside headings, code blocks, tables or HTML: not running text.
    let mut skip = 0usize;
    let flush = |cur: &mut Option<Block>, out: &mut Vec<Block>| {
        if let Some(b) = cur.take() {
            if !b.text.trim().is_empty() {
                out.push(b);
            }
        }
    };
    for (event, range) in
        Parser::new_ext(body, crate::markdown::parser_options()).into_offset_iter()
    {
        match event {
            Event::Start(
                Tag::Heading { .. } | Tag::CodeBlock(_) | Tag::Table(_) | Tag::HtmlBlock,
            ) => skip += 1,
            Event::End(
                TagEnd::Heading(_) | TagEnd::CodeBlock | TagEnd::Table | TagEnd::HtmlBlock,
            ) => skip = skip.saturating_sub(1),
            Event::Start(Tag::Paragraph | Tag::Item)
            | Event::End(TagEnd::Paragraph | TagEnd::Item) => flush(&mut cur, &mut out),
            Event::Text(t) | Event::Code(t) if skip == 0 => {
                let b = cur.get_or_insert_with(|| Block {
                    text: String::new(),
                    lines: Vec::new(),
                });
                b.lines.push((b.text.len(), line_of(range.start)));
                b.text.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak if skip == 0 => {
                if let Some(b) = cur.as_mut() {
                    b.text.push(' ');
                }
            }
            _ => {}
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// Abbreviations whose full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "bijv", "bv", "o.a", "nr", "d.w.z", "e.d", "enz", "m.b.v", "i.p.v", "t.o.v", "m.n", "ca",
    "zgn", "z.g.a.n", "mr", "dr", "drs", "ir", "prof", "blz", "art", "jl", "vgl", "incl", "excl",
    "e.a",
];

/// Splits running text into sentences (byte ranges).
fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(b, b'.' | b'!' | b'?' | b':' | b';') {
            let mut end = i + 1;
            while end < bytes.len()
                && matches!(bytes[end], b'.' | b'!' | b'?' | b')' | b'"' | b'\'')
            {
                end += 1;
            }
            let at_end = end >= bytes.len();
            let next_is_space = !at_end && bytes[end].is_ascii_whitespace();
            // A colon or semicolon ends a sentence only before a capital or a list.
            let next_upper = text[end..]
                .trim_start()
                .chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
            let word_before = text[start..i]
                .rsplit(|c: char| c.is_whitespace() || c == '(')
                .next()
                .unwrap_or("")
                .to_lowercase();
            let is_abbrev = b == b'.' && ABBREVIATIONS.contains(&word_before.as_str());
            let is_number = b == b'.' && !at_end && bytes[end].is_ascii_digit();
            let strong = matches!(b, b'.' | b'!' | b'?');
            if (at_end || next_is_space) && !is_abbrev && !is_number && (strong || next_upper) {
                out.push((start, end));
                start = end;
            }
            i = end;
            continue;
        }
        i += 1;
    }
    if text[start..].trim().chars().any(char::is_alphanumeric) {
        out.push((start, text.len()));
    }
    out.into_iter()
        .map(|(s, e)| {
            let lead = text[s..e].len() - text[s..e].trim_start().len();
            (s + lead, e)
        })
        .filter(|(s, e)| text[*s..*e].chars().any(char::is_alphabetic))
        .collect()
}

/// The words of a sentence, punctuation stripped.
/// URLs and e-mail addresses are not words a reader reads.
fn words(sentence: &str) -> Vec<&str> {
    sentence
        .split_whitespace()
        .filter(|t| !(t.contains("://") || t.starts_with("www.") || t.contains('@')))
        .flat_map(|t| t.split(['/', '–', '—']))
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect()
}

fn letters(word: &str) -> usize {
    word.chars().filter(|c| c.is_alphabetic()).count()
}

/// Dutch syllables, counted as vowel groups: `ij`, `ei`, `oe`, `aa` … are
/// one group; a diaeresis (`ë`, `ï`) starts a new one (`geïnformeerd`).
pub(crate) fn syllables(word: &str) -> usize {
    let mut n = 0;
    let mut in_vowel = false;
    for c in word.chars().flat_map(char::to_lowercase) {
        let diaeresis = matches!(c, 'ë' | 'ï' | 'ü' | 'ö' | 'ä');
        let vowel = diaeresis
            || matches!(
                c,
                'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'é' | 'è' | 'ê' | 'á' | 'ó' | 'ú' | 'í'
            );
        if vowel && (!in_vowel || diaeresis) {
            n += 1;
        }
        in_vowel = vowel;
    }
    n.max(1)
}

/// Flesch-Douma reading ease for Dutch, from totals.
pub(crate) fn douma(words: usize, sentences: usize, syllables: usize) -> f64 {
    if words == 0 || sentences == 0 {
        return 100.0;
    }
    206.84
        - 0.77 * (syllables as f64 * 100.0 / words as f64)
        - 0.93 * (words as f64 / sentences as f64)
}

const PASSIVE_AUX: &[&str] = &[
    "word", "wordt", "worden", "werd", "werden", "geworden", "is", "zijn", "was", "waren", "ben",
    "bent",
];

/// Participles used with `zijn` in active sentences (perfect tense of
/// verbs of motion or change) and adjectives that look like participles.
const NOT_PASSIVE: &[&str] = &[
    "gegaan",
    "gekomen",
    "gebleven",
    "geworden",
    "geweest",
    "gebleken",
    "gelukt",
    "gestart",
    "gestopt",
    "gestegen",
    "gedaald",
    "gegroeid",
    "geslaagd",
    "gebeurd",
    "begonnen",
    "verdwenen",
    "vertrokken",
    "ontstaan",
    "overleden",
    "veranderd",
    "verhuisd",
    "gemiddeld",
    "gezond",
    "bekend",
    "gewend",
    "geschikt",
    // Nouns in ge- that end like a participle.
    "gemeenten",
    "gebieden",
    "gesprekken",
    "gevolgen",
    "gedachten",
    "gebouwen",
    "gebruiken",
    "gevallen",
    "gezinnen",
    "getallen",
    "gewoon",
    "gelijk",
    "geleden",
    "genoeg",
    "gedeeld",
    "verplicht",
    "bereid",
    "gericht",
    // Nouns and an infinitive that look like participles by their form.
    "beleid",
    "bestand",
    "verband",
    "verstand",
    "onderhoud",
    "geven",
];

/// Participles without `ge-` that the form rules in [`is_participle`]
/// cannot tell from an infinitive, a present tense or a noun: strong verbs
/// with an unstressed prefix (`besproken`, `-en` like an infinitive), verbs
/// with the inseparable `onder-`/`over-` (`onderzocht`; `overzicht` and
/// `onderhoud` look the same) and weak ones in `-end` (`erkend`, like a
/// present participle). A closed list of the common ones, so no new false
/// alarm comes with them.
const PARTICIPLES_WITHOUT_GE: &[&str] = &[
    "besproken",
    "beschreven",
    "bevolen",
    "bewezen",
    "bedreven",
    "verboden",
    "vergeten",
    "verkregen",
    "verzonden",
    "verbonden",
    "verworven",
    "vervangen",
    "verbroken",
    "verweten",
    "ontvangen",
    "ontworpen",
    "ontnomen",
    "herschreven",
    "erkend",
    "herkend",
    "verkend",
    "onderzocht",
    "ondersteund",
    "ondertekend",
    "onderbouwd",
    "onderschreven",
    "onderscheiden",
    "overtuigd",
    "overlegd",
    "overwogen",
    "overschreden",
    "overhandigd",
];

/// Separable prefixes before `ge` in a participle (`uitgevoerd`).
const PREFIXES: &[&str] = &[
    "aan", "af", "bij", "door", "in", "mee", "na", "om", "onder", "op", "over", "terug", "toe",
    "uit", "vast", "voor", "weg", "samen", "vrij", "tegen", "bekend", "",
];

/// A voltooid deelwoord by its form: (prefix) `ge` stem `d`/`t`/`en`, or an
/// unstressed prefix (`be`, `ver`, `ont`, `her`) stem `d`/`t`, or one of
/// [`PARTICIPLES_WITHOUT_GE`].
pub(crate) fn is_participle(word: &str) -> bool {
    let w = word.to_lowercase();
    if PARTICIPLES_WITHOUT_GE.contains(&w.as_str()) {
        return true;
    }
    if w.chars().count() < 5 || NOT_PASSIVE.contains(&w.as_str()) || w.ends_with("end") {
        return false;
    }
    let ends = |s: &str| s.ends_with('d') || s.ends_with('t') || s.ends_with("en");
    for p in PREFIXES {
        if let Some(rest) = w.strip_prefix(p).and_then(|r| r.strip_prefix("ge")) {
            if rest.chars().count() >= 3 && ends(rest) && !rest.starts_with('e') {
                return true;
            }
            if rest.starts_with('ë') && rest.chars().count() >= 4 && ends(rest) {
                return true;
            }
        }
    }
    for p in ["be", "ver", "ont", "her"] {
        if let Some(rest) = w.strip_prefix(p) {
            if rest.chars().count() < 3 || rest.ends_with("heid") {
                continue;
            }
            // A participle ends in -t only after a voiceless consonant
            // ('t kofschip: bereikt, verwacht); "vertelt", "betekent" and
            // "verliest" are the present tense.
            let before_t = rest.strip_suffix('t').and_then(|r| r.chars().last());
            let voiceless_t = matches!(before_t, Some('k' | 'f' | 's' | 'c' | 'h' | 'p'))
                && !rest.ends_with("iest");
            if (rest.ends_with('d') && !rest.ends_with("dt")) || voiceless_t {
                return true;
            }
        }
    }
    false
}

/// The passive in a sentence: an auxiliary and a participle, in either order.
fn passive(words: &[&str]) -> Option<String> {
    let aux = words
        .iter()
        .position(|w| PASSIVE_AUX.contains(&w.to_lowercase().as_str()))?;
    // "zijn" before a noun is a possessive more often than a verb; ask
    // for the participle within a clause-length window.
    let window = words.len().min(aux + 10);
    let from = aux.saturating_sub(8);
    let part = (from..window)
        .filter(|&i| i != aux)
        .find(|&i| is_participle(words[i]))?;
    Some(format!(
        "{} … {}",
        words[aux.min(part)],
        words[aux.max(part)]
    ))
}

/// Terms of the glossary pages: every word of their headings, lower case.
pub(crate) fn glossary_terms(bodies: &[&str]) -> HashSet<String> {
    let mut terms = HashSet::new();
    for body in bodies {
        let mut in_heading = false;
        for event in Parser::new_ext(body, crate::markdown::parser_options()) {
            match event {
                Event::Start(Tag::Heading { .. }) => in_heading = true,
                Event::End(TagEnd::Heading(_)) => in_heading = false,
                Event::Text(t) if in_heading => {
                    for w in words(&t) {
                        terms.insert(w.to_lowercase());
                    }
                }
                _ => {}
            }
        }
    }
    terms
}

/// Measures one page's body. `body_line` is the body's first line in the file.
/// Bodies longer than this (bytes) get no writing hints.
const MAX_ANALYSED: usize = 1 << 20;

pub(crate) fn analyse(
    file: &Path,
    body: &str,
    body_line: usize,
    glossary: &HashSet<String>,
) -> PageReport {
    let mut hints = Vec::new();
    let (mut n_sent, mut n_words, mut n_syll) = (0, 0, 0);
    // Writing hints are for pages people write and read; a generated page
    // of megabytes gets none (and would cost seconds to analyse).
    let body = if body.len() > MAX_ANALYSED { "" } else { body };
    for block in blocks(body, body_line) {
        for (s, e) in sentences(&block.text) {
            let sentence = block.text[s..e].trim();
            let ws = words(sentence);
            if ws.is_empty() {
                continue;
            }
            let line = block.line_at(s);
            n_sent += 1;
            n_words += ws.len();
            n_syll += ws.iter().map(|w| syllables(w)).sum::<usize>();
            let hint = |kind, detail: String| Hint {
                kind,
                line,
                sentence: sentence.to_string(),
                detail,
            };
            if ws.len() > MAX_SENTENCE_WORDS {
                hints.push(hint(
                    HintKind::LongSentence,
                    format!("{} woorden", ws.len()),
                ));
            }
            for w in &ws {
                // Each part of a hyphenated word is read as a word of its own.
                let long = w.split('-').any(|p| letters(p) > MAX_WORD_LETTERS);
                if long && !glossary.contains(&w.to_lowercase()) && !w.contains(['@', '.']) {
                    hints.push(hint(HintKind::LongWord, (*w).to_string()));
                }
            }
            if let Some(p) = passive(&ws) {
                hints.push(hint(HintKind::Passive, p));
            }
        }
    }
    PageReport {
        file: file.to_path_buf(),
        sentences: n_sent,
        words: n_words,
        average_words: if n_sent == 0 {
            0.0
        } else {
            n_words as f64 / n_sent as f64
        },
        douma: douma(n_words, n_sent, n_syll),
        hints,
    }
}

/// The glossary terms of a site (see [`WritingConfig`]).
fn site_glossary(site: &crate::model::Site) -> HashSet<String> {
    let glossary_files = site.config.schrijven.glossary_files();
    let bodies: Vec<std::borrow::Cow<'_, str>> = site
        .pages
        .iter()
        .filter(|p| glossary_files.contains(&p.file.rel))
        .map(|p| crate::parse::body_of(&p.file))
        .collect();
    let bodies: Vec<&str> = bodies.iter().map(|b| &**b).collect();
    glossary_terms(&bodies)
}

/// What `serve` needs to measure the page a browser asks for: each
/// page's source by output path (`pilots/a/index.html`), and the glossary.
/// Sources are shared with the model, so this is cheap to rebuild.
#[derive(Debug, Default)]
pub(crate) struct Sources {
    pages: std::collections::HashMap<String, (crate::model::SourceFile, usize)>,
    glossary: HashSet<String>,
}

impl Sources {
    pub(crate) fn of(site: &crate::model::Site) -> Sources {
        let pages = site
            .pages
            .iter()
            .map(|p| (p.path.as_str(), &p.file, p.body_line))
            .chain(
                site.sections
                    .iter()
                    .map(|s| (s.path.as_str(), &s.file, s.body_line)),
            )
            .map(|(path, file, line)| (format!("{path}index.html"), (file.clone(), line)))
            .collect();
        Sources {
            pages,
            glossary: site_glossary(site),
        }
    }

    /// The report of the page published at `output_path`, if it is one.
    pub(crate) fn report(&self, output_path: &str) -> Option<PageReport> {
        let (file, line) = self.pages.get(output_path)?;
        Some(analyse(
            &file.display,
            &crate::parse::body_of(file),
            *line,
            &self.glossary,
        ))
    }
}

/// Reports for every page and section of a site, in file order.
pub(crate) fn analyse_site(site: &crate::model::Site) -> Vec<PageReport> {
    let glossary = site_glossary(site);
    let mut out: Vec<PageReport> = site
        .pages
        .iter()
        .map(|p| {
            analyse(
                &p.file.display,
                &crate::parse::body_of(&p.file),
                p.body_line,
                &glossary,
            )
        })
        .chain(
            site.sections
                .iter()
                .filter(|s| !s.file.text.is_empty())
                .map(|s| {
                    analyse(
                        &s.file.display,
                        &crate::parse::body_of(&s.file),
                        s.body_line,
                        &glossary,
                    )
                }),
        )
        .collect();
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

impl HintKind {
    pub(crate) fn label(&self) -> &'static str {
        match self {
            HintKind::LongSentence => "lange zin",
            HintKind::LongWord => "lang woord",
            HintKind::Passive => "lijdende vorm",
        }
    }
}

/// The report as text for the terminal, in Dutch.
pub(crate) fn format_report(r: &PageReport) -> String {
    let mut s = format!(
        "{}: {} {}, gemiddeld {:.1} woorden per zin, leesgemak (Flesch-Douma) {:.0}{}\n",
        r.file.display(),
        r.sentences,
        if r.sentences == 1 { "zin" } else { "zinnen" },
        r.average_words,
        r.douma,
        if r.meets_thresholds() {
            ""
        } else {
            "  (onder de B1-grens)"
        }
    );
    for h in &r.hints {
        s.push_str(&format!(
            "  {}:{}: {} ({}): {}\n",
            r.file.display(),
            h.line,
            h.kind.label(),
            h.detail,
            h.sentence
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(body: &str) -> PageReport {
        analyse(Path::new("content/a.md"), body, 1, &HashSet::new())
    }

    #[test]
    fn sentences_split_on_stops_not_abbreviations_or_numbers() {
        let t = "Dit is zin één. Bijv. dit niet, o.a. ook niet. Het kost 1.500 euro! Klaar?";
        let s: Vec<&str> = sentences(t).iter().map(|&(a, b)| t[a..b].trim()).collect();
        assert_eq!(
            s,
            [
                "Dit is zin één.",
                "Bijv. dit niet, o.a. ook niet.",
                "Het kost 1.500 euro!",
                "Klaar?"
            ]
        );
    }

    #[test]
    fn syllables_of_dutch_words() {
        assert_eq!(syllables("werkgever"), 3);
        assert_eq!(syllables("geïnformeerd"), 4);
        assert_eq!(syllables("uitkering"), 3);
        assert_eq!(syllables("taal"), 1);
    }

    #[test]
    fn participles_by_form() {
        for w in [
            "bereikt",
            "verwacht",
            "gemaakt",
            "uitgevoerd",
            "verstuurd",
            "gegeven",
            "opgesteld",
            "besproken",
            "geëvalueerd",
        ] {
            assert!(is_participle(w), "{w}");
        }
        for w in [
            "gemeenten",
            "verliest",
            "betekent",
            "vertelt",
            "gemiddeld",
            "geen",
            "gelijk",
            "werken",
            "verschillend",
            "gezond",
            "veiligheid",
        ] {
            assert!(!is_participle(w), "{w}");
        }
    }

    #[test]
    fn long_sentence_passive_and_long_word_are_hinted_with_lines() {
        let body = "Korte zin.\n\nDe aanvraag wordt door de gemeente beoordeeld.\n\n\
                    De arbeidsmarktregio heeft samen met scholen, werkgevers, gemeenten en andere partners in de regio een plan gemaakt voor jongeren die extra hulp nodig hebben.\n";
        let r = report(body);
        let kinds: Vec<(&HintKind, usize)> = r.hints.iter().map(|h| (&h.kind, h.line)).collect();
        assert!(kinds.contains(&(&HintKind::Passive, 3)), "{kinds:?}");
        assert!(kinds.contains(&(&HintKind::LongSentence, 5)), "{kinds:?}");
        assert!(kinds.contains(&(&HintKind::LongWord, 5)), "{kinds:?}");
        assert_eq!(r.sentences, 3);
    }

    #[test]
    fn douma_of_known_totals() {
        // 100 words, 10 sentences, 150 syllables: 206.84 - 115.5 - 9.3.
        assert!((douma(100, 10, 150) - 82.04).abs() < 1e-9);
    }

    #[test]
    fn headings_and_code_are_not_sentences() {
        let r = report(
            "## Een heel lange kop zonder punt\n\n```\nlet x = 1; y.z();\n```\n\nEén zin.\n",
        );
        assert_eq!(r.sentences, 1);
    }

    /// Real sentences from knowledge-base pages: passives whose participle
    /// has no ge- (inseparable prefix, strong verb), and active sentences
    /// with an auxiliary beside a word that looks like one.
    const PASSIVES_WITHOUT_GE: &[&str] = &[
        "Het voorstel wordt door de werkgroep onderzocht.",
        "Het rooster werd gisteren in het team besproken.",
        "De aanvraag is op drie punten verbeterd.",
        "De stageovereenkomst wordt door beide partijen ondertekend.",
        "De werkwijze wordt in de handleiding beschreven.",
        "De nieuwe regels worden door het bestuur ondersteund.",
        "Het formulier is vorige week door de school ontvangen.",
        "Het plan is met de mentor overlegd.",
        "De keuze werd met cijfers uit de regio onderbouwd.",
        "Die oplossing is door de redactie overwogen.",
        "Het oude lesmateriaal wordt door een nieuwe versie vervangen.",
        "De vragen worden door de coördinator beantwoord.",
        "Het diploma is door de commissie erkend.",
        "De bijlage werd per post verzonden.",
    ];
    const ACTIVE_LOOKALIKES: &[&str] = &[
        "Het bestand is te groot voor de mail.",
        "Het beleid is gericht op jongeren zonder startkwalificatie.",
        "Er is iets om de deelnemers te geven.",
        "Het onderhoud van de site is werk van de redactie.",
        "Het verband tussen de cijfers is klein.",
        "De docent is een ervaren begeleider.",
        "We bespreken het rooster met het team.",
        "De mentor is bekend met de regeling.",
    ];

    #[test]
    fn passives_without_ge_are_found_and_look_alikes_are_not() {
        let missed: Vec<&str> = PASSIVES_WITHOUT_GE
            .iter()
            .filter(|s| passive(&words(s)).is_none())
            .copied()
            .collect();
        assert!(missed.is_empty(), "passives missed: {missed:#?}");
        let flagged: Vec<(String, &str)> = ACTIVE_LOOKALIKES
            .iter()
            .filter_map(|s| passive(&words(s)).map(|p| (p, *s)))
            .collect();
        assert!(flagged.is_empty(), "active sentences flagged: {flagged:#?}");
    }
}
