//! Token signing keys: generated here, stored in `signing_keys` (the private key sealed with
//! `PORTICO_KEY_ENCRYPTION_SECRET` when one is set), parsed once and kept in memory, published
//! at `/oauth2/jwks` from pre-serialised bytes.
//!
//! Each algorithm has a line of generations; the newest unretired generation signs, older ones
//! stay published until `retires_at`. `portico keys rotate` adds a generation and retires the
//! previous one after every token it signed has expired. Running servers pick the change up by
//! reloading from the database every [`RELOAD_EVERY`] (measured on the server's clock, checked
//! when keys are used) and at once when a token names a `kid` they do not know (at most every
//! [`KID_MISS_RELOAD_EVERY`]).
//!
//! EdDSA (Ed25519) signs access tokens (and the ID tokens of clients that ask for EdDSA);
//! RS256 (RSA 2048, PKCS#1 v1.5 with SHA-256) signs ID tokens by default, as OpenID Connect
//! requires every provider to support it. Both are generated with aws-lc-rs (no OpenSSL) in
//! `auth::key_material`; `auth::key_generations` writes the generations. Key material is never
//! logged: `Debug` shows the `kid` only.

pub use crate::auth::key_generations::{Rotation, ensure_key, rotate};
use crate::auth::key_material::PrivateKey;
pub use crate::auth::key_material::{ALL_ALGS, KeyAlg};
use crate::auth::verified::VerifiedTokens;
use crate::crypto::sealed::Sealer;
use crate::error::Error;
use crate::store::{signing_key, signing_keys};
use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How often a running server re-reads the key table (on its own clock).
pub const RELOAD_EVERY: TimeDelta = TimeDelta::seconds(30);
/// An unknown `kid` triggers a reload at most this often, so random `kid`s cannot turn every
/// request into a database read.
pub const KID_MISS_RELOAD_EVERY: Duration = Duration::from_secs(2);
/// `Cache-Control: max-age` of the JWKS document.
pub const JWKS_MAX_AGE_SECS: u32 = 300;

/// One published key: verifies tokens until `retires_at`; signs while it is its algorithm's
/// newest generation.
pub struct PublishedKey {
    pub kid: String,
    pub alg: KeyAlg,
    pub generation: i64,
    pub retires_at: Option<DateTime<Utc>>,
    pub decoding: DecodingKey,
    private: PrivateKey,
}

impl std::fmt::Debug for PublishedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublishedKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("generation", &self.generation)
            .field("retires_at", &self.retires_at)
            .finish_non_exhaustive()
    }
}

impl PublishedKey {
    /// Signs a JWS signing input (`base64url(header).base64url(payload)`).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.private.sign(message)
    }

    pub fn is_retired(&self, now: DateTime<Utc>) -> bool {
        self.retires_at.is_some_and(|t| t <= now)
    }
}

/// The keys loaded at one moment, with the JWKS document built from them.
pub struct Keyset {
    keys: Vec<PublishedKey>,
    loaded_at: DateTime<Utc>,
    jwks: bytes::Bytes,
    etag: String,
}

impl std::fmt::Debug for Keyset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyset")
            .field("keys", &self.keys)
            .field("loaded_at", &self.loaded_at)
            .finish_non_exhaustive()
    }
}

impl Keyset {
    fn build(mut keys: Vec<PublishedKey>, loaded_at: DateTime<Utc>) -> anyhow::Result<Self> {
        keys.sort_by_key(|k| std::cmp::Reverse(k.generation));
        let set = JwkSet {
            keys: keys
                .iter()
                .map(|k| k.private.public_jwk(k.alg))
                .collect::<anyhow::Result<_>>()?,
        };
        let jwks = serde_json::to_vec(&set).context("serialising the JWKS")?;
        let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&jwks))[..32]);
        Ok(Self {
            keys,
            loaded_at,
            jwks: jwks.into(),
            etag,
        })
    }

    /// The key that signs new tokens of this algorithm: its newest generation.
    pub fn signing_key(&self, alg: KeyAlg) -> Option<&PublishedKey> {
        self.keys
            .iter()
            .filter(|k| k.alg == alg)
            .max_by_key(|k| k.generation)
    }

    /// The key a token names, if it is published and not retired at `now`.
    pub fn verifying_key(&self, kid: &str, now: DateTime<Utc>) -> Option<&PublishedKey> {
        self.keys
            .iter()
            .find(|k| k.kid == kid && !k.is_retired(now))
    }

    /// The JWKS document (`{"keys":[…]}`), public members only.
    pub fn jwks(&self) -> &bytes::Bytes {
        &self.jwks
    }

    /// A strong ETag of [`Keyset::jwks`].
    pub fn etag(&self) -> &str {
        &self.etag
    }

    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.kid.as_str()).collect()
    }

    fn is_stale(&self, now: DateTime<Utc>) -> bool {
        now - self.loaded_at >= RELOAD_EVERY || self.keys.iter().any(|k| k.is_retired(now))
    }
}

/// The shared, reloadable keyset of a running server.
pub struct KeyStore {
    db: DatabaseConnection,
    sealer: Sealer,
    current: RwLock<Arc<Keyset>>,
    reloading: tokio::sync::Mutex<()>,
    last_kid_miss: Mutex<Option<Instant>>,
    /// Access tokens whose signature checked out (`auth::verified`).
    verified: VerifiedTokens,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore").finish_non_exhaustive()
    }
}

