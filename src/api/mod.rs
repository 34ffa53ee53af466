//! The HTTP surface: the OpenAPI-described APIs, operations endpoints, the patient pages
//! (`crate::web`, outside the OpenAPI document) and the edge middleware.

pub mod context;
pub mod edge;
pub mod intake;
pub mod invitations;
pub mod json;
pub mod jwks;
pub mod oidc;
pub mod ops;
pub mod password_resets;
pub mod patient;
pub mod practice;
pub mod problem;
pub mod registrations;
pub mod representation;
pub mod representative_consents;
pub mod security;
pub mod spec;
pub mod tags;
pub mod username_reminders;

use crate::state::AppState;
use edge::{AllowIndex, Edge, labelled};
use poem::{Endpoint, EndpointExt, Route, get};
use poem_openapi::OpenApiService;
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

/// The committed document in `openapi/portico.json` must equal this.
pub fn spec_json() -> String {
    let doc = spec::publish(&openapi_service().spec());
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// Routes outside the OpenAPI document, with their methods (the OpenID Connect ones are
/// `oidc::OIDC_ROUTES`, mounted next to `/oauth2/jwks`).
const OTHER_ROUTES: &[(&str, &[&str])] = &[
    ("/healthz", &["GET"]),
    ("/readyz", &["GET"]),
    ("/metrics", &["GET"]),
    ("/openapi.json", &["GET"]),
    ("/oauth2/jwks", &["GET"]),
];

/// Every route, behind the edge middleware.
pub fn routes(state: AppState) -> impl Endpoint {
    let service = openapi_service();
    let published = spec_json();
    let spec: serde_json::Value = serde_json::from_str(&published).unwrap_or_default();
    let other: Vec<(&str, &[&str])> = OTHER_ROUTES
        .iter()
        .chain(crate::web::PAGE_ROUTES)
        .chain(oidc::OIDC_ROUTES)
        .copied()
        .collect();
    let allow = Arc::new(AllowIndex::from_spec(&spec, &other));
    let docs = service.swagger_ui();
    let spec_endpoint = move |_: poem::Request| {
        let body = published.clone();
        async move {
            poem::Response::builder()
                .content_type("application/json")
                .body(body)
        }
    };
    oidc::mount(
        crate::web::mount(Route::new().nest("/", service)),
        state.settings.issuer(),
    )
    .nest("/docs", labelled("docs", docs))
    .at(
        "/openapi.json",
        labelled("openapi", get(poem::endpoint::make(spec_endpoint))),
    )
    .at("/healthz", labelled("healthz", get(ops::healthz)))
    .at("/readyz", labelled("readyz", get(ops::readyz)))
    .at("/metrics", labelled("metrics", get(ops::metrics)))
    .at("/oauth2/jwks", labelled("jwks", get(jwks::jwks)))
    .data(state.clone())
    .with(Edge { state, allow })
}
