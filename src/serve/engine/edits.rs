//! Edits that patch the model in place: bodies, front matter, templates
//! and translations.

use super::*;

impl Engine {
    // -----------------------------------------------------------------------
    // Body edits

    /// Re-renders the bodies of `rels` (relative to content/). `None` when a
    /// body edit is not enough (front matter changed, a file is unreadable
    /// or unknown): the caller rebuilds fully.
    pub(super) fn body_edit(&mut self, rels: &[String], open: &[String]) -> Option<Outcome> {
        let started = Instant::now();
        let mut out = Outcome::new(RebuildKind::Body);
        let root = self.root.clone();
        let st = self.st.as_mut()?;
        let mut changed: Vec<Target> = Vec::new();
        // Pages whose backlinks may change: those linked before and after.
        let mut touched = Touched::default();
        // Each edited page's link targets before the edit.
        let mut linked: Vec<(PageId, BTreeSet<PageId>)> = Vec::new();
        // Read and check every file first: the model is changed only when all
        // of them are body edits, so a fallback to a full rebuild starts from
        // the model as it was.
        let mut files = Vec::new();
        for rel in rels {
            let target = *st.site.by_file.get(rel)?;
            let path = root.join("content").join(rel);
            let file = content::read_source(&path, rel.clone(), &root).ok()?;
            let (old_file, title_from_body) = match target {
                Target::Page(p) => (&st.site.pages[p].file, st.site.pages[p].title_from_body),
                Target::Section(s) => (
                    &st.site.sections[s].file,
                    st.site.sections[s].title_from_body,
                ),
            };
            if old_file.text == file.text {
                continue;
            }
            let (old_text, new_text) = (old_file.text.as_str(), file.text.as_str());
            let old = frontmatter::split(&old_text, &old_file.display).ok()?;
            let new = frontmatter::split(&new_text, &file.display).ok()?;
            if old.front != new.front || old.body_line != new.body_line {
                return None;
            }
            if title_from_body && markdown::first_h1(old.body) != markdown::first_h1(new.body) {
                return None;
            }
            files.push((rel, target, file));
        }
        // Bodies that include an edited one are rendered again too (their
        // recorded includes say which). One with messages, or edited itself
        // in this batch, goes through the re-parse instead.
        let edited: Vec<&str> = files.iter().map(|(rel, _, _)| rel.as_str()).collect();
        let includers = shortcodes::includers(&st.site, &edited);
        let clean = |t: &Target| match *t {
            Target::Page(p) => st.site.pages[p].rendered.clean,
            Target::Section(s) => st.site.sections[s].rendered.clean,
        };
        if includers
            .iter()
            .any(|t| !clean(t) || files.iter().any(|(_, f, _)| f == t))
        {
            return None;
        }
        // The model is patched from here on: not the last good one.
        self.model_good = false;
        for (_, target, mut file) in files {
            let (old_file, body_line, title_from_body, this) = match target {
                Target::Page(p) => {
                    let pg = &st.site.pages[p];
                    (&pg.file, pg.body_line, pg.title_from_body, target)
                }
                Target::Section(s) => {
                    let sc = &st.site.sections[s];
                    (&sc.file, sc.body_line, sc.title_from_body, target)
                }
            };
            let doc = |file| shortcodes::Doc {
                file,
                this,
                body_line,
                strip_first_h1: title_from_body,
            };
            // The body's messages replace its old ones, whatever they were.
            let rendered = render_noted(
                (&st.site, &st.resolver, &mut st.diags),
                doc(&file),
                &old_file.display,
                &mut out,
            );
            touched.links_of(rendered_of(&st.site, target));
            touched.links_of(&rendered);
            if let Target::Page(p) = target {
                linked.push((p, links::link_targets(&st.site, p)));
            }
            // Serve keeps every text deflated (see `Held`).
            file.text.deflate();
            match target {
                Target::Page(p) => {
                    let page = &mut st.site.pages[p];
                    page.file = file;
                    page.rendered = Arc::new(rendered);
                }
                Target::Section(s) => {
                    let section = &mut st.site.sections[s];
                    section.file = file;
                    section.rendered = Arc::new(rendered);
                }
            }
            changed.push(target);
        }
        for t in includers {
            let doc = shortcodes::Doc::of(&st.site, t);
            let rendered = render_noted(
                (&st.site, &st.resolver, &mut st.diags),
                doc,
                &doc.file.display,
                &mut out,
            );
            touched.links_of(rendered_of(&st.site, t));
            touched.links_of(&rendered);
            if let Target::Page(p) = t {
                linked.push((p, links::link_targets(&st.site, p)));
            }
            match t {
                Target::Page(p) => st.site.pages[p].rendered = Arc::new(rendered),
                Target::Section(s) => st.site.sections[s].rendered = Arc::new(rendered),
            }
            changed.push(t);
        }
        if changed.is_empty() {
            out.kind = RebuildKind::Nothing;
            return Some(out);
        }
        let t = Instant::now();
        out.phases.push(("markdown", t - started));
        // Only bodies changed: relations and URLs are as they were.
        relink_bodies(st, &changed, &linked);
        out.phases.push(("link", t.elapsed()));
        let now: Vec<Item> = changed
            .iter()
            .map(|t| match *t {
                Target::Page(p) => Item::Page(p),
                Target::Section(s) => Item::Section(s),
            })
            .collect();
        touched.docs = changed;
        Some(self.finish_edit(out, &touched, now, open))
    }

