//! Hostile input, interruptions and odd files: every case gives a clear
//! error naming the file (and line where there is one), exits 1 without a
//! panic, and never damages the published output.

mod common;

use common::{snapshot_tree, TestSite};

fn site() -> TestSite {
    TestSite::fixture("basic")
}

#[test]
fn empty_file_is_missing_a_title() {
    let s = site();
    s.write("content/leeg.md", "");
    s.build()
        .assert_fails_with(&["content/leeg.md:1", "titel ontbreekt"]);
}

#[test]
fn unclosed_front_matter_is_reported_at_line_1() {
    let s = site();
    s.write(
        "content/open.md",
        "---\ntitle: Open\n\nTekst zonder einde van de front matter.\n",
    );
    s.build()
        .assert_fails_with(&["content/open.md:1", "niet afgesloten"]);
}

#[test]
fn front_matter_that_is_not_a_map() {
    let s = site();
    s.write("content/lijst.md", "---\n- een\n- twee\n---\nTekst\n");
    s.build()
        .assert_fails_with(&["content/lijst.md:2", "niet uit een lijst"]);
}

#[test]
fn duplicate_keys_are_an_error() {
    let s = site();
    s.write("content/dubbel.md", "---\ntitle: A\ntitle: B\n---\n");
    s.build()
        .assert_fails_with(&["content/dubbel.md:", "duplicate"]);
}

#[test]
fn byte_order_mark_and_crlf_are_accepted() {
    let s = site();
    s.write(
        "content/windows.md",
        "\u{feff}---\r\ntitle: \"Windows\"\r\n---\r\n\r\n## Kop\r\n\r\nTekst.\r\n",
    );
    s.build().assert_ok();
    let html = s.public("windows/index.html");
    assert!(html.contains("<h1>Windows</h1>"), "{html}");
    assert!(html.contains("<h2 id=\"kop\">Kop</h2>"));
}

#[test]
fn invalid_utf8_names_file_and_byte_offset() {
    let s = site();
    std::fs::write(
        s.path("content/kapot.md"),
        b"---\ntitle: x\n---\nab\xFF\xFEcd\n",
    )
    .unwrap();
    s.build()
        .assert_fails_with(&["content/kapot.md:4", "geen geldige UTF-8 bij byte 19"]);
}

#[cfg(unix)]
#[test]
fn non_utf8_file_name_is_reported() {
    use std::os::unix::ffi::OsStrExt;
    let s = site();
    let name = std::ffi::OsStr::from_bytes(b"caf\xE9.md");
    std::fs::write(s.path("content").join(name), "---\ntitle: x\n---\n").unwrap();
    s.build().assert_fails_with(&["caf", "geen geldige UTF-8"]);
}

#[test]
fn very_large_page_builds() {
    let s = site();
    let para = "Een vrij lange alinea over stages, taal en begeleiding in het mbo. ".repeat(20);
    let mut body = String::from("---\ntitle: Groot\n---\n");
    while body.len() < 50 * 1024 * 1024 {
        body.push_str("## Kop\n\n");
        body.push_str(&para);
        body.push_str("\n\n");
    }
    s.write("content/groot.md", &body);
    s.run(&["check"]).assert_ok();
}

#[test]
fn deeply_nested_lists_and_quotes_do_not_crash() {
    let s = site();
    let quotes = ">".repeat(10_000) + " diep\n";
    // "- - - x" nests a list per marker on one line.
    let lists = "- ".repeat(10_000) + "x\n";
    s.write(
        "content/citaat.md",
        &format!("---\ntitle: Citaat\n---\n{quotes}"),
    );
    s.write(
        "content/lijsten.md",
        &format!("---\ntitle: Lijsten\n---\n{lists}"),
    );
    s.build().assert_ok();
    assert!(s.public("citaat/index.html").contains("diep"));
}

