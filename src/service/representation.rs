//! The age bands applied to an account's accesses at one practice (the rules are in
//! `domain::representation`): read what [`band`] needs (the patient's date of birth, the
//! practice's settings, any override, any teen consent) and answer per access. Login and
//! refresh call [`bands`] each time they issue a token, so a birthday between the two narrows
//! or ends access at the refresh.

use crate::domain::access::Relation;
use crate::domain::representation::{Band, OverrideKind, Situation, band};
use crate::service::practices::PracticeSettings;
use crate::store::access_rows::AtPractice;
use crate::store::{patient, practice, representation_override, teen_consent_code};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The practice's override for each of these patients that has one.
pub async fn overrides<C: ConnectionTrait>(
    conn: &C,
    patient_ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, OverrideKind>, DbErr> {
    Ok(representation_override::Entity::find()
        .filter(representation_override::Column::PatientId.is_in(patient_ids))
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|o| OverrideKind::from_db(&o.kind).map(|k| (o.patient_id, k)))
        .collect())
}

/// Which of these accesses a teenager consented to (a redeemed consent code).
pub async fn consented<C: ConnectionTrait>(
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

/// The band of each active access of the account at this practice, by access id. Accesses
/// outside the bands (the patient themself, representatives of adults) are `Full` without a
/// query, so most logins pay nothing for this.
pub async fn bands<C: ConnectionTrait>(
    conn: &C,
    at: &AtPractice,
    today: NaiveDate,
) -> Result<HashMap<Uuid, Band>, DbErr> {
    let minors: Vec<(Uuid, Uuid, Relation)> = at
        .active()
        .filter(|r| r.relation().is_minor_representative())
        .map(|r| (r.access_id, r.patient_id, r.relation()))
        .collect();
    let mut out: HashMap<Uuid, Band> = at.active().map(|r| (r.access_id, Band::Full)).collect();
    if minors.is_empty() {
        return Ok(out);
    }
    let Some(practice) = practice::Entity::find_by_id(at.practice_id)
        .one(conn)
        .await?
    else {
        return Ok(out);
    };
    let rules = PracticeSettings::from(&practice).representation();
    let births: HashMap<Uuid, NaiveDate> = patient::Entity::find()
        .filter(patient::Column::Id.is_in(minors.iter().map(|m| m.1)))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.date_of_birth))
        .collect();
    let overrides = overrides(conn, minors.iter().map(|m| m.1)).await?;
    let consented = consented(conn, minors.iter().map(|m| m.0)).await?;
    for (access_id, patient_id, relation) in minors {
        let Some(date_of_birth) = births.get(&patient_id).copied() else {
            out.insert(access_id, Band::Ended);
            continue;
        };
        let situation = Situation {
            relation,
            date_of_birth,
            today,
            override_kind: overrides.get(&patient_id).copied(),
            teen_consented: consented.contains(&access_id),
        };
        out.insert(access_id, band(&rules, &situation));
    }
    Ok(out)
}
