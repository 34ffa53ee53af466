//! Reliability under faults (issue 10): a second instance on the same database, the server
//! killed in the middle of redemptions and between a redemption's commit and its message,
//! PostgreSQL restarted under load. Each is bounded in
//! time and stays on loopback. (SMTP down then up is in `outbox`; fifty parallel redemptions
//! of one link in `invitation_rules`; fifty parallel uses of one refresh token in `refresh`.)

use crate::helpers::{TestApp, TestDb, assert_problem};
use crate::helpers_invitations::{new_account, token_of};
use crate::helpers_login::{PASSWORD, patient};
use crate::mailbox::all_mail;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_block_through_one_instance_is_refused_through_the_other_at_once() {
    let app = TestApp::spawn().await;
    let peer = app.spawn_peer().await;
    let (_, key) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
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
    let tokens = peer.login_tokens(&ann, None).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(peer.me(access).await.status(), 200);

    // The practice blocks through the first instance; the second refuses at once.
    assert_eq!(
        app.block_access(&key, ann.access_id, None).await.status(),
        200
    );
    let login = assert_problem(
        peer.login(&ann.username, PASSWORD, None).await,
        403,
        "access_blocked",
    )
    .await;
    assert_eq!(login["practice"]["phone"], "555-0100", "{login}");
    assert_problem(peer.me(access).await, 403, "access_blocked").await;
    assert_problem(peer.refresh(refresh).await, 403, "access_blocked").await;
}

/// A `portico serve` process of its own, so that it can be killed outright.
struct ServerProcess {
    child: Child,
    base: String,
}

