//! The key material behind each signing algorithm: generating, parsing, signing and the
//! public JWK. aws-lc-rs does the cryptography; key material is never logged.

use anyhow::{Context, anyhow};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use jsonwebtoken::jwk::{Jwk, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey};

/// An algorithm Portico signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlg {
    /// Ed25519: access tokens.
    EdDsa,
    /// RSA 2048 with SHA-256: ID tokens (the OpenID Connect default).
    Rs256,
}

/// Every algorithm Portico keeps a key for: created at first start, rotated together.
pub const ALL_ALGS: &[KeyAlg] = &[KeyAlg::EdDsa, KeyAlg::Rs256];

impl KeyAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlg::EdDsa => "EdDSA",
            KeyAlg::Rs256 => "RS256",
        }
    }

    pub fn from_db(raw: &str) -> Option<Self> {
        match raw {
            "EdDSA" => Some(KeyAlg::EdDsa),
            "RS256" => Some(KeyAlg::Rs256),
            _ => None,
        }
    }

    pub fn jwt(self) -> Algorithm {
        match self {
            KeyAlg::EdDsa => Algorithm::EdDSA,
            KeyAlg::Rs256 => Algorithm::RS256,
        }
    }
}

/// A parsed private key, kept for the life of the keyset so signing does not re-parse it.
pub(super) enum PrivateKey {
    Ed25519(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

impl PrivateKey {
    /// A new key and its PKCS#8 v1 encoding (the 48-byte form jsonwebtoken also reads).
    pub(super) fn generate(alg: KeyAlg) -> anyhow::Result<(Self, Vec<u8>)> {
        match alg {
            KeyAlg::EdDsa => {
                let pair =
                    Ed25519KeyPair::generate().map_err(|_| anyhow!("generating an Ed25519 key"))?;
                let der = pair
                    .to_pkcs8v1()
                    .map_err(|_| anyhow!("encoding the Ed25519 key"))?
                    .as_ref()
                    .to_vec();
                Ok((PrivateKey::Ed25519(pair), der))
            }
            KeyAlg::Rs256 => {
                let pair = RsaKeyPair::generate(KeySize::Rsa2048)
                    .map_err(|_| anyhow!("generating an RSA key"))?;
                let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der<'static>>::as_der(&pair)
                    .map_err(|_| anyhow!("encoding the RSA key"))?
                    .as_ref()
                    .to_vec();
                Ok((PrivateKey::Rsa(pair), der))
            }
        }
    }

    pub(super) fn from_der(alg: KeyAlg, der: &[u8]) -> anyhow::Result<Self> {
        match alg {
            KeyAlg::EdDsa => Ed25519KeyPair::from_pkcs8(der)
                .map(PrivateKey::Ed25519)
                .map_err(|_| anyhow!("not an Ed25519 PKCS#8 key")),
            KeyAlg::Rs256 => RsaKeyPair::from_pkcs8(der)
                .map(PrivateKey::Rsa)
                .map_err(|_| anyhow!("not an RSA PKCS#8 key")),
        }
    }

    pub(super) fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            PrivateKey::Ed25519(pair) => pair.sign(message).as_ref().to_vec(),
            PrivateKey::Rsa(pair) => {
                let mut signature = vec![0u8; pair.public_modulus_len()];
                // Signing with a valid, loaded key and a correctly sized buffer cannot fail.
                #[allow(clippy::expect_used, reason = "cannot fail, see above")]
                pair.sign(
                    &RSA_PKCS1_SHA256,
                    &aws_lc_rs::rand::SystemRandom::new(),
                    message,
                    &mut signature,
                )
                .expect("RSA signing with a loaded key");
                signature
            }
        }
    }

    pub(super) fn decoding_key(&self) -> DecodingKey {
        match self {
            PrivateKey::Ed25519(pair) => DecodingKey::from_ed_der(pair.public_key().as_ref()),
            PrivateKey::Rsa(pair) => {
                let parts = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                DecodingKey::from_rsa_raw_components(&parts.n, &parts.e)
            }
        }
    }

    /// The public JWK, with its RFC 7638 thumbprint as `kid`.
    pub(super) fn public_jwk(&self, alg: KeyAlg) -> anyhow::Result<Jwk> {
        let mut jwk = Jwk::from_decoding_key(&self.decoding_key(), Some(alg.jwt()))
            .context("building the public JWK")?;
        jwk.common.key_id = Some(
            jwk.thumbprint(ThumbprintHash::SHA256)
                .context("computing the key thumbprint")?,
        );
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        Ok(jwk)
    }
}
