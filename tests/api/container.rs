//! The `Dockerfile` and `compose.yaml` an operator uses (issue 21, item 6).
//!
//! The files are checked here on every run. Building and starting them needs a container
//! engine that can pull the base images; where there is none, or it cannot reach a registry,
//! the test says so on the terminal (not only in captured output) and checks nothing more:
//! it does not pretend the image was built.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Printed past libtest's output capture, so a skipped build is visible in every run.
fn notice(msg: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "\nNOTICE container test: {msg}\n        (Dockerfile and compose.yaml checked as text only; \
         the image was NOT built or started.)"
    );
}

/// Runs `cmd` for at most `limit`; `None` if it could not start or ran out of time.
fn run(cmd: &mut Command, limit: Duration) -> Option<Output> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => return child.wait_with_output().ok(),
            Ok(None) if started.elapsed() < limit => std::thread::sleep(Duration::from_millis(100)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

fn first_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_owned()
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .find(|p| p.is_file())
}

/// The stages of the Dockerfile: (`FROM` line, the lines after it).
fn stages(dockerfile: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in dockerfile.lines().map(str::trim) {
        if line.starts_with("FROM ") {
            out.push((line.to_owned(), Vec::new()));
        } else if let Some((_, body)) = out.last_mut()
            && !line.is_empty()
            && !line.starts_with('#')
        {
            body.push(line.to_owned());
        }
    }
    out
}

#[test]
fn the_dockerfile_is_multi_stage_non_root_and_ships_only_the_binary_and_web() {
    let text = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    let stages = stages(&text);
    assert!(stages.len() >= 2, "multi-stage: {stages:?}");
    let (_, last) = stages.last().unwrap();
    let copies: Vec<&String> = last.iter().filter(|l| l.starts_with("COPY ")).collect();
    assert_eq!(copies.len(), 2, "{copies:?}");
    assert!(
        copies
            .iter()
            .any(|c| c.starts_with("COPY --from=build ") && c.contains("portico"))
    );
    assert!(copies.iter().any(|c| c.starts_with("COPY web/ ")));
    assert!(!last.iter().any(|l| l.starts_with("ADD ")));
    let user = last
        .iter()
        .rfind(|l| l.starts_with("USER "))
        .expect("the final stage sets a USER");
    let uid = user["USER ".len()..].split(':').next().unwrap();
    assert!(uid != "root" && uid != "0", "{user}");
    // The build context leaves out target/ (gigabytes) and git history.
    let ignore = std::fs::read_to_string(root().join(".dockerignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "target/") && ignore.lines().any(|l| l == ".git/"));

    let compose = std::fs::read_to_string(root().join("compose.yaml")).unwrap();
    for needle in [
        "image: ${POSTGRES_IMAGE:-postgres:",
        "pg_isready",
        "condition: service_healthy",
        "PORTICO_DATABASE_URL: postgres://",
        "build:",
    ] {
        assert!(compose.contains(needle), "compose.yaml lacks {needle}");
    }
}

/// Removes the test's project (containers, network, volumes) however the test ends.
struct Project<'a> {
    compose: &'a [&'a str],
    name: String,
}

impl Project<'_> {
    fn command(&self) -> Command {
        let mut cmd = Command::new(self.compose[0]);
        cmd.args(&self.compose[1..])
            .args(["-p", &self.name, "-f"])
            .arg(root().join("compose.yaml"))
            .current_dir(root());
        cmd
    }
}

impl Drop for Project<'_> {
    fn drop(&mut self) {
        let _ = run(
            self.command().args(["down", "-v", "--remove-orphans"]),
            Duration::from_secs(120),
        );
    }
}

#[test]
fn the_image_builds_and_compose_serves_portico_on_postgresql_where_an_engine_can_pull_images() {
    let Some(engine) = ["docker", "podman"]
        .into_iter()
        .find(|e| on_path(e).is_some())
    else {
        notice("SKIPPED: no container engine (docker or podman) on PATH");
        return;
    };
    match run(Command::new(engine).arg("info"), Duration::from_secs(20)) {
        Some(out) if out.status.success() => {}
        Some(out) => {
            notice(&format!(
                "SKIPPED: {engine} is installed but its daemon does not answer: {}",
                first_line(&out)
            ));
            return;
        }
        None => {
            notice(&format!("SKIPPED: `{engine} info` did not answer in 20 s"));
            return;
        }
    }
    // The small image first, with a short limit: it tells quickly whether a registry answers.
    for (image, secs) in [
        ("postgres:17-alpine", 90),
        ("debian:bookworm-slim", 300),
        ("rust:1.95-bookworm", 900),
    ] {
        match run(
            Command::new(engine).args(["pull", "-q", image]),
            Duration::from_secs(secs),
        ) {
            Some(out) if out.status.success() => {}
            other => {
                let why = other.as_ref().map(first_line).unwrap_or("timed out".into());
                notice(&format!(
                    "SKIPPED: {engine} cannot pull the base image {image}: {why}"
                ));
                return;
            }
        }
    }
    let compose: &[&str] = if engine == "docker"
        && run(
            Command::new("docker").args(["compose", "version"]),
            Duration::from_secs(20),
        )
        .is_some_and(|o| o.status.success())
    {
        &["docker", "compose"]
    } else if engine == "podman" {
        &["podman", "compose"]
    } else if on_path("docker-compose").is_some() {
        &["docker-compose"]
    } else {
        notice("SKIPPED: no compose (docker compose, docker-compose or podman compose)");
        return;
    };

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let project = Project {
        compose,
        name: format!("portico-test-{}", std::process::id()),
    };
    let up = run(
        project
            .command()
            .env("PORTICO_PORT", port.to_string())
            .env("PORTICO_GIT_COMMIT", "testbuild")
            .args(["up", "-d", "--build"]),
        Duration::from_secs(40 * 60),
    )
    .expect("compose up finishes within 40 minutes");
    assert!(
        up.status.success(),
        "compose up failed:\n{}",
        String::from_utf8_lossy(&up.stderr)
    );

    // Ready means migrated and connected to PostgreSQL.
    let deadline = Instant::now() + Duration::from_secs(180);
    let base = format!("http://127.0.0.1:{port}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ready = rt.block_on(async {
        let client = reqwest::Client::new();
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("{base}/readyz")).send().await
                && r.status() == 200
            {
                return true;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        false
    });
    let logs = run(
        project.command().args(["logs", "portico"]),
        Duration::from_secs(30),
    );
    assert!(
        ready,
        "not ready within 3 minutes:\n{}",
        logs.map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    );
    let metrics = rt.block_on(async {
        reqwest::get(format!("{base}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    assert!(metrics.contains("commit=\"testbuild\""), "{metrics}");

    // Not root inside the container.
    let id = run(
        project
            .command()
            .args(["exec", "-T", "portico", "id", "-u"]),
        Duration::from_secs(30),
    )
    .expect("exec answers");
    let uid = String::from_utf8_lossy(&id.stdout).trim().to_owned();
    assert!(!uid.is_empty() && uid != "0", "uid {uid:?}");
}
