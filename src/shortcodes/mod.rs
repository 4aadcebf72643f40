//! Shortcodes in Markdown, Tera-based like Zola's: `{{ name(arg="…") }}`
//! inline and `{% name(arg="…") %}…{% end %}` around a body. Two are built
//! in, `pages()` (a list of pages chosen by section and front-matter
//! fields) and `include()` (another Markdown file, or one heading's part of
//! it); the others are templates in `templates/shortcodes/NAME.html` (or
//! `NAME.md`, whose output is Markdown) of the site or the theme.
//!
//! **Where they run.** In the Markdown stage, which [`render_body`] is the
//! one entry to (the parse stage calls it for every body once the section
//! tree, URLs, fields and taxonomies exist; `serve` calls it for the bodies
//! it re-renders). That is the earliest point a `pages()` query can be
//! answered, and all it needs: queries read other pages' front matter,
//! titles and URLs, never their bodies, so bodies can still be rendered in
//! parallel in any order. Calls are expanded in the Markdown *source*
//! ([`expand`]): an included file's text takes the call's place, so its
//! headings get ids and table-of-contents entries like the page's own and
//! its links go through the same resolver (from the included file's folder,
//! see [`crate::markdown::Origin`]); a template's HTML goes in as a
//! placeholder, swapped in after pulldown-cmark ran, so it is never escaped
//! as raw HTML. A body shortcode's template is split at `{{ body }}`: the
//! body stays Markdown of the page, rendered in place.
//!
//! **What they read is recorded.** Every included file (with a hash of its
//! text), every query (with a hash of what its list showed) and every
//! template goes into the body's [`Uses`]. A re-parse reuses a rendered
//! body only while [`still_current`] holds, and `serve` re-renders the
//! bodies whose uses an edit touches: there is no hand-kept rule about
//! which page shows which.

mod call;
mod expand;
mod pages;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::error::{Code, Diagnostic};
use crate::links::Resolver;
use crate::markdown::{self, RenderOptions};
use crate::model::{Rendered, Site, SourceFile, Target, Uses};

/// Markdown files in a folder of this name are only included, never pages
/// (`content/_includes/`, or `content/praktijken/_includes/`).
pub(crate) const INCLUDES_DIR: &str = "_includes";

/// Whether `rel` (relative to content/) is a file to include, not a page.
pub(crate) fn is_include_only(rel: &str) -> bool {
    rel.split('/').rev().skip(1).any(|dir| dir == INCLUDES_DIR)
}

/// Names of the built-in shortcodes.
pub(crate) const BUILTIN: &[&str] = &["include", "pages"];

/// The default list of `pages()`, used when neither the site nor the theme
/// has `templates/shortcodes/pages.html`.
const PAGES_TEMPLATE: &str = include_str!("../../themes/default/templates/shortcodes/pages.html");

/// A shortcode template as read from disk.
#[derive(Debug, Clone)]
pub(crate) struct TemplateFile {
    /// The shortcode's name (the file name without extension).
    pub name: String,
    /// `NAME.md`: the output is Markdown, not HTML.
    pub markdown: bool,
    /// Path for messages, relative to the site root.
    pub display: PathBuf,
    pub text: String,
}

