//! The per-thread workspace that lends page summaries into contexts.
//!
//!
//! A list page shows thousands of page summaries, and each is a small tree of
//! JSON values. Deep-copying them into every context was most of the render
//! time, so each rendering thread keeps a workspace: a Tera context holding
//! the globals once. A summary is *lent* (moved) into a context from a pool
//! of copies shared by the workspaces and taken back after the render, so a
//! list of 3,000 pages costs 3,000 moves, not 3,000 deep copies. (Each
//! workspace kept its own copies before: at 10,000 pages that was two more
//! copies of every summary, about 150 of the default site's 361 MiB of live heap.)

use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::error::Diagnostic;
use crate::model::*;
use crate::reads::Reads;
use crate::theme::Theme;

/// Theme partials that draw one page in a list, and the key under which a
/// lent summary carries each one's HTML: the card (section and term lists,
/// relations) and the link item (backlinks, related pages).
const FRAGMENTS: &[(&str, &str)] = &[
    ("partials/kaart.html", "kaart"),
    ("partials/verwijzing.html", "verwijzing"),
];

/// Each page's list fragments (see [`FRAGMENTS`]), rendered once per
/// renderer with the page as `p` and put into every summary lent into a
/// list, so a list of thousands of pages prints strings instead of
/// interpreting the partial (15 lookups) for every entry. A fragment sees
/// only `p` and the globals, as it did when included in a loop.
pub(super) struct Cards {
    /// The theme's fragments: template and key.
    kinds: Vec<(&'static str, &'static str)>,
    /// Per kind, per page.
    cells: Vec<Slots<OnceLock<Result<String, Diagnostic>>>>,
}

impl Cards {
    /// Fragments for `pages` pages, or `None` when the theme has none.
    pub(super) fn new(theme: &Theme, pages: usize) -> Option<Self> {
        let kinds: Vec<(&str, &str)> = FRAGMENTS
            .iter()
            .filter(|(t, _)| theme.sources.contains_key(*t))
            .copied()
            .collect();
        let cells = kinds.iter().map(|_| Slots::new(pages)).collect();
        (!kinds.is_empty()).then_some(Cards { kinds, cells })
    }
}

/// One step of the way to a lent value inside a render's locals.
#[derive(Debug, Clone, Copy)]
pub(super) enum Seg {
    Key(&'static str),
    Index(usize),
}

/// Summaries lent into one render's locals: the list at `at` (one summary
/// per id), or with `one` the single summary at `at`, from which the keys
/// in `strip` are removed before it goes back.
pub(super) struct Loan {
    pub(super) at: Vec<Seg>,
    pub(super) ids: Vec<PageId>,
    pub(super) one: bool,
    pub(super) strip: &'static [&'static str],
}

/// Rendering scratch of one thread (see the note above).
pub(crate) struct Workspace {
    pub(super) ctx: tera::Context,
    /// The renderer's pool of lendable summaries (see [`Pool`]).
    pub(super) pool: Pool,
    /// Per-page scores for [`super::Renderer::related`], all zero between calls.
    pub(super) scores: Vec<u32>,
    pub(super) touched: Vec<PageId>,
    /// What the current render read, when the caller records it (serve).
    pub(super) reads: Option<Reads>,
    /// The first card that failed to render since the last render.
    pub(super) card_error: Option<Diagnostic>,
    /// The body HTML a page's render gave back (its `content`), for the
    /// renderer's [`PageBodies`].
    pub(super) body: Option<String>,
}

/// The page summaries to lend, one slot per page id, shared by a
/// renderer's workspaces; a slot is `Null` while its summary is lent out
/// or before it is first made.
pub(super) type Pool = std::sync::Arc<Slots<std::sync::Mutex<Value>>>;

/// An empty pool for `pages` page summaries.
pub(super) fn pool(pages: usize) -> Pool {
    std::sync::Arc::new(Slots::new(pages))
}

/// Pages per chunk of [`Slots`].
const CHUNK: usize = 256;

