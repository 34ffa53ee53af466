//! A registered OAuth client as the server uses it: the stored row with its JSON lists, scopes
//! and keys parsed once, kept in the process's client cache (`AppState::clients`).

use crate::crypto::client_keys::ClientKeys;
use crate::crypto::secrets;
use crate::domain::oauth::Scope;
use crate::domain::oauth_client::{AuthMethod, IdTokenAlg};
use crate::error::{Error, Result};
use crate::store::oauth_client;

/// A client as it is stored, with its JSON lists parsed.
#[derive(Debug, Clone)]
pub struct Client {
    pub model: oauth_client::Model,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    /// `scopes` parsed; a stored scope Portico no longer knows grants nothing.
    pub registered: Vec<Scope>,
    pub id_token_alg: IdTokenAlg,
    pub auth_method: AuthMethod,
    /// The registered keys of a `private_key_jwt` client, parsed (empty for others).
    pub keys: ClientKeys,
}

impl Client {
    pub(crate) fn from_model(model: oauth_client::Model) -> Result<Self> {
        let list = |raw: &str| -> Result<Vec<String>> {
            serde_json::from_str(raw).map_err(|e| Error::internal(anyhow::anyhow!(e)))
        };
        let scopes = list(&model.scopes)?;
        let auth_method = match AuthMethod::parse(&model.token_endpoint_auth_method) {
            _ if model.public => AuthMethod::None,
            Some(m) => m,
            // A method this version does not know: a secret, which such a client has not.
            None => AuthMethod::ClientSecret,
        };
        // Checked at registration; a stored set that no longer parses verifies nothing.
        let keys = match &model.jwks {
            Some(raw) => serde_json::from_str(raw)
                .ok()
                .and_then(|v| ClientKeys::parse(&v).ok())
                .unwrap_or_default(),
            None => ClientKeys::default(),
        };
        Ok(Self {
            auth_method,
            keys,
            redirect_uris: list(&model.redirect_uris)?,
            post_logout_redirect_uris: list(&model.post_logout_redirect_uris)?,
            registered: scopes.iter().filter_map(|s| Scope::parse(s).ok()).collect(),
            scopes,
            id_token_alg: IdTokenAlg::parse(&model.id_token_alg).unwrap_or(IdTokenAlg::Rs256),
            model,
        })
    }

    /// Exact, byte-for-byte match (RFC 9700 §4.1.3).
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|u| u == uri)
    }

    pub fn has_post_logout_redirect_uri(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris.iter().any(|u| u == uri)
    }

    /// Whether a registered scope covers `asked` (`patient/*.rs` covers
    /// `patient/Observation.r`: `Scope::covers`).
    pub fn covers(&self, asked: &Scope) -> bool {
        self.registered.iter().any(|r| r.covers(asked))
    }

    pub fn allows_scope(&self, scope: &str) -> bool {
        Scope::parse(scope).is_ok_and(|s| self.covers(&s))
    }

    /// Checks a confidential client's secret in constant time; public clients have none.
    pub fn secret_matches(&self, presented: &str) -> bool {
        let Some(stored) = &self.model.secret_hash else {
            return false;
        };
        let hash = secrets::hash_token(presented);
        secrets::constant_time_eq(stored.as_bytes(), hash.as_bytes())
    }
}
