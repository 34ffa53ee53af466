//! Counting the statements each request sends to the database.
//!
//! The edge runs every request inside [`count_statements`]; the connection's metric callback
//! ([`on_statement`]) adds one to the request's counter for every statement sea-orm executes
//! (BEGIN and COMMIT are not statements to sea-orm, so they are left out, as the budgets in
//! the README say). Statements run outside a request (workers, start-up) are counted as
//! `background`. The counter is task-local: a statement counts for the request whose task
//! awaited it, which is every statement, since no handler hands database work to another task.

use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

tokio::task_local! {
    static STATEMENTS: Cell<u64>;
}

/// Statements executed outside any request.
static BACKGROUND: AtomicU64 = AtomicU64::new(0);

/// Runs `fut` with a fresh statement counter; returns its output and the count.
pub async fn count_statements<F: Future>(fut: F) -> (F::Output, u64) {
    STATEMENTS
        .scope(Cell::new(0), async move {
            let out = fut.await;
            (out, STATEMENTS.with(Cell::get))
        })
        .await
}

/// The database connection's metric callback: one call per executed statement.
pub fn on_statement() {
    if STATEMENTS.try_with(|n| n.set(n.get() + 1)).is_err() {
        BACKGROUND.fetch_add(1, Ordering::Relaxed);
    }
}

/// Adds `n` statements run outside sea-orm (`store::direct`) to the current request's count.
pub fn add(n: u64) {
    if STATEMENTS.try_with(|c| c.set(c.get() + n)).is_err() {
        BACKGROUND.fetch_add(n, Ordering::Relaxed);
    }
}

/// Statements executed outside any request since the process started.
pub fn background_total() -> u64 {
    BACKGROUND.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_only_the_statements_of_its_own_task() {
        let ((), n) = count_statements(async {
            on_statement();
            on_statement();
        })
        .await;
        assert_eq!(n, 2);
        let before = background_total();
        on_statement();
        assert_eq!(background_total(), before + 1);
    }
}
