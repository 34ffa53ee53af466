//! SQLite without a thread hop per statement (issue 18, item 5).
//!
//! sqlx runs each SQLite connection on a thread of its own and hands it every statement (and a
//! ping each time a connection goes back to the pool) over a channel; on a busy core those
//! thread switches cost more than the statements (`bench/sqlite-hop`, README "SQLite driver").
//! So the hot paths run their statements on SQLite directly, through rusqlite connections of
//! their own with prepared statements kept, on the request's own thread, with the same SQL
//! (built by the same sea-query builders in the aggregate modules) and the same row types:
//!
//! - **Reads** (every token check: introspection, userinfo, the patient API) run on read-only
//!   connections ([`Direct::read`]). In WAL mode a reader neither waits for the writer nor
//!   holds it up, and it sees every commit made before it starts: a block committed by one
//!   request is seen by the next, as on sqlx.
//! - **Writes** (the refresh) run on one writer connection ([`Direct::write`]) while holding
//!   the sqlx pool's only connection, so the two never write at once: Portico still has one
//!   SQLite writer at a time, no statement waits on a lock another Portico connection holds,
//!   and no sqlx transaction finds the database changed under it between its read and its
//!   write. With more than one pooled connection (`PORTICO_DATABASE_MAX_CONNECTIONS`) that
//!   guarantee is gone, and writes stay on sqlx.
//!
//! PostgreSQL keeps sqlx, as does SQLite in memory (no other connection can open it).
//! Statements run here count towards `portico_db_statements_total` like any other.

pub mod sessions;
pub mod values;

use sea_orm::{DatabaseConnection, DbBackend, DbErr, RuntimeErr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Idle read connections kept open; more are opened while more requests read at once.
const IDLE_READERS: usize = 8;

/// How long a statement waits for a lock held outside Portico (a CLI command, say).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Direct access to the SQLite database file behind the sqlx pool.
pub struct Direct {
    path: PathBuf,
    readers: Mutex<Vec<rusqlite::Connection>>,
    /// `None` when the sqlx pool may hold more than one connection (see the module docs).
    writer: Option<Mutex<rusqlite::Connection>>,
    /// Statements run here, for `/metrics`.
    read_statements: AtomicU64,
    write_statements: AtomicU64,
}

impl std::fmt::Debug for Direct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Direct").field("path", &self.path).finish()
    }
}

/// A rusqlite error as sea-orm's: a lock not granted within the busy timeout means "try again"
/// (503, like sqlx's SQLITE_BUSY); anything else is a failed query.
pub fn db_err(e: rusqlite::Error) -> DbErr {
    let busy = matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    let inner = RuntimeErr::Internal(format!("sqlite: {e}"));
    if busy {
        DbErr::Conn(inner)
    } else {
        DbErr::Query(inner)
    }
}

fn sqlx_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e)))
}

impl Direct {
    /// Direct access to `db`'s file, when `db` is SQLite on disk.
    pub fn open(db: &DatabaseConnection) -> Result<Option<Arc<Self>>, DbErr> {
        if db.get_database_backend() != DbBackend::Sqlite {
            return Ok(None);
        }
        let pool = db.get_sqlite_connection_pool();
        let path = pool.connect_options().get_filename().to_owned();
        if !path.is_file() {
            return Ok(None);
        }
        let writer = if pool.options().get_max_connections() == 1 {
            let conn = rusqlite::Connection::open(&path).map_err(db_err)?;
            conn.busy_timeout(BUSY_TIMEOUT).map_err(db_err)?;
            // As sqlx's connection is set up (`db::connect`).
            conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
                .map_err(db_err)?;
            Some(Mutex::new(conn))
        } else {
            None
        };
        Ok(Some(Arc::new(Self {
            path,
            readers: Mutex::new(Vec::new()),
            writer,
            read_statements: AtomicU64::new(0),
            write_statements: AtomicU64::new(0),
        })))
    }

    /// Whether [`Direct::write`] is available.
    pub fn writes(&self) -> bool {
        self.writer.is_some()
    }

    fn open_reader(&self) -> Result<rusqlite::Connection, DbErr> {
        use rusqlite::OpenFlags;
        let conn = rusqlite::Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(db_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db_err)?;
        Ok(conn)
    }

    /// Runs `read` on a read-only connection, on this thread. `read` runs its statements
    /// through [`values::rows`] and says how many it ran.
    pub fn read<T>(
        &self,
        read: impl FnOnce(&rusqlite::Connection) -> Result<(T, u64), DbErr>,
    ) -> Result<T, DbErr> {
        let idle = self
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.open_reader()?,
        };
        let out = read(&conn);
        if out.is_ok() {
            let mut idle = self.readers.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < IDLE_READERS {
                idle.push(conn);
            }
        }
        let (value, statements) = out?;
        crate::telemetry::statements::add(statements);
        self.read_statements
            .fetch_add(statements, Ordering::Relaxed);
        Ok(value)
    }

    /// Runs `work` on the writer, on this thread, while holding the sqlx pool's connection
    /// (acquired without a ping: `db::connect`). `work` opens and ends its own transaction and
    /// says how many statements it ran. `None` when there is no direct writer.
    pub async fn write<T>(
        &self,
        db: &DatabaseConnection,
        work: impl FnOnce(&mut rusqlite::Connection) -> Result<(T, u64), DbErr>,
    ) -> Result<Option<T>, DbErr> {
        let Some(writer) = &self.writer else {
            return Ok(None);
        };
        let turn = db
            .get_sqlite_connection_pool()
            .acquire()
            .await
            .map_err(sqlx_err)?;
        let out = {
            // Uncontended: the pool's one connection, held above, orders the writers.
            let mut conn = writer.lock().unwrap_or_else(PoisonError::into_inner);
            let out = work(&mut conn);
            if !conn.is_autocommit() {
                // `work` left its transaction open (a failed rollback): end it before the
                // next writer comes.
                tracing::error!("direct SQLite write left a transaction open; rolling back");
                let _ = conn.execute_batch("ROLLBACK");
            }
            out
        };
        drop(turn);
        let (value, statements) = out?;
        crate::telemetry::statements::add(statements);
        self.write_statements
            .fetch_add(statements, Ordering::Relaxed);
        Ok(Some(value))
    }

    /// `portico_db_direct_statements_total`: how many of the statements counted in
    /// `portico_db_statements_total` ran here rather than through sqlx.
    pub fn render_metrics(&self, out: &mut String) {
        use std::fmt::Write;
        out.push_str(
            "# HELP portico_db_direct_statements_total Statements run on SQLite directly (store::direct), of those in portico_db_statements_total.\n",
        );
        out.push_str("# TYPE portico_db_direct_statements_total counter\n");
        for (path, n) in [
            ("read", &self.read_statements),
            ("write", &self.write_statements),
        ] {
            let _ = writeln!(
                out,
                "portico_db_direct_statements_total{{path=\"{path}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
    }
}
