//! What OpenID Connect clients and resource servers ask about tokens: userinfo (OpenID Connect
//! Core §5.3), introspection (RFC 7662) and revocation (RFC 7009). Every answer re-checks the
//! database, so a block, a revoke or a logout shows at once, not when the token expires.

use crate::auth::tokens;
use crate::domain::access::AccessStatus;
use crate::domain::login::PracticeStanding;
use crate::domain::oauth::{
    SCOPE_EMAIL, SCOPE_OPENID, SCOPE_PROFILE, parse_scope, wants_patient_context,
};
use crate::error::Error;
use crate::service::oauth::client_credentials;
use crate::service::oauth::clients::Client;
use crate::service::oauth::errors::OAuthError;
use crate::service::sessions::ending::{self, ended};
use crate::service::sessions::patient_auth;
use crate::state::AppState;
use crate::store::access_rows;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{access, accounts};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde_json::{Map, Value, json};

/// The claims about the signed-in person that the access token's scopes allow.
pub async fn userinfo(
    state: &AppState,
    access_token: &str,
    now: DateTime<Utc>,
) -> Result<Value, OAuthError> {
    let principal = patient_auth::authenticate(state, access_token, now)
        .await
        .map_err(|e| match e {
            Error::Internal(_) | Error::Unavailable => OAuthError::Server(e),
            e if e.is_practice_refusal() => OAuthError::InvalidToken(e.to_string()),
            _ => OAuthError::InvalidToken("The access token is not valid.".into()),
        })?;
    let scopes = parse_scope(&principal.claims.scope);
    let has = |s: &str| scopes.iter().any(|g| g == s);
    if !has(SCOPE_OPENID) {
        return Err(OAuthError::InsufficientScope(
            "The access token was not issued with the openid scope.".into(),
        ));
    }
    let a = &principal.account;
    let mut out = Map::new();
    out.insert("sub".into(), json!(a.id.to_string()));
    if has(SCOPE_PROFILE) {
        let name = [a.first_name.as_deref(), a.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if !name.is_empty() {
            out.insert("name".into(), json!(name));
        }
        if let Some(g) = &a.first_name {
            out.insert("given_name".into(), json!(g));
        }
        if let Some(f) = &a.last_name {
            out.insert("family_name".into(), json!(f));
        }
        out.insert("preferred_username".into(), json!(a.username));
    }
    if has(SCOPE_EMAIL)
        && let Some(email) = &a.email
    {
        out.insert("email".into(), json!(email));
        out.insert(
            "email_verified".into(),
            json!(a.email_verified_at.is_some()),
        );
    }
    // SMART App Launch: who the user is in FHIR terms, and the patient in context.
    if let Some(f) = &principal.claims.fhir_user {
        out.insert("fhirUser".into(), json!(f));
    }
    if let Some(p) = principal.claims.patient {
        out.insert("patient".into(), json!(p));
    }
    if let Some(act) = &principal.claims.act {
        out.insert("act".into(), json!(act));
    }
    let at = &principal.at;
    out.insert(
        "practice".into(),
        json!({"id": at.practice_id, "slug": at.slug, "name": at.name}),
    );
    if has(SCOPE_PROFILE) || wants_patient_context(scopes.iter().map(String::as_str)) {
        let patients: Vec<Value> = at
            .active()
            .map(|r| {
                json!({
                    "id": r.patient_id,
                    "first_name": r.patient_first_name,
                    "relation": r.relation,
                })
            })
            .collect();
        out.insert("patients".into(), json!(patients));
    }
    Ok(Value::Object(out))
}

/// Leaves out the members a token does not have (`patient`, `act`, `fhirUser`), rather than
/// answering `null` for them.
fn without_nulls(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.retain(|_, x| !x.is_null());
    }
    v
}

fn inactive() -> Value {
    json!({"active": false})
}

