//! Helpers for adult representatives and the patient's consent: a patient with her own
//! account, a representative invited and redeemed over HTTP, and one helper per endpoint.

use crate::helpers::TestApp;
use crate::helpers_invitations::token_of;
use crate::helpers_login::{PASSWORD, SeededAccount, patient};
use crate::mailbox::{self, Mail};
use reqwest::{Method, Response};
use serde_json::{Value, json};

/// The patient's email, on her record and her account.
pub const ANN_EMAIL: &str = "ann@example.org";
/// The representative's email, where the practice sends the invitation.
pub const CAL_EMAIL: &str = "cal@example.org";

/// A representative who redeemed their invitation.
#[derive(Debug, Clone)]
pub struct Representative {
    pub username: String,
    pub access_id: String,
    /// The status the redemption answered.
    pub status: String,
}

impl TestApp {
    /// A practice and Ann (an adult, born 1990) with her own active portal account `ann.lee`.
    /// Returns the admin key and Ann's fixture.
    pub async fn practice_with_ann(&self) -> (String, SeededAccount) {
        let (_, key) = self
            .create_practice("smith", "Smith Family Clinic", "555-0100")
            .await;
        let ann = self
            .seed_portal_account(
                &key,
                patient("Ann", "Lee", ANN_EMAIL),
                "ann.lee",
                PASSWORD,
                "self",
            )
            .await;
        (key, ann)
    }

    /// Staff invite Cal Lee as `relation` for the patient; Cal follows the link in his email
    /// and redeems it with a new account `cal.lee`, giving the patient's date of birth.
    pub async fn representative_redeems(
        &self,
        key: &str,
        patient_id: &str,
        relation: &str,
        patient_dob: &str,
    ) -> Representative {
        self.person_redeems_as(key, patient_id, relation, patient_dob, "Cal", CAL_EMAIL)
            .await
    }

    /// Staff invite `first_name` Lee (at `email`) as `relation` for the patient; they follow
    /// the link in their email and redeem it with a new account `<first_name>.lee`.
    pub async fn person_redeems_as(
        &self,
        key: &str,
        patient_id: &str,
        relation: &str,
        patient_dob: &str,
        first_name: &str,
        email: &str,
    ) -> Representative {
        let username = format!("{}.lee", first_name.to_lowercase());
        let r = self
            .send_invitation(
                key,
                patient_id,
                json!({"channel": "email", "relation": relation,
                       "recipient": {"first_name": first_name, "last_name": "Lee", "email": email}}),
            )
            .await;
        assert_eq!(r.status(), 201, "invite: {}", r.text().await.unwrap());
        let (_, link) = self.invitation_mail(email, 1).await;
        let r = self
            .redeem_invitation(
                &token_of(&link),
                json!({"account": "new", "username": username, "password": PASSWORD,
                       "date_of_birth": patient_dob,
                       "representative": {"first_name": first_name, "last_name": "Lee",
                                          "date_of_birth": "1988-01-02"}}),
            )
            .await;
        assert_eq!(r.status(), 201, "redeem: {}", r.text().await.unwrap());
        let body: Value = r.json().await.unwrap();
        Representative {
            username,
            access_id: body["access_id"].as_str().unwrap().to_owned(),
            status: body["status"].as_str().unwrap().to_owned(),
        }
    }

    /// [`Self::representative_redeems`] for Ann, and Ann approves with the link in her first
    /// consent email.
    pub async fn approved_representative(
        &self,
        key: &str,
        patient_id: &str,
        relation: &str,
    ) -> Representative {
        let rep = self
            .representative_redeems(key, patient_id, relation, "1990-04-01")
            .await;
        let (_, link) = self.consent_mail(ANN_EMAIL, 1).await;
        let r = self.decide_consent(&token_of(&link), "approve").await;
        assert_eq!(r.status(), 200, "approve: {}", r.text().await.unwrap());
        rep
    }

    /// The prefix of every consent link in messages.
    pub fn consent_prefix(&self) -> String {
        format!("{}/representative-consent/", self.state.settings.issuer())
    }

    /// Waits for the `n`th email to `to` with a consent link in it; returns it and the link.
    pub async fn consent_mail(&self, to: &str, n: usize) -> (Mail, String) {
        let mails = mailbox::wait_for_mail(&self.mail_dir(), to, n).await;
        let mail = mails
            .iter()
            .filter(|m| m.link(&self.consent_prefix()).is_some())
            .nth(n - 1)
            .unwrap_or_else(|| panic!("no consent mail #{n} to {to}: {mails:#?}"))
            .clone();
        let link = mail.link(&self.consent_prefix()).unwrap();
        (mail, link)
    }

    /// Waits for an email to `to` whose subject contains `subject`.
    pub async fn mail_about(&self, to: &str, subject: &str) -> Mail {
        for n in 1..=20 {
            let mails = mailbox::wait_for_mail(&self.mail_dir(), to, n).await;
            if let Some(m) = mails.iter().find(|m| m.subject.contains(subject)) {
                return m.clone();
            }
        }
        panic!("no mail to {to} about {subject:?}");
    }

    /// Patient: what a consent link (or code) is for.
    pub async fn open_consent(&self, token: &str) -> Response {
        self.call(
            Method::GET,
            &format!("/api/v1/representative-consents/{token}"),
            None,
            None,
        )
        .await
    }

    /// Patient: approve or decline (`decision` is `approve` or `decline`).
    pub async fn decide_consent(&self, token: &str, decision: &str) -> Response {
        self.call(
            Method::POST,
            &format!("/api/v1/representative-consents/{token}/{decision}"),
            None,
            None,
        )
        .await
    }

    /// Patient: who can see her records.
    pub async fn my_representatives(&self, access_token: &str) -> Response {
        self.get("/api/v1/me/representatives", access_token).await
    }

    /// Patient: end a representative's access.
    pub async fn end_representative(&self, access_token: &str, access_id: &str) -> Response {
        self.delete(
            &format!("/api/v1/me/representatives/{access_id}"),
            access_token,
        )
        .await
    }

    /// Patient: renew her consent to a representative.
    pub async fn renew_representative(&self, access_token: &str, access_id: &str) -> Response {
        self.call(
            Method::POST,
            &format!("/api/v1/me/representatives/{access_id}/renew"),
            Some(access_token),
            None,
        )
        .await
    }

    /// Staff: send the consent request again.
    pub async fn resend_consent(&self, key: &str, access_id: &str) -> Response {
        self.call(
            Method::POST,
            &format!("/api/v1/practice/access/{access_id}/consent-request"),
            Some(key),
            None,
        )
        .await
    }

    /// Staff: one access of a patient, from the access listing.
    pub async fn access_by_id(&self, key: &str, patient_id: &str, access_id: &str) -> Value {
        self.access_of(key, patient_id)
            .await
            .into_iter()
            .find(|a| a["id"] == access_id)
            .unwrap_or_else(|| panic!("no access {access_id}"))
    }
}

/// A representative's fixture for the login helpers.
pub fn as_account(rep: &Representative) -> SeededAccount {
    SeededAccount {
        account_id: uuid::Uuid::nil(),
        patient_id: uuid::Uuid::nil(),
        access_id: rep.access_id.parse().unwrap(),
        username: rep.username.clone(),
        password: PASSWORD.to_owned(),
    }
}
