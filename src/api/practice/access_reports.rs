//! Access reports for a practice's records: every portal access at the practice filtered by
//! status, relation and dates, and CSV exports of that list and of the patient search.

use crate::api::csv::{CsvExport, opt};
use crate::api::practice::access::AccessView;
use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::domain::access::{AccessStatus, Relation};
use crate::error::Result;
use crate::service::PageRequest;
use crate::service::access::reports::{self as access_reports, AccessFilter, Window};
use crate::service::patients::records::PatientFilter;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

/// A page of portal accesses.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AccessPage {
    pub items: Vec<AccessView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The access criteria of a report, as given in the query: dates are whole UTC days, `_after`
/// from the start of that day, `_before` up to (not including) it.
#[allow(clippy::too_many_arguments)]
pub fn access_filter(
    status: Option<AccessStatus>,
    relation: Option<Relation>,
    invited: (Option<NaiveDate>, Option<NaiveDate>),
    registered: (Option<NaiveDate>, Option<NaiveDate>),
    last_login: (Option<NaiveDate>, Option<NaiveDate>),
    never_logged_in: Option<bool>,
) -> AccessFilter {
    let window = |(after, before): (Option<NaiveDate>, Option<NaiveDate>)| Window {
        after: after.map(day_start),
        before: before.map(day_start),
    };
    AccessFilter {
        status,
        relation,
        invited: window(invited),
        registered: window(registered),
        last_login: window(last_login),
        never_logged_in,
    }
}

fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

