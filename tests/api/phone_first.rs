//! Phone-first patients (issue 22, item 1): a patient added with a cell number alone gets the
//! invitation by text, and gets back in by text: password reset links and username reminders
//! go to the account's mobile number, with the same `202`, the same throttles and no hint
//! whether an account exists. Every test follows the link from the delivered text message.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_invitations::{PASSWORD, fast, new_account, token_of};
use crate::helpers_security::status_and_body;
use crate::mailbox;
use reqwest::Method;
use serde_json::json;

const KAI_MOBILE: &str = "+15550100177";
const NEW_PASSWORD: &str = "a brand new river stone passphrase";

impl TestApp {
    /// `POST /api/v1/username-reminders` with a mobile number.
    async fn request_username_reminder_by_text(&self, mobile: &str) -> reqwest::Response {
        self.call(
            Method::POST,
            "/api/v1/username-reminders",
            None,
            Some(json!({ "mobile": mobile })),
        )
        .await
    }

    /// Waits for the `n`th text to `to`; returns its body and the links in it with `prefix`.
    async fn text_links(&self, to: &str, n: usize, prefix: &str) -> (String, Vec<String>) {
        let texts = mailbox::wait_for_sms(&self.sms_dir(), to, n).await;
        let body = texts
            .iter()
            .map(|t| t.body.clone())
            .find(|b| mailbox::links(b).iter().any(|l| l.starts_with(prefix)))
            .filter(|_| texts.len() >= n)
            .unwrap_or_else(|| panic!("no text to {to} with {prefix}: {texts:?}"));
        let links = mailbox::links(&body)
            .into_iter()
            .filter(|l| l.starts_with(prefix))
            .collect();
        (body, links)
    }
}

