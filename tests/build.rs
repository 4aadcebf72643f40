//! Integration tests of `kennisbank build` and `check`: the real binary on
//! fixture sites copied to a temp folder.

mod common;

use common::{snapshot_tree, TestSite};

fn built() -> TestSite {
    let site = TestSite::fixture("basic");
    site.build().assert_ok();
    site
}

#[test]
fn renders_pages_sections_and_generated_files() {
    let site = built();
    insta::assert_snapshot!("page", site.public("pilots/eerste-pilot/index.html"));
    insta::assert_snapshot!("section", site.public("pilots/index.html"));
    insta::assert_snapshot!("home", site.public("index.html"));
    insta::assert_snapshot!("term", site.public("thema/taal/index.html"));
    insta::assert_snapshot!("sitemap", site.public("sitemap.xml"));
    insta::assert_snapshot!("redirect", site.public("oud/eerste/index.html"));
}

#[test]
fn every_non_draft_markdown_file_becomes_a_page() {
    let site = built();
    let fixture = common::fixture_dir("basic").join("content");
    let mut expected = 0;
    for e in walkdir::WalkDir::new(&fixture)
        .into_iter()
        .filter_map(Result::ok)
    {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "md") {
            let text = std::fs::read_to_string(p).unwrap();
            if !text.contains("draft: true") {
                expected += 1;
            }
        }
    }
    let html_pages = snapshot_tree(&site.path("public"))
        .iter()
        .filter(|(p, b)| {
            p.ends_with("index.html")
                && !String::from_utf8_lossy(b).contains("http-equiv=\"refresh\"")
        })
        .filter(|(p, _)| {
            !p.starts_with("thema/") && !p.starts_with("status/") && !p.starts_with("zoeken/")
        })
        .count();
    assert_eq!(html_pages, expected);
    assert!(
        !site.path("public/pilots/concept").exists(),
        "draft was published"
    );
}

#[test]
fn summary_line_counts_pages_sections_and_time() {
    let site = TestSite::fixture("basic");
    let out = site.build();
    out.assert_ok();
    let line = out.stdout();
    // Counted from the fixture: every non-draft Markdown file, and of those
    // the _index.md files (plus the root section) are sections.
    let (mut pages, mut sections) = (0, 0);
    for e in walkdir::WalkDir::new(common::fixture_dir("basic").join("content")) {
        let e = e.unwrap();
        if e.path().extension().is_none_or(|x| x != "md") {
            continue;
        }
        if std::fs::read_to_string(e.path())
            .unwrap()
            .contains("draft: true")
        {
            continue;
        }
        if e.file_name() == "_index.md" {
            sections += 1;
        } else {
            pages += 1;
        }
    }
    let counts = format!("{pages} pagina's, {sections} secties");
    assert!(line.contains(&counts), "{counts} in {line}");
    assert!(line.contains(" ms ("), "{line}");
}

