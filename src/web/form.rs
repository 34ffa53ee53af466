//! Reading a submitted form and collecting what is wrong with it, field by field, to show
//! next to each field and in a summary at the top. What was typed goes back into the form,
//! except passwords.

use chrono::NaiveDate;
use poem::http::header;
use poem::{FromRequest, Request, RequestBody};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Fields never sent back to the browser.
const NEVER_ECHOED: &[&str] = &["password", "password_confirm", "csrf_token"];

/// An `application/x-www-form-urlencoded` body. Anything else reads as an empty form (which
/// then fails its CSRF check with a friendly page, never a parse error).
#[derive(Debug, Clone, Default)]
pub struct FormData(HashMap<String, String>);

impl FormData {
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let mut map = HashMap::new();
        for (k, v) in pairs {
            map.entry(k.into()).or_insert_with(|| v.into());
        }
        Self(map)
    }

    /// A field as typed; empty when absent.
    pub fn raw(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or_default()
    }

    /// Whether the form has this field at all (even empty).
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// A field with surrounding spaces removed; `None` when empty.
    pub fn optional(&self, name: &str) -> Option<&str> {
        Some(self.raw(name).trim()).filter(|v| !v.is_empty())
    }

    pub fn is_blank(&self, name: &str) -> bool {
        self.optional(name).is_none()
    }

    /// What to put back in the form: everything but passwords and the CSRF token.
    pub fn echo(&self) -> BTreeMap<&str, &str> {
        self.0
            .iter()
            .filter(|(k, _)| !NEVER_ECHOED.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// A date typed as three boxes, `{name}_day`, `{name}_month`, `{name}_year`.
    pub fn date(&self, name: &str) -> DateInput {
        let part = |p: &str| self.raw(&format!("{name}_{p}")).trim().to_owned();
        let (d, m, y) = (part("day"), part("month"), part("year"));
        if d.is_empty() && m.is_empty() && y.is_empty() {
            return DateInput::Missing;
        }
        let num = |s: &str| s.parse::<u32>().ok();
        match (num(&d), num(&m), num(&y)) {
            (Some(d), Some(m), Some(y)) if y.to_string().len() == 4 => {
                NaiveDate::from_ymd_opt(y as i32, m, d).map_or(DateInput::Invalid, DateInput::Date)
            }
            _ => DateInput::Invalid,
        }
    }
}

/// A typed date, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateInput {
    Missing,
    Invalid,
    Date(NaiveDate),
}

impl<'a> FromRequest<'a> for FormData {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Ok(Self::default());
        }
        let bytes = body.take()?.into_bytes().await?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        Ok(Self::from_pairs(pairs))
    }
}

/// One problem, for the summary at the top: its message and the id of the input to jump to.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryItem {
    pub target: String,
    pub message: String,
}

/// What is wrong with a form: a message per field (the first one found wins), and perhaps a
/// message about the form as a whole.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    fields: Vec<(String, String)>,
    /// Fields that are dates: the summary links to their first box.
    dates: Vec<String>,
    pub alert: Option<String>,
}

impl FormErrors {
    pub fn new(date_fields: &[&str]) -> Self {
        Self {
            dates: date_fields.iter().map(|s| (*s).to_owned()).collect(),
            ..Self::default()
        }
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if !self.fields.iter().any(|(f, _)| f == field) {
            self.fields.push((field.to_owned(), message.into()));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.alert.is_none()
    }

    pub fn has(&self, field: &str) -> bool {
        self.fields.iter().any(|(f, _)| f == field)
    }

    /// `errors` (field → message), `summary` (in form order) and `alert`, for the template.
    /// `order` lists the form's fields top to bottom.
    pub fn context(&self, order: &[&str]) -> minijinja::Value {
        let mut listed: Vec<&(String, String)> = self.fields.iter().collect();
        listed.sort_by_key(|(f, _)| order.iter().position(|o| o == f).unwrap_or(usize::MAX));
        let summary: Vec<SummaryItem> = listed
            .iter()
            .map(|(f, m)| SummaryItem {
                target: if self.dates.contains(f) {
                    format!("f-{f}-day")
                } else {
                    format!("f-{f}")
                },
                message: m.clone(),
            })
            .collect();
        let errors: BTreeMap<&str, &str> = self
            .fields
            .iter()
            .map(|(f, m)| (f.as_str(), m.as_str()))
            .collect();
        minijinja::context! {
            errors => minijinja::value::Serde(errors),
            summary => minijinja::value::Serde(summary),
            alert => self.alert.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_three_boxes() {
        let f = FormData::from_pairs([
            ("dob_day", "1"),
            ("dob_month", "4"),
            ("dob_year", "1990"),
            ("bad_day", "31"),
            ("bad_month", "2"),
            ("bad_year", "1990"),
            ("short_day", "1"),
            ("short_month", "1"),
            ("short_year", "90"),
        ]);
        assert_eq!(
            f.date("dob"),
            DateInput::Date(NaiveDate::from_ymd_opt(1990, 4, 1).unwrap())
        );
        assert_eq!(f.date("bad"), DateInput::Invalid);
        assert_eq!(f.date("short"), DateInput::Invalid);
        assert_eq!(f.date("none"), DateInput::Missing);
    }

    #[test]
    fn passwords_are_never_echoed() {
        let f = FormData::from_pairs([
            ("username", "ann"),
            ("password", "secret secret secret"),
            ("password_confirm", "secret"),
            ("csrf_token", "t"),
        ]);
        let echo = f.echo();
        assert_eq!(echo.get("username"), Some(&"ann"));
        assert_eq!(echo.len(), 1);
    }

    #[test]
    fn the_first_message_for_a_field_wins_and_the_summary_follows_the_form() {
        let mut e = FormErrors::new(&["dob"]);
        e.add("username", "first");
        e.add("username", "second");
        e.add("dob", "date");
        let ctx = e.context(&["dob", "username"]);
        let summary = ctx.get_attr("summary").unwrap();
        let first = summary.get_item(&minijinja::Value::from(0)).unwrap();
        assert_eq!(first.get_attr("target").unwrap().to_string(), "f-dob-day");
        let errors = ctx.get_attr("errors").unwrap();
        assert_eq!(errors.get_attr("username").unwrap().to_string(), "first");
    }
}
