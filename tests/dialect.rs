//! The Markdown editors of MkDocs-Material knowledge bases already write:
//! admonitions and collapsibles, GitHub alerts, HTML comments, abbreviations
//! (with a site-wide file) and attribute lists, on the fixture
//! `tests/fixtures/dialect` built with the default theme.

mod common;

use std::path::{Path, PathBuf};

use common::{copy_dir, TestSite};
use kennisbank::model::{Site, Target};
use kennisbank::site::{build_in_memory, BuildOptions};

/// The fixture with the repository's default theme beside it.
fn site() -> TestSite {
    let site = TestSite::fixture("dialect");
    let theme = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default");
    copy_dir(&theme, &site.path("themes/default"));
    site
}

fn in_memory(site: &TestSite) -> Site {
    let built = build_in_memory(&BuildOptions {
        root: site.root().to_path_buf(),
        ..BuildOptions::default()
    })
    .unwrap_or_else(|f| panic!("build failed: {:?}", f.diagnostics));
    built.site
}

fn body(site: &Site, rel: &str) -> String {
    match site.by_file[rel] {
        Target::Page(p) => site.pages[p].rendered.html.to_string(),
        Target::Section(s) => site.sections[s].rendered.html.to_string(),
    }
}

/// Every Markdown file of the fixture, relative to content/.
fn fixture_pages() -> Vec<String> {
    let content = common::fixture_dir("dialect").join("content");
    let mut out: Vec<String> = walkdir::WalkDir::new(&content)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| {
            e.path()
                .strip_prefix(&content)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_construct_renders_as_meant() {
    let s = site();
    let model = in_memory(&s);
    for rel in fixture_pages() {
        let name = rel.trim_end_matches(".md").replace('/', "__");
        insta::assert_snapshot!(format!("dialect__{name}"), body(&model, &rel));
    }
}

#[test]
fn callouts_get_the_themes_default_titles_and_styles() {
    let s = site();
    let model = in_memory(&s);
    let h = body(&model, "begeleiding/stage-zoeken.md");
    // Default title from themes/default/i18n/nl.yaml, custom title, no title.
    assert!(h.contains("<p class=\"callout-title\">Tip</p>"), "{h}");
    assert!(
        h.contains("<p class=\"callout-title\">Voorlopig resultaat</p>"),
        "{h}"
    );
    assert!(
        h.contains("<div class=\"callout callout-warning warning\">\n<p>Deel"),
        "{h}"
    );
    // Unknown type: neutral, its type kept as a class.
    assert!(
        h.contains("<div class=\"callout callout-neutral expander\">"),
        "{h}"
    );
    // Collapsibles: closed, open, untyped.
    assert!(h.contains("<details class=\"callout callout-note info\">\n<summary class=\"callout-title\">Achtergrond bij de pilot</summary>"), "{h}");
    assert!(
        h.contains("<details class=\"callout callout-tip success\" open>"),
        "{h}"
    );
    assert!(
        h.contains("<summary class=\"callout-title\">Colofon</summary>"),
        "{h}"
    );
    let alerts = body(&model, "begeleiding/intakegesprek.md");
    for (class, title) in [
        ("callout-note note", "Opmerking"),
        ("callout-tip tip", "Voorbereiding"),
        ("callout-important important", "Belangrijk"),
        ("callout-warning warning", "Waarschuwing"),
        ("callout-danger caution", "Privacy"),
    ] {
        assert!(
            alerts.contains(&format!(
                "<div class=\"callout {class}\">\n<p class=\"callout-title\">{title}</p>"
            )),
            "{class}: {alerts}"
        );
    }
}

#[test]
fn the_built_in_default_theme_gives_the_titles_too() {
    // No themes/ folder: the theme built into the binary.
    let s = TestSite::fixture("dialect");
    assert!(!s.path("themes").exists());
    let model = in_memory(&s);
    let h = body(&model, "begeleiding/intakegesprek.md");
    assert!(
        h.contains("<p class=\"callout-title\">Belangrijk</p>"),
        "{h}"
    );
}

#[test]
fn english_site_gets_english_default_titles() {
    let s = site();
    let config = s
        .read("kennisbank.yaml")
        .replace("language: nl", "language: en");
    s.write("kennisbank.yaml", &config);
    let model = in_memory(&s);
    let h = body(&model, "begeleiding/intakegesprek.md");
    assert!(h.contains(">Important</p>"), "{h}");
    assert!(!h.contains(">Belangrijk</p>"), "{h}");
}

#[test]
fn no_dialect_residue_in_any_output_page() {
    let s = site();
    s.build().assert_ok();
    let public = s.path("public");
    let mut checked = 0;
    for rel in fixture_pages() {
        let url = match rel.strip_suffix("_index.md") {
            Some(dir) => dir.to_string(),
            None => format!("{}/", rel.trim_end_matches(".md")),
        };
        let file: PathBuf = public.join(url).join("index.html");
        let html =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for residue in ["!!!", "???", "&lt;!--", "<!--", "*[", "{ .", "{:", "[!"] {
            assert!(
                !html.contains(residue),
                "{rel}: {residue:?} in the output:\n{html}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, fixture_pages().len());
}

/// Writes a page whose broken links sit inside and after callouts, and
/// checks each is reported at its line and column in the file (the
/// pre-pass cuts the callouts' indents; columns count them).
#[test]
fn broken_links_inside_and_after_callouts_report_their_file_line() {
    let s = site();
    let text = "---\ntitle: \"Kapotte links\"\ndoelgroep: [werkgevers]\n---\nInleiding.\n\n!!! note \"Let op\"\n    Eerste regel.\n\n    Zie [binnen](@/bestaat-niet-1.md).\n\n    !!! tip\n        Dieper: [dieper](@/bestaat-niet-2.md).\nDirect na: [na](@/bestaat-niet-3.md).\n\n??? info \"Dicht\"\n\tMet een tab: [tab](@/bestaat-niet-4.md).\n\n> [!WARNING] Titel\n> In een alert: [alert](@/bestaat-niet-5.md).\n\nAan het eind: [eind](@/bestaat-niet-6.md).\n";
    s.write("content/begeleiding/kapot.md", text);
    let run = s.run(&["check"]);
    let mut needles = Vec::new();
    for n in 1..=6 {
        let target = format!("@/bestaat-niet-{n}.md");
        let (i, l) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(&target))
            .expect("target in text");
        let bracket = l[..l.find(&target).expect("target")]
            .rfind('[')
            .expect("a link");
        let (line, col) = (i + 1, l[..bracket].chars().count() + 1);
        needles.push(format!(
            "content/begeleiding/kapot.md:{line}:{col}: fout: kapotte link '{target}'"
        ));
    }
    let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
    run.assert_fails_with(&needles);
}

#[test]
fn callout_text_is_in_the_search_records_and_comments_are_not() {
    let s = site();
    let model = in_memory(&s);
    let ids: Vec<usize> = (0..model.pages.len()).collect();
    let records = kennisbank::search::records(&model, &ids);
    let record_of = |url: &str| {
        records
            .iter()
            .find(|r| r.url == url)
            .unwrap_or_else(|| panic!("no record for {url}"))
            .content()
    };
    let zoeken = record_of("/begeleiding/stage-zoeken/");
    for text in [
        "Voorlopig resultaat",
        "De eerste cijfers zijn",
        "Gebruik dan een alumnus",
        "Laat een student niet alleen solliciteren",
        "De pilot liep op vier",
        "Studenten met een buddy vonden sneller",
    ] {
        assert!(zoeken.contains(text), "{text:?} not indexed:\n{zoeken}");
    }
    let intake = record_of("/begeleiding/intakegesprek/");
    assert!(intake.contains("Beloof geen stageplek"), "{intake}");
    for comment in ["Redactie:", "bron: gesprek", "Oude tekst", "TODO"] {
        assert!(!intake.contains(comment), "{comment:?} indexed:\n{intake}");
    }
    // `{ data-search-exclude }`: on the page, not in the index; the
    // section ends at the next heading of its level.
    let downloads = record_of("/achtergrond/downloads/");
    let page = body(&model, "achtergrond/downloads.md");
    for text in [
        "Interne afspraken",
        "horen niet in de zoekresultaten",
        "Bel eerst",
    ] {
        assert!(page.contains(text), "{text:?} missing on the page");
        assert!(!downloads.contains(text), "{text:?} indexed:\n{downloads}");
    }
    assert!(
        downloads.contains("Mail naar het stagebureau"),
        "{downloads}"
    );
}

#[test]
fn site_abbreviations_apply_everywhere_and_page_ones_win() {
    let s = site();
    let model = in_memory(&s);
    let via = "<abbr title=\"Verdere Integratie op de Arbeidsmarkt\">VIA</abbr>";
    assert!(body(&model, "_index.md").contains(&format!("{via}-programma")));
    assert!(body(&model, "begeleiding/_index.md").contains(via));
    let regels = body(&model, "achtergrond/regelgeving.md");
    assert!(
        regels.contains("<abbr title=\"Vereniging Innovatieve Aanpakken\">VIA</abbr>-scholen"),
        "{regels}"
    );
    assert!(!regels.contains(via), "{regels}");
    // An empty page definition switches the site one off.
    assert!(regels.contains("De AVG wordt"), "{regels}");
    assert!(
        regels.contains(
            "<abbr title=\"Uitvoeringsinstituut Werknemersverzekeringen\">UWV</abbr>-loket"
        ),
        "{regels}"
    );
    assert!(
        regels.contains("UWVX") && regels.contains("<code>UWV</code>"),
        "{regels}"
    );
    assert!(regels.contains(">het UWV</a>"), "{regels}");
    // Headings keep plain-text ids.
    assert!(regels.contains("<h2 id=\"rol-van-het-uwv\">"), "{regels}");
    // Definitions are not text: not rendered, not counted.
    let p = &model.pages[match model.by_file["achtergrond/regelgeving.md"] {
        Target::Page(p) => p,
        Target::Section(_) => unreachable!("a page"),
    }];
    assert!(!regels.contains("Vereniging Innovatieve Aanpakken\n"));
    let words_in_definitions = 3 + 1;
    let text_words: usize = regels
        .split('<')
        .map(|part| part.split_once('>').map_or(part, |(_, t)| t))
        .map(|t| t.split_whitespace().count())
        .sum();
    assert!(
        p.rendered.word_count < text_words + words_in_definitions,
        "word count {} counts the definitions ({text_words} words of text)",
        p.rendered.word_count
    );
}

#[test]
fn missing_abbreviations_file_is_an_error_naming_the_key() {
    let s = site();
    std::fs::remove_file(s.path("includes/abbreviations.md")).unwrap();
    s.build().assert_fails_with(&[
        "kennisbank.yaml",
        "includes/abbreviations.md",
        "markdown.abbreviations",
    ]);
}

#[test]
fn attribute_lists_keep_classes_only() {
    let s = site();
    let model = in_memory(&s);
    let h = body(&model, "achtergrond/downloads.md");
    assert!(
        h.contains("<a href=\"/stages/downloads/stageplaatsen.csv\" class=\"button button-primary\">Download de lijst met stageplaatsen</a>"),
        "{h}"
    );
    assert!(h.contains("class=\"secundair\">de toelichting</a>"), "{h}");
    assert!(
        h.contains("<img src=\"/stages/img/kaart.png\" alt=\"Kaart van de regio&#39;s met stageplaatsen\" />")
            || h.contains("<img src=\"/stages/img/kaart.png\" alt=\"Kaart van de regio's met stageplaatsen\" />"),
        "{h}"
    );
    assert!(!h.contains("width"), "{h}");
    assert!(h.contains("class=\"logo\" />"), "{h}");
    assert!(
        h.contains("<h2 id=\"formulieren\" class=\"formulieren\">"),
        "{h}"
    );
    assert!(
        h.contains("<p>Hier staan de formulieren voor de stage.</p>"),
        "{h}"
    );
    assert!(
        !h.contains("annotate") && !h.contains("data-search-exclude"),
        "{h}"
    );
}

#[test]
fn comments_are_dropped_with_raw_html_on_too() {
    let s = site();
    let config = s
        .read("kennisbank.yaml")
        .replace("markdown:\n", "markdown:\n  raw_html: true\n");
    s.write("kennisbank.yaml", &config);
    let model = in_memory(&s);
    let h = body(&model, "begeleiding/intakegesprek.md");
    assert!(!h.contains("<!--") && !h.contains("Redactie"), "{h}");
    assert!(h.contains("Een goed intakegesprek begint"), "{h}");
}

// ---- serve ------------------------------------------------------------------

mod serve {
    use super::*;
    use kennisbank::serve::classify::{Batch, ChangeKind};
    use kennisbank::serve::engine::Engine;
    use std::collections::BTreeMap;

    fn engine(site: &TestSite) -> Engine {
        let mut e = Engine::new(
            BuildOptions {
                root: site.root().to_path_buf(),
                ..BuildOptions::default()
            },
            None,
        );
        e.initial();
        assert!(e.errors().is_empty(), "{:?}", e.errors());
        e
    }

    fn apply(e: &mut Engine, rel: &str, kind: ChangeKind) {
        let mut b = Batch::default();
        b.paths.insert(PathBuf::from(rel), kind);
        e.apply(&b, &[]);
        while e.has_queue() {
            e.step(&[], &|| false);
        }
        assert!(e.errors().is_empty(), "{:?}", e.errors());
    }

    fn assert_same_as_full(e: &Engine, site: &TestSite) {
        let full: BTreeMap<String, Vec<u8>> = build_in_memory(&BuildOptions {
            root: site.root().to_path_buf(),
            ..BuildOptions::default()
        })
        .unwrap_or_else(|f| panic!("{:?}", f.diagnostics))
        .files
        .into_iter()
        .map(|f| (f.path, f.bytes))
        .collect();
        let inc: BTreeMap<String, Vec<u8>> = e
            .outputs()
            .iter()
            .map(|(p, o)| (p.clone(), o.bytes().to_vec()))
            .collect();
        assert_eq!(
            full.keys().collect::<Vec<_>>(),
            inc.keys().collect::<Vec<_>>()
        );
        for (p, bytes) in &full {
            assert!(inc[p] == *bytes, "{p} differs from a full build");
        }
    }

    fn page(e: &Engine, path: &str) -> String {
        String::from_utf8_lossy(&e.outputs()[path].bytes()).into_owned()
    }

    #[test]
    fn an_edited_abbreviations_file_rerenders_every_page() {
        let s = site();
        let mut e = engine(&s);
        assert_eq!(e.inputs(), [PathBuf::from("includes/abbreviations.md")]);
        let file = s.read("includes/abbreviations.md");
        s.write(
            "includes/abbreviations.md",
            &file.replace(
                "Verdere Integratie op de Arbeidsmarkt",
                "Programma VIA (2019-2022)",
            ),
        );
        apply(&mut e, "includes/abbreviations.md", ChangeKind::Config);
        let home = page(&e, "index.html");
        assert!(
            home.contains("<abbr title=\"Programma VIA (2019-2022)\">VIA</abbr>"),
            "{home}"
        );
        assert_same_as_full(&e, &s);
    }

    #[test]
    fn edited_translations_change_the_default_titles() {
        let s = site();
        let mut e = engine(&s);
        let rel = "themes/default/i18n/nl.yaml";
        let text = s.read(rel);
        s.write(
            rel,
            &text.replace("callout_tip: \"Tip\"", "callout_tip: \"Handige tip\""),
        );
        apply(&mut e, rel, ChangeKind::Translations);
        let p = page(&e, "begeleiding/stage-zoeken/index.html");
        assert!(
            p.contains("<p class=\"callout-title\">Handige tip</p>"),
            "{p}"
        );
        assert_same_as_full(&e, &s);
    }
}
