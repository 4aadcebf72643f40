//! Which part of the site a changed path belongs to. Pure functions on paths
//! (no file-system access), so every editor's way of saving can be tested:
//! write in place, write a temp file and rename it over, swap files, burst.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::config::CONFIG_FILE;

/// What a changed path means for the rebuild, from cheapest to dearest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeKind {
    /// A stylesheet in `static/` (site or theme): swapped without a reload.
    Style,
    /// Another file in `static/`, or a non-Markdown file in `content/`.
    Asset,
    /// A Markdown file in `content/`.
    Content,
    /// A folder in `content/` (created, removed or renamed).
    ContentFolder,
    /// A template (`templates/` of the site or the theme).
    Template,
    /// Interface strings (`i18n/` of the site or the theme).
    Translations,
    /// `kennisbank.yaml`: everything may change.
    Config,
}

/// Names editors and tools write next to the real file while saving; the
/// real file's own event follows, so these are never content.
pub(crate) fn is_temp_name(name: &str) -> bool {
    crate::content::is_ignored_name(name)
        || name.ends_with("___jb_tmp___") // JetBrains safe write
        || name.ends_with("___jb_old___")
        || name.ends_with(".kate-swp")
        || name.ends_with(".crswap") // Chromium-based editors
        || name.ends_with(".bak")
        || name.ends_with(".orig")
        || name.ends_with(".part")
        || is_sed_temp(name)
}

/// `sed -i` writes `sedXXXXXX` beside the file, six characters from
/// mkstemp's `[A-Za-z0-9]`. A word such as `sedatieve` is a folder or file
/// of the site, so all-lowercase names are not taken for one (a real temp
/// name is that only one time in 180, and costs a needless rebuild then).
fn is_sed_temp(name: &str) -> bool {
    name.len() == 9
        && name.starts_with("sed")
        && name[3..].bytes().all(|b| b.is_ascii_alphanumeric())
        && name[3..]
            .bytes()
            .any(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Classifies `rel`, a path relative to the site root. `theme` is the active
/// theme's folder name (other themes are ignored). `None`: not part of the
/// site (`public/`, `.git/`, editor temp files, README, ...).
pub(crate) fn classify(rel: &Path, theme: &str) -> Option<ChangeKind> {
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?),
            Component::CurDir => {}
            _ => return None,
        }
    }
    // Save-time temp names are file names; folders only skip what the
    // content loader skips (hidden folders and the like).
    let (last, folders) = parts.split_last()?;
    if is_temp_name(last) || folders.iter().any(|p| crate::content::is_ignored_name(p)) {
        return None;
    }
    match parts.as_slice() {
        [name] if *name == CONFIG_FILE => Some(ChangeKind::Config),
        ["content"] => Some(ChangeKind::ContentFolder),
        ["content", .., last] if last.ends_with(".md") => Some(ChangeKind::Content),
        ["content", .., last] if !last.contains('.') => Some(ChangeKind::ContentFolder),
        ["content", ..] => Some(ChangeKind::Asset),
        ["templates", ..] => Some(ChangeKind::Template),
        ["i18n", ..] => Some(ChangeKind::Translations),
        ["static", rest @ ..] => Some(static_kind(rest)),
        ["themes"] => Some(ChangeKind::Template),
        ["themes", name, rest @ ..] if *name == theme => match rest {
            [] => Some(ChangeKind::Template),
            ["templates", ..] => Some(ChangeKind::Template),
            ["i18n", ..] => Some(ChangeKind::Translations),
            ["static", rest @ ..] => Some(static_kind(rest)),
            _ => None,
        },
        _ => None,
    }
}

fn static_kind(rest: &[&str]) -> ChangeKind {
    match rest.last() {
        Some(name) if name.ends_with(".css") => ChangeKind::Style,
        _ => ChangeKind::Asset,
    }
}

/// The changes of one debounced burst of events: each path once, with what
/// it means. Which of them exist now is looked up when the batch is applied,
/// so the order of the events (create, rename, delete) does not matter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    pub paths: BTreeMap<PathBuf, ChangeKind>,
}

