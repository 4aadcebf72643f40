//! Attribute lists (Python-Markdown `attr_list`, as MkDocs pages use them):
//! `[Download](x.csv){ .button }`, `![Kaart](a.png){ width="300" }`,
//! `{: .class }` on the line after a paragraph. Classes on links and images
//! are kept; other attributes are dropped, and no list is ever shown as
//! text. Headings' lists are read by pulldown-cmark itself.

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

use super::escape;

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Attrs {
    pub classes: Vec<String>,
    /// Other keys (`width`, `data-search-exclude`), values dropped.
    pub keys: Vec<String>,
}

fn name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_' || c == ':'
}

/// An attribute list at the start of `text`: its attributes and length.
pub(crate) fn parse(text: &str) -> Option<(Attrs, usize)> {
    let inner_start = 1;
    if !text.starts_with('{') {
        return None;
    }
    let mut attrs = Attrs::default();
    let mut rest = &text[inner_start..];
    rest = rest.strip_prefix(':').unwrap_or(rest);
    let mut strong = rest.len() < text.len() - 1; // `{:` is always one
    loop {
        rest = rest.trim_start_matches([' ', '\t']);
        if let Some(r) = rest.strip_prefix('}') {
            if !strong {
                return None;
            }
            return Some((attrs, text.len() - r.len()));
        }
        let (token_len, token) = {
            let first = rest.chars().next()?;
            match first {
                '.' | '#' => {
                    let n = rest[1..]
                        .find(|c: char| !name_char(c))
                        .unwrap_or(rest.len() - 1);
                    if n == 0 {
                        return None;
                    }
                    (1 + n, &rest[..1 + n])
                }
                c if name_char(c) => {
                    let n = rest.find(|c: char| !name_char(c)).unwrap_or(rest.len());
                    let mut len = n;
                    if rest[n..].starts_with('=') {
                        let v = &rest[n + 1..];
                        len += 1 + match v.chars().next()? {
                            q @ ('"' | '\'') => v[1..].find(q)? + 2,
                            _ => v.find([' ', '\t', '}']).unwrap_or(v.len()),
                        };
                    }
                    (len, &rest[..n])
                }
                _ => return None,
            }
        };
        match token.as_bytes()[0] {
            b'.' => {
                attrs.classes.push(token[1..].to_string());
                strong = true;
            }
            b'#' => strong = true,
            _ => {
                // A bare word is an attribute only when it looks like
                // one, so `{x}` in a sentence stays text.
                strong |= token.contains('-') || rest[token.len()..].starts_with('=');
                attrs.keys.push(token.to_string());
            }
        }
        rest = &rest[token_len..];
    }
}

fn text_of<'e>(e: &'e Event) -> Option<&'e str> {
    match e {
        Event::Text(t) => Some(t),
        _ => None,
    }
}

/// Applies and removes the attribute lists in `events`; returns the
/// words taken out of the text (for the word count).
pub(crate) fn apply(events: &mut [Event]) -> usize {
    let mut removed = 0;
    let mut open: Option<usize> = None;
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => open = Some(i),
            Event::End(end @ (TagEnd::Link | TagEnd::Image)) => {
                let image = *end == TagEnd::Image;
                let parsed = events.get(i + 1).and_then(text_of).and_then(|t| {
                    parse(t).map(|(a, n)| (a, t[n..].to_string(), t[..n].to_string()))
                });
                if let (Some(start), Some((attrs, rest, list))) = (open.take(), parsed) {
                    removed += super::count_words(&list);
                    events[i + 1] = Event::Text(rest.into());
                    if !attrs.classes.is_empty() {
                        with_classes(events, start, i, image, &attrs.classes.join(" "));
                    }
                }
            }
            // After other inline markup the list is dropped (no class
            // to put it on in pulldown-cmark's HTML).
            Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough)
            | Event::Code(_) => {
                if let Some(Event::Text(t)) = events.get(i + 1) {
                    if let Some((_, n)) = parse(t) {
                        removed += super::count_words(&t[..n]);
                        events[i + 1] = Event::Text(t[n..].to_string().into());
                    }
                }
            }
            Event::Text(t) => {
                // A list alone on a block's last line (`{: .lead }` after
                // a paragraph, `{ .annotate }` after a list item).
                let ends_block = matches!(
                    events.get(i + 1),
                    Some(Event::End(
                        TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell
                    ))
                );
                let line_start = i == 0
                    || matches!(
                        events[i - 1],
                        Event::SoftBreak | Event::HardBreak | Event::Start(_)
                    );
                if ends_block && line_start {
                    if let Some((_, n)) = parse(t.trim_end()) {
                        if n == t.trim_end().len() {
                            removed += super::count_words(t);
                            events[i] = Event::Text(CowStr::Borrowed(""));
                            if matches!(events[i - 1], Event::SoftBreak | Event::HardBreak) {
                                events[i - 1] = Event::Text(CowStr::Borrowed(""));
                            } else if matches!(events[i - 1], Event::Start(Tag::Paragraph))
                                && matches!(events[i + 1], Event::End(TagEnd::Paragraph))
                            {
                                events[i - 1] = Event::Text(CowStr::Borrowed(""));
                                events[i + 1] = Event::Text(CowStr::Borrowed(""));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    removed
}

/// Writes the link or image `start..=end` as HTML with `class`.
fn with_classes(events: &mut [Event], start: usize, end: usize, image: bool, class: &str) {
    let Event::Start(
        Tag::Link {
            dest_url, title, ..
        }
        | Tag::Image {
            dest_url, title, ..
        },
    ) = &events[start]
    else {
        return;
    };
    let title_attr = if title.is_empty() {
        String::new()
    } else {
        format!(" title=\"{}\"", escape(title))
    };
    let dest = escape(dest_url);
    let class = escape(class);
    if image {
        let mut alt = String::new();
        for e in &events[start + 1..end] {
            if let Event::Text(t) | Event::Code(t) = e {
                alt.push_str(t);
            }
        }
        events[start] = Event::InlineHtml(
            format!(
                "<img src=\"{dest}\" alt=\"{}\"{title_attr} class=\"{class}\" />",
                escape(&alt)
            )
            .into(),
        );
        for e in &mut events[start + 1..=end] {
            *e = Event::Text(CowStr::Borrowed(""));
        }
    } else {
        events[start] =
            Event::InlineHtml(format!("<a href=\"{dest}\"{title_attr} class=\"{class}\">").into());
        events[end] = Event::InlineHtml(CowStr::Borrowed("</a>"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_in_both_styles() {
        let (a, n) = parse("{ .button .groot } daarna").unwrap();
        assert_eq!(a.classes, ["button", "groot"]);
        assert_eq!(n, "{ .button .groot }".len());
        let (a, _) = parse("{: #kop .lead }").unwrap();
        assert_eq!(a.classes, ["lead"]);
        let (a, _) = parse("{ width=\"300\" loading=lazy }").unwrap();
        assert_eq!(a.keys, ["width", "loading"]);
        let (a, _) = parse("{ data-search-exclude }").unwrap();
        assert_eq!(a.keys, ["data-search-exclude"]);
        assert!(parse("{x}").is_none());
        assert!(parse("{ niet af").is_none());
        assert!(parse("{ 'x' }").is_none());
        assert!(parse("{:}").is_some());
    }
}
