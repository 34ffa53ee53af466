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
    /// `https` URIs, or `http` on the loopback address; matched exactly.
    pub redirect_uris: Vec<String>,
    /// `true` for apps that cannot keep a secret (no secret is issued). Default `false`.
    #[oai(default)]
    #[serde(default, deserialize_with = "crate::api::json::null_as_default")]
    pub public: bool,
    /// Allowed scopes: `openid`, `profile`, `email`, `offline_access`, `launch/patient`,
    /// SMART `patient/<Resource>.<permissions>`. Default `["openid"]`.
    pub scopes: Option<Vec<String>>,
    #[oai(default)]
    #[serde(default, deserialize_with = "crate::api::json::null_as_default")]
    pub post_logout_redirect_uris: Vec<String>,
    /// `RS256` (default) or `EdDSA`.
    pub id_token_signed_response_alg: Option<String>,
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
        };
        let (client, secret) =
            oauth_clients::create(&state.db, &staff.0, b.public, fields, &meta, state.now())
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

    /// Change a client's name, URIs, scopes or ID-token algorithm.
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