#[test]
fn summary_json_has_the_counts_and_the_pipeline_phases_in_order() {
    let site = TestSite::fixture("basic");
    let summary = site.path("samenvatting.json");
    let out = site.run(&["build", "--summary-json", summary.to_str().unwrap()]);
    out.assert_ok();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    // The human summary line says the same counts.
    let line = out.stdout();
    let counts = format!(
        "{} pagina's, {} secties, {} bestanden",
        json["pages"], json["sections"], json["files"]
    );
    assert!(line.contains(&counts), "{counts} in {line}");
    // Every file written, less the folder's own ownership marker.
    let files = snapshot_tree(&site.path("public"))
        .iter()
        .filter(|(p, _)| p != ".kennisbank-output")
        .count() as u64;
    assert_eq!(json["files"].as_u64(), Some(files));
    // Phases come in pipeline order, each named once.
    let names: Vec<&str> = json["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    let order = ["load", "parse", "markdown", "link", "render"];
    let at: Vec<usize> = order
        .iter()
        .map(|n| {
            names
                .iter()
                .position(|m| m == n)
                .unwrap_or_else(|| panic!("{n} in {names:?}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{names:?}");
    assert_eq!(
        json["search"]["pages"].as_u64().map(|p| p > 0),
        Some(true),
        "{json}"
    );
    // Without search the field is null, not missing.
    let out = site.run(&[
        "build",
        "--no-search",
        "--summary-json",
        summary.to_str().unwrap(),
    ]);
    out.assert_ok();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert!(
        json["search"].is_null() && json.get("search").is_some(),
        "{json}"
    );
}

#[test]
fn drafts_flag_publishes_drafts() {
    let site = TestSite::fixture("basic");
    site.run(&["build", "--no-search", "--drafts"]).assert_ok();
    assert!(site.public("pilots/concept/index.html").contains("Concept"));
}

#[test]
fn diacritics_do_not_misorder_section_lists() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/pilots/fietsen.md",
        "---\ntitle: Fietsen\nstatus: loopt\nverwacht_resultaat: x\n---\n",
    );
    site.write(
        "content/pilots/eind.md",
        "---\ntitle: Eind\nstatus: loopt\nverwacht_resultaat: x\n---\n",
    );
    site.build().assert_ok();
    let html = site.public("pilots/index.html");
    let pos = |t: &str| html.find(t).unwrap_or_else(|| panic!("{t} missing"));
    // Weighted first, then by title with Ë sorting as E: Eind < Ëxtra < Fietsen.
    assert!(pos("Eerste pilot") < pos("Eind"));
    assert!(pos("Eind") < pos("Ëxtra tweede pilot"));
    assert!(pos("Ëxtra tweede pilot") < pos("Fietsen"));
}

#[test]
fn links_to_md_files_and_site_paths_are_rewritten() {
    let site = built();
    let over = site.public("over/index.html");
    assert!(
        over.contains("href=\"/pilots/eerste-pilot/#aanpak\""),
        "{over}"
    );
    assert!(over.contains("href=\"/conclusies/taal/\""), "{over}");
    // The page had no front matter: its title came from the first heading.
    assert!(over.contains("<h1>Over deze site</h1>"));
    assert_eq!(
        over.matches("<h1").count(),
        1,
        "the heading became the title, not a second h1"
    );
}

#[test]
fn relations_are_shown_on_both_ends() {
    let site = built();
    let conclusion = site.public("conclusies/taal/index.html");
    assert!(
        conclusion.contains("class=\"rel\"><h2>Pilots</h2>"),
        "{conclusion}"
    );
    assert!(conclusion.contains("/pilots/eerste-pilot/"));
    let pilot = site.public("pilots/tweede-pilot/index.html");
    assert!(
        pilot.contains("class=\"backrel\"><h2>Conclusies</h2>"),
        "{pilot}"
    );
    let conclusion_back = conclusion.contains("class=\"backrel\"><h2>Praktijken</h2>");
    assert!(
        conclusion_back,
        "practice → conclusion relation missing on the conclusion:\n{conclusion}"
    );
}

#[test]
fn bundle_assets_and_static_files_are_copied() {
    let site = built();
    assert_eq!(site.public("praktijken/stage-buddy/foto.png"), "PNG");
    assert_eq!(site.public("extra.css"), "body{}\n");
    assert!(site
        .public("pilots/eerste-pilot/index.html")
        .contains("/css/site.css?h="));
}

#[test]
fn sub_path_deployment_never_escapes_the_base_path() {
    let site = TestSite::fixture("basic");
    site.run(&[
        "build",
        "--no-search",
        "--base-url",
        "https://example.org/kennisbank/",
    ])
    .assert_ok();
    for (path, bytes) in snapshot_tree(&site.path("public")) {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8(bytes).unwrap();
        for attr in ["href=\"", "src=\"", "url="] {
            for (i, _) in html.match_indices(attr) {
                let value = &html[i + attr.len()..];
                if value.starts_with('/') {
                    assert!(
                        value.starts_with("/kennisbank/"),
                        "{path}: link escapes the sub-path: {}",
                        &value[..40.min(value.len())]
                    );
                }
            }
        }
    }
    assert!(site
        .public("sitemap.xml")
        .contains("<loc>https://example.org/kennisbank/pilots/eerste-pilot/</loc>"));
}

// ---------------------------------------------------------------------------
// Errors: each names the file and line and fails with exit code 1.

#[test]
fn malformed_yaml_reports_file_and_line_counted_from_top() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/pilots/kapot.md",
        "---\ntitle: Kapot\nstatus: [loopt\nverwacht_resultaat: x\n---\nTekst\n",
    );
    // The YAML parser notices the unclosed list on line 4, where a mapping
    // key appears inside it; the line is counted from the top of the file.
    site.build().assert_fails_with(&[
        "content/pilots/kapot.md:4:19: fout: did not find expected ',' or ']'",
    ]);
}

