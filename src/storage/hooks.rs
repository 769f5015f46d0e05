//! Hooks: the function table through which a lower domain tells higher ones that something
//! changed, inside the same write transaction (a product edit refreshes inventory's stock rows;
//! a company's new time zone rebuilds pos's daily totals).
//!
//! A lower domain declares a hook type — a plain `fn` pointer type naming its own types, e.g.
//! `catalog::ProductChanged` — and calls every registered hook of that type where the change
//! happens: `for hook in tx.hooks().of::<ProductChanged>() { hook(tx, ...)? }`. It never names
//! who listens. `wiring` builds the one table of every reaction, and `schema::open`
//! hands it to `Db::open`, which gives it to every write transaction. The table is built once
//! per data file and never changes; no global state.

use std::any::Any;
use std::sync::Arc;

/// Registered hooks, each a `fn` pointer stored under its own type.
#[derive(Default, Clone)]
pub struct Hooks {
    table: Arc<Vec<Box<dyn Any + Send + Sync>>>,
}

impl Hooks {
    /// Builds the table from `(hook)` registrations; see `wiring::hooks`.
    pub fn builder() -> HooksBuilder {
        HooksBuilder { table: Vec::new() }
    }

    /// Every hook registered with type `H`, in registration order.
    pub fn of<H: Copy + 'static>(&self) -> impl Iterator<Item = H> + '_ {
        self.table.iter().filter_map(|h| h.downcast_ref::<H>().copied())
    }

    /// How many hooks are registered (for tests and the wiring test).
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

pub struct HooksBuilder {
    table: Vec<Box<dyn Any + Send + Sync>>,
}

impl HooksBuilder {
    /// Registers `hook` under its type `H` (a `fn` pointer type a lower domain declares).
    pub fn on<H: Copy + Send + Sync + 'static>(mut self, hook: H) -> HooksBuilder {
        self.table.push(Box::new(hook));
        self
    }

    pub fn build(self) -> Hooks {
        Hooks { table: Arc::new(self.table) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Doubled = fn(u64) -> u64;
    type Named = fn() -> &'static str;

    #[test]
    fn hooks_are_found_by_their_type_in_registration_order() {
        let hooks = Hooks::builder().on::<Doubled>(|n| n * 2).on::<Named>(|| "a").on::<Doubled>(|n| n * 20).build();
        assert_eq!(hooks.of::<Doubled>().map(|h| h(1)).collect::<Vec<_>>(), vec![2, 20]);
        assert_eq!(hooks.of::<Named>().map(|h| h()).collect::<Vec<_>>(), vec!["a"]);
        assert_eq!(Hooks::default().of::<Doubled>().count(), 0);
    }
}
