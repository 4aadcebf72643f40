//! Expansion: a body's calls replaced in its Markdown source. Included text
//! goes in as Markdown (with an [`Origin`] so lines and links stay its
//! own), a template's HTML as a placeholder that [`fill`] swaps in after
//! pulldown-cmark ran, and a template's Markdown (`NAME.md`) as Markdown.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use serde_json::{Map, Value as Json};

use crate::error::{closest, Code, Diagnostic};
use crate::links::{dir_of, normalise};
use crate::markdown::{slugify, Origin};
use crate::model::{Site, SourceFile, Target, Uses};

use super::call::{self, Call, Token, Value};
use super::{pages, template_key, Doc, Library};

/// A body with its calls expanded.
pub(crate) struct Expanded {
    /// Markdown, with placeholders where HTML goes.
    pub text: String,
    pub origins: Vec<Origin>,
    /// Placeholder `n` → its HTML.
    pub blocks: Vec<String>,
    pub uses: Uses,
    pub diags: Vec<Diagnostic>,
}

/// Placeholders are private-use characters around a number: Markdown
/// leaves them alone and no editor types them.
const PH_OPEN: char = '\u{E010}';
const PH_CLOSE: char = '\u{E011}';

/// What `{{ body }}` is while a body shortcode's template is rendered: the
/// output is split there, and the body stays Markdown in between.
const BODY_MARK: &str = "KBSHORTCODEBODY7f3a9c";

/// A stretch of Markdown being expanded: the document's body, or a file
/// (or one heading's part of it) that it includes.
struct Source<'t> {
    text: &'t str,
    /// File relative to content/.
    rel: &'t str,
    display: &'t Path,
    /// Line in the file of `text`'s first line.
    first_line: usize,
    /// Folder relative links are written from (`None`: the document's).
    base: Option<String>,
    newlines: Vec<usize>,
}

impl<'t> Source<'t> {
    fn new(
        text: &'t str,
        rel: &'t str,
        display: &'t Path,
        first_line: usize,
        base: Option<String>,
    ) -> Self {
        Source {
            text,
            rel,
            display,
            first_line,
            base,
            newlines: text.match_indices('\n').map(|(i, _)| i).collect(),
        }
    }

    /// Line in the file and column (in characters) of byte `offset`.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let idx = self.newlines.partition_point(|&nl| nl < offset);
        let line_start = if idx == 0 {
            0
        } else {
            self.newlines[idx - 1] + 1
        };
        let col = self.text[line_start..offset.min(self.text.len())]
            .chars()
            .count()
            + 1;
        (self.first_line + idx, col)
    }
}

/// Where the text a body shortcode's `{% end %}` closes goes.
enum Close {
    Html(String),
    Markdown(String),
}

struct Frame {
    name: String,
    close: Close,
    block: bool,
    at: usize,
}

struct Expander<'a> {
    site: &'a Site,
    lib: &'a Library,
    ex: Expanded,
    /// Lines in `ex.text` so far (where the next origin starts).
    lines: usize,
    /// Calls of each template so far (`nth` in its context).
    nth: HashMap<String, usize>,
}

pub(crate) fn expand(site: &Site, doc: Doc, body: &str) -> Expanded {
    let mut e = Expander {
        site,
        lib: &site.shortcodes,
        ex: Expanded {
            text: String::with_capacity(body.len() + body.len() / 8),
            origins: Vec::new(),
            blocks: Vec::new(),
            uses: Uses::default(),
            diags: Vec::new(),
        },
        nth: HashMap::new(),
        lines: 0,
    };
    let src = Source::new(body, &doc.file.rel, &doc.file.display, doc.body_line, None);
    let _ = doc.this;
    e.text(&src, &mut vec![doc.file.rel.clone()]);
    e.ex
}

/// The file `rel` (relative to content/): a document's or an include-only
/// file's.
pub(crate) fn text_of<'s>(site: &'s Site, rel: &str) -> Option<&'s SourceFile> {
    match site.by_file.get(rel) {
        Some(Target::Page(p)) => Some(&site.pages[*p].file),
        Some(Target::Section(s)) => Some(&site.sections[*s].file),
        None => site.shortcodes.snippet(rel),
    }
}

