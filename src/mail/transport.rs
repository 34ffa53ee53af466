//! Where messages go. Chosen once at start from the settings.

use crate::config::Settings;
use crate::domain::invitation::Channel;
use crate::store::entities::outbox;
use lettre::message::{Mailbox, MultiPart, header};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};

/// Where the mail folder transport writes a message before it is complete.
const STAGING_DIR: &str = ".staging";
use std::path::PathBuf;
use std::time::Duration;

/// Why a delivery failed, and whether trying again could help.
#[derive(Debug)]
pub struct DeliveryError {
    pub message: String,
    pub permanent: bool,
}

impl DeliveryError {
    fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: false,
        }
    }
    fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: true,
        }
    }
}

enum EmailTransport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

enum SmsTransport {
    Gateway {
        client: reqwest::Client,
        url: String,
        token: Option<String>,
    },
    Folder(PathBuf),
}

/// Sends one outbox row by its channel.
pub struct Transports {
    email: EmailTransport,
    sms: SmsTransport,
    from: Mailbox,
}

impl Transports {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let email = match &settings.smtp_url {
            Some(url) => EmailTransport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map_err(|e| anyhow::anyhow!("PORTICO_SMTP_URL: {e}"))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            ),
            None => EmailTransport::Folder(
                // lettre writes the file in place; it writes into a staging folder and the
                // finished file is renamed into the mail folder, so a reader never sees half a
                // message.
                AsyncFileTransport::new(settings.mail_dir.join(STAGING_DIR)),
                settings.mail_dir.clone(),
            ),
        };
        let sms = match &settings.sms_gateway_url {
            Some(url) => SmsTransport::Gateway {
                client: reqwest::Client::builder()
                    .timeout(Duration::from_secs(20))
                    .build()?,
                url: url.clone(),
                token: settings
                    .sms_gateway_token
                    .as_ref()
                    .map(|t| t.expose().to_owned()),
            },
            None => SmsTransport::Folder(settings.sms_dir.clone()),
        };
        let from: Mailbox = settings
            .mail_from
            .parse()
            .map_err(|e| anyhow::anyhow!("PORTICO_MAIL_FROM is not a valid mailbox: {e}"))?;
        Ok(Self { email, sms, from })
    }

    pub async fn deliver(
        &self,
        row: &outbox::Model,
        sender_name: Option<&str>,
    ) -> Result<(), DeliveryError> {
        match row.channel {
            Channel::Email => self.send_email(row, sender_name).await,
            Channel::Sms => self.send_sms(row).await,
        }
    }

    async fn send_email(
        &self,
        row: &outbox::Model,
        sender_name: Option<&str>,
    ) -> Result<(), DeliveryError> {
        let to: Mailbox = row
            .recipient
            .parse()
            .map_err(|e| DeliveryError::permanent(format!("bad recipient address: {e}")))?;
        // The practice's name as the display name: patients recognise their clinic.
        let from = match sender_name {
            Some(name) => Mailbox::new(Some(name.to_owned()), self.from.email.clone()),
            None => self.from.clone(),
        };
        let domain = self.from.email.domain().to_owned();
        let builder = Message::builder()
            .from(from)
            .to(to)
            .subject(row.subject.clone().unwrap_or_default())
            // The outbox id as Message-ID: a resend after a crash is recognisably the same mail.
            .message_id(Some(format!("<{}@{}>", row.id, domain)));
        let message = match &row.body_html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                row.body_text.clone(),
                html.clone(),
            )),
            None => builder
                .header(header::ContentType::TEXT_PLAIN)
                .body(row.body_text.clone()),
        }
        .map_err(|e| DeliveryError::permanent(format!("building message: {e}")))?;

        match &self.email {
            EmailTransport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    DeliveryError::permanent(format!("SMTP refused: {e}"))
                } else {
                    DeliveryError::transient(format!("SMTP: {e}"))
                }
            }),
            EmailTransport::Folder(t, dir) => {
                let staging = dir.join(STAGING_DIR);
                tokio::fs::create_dir_all(&staging).await.map_err(|e| {
                    DeliveryError::transient(format!("creating {}: {e}", staging.display()))
                })?;
                let id = t
                    .send(message)
                    .await
                    .map_err(|e| DeliveryError::transient(format!("writing mail: {e}")))?;
                let name = format!("{id}.eml");
                tokio::fs::rename(staging.join(&name), dir.join(&name))
                    .await
                    .map_err(|e| DeliveryError::transient(format!("writing mail: {e}")))
            }
        }
    }

    async fn send_sms(&self, row: &outbox::Model) -> Result<(), DeliveryError> {
        let payload =
            serde_json::json!({ "id": row.id, "to": row.recipient, "body": row.body_text });
        match &self.sms {
            SmsTransport::Gateway { client, url, token } => {
                let mut req = client.post(url).json(&payload);
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                let resp = req
                    .send()
                    .await
                    .map_err(|e| DeliveryError::transient(format!("SMS gateway: {e}")))?;
                let status = resp.status();
                if status.is_success() {
                    Ok(())
                } else if status.is_client_error()
                    && status.as_u16() != 429
                    && status.as_u16() != 408
                {
                    Err(DeliveryError::permanent(format!(
                        "SMS gateway refused: {status}"
                    )))
                } else {
                    Err(DeliveryError::transient(format!("SMS gateway: {status}")))
                }
            }
            SmsTransport::Folder(dir) => {
                tokio::fs::create_dir_all(dir).await.map_err(|e| {
                    DeliveryError::transient(format!("creating {}: {e}", dir.display()))
                })?;
                // Write then rename, so a reader never sees half a file.
                let tmp = dir.join(format!(".{}.tmp", row.id));
                let path = dir.join(format!("{}.json", row.id));
                let bytes = serde_json::to_vec_pretty(&payload).unwrap_or_default();
                tokio::fs::write(&tmp, bytes)
                    .await
                    .map_err(|e| DeliveryError::transient(format!("writing SMS: {e}")))?;
                tokio::fs::rename(&tmp, &path)
                    .await
                    .map_err(|e| DeliveryError::transient(format!("writing SMS: {e}")))
            }
        }
    }
}
