//! Full rebuilds: load and parse everything again, reusing what is unchanged.

use super::*;

impl Engine {
    // -----------------------------------------------------------------------
    // Full rebuild

    pub(super) fn full_then_open(
        &mut self,
        batch: &Batch,
        open: &[String],
        everything: bool,
    ) -> Outcome {
        // Files the watcher named are read again whatever their stamp says
        // (two saves within one timestamp tick can leave it unchanged).
        let saved: HashSet<String> = content_rels(batch).collect();
        let mut out = self.full(everything, &saved);
        if self.errors.is_empty() {
            // The open pages and the documents just saved come first.
            let mut first = self.open_items(open);
            if let Some(st) = &self.st {
                for rel in &saved {
                    if let Some(t) = st.site.by_file.get(rel) {
                        first.push(match *t {
                            Target::Page(p) => Item::Page(p),
                            Target::Section(s) => Item::Section(s),
                        });
                    }
                }
            }
            if !first.is_empty() {
                if let Err(errs) = self.render_items(&first, &mut out, &|| false) {
                    self.fail(&mut out, errs);
                }
            }
        }
        out
    }

    /// Load, parse and link everything; queue every output. Publishes only
    /// removals of outputs that no longer exist (and only when good).
    pub(super) fn full(&mut self, everything: bool, saved: &HashSet<String>) -> Outcome {
        let mut out = Outcome::new(RebuildKind::Full);
        // The config changed (every stage reads it), or a theme error hid
        // what the last renders read.
        let everything = everything
            || self
                .st
                .as_ref()
                .is_some_and(|st| st.diags.of_stage(Stage::Theme).next().is_some());
        self.needs_full = true;
        // The old model lends its texts and rendered bodies to the new one.
        let prev = self.st.take();
        let loaded = self.load_all(&mut out.phases, prev.as_ref(), saved);
        match loaded {
            Ok((st, warnings)) => {
                out.warnings = warnings;
                self.theme_name = st.site.config.theme.clone();
                self.base_path = st.site.config.base_path();
                let mut new_paths: HashSet<&str> =
                    st.item_of_path.keys().map(String::as_str).collect();
                new_paths.extend(self.special_paths.iter().map(String::as_str));
                let gone: Vec<String> = self
                    .outputs
                    .keys()
                    .filter(|p| !new_paths.contains(p.as_str()))
                    .cloned()
                    .collect();
                for p in gone {
                    self.outputs.remove(&p);
                    out.updates.push((p, None));
                }
                if prev.as_ref().map(|o| &o.site.assets) != Some(&st.site.assets) {
                    out.assets = Some(st.site.assets.clone());
                }
                // Ids shift when a file comes or goes: outputs that are not
                // rendered again name their document by its new id (the
                // search index reads them).
                for (path, item) in &st.item_of_path {
                    let source = match *item {
                        Item::Page(p) => Target::Page(p),
                        Item::Section(s) => Target::Section(s),
                        _ => continue,
                    };
                    if let Some(o) = self.outputs.get_mut(path) {
                        o.source = Some(source);
                    }
                }
                // Outputs that are gone are nobody's readers any more.
                let gone: Vec<OutId> = self
                    .deps
                    .recorded()
                    .filter(|o| !st.out_items.contains_key(o))
                    .copied()
                    .collect();
                for o in gone {
                    self.deps.forget(o);
                }
                self.queue = match &prev {
                    Some(old) if !everything => {
                        // Still queued from before, by stable name.
                        let pending = self.queue.iter().map(|&i| out_of(old, i));
                        let mut q: BTreeSet<Item> = pending
                            .filter_map(|o| st.out_items.get(&o).copied())
                            .collect();
                        q.extend(self.stale(&old.prints, &st));
                        q
                    }
                    _ => all_items(&st.site),
                };
                self.st = Some(st);
                // Freeing a large model takes a while: not on the reload path.
                if let Some(old) = prev {
                    super::free_in_background(old);
                }
                self.needs_full = false;
                self.model_good = true;
                self.set_errors(&mut out, Vec::new());
            }
            Err(failure) => {
                self.st = prev;
                self.fail(&mut out, failure.diagnostics);
            }
        }
        out
    }

