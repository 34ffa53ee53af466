//! Login rules, with no I/O: where an account stands at a practice, and which practice a login
//! is for (seeds 000, 001, 003, 004).

use crate::domain::access::AccessStatus;

/// Authentication methods (RFC 8176) of a password login.
pub const AMR_PASSWORD: &[&str] = &["pwd"];

/// Where an account stands at one practice, from its portal accesses there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PracticeStanding {
    /// At least one access is active: the account may log in, for the active patients.
    Active,
    /// Nothing active and something blocked: login is refused with the practice's phone.
    Blocked,
    /// Nothing active or blocked, something revoked: the practice deactivated the access.
    Revoked,
    /// Nothing active or blocked; an adult representative's access waits for the patient's
    /// consent.
    ConsentPending,
    /// Nothing active, blocked or pending; the patient's consent to a representative ran out.
    ConsentExpired,
    /// A sign-up waits for its emailed confirmation link (issue 22: the person is told to
    /// confirm, and can have the link sent again).
    EmailUnconfirmed,
}

impl PracticeStanding {
    /// Which of two standings a login is told about: blocked first (the practice's decision),
    /// then a pending consent, a lapsed one, and revoked last.
    fn rank(self) -> u8 {
        match self {
            PracticeStanding::Active => 0,
            PracticeStanding::Blocked => 1,
            PracticeStanding::ConsentPending => 2,
            PracticeStanding::ConsentExpired => 3,
            PracticeStanding::EmailUnconfirmed => 4,
            PracticeStanding::Revoked => 5,
        }
    }
}

/// The standing of an account at a practice, or `None` when it has nothing there that a
/// login could use or be told about (only invitations or expired links).
/// Active wins: a parent with one child blocked still logs in for the other children.
pub fn standing(statuses: impl IntoIterator<Item = AccessStatus>) -> Option<PracticeStanding> {
    let mut best = None;
    for status in statuses {
        let s = match status {
            AccessStatus::Active => return Some(PracticeStanding::Active),
            AccessStatus::Blocked => PracticeStanding::Blocked,
            AccessStatus::Revoked => PracticeStanding::Revoked,
            AccessStatus::PendingConsent => PracticeStanding::ConsentPending,
            AccessStatus::ConsentExpired => PracticeStanding::ConsentExpired,
            AccessStatus::PendingVerification => PracticeStanding::EmailUnconfirmed,
            AccessStatus::Invited | AccessStatus::Expired => {
                continue;
            }
        };
        best = match best {
            Some(b) if PracticeStanding::rank(b) <= s.rank() => Some(b),
            _ => Some(s),
        };
    }
    best
}

/// Which practice a login is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PracticeChoice<K> {
    /// Log in to this practice.
    Use(K),
    /// The practice refuses: its standing is `Blocked` or `Revoked`.
    Refuse(K, PracticeStanding),
    /// Several practices: the person must choose (blocked and revoked ones are listed too, so
    /// the page can show the practice's message).
    Choose(Vec<K>),
    /// No access there (or anywhere).
    NoAccess,
}

