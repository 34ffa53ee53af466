//! The HTTP surface: the OpenAPI-described APIs, operations endpoints, the patient pages
//! (`crate::web`, outside the OpenAPI document) and the edge middleware.

pub mod context;
pub mod csv;
pub mod edge;
pub mod enum_schemas;
pub mod idempotency;
pub mod intake;
pub mod invitations;
pub mod json;
pub mod jwks;
pub mod known_params;
pub mod oidc;
pub mod ops;
pub mod password_resets;
pub mod patient;
pub mod practice;
pub mod problem;
pub mod registrations;
pub mod representation;
pub mod representative_consents;
pub mod route_table;
pub mod security;
pub mod spec;
pub mod tags;
pub mod username_reminders;

use crate::state::AppState;
use edge::{AllowIndex, Edge};
use poem::{Endpoint, EndpointExt, IntoEndpoint, Route};
use poem_openapi::OpenApiService;
use route_table::{RouteTable, get};
use std::sync::Arc;

/// Every documented API, in the order the document lists them. Add new ones here only.
type Apis = (
    patient::LoginApi,
    patient::MeApi,
    practice::SettingsApi,
    practice::PatientsApi,
    practice::AccessApi,
    practice::ApiKeysApi,
    practice::InvitationsApi,
    practice::PatientAccountsApi,
    practice::RegistrationReviewApi,
    invitations::PatientInvitationsApi,
    registrations::RegistrationsApi,
    MoreApis,
);

/// The rest, nested: `Default` is only implemented for tuples of up to 12.
type MoreApis = (
    practice::ClientsApi,
    password_resets::PasswordResetsApi,
    patient::MfaApi,
    practice::AuditApi,
    patient::MyDemographicChangesApi,
    practice::DemographicChangesApi,
    practice::PractitionersApi,
    intake::IntakeApi,
    representation::RepresentationApi,
    EvenMoreApis,
);

/// Nested again (a tuple holds at most 12): quick add, held sign-ups, username reminders,
/// and adult representatives' consent.
type EvenMoreApis = (
    practice::QuickAddApi,
    username_reminders::UsernameRemindersApi,
    practice::HeldRegistrationsApi,
    representative_consents::RepresentativeConsentsApi,
    patient::MyRepresentativesApi,
    practice::ConsentRequestsApi,
    practice::LaunchesApi,
    practice::AccessReportsApi,
);

/// The OpenAPI service: every documented operation.
pub fn openapi_service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        Apis::default(),
        "Portico",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Patient portal identity server. Practices grant, block and revoke their patients' portal access; patients and their \
         representatives log in and receive tokens scoped to one practice. Every error is an \
         RFC 9457 problem (`application/problem+json`) with a stable `code`.",
    )
    .license("Apache-2.0")
}

/// The committed document in `openapi/portico.json` must equal this: the default settings'
/// public URL in `servers`.
pub fn spec_json() -> String {
    spec_json_for(&crate::config::Settings::default().public_url)
}

/// The document a deployment serves at `/openapi.json`: `servers` is its `PORTICO_PUBLIC_URL`.
pub fn spec_json_for(public_url: &str) -> String {
    let doc = spec::publish(&openapi_service().spec(), public_url);
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// Every route, behind the edge middleware. The `Allow` header of a 405 comes from the
/// OpenAPI document and from the tables of what is mounted beside it.
pub fn routes(state: AppState) -> impl Endpoint {
    let service = openapi_service();
    let published = spec_json_for(&state.settings.public_url);
    let spec: serde_json::Value = serde_json::from_str(&published).unwrap_or_default();
    let docs = service.swagger_ui();
    let spec_endpoint = move |_: poem::Request| {
        let body = published.clone();
        async move {
            poem::Response::builder()
                .content_type("application/json")
                .body(body)
        }
    };
    let params = known_params::KnownParams(Arc::new(known_params::ParamIndex::from_spec(&spec)));
    let (route, pages) = crate::web::mount(
        Route::new().nest(
            "/",
            service
                .into_endpoint()
                .with(idempotency::Idempotency)
                .with(params),
        ),
    );
    let table = RouteTable::new(route)
        .nest("/docs", "docs", docs)
        .at(
            "/openapi.json",
            "openapi",
            get(poem::endpoint::make(spec_endpoint)),
        )
        .at("/healthz", "healthz", get(ops::healthz))
        .at("/readyz", "readyz", get(ops::readyz))
        .at("/metrics", "metrics", get(ops::metrics))
        .at("/oauth2/jwks", "jwks", get(jwks::jwks));
    let (route, others) = oidc::mount(table, state.settings.issuer()).into_parts();
    let mounted: Vec<(&str, &[&str])> = pages
        .iter()
        .chain(&others)
        .map(|m| (m.template.as_str(), m.methods.as_slice()))
        .collect();
    let allow = Arc::new(AllowIndex::from_spec(&spec, &mounted));
    let pages = Arc::new(crate::web::PagePaths::new(&pages));
    route.data(state.clone()).with(Edge {
        state,
        allow,
        pages,
    })
}
