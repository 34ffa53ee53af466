//! Helpers for invitations, redemption, sign-up and staff-created accounts: one per endpoint,
//! so tests read as what staff and patients do.

use crate::helpers::TestApp;
use crate::mailbox::{self, Mail};
use portico::store::entities::{account, audit_event, outbox};
use reqwest::{Method, Response};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

/// A strong password no context check trips over.
pub const PASSWORD: &str = "correct horse battery staple";

/// An adult patient with every detail on file.
pub fn ann() -> Value {
    json!({"first_name": "Ann", "last_name": "Lee", "date_of_birth": "1990-04-01",
           "email": "ann@example.org", "mobile": "+15550100123", "postal_code": "97201"})
}

/// The token at the end of an invitation or verification link, as the page there reads it.
pub fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_owned()
}

/// A body for redeeming as the patient with a new account.
pub fn new_account(username: &str, date_of_birth: &str) -> Value {
    json!({"account": "new", "username": username, "password": PASSWORD,
           "date_of_birth": date_of_birth})
}

impl TestApp {
    /// Staff: send an invitation for a patient.
    pub async fn send_invitation(&self, key: &str, patient_id: &str, body: Value) -> Response {
        self.post(
            &format!("/api/v1/practice/patients/{patient_id}/invitations"),
            key,
            body,
        )
        .await
    }

    /// Staff: send the patient their own invitation by `channel`; asserts it was accepted.
    pub async fn invite_self(&self, key: &str, patient_id: &str, channel: &str) -> Value {
        let r = self
            .send_invitation(
                key,
                patient_id,
                json!({"channel": channel, "relation": "self"}),
            )
            .await;
        assert_eq!(r.status(), 201, "invite: {}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    /// Staff: a patient's invitations with their delivery state.
    pub async fn list_invitations(&self, key: &str, patient_id: &str) -> Response {
        self.get(
            &format!("/api/v1/practice/patients/{patient_id}/invitations"),
            key,
        )
        .await
    }

    /// Staff: who has access to a patient's record.
    pub async fn access_of(&self, key: &str, patient_id: &str) -> Vec<Value> {
        let r = self
            .get(
                &format!("/api/v1/practice/patients/{patient_id}/access"),
                key,
            )
            .await;
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// Patient: open an invitation link.
    pub async fn open_invitation(&self, token: &str) -> Response {
        self.call(
            Method::GET,
            &format!("/api/v1/invitations/{token}"),
            None,
            None,
        )
        .await
    }

    /// Patient: redeem an invitation link.
    pub async fn redeem_invitation(&self, token: &str, body: Value) -> Response {
        self.call(
            Method::POST,
            &format!("/api/v1/invitations/{token}/redeem"),
            None,
            Some(body),
        )
        .await
    }

    /// Staff: create an account for a patient (temporary password).
    pub async fn create_patient_account(
        &self,
        key: &str,
        patient_id: &str,
        username: &str,
    ) -> Response {
        self.post(
            &format!("/api/v1/practice/patients/{patient_id}/accounts"),
            key,
            json!({ "username": username }),
        )
        .await
    }

    /// Staff: turn on a sign-up whose email was never confirmed.
    pub async fn activate_access(&self, key: &str, access_id: &str) -> Response {
        self.call(
            Method::POST,
            &format!("/api/v1/practice/access/{access_id}/activate"),
            Some(key),
            None,
        )
        .await
    }

    /// Anyone: sign up at a practice.
    pub async fn register(&self, body: Value) -> Response {
        self.call(Method::POST, "/api/v1/registrations", None, Some(body))
            .await
    }

    /// Patient: confirm an email address with the token from the link.
    pub async fn verify_email(&self, token: &str) -> Response {
        self.call(
            Method::POST,
            "/api/v1/email-verifications",
            None,
            Some(json!({ "token": token })),
        )
        .await
    }

    /// Staff (admin): change the practice's settings.
    pub async fn set_settings(&self, admin_key: &str, patch: Value) {
        let r = self
            .patch("/api/v1/practice/settings", admin_key, patch)
            .await;
        assert_eq!(r.status(), 200, "settings: {}", r.text().await.unwrap());
    }

    /// The prefix of every invitation link in messages.
    pub fn invite_prefix(&self) -> String {
        format!("{}/invite/", self.state.settings.issuer())
    }

    /// Waits for the `n`th email to `to` and returns it with the invitation link in it.
    pub async fn invitation_mail(&self, to: &str, n: usize) -> (Mail, String) {
        let mails = mailbox::wait_for_mail(&self.mail_dir(), to, n).await;
        let mail = mails[n - 1].clone();
        let link = mail
            .link(&self.invite_prefix())
            .unwrap_or_else(|| panic!("no invitation link in: {}", mail.text));
        (mail, link)
    }

    pub fn sms_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("sms")
    }

    /// Every audit row, oldest first.
    pub async fn audit_rows(&self) -> Vec<audit_event::Model> {
        let mut rows = audit_event::Entity::find()
            .all(&self.state.db)
            .await
            .unwrap();
        rows.sort_by_key(|r| r.id);
        rows
    }

    pub async fn audit_kinds(&self) -> Vec<String> {
        self.audit_rows()
            .await
            .into_iter()
            .map(|r| r.kind)
            .collect()
    }

    pub async fn account_count(&self) -> u64 {
        account::Entity::find().count(&self.state.db).await.unwrap()
    }

    pub async fn account_named(&self, username: &str) -> account::Model {
        portico::service::accounts::logins::find_by_username(&self.state.db, username)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no account {username}"))
    }

    pub async fn outbox_rows(&self) -> Vec<outbox::Model> {
        outbox::Entity::find().all(&self.state.db).await.unwrap()
    }

    /// The id of a staff key, from the admin's list (its secret starts with the prefix).
    pub async fn key_id(&self, admin_key: &str, secret: &str) -> String {
        let keys: Value = self
            .get("/api/v1/practice/api-keys", admin_key)
            .await
            .json()
            .await
            .unwrap();
        keys.as_array()
            .unwrap()
            .iter()
            .find(|k| secret.starts_with(k["key_prefix"].as_str().unwrap()))
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// Speeds up the delivery worker for tests that wait for messages.
pub fn fast(s: &mut portico::config::Settings) {
    s.outbox_poll_ms = 20;
}