    /// The end of a body or front-matter edit, once the model is patched:
    /// fingerprints again what the edit `touched` and queues the outputs
    /// that read an input that changed, `now` among them; unless the site has
    /// errors, renders `now` and the open pages at once (the rest when
    /// stepped).
    pub(super) fn finish_edit(
        &mut self,
        mut out: Outcome,
        touched: &Touched,
        now: Vec<Item>,
        open: &[String],
    ) -> Outcome {
        let Some(st) = self.st.as_mut() else {
            return out;
        };
        let errors = st.diags.errors();
        let t = Instant::now();
        let later = self.restale(touched);
        out.phases.push(("deps", t.elapsed()));
        self.queue.extend(now.iter().copied());
        self.queue.extend(later);
        if !errors.is_empty() {
            self.fail(&mut out, errors);
            return out;
        }
        self.set_errors(&mut out, Vec::new());
        self.model_good = true;
        // The edited documents and the open pages now; the rest when stepped.
        let mut first = now;
        first.extend(self.open_items(open));
        let t = Instant::now();
        if let Err(errs) = self.render_items(&first, &mut out, &|| false) {
            self.fail(&mut out, errs);
        }
        out.phases.push(("render", t.elapsed()));
        out
    }

    // -----------------------------------------------------------------------
    // Front-matter edits

