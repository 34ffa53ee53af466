//! What one SQLite use case costs in CPU through each way Portico could talk to SQLite
//! (issue 18, item 5). The use case is the refresh path's shape: BEGIN, a guarded
//! `UPDATE ... RETURNING` that spends a token, one joined read, one insert, COMMIT; and the
//! introspection path's shape: one indexed read. Each runs through:
//!
//! - `sqlx`: sqlx-sqlite 0.9 (what sea-orm uses today): every statement, BEGIN and COMMIT is
//!   a message to the connection's worker thread and a wake-up back;
//! - `rusqlite-blocking`: rusqlite on one connection, the whole use case in one
//!   `spawn_blocking` call (one hop per use case instead of one per statement);
//! - `rusqlite-inline`: the same on the async thread itself (no hop at all; blocks the runtime
//!   for the duration, shown as the floor).
//!
//! The figure is process CPU (user + system, every thread) per use case, from `getrusage`, with
//! `CONCURRENCY` tasks sharing one connection on a current-thread runtime, as the server runs
//! when pinned to one core. Run it pinned: `taskset -c 0 target/release/sqlite-hop`.

use rusqlite::{Connection, OptionalExtension, params};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Column, Row, SqlitePool};
use std::sync::{Arc, Mutex};
use std::time::Instant;

const SESSIONS: usize = 100_000;
const CONCURRENCY: usize = 16;

fn cpu_secs() -> f64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

const SCHEMA: &str = "
CREATE TABLE accounts (id TEXT PRIMARY KEY, sessions_valid_after TEXT);
CREATE TABLE sessions (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, practice_id TEXT NOT NULL,
  scope TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE portal_access (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, practice_id TEXT NOT NULL,
  patient_id TEXT NOT NULL, status TEXT NOT NULL);
CREATE INDEX pa_account ON portal_access (account_id, practice_id);
CREATE TABLE refresh_tokens (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL, idle_expires_at TEXT NOT NULL, used_at TEXT);
";

const SPEND: &str = "UPDATE refresh_tokens SET used_at = ?1 WHERE token_hash = ?2 AND used_at IS NULL \
                     RETURNING id, session_id";
const CONTEXT: &str = "SELECT s.id, s.scope, s.expires_at, s.revoked_at, a.sessions_valid_after, \
                       pa.id, pa.patient_id, pa.status FROM sessions s JOIN accounts a ON a.id = s.account_id \
                       LEFT JOIN portal_access pa ON pa.account_id = s.account_id AND pa.practice_id = s.practice_id \
                       WHERE s.id = ?1";
const INSERT: &str = "INSERT INTO refresh_tokens (id, session_id, token_hash, created_at, idle_expires_at) \
                      VALUES (?1, ?2, ?3, ?4, ?5)";
const READ: &str = "SELECT s.id, s.revoked_at, a.sessions_valid_after FROM sessions s \
                    JOIN accounts a ON a.id = s.account_id WHERE s.id = ?1";

fn seed(path: &str) {
    let _ = std::fs::remove_file(path);
    let mut c = Connection::open(path).unwrap();
    c.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        .unwrap();
    c.execute_batch(SCHEMA).unwrap();
    let t = c.transaction().unwrap();
    for i in 0..SESSIONS {
        t.execute("INSERT INTO accounts VALUES (?1, NULL)", params![format!("a{i}")])
            .unwrap();
        t.execute(
            "INSERT INTO sessions VALUES (?1, ?2, 'p1', 'portal', '2099-01-01', NULL)",
            params![format!("s{i}"), format!("a{i}")],
        )
        .unwrap();
        t.execute(
            "INSERT INTO portal_access VALUES (?1, ?2, 'p1', ?3, 'active')",
            params![format!("pa{i}"), format!("a{i}"), format!("pt{i}")],
        )
        .unwrap();
        t.execute(
            "INSERT INTO refresh_tokens VALUES (?1, ?2, ?3, '2026-01-01', '2099-01-01', NULL)",
            params![format!("r{i}"), format!("s{i}"), format!("h{i}")],
        )
        .unwrap();
    }
    t.commit().unwrap();
}

/// Prepares `sql` on `c`, through rusqlite's statement cache when `cached`.
fn prep<'c>(c: &'c Connection, sql: &str, cached: bool) -> rusqlite::CachedStatement<'c> {
    if !cached {
        c.flush_prepared_statement_cache();
    }
    c.prepare_cached(sql).unwrap()
}

