//! Logs (tracing; JSON with `PORTICO_LOG_FORMAT=json`) and Prometheus metrics.
//! The process, build, outbox and pool figures are added by `service::operations::metrics`.
//!
//! Logs name the operation, never the raw path: paths such as `/api/v1/invitations/{token}`
//! carry secrets.

use crate::config::LogFormat;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

pub mod json_log;
pub mod process;
pub mod statements;

/// Installs the global subscriber once; later calls (tests) are ignored.
pub fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,poem=warn"));
    // Logs go to stderr: stdout belongs to the CLI commands' output (a new API key, a key
    // id), which scripts read; a service manager or container runtime collects both.
    // Colour only for a person at a terminal: a pipe to journald, Docker or a log shipper
    // gets plain text (https://no-color.org: NO_COLOR turns it off at a terminal too).
    let ansi = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .event_format(json_log::TopLevelRequestId(
                tracing_subscriber::fmt::format()
                    .json()
                    .flatten_event(true)
                    .with_target(false),
            ))
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Latency histogram bucket bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Request counters by operation and status, a latency histogram by operation, and the
/// database statements each operation sent.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    statements: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    pub fn record(&self, operation: &'static str, status: u16, elapsed: Duration, statements: u64) {
        *self
            .statements
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(operation)
            .or_default() += statements;
        *self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((operation, status))
            .or_default() += 1;
        let secs = elapsed.as_secs_f64();
        let mut lat = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let h = lat.entry(operation).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP portico_http_requests_total HTTP requests by operation and status.\n");
        out.push_str("# TYPE portico_http_requests_total counter\n");
        for ((op, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "portico_http_requests_total{{operation=\"{op}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str(
            "# HELP portico_http_request_duration_seconds HTTP request latency by operation.\n",
        );
        out.push_str("# TYPE portico_http_request_duration_seconds histogram\n");
        for (op, h) in self
            .latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "portico_http_request_duration_seconds_bucket{{operation=\"{op}\",le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "portico_http_request_duration_seconds_bucket{{operation=\"{op}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "portico_http_request_duration_seconds_sum{{operation=\"{op}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "portico_http_request_duration_seconds_count{{operation=\"{op}\"}} {}",
                h.count
            );
        }
        out.push_str(
            "# HELP portico_db_statements_total Database statements by operation (BEGIN and COMMIT not counted).\n",
        );
        out.push_str("# TYPE portico_db_statements_total counter\n");
        for (op, n) in self
            .statements
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(out, "portico_db_statements_total{{operation=\"{op}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "portico_db_statements_total{{operation=\"background\"}} {}",
            statements::background_total()
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.record("getPatient", 200, Duration::from_millis(3), 2);
        m.record("getPatient", 404, Duration::from_millis(30), 1);
        let text = m.render();
        assert!(
            text.contains("portico_http_requests_total{operation=\"getPatient\",status=\"200\"} 1")
        );
        assert!(text.contains(
            "portico_http_request_duration_seconds_bucket{operation=\"getPatient\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "portico_http_request_duration_seconds_bucket{operation=\"getPatient\",le=\"0.05\"} 2"
        ));
        assert!(
            text.contains(
                "portico_http_request_duration_seconds_count{operation=\"getPatient\"} 2"
            )
        );
        assert!(text.contains("portico_db_statements_total{operation=\"getPatient\"} 3"));
    }
}
