//! Webhooks (issue 21 item 1): subscriptions, Standard Webhooks signatures checked here with
//! the test's own HMAC, delivery through an outage of the receiver, refusals of private
//! destinations, secret rotation, and the event feed.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_invitations::ann;
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::TimeDelta;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio::sync::mpsc;

/// One request the receiver got.
#[derive(Debug)]
struct Received {
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// A webhook receiver on 127.0.0.1 that answers 200 and hands over what it got. Stopping it
/// closes the port; it can start again on the same port.
struct Receiver {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(port: u16, tx: mpsc::UnboundedSender<Received>) -> Self {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket
            .bind(format!("127.0.0.1:{port}").parse().unwrap())
            .unwrap();
        let listener = socket.listen(16).unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    if let Some(r) = read_request(&mut conn).await {
                        let _ = conn
                            .write_all(
                                b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                            )
                            .await;
                        let _ = tx.send(r);
                    }
                });
            }
        });
        Self { port, task }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn stop(self) -> u16 {
        self.task.abort();
        self.port
    }
}

async fn read_request(conn: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let headers: HashMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(Received {
        headers,
        body: buf[head_end..head_end + len].to_vec(),
    })
}

/// The Standard Webhooks signature, computed here independently of Portico's code.
fn expected_signature(secret: &str, id: &str, ts: &str, body: &[u8]) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let key = hmac::Key::new(hmac::HMAC_SHA256, &key);
    let mut signed = format!("{id}.{ts}.").into_bytes();
    signed.extend_from_slice(body);
    format!("v1,{}", STANDARD.encode(hmac::sign(&key, &signed).as_ref()))
}

fn signatures(r: &Received) -> Vec<String> {
    r.headers["webhook-signature"]
        .split(' ')
        .map(str::to_owned)
        .collect()
}

fn verifies(r: &Received, secret: &str) -> bool {
    let want = expected_signature(
        secret,
        &r.headers["webhook-id"],
        &r.headers["webhook-timestamp"],
        &r.body,
    );
    signatures(r).contains(&want)
}

/// A server that may send webhooks to loopback, with short retry delays (settings, not test
/// code paths).
async fn spawn() -> TestApp {
    TestApp::spawn_with(|s| {
        s.webhook_allow_private = true;
        s.webhook_retry_base_ms = 200;
        s.outbox_poll_ms = 20;
    })
    .await
}