#[test]
fn missing_title_is_an_error() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/pilots/naamloos.md",
        "---\nstatus: loopt\nverwacht_resultaat: x\n---\nGeen kop.\n",
    );
    site.build()
        .assert_fails_with(&["content/pilots/naamloos.md:1", "titel ontbreekt"]);
}

#[test]
fn schema_violation_names_file_field_and_allowed_values() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/pilots/fout.md",
        "---\ntitle: Fout\nstatus: bezig\n---\n",
    );
    site.build().assert_fails_with(&[
        "content/pilots/fout.md:3",
        "status: 'bezig' is geen toegestane waarde",
        "loopt, afgerond",
        "content/pilots/fout.md:1",
        "verplicht veld 'verwacht_resultaat' ontbreekt",
    ]);
}

#[test]
fn wrong_types_are_reported_per_field() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/a.md",
        "---\ntitle: A\ndate: morgen\nweight: veel\n---\n",
    );
    site.build().assert_fails_with(&[
        "content/a.md:3: fout: date:",
        "content/a.md:4: fout: weight:",
    ]);
}

#[test]
fn unknown_front_matter_field_suggests_the_closest() {
    let site = TestSite::fixture("basic");
    site.write("content/a.md", "---\ntitle: A\ndescriptoin: x\n---\n");
    site.build().assert_fails_with(&[
        "content/a.md:3",
        "onbekend veld 'descriptoin'",
        "bedoelt u 'description'",
    ]);
}

#[test]
fn every_broken_link_and_anchor_is_reported_at_once() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/links.md",
        "---\ntitle: Links\n---\n[a](@/bestaat-niet.md)\n\n[b](pilots/eerste-pilot.md#geen-anker)\n\n[c](/nergens/)\n\n[d](#zelf)\n",
    );
    site.build().assert_fails_with(&[
        "content/links.md:4:1: fout: kapotte link '@/bestaat-niet.md'",
        "content/links.md:6: fout: anker #geen-anker bestaat niet in content/pilots/eerste-pilot.md",
        "content/links.md:8:1: fout: kapotte link '/nergens/'",
        "content/links.md:10: fout: anker #zelf",
        "4 fouten",
    ]);
}

#[test]
fn link_to_a_draft_fails_in_a_normal_build() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/a.md",
        "---\ntitle: A\n---\n[concept](@/pilots/concept.md)\n",
    );
    site.build()
        .assert_fails_with(&["content/a.md:4", "concept (draft: true)"]);
    site.run(&["build", "--no-search", "--drafts"]).assert_ok();
}

#[test]
fn unknown_relation_target_names_file_and_name() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/conclusies/b.md",
        "---\ntitle: B\npilots: [eerste-pilott]\n---\n",
    );
    site.build().assert_fails_with(&[
        "content/conclusies/b.md:3",
        "pilots: onbekende pagina 'eerste-pilott'",
        "bedoelt u 'eerste-pilot'",
    ]);
}

#[test]
fn template_error_names_template_line_and_variable() {
    let site = TestSite::fixture("basic");
    let page = site.read("themes/mini/templates/page.html");
    site.write(
        "themes/mini/templates/page.html",
        &page.replace(
            "<h1>{{ page.title }}</h1>",
            "<h1>{{ page.title }}</h1>\n<p>{{ page.bestaat_niet }}</p>",
        ),
    );
    site.build()
        .assert_fails_with(&["themes/mini/templates/page.html:7", "page.bestaat_niet"]);
}

#[test]
fn site_templates_override_the_theme() {
    let site = TestSite::fixture("basic");
    site.write(
        "templates/404.html",
        "{% extends \"base.html\" %}{% block main %}Eigen 404{% endblock %}",
    );
    site.build().assert_ok();
    assert!(site.public("404.html").contains("Eigen 404"));
}

#[test]
fn template_include_loop_is_an_error_not_a_hang() {
    let site = TestSite::fixture("basic");
    site.write("templates/a.html", "{% include \"b.html\" %}");
    site.write("templates/b.html", "{% include \"a.html\" %}");
    site.build().assert_fails_with(&["oneindige lus"]);
}

