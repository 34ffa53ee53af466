//! Patient records and their practitioner links.

use crate::store::patient;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use std::collections::HashMap;
use uuid::Uuid;

/// The patient record with this id, if any (in any practice: callers check the practice).
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    patient_id: Uuid,
) -> Result<Option<patient::Model>, DbErr> {
    patient::Entity::find_by_id(patient_id).one(conn).await
}

/// The patient records with these ids that exist, by id.
pub async fn find_many<C: ConnectionTrait>(
    conn: &C,
    patient_ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, patient::Model>, DbErr> {
    Ok(patient::Entity::find()
        .filter(patient::Column::Id.is_in(patient_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect())
}

/// Of the patient records with these ids, those born on or before `born_by`, by id.
pub async fn find_many_born_by<C: ConnectionTrait>(
    conn: &C,
    patient_ids: impl IntoIterator<Item = Uuid>,
    born_by: chrono::NaiveDate,
) -> Result<HashMap<Uuid, patient::Model>, DbErr> {
    Ok(patient::Entity::find()
        .filter(patient::Column::Id.is_in(patient_ids))
        .filter(patient::Column::DateOfBirth.lte(born_by))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect())
}
