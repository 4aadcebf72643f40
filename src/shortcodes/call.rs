//! Finding shortcode calls in Markdown text. A call is `{{ name(…) }}` or
//! `{% name(…) %}` … `{% end %}`; anything else that starts with `{{` or
//! `{%` (Dutch prose, an MkDocs macro without brackets, a Tera example) is
//! text and stays as written. Code spans, code blocks and HTML comments are
//! skipped: pulldown-cmark says where they are, this module only reads the
//! call syntax itself, by hand (it is small, and errors need exact columns).

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag};

/// An argument value, as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    List(Vec<Value>),
}

impl Value {
    /// What the value is, for messages ("tekst", "getal", …).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Str(_) => "tekst",
            Value::Int(_) | Value::Float(_) => "getal",
            Value::Bool(_) => "true/false",
            Value::List(_) => "lijst",
        }
    }

    /// The value as text, for filters (lists have none).
    pub(crate) fn text(&self) -> Option<String> {
        match self {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::List(_) => None,
        }
    }

    pub(crate) fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Str(s) => s.clone().into(),
            Value::Int(i) => (*i).into(),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Bool(b) => (*b).into(),
            Value::List(l) => l.iter().map(Value::to_json).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Arg {
    pub key: String,
    pub value: Value,
    /// Byte offset of the key in the text.
    pub at: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    pub name: String,
    pub args: Vec<Arg>,
    /// Byte offset of the name in the text.
    pub at: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    /// `{{ name(…) }}`
    Inline(Call),
    /// `{% name(…) %}`, a body follows up to its `{% end %}`.
    Open(Call),
    /// `{% end %}`
    End,
    /// `{{/* name() */}}`: the call written out as text, without the
    /// comment marks (for pages that document shortcodes).
    Literal(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    pub span: Range<usize>,
    pub token: Token,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyntaxError {
    /// Byte offset of the problem.
    pub at: usize,
    /// Where scanning goes on (after the broken call's opener).
    pub resume: usize,
    pub message: String,
}

/// Byte ranges of `text` where calls are not read: code spans, fenced
/// code blocks and HTML comments, as pulldown-cmark parses them. Indented
/// text is read: an MkDocs admonition's body is indented four spaces,
/// which CommonMark alone would take for code.
pub(crate) fn skipped_ranges(text: &str) -> Vec<Range<usize>> {
    let mut ranges: Vec<Range<usize>> = Vec::new();
    for (event, range) in
        Parser::new_ext(text, crate::markdown::parser_options()).into_offset_iter()
    {
        let skip = match &event {
            Event::Code(_) | Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_))) => true,
            Event::Start(Tag::HtmlBlock) | Event::InlineHtml(_) | Event::Html(_) => {
                text[range.clone()].trim_start().starts_with("<!--")
            }
            _ => false,
        };
        if skip {
            ranges.push(range);
        }
    }
    ranges.sort_by_key(|r| r.start);
    ranges
}

/// The next call (or literal, or stray-free `{% end %}`) at or after
/// `from`, outside `skip` (sorted ranges). `Err` for a call that starts
/// right (`{{ name(`) but is broken after that.
pub(crate) fn next(
    text: &str,
    from: usize,
    skip: &[Range<usize>],
) -> Option<Result<Found, SyntaxError>> {
    let bytes = text.as_bytes();
    let mut i = from;
    while let Some(rel) = text.get(i..)?.find('{') {
        let at = i + rel;
        if let Some(r) = skip.iter().find(|r| r.contains(&at)) {
            i = r.end;
            continue;
        }
        let closer = match bytes.get(at + 1) {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            _ => {
                i = at + 1;
                continue;
            }
        };
        match read_at(text, at, closer) {
            Some(found) => return Some(found),
            None => i = at + 2,
        }
    }
    None
}