    /// Front-matter edits (title, description, date, weight, fields, ...)
    /// of pages that keep the site's shape: same URL, section, aliases,
    /// taxonomy terms and relations. Patches each page in place, moves it
    /// within the lists it is in, renders it at once and queues what shows
    /// it. `None`: a re-parse is needed (the caller does one); the model may
    /// then be partly patched, which the re-parse replaces.
    pub(super) fn meta_edit(&mut self, rels: &[String], open: &[String]) -> Option<Outcome> {
        let started = Instant::now();
        let mut out = Outcome::new(RebuildKind::FrontMatter);
        let root = self.root.clone();
        let drafts = ParseOptions {
            drafts: self.opts.drafts,
            ..ParseOptions::default()
        };
        let st = self.st.as_mut()?;
        // Read and check every file before changing anything.
        let mut edits = Vec::new();
        for rel in rels {
            let Target::Page(p) = *st.site.by_file.get(rel)? else {
                return None;
            };
            // Another body includes it: the re-parse renders that again.
            if shortcodes::is_included(&st.site, rel) {
                return None;
            }
            let path = root.join("content").join(rel);
            let stamp = Stamp::of(&path);
            let file = content::read_source(&path, rel.clone(), &root).ok()?;
            if st.site.pages[p].file.text == file.text {
                continue;
            }
            let (page, diags) = parse::reparse_page(&st.site, file, drafts).ok()?;
            let old = &st.site.pages[p];
            let same_relations = st.site.config.relations.keys().all(|name| {
                old.meta.raw.map.get(name.as_str()) == page.meta.raw.map.get(name.as_str())
            });
            let same_shape = page.path == old.path
                && page.section == old.section
                && page.bundle_dir == old.bundle_dir
                && page.meta.aliases == old.meta.aliases
                && page.taxonomies == old.taxonomies
                && same_relations;
            if !same_shape {
                return None;
            }
            edits.push((rel, p, page, diags, stamp));
        }
        if edits.is_empty() {
            out.kind = RebuildKind::Nothing;
            return Some(out);
        }
        // The model is patched from here on: not the last good one.
        self.model_good = false;
        let mut relink = false;
        let mut pages = Vec::new();
        let mut touched = Touched::default();
        for (rel, p, mut page, diags, stamp) in edits {
            let old = &st.site.pages[p];
            let section = old.section;
            let old_body = parse::body_of(&old.file);
            let same_body = old_body == parse::body_of(&page.file)
                && old.body_line == page.body_line
                && old.title_from_body == page.title_from_body
                && old.rendered.clean;
            st.diags.set(Stage::Parse, Some(&page.file.display), diags);
            if same_body {
                page.rendered = Arc::clone(&old.rendered);
            } else {
                let rendered = render_noted(
                    (&st.site, &st.resolver, &mut st.diags),
                    shortcodes::Doc {
                        file: &page.file,
                        this: Target::Page(p),
                        body_line: page.body_line,
                        strip_first_h1: page.title_from_body,
                    },
                    &page.file.display,
                    &mut out,
                );
                touched.links_of(&old.rendered);
                touched.links_of(&rendered);
                page.rendered = Arc::new(rendered);
                relink = true;
            }
            // Resolved relations stay: their front matter is unchanged.
            page.relations = std::mem::take(&mut st.site.pages[p].relations);
            let counted = |site: &Site| -> Vec<Vec<PageId>> {
                site.taxonomies
                    .iter()
                    .flat_map(|t| &t.terms)
                    .filter(|t| t.pages.contains(&p))
                    .map(|t| {
                        let mut v: Vec<PageId> =
                            t.pages.iter().take(RELATED_TERM_CAP).copied().collect();
                        v.sort_unstable();
                        v
                    })
                    .collect()
            };
            let counted_before = counted(&st.site);
            page.file.text.deflate();
            st.site.pages[p] = page;
            st.site.dates_changed();
            if let Some(s) = stamp {
                st.stamps.insert(rel.clone(), s);
            }
            let sort_by = st.site.sections[section].section.sort_by;
            parse::resort_page(
                &mut st.site.sections[section].pages,
                &st.site.pages,
                p,
                sort_by,
            );
            touched.orders.push(section);
            let site = &mut st.site;
            for (t, tax) in site.taxonomies.iter_mut().enumerate() {
                for (x, term) in tax.terms.iter_mut().enumerate() {
                    if term.pages.contains(&p) {
                        parse::resort_page(&mut term.pages, &site.pages, p, SortBy::Weight);
                        touched.terms.push((t, x));
                    }
                }
            }
            // Related lists take each term's first pages: if those changed,
            // other pages' lists may too.
            if counted(&st.site) != counted_before {
                self.needs_full = true;
                return None;
            }
            pages.push(p);
        }
        // Documents whose `pages()` lists now show something else (their
        // recorded queries, run again): their bodies are rendered again and
        // they count as edited. A body that had messages (which cannot be
        // told apart from its file's others here) goes through the
        // re-parse instead, which reuses every other body; checked before
        // any body changes, so the re-parse sees them as they are served.
        let requeried = shortcodes::stale_queries(&st.site);
        let clean = |t: &Target| match *t {
            Target::Page(q) => st.site.pages[q].rendered.clean,
            Target::Section(q) => st.site.sections[q].rendered.clean,
        };
        if !requeried.iter().all(clean) {
            return None;
        }
        let mut sections_now = Vec::new();
        for t in requeried {
            let doc = shortcodes::Doc::of(&st.site, t);
            let rendered = render_noted(
                (&st.site, &st.resolver, &mut st.diags),
                doc,
                &doc.file.display,
                &mut out,
            );
            relink = true;
            touched.links_of(rendered_of(&st.site, t));
            touched.links_of(&rendered);
            match t {
                Target::Page(q) => {
                    st.site.pages[q].rendered = Arc::new(rendered);
                    if !pages.contains(&q) {
                        pages.push(q);
                    }
                }
                Target::Section(q) => {
                    st.site.sections[q].rendered = Arc::new(rendered);
                    sections_now.push(Item::Section(q));
                }
            }
        }
        out.phases.push(("parse", started.elapsed()));
        // URLs and relations are as they were; but a relation problem
        // names a front-matter line, which may have moved.
        let named = pages
            .iter()
            .any(|&p| st.diags.names(Stage::Links, &st.site.pages[p].file.display));
        if named {
            let t = Instant::now();
            let (mut anchors, mut problems) = (Vec::new(), Vec::new());
            links::link_apart(&mut st.site, &mut anchors, &mut problems);
            st.diags.recheck_anchors(&st.site, None);
            st.diags.set_stage(Stage::Links, problems);
            touched.relinked = true;
            out.phases.push(("link", t.elapsed()));
        } else if relink {
            let t = Instant::now();
            let mut anchors = Vec::new();
            links::relink_bodies(&mut st.site, &mut anchors);
            st.diags.recheck_anchors(&st.site, None);
            out.phases.push(("link", t.elapsed()));
        }
        let mut now: Vec<Item> = pages.iter().map(|&p| Item::Page(p)).collect();
        now.extend(sections_now.iter().copied());
        touched.docs = pages.iter().map(|&p| Target::Page(p)).collect();
        touched
            .docs
            .extend(sections_now.iter().filter_map(|i| match *i {
                Item::Section(s) => Some(Target::Section(s)),
                _ => None,
            }));
        Some(self.finish_edit(out, &touched, now, open))
    }