/// Swaps the placeholders in rendered `html` for their HTML; one that is a
/// paragraph of its own takes the paragraph's place (a list is no text).
pub(crate) fn fill(html: &str, blocks: &[String]) -> String {
    fill_mapped(html, blocks).0
}

/// [`fill`], with how offsets moved: `(old, new)` pairs, each saying that
/// from byte `old` of `html` on the text is at `new` in the result (until
/// the next pair).
pub(crate) fn fill_mapped(html: &str, blocks: &[String]) -> (String, Vec<(usize, usize)>) {
    let mut map = Vec::new();
    if !html.contains(PH_OPEN) {
        return (html.to_string(), map);
    }
    let mut out = String::with_capacity(html.len() + blocks.iter().map(String::len).sum::<usize>());
    let mut rest = html;
    while let Some(i) = rest.find(PH_OPEN) {
        out.push_str(&rest[..i]);
        let after = &rest[i + PH_OPEN.len_utf8()..];
        let Some(j) = after.find(PH_CLOSE) else {
            rest = &rest[i..];
            break;
        };
        let Some(block) = after[..j].parse::<usize>().ok().and_then(|n| blocks.get(n)) else {
            out.push(PH_OPEN);
            rest = after;
            continue;
        };
        rest = &after[j + PH_CLOSE.len_utf8()..];
        let mut newline = false;
        if out.ends_with("<p>") && rest.starts_with("</p>") {
            out.truncate(out.len() - "<p>".len());
            rest = &rest["</p>".len()..];
            newline = !block.ends_with('\n') && !rest.starts_with('\n');
        }
        out.push_str(block);
        if newline {
            out.push('\n');
        }
        map.push((html.len() - rest.len(), out.len()));
    }
    out.push_str(rest);
    (out, map)
}

fn placeholder(n: usize) -> String {
    format!("{PH_OPEN}{n}{PH_CLOSE}")
}

#[cfg(test)]
pub(crate) fn placeholder_for_test(n: usize) -> String {
    placeholder(n)
}

/// Whether the call at `span` has its line to itself.
fn is_block(text: &str, span: &Range<usize>) -> bool {
    let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[span.end..]
        .find('\n')
        .map_or(text.len(), |i| span.end + i);
    text[line_start..span.start].trim().is_empty() && text[span.end..line_end].trim().is_empty()
}

const SYNTAX_HINT: &str = "schrijf een aanroep als {{ naam(argument=\"waarde\") }}; zet tekst die zo begint maar geen aanroep is tussen `backticks`";

