//! What a Dutch public body needs (issue 19): the accessibility statement,
//! page owner / review date / last change, the accessibility lint and the
//! B1 writing hints. Runs the real binary on `tests/fixtures/public` (with
//! the default theme copied in) at a fixed reference date.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{copy_dir, snapshot_tree, TestSite};

/// 2026-06-01T00:00:00Z: the reference date of every run here.
const EPOCH: &str = "1780272000";
const TODAY: &str = "2026-06-01";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fixture with the default theme beside it.
fn site() -> TestSite {
    let site = TestSite::fixture("public");
    copy_dir(&repo().join("themes/default"), &site.path("themes/default"));
    site
}

fn run_at(root: &Path, epoch: &str, args: &[&str]) -> Output {
    Command::new(common::bin())
        .args(args)
        .arg("--root")
        .arg(root)
        .env("SOURCE_DATE_EPOCH", epoch)
        .output()
        .unwrap()
}

fn run(root: &Path, args: &[&str]) -> Output {
    run_at(root, EPOCH, args)
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// 1-based line of the first line of `file` containing `needle`.
fn line_of(file: &Path, needle: &str) -> usize {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in {}", file.display()))
        + 1
}

/// `(line, message)` of every warning about `file` in `stderr`.
fn warnings_for(stderr: &str, file: &str) -> Vec<(usize, String)> {
    let prefix = format!("{file}:");
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter_map(|rest| {
            let (line, msg) = rest.split_once(": waarschuwing: ")?;
            Some((line.parse().ok()?, msg.to_string()))
        })
        .collect()
}

// ---- accessibility lint ---------------------------------------------------------

/// Each case of the bad page: a text on the offending line, and what the
/// warning must say.
const LINT_CASES: &[(&str, &str)] = &[
    ("![](afbeeldingen", "afbeelding zonder alt-tekst"),
    ("![stagebord.png]", "is een bestandsnaam"),
    ("![IMG_2041]", "is een bestandsnaam"),
    ("#### Een kop", "h1 gevolgd door h4"),
    ("[Klik hier]", "vage linktekst 'Klik hier'"),
    ("[lees meer]", "vage linktekst 'lees meer'"),
    ("<https://www.rijksoverheid.nl", "kale URL als linktekst"),
    ("| | |", "tabel zonder kopregel"),
    (
        "[het stagereglement]",
        "PDF-bestand zonder bestandstype en grootte",
    ),
    ("[het stagerooster (Excel)]", "Excel-bestand zonder grootte"),
    ("The internship agreement", "lijkt Engels"),
    ("style=\"color: red\"", "kleur als enige nadruk"),
    ("<table>", "HTML-tabel zonder kopcellen"),
];

#[test]
fn lint_finds_every_case_of_the_bad_page_at_its_line_and_nothing_on_the_good_page() {
    let site = site();
    let out = run(site.root(), &["check"]);
    let (_, stderr) = text(&out);
    assert!(
        out.status.success(),
        "warnings must not fail check:\n{stderr}"
    );
    let bad = site.path("content/stage/fouten.md");
    let found = warnings_for(&stderr, "content/stage/fouten.md");
    for (needle, message) in LINT_CASES {
        let line = line_of(&bad, needle);
        assert!(
            found.iter().any(|(l, m)| *l == line && m.contains(message)),
            "no warning {message:?} at fouten.md:{line}; found:\n{found:#?}"
        );
    }
    assert_eq!(found.len(), LINT_CASES.len(), "{found:#?}");
    let good = warnings_for(&stderr, "content/stage/goede-voorbeelden.md");
    assert!(good.is_empty(), "the good page must pass: {good:#?}");
}

#[test]
fn strict_turns_lint_warnings_into_errors() {
    let site = site();
    let out = run(site.root(), &["build", "--strict", "--no-search"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("fouten.md"), "{stderr}");
    assert!(stderr.contains(": fout: vage linktekst"), "{stderr}");
    assert!(!site.path("public/index.html").exists());
    // Without the bad page only the placeholder contact address stops it
    // (`.example` is reserved); with a real contact the strict build passes.
    std::fs::remove_file(site.path("content/stage/fouten.md")).unwrap();
    let out = run(site.root(), &["build", "--strict", "--no-search"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(": fout: toegankelijkheid: contact.email"),
        "{stderr}"
    );
    let config = site.read("kennisbank.yaml");
    let email = config
        .lines()
        .find(|l| l.contains("toegankelijkheid@voorbeeldcollege.example"))
        .unwrap()
        .to_string();
    // A page of the site itself: no address invented for the test.
    site.write(
        "kennisbank.yaml",
        &config.replace(&email, "    url: \"/stage/\""),
    );
    let out = run(site.root(), &["build", "--strict", "--no-search"]);
    assert!(out.status.success(), "{}", text(&out).1);
}

#[test]
fn a_placeholder_accessibility_contact_warns_in_check_and_build_at_its_line() {
    let site = site();
    let config = site.path("kennisbank.yaml");
    let line = line_of(&config, "toegankelijkheid@voorbeeldcollege.example");
    for args in [&["check"][..], &["build", "--no-search"]] {
        let cmd = args[0];
        let out = run(site.root(), args);
        let (_, stderr) = text(&out);
        assert!(
            out.status.success(),
            "{cmd}: a warning, not an error:\n{stderr}"
        );
        let found = warnings_for(&stderr, "kennisbank.yaml");
        let hits: Vec<_> = found
            .iter()
            .filter(|(_, m)| m.contains("voorbeeldadres"))
            .collect();
        assert_eq!(hits.len(), 1, "{cmd}:\n{stderr}");
        assert_eq!(hits[0].0, line, "{cmd}: {hits:?}");
        assert!(
            hits[0]
                .1
                .contains("'toegankelijkheid@voorbeeldcollege.example'")
                && hits[0].1.contains(".example"),
            "{cmd}: {hits:?}"
        );
        assert!(
            stderr.contains("hint: vul het echte e-mailadres in"),
            "{cmd}: what to fill in:\n{stderr}"
        );
    }
    // A real address (here a page of the site itself) is not warned about.
    let text_now = site.read("kennisbank.yaml");
    let email = text_now
        .lines()
        .find(|l| l.contains("voorbeeldcollege.example"))
        .unwrap()
        .to_string();
    site.write(
        "kennisbank.yaml",
        &text_now.replace(&email, "    url: \"/stage/\""),
    );
    let (_, stderr) = text(&run(site.root(), &["check"]));
    assert!(!stderr.contains("voorbeeldadres"), "{stderr}");
}

// ---- B1 hints ----------------------------------------------------------------------

#[test]
fn b1_hints_name_line_and_sentence_and_spare_glossary_terms() {
    let site = site();
    let out = run(site.root(), &["check", "--b1"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let file = site.path("content/schrijven/stage-aanvragen.md");
    let rel = "content/schrijven/stage-aanvragen.md";
    let long = "De student die in het tweede jaar";
    let sentence = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .find(|l| l.starts_with(long))
        .unwrap()
        .to_string();
    let n = sentence.split_whitespace().count();
    assert!(n > 20, "the fixture's long sentence has {n} words");
    let expect = [
        format!("{rel}:{}: lange zin ({n} woorden): {sentence}", line_of(&file, long)),
        format!(
            "{rel}:{}: lijdende vorm (wordt … opgesteld): Het contract wordt door de school opgesteld.",
            line_of(&file, "wordt door")
        ),
        format!(
            "{rel}:{}: lang woord (stagevergoedingsregeling)",
            line_of(&file, "stagevergoedingsregeling")
        ),
    ];
    for e in &expect {
        assert!(stdout.contains(e.as_str()), "missing {e:?} in:\n{stdout}");
    }
    // A glossary heading (content/begrippen.md) is a known word; 15 letters is not long.
    assert!(
        !stdout.contains("lang woord (praktijkovereenkomst)"),
        "{stdout}"
    );
    assert!(!stdout.contains("lang woord (stagebegeleider)"), "{stdout}");
    // Without the glossary the term is flagged: the exemption is what spared it.
    let config = site.read("kennisbank.yaml").replace(
        "begrippenlijst: [begrippen.md]",
        "begrippenlijst: [stage/_index.md]",
    );
    site.write("kennisbank.yaml", &config);
    let (stdout, _) = text(&run(site.root(), &["check", "--b1"]));
    assert!(
        stdout.contains("lang woord (praktijkovereenkomst)"),
        "{stdout}"
    );
    // Hints are for editors: the published pages carry none of them.
    let out = run(site.root(), &["build", "--no-search"]);
    assert!(out.status.success(), "{}", text(&out).1);
    let html = site.public("schrijven/stage-aanvragen/index.html");
    assert!(
        !html.contains("lijdende vorm") && !html.contains("Flesch"),
        "{html}"
    );
}

// ---- review dates ------------------------------------------------------------------

/// `(file, date, owner)` of every fixture page with `herzien_op`.
fn review_dates(root: &Path) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(root.join("content")) {
        let e = e.unwrap();
        if e.path().extension().is_none_or(|x| x != "md") {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        let field = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k))
                .map(|v| v.trim().trim_matches('"').to_string())
        };
        if let Some(date) = field("herzien_op:") {
            let rel = e.path().strip_prefix(root).unwrap().display().to_string();
            out.push((rel, date, field("eigenaar:").unwrap_or_default()));
        }
    }
    out
}

#[test]
fn check_review_lists_pages_past_their_date_with_owner_and_build_counts_them() {
    let site = site();
    let all = review_dates(site.root());
    let past: Vec<_> = all.iter().filter(|(_, d, _)| d.as_str() < TODAY).collect();
    assert!(
        !past.is_empty() && past.len() < all.len(),
        "fixture needs past and future dates"
    );
    let out = run(site.root(), &["check", "--review"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    for (file, date, owner) in &all {
        let listed = stdout.lines().any(|l| {
            l.contains(file.as_str()) && l.contains(date.as_str()) && l.contains(owner.as_str())
        });
        assert_eq!(
            listed,
            date.as_str() < TODAY,
            "{file} ({date}) in:\n{stdout}"
        );
    }
    assert!(
        stdout.contains(&format!("te herzien: {} pagina's", past.len())),
        "{stdout}"
    );

    let out = run(site.root(), &["build", "--no-search"]);
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains(&format!("{} pagina's voorbij de herziendatum", past.len())),
        "{stdout}"
    );
    // The reference date decides: in 2019 nothing was due yet.
    let out = run_at(site.root(), "1546300800", &["check", "--review"]);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("te herzien: 0 pagina's"), "{stdout}");
}

#[test]
fn owner_review_date_and_last_change_are_shown_to_readers() {
    let site = site();
    let out = run(site.root(), &["build", "--no-search"]);
    assert!(out.status.success(), "{}", text(&out).1);
    let html = site.public("stage/goede-voorbeelden/index.html");
    assert!(
        html.contains("<a href=\"mailto:stagebureau@voorbeeldcollege.example\">"),
        "{html}"
    );
    assert!(
        html.contains("<time datetime=\"2099-01-31\">31 januari 2099</time>"),
        "{html}"
    );
    // Not a git checkout: `updated` is the last change.
    assert!(
        html.contains("Laatst gewijzigd</dt><dd><time datetime=\"2025-09-01\">"),
        "{html}"
    );
    // No `updated`: the file's time, clamped to SOURCE_DATE_EPOCH.
    let html = site.public("beheer/werkwijze/index.html");
    assert!(
        html.contains(&format!(
            "Laatst gewijzigd</dt><dd><time datetime=\"{TODAY}\">"
        )),
        "{html}"
    );
}

// ---- last change from git ----------------------------------------------------------

fn git(root: &Path, date: &str, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "user.name=Redactie",
            "-c",
            "user.email=redactie@example.org",
        ])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn last_changed(site: &TestSite, page: &str) -> String {
    let html = site.public(page);
    let at = html
        .find("Laatst gewijzigd</dt><dd><time datetime=\"")
        .unwrap_or_else(|| panic!("no last change on {page}"));
    let rest = &html[at + "Laatst gewijzigd</dt><dd><time datetime=\"".len()..];
    rest[..10].to_string()
}

#[test]
fn last_change_comes_from_git_history_newest_commit_first() {
    let site = site();
    let root = site.root();
    git(root, "2024-03-01T10:00:00+01:00", &["init", "-q"]);
    git(root, "2024-03-01T10:00:00+01:00", &["add", "."]);
    git(
        root,
        "2024-03-01T10:00:00+01:00",
        &["commit", "-q", "-m", "Eerste versie"],
    );
    // A later commit touches one page (which also has `updated`: git wins).
    let page = "content/stage/goede-voorbeelden.md";
    let edited = site
        .read(page)
        .replace("Vraag je docent om hulp.", "Vraag je mentor om hulp.");
    site.write(page, &edited);
    git(
        root,
        "2025-11-20T16:30:00+01:00",
        &["commit", "-q", "-am", "Mentor in plaats van docent"],
    );
    // A page never committed falls back to `updated`.
    site.write(
        "content/beheer/nieuw.md",
        "---\ntitle: \"Nieuwe pagina\"\ndescription: \"Nog niet in git.\"\nthema: [beheer]\nupdated: 2026-01-05\n---\nNieuw.\n",
    );
    let out = run(root, &["build", "--no-search"]);
    assert!(out.status.success(), "{}", text(&out).1);
    assert_eq!(
        last_changed(&site, "stage/goede-voorbeelden/index.html"),
        "2025-11-20"
    );
    assert_eq!(
        last_changed(&site, "beheer/werkwijze/index.html"),
        "2024-03-01"
    );
    assert_eq!(
        last_changed(&site, "beheer/examenreglement/index.html"),
        "2024-03-01"
    );
    assert_eq!(last_changed(&site, "beheer/nieuw/index.html"), "2026-01-05");
}

// ---- accessibility statement -------------------------------------------------------

#[test]
fn statement_is_rendered_after_the_model_and_linked_from_every_page() {
    let site = site();
    let out = run(site.root(), &["build", "--no-search"]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    // A fresh statement gives no warning but that its contact is the
    // fixture's placeholder address (tested on its own below).
    let warned: Vec<_> = warnings_for(&stderr, "kennisbank.yaml")
        .into_iter()
        .filter(|(_, m)| !m.contains("voorbeeldadres"))
        .collect();
    assert!(warned.is_empty(), "a fresh statement warns:\n{stderr}");
    let page = site.public("toegankelijkheid/index.html");
    // The model statement's parts, in its order.
    let parts = [
        "<h1>Toegankelijkheidsverklaring</h1>",
        "id=\"verklaring\"",
        "<strong>C: eerste maatregelen genomen</strong>",
        "id=\"onderbouwing\"",
        "axe-core (WCAG 2.2 A en AA)",
        "1.2.2 Ondertiteling (vooraf opgenomen)",
        "De video over de stagemarkt heeft nog geen ondertitels.",
        "Voorzitter College van Bestuur",
        "mailto:toegankelijkheid@voorbeeldcollege.example",
        "binnen 5 werkdagen",
        "Nationale ombudsman",
        "<time datetime=\"2025-11-03\">3 november 2025</time>",
    ];
    let mut at = 0;
    for p in parts {
        let i = page[at..]
            .find(p)
            .unwrap_or_else(|| panic!("{p:?} missing or out of order:\n{page}"));
        at += i;
    }
    let mut pages = 0;
    for (path, bytes) in snapshot_tree(&site.path("public")) {
        let html = String::from_utf8_lossy(&bytes);
        if !path.ends_with(".html") || html.contains("http-equiv=\"refresh\"") {
            continue;
        }
        pages += 1;
        assert!(
            html.contains("<a href=\"/toegankelijkheid/\""),
            "{path} has no link to the statement"
        );
    }
    assert!(pages > 10, "{pages}");
    assert!(site
        .public("sitemap.xml")
        .contains("https://kennisbank.example.org/toegankelijkheid/"));
}

#[test]
fn an_accessibility_test_older_than_36_months_warns_at_its_line() {
    let site = site();
    for (date, warns) in [
        ("2023-05-31", true),
        ("2023-06-01", true),
        ("2023-06-02", false),
    ] {
        let config = site.read("kennisbank.yaml");
        let old = config
            .lines()
            .find(|l| l.trim_start().starts_with("laatste_onderzoek:"))
            .unwrap()
            .to_string();
        site.write(
            "kennisbank.yaml",
            &config.replace(&old, &format!("  laatste_onderzoek: {date}")),
        );
        let (_, stderr) = text(&run(site.root(), &["check"]));
        let line = line_of(&site.path("kennisbank.yaml"), "laatste_onderzoek:");
        let expected = format!("kennisbank.yaml:{line}: waarschuwing: toegankelijkheid: het laatste onderzoek ({date})");
        assert_eq!(stderr.contains(&expected), warns, "{date}:\n{stderr}");
    }
}

#[test]
fn status_a_without_a_report_warns() {
    let site = site();
    let config = site
        .read("kennisbank.yaml")
        .replace("  status: C", "  status: A");
    site.write("kennisbank.yaml", &config);
    let (_, stderr) = text(&run(site.root(), &["check"]));
    assert!(
        stderr.contains("status A (voldoet volledig) vraagt een onderzoeksrapport"),
        "{stderr}"
    );
}

// ---- the bundled site ---------------------------------------------------------------

#[test]
fn bundled_site_has_its_statement_linked_from_every_page() {
    let out_dir = tempfile::tempdir().unwrap();
    let public = out_dir.path().join("public");
    let out = Command::new(common::bin())
        .args(["build", "--no-search", "--root"])
        .arg(repo())
        .arg("--output")
        .arg(&public)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out).1);
    let statement = std::fs::read_to_string(public.join("toegankelijkheid/index.html")).unwrap();
    assert!(
        statement.contains("eerste maatregelen genomen"),
        "{statement}"
    );
    let mut missing = BTreeSet::new();
    for (path, bytes) in snapshot_tree(&public) {
        let html = String::from_utf8_lossy(&bytes);
        if path.ends_with(".html")
            && !html.contains("http-equiv=\"refresh\"")
            && !html.contains("href=\"/toegankelijkheid/\"")
        {
            missing.insert(path);
        }
    }
    assert!(
        missing.is_empty(),
        "pages without the statement link: {missing:?}"
    );
}