impl ServerProcess {
    fn command(dir: &std::path::Path, db_url: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_portico"));
        cmd.current_dir(dir);
        for (k, _) in std::env::vars() {
            if k.starts_with("PORTICO_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("PORTICO_DATABASE_URL", db_url)
            .env("PORTICO_HASH_CONCURRENCY", "2")
            .env("RUST_LOG", "warn");
        cmd
    }

    async fn start(dir: &std::path::Path, db_url: &str) -> Self {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let child = Self::command(dir, db_url)
            .env("PORTICO_BIND", format!("127.0.0.1:{port}"))
            .env("PORTICO_PUBLIC_URL", &base)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while client.get(format!("{base}/healthz")).send().await.is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, base }
    }

    fn kill(mut self) {
        // SIGKILL: no shutdown hook, no draining, as a crash or an OOM kill would be.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn server_killed_mid_redemption_leaves_each_invitation_unused_or_fully_redeemed() {
    const N: usize = 16;
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::create(&dir).await;
    let key = practice_by_cli(dir.path(), &db.url);
    let server = ServerProcess::start(dir.path(), &db.url).await;
    let client = reqwest::Client::new();
    let auth = format!("Bearer {key}");

    for i in 0..N {
        let p: Value = client
            .post(format!("{}/api/v1/practice/patients", server.base))
            .header("Authorization", &auth)
            .json(
                &json!({"first_name": format!("Pat{i}"), "last_name": "Kill",
                          "date_of_birth": "1990-04-01", "email": format!("pat{i}@example.org"),
                          "postal_code": "97201"}),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let r = client
            .post(format!(
                "{}/api/v1/practice/patients/{}/invitations",
                server.base,
                p["id"].as_str().unwrap()
            ))
            .header("Authorization", &auth)
            .json(&json!({"channel": "email", "relation": "self"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    let mail_dir = dir.path().join("var/mail");
    let deadline = Instant::now() + Duration::from_secs(30);
    let tokens: Vec<(String, String)> = loop {
        let mail = all_mail(&mail_dir);
        if mail.len() == N {
            break mail
                .iter()
                .map(|m| {
                    let link = m.link(&format!("{}/invite/", server.base)).unwrap();
                    let address = m.to.rsplit('<').next().unwrap();
                    let user = address.split('@').next().unwrap().to_owned();
                    (token_of(&link), user)
                })
                .collect();
        }
        assert!(Instant::now() < deadline, "invitations were not delivered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    // Every link redeemed at once; the server is killed as soon as the first one succeeds.
    let base = server.base.clone();
    let mut racing = tokio::task::JoinSet::new();
    for (token, user) in tokens.clone() {
        let client = client.clone();
        let url = format!("{base}/api/v1/invitations/{token}/redeem");
        racing.spawn(async move {
            client
                .post(url)
                .json(&new_account(&user, "1990-04-01"))
                .send()
                .await
                .map(|r| r.status().as_u16())
        });
    }
    while let Some(done) = racing.join_next().await {
        if matches!(done.unwrap(), Ok(201)) {
            break;
        }
    }
    server.kill();
    racing.shutdown().await;

    // After a restart each invitation is either unused (and still works) or fully redeemed
    // (its account logs in with active access): never a used link without its account.
    let server = ServerProcess::start(dir.path(), &db.url).await;
    let (mut unused, mut redeemed) = (0, 0);
    for (token, user) in &tokens {
        let preview = client
            .get(format!("{}/api/v1/invitations/{token}", server.base))
            .send()
            .await
            .unwrap();
        match preview.status().as_u16() {
            200 => {
                unused += 1;
                let r = client
                    .post(format!("{}/api/v1/invitations/{token}/redeem", server.base))
                    .json(&new_account(user, "1990-04-01"))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    r.status(),
                    201,
                    "an unused link still works: {}",
                    r.text().await.unwrap()
                );
            }
            410 => redeemed += 1,
            other => panic!("invitation for {user}: unexpected {other}"),
        }
        let login = client
            .post(format!("{}/api/v1/login", server.base))
            .json(&json!({"username": user, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 200, "{user} logs in with active access");
    }
    eprintln!("after SIGKILL: {redeemed} redeemed, {unused} unused, none half-done");
    assert!(
        redeemed >= 1,
        "at least one redemption finished before the kill"
    );
    assert_eq!(unused + redeemed, N);
}

/// A PostgreSQL cluster of the test's own, so that it can be stopped and started without
/// disturbing anything else on the machine.
struct PrivatePostgres {
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivatePostgres {
    fn bin(name: &str) -> String {
        let root = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server binaries in /usr/lib/postgresql")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .max()
            .expect("a PostgreSQL version directory");
        root.join("bin").join(name).display().to_string()
    }

    /// Runs a PostgreSQL tool; as root it runs as `postgres`, which PostgreSQL requires.
    fn run(&self, tool: &str, args: &[&str]) {
        let is_root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout.starts_with(b"0"))
            .unwrap_or(false);
        let mut cmd = if is_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", &Self::bin(tool)]);
            c
        } else {
            Command::new(Self::bin(tool))
        };
        let out = cmd.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start_new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Command::new("chmod")
            .args(["777", &dir.path().display().to_string()])
            .status()
            .unwrap();
        let pg = Self {
            dir,
            port: free_port(),
        };
        let data = pg.data();
        pg.run(
            "initdb",
            &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"],
        );
        pg.start();
        pg
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("pg.log").display().to_string();
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-o", &opts, "-l", &log, "-w", "start"],
        );
    }

    fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--", &Self::bin("pg_ctl")])
            .args(["-D", &self.data(), "-m", "immediate", "stop"])
            .output();
    }
}

#[tokio::test]
async fn postgres_restarted_under_load_answers_503_then_recovers_by_itself() {
    let pg = PrivatePostgres::start_new();
    let url = pg.url();
    let app = TestApp::spawn_with(|s| {
        s.database_url = portico::config::Secret::new(url);
        s.database_max_connections = Some(4);
        s.database_acquire_timeout_ms = 500;
    })
    .await;
    let (_, key) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;

    // Four clients read the practice's patients in a loop for the whole test.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (client, url, key, stop) = (
            app.client.clone(),
            app.url("/api/v1/practice/patients?limit=1"),
            key.clone(),
            stop.clone(),
        );
        load.spawn(async move {
            let mut seen: Vec<(u16, Value)> = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(r) = client.get(&url).bearer_auth(&key).send().await {
                    let status = r.status().as_u16();
                    let body = r.json().await.unwrap_or(Value::Null);
                    seen.push((status, body));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            seen
        });
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    pg.stop();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    pg.start();

    // Service resumes without a restart of Portico.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = app.get("/api/v1/practice/patients?limit=1", &key).await;
        if r.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "service did not resume");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut unavailable = 0;
    while let Some(seen) = load.join_next().await {
        for (status, body) in seen.unwrap() {
            match status {
                200 => {}
                503 => {
                    assert_eq!(body["code"], "temporarily_unavailable", "{body}");
                    unavailable += 1;
                }
                other => panic!("only 200 or 503 while the database restarts, got {other}: {body}"),
            }
        }
    }
    assert!(
        unavailable > 0,
        "requests during the outage were answered 503"
    );
}

/// Migrates the database and creates a practice through the CLI; returns its admin key.
fn practice_by_cli(dir: &std::path::Path, db_url: &str) -> String {
    let migrated = ServerProcess::command(dir, db_url)
        .arg("migrate")
        .status()
        .unwrap();
    assert!(migrated.success());
    let out = ServerProcess::command(dir, db_url)
        .args([
            "practice",
            "create",
            "--slug",
            "smith-family-clinic",
            "--name",
            "Smith Family Clinic",
            "--phone",
            "555-0100",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned()
}

/// The messages to `to` in the mail directory, after waiting (in real time, at most 30 s) for
/// at least `n` of them.
async fn mail_to(mail_dir: &std::path::Path, to: &str, n: usize) -> Vec<crate::mailbox::Mail> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mail: Vec<_> = all_mail(mail_dir)
            .into_iter()
            .filter(|m| m.to.contains(to))
            .collect();
        if mail.len() >= n || Instant::now() > deadline {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn server_killed_after_a_redemption_commits_and_before_its_message_is_sent_sends_it_once_on_restart()
 {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::create(&dir).await;
    let key = practice_by_cli(dir.path(), &db.url);
    let mail_dir = dir.path().join("var/mail");
    let client = reqwest::Client::new();
    let auth = format!("Bearer {key}");

    // A parent is invited for a child who has an email of their own.
    let server = ServerProcess::start(dir.path(), &db.url).await;
    let child: Value = client
        .post(format!("{}/api/v1/practice/patients", server.base))
        .header("Authorization", &auth)
        .json(
            &json!({"first_name": "Sam", "last_name": "Kill", "date_of_birth": "2016-05-20",
                      "email": "sam.kill@example.org", "postal_code": "97201"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = client
        .post(format!(
            "{}/api/v1/practice/patients/{}/invitations",
            server.base,
            child["id"].as_str().unwrap()
        ))
        .header("Authorization", &auth)
        .json(&json!({"channel": "email", "relation": "parent",
                      "recipient": {"first_name": "Bea", "last_name": "Kill",
                                    "email": "bea.kill@example.org"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let invitation = mail_to(&mail_dir, "bea.kill@example.org", 1).await;
    let token = token_of(
        &invitation[0]
            .link(&format!("{}/invite/", server.base))
            .expect("the invitation link"),
    );
    server.kill();

    // The redemption commits its message to the outbox; the process that committed it never
    // sends it (no delivery worker runs in it) and is killed with SIGKILL.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child_process = ServerProcess::command(dir.path(), &db.url)
        .env("PORTICO_BIND", format!("127.0.0.1:{port}"))
        .env("PORTICO_PUBLIC_URL", &base)
        .env("PORTICO_RUN_WORKERS", "false")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = client
        .post(format!("{base}/api/v1/invitations/{token}/redeem"))
        .json(
            &json!({"account": "new", "username": "bea.kill", "password": PASSWORD,
                      "date_of_birth": "2016-05-20",
                      "representative": {"first_name": "Bea", "last_name": "Kill",
                                         "date_of_birth": "1984-02-11"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    child_process.kill().unwrap();
    child_process.wait().unwrap();
    assert!(
        mail_to(&mail_dir, "sam.kill@example.org", 0)
            .await
            .is_empty(),
        "nothing was sent before the kill"
    );

    // On restart the message goes out, once; a further restart sends nothing again.
    let server = ServerProcess::start(dir.path(), &db.url).await;
    let told = mail_to(&mail_dir, "sam.kill@example.org", 1).await;
    assert_eq!(
        told.len(),
        1,
        "the committed message is sent after the restart"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill();
    let server = ServerProcess::start(dir.path(), &db.url).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        mail_to(&mail_dir, "sam.kill@example.org", 0).await.len(),
        1,
        "exactly once"
    );
    assert_eq!(
        mail_to(&mail_dir, "bea.kill@example.org", 0).await.len(),
        1,
        "the invitation was not sent again either"
    );
    drop(server);
}
