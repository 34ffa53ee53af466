//! Building messages: every email has a plain-text and an HTML part and carries the practice's
//! name; every link is built from the configured public URL by the caller, never from a
//! request's Host header. Messages hold links and names, never clinical details (SECURITY L2).

use crate::store::outbox::{Channel, OutgoingMessage};

/// An email, written as paragraphs and at most one call to action.
#[derive(Debug, Clone)]
pub struct Email {
    subject: String,
    paragraphs: Vec<String>,
    action: Option<(String, String)>,
    after: Vec<String>,
}

impl Email {
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            paragraphs: Vec::new(),
            action: None,
            after: Vec::new(),
        }
    }

    /// A paragraph of plain text (escaped in the HTML part).
    pub fn para(mut self, text: impl Into<String>) -> Self {
        if self.action.is_some() {
            self.after.push(text.into());
        } else {
            self.paragraphs.push(text.into());
        }
        self
    }

    /// The button (HTML) or the line with the link (text).
    pub fn action(mut self, label: impl Into<String>, url: impl Into<String>) -> Self {
        self.action = Some((label.into(), url.into()));
        self
    }

    /// Renders both parts, signed with the practice's name when there is one.
    pub fn render(
        self,
        template: &'static str,
        to: &str,
        practice_name: Option<&str>,
    ) -> OutgoingMessage {
        let sender = practice_name.unwrap_or("Portico");
        let mut text = String::new();
        for p in &self.paragraphs {
            text.push_str(p);
            text.push_str("\n\n");
        }
        if let Some((label, url)) = &self.action {
            text.push_str(&format!("{label}:\n{url}\n\n"));
        }
        for p in &self.after {
            text.push_str(p);
            text.push_str("\n\n");
        }
        text.push_str(&format!("-- \n{sender}\n"));

        let mut body = String::new();
        for p in &self.paragraphs {
            body.push_str(&format!(
                "<p style=\"margin:0 0 16px\">{}</p>\n",
                escape_html(p)
            ));
        }
        if let Some((label, url)) = &self.action {
            body.push_str(&format!(
                "<p style=\"margin:24px 0\"><a href=\"{}\" style=\"background:#0b5cad;color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block;font-weight:600\">{}</a></p>\n\
                 <p style=\"margin:0 0 16px;font-size:14px;color:#444\">If the button does not work, copy this link into your browser:<br>{}</p>\n",
                escape_html(url),
                escape_html(label),
                escape_html(url)
            ));
        }
        for p in &self.after {
            body.push_str(&format!(
                "<p style=\"margin:0 0 16px\">{}</p>\n",
                escape_html(p)
            ));
        }
        let html = format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{subject}</title></head>\n\
             <body style=\"margin:0;padding:24px;background:#f4f6f8;font-family:Arial,Helvetica,sans-serif;color:#1a1a1a;line-height:1.5\">\n\
             <div style=\"max-width:560px;margin:0 auto;background:#ffffff;padding:32px;border-radius:8px\">\n\
             <h1 style=\"font-size:20px;margin:0 0 24px\">{sender}</h1>\n{body}\
             <p style=\"margin:32px 0 0;font-size:13px;color:#555\">This message was sent by {sender} through its patient portal.</p>\n\
             </div></body></html>\n",
            subject = escape_html(&self.subject),
            sender = escape_html(sender),
        );
        OutgoingMessage {
            channel: Channel::Email,
            to: to.to_owned(),
            template,
            subject: Some(self.subject),
            text,
            html: Some(html),
        }
    }
}

/// A text message: short, with the practice's name first so the patient knows who sent it.
pub fn sms(template: &'static str, to: &str, practice_name: &str, text: &str) -> OutgoingMessage {
    OutgoingMessage {
        channel: Channel::Sms,
        to: to.to_owned(),
        template,
        subject: None,
        text: format!("{practice_name}: {text}"),
        html: None,
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_has_both_parts_with_escaped_html_and_the_practice_name() {
        let m = Email::new("Your invitation")
            .para("Hello <Ann>,")
            .action("Accept", "https://portal.example/invite/abc?x=1&y=2")
            .para("It expires in 72 hours.")
            .render("invitation", "ann@example.org", Some("Smith & Sons Clinic"));
        let html = m.html.unwrap();
        assert!(html.contains("Hello &lt;Ann&gt;,"));
        assert!(html.contains("href=\"https://portal.example/invite/abc?x=1&amp;y=2\""));
        assert!(html.contains("Smith &amp; Sons Clinic"));
        assert!(
            m.text
                .contains("Accept:\nhttps://portal.example/invite/abc?x=1&y=2")
        );
        assert!(m.text.ends_with("-- \nSmith & Sons Clinic\n"));
        let expires = m.text.find("expires").unwrap();
        assert!(
            expires > m.text.find("Accept:").unwrap(),
            "paragraphs after the action stay after it"
        );
    }

    #[test]
    fn sms_starts_with_the_practice() {
        assert_eq!(sms("t", "+15550100", "Smith", "hi").text, "Smith: hi");
    }
}
