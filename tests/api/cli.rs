//! The `portico` binary as an operator uses it.

use std::process::{Command, Stdio};

pub(crate) fn portico(dir: &std::path::Path) -> Command {
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

#[test]
fn practice_create_prints_the_admin_key_alone_on_the_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = portico(dir.path())
        .args([
            "practice",
            "create",
            "--slug",
            "Smith-Family-Clinic",
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
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("ptc_") && last.len() == 47, "{stdout}");
    assert!(
        stdout.contains("smith-family-clinic"),
        "slug is stored lower case: {stdout}"
    );

    // Slugs are unique case-insensitively.
    let out = portico(dir.path())
        .args([
            "practice",
            "create",
            "--slug",
            "SMITH-family-clinic",
            "--name",
            "Other",
            "--phone",
            "555-0101",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
}

#[test]
fn bad_setting_prints_one_line_naming_it_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    for (var, value, named) in [
        ("PORTICO_BIND", "not-an-address", "PORTICO_BIND"),
        ("PORTICO_PUBLIC_URL", "ftp://x", "PORTICO_PUBLIC_URL"),
        ("PORTICO_DATABASE_URL", "mysql://x", "PORTICO_DATABASE_URL"),
        (
            "PORTICO_ACCESS_TOKEN_TTL_SECS",
            "abc",
            "PORTICO_ACCESS_TOKEN_TTL_SECS",
        ),
    ] {
        let out = portico(dir.path())
            .env(var, value)
            .arg("migrate")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}={value}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(named), "{var}: {stderr}");
    }
}

#[test]
fn migrate_runs_alone_and_is_repeatable() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = portico(dir.path()).arg("migrate").output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(dir.path().join("cli.db").exists());
}

#[test]
fn openapi_command_prints_the_committed_document() {
    let dir = tempfile::tempdir().unwrap();
    let out = portico(dir.path()).arg("openapi").output().unwrap();
    assert!(out.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let generated: serde_json::Value = serde_json::from_str(&portico::api::spec_json()).unwrap();
    assert_eq!(printed, generated);
}

#[cfg(unix)]
#[test]
fn serve_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = portico(dir.path())
        .env("PORTICO_BIND", format!("127.0.0.1:{port}"))
        .env("PORTICO_LOG_FORMAT", "json")
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "server did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit {:?}", out.status);
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(
        logs.contains("\"shutdown signal received\"") || logs.contains("shutdown signal received"),
        "{logs}"
    );
    for line in logs.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|_| panic!("not JSON: {line}"));
    }
}
