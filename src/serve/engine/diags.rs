//! The dev server's diagnostics as data: kept per (document, stage), so a
//! stage that runs again for one document replaces that document's
//! messages of that stage and nothing else; what the terminal and the
//! overlay show is the union.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::error::Diagnostic;
use crate::model::{Site, Target};

/// The stages whose messages are kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Stage {
    /// Config, files, front matter, the tree and schemas: by the file
    /// each message names.
    Parse,
    /// A document's body: by the document rendered (a message may name a
    /// file it includes).
    Markdown,
    /// Anchors of the internal links a document's body has: by that
    /// document (checked again for those an edit concerns).
    Anchors,
    /// Relations and URL clashes, checked for the whole site at once.
    Links,
    /// Loading the theme.
    Theme,
}

/// Diagnostics by (document, stage); `None`: the site as a whole (a message
/// that names no file, or a stage that runs for every document at once).
#[derive(Debug, Default)]
pub(crate) struct Diags {
    by: BTreeMap<(Stage, Option<PathBuf>), Vec<Diagnostic>>,
}

impl Diags {
    /// What a full parse, markdown and link run of `site` gave: `parse`
    /// holds every message of loading and parsing, the bodies' own among
    /// them (each body keeps its own, see `Rendered::diags`); `links` the
    /// link stage's but the anchors, which are checked here per document.
    pub(crate) fn of(site: &Site, parse: Vec<Diagnostic>, links: Vec<Diagnostic>) -> Diags {
        let mut d = Diags::default();
        let mut bodies: Vec<&Diagnostic> = Vec::new();
        let docs = site
            .pages
            .iter()
            .map(|p| (&p.file.display, &p.rendered))
            .chain(site.sections.iter().map(|s| (&s.file.display, &s.rendered)));
        for (file, body) in docs {
            if !body.diags.is_empty() {
                d.set(Stage::Markdown, Some(file), body.diags.clone());
                bodies.extend(&body.diags);
            }
        }
        // The rest of the messages are the parse stage's: take each body
        // message out once.
        let mut rest = parse;
        for b in bodies {
            if let Some(i) = rest.iter().position(|x| x == b) {
                rest.remove(i);
            }
        }
        d.set_stage(Stage::Parse, rest);
        d.recheck_anchors(site, None);
        d.set_stage(Stage::Links, links);
        d
    }

    /// Checks again the anchors of the links in `docs` (`None`: in every
    /// document).
    pub(crate) fn recheck_anchors(&mut self, site: &Site, docs: Option<&BTreeSet<Target>>) {
        let all: BTreeSet<Target>;
        let docs = match docs {
            Some(d) => d,
            None => {
                self.by.retain(|(s, _), _| *s != Stage::Anchors);
                all = (0..site.pages.len())
                    .map(Target::Page)
                    .chain((0..site.sections.len()).map(Target::Section))
                    .collect();
                &all
            }
        };
        for &doc in docs {
            let mut found = Vec::new();
            crate::links::anchor_problems(site, doc, &mut found);
            let file = match doc {
                Target::Page(p) => &site.pages[p].file.display,
                Target::Section(s) => &site.sections[s].file.display,
            };
            self.set(Stage::Anchors, Some(file), found);
        }
    }

    /// Replaces what `stage` said about `doc`.
    pub(crate) fn set(&mut self, stage: Stage, doc: Option<&Path>, diags: Vec<Diagnostic>) {
        let key = (stage, doc.map(Path::to_path_buf));
        if diags.is_empty() {
            self.by.remove(&key);
        } else {
            self.by.insert(key, diags);
        }
    }

    /// `stage` ran again for the whole site: replaces all it said, filed
    /// by the file each message names.
    pub(crate) fn set_stage(&mut self, stage: Stage, diags: Vec<Diagnostic>) {
        self.by.retain(|(s, _), _| *s != stage);
        for d in diags {
            let key = (stage, d.file().map(Path::to_path_buf));
            self.by.entry(key).or_default().push(d);
        }
    }

    /// What `stage` says about the site now, in order.
    pub(crate) fn of_stage(&self, stage: Stage) -> impl Iterator<Item = &Diagnostic> {
        self.by
            .iter()
            .filter(move |((s, _), _)| *s == stage)
            .flat_map(|(_, v)| v)
    }

    /// Whether any stage names `file`.
    pub(crate) fn names(&self, stage: Stage, file: &Path) -> bool {
        self.of_stage(stage).any(|d| d.file() == Some(file))
    }

    /// The errors of every stage, by file and line.
    pub(crate) fn errors(&self) -> Vec<Diagnostic> {
        let mut errors: Vec<Diagnostic> = self
            .by
            .values()
            .flatten()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        errors.sort_by(|a, b| (&a.file(), a.line()).cmp(&(&b.file(), b.line())));
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    fn broken(file: &str, line: usize) -> Diagnostic {
        Diagnostic::error(Code::LinkBroken, file, "link naar /nergens/ bestaat niet")
            .at_line(Some(line))
    }

    #[test]
    fn a_document_s_stage_is_replaced_and_the_others_stay() {
        let mut d = Diags::default();
        let a = Path::new("content/pilots/a.md");
        let b = Path::new("content/nieuws/b.md");
        d.set(
            Stage::Markdown,
            Some(a),
            vec![broken("content/pilots/a.md", 7)],
        );
        d.set(
            Stage::Markdown,
            Some(b),
            vec![broken("content/nieuws/b.md", 3)],
        );
        d.set_stage(Stage::Links, vec![broken("content/pilots/a.md", 2)]);
        assert_eq!(d.errors().len(), 3);
        // a's body is fixed: its link problem (another stage) and b's stay.
        d.set(Stage::Markdown, Some(a), Vec::new());
        let errors = d.errors();
        let left: Vec<(Option<&Path>, Option<usize>)> =
            errors.iter().map(|e| (e.file(), e.line())).collect();
        assert_eq!(left, vec![(Some(b), Some(3)), (Some(a), Some(2))]);
        assert!(d.names(Stage::Links, a));
        assert!(!d.names(Stage::Links, b));
        // The whole link stage ran again and found nothing.
        d.set_stage(Stage::Links, Vec::new());
        assert_eq!(d.errors().len(), 1);
        assert_eq!(d.errors()[0].file(), Some(b));
    }
}
