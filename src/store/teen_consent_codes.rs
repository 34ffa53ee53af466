//! Teen-consent codes: issued to a teen, spent once by one guarded statement.

use crate::store::returning;
use crate::store::teen_consent_code;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryTrait,
};
use std::collections::HashSet;
use uuid::Uuid;

/// Stores a newly issued code as given.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    row: teen_consent_code::Model,
) -> Result<teen_consent_code::Model, DbErr> {
    row.into_active_model().reset_all().insert(conn).await
}

/// The code with this hash, whatever its state.
pub async fn find_by_hash<C: ConnectionTrait>(
    conn: &C,
    code_hash: &str,
) -> Result<Option<teen_consent_code::Model>, DbErr> {
    teen_consent_code::Entity::find()
        .filter(teen_consent_code::Column::CodeHash.eq(code_hash))
        .one(conn)
        .await
}

/// Spends the code with this hash for the patient at the practice, on behalf of `access_id`,
/// in one guarded UPDATE: only an unused code not expired at `now` is spent, so of concurrent
/// submissions exactly one gets it back; the others (and wrong codes) get `None`.
pub async fn spend<C: ConnectionTrait>(
    conn: &C,
    code_hash: &str,
    patient_id: Uuid,
    practice_id: Uuid,
    access_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<teen_consent_code::Model>, DbErr> {
    let mut stmt = teen_consent_code::Entity::update_many()
        .col_expr(teen_consent_code::Column::UsedAt, Expr::value(now))
        .col_expr(
            teen_consent_code::Column::UsedByAccessId,
            Expr::value(access_id),
        )
        .filter(teen_consent_code::Column::CodeHash.eq(code_hash))
        .filter(teen_consent_code::Column::PatientId.eq(patient_id))
        .filter(teen_consent_code::Column::PracticeId.eq(practice_id))
        .filter(teen_consent_code::Column::UsedAt.is_null())
        .filter(teen_consent_code::Column::ExpiresAt.gt(now))
        .into_query();
    returning::one(conn, stmt.returning_all()).await
}

/// Which of these accesses a teenager consented to (a code spent for them).
pub async fn consented_accesses<C: ConnectionTrait>(
    conn: &C,
    access_ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashSet<Uuid>, DbErr> {
    Ok(teen_consent_code::Entity::find()
        .filter(teen_consent_code::Column::UsedByAccessId.is_in(access_ids))
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|c| c.used_by_access_id)
        .collect())
}
