//! What the server writes to stderr, as a log collector sees it (issue 21, item 6): no colour
//! codes when stderr is not a terminal, and JSON lines with `request_id` at the top level.

use crate::cli::portico;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn text_logs_carry_no_colour_codes_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    // stderr is a pipe here, as under systemd, Docker or a log shipper.
    let out = portico(dir.path()).arg("migrate").output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("INFO") || stderr.contains("WARN"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "ANSI escape in: {stderr:?}");
}

/// Kills the server however the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn json_log_lines_of_a_request_carry_its_request_id_at_the_top_level() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = portico(dir.path())
        .arg("serve")
        .env("PORTICO_BIND", "127.0.0.1:0")
        .env("PORTICO_LOG_FORMAT", "json")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let server = Server(child);
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next = |what: &str, pick: &dyn Fn(&Value) -> bool| -> Value {
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no log line for {what}"));
            assert!(!line.contains('\u{1b}'), "ANSI escape in {line:?}");
            let v: Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            if pick(&v) {
                return v;
            }
        }
    };
    let listening = next("the listening port", &|v| {
        v["message"] == "portico listening"
    });
    assert!(
        listening.get("request_id").is_none(),
        "no request outside one: {listening}"
    );
    let port = listening["port"].as_u64().unwrap();

    let r = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/api/v1/practice/settings"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let logged = next("the request", &|v| v["message"] == "request");
    assert_eq!(logged["request_id"], id, "{logged}");
    assert_eq!(logged["status"], 401);
    let keys: Vec<&String> = logged.as_object().unwrap().keys().collect();
    assert_eq!(keys[..3], ["timestamp", "level", "request_id"], "{logged}");
    drop(server);
}
