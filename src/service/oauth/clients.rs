//! OpenID Connect clients of a practice, managed with its admin keys. A confidential client's
//! secret is 256 random bits, shown once and stored as SHA-256; public clients have none and
//! must use PKCE (which every client must anyway).

use crate::crypto::secrets;
use crate::domain::oauth::{Scope, redirect_uri_problem};
use crate::domain::role::Permission;
use crate::error::{Error, Result};
use crate::service::practice::api_keys::Staff;
use crate::service::sessions::ending;
use crate::state::AppState;
use crate::store::audit::{self, Event, RequestMeta};
use crate::store::cache;
use crate::store::oauth_clients::{self as client_rows, Changes};
use crate::store::{oauth_client, sessions as session_rows};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

/// Prefix of client ids, so they are recognisable in logs and support calls.
pub const CLIENT_ID_PREFIX: &str = "ptcc_";
/// Prefix of client secrets, so secret scanners recognise a leaked one.
pub const CLIENT_SECRET_PREFIX: &str = "ptcs_";
const MAX_URIS: usize = 20;

pub use crate::store::oauth_client_record::{Client, IdTokenAlg};

/// What a new client is, or what a change sets (fields left `None` stay as they are).
#[derive(Debug, Clone, Default)]
pub struct ClientFields {
    pub name: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub scopes: Option<Vec<String>>,
    pub id_token_signed_response_alg: Option<String>,
}

fn check_name(raw: &str) -> Result<String> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > 100 || t.chars().any(char::is_control) {
        return Err(Error::invalid(
            "name",
            "must be between 1 and 100 printable characters",
        ));
    }
    Ok(t.to_owned())
}

fn check_uris(field: &str, uris: &[String], at_least_one: bool) -> Result<()> {
    if at_least_one && uris.is_empty() {
        return Err(Error::invalid(field, "must list at least one URI"));
    }
    if uris.len() > MAX_URIS {
        return Err(Error::invalid(field, "may list at most 20 URIs"));
    }
    for uri in uris {
        if let Some(problem) = redirect_uri_problem(uri) {
            return Err(Error::invalid(field, format!("{uri:?} {problem}")));
        }
    }
    Ok(())
}

fn check_scopes(scopes: &[String]) -> Result<()> {
    if scopes.is_empty() {
        return Err(Error::invalid("scopes", "must list at least one scope"));
    }
    if let Some(bad) = scopes.iter().find(|s| Scope::parse(s).is_err()) {
        return Err(Error::invalid(
            "scopes",
            format!("{bad:?} is not a scope Portico knows"),
        ));
    }
    Ok(())
}

fn check_alg(raw: &str) -> Result<IdTokenAlg> {
    IdTokenAlg::parse(raw).ok_or_else(|| {
        Error::invalid(
            "id_token_signed_response_alg",
            "must be \"RS256\" or \"EdDSA\"",
        )
    })
}

fn to_json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

