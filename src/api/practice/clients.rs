//! `/api/v1/practice/clients`: the practice's OpenID Connect clients (admin keys only).

use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::error::Result;
use crate::service::oauth_clients::{self, Client, ClientFields};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;

/// An OpenID Connect client, without its secret.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ClientView {
    pub client_id: String,
    pub name: String,
    /// Public clients (apps that cannot keep a secret) authenticate with PKCE alone.
    pub public: bool,
    /// Exact redirect URIs; `/oauth2/authorize` accepts no other.
    pub redirect_uris: Vec<String>,
    /// Where `/oauth2/logout` may send the browser afterwards.
    pub post_logout_redirect_uris: Vec<String>,
    /// The scopes the client may ask for.
    pub scopes: Vec<String>,
    /// `RS256` (the default) or `EdDSA`.
    pub id_token_signed_response_alg: String,
    /// `none` (public clients), `client_secret_basic` (a secret, sent with Basic or in the
    /// form) or `private_key_jwt` (an assertion signed with a key of `jwks`).
    pub token_endpoint_auth_method: String,
    /// The public keys (a JWK Set) of a `private_key_jwt` client.
    pub jwks: Option<serde_json::Value>,
    /// A SMART backend service: `client_credentials` with `system/` scopes only.
    pub backend_service: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Client> for ClientView {
    fn from(c: Client) -> Self {
        Self {
            client_id: c.model.client_id,
            name: c.model.name,
            public: c.model.public,
            redirect_uris: c.redirect_uris,
            post_logout_redirect_uris: c.post_logout_redirect_uris,
            scopes: c.scopes,
            id_token_signed_response_alg: c.id_token_alg.as_str().to_owned(),
            token_endpoint_auth_method: c.auth_method.as_str().to_owned(),
            jwks: c
                .model
                .jwks
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok()),
            backend_service: c.model.backend_service,
            created_at: c.model.created_at,
            updated_at: c.model.updated_at,
        }
    }
}

/// A client to register.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct NewClientBody {
    pub name: String,
    /// `https` URIs, or `http` on the loopback address; matched exactly. At least one, except
    /// for a backend service, which has none.
    #[oai(default)]
    #[serde(default, deserialize_with = "crate::api::json::null_as_default")]
    pub redirect_uris: Vec<String>,
    /// `true` for apps that cannot keep a secret (no secret is issued). Default `false`.
    #[oai(default)]
    #[serde(default, deserialize_with = "crate::api::json::null_as_default")]
    pub public: bool,
    /// Allowed scopes: `openid`, `profile`, `email`, `offline_access`, `launch`,
    /// `launch/patient`, `fhirUser`, SMART `patient/<Resource>.<permissions>`; for a backend
    /// service only `system/<Resource>.<permissions>`. Default `["openid"]` (a backend service
    /// must list its scopes).
    pub scopes: Option<Vec<String>>,
    #[oai(default)]
    #[serde(default, deserialize_with = "crate::api::json::null_as_default")]
    pub post_logout_redirect_uris: Vec<String>,
    /// `RS256` (default) or `EdDSA`.
    pub id_token_signed_response_alg: Option<String>,
    /// `none` (the only one, and the default, for public clients), `client_secret_basic` or
    /// `client_secret_post` (the default for confidential clients; either way of sending the
    /// secret is accepted), or `private_key_jwt` (the default with `jwks` or for a backend
    /// service). Fixed once registered.
    pub token_endpoint_auth_method: Option<String>,
    /// For `private_key_jwt`: a JWK Set of public keys, each with a `kid`: RSA (2048 bits or
    /// more; RS256 or RS384), EC P-256 (ES256), EC P-384 (ES384) or OKP Ed25519 (EdDSA). A
    /// key's `alg`, when given, pins it to that one algorithm.
    pub jwks: Option<serde_json::Value>,
    /// `true` for a SMART backend service (`client_credentials`, `system/` scopes, no redirect
    /// URIs, `private_key_jwt`). Default `false`; fixed once registered.
    #[oai(default)]
    #[serde(default, deserialize_with = "crate::api::json::null_as_default")]
    pub backend_service: bool,
}