impl Expander<'_> {
    fn error(&mut self, src: &Source, at: usize, message: String, hint: impl Into<String>) {
        let (line, col) = src.line_col(at);
        self.ex.diags.push(
            Diagnostic::error(Code::ShortcodeCall, src.display, message)
                .at(line, col)
                .hint(hint),
        );
    }

    fn push(&mut self, s: &str) {
        self.lines += s.matches('\n').count();
        self.ex.text.push_str(s);
    }

    /// From here on the output is `src` from byte `offset` on. (Origins
    /// count lines: when a line holds text of two origins, the later one
    /// names it.)
    fn resume(&mut self, src: &Source, offset: usize) {
        let start = self.lines;
        let origin = Origin {
            start_line: start,
            file: src.display.to_path_buf(),
            line: src.line_col(offset).0,
            base: src.base.clone(),
            fixed: false,
        };
        match self.ex.origins.last_mut() {
            Some(last) if last.start_line == start => *last = origin,
            _ => self.ex.origins.push(origin),
        }
    }

    /// Markdown a template wrote, counted as the line of the call at `at`.
    fn template_markdown(&mut self, src: &Source, at: usize, text: &str) {
        let start = self.lines;
        self.ex.origins.retain(|o| o.start_line != start);
        self.ex.origins.push(Origin {
            start_line: start,
            file: src.display.to_path_buf(),
            line: src.line_col(at).0,
            base: src.base.clone(),
            fixed: true,
        });
        self.push(text);
    }

    fn block(&mut self, html: String) -> String {
        self.ex.blocks.push(html);
        placeholder(self.ex.blocks.len() - 1)
    }

    fn text(&mut self, src: &Source, chain: &mut Vec<String>) {
        let skip = call::skipped_ranges(src.text);
        let mut pos = 0;
        let mut open: Vec<Frame> = Vec::new();
        self.resume(src, 0);
        while let Some(found) = call::next(src.text, pos, &skip) {
            let found = match found {
                Ok(f) => f,
                Err(e) => {
                    self.push(&src.text[pos..e.resume]);
                    pos = e.resume;
                    self.error(src, e.at, e.message, SYNTAX_HINT);
                    continue;
                }
            };
            self.push(&src.text[pos..found.span.start]);
            let block = is_block(src.text, &found.span);
            match found.token {
                Token::Literal(s) => self.push(&s),
                Token::Inline(c) => self.inline(src, &c, chain),
                Token::Open(c) => {
                    if let Some(frame) = self.open(src, &c, block) {
                        open.push(frame);
                    }
                }
                Token::End => match open.pop() {
                    Some(frame) => self.close(src, frame, block, found.span.start),
                    None => self.error(
                        src,
                        found.span.start,
                        "{% end %} zonder shortcode die het afsluit".into(),
                        "open eerst met {% naam() %}, of haal deze regel weg",
                    ),
                },
            }
            pos = found.span.end;
            self.resume(src, pos);
        }
        self.push(&src.text[pos..]);
        for frame in open {
            self.error(
                src,
                frame.at,
                format!("shortcode '{}' wordt niet afgesloten", frame.name),
                "sluit de tekst erbinnen af met {% end %} op een eigen regel",
            );
        }
    }

    fn unknown(&mut self, src: &Source, c: &Call) {
        let names = self.lib.names();
        let near = closest(&c.name, names.iter().copied())
            .map(|n| format!("bedoelt u '{n}'? "))
            .unwrap_or_default();
        self.error(
            src,
            c.at,
            format!("onbekende shortcode '{}'", c.name),
            format!(
                "{near}bekende shortcodes: {}; een eigen shortcode is een sjabloon templates/shortcodes/{}.html",
                names.join(", "),
                c.name
            ),
        );
    }

    fn inline(&mut self, src: &Source, c: &Call, chain: &mut Vec<String>) {
        match c.name.as_str() {
            "include" => self.include(src, c, chain),
            "pages" => self.pages(src, c),
            name => {
                if !self.lib.templates.contains_key(name) {
                    return self.unknown(src, c);
                }
                let mut ctx = self.args_context(src, c);
                ctx.insert("body", "");
                if let Some((out, markdown)) = self.render(src, c, &ctx) {
                    if markdown {
                        self.template_markdown(src, c.at, &out);
                    } else {
                        let ph = self.block(out);
                        self.push(&ph);
                    }
                }
            }
        }
    }

    fn open(&mut self, src: &Source, c: &Call, block: bool) -> Option<Frame> {
        if super::BUILTIN.contains(&c.name.as_str()) {
            self.error(
                src,
                c.at,
                format!("{}() heeft geen tekst erbinnen", c.name),
                format!("schrijf {{{{ {}(…) }}}} zonder {{% end %}}", c.name),
            );
            return None;
        }
        if !self.lib.templates.contains_key(&c.name) {
            self.unknown(src, c);
            return None;
        }
        let mut ctx = self.args_context(src, c);
        ctx.insert("body", BODY_MARK);
        let (out, markdown) = self.render(src, c, &ctx)?;
        let parts: Vec<&str> = out.split(BODY_MARK).collect();
        let [before, after] = parts[..] else {
            let display = self.lib.templates[&c.name].display.display().to_string();
            self.error(
                src,
                c.at,
                format!("shortcode '{}': het sjabloon {display} toont {{{{ body }}}} niet precies één keer", c.name),
                "zet {{ body }} één keer in het sjabloon, waar de tekst tussen {% … %} en {% end %} moet komen",
            );
            return None;
        };
        let nl = if block { "\n" } else { "" };
        let close = if markdown {
            self.template_markdown(src, c.at, &format!("{before}{nl}"));
            Close::Markdown(after.to_string())
        } else {
            let ph = self.block(before.to_string());
            self.push(&ph);
            self.push(nl);
            Close::Html(after.to_string())
        };
        Some(Frame {
            name: c.name.clone(),
            close,
            block,
            at: c.at,
        })
    }

    fn close(&mut self, src: &Source, frame: Frame, block: bool, at: usize) {
        let nl = if block && frame.block { "\n" } else { "" };
        match frame.close {
            Close::Markdown(text) => self.template_markdown(src, at, &format!("{nl}{text}")),
            Close::Html(html) => {
                let ph = self.block(html);
                self.push(nl);
                self.push(&ph);
            }
        }
    }

    /// The context a template gets: the call's arguments, and `nth`. Every
    /// argument a template can write into a page passes here, so here each
    /// text passes the URL rule: a template may put it in `href` or `src`
    /// (`<a href="{{ url }}">`), which escaping does not make safe. A
    /// refused text is reported at its argument and reaches the template
    /// empty.
    fn args_context(&mut self, src: &Source, c: &Call) -> tera::Context {
        let mut ctx = tera::Context::new();
        for a in &c.args {
            let value = self.safe_value(src, a.at, &a.value);
            ctx.insert(a.key.as_str(), &value.to_json());
        }
        let n = self.nth.entry(c.name.clone()).or_insert(0);
        *n += 1;
        ctx.insert("nth", n);
        ctx
    }

    /// `value` with every text the URL rule refuses reported (at `at`, the
    /// argument) and emptied.
    fn safe_value(&mut self, src: &Source, at: usize, value: &Value) -> Value {
        match value {
            Value::Str(text) => match crate::safety::check_url(text, crate::safety::UrlUse::Link) {
                Ok(()) => value.clone(),
                Err(r) => {
                    let (line, col) = src.line_col(at);
                    self.ex.diags.push(
                        crate::safety::refusal_diagnostic(
                            src.display,
                            "shortcode-argument",
                            text,
                            &r,
                        )
                        .at(line, col),
                    );
                    Value::Str(String::new())
                }
            },
            Value::List(items) => {
                Value::List(items.iter().map(|v| self.safe_value(src, at, v)).collect())
            }
            other => other.clone(),
        }
    }

    /// Renders the template of call `c`, recording it as used; `None`
    /// after reporting a template error at the call.
    fn render(&mut self, src: &Source, c: &Call, ctx: &tera::Context) -> Option<(String, bool)> {
        let t = self.lib.templates.get(&c.name)?;
        if !self.ex.uses.templates.iter().any(|(n, _)| *n == c.name) {
            self.ex.uses.templates.push((c.name.clone(), t.hash));
        }
        match self
            .lib
            .tera
            .render(&template_key(&c.name, t.markdown), ctx)
        {
            // A template file's last newline is no part of the output: an
            // inline shortcode stays inline.
            Ok(out) => Some((out.trim_end_matches('\n').to_string(), t.markdown)),
            Err(e) => {
                let display = t.display.display().to_string();
                let chain = super::error_chain(&e);
                // The usual cause: an argument the template prints is not
                // given. Say which, in the editor's terms.
                let missing = chain
                    .split("Variable `")
                    .nth(1)
                    .and_then(|rest| rest.split_once("` not found"))
                    .map(|(name, _)| name.to_string());
                let given: Vec<&str> = c.args.iter().map(|a| a.key.as_str()).collect();
                let (message, hint) = match missing {
                    Some(name) => (
                        format!("shortcode '{}': argument '{name}' ontbreekt", c.name),
                        format!(
                            "het sjabloon {display} gebruikt '{name}'; geef het mee, bijvoorbeeld {}({name}=\"…\"){}",
                            c.name,
                            if given.is_empty() {
                                String::new()
                            } else {
                                format!(" (gegeven: {})", given.join(", "))
                            }
                        ),
                    ),
                    None => (
                        format!("shortcode '{}': sjabloon {display} faalt: {chain}", c.name),
                        "geef de argumenten mee die het sjabloon gebruikt, of pas het sjabloon aan"
                            .to_string(),
                    ),
                };
                self.error(src, c.at, message, hint);
                None
            }
        }
    }

    fn pages(&mut self, src: &Source, c: &Call) {
        let q = match pages::query_of(c, self.site) {
            Ok(q) => q,
            Err(e) => return self.error(src, e.at, e.message, e.hint),
        };
        let Some(answer) = pages::run(&q, self.site) else {
            return;
        };
        self.ex.uses.queries.push((q, answer.hash));
        let mut ctx = self.args_context(src, c);
        let args: Map<String, Json> = c
            .args
            .iter()
            .map(|a| (a.key.clone(), a.value.to_json()))
            .collect();
        ctx.insert("args", &args);
        ctx.insert("pages", &answer.pages);
        ctx.insert("total", &answer.total);
        if let Some((out, markdown)) = self.render(src, c, &ctx) {
            if markdown {
                self.template_markdown(src, c.at, &out);
            } else {
                let ph = self.block(out);
                self.push(&ph);
            }
        }
    }

    fn include(&mut self, src: &Source, c: &Call, chain: &mut Vec<String>) {
        let (mut path, mut heading) = (None, None);
        for a in &c.args {
            match (a.key.as_str(), &a.value) {
                ("path", call::Value::Str(s)) => path = Some(s.clone()),
                ("heading", call::Value::Str(s)) => heading = Some(s.clone()),
                ("path" | "heading", v) => {
                    return self.error(
                        src,
                        a.at,
                        format!(
                            "include(): argument '{}' verwacht tekst, niet {}",
                            a.key,
                            v.kind()
                        ),
                        format!("bijvoorbeeld {}=\"…\"", a.key),
                    )
                }
                (other, _) => {
                    return self.error(
                        src,
                        a.at,
                        format!("include(): onbekend argument '{other}'"),
                        "include() kent path (verplicht) en heading",
                    )
                }
            }
        }
        let Some(path) = path else {
            return self.error(
                src,
                c.at,
                "include(): argument 'path' ontbreekt".into(),
                "bijvoorbeeld {{ include(path=\"../_includes/disclaimer.md\") }}",
            );
        };
        let joined = match path.strip_prefix("@/") {
            Some(p) => p.to_string(),
            None if dir_of(src.rel).is_empty() => path.clone(),
            None => format!("{}/{path}", dir_of(src.rel)),
        };
        let Some(rel) = normalise(&joined) else {
            return self.error(
                src,
                c.at,
                format!("include(): '{path}' ligt buiten content/"),
                "zet het bestand in content/, bijvoorbeeld in content/_includes/",
            );
        };
        if !rel.ends_with(".md") {
            return self.error(
                src,
                c.at,
                format!("include(): '{path}' is geen Markdown-bestand (.md)"),
                "include() voegt Markdown in; een afbeelding of download zet u met een link",
            );
        }
        if let Some(i) = chain.iter().position(|r| *r == rel) {
            let mut lus: Vec<String> = chain[i..].iter().map(|r| format!("content/{r}")).collect();
            lus.push(format!("content/{rel}"));
            return self.error(
                src,
                c.at,
                format!("include-lus: {}", lus.join(" → ")),
                "een bestand kan zichzelf niet (via andere) invoegen; haal een van de include()-aanroepen weg",
            );
        }
        let site = self.site;
        let Some(file) = text_of(site, &rel) else {
            let hint = if site.drafts.contains(&rel) {
                "het is een concept (draft: true); haal draft weg of zet de tekst in content/_includes/".to_string()
            } else {
                let mut known: Vec<&str> = site.by_file.keys().map(String::as_str).collect();
                known.extend(site.shortcodes.snippets.keys().map(String::as_str));
                match closest(&rel, known) {
                    Some(c) => format!("bedoelt u content/{c}? (paden gelden vanaf de map van dit bestand, of vanaf content/ met @/)"),
                    None => "paden gelden vanaf de map van dit bestand, of vanaf content/ met @/".to_string(),
                }
            };
            return self.error(
                src,
                c.at,
                format!("include(): content/{rel} bestaat niet"),
                hint,
            );
        };
        let text = file.text.as_str();
        let h = super::hash(text.as_bytes());
        if !self.ex.uses.includes.iter().any(|(r, _)| *r == rel) {
            self.ex.uses.includes.push((rel.clone(), h));
        }
        let (body, body_line) = match crate::frontmatter::split(&text, &file.display) {
            Ok(s) => (s.body, s.body_line),
            Err(d) => {
                self.ex.diags.push(d);
                return;
            }
        };
        let (part, line) = match &heading {
            None => (body, body_line),
            Some(wanted) => match heading_part(body, wanted) {
                Ok((range, lines_before)) => (&body[range], body_line + lines_before),
                Err(headings) => {
                    let near = closest(wanted, headings.iter().map(String::as_str))
                        .map(|h| format!("bedoelt u \"{h}\"? "))
                        .unwrap_or_default();
                    let list = if headings.is_empty() {
                        "het bestand heeft geen kopjes".to_string()
                    } else {
                        format!("kopjes: {}", headings.join(", "))
                    };
                    return self.error(
                        src,
                        c.at,
                        format!(
                            "include(): kop \"{wanted}\" niet gevonden in {}",
                            file.display.display()
                        ),
                        format!("{near}{list}"),
                    );
                }
            },
        };
        let sub = Source::new(
            part,
            &rel,
            &file.display,
            line,
            Some(dir_of(&rel).to_string()),
        );
        chain.push(rel.clone());
        self.text(&sub, chain);
        chain.pop();
    }
}

