//! How failed logins slow further attempts (NIST SP 800-63B-4 §3.2.2, ASVS 6.3.1), with no
//! I/O. Failures are counted per key in a one-hour window that starts with the first failure:
//! a few are free, then each failure makes the next attempt wait longer (doubling, up to a
//! ceiling), and at the hourly cap nothing more is tried until the window ends. Attempts
//! refused while waiting are not counted, so waiting is never extended by them.

use chrono::{DateTime, TimeDelta, Utc};

/// What is counted, and how strictly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Failures allowed without any wait.
    pub free: i32,
    /// The longest wait between two attempts before the cap.
    pub max_delay: TimeDelta,
    /// Failures in one window after which everything waits for the window's end.
    pub cap: i32,
}

/// The window failures are counted in.
pub const WINDOW: TimeDelta = TimeDelta::hours(1);

/// Per account (known or unknown username alike): never more than 100 failures an hour.
pub const ACCOUNT: Rule = Rule {
    free: 5,
    max_delay: TimeDelta::seconds(30),
    cap: 100,
};

/// Per client address: more room (a household or clinic shares one), the same growth.
pub const CLIENT: Rule = Rule {
    free: 20,
    max_delay: TimeDelta::seconds(30),
    cap: 1000,
};

/// Links mailed on request (password reset, username reminder), per account: three an hour,
/// then none until the hour is over.
pub const LINKS_PER_ACCOUNT: Rule = Rule {
    free: 3,
    max_delay: WINDOW,
    cap: 3,
};

/// Guesses at a link or code that is a credential by itself (a reset link, an intake code),
/// per client address: room for a household or a clinic's tablets, then the same growth.
pub const LINK_GUESSES: Rule = Rule {
    free: 10,
    max_delay: TimeDelta::seconds(30),
    cap: 100,
};

/// Until when the next attempt must wait after `failures` failures in a window that started
/// at `window_started_at`, the last one at `now`; `None` when it need not.
pub fn blocked_until(
    rule: Rule,
    failures: i32,
    window_started_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if failures >= rule.cap {
        return Some(window_started_at + WINDOW);
    }
    if failures < rule.free {
        return None;
    }
    let over = u32::try_from(failures - rule.free).unwrap_or(0).min(20);
    let delay = TimeDelta::seconds(1i64 << over).min(rule.max_delay);
    Some(now + delay)
}

/// The waits below the cap, as an attempt brings a key's count to `failures` at `now`:
/// `(failures, until)` for each count from `rule.free` whose wait is shorter than the
/// ceiling, then the ceiling itself, which every higher count below the cap waits. Counts
/// below `rule.free` wait nothing. (The store turns this into one SQL `CASE`, so the count
/// and its wait are written by the same statement.)
pub fn wait_steps(rule: Rule, now: DateTime<Utc>) -> (Vec<(i32, DateTime<Utc>)>, DateTime<Utc>) {
    let ceiling = now + rule.max_delay;
    let mut steps = Vec::new();
    let mut failures = rule.free;
    while failures < rule.cap {
        match blocked_until(rule, failures, now, now) {
            Some(until) if until < ceiling => steps.push((failures, until)),
            _ => break,
        }
        failures += 1;
    }
    (steps, ceiling)
}

/// Whole seconds to wait, at least 1, for `Retry-After`.
pub fn retry_after(until: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    let ms = (until - now).num_milliseconds().max(0);
    u64::try_from((ms + 999) / 1000).unwrap_or(1).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_start_after_the_free_failures_double_and_stop_at_the_ceiling() {
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let now = t0 + TimeDelta::minutes(1);
        assert_eq!(blocked_until(ACCOUNT, 4, t0, now), None);
        assert_eq!(
            blocked_until(ACCOUNT, 5, t0, now),
            Some(now + TimeDelta::seconds(1))
        );
        assert_eq!(
            blocked_until(ACCOUNT, 7, t0, now),
            Some(now + TimeDelta::seconds(4))
        );
        assert_eq!(
            blocked_until(ACCOUNT, 60, t0, now),
            Some(now + TimeDelta::seconds(30))
        );
        assert_eq!(blocked_until(ACCOUNT, 100, t0, now), Some(t0 + WINDOW));
    }

    #[test]
    fn wait_steps_list_each_wait_below_the_ceiling() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let (steps, ceiling) = wait_steps(ACCOUNT, now);
        let secs: Vec<(i32, i64)> = steps
            .iter()
            .map(|(n, u)| (*n, (*u - now).num_seconds()))
            .collect();
        assert_eq!(secs, vec![(5, 1), (6, 2), (7, 4), (8, 8), (9, 16)]);
        assert_eq!(ceiling, now + TimeDelta::seconds(30));
    }

    #[test]
    fn retry_after_rounds_up() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(retry_after(now + TimeDelta::milliseconds(1500), now), 2);
        assert_eq!(retry_after(now, now), 1);
    }
}
