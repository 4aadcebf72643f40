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
//! copies of every summary, about 150 of the default site's 361 MB.)

use serde_json::{Map, Value};

use crate::model::*;
use crate::reads::Reads;

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
    /// Per-page scores for [`Renderer::related`], all zero between calls.
    pub(super) scores: Vec<u32>,
    pub(super) touched: Vec<PageId>,
    /// What the current render read, when the caller records it (serve).
    pub(super) reads: Option<Reads>,
}

/// Copies of the page summaries to lend, one slot per page id, shared by a
/// renderer's workspaces; a slot is `Null` while its copy is lent out or
/// before it is first made.
pub(super) type Pool = std::sync::Arc<[std::sync::Mutex<Value>]>;

/// An empty pool for `pages` page summaries.
pub(super) fn pool(pages: usize) -> Pool {
    (0..pages)
        .map(|_| std::sync::Mutex::new(Value::Null))
        .collect()
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
        }
    }

    /// Notes a read when recording; a build pays one branch.
    pub(super) fn read(&mut self, f: impl FnOnce(&mut Reads)) {
        if let Some(r) = &mut self.reads {
            f(r);
        }
    }

    pub(super) fn lend(&mut self, shared: &[Value], id: PageId) -> Value {
        let pooled = self
            .pool
            .get(id)
            .and_then(|slot| slot.lock().ok())
            .map(|mut slot| std::mem::take(&mut *slot));
        match pooled {
            Some(v) if !v.is_null() => v,
            // Not copied yet, or lent to this context already (a page can
            // be both related and a backlink) or to another thread's: copy.
            _ => shared[id].clone(),
        }
    }

    /// Puts a lent summary back in the pool; a second copy (see `lend`)
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
                        m.remove(*k);
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
    pub(super) shared: &'w [Value],
    pub(super) loans: Vec<Loan>,
}

impl Lending<'_> {
    pub(super) fn list(&mut self, at: Vec<Seg>, ids: &[PageId]) -> Value {
        let items = ids.iter().map(|&i| self.ws.lend(self.shared, i)).collect();
        self.loans.push(Loan {
            at,
            ids: ids.to_vec(),
            one: false,
            strip: &[],
        });
        Value::Array(items)
    }

    pub(super) fn one(&mut self, at: Vec<Seg>, id: PageId) -> Value {
        let v = self.ws.lend(self.shared, id);
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