/// Reads `templates/shortcodes/` of the theme and then of the site; a site
/// template replaces the theme's of the same name.
pub(crate) fn read_templates(
    root: &Path,
    theme_dir: &Path,
    diags: &mut Vec<Diagnostic>,
) -> Vec<TemplateFile> {
    let mut by_name: BTreeMap<String, TemplateFile> = BTreeMap::new();
    // The theme built into the binary has no folder to read.
    if let Some(crate::theme::Source::Embedded(d)) = crate::theme::Source::of(theme_dir) {
        for (rel, bytes) in crate::theme::embedded_files(d, "templates") {
            let Some(file) = rel.strip_prefix("shortcodes/") else {
                continue;
            };
            let (name, markdown) = match file.rsplit_once('.') {
                Some((n, "html")) if !n.contains('/') => (n, false),
                Some((n, "md")) if !n.contains('/') => (n, true),
                _ => continue,
            };
            by_name.insert(
                name.to_string(),
                TemplateFile {
                    name: name.to_string(),
                    markdown,
                    display: format!("(ingebouwd thema) templates/{rel}").into(),
                    text: String::from_utf8_lossy(bytes).into_owned(),
                },
            );
        }
    }
    for dir in [theme_dir.join("templates"), root.join("templates")] {
        let dir = dir.join("shortcodes");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut here: BTreeMap<String, TemplateFile> = BTreeMap::new();
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if crate::content::is_ignored_name(file_name) || !path.is_file() {
                continue;
            }
            let (name, markdown) = match file_name.rsplit_once('.') {
                Some((n, "html")) => (n, false),
                Some((n, "md")) => (n, true),
                _ => continue,
            };
            let display = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            if let Some(other) = here.get(name) {
                diags.push(
                    Diagnostic::error(
                        Code::ShortcodeDuplicate,
                        &display,
                        format!(
                            "shortcode '{name}' staat er twee keer: ook {}",
                            other.display.display()
                        ),
                    )
                    .hint("houd één van NAAM.html (HTML) en NAAM.md (Markdown)"),
                );
                continue;
            }
            if BUILTIN.contains(&name) && name != "pages" {
                diags.push(
                    Diagnostic::error(
                        Code::ShortcodeBuiltinTemplate,
                        &display,
                        format!("shortcode '{name}' is ingebouwd en kan geen sjabloon hebben"),
                    )
                    .hint("geef het sjabloon een andere naam"),
                );
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    here.insert(
                        name.to_string(),
                        TemplateFile {
                            name: name.to_string(),
                            markdown,
                            display,
                            text,
                        },
                    );
                }
                Err(e) => diags.push(Diagnostic::error(
                    Code::ShortcodeTemplateUnreadable,
                    &display,
                    format!("kan sjabloon niet lezen: {e}"),
                )),
            }
        }
        by_name.extend(here);
    }
    by_name.into_values().collect()
}

struct Template {
    markdown: bool,
    display: PathBuf,
    hash: u64,
}

/// The shortcode templates, compiled, and the include-only Markdown files:
/// what the Markdown stage needs besides the site tree.
#[derive(Default)]
pub struct Library {
    tera: tera::Tera,
    templates: BTreeMap<String, Template>,
    /// Include-only files by path relative to content/.
    snippets: HashMap<String, SourceFile>,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library")
            .field("templates", &self.templates.keys().collect::<Vec<_>>())
            .field("snippets", &self.snippets.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Library {
    /// Compiles `templates`; a template that does not compile is reported
    /// and left out (its calls then report it as unknown).
    pub(crate) fn new(
        templates: Vec<TemplateFile>,
        snippets: Vec<SourceFile>,
        diags: &mut Vec<Diagnostic>,
    ) -> Library {
        let mut lib = Library {
            snippets: snippets.into_iter().map(|f| (f.rel.clone(), f)).collect(),
            ..Library::default()
        };
        lib.tera.autoescape_on(vec![".html"]);
        lib.tera.set_escape_fn(markdown::escape);
        let mut all = templates;
        if !all.iter().any(|t| t.name == "pages") {
            all.push(TemplateFile {
                name: "pages".into(),
                markdown: false,
                display: "(ingebouwd) shortcodes/pages.html".into(),
                text: PAGES_TEMPLATE.into(),
            });
        }
        for t in all {
            let key = template_key(&t.name, t.markdown);
            match lib.tera.add_raw_template(&key, &t.text) {
                Ok(()) => {
                    lib.templates.insert(
                        t.name.clone(),
                        Template {
                            markdown: t.markdown,
                            display: t.display,
                            hash: hash(t.text.as_bytes()),
                        },
                    );
                }
                Err(e) => diags.push(
                    Diagnostic::error(
                        Code::ShortcodeTemplateBroken,
                        &t.display,
                        format!("shortcode-sjabloon klopt niet: {}", error_chain(&e)),
                    )
                    .hint("zie https://keats.github.io/tera/docs/ voor de schrijfwijze"),
                ),
            }
        }
        lib
    }

    /// Names a call can use, sorted: the built-in ones and the templates.
    pub(crate) fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = BUILTIN.to_vec();
        names.extend(
            self.templates
                .keys()
                .map(String::as_str)
                .filter(|n| !BUILTIN.contains(n)),
        );
        names.sort_unstable();
        names
    }

    fn template_hash(&self, name: &str) -> Option<u64> {
        self.templates.get(name).map(|t| t.hash)
    }

    pub(crate) fn snippet(&self, rel: &str) -> Option<&SourceFile> {
        self.snippets.get(rel)
    }
}

fn template_key(name: &str, markdown: bool) -> String {
    format!("shortcodes/{name}.{}", if markdown { "md" } else { "html" })
}

/// A Tera error with its causes, on one line.
fn error_chain(e: &tera::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(c) = cur {
        parts.push(c.to_string());
        cur = c.source();
    }
    parts.join(": ")
}

/// FNV-1a: what `Uses` keeps of a text to see it changed.
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// One document's body to render.
#[derive(Clone, Copy)]
pub(crate) struct Doc<'a> {
    pub file: &'a SourceFile,
    pub this: Target,
    /// Line of the body's first line in the file.
    pub body_line: usize,
    /// Drop the first `# heading` (it became the title).
    pub strip_first_h1: bool,
}

