//! Webhooks and the event feed (issue 21): a practice's subscriptions (admin keys only), the
//! events its changes publish (`store::practice_events`, written by `audit::record`), and
//! their delivery, signed the Standard Webhooks way, retried for 3 days. Depends on
//! `practice` only.

pub mod delivery;
pub mod events;
pub mod subscriptions;
