//! `/metrics` for operators: process, build, outbox backlog and database pool figures
//! (issue 21, item 6).

use crate::helpers::TestApp;
use crate::smtp_sink::SmtpSink;
use chrono::TimeDelta;
use portico::config::Secret;
use portico::mail::compose::Email;
use portico::store::outbox;
use std::collections::BTreeMap;
use std::time::Duration;

/// The samples of a Prometheus text exposition: `name{labels}` to value.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("bad line {l:?}"));
            (
                k.to_owned(),
                v.parse().unwrap_or_else(|_| panic!("bad value {l:?}")),
            )
        })
        .collect()
}

async fn scrape(app: &TestApp) -> BTreeMap<String, f64> {
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    // Every sample has HELP and TYPE lines.
    for name in samples(&text)
        .keys()
        .map(|k| k.split('{').next().unwrap().to_owned())
    {
        let family = name
            .strip_suffix("_bucket")
            .or(name.strip_suffix("_sum"))
            .or(name.strip_suffix("_count"))
            .filter(|f| text.contains(&format!("# TYPE {f} histogram")))
            .unwrap_or(&name);
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "no TYPE for {name}"
        );
        assert!(
            text.contains(&format!("# HELP {family} ")),
            "no HELP for {name}"
        );
    }
    samples(&text)
}

#[tokio::test]
async fn metrics_show_the_process_the_build_and_the_database_pool() {
    let app = TestApp::spawn().await;
    let m = scrape(&app).await;
    let rss = m["process_resident_memory_bytes"];
    assert!(rss > 1e6 && rss < 8e9, "RSS {rss}");
    let cpu = m["process_cpu_seconds_total"];
    assert!(cpu > 0.0 && cpu < 1e6, "CPU {cpu}");
    let fds = m["process_open_fds"];
    assert!(fds >= 3.0 && fds <= m["process_max_fds"], "fds {fds}");
    let started = m["process_start_time_seconds"];
    let now = chrono::Utc::now().timestamp() as f64;
    assert!(
        started <= now + 1.0 && started > now - 7.0 * 86400.0,
        "start {started}"
    );

    let build: Vec<&String> = m
        .keys()
        .filter(|k| k.starts_with("portico_build_info{"))
        .collect();
    assert_eq!(build.len(), 1, "{build:?}");
    assert!(
        build[0].contains(&format!("version=\"{}\"", env!("CARGO_PKG_VERSION")))
            && build[0].contains("commit=\""),
        "{build:?}"
    );

    let max = m["portico_db_pool_max_connections"];
    let in_use = m["portico_db_pool_connections{state=\"in_use\"}"];
    let idle = m["portico_db_pool_connections{state=\"idle\"}"];
    assert!(max >= 1.0, "max {max}");
    assert!(
        in_use >= 0.0 && idle >= 0.0 && in_use + idle <= max,
        "{in_use} + {idle} of {max}"
    );
    // The CPU counter only goes up.
    let again = scrape(&app).await;
    assert!(again["process_cpu_seconds_total"] >= cpu);
}

#[tokio::test]
async fn metrics_show_the_outbox_backlog_and_its_oldest_age_per_channel() {
    // The mail server is down: the message waits in the outbox.
    let mut sink = SmtpSink::start().await;
    sink.stop();
    let url = sink.url();
    let app = TestApp::spawn_with(move |s| {
        s.outbox_poll_ms = 20;
        s.smtp_url = Some(Secret::new(url));
    })
    .await;
    let m = scrape(&app).await;
    for channel in ["email", "sms"] {
        assert_eq!(
            m[&format!("portico_outbox_pending_messages{{channel=\"{channel}\"}}")],
            0.0
        );
        assert_eq!(
            m[&format!("portico_outbox_oldest_pending_age_seconds{{channel=\"{channel}\"}}")],
            0.0
        );
        assert_eq!(
            m[&format!("portico_outbox_failed_messages{{channel=\"{channel}\"}}")],
            0.0
        );
    }

    let (practice_id, _) = app.create_practice("smith", "Smith", "555-0100").await;
    for to in ["ann@example.org", "bob@example.org"] {
        let msg = Email::new("Hello")
            .para("Hello,")
            .render("test", to, Some("Smith"));
        outbox::enqueue(&app.state.db, Some(practice_id), msg, app.clock_now())
            .await
            .unwrap();
    }
    app.state.outbox_wakeup.notify_one();
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.clock.advance(TimeDelta::seconds(90));

    let m = scrape(&app).await;
    assert_eq!(m["portico_outbox_pending_messages{channel=\"email\"}"], 2.0);
    assert_eq!(m["portico_outbox_pending_messages{channel=\"sms\"}"], 0.0);
    let age = m["portico_outbox_oldest_pending_age_seconds{channel=\"email\"}"];
    assert!((90.0..3600.0).contains(&age), "age {age}");
    assert_eq!(
        m["portico_outbox_oldest_pending_age_seconds{channel=\"sms\"}"],
        0.0
    );
}