/// RFC 7662 introspection for a client of a practice. Tokens of another practice, ended
/// sessions and blocked or revoked patients are `{"active": false}`.
pub async fn introspect(
    state: &AppState,
    client: &Client,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Value, OAuthError> {
    let issuer = state.settings.issuer();
    if let Ok(claims) = tokens::verify_access_token(&state.keys, token, issuer, now).await {
        if claims.practice.id != client.model.practice_id {
            return Ok(inactive());
        }
        // Session live, access still active: the same check as every API call.
        return match patient_auth::check_live(state, claims, now).await {
            Ok(p) => Ok(json!({
                "active": true,
                "token_type": "Bearer",
                "scope": p.claims.scope,
                "client_id": p.claims.client_id,
                "sub": p.claims.sub,
                "username": p.account.username,
                "aud": p.claims.aud,
                "iss": p.claims.iss,
                "exp": p.claims.exp,
                "iat": p.claims.iat,
                "jti": p.claims.jti,
                "practice": p.claims.practice,
                // Live: a patient whose access ended since the token was signed is gone.
                "patients": p.live_patients(),
                "patient": p.claims.patient,
                "act": p.claims.act,
                "fhirUser": p.claims.fhir_user,
            }))
            .map(without_nulls),
            Err(Error::Internal(e)) => Err(OAuthError::Server(Error::Internal(e))),
            Err(_) => Ok(inactive()),
        };
    }
    if let Some(answer) = client_credentials::introspect(state, client, token, now).await? {
        return Ok(answer);
    }
    let Some((rt, session)) = ending::find(&state.db, token).await? else {
        return Ok(inactive());
    };
    // A refresh token is only ever shown to the client it was issued to.
    if session.client_id.as_deref() != Some(client.model.client_id.as_str())
        || rt.used_at.is_some()
        || rt.idle_expires_at <= now
        || session.revoked_at.is_some()
        || session.expires_at <= now
    {
        return Ok(inactive());
    }
    let Some(account) = accounts::find(&state.db, session.account_id).await? else {
        return Ok(inactive());
    };
    if account
        .sessions_valid_after
        .is_some_and(|t| session.created_at < t)
    {
        return Ok(inactive());
    }
    let at = access_rows::at_practice(&state.db, session.account_id, session.practice_id).await?;
    if at.as_ref().and_then(|a| a.standing()) != Some(PracticeStanding::Active) {
        return Ok(inactive());
    }
    // Active, but a consent may have run out since the lapse job last ran.
    let usable = access::count_with_current_consent(
        &state.db,
        session.account_id,
        session.practice_id,
        AccessStatus::Active,
        now,
    )
    .await?;
    if usable == 0 {
        return Ok(inactive());
    }
    Ok(json!({
        "active": true,
        "token_type": "refresh_token",
        "scope": session.scope,
        "client_id": session.client_id,
        "sub": session.account_id.to_string(),
        "username": account.username,
        "iss": issuer,
        "exp": Ord::min(rt.idle_expires_at, session.expires_at).timestamp(),
        "iat": rt.created_at.timestamp(),
    }))
}

/// RFC 7009 revocation: a refresh token or an access token of this client ends its session
/// (so the other tokens of the grant stop working too). Anything else is ignored: the answer
/// is the same either way.
pub async fn revoke(
    state: &AppState,
    client: &Client,
    token: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<(), OAuthError> {
    let own = Some(client.model.client_id.as_str());
    let session_id = match ending::find(&state.db, token).await? {
        Some((_, session)) if session.client_id.as_deref() == own => Some(session.id),
        Some(_) => None,
        None => {
            match tokens::verify_access_token(&state.keys, token, state.settings.issuer(), now)
                .await
            {
                Ok(claims) if claims.client_id == client.model.client_id => Some(claims.sid),
                Ok(_) => None,
                Err(_) => {
                    client_credentials::refuse_revocation(state, client, token, now).await?;
                    None
                }
            }
        }
    };
    let Some(session_id) = session_id else {
        return Ok(());
    };
    let txn = state.db.begin().await?;
    if ending::end_one(&txn, session_id, ended::TOKEN_REVOKED, now).await? {
        audit::record(
            &txn,
            meta,
            Event::new("oauth.token_revoked", Actor::Anonymous)
                .practice(client.model.practice_id)
                .detail(json!({"client_id": client.model.client_id, "session_id": session_id})),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}
