//! Helpers for password reset, password change, two-step verification and throttling.

use crate::helpers::TestApp;
use crate::mailbox::{self, Mail};
use reqwest::{Method, Response};
use serde_json::{Value, json};

impl TestApp {
    /// `POST /api/v1/password-resets`.
    pub async fn request_reset(&self, username_or_email: &str) -> Response {
        self.call(
            Method::POST,
            "/api/v1/password-resets",
            None,
            Some(json!({ "username_or_email": username_or_email })),
        )
        .await
    }

    /// `POST /api/v1/password-resets/{token}`.
    pub async fn complete_reset(&self, token: &str, new_password: &str) -> Response {
        self.call(
            Method::POST,
            &format!("/api/v1/password-resets/{token}"),
            None,
            Some(json!({ "new_password": new_password })),
        )
        .await
    }

    /// The prefix of every reset link in messages.
    pub fn reset_prefix(&self) -> String {
        format!("{}/reset-password/", self.state.settings.issuer())
    }

    /// Waits for the `n`th email to `to`; returns it with every reset token in it, in order.
    pub async fn reset_mail(&self, to: &str, n: usize) -> (Mail, Vec<String>) {
        let mails = mailbox::wait_for_mail(&self.mail_dir(), to, n).await;
        let mail = mails[n - 1].clone();
        let prefix = self.reset_prefix();
        let tokens = mailbox::links(&mail.text)
            .into_iter()
            .filter_map(|l| l.strip_prefix(&prefix).map(str::to_owned))
            .collect();
        (mail, tokens)
    }

    /// `POST /api/v1/me/password`.
    pub async fn change_my_password(
        &self,
        access_token: &str,
        current: &str,
        new_password: &str,
    ) -> Response {
        self.call(
            Method::POST,
            "/api/v1/me/password",
            Some(access_token),
            Some(json!({ "current_password": current, "new_password": new_password })),
        )
        .await
    }
}

/// Status and body, for comparing two answers byte for byte.
pub async fn status_and_body(r: Response) -> (u16, String) {
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

pub fn str_of(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {v}"))
        .to_owned()
}

/// The TOTP code of a base32 secret at an instant, as an authenticator app shows it.
pub fn totp_code(secret_base32: &str, at: chrono::DateTime<chrono::Utc>) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_base32).unwrap();
    let totp = totp_rs::Builder::new().with_secret(secret).build().unwrap();
    totp.generate(u64::try_from(at.timestamp()).unwrap())
        .to_string()
}

/// Two-step verification turned on for a signed-in account.
pub struct Enrolled {
    pub secret: String,
    pub recovery_codes: Vec<String>,
}

impl TestApp {
    pub async fn post_json(&self, path: &str, bearer: Option<&str>, body: Value) -> Response {
        self.call(Method::POST, path, bearer, Some(body)).await
    }

    /// `POST /api/v1/me/mfa/totp` (with the helpers' `PASSWORD`) then `…/confirm` with the
    /// current code; then moves the
    /// clock to the next step, so the next code is a new one.
    pub async fn enrol_totp(&self, access_token: &str) -> Enrolled {
        let r = self
            .post_json(
                "/api/v1/me/mfa/totp",
                Some(access_token),
                json!({"current_password": crate::helpers_login::PASSWORD}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let started: Value = r.json().await.unwrap();
        let secret = str_of(&started, "secret");
        let code = totp_code(&secret, self.clock_now());
        let r = self
            .post_json(
                "/api/v1/me/mfa/totp/confirm",
                Some(access_token),
                json!({ "code": code }),
            )
            .await;
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "{body}");
        self.clock.advance(chrono::TimeDelta::seconds(30));
        Enrolled {
            secret,
            recovery_codes: body["recovery_codes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_owned())
                .collect(),
        }
    }

    /// `POST /api/v1/login/mfa`.
    pub async fn login_mfa(&self, mfa_token: &str, code: &str) -> Response {
        self.post_json(
            "/api/v1/login/mfa",
            None,
            json!({ "mfa_token": mfa_token, "code": code }),
        )
        .await
    }

    /// Logs in with the password and expects `mfa_required`; returns the `mfa_token`.
    pub async fn login_until_mfa(&self, username: &str, password: &str) -> String {
        let r = self.login(username, password, None).await;
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["status"], "mfa_required", "{body}");
        assert!(body.get("access_token").is_none(), "{body}");
        str_of(&body, "mfa_token")
    }
}
