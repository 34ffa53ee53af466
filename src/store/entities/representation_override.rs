//! The `representation_overrides` table: a practice's decision that a patient's
//! representatives keep full access past the age bands (`guardianship`) or lose it now
//! (`emancipation`). At most one per patient.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "representation_overrides")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub patient_id: Uuid,
    pub practice_id: Uuid,
    pub kind: crate::domain::representation::OverrideKind,
    pub note: Option<String>,
    /// Who set it: `api_key:{id}`.
    pub set_by: String,
    pub set_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
