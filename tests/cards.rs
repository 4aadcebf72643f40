//! Cards in lists: the engine renders `partials/kaart.html` once per page
//! and lists print that HTML (src/render/lend.rs). A site's own card must
//! show in every list, and a broken card must be reported like any other
//! template error. Also: template syntax errors keep their file and line
//! now that templates are parsed in parallel (src/theme.rs).

mod common;

use std::path::Path;

use common::TestSite;

/// The Markdown pages directly in the section folder `dir` (not its
/// `_index.md`), to derive the expected number of cards.
fn pages_in(root: &Path, dir: &str) -> usize {
    std::fs::read_dir(root.join("content").join(dir))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md") && n != "_index.md")
        .count()
}

#[test]
fn the_sites_own_card_shows_in_every_section_list() {
    let site = TestSite::fixture("sections");
    site.write(
        "templates/partials/kaart.html",
        "<li class=\"eigen-kaart\"><a href=\"{{ p.url }}\">{{ p.title }}</a> ({{ t.gepubliceerd }})</li>",
    );
    site.build().assert_ok();
    for dir in ["beleid", "archief"] {
        let expected = pages_in(site.root(), dir);
        assert!(expected > 0, "fixture section {dir} has pages");
        let html = site.public(&format!("{dir}/index.html"));
        assert_eq!(
            html.matches("<li class=\"eigen-kaart\">").count(),
            expected,
            "{dir}: {html}"
        );
        // The default theme's card is not used anywhere in the list.
        assert!(!html.contains("class=\"card-title\""), "{dir}: {html}");
    }
    let beleid = site.public("beleid/index.html");
    assert!(
        beleid.contains("<li class=\"eigen-kaart\"><a href=\"/beleid/armoedebeleid/\">Armoedebeleid 2025-2028</a> ("),
        "{beleid}"
    );
}

#[test]
fn a_broken_card_is_reported_with_its_template_and_line() {
    let site = TestSite::fixture("sections");
    site.write(
        "templates/partials/kaart.html",
        "<li class=\"card\">\n  {{ p.bestaat_niet }}\n</li>",
    );
    site.build()
        .assert_fails_with(&["templates/partials/kaart.html:2", "p.bestaat_niet"]);
}

#[test]
fn a_syntax_error_in_one_of_many_templates_names_its_file_and_line() {
    let site = TestSite::fixture("sections");
    site.write(
        "templates/partials/voetnoot.html",
        "<p class=\"voetnoot\">\n{{ page.title | }}\n</p>",
    );
    site.build()
        .assert_fails_with(&["templates/partials/voetnoot.html:2"]);
}
