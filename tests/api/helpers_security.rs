//! Helpers for password reset, password change, two-step verification and throttling.
#![allow(dead_code)] // Helpers serve every test file; not each uses all of them.

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
