//! Access reports: the practice's portal accesses, and the patients who have one, filtered by
//! status, relation and the dates of the access's history (seed 004: sent, registered, last
//! login).

use crate::domain::access::{AccessStatus, Relation};
use crate::store::pagination::PageRequest;
use crate::store::portal_access;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

/// A half-open window `[after, before)` on one of the access's dates.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    pub after: Option<DateTime<Utc>>,
    pub before: Option<DateTime<Utc>>,
}

impl Window {
    fn is_empty(&self) -> bool {
        self.after.is_none() && self.before.is_none()
    }

    fn condition(&self, column: portal_access::Column) -> Condition {
        let mut c = Condition::all();
        if let Some(after) = self.after {
            c = c.add(column.gte(after));
        }
        if let Some(before) = self.before {
            c = c.add(column.lt(before));
        }
        c
    }
}

/// Criteria on one access; all given criteria must hold.
#[derive(Debug, Clone, Default)]
pub struct AccessFilter {
    pub status: Option<AccessStatus>,
    pub relation: Option<Relation>,
    pub invited: Window,
    pub registered: Window,
    pub last_login: Window,
    /// `true`: never logged in; `false`: logged in at least once.
    pub never_logged_in: Option<bool>,
}

impl AccessFilter {
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.relation.is_none()
            && self.invited.is_empty()
            && self.registered.is_empty()
            && self.last_login.is_empty()
            && self.never_logged_in.is_none()
    }

    fn condition(&self, practice_id: Uuid) -> Condition {
        let mut c = Condition::all()
            .add(portal_access::Column::PracticeId.eq(practice_id))
            .add(self.invited.condition(portal_access::Column::InvitedAt))
            .add(
                self.registered
                    .condition(portal_access::Column::RegisteredAt),
            )
            .add(
                self.last_login
                    .condition(portal_access::Column::LastLoginAt),
            );
        if let Some(status) = self.status {
            c = c.add(portal_access::Column::Status.eq(status));
        }
        if let Some(relation) = self.relation {
            c = c.add(portal_access::Column::Relation.eq(relation));
        }
        match self.never_logged_in {
            Some(true) => c = c.add(portal_access::Column::LastLoginAt.is_null()),
            Some(false) => c = c.add(portal_access::Column::LastLoginAt.is_not_null()),
            None => {}
        }
        c
    }

    /// `SELECT patient_id FROM portal_access WHERE …`: the practice's patients with at least
    /// one access matching, for the patient search.
    pub fn patient_ids(&self, practice_id: Uuid) -> SelectStatement {
        Query::select()
            .column(portal_access::Column::PatientId)
            .from(portal_access::Entity)
            .cond_where(self.condition(practice_id))
            .to_owned()
    }
}

/// One page of the practice's accesses matching `filter`, in creation order, with one row
/// more than the page when there is a next page (for `Page::from_overfetch`).
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    filter: &AccessFilter,
    page: PageRequest,
) -> Result<Vec<portal_access::Model>, DbErr> {
    let mut q = portal_access::Entity::find().filter(filter.condition(practice_id));
    if let Some(after) = page.after {
        q = q.filter(portal_access::Column::Id.gt(after));
    }
    q.order_by_asc(portal_access::Column::Id)
        .limit(page.limit + 1)
        .all(conn)
        .await
}
