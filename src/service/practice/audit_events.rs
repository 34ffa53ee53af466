//! The practice's view of the audit trail: its own events only, newest first, filtered.

use crate::domain::role::Permission;
use crate::error::{Error, Result};
use crate::service::practice::api_keys::Staff;
use crate::store::audit::{self, PracticeEvents};
use crate::store::audit_event;
use crate::store::pagination::{Page, PageRequest};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

/// One entry of the audit trail.
pub use crate::store::audit_event::Model as AuditEvent;

/// Which events; every given criterion must match.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub patient_id: Option<Uuid>,
    /// An event kind such as `access.blocked`, or a prefix ending in `.` (`login.`).
    pub kind: Option<String>,
    /// From this instant, inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Up to this instant, exclusive.
    pub to: Option<DateTime<Utc>>,
}

fn check_kind(raw: &str) -> Result<&str> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_');
    if ok {
        Ok(raw)
    } else {
        Err(Error::invalid(
            "kind",
            "must be an event kind like access.blocked, or a prefix like login.",
        ))
    }
}

/// A page of the caller's practice's events, newest first. Admin only.
pub async fn list(
    db: &DatabaseConnection,
    staff: &Staff,
    filter: AuditFilter,
    page: PageRequest,
) -> Result<Page<audit_event::Model>> {
    staff.require(Permission::ReadAudit)?;
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(Error::invalid("to", "must be later than from"));
    }
    let mut which = PracticeEvents {
        patient_id: filter.patient_id,
        from: filter.from,
        to: filter.to,
        before: page.after,
        ..PracticeEvents::default()
    };
    if let Some(kind) = filter.kind.as_deref() {
        let kind = check_kind(kind)?;
        if kind.ends_with('.') {
            which.kind_prefix = Some(kind);
        } else {
            which.kind = Some(kind);
        }
    }
    let rows = audit::page_for_practice(db, staff.practice_id, which, page.limit + 1).await?;
    Ok(Page::from_overfetch(rows, page.limit, |e| e.id))
}
