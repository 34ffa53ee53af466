//! Login throttling, stored in the `throttles` table so that several instances on one
//! database share it. Two keys per attempt: the account (the SHA-256 of the folded username,
//! so unknown usernames are throttled exactly like known ones) and the client address (from a
//! trusted proxy only, see `RequestMeta`). The rules are in `domain::throttle`.
//!
//! [`attempt`] counts the attempt on both keys BEFORE any password hash or code check, with
//! one upsert that returns the new counts (`store::throttles`), and refuses it (429) when
//! either key must wait: so forty attempts sent at once are judged exactly as forty sent one
//! after another, and at most as many reach argon2. The attempt then ends as
//! [`Attempt::failed`] (a wrong password or two-step code: one counter per account for both
//! factors; a wait imposed is audited), [`Attempt::succeeded`] (the count is taken back) or
//! [`Attempt::completed_login`] (taken back and the account's failures cleared, in the same
//! statement); [`forget_account`] clears the account after a password reset. Every refusal is
//! audited.
//!
//! Lockout choice: the account key only ever imposes waits (at most 30 seconds) until 100
//! failures in an hour; then it refuses until that hour ends, whoever asks. A stranger can
//! therefore delay a patient, and after 100 guesses keep them out for what is left of that
//! hour, but never longer; a password reset clears the account's counter at once.

use crate::crypto::secrets;
use crate::domain::throttle::{self, Rule};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::throttle as row;
use crate::store::throttles;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::json;

/// One counter an attempt is counted on.
#[derive(Debug, Clone)]
pub struct Key {
    key: String,
    kind: &'static str,
    rule: Rule,
}

impl Key {
    /// A counter of its own, for guesses other than logins (`scope` names what is guessed).
    pub fn client(scope: &str, meta: &RequestMeta, rule: Rule) -> Option<Key> {
        meta.ip
            .as_deref()
            .filter(|ip| !ip.is_empty())
            .map(|ip| Key {
                key: format!("{scope}:ip:{ip}"),
                kind: "client",
                rule,
            })
    }
}

fn account_key(username: &str) -> String {
    format!(
        "account:{}",
        secrets::hash_token(&crate::domain::username::fold(username))
    )
}

fn keys(username: &str, meta: &RequestMeta) -> Vec<Key> {
    let mut keys = vec![Key {
        key: account_key(username),
        kind: "account",
        rule: throttle::ACCOUNT,
    }];
    if let Some(ip) = meta.ip.as_deref().filter(|ip| !ip.is_empty()) {
        keys.push(Key {
            key: format!("ip:{ip}"),
            kind: "client",
            rule: throttle::CLIENT,
        });
    }
    keys
}

/// How an attempt is named in the audit trail.
#[derive(Debug, Clone, Copy)]
pub struct Kinds {
    /// An attempt refused because a key must wait.
    pub refused: &'static str,
    /// A failed attempt that makes the next one wait.
    pub imposed: &'static str,
}

/// The audit kinds of login attempts.
pub const LOGIN: Kinds = Kinds {
    refused: "login.throttled",
    imposed: "login.throttle_imposed",
};

#[derive(Debug, Clone)]
struct Trail {
    kinds: Kinds,
    detail: serde_json::Value,
}

/// An attempt counted on its keys and allowed to go ahead: end it with [`Attempt::failed`]
/// or [`Attempt::succeeded`]. (Dropped without either, it stays counted as a failure.)
#[must_use = "an attempt ends as failed or succeeded"]
pub struct Attempt {
    counted: Vec<(Key, row::Model)>,
    trail: Trail,
}