impl<'a> Doc<'a> {
    /// The body of document `t` as the site has it now.
    pub(crate) fn of(site: &'a Site, t: Target) -> Doc<'a> {
        let (file, body_line, strip_first_h1) = match t {
            Target::Page(p) => {
                let pg = &site.pages[p];
                (&pg.file, pg.body_line, pg.title_from_body)
            }
            Target::Section(s) => {
                let sc = &site.sections[s];
                (&sc.file, sc.body_line, sc.title_from_body)
            }
        };
        Doc {
            file,
            this: t,
            body_line,
            strip_first_h1,
        }
    }
}

/// The Markdown stage for one body: shortcodes expanded, then rendered
/// with links resolved by `resolver`. Problems come back beside the result.
pub(crate) fn render_body(
    site: &Site,
    resolver: &Resolver,
    doc: Doc,
) -> (Rendered, Vec<Diagnostic>) {
    let text = doc.file.text.as_str();
    let body = match crate::frontmatter::split(&text, &doc.file.display) {
        Ok(s) => s.body,
        Err(_) => "",
    };
    let resolve = |dest: &str| resolver.resolve(&doc.file.rel, dest);
    let opts = |origins| RenderOptions {
        raw_html: site.config.markdown.raw_html,
        language: &site.config.language,
        dialect: &site.dialect,
        strip_first_h1: doc.strip_first_h1,
        body_line: doc.body_line,
        file: &doc.file.display,
        resolve: &resolve,
        this: doc.this,
        origins,
    };
    // Most bodies have no call: no second pass over them.
    if !body.contains("{{") && !body.contains("{%") {
        let (mut rendered, diags) = markdown::render(body, &opts(&[]));
        rendered.diags.clone_from(&diags);
        return (rendered, diags);
    }
    let ex = expand::expand(site, doc, body);
    let (mut rendered, diags) = markdown::render(&ex.text, &opts(&ex.origins));
    let (html, moved) = expand::fill_mapped(&rendered.html.as_str(), &ex.blocks);
    rendered.html = html.into();
    // Search-excluded ranges were counted in the html with placeholders.
    for range in &mut rendered.search_skip {
        *range = (moved_offset(range.0, &moved), moved_offset(range.1, &moved));
    }
    rendered.summary = expand::fill(&rendered.summary, &ex.blocks);
    rendered.uses = ex.uses;
    let mut all = ex.diags;
    all.extend(diags);
    rendered.clean = all.is_empty();
    rendered.diags.clone_from(&all);
    (rendered, all)
}

/// Where byte `old` of the html before [`expand::fill_mapped`] is after it
/// (`moved`: its `(old, new)` pairs, sorted).
fn moved_offset(old: usize, moved: &[(usize, usize)]) -> usize {
    let i = moved.partition_point(|&(o, _)| o <= old);
    match i.checked_sub(1).map(|i| moved[i]) {
        Some((o, n)) => n + (old - o),
        None => old,
    }
}

/// Whether everything `uses` records still reads the same in `site`: the
/// included files' texts, the queries' lists and the templates.
pub(crate) fn still_current(uses: &Uses, site: &Site) -> bool {
    uses.includes.iter().all(|(rel, h)| {
        // The plain text's hash, as `include()` recorded it.
        expand::text_of(site, rel).map(|f| hash(f.text.as_str().as_bytes())) == Some(*h)
    }) && uses
        .queries
        .iter()
        .all(|(q, h)| pages::run(q, site).map(|r| r.hash) == Some(*h))
        && uses
            .templates
            .iter()
            .all(|(name, h)| site.shortcodes.template_hash(name) == Some(*h))
}

/// Whether an edit of `rel` (relative to content/) reaches a body other
/// than its own: some document includes it.
pub(crate) fn is_included(site: &Site, rel: &str) -> bool {
    !includers(site, &[rel]).is_empty()
}

/// Every document with its rendered body.
fn bodies(site: &Site) -> impl Iterator<Item = (Target, &std::sync::Arc<Rendered>)> {
    let pages = site
        .pages
        .iter()
        .enumerate()
        .map(|(i, p)| (Target::Page(i), &p.rendered));
    let sections = site
        .sections
        .iter()
        .enumerate()
        .map(|(i, s)| (Target::Section(i), &s.rendered));
    pages.chain(sections)
}

/// The documents that include any of `rels` (relative to content/),
/// directly or through other files.
pub(crate) fn includers(site: &Site, rels: &[&str]) -> Vec<Target> {
    bodies(site)
        .filter(|(_, r)| {
            r.uses
                .includes
                .iter()
                .any(|(inc, _)| rels.contains(&inc.as_str()))
        })
        .map(|(t, _)| t)
        .collect()
}

/// Documents whose `pages()` lists would show something else in `site`
/// than when they were rendered.
pub(crate) fn stale_queries(site: &Site) -> Vec<Target> {
    bodies(site)
        .filter(|(_, r)| {
            r.uses
                .queries
                .iter()
                .any(|(q, h)| pages::run(q, site).map(|r| r.hash) != Some(*h))
        })
        .map(|(t, _)| t)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_in_includes_folders_are_not_pages() {
        assert!(is_include_only("_includes/disclaimer.md"));
        assert!(is_include_only("praktijken/_includes/x/y.md"));
        assert!(!is_include_only("praktijken/taal.md"));
        assert!(!is_include_only("_includes.md"));
    }

    #[test]
    fn search_excluded_ranges_follow_the_filled_blocks() {
        // Two placeholders filled with longer blocks; the excluded range
        // after them must still cover the same text.
        let blocks = vec!["<b>een blok</b>".to_string(), "<i>nog een</i>".to_string()];
        let html = format!(
            "<p>a {} b {} c</p><h2>Intern</h2><p>geheim</p>",
            expand::placeholder_for_test(0),
            expand::placeholder_for_test(1)
        );
        let start = html.find("<h2>").unwrap();
        let end = html.len();
        let (filled, moved) = expand::fill_mapped(&html, &blocks);
        let (s, e) = (moved_offset(start, &moved), moved_offset(end, &moved));
        assert_eq!(&filled[s..e], "<h2>Intern</h2><p>geheim</p>");
        assert_eq!(moved_offset(1, &moved), 1, "before any block nothing moves");
    }
}
