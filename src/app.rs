//! Building and running the server: connect, migrate, bind, serve until told to stop.

use crate::api;
use crate::auth::keys::KeyStore;
use crate::auth::password::Hasher;
use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::crypto::sealed::{Purpose, Sealer};
use crate::db;
use crate::domain::breached_passwords;
use crate::mail::transport::Transports;
use crate::mail::worker;
use crate::service::{
    practice::key_encryption, representation::ageing_out, representation::consent_lapse,
};
use crate::state::{AppState, Caches};
use crate::telemetry::Metrics;
use anyhow::Context;
use poem::Server;
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// A built server, bound to its port, not yet serving.
pub struct App {
    state: AppState,
    acceptor: TcpAcceptor,
    port: u16,
}

impl App {
    /// Connects, runs pending migrations and binds, with the wall clock.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// As [`App::build`], with a clock tests can move.
    pub async fn build_with_clock(settings: Settings, clock: SharedClock) -> anyhow::Result<Self> {
        let state = build_state(settings, clock).await?;
        let acceptor = TcpListener::bind(state.settings.bind)
            .into_acceptor()
            .await
            .with_context(|| format!("binding {} (PORTICO_BIND)", state.settings.bind))?;
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().map(|s| s.port()))
            .context("reading the bound port")?;
        Ok(Self {
            state,
            acceptor,
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `stop` completes.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = self.state.clone();
        let (stop_workers, workers_stopped) = tokio::sync::watch::channel(false);
        let mut workers = vec![tokio::spawn(keep_caches_current(
            state.clone(),
            workers_stopped.clone(),
        ))];
        if state.settings.run_workers {
            let transports =
                Transports::from_settings(&state.settings).map_err(std::io::Error::other)?;
            workers.push(tokio::spawn(worker::run(
                state.clone(),
                transports,
                workers_stopped.clone(),
            )));
            workers.push(tokio::spawn(ageing_out::run(
                state.clone(),
                workers_stopped.clone(),
            )));
            workers.push(tokio::spawn(consent_lapse::run(
                state.clone(),
                workers_stopped.clone(),
            )));
            workers.push(tokio::spawn(crate::service::webhooks::delivery::run(
                state.clone(),
                workers_stopped,
            )));
        }
        tracing::info!(port = self.port, "portico listening");
        let result = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(api::routes(state), stop, Some(Duration::from_secs(10)))
            .await;
        let _ = stop_workers.send(true);
        for w in workers {
            let _ = w.await;
        }
        tracing::info!("portico stopped");
        result
    }
}

/// Everything but the listener: also used by CLI commands that need the database.
pub async fn build_state(settings: Settings, clock: SharedClock) -> anyhow::Result<AppState> {
    let mut db = db::connect(&settings)
        .await
        .context("connecting to the database (PORTICO_DATABASE_URL)")?;
    db.set_metric_callback(|_| crate::telemetry::statements::on_statement());
    db::migrate(&db)
        .await
        .context("running database migrations")?;
    let breached = breached_passwords::install(settings.breached_passwords_file.as_deref())
        .context("loading the breached-password set (PORTICO_BREACHED_PASSWORDS_FILE)")?;
    tracing::info!(
        passwords = breached.entries(),
        "breached-password set loaded"
    );
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let hasher = Hasher::new(
        settings.argon2_memory_kib,
        settings.argon2_iterations,
        settings.argon2_parallelism,
        settings.hash_concurrency.unwrap_or(cores),
    )?;
    match &settings.key_encryption_secret {
        Some(secret) => {
            // Values written before the secret was set are sealed now, before anything reads
            // them; from here on nothing is written `plain.` again.
            let resealed = key_encryption::seal_plain_values(&db, secret.expose())
                .await
                .context("encrypting stored keys with PORTICO_KEY_ENCRYPTION_SECRET")?;
            if resealed.any() {
                tracing::info!(
                    signing_keys = resealed.signing_keys,
                    totp_secrets = resealed.totp_secrets,
                    "key encryption: values stored unencrypted are now sealed"
                );
            }
        }
        None => tracing::warn!(
            "PORTICO_KEY_ENCRYPTION_SECRET is not set: token signing keys and two-step (TOTP) \
             secrets are stored unencrypted in the database. Fine for development over http; \
             set it before serving patients (an https PORTICO_PUBLIC_URL requires it)."
        ),
    }
    let sealer = Sealer::new(
        settings.key_encryption_secret.as_ref().map(|s| s.expose()),
        Purpose::SigningKey,
    )?;
    let keys = KeyStore::open(db.clone(), sealer, clock.now())
        .await
        .context("loading the token signing keys")?;
    // The cache versions as they stand before anything is cached: the first poll then drops
    // only what changed since, instead of everything read meanwhile (which a request would
    // then read again).
    let caches = Arc::new(Caches::default());
    caches
        .refresh(&db)
        .await
        .context("reading the cache versions")?;
    let direct = crate::store::direct::Direct::open(&db)
        .context("opening the SQLite database for the hot paths")?;
    if let Some(d) = &direct {
        tracing::info!(
            writes = d.writes(),
            "SQLite hot paths run on the database directly"
        );
    }
    Ok(AppState {
        direct,
        db,
        settings: Arc::new(settings),
        clock,
        hasher,
        keys,
        metrics: Arc::new(Metrics::default()),
        outbox_wakeup: Arc::new(Notify::new()),
        caches,
    })
}

/// Polls the cache versions so that a client or practice changed through another instance is
/// read again here within `store::cache::POLL_INTERVAL`. Runs whether or not the other
/// workers do: it is part of serving requests correctly, not a job.
async fn keep_caches_current(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(crate::store::cache::POLL_INTERVAL) => {}
            _ = stop.changed() => return,
        }
        if let Err(e) = state.caches.refresh(&state.db).await {
            tracing::warn!(error = %e, "cache versions: poll failed; dropping cached rows");
            state.caches.clients.clear();
        }
    }
}

/// Completes on SIGTERM or Ctrl-C. The handlers are installed when this is called, not when
/// it is first polled: call it before binding, or a signal in between kills the process.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async {
            match term.as_mut() {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {},
            _ = term => {},
        }
        tracing::info!("shutdown signal received");
    }
}
