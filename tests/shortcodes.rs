//! Shortcodes in Markdown, built with the real binary on
//! `tests/fixtures/shortcodes`: user templates (inline, with a body, in
//! Markdown), the built-in `pages()` and `include()`, and the errors a
//! wrong call gives.

mod common;

use std::path::Path;

use common::TestSite;

fn built() -> TestSite {
    let site = TestSite::fixture("shortcodes");
    site.build().assert_ok();
    site
}

/// The `<main>` of a built page: what the Markdown stage made of the body.
fn main_of(html: &str) -> &str {
    let start = html.find("<main>").expect("<main>");
    let end = html.rfind("</main>").expect("</main>");
    &html[start..end + "</main>".len()]
}

/// The `<li>` titles of the first `kb-pages` list after `after` in `html`.
fn listed_after(html: &str, after: &str) -> Vec<String> {
    let from = html
        .find(after)
        .unwrap_or_else(|| panic!("{after} not in {html}"));
    let rest = &html[from..];
    let list = &rest[rest.find("<ul class=\"kb-pages\">").expect("a list")..];
    let list = &list[..list.find("</ul>").expect("end of list")];
    list.split("<li><a href=\"")
        .skip(1)
        .map(|li| {
            let title = &li[li.find('>').unwrap() + 1..];
            title[..title.find("</a>").unwrap()].to_string()
        })
        .collect()
}

/// Front matter of every page under `content/<dir>` of the fixture
/// (sub-folders too): the pages a query over that section can list.
fn fixture_pages(dir: &str) -> Vec<serde_yaml::Mapping> {
    let root = common::fixture_dir("shortcodes").join("content").join(dir);
    let mut pages = Vec::new();
    for e in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy();
        if !name.ends_with(".md") || name == "_index.md" {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        let front = text.split("---\n").nth(1).unwrap();
        pages.push(serde_yaml::from_str(front).unwrap());
    }
    pages
}