/// The part of `body` under the heading `wanted` (its text, its slug or its
/// id), up to the next heading of the same or a higher level, with the
/// number of lines before it. `Err`: the headings there are.
fn heading_part(body: &str, wanted: &str) -> Result<(Range<usize>, usize), Vec<String>> {
    let mut headings: Vec<(u8, usize, String, Option<String>)> = Vec::new();
    let mut current: Option<(u8, usize, String, Option<String>)> = None;
    for (event, range) in
        Parser::new_ext(body, crate::markdown::parser_options()).into_offset_iter()
    {
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                current = Some((
                    level as u8,
                    range.start,
                    String::new(),
                    id.map(|i| i.to_string()),
                ));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = current.as_mut() {
                    h.2.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => headings.extend(current.take()),
            _ => {}
        }
    }
    let slug = slugify(wanted);
    let Some(i) = headings
        .iter()
        .position(|(_, _, text, id)| id.as_deref() == Some(wanted) || slugify(text) == slug)
    else {
        return Err(headings
            .into_iter()
            .map(|h| h.2.trim().to_string())
            .collect());
    };
    let (level, start) = (headings[i].0, headings[i].1);
    let end = headings[i + 1..]
        .iter()
        .find(|h| h.0 <= level)
        .map_or(body.len(), |h| h.1);
    let lines_before = body[..start].matches('\n').count();
    Ok((start..end, lines_before))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placeholder_alone_in_a_paragraph_replaces_the_paragraph() {
        let blocks = vec!["<ul><li>a</li></ul>\n".to_string(), "<b>x</b>".to_string()];
        let html = format!(
            "<p>{}</p>\n<p>Tekst {} eind</p>\n",
            placeholder(0),
            placeholder(1)
        );
        assert_eq!(
            fill(&html, &blocks),
            "<ul><li>a</li></ul>\n\n<p>Tekst <b>x</b> eind</p>\n"
        );
        // A lone opening character stays as it is.
        let odd = format!("a{PH_OPEN}b");
        assert_eq!(fill(&odd, &blocks), odd);
    }

    #[test]
    fn heading_parts_end_at_the_next_heading_of_that_level() {
        let body = "Intro\n\n## Aanpak\n\nStap.\n\n### Detail\n\nMeer.\n\n## Resultaat\n\nKlaar.\n";
        let (r, before) = heading_part(body, "Aanpak").unwrap();
        assert_eq!(&body[r], "## Aanpak\n\nStap.\n\n### Detail\n\nMeer.\n\n");
        assert_eq!(before, 2);
        let (r, _) = heading_part(body, "resultaat").unwrap();
        assert_eq!(&body[r], "## Resultaat\n\nKlaar.\n");
        assert_eq!(
            heading_part(body, "Nergens").unwrap_err(),
            ["Aanpak", "Detail", "Resultaat"]
        );
    }

    #[test]
    fn calls_on_their_own_line_are_blocks() {
        let t = "a\n  {{ x() }}  \nb {{ y() }}\n";
        assert!(is_block(t, &(4..13)));
        assert!(!is_block(t, &(18..27)));
    }
}
