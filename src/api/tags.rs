//! OpenAPI tags: how operations are grouped in `/docs`.

use poem_openapi::Tags;

#[derive(Tags)]
pub enum ApiTags {
    /// The practice's settings: invitation lifetime, sign-up mode, required fields, contact.
    Settings,
    /// Patient records at the practice.
    Patients,
    /// Portal access: who may use a patient's record, and block, unblock, revoke.
    PortalAccess,
    /// Staff API keys and their roles.
    ApiKeys,
    /// OpenID Connect clients (relying parties) of the practice.
    Clients,
    /// Invitation links: sent by the practice by email or SMS, looked up and redeemed by the
    /// patient or a representative.
    Invitations,
    /// Self sign-up at a practice that allows it, and email confirmation.
    Registration,
    /// Changes to their details that patients ask for, for the practice to accept or decline.
    DemographicChanges,
    /// The practice's practitioners, and which ones each patient may book with.
    Practitioners,
    /// Tablet intake sessions: a one-time code opens a short session limited to one patient.
    Intake,
    /// The practice's audit trail.
    Audit,
    /// Webhook subscriptions, their delivery attempts, and the event feed.
    Webhooks,
    /// Representative rules: teen consent codes and guardianship or emancipation overrides.
    Representation,
    /// Logging in: tokens for one practice, refresh, logout.
    Login,
    /// The signed-in patient's or representative's own account.
    Me,
}
