//! Site chrome: the default theme's head links, site name, header search,
//! menu and footer are `partials/chrome/*.html`, rendered once per build and
//! marked per page (src/render/chrome.rs). Each page must still mark its own
//! links as the templates did when they compared `current_url`, a site's own
//! chrome partial must be used and marked the same way, and a chrome partial
//! that reads the page, or a marker the engine does not know, must fail the
//! build with the partial's file.

mod common;

use common::TestSite;

/// The `sections` fixture with a menu: home, two sections and a page.
fn site_with_menu() -> TestSite {
    let site = TestSite::fixture("sections");
    let config = site.read("kennisbank.yaml");
    site.write(
        "kennisbank.yaml",
        &format!(
            "{config}\nmenu:\n  - {{ title: Start, url: / }}\n  - {{ title: Regelingen, url: /regelingen/ }}\n  - {{ title: Beleid, url: \"@/beleid/_index.md\" }}\n  - {{ title: Bijstand, url: /regelingen/bijstand/ }}\n"
        ),
    );
    site
}

/// The `<a …>` tag of the link to `href` inside the element that starts
/// with `container` (the menu, the footer).
fn link_in<'a>(html: &'a str, container: &str, href: &str) -> &'a str {
    let start = html
        .find(container)
        .unwrap_or_else(|| panic!("no {container}"));
    let part = &html[start..];
    let at = part
        .find(&format!("<a href=\"{href}\""))
        .unwrap_or_else(|| panic!("no link to {href} in {container}"));
    let end = part[at..].find('>').unwrap();
    &part[at..at + end + 1]
}

#[test]
fn menu_and_footer_mark_the_page_being_rendered() {
    let site = site_with_menu();
    site.build().assert_ok();
    let menu = "<nav class=\"main-menu\"";
    // (page, menu link, expected tag)
    let cases = [
        ("index.html", "/", r#"<a href="/" aria-current="page">"#),
        ("index.html", "/regelingen/", r#"<a href="/regelingen/">"#),
        (
            "regelingen/index.html",
            "/regelingen/",
            r#"<a href="/regelingen/" aria-current="page">"#,
        ),
        ("regelingen/index.html", "/", r#"<a href="/">"#),
        (
            "regelingen/bijstand/index.html",
            "/regelingen/",
            r#"<a href="/regelingen/" class="is-active">"#,
        ),
        (
            "regelingen/bijstand/index.html",
            "/regelingen/bijstand/",
            r#"<a href="/regelingen/bijstand/" aria-current="page">"#,
        ),
        (
            "beleid/armoedebeleid/index.html",
            "/beleid/",
            r#"<a href="/beleid/" class="is-active">"#,
        ),
        (
            "beleid/armoedebeleid/index.html",
            "/regelingen/",
            r#"<a href="/regelingen/">"#,
        ),
    ];
    for (page, href, tag) in cases {
        let html = site.public(page);
        assert_eq!(link_in(&html, menu, href), tag, "{page}");
    }
    // The site name is the current page on the home page only.
    let home = site.public("index.html");
    assert!(home.contains(r#"<a class="site-name" href="/" aria-current="page">"#));
    let page = site.public("beleid/armoedebeleid/index.html");
    assert!(page.contains(r#"<a class="site-name" href="/">"#), "{page}");
    // The footer marks the taxonomy overview on its own page.
    let footer = "<footer class=\"site-footer\"";
    let overview = site.public("doelgroep/index.html");
    assert_eq!(
        link_in(&overview, footer, "/doelgroep/"),
        r#"<a href="/doelgroep/" aria-current="page">"#
    );
    assert_eq!(
        link_in(&page, footer, "/doelgroep/"),
        r#"<a href="/doelgroep/">"#
    );
    // No marker is left anywhere.
    for e in walkdir::WalkDir::new(site.path("public")) {
        let e = e.unwrap();
        if e.path().extension().is_some_and(|x| x == "html") {
            let html = std::fs::read_to_string(e.path()).unwrap();
            assert!(!html.contains("data-kb-current"), "{}", e.path().display());
        }
    }
}

#[test]
fn a_sites_own_chrome_partial_is_used_and_marked_per_page() {
    let site = site_with_menu();
    site.write(
        "templates/partials/chrome/footer.html",
        "<footer class=\"eigen-voet\"><a href=\"{{ site.base_path }}beleid/\" data-kb-current=\"within\">{{ t.footer_over }}</a></footer>\n",
    );
    site.build().assert_ok();
    let beleid = site.public("beleid/armoedebeleid/index.html");
    assert!(
        beleid.contains("<footer class=\"eigen-voet\"><a href=\"/beleid/\" aria-current=\"page\">"),
        "{beleid}"
    );
    let other = site.public("regelingen/bijstand/index.html");
    assert!(
        other.contains("<footer class=\"eigen-voet\"><a href=\"/beleid/\">"),
        "{other}"
    );
    // The theme's footer is gone, and the file's last newline with it.
    assert!(!other.contains("class=\"site-footer\""));
    assert!(other.contains("</footer>\n</body>"), "{other}");
}

#[test]
fn a_chrome_partial_that_reads_the_page_fails_with_its_file() {
    let site = site_with_menu();
    site.write(
        "templates/partials/chrome/footer.html",
        "<footer>\n<p>{{ current_url }}</p>\n</footer>\n",
    );
    site.build()
        .assert_fails_with(&["templates/partials/chrome/footer.html", "current_url"]);
}

#[test]
fn an_unknown_marker_fails_with_its_file_and_line() {
    let site = site_with_menu();
    site.write(
        "templates/partials/chrome/footer.html",
        "<footer>\n<a href=\"/\">x</a>\n<a href=\"/beleid/\" data-kb-current=\"huidig\">y</a>\n</footer>\n",
    );
    site.build().assert_fails_with(&[
        "templates/partials/chrome/footer.html:3",
        "data-kb-current=\"huidig\"",
    ]);
}
