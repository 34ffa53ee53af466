//! What every request and worker shares.

use crate::auth::keys::KeyStore;
use crate::auth::password::Hasher;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::store::cache::{self, Cache, Versions};
use crate::store::direct::Direct;
use crate::store::oauth_client_record::Client;
use crate::telemetry::Metrics;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub clock: SharedClock,
    pub hasher: Arc<Hasher>,
    /// Token signing keys, parsed once; reloaded when they change.
    pub keys: Arc<KeyStore>,
    pub metrics: Arc<Metrics>,
    /// Wakes the outbox worker when a message is queued.
    pub outbox_wakeup: Arc<Notify>,
    /// Rarely changing rows held in memory (`store::cache`).
    pub caches: Arc<Caches>,
    /// The SQLite file opened directly for the hot paths (`store::direct`); `None` on
    /// PostgreSQL and in-memory SQLite.
    pub direct: Option<Arc<Direct>>,
}

/// The in-memory copies of rarely changing tables, and the versions that keep them current.
pub struct Caches {
    pub clients: Cache<Client>,
    pub versions: Versions,
}

impl Default for Caches {
    fn default() -> Self {
        Self {
            clients: Cache::new(cache::OAUTH_CLIENTS),
            versions: Versions::default(),
        }
    }
}

impl Caches {
    /// Drops what another instance changed; runs every `cache::POLL_INTERVAL`.
    pub async fn refresh(&self, db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        for table in self.versions.changed(db).await? {
            if table == self.clients.table() {
                self.clients.clear();
            }
        }
        Ok(())
    }
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