impl Batch {
    /// Adds an absolute event path; paths outside `root` or not part of the
    /// site are dropped. Returns whether the path counted.
    pub fn add(&mut self, root: &Path, path: &Path, theme: &str) -> bool {
        let Ok(rel) = path.strip_prefix(root) else {
            return false;
        };
        match classify(rel, theme) {
            Some(kind) => {
                self.paths.insert(rel.to_path_buf(), kind);
                true
            }
            None => false,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    pub(crate) fn of_kind(&self, kind: ChangeKind) -> impl Iterator<Item = &Path> {
        self.paths
            .iter()
            .filter(move |(_, k)| **k == kind)
            .map(|(p, _)| p.as_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChangeKind::*;

    fn c(p: &str) -> Option<ChangeKind> {
        classify(Path::new(p), "default")
    }

    #[test]
    fn site_parts_are_classified() {
        assert_eq!(c("kennisbank.yaml"), Some(Config));
        assert_eq!(c("content/pilots/a.md"), Some(Content));
        assert_eq!(c("content/_index.md"), Some(Content));
        assert_eq!(c("content/pilots"), Some(ContentFolder));
        assert_eq!(c("content"), Some(ContentFolder));
        assert_eq!(c("content/pilots/a/foto.jpg"), Some(Asset));
        assert_eq!(c("templates/page.html"), Some(Template));
        assert_eq!(c("themes/default/templates/base.html"), Some(Template));
        assert_eq!(c("themes/default/i18n/nl.yaml"), Some(Translations));
        assert_eq!(c("i18n/nl.yaml"), Some(Translations));
        assert_eq!(c("themes/default/static/css/site.css"), Some(Style));
        assert_eq!(c("static/css/extra.css"), Some(Style));
        assert_eq!(c("static/img/logo.svg"), Some(Asset));
        assert_eq!(c("themes/default/static/js/theme.js"), Some(Asset));
    }

    #[test]
    fn output_vcs_other_themes_and_docs_are_ignored() {
        for p in [
            "public/index.html",
            ".git/index",
            "README.md",
            "themes/other/templates/page.html",
            "themes/default/README.md",
            "kennisbank.yaml.bak",
            "target/debug/x",
        ] {
            assert_eq!(c(p), None, "{p}");
        }
    }

    #[test]
    fn editor_temp_files_are_ignored() {
        for p in [
            "content/pilots/.a.md.swp",
            "content/pilots/.a.md.swx",
            "content/pilots/a.md~",
            "content/pilots/4913",
            "content/pilots/#a.md#",
            "content/pilots/.#a.md",
            "content/pilots/a.md___jb_tmp___",
            "content/pilots/a.md___jb_old___",
            "content/pilots/.a.md.kate-swp",
            "content/pilots/.goutputstream-XYZ12",
            "content/pilots/a.md.tmp",
            "content/pilots/sedAb12Cd",
            "content/.obsidian/workspace.json",
            "templates/.page.html.swp",
            "kennisbank.yaml~",
        ] {
            assert_eq!(c(p), None, "{p}");
        }
    }

    #[test]
    fn paths_leaving_the_root_are_not_site_paths() {
        assert_eq!(c("../content/a.md"), None);
        assert_eq!(c("/etc/passwd"), None);
    }

    #[test]
    fn vim_save_burst_is_one_content_change() {
        // vim (backupcopy=no): rename a.md -> a.md~, write 4913, write a.md, delete a.md~.
        let root = Path::new("/site");
        let mut b = Batch::default();
        for p in [
            "content/a.md~",
            "content/4913",
            "content/a.md",
            "content/a.md",
            "content/a.md~",
        ] {
            b.add(root, &root.join(p), "default");
        }
        assert_eq!(b.paths.len(), 1);
        assert_eq!(b.paths.values().copied().max(), Some(Content));
    }

    #[test]
    fn jetbrains_and_vscode_temp_then_rename_is_one_change() {
        let root = Path::new("/site");
        let mut b = Batch::default();
        for p in [
            "content/p/a.md___jb_tmp___",
            "content/p/a.md___jb_old___",
            "content/p/a.md",
            "content/p/.a.md.tmp",
        ] {
            b.add(root, &root.join(p), "default");
        }
        assert_eq!(
            b.paths.keys().collect::<Vec<_>>(),
            vec![Path::new("content/p/a.md")]
        );
    }

    /// Regression: the `sed -i` rule (nine characters starting with `sed`)
    /// was applied to folders too, so edits under `sedatieve/` never rebuilt.
    #[test]
    fn folders_named_like_sed_temp_files_are_still_content() {
        assert_eq!(c("content/sedatieve/a.md"), Some(Content));
        assert_eq!(c("content/sedimenten/a.md"), Some(Content));
        assert_eq!(c("content/sedatieve"), Some(ContentFolder));
        // The file itself is still a temp file.
        assert_eq!(c("content/pilots/sedAb12Cd"), None);
        // Hidden folders stay out.
        assert_eq!(c("content/.obsidian/a.md"), None);
    }

    #[test]
    fn batch_reports_the_dearest_kind() {
        let root = Path::new("/site");
        let mut b = Batch::default();
        b.add(root, Path::new("/site/static/site.css"), "default");
        assert_eq!(b.paths.values().copied().max(), Some(Style));
        b.add(root, Path::new("/site/content/a.md"), "default");
        assert_eq!(b.paths.values().copied().max(), Some(Content));
        b.add(root, Path::new("/site/kennisbank.yaml"), "default");
        assert_eq!(b.paths.values().copied().max(), Some(Config));
        assert!(!b.add(root, Path::new("/elsewhere/a.md"), "default"));
    }
}
