//! The age bands applied to an account's accesses at one practice (the rules are in
//! `domain::representation`): read what [`band`] needs (the patient's date of birth, the
//! practice's settings, any override, any teen consent) and answer per access. Login and
//! refresh call [`bands`] each time they issue a token, so a birthday between the two narrows
//! or ends access at the refresh.

use crate::domain::access::Relation;
use crate::domain::representation::{Band, Situation, band};
use crate::service::practice::practices::PracticeSettings;
use crate::store::access_rows::AtPractice;
use crate::store::{patients, practices, representation, teen_consent_codes};
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbErr};
use std::collections::HashMap;
use uuid::Uuid;

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
        .filter(|r| r.relation.is_minor_representative())
        .map(|r| (r.access_id, r.patient_id, r.relation))
        .collect();
    let mut out: HashMap<Uuid, Band> = at.active().map(|r| (r.access_id, Band::Full)).collect();
    if minors.is_empty() {
        return Ok(out);
    }
    let Some(practice) = practices::find(conn, at.practice_id).await? else {
        return Ok(out);
    };
    let rules = PracticeSettings::from(&practice).representation();
    let births: HashMap<Uuid, NaiveDate> = patients::find_many(conn, minors.iter().map(|m| m.1))
        .await?
        .into_iter()
        .map(|(id, p)| (id, p.date_of_birth))
        .collect();
    let overrides = representation::overrides_of(conn, minors.iter().map(|m| m.1)).await?;
    let consented =
        teen_consent_codes::consented_accesses(conn, minors.iter().map(|m| m.0)).await?;
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
