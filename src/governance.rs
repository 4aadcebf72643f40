//! What a Dutch public body must keep up to date: the accessibility
//! statement (`toegankelijkheid:` in the config, rendered at
//! `/toegankelijkheid/` after the government's model statement) and each
//! page's owner, review date and last change, shown to readers.
//!
//! The checks here compare dates with [`crate::clock::today`], never with
//! the wall clock directly.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::content::Loaded;
use crate::error::{Code, Diagnostic};
use crate::model::{Changes, Page, Site};

/// A statement older than this many months needs a new test: the model
/// statement asks for a yearly review, and Logius counts a test older than
/// three years as no longer supporting the status.
pub(crate) const MAX_TEST_AGE_MONTHS: i32 = 36;

/// Compliance status of the model statement (Besluit digitale
/// toegankelijkheid overheid), A to E.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Status {
    A,
    B,
    C,
    D,
    E,
}

impl Status {
    /// The status's name in the register (toegankelijkheidsverklaring.nl).
    pub(crate) fn label(self) -> &'static str {
        match self {
            Status::A => "voldoet volledig",
            Status::B => "voldoet gedeeltelijk",
            Status::C => "eerste maatregelen genomen",
            Status::D => "geen maatregelen genomen",
            Status::E => "voldoet niet",
        }
    }
}

/// `toegankelijkheid:` in kennisbank.yaml.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// The organisation responsible for the site.
    pub organisatie: String,
    /// Name of the site in the statement (default: the site's title).
    #[serde(default)]
    pub website: Option<String>,
    pub status: Status,
    /// Date the statement was drawn up or last revised.
    pub datum_verklaring: NaiveDate,
    /// Date of the last accessibility test.
    pub laatste_onderzoek: NaiveDate,
    /// The tests that support the status.
    #[serde(default)]
    pub onderzoeken: Vec<Research>,
    pub contact: Contact,
    /// Known deviations from the requirements, with cause and measures.
    #[serde(default)]
    pub afwijkingen: Vec<Deviation>,
    /// Measures taken or planned beyond fixing the deviations.
    #[serde(default)]
    pub maatregelen: Vec<String>,
    /// Planned date by which the site will comply fully.
    #[serde(default)]
    pub volledig_voldoen_op: Option<NaiveDate>,
    /// Who signed the statement off (function), and when.
    #[serde(default)]
    pub akkoord: Option<Approval>,
    /// URL of the statement in the national register, once registered.
    #[serde(default)]
    pub register_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Research {
    pub datum: NaiveDate,
    /// Who tested (an auditor, or "eigen automatische toetsing").
    pub door: String,
    /// How: tools, WCAG version, which pages.
    pub methode: String,
    #[serde(default)]
    pub rapport: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub telefoon: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    /// How soon the organisation answers, e.g. "binnen 5 werkdagen".
    #[serde(default)]
    pub reactietermijn: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    pub beschrijving: String,
    /// The success criterion, e.g. "1.4.3 Contrast (minimum)".
    #[serde(default)]
    pub eis: Option<String>,
    #[serde(default)]
    pub oorzaak: Option<String>,
    #[serde(default)]
    pub gevolg: Option<String>,
    #[serde(default)]
    pub maatregel: Option<String>,
    #[serde(default)]
    pub opgelost_op: Option<NaiveDate>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    pub functie: String,
    pub datum: NaiveDate,
}

