//! What every request and worker shares.

use crate::auth::keys::KeyStore;
use crate::auth::password::Hasher;
use crate::clock::SharedClock;
use crate::config::Settings;
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
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
