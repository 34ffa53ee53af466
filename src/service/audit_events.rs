//! The practice's view of the audit trail: its own events only, newest first, filtered.

use crate::domain::role::Permission;
use crate::error::{Error, Result};
use crate::service::api_keys::Staff;
use crate::store::audit_event;
use crate::store::pagination::{Page, PageRequest};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

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
    let mut q =
        audit_event::Entity::find().filter(audit_event::Column::PracticeId.eq(staff.practice_id));
    if let Some(p) = filter.patient_id {
        q = q.filter(audit_event::Column::PatientId.eq(p));
    }
    if let Some(kind) = filter.kind.as_deref() {
        let kind = check_kind(kind)?;
        q = match kind.strip_suffix('.') {
            Some(prefix) => q.filter(audit_event::Column::Kind.starts_with(format!("{prefix}."))),
            None => q.filter(audit_event::Column::Kind.eq(kind)),
        };
    }
    if let Some(from) = filter.from {
        q = q.filter(audit_event::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        q = q.filter(audit_event::Column::CreatedAt.lt(to));
    }
    if let Some(after) = page.after {
        q = q.filter(audit_event::Column::Id.lt(after));
    }
    let rows = q
        .order_by_desc(audit_event::Column::Id)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    Ok(Page::from_overfetch(rows, page.limit, |e| e.id))
}
