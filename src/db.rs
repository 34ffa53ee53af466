//! Connecting to SQLite or PostgreSQL, running migrations, and classifying database errors.

use crate::config::Settings;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseConnectionType, DbErr,
    RuntimeErr,
};
use std::time::Duration;

/// Opens the pool. SQLite runs in WAL mode with foreign keys on and a busy timeout, on one
/// connection unless told otherwise: one writer means no "database is locked" under load.
pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(settings.database_url.expose().to_owned());
    opts.sqlx_logging(false)
        .acquire_timeout(Duration::from_millis(
            settings.database_acquire_timeout_ms.max(100),
        ))
        .connect_timeout(Duration::from_secs(5));
    if let Some(n) = settings.database_max_connections {
        opts.max_connections(n);
    } else if !settings.is_sqlite() {
        opts.max_connections(16);
    }
    if settings.is_sqlite() {
        // A connection to a local file does not go stale: no ping (a thread round trip) each
        // time one is taken from the pool.
        opts.test_before_acquire(false);
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .create_if_missing(true)
        });
    }
    Database::connect(opts).await
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// How much of the connection pool is in use, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    pub in_use: u32,
    pub idle: u32,
    pub max: u32,
}

/// The pool's connections now; `None` for a connection that is not a pool.
pub fn pool_use(db: &DatabaseConnection) -> Option<PoolUse> {
    let (size, idle, max) = match &db.inner {
        DatabaseConnectionType::SqlxSqlitePoolConnection(_) => {
            let pool = db.get_sqlite_connection_pool();
            let max = pool.options().get_max_connections();
            (pool.size(), pool.num_idle(), max)
        }
        DatabaseConnectionType::SqlxPostgresPoolConnection(_) => {
            let pool = db.get_postgres_connection_pool();
            let max = pool.options().get_max_connections();
            (pool.size(), pool.num_idle(), max)
        }
        _ => return None,
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
    Some(PoolUse {
        in_use: size - idle,
        idle,
        max,
    })
}

/// Whether the database answered at all (for `/readyz`).
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// True when the error means "the database is not reachable right now" rather than "this
/// query is wrong": such failures become 503, and the request can be retried.
pub fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Protocol(_)
                | sqlx::Error::Tls(_) => true,
                sqlx::Error::Database(db) => {
                    // PostgreSQL: admin shutdown, crash shutdown, cannot connect now.
                    // SQLite: busy / locked after the busy timeout.
                    matches!(
                        db.code().as_deref(),
                        Some("57P01" | "57P02" | "57P03" | "08006" | "08003" | "5" | "6")
                    )
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// True when the error is a unique-constraint violation (a username or slug taken by a
/// concurrent request, say); callers turn it into the matching domain error.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