/// Registers a client for the caller's practice. Returns it with its secret (confidential
/// clients only), which is never shown again.
pub async fn create(
    db: &DatabaseConnection,
    staff: &Staff,
    public: bool,
    fields: ClientFields,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<(Client, Option<String>)> {
    staff.require(Permission::ManageClients)?;
    let name = check_name(fields.name.as_deref().unwrap_or(""))?;
    let redirect_uris = fields.redirect_uris.unwrap_or_default();
    check_uris("redirect_uris", &redirect_uris, true)?;
    let post_logout = fields.post_logout_redirect_uris.unwrap_or_default();
    check_uris("post_logout_redirect_uris", &post_logout, false)?;
    let scopes = fields.scopes.unwrap_or_else(|| vec!["openid".to_owned()]);
    check_scopes(&scopes)?;
    let alg = check_alg(
        fields
            .id_token_signed_response_alg
            .as_deref()
            .unwrap_or("RS256"),
    )?;
    let secret = (!public).then(|| format!("{CLIENT_SECRET_PREFIX}{}", secrets::new_token()));
    let client_id = format!("{CLIENT_ID_PREFIX}{}", Uuid::new_v4().simple());
    let txn = db.begin().await?;
    let model = client_rows::insert(
        &txn,
        &oauth_client::Model {
            id: Uuid::now_v7(),
            client_id: client_id.clone(),
            practice_id: staff.practice_id,
            name: name.clone(),
            public,
            secret_hash: secret.as_deref().map(secrets::hash_token),
            redirect_uris: to_json(&redirect_uris),
            post_logout_redirect_uris: to_json(&post_logout),
            scopes: to_json(&scopes),
            id_token_alg: alg.as_str().to_owned(),
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    audit::record(
        &txn,
        meta,
        Event::new("oauth_client.created", staff.actor())
            .practice(staff.practice_id)
            .detail(json!({"client_id": client_id, "name": name, "public": public})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok((Client::from_model(model)?, secret))
}

/// The practice's clients, newest first.
pub async fn list(db: &DatabaseConnection, staff: &Staff) -> Result<Vec<Client>> {
    staff.require(Permission::ManageClients)?;
    client_rows::for_practice(db, staff.practice_id)
        .await?
        .into_iter()
        .map(Client::from_model)
        .collect()
}

async fn find_own<C: ConnectionTrait>(
    conn: &C,
    staff: &Staff,
    client_id: &str,
) -> Result<oauth_client::Model> {
    client_rows::find_by_client_id(conn, client_id)
        .await?
        .filter(|c| c.practice_id == staff.practice_id)
        .ok_or(Error::NotFound)
}

/// One of the practice's clients.
pub async fn get(db: &DatabaseConnection, staff: &Staff, client_id: &str) -> Result<Client> {
    staff.require(Permission::ManageClients)?;
    Client::from_model(find_own(db, staff, client_id).await?)
}

/// Changes a client. Its id, type and secret stay.
pub async fn update(
    state: &AppState,
    staff: &Staff,
    client_id: &str,
    fields: ClientFields,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Client> {
    staff.require(Permission::ManageClients)?;
    let txn = state.db.begin().await?;
    let found = find_own(&txn, staff, client_id).await?;
    let mut changes = Changes::default();
    if let Some(name) = &fields.name {
        changes.name = Some(check_name(name)?);
    }
    if let Some(uris) = &fields.redirect_uris {
        check_uris("redirect_uris", uris, true)?;
        changes.redirect_uris = Some(to_json(uris));
    }
    if let Some(uris) = &fields.post_logout_redirect_uris {
        check_uris("post_logout_redirect_uris", uris, false)?;
        changes.post_logout_redirect_uris = Some(to_json(uris));
    }
    if let Some(scopes) = &fields.scopes {
        check_scopes(scopes)?;
        changes.scopes = Some(to_json(scopes));
    }
    if let Some(alg) = &fields.id_token_signed_response_alg {
        changes.id_token_alg = Some(check_alg(alg)?.as_str().to_owned());
    }
    let updated = client_rows::update(&txn, found.id, changes, now)
        .await?
        .ok_or(Error::NotFound)?;
    audit::record(
        &txn,
        meta,
        Event::new("oauth_client.updated", staff.actor())
            .practice(staff.practice_id)
            .detail(json!({"client_id": client_id})),
        now,
    )
    .await?;
    cache::bump(&txn, cache::OAUTH_CLIENTS).await?;
    txn.commit().await?;
    state.caches.clients.clear();
    Client::from_model(updated)
}

/// Deletes a client: its codes go with it and the sessions it started end at once.
pub async fn delete(
    state: &AppState,
    staff: &Staff,
    client_id: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    staff.require(Permission::ManageClients)?;
    let txn = state.db.begin().await?;
    let found = find_own(&txn, staff, client_id).await?;
    let ended =
        session_rows::end_for_client(&txn, client_id, ending::ended::CLIENT_DELETED, now).await?;
    client_rows::delete(&txn, found.id).await?;
    audit::record(
        &txn,
        meta,
        Event::new("oauth_client.deleted", staff.actor())
            .practice(staff.practice_id)
            .detail(json!({"client_id": client_id, "sessions_ended": ended})),
        now,
    )
    .await?;
    cache::bump(&txn, cache::OAUTH_CLIENTS).await?;
    txn.commit().await?;
    state.caches.clients.clear();
    Ok(())
}

/// The client a relying party names, whatever its practice (the authorize, token, introspection
/// and logout endpoints): from memory when this instance has read it before (`store::cache`).
pub async fn by_client_id(state: &AppState, client_id: &str) -> Result<Option<Arc<Client>>> {
    if let Some(hit) = state.caches.clients.get(client_id) {
        return Ok(Some(hit));
    }
    let generation = state.caches.clients.generation();
    let Some(found) = find_by_client_id(&state.db, client_id).await? else {
        return Ok(None);
    };
    let found = Arc::new(found);
    state
        .caches
        .clients
        .put(generation, client_id.to_owned(), Arc::clone(&found));
    Ok(Some(found))
}

/// The client a relying party names, read from the database.
pub async fn find_by_client_id<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
) -> Result<Option<Client>> {
    if client_id.is_empty() || client_id.len() > 100 {
        return Ok(None);
    }
    client_rows::find_by_client_id(conn, client_id)
        .await?
        .map(Client::from_model)
        .transpose()
}
