//! Representative policy as data (issue 11): what a parent or guardian may see of a child's
//! record, by the child's age and the practice's settings. The one place these rules live;
//! login, refresh, the ageing job and the consent endpoints all ask [`band`].
//!
//! - Under `limited_access_from_age` (12): full representative access.
//! - From then until `age_of_majority` (18): limited to the practice's `limited_scopes`
//!   (default appointments, billing, messages: no clinical record), and, when the practice
//!   sets `teen_consent_required`, nothing of the record until the teenager consents.
//! - From the age of majority: ended (`domain::access::ages_out`, acted on by the ageing job).
//!
//! A practice's override wins over the bands: `guardianship` (a court-appointed guardian of a
//! disabled adult: full access continues) or `emancipation` (the minor is treated as an
//! adult: parent and guardian access ends now). Spouses, caregivers and other representatives
//! of adults are outside the bands.
//!
//! Scopes: first-party tokens carry `portal` (the patient API) and one scope per portal area
//! the token allows ([`PORTAL_AREAS`]); OpenID Connect tokens carry what the client was
//! granted. Record scopes ([`is_record_scope`]: the portal areas and the SMART `patient/…`
//! and `launch/patient` scopes) are narrowed by the bands; identity scopes (`openid`,
//! `profile`, `email`, `offline_access`) never are.

use crate::domain::access::{Relation, ages_out};
use crate::domain::oauth::{SCOPE_LAUNCH_PATIENT, is_known_scope, parse_scope};
use crate::domain::patient::age_on;
use crate::error::Error;
use chrono::{Datelike, NaiveDate};
use sea_orm::{DeriveActiveEnum, EnumIter, prelude::StringLen};

/// The scope that lets a first-party token call the patient API.
pub const PORTAL: &str = "portal";
/// Booking and seeing appointments.
pub const APPOINTMENTS: &str = "appointments";
/// Statements and payments.
pub const BILLING: &str = "billing";
/// Secure messages with the practice.
pub const MESSAGES: &str = "messages";
/// The clinical record: results, notes, medications, documents.
pub const RECORDS: &str = "records";
/// Every area of the patient portal, as first-party token scopes.
pub const PORTAL_AREAS: &[&str] = &[APPOINTMENTS, BILLING, MESSAGES, RECORDS];

/// What limited access keeps unless the practice chooses otherwise: everything but the
/// clinical record.
pub const DEFAULT_LIMITED_SCOPES: &[&str] = &[APPOINTMENTS, BILLING, MESSAGES];
pub const DEFAULT_LIMITED_ACCESS_FROM_AGE: i32 = 12;
pub const DEFAULT_TEEN_CONSENT_REQUIRED: bool = false;
pub const DEFAULT_MIN_SELF_SERVICE_AGE: i32 = 13;

/// A practice's decision that overrides the age bands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    EnumIter,
    DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum OverrideKind {
    /// Full representative access continues whatever the patient's age (e.g. a court-appointed
    /// guardian of a disabled adult).
    Guardianship,
    /// The patient is treated as an adult: parent and guardian access ends now.
    Emancipation,
}

impl OverrideKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Guardianship => "guardianship",
            Self::Emancipation => "emancipation",
        }
    }
}

/// A practice's representative rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub age_of_majority: i32,
    pub limited_access_from_age: i32,
    pub limited_scopes: Vec<String>,
    pub teen_consent_required: bool,
}

/// One representative's standing with one patient, today.
#[derive(Debug, Clone, Copy)]
pub struct Situation {
    pub relation: Relation,
    pub date_of_birth: NaiveDate,
    pub today: NaiveDate,
    pub override_kind: Option<OverrideKind>,
    /// The teenager gave this representative a consent code.
    pub teen_consented: bool,
}

/// What a representative may do for a patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Band {
    /// Everything the token's scope allows.
    Full,
    /// Only these record scopes.
    Limited { scopes: Vec<String> },
    /// Limited access that waits for the teenager's consent: no record scopes yet.
    NeedsTeenConsent,
    /// No access: the patient came of age or was emancipated.
    Ended,
}

