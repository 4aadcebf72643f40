//! A new user's first five minutes, with the binary alone: copied into an
//! empty temporary folder with no repository beside it, `init kb` writes a
//! site that builds without warnings, checks clean, serves over real HTTP
//! and passes axe and vnu; a folder of Markdown without any configuration
//! builds; `--message-format json` gives editors one object per problem;
//! completions and a man page are generated.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::browser::browser_dir;
use common::http::Serving;

/// An empty folder holding only a copy of the binary.
struct Alone {
    dir: tempfile::TempDir,
    bin: PathBuf,
}

/// The binary, copied once into a folder of its own. Once: a copy written
/// while another test thread forks a child is "text file busy" to exec.
/// The folder is cargo's per-target scratch space, replaced on each run: a
/// `TempDir` in a static is never dropped, and left a copy in /tmp per run.
fn lone_binary() -> &'static Path {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("init-lone-binary");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let bin = dir.join("kennisbank");
        std::fs::copy(common::bin(), &bin).unwrap();
        bin
    })
}

impl Alone {
    fn new() -> Alone {
        let bin = lone_binary().to_path_buf();
        let dir = tempfile::tempdir().unwrap();
        Alone { dir, bin }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Runs the copied binary in `cwd` (relative to the folder).
    fn run(&self, cwd: &str, args: &[&str]) -> Output {
        Command::new(&self.bin)
            .current_dir(self.path(cwd))
            .args(args)
            // Nothing from the repository's environment leaks in.
            .env_remove("CARGO_MANIFEST_DIR")
            .output()
            .unwrap()
    }

    #[track_caller]
    fn ok(&self, cwd: &str, args: &[&str]) -> (String, String) {
        let out = self.run(cwd, args);
        let (stdout, stderr) = texts(&out);
        assert!(
            out.status.success(),
            "kennisbank {args:?} in {cwd} failed:\n{stdout}\n{stderr}"
        );
        (stdout, stderr)
    }

    /// `init kb` in the empty folder; returns its stdout.
    fn init_kb(&self) -> String {
        self.ok(".", &["init", "kb"]).0
    }
}

fn texts(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    out.sort();
    out
}

/// URL paths of every HTML page in a build ("/", "/artikelen/x/", "/404.html").
fn html_paths(public: &Path) -> Vec<String> {
    files_under(public)
        .into_iter()
        .filter(|f| f.ends_with(".html"))
        .map(|f| match f.strip_suffix("index.html") {
            Some(dir) => format!("/{dir}"),
            None => format!("/{f}"),
        })
        .collect()
}

/// The Markdown pages (not sections or archetypes) of a site's content/.
fn content_pages(content: &Path) -> Vec<String> {
    files_under(content)
        .into_iter()
        .filter(|f| {
            f.ends_with(".md") && !f.ends_with("_index.md") && !f.ends_with("_archetype.md")
        })
        .collect()
}

#[test]
fn init_writes_a_site_that_builds_clean_and_says_what_to_do_next() {
    let a = Alone::new();
    let said = a.init_kb();
    let kb = a.path("kb");
    let written = files_under(&kb);
    // Every file written is named, and what to run next.
    for f in &written {
        assert!(said.contains(f.as_str()), "init does not name {f}:\n{said}");
    }
    for next in ["cd kb", "kennisbank serve", "kennisbank build"] {
        assert!(said.contains(next), "{next:?} missing:\n{said}");
    }
    for part in [
        "kennisbank.yaml",
        ".gitignore",
        "content/_index.md",
        "content/artikelen/_archetype.md",
    ] {
        assert!(written.contains(&part.to_string()), "{part} in {written:?}");
    }
    let gitignore = std::fs::read_to_string(kb.join(".gitignore")).unwrap();
    assert!(gitignore.lines().any(|l| l.trim_matches('/') == "public"));

    let (stdout, stderr) = a.ok("kb", &["build"]);
    assert!(
        !stderr.contains("waarschuwing") && !stderr.contains("hint:"),
        "a new site builds without warnings:\n{stderr}"
    );
    // Every page of content/ is in the output, with the theme from the binary.
    let pages = content_pages(&kb.join("content"));
    assert!(!pages.is_empty());
    assert!(
        stdout.starts_with(&format!("{} pagina's", pages.len())),
        "{stdout}"
    );
    for p in &pages {
        let slug = p.trim_end_matches(".md");
        let html = std::fs::read_to_string(kb.join("public").join(slug).join("index.html"))
            .unwrap_or_else(|e| panic!("{slug}: {e}"));
        assert!(
            html.contains("css/site.css?h="),
            "{slug} has the theme's stylesheet"
        );
    }
    assert!(kb.join("public/css/site.css").is_file());
    assert!(kb.join("public/pagefind/pagefind.js").is_file());

    let (stdout, stderr) = a.ok("kb", &["check"]);
    assert!(stdout.contains("geen fouten"), "{stdout}");
    assert!(!stderr.contains("waarschuwing"), "{stderr}");

    // `new` uses the section's archetype, and the site still checks clean.
    let (made, _) = a.ok("kb", &["new", "artikelen", "Tweede artikel"]);
    assert!(made.trim().ends_with("tweede-artikel.md"), "{made}");
    let text = std::fs::read_to_string(kb.join("content/artikelen/tweede-artikel.md")).unwrap();
    assert!(text.contains("title: \"Tweede artikel\""), "{text}");
    a.ok("kb", &["check"]);
}

#[test]
fn the_starter_config_has_an_accessibility_statement_to_switch_on() {
    let a = Alone::new();
    a.init_kb();
    let cfg = a.path("kb/kennisbank.yaml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    // Switched on as the comment says: the # before the block's lines goes.
    let mut on = false;
    let switched: String = text
        .lines()
        .map(|l| {
            on = on || l == "#toegankelijkheid:";
            let l = if on {
                l.strip_prefix('#').unwrap_or(l)
            } else {
                l
            };
            format!("{l}\n")
        })
        .collect();
    assert!(on, "no commented toegankelijkheid: block:\n{text}");
    std::fs::write(&cfg, &switched).unwrap();
    let line = switched
        .lines()
        .position(|l| l.contains("@example.org"))
        .unwrap()
        + 1;
    let (_, stderr) = a.ok("kb", &["build", "--no-search"]);
    // Built, with the reminder to fill in the real contact at its line.
    assert!(
        stderr.contains(&format!(
            "kennisbank.yaml:{line}: waarschuwing: toegankelijkheid: contact.email"
        )),
        "{stderr}"
    );
    let public = a.path("kb/public");
    let statement = std::fs::read_to_string(public.join("toegankelijkheid/index.html")).unwrap();
    assert!(statement.contains("Naam van uw organisatie"), "{statement}");
    for p in html_paths(&public) {
        let mut file = public.join(p.trim_start_matches('/'));
        if p.ends_with('/') {
            file.push("index.html");
        }
        let html = std::fs::read_to_string(&file).unwrap();
        assert!(
            html.contains("href=\"/toegankelijkheid/\""),
            "{p} does not link the statement"
        );
    }
    // With a real contact (a page of the site itself) it checks clean.
    std::fs::write(
        &cfg,
        switched.replace(
            "email: \"toegankelijkheid@example.org\"",
            "url: \"/artikelen/\"",
        ),
    )
    .unwrap();
    let (_, stderr) = a.ok("kb", &["check"]);
    assert!(!stderr.contains("waarschuwing"), "{stderr}");
}

#[test]
fn init_refuses_a_folder_that_is_not_empty_and_writes_nothing() {
    let a = Alone::new();
    std::fs::create_dir(a.path("kb")).unwrap();
    std::fs::write(a.path("kb/notities.md"), "# Notities\n").unwrap();
    let out = a.run(".", &["init", "kb"]);
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("niet leeg"), "{stderr}");
    assert_eq!(files_under(&a.path("kb")), vec!["notities.md".to_string()]);
}

#[test]
fn init_example_writes_the_bundled_knowledge_base_which_builds() {
    let a = Alone::new();
    let said = a.ok(".", &["init", "via", "--example"]).0;
    assert!(said.contains("cd via"), "{said}");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(
        files_under(&a.path("via/content")),
        files_under(&repo.join("content"))
    );
    let (stdout, stderr) = a.ok("via", &["build", "--no-search"]);
    // Only the reminder to fill in the real accessibility contact.
    let config = std::fs::read_to_string(a.path("via/kennisbank.yaml")).unwrap();
    let rest = common::without_placeholder_contact_warning(&stderr, &config);
    assert!(!rest.contains("waarschuwing"), "{stderr}");
    let pages = content_pages(&repo.join("content")).len();
    assert!(stdout.starts_with(&format!("{pages} pagina's")), "{stdout}");
    // The site's own templates/ and static/ came along: the pilots' table
    // and status colours.
    let pilots = std::fs::read_to_string(a.path("via/public/pilots/index.html")).unwrap();
    assert!(pilots.contains("class=\"section-table\""));
    assert!(pilots.contains("css/via.css?h="));
    assert!(pilots.contains("badge-status-"));
}

/// `kennisbank serve` of the copied binary in `cwd` (relative to the folder).
fn serving(a: &Alone, cwd: &str) -> Serving {
    Serving::start(&a.bin, &a.path(cwd), &[])
}

#[test]
fn serve_in_a_new_site_answers_over_http_with_the_embedded_theme() {
    let a = Alone::new();
    a.init_kb();
    let s = serving(&a, "kb");
    let home = s.get("/");
    assert_eq!(home.status, 200, "{}", home.text());
    let home = home.body_text();
    assert!(home.contains("Mijn kennisbank"), "{home}");
    for page in content_pages(&a.path("kb/content")) {
        let r = s.get(&format!("/{}/", page.trim_end_matches(".md")));
        assert_eq!(r.status, 200, "{page}: {}", r.text());
    }
    // Static files of the theme come out of the binary.
    let css = s.get("/css/site.css");
    assert_eq!(css.status, 200);
    let css = css.body_text();
    let theme_css = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/static/css/site.css"),
    )
    .unwrap();
    assert!(
        css.ends_with(&theme_css),
        "the embedded stylesheet is served"
    );
    let missing = s.get("/bestaat-niet/");
    assert_eq!(missing.status, 404, "{}", missing.text());
}