#[test]
fn missing_theme_is_reported() {
    let site = TestSite::fixture("basic");
    let cfg = site
        .read("kennisbank.yaml")
        .replace("theme: mini", "theme: weg");
    site.write("kennisbank.yaml", &cfg);
    let run = site.build();
    run.assert_fails_with(&["thema 'weg' niet gevonden"]);
    // It belongs to no file: no made-up place in front of it.
    assert!(
        run.stderr()
            .lines()
            .any(|l| l.starts_with("fout: thema 'weg' niet gevonden")
                && l.ends_with("[theme::missing]")),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_relation_to_a_missing_section_is_reported_at_its_config_line() {
    let site = TestSite::fixture("basic");
    let cfg = site
        .read("kennisbank.yaml")
        .replace("section: conclusies", "section: conclusie");
    let line = cfg
        .lines()
        .position(|l| l.trim() == "section: conclusie")
        .expect("the fixture has the relation")
        + 1;
    site.write("kennisbank.yaml", &cfg);
    site.build().assert_fails_with(&[&format!(
        "kennisbank.yaml:{line}: fout: relatie 'conclusies': sectie 'conclusie' bestaat niet [config::relation-section]"
    )]);
}

#[test]
fn unknown_config_key_names_key_and_closest_valid_one() {
    let site = TestSite::fixture("basic");
    let cfg = site
        .read("kennisbank.yaml")
        .replace("language: nl", "langauge: nl");
    site.write("kennisbank.yaml", &cfg);
    site.build().assert_fails_with(&[
        "kennisbank.yaml:4",
        "onbekende sleutel 'langauge'",
        "bedoelt u 'language'",
    ]);
}

#[test]
fn two_pages_at_one_url_are_an_error() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/pilots/derde.md",
        "---\ntitle: Derde\nslug: Eerste-Pilot\nstatus: loopt\nverwacht_resultaat: x\n---\n",
    );
    site.build()
        .assert_fails_with(&["URL /pilots/eerste-pilot/ is al in gebruik"]);
}

#[test]
fn page_cannot_take_a_generated_path() {
    let site = TestSite::fixture("basic");
    site.write("content/zoeken.md", "---\ntitle: Zoeken\n---\n");
    site.build()
        .assert_fails_with(&["URL /zoeken/ is al in gebruik door (gegenereerd)"]);
}

#[test]
fn output_folder_guard_refuses_root_content_and_parents() {
    let site = TestSite::fixture("basic");
    let root = site.root().to_str().unwrap().to_string();
    for out in [
        root.clone(),
        format!("{root}/content"),
        site.root().parent().unwrap().to_str().unwrap().to_string(),
    ] {
        site.run(&["build", "--no-search", "--output", &out])
            .assert_fails_with(&["kan niet de uitvoermap zijn"]);
    }
    assert!(site.path("content/_index.md").exists());
}