/// A change to a client: fields left out stay as they are.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct ClientPatchBody {
    pub name: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub scopes: Option<Vec<String>>,
    pub id_token_signed_response_alg: Option<String>,
    /// Replaces a `private_key_jwt` client's keys (list the new key alongside the old one
    /// while the client switches over).
    pub jwks: Option<serde_json::Value>,
}

/// A new client. `client_secret` (confidential clients only) is shown this once.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreatedClient {
    pub client_secret: Option<String>,
    #[oai(flatten)]
    pub client: ClientView,
}

#[derive(ApiResponse)]
pub enum ClientCreated {
    /// The client was registered; store `client_secret` now.
    #[oai(status = 201)]
    Created(Json<CreatedClient>),
}

#[derive(ApiResponse)]
pub enum ClientDeleted {
    /// The client is gone, and the sessions it started have ended.
    #[oai(status = 204)]
    Deleted,
}

#[derive(Default)]
pub struct ClientsApi;

#[OpenApi(prefix_path = "/api/v1/practice", tag = "ApiTags::Clients")]
impl ClientsApi {
    /// Register an OpenID Connect client for this practice.
    ///
    /// Roles: admin.
    #[oai(path = "/clients", method = "post", operation_id = "createClient")]
    async fn create(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        body: JsonBody<NewClientBody>,
    ) -> Result<ClientCreated> {
        let b = body.0;
        let fields = ClientFields {
            name: Some(b.name),
            redirect_uris: Some(b.redirect_uris),
            post_logout_redirect_uris: Some(b.post_logout_redirect_uris),
            scopes: b.scopes,
            id_token_signed_response_alg: b.id_token_signed_response_alg,
            token_endpoint_auth_method: b.token_endpoint_auth_method,
            jwks: b.jwks,
        };
        let (client, secret) = oauth_clients::create(
            &state.db,
            &staff.0,
            b.public,
            b.backend_service,
            fields,
            &meta,
            state.now(),
        )
        .await?;
        Ok(ClientCreated::Created(Json(CreatedClient {
            client_secret: secret,
            client: client.into(),
        })))
    }

    /// List this practice's clients (never their secrets).
    ///
    /// Roles: admin.
    #[oai(path = "/clients", method = "get", operation_id = "listClients")]
    async fn list(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
    ) -> Result<Json<Vec<ClientView>>> {
        let clients = oauth_clients::list(&state.db, &staff.0).await?;
        Ok(Json(clients.into_iter().map(ClientView::from).collect()))
    }

    /// One of this practice's clients.
    ///
    /// Roles: admin.
    #[oai(
        path = "/clients/:client_id",
        method = "get",
        operation_id = "getClient"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        client_id: Path<String>,
    ) -> Result<Json<ClientView>> {
        let c = oauth_clients::get(&state.db, &staff.0, &client_id.0).await?;
        Ok(Json(c.into()))
    }

    /// Change a client's name, URIs, scopes, ID-token algorithm or (`private_key_jwt`) keys.
    ///
    /// Roles: admin.
    #[oai(
        path = "/clients/:client_id",
        method = "patch",
        operation_id = "updateClient"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        client_id: Path<String>,
        body: JsonBody<ClientPatchBody>,
    ) -> Result<Json<ClientView>> {
        let b = body.0;
        let fields = ClientFields {
            name: b.name,
            redirect_uris: b.redirect_uris,
            post_logout_redirect_uris: b.post_logout_redirect_uris,
            scopes: b.scopes,
            id_token_signed_response_alg: b.id_token_signed_response_alg,
            token_endpoint_auth_method: None,
            jwks: b.jwks,
        };
        let c = oauth_clients::update(&state, &staff.0, &client_id.0, fields, &meta, state.now())
            .await?;
        Ok(Json(c.into()))
    }

    /// Delete a client. Its codes are discarded and the sessions it started end at once.
    ///
    /// Roles: admin.
    #[oai(
        path = "/clients/:client_id",
        method = "delete",
        operation_id = "deleteClient"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        client_id: Path<String>,
    ) -> Result<ClientDeleted> {
        oauth_clients::delete(&state, &staff.0, &client_id.0, &meta, state.now()).await?;
        Ok(ClientDeleted::Deleted)
    }
}