    /// Static files changed: every output that links one through
    /// `asset()` carries its fingerprint, so the theme is loaded again (it
    /// hashes the files) and every output queued, silently.
    pub(super) fn refingerprint(&mut self, out: &mut Outcome) {
        let Some(st) = self.st.as_mut() else {
            return;
        };
        let site = &st.site;
        match load_theme(
            &self.root,
            &site.config.theme,
            &site.config.language,
            &site.config.base_path(),
            &site.assets,
        ) {
            Ok(theme) => {
                st.theme = theme;
                self.model_good = false;
            }
            Err(d) => {
                st.diags.set(Stage::Theme, None, d.clone());
                self.fail(out, d);
                return;
            }
        }
        st.diags.set(Stage::Theme, None, Vec::new());
        self.template_keys.clear();
        // The outputs whose templates call `asset()`, and any not yet
        // rendered.
        let asset = Key::Global(self.names.of("asset()"));
        let mut items: BTreeSet<Item> = self
            .deps
            .readers(&[asset])
            .iter()
            .filter_map(|o| st.out_items.get(o).copied())
            .collect();
        items.extend(unrecorded(&self.deps, st));
        for item in items {
            if self.queue.insert(item) {
                self.silent.insert(item);
            }
        }
    }

    // -----------------------------------------------------------------------
    // Template and translation edits

