//! The OpenAPI face of the domain's enums. The domain knows nothing of poem-openapi; here each
//! enum gets a private mirror that derives `poem_openapi::Enum` (schema name, description and
//! values), and the domain type borrows the mirror's schema and parsing. Handlers and API
//! objects keep using the domain types directly, and the document is unchanged.
//!
//! Both conversions are exhaustive matches, so a variant added to a domain enum without its
//! mirror here does not compile.

use crate::domain::access::Relation;
use crate::domain::access_status::AccessStatus;
use crate::domain::demographics::ChangeStatus;
use crate::domain::invitation::{AccountMode, Channel, Delivery, InvitationStatus};
use crate::domain::login::PracticeStanding;
use crate::domain::practice::{RequiredField, SelfRegistration};
use crate::domain::representation::OverrideKind;
use crate::domain::role::Role;

/// Implements poem-openapi's parameter, JSON and multipart traits for `$domain` by way of a
/// mirror enum with the same variants. The attributes (doc comment, `oai(...)`) go on the
/// mirror; `rename` must give the domain type's name so the schema keeps it.
macro_rules! openapi_enum {
    (
        $(#[$meta:meta])*
        $domain:ident { $( $(#[$variant_meta:meta])* $variant:ident ),+ $(,)? }
    ) => {
        const _: () = {
            use poem_openapi::registry::{MetaSchemaRef, Registry};
            use poem_openapi::types::{
                ParseFromJSON, ParseFromMultipartField, ParseFromParameter, ParseResult, ToJSON,
                Type,
            };
            use std::borrow::Cow;

            #[derive(poem_openapi::Enum, Clone, Copy)]
            $(#[$meta])*
            enum Mirror { $( $(#[$variant_meta])* $variant ),+ }

            impl From<$domain> for Mirror {
                fn from(value: $domain) -> Self {
                    match value { $( $domain::$variant => Mirror::$variant ),+ }
                }
            }

            impl From<Mirror> for $domain {
                fn from(value: Mirror) -> Self {
                    match value { $( Mirror::$variant => $domain::$variant ),+ }
                }
            }

            impl Type for $domain {
                const IS_REQUIRED: bool = true;
                type RawValueType = Self;
                type RawElementValueType = Self;

                fn name() -> Cow<'static, str> {
                    <Mirror as Type>::name()
                }

                fn as_raw_value(&self) -> Option<&Self::RawValueType> {
                    Some(self)
                }

                fn schema_ref() -> MetaSchemaRef {
                    <Mirror as Type>::schema_ref()
                }

                fn register(registry: &mut Registry) {
                    <Mirror as Type>::register(registry)
                }

                fn raw_element_iter<'a>(
                    &'a self,
                ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
                    Box::new(self.as_raw_value().into_iter())
                }
            }

            impl ParseFromJSON for $domain {
                fn parse_from_json(value: Option<serde_json::Value>) -> ParseResult<Self> {
                    Mirror::parse_from_json(value)
                        .map(Self::from)
                        .map_err(|e| e.propagate())
                }
            }

            impl ParseFromParameter for $domain {
                fn parse_from_parameter(value: &str) -> ParseResult<Self> {
                    Mirror::parse_from_parameter(value)
                        .map(Self::from)
                        .map_err(|e| e.propagate())
                }
            }

            impl ParseFromMultipartField for $domain {
                async fn parse_from_multipart(
                    field: Option<poem::web::Field>,
                ) -> ParseResult<Self> {
                    Mirror::parse_from_multipart(field)
                        .await
                        .map(Self::from)
                        .map_err(|e| e.propagate())
                }
            }

            impl ToJSON for $domain {
                fn to_json(&self) -> Option<serde_json::Value> {
                    Mirror::from(*self).to_json()
                }
            }
        };
    };
}

openapi_enum! {
    /// The role of a staff API key.
    #[oai(rename = "Role", rename_all = "snake_case")]
    Role { Admin, Reception, Scheduling }
}

openapi_enum! {
    /// Where a request stands. Only `pending` ones can be decided, once.
    #[oai(rename = "ChangeStatus", rename_all = "snake_case")]
    ChangeStatus { Pending, Accepted, Declined }
}

openapi_enum! {
    /// A practice's decision that overrides the age bands.
    #[oai(rename = "OverrideKind", rename_all = "snake_case")]
    OverrideKind { Guardianship, Emancipation }
}

openapi_enum! {
    /// How an invitation travels (seed 004: "by Email or Text Message").
    #[oai(rename = "Channel", rename_all = "snake_case")]
    Channel { Email, Sms }
}

openapi_enum! {
    /// Where the message carrying a link stands in the outbox.
    #[oai(rename = "Delivery", rename_all = "snake_case")]
    Delivery { Pending, Sent, Failed }
}

openapi_enum! {
    /// Where one invitation link stands.
    #[oai(rename = "InvitationStatus", rename_all = "snake_case")]
    InvitationStatus { Pending, Used, Expired, Superseded, Revoked }
}

openapi_enum! {
    /// Whether redeeming creates a new login or links one the person already has (seed 004:
    /// "the same login credentials they initially had").
    #[oai(rename = "AccountMode", rename_all = "snake_case")]
    AccountMode { New, Existing }
}

openapi_enum! {
    /// Where a portal access stands.
    #[oai(rename = "AccessStatus", rename_all = "snake_case")]
    AccessStatus {
        Invited,
        PendingVerification,
        Active,
        Blocked,
        Revoked,
        Expired,
        PendingConsent,
        ConsentExpired,
    }
}

openapi_enum! {
    /// Whether and how people may sign themselves up at a practice (seed 003).
    #[oai(rename = "SelfRegistration", rename_all = "snake_case")]
    SelfRegistration { Off, VerifyEmail, AutoActivate }
}

openapi_enum! {
    /// Details that must be on a patient's file before portal access can be granted
    /// (seed 003: "a home zip code and email address on file"; seed 004: "email address or
    /// cell phone number"). `email_or_mobile`, the default: either will do.
    #[oai(rename = "RequiredField", rename_all = "snake_case")]
    RequiredField { Email, PostalCode, Mobile, EmailOrMobile }
}

openapi_enum! {
    /// Who the account holder is to the patient.
    #[oai(rename = "Relation", rename_all = "snake_case")]
    Relation {
        #[oai(rename = "self")]
        Own,
        Parent,
        Guardian,
        Spouse,
        Caregiver,
        Other,
    }
}

openapi_enum! {
    /// Where an account stands at one practice, from its portal accesses there.
    #[oai(rename = "PracticeStanding", rename_all = "snake_case")]
    PracticeStanding { Active, Blocked, Revoked, ConsentPending, ConsentExpired, EmailUnconfirmed }
}
