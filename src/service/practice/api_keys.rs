//! Staff API keys: how a practice's systems authenticate. A key is 256 random bits, shown
//! once, stored as SHA-256, found by equality on a unique index and compared in constant time.

use crate::crypto::secrets;
use crate::domain::role::{Permission, Role};
use crate::error::{Error, Result};
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{api_key, api_keys};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

/// A staff API key's record (never its secret).
pub use crate::store::api_key::Model as ApiKey;

/// An authenticated practice system: which key, which practice, which role.
#[derive(Debug, Clone)]
pub struct Staff {
    pub key_id: Uuid,
    pub practice_id: Uuid,
    pub role: Role,
}

impl Staff {
    /// 403 `forbidden` unless the key's role allows it (the table is `Role::allows`).
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    pub fn actor(&self) -> Actor {
        Actor::ApiKey(self.key_id)
    }
}

/// Whether a string could be an API key at all; anything else is refused without a query.
pub fn looks_like_api_key(raw: &str) -> bool {
    raw.strip_prefix(secrets::API_KEY_PREFIX)
        .is_some_and(secrets::looks_like_token)
}

/// Finds the practice and role behind a presented key.
pub async fn authenticate(db: &DatabaseConnection, raw: &str, now: DateTime<Utc>) -> Result<Staff> {
    if !looks_like_api_key(raw) {
        return Err(Error::Unauthorized);
    }
    let hash = secrets::hash_token(raw);
    let key = api_keys::find_by_hash(db, &hash)
        .await?
        .ok_or(Error::Unauthorized)?;
    if key.revoked_at.is_some()
        || !secrets::constant_time_eq(key.key_hash.as_bytes(), hash.as_bytes())
    {
        return Err(Error::Unauthorized);
    }
    let role = key.role;
    // Recording use on every call would make every read a write; once a minute is enough
    // for "when was this key last used".
    if key
        .last_used_at
        .is_none_or(|t| now - t > TimeDelta::minutes(1))
    {
        api_keys::record_use(db, key.id, now).await?;
    }
    Ok(Staff {
        key_id: key.id,
        practice_id: key.practice_id,
        role,
    })
}

/// Inserts a key row and returns it with the secret, which is never stored.
pub async fn insert_key<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    role: Role,
    label: &str,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(api_key::Model, String)> {
    let key = secrets::new_api_key();
    let model = api_keys::insert(
        conn,
        &api_key::Model {
            id: Uuid::now_v7(),
            practice_id,
            role,
            label: label.to_owned(),
            key_hash: secrets::hash_token(&key),
            key_prefix: key
                .chars()
                .take(secrets::API_KEY_PREFIX.len() + 6)
                .collect(),
            created_by: created_by.to_owned(),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        },
    )
    .await?;
    Ok((model, key))
}

pub fn check_label(raw: &str) -> Result<String> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > 100 || t.chars().any(char::is_control) {
        return Err(Error::invalid(
            "label",
            "must be between 1 and 100 printable characters",
        ));
    }
    Ok(t.to_owned())
}

/// Creates a key for the caller's practice. Admin only.
pub async fn create(
    db: &DatabaseConnection,
    staff: &Staff,
    role: Role,
    label: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<(api_key::Model, String)> {
    staff.require(Permission::ManageApiKeys)?;
    let label = check_label(label)?;
    let txn = db.begin().await?;
    let created_by = format!("api_key:{}", staff.key_id);
    let (model, key) = insert_key(&txn, staff.practice_id, role, &label, &created_by, now).await?;
    audit::record(
        &txn,
        meta,
        Event::new("api_key.created", staff.actor())
            .practice(staff.practice_id)
            .detail(json!({"key_id": model.id, "role": role.as_str(), "label": label})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok((model, key))
}

/// Every key of the caller's practice, newest first, without secrets.
pub async fn list(db: &DatabaseConnection, staff: &Staff) -> Result<Vec<api_key::Model>> {
    staff.require(Permission::ManageApiKeys)?;
    Ok(api_keys::for_practice(db, staff.practice_id).await?)
}

/// Revokes a key at once. The practice's last active admin key cannot be revoked: that
/// would lock the practice out of its own settings.
pub async fn revoke(
    db: &DatabaseConnection,
    staff: &Staff,
    id: Uuid,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<api_key::Model> {
    staff.require(Permission::ManageApiKeys)?;
    let txn = db.begin().await?;
    let key = api_keys::find(&txn, id)
        .await?
        .filter(|k| k.practice_id == staff.practice_id)
        .ok_or(Error::NotFound)?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    // One guarded statement checks "not revoked yet" and "not the last admin key" together:
    // of two revocations at once, of one key or of the last two admin keys, one wins.
    let Some(updated) =
        api_keys::revoke_unless_last_admin(&txn, staff.practice_id, id, now).await?
    else {
        let key = api_keys::find(&txn, id).await?.ok_or(Error::NotFound)?;
        if key.revoked_at.is_some() {
            // Revoked meanwhile: answered as a key that was revoked already.
            return Ok(key);
        }
        return Err(Error::Conflict(
            "This is the practice's last admin key; create another admin key first.".into(),
        ));
    };
    audit::record(
        &txn,
        meta,
        Event::new("api_key.revoked", staff.actor())
            .practice(staff.practice_id)
            .detail(json!({"key_id": id})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}