/// One value per page id, made a chunk at a time when first reached.
/// `serve` makes renderers for every save and reaches a few pages with
/// each; allocating and dropping every slot at once took most of a save's
/// time at 100,000 pages (two card kinds and the pool: 300,000 slots).
pub(super) struct Slots<T> {
    chunks: Box<[OnceLock<Box<[T]>>]>,
    len: usize,
}

impl<T: Default> Slots<T> {
    pub(super) fn new(len: usize) -> Self {
        Slots {
            chunks: (0..len.div_ceil(CHUNK)).map(|_| OnceLock::new()).collect(),
            len,
        }
    }

    /// The slot of `id`, or `None` past the end.
    pub(super) fn get(&self, id: usize) -> Option<&T> {
        if id >= self.len {
            return None;
        }
        let start = id - id % CHUNK;
        let chunk = self.chunks[id / CHUNK].get_or_init(|| {
            (start..self.len.min(start + CHUNK))
                .map(|_| T::default())
                .collect()
        });
        chunk.get(id % CHUNK)
    }
}

impl Workspace {
    pub(super) fn new(globals: &Map<String, Value>, pool: Pool) -> Self {
        // Tera refuses only a value that is not an object.
        let ctx = tera::Context::from_value(Value::Object(globals.clone()))
            .expect("a JSON object is a Tera context");
        Workspace {
            ctx,
            pool,
            scores: Vec::new(),
            touched: Vec::new(),
            reads: None,
            card_error: None,
            body: None,
        }
    }

    /// Notes a read when recording; a build pays one branch.
    pub(super) fn read(&mut self, f: impl FnOnce(&mut Reads)) {
        if let Some(r) = &mut self.reads {
            f(r);
        }
    }

    /// Page `id`'s summary from the pool, or made by `r` when its slot is
    /// empty.
    pub(super) fn lend(&mut self, r: &super::Renderer<'_>, id: PageId) -> Value {
        let pooled = self
            .pool
            .get(id)
            .and_then(|slot| slot.lock().ok())
            .map(|mut slot| std::mem::take(&mut *slot));
        match pooled {
            Some(v) if !v.is_null() => v,
            // Not copied yet, or lent to this context already (a page can
            // be both related and a backlink) or to another thread's.
            _ => r.page_summary(id),
        }
    }

    /// Puts a lent summary back in the pool; a second one (see `lend`)
    /// is dropped.
    pub(super) fn give_back(&mut self, id: PageId, v: Value) {
        if let Some(mut slot) = self.pool.get(id).and_then(|slot| slot.lock().ok()) {
            if slot.is_null() {
                *slot = v;
            }
        }
    }

    /// Takes every loan back out of `locals`, innermost first as listed.
    pub(super) fn take_back(&mut self, locals: &mut Map<String, Value>, loans: Vec<Loan>) {
        for loan in loans {
            let Some(v) = locate(locals, &loan.at) else {
                debug_assert!(false, "lent value not found at {:?}", loan.at);
                continue;
            };
            let v = std::mem::take(v);
            if loan.one {
                let mut v = v;
                if let Value::Object(m) = &mut v {
                    for k in loan.strip {
                        match m.remove(*k) {
                            Some(Value::String(html)) if *k == "content" => self.body = Some(html),
                            _ => {}
                        }
                    }
                }
                self.give_back(loan.ids[0], v);
            } else if let Value::Array(items) = v {
                for (item, id) in items.into_iter().zip(loan.ids) {
                    self.give_back(id, item);
                }
            }
        }
    }
}

pub(super) fn locate<'v>(locals: &'v mut Map<String, Value>, at: &[Seg]) -> Option<&'v mut Value> {
    let Some((Seg::Key(first), rest)) = at.split_first() else {
        return None;
    };
    let mut v = locals.get_mut(*first)?;
    for seg in rest {
        v = match seg {
            Seg::Key(k) => v.get_mut(*k)?,
            Seg::Index(i) => v.get_mut(*i)?,
        };
    }
    Some(v)
}

