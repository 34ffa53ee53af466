//! Typed settings: built-in defaults → an optional TOML file → `PORTICO_*` environment
//! variables. The defaults run with no set-up: SQLite in the working directory, mail and SMS
//! written to folders.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// A value that must never reach a log: `Debug` and `Display` print `[redacted]`.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Every setting, with its default. Environment variable = `PORTICO_` + the field name in
/// upper case (`PORTICO_DATABASE_URL`); the TOML file uses the field names as keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// `sqlite://portico.db?mode=rwc` or `postgres://user@host/db`.
    pub database_url: Secret,
    /// Pool size; SQLite defaults to one connection (one writer, no lock errors).
    pub database_max_connections: Option<u32>,
    /// How long a request waits for a database connection before it is answered 503
    /// `temporarily_unavailable` (while the database is down or the pool is exhausted).
    pub database_acquire_timeout_ms: u64,
    pub bind: SocketAddr,
    /// The origin patients see. Links in messages and the token issuer are built from it,
    /// never from the request's Host header.
    pub public_url: String,
    /// SMART App Launch: the FHIR base URL apps name as `aud` on `/oauth2/authorize`. When
    /// set, a request with a SMART scope must carry it; unset, `aud` may be left out or be the
    /// issuer.
    pub fhir_base_url: Option<String>,
    pub mail_dir: PathBuf,
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://…:465`; when set, mail
    /// goes over SMTP instead of into `mail_dir`.
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    pub sms_dir: PathBuf,
    /// When set, SMS is POSTed as JSON `{to, body}` to this URL with `sms_gateway_token` as a
    /// bearer token, instead of written to `sms_dir`.
    pub sms_gateway_url: Option<String>,
    pub sms_gateway_token: Option<Secret>,
    pub log_format: LogFormat,
    /// Encrypts signing keys and TOTP secrets at rest when set (any string; 32+ characters).
    /// Required when `public_url` is https (`check_key_encryption`); values stored `plain.`
    /// before it was set are sealed at start.
    pub key_encryption_secret: Option<Secret>,
    /// argon2id cost: memory in KiB, iterations, lanes (OWASP's m=19456, t=2, p=1 by default).
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// How many password hashes may run at once; defaults to the number of cores.
    pub hash_concurrency: Option<usize>,
    pub access_token_ttl_secs: i64,
    pub refresh_idle_ttl_secs: i64,
    pub refresh_absolute_ttl_secs: i64,
    /// A page session (Portico's own pages, and the browser session behind an OpenID Connect
    /// sign-in) ends after this long without a request (HIPAA automatic logoff): 30 minutes.
    pub web_session_idle_secs: i64,
    /// ... and this long after login however active it is: 12 hours.
    pub web_session_max_secs: i64,
    /// When set, `GET /metrics` answers only requests with `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Proxies whose `X-Forwarded-For` is believed; from anyone else it is ignored.
    pub trusted_proxies: Vec<IpAddr>,
    /// Run the outbox delivery worker and periodic jobs in this process.
    pub run_workers: bool,
    /// Milliseconds between outbox polls when idle (a queued message also wakes the worker).
    pub outbox_poll_ms: u64,
    /// Milliseconds between runs of the job that ends parents' and guardians' access when a
    /// patient comes of age (login and refresh also check, for the account at hand).
    pub ageing_out_interval_ms: u64,
    /// A breached-password set built by `portico breached-passwords build`, used instead of
    /// the bundled one (4.2 million passwords).
    pub breached_passwords_file: Option<PathBuf>,
    /// Lets webhook URLs use plain http and resolve to loopback, private and other non-public
    /// addresses (development and tests only; see `domain::destination`).
    pub webhook_allow_private: bool,
    /// The first webhook retry waits this long; each next one twice as long (capped at 6 h),
    /// for 3 days.
    pub webhook_retry_base_ms: u64,
    /// How long a webhook receiver has to answer.
    pub webhook_timeout_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: Secret::new("sqlite://portico.db?mode=rwc"),
            database_max_connections: None,
            database_acquire_timeout_ms: 5_000,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".into(),
            fhir_base_url: None,
            mail_dir: "var/mail".into(),
            smtp_url: None,
            mail_from: "Portico <no-reply@localhost>".into(),
            sms_dir: "var/sms".into(),
            sms_gateway_url: None,
            sms_gateway_token: None,
            log_format: LogFormat::Text,
            key_encryption_secret: None,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            hash_concurrency: None,
            access_token_ttl_secs: 300,
            refresh_idle_ttl_secs: 14 * 24 * 3600,
            refresh_absolute_ttl_secs: 30 * 24 * 3600,
            web_session_idle_secs: 30 * 60,
            web_session_max_secs: 12 * 3600,
            metrics_token: None,
            max_body_bytes: 64 * 1024,
            trusted_proxies: Vec::new(),
            run_workers: true,
            outbox_poll_ms: 1000,
            ageing_out_interval_ms: 3_600_000,
            breached_passwords_file: None,
            webhook_allow_private: false,
            webhook_retry_base_ms: 30_000,
            webhook_timeout_ms: 10_000,
        }
    }
}

