//! Rows that rarely change (OAuth clients, practices) held in memory, so the token endpoints
//! do not read them on every request (issue 18, item 4).
//!
//! Coherence: a change to a cached table bumps that table's counter in `cache_versions` in the
//! same transaction ([`bump`]), and the instance that made it drops its entries at once
//! ([`Cache::clear`]). Every instance polls the counters every [`POLL_INTERVAL`] and drops a
//! table's entries when its counter moved, so other instances see the change within that
//! interval. One cheap query per interval per instance, whatever the load; no notification
//! channel to keep alive, and the same on SQLite and PostgreSQL.
//!
//! Only rows that exist are cached: an unknown key always goes to the database, so guessing
//! client ids cannot fill memory.

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// How often each instance looks for changes made by others.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The counter of the `oauth_clients` table.
pub const OAUTH_CLIENTS: &str = "oauth_clients";
/// The counter of the `practices` table.
pub const PRACTICES: &str = "practices";

/// One table's cached rows by key.
pub struct Cache<V> {
    table: &'static str,
    entries: RwLock<HashMap<String, Arc<V>>>,
    /// Moves on every [`Cache::clear`]: a row read before a clear is not stored after it.
    generation: AtomicU64,
}

impl<V> Cache<V> {
    pub fn new(table: &'static str) -> Self {
        Self {
            table,
            entries: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    /// Take this before reading a row from the database, and hand it to [`Cache::put`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn table(&self) -> &'static str {
        self.table
    }

    pub fn get(&self, key: &str) -> Option<Arc<V>> {
        self.entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
    }

    /// Stores a row read from the database, unless the cache was cleared since `generation`
    /// was taken (the row may predate the change that cleared it).
    pub fn put(&self, generation: u64, key: String, value: Arc<V>) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if self.generation.load(Ordering::Acquire) == generation {
            entries.insert(key, value);
        }
    }

    /// Drops every entry: the next read of each key goes to the database.
    pub fn clear(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}

/// Marks `table` changed, inside the transaction that changes it.
pub async fn bump<C: ConnectionTrait>(conn: &C, table: &str) -> Result<(), DbErr> {
    let stmt = Query::update()
        .table("cache_versions")
        .value("version", Expr::col("version").add(1))
        .and_where(Expr::col("name").eq(table))
        .to_owned();
    conn.execute(&stmt).await.map(drop)
}

#[derive(FromQueryResult)]
struct VersionRow {
    name: String,
    version: i64,
}

/// The counters last seen, to tell which tables changed since the previous poll.
#[derive(Default)]
pub struct Versions {
    seen: Mutex<HashMap<String, i64>>,
}

impl Versions {
    /// Reads the counters and returns the tables whose counter moved since the last call
    /// (every table on the first call, when nothing was seen yet).
    pub async fn changed<C: ConnectionTrait>(&self, conn: &C) -> Result<Vec<String>, DbErr> {
        let stmt = Query::select()
            .columns(["name", "version"])
            .from("cache_versions")
            .to_owned();
        let rows = conn.query_all(&stmt).await?;
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let mut changed = Vec::new();
        for row in rows {
            let row = VersionRow::from_query_result(&row, "")?;
            if seen.insert(row.name.clone(), row.version) != Some(row.version) {
                changed.push(row.name);
            }
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_read_before_a_clear_is_not_stored_after_it() {
        let cache: Cache<u8> = Cache::new(OAUTH_CLIENTS);
        let before = cache.generation();
        cache.clear();
        cache.put(before, "c".into(), Arc::new(1));
        assert!(cache.get("c").is_none());
        cache.put(cache.generation(), "c".into(), Arc::new(2));
        assert_eq!(cache.get("c").as_deref(), Some(&2));
        cache.clear();
        assert!(cache.get("c").is_none());
    }
}