/// Lends summaries for one context and remembers where they went.
pub(super) struct Lending<'w> {
    pub(super) ws: &'w mut Workspace,
    /// Makes a summary the pool does not hold.
    pub(super) renderer: &'w super::Renderer<'w>,
    pub(super) loans: Vec<Loan>,
    /// Set when the theme has a card: summaries in lists carry it.
    pub(super) cards: Option<(&'w Theme, &'w Cards)>,
}

impl Lending<'_> {
    pub(super) fn list(&mut self, at: Vec<Seg>, ids: &[PageId]) -> Value {
        // The list prints its cards, so the render reads their templates
        // (serve re-renders it when one is edited).
        if let (Some((_, cards)), false) = (self.cards, ids.is_empty()) {
            self.ws.read(|r| {
                r.templates
                    .extend(cards.kinds.iter().map(|(t, _)| t.to_string()))
            });
        }
        let items = ids
            .iter()
            .map(|&i| {
                let mut v = self.ws.lend(self.renderer, i);
                self.add_card(i, &mut v);
                v
            })
            .collect();
        self.loans.push(Loan {
            at,
            ids: ids.to_vec(),
            one: false,
            strip: &[],
        });
        Value::Array(items)
    }

    /// Puts page `id`'s list fragments into its lent summary `v` (kept
    /// there when the summary goes back, so each workspace adds them once).
    fn add_card(&mut self, id: PageId, v: &mut Value) {
        let Some((theme, cards)) = self.cards else {
            return;
        };
        for (kind, &(template, key)) in cards.kinds.iter().enumerate() {
            if !v.is_object() || v.get(key).is_some() {
                continue;
            }
            let Some(cell) = cards.cells[kind].get(id) else {
                continue;
            };
            let ws = &mut *self.ws;
            let html = cell.get_or_init(|| {
                // Moved in and out, not copied; the workspace's context
                // holds only the globals here.
                let mut p = Map::new();
                p.insert("p".into(), std::mem::take(v));
                ws.ctx.extend(
                    tera::Context::from_value(Value::Object(p))
                        .expect("a JSON object is a Tera context"),
                );
                let html = theme.tera.render(template, &ws.ctx);
                *v = ws.ctx.remove("p").unwrap_or_default();
                html.map_err(|e| super::template_error(&e, &theme.sources, Some(template)))
            });
            match (html, v.as_object_mut()) {
                (Ok(h), Some(m)) => {
                    m.insert(key.into(), Value::String(h.clone()));
                }
                (Err(d), _) => {
                    ws.card_error.get_or_insert_with(|| d.clone());
                }
                (Ok(_), None) => {}
            }
        }
    }

    pub(super) fn one(&mut self, at: Vec<Seg>, id: PageId) -> Value {
        let v = self.ws.lend(self.renderer, id);
        self.loans.push(Loan {
            at,
            ids: vec![id],
            one: true,
            strip: &[],
        });
        v
    }
}

/// What one render needs besides the globals.
pub(super) struct Locals {
    pub(super) map: Map<String, Value>,
    pub(super) loans: Vec<Loan>,
}

impl Locals {
    pub(super) fn plain(map: Map<String, Value>) -> Self {
        Locals {
            map,
            loans: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn slots_reach_every_id_once_and_nothing_past_the_end() {
        let len = 2 * CHUNK + 3;
        let slots: Slots<Mutex<usize>> = Slots::new(len);
        for id in (0..len).rev() {
            *slots.get(id).expect("in range").lock().unwrap() = id + 1;
        }
        for id in 0..len {
            assert_eq!(*slots.get(id).expect("in range").lock().unwrap(), id + 1);
        }
        assert!(slots.get(len).is_none());
        assert!(Slots::<Mutex<usize>>::new(0).get(0).is_none());
    }

    #[test]
    fn slots_make_only_the_chunks_reached() {
        let slots: Slots<Mutex<u8>> = Slots::new(10 * CHUNK);
        slots.get(5 * CHUNK + 1);
        let made: Vec<usize> = (0..slots.chunks.len())
            .filter(|&c| slots.chunks[c].get().is_some())
            .collect();
        assert_eq!(made, vec![5]);
    }
}
