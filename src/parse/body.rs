//! Markdown bodies, rendered in parallel once the tree and the address
//! table exist; serve reuses a body whose text and links are unchanged.

use std::sync::Arc;

use rayon::prelude::*;

use super::*;
use crate::error::Diagnostic;
use crate::links::Resolver;
use crate::shortcodes;

/// The Markdown stage: renders the bodies of a site parsed with
/// `tree_only`, links resolved against its address table; bodies of
/// `prev` are reused where [`reusable`] says so.
pub(crate) fn markdown(
    site: &mut Site,
    diags: &mut Vec<Diagnostic>,
    prev: Option<&Site>,
    held: Held,
) {
    let resolver = Resolver::new(site, site.drafts.iter().cloned().collect());
    render_markdown(site, &resolver, diags, prev, held);
}

/// Renders every body in parallel, links rewritten by `resolver`; bodies
/// of `prev` are reused where [`reusable`] says so.
pub(super) fn render_markdown(
    site: &mut Site,
    resolver: &Resolver,
    diags: &mut Vec<Diagnostic>,
    prev: Option<&Site>,
    held: Held,
) {
    let raw_html = site.config.markdown.raw_html;
    let prev = prev.filter(|p| p.config.markdown.raw_html == raw_html && p.dialect == site.dialect);
    let tree: &Site = site;
    let render = |file: &SourceFile, this: Target, body_line: usize, strip_first_h1: bool| {
        if let Some(r) =
            prev.and_then(|p| reusable(p, tree, resolver, file, this, body_line, strip_first_h1))
        {
            return (Arc::clone(r), Vec::new());
        }
        let doc = shortcodes::Doc {
            file,
            this,
            body_line,
            strip_first_h1,
        };
        let (mut rendered, diags) = shortcodes::render_body(tree, resolver, doc);
        if held == Held::Deflated {
            rendered.html.deflate();
        }
        (Arc::new(rendered), diags)
    };
    let page_results: Vec<(Arc<Rendered>, Vec<Diagnostic>)> = tree
        .pages
        .par_iter()
        .enumerate()
        .map(|(i, p)| render(&p.file, Target::Page(i), p.body_line, p.title_from_body))
        .collect();
    let section_results: Vec<(Arc<Rendered>, Vec<Diagnostic>)> = tree
        .sections
        .par_iter()
        .enumerate()
        .map(|(i, s)| render(&s.file, Target::Section(i), s.body_line, s.title_from_body))
        .collect();
    for (page, (rendered, mut d)) in site.pages.iter_mut().zip(page_results) {
        page.rendered = rendered;
        diags.append(&mut d);
    }
    for (section, (rendered, mut d)) in site.sections.iter_mut().zip(section_results) {
        section.rendered = rendered;
        diags.append(&mut d);
    }
}

/// The earlier render of `file`'s body, if rendering it again would give
/// the same: same text, line, id and title handling, no diagnostics then,
/// every link destination resolving as it did, and what its shortcodes
/// read (in `site`, the new tree) unchanged.
pub(super) fn reusable<'a>(
    prev: &'a Site,
    site: &Site,
    resolver: &Resolver,
    file: &SourceFile,
    this: Target,
    body_line: usize,
    strip_first_h1: bool,
) -> Option<&'a Arc<Rendered>> {
    let (old_file, old_line, old_strip, rendered) = match *prev.by_file.get(&file.rel)? {
        Target::Page(p) => {
            let p = &prev.pages[p];
            (&p.file, p.body_line, p.title_from_body, &p.rendered)
        }
        Target::Section(s) => {
            let s = &prev.sections[s];
            (&s.file, s.body_line, s.title_from_body, &s.rendered)
        }
    };
    let same = rendered.clean
        && prev.by_file.get(&file.rel) == Some(&this)
        && old_line == body_line
        && old_strip == strip_first_h1
        && old_file.display == file.display
        && (old_file.text.ptr_eq(&file.text) || body_of(old_file) == body_of(file))
        && rendered
            .lookups
            .iter()
            .all(|(dest, was)| resolver.resolve(&file.rel, dest) == *was)
        && shortcodes::still_current(&rendered.uses, site);
    same.then_some(rendered)
}
