//! The words status and relation columns hold. The domain enums are the column types
//! (`DeriveActiveEnum`); these tests pin each word to what rows already hold, so a renamed
//! variant cannot silently orphan stored rows, and keep it equal to the JSON spelling.

use crate::domain::access::{AccessStatus, Relation};
use crate::domain::demographics::ChangeStatus;
use crate::domain::invitation::Channel;
use crate::domain::practice::SelfRegistration;
use crate::domain::representation::OverrideKind;
use crate::domain::role::Role;
use sea_orm::Iterable;
use sea_orm::sea_query::{Value, ValueType};

/// Every variant is stored as `expected` (in declaration order), reads back as itself, and
/// is spelled the same in JSON and by `as_str`.
fn stored_as<E>(expected: &[&str], as_str: fn(&E) -> &'static str)
where
    E: Iterable + ValueType + Into<Value> + Copy + PartialEq + std::fmt::Debug + serde::Serialize,
{
    let stored: Vec<Value> = E::iter().map(Into::into).collect();
    let expected: Vec<Value> = expected.iter().map(|w| Value::from(*w)).collect();
    assert_eq!(stored, expected);
    for v in E::iter() {
        let word = as_str(&v);
        assert_eq!(<E as ValueType>::try_from(v.into()).unwrap(), v);
        assert_eq!(<E as ValueType>::try_from(Value::from(word)).unwrap(), v);
        assert_eq!(serde_json::to_value(v).unwrap(), word);
    }
}

#[test]
fn status_and_relation_columns_keep_the_words_already_stored() {
    stored_as(
        &["self", "parent", "guardian", "spouse", "caregiver", "other"],
        Relation::as_str,
    );
    stored_as(
        &[
            "invited",
            "pending_verification",
            "active",
            "blocked",
            "revoked",
            "expired",
            "pending_consent",
            "consent_expired",
        ],
        |v: &AccessStatus| v.as_str(),
    );
    stored_as(&["email", "sms"], |v: &Channel| v.as_str());
    stored_as(&["admin", "reception", "scheduling"], |v: &Role| v.as_str());
    stored_as(&["pending", "accepted", "declined"], |v: &ChangeStatus| {
        v.as_str()
    });
    stored_as(&["guardianship", "emancipation"], |v: &OverrideKind| {
        v.as_str()
    });
    stored_as(
        &["off", "verify_email", "auto_activate"],
        |v: &SelfRegistration| v.as_str(),
    );
}