// ---- serve's writing panel --------------------------------------------------------

#[test]
fn serve_shows_the_writing_panel_to_editors_and_build_never_does() {
    let site = site();
    let server = common::http::Serving::start(Path::new(common::bin()), site.root(), &[]);
    let page = server.get("/schrijven/stage-aanvragen/").body_text();
    assert!(
        page.contains("<details id=\"kennisbank-schrijftips\""),
        "{page}"
    );
    let file = site.path("content/schrijven/stage-aanvragen.md");
    let line = line_of(&file, "wordt door");
    assert!(
        page.contains(&format!("regel {line}: lijdende vorm (wordt … opgesteld)")),
        "{page}"
    );
    // A page without hints gets no panel.
    let clean = server.get("/beheer/werkwijze/").body_text();
    assert!(clean.contains("Werkwijze van de redactie"), "{clean}");
    assert!(!clean.contains("kennisbank-schrijftips"), "{clean}");
    drop(server);
    let out = run(site.root(), &["build", "--no-search"]);
    assert!(out.status.success(), "{}", text(&out).1);
    for (path, bytes) in snapshot_tree(&site.path("public")) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("kennisbank-schrijftips"),
            "{path} carries the editors' panel"
        );
    }
}

// ---- NL Design System tokens (browser) ----------------------------------------------

