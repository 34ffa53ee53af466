//! Reading what Portico delivered, as a patient would: email from the mail folder (.eml files),
//! SMS from the SMS folder. Waits in real time for the delivery worker, never on the clock.

use mail_parser::MessageParser;
use std::path::Path;
use std::time::Duration;

/// A delivered email, decoded.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub raw: String,
}

impl Mail {
    /// The first link in the text part that starts with `prefix` (e.g. `http://127.0.0.1:8080/invite/`).
    pub fn link(&self, prefix: &str) -> Option<String> {
        links(&self.text)
            .into_iter()
            .find(|l| l.starts_with(prefix))
    }
}

/// Every http(s) URL in a text.
pub fn links(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
        .map(|w| w.trim_end_matches(['.', ',', ')', '>']).to_owned())
        .collect()
}

pub fn parse_eml(raw: &str) -> Mail {
    let msg = MessageParser::default()
        .parse(raw.as_bytes())
        .expect("a parsable message");
    let addr = |a: Option<&mail_parser::Address>| {
        a.and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_owned()
    };
    Mail {
        to: addr(msg.to()),
        subject: msg.subject().unwrap_or_default().to_owned(),
        text: msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
        html: msg.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
        raw: raw.to_owned(),
    }
}

/// Every email in the folder, oldest first.
pub fn all_mail(dir: &Path) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|raw| parse_eml(&raw))
        .collect()
}

/// Waits until `count` emails to `to` have arrived (up to 10 s); returns them.
pub async fn wait_for_mail(dir: &Path, to: &str, count: usize) -> Vec<Mail> {
    for _ in 0..400 {
        let got: Vec<Mail> = all_mail(dir)
            .into_iter()
            .filter(|m| m.to.eq_ignore_ascii_case(to))
            .collect();
        if got.len() >= count {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "expected {count} email(s) to {to} in {}; have: {:#?}",
        dir.display(),
        all_mail(dir)
            .iter()
            .map(|m| (&m.to, &m.subject))
            .collect::<Vec<_>>()
    );
}

/// An SMS as the folder transport writes it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Sms {
    pub to: String,
    pub body: String,
}

/// Every SMS in the folder.
pub fn all_sms(dir: &Path) -> Vec<Sms> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| std::fs::read(p).ok())
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect()
}

/// Waits until `count` texts to `to` have arrived (up to 10 s).
pub async fn wait_for_sms(dir: &Path, to: &str, count: usize) -> Vec<Sms> {
    for _ in 0..400 {
        let got: Vec<Sms> = all_sms(dir).into_iter().filter(|m| m.to == to).collect();
        if got.len() >= count {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("expected {count} SMS to {to} in {}", dir.display());
}
