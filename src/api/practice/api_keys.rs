use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::domain::role::Role;
use crate::error::{Error, Result};
use crate::service::practice::api_keys::{self, ApiKey};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

/// A staff API key, without its secret.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ApiKeyView {
    pub id: Uuid,
    pub role: Role,
    pub label: String,
    /// The first characters of the key, to tell keys apart.
    pub key_prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<ApiKey> for ApiKeyView {
    type Error = Error;
    fn try_from(k: ApiKey) -> Result<Self> {
        Ok(Self {
            id: k.id,
            role: k.role,
            label: k.label,
            key_prefix: k.key_prefix,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        })
    }
}

/// A key to create.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct NewApiKeyBody {
    pub role: Role,
    /// What the key is for, like "EHR integration".
    pub label: String,
}

/// A new key. `key` is shown this once and never again.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreatedApiKey {
    pub id: Uuid,
    pub role: Role,
    pub label: String,
    pub key: String,
    pub created_at: DateTime<Utc>,
}

#[derive(ApiResponse)]
pub enum ApiKeyCreated {
    /// The key was created; store `key` now.
    #[oai(status = 201)]
    Created(Json<CreatedApiKey>),
}

#[derive(Default)]
pub struct ApiKeysApi;

#[OpenApi(prefix_path = "/api/v1/practice", tag = "ApiTags::ApiKeys")]
impl ApiKeysApi {
    /// Create a staff API key for this practice.
    ///
    /// Roles: admin.
    #[oai(path = "/api-keys", method = "post", operation_id = "createApiKey")]
    async fn create(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        body: JsonBody<NewApiKeyBody>,
    ) -> Result<ApiKeyCreated> {
        let (model, key) = api_keys::create(
            &state.db,
            &staff.0,
            body.0.role,
            &body.0.label,
            &meta,
            state.now(),
        )
        .await?;
        Ok(ApiKeyCreated::Created(Json(CreatedApiKey {
            id: model.id,
            role: body.0.role,
            label: model.label,
            key,
            created_at: model.created_at,
        })))
    }

    /// List this practice's keys (never their secrets).
    ///
    /// Roles: admin.
    #[oai(path = "/api-keys", method = "get", operation_id = "listApiKeys")]
    async fn list(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
    ) -> Result<Json<Vec<ApiKeyView>>> {
        let keys = api_keys::list(&state.db, &staff.0).await?;
        Ok(Json(
            keys.into_iter()
                .map(ApiKeyView::try_from)
                .collect::<Result<_>>()?,
        ))
    }

    /// Revoke a key at once. The last admin key cannot be revoked.
    ///
    /// Roles: admin.
    #[oai(
        path = "/api-keys/:id",
        method = "delete",
        operation_id = "revokeApiKey"
    )]
    async fn revoke(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
    ) -> Result<Json<ApiKeyView>> {
        let key = api_keys::revoke(&state.db, &staff.0, id.0, &meta, state.now()).await?;
        ApiKeyView::try_from(key).map(Json)
    }
}