/// One refresh through rusqlite on `c`: five statements in one call.
fn refresh_rusqlite(c: &mut Connection, i: usize, cached: bool) {
    let t = c.transaction().unwrap();
    let spent: Option<(String, String)> = prep(&t, SPEND, cached)
        .query_row(params!["2026-12-07", format!("h{i}")], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
        .unwrap();
    let (_, session) = spent.expect("an unspent token");
    let mut st = prep(&t, CONTEXT, cached);
    let rows: Vec<(String, Option<String>)> = st
        .query_map(params![session], |r| Ok((r.get(0)?, r.get(5)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!rows.is_empty());
    drop(st);
    prep(&t, INSERT, cached)
        .execute(params![
            format!("n{i}"),
            session,
            format!("nh{i}"),
            "2026-12-07",
            "2099-01-01"
        ])
        .unwrap();
    t.commit().unwrap();
}

fn read_rusqlite(c: &Connection, i: usize, cached: bool) {
    let id: String = prep(c, READ, cached)
        .query_row(params![format!("s{}", i % SESSIONS)], |r| r.get(0))
        .unwrap();
    assert!(!id.is_empty());
}

async fn refresh_sqlx(pool: &SqlitePool, i: usize) {
    let mut t = pool.begin().await.unwrap();
    let row = sqlx::query(SPEND)
        .bind("2026-12-07")
        .bind(format!("h{i}"))
        .fetch_one(&mut *t)
        .await
        .unwrap();
    let session: String = row.get(1);
    let rows = sqlx::query(CONTEXT)
        .bind(&session)
        .fetch_all(&mut *t)
        .await
        .unwrap();
    assert!(!rows.is_empty());
    sqlx::query(INSERT)
        .bind(format!("n{i}"))
        .bind(&session)
        .bind(format!("nh{i}"))
        .bind("2026-12-07")
        .bind("2099-01-01")
        .execute(&mut *t)
        .await
        .unwrap();
    t.commit().await.unwrap();
}

/// The refresh on sqlx in two round trips: BEGIN, the spend and the read in one call (the read
/// finds the session through the token it just spent), then the insert and COMMIT in another.
async fn refresh_sqlx_two_hops(pool: &SqlitePool, i: usize) {
    let mut c = pool.acquire().await.unwrap();
    let first = format!(
        "BEGIN IMMEDIATE; {SPEND}; {}",
        CONTEXT.replace("s.id = ?1", "s.id = (SELECT session_id FROM refresh_tokens WHERE token_hash = ?3)")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(first))
        .bind("2026-12-07")
        .bind(format!("h{i}"))
        .bind(format!("h{i}"))
        .fetch_all(&mut *c)
        .await
        .unwrap();
    assert!(rows.len() >= 2, "{} rows: {:?}", rows.len(), rows.iter().map(|r| r.columns().len()).collect::<Vec<_>>());
    let session: String = rows[0].get(1);
    // Numbered parameters count across the whole call.
    let second = format!("{INSERT}; COMMIT");
    sqlx::query(sqlx::AssertSqlSafe(second))
        .bind(format!("n{i}"))
        .bind(&session)
        .bind(format!("nh{i}"))
        .bind("2026-12-07")
        .bind("2099-01-01")
        .execute(&mut *c)
        .await
        .unwrap();
}

async fn read_sqlx(pool: &SqlitePool, i: usize) {
    let row = sqlx::query(READ)
        .bind(format!("s{}", i % SESSIONS))
        .fetch_one(pool)
        .await
        .unwrap();
    let id: String = row.get(0);
    assert!(!id.is_empty());
}

#[derive(Clone, Copy, PartialEq)]
enum Way {
    Sqlx,
    Blocking,
    Inline,
    InlineUncached,
    SqlxHandle,
    SqlxTwoHops,
}

impl Way {
    fn name(self) -> &'static str {
        match self {
            Way::Sqlx => "sqlx (a hop per statement)",
            Way::Blocking => "rusqlite, one spawn_blocking per use case",
            Way::Inline => "rusqlite on the async thread (floor)",
            Way::InlineUncached => "rusqlite on the async thread, statements prepared each time",
            Way::SqlxTwoHops => "sqlx, BEGIN + spend + read in one call, insert + COMMIT in another",
            Way::SqlxHandle => "sqlx's own connection, locked once per use case (one hop), statements run on its handle through rusqlite",
        }
    }
}

/// Runs `n` use cases of one kind through `way` with [`CONCURRENCY`] tasks; returns CPU µs
/// and wall µs per use case.
async fn run(way: Way, write: bool, path: &str, n: usize) -> (f64, f64) {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::new()
                .filename(path)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal),
        )
        .await
        .unwrap();
    let conn = Arc::new(Mutex::new(Connection::open(path).unwrap()));
    conn.lock()
        .unwrap()
        .execute_batch("PRAGMA synchronous=NORMAL;")
        .unwrap();
    let (cpu0, wall0) = (cpu_secs(), Instant::now());
    let mut tasks = Vec::new();
    for w in 0..CONCURRENCY {
        let (pool, conn) = (pool.clone(), conn.clone());
        tasks.push(tokio::task::spawn_local(async move {
            for i in (w..n).step_by(CONCURRENCY) {
                match (way, write) {
                    (Way::Sqlx, true) => refresh_sqlx(&pool, i).await,
                    (Way::Sqlx | Way::SqlxTwoHops, false) => read_sqlx(&pool, i).await,
                    (Way::SqlxTwoHops, true) => refresh_sqlx_two_hops(&pool, i).await,
                    (Way::Blocking, _) => {
                        let conn = conn.clone();
                        tokio::task::spawn_blocking(move || {
                            let mut c = conn.lock().unwrap();
                            if write {
                                refresh_rusqlite(&mut c, i, true)
                            } else {
                                read_rusqlite(&c, i, true)
                            }
                        })
                        .await
                        .unwrap()
                    }
                    (Way::Inline | Way::InlineUncached, _) => {
                        let cached = way == Way::Inline;
                        let mut c = conn.lock().unwrap();
                        if write {
                            refresh_rusqlite(&mut c, i, cached)
                        } else {
                            read_rusqlite(&c, i, cached)
                        }
                    }
                    (Way::SqlxHandle, _) => {
                        let mut pc = pool.acquire().await.unwrap();
                        let mut locked = pc.lock_handle().await.unwrap();
                        // SAFETY: the handle is sqlx's open connection, locked away from its
                        // worker for as long as `locked` lives; `from_handle` does not close it.
                        let mut c =
                            unsafe { Connection::from_handle(locked.as_raw_handle().as_ptr()) }
                                .unwrap();
                        if write {
                            refresh_rusqlite(&mut c, i, false)
                        } else {
                            read_rusqlite(&c, i, false)
                        }
                        drop(c);
                    }
                }
                // Let the other tasks in, as a server interleaves requests.
                tokio::task::yield_now().await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let cpu = (cpu_secs() - cpu0) / n as f64 * 1e6;
    let wall = wall0.elapsed().as_secs_f64() / n as f64 * 1e6;
    pool.close().await;
    (cpu, wall)
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let dir = std::env::temp_dir().join(format!("sqlite-hop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let n: usize = std::env::var("HOP_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    println!("| way | refresh CPU µs | refresh wall µs | read CPU µs | read wall µs |");
    println!("|---|---|---|---|---|");
    for way in [
        Way::Sqlx,
        Way::Blocking,
        Way::Inline,
        Way::InlineUncached,
        Way::SqlxHandle,
        Way::SqlxTwoHops,
    ] {
        // A fresh database per way, so every way spends tokens nobody spent before.
        let path = dir.join("hop.db");
        let path = path.to_str().unwrap().to_owned();
        seed(&path);
        let (rc, rw) = local.block_on(&rt, run(way, true, &path, n.min(SESSIONS)));
        let (qc, qw) = local.block_on(&rt, run(way, false, &path, n));
        println!(
            "| {} | {rc:.1} | {rw:.1} | {qc:.1} | {qw:.1} |",
            way.name()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