/// A setting that cannot be used, named so the operator can fix it.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// Defaults, then the TOML file if given, then `PORTICO_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        // PORTICO_TEST_DATABASE_URL belongs to the test suite, not the server.
        figment = figment.merge(Env::prefixed("PORTICO_").ignore(&["test_database_url"]));
        let settings: Settings = figment.extract().map_err(|e| {
            let key = e.path.join(".");
            let what = e.kind.to_string();
            if key.is_empty() {
                ConfigError(what)
            } else {
                ConfigError(format!("PORTICO_{} ({key}): {what}", key.to_uppercase()))
            }
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks that figment's types cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = self.database_url.expose();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError(
                "PORTICO_DATABASE_URL must start with sqlite: or postgres://".into(),
            ));
        }
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            return Err(ConfigError(format!(
                "PORTICO_PUBLIC_URL must be an http:// or https:// URL, got {:?}",
                self.public_url
            )));
        }
        if let Some(fhir) = &self.fhir_base_url
            && !(fhir.starts_with("http://") || fhir.starts_with("https://"))
        {
            return Err(ConfigError(format!(
                "PORTICO_FHIR_BASE_URL must be an http:// or https:// URL, got {fhir:?}"
            )));
        }
        if let Some(smtp) = &self.smtp_url {
            let s = smtp.expose();
            if !(s.starts_with("smtp://") || s.starts_with("smtps://")) {
                return Err(ConfigError(
                    "PORTICO_SMTP_URL must start with smtp:// or smtps://".into(),
                ));
            }
        }
        if self
            .sms_gateway_url
            .as_deref()
            .is_some_and(|u| !u.starts_with("http"))
        {
            return Err(ConfigError(
                "PORTICO_SMS_GATEWAY_URL must be an http(s) URL".into(),
            ));
        }
        if self.argon2_memory_kib < 19_456
            || self.argon2_iterations < 2
            || self.argon2_parallelism < 1
        {
            return Err(ConfigError(
                "PORTICO_ARGON2_*: below OWASP's minimum (memory 19456 KiB, 2 iterations, 1 lane)"
                    .into(),
            ));
        }
        if !(60..=600).contains(&self.access_token_ttl_secs) {
            return Err(ConfigError(
                "PORTICO_ACCESS_TOKEN_TTL_SECS must be between 60 and 600".into(),
            ));
        }
        if self.refresh_idle_ttl_secs <= 0
            || self.refresh_absolute_ttl_secs < self.refresh_idle_ttl_secs
        {
            return Err(ConfigError(
                "PORTICO_REFRESH_ABSOLUTE_TTL_SECS must be at least PORTICO_REFRESH_IDLE_TTL_SECS, both positive".into(),
            ));
        }
        if self.web_session_idle_secs < 60 || self.web_session_max_secs < self.web_session_idle_secs
        {
            return Err(ConfigError(
                "PORTICO_WEB_SESSION_MAX_SECS must be at least PORTICO_WEB_SESSION_IDLE_SECS, which must be at least 60".into(),
            ));
        }
        if self
            .metrics_token
            .as_ref()
            .is_some_and(|t| t.expose().trim().len() < 16)
        {
            return Err(ConfigError(
                "PORTICO_METRICS_TOKEN must be at least 16 characters".into(),
            ));
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError(
                "PORTICO_MAX_BODY_BYTES must be at least 1024".into(),
            ));
        }
        if let Some(secret) = &self.key_encryption_secret
            && secret.expose().len() < 32
        {
            return Err(ConfigError(
                "PORTICO_KEY_ENCRYPTION_SECRET must be at least 32 characters".into(),
            ));
        }
        Ok(())
    }

    /// Refuses to run against an https public URL (production) without
    /// `PORTICO_KEY_ENCRYPTION_SECRET`: signing keys and TOTP seeds would be stored in the
    /// database unencrypted (`plain.`). Checked by `serve` and every command that opens the
    /// database; plain http (development) runs with a warning instead (`app::build_state`).
    pub fn check_key_encryption(&self) -> Result<(), ConfigError> {
        if self.is_https() && self.key_encryption_secret.is_none() {
            return Err(ConfigError(format!(
                "PORTICO_KEY_ENCRYPTION_SECRET must be set when PORTICO_PUBLIC_URL is https ({}): \
                 without it, token signing keys and two-step (TOTP) secrets are stored \
                 unencrypted in the database. Set it to a random string of 32 or more \
                 characters (for example `openssl rand -base64 48`), kept outside the database.",
                self.issuer()
            )));
        }
        Ok(())
    }

    /// Whether patients reach Portico over https: cookies are then `Secure` with `__Host-`
    /// names, and every response carries `Strict-Transport-Security`.
    pub fn is_https(&self) -> bool {
        self.issuer().starts_with("https://")
    }

    /// The public URL without a trailing slash; the token issuer.
    pub fn issuer(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose().starts_with("sqlite:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_need_no_set_up() {
        let s = Settings::default();
        s.validate().unwrap();
        assert!(s.is_sqlite());
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.mail_dir, PathBuf::from("var/mail"));
    }

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "[redacted]");
    }

    #[test]
    fn https_needs_a_key_encryption_secret_and_http_does_not() {
        let http = Settings::default();
        http.check_key_encryption().unwrap();
        let https = Settings {
            public_url: "https://portal.example".into(),
            ..Settings::default()
        };
        let err = https.check_key_encryption().unwrap_err().to_string();
        assert!(err.contains("PORTICO_KEY_ENCRYPTION_SECRET"), "{err}");
        let sealed = Settings {
            key_encryption_secret: Some(Secret::new("x".repeat(32))),
            ..https
        };
        sealed.check_key_encryption().unwrap();
    }

    #[test]
    fn bad_public_url_is_named() {
        let s = Settings {
            public_url: "ftp://x".into(),
            ..Settings::default()
        };
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("PORTICO_PUBLIC_URL"), "{err}");
    }
}