#[test]
fn failed_build_leaves_previous_public_byte_for_byte() {
    let site = built();
    let before = snapshot_tree(&site.path("public"));
    site.write(
        "content/pilots/fout.md",
        "---\ntitle: Fout\nstatus: bezig\n---\n",
    );
    site.write("content/over.md", "# Over deze site\n\nNieuwe tekst.\n");
    site.build().assert_fails_with(&["bezig"]);
    assert_eq!(before, snapshot_tree(&site.path("public")));
    // No staging folder is left beside it.
    let left = common::leftovers(site.root());
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn check_validates_without_writing() {
    let site = TestSite::fixture("basic");
    let ok = site.run(&["check"]);
    ok.assert_ok();
    assert!(!site.path("public").exists());
    site.write(
        "content/pilots/fout.md",
        "---\ntitle: Fout\nstatus: bezig\nverwacht_resultaat: x\n---\n",
    );
    site.run(&["check"]).assert_fails_with(&["bezig"]);
    assert!(!site.path("public").exists());
}

#[test]
fn cli_has_help_and_version() {
    let out = std::process::Command::new(common::bin())
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("kennisbank "));
    for cmd in ["build", "check", "serve", "new"] {
        let out = std::process::Command::new(common::bin())
            .args([cmd, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{cmd} --help");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{cmd}"
        );
    }
}

#[cfg(unix)]
#[test]
fn rebuild_writes_only_what_changed_and_keeps_the_previous_output() {
    use std::os::unix::fs::MetadataExt;
    let site = built();
    site.build().assert_ok();
    let ino = |p: &str| std::fs::metadata(site.path(p)).unwrap().ino();
    let over_before = site.public("over/index.html");
    // The third build updates the first one's folder in place.
    let (pilot, over) = (
        ino(".public.kb-previous/pilots/eerste-pilot/index.html"),
        ino("public/over/index.html"),
    );
    site.write(
        "content/over.md",
        "# Over deze site\n\n## Doel\n\nAndere tekst.\n",
    );
    let out = site.build();
    out.assert_ok();
    assert!(out.stdout().contains("gewijzigd"), "{}", out.stdout());
    // An unchanged page is not written again; the edited one has new bytes.
    assert_eq!(ino("public/pilots/eerste-pilot/index.html"), pilot);
    assert!(site.public("over/index.html").contains("Andere tekst"));
    // The output before is kept beside it as it was.
    assert_eq!(ino(".public.kb-previous/over/index.html"), over);
    assert_eq!(
        std::fs::read_to_string(site.path(".public.kb-previous/over/index.html")).unwrap(),
        over_before
    );
}

#[test]
fn template_error_mid_render_leaves_public_byte_for_byte() {
    let site = built();
    site.build().assert_ok();
    let before = snapshot_tree(&site.path("public"));
    // Only some pages use this template: others are written before it fails.
    site.write(
        "content/over.md",
        "---\ntitle: Over\ntemplate: kapot.html\n---\n## Doel\n\nTekst.\n",
    );
    site.write("templates/kapot.html", "{{ page.bestaat_niet.echt }}\n");
    site.build().assert_fails_with(&["kapot.html"]);
    assert_eq!(before, snapshot_tree(&site.path("public")));
    let left = common::leftovers(site.root());
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn broken_links_suggest_the_moved_file_or_a_near_miss() {
    let site = TestSite::fixture("basic");
    site.write(
        "content/verwijzingen.md",
        "---\ntitle: Verwijzingen\n---\n\n[verhuisd](@/eerste-pilot.md)\n\n[typfout](@/pilots/tweede-pilto.md)\n",
    );
    site.build().assert_fails_with(&[
        "content/verwijzingen.md:5:1: fout: kapotte link '@/eerste-pilot.md'",
        "(bedoelt u @/pilots/eerste-pilot.md?)",
        "content/verwijzingen.md:7:1: fout: kapotte link '@/pilots/tweede-pilto.md'",
        "(bedoelt u @/pilots/tweede-pilot.md?)",
    ]);
}

/// The default theme gets a page's schema fields as `page.facts` (labels,
/// values as text), dates through the `datum` filter, and `page.toc_count`.
#[test]
fn default_theme_shows_facts_dates_and_table_of_contents() {
    let site = TestSite::fixture("basic");
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    common::copy_dir(&repo.join("themes/default"), &site.path("themes/default"));
    let config = site
        .read("kennisbank.yaml")
        .replace("theme: mini", "theme: default");
    site.write("kennisbank.yaml", &config);
    site.write(
        "content/pilots/_index.md",
        "---\ntitle: Pilots\nsoort: pilot\nschema:\n  status: { required: true, values: [loopt, afgerond] }\n  \
         verwacht_resultaat: { required: true, type: string, label: Verwacht resultaat }\n  \
         gefinancierd: { type: bool, label: Gefinancierd }\n  partners: { type: list }\n---\n",
    );
    site.write(
        "content/pilots/derde.md",
        "---\ntitle: Derde\ndate: 2020-11-09\nupdated: 2021-03-01\nstatus: loopt\n\
         verwacht_resultaat: \"eind 2021\"\ngefinancierd: false\npartners: [school, gemeente]\n---\n\
         Tekst.\n\n## Een\n\n### Een a\n\n## Twee\n",
    );
    site.build().assert_ok();
    let html = site.public("pilots/derde/index.html");
    for want in [
        "<dt>Verwacht resultaat</dt>\n      <dd>eind 2021</dd>",
        "<dt>Gefinancierd</dt>\n      <dd>nee</dd>",
        // No label in the schema: the field's name.
        "<dt>partners</dt>\n      <dd>school, gemeente</dd>",
        "Gepubliceerd <time datetime=\"2020-11-09\">9 november 2020</time>",
        "<time datetime=\"2021-03-01\">1 maart 2021</time>",
        // Three entries over two levels make a table of contents.
        "<article class=\"page has-toc\"",
        "<a href=\"#een-a\">Een a</a>",
    ] {
        assert!(html.contains(want), "{want:?} missing from:\n{html}");
    }
    // A page whose fields are not set shows none of them, and no contents
    // list for fewer than three headings.
    let first = site.public("pilots/eerste-pilot/index.html");
    assert!(
        !first.contains("Gefinancierd") && !first.contains("has-toc"),
        "{first}"
    );
    assert!(first.contains("<dt>Verwacht resultaat</dt>"), "{first}");
}