#[cfg(unix)]
#[test]
fn symlink_loop_and_link_outside_are_not_followed() {
    let s = site();
    std::os::unix::fs::symlink(s.path("content"), s.path("content/pilots/lus")).unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("geheim.md"),
        "---\ntitle: Geheim\n---\nGeheim.\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("geheim.md"),
        s.path("content/geheim.md"),
    )
    .unwrap();
    let run = s.build();
    run.assert_ok();
    let err = run.stderr();
    assert!(
        err.contains("content/geheim.md: waarschuwing: symbolische link wijst buiten de site"),
        "{err}"
    );
    assert!(err.contains("content/pilots/lus: waarschuwing"), "{err}");
    assert!(!s.path("public/geheim").exists());
}

#[test]
fn pages_colliding_by_case_slug_or_alias_are_errors() {
    let s = site();
    s.write("content/Over.md", "---\ntitle: Over 2\n---\n");
    s.build()
        .assert_fails_with(&["URL /over/ is al in gebruik"]);

    let s = site();
    s.write(
        "content/oud.md",
        "---\ntitle: Oud\naliases: [\"/pilots/eerste-pilot/\"]\n---\n",
    );
    s.build().assert_fails_with(&[
        "content/oud.md:3",
        "URL /pilots/eerste-pilot/ is al in gebruik",
    ]);
}

#[test]
fn alias_on_a_generated_file_is_an_error() {
    let s = site();
    s.write(
        "content/x.md",
        "---\ntitle: X\naliases: [\"/sitemap.xml\"]\n---\n",
    );
    s.build()
        .assert_fails_with(&["URL /sitemap.xml is al in gebruik door (gegenereerd)"]);
}

#[test]
fn static_file_shadowing_a_generated_file_is_an_error() {
    let s = site();
    s.write("static/404.html", "mijn 404");
    s.build()
        .assert_fails_with(&["static/404.html", "404.html"]);
}

#[test]
fn relation_to_a_draft_is_an_error_in_a_normal_build() {
    let s = site();
    s.write(
        "content/conclusies/c.md",
        "---\ntitle: C\npilots: [concept]\n---\n",
    );
    s.build()
        .assert_fails_with(&["content/conclusies/c.md:3", "concept"]);
    s.run(&["build", "--no-search", "--drafts"]).assert_ok();
}

const NASTY: &str = "<script>alert(1)</script>\\\"><img src=x onerror=alert(2)>";

#[test]
fn markup_in_titles_and_terms_is_escaped_everywhere() {
    let s = site();
    s.write(
        "content/pilots/boos.md",
        &format!(
            "---\ntitle: \"{NASTY}\"\ndescription: \"{NASTY}\"\ndate: 2030-01-01\nstatus: loopt\nverwacht_resultaat: \"{NASTY}\"\nthema: [\"{NASTY}\"]\n---\nTekst.\n"
        ),
    );
    s.build().assert_ok();
    for (path, bytes) in snapshot_tree(&s.path("public")) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("<script>alert"),
            "{path} holds an unescaped <script>"
        );
        assert!(
            !text.contains("<img src=x"),
            "{path} holds an unescaped <img>"
        );
    }
    // The feed lists the page, with its title escaped for XML.
    let feed = s.public("atom.xml");
    assert!(
        feed.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{feed}"
    );
}

#[test]
fn raw_html_in_markdown_is_escaped_unless_allowed() {
    let s = site();
    s.write(
        "content/html.md",
        "---\ntitle: Html\n---\n<script>alert(1)</script>\n\n<b>vet</b>\n",
    );
    s.build().assert_ok();
    let html = s.public("html/index.html");
    assert!(!html.contains("<script>alert"));
    assert!(html.contains("&lt;b&gt;vet"));
    let cfg = s.read("kennisbank.yaml") + "markdown:\n  raw_html: true\n";
    s.write("kennisbank.yaml", &cfg);
    s.build().assert_ok();
    assert!(s.public("html/index.html").contains("<b>vet</b>"));
}