/// Computed colours and fonts of `page`, light and dark, as Chromium sees them.
fn computed_styles(public: &Path, page: &str) -> serde_json::Value {
    let server = common::static_server::Server::at(public.to_path_buf());
    let out = Command::new("node")
        .current_dir(repo().join("tests/browser"))
        .arg("tokens.mjs")
        .arg(format!("{}{page}", server.url()))
        .output()
        .expect("run node (is Node.js installed?)");
    drop(server);
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "tokens.mjs failed:\n{stdout}\n{stderr}"
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// `rgb(r, g, b)` of a `#rrggbb` value in a CSS file (the token's value).
fn token_rgb(css: &str, token: &str, nth: usize) -> String {
    let value = css
        .match_indices(&format!("{token}:"))
        .nth(nth)
        .map(|(i, _)| css[i + token.len() + 1..].trim_start()[..7].to_string())
        .unwrap_or_else(|| panic!("{token} not set"));
    let n = |i: usize| u8::from_str_radix(&value[i..i + 2], 16).unwrap();
    format!("rgb({}, {}, {})", n(1), n(3), n(5))
}

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs Chromium, Java and tests/browser/node_modules: run scripts/test"
)]
fn a_token_file_in_static_restyles_the_site_without_template_changes() {
    let site = site();
    let templates = snapshot_tree(&site.path("themes/default/templates"));
    let page = "stage/goede-voorbeelden/";
    let out = run(site.root(), &["build", "--no-search"]);
    assert!(out.status.success(), "{}", text(&out).1);
    let before = computed_styles(&site.path("public"), page);

    let tokens = std::fs::read_to_string(repo().join("docs/voorbeelden/tokens.css")).unwrap();
    site.write("static/css/tokens.css", &tokens);
    let out = run(site.root(), &["build", "--no-search"]);
    assert!(out.status.success(), "{}", text(&out).1);
    let after = computed_styles(&site.path("public"), page);
    assert_eq!(
        templates,
        snapshot_tree(&site.path("themes/default/templates"))
    );

    // The first occurrence of a token is the light scheme, the second the dark one.
    for (i, scheme) in ["light", "dark"].iter().enumerate() {
        let (b, a) = (&before[scheme], &after[scheme]);
        for (key, token) in [
            ("body_background", "--utrecht-document-background-color"),
            ("body_color", "--utrecht-document-color"),
            ("heading_color", "--utrecht-heading-color"),
            ("link_color", "--utrecht-link-color"),
            (
                "header_background",
                "--utrecht-page-header-background-color",
            ),
        ] {
            let want = token_rgb(&tokens, token, i);
            assert_eq!(a[key], want.as_str(), "{scheme} {key}: {a}");
            assert_ne!(b[key], a[key], "{scheme} {key} did not change: {b}");
        }
        assert!(
            a["body_font"].as_str().unwrap().starts_with("Georgia"),
            "{a}"
        );
        assert_eq!(a["wrap_padding"], "32px", "{a}");
    }
    // The example house style stays accessible (WCAG 2.2 AA, light and dark);
    // pages whose raw HTML sets its own colour are the author's to check.
    let server = common::static_server::Server::at(site.path("public"));
    let out = Command::new("node")
        .current_dir(repo().join("tests/browser"))
        .args([
            "axe.mjs",
            &server.url(),
            "/",
            "/stage/",
            "/toegankelijkheid/",
            "/begrippen/",
        ])
        .output()
        .expect("run node");
    drop(server);
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "axe with the example tokens:\n{stdout}\n{stderr}"
    );
}