impl KeyStore {
    /// Makes sure a key of every algorithm exists (creating the first ones), then loads every published
    /// key. Fails with an operator-readable message when a stored key cannot be opened.
    pub async fn open(
        db: DatabaseConnection,
        sealer: Sealer,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Arc<Self>> {
        for alg in ALL_ALGS {
            ensure_key(&db, &sealer, *alg, now).await?;
        }
        let keyset = load(&db, &sealer, now).await?;
        Ok(Arc::new(Self {
            db,
            sealer,
            current: RwLock::new(Arc::new(keyset)),
            reloading: tokio::sync::Mutex::new(()),
            last_kid_miss: Mutex::new(None),
            verified: VerifiedTokens::default(),
        }))
    }

    /// Access tokens whose signature this process has checked.
    pub fn verified(&self) -> &VerifiedTokens {
        &self.verified
    }

    fn snapshot(&self) -> Arc<Keyset> {
        Arc::clone(&self.current.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The keyset to use now, re-read from the database when it is older than
    /// [`RELOAD_EVERY`] or a key has retired since. Call it before opening a transaction: on
    /// SQLite a reload needs the one connection.
    pub async fn current(&self, now: DateTime<Utc>) -> Arc<Keyset> {
        let keyset = self.snapshot();
        if !keyset.is_stale(now) {
            return keyset;
        }
        // One request reloads; the others carry on with the keys they have.
        match self.reloading.try_lock() {
            Ok(_guard) => self.reload(now).await.unwrap_or(keyset),
            Err(_) => keyset,
        }
    }

    /// Reads the key table again. On failure the current keys stay in use.
    pub async fn reload(&self, now: DateTime<Utc>) -> Option<Arc<Keyset>> {
        match load(&self.db, &self.sealer, now).await {
            Ok(keyset) => {
                let keyset = Arc::new(keyset);
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::clone(&keyset);
                Some(keyset)
            }
            Err(e) => {
                tracing::error!(
                    error = format!("{e:#}"),
                    "signing keys: reload failed; keeping the loaded keys"
                );
                None
            }
        }
    }

    /// Rotates `alg` (see [`rotate`]) and starts using the new key in this process at once.
    pub async fn rotate(
        &self,
        alg: KeyAlg,
        retire_after: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<Rotation, Error> {
        let rotation = rotate(&self.db, &self.sealer, alg, retire_after, now).await?;
        self.reload(now).await;
        Ok(rotation)
    }

    /// The keyset that knows `kid`, if any: reloads once (rate-limited) when it is unknown, so
    /// a key another instance just rotated in is found.
    pub async fn for_kid(&self, kid: &str, now: DateTime<Utc>) -> Option<Arc<Keyset>> {
        let keyset = self.current(now).await;
        if keyset.verifying_key(kid, now).is_some() {
            return Some(keyset);
        }
        if keyset.keys.iter().any(|k| k.kid == kid) {
            return None; // known and retired
        }
        {
            let mut last = self.last_kid_miss.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| t.elapsed() < KID_MISS_RELOAD_EVERY) {
                return None;
            }
            *last = Some(Instant::now());
        }
        let keyset = self.reload(now).await?;
        keyset.verifying_key(kid, now).is_some().then_some(keyset)
    }
}

fn parse_row(row: &signing_key::Model, sealer: &Sealer) -> anyhow::Result<Option<PublishedKey>> {
    let Some(alg) = KeyAlg::from_db(&row.alg) else {
        // Written by a newer Portico; it publishes and uses it itself.
        tracing::warn!(kid = %row.kid, alg = %row.alg, "signing keys: skipping a key of an unknown algorithm");
        return Ok(None);
    };
    let der = sealer
        .open(&row.private_key, &row.kid)
        .with_context(|| format!("opening signing key {}", row.kid))?;
    let private = PrivateKey::from_der(alg, &der)
        .with_context(|| format!("parsing signing key {}", row.kid))?;
    Ok(Some(PublishedKey {
        kid: row.kid.clone(),
        alg,
        generation: row.generation,
        retires_at: row.retires_at,
        decoding: private.decoding_key(),
        private,
    }))
}

/// Every key not retired at `now`.
async fn load(
    db: &DatabaseConnection,
    sealer: &Sealer,
    now: DateTime<Utc>,
) -> anyhow::Result<Keyset> {
    let rows = signing_keys::unretired(db, now)
        .await
        .context("reading signing keys")?;
    let mut keys = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(k) = parse_row(row, sealer)? {
            keys.push(k);
        }
    }
    Keyset::build(keys, now)
}

/// Clock skew tolerated on `exp`, `nbf` and `iat` (RFC 8725 asks for a small one; ≤ 30 s). It
/// lives with the keys because it also decides how long a retired key stays published.
pub const LEEWAY_SECS: i64 = 30;

/// How long a key stays published after a rotation: every token it signed has expired by then,
/// including tokens signed by servers that have not yet reloaded.
pub fn retire_after(access_token_ttl_secs: i64) -> TimeDelta {
    TimeDelta::seconds(access_token_ttl_secs) + RELOAD_EVERY + TimeDelta::seconds(LEEWAY_SECS)
}
