//! The delivery worker: claims due outbox rows, sends them, records the outcome. Runs in
//! every instance; the claim makes sure one message is sent by one of them at a time.

use crate::mail::transport::Transports;
use crate::state::AppState;
use crate::store::{outbox, practices};
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// Delivers until `stop` fires. Wakes on `state.outbox_wakeup` or every poll interval.
pub async fn run(
    state: AppState,
    transports: Transports,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let poll = Duration::from_millis(state.settings.outbox_poll_ms.max(10));
    loop {
        match deliver_due(&state, &transports).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox: could not read due messages"),
        }
        tokio::select! {
            _ = state.outbox_wakeup.notified() => {}
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One pass: claims and sends what is due now. Returns how many were claimed.
pub async fn deliver_due(
    state: &AppState,
    transports: &Transports,
) -> Result<usize, sea_orm::DbErr> {
    let now = state.now();
    let batch = outbox::claim_due(&state.db, now, 20).await?;
    let mut names: HashMap<Uuid, Option<String>> = HashMap::new();
    for row in &batch {
        let sender = match row.practice_id {
            Some(pid) => match names.get(&pid) {
                Some(name) => name.clone(),
                None => {
                    let name = practices::find(&state.db, pid).await?.map(|p| p.name);
                    names.insert(pid, name.clone());
                    name
                }
            },
            None => None,
        };
        match transports.deliver(row, sender.as_deref()).await {
            Ok(()) => {
                outbox::mark_sent(&state.db, row.id, state.now()).await?;
                tracing::info!(outbox_id = %row.id, channel = row.channel.as_str(), template = %row.template, "message delivered");
            }
            Err(e) => {
                outbox::mark_attempt_failed(&state.db, row, &e.message, e.permanent, state.now())
                    .await?;
                tracing::warn!(
                    outbox_id = %row.id, channel = row.channel.as_str(), template = %row.template,
                    attempts = row.attempts, permanent = e.permanent, error = %e.message,
                    "message not delivered"
                );
            }
        }
    }
    Ok(batch.len())
}
