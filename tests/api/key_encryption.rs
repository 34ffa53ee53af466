//! Key encryption at rest (issue 17, item 7): an https server does not start without
//! `PORTICO_KEY_ENCRYPTION_SECRET`; a development server over http starts and warns; and once
//! a secret is set, signing keys and TOTP seeds stored `plain.` are sealed at start and never
//! written `plain.` again.

use crate::cli::portico;
use crate::helpers::TestApp;
use crate::helpers_invitations::fast;
use crate::helpers_login::{PASSWORD, patient};
use crate::helpers_security::{str_of, totp_code};
use portico::config::Secret;
use portico::store::{account, signing_key};
use sea_orm::{ConnectionTrait, Database, EntityTrait};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "an operator's key encryption secret, 32+ characters";

/// Every stored signing key and TOTP seed, as stored.
async fn stored_values(app: &TestApp) -> Vec<String> {
    let mut out: Vec<String> = signing_key::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.private_key)
        .collect();
    out.extend(
        account::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|a| a.totp_secret),
    );
    out
}

#[tokio::test]
async fn plain_keys_and_totp_secrets_are_sealed_at_start_once_a_secret_is_set() {
    // A development server without a secret: keys and seeds are stored `plain.`.
    let app = TestApp::spawn_with(fast).await;
    let (_, key) = app
        .create_practice("smith", "Smith Clinic", "555-0100")
        .await;
    let ann = app
        .seed_portal_account(
            &key,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    let before = app.login_tokens(&ann, None).await;
    let enrolled = app.enrol_totp(&str_of(&before, "access_token")).await;
    let plain = stored_values(&app).await;
    assert_eq!(plain.len(), 3, "EdDSA and RS256 keys, one seed: {plain:?}");
    assert!(plain.iter().all(|v| v.starts_with("plain.")), "{plain:?}");

    // Restarted with a secret: nothing is left `plain.`.
    let sealed = app
        .spawn_peer_with(|s| s.key_encryption_secret = Some(Secret::new(SECRET)))
        .await;
    let now = stored_values(&sealed).await;
    assert_eq!(now.len(), 3);
    assert!(now.iter().all(|v| v.starts_with("v1.")), "{now:?}");

    // The same keys sign and verify (a token signed before still works), and the same seed
    // still answers the login's second step.
    assert_eq!(
        sealed.me(&str_of(&before, "access_token")).await.status(),
        200
    );
    let mfa_token = sealed.login_until_mfa("ann.lee", PASSWORD).await;
    let code = totp_code(&enrolled.secret, sealed.clock_now());
    let r = sealed.login_mfa(&mfa_token, &code).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // And nothing new is written `plain.`: a new seed, a rotated key.
    let bo = sealed
        .seed_portal_account(
            &key,
            patient("Bo", "Ng", "bo@example.org"),
            "bo.ng",
            PASSWORD,
            "self",
        )
        .await;
    let bo_tokens = sealed.login_tokens(&bo, None).await;
    sealed.enrol_totp(&str_of(&bo_tokens, "access_token")).await;
    sealed
        .state
        .keys
        .rotate(
            portico::auth::keys::KeyAlg::EdDsa,
            chrono::TimeDelta::minutes(10),
            sealed.clock_now(),
        )
        .await
        .unwrap();
    let after = stored_values(&sealed).await;
    assert_eq!(after.len(), 5, "{after:?}");
    assert!(after.iter().all(|v| v.starts_with("v1.")), "{after:?}");
}

/// A port nothing listens on yet.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Starts `portico serve` and waits until it accepts connections.
fn serve(cmd: &mut Command, port: u16) -> Child {
    let mut child = cmd
        .env("PORTICO_BIND", format!("127.0.0.1:{port}"))
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "serve exited ({status}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// Stops a server with SIGTERM; returns what it logged.
fn stop(child: Child) -> String {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit {:?}", out.status);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The private halves of the signing keys in the CLI's SQLite database.
async fn stored_keys(dir: &std::path::Path) -> Vec<String> {
    let db = Database::connect(format!("sqlite://{}/cli.db", dir.display()))
        .await
        .unwrap();
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT private_key FROM signing_keys",
        ))
        .await
        .unwrap();
    db.close().await.unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "private_key").unwrap())
        .collect()
}

/// `serve` with an https public URL and no secret refuses to start, naming the variable, and
/// writes nothing; over http it starts and warns; with the secret set it starts and seals the
/// keys the http run stored `plain.`.
#[cfg(unix)]
#[tokio::test]
async fn serve_refuses_https_without_the_key_encryption_secret_and_warns_over_http() {
    let dir = tempfile::tempdir().unwrap();
    for args in [vec!["serve"], vec!["keys", "rotate"], vec!["migrate"]] {
        let out = portico(dir.path())
            .env("PORTICO_PUBLIC_URL", "https://portal.example")
            .env("PORTICO_BIND", format!("127.0.0.1:{}", free_port()))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.contains("PORTICO_KEY_ENCRYPTION_SECRET"),
            "{args:?}: {stderr}"
        );
        assert!(!dir.path().join("cli.db").exists(), "nothing was written");
    }

    // Development over http: it starts, says what it is doing, and keys are stored `plain.`.
    let port = free_port();
    let logs = stop(serve(&mut portico(dir.path()), port));
    assert!(
        logs.contains("PORTICO_KEY_ENCRYPTION_SECRET is not set"),
        "{logs}"
    );
    let keys = stored_keys(dir.path()).await;
    assert!(!keys.is_empty() && keys.iter().all(|k| k.starts_with("plain.")));

    // Production: https with the secret starts, seals what was stored plain, and stays quiet.
    let port = free_port();
    let logs = stop(serve(
        portico(dir.path())
            .env("PORTICO_PUBLIC_URL", "https://portal.example")
            .env("PORTICO_KEY_ENCRYPTION_SECRET", SECRET),
        port,
    ));
    assert!(
        !logs.contains("PORTICO_KEY_ENCRYPTION_SECRET is not set"),
        "{logs}"
    );
    assert!(logs.contains("now sealed"), "{logs}");
    let keys = stored_keys(dir.path()).await;
    assert!(keys.iter().all(|k| k.starts_with("v1.")), "{keys:?}");
}
