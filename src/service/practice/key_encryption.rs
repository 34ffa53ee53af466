//! Key encryption at start (issue 17, item 7): once `PORTICO_KEY_ENCRYPTION_SECRET` is set,
//! every signing key and TOTP seed stored `plain.` (written while no secret was configured) is
//! sealed, and `crypto::sealed` never writes `plain.` again while the secret is set. Each value
//! is replaced by one UPDATE guarded on its old stored form, so instances starting together
//! seal each value once and never overwrite a newer one.

use crate::crypto::sealed::{Purpose, Sealer};
use crate::store::sealed_values;
use anyhow::Context;
use sea_orm::DatabaseConnection;

/// How many values were sealed at this start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    pub signing_keys: u64,
    pub totp_secrets: u64,
}

impl Resealed {
    pub fn any(&self) -> bool {
        self.signing_keys + self.totp_secrets > 0
    }
}

/// Seals every value still stored `plain.` with `secret`, each bound to its record as when it
/// is written (the kid for a signing key, the account id for a TOTP seed).
pub async fn seal_plain_values(db: &DatabaseConnection, secret: &str) -> anyhow::Result<Resealed> {
    let mut done = Resealed::default();
    let keys = Sealer::new(Some(secret), Purpose::SigningKey)?;
    for stored in sealed_values::plain_signing_keys(db).await? {
        let plain = keys
            .open(&stored.value, &stored.record)
            .with_context(|| format!("reading signing key {}", stored.record))?;
        let sealed = keys.seal(&plain, &stored.record)?;
        if sealed_values::replace_signing_key(db, &stored.record, &stored.value, &sealed).await? {
            done.signing_keys += 1;
        }
    }
    let seeds = Sealer::new(Some(secret), Purpose::TotpSecret)?;
    for stored in sealed_values::plain_totp_secrets(db).await? {
        let record = stored.record.to_string();
        let plain = seeds
            .open(&stored.value, &record)
            .with_context(|| format!("reading the TOTP secret of account {record}"))?;
        let sealed = seeds.seal(&plain, &record)?;
        if sealed_values::replace_totp_secret(db, stored.record, &stored.value, &sealed).await? {
            done.totp_secrets += 1;
        }
    }
    Ok(done)
}
