//! Tera errors as located diagnostics: "template:line: message", naming
//! the missing variable when that is the cause.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::error::{Code, Diagnostic};

/// Turns a Tera error into "template:line: message", naming the missing
/// variable when that is the cause.
pub(crate) fn template_error(
    e: &tera::Error,
    sources: &HashMap<String, (PathBuf, String)>,
    rendering: Option<&str>,
) -> Diagnostic {
    let mut chain = vec![e.to_string()];
    let mut cur: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(c) = cur {
        chain.push(c.to_string());
        cur = c.source();
    }
    let full = chain.join(": ");
    // Which template: the innermost one named in the chain.
    let named = chain
        .iter()
        .rev()
        .find_map(|m| quoted_name(m).filter(|n| sources.contains_key(*n)))
        .or(rendering)
        .unwrap_or("?");
    let (file, text) = sources
        .get(named)
        .map(|(f, t)| (f.clone(), t.as_str()))
        .unwrap_or_else(|| (PathBuf::from(named), ""));
    let mut d = Diagnostic::error(Code::TemplateRender, file, "");
    if let Some(pos) = full.find("--> ") {
        // Parse error: Tera prints "--> line:column".
        let loc: String = full[pos + 4..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ':')
            .collect();
        let mut nums = loc.split(':').filter_map(|n| n.parse::<usize>().ok());
        if let (Some(l), Some(c)) = (nums.next(), nums.next()) {
            d = d.at(l, c);
        }
        let detail = full
            .lines()
            .filter(|l| l.trim_start().starts_with("= "))
            .map(|l| l.trim_start()[2..].to_string())
            .collect::<Vec<_>>()
            .join("; ");
        d.code = Code::TemplateSyntax;
        d.message = format!(
            "sjabloon kan niet worden gelezen: {}",
            if detail.is_empty() {
                chain[0].clone()
            } else {
                detail
            }
        );
    } else if let Some(var) = backticked_after(&full, "Variable `") {
        d.code = Code::TemplateUnknownVariable;
        d.message = format!(
            "variabele `{var}` bestaat niet in de context van '{}'",
            rendering.unwrap_or(named)
        );
        d = d.at_line(find_line(text, &var));
        d = d.hint(
            "zie docs/templates.md voor de beschikbare variabelen, of gebruik `| default(value=…)`",
        );
    } else {
        d.message = chain.last().cloned().unwrap_or_default();
        if let Some(f) =
            backticked_after(&full, "Filter `").or_else(|| backticked_after(&full, "Function `"))
        {
            d = d.at_line(find_line(text, &f));
        }
    }
    d
}

fn quoted_name(msg: &str) -> Option<&str> {
    let start = msg.find(['\'', '"'])?;
    let q = msg[start..].chars().next()?;
    let rest = &msg[start + 1..];
    let end = rest.find(q)?;
    Some(&rest[..end])
}

fn backticked_after(msg: &str, prefix: &str) -> Option<String> {
    let i = msg.find(prefix)?;
    let rest = &msg[i + prefix.len()..];
    rest.find('`').map(|end| rest[..end].to_string())
}

fn find_line(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}
