//! OpenID Connect clients of a practice, managed with its admin keys. A confidential client's
//! secret is 256 random bits, shown once and stored as SHA-256; public clients have none and
//! must use PKCE (which every client must anyway). A `private_key_jwt` client has no secret:
//! it registers public keys (`crypto::client_keys`); a backend service is one of those.

use crate::crypto::secrets;
use crate::domain::role::Permission;
use crate::error::{Error, Result};
pub use crate::service::oauth::client_rules::{AuthMethod, IdTokenAlg};
use crate::service::oauth::client_rules::{
    check_alg, check_authentication, check_jwks, check_name, check_scopes, check_uris,
};
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

pub use crate::store::oauth_client_record::Client;

/// What a new client is, or what a change sets (fields left `None` stay as they are).
#[derive(Debug, Clone, Default)]
pub struct ClientFields {
    pub name: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub scopes: Option<Vec<String>>,
    pub id_token_signed_response_alg: Option<String>,
    /// Creation only (the method stays); `None` takes the default for the client's kind.
    pub token_endpoint_auth_method: Option<String>,
    /// The public keys of a `private_key_jwt` client (a JWKS); may be replaced later.
    pub jwks: Option<serde_json::Value>,
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
    backend_service: bool,
    fields: ClientFields,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<(Client, Option<String>)> {
    staff.require(Permission::ManageClients)?;
    let name = check_name(fields.name.as_deref().unwrap_or(""))?;
    let auth = check_authentication(
        public,
        fields.token_endpoint_auth_method.as_deref(),
        fields.jwks.as_ref(),
        backend_service,
    )?;
    let redirect_uris = fields.redirect_uris.unwrap_or_default();
    let post_logout = fields.post_logout_redirect_uris.unwrap_or_default();
    if backend_service {
        // No user, no browser: a backend service never sees /oauth2/authorize.
        if !redirect_uris.is_empty() || !post_logout.is_empty() {
            return Err(Error::invalid(
                "redirect_uris",
                "a backend service has no redirect URIs",
            ));
        }
    } else {
        check_uris("redirect_uris", &redirect_uris, true)?;
        check_uris("post_logout_redirect_uris", &post_logout, false)?;
    }
    let scopes = match fields.scopes {
        Some(s) => s,
        None if backend_service => {
            return Err(Error::invalid(
                "scopes",
                "a backend service must list its system scopes",
            ));
        }
        None => vec!["openid".to_owned()],
    };
    check_scopes(&scopes, backend_service)?;
    let alg = check_alg(
        fields
            .id_token_signed_response_alg
            .as_deref()
            .unwrap_or("RS256"),
    )?;
    let secret = (auth.method == AuthMethod::ClientSecret)
        .then(|| format!("{CLIENT_SECRET_PREFIX}{}", secrets::new_token()));
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
            token_endpoint_auth_method: auth.method.as_str().to_owned(),
            jwks: auth.jwks,
            backend_service,
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
            .detail(json!({
                "client_id": client_id,
                "name": name,
                "public": public,
                "token_endpoint_auth_method": auth.method.as_str(),
                "backend_service": backend_service,
            })),
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

/// Changes a client. Its id, type, authentication method and secret stay; a `private_key_jwt`
/// client's keys may be replaced (a rotation registers the new key alongside the old first).
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
    let backend = found.backend_service;
    if let Some(jwks) = &fields.jwks {
        if found.token_endpoint_auth_method != AuthMethod::PrivateKeyJwt.as_str() {
            return Err(Error::invalid(
                "jwks",
                "is only for private_key_jwt clients",
            ));
        }
        changes.jwks = Some(check_jwks(jwks)?);
    }
    if let Some(name) = &fields.name {
        changes.name = Some(check_name(name)?);
    }
    if let Some(uris) = &fields.redirect_uris {
        check_uris("redirect_uris", uris, !backend)?;
        if backend && !uris.is_empty() {
            return Err(Error::invalid(
                "redirect_uris",
                "a backend service has no redirect URIs",
            ));
        }
        changes.redirect_uris = Some(to_json(uris));
    }
    if let Some(uris) = &fields.post_logout_redirect_uris {
        check_uris("post_logout_redirect_uris", uris, false)?;
        changes.post_logout_redirect_uris = Some(to_json(uris));
    }
    if let Some(scopes) = &fields.scopes {
        check_scopes(scopes, backend)?;
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
    let ended = session_rows::end_live(
        &txn,
        session_rows::Live::OfClient(client_id),
        ending::ended::CLIENT_DELETED,
        now,
    )
    .await?;
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