fn texts(m: &serde_yaml::Mapping, key: &str) -> Vec<String> {
    match m.get(key) {
        Some(serde_yaml::Value::Sequence(s)) => s
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(serde_yaml::Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn title(m: &serde_yaml::Mapping) -> String {
    texts(m, "title").remove(0)
}

#[test]
fn user_shortcodes_inline_with_a_body_and_in_markdown_render_their_templates() {
    let site = built();
    let html = site.public("thema-taal/index.html");
    insta::assert_snapshot!("thema_taal", main_of(&html));
    // Inline: the template's HTML inside the sentence, not escaped.
    assert!(
        html.contains(
            "telt\n<span class=\"cijfer\"><strong>1029</strong> Kamerstuk 29 544</span> als bron."
        ),
        "{html}"
    );
    // Body: the template around the body, which is Markdown of the page
    // (emphasis, and a link resolved like the page's own).
    let kader = &html[html
        .find("<aside class=\"kader kader-waarschuwing\">")
        .expect("kader")..];
    let kader = &kader[..kader.find("</aside>").unwrap()];
    assert!(
        kader.contains("<p class=\"kader-titel\">Voorlopig</p>"),
        "{kader}"
    );
    assert!(
        kader.contains("<strong>voorlopig</strong>: zie ook <a href=\"/pilots/\">de pilots</a>"),
        "{kader}"
    );
    // Markdown shortcode: its output is Markdown, rendered with the page.
    assert!(html.contains(
        "<p><em>Bron: <a href=\"https://zoek.officielebekendmakingen.nl/kst-29544-1029.html\">Kamerbrief VIA</a></em></p>"
    ));
}

#[test]
fn braces_in_prose_and_code_stay_as_written() {
    let site = built();
    let html = site.public("thema-taal/index.html");
    assert!(html.contains(
        "In een sjabloon staat {{ naam }} voor een variabele, en {{ geen aanroep }} blijft staan."
    ));
    assert!(
        html.contains("<code>{{ pages(thema=\"taal\") }}</code>"),
        "{html}"
    );
    assert!(
        html.contains("{{ pages(section=&quot;nergens&quot;) }}\n{% kader() %}"),
        "{html}"
    );
    // The commented form writes the call out.
    assert!(html.contains("of zo: {{ pages(limit=3) }}."), "{html}");
}

#[test]
fn pages_lists_the_pages_its_filters_select_sorted_and_limited() {
    let site = built();
    let html = site.public("thema-taal/index.html");
    let pages = fixture_pages("praktijken");

    // thema="taal", sort_by="title", limit=10; subsections are included.
    let mut want: Vec<String> = pages
        .iter()
        .filter(|m| texts(m, "thema").contains(&"taal".to_string()))
        .map(title)
        .collect();
    want.sort();
    want.truncate(10);
    assert!(want.len() >= 2, "the fixture has several taal pages");
    assert_eq!(listed_after(&html, "Praktijken over taal</h2>"), want);

    // subsections=false, status="loopt": only pages directly in praktijken/.
    let top = common::fixture_dir("shortcodes").join("content/praktijken");
    let mut want: Vec<String> = pages
        .iter()
        .filter(|m| texts(m, "status") == ["loopt"])
        .filter(|m| top.join(format!("{}.md", slug(&title(m)))).exists())
        .map(title)
        .collect();
    want.sort();
    assert_eq!(
        listed_after(&html, "Alleen lopende praktijken in deze map</h2>"),
        want
    );

    // The home page: the three newest (sort_by="date", limit=3).
    let home = site.public("index.html");
    insta::assert_snapshot!("home", main_of(&home));
    let mut dated: Vec<(String, String)> = pages
        .iter()
        .map(|m| (texts(m, "date").pop().unwrap_or_default(), title(m)))
        .collect();
    dated.sort_by(|a, b| b.0.cmp(&a.0));
    let newest: Vec<String> = dated.into_iter().take(3).map(|(_, t)| t).collect();
    assert_eq!(listed_after(&home, "Nieuwste praktijken</h2>"), newest);
}

/// The fixture's file names are the slugs of their titles.
fn slug(title: &str) -> String {
    let map = [
        ("Taalcoach op de werkvloer", "taalcoach-op-de-werkvloer"),
        ("Nederlands in de bouw", "nederlands-in-de-bouw"),
        ("Buddy bij de stage", "buddy-bij-stage"),
        ("Alumni als rolmodel", "alumni-als-rolmodel"),
        ("Werkgeversontbijt", "werkgeversontbijt"),
    ];
    map.iter()
        .find(|(t, _)| *t == title)
        .map(|(_, s)| s.to_string())
        .unwrap_or_else(|| panic!("no file name known for {title}"))
}

#[test]
fn include_inserts_a_whole_file_or_one_headings_part() {
    let site = built();
    let html = site.public("pilots/studiekeuze-vmbo/index.html");
    insta::assert_snapshot!("include", main_of(&html));
    // Whole file, its front matter left out; its relative link resolves
    // from content/_includes/, where it is written.
    assert!(html.contains("Het VIA-programma (<em>Verdere Integratie op de Arbeidsmarkt</em>)"));
    assert!(
        html.contains("<a href=\"/pilots/\">alle pilots</a>"),
        "{html}"
    );
    assert!(
        !html.contains("Gedeelde tekst"),
        "front matter of the include"
    );
    // One heading's part: "Aanpak" with its subheading, up to "Resultaat".
    let source = std::fs::read_to_string(
        common::fixture_dir("shortcodes").join("content/praktijken/taalcoach-op-de-werkvloer.md"),
    )
    .unwrap();
    let part = &source[source.find("## Aanpak").unwrap()..source.find("## Resultaat").unwrap()];
    assert!(part.contains("### Materiaal"));
    assert!(html.contains("<h2 id=\"aanpak\">Aanpak</h2>"));
    assert!(html.contains("<h3 id=\"materiaal\">Materiaal</h3>"));
    assert!(!html.contains("Resultaat"), "only the heading's part");
    assert!(
        !html.contains("taalachterstand"),
        "not the text before the heading"
    );
    // The part's relative link resolves from praktijken/, its own folder.
    assert!(
        html.contains("<a href=\"/praktijken/nederlands-in-de-bouw/\">Nederlands in de bouw</a>")
    );
    // Included headings are in the page's table of contents.
    assert!(
        html.contains("<li><a href=\"#contact\">Contact</a></li>"),
        "{html}"
    );
    // A nested shortcode in an included file runs too.
    assert!(html.contains("<strong>2020</strong> laatst bijgewerkt"));
    // Files in _includes/ are no pages.
    assert!(!site.path("public/_includes").exists());
    assert!(
        !Path::new(&site.path("public/sitemap.xml")).exists()
            || !site.public("sitemap.xml").contains("_includes")
    );
}

/// Stderr of a failed build, without the summary line's timings.
fn errors(site: &TestSite) -> String {
    let run = site.build();
    run.assert_fails_with(&["fout"]);
    run.stderr()
        .lines()
        .filter(|l| !l.starts_with("build mislukt"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn an_include_cycle_is_an_error_naming_the_chain() {
    let site = TestSite::fixture("shortcodes");
    site.write(
        "content/_includes/a.md",
        "Tekst van a.\n\n{{ include(path=\"b.md\") }}\n",
    )
    .write(
        "content/_includes/b.md",
        "Tekst van b.\n\nEn weer {{ include(path=\"a.md\") }}\n",
    )
    .write(
        "content/praktijken/buddy-bij-stage.md",
        &site.read("content/praktijken/buddy-bij-stage.md").replace(
            "tijdens de eerste stage.",
            "tijdens de eerste stage.\n\n{{ include(path=\"../_includes/a.md\") }}",
        ),
    );
    let err = errors(&site);
    insta::assert_snapshot!("include_cycle", err);
    assert!(err.contains(
        "content/_includes/b.md:3:12: fout: include-lus: content/_includes/a.md → content/_includes/b.md → content/_includes/a.md"
    ), "{err}");
}

#[test]
fn an_unknown_shortcode_is_an_error_with_its_line_and_the_known_names() {
    let site = TestSite::fixture("shortcodes");
    let page = site.read("content/thema-taal.md");
    let page = page.replace(
        "## Schrijfwijze",
        "Zie de {{ kaart(regio=\"Utrecht\") }}.\n\n## Schrijfwijze",
    );
    let line = page.lines().position(|l| l.contains("kaart(")).unwrap() + 1;
    site.write("content/thema-taal.md", &page);
    let err = errors(&site);
    insta::assert_snapshot!("unknown", err);
    assert!(
        err.contains(&format!(
            "content/thema-taal.md:{line}:11: fout: onbekende shortcode 'kaart'"
        )),
        "{err}"
    );
    // Every known name: the built-in ones and the fixture's templates.
    let mut names: Vec<String> =
        std::fs::read_dir(common::fixture_dir("shortcodes").join("templates/shortcodes"))
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .path()
                    .file_stem()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .chain(["include".to_string(), "pages".to_string()])
            .collect();
    names.sort();
    assert!(
        err.contains(&format!("bekende shortcodes: {}", names.join(", "))),
        "{err}"
    );
}

#[test]
fn bad_arguments_are_errors_that_say_what_is_expected() {
    let site = TestSite::fixture("shortcodes");
    site.write(
        "content/fouten.md",
        "---\ntitle: Fouten\n---\n\n{{ pages(limit=\"tien\") }}\n\n{{ pages(thma=\"taal\") }}\n\n{{ pages(section=\"praktijk\") }}\n\n{{ include(path=\"_includes/over-via.md\", heading=\"Onbekend\") }}\n\n{{ include(path=\"_includes/weg.md\") }}\n\n{{ cijfer(waarde=3) }}\n\n{% kader(titel=\"Open\") %}\nNooit dicht.\n",
    );
    let err = errors(&site);
    insta::assert_snapshot!("bad_arguments", err);
    for needle in [
        "content/fouten.md:5:10: fout: pages(): argument 'limit' verwacht een heel getal groter dan 0, niet tekst",
        "content/fouten.md:7:10: fout: pages(): onbekend argument 'thma'",
        "bedoelt u 'thema'?",
        "content/fouten.md:9:10: fout: pages(): sectie 'praktijk' bestaat niet",
        "bedoelt u \"praktijken\"?",
        "content/fouten.md:11:4: fout: include(): kop \"Onbekend\" niet gevonden in content/_includes/over-via.md",
        "content/fouten.md:13:4: fout: include(): content/_includes/weg.md bestaat niet",
        "content/fouten.md:15:4: fout: shortcode 'cijfer': argument 'label' ontbreekt",
        "het sjabloon templates/shortcodes/cijfer.html gebruikt 'label'; geef het mee, bijvoorbeeld cijfer(label=\"…\") (gegeven: waarde)",
        "content/fouten.md:17:4: fout: shortcode 'kader' wordt niet afgesloten",
    ] {
        assert!(err.contains(needle), "{needle}\n{err}");
    }
}

#[test]
fn problems_inside_an_included_file_name_that_file_and_its_line() {
    let site = TestSite::fixture("shortcodes");
    site.write(
        "content/_includes/contact.md",
        "## Contact\n\nMail ons, of zie [het archief](../archief.md).\n",
    );
    let err = errors(&site);
    assert!(
        err.contains("content/_includes/contact.md:3:18: fout: kapotte link '../archief.md': content/archief.md bestaat niet"),
        "{err}"
    );
}

#[test]
fn lines_after_and_inside_shortcodes_stay_the_files() {
    let site = TestSite::fixture("shortcodes");
    let page = "---\ntitle: Regels\n---\n\n{% kader(titel=\"Eerst\") %}\nBinnen het kader: [kapot](nergens.md).\n{% end %}\n\n{{ include(path=\"_includes/over-via.md\") }}\n\n{{ pages(section=\"pilots\") }}\n\nNa alles: [ook kapot](ook-nergens.md).\n";
    site.write("content/regels.md", page);
    // Line and column of the link's `[`, counted in the file.
    let at = |needle: &str| {
        let (i, l) = page
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(needle))
            .unwrap();
        (i + 1, l[..l.find(needle).unwrap()].chars().count() + 1)
    };
    let err = errors(&site);
    for (dest, (l, c)) in [
        ("nergens.md", at("[kapot]")),
        ("ook-nergens.md", at("[ook kapot]")),
    ] {
        assert!(
            err.contains(&format!(
                "content/regels.md:{l}:{c}: fout: kapotte link '{dest}'"
            )),
            "{dest} at line {l}, column {c}:\n{err}"
        );
    }
}

#[test]
fn a_script_address_given_to_a_template_is_refused_at_its_argument() {
    // An HTML template writes the argument into href: escaping does not
    // make `javascript:` safe there, so the argument itself is checked.
    let site = TestSite::fixture("shortcodes");
    site.write(
        "templates/shortcodes/knop.html",
        "<a class=\"knop\" href=\"{{ url }}\">{{ tekst }}</a>",
    )
    .write(
        "content/knoppen.md",
        "---\ntitle: Knoppen\n---\nEen veilige: {{ knop(tekst=\"Brief\", url=\"https://example.org/brief\") }}\n\n\
         Een foute: {{ knop(tekst=\"Klik\", url=\" JaVaScRiPt:alert(1)\") }}\n\n\
         In een lijst: {{ knop(tekst=\"Lijst\", url=[\"vbscript:msgbox\"]) }}\n",
    );
    let err = errors(&site);
    assert!(
        err.contains("content/knoppen.md:6:") && err.contains("geweigerd"),
        "{err}"
    );
    assert!(
        err.contains("content/knoppen.md:8:"),
        "list items too: {err}"
    );
    assert!(
        !err.contains("knoppen.md:4:"),
        "a https address passes: {err}"
    );
    // Without the bad calls the page builds and keeps the good link.
    site.write(
        "content/knoppen.md",
        "---\ntitle: Knoppen\n---\nEen veilige: {{ knop(tekst=\"Brief\", url=\"https://example.org/brief\") }}\n",
    );
    site.build().assert_ok();
    assert!(site
        .public("knoppen/index.html")
        .contains("<a class=\"knop\" href=\"https://example.org/brief\">Brief</a>"));
}
