//! Each algorithm's line of key generations in the database: the first key at start, and
//! rotation (`portico keys rotate`), each new generation with its audit event.

use super::key_material::{KeyAlg, PrivateKey};
use crate::crypto::sealed::Sealer;
use crate::error::Error;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{signing_key, signing_keys};
use anyhow::{Context, anyhow};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;

/// A new key row for generation `generation`, with its audit event, in one transaction;
/// with `retire_previous_at`, the older unretired keys of the algorithm retire then. Returns
/// the new kid and the kids retiring; `Ok(None)`: another instance inserted that generation
/// first.
#[allow(
    clippy::too_many_arguments,
    reason = "one generation's fields, written once"
)]
async fn insert_generation(
    db: &DatabaseConnection,
    sealer: &Sealer,
    alg: KeyAlg,
    generation: i64,
    retire_previous_at: Option<DateTime<Utc>>,
    kind: &'static str,
    actor: Actor,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<(String, Vec<String>)>> {
    let (private, der) = PrivateKey::generate(alg)?;
    let jwk = private.public_jwk(alg)?;
    let kid = jwk
        .common
        .key_id
        .clone()
        .context("the public JWK has no kid")?;
    let txn = db.begin().await?;
    let row = signing_key::Model {
        kid: kid.clone(),
        alg: alg.as_str().to_owned(),
        private_key: sealer.seal(&der, &kid)?,
        public_jwk: serde_json::to_string(&jwk)?,
        created_at: now,
        retires_at: None,
        generation,
    };
    match signing_keys::insert(&txn, &row).await {
        Ok(()) => {}
        Err(e) if crate::db::is_unique_violation(&e) => {
            txn.rollback().await?;
            return Ok(None);
        }
        Err(e) => return Err(e).context("storing the signing key"),
    }
    let retired = match retire_previous_at {
        Some(at) => signing_keys::retire_older(&txn, alg.as_str(), generation, at).await?,
        None => Vec::new(),
    };
    audit::record(
        &txn,
        &RequestMeta::none(),
        Event::new(kind, actor).detail(json!({
            "kid": kid,
            "alg": alg.as_str(),
            "generation": generation,
            "retiring": retired,
            "retires_at": retire_previous_at,
        })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Some((kid, retired)))
}

async fn newest(
    db: &DatabaseConnection,
    alg: KeyAlg,
) -> anyhow::Result<Option<signing_key::Model>> {
    Ok(signing_keys::newest(db, alg.as_str()).await?)
}

/// Creates the first key of `alg` unless a usable one exists. When two instances start at
/// once, both try generation N+1 and the unique (alg, generation) index keeps one.
pub async fn ensure_key(
    db: &DatabaseConnection,
    sealer: &Sealer,
    alg: KeyAlg,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for _ in 0..3 {
        let latest = newest(db, alg).await?;
        if latest
            .as_ref()
            .is_some_and(|k| k.retires_at.is_none_or(|t| t > now))
        {
            return Ok(());
        }
        let generation = latest.map_or(1, |k| k.generation + 1);
        if let Some((kid, _)) = insert_generation(
            db,
            sealer,
            alg,
            generation,
            None,
            "signing_key.created",
            Actor::System,
            now,
        )
        .await?
        {
            tracing::info!(kid, alg = alg.as_str(), "signing keys: created a key");
            return Ok(());
        }
    }
    Err(anyhow!(
        "could not create a signing key: the key table keeps changing"
    ))
}

/// What a rotation did.
#[derive(Debug, Clone)]
pub struct Rotation {
    pub kid: String,
    pub retired: Vec<String>,
    pub retires_at: DateTime<Utc>,
}

/// Adds a new generation that signs from now on; the previous keys stay published until
/// `now + retire_after`, which must cover the access-token lifetime.
pub async fn rotate(
    db: &DatabaseConnection,
    sealer: &Sealer,
    alg: KeyAlg,
    retire_after: TimeDelta,
    now: DateTime<Utc>,
) -> Result<Rotation, Error> {
    let generation = newest(db, alg).await?.map_or(1, |k| k.generation + 1);
    let retires_at = now + retire_after;
    let (kid, retired) = insert_generation(
        db,
        sealer,
        alg,
        generation,
        Some(retires_at),
        "signing_key.rotated",
        Actor::Cli,
        now,
    )
    .await?
    .ok_or_else(|| {
        Error::Conflict("Another rotation ran at the same moment; run it again.".into())
    })?;
    Ok(Rotation {
        kid,
        retired,
        retires_at,
    })
}