/// Warnings about the statement against `today`: a test too old to support
/// the status, a status A or B without a report, dates in the future.
pub(crate) fn check_statement(
    s: &Statement,
    config_text: &str,
    today: NaiveDate,
) -> Vec<Diagnostic> {
    let file = Path::new(crate::config::CONFIG_FILE);
    let line = |key: &str| nested_key_line(config_text, "toegankelijkheid", key);
    let mut out = Vec::new();
    let age = crate::clock::months_between(s.laatste_onderzoek, today);
    if age >= MAX_TEST_AGE_MONTHS {
        out.push(
            Diagnostic::warning(Code::A11yStatement,
                file,
                format!(
                    "toegankelijkheid: het laatste onderzoek ({}) is {age} maanden oud, ouder dan {MAX_TEST_AGE_MONTHS} maanden",
                    s.laatste_onderzoek
                ),
            )
            .at_line(line("laatste_onderzoek"))
            .hint("laat de site opnieuw onderzoeken en zet de datum van dat onderzoek in laatste_onderzoek"),
        );
    }
    for (key, date) in [
        ("laatste_onderzoek", s.laatste_onderzoek),
        ("datum_verklaring", s.datum_verklaring),
    ] {
        if date > today {
            out.push(
                Diagnostic::warning(
                    Code::A11yStatement,
                    file,
                    format!("toegankelijkheid: {key} ({date}) ligt in de toekomst"),
                )
                .at_line(line(key))
                .hint("vul de datum in waarop het onderzoek of de verklaring echt plaatsvond"),
            );
        }
    }
    if matches!(s.status, Status::A | Status::B)
        && !s.onderzoeken.iter().any(|r| r.rapport.is_some())
    {
        out.push(
            Diagnostic::warning(Code::A11yStatement,
                file,
                format!(
                    "toegankelijkheid: status {:?} ({}) vraagt een onderzoeksrapport van alle eisen",
                    s.status,
                    s.status.label()
                ),
            )
            .at_line(line("status"))
            .hint("noem het rapport onder onderzoeken (rapport: URL) of kies de status die het onderzoek onderbouwt (C bij alleen eigen of automatische toetsing)"),
        );
    }
    for (key, value) in [("email", &s.contact.email), ("url", &s.contact.url)] {
        let Some(value) = value else { continue };
        if let Some(domain) = placeholder_domain(value) {
            out.push(
                Diagnostic::warning(Code::A11yStatement,
                    file,
                    format!(
                        "toegankelijkheid: contact.{key} '{value}' is een voorbeeldadres ({domain} is gereserveerd voor voorbeelden: daar komt geen melding aan)"
                    ),
                )
                .at_line(line(key))
                .hint(format!(
                    "vul het echte {} in waar lezers een toegankelijkheidsprobleem melden, bijvoorbeeld dat van de redactie of de servicedesk van uw organisatie",
                    if key == "email" { "e-mailadres" } else { "adres" }
                )),
            );
        }
    }
    if s.contact.email.is_none() && s.contact.telefoon.is_none() && s.contact.url.is_none() {
        out.push(
            Diagnostic::warning(
                Code::A11yStatement,
                file,
                "toegankelijkheid: contact zonder e-mail, telefoon of URL",
            )
            .at_line(line("contact"))
            .hint("geef lezers een manier om een toegankelijkheidsprobleem te melden"),
        );
    }
    out
}

/// The domain of an e-mail address or URL when it is one reserved for
/// examples and tests (RFC 2606, RFC 6761): `example.org`/`.com`/`.net`
/// and their subdomains, and the TLDs `.example`, `.test`, `.invalid` and
/// `.localhost`. Mail sent there never reaches anyone.
pub(crate) fn placeholder_domain(address: &str) -> Option<String> {
    let a = address.trim();
    let a = a.strip_prefix("mailto:").unwrap_or(a);
    let host = match a.split_once("://") {
        Some((_, rest)) => rest,
        None => a.rsplit_once('@').map(|(_, d)| d)?,
    };
    let host = host
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .rsplit('@')
        .next()
        .unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let reserved_domain = ["example.org", "example.com", "example.net"]
        .iter()
        .find(|d| host == **d || host.ends_with(&format!(".{d}")));
    if let Some(d) = reserved_domain {
        return Some(d.to_string());
    }
    let tld = host.rsplit('.').next().unwrap_or_default();
    ["example", "test", "invalid", "localhost"]
        .contains(&tld)
        .then(|| format!(".{tld}"))
}

/// Line of `key:` inside the top-level block `parent:` of a YAML file.
fn nested_key_line(text: &str, parent: &str, key: &str) -> Option<usize> {
    let start = crate::yaml::key_line(text, parent)?;
    text.lines()
        .enumerate()
        .skip(start)
        .take_while(|(_, l)| l.is_empty() || l.starts_with([' ', '#']))
        .find(|(_, l)| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with(':'))
        })
        .map(|(i, _)| i + 1)
        .or(Some(start))
}

/// The change dates a parse needs, from what the load stage read.
pub(crate) fn changes(loaded: &Loaded) -> Changes {
    Changes {
        git: loaded.git.clone().unwrap_or_default(),
        files: loaded
            .stamps
            .iter()
            .filter_map(|(rel, s)| Some((rel.clone(), crate::clock::file_date(s.modified?))))
            .collect(),
    }
}

/// Where a page's "laatst gewijzigd" came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ChangeSource {
    Git,
    Updated,
    Bestand,
}

/// The page's last change: its newest commit, else `updated`, else the
/// file's time.
pub(crate) fn last_changed(changes: &Changes, page: &Page) -> Option<(NaiveDate, ChangeSource)> {
    let rel = &page.file.rel;
    changes
        .git
        .get(rel)
        .map(|d| (*d, ChangeSource::Git))
        .or(page.meta.updated.map(|d| (d, ChangeSource::Updated)))
        .or(changes.files.get(rel).map(|d| (*d, ChangeSource::Bestand)))
}

