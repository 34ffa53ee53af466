//! Helpers for logging in, tokens and access changes, one per endpoint, plus the one fixture
//! that gives an account portal access.

use crate::helpers::TestApp;
use portico::domain::access::{AccessStatus, Relation};
use portico::domain::username::Username;
use portico::service::accounts::logins::{self, NewAccount};
use portico::store::portal_access;
use reqwest::{Method, Response};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};
use uuid::Uuid;

/// An account with active portal access to one patient.
#[derive(Debug, Clone)]
pub struct SeededAccount {
    pub account_id: Uuid,
    pub patient_id: Uuid,
    pub access_id: Uuid,
    pub username: String,
    pub password: String,
}

/// A password that passes the policy.
pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// THE fixture for accounts with portal access. Creates the patient over HTTP with
    /// `practice_key`, then the account `username` (unless it exists: a parent of three or a
    /// patient of two practices is one account) with a real argon2 hash of `password`, then
    /// an active `portal_access` row, all through the real store. The account's email is the
    /// patient's for `relation: "self"`.
    ///
    /// It stands in for "invite, then redeem as a new or existing account" (issue 4's flow,
    /// tested end to end in `regrant_after_revoke_…`): switch it here and every login test
    /// follows.
    pub async fn seed_portal_account(
        &self,
        practice_key: &str,
        patient: Value,
        username: &str,
        password: &str,
        relation: &str,
    ) -> SeededAccount {
        let created = self.create_patient(practice_key, patient).await;
        let patient_id: Uuid = created["id"].as_str().unwrap().parse().unwrap();
        let settings: Value = self
            .get("/api/v1/practice/settings", practice_key)
            .await
            .json()
            .await
            .unwrap();
        let practice_id: Uuid = settings["id"].as_str().unwrap().parse().unwrap();
        let now = self.clock_now();
        let db = &self.state.db;
        let account = match logins::find_by_username(db, username).await.unwrap() {
            Some(a) => a,
            None => {
                let email = (relation == "self")
                    .then(|| created["email"].as_str())
                    .flatten()
                    .map(|e| portico::domain::contact::EmailAddress::parse("email", e).unwrap());
                let new = NewAccount {
                    username: Username::parse(username).unwrap(),
                    email,
                    email_verified: true,
                    mobile: (relation == "self")
                        .then(|| created["mobile"].as_str())
                        .flatten()
                        .map(|m| {
                            portico::domain::contact::MobileNumber::parse("mobile", m).unwrap()
                        }),
                    password_hash: self.state.hasher.hash(password).await.unwrap(),
                    must_change_password: false,
                    first_name: (relation == "self")
                        .then(|| created["first_name"].as_str().unwrap().to_owned()),
                    last_name: (relation == "self")
                        .then(|| created["last_name"].as_str().unwrap().to_owned()),
                    date_of_birth: None,
                };
                logins::insert(db, new, now).await.unwrap()
            }
        };
        let access = portal_access::ActiveModel {
            id: Set(Uuid::now_v7()),
            practice_id: Set(practice_id),
            patient_id: Set(patient_id),
            account_id: Set(Some(account.id)),
            relation: Set(serde_json::from_value::<Relation>(json!(relation)).unwrap()),
            status: Set(AccessStatus::Active),
            invited_at: Set(Some(now)),
            registered_at: Set(Some(now)),
            last_login_at: Set(None),
            blocked_at: Set(None),
            block_reason: Set(None),
            unblocked_at: Set(None),
            revoked_at: Set(None),
            revoke_reason: Set(None),
            expired_at: Set(None),
            consented_at: Set(None),
            consent_expires_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await
        .unwrap();
        SeededAccount {
            account_id: account.id,
            patient_id,
            access_id: access.id,
            username: username.to_owned(),
            password: password.to_owned(),
        }
    }

    /// An account the front desk created with a temporary password (seed 001), which must be
    /// changed at the first login: `POST /api/v1/practice/patients/{id}/accounts`.
    pub async fn seed_staff_created_account(
        &self,
        practice_key: &str,
        patient: Value,
        username: &str,
    ) -> SeededAccount {
        let created = self.create_patient(practice_key, patient).await;
        let patient_id = created["id"].as_str().unwrap();
        let r = self
            .post(
                &format!("/api/v1/practice/patients/{patient_id}/accounts"),
                practice_key,
                json!({ "username": username }),
            )
            .await;
        assert_eq!(
            r.status(),
            201,
            "staff-created account: {}",
            r.text().await.unwrap()
        );
        let body: Value = r.json().await.unwrap();
        SeededAccount {
            account_id: body["account_id"].as_str().unwrap().parse().unwrap(),
            patient_id: patient_id.parse().unwrap(),
            access_id: body["access"]["id"].as_str().unwrap().parse().unwrap(),
            username: username.to_owned(),
            password: body["temporary_password"].as_str().unwrap().to_owned(),
        }
    }

    /// `POST /api/v1/login`.
    pub async fn login(&self, username: &str, password: &str, practice: Option<&str>) -> Response {
        let mut body = json!({"username": username, "password": password});
        if let Some(p) = practice {
            body["practice"] = json!(p);
        }
        self.call(Method::POST, "/api/v1/login", None, Some(body))
            .await
    }

    /// Logs in and returns the token response, failing the test otherwise.
    pub async fn login_tokens(&self, account: &SeededAccount, practice: Option<&str>) -> Value {
        let r = self
            .login(&account.username, &account.password, practice)
            .await;
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "login: {body}");
        assert!(body["access_token"].is_string(), "login: {body}");
        body
    }

    /// `POST /api/v1/login/password-change`.
    pub async fn change_password_at_login(&self, token: &str, new_password: &str) -> Response {
        self.call(
            Method::POST,
            "/api/v1/login/password-change",
            None,
            Some(json!({"password_change_token": token, "new_password": new_password})),
        )
        .await
    }

    /// `POST /api/v1/token/refresh`.
    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.call(
            Method::POST,
            "/api/v1/token/refresh",
            None,
            Some(json!({"refresh_token": refresh_token})),
        )
        .await
    }

    /// `POST /api/v1/logout`.
    pub async fn logout(&self, refresh_token: &str) -> Response {
        self.call(
            Method::POST,
            "/api/v1/logout",
            None,
            Some(json!({"refresh_token": refresh_token})),
        )
        .await
    }

    /// `GET /api/v1/me` with an access token.
    pub async fn me(&self, access_token: &str) -> Response {
        self.get("/api/v1/me", access_token).await
    }

    /// `GET /api/v1/me/practices`.
    pub async fn my_practices(&self, access_token: &str) -> Response {
        self.get("/api/v1/me/practices", access_token).await
    }

    async fn access_change(
        &self,
        key: &str,
        access_id: Uuid,
        action: &str,
        reason: Option<&str>,
    ) -> Response {
        let path = format!("/api/v1/practice/access/{access_id}/{action}");
        match reason {
            Some(r) => self.post(&path, key, json!({"reason": r})).await,
            None => self.call(Method::POST, &path, Some(key), None).await,
        }
    }

    /// `POST /api/v1/practice/access/{id}/block`.
    pub async fn block_access(&self, key: &str, access_id: Uuid, reason: Option<&str>) -> Response {
        self.access_change(key, access_id, "block", reason).await
    }

    /// `POST /api/v1/practice/access/{id}/unblock`.
    pub async fn unblock_access(
        &self,
        key: &str,
        access_id: Uuid,
        reason: Option<&str>,
    ) -> Response {
        self.access_change(key, access_id, "unblock", reason).await
    }

    /// `POST /api/v1/practice/access/{id}/revoke`.
    pub async fn revoke_access(
        &self,
        key: &str,
        access_id: Uuid,
        reason: Option<&str>,
    ) -> Response {
        self.access_change(key, access_id, "revoke", reason).await
    }

    /// `GET /api/v1/practice/patients/{id}/access`: the one access of this account.
    pub async fn access_view(&self, key: &str, seeded: &SeededAccount) -> Value {
        let r = self
            .get(
                &format!("/api/v1/practice/patients/{}/access", seeded.patient_id),
                key,
            )
            .await;
        assert_eq!(r.status(), 200);
        let all: Vec<Value> = r.json().await.unwrap();
        all.into_iter()
            .find(|a| a["id"] == seeded.access_id.to_string())
            .expect("the access is listed")
    }

    /// `GET /oauth2/jwks`.
    pub async fn jwks(&self) -> Response {
        self.client
            .get(self.url("/oauth2/jwks"))
            .send()
            .await
            .unwrap()
    }

    /// `GET /api/v1/practice/audit-events?{query}`.
    pub async fn audit_events(&self, key: &str, query: &str) -> Response {
        self.get(&format!("/api/v1/practice/audit-events?{query}"), key)
            .await
    }

    /// The issuer tokens carry (the configured public URL).
    pub fn issuer(&self) -> String {
        self.state.settings.issuer().to_owned()
    }
}

/// A patient body for the fixture.
pub fn patient(first: &str, last: &str, email: &str) -> Value {
    json!({"first_name": first, "last_name": last, "date_of_birth": "1990-04-01", "email": email})
}

/// The JWT payload, decoded without verification (tests only look at what a token says).
pub fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// An instant in a response, parsed (the wire form is RFC 3339).
pub fn instant(v: &Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(
        v.as_str().unwrap_or_else(|| panic!("not an instant: {v}")),
    )
    .unwrap()
    .to_utc()
}

/// The test clock's start plus `h` hours and `m` minutes.
pub fn epoch_plus(h: i64, m: i64) -> chrono::DateTime<chrono::Utc> {
    crate::helpers::test_epoch() + chrono::TimeDelta::hours(h) + chrono::TimeDelta::minutes(m)
}
