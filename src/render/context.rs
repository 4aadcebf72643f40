//! The context builders: page summaries, section summaries and the
//! locals of page and section renders.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::*;

impl<'a> Renderer<'a> {
    /// The terms of `page` as (taxonomy, term) indexes, in taxonomy order
    /// and then front-matter order.
    pub(super) fn term_ids(&self, page: &Page) -> Vec<(usize, usize)> {
        let index = self.term_index.get_or_init(|| {
            self.site
                .taxonomies
                .iter()
                .map(|tax| {
                    tax.terms
                        .iter()
                        .enumerate()
                        .map(|(i, t)| (t.slug.clone(), i))
                        .collect()
                })
                .collect()
        });
        let mut out = Vec::new();
        for (t, tax) in self.site.taxonomies.iter().enumerate() {
            for name in page.taxonomies.get(&tax.name).into_iter().flatten() {
                if let Some(&i) = index[t].get(&crate::markdown::slugify(name)) {
                    out.push((t, i));
                }
            }
        }
        out
    }

    pub(super) fn terms_of(&self, page: &Page) -> BTreeMap<&str, Vec<TermRef<'_>>> {
        let mut out: BTreeMap<&str, Vec<TermRef<'_>>> = self
            .site
            .taxonomies
            .iter()
            .filter(|tax| page.taxonomies.contains_key(&tax.name))
            .map(|tax| (tax.name.as_str(), Vec::new()))
            .collect();
        for (t, i) in self.term_ids(page) {
            let tax = &self.site.taxonomies[t];
            let term = &tax.terms[i];
            if let Some(refs) = out.get_mut(tax.name.as_str()) {
                refs.push(TermRef {
                    name: &term.name,
                    slug: &term.slug,
                    url: self.url(&term.path),
                });
            }
        }
        out
    }

    /// The values of the fields the page's schema marks `badge: true`, one
    /// per value: `{field, label, name, slug, url}`, `url` being the term's
    /// page when the field is a taxonomy.
    pub(super) fn badges_of(&self, p: &Page) -> Vec<Value> {
        let schema = &self.site.sections[p.section].schema;
        if !schema.values().any(|f| f.badge) {
            return Vec::new();
        }
        let terms = self.terms_of(p);
        let mut out = Vec::new();
        for (field, spec) in schema.iter().filter(|(_, f)| f.badge) {
            let label = spec.label.as_deref().unwrap_or(field);
            if let Some(refs) = terms.get(field.as_str()) {
                for r in refs {
                    out.push(json!({"field": field, "label": label, "name": r.name, "slug": r.slug, "url": r.url}));
                }
            } else if let Some(v) = p.fields.get(field) {
                let word = |k: &'static str| {
                    self.theme
                        .translations
                        .get(k)
                        .and_then(Value::as_str)
                        .unwrap_or(k)
                };
                for name in crate::yaml::value_texts(v, word("ja"), word("nee")) {
                    let slug = crate::markdown::slugify(&name);
                    out.push(json!({"field": field, "label": label, "name": name, "slug": slug, "url": null}));
                }
            }
        }
        out
    }

    /// The summary of one page, as list templates see it (made anew).
    pub(crate) fn page_summary(&self, id: PageId) -> Value {
        let p = &self.site.pages[id];
        json!({
            "title": p.meta.title,
            "description": p.meta.description,
            "url": self.url(&p.path),
            "permalink": self.permalink(&p.path),
            "path": p.path,
            "slug": p.slug,
            "date": p.meta.date.map(|d| d.to_string()),
            "updated": p.meta.updated.map(|d| d.to_string()),
            "weight": p.meta.weight,
            "soort": p.soort,
            "section_title": self.site.sections[p.section].meta.title,
            "fields": p.fields,
            "taxonomies": self.terms_of(p),
            "badges": self.badges_of(p),
            "word_count": p.rendered.word_count,
            "draft": p.meta.draft,
        })
    }

    pub(super) fn section_summary(&self, id: SectionId) -> Value {
        let s = &self.site.sections[id];
        json!({
            "title": s.meta.title,
            "description": s.meta.description,
            "url": self.url(&s.path),
            "permalink": self.permalink(&s.path),
            "path": s.path,
            "soort": s.soort,
            "page_count": s.pages.len(),
            "depth": self.site.section_chain(id).len() - 1,
            "extra": s.meta.extra,
        })
    }

    pub(super) fn ancestors(&self, section: SectionId) -> Vec<Value> {
        self.site
            .section_chain(section)
            .into_iter()
            .map(|s| json!({"title": self.site.sections[s].meta.title, "url": self.url(&self.site.sections[s].path)}))
            .collect()
    }

    pub(super) fn relation_title(&self, name: &str, inverse: bool) -> String {
        let rel = self.site.config.relations.get(name);
        let t = if inverse {
            rel.and_then(|r| r.inverse_title.clone())
        } else {
            rel.and_then(|r| r.title.clone())
        };
        t.unwrap_or_else(|| name.to_string())
    }

    /// Pages sharing the most taxonomy terms. Each term contributes at most
    /// its first 100 pages, so very common terms cannot make this quadratic;
    /// only the top five are ordered.
    pub(crate) fn related(&self, id: PageId) -> Vec<PageId> {
        self.with_workspace(|ws| self.related_in(ws, id))
    }

    pub(super) fn related_in(&self, ws: &mut Workspace, id: PageId) -> Vec<PageId> {
        let site = self.site;
        if ws.scores.len() < site.pages.len() {
            ws.scores.resize(site.pages.len(), 0);
        }
        for (t, i) in self.term_ids(&site.pages[id]) {
            for &other in site.taxonomies[t].terms[i]
                .pages
                .iter()
                .take(RELATED_TERM_CAP)
            {
                if other != id {
                    if ws.scores[other] == 0 {
                        ws.touched.push(other);
                    }
                    ws.scores[other] += 1;
                }
            }
        }
        let scores = &mut ws.scores;
        let mut ranked: Vec<(PageId, u32)> = ws
            .touched
            .drain(..)
            .map(|p| (p, std::mem::take(&mut scores[p])))
            .collect();
        let order = |a: &(PageId, u32), b: &(PageId, u32)| b.1.cmp(&a.1).then(a.0.cmp(&b.0));
        if ranked.len() > 5 {
            ranked.select_nth_unstable_by(4, order);
            ranked.truncate(5);
        }
        ranked.sort_by(order);
        // Not collected in place: that would keep `ranked`'s capacity, one
        // entry per page sharing a term, in every list serve holds.
        let mut top = Vec::with_capacity(ranked.len());
        top.extend(ranked.iter().map(|&(p, _)| p));
        top
    }

    /// What a page template sees. Every summary goes in through a loan and
    /// every section summary is noted with `ws.read`, which is what
    /// `kennisbank serve` re-renders the page by (`serve::deps`): showing
    /// more of another page needs its read noted here too.
    pub(super) fn page_locals(&self, ws: &mut Workspace, id: PageId) -> Locals {
        use Seg::{Index, Key};
        let site = self.site;
        let p = &site.pages[id];
        let related = self.related_in(ws, id);
        ws.read(|r| r.sections.extend(site.section_chain(p.section)));
        let mut lend = self.lending(ws);
        let section = &site.sections[p.section];
        let pos = section.pages.iter().position(|&x| x == id);
        let neighbour = |offset: isize| {
            pos.and_then(|i| i.checked_add_signed(offset))
                .and_then(|i| section.pages.get(i))
                .copied()
        };
        let relations: Vec<Value> = p
            .relations
            .iter()
            .filter(|(_, ids)| !ids.is_empty())
            .enumerate()
            .map(|(k, (name, ids))| {
                let at = vec![Key("page"), Key("relations"), Index(k), Key("pages")];
                // Not json!: it would deep-copy the lent list.
                let mut m = Map::new();
                m.insert("name".into(), Value::String(name.clone()));
                m.insert(
                    "title".into(),
                    Value::String(self.relation_title(name, false)),
                );
                m.insert("pages".into(), lend.list(at, ids));
                Value::Object(m)
            })
            .collect();
        // Incoming relations, one group per relation and source section
        // (a pilot is cited by conclusions and by practices: two groups).
        let mut backrelations: Vec<Value> = Vec::new();
        for (name, ids) in site.backrefs.relations.get(&id).into_iter().flatten() {
            let mut by_section: Vec<(SectionId, Vec<PageId>)> = Vec::new();
            for &src in ids {
                let sec = site.pages[src].section;
                match by_section.iter_mut().find(|(s, _)| *s == sec) {
                    Some((_, v)) => v.push(src),
                    None => by_section.push((sec, vec![src])),
                }
            }
            for (sec, mut srcs) in by_section {
                lend.ws.read(|r| r.sections.push(sec));
                srcs.sort_by(|&a, &b| {
                    crate::parse::compare_pages(
                        &site.pages[a],
                        &site.pages[b],
                        site.sections[sec].section.sort_by,
                    )
                });
                let at = vec![
                    Key("page"),
                    Key("backrelations"),
                    Index(backrelations.len()),
                    Key("pages"),
                ];
                let mut m = Map::new();
                m.insert("name".into(), Value::String(name.clone()));
                m.insert(
                    "title".into(),
                    Value::String(site.sections[sec].meta.title.clone()),
                );
                m.insert(
                    "section_url".into(),
                    Value::String(self.url(&site.sections[sec].path)),
                );
                m.insert(
                    "inverse_title".into(),
                    Value::String(self.relation_title(name, true)),
                );
                m.insert("pages".into(), lend.list(at, &srcs));
                backrelations.push(Value::Object(m));
            }
        }
        let backlinks = match site.backrefs.links.get(&id) {
            Some(ids) => lend.list(vec![Key("page"), Key("backlinks")], ids),
            None => Value::Array(Vec::new()),
        };
        let related = lend.list(vec![Key("page"), Key("related")], &related);
        let prev = match neighbour(-1) {
            Some(n) => lend.one(vec![Key("page"), Key("prev")], n),
            None => Value::Null,
        };
        let next = match neighbour(1) {
            Some(n) => lend.one(vec![Key("page"), Key("next")], n),
            None => Value::Null,
        };
        // The page's own summary, lent too, with the page-only keys added
        // (and stripped again before it goes back).
        let mut page = match lend.ws.lend(lend.renderer, id) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        debug_assert!(PAGE_EXTRA_KEYS.iter().all(|k| !page.contains_key(*k)));
        let terms: Vec<Value> = site
            .taxonomies
            .iter()
            .filter_map(|tax| {
                let refs = page
                    .get("taxonomies")
                    .and_then(|t| t.get(&tax.name))
                    .cloned()?;
                (refs.as_array().is_some_and(|a| !a.is_empty())).then(|| {
                    let mut m = Map::new();
                    m.insert("taxonomy".into(), Value::String(tax.name.clone()));
                    m.insert("title".into(), Value::String(tax.title.clone()));
                    m.insert("terms".into(), refs);
                    Value::Object(m)
                })
            })
            .collect();
        let body = match self.bodies {
            Some(bodies) => bodies.take(id),
            None => p.rendered.html.as_str().into_owned(),
        };
        page.insert("content".into(), Value::String(body));
        page.insert("summary".into(), Value::String(p.rendered.summary.clone()));
        page.insert(
            "toc".into(),
            serde_json::to_value(&p.rendered.toc).unwrap_or_default(),
        );
        page.insert("toc_count".into(), json!(toc_count(&p.rendered.toc)));
        page.insert("facts".into(), Value::Array(self.facts(p)));
        page.insert(
            "reading_time".into(),
            json!(p.rendered.word_count.div_ceil(200).max(1)),
        );
        page.insert("bron".into(), json!(p.meta.bron));
        // Governance shown to readers: owner, review date, last change.
        let changed = crate::governance::last_changed(&site.changes, p);
        page.insert("eigenaar".into(), json!(p.meta.eigenaar));
        page.insert(
            "herzien_op".into(),
            json!(p.meta.herzien_op.map(|d| d.to_string())),
        );
        page.insert(
            "laatst_gewijzigd".into(),
            json!(changed.map(|(d, _)| d.to_string())),
        );
        page.insert(
            "laatst_gewijzigd_bron".into(),
            json!(changed.map(|(_, s)| s)),
        );
        page.insert(
            "extra".into(),
            serde_json::to_value(&p.meta.extra).unwrap_or_default(),
        );
        page.insert("ancestors".into(), Value::Array(self.ancestors(p.section)));
        page.insert("relations".into(), Value::Array(relations));
        page.insert("backrelations".into(), Value::Array(backrelations));
        page.insert("backlinks".into(), backlinks);
        page.insert("related".into(), related);
        page.insert("prev".into(), prev);
        page.insert("next".into(), next);
        page.insert("terms".into(), Value::Array(terms));
        page.insert("section".into(), self.section_summaries[p.section].clone());
        // Last: the nested loans above go back before the page is stripped.
        let mut loans = lend.loans;
        loans.push(Loan {
            at: vec![Key("page")],
            ids: vec![id],
            one: true,
            strip: PAGE_EXTRA_KEYS,
        });
        let mut map = Map::new();
        map.insert("current_url".into(), Value::String(self.url(&p.path)));
        map.insert("section".into(), self.section_summaries[p.section].clone());
        map.insert("page".into(), Value::Object(page));
        Locals { map, loans }
    }

    /// The page's custom fields that its section's schema declares and that
    /// have a value, in schema order: `{name, label, value, text}`.
    pub(super) fn facts(&self, p: &Page) -> Vec<Value> {
        self.site.sections[p.section]
            .schema
            .iter()
            .filter(|(name, spec)| spec.shown(name))
            .filter_map(|(name, spec)| {
                let value = p.fields.get(name)?;
                let text = field_text(value, &self.theme.translations);
                (!text.trim().is_empty()).then(|| {
                    json!({"name": name, "label": spec.label.as_deref().unwrap_or(name),
                           "value": value, "text": text})
                })
            })
            .collect()
    }

    pub(super) fn section_locals(&self, ws: &mut Workspace, id: SectionId) -> Locals {
        let s = &self.site.sections[id];
        ws.read(|r| {
            r.sections.extend(self.site.section_chain(id));
            r.sections.extend(&s.subsections);
        });
        let mut lend = self.lending(ws);
        let mut section = match self.section_summaries[id].clone() {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let subsections: Vec<Value> = s
            .subsections
            .iter()
            .map(|&c| self.section_summaries[c].clone())
            .collect();
        let fields = serde_json::to_value(&s.meta.raw.map).unwrap_or_default();
        section.insert(
            "content".into(),
            Value::String(s.rendered.html.as_str().into_owned()),
        );
        section.insert(
            "toc".into(),
            serde_json::to_value(&s.rendered.toc).unwrap_or_default(),
        );
        section.insert("toc_count".into(), json!(toc_count(&s.rendered.toc)));
        // Breadcrumbs of a section end at its parent.
        let mut ancestors = self.ancestors(id);
        ancestors.pop();
        section.insert("ancestors".into(), Value::Array(ancestors));
        section.insert(
            "pages".into(),
            lend.list(vec![Seg::Key("section"), Seg::Key("pages")], &s.pages),
        );
        section.insert("subsections".into(), Value::Array(subsections));
        section.insert("fields".into(), fields);
        section.insert("bron".into(), json!(s.meta.bron));
        let mut map = Map::new();
        map.insert("current_url".into(), Value::String(self.url(&s.path)));
        map.insert("section".into(), Value::Object(section));
        Locals {
            map,
            loans: lend.loans,
        }
    }
}