/// A page past its review date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overdue {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub eigenaar: Option<String>,
    pub herzien_op: NaiveDate,
}

/// Pages whose `herzien_op` is before `today`, oldest first.
pub(crate) fn overdue(site: &Site, today: NaiveDate) -> Vec<Overdue> {
    let mut out: Vec<Overdue> = site
        .pages
        .iter()
        .filter_map(|p| {
            let date = p.meta.herzien_op?;
            (date < today).then(|| Overdue {
                file: p.file.display.clone(),
                line: p.meta.raw.line("herzien_op"),
                eigenaar: p.meta.eigenaar.clone(),
                herzien_op: date,
            })
        })
        .collect();
    out.sort_by(|a, b| (a.herzien_op, &a.file).cmp(&(b.herzien_op, &b.file)));
    out
}

impl std::fmt::Display for Overdue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        write!(
            f,
            ": herzien vóór {} (eigenaar: {})",
            self.herzien_op,
            self.eigenaar.as_deref().unwrap_or("niet opgegeven")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(yaml: &str) -> Statement {
        crate::yaml::from_str(yaml).unwrap()
    }

    const BASE: &str = "organisatie: X\nstatus: C\ndatum_verklaring: 2026-01-10\nlaatste_onderzoek: 2023-06-01\ncontact:\n  url: /contact/\n";

    #[test]
    fn placeholder_domains_are_the_reserved_ones_only() {
        for (address, domain) in [
            ("toegankelijkheid@example.org", Some("example.org")),
            ("mailto:Redactie@Example.COM", Some("example.com")),
            ("info@mail.example.net.", Some("example.net")),
            ("https://www.example.org/contact", Some("example.org")),
            (
                "toegankelijkheid@voorbeeldcollege.example",
                Some(".example"),
            ),
            ("a@school.test", Some(".test")),
            ("http://localhost:8080/melden", Some(".localhost")),
            ("toegankelijkheid@rijksoverheid.nl", None),
            ("https://www.example-school.nl/contact", None),
            ("toegankelijkheid@notexample.org", None),
            ("/contact/", None),
        ] {
            assert_eq!(placeholder_domain(address).as_deref(), domain, "{address}");
        }
    }

    #[test]
    fn a_placeholder_contact_warns_at_its_line_and_says_what_to_fill_in() {
        let text = "title: x\ntoegankelijkheid:\n  organisatie: X\n  status: C\n  datum_verklaring: 2026-01-10\n  laatste_onderzoek: 2026-01-01\n  contact:\n    # Vervang dit adres.\n    email: toegankelijkheid@example.org\n    url: https://www.voorbeeld.test/melden\n";
        let parsed: crate::yaml::Value = crate::yaml::from_str(text).unwrap();
        let s: Statement = crate::yaml::from_value(parsed["toegankelijkheid"].clone()).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let d = check_statement(&s, text, today);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(d[0].line(), Some(9));
        assert!(
            d[0].message
                .contains("contact.email 'toegankelijkheid@example.org' is een voorbeeldadres"),
            "{}",
            d[0].message
        );
        assert!(d[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("vul het echte e-mailadres in"));
        assert_eq!(d[1].line(), Some(10));
        assert!(d[1].message.contains(".test"), "{}", d[1].message);
        let real = text
            .replace(
                "toegankelijkheid@example.org",
                "toegankelijkheid@rijksoverheid.nl",
            )
            .replace("https://www.voorbeeld.test/melden", "/contact/");
        let parsed: crate::yaml::Value = crate::yaml::from_str(&real).unwrap();
        let s: Statement = crate::yaml::from_value(parsed["toegankelijkheid"].clone()).unwrap();
        assert_eq!(check_statement(&s, &real, today), vec![]);
    }

    #[test]
    fn old_test_warns_at_its_line() {
        let text = format!(
            "title: t\ntoegankelijkheid:\n{}",
            BASE.lines().map(|l| format!("  {l}\n")).collect::<String>()
        );
        let d = check_statement(&statement(BASE), &text, "2026-06-01".parse().unwrap());
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("36 maanden oud"), "{}", d[0].message);
        assert_eq!(d[0].line(), Some(6));
        let fresh = check_statement(&statement(BASE), &text, "2026-05-31".parse().unwrap());
        assert!(fresh.is_empty(), "{fresh:?}");
    }

    #[test]
    fn status_a_needs_a_report() {
        let s = statement(
            &BASE
                .replace("status: C", "status: A")
                .replace("2023-06-01", "2026-01-01"),
        );
        let d = check_statement(&s, "", "2026-02-01".parse().unwrap());
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("status A"));
    }
}