impl Band {
    /// The record scopes allowed, or `None` for no restriction.
    pub fn allowed(&self) -> Option<Vec<String>> {
        match self {
            Band::Full => None,
            Band::Limited { scopes } => Some(scopes.clone()),
            Band::NeedsTeenConsent | Band::Ended => Some(Vec::new()),
        }
    }

    /// The band's name in API answers.
    pub fn as_str(&self) -> &'static str {
        match self {
            Band::Full => "full",
            Band::Limited { .. } => "limited",
            Band::NeedsTeenConsent => "needs_teen_consent",
            Band::Ended => "ended",
        }
    }
}

/// The band of one representative for one patient.
pub fn band(rules: &Rules, s: &Situation) -> Band {
    if !s.relation.is_minor_representative() {
        // The patient themself, and representatives of adults, are outside the bands.
        return Band::Full;
    }
    match s.override_kind {
        Some(OverrideKind::Guardianship) => return Band::Full,
        Some(OverrideKind::Emancipation) => return Band::Ended,
        None => {}
    }
    if ages_out(s.relation, s.date_of_birth, s.today, rules.age_of_majority) {
        return Band::Ended;
    }
    if age_on(s.date_of_birth, s.today) < rules.limited_access_from_age {
        return Band::Full;
    }
    if rules.teen_consent_required && !s.teen_consented {
        return Band::NeedsTeenConsent;
    }
    Band::Limited {
        scopes: rules.limited_scopes.clone(),
    }
}

/// The day a person born on `date_of_birth` turns `age` (a 29 February birthday counts on
/// 1 March in other years, as in `domain::patient::age_on`).
pub fn birthday(date_of_birth: NaiveDate, age: i32) -> Option<NaiveDate> {
    let year = date_of_birth.year().checked_add(age)?;
    date_of_birth
        .with_year(year)
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
}

/// Whether the bands narrow this scope: a portal area or a SMART patient-record scope.
pub fn is_record_scope(scope: &str) -> bool {
    PORTAL_AREAS.contains(&scope) || scope == SCOPE_LAUNCH_PATIENT || scope.starts_with("patient/")
}

