//! Representation: practice overrides, adult representatives' consents and the notices sent about them.

use crate::domain::representation::OverrideKind;
use crate::store::returning;
use crate::store::{representation_notice, representation_override, representative_consent};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryTrait, Set,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The secret of a consent request a patient presented, by its SHA-256 hash.
#[derive(Debug, Clone)]
pub enum ConsentSecret {
    /// The link's token.
    Link(String),
    /// The code typed on the consent page.
    Code(String),
}

impl ConsentSecret {
    fn condition(&self) -> Expr {
        match self {
            Self::Link(hash) => representative_consent::Column::TokenHash.eq(hash.as_str()),
            Self::Code(hash) => representative_consent::Column::CodeHash.eq(hash.as_str()),
        }
    }
}

/// Open consent requests for an access (neither used nor superseded) stop working. Returns
/// how many.
pub async fn supersede_open_consents<C: ConnectionTrait>(
    conn: &C,
    access_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(representative_consent::Entity::update_many()
        .col_expr(
            representative_consent::Column::SupersededAt,
            Expr::value(now),
        )
        .filter(representative_consent::Column::AccessId.eq(access_id))
        .filter(representative_consent::Column::UsedAt.is_null())
        .filter(representative_consent::Column::SupersededAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}

/// Stores a new consent request as given.
pub async fn insert_consent_request<C: ConnectionTrait>(
    conn: &C,
    request: representative_consent::Model,
) -> Result<representative_consent::Model, DbErr> {
    request.into_active_model().reset_all().insert(conn).await
}

/// The consent request with this link or code, whatever its state.
pub async fn find_consent_request<C: ConnectionTrait>(
    conn: &C,
    secret: &ConsentSecret,
) -> Result<Option<representative_consent::Model>, DbErr> {
    representative_consent::Entity::find()
        .filter(secret.condition())
        .one(conn)
        .await
}

/// Uses up the consent request with this link or code, recording `decision`, in one guarded
/// UPDATE: only a request neither used, superseded nor expired at `now` is spent, so of
/// concurrent decisions exactly one gets the request back; the others get `None`.
pub async fn spend_consent_request<C: ConnectionTrait>(
    conn: &C,
    secret: &ConsentSecret,
    decision: &str,
    now: DateTime<Utc>,
) -> Result<Option<representative_consent::Model>, DbErr> {
    let mut stmt = representative_consent::Entity::update_many()
        .col_expr(representative_consent::Column::UsedAt, Expr::value(now))
        .col_expr(
            representative_consent::Column::Decision,
            Expr::value(decision),
        )
        .filter(secret.condition())
        .filter(representative_consent::Column::UsedAt.is_null())
        .filter(representative_consent::Column::SupersededAt.is_null())
        .filter(representative_consent::Column::ExpiresAt.gt(now))
        .into_query();
    returning::one(conn, stmt.returning_all()).await
}

/// The practice's override for each of these patients that has one (a kind this build does
/// not know is left out).
pub async fn overrides_of<C: ConnectionTrait>(
    conn: &C,
    patient_ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, OverrideKind>, DbErr> {
    Ok(representation_override::Entity::find()
        .filter(representation_override::Column::PatientId.is_in(patient_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.patient_id, o.kind))
        .collect())
}

/// Stores a patient's override as given (there must be none: see [`remove_override`]).
pub async fn insert_override<C: ConnectionTrait>(
    conn: &C,
    row: representation_override::Model,
) -> Result<representation_override::Model, DbErr> {
    row.into_active_model().reset_all().insert(conn).await
}

/// Removes the patient's override in one statement and returns it; `None` when there was none.
pub async fn remove_override<C: ConnectionTrait>(
    conn: &C,
    patient_id: Uuid,
) -> Result<Option<representation_override::Model>, DbErr> {
    let mut stmt = representation_override::Entity::delete_many()
        .filter(representation_override::Column::PatientId.eq(patient_id))
        .into_query();
    returning::one(conn, stmt.returning_all()).await
}

/// Which of these accesses were already sent the notice of this kind.
pub async fn notices_sent<C: ConnectionTrait>(
    conn: &C,
    access_ids: impl IntoIterator<Item = Uuid>,
    kind: &str,
) -> Result<HashSet<Uuid>, DbErr> {
    Ok(representation_notice::Entity::find()
        .filter(representation_notice::Column::AccessId.is_in(access_ids))
        .filter(representation_notice::Column::Kind.eq(kind))
        .all(conn)
        .await?
        .into_iter()
        .map(|n| n.access_id)
        .collect())
}

/// Records that the access was sent the notice of this kind, unless it already was (one
/// insert that does nothing on the key): true for the one caller that recorded it.
pub async fn record_notice<C: ConnectionTrait>(
    conn: &C,
    access_id: Uuid,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let inserted = representation_notice::Entity::insert(representation_notice::ActiveModel {
        access_id: Set(access_id),
        kind: Set(kind.to_owned()),
        sent_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            representation_notice::Column::AccessId,
            representation_notice::Column::Kind,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(inserted == 1)
}