/// Under the default settings, Quick Add with only a cell number; Kai redeems the texted link.
async fn kai_by_text(app: &TestApp) -> String {
    let (_, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let r = app
        .post(
            "/api/v1/practice/quick-add",
            &admin,
            json!({"first_name": "Kai", "last_name": "Moss", "date_of_birth": "1988-02-03",
                   "mobile": "+1 (555) 010-0177", "channel": "sms"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let (_, links) = app.text_links(KAI_MOBILE, 1, &app.invite_prefix()).await;
    let r = app
        .redeem_invitation(&token_of(&links[0]), new_account("kai.moss", "1988-02-03"))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    admin
}

#[tokio::test]
async fn quick_add_with_a_cell_number_alone_works_by_default_and_the_patient_resets_by_text() {
    let app = TestApp::spawn_with(fast).await;
    kai_by_text(&app).await;
    assert_eq!(
        app.account_named("kai.moss").await.mobile.as_deref(),
        Some(KAI_MOBILE),
        "the texted link proved the number"
    );

    let known = status_and_body(app.request_reset("+1 555 010 0177").await).await;
    let unknown = status_and_body(app.request_reset("+15550100999").await).await;
    assert_eq!(known.0, 202);
    assert_eq!(known, unknown, "the answer says nothing about the number");

    let (body, links) = app.text_links(KAI_MOBILE, 2, &app.reset_prefix()).await;
    assert!(body.starts_with("Smith Family Clinic: "), "{body}");
    assert!(body.contains("kai.moss"), "{body}");
    assert!(body.contains("valid 30 minutes"), "{body}");
    let token = links[0].strip_prefix(&app.reset_prefix()).unwrap();
    let r = app.complete_reset(token, NEW_PASSWORD).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    assert_eq!(
        app.login("kai.moss", NEW_PASSWORD, None).await.status(),
        200
    );
    assert_eq!(app.login("kai.moss", PASSWORD, None).await.status(), 401);

    // The notice goes where the link went; nothing was emailed, nothing texted elsewhere.
    let texts = mailbox::wait_for_sms(&app.sms_dir(), KAI_MOBILE, 3).await;
    assert!(
        texts.iter().any(|t| t.body.contains("was changed")),
        "{texts:?}"
    );
    assert!(mailbox::all_mail(&app.mail_dir()).is_empty());
    assert_eq!(mailbox::all_sms(&app.sms_dir()).len(), 3);
}

#[tokio::test]
async fn a_username_alone_sends_a_phone_only_account_its_link_by_text() {
    let app = TestApp::spawn_with(fast).await;
    kai_by_text(&app).await;
    assert_eq!(app.request_reset("Kai.Moss").await.status(), 202);
    let (_, links) = app.text_links(KAI_MOBILE, 2, &app.reset_prefix()).await;
    let token = links[0].strip_prefix(&app.reset_prefix()).unwrap();
    assert_eq!(app.complete_reset(token, NEW_PASSWORD).await.status(), 204);
    assert_eq!(
        app.login("kai.moss", NEW_PASSWORD, None).await.status(),
        200
    );
}

#[tokio::test]
async fn a_username_reminder_by_mobile_texts_the_username_and_says_nothing_about_unknown_numbers() {
    let app = TestApp::spawn_with(fast).await;
    kai_by_text(&app).await;
    let known = status_and_body(app.request_username_reminder_by_text("+15550100177").await).await;
    let unknown =
        status_and_body(app.request_username_reminder_by_text("+15550100999").await).await;
    assert_eq!(known.0, 202);
    assert_eq!(known, unknown);
    let (body, links) = app
        .text_links(KAI_MOBILE, 2, &format!("{}/login", app.issuer()))
        .await;
    assert!(body.contains("kai.moss (for Kai)"), "{body}");
    assert_eq!(links.len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        mailbox::all_sms(&app.sms_dir())
            .iter()
            .all(|t| t.to == KAI_MOBILE)
    );
    // A number not in international form is refused, as the practice API refuses it.
    let r = app.request_username_reminder_by_text("555 0100").await;
    assert_problem(r, 422, "validation_failed").await;
}

#[tokio::test]
async fn resets_and_reminders_by_text_are_throttled_like_emails() {
    let app = TestApp::spawn_with(fast).await;
    kai_by_text(&app).await;
    futures_util::future::join_all((0..5).map(|_| app.request_reset(KAI_MOBILE))).await;
    futures_util::future::join_all(
        (0..5).map(|_| app.request_username_reminder_by_text(KAI_MOBILE)),
    )
    .await;
    // The invitation, then 3 reset links and 3 reminders: at most 3 an hour each.
    mailbox::wait_for_sms(&app.sms_dir(), KAI_MOBILE, 7).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(mailbox::all_sms(&app.sms_dir()).len(), 7);
}

#[tokio::test]
async fn the_pages_take_a_mobile_number_and_the_texted_link_opens_the_reset_form() {
    let app = TestApp::spawn_with(fast).await;
    kai_by_text(&app).await;
    let browser = app.browser();
    let sent = browser
        .fill_and_submit(
            "/forgot-username",
            &[("email_or_mobile", "+1 555 010 0177")],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(sent.h1(), "Check your messages");
    let (body, _) = app
        .text_links(KAI_MOBILE, 2, &format!("{}/login", app.issuer()))
        .await;
    assert!(body.contains("kai.moss"), "{body}");

    let sent = browser
        .fill_and_submit("/reset-password", &[("identifier", KAI_MOBILE)])
        .await;
    assert_eq!(sent.h1(), "Check your messages");
    let (_, links) = app.text_links(KAI_MOBILE, 3, &app.reset_prefix()).await;
    let form = browser.open(&links[0]).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(form.h1(), "Choose a new password");
    let path = links[0].replace(app.state.settings.issuer(), "");
    let done = browser
        .submit_on(
            &form,
            &path,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        app.login("kai.moss", NEW_PASSWORD, None).await.status(),
        200
    );
}

#[tokio::test]
async fn email_or_mobile_is_the_default_requirement_and_a_record_with_neither_is_refused() {
    let app = TestApp::spawn_with(fast).await;
    let (_, key) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let cell_only = app
        .create_patient(
            &key,
            json!({"first_name": "Lia", "last_name": "Ng", "date_of_birth": "1991-01-02",
                   "mobile": "+15550100188"}),
        )
        .await;
    let r = app
        .send_invitation(
            &key,
            cell_only["id"].as_str().unwrap(),
            json!({"channel": "sms", "relation": "self"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    let neither = app
        .create_patient(
            &key,
            json!({"first_name": "Mo", "last_name": "Ng", "date_of_birth": "1992-01-02"}),
        )
        .await;
    let r = app
        .send_invitation(
            &key,
            neither["id"].as_str().unwrap(),
            json!({"channel": "sms", "relation": "self"}),
        )
        .await;
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(p["field"], "email");
    assert!(
        p["detail"].as_str().unwrap().contains("email_or_mobile"),
        "{p}"
    );

    // A practice may still ask for an email address in particular.
    app.set_settings(&key, json!({"required_fields": ["email"]}))
        .await;
    let r = app
        .send_invitation(
            &key,
            cell_only["id"].as_str().unwrap(),
            json!({"channel": "sms", "relation": "self"}),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
}
