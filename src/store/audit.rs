//! The append-only audit trail. Every change to access, every key change and every login
//! attempt writes one row, in the same transaction as the change it describes (HIPAA
//! 164.312(b)). Rows never hold a password, token or message body.

use crate::domain::webhook_event;
use crate::store::{audit_event, practice_events};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use uuid::Uuid;

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A practice's system, by its API key id.
    ApiKey(Uuid),
    /// A patient or representative, by account id.
    Account(Uuid),
    /// Someone not (yet) identified: a failed login, a sign-up.
    Anonymous,
    /// The operator at the command line.
    Cli,
    /// Portico itself: a scheduled job, the delivery worker.
    System,
}

impl Actor {
    fn kind(&self) -> &'static str {
        match self {
            Actor::ApiKey(_) => "api_key",
            Actor::Account(_) => "account",
            Actor::Anonymous => "anonymous",
            Actor::Cli => "cli",
            Actor::System => "system",
        }
    }
    fn id(&self) -> Option<String> {
        match self {
            Actor::ApiKey(id) | Actor::Account(id) => Some(id.to_string()),
            _ => None,
        }
    }
}

pub use crate::domain::request::RequestMeta;

/// One event to record.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: &'static str,
    pub actor: Actor,
    pub practice_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub access_id: Option<Uuid>,
    pub detail: serde_json::Value,
}

impl Event {
    pub fn new(kind: &'static str, actor: Actor) -> Self {
        Self {
            kind,
            actor,
            practice_id: None,
            patient_id: None,
            account_id: None,
            access_id: None,
            detail: serde_json::Value::Object(Default::default()),
        }
    }
    pub fn practice(mut self, id: Uuid) -> Self {
        self.practice_id = Some(id);
        self
    }
    pub fn patient(mut self, id: Uuid) -> Self {
        self.patient_id = Some(id);
        self
    }
    pub fn account(mut self, id: Uuid) -> Self {
        self.account_id = Some(id);
        self
    }
    pub fn access(mut self, id: Uuid) -> Self {
        self.access_id = Some(id);
        self
    }
    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// Appends the event. Pass the transaction that makes the change, so both commit or neither.
///
/// An event a practice's systems can follow (`domain::webhook_event`) is published in the
/// same transaction, with its webhook deliveries: every audit point of those changes is a
/// publishing point too, so none can be missed.
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    meta: &RequestMeta,
    event: Event,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if let Some(practice_id) = event.practice_id
        && let Some((event_type, mut data)) = webhook_event::from_audit(event.kind, &event.detail)
    {
        let ids = [
            ("practice_id", Some(practice_id)),
            ("patient_id", event.patient_id),
            ("account_id", event.account_id),
            ("access_id", event.access_id),
        ];
        for (key, id) in ids {
            if let Some(id) = id {
                data.insert(key.to_owned(), serde_json::Value::String(id.to_string()));
            }
        }
        practice_events::publish(conn, practice_id, event_type, data.into(), now).await?;
    }
    audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        practice_id: Set(event.practice_id),
        kind: Set(event.kind.to_owned()),
        actor_kind: Set(event.actor.kind().to_owned()),
        actor_id: Set(event.actor.id()),
        patient_id: Set(event.patient_id),
        account_id: Set(event.account_id),
        access_id: Set(event.access_id),
        ip: Set(meta.ip.clone()),
        user_agent: Set(meta
            .user_agent
            .as_deref()
            .map(|ua| ua.chars().take(256).collect())),
        request_id: Set(meta.request_id.clone()),
        detail: Set(event.detail.to_string()),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Which events of a practice [`page_for_practice`] reads; every given criterion must match.
#[derive(Debug, Clone, Default)]
pub struct PracticeEvents<'a> {
    pub patient_id: Option<Uuid>,
    /// An exact kind.
    pub kind: Option<&'a str>,
    /// A kind prefix, ending in `.` (`login.`).
    pub kind_prefix: Option<&'a str>,
    /// From this instant, inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Up to this instant, exclusive.
    pub to: Option<DateTime<Utc>>,
    /// Older than this event (the previous page's last).
    pub before: Option<Uuid>,
}

/// Up to `limit` of the practice's events matching `which`, newest first.
pub async fn page_for_practice<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    which: PracticeEvents<'_>,
    limit: u64,
) -> Result<Vec<audit_event::Model>, DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    let mut q = audit_event::Entity::find().filter(audit_event::Column::PracticeId.eq(practice_id));
    if let Some(p) = which.patient_id {
        q = q.filter(audit_event::Column::PatientId.eq(p));
    }
    if let Some(kind) = which.kind {
        q = q.filter(audit_event::Column::Kind.eq(kind));
    }
    if let Some(prefix) = which.kind_prefix {
        q = q.filter(audit_event::Column::Kind.starts_with(prefix));
    }
    if let Some(from) = which.from {
        q = q.filter(audit_event::Column::CreatedAt.gte(from));
    }
    if let Some(to) = which.to {
        q = q.filter(audit_event::Column::CreatedAt.lt(to));
    }
    if let Some(before) = which.before {
        q = q.filter(audit_event::Column::Id.lt(before));
    }
    q.order_by_desc(audit_event::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}
