//! The bundled VIA content against the content audit (reviews/2026-12-content-audit.md):
//! the corrected errors stay gone, every conclusion says it is provisional, and
//! the typed relations only claim what the letter supports. Pages and
//! relations are read from the front matter, so a new page is checked too.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_yaml::{Mapping, Value};

/// One Markdown file of `content/`.
struct Page {
    /// Path under content/ (`conclusies/taal-als-randvoorwaarde.md`).
    rel: String,
    front: Mapping,
    body: String,
}

impl Page {
    fn section(&self) -> &str {
        self.rel.split_once('/').map(|(s, _)| s).unwrap_or("")
    }

    fn slug(&self) -> &str {
        let file = self.rel.rsplit('/').next().unwrap_or(&self.rel);
        file.trim_end_matches(".md")
    }

    fn is_index(&self) -> bool {
        self.rel.ends_with("_index.md")
    }

    fn title(&self) -> &str {
        self.front
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// A relation field (`pilots: [a, b]`) as slugs.
    fn related(&self, key: &str) -> Vec<String> {
        match self.front.get(key) {
            Some(Value::Sequence(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    fn text_field(&self, key: &str) -> &str {
        self.front.get(key).and_then(Value::as_str).unwrap_or("")
    }
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn pages() -> Vec<Page> {
    let content = repo().join("content");
    let mut pages: Vec<Page> = walkdir::WalkDir::new(&content)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(&content)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(e.path()).unwrap();
            let rest = text
                .strip_prefix("---\n")
                .unwrap_or_else(|| panic!("{rel}: no front matter"));
            let (front, body) = rest
                .split_once("\n---\n")
                .unwrap_or_else(|| panic!("{rel}: front matter not closed"));
            let front: Mapping = serde_yaml::from_str(front).unwrap();
            Page {
                rel,
                front,
                body: body.to_string(),
            }
        })
        .collect();
    pages.sort_by(|a, b| a.rel.cmp(&b.rel));
    assert!(
        pages.iter().filter(|p| !p.is_index()).count() > 10,
        "the bundled content is missing"
    );
    pages
}

/// Markdown as running text: link targets dropped, markup and line breaks
/// gone, so a phrase split over two lines or across a link still matches.
fn plain(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(i) = rest.find("](") {
        out.push_str(&rest[..i]);
        rest = &rest[i + 2..];
        rest = rest.find(')').map_or("", |j| &rest[j + 1..]);
    }
    out.push_str(rest);
    let out: String = out
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | '*' | '_' | '`' | '>'))
        .collect();
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every text of a page: the body and each string in the front matter.
fn all_text(page: &Page) -> String {
    fn strings(v: &Value, out: &mut String) {
        match v {
            Value::String(s) => {
                out.push_str(s);
                out.push_str(". ");
            }
            Value::Sequence(items) => items.iter().for_each(|i| strings(i, out)),
            Value::Mapping(m) => m.values().for_each(|i| strings(i, out)),
            _ => {}
        }
    }
    let mut text = String::new();
    // The schema describes fields, it says nothing about VIA.
    for (k, v) in &page.front {
        if k.as_str() != Some("schema") {
            strings(v, &mut text);
        }
    }
    text.push_str(&page.body);
    plain(&text)
}

fn sentences(text: &str) -> Vec<&str> {
    text.split_inclusive(['.', '!', '?', ':', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// A word of the verb *steunen* ("steunt op"), not *ondersteunen*.
fn says_rests_on(sentence: &str) -> bool {
    sentence
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| matches!(w.to_lowercase().as_str(), "steun" | "steunt" | "steunen"))
}

#[test]
fn plain_joins_lines_and_drops_link_targets() {
    assert_eq!(
        plain("Daarom gaat het\n[Kennispunt **Gelijke**](@/a.md#k) helpen."),
        "Daarom gaat het Kennispunt Gelijke helpen."
    );
    assert!(says_rests_on("Een conclusie steunt op pilots."));
    assert!(!says_rests_on("Het kennispunt ondersteunt scholen."));
}

#[test]
fn the_audited_errors_are_gone() {
    // Audit findings 1-4: phrases that stated what the letter does not say.
    let wrong = [
        // 1: the scale-up has not started; the Kennispunt is set up for it.
        "al op grotere schaal ingezet",
        // 2: the monitor is the minister's own step, not done with the Taskforce.
        "het volgende met de Taskforce",
        // 3: the letter says nothing about these pilots' results.
        "daarom nog geen resultaten",
        // 4: the Kennispunt is not set up because of corona internship problems.
        "Daarom gaat het Kennispunt",
    ];
    let mut found = Vec::new();
    for page in pages() {
        let text = all_text(&page).to_lowercase();
        for phrase in wrong {
            if text.contains(&phrase.to_lowercase()) {
                found.push(format!("{}: \"{phrase}\"", page.rel));
            }
        }
    }
    assert!(found.is_empty(), "audited errors are back: {found:#?}");
}

#[test]
fn the_monitor_is_not_a_taskforce_theme() {
    let pages = pages();
    let taskforce = pages
        .iter()
        .find(|p| p.slug() == "taskforce-werk-en-integratie")
        .expect("the Taskforce page");
    let themes = taskforce.related("thema");
    assert!(!themes.is_empty(), "the Taskforce page has themes");
    assert!(
        !themes.iter().any(|t| t == "monitoring"),
        "the letter does not link the monitor to the Taskforce: {themes:?}"
    );
}

#[test]
fn every_conclusion_page_says_it_is_provisional() {
    let out = tempfile::tempdir().unwrap();
    let public = out.path().join("public");
    let run = std::process::Command::new(common::bin())
        .args(["build", "--no-search", "--root"])
        .arg(repo())
        .arg("--output")
        .arg(&public)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let conclusions: Vec<Page> = pages()
        .into_iter()
        .filter(|p| p.section() == "conclusies" && !p.is_index())
        .collect();
    assert!(!conclusions.is_empty());
    for c in &conclusions {
        assert_eq!(
            c.front.get("voorlopig").and_then(Value::as_bool),
            Some(true),
            "{}: voorlopig: true",
            c.rel
        );
        let html =
            std::fs::read_to_string(public.join("conclusies").join(c.slug()).join("index.html"))
                .unwrap();
        let main = html
            .split_once("<main")
            .map(|(_, m)| m)
            .unwrap_or_else(|| panic!("{}: no <main>", c.rel));
        assert!(
            main.to_lowercase().contains("voorlopig"),
            "{}: the page itself says the conclusion is provisional",
            c.rel
        );
    }
}

#[test]
fn no_page_says_a_conclusion_rests_on_a_pilot() {
    // Audit finding 12 and section 3: the letter links no conclusion to a pilot.
    let mut found = Vec::new();
    for page in pages() {
        let text = all_text(&page);
        for s in sentences(&text) {
            if says_rests_on(s) && s.to_lowercase().contains("pilot") {
                found.push(format!("{}: {s}", page.rel));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_conclusion_names_its_pilot_and_says_the_letter_does_not() {
    // A conclusion may point at the pilot on the same topic, but its
    // `onderbouwing` names that pilot and says the letter makes no such link.
    let pages = pages();
    let titles: BTreeMap<String, &str> = pages
        .iter()
        .filter(|p| p.section() == "pilots")
        .map(|p| (p.slug().to_string(), p.title()))
        .collect();
    let mut linked = 0;
    for c in pages
        .iter()
        .filter(|p| p.section() == "conclusies" && !p.is_index())
    {
        let basis = c.text_field("onderbouwing");
        assert!(!basis.trim().is_empty(), "{}: onderbouwing", c.rel);
        for pilot in c.related("pilots") {
            linked += 1;
            let title = titles
                .get(&pilot)
                .unwrap_or_else(|| panic!("{}: no pilot '{pilot}'", c.rel));
            assert!(
                basis.contains(title),
                "{}: onderbouwing names the pilot '{title}'",
                c.rel
            );
            assert!(
                basis.contains("noemt de pilot niet"),
                "{}: onderbouwing says the letter does not name the pilot: {basis}",
                c.rel
            );
        }
        // A conclusion whose basis says the letter names no pilot links none.
        if basis.contains("geen pilot") || basis.contains("niet uit welke pilot") {
            assert!(c.related("pilots").is_empty(), "{}: {basis}", c.rel);
        }
    }
    assert!(
        linked > 0,
        "no conclusion links a pilot: the rule checked nothing"
    );
}

#[test]
fn practices_link_only_what_their_basis_supports() {
    // A practice that rests on conclusions may name only the pilots those
    // conclusions point at (audit section 3: inherited links). A practice
    // without conclusions rests on the pilots' state itself. Either way its
    // "Onderbouwing" section lists exactly the pages in its front matter.
    let pages = pages();
    let by_key: BTreeMap<(String, String), &Page> = pages
        .iter()
        .map(|p| ((p.section().to_string(), p.slug().to_string()), p))
        .collect();
    let mut checked = 0;
    for p in pages
        .iter()
        .filter(|p| p.section() == "praktijken" && !p.is_index())
    {
        let conclusions = p.related("conclusies");
        let pilots = p.related("pilots");
        assert!(
            !(conclusions.is_empty() && pilots.is_empty()),
            "{}: a practice names what it is based on",
            p.rel
        );
        if !conclusions.is_empty() {
            let supported: BTreeSet<String> = conclusions
                .iter()
                .map(|c| {
                    by_key
                        .get(&("conclusies".to_string(), c.clone()))
                        .unwrap_or_else(|| panic!("{}: no conclusion '{c}'", p.rel))
                })
                .flat_map(|c| c.related("pilots"))
                .collect();
            for pilot in &pilots {
                assert!(
                    supported.contains(pilot),
                    "{}: pilot '{pilot}' is not the pilot of any of its conclusions {conclusions:?}",
                    p.rel
                );
            }
        }
        let basis = p
            .body
            .split_once("## Onderbouwing")
            .map(|(_, rest)| rest.split("\n## ").next().unwrap_or(""))
            .unwrap_or_else(|| panic!("{}: no Onderbouwing section", p.rel));
        let listed: BTreeSet<String> = basis
            .match_indices("](@/")
            .filter_map(|(i, _)| {
                let target = &basis[i + 4..];
                let target = &target[..target.find([')', '#'])?];
                let (section, file) = target.split_once('/')?;
                matches!(section, "pilots" | "conclusies")
                    .then(|| format!("{section}/{}", file.trim_end_matches(".md")))
            })
            .collect();
        let declared: BTreeSet<String> = conclusions
            .iter()
            .map(|c| format!("conclusies/{c}"))
            .chain(pilots.iter().map(|c| format!("pilots/{c}")))
            .collect();
        assert_eq!(listed, declared, "{}: Onderbouwing vs front matter", p.rel);
        checked += 1;
    }
    assert!(checked > 0);
}

#[test]
fn general_explanations_of_taskforce_members_are_marked() {
    // Audit finding 30: the letter does not explain the members' names; the
    // explanations in Begrippen are marked as general explanation.
    let pages = pages();
    let begrippen = pages.iter().find(|p| p.rel == "begrippen.md").unwrap();
    let intro = plain(begrippen.body.split("\n## ").next().unwrap_or(""));
    assert!(
        intro.contains("algemene uitleg") && intro.contains("niet uit de brief"),
        "{intro}"
    );
    let taskforce = pages
        .iter()
        .find(|p| p.slug() == "taskforce-werk-en-integratie")
        .unwrap();
    let anchors: BTreeSet<&str> = begrippen
        .body
        .match_indices("{#")
        .filter_map(|(i, _)| {
            let rest = &begrippen.body[i + 2..];
            rest.find('}').map(|j| &rest[..j])
        })
        .collect();
    let members: Vec<&str> = taskforce
        .body
        .lines()
        .filter(|l| {
            l.split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
        })
        .collect();
    assert!(!members.is_empty(), "the member list");
    for m in members {
        let anchor = m
            .split_once("(@/begrippen.md#")
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(a, _)| a)
            .unwrap_or_else(|| panic!("member without explanation: {m}"));
        assert!(
            anchors.contains(anchor),
            "no Begrippen entry #{anchor}: {m}"
        );
    }
}
