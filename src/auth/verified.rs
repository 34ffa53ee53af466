//! Access tokens whose signature this process has already checked.
//!
//! A client sends the same access token on every call until it expires, and checking its
//! Ed25519 signature is the largest single cost of a token check (introspection, userinfo,
//! every patient API call). So the claims of a token whose signature checked out are kept,
//! keyed by the token's exact text, with the `kid` that signed it. A hit skips only the
//! parsing and the signature: the caller still requires that key to be usable now (a retired
//! key's tokens fail at once), checks `exp`, `nbf`, `iat` and the audience against the clock,
//! and reads the session and access state from the database, as on a miss. Only signatures that
//! verified are kept, so the map holds nothing an attacker could not already present, and a
//! changed byte is a different key, verified afresh.

use crate::auth::claims::AccessClaims;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Tokens kept at most; at the bound the expired ones are dropped, or all when none are.
/// At about 1.5 KB per token this bounds the map near 1.5 MB.
const CAPACITY: usize = 1024;

/// What a verified token carried: the key that signed it and its claims.
#[derive(Debug)]
pub struct Verified {
    pub kid: String,
    pub claims: AccessClaims,
}

#[derive(Debug, Default)]
pub struct VerifiedTokens {
    map: Mutex<HashMap<String, Arc<Verified>>>,
}

impl VerifiedTokens {
    /// The claims of `token` if its signature was verified before.
    pub fn get(&self, token: &str) -> Option<Arc<Verified>> {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .cloned()
    }

    /// Keeps a token whose signature has just verified. `now_secs`: to drop expired ones at
    /// the bound.
    pub fn put(&self, token: &str, verified: Verified, now_secs: i64) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= CAPACITY {
            map.retain(|_, v| v.claims.exp >= now_secs);
            if map.len() >= CAPACITY {
                map.clear();
            }
        }
        map.insert(token.to_owned(), Arc::new(verified));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::claims::PracticeClaim;
    use uuid::Uuid;

    fn claims(exp: i64) -> AccessClaims {
        AccessClaims {
            iss: "i".into(),
            sub: "s".into(),
            aud: "a".into(),
            exp,
            iat: 0,
            nbf: None,
            jti: "j".into(),
            client_id: "c".into(),
            scope: "portal".into(),
            sid: Uuid::nil(),
            practice: PracticeClaim {
                id: Uuid::nil(),
                slug: "p".into(),
            },
            patients: Vec::new(),
            practitioners: Default::default(),
            amr: Vec::new(),
            patient: None,
            act: None,
            fhir_user: None,
        }
    }

    #[test]
    fn keeps_exact_tokens_and_stays_bounded() {
        let v = VerifiedTokens::default();
        let put = |t: &str, exp: i64, now: i64| {
            let claims = claims(exp);
            v.put(
                t,
                Verified {
                    kid: "k".into(),
                    claims,
                },
                now,
            )
        };
        put("a.b.c", 100, 0);
        assert_eq!(v.get("a.b.c").map(|x| x.kid.clone()), Some("k".into()));
        assert!(v.get("a.b.d").is_none());
        for i in 1..CAPACITY {
            put(&format!("t{i}"), 10, 0);
        }
        assert_eq!(v.len(), CAPACITY);
        // At the bound, expired tokens go first; the live ones stay.
        put("late", 100, 50);
        assert!(v.get("a.b.c").is_some() && v.get("late").is_some());
        assert_eq!(v.len(), 2);
        // None expired: all go, rather than growing.
        for i in 2..CAPACITY {
            put(&format!("u{i}"), 100, 50);
        }
        put("last", 100, 50);
        assert_eq!(v.len(), 1);
    }
}
