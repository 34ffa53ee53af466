//! `TestApp`: one running server per test, with helpers that read as a client's actions.

use chrono::{DateTime, TimeZone, Utc};
use portico::app::App;
use portico::clock::ManualClock;
use portico::config::{Secret, Settings};
use portico::service::practice::practices::{self, NewPractice};
use portico::state::AppState;
use reqwest::{Method, Response};
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use std::sync::Arc;
use tempfile::TempDir;
use tokio::sync::oneshot;
use uuid::Uuid;

/// The instant every test's clock starts at, so dates in tests are predictable.
pub fn test_epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0)
        .single()
        .unwrap()
}

/// A database for one test: a SQLite file in a temp dir, or a PostgreSQL database of its own,
/// dropped when the test ends.
pub struct TestDb {
    pub url: String,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn create(dir: &TempDir) -> Self {
        match std::env::var("PORTICO_TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("portico_test_{}", Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
                    panic!("PORTICO_TEST_DATABASE_URL={admin_url} is unreachable: {e}")
                });
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .unwrap_or(&admin_url);
                Self {
                    url: format!("{base}/{name}"),
                    pg: Some((admin_url.clone(), name)),
                }
            }
            _ => Self {
                url: format!("sqlite://{}/portico.db?mode=rwc", dir.path().display()),
                pg: None,
            },
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg.take() {
            // Drop runs outside async; a small runtime of its own does the work.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(admin) = Database::connect(&admin_url).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// A running Portico and an HTTP client for it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
    pub dir: TempDir,
    stop: Option<oneshot::Sender<()>>,
    // Dropped last: the server must stop before its database goes. A peer has none.
    _db: Option<TestDb>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server with settings adjusted by `adjust`.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = TestDb::create(&dir).await;
        let mut settings = Settings {
            database_url: Secret::new(db.url.clone()),
            bind: "127.0.0.1:0".parse().unwrap(),
            mail_dir: dir.path().join("mail"),
            sms_dir: dir.path().join("sms"),
            hash_concurrency: Some(2),
            database_max_connections: if db.is_postgres() { Some(5) } else { None },
            ..Settings::default()
        };
        adjust(&mut settings);
        let clock = Arc::new(ManualClock::new(test_epoch()));
        let app = App::build_with_clock(settings, clock.clone())
            .await
            .expect("server builds");
        let port = app.port();
        let state = app.state().clone();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        let base = format!("http://127.0.0.1:{port}");
        Self {
            base,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            clock,
            state,
            dir,
            stop: Some(tx),
            _db: Some(db),
        }
    }

    /// A second Portico on this one's database and clock, as a second instance behind a load
    /// balancer would be. Drop it before `self` (declare it after).
    pub async fn spawn_peer(&self) -> TestApp {
        self.spawn_peer_with(|_| {}).await
    }

    /// As [`TestApp::spawn_peer`], with `adjust`ed settings: the same deployment restarted
    /// with a new configuration. Drop it before `self` (declare it after).
    pub async fn spawn_peer_with(&self, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = (*self.state.settings).clone();
        adjust(&mut settings);
        let app = App::build_with_clock(settings, self.clock.clone())
            .await
            .expect("peer builds");
        let port = app.port();
        let state = app.state().clone();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            client: self.client.clone(),
            clock: self.clock.clone(),
            state,
            dir: tempfile::tempdir().unwrap(),
            stop: Some(tx),
            _db: None,
        }
    }

    /// Where this test's server writes email (.eml files) when no SMTP server is set.
    pub fn mail_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("mail")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Creates a practice the way `portico practice create` does; returns its id and admin key.
    pub async fn create_practice(&self, slug: &str, name: &str, phone: &str) -> (Uuid, String) {
        let new = NewPractice::parse(slug, name, phone, None).unwrap();
        let (p, key) = practices::create(&self.state.db, new, self.clock_now())
            .await
            .unwrap();
        (p.id, key)
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        use portico::clock::Clock;
        self.clock.now()
    }

    /// A request with an optional bearer key and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }

    pub async fn get(&self, path: &str, key: &str) -> Response {
        self.call(Method::GET, path, Some(key), None).await
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> Response {
        self.call(Method::POST, path, Some(key), Some(body)).await
    }

    pub async fn patch(&self, path: &str, key: &str, body: Value) -> Response {
        self.call(Method::PATCH, path, Some(key), Some(body)).await
    }

    pub async fn delete(&self, path: &str, key: &str) -> Response {
        self.call(Method::DELETE, path, Some(key), None).await
    }

    /// Creates a patient and returns its JSON.
    pub async fn create_patient(&self, key: &str, body: Value) -> Value {
        let r = self.post("/api/v1/practice/patients", key, body).await;
        assert_eq!(
            r.status(),
            201,
            "create patient: {}",
            r.text().await.unwrap()
        );
        r.json().await.unwrap()
    }

    /// Creates a staff key with a role and returns the secret.
    pub async fn create_key(&self, admin_key: &str, role: &str) -> String {
        let r = self
            .post(
                "/api/v1/practice/api-keys",
                admin_key,
                serde_json::json!({"role": role, "label": format!("{role} key")}),
            )
            .await;
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        v["key"].as_str().unwrap().to_owned()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// Asserts a response is an RFC 9457 problem with this status and code; returns its body.
pub async fn assert_problem(resp: Response, status: u16, code: &str) -> Value {
    let got = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "status, body: {body}");
    assert_eq!(ct, "application/problem+json", "content type, body: {body}");
    assert_eq!(body["code"], code, "code, body: {body}");
    assert_eq!(body["status"], status, "status member, body: {body}");
    assert_eq!(body["type"], format!("urn:portico:problem:{code}"));
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    assert!(body["request_id"].is_string(), "{body}");
    body
}
