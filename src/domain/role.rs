//! Staff API key roles and what each may do: one table, consulted by every practice endpoint.

use sea_orm::{DeriveActiveEnum, EnumIter, prelude::StringLen};

/// The role of a staff API key.
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
pub enum Role {
    /// Everything, including keys, settings, OIDC clients and the audit trail.
    Admin,
    /// The front desk: patients, invitations, block, unblock, revoke, accounts, requests.
    Reception,
    /// The scheduling application: patients, invitations and status, never block or revoke
    /// (seed 004: "You cannot revoke patient portal access from the Scheduling application").
    Scheduling,
}

/// Something a practice's key may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ReadSettings,
    ManageSettings,
    ManageApiKeys,
    ReadPatients,
    WritePatients,
    Invite,
    BlockAndUnblock,
    Revoke,
    CreateAccounts,
    ReviewDemographicChanges,
    ReadAudit,
    ManageClients,
    ManagePractitioners,
    StartIntake,
    ReadOutbox,
    /// Teen consent codes and guardianship or emancipation overrides (issue 11).
    ManageRepresentation,
}

impl Role {
    /// The permission table. Adding a permission forces a decision for every role here.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match permission {
            ReadSettings | ReadPatients | WritePatients | Invite | StartIntake => true,
            // Seed 004: the scheduling application lists patient requests to accept or decline.
            ReviewDemographicChanges => true,
            BlockAndUnblock | Revoke | CreateAccounts | ManageRepresentation => {
                matches!(self, Role::Admin | Role::Reception)
            }
            ManageSettings | ManageApiKeys | ReadAudit | ManageClients | ManagePractitioners
            | ReadOutbox => self == Role::Admin,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Reception => "reception",
            Role::Scheduling => "scheduling",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduling_may_invite_but_never_block_or_revoke() {
        assert!(Role::Scheduling.allows(Permission::Invite));
        assert!(Role::Scheduling.allows(Permission::ReadPatients));
        assert!(!Role::Scheduling.allows(Permission::BlockAndUnblock));
        assert!(!Role::Scheduling.allows(Permission::Revoke));
        assert!(Role::Reception.allows(Permission::Revoke));
        assert!(!Role::Reception.allows(Permission::ManageApiKeys));
        assert!(Role::Admin.allows(Permission::ManageApiKeys));
    }
}