fn stamp(t: Option<DateTime<Utc>>) -> String {
    opt(t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
}

#[derive(Default)]
pub struct AccessReportsApi;

#[OpenApi(prefix_path = "/api/v1/practice", tag = "ApiTags::PortalAccess")]
impl AccessReportsApi {
    /// Every portal access at the practice, a page at a time, oldest first.
    ///
    /// Every given criterion must match. Dates are `YYYY-MM-DD` in UTC: `…_after` counts
    /// from the start of that day, `…_before` up to the start of that day. Roles: all.
    #[oai(path = "/access", method = "get", operation_id = "listAccess")]
    #[allow(
        clippy::too_many_arguments,
        reason = "poem-openapi takes each query parameter as an argument"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        /// Only accesses in this state.
        access_status: Query<Option<AccessStatus>>,
        /// Only accesses with this relation (`self` for patients' own).
        relation: Query<Option<Relation>>,
        /// Invitation sent on or after this day.
        invited_after: Query<Option<NaiveDate>>,
        /// Invitation sent before this day.
        invited_before: Query<Option<NaiveDate>>,
        /// Registered on or after this day.
        registered_after: Query<Option<NaiveDate>>,
        /// Registered before this day.
        registered_before: Query<Option<NaiveDate>>,
        /// Last logged in on or after this day.
        last_login_after: Query<Option<NaiveDate>>,
        /// Last logged in before this day.
        last_login_before: Query<Option<NaiveDate>>,
        /// `true`: never logged in; `false`: logged in at least once.
        never_logged_in: Query<Option<bool>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// 1 to 200; 50 by default.
        limit: Query<Option<u64>>,
    ) -> Result<Json<AccessPage>> {
        let page = PageRequest::parse(cursor.0.as_deref(), limit.0)?;
        let filter = access_filter(
            access_status.0,
            relation.0,
            (invited_after.0, invited_before.0),
            (registered_after.0, registered_before.0),
            (last_login_after.0, last_login_before.0),
            never_logged_in.0,
        );
        let found = access_reports::list_access(&state.db, &staff.0, &filter, page).await?;
        Ok(Json(AccessPage {
            items: found
                .items
                .into_iter()
                .map(AccessView::try_from)
                .collect::<Result<_>>()?,
            next_cursor: found.next_cursor,
        }))
    }

    /// The same list as `GET /access`, every page of it, as CSV (`text/csv`).
    ///
    /// Takes the same criteria. Roles: all.
    #[oai(
        path = "/access/export.csv",
        method = "get",
        operation_id = "exportAccess"
    )]
    #[allow(
        clippy::too_many_arguments,
        reason = "poem-openapi takes each query parameter as an argument"
    )]
    async fn export(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        /// Only accesses in this state.
        access_status: Query<Option<AccessStatus>>,
        /// Only accesses with this relation (`self` for patients' own).
        relation: Query<Option<Relation>>,
        /// Invitation sent on or after this day.
        invited_after: Query<Option<NaiveDate>>,
        /// Invitation sent before this day.
        invited_before: Query<Option<NaiveDate>>,
        /// Registered on or after this day.
        registered_after: Query<Option<NaiveDate>>,
        /// Registered before this day.
        registered_before: Query<Option<NaiveDate>>,
        /// Last logged in on or after this day.
        last_login_after: Query<Option<NaiveDate>>,
        /// Last logged in before this day.
        last_login_before: Query<Option<NaiveDate>>,
        /// `true`: never logged in; `false`: logged in at least once.
        never_logged_in: Query<Option<bool>>,
    ) -> Result<CsvExport> {
        let filter = access_filter(
            access_status.0,
            relation.0,
            (invited_after.0, invited_before.0),
            (registered_after.0, registered_before.0),
            (last_login_after.0, last_login_before.0),
            never_logged_in.0,
        );
        let rows = access_reports::export_access(&state.db, &staff.0, &filter).await?;
        let header = [
            "id",
            "patient_id",
            "username",
            "relation",
            "status",
            "invited_at",
            "registered_at",
            "last_login_at",
            "blocked_at",
            "revoked_at",
            "expired_at",
            "created_at",
        ];
        let lines = rows.into_iter().map(|r| {
            let a = r.access;
            vec![
                a.id.to_string(),
                a.patient_id.to_string(),
                opt(r.username),
                a.relation.as_str().to_owned(),
                a.status.as_str().to_owned(),
                stamp(a.invited_at),
                stamp(a.registered_at),
                stamp(a.last_login_at),
                stamp(a.blocked_at),
                stamp(a.revoked_at),
                stamp(a.expired_at),
                stamp(Some(a.created_at)),
            ]
        });
        Ok(CsvExport::new("portal-access.csv", &header, lines))
    }

    /// The same list as `GET /patients`, every page of it, as CSV (`text/csv`).
    ///
    /// Takes the same criteria. Roles: all.
    #[oai(
        path = "/patients/export.csv",
        method = "get",
        operation_id = "exportPatients",
        tag = "ApiTags::Patients"
    )]
    #[allow(
        clippy::too_many_arguments,
        reason = "poem-openapi takes each query parameter as an argument"
    )]
    async fn export_patients(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        /// Words that start the first or last name.
        name: Query<Option<String>>,
        /// `YYYY-MM-DD`.
        date_of_birth: Query<Option<NaiveDate>>,
        /// The practice system's id.
        external_ref: Query<Option<String>>,
        /// Only patients with an access in this state.
        access_status: Query<Option<AccessStatus>>,
        /// Only patients with an access of this relation (`self`: their own).
        relation: Query<Option<Relation>>,
        /// With an invitation sent on or after this day.
        invited_after: Query<Option<NaiveDate>>,
        /// With an invitation sent before this day.
        invited_before: Query<Option<NaiveDate>>,
        /// With an access registered on or after this day.
        registered_after: Query<Option<NaiveDate>>,
        /// With an access registered before this day.
        registered_before: Query<Option<NaiveDate>>,
        /// With a login on or after this day (the access's last).
        last_login_after: Query<Option<NaiveDate>>,
        /// With a last login before this day.
        last_login_before: Query<Option<NaiveDate>>,
        /// `true`: with an access never logged in; `false`: one that has.
        never_logged_in: Query<Option<bool>>,
    ) -> Result<CsvExport> {
        let filter = PatientFilter {
            name: name.0,
            date_of_birth: date_of_birth.0,
            external_ref: external_ref.0,
            access: access_filter(
                access_status.0,
                relation.0,
                (invited_after.0, invited_before.0),
                (registered_after.0, registered_before.0),
                (last_login_after.0, last_login_before.0),
                never_logged_in.0,
            ),
        };
        let rows = access_reports::export_patients(&state.db, &staff.0, filter).await?;
        let header = [
            "id",
            "first_name",
            "last_name",
            "date_of_birth",
            "email",
            "mobile",
            "postal_code",
            "address",
            "external_ref",
            "self_registered",
            "created_at",
        ];
        let lines = rows.into_iter().map(|p| {
            vec![
                p.id.to_string(),
                p.first_name,
                p.last_name,
                p.date_of_birth.to_string(),
                opt(p.email),
                opt(p.mobile),
                opt(p.postal_code),
                opt(p.address_line),
                opt(p.external_ref),
                p.self_registered.to_string(),
                stamp(Some(p.created_at)),
            ]
        });
        Ok(CsvExport::new("patients.csv", &header, lines))
    }
}
