//! `/metrics` in full: request counters and latencies, statements, the SQLite fast path, the
//! process, the build, the outbox's backlog per channel and the database pool.

use crate::db;
use crate::state::AppState;
use crate::store::outbox::{self, Backlog, Channel, FAILED, PENDING};
use crate::telemetry::process::{ProcessFigures, render_build_info};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The Prometheus text exposition (version 0.0.4). A figure that cannot be read now (the
/// database is down, `/proc` is absent) is left out; the rest is still shown.
pub async fn render(state: &AppState, now: DateTime<Utc>) -> String {
    let mut text = state.metrics.render();
    if let Some(direct) = &state.direct {
        direct.render_metrics(&mut text);
    }
    ProcessFigures::read().render(&mut text);
    render_build_info(&mut text);
    match outbox::backlog(&state.db).await {
        Ok(rows) => render_outbox(&rows, now, &mut text),
        Err(e) => tracing::warn!(error = %e, "metrics: the outbox backlog could not be read"),
    }
    if let Some(pool) = db::pool_use(&state.db) {
        let _ = writeln!(
            text,
            "# HELP portico_db_pool_connections Database pool connections, in use and idle.\n\
             # TYPE portico_db_pool_connections gauge\n\
             portico_db_pool_connections{{state=\"in_use\"}} {}\n\
             portico_db_pool_connections{{state=\"idle\"}} {}\n\
             # HELP portico_db_pool_max_connections The most connections the pool opens \
             (PORTICO_DATABASE_MAX_CONNECTIONS).\n\
             # TYPE portico_db_pool_max_connections gauge\n\
             portico_db_pool_max_connections {}",
            pool.in_use, pool.idle, pool.max
        );
    }
    text
}

#[derive(Default)]
struct ChannelBacklog {
    pending: i64,
    oldest_pending: Option<DateTime<Utc>>,
    failed: i64,
}

/// Every channel is listed, at zero when nothing waits, so an alert on a series never finds
/// it missing.
fn render_outbox(rows: &[Backlog], now: DateTime<Utc>, out: &mut String) {
    let mut by_channel: BTreeMap<&'static str, ChannelBacklog> = [Channel::Email, Channel::Sms]
        .into_iter()
        .map(|c| (c.as_str(), ChannelBacklog::default()))
        .collect();
    for row in rows {
        let entry = by_channel.entry(row.channel.as_str()).or_default();
        if row.status == PENDING {
            entry.pending += row.messages;
            entry.oldest_pending = match (entry.oldest_pending, row.oldest) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        } else if row.status == FAILED {
            entry.failed += row.messages;
        }
    }
    out.push_str(
        "# HELP portico_outbox_pending_messages Messages waiting to be delivered, by channel.\n\
         # TYPE portico_outbox_pending_messages gauge\n",
    );
    for (channel, b) in &by_channel {
        let _ = writeln!(
            out,
            "portico_outbox_pending_messages{{channel=\"{channel}\"}} {}",
            b.pending
        );
    }
    out.push_str(
        "# HELP portico_outbox_oldest_pending_age_seconds How long the oldest waiting message \
         has waited, by channel (0 when none waits).\n\
         # TYPE portico_outbox_oldest_pending_age_seconds gauge\n",
    );
    for (channel, b) in &by_channel {
        let age = b
            .oldest_pending
            .map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1000.0);
        let _ = writeln!(
            out,
            "portico_outbox_oldest_pending_age_seconds{{channel=\"{channel}\"}} {age}"
        );
    }
    out.push_str(
        "# HELP portico_outbox_failed_messages Messages given up on, by channel \
         (`portico outbox list --status failed`).\n\
         # TYPE portico_outbox_failed_messages gauge\n",
    );
    for (channel, b) in &by_channel {
        let _ = writeln!(
            out,
            "portico_outbox_failed_messages{{channel=\"{channel}\"}} {}",
            b.failed
        );
    }
}