async fn subscribe(app: &TestApp, key: &str, url: &str, types: &[&str]) -> Value {
    let r = app
        .post(
            "/api/v1/practice/webhooks",
            key,
            json!({"url": url, "event_types": types}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

/// An event: the practice invites a new patient (`invitation.sent`).
async fn invite_someone(app: &TestApp, key: &str) -> String {
    let n = uuid::Uuid::new_v4().simple().to_string();
    let mut patient = ann();
    patient["email"] = json!(format!("ann.{n}@example.org"));
    patient["last_name"] = json!(format!("Lee{}", &n[..6]));
    patient.as_object_mut().unwrap().remove("mobile");
    let p = app.create_patient(key, patient).await;
    let id = p["id"].as_str().unwrap().to_owned();
    app.invite_self(key, &id, "email").await;
    id
}

/// Waits for the next request, moving the test clock on meanwhile so retries fall due.
async fn next_request(app: &TestApp, rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    for _ in 0..300 {
        if let Ok(r) = rx.try_recv() {
            return r;
        }
        app.clock.advance(TimeDelta::milliseconds(200));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no webhook arrived");
}

async fn attempts(app: &TestApp, key: &str, sub: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/api/v1/practice/webhooks/{sub}/attempts"), key)
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_local_receiver_gets_an_event_signed_with_the_subscription_secret() {
    let app = spawn().await;
    let (practice_id, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let receiver = Receiver::start(0, tx).await;
    let sub = subscribe(&app, &admin, &receiver.url(), &["invitation.sent"]).await;
    let secret = sub["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{sub}");
    assert_eq!(sub["status"], "active");
    let listed: Value = app
        .get("/api/v1/practice/webhooks", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        listed[0].get("secret").is_none(),
        "the secret is shown once: {listed}"
    );

    let patient_id = invite_someone(&app, &admin).await;

    let got = next_request(&app, &mut rx).await;
    assert!(verifies(&got, secret), "signature {:?}", got.headers);
    assert_eq!(signatures(&got).len(), 1);
    assert_eq!(got.headers["content-type"], "application/json");
    let body: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(body["type"], "invitation.sent");
    assert_eq!(body["id"], got.headers["webhook-id"].as_str());
    let ts: i64 = got.headers["webhook-timestamp"].parse().unwrap();
    assert!(
        (app.clock_now().timestamp() - ts).abs() < 120,
        "the attempt's time in seconds"
    );
    assert_eq!(body["data"]["practice_id"], practice_id.to_string());
    assert_eq!(body["data"]["patient_id"], patient_id.as_str());
    assert!(body["data"]["invitation_id"].is_string(), "{body}");
    assert!(
        !String::from_utf8_lossy(&got.body).contains("Ann"),
        "no names in events: {body}"
    );
    // The attempt is listed.
    let sub_id = sub["id"].as_str().unwrap();
    for _ in 0..100 {
        if !attempts(&app, &admin, sub_id).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let listed = attempts(&app, &admin, sub_id).await;
    assert_eq!(listed[0]["succeeded"], true, "{listed:?}");
    assert_eq!(listed[0]["response_status"], 200);
    assert_eq!(listed[0]["event_id"], body["id"]);
}

#[tokio::test]
async fn an_event_raised_while_the_receiver_is_down_arrives_after_it_restarts_with_the_same_webhook_id()
 {
    let app = spawn().await;
    let (_, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let receiver = Receiver::start(0, tx.clone()).await;
    let sub = subscribe(&app, &admin, &receiver.url(), &["invitation.sent"]).await;
    let sub_id = sub["id"].as_str().unwrap().to_owned();
    let secret = sub["secret"].as_str().unwrap().to_owned();
    let port = receiver.stop();

    invite_someone(&app, &admin).await;

    // Portico tries, fails, and says so in the attempts list.
    let mut failed = Vec::new();
    for _ in 0..200 {
        failed = attempts(&app, &admin, &sub_id).await;
        if failed.len() >= 2 {
            break;
        }
        app.clock.advance(TimeDelta::milliseconds(200));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(failed.len() >= 2, "retried while down: {failed:?}");
    assert!(failed.iter().all(|a| a["succeeded"] == false));
    assert!(
        failed[0]["error"].as_str().unwrap().contains("no answer"),
        "{failed:?}"
    );
    let sub_now: Value = app
        .get(&format!("/api/v1/practice/webhooks/{sub_id}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(sub_now["failing_since"].is_string(), "{sub_now}");

    let _receiver = Receiver::start(port, tx).await;
    let got = next_request(&app, &mut rx).await;
    assert!(verifies(&got, &secret));
    let event_id = failed[0]["event_id"].as_str().unwrap();
    assert_eq!(
        got.headers["webhook-id"], event_id,
        "the same webhook-id on retry"
    );
    assert!(failed.iter().all(|a| a["event_id"] == event_id));
    // Delivered once: nothing else arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(rx.try_recv().is_err());
    let sub_now: Value = app
        .get(&format!("/api/v1/practice/webhooks/{sub_id}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(sub_now.get("failing_since").is_none(), "{sub_now}");
}

#[tokio::test]
async fn a_private_address_is_refused_without_the_allow_private_setting() {
    let app = TestApp::spawn().await;
    let (_, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    for (url, code) in [
        ("https://127.0.0.1/hook", "destination_not_public"),
        (
            "https://169.254.169.254/latest/meta-data",
            "destination_not_public",
        ),
        ("https://10.0.0.5/hook", "destination_not_public"),
        ("https://[::1]/hook", "destination_not_public"),
        ("https://[fd00:ec2::254]/hook", "destination_not_public"),
        ("https://localhost/hook", "destination_not_public"),
        ("http://93.184.216.34/hook", "destination_not_https"),
        ("https://user:pw@93.184.216.34/hook", "destination_invalid"),
    ] {
        let r = app
            .post(
                "/api/v1/practice/webhooks",
                &admin,
                json!({"url": url, "event_types": ["access.blocked"]}),
            )
            .await;
        let p = assert_problem(r, 422, code).await;
        assert!(p["detail"].is_string(), "{url}: {p}");
    }
    let r = app
        .post(
            "/api/v1/practice/webhooks",
            &admin,
            json!({"url": "https://93.184.216.34/hook", "event_types": ["access.everything"]}),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let listed: Value = app
        .get("/api/v1/practice/webhooks", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn only_an_admin_key_manages_webhooks_and_reads_the_event_feed() {
    let app = spawn().await;
    let (_, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let reception = app.create_key(&admin, "reception").await;
    let body = json!({"url": "http://127.0.0.1:9/hook", "event_types": ["access.blocked"]});
    let r = app
        .post("/api/v1/practice/webhooks", &reception, body.clone())
        .await;
    assert_problem(r, 403, "forbidden").await;
    let r = app.get("/api/v1/practice/webhooks", &reception).await;
    assert_problem(r, 403, "forbidden").await;
    let r = app.get("/api/v1/practice/events", &reception).await;
    assert_problem(r, 403, "forbidden").await;
    let sub = subscribe(&app, &admin, "http://127.0.0.1:9/hook", &["access.blocked"]).await;
    let id = sub["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/practice/webhooks/{id}/rotate-secret"),
            &reception,
            json!({}),
        )
        .await;
    assert_problem(r, 403, "forbidden").await;
    let r = app
        .delete(&format!("/api/v1/practice/webhooks/{id}"), &reception)
        .await;
    assert_problem(r, 403, "forbidden").await;
    // Another practice's admin does not see it.
    let (_, other) = app
        .create_practice("jones", "Jones Clinic", "555-0199")
        .await;
    let r = app
        .get(&format!("/api/v1/practice/webhooks/{id}"), &other)
        .await;
    assert_problem(r, 404, "not_found").await;
}

#[tokio::test]
async fn after_a_secret_rotation_deliveries_carry_both_signatures_for_24_hours() {
    let app = spawn().await;
    let (_, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let receiver = Receiver::start(0, tx).await;
    let sub = subscribe(&app, &admin, &receiver.url(), &["invitation.sent"]).await;
    let id = sub["id"].as_str().unwrap();
    let old = sub["secret"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/practice/webhooks/{id}/rotate-secret"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let rotated: Value = r.json().await.unwrap();
    let new = rotated["secret"].as_str().unwrap();
    assert_ne!(new, old);
    assert!(
        rotated["previous_secret_valid_until"].is_string(),
        "{rotated}"
    );

    invite_someone(&app, &admin).await;
    let got = next_request(&app, &mut rx).await;
    assert_eq!(signatures(&got).len(), 2, "{:?}", got.headers);
    assert!(verifies(&got, new) && verifies(&got, old));

    app.clock.advance(TimeDelta::hours(25));
    invite_someone(&app, &admin).await;
    let got = next_request(&app, &mut rx).await;
    assert_eq!(signatures(&got).len(), 1, "{:?}", got.headers);
    assert!(verifies(&got, new) && !verifies(&got, old));
}

#[tokio::test]
async fn the_event_feed_returns_events_in_order_after_a_cursor() {
    let app = TestApp::spawn().await;
    let (_, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let mut patients = Vec::new();
    for _ in 0..3 {
        patients.push(invite_someone(&app, &admin).await);
        app.clock.advance(TimeDelta::seconds(1));
    }
    // Events appear once settled (5 s).
    let r: Value = app
        .get("/api/v1/practice/events", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["items"], json!([]), "{r}");
    app.clock.advance(TimeDelta::seconds(6));

    let all: Value = app
        .get("/api/v1/practice/events", &admin)
        .await
        .json()
        .await
        .unwrap();
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{all}");
    let seen: Vec<&str> = items
        .iter()
        .map(|e| e["data"]["patient_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        seen,
        patients.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(items.iter().all(|e| e["type"] == "invitation.sent"));

    let first = items[0]["id"].as_str().unwrap();
    let rest: Value = app
        .get(
            &format!("/api/v1/practice/events?after={first}&limit=1"),
            &admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["id"], items[1]["id"]);
    let cursor = rest["next_cursor"].as_str().unwrap();
    let last: Value = app
        .get(&format!("/api/v1/practice/events?after={cursor}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(last["items"].as_array().unwrap().len(), 1);
    assert_eq!(last["items"][0]["id"], items[2]["id"]);
    let end: Value = app
        .get(
            &format!(
                "/api/v1/practice/events?after={}",
                items[2]["id"].as_str().unwrap()
            ),
            &admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(end["items"], json!([]));
    let r = app
        .get("/api/v1/practice/events?after=nonsense", &admin)
        .await;
    assert_problem(r, 422, "validation_failed").await;
}

#[tokio::test]
async fn a_subscription_failing_for_five_days_is_turned_off_and_the_practice_is_told() {
    use portico::service::practice::practices::{self, NewPractice};
    let app = spawn().await;
    let new = NewPractice::parse(
        "smith",
        "Smith Family Clinic",
        "555-0100",
        Some("office@smith.example"),
    )
    .unwrap();
    let (_, admin) = practices::create(&app.state.db, new, app.clock_now())
        .await
        .unwrap();
    let (tx, _rx) = mpsc::unbounded_channel();
    let receiver = Receiver::start(0, tx).await;
    let url = receiver.url();
    receiver.stop();
    let sub = subscribe(&app, &admin, &url, &["invitation.sent"]).await;
    let id = sub["id"].as_str().unwrap();
    invite_someone(&app, &admin).await;
    for _ in 0..200 {
        if !attempts(&app, &admin, id).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let get = || async {
        let v: Value = app
            .get(&format!("/api/v1/practice/webhooks/{id}"), &admin)
            .await
            .json()
            .await
            .unwrap();
        v
    };
    assert_eq!(get().await["status"], "active");

    app.clock.advance(TimeDelta::days(5) + TimeDelta::hours(1));
    let mut now = get().await;
    for _ in 0..200 {
        if now["status"] == "disabled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        now = get().await;
    }
    assert_eq!(now["status"], "disabled", "{now}");
    assert!(now["disabled_at"].is_string());
    let mail = crate::mailbox::wait_for_mail(&app.mail_dir(), "office@smith.example", 1).await;
    assert!(
        mail[0]
            .subject
            .contains("webhook subscription was turned off"),
        "{:?}",
        mail[0].subject
    );
    assert!(mail[0].text.contains(&url));
    assert!(
        app.audit_kinds()
            .await
            .contains(&"webhook.disabled".to_owned())
    );

    // Turned back on by the admin, it delivers again (and forgets the failures).
    let r = app
        .patch(
            &format!("/api/v1/practice/webhooks/{id}"),
            &admin,
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let on: Value = r.json().await.unwrap();
    assert_eq!(on["status"], "active");
    assert!(on.get("failing_since").is_none(), "{on}");
}