/// `limited_scopes` as a practice sets it: record scopes only, each once, at most 32.
pub fn check_limited_scopes(scopes: &[String]) -> Result<Vec<String>, Error> {
    let invalid = || {
        Error::invalid(
            "limited_scopes",
            format!(
                "must list record scopes: {} or SMART patient scopes like patient/Appointment.rs",
                PORTAL_AREAS.join(", ")
            ),
        )
    };
    if scopes.len() > 32 {
        return Err(invalid());
    }
    let mut out: Vec<String> = Vec::new();
    for s in scopes {
        let known = PORTAL_AREAS.contains(&s.as_str()) || is_known_scope(s);
        if !known || !is_record_scope(s) {
            return Err(invalid());
        }
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    Ok(out)
}

/// The ages a practice may choose, in one place.
pub fn check_limited_access_from_age(age: i32, age_of_majority: i32) -> Result<i32, Error> {
    if !(1..=age_of_majority).contains(&age) {
        return Err(Error::invalid(
            "limited_access_from_age",
            "must be between 1 and the age of majority (equal to it: no limited band)",
        ));
    }
    Ok(age)
}

pub fn check_min_self_service_age(age: i32, age_of_majority: i32) -> Result<i32, Error> {
    if !(0..=age_of_majority).contains(&age) {
        return Err(Error::invalid(
            "min_self_service_age",
            "must be between 0 and the age of majority",
        ));
    }
    Ok(age)
}

/// A patient's own account (self sign-up, a `self` invitation) needs them to be at least the
/// practice's minimum age; younger patients are represented by a parent instead.
pub fn check_self_service_age(
    date_of_birth: NaiveDate,
    today: NaiveDate,
    min_self_service_age: i32,
) -> Result<(), Error> {
    if age_on(date_of_birth, today) < min_self_service_age {
        return Err(Error::BelowMinimumAge {
            min_age: min_self_service_age,
        });
    }
    Ok(())
}

/// The record scopes a token lists for one patient: what the band allows of what the session
/// was granted (`portal` grants every portal area). `None` for no restriction.
pub fn patient_scopes(granted: &str, allowed: Option<&[String]>) -> Option<Vec<String>> {
    let allowed = allowed?;
    let granted = parse_scope(granted);
    let portal = granted.iter().any(|g| g == PORTAL);
    Some(
        allowed
            .iter()
            .filter(|s| granted.contains(s) || (portal && PORTAL_AREAS.contains(&s.as_str())))
            .cloned()
            .collect(),
    )
}

/// A token's `scope`: the session's grant with `portal` spelled out as the portal areas, and
/// record scopes kept only when at least one listed patient allows them (`None`: no
/// restriction).
pub fn token_scope(granted: &str, patients: &[Option<Vec<String>>]) -> String {
    let allows = |scope: &str| {
        patients
            .iter()
            .any(|p| p.as_ref().is_none_or(|v| v.iter().any(|s| s == scope)))
    };
    let mut out: Vec<String> = Vec::new();
    for s in parse_scope(granted) {
        if s == PORTAL {
            out.push(s);
            out.extend(
                PORTAL_AREAS
                    .iter()
                    .filter(|a| allows(a))
                    .map(|a| (*a).to_owned()),
            );
        } else if !is_record_scope(&s) || allows(&s) {
            out.push(s);
        }
    }
    parse_scope(&out.join(" ")).join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn rules(consent: bool) -> Rules {
        Rules {
            age_of_majority: 18,
            limited_access_from_age: 12,
            limited_scopes: DEFAULT_LIMITED_SCOPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            teen_consent_required: consent,
        }
    }

    fn parent(dob: &str, today: &str) -> Situation {
        Situation {
            relation: Relation::Parent,
            date_of_birth: d(dob),
            today: d(today),
            override_kind: None,
            teen_consented: false,
        }
    }

    fn limited() -> Band {
        Band::Limited {
            scopes: rules(false).limited_scopes,
        }
    }

    #[test]
    fn under_twelve_is_full_and_the_twelfth_birthday_limits() {
        let r = rules(false);
        assert_eq!(band(&r, &parent("2014-11-24", "2026-11-23")), Band::Full);
        assert_eq!(band(&r, &parent("2014-11-24", "2026-11-24")), limited());
        assert_eq!(band(&r, &parent("2010-01-01", "2026-11-24")), limited());
    }

    #[test]
    fn the_eighteenth_birthday_ends_it() {
        let r = rules(false);
        assert_eq!(band(&r, &parent("2008-11-24", "2026-11-23")), limited());
        assert_eq!(band(&r, &parent("2008-11-24", "2026-11-24")), Band::Ended);
    }

    #[test]
    fn a_leap_day_birthday_counts_on_the_first_of_march() {
        let r = rules(false);
        assert_eq!(band(&r, &parent("2016-02-29", "2028-02-28")), Band::Full);
        assert_eq!(band(&r, &parent("2016-02-29", "2028-02-29")), limited());
        // In a common year the birthday is 1 March.
        assert_eq!(band(&r, &parent("2012-02-29", "2025-02-28")), limited());
        assert_eq!(band(&r, &parent("2008-02-29", "2026-02-28")), limited());
        assert_eq!(band(&r, &parent("2008-02-29", "2026-03-01")), Band::Ended);
        assert_eq!(band(&r, &parent("2013-02-28", "2025-02-28")), limited());
    }

    #[test]
    fn teen_consent_holds_limited_access_until_given() {
        let r = rules(true);
        let mut s = parent("2012-06-01", "2026-11-24");
        assert_eq!(band(&r, &s), Band::NeedsTeenConsent);
        s.teen_consented = true;
        assert_eq!(band(&r, &s), limited());
        // Under twelve no consent is needed.
        assert_eq!(band(&r, &parent("2016-06-01", "2026-11-24")), Band::Full);
    }

    #[test]
    fn overrides_win_over_the_bands() {
        let r = rules(true);
        let mut s = parent("2000-01-01", "2026-11-24");
        s.override_kind = Some(OverrideKind::Guardianship);
        assert_eq!(band(&r, &s), Band::Full);
        let mut s = parent("2016-01-01", "2026-11-24");
        s.override_kind = Some(OverrideKind::Emancipation);
        assert_eq!(band(&r, &s), Band::Ended);
    }

    #[test]
    fn the_patient_and_representatives_of_adults_are_outside_the_bands() {
        let r = rules(true);
        for relation in [
            Relation::Own,
            Relation::Spouse,
            Relation::Caregiver,
            Relation::Other,
        ] {
            let mut s = parent("2012-06-01", "2026-11-24");
            s.relation = relation;
            assert_eq!(band(&r, &s), Band::Full, "{relation:?}");
        }
        let mut s = parent("2012-06-01", "2026-11-24");
        s.relation = Relation::Guardian;
        assert_eq!(band(&r, &s), Band::NeedsTeenConsent);
    }

    #[test]
    fn limited_scopes_must_be_record_scopes() {
        let ok = vec![
            "appointments".to_owned(),
            "patient/Appointment.rs".to_owned(),
        ];
        assert_eq!(check_limited_scopes(&ok).unwrap(), ok);
        assert!(check_limited_scopes(&["openid".to_owned()]).is_err());
        assert!(check_limited_scopes(&["everything".to_owned()]).is_err());
        assert!(check_limited_scopes(&[]).unwrap().is_empty());
    }

    #[test]
    fn token_scope_spells_out_portal_areas_and_narrows_record_scopes() {
        let lim: Vec<String> = vec!["appointments".into(), "billing".into(), "messages".into()];
        assert_eq!(
            token_scope("portal", &[None]),
            "portal appointments billing messages records"
        );
        assert_eq!(
            token_scope("portal", &[Some(lim.clone())]),
            "portal appointments billing messages"
        );
        assert_eq!(token_scope("portal", &[Some(vec![])]), "portal");
        assert_eq!(
            token_scope("portal", &[Some(vec![]), None]),
            "portal appointments billing messages records"
        );
        assert_eq!(
            token_scope("openid launch/patient patient/*.rs", &[Some(lim.clone())]),
            "openid"
        );
        assert_eq!(patient_scopes("portal", Some(&lim)), Some(lim.clone()));
        assert_eq!(
            patient_scopes("openid patient/*.rs", Some(&lim)),
            Some(vec![])
        );
        assert_eq!(patient_scopes("portal", None), None);
    }

    #[test]
    fn birthdays_agree_with_age_on() {
        assert_eq!(birthday(d("2014-11-24"), 12), Some(d("2026-11-24")));
        assert_eq!(birthday(d("2012-02-29"), 13), Some(d("2025-03-01")));
        assert_eq!(birthday(d("2012-02-29"), 12), Some(d("2024-02-29")));
        for (dob, age) in [("2014-11-24", 12), ("2012-02-29", 13), ("2012-02-29", 12)] {
            let day = birthday(d(dob), age).unwrap();
            assert_eq!(age_on(d(dob), day), age);
            assert_eq!(age_on(d(dob), day.pred_opt().unwrap()), age - 1);
        }
    }

    #[test]
    fn self_service_needs_the_minimum_age_from_the_birthday() {
        assert!(check_self_service_age(d("2013-11-24"), d("2026-11-23"), 13).is_err());
        assert!(check_self_service_age(d("2013-11-24"), d("2026-11-24"), 13).is_ok());
        assert!(check_self_service_age(d("2020-01-01"), d("2026-11-24"), 0).is_ok());
    }
}