#[test]
fn serve_in_a_folder_of_markdown_rebuilds_on_a_save() {
    let a = Alone::new();
    common::copy_dir(&common::fixture_dir("losse-notities"), &a.path("notities"));
    let s = serving(&a, "notities");
    let page = s.get("/werkoverleg/");
    assert_eq!(page.status, 200, "{}", page.text());
    let page = page.body_text();
    assert!(page.contains("Marieke stuurt"), "{page}");
    let file = a.path("notities/werkoverleg.md");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("Marieke stuurt", "Fatima stuurt")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page = s.get("/werkoverleg/").body_text();
        if page.contains("Fatima stuurt") {
            break;
        }
        assert!(Instant::now() < deadline, "the save never showed:\n{page}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // A new Markdown file becomes a page.
    std::fs::write(a.path("notities/agenda.md"), "# Agenda\n\nVolgende week.\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while s.get("/agenda/").status != 200 {
        assert!(Instant::now() < deadline, "the new page never showed");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn theme_eject_writes_the_theme_and_the_copy_on_disk_is_used() {
    let a = Alone::new();
    a.init_kb();
    let (said, _) = a.ok("kb", &["theme", "eject"]);
    assert!(said.contains("themes/default"), "{said}");
    let repo_theme = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default");
    let ejected = files_under(&a.path("kb/themes/default"));
    let expected: Vec<String> = files_under(&repo_theme)
        .into_iter()
        .filter(|f| {
            ["templates/", "static/", "i18n/"]
                .iter()
                .any(|p| f.starts_with(p))
        })
        .collect();
    assert_eq!(ejected, expected);
    // A second eject would overwrite edits: refused.
    let again = a.run("kb", &["theme", "eject"]);
    assert_eq!(again.status.code(), Some(1));
    // Edit the copy: the build uses it instead of the built-in theme.
    let base = a.path("kb/themes/default/templates/base.html");
    let text = std::fs::read_to_string(&base).unwrap();
    std::fs::write(
        &base,
        text.replace("<body", "<body data-eigen-thema=\"ja\""),
    )
    .unwrap();
    a.ok("kb", &["build", "--no-search"]);
    let home = std::fs::read_to_string(a.path("kb/public/index.html")).unwrap();
    assert!(home.contains("data-eigen-thema=\"ja\""));
}

#[test]
fn a_folder_of_markdown_without_configuration_builds() {
    let a = Alone::new();
    let notes = a.path("losse-notities");
    common::copy_dir(&common::fixture_dir("losse-notities"), &notes);
    let sources = content_pages(&notes);
    assert_eq!(sources.len(), 2, "the fixture is two Markdown files");
    let (stdout, stderr) = a.ok("losse-notities", &["build"]);
    assert!(
        stderr.contains("kennisbank init"),
        "a hint about init:\n{stderr}"
    );
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.contains("kennisbank init"))
            .count(),
        1,
        "one line:\n{stderr}"
    );
    assert!(
        stdout.starts_with(&format!("{} pagina's", sources.len())),
        "{stdout}"
    );
    for p in &sources {
        let slug = p.trim_end_matches(".md");
        assert!(
            notes.join("public").join(slug).join("index.html").is_file(),
            "{slug}"
        );
    }
    // Title from the folder's name (there is no home page), Dutch, default theme.
    let home = std::fs::read_to_string(notes.join("public/index.html")).unwrap();
    assert!(home.contains("<html lang=\"nl\""), "{home}");
    assert!(home.contains("<title>losse-notities"), "{home}");
    // A second build does not take its own output for content.
    let (again, _) = a.ok("losse-notities", &["build"]);
    assert!(
        again.starts_with(&format!("{} pagina's", sources.len())),
        "{again}"
    );
    assert_eq!(content_pages(&notes.join("public")).len(), 0);
}

#[test]
fn a_folder_without_configuration_takes_its_title_from_the_home_page() {
    let a = Alone::new();
    let notes = a.path("map");
    common::copy_dir(
        &common::fixture_dir("losse-notities"),
        &notes.join("content"),
    );
    std::fs::write(
        notes.join("content/_index.md"),
        "# Stagebureau Noord\n\nAlles over stages.\n",
    )
    .unwrap();
    a.ok("map", &["build", "--no-search"]);
    let home = std::fs::read_to_string(notes.join("public/index.html")).unwrap();
    assert!(home.contains("<title>Stagebureau Noord"), "{home}");
}

#[test]
fn message_format_json_gives_one_object_per_problem_with_file_and_line() {
    let a = Alone::new();
    a.init_kb();
    let page = a.path("kb/content/artikelen/zo-schrijft-u-een-artikel.md");
    let mut text = std::fs::read_to_string(&page).unwrap();
    text.push_str("\nMeer in het [archief](@/archief/bestaat-niet.md).\n");
    std::fs::write(&page, &text).unwrap();
    let line = text.lines().position(|l| l.contains("archief")).unwrap() + 1;
    for cmd in ["build", "check"] {
        let out = a.run("kb", &[cmd, "--message-format", "json"]);
        let (stdout, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(1), "{cmd}: {stderr}");
        let objects: Vec<serde_json::Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
            .collect();
        assert_eq!(objects.len(), 1, "{cmd}: {stdout}");
        let d = &objects[0];
        assert_eq!(d["file"], "content/artikelen/zo-schrijft-u-een-artikel.md");
        assert_eq!(d["line"], line);
        assert_eq!(d["severity"], "error");
        assert!(d["message"].as_str().unwrap().contains("bestaat-niet.md"));
        for key in ["column", "hint"] {
            assert!(d.get(key).is_some(), "{key} in {d}");
        }
        assert!(
            stderr.contains("1 fout"),
            "the summary goes to stderr: {stderr}"
        );
    }
}

#[test]
fn serve_with_message_format_json_prints_one_object_per_error_and_nothing_else_on_stdout() {
    let a = Alone::new();
    a.init_kb();
    let mut s = Serving::start(&a.bin, &a.path("kb"), &["--message-format", "json"]);
    assert!(s.stdout.is_empty(), "a clean site: {:?}", s.stdout);
    assert_eq!(s.get("/").status, 200);
    // An edit with two broken links: one object each, at their lines.
    let rel = "content/artikelen/zo-schrijft-u-een-artikel.md";
    let page = a.path(&format!("kb/{rel}"));
    let good = std::fs::read_to_string(&page).unwrap();
    let broken = format!(
        "{good}\nZie het [archief](@/archief/bestaat-niet.md).\n\nEn de [oude versie](@/artikelen/weg.md).\n"
    );
    std::fs::write(&page, &broken).unwrap();
    let line_of = |needle: &str| broken.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let want = [
        (line_of("bestaat-niet.md"), "bestaat-niet.md"),
        (line_of("weg.md"), "weg.md"),
    ];
    let wait = Duration::from_secs(20);
    s.wait_line(|l| l.contains("build mislukt"), wait);
    while s.stdout.len() < want.len() {
        s.wait_stdout(|_| true, wait);
    }
    s.settle(Duration::from_millis(300));
    let objects: Vec<serde_json::Value> = s
        .stdout
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    assert_eq!(objects.len(), want.len(), "{:?}", s.stdout);
    for (d, (line, target)) in objects.iter().zip(want) {
        assert_eq!(d["file"], rel, "{d}");
        assert_eq!(d["line"], line, "{d}");
        assert_eq!(d["severity"], "error", "{d}");
        assert!(d["message"].as_str().unwrap().contains(target), "{d}");
        for key in ["column", "hint"] {
            assert!(d.get(key).is_some(), "{key} in {d}");
        }
    }
    // The fix: a status line on stderr, no object on stdout.
    std::fs::write(&page, &good).unwrap();
    s.wait_line(|l| l.contains("fouten opgelost"), wait);
    s.wait_line(|l| l.contains("gerenderd"), wait);
    s.settle(Duration::from_millis(300));
    assert_eq!(s.stdout.len(), want.len(), "{:?}", s.stdout);
    assert!(
        !s.stdout
            .iter()
            .any(|l| l.contains("draait op") || l.contains("opgelost")),
        "status lines belong on stderr: {:?}",
        s.stdout
    );
}

/// What the progress line names, phase by phase, in order (src/progress.rs).
const PHASE_LABELS: &[&str] = &[
    "bestanden inlezen",
    "pagina's en secties lezen",
    "Markdown verwerken",
    "links controleren",
    "pagina's maken",
    "bestanden schrijven",
];

#[test]
fn build_shows_progress_per_phase_on_a_terminal_and_nothing_extra_in_a_pipe() {
    let a = Alone::new();
    a.init_kb();
    // On a terminal: util-linux's `script` runs the build in a pseudo-terminal.
    let cmd = format!("{} build", a.bin.display());
    let out = Command::new("script")
        .current_dir(a.path("kb"))
        .args(["-qec", &cmd, "/dev/null"])
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .expect("run script (util-linux, in every Debian)");
    let (tty, _) = texts(&out);
    assert!(out.status.success(), "{tty}");
    let mut from = 0;
    for label in PHASE_LABELS {
        let at = tty[from..]
            .find(label)
            .unwrap_or_else(|| panic!("{label:?} not shown after the earlier phases:\n{tty}"));
        from += at;
    }
    assert!(tty.contains("pagina's, "), "the summary: {tty}");
    // In a pipe: the summary only, no progress and no terminal codes.
    let (stdout, stderr) = a.ok("kb", &["build"]);
    for text in [&stdout, &stderr] {
        for label in PHASE_LABELS {
            assert!(!text.contains(label), "{label:?} in a pipe:\n{text}");
        }
        assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text:?}");
    }
    assert!(stdout.contains("pagina's, "), "{stdout}");
}