/// Reads a call starting at `at` (the `{`); `None` when it is no call.
fn read_at(text: &str, at: usize, closer: &str) -> Option<Result<Found, SyntaxError>> {
    let mut p = Cursor { text, pos: at + 2 };
    p.skip_ws();
    if p.eat("/*") {
        let end = text[p.pos..].find("*/")? + p.pos;
        let inner = &text[p.pos..end];
        let mut q = Cursor { text, pos: end + 2 };
        q.skip_ws();
        if !q.eat(closer) {
            return None;
        }
        let open = &text[at..at + 2];
        return Some(Ok(Found {
            span: at..q.pos,
            token: Token::Literal(format!("{open}{inner}{closer}")),
        }));
    }
    let name_at = p.pos;
    let name = p.ident()?;
    p.skip_ws();
    if closer == "%}" && name == "end" {
        if !p.eat(closer) {
            return None;
        }
        return Some(Ok(Found {
            span: at..p.pos,
            token: Token::End,
        }));
    }
    if !p.eat("(") {
        return None;
    }
    // From here on it is a call: problems are errors, not text.
    let fail = |pos: usize, message: String| {
        Some(Err(SyntaxError {
            at: pos,
            resume: at + 2,
            message,
        }))
    };
    let mut args = Vec::new();
    loop {
        p.skip_ws();
        if p.eat(")") {
            break;
        }
        let key_at = p.pos;
        let Some(key) = p.ident() else {
            return fail(
                p.pos,
                format!("shortcode '{name}': argumentnaam verwacht, zoals naam=\"waarde\""),
            );
        };
        p.skip_ws();
        if !p.eat("=") {
            return fail(
                p.pos,
                format!("shortcode '{name}': '=' verwacht na argument '{key}'"),
            );
        }
        p.skip_ws();
        let value = match p.value() {
            Ok(v) => v,
            Err((pos, msg)) => {
                return fail(pos, format!("shortcode '{name}', argument '{key}': {msg}"))
            }
        };
        if args.iter().any(|a: &Arg| a.key == key) {
            return fail(
                key_at,
                format!("shortcode '{name}': argument '{key}' staat er twee keer"),
            );
        }
        args.push(Arg {
            key,
            value,
            at: key_at,
        });
        p.skip_ws();
        if p.eat(",") {
            continue;
        }
        if p.eat(")") {
            break;
        }
        return fail(
            p.pos,
            format!(
                "shortcode '{name}': ',' of ')' verwacht na argument '{}'",
                args.last().map(|a| a.key.as_str()).unwrap_or("")
            ),
        );
    }
    p.skip_ws();
    if !p.eat(closer) {
        return fail(
            p.pos,
            format!("shortcode '{name}': '{closer}' verwacht na de argumenten"),
        );
    }
    let call = Call {
        name,
        args,
        at: name_at,
    };
    Some(Ok(Found {
        span: at..p.pos,
        token: if closer == "}}" {
            Token::Inline(call)
        } else {
            Token::Open(call)
        },
    }))
}

struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Option<String> {
        let rest = self.rest();
        let first = rest.chars().next()?;
        if !(first.is_ascii_alphabetic() || first == '_') {
            return None;
        }
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        self.pos += len;
        Some(rest[..len].to_string())
    }

    fn value(&mut self) -> Result<Value, (usize, String)> {
        let start = self.pos;
        let rest = self.rest();
        let Some(c) = rest.chars().next() else {
            return Err((start, "waarde verwacht".into()));
        };
        match c {
            '"' | '\'' | '`' => {
                let body = &rest[1..];
                let mut out = String::new();
                let mut chars = body.char_indices();
                while let Some((i, ch)) = chars.next() {
                    if ch == c {
                        self.pos = start + 1 + i + 1;
                        return Ok(Value::Str(out));
                    }
                    if ch == '\\' {
                        match chars.next() {
                            Some((_, e)) if e == c || e == '\\' => out.push(e),
                            Some((_, e)) => {
                                out.push('\\');
                                out.push(e);
                            }
                            None => break,
                        }
                        continue;
                    }
                    out.push(ch);
                }
                Err((start, format!("tekst niet afgesloten met {c}")))
            }
            '[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.eat("]") {
                        return Ok(Value::List(items));
                    }
                    items.push(self.value()?);
                    self.skip_ws();
                    if self.eat(",") {
                        continue;
                    }
                    if self.eat("]") {
                        return Ok(Value::List(items));
                    }
                    return Err((self.pos, "',' of ']' verwacht in de lijst".into()));
                }
            }
            _ => {
                let len = rest
                    .find(|ch: char| {
                        !(ch.is_ascii_alphanumeric() || ch == '.' || ch == '-' || ch == '_')
                    })
                    .unwrap_or(rest.len());
                let word = &rest[..len];
                let value = match word {
                    "true" => Some(Value::Bool(true)),
                    "false" => Some(Value::Bool(false)),
                    _ => word.parse::<i64>().map(Value::Int).ok().or_else(|| {
                        word.parse::<f64>()
                            .ok()
                            .filter(|f| f.is_finite())
                            .map(Value::Float)
                    }),
                };
                match value {
                    Some(v) if !word.is_empty() => {
                        self.pos += len;
                        Ok(v)
                    }
                    _ => Err((
                        start,
                        "verwacht tekst tussen aanhalingstekens, een getal, true, false of een lijst [..]".into(),
                    )),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &str) -> Option<Result<Found, SyntaxError>> {
        next(text, 0, &skipped_ranges(text))
    }

    fn call(text: &str) -> Call {
        match first(text) {
            Some(Ok(Found {
                token: Token::Inline(c) | Token::Open(c),
                ..
            })) => c,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn arguments_of_every_kind_are_read() {
        let c = call(
            "Zie {{ pages(section=\"praktijken\", limit=3, open=true, x=-1.5, l=['a', \"b\"]) }}.",
        );
        assert_eq!(c.name, "pages");
        let values: Vec<&Value> = c.args.iter().map(|a| &a.value).collect();
        assert_eq!(
            values,
            [
                &Value::Str("praktijken".into()),
                &Value::Int(3),
                &Value::Bool(true),
                &Value::Float(-1.5),
                &Value::List(vec![Value::Str("a".into()), Value::Str("b".into())]),
            ]
        );
        assert_eq!(c.at, 7);
    }

    #[test]
    fn braces_that_are_no_call_stay_text() {
        for t in [
            "Een {{ naam }} in een sjabloon.",
            "{{ geen haakjes }} en {% if x %}",
            "{{",
            "Accolades {{}} en {% %}",
            "{{ 3(x) }}",
        ] {
            assert_eq!(first(t), None, "{t}");
        }
    }

    #[test]
    fn code_spans_blocks_and_comments_are_skipped() {
        let t = "`{{ pages() }}`\n\n```\n{{ pages() }}\n```\n\n<!-- {{ pages() }} -->\n";
        assert_eq!(first(t), None);
        // Indented text is read (an admonition's body).
        let t = "!!! note \"Let op\"\n\n    {{ pages() }}\n";
        assert_eq!(call(t).name, "pages");
        let t = "`code` dan {{ pages() }}";
        assert_eq!(call(t).name, "pages");
    }

    #[test]
    fn body_calls_and_their_end_are_found() {
        let t = "{% kader(titel=\"Let op\") %}\nTekst\n{% end %}\n";
        let a = first(t).unwrap().unwrap();
        assert!(matches!(a.token, Token::Open(ref c) if c.name == "kader"));
        let b = next(t, a.span.end, &[]).unwrap().unwrap();
        assert_eq!(b.token, Token::End);
        assert_eq!(&t[b.span.clone()], "{% end %}");
    }

    #[test]
    fn commented_calls_are_written_out() {
        let f = first("Schrijf {{/* pages(limit=3) */}} zo.")
            .unwrap()
            .unwrap();
        assert_eq!(f.token, Token::Literal("{{ pages(limit=3) }}".into()));
    }

    #[test]
    fn broken_calls_are_errors_at_the_right_place() {
        let t = "{{ pages(limit=) }}";
        let e = first(t).unwrap().unwrap_err();
        assert_eq!(e.at, 15);
        assert!(e.message.contains("limit"), "{}", e.message);
        let e = first("{{ pages(section=\"a\" }}").unwrap().unwrap_err();
        assert!(e.message.contains("')'"), "{}", e.message);
        let e = first("{{ pages(a=1, a=2) }}").unwrap().unwrap_err();
        assert!(e.message.contains("twee keer"), "{}", e.message);
        let e = first("{{ pages(a=\"open) }}").unwrap().unwrap_err();
        assert!(e.message.contains("niet afgesloten"), "{}", e.message);
    }
}

#[cfg(test)]
mod properties {
    use super::*;

    proptest::proptest! {
        /// Any text: scanning ends, never panics, and every call found lies
        /// inside the text, after the one before.
        #[test]
        fn scanning_any_text_ends_within_it(text in "([{}%()=,\"'`a-z0-9 \\n\\[\\]/*é-]|\\{\\{ |\\{% |end|pages\\()*") {
            let skip = skipped_ranges(&text);
            let mut pos = 0;
            while let Some(found) = next(&text, pos, &skip) {
                let next_pos = match found {
                    Ok(f) => {
                        proptest::prop_assert!(f.span.start >= pos && f.span.end <= text.len());
                        f.span.end
                    }
                    Err(e) => {
                        proptest::prop_assert!(e.at <= text.len());
                        e.resume
                    }
                };
                proptest::prop_assert!(next_pos > pos);
                pos = next_pos;
            }
        }
    }
}
