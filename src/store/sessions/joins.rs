//! The joins the refresh and principal reads share.

use crate::store::{account, patient, portal_access, practice, session};
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition};
use sea_orm::{EntityTrait, RelationDef};

/// The joins the refresh and principal reads share: a session's account, its practice, the
/// account's accesses at that practice (the session's own practice only), each access's patient.
pub(super) fn session_account() -> RelationDef {
    session::Entity::belongs_to(account::Entity)
        .from(session::Column::AccountId)
        .to(account::Column::Id)
        .into()
}

pub(super) fn session_practice() -> RelationDef {
    session::Entity::belongs_to(practice::Entity)
        .from(session::Column::PracticeId)
        .to(practice::Column::Id)
        .into()
}

pub(super) fn session_accesses() -> RelationDef {
    session::Entity::belongs_to(portal_access::Entity)
        .from(session::Column::AccountId)
        .to(portal_access::Column::AccountId)
        .on_condition(|left, right| {
            Expr::col((right, portal_access::Column::PracticeId))
                .equals((left, session::Column::PracticeId))
                .into_condition()
        })
        .into()
}

pub(super) fn access_patient() -> RelationDef {
    portal_access::Entity::belongs_to(patient::Entity)
        .from(portal_access::Column::PatientId)
        .to(patient::Column::Id)
        .into()
}