#[cfg(unix)]
#[test]
fn killed_build_leaves_previous_output_and_no_leftovers() {
    let s = site();
    s.build().assert_ok();
    let mut before = snapshot_tree(&s.path("public"));
    // Make the build slower so the kill lands mid-build.
    for i in 0..400 {
        s.write(
            &format!("content/veel/p{i}.md"),
            &format!(
                "---\ntitle: P{i}\n---\n{}\n",
                "Tekst over taal. ".repeat(400)
            ),
        );
    }
    // Each signal must land mid-build: sent once the build has claimed its
    // staging folder (it exists until the swap). A build that finishes
    // before the signal is tried again; it never ends the test early.
    for signal in ["KILL", "INT", "KILL"] {
        let mut interrupted = false;
        for _attempt in 0..20 {
            let mut child = std::process::Command::new(common::bin())
                .args(["build", "--no-search", "--root"])
                .arg(s.root())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            let staging = s.path(&format!(".public.kb-tmp-{}", child.id()));
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while !staging.exists()
                && child.try_wait().unwrap().is_none()
                && std::time::Instant::now() < deadline
            {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            // Sent from here, not by spawning `kill`: on a loaded machine
            // the spawn took longer than the rest of the build.
            let signo = if signal == "KILL" {
                libc::SIGKILL
            } else {
                libc::SIGINT
            };
            // SAFETY: kill(2) on our own child's pid, which we have not reaped.
            unsafe { libc::kill(child.id() as libc::pid_t, signo) };
            let status = child.wait().unwrap();
            if status.success() {
                // Finished before the signal: the output is the new site,
                // complete, and what the next interrupted build must keep.
                assert!(s.path("public/veel/p399/index.html").exists());
                before = snapshot_tree(&s.path("public"));
                continue;
            }
            assert_eq!(
                before,
                snapshot_tree(&s.path("public")),
                "output changed after SIG{signal} mid-build"
            );
            interrupted = true;
            break;
        }
        assert!(
            interrupted,
            "no build was interrupted by SIG{signal} in 20 tries"
        );
    }
    // The next build cleans up what killed builds left behind: only the
    // previous output stays beside the new one.
    s.build().assert_ok();
    let left = common::leftovers(s.root());
    assert!(left.is_empty(), "{left:?}");
    assert!(s.path("public/veel/p399/index.html").exists());
}

/// The search index is written from memory into the build's staging
/// folder: nothing in `/dev/shm` or the temporary folder that a killed
/// build could leave behind (once, records there kept a gigabyte of memory
/// until reboot). Watched while a build runs; then it is killed midway.
#[cfg(target_os = "linux")]
#[test]
fn search_index_uses_no_temporary_folders() {
    let shm = std::path::Path::new("/dev/shm");
    let s = site();
    for i in 0..600 {
        s.write(
            &format!("content/veel/p{i}.md"),
            &format!(
                "---\ntitle: P{i}\n---\n{}\n",
                "Tekst over taal en werk. ".repeat(300)
            ),
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let ours = |pid: u32| -> Vec<std::path::PathBuf> {
        let mut found: Vec<std::path::PathBuf> = std::fs::read_dir(shm)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| {
                        let n = e.file_name().to_string_lossy().into_owned();
                        n.starts_with("kennisbank") && n.contains(&pid.to_string())
                    })
                    .map(|e| e.path())
                    .collect()
            })
            .unwrap_or_default();
        found.extend(
            std::fs::read_dir(tmp.path())
                .unwrap()
                .filter_map(Result::ok)
                .map(|e| e.path()),
        );
        found
    };
    for kill_after in [None, Some(std::time::Duration::from_millis(300))] {
        let mut child = std::process::Command::new(common::bin())
            .args(["build", "--root"])
            .arg(s.root())
            .env("TMPDIR", tmp.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        let start = std::time::Instant::now();
        let mut seen = Vec::new();
        while child.try_wait().unwrap().is_none() {
            seen.extend(ours(pid));
            if kill_after.is_some_and(|k| start.elapsed() > k) {
                let _ = child.kill();
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let status = child.wait().unwrap();
        if kill_after.is_none() {
            assert!(status.success(), "the build failed");
            assert!(s.path("public/pagefind/pagefind-entry.json").exists());
        }
        assert!(seen.is_empty(), "temporary files of the build: {seen:?}");
        assert!(ours(pid).is_empty(), "left behind: {:?}", ours(pid));
    }
    // The next build cleans up what the killed one left in the output's
    // folder: only the previous output stays beside the new one.
    s.build().assert_ok();
    let left = common::leftovers(s.root());
    assert!(left.is_empty(), "{left:?}");
}