#[test]
fn completions_for_every_shell_and_a_man_page() {
    let a = Alone::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let (script, _) = a.ok(".", &["completions", shell]);
        for word in ["kennisbank", "init", "serve", "message-format"] {
            assert!(script.contains(word), "{shell} lacks {word}");
        }
    }
    let out = a.run(".", &["completions", "tcsh"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
    let (man, _) = a.ok(".", &["man"]);
    assert!(
        man.starts_with(".ie") || man.contains(".TH kennisbank"),
        "{man}"
    );
    for word in ["build", "init", "completions"] {
        assert!(man.contains(word), "man page lacks {word}");
    }
}

#[test]
fn version_names_the_version_and_the_commit() {
    let a = Alone::new();
    let (v, _) = a.ok(".", &["--version"]);
    let v = v.trim();
    let expected = format!("kennisbank {} (", env!("CARGO_PKG_VERSION"));
    assert!(v.starts_with(&expected), "{v}");
    let commit = v[expected.len()..].trim_end_matches(')');
    let hash = commit.split(' ').next().unwrap();
    assert!(
        commit == "commit onbekend"
            || (hash.len() >= 7 && hash.chars().all(|c| c.is_ascii_hexdigit())),
        "{v}"
    );
}

// ---- Accessibility and HTML validity of the starter site -------------------------

#[test]
#[cfg_attr(
    not(feature = "browser"),
    ignore = "needs Chromium, Java and tests/browser/node_modules: run scripts/test"
)]
fn the_starter_site_passes_axe_and_vnu() {
    let a = Alone::new();
    a.init_kb();
    a.ok("kb", &["build"]);
    let public = a.path("kb/public");
    let mut paths = html_paths(&public);
    assert!(paths.len() > 5, "{paths:?}");
    paths.push("/zoeken/?q=artikel".into());
    // WCAG 2.2 A + AA, light and dark: the runner the bundled site's test uses.
    common::browser::axe(&public, &paths);

    let jar = browser_dir().join("node_modules/vnu-jar/build/dist/vnu.jar");
    let out = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--errors-only", "--skip-non-html"])
        .arg(&public)
        .output()
        .expect("run java (apt-get install default-jre-headless)");
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "vnu:\n{stderr}{stdout}");
}