    pub(super) fn template_edit(&mut self, open: &[String]) -> Outcome {
        let mut out = Outcome::new(RebuildKind::Template);
        let Some(st) = self.st.as_mut() else {
            return out;
        };
        let site = &st.site;
        let theme = match load_theme(
            &self.root,
            &site.config.theme,
            &site.config.language,
            &site.config.base_path(),
            &site.assets,
        ) {
            Ok(t) => t,
            Err(d) => {
                st.diags.set(Stage::Theme, None, d.clone());
                self.fail(&mut out, d);
                return out;
            }
        };
        st.diags.set(Stage::Theme, None, Vec::new());
        st.theme = theme;
        self.model_good = false;
        self.template_keys.clear();
        // The outputs that rendered a changed template, found by the
        // templates' fingerprints (an included one counts, see `deps`).
        let later = self.restale(&Touched {
            theme: true,
            ..Touched::default()
        });
        self.queue.extend(later);
        let Some(st) = self.st.as_ref() else {
            return out;
        };
        // A template error shown before may be fixed now.
        let still = st.diags.errors();
        self.set_errors(&mut out, still);
        if self.errors.is_empty() {
            self.model_good = true;
            let first = self.open_items(open);
            if let Err(errs) = self.render_items(&first, &mut out, &|| false) {
                self.fail(&mut out, errs);
            }
        }
        out
    }
}

/// The link stage after edits of the bodies of `changed` only (`linked`:
/// each edited page's link targets before): moves the edited pages'
/// incoming edges and checks again the anchors of the links in the edited
/// documents and in those that link to one of them. Another document's
/// links and their targets' headings are as they were. An edited section
/// (which nothing indexes links to) checks the whole site.
fn relink_bodies(st: &mut State, changed: &[Target], linked: &[(PageId, BTreeSet<PageId>)]) {
    if changed.iter().any(|t| matches!(t, Target::Section(_))) {
        let mut anchors = Vec::new();
        links::relink_bodies(&mut st.site, &mut anchors);
        st.diags.recheck_anchors(&st.site, None);
        return;
    }
    for (p, old) in linked {
        links::relink_body(&mut st.site, *p, old);
    }
    let site = &st.site;
    let mut docs: BTreeSet<Target> = changed.iter().copied().collect();
    for t in changed {
        if let Target::Page(p) = *t {
            let from = site.backrefs.links.get(&p).into_iter().flatten();
            docs.extend(from.map(|&q| Target::Page(q)));
        }
    }
    // Sections' links are in no index: a few bodies to look through.
    for (s, sec) in site.sections.iter().enumerate() {
        if sec
            .rendered
            .links
            .iter()
            .any(|l| changed.contains(&l.target))
        {
            docs.insert(Target::Section(s));
        }
    }
    st.diags.recheck_anchors(site, Some(&docs));
    #[cfg(debug_assertions)]
    {
        // What the whole-site pass gives must be what was patched in.
        let mut whole = st.site.clone();
        let mut anchors = Vec::new();
        links::relink_bodies(&mut whole, &mut anchors);
        assert_eq!(whole.backrefs.links, st.site.backrefs.links, "backlinks");
        let mut mine: Vec<Diagnostic> = st.diags.of_stage(Stage::Anchors).cloned().collect();
        let key = |d: &Diagnostic| (d.file().map(Path::to_path_buf), d.line(), d.message.clone());
        mine.sort_by_key(key);
        anchors.sort_by_key(key);
        assert_eq!(mine, anchors, "anchors");
    }
}

/// Renders a document's body again: its warnings go to the outcome, and all
/// its messages replace the Markdown-stage ones kept under `key` (the file
/// the messages were shown for, the old one when a file was renamed).
fn render_noted(
    (site, resolver, diags): (&Site, &Resolver, &mut Diags),
    doc: shortcodes::Doc,
    key: &Path,
    out: &mut Outcome,
) -> crate::model::Rendered {
    let (mut rendered, messages) = shortcodes::render_body(site, resolver, doc);
    // Serve keeps every body between renders (see `Held`).
    rendered.html.deflate();
    out.warnings
        .extend(messages.iter().filter(|d| !d.is_error()).cloned());
    diags.set(Stage::Markdown, Some(key), messages);
    rendered
}