/// Counts a login attempt (a password, a two-step code, a current password, a consent code)
/// on the account and the client address before anything is checked. `rate_limited` (with
/// `Retry-After`, audited as `login.throttled`) while either must wait.
pub async fn attempt(
    state: &AppState,
    username: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Attempt> {
    let trail = Trail {
        kinds: LOGIN,
        detail: json!({
            "username_sha256": secrets::hash_token(&crate::domain::username::fold(username)),
        }),
    };
    attempt_on(state, keys(username, meta), trail, meta, now).await
}

/// Counts a guess at something other than a login (a reset link, an intake code) on `keys`,
/// audited as `kinds` say.
pub async fn attempt_guess(
    state: &AppState,
    keys: Vec<Key>,
    kinds: Kinds,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Attempt> {
    let trail = Trail {
        kinds,
        detail: json!({}),
    };
    attempt_on(state, keys, trail, meta, now).await
}

fn event_detail(trail: &Trail, extra: serde_json::Value) -> serde_json::Value {
    let mut detail = trail.detail.clone();
    if let (Some(d), Some(e)) = (detail.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    detail
}

async fn attempt_on(
    state: &AppState,
    keys: Vec<Key>,
    trail: Trail,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Attempt> {
    // A key can stop waiting between the refusing upsert and the read that says for how
    // long (a success cleared it); the attempt is then counted again, a few times at most.
    let counters: Vec<throttles::Counter<'_>> = keys
        .iter()
        .map(|k| throttles::Counter {
            key: &k.key,
            rule: k.rule,
        })
        .collect();
    for _ in 0..3 {
        let mut rows = throttles::count_attempts(&state.db, &counters, now).await?;
        let counted: Vec<(Key, row::Model)> = keys
            .iter()
            .filter_map(|k| {
                let i = rows.iter().position(|r| r.key == k.key)?;
                Some((k.clone(), rows.swap_remove(i)))
            })
            .collect();
        let Some(k) = keys
            .iter()
            .find(|k| !counted.iter().any(|(c, _)| c.key == k.key))
        else {
            return Ok(Attempt { counted, trail });
        };
        // Refused attempts are not counted on any key.
        throttles::settle(&state.db, &rules_of(&counted), None, now).await?;
        let Some((r, until)) = throttles::find(&state.db, &k.key)
            .await?
            .and_then(|r| throttles::waiting_until(&r, k.rule, now).map(|u| (r, u)))
        else {
            continue;
        };
        let retry_after_secs = throttle::retry_after(until, now);
        audit::record(
            &state.db,
            meta,
            Event::new(trail.kinds.refused, Actor::Anonymous).detail(event_detail(
                &trail,
                json!({
                    "key": k.kind,
                    "failures": r.failures,
                    "retry_after": retry_after_secs,
                }),
            )),
            now,
        )
        .await?;
        return Err(Error::RateLimited { retry_after_secs });
    }
    Err(Error::RateLimited {
        retry_after_secs: 1,
    })
}

fn rules_of(counted: &[(Key, row::Model)]) -> Vec<(Rule, row::Model)> {
    counted.iter().map(|(k, r)| (k.rule, r.clone())).collect()
}

impl Attempt {
    /// The guess was wrong: it stays counted; a key that now makes the next attempt wait is
    /// audited.
    pub async fn failed(
        self,
        state: &AppState,
        meta: &RequestMeta,
        now: DateTime<Utc>,
    ) -> Result<()> {
        for (k, r) in &self.counted {
            let Some(until) = throttles::waiting_until(r, k.rule, now) else {
                continue;
            };
            audit::record(
                &state.db,
                meta,
                Event::new(self.trail.kinds.imposed, Actor::Anonymous).detail(event_detail(
                    &self.trail,
                    json!({
                        "key": k.kind,
                        "failures": r.failures,
                        "wait_secs": throttle::retry_after(until, now),
                    }),
                )),
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// The guess was right (or turned out not to be a guess): its count is taken back, in
    /// one statement for all its keys.
    pub async fn succeeded(self, state: &AppState, now: DateTime<Utc>) -> Result<()> {
        throttles::settle(&state.db, &rules_of(&self.counted), None, now).await?;
        Ok(())
    }

    /// The login is complete (every factor checked): the count is taken back and the
    /// account's failures are cleared, in one statement.
    pub async fn completed_login(
        self,
        state: &AppState,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let account = account_key(username);
        throttles::settle(&state.db, &rules_of(&self.counted), Some(&account), now).await?;
        Ok(())
    }
}

/// Clears the account's counter: after a complete login, or a password reset.
pub async fn forget_account<C: ConnectionTrait>(conn: &C, username: &str) -> Result<(), DbErr> {
    throttles::forget(conn, &account_key(username)).await
}