/// Chooses the practice of a login from the account's practices (`key`, slug, standing).
/// A requested slug must be one of them; without one, the only active practice is taken.
pub fn choose_practice<K: Clone>(
    requested: Option<&str>,
    practices: &[(K, &str, Option<PracticeStanding>)],
) -> PracticeChoice<K> {
    let listed: Vec<_> = practices
        .iter()
        .filter_map(|(k, slug, s)| s.map(|s| (k, *slug, s)))
        .collect();
    if let Some(wanted) = requested {
        let wanted = wanted.trim();
        return match listed
            .iter()
            .find(|(_, slug, _)| slug.eq_ignore_ascii_case(wanted))
        {
            Some((k, _, PracticeStanding::Active)) => PracticeChoice::Use((*k).clone()),
            Some((k, _, s)) => PracticeChoice::Refuse((*k).clone(), *s),
            None => PracticeChoice::NoAccess,
        };
    }
    let active: Vec<_> = listed
        .iter()
        .filter(|(_, _, s)| *s == PracticeStanding::Active)
        .collect();
    match (active.as_slice(), listed.as_slice()) {
        ([(k, _, _)], _) => PracticeChoice::Use((*k).clone()),
        ([], []) => PracticeChoice::NoAccess,
        ([], [(k, _, s)]) => PracticeChoice::Refuse((*k).clone(), *s),
        _ => PracticeChoice::Choose(listed.iter().map(|(k, _, _)| (*k).clone()).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccessStatus::*;
    use PracticeStanding as S;

    #[test]
    fn active_wins_then_blocked_then_revoked() {
        assert_eq!(standing([Blocked, Active, Revoked]), Some(S::Active));
        assert_eq!(standing([Revoked, Blocked]), Some(S::Blocked));
        assert_eq!(standing([Blocked, Revoked]), Some(S::Blocked));
        assert_eq!(standing([Revoked, Invited]), Some(S::Revoked));
        assert_eq!(standing([Invited, Expired]), None);
        assert_eq!(
            standing([Invited, PendingVerification, Expired]),
            Some(S::EmailUnconfirmed)
        );
        assert_eq!(
            standing([Revoked, PendingVerification]),
            Some(S::EmailUnconfirmed)
        );
        assert_eq!(standing([]), None);
        assert_eq!(standing([Revoked, PendingConsent]), Some(S::ConsentPending));
        assert_eq!(standing([PendingConsent, Blocked]), Some(S::Blocked));
        assert_eq!(standing([ConsentExpired, Revoked]), Some(S::ConsentExpired));
    }

    #[test]
    fn a_requested_practice_is_used_refused_or_unknown() {
        let ps = [
            (1, "smith", Some(S::Active)),
            (2, "jones", Some(S::Blocked)),
            (3, "gone", Some(S::Revoked)),
            (4, "pending", None),
        ];
        assert_eq!(choose_practice(Some("SMITH"), &ps), PracticeChoice::Use(1));
        assert_eq!(
            choose_practice(Some("jones"), &ps),
            PracticeChoice::Refuse(2, S::Blocked)
        );
        assert_eq!(
            choose_practice(Some("gone"), &ps),
            PracticeChoice::Refuse(3, S::Revoked)
        );
        assert_eq!(
            choose_practice(Some("pending"), &ps),
            PracticeChoice::NoAccess
        );
        assert_eq!(
            choose_practice(Some("other"), &ps),
            PracticeChoice::NoAccess
        );
    }

    #[test]
    fn without_a_practice_the_only_active_one_is_taken() {
        let one_active = [(1, "a", Some(S::Active)), (2, "b", Some(S::Blocked))];
        assert_eq!(choose_practice(None, &one_active), PracticeChoice::Use(1));
        let two_active = [
            (1, "a", Some(S::Active)),
            (2, "b", Some(S::Active)),
            (3, "c", Some(S::Blocked)),
            (4, "d", None),
        ];
        assert_eq!(
            choose_practice(None, &two_active),
            PracticeChoice::Choose(vec![1, 2, 3])
        );
    }

    #[test]
    fn without_a_practice_and_nothing_active_the_refusal_is_named() {
        let blocked = [(1, "a", Some(S::Blocked)), (2, "b", None)];
        assert_eq!(
            choose_practice(None, &blocked),
            PracticeChoice::Refuse(1, S::Blocked)
        );
        let two_refusals = [(1, "a", Some(S::Blocked)), (2, "b", Some(S::Revoked))];
        assert_eq!(
            choose_practice(None, &two_refusals),
            PracticeChoice::Choose(vec![1, 2])
        );
        assert_eq!(choose_practice::<i32>(None, &[]), PracticeChoice::NoAccess);
    }
}