    /// Loads the site; files not in `saved` whose stamp is unchanged since
    /// `prev` read them are not read again, and its unchanged bodies are
    /// not rendered again.
    pub(super) fn load_all(
        &mut self,
        phases: &mut Vec<(&'static str, Duration)>,
        prev: Option<&State>,
        saved: &HashSet<String>,
    ) -> Result<(State, Vec<Diagnostic>), BuildFailure> {
        let mut t = Instant::now();
        let mut lap = |name: &'static str| {
            let now = Instant::now();
            phases.push((name, now - t));
            t = now;
        };
        self.fingerprint_all();
        let mut config = crate::site::load_config(&self.opts)?;
        if let Some(origin) = &self.origin {
            config.base_url = format!("{origin}{}", config.base_path());
        }
        self.theme_name = config.theme.clone();
        let theme_path = theme_dir(&self.root, &config.theme);
        let known = |rel: &str, stamp: Stamp| -> Option<crate::model::Text> {
            let prev = prev?;
            if saved.contains(rel) || prev.stamps.get(rel) != Some(&stamp) {
                return None;
            }
            match *prev.site.by_file.get(rel)? {
                Target::Page(p) => Some(prev.site.pages[p].file.text.clone()),
                Target::Section(s) => Some(prev.site.sections[s].file.text.clone()),
            }
        };
        let mut loaded = content::load_reusing(&self.root, &theme_path, &known);
        let (dialect, dialect_diags) = content::load_dialect(&self.root, &config, &theme_path);
        loaded.dialect = dialect;
        loaded.diagnostics.extend(dialect_diags);
        let stamps = loaded.stamps.clone();
        let mut parse_diags: Vec<Diagnostic> = loaded.diagnostics.clone();
        let md_files: HashSet<String> = loaded.files.iter().map(|f| f.rel.clone()).collect();
        lap("load");
        let mut site = parse::parse_reusing(
            config,
            loaded,
            ParseOptions {
                drafts: self.opts.drafts,
                held: Held::Deflated,
                ..ParseOptions::default()
            },
            &mut parse_diags,
            prev.map(|p| &p.site),
        );
        lap("parse");
        let (mut anchor_diags, mut link_diags) = (Vec::new(), Vec::new());
        links::link_apart(&mut site, &mut anchor_diags, &mut link_diags);
        lap("link");
        let mut all: Vec<Diagnostic> = parse_diags
            .iter()
            .chain(&anchor_diags)
            .chain(&link_diags)
            .cloned()
            .collect();
        if all.iter().any(Diagnostic::is_error) {
            all.sort_by(|a, b| (&a.file(), a.line()).cmp(&(&b.file(), b.line())));
            return Err(BuildFailure { diagnostics: all });
        }
        let theme = load_theme(
            &self.root,
            &site.config.theme,
            &site.config.language,
            &site.config.base_path(),
            &site.assets,
        )
        .map_err(|d| BuildFailure { diagnostics: d })?;
        self.template_keys.clear();
        lap("theme");
        let asset_stamps: HashMap<String, (u64, Option<std::time::SystemTime>)> = site
            .assets
            .iter()
            .map(|a| {
                let m = std::fs::metadata(&a.source).ok();
                let stamp = (
                    m.as_ref().map(|m| m.len()).unwrap_or(0),
                    m.and_then(|m| m.modified().ok()),
                );
                (a.dest.clone(), stamp)
            })
            .collect();
        let model = ModelNames::of(&site, &mut self.names);
        let (related, prints) = {
            let r = Renderer::new(&site, &theme);
            // Related lists come from taxonomy terms alone.
            let same_terms = prev.is_some_and(|p| same_related_inputs(&p.site, &site));
            let related: Vec<Vec<PageId>> = match prev {
                Some(p) if same_terms => p.related.clone(),
                _ => (0..site.pages.len())
                    .into_par_iter()
                    .map(|i| r.related(i))
                    .collect(),
            };
            lap("related");
            let prints = Prints::of(
                &Inputs {
                    site: &site,
                    theme: &theme,
                    model: &model,
                    renderer: &r,
                    fresh: None,
                    related: &related,
                    assets: assets_print(&asset_stamps),
                },
                &mut self.names,
                prev.map(|p| &p.prints),
            );
            lap("prints");
            (related, prints)
        };
        let drafts: HashSet<String> = md_files
            .iter()
            .filter(|f| !site.by_file.contains_key(*f))
            .cloned()
            .collect();
        let resolver = Resolver::new(&site, drafts);
        // Anchors are checked again per document (`Diags::of`).
        let diags = Diags::of(&site, parse_diags, link_diags);
        let item_of_path = item_paths(&site);
        let out_items = all_items(&site)
            .into_iter()
            .map(|i| (out_in(&model, i), i))
            .collect();
        lap("index");
        let asset_sources = site
            .assets
            .iter()
            .filter_map(|a| {
                a.source
                    .strip_prefix(&self.root)
                    .ok()
                    .map(Path::to_path_buf)
            })
            .collect();
        Ok((
            State {
                theme,
                site,
                resolver,
                md_files,
                diags,
                related,
                model,
                prints,
                out_items,
                asset_stamps,
                item_of_path,
                asset_sources,
                stamps,
            },
            all,
        ))
    }

    /// Safe-write editors (JetBrains) move the old file away before the new
    /// one is renamed into place. When a known document is missing, give it
    /// up to 100 ms to come back before treating it as deleted.
    pub(super) fn settle_missing(&self, batch: &Batch) {
        let Some(st) = &self.st else { return };
        let missing = |p: &Path| {
            let rel = p
                .strip_prefix("content")
                .ok()
                .and_then(Path::to_str)
                .unwrap_or("");
            st.md_files.contains(rel) && !self.root.join(p).exists()
        };
        let deadline = Instant::now() + Duration::from_millis(100);
        while batch.of_kind(ChangeKind::Content).any(missing) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Does the batch change which files make up the site?
    pub(super) fn structural(&self, batch: &Batch) -> bool {
        let Some(st) = &self.st else { return true };
        batch.paths.iter().any(|(p, kind)| {
            let abs = self.root.join(p);
            match kind {
                ChangeKind::ContentFolder => true,
                ChangeKind::Content => {
                    let rel = p
                        .strip_prefix("content")
                        .ok()
                        .and_then(Path::to_str)
                        .unwrap_or("");
                    // Added, removed, or now a folder: the file set changed.
                    abs.is_file() != st.md_files.contains(rel)
                }
                ChangeKind::Asset | ChangeKind::Style => {
                    let known = st.asset_sources.contains(p.as_path());
                    if abs.is_dir() {
                        return true;
                    }
                    if !abs.exists() && !known {
                        // A removed folder of assets?
                        return st.asset_sources.iter().any(|s| s.starts_with(p));
                    }
                    abs.is_file() != known
                }
                ChangeKind::Template | ChangeKind::Translations | ChangeKind::Config => false,
            }
        })
    }
}
