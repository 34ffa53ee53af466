//! The whole model of DESIGN.md: practices and their settings, staff API keys, patients,
//! practitioners, accounts, portal access, invitations, one-time account tokens, sessions and
//! refresh tokens, signing keys, the outbox, demographic change requests and the audit trail.
//!
//! Case-insensitive uniqueness uses lower-cased shadow columns (`*_folded`) with plain unique
//! indexes, so the same index works on SQLite and PostgreSQL. Secrets are stored only as
//! SHA-256 hex digests in `*_hash` columns with unique indexes: lookups are by equality.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Practices::Table)
                .col(pk_uuid(Practices::Id))
                .col(string_uniq(Practices::Slug))
                .col(string(Practices::Name))
                .col(string_null(Practices::ContactName))
                .col(string(Practices::ContactPhone))
                .col(string_null(Practices::ContactEmail))
                .col(integer(Practices::InvitationTtlHours).default(72))
                .col(string(Practices::SelfRegistration).default("off"))
                .col(string(Practices::RequiredFields).default("email"))
                .col(integer(Practices::AgeOfMajority).default(18))
                .col(boolean(Practices::MfaRequired).default(false))
                .col(timestamp_with_time_zone(Practices::CreatedAt))
                .col(timestamp_with_time_zone(Practices::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApiKeys::Table)
                .col(pk_uuid(ApiKeys::Id))
                .col(uuid(ApiKeys::PracticeId))
                .col(string(ApiKeys::Role))
                .col(string(ApiKeys::Label))
                .col(string_uniq(ApiKeys::KeyHash))
                .col(string(ApiKeys::KeyPrefix))
                .col(string(ApiKeys::CreatedBy))
                .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                .foreign_key(&mut fk(
                    ApiKeys::Table,
                    ApiKeys::PracticeId,
                    Practices::Table,
                    Practices::Id,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            ApiKeys::Table,
            "idx_api_keys_practice",
            &[ApiKeys::PracticeId],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Patients::Table)
                .col(pk_uuid(Patients::Id))
                .col(uuid(Patients::PracticeId))
                .col(string(Patients::FirstName))
                .col(string(Patients::LastName))
                .col(string(Patients::FirstNameFolded))
                .col(string(Patients::LastNameFolded))
                .col(date(Patients::DateOfBirth))
                .col(string_null(Patients::Email))
                .col(string_null(Patients::EmailFolded))
                .col(string_null(Patients::Mobile))
                .col(string_null(Patients::PostalCode))
                .col(string_null(Patients::AddressLine))
                .col(string_null(Patients::ExternalRef))
                .col(boolean(Patients::SelfRegistered).default(false))
                .col(timestamp_with_time_zone(Patients::CreatedAt))
                .col(timestamp_with_time_zone(Patients::UpdatedAt))
                .foreign_key(&mut fk(
                    Patients::Table,
                    Patients::PracticeId,
                    Practices::Table,
                    Practices::Id,
                ))
                .to_owned(),
        )
        .await?;
        // Patient search: by name prefix, by date of birth, by the EHR's id (unique per practice).
        index(
            m,
            Patients::Table,
            "idx_patients_name",
            &[
                Patients::PracticeId,
                Patients::LastNameFolded,
                Patients::FirstNameFolded,
            ],
            false,
        )
        .await?;
        index(
            m,
            Patients::Table,
            "idx_patients_first_name",
            &[Patients::PracticeId, Patients::FirstNameFolded],
            false,
        )
        .await?;
        index(
            m,
            Patients::Table,
            "idx_patients_dob",
            &[Patients::PracticeId, Patients::DateOfBirth],
            false,
        )
        .await?;
        index(
            m,
            Patients::Table,
            "idx_patients_external_ref",
            &[Patients::PracticeId, Patients::ExternalRef],
            true,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Practitioners::Table)
                .col(pk_uuid(Practitioners::Id))
                .col(uuid(Practitioners::PracticeId))
                .col(string(Practitioners::Name))
                .col(string_null(Practitioners::ExternalRef))
                .col(boolean(Practitioners::Active).default(true))
                .col(timestamp_with_time_zone(Practitioners::CreatedAt))
                .foreign_key(&mut fk(
                    Practitioners::Table,
                    Practitioners::PracticeId,
                    Practices::Table,
                    Practices::Id,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            Practitioners::Table,
            "idx_practitioners_practice",
            &[Practitioners::PracticeId],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PatientPractitioners::Table)
                .col(uuid(PatientPractitioners::PatientId))
                .col(uuid(PatientPractitioners::PractitionerId))
                .primary_key(
                    Index::create()
                        .col(PatientPractitioners::PatientId)
                        .col(PatientPractitioners::PractitionerId),
                )
                .foreign_key(&mut fk(
                    PatientPractitioners::Table,
                    PatientPractitioners::PatientId,
                    Patients::Table,
                    Patients::Id,
                ))
                .foreign_key(&mut fk(
                    PatientPractitioners::Table,
                    PatientPractitioners::PractitionerId,
                    Practitioners::Table,
                    Practitioners::Id,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Accounts::Table)
                .col(pk_uuid(Accounts::Id))
                .col(string(Accounts::Username))
                .col(string_uniq(Accounts::UsernameFolded))
                .col(string_null(Accounts::Email))
                .col(string_null(Accounts::EmailFolded))
                .col(timestamp_with_time_zone_null(Accounts::EmailVerifiedAt))
                .col(string_null(Accounts::FirstName))
                .col(string_null(Accounts::LastName))
                .col(date_null(Accounts::DateOfBirth))
                .col(text(Accounts::PasswordHash))
                .col(timestamp_with_time_zone(Accounts::PasswordChangedAt))
                .col(boolean(Accounts::MustChangePassword).default(false))
                .col(text_null(Accounts::TotpSecret))
                .col(timestamp_with_time_zone_null(Accounts::TotpEnabledAt))
                .col(big_integer_null(Accounts::TotpLastStep))
                .col(timestamp_with_time_zone_null(Accounts::SessionsValidAfter))
                .col(timestamp_with_time_zone(Accounts::CreatedAt))
                .col(timestamp_with_time_zone(Accounts::UpdatedAt))
                .to_owned(),
        )
        .await?;
        // Several accounts may share one email (seed 003): not unique.
        index(
            m,
            Accounts::Table,
            "idx_accounts_email",
            &[Accounts::EmailFolded],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RecoveryCodes::Table)
                .col(pk_uuid(RecoveryCodes::Id))
                .col(uuid(RecoveryCodes::AccountId))
                .col(string(RecoveryCodes::CodeHash))
                .col(timestamp_with_time_zone(RecoveryCodes::CreatedAt))
                .col(timestamp_with_time_zone_null(RecoveryCodes::UsedAt))
                .foreign_key(&mut fk(
                    RecoveryCodes::Table,
                    RecoveryCodes::AccountId,
                    Accounts::Table,
                    Accounts::Id,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            RecoveryCodes::Table,
            "idx_recovery_codes_account",
            &[RecoveryCodes::AccountId, RecoveryCodes::CodeHash],
            true,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PortalAccess::Table)
                .col(pk_uuid(PortalAccess::Id))
                .col(uuid(PortalAccess::PracticeId))
                .col(uuid(PortalAccess::PatientId))
                .col(uuid_null(PortalAccess::AccountId))
                .col(string(PortalAccess::Relation))
                .col(string(PortalAccess::Status))
                .col(timestamp_with_time_zone_null(PortalAccess::InvitedAt))
                .col(timestamp_with_time_zone_null(PortalAccess::RegisteredAt))
                .col(timestamp_with_time_zone_null(PortalAccess::LastLoginAt))
                .col(timestamp_with_time_zone_null(PortalAccess::BlockedAt))
                .col(text_null(PortalAccess::BlockReason))
                .col(timestamp_with_time_zone_null(PortalAccess::UnblockedAt))
                .col(timestamp_with_time_zone_null(PortalAccess::RevokedAt))
                .col(text_null(PortalAccess::RevokeReason))
                .col(timestamp_with_time_zone_null(PortalAccess::ExpiredAt))
                .col(timestamp_with_time_zone(PortalAccess::CreatedAt))
                .col(timestamp_with_time_zone(PortalAccess::UpdatedAt))
                .foreign_key(&mut fk(
                    PortalAccess::Table,
                    PortalAccess::PracticeId,
                    Practices::Table,
                    Practices::Id,
                ))
                .foreign_key(&mut fk(
                    PortalAccess::Table,
                    PortalAccess::PatientId,
                    Patients::Table,
                    Patients::Id,
                ))
                .foreign_key(&mut fk(
                    PortalAccess::Table,
                    PortalAccess::AccountId,
                    Accounts::Table,
                    Accounts::Id,
                ))
                .to_owned(),
        )
        .await?;
        // One link per (patient, account); NULL accounts (not yet redeemed) don't collide.
        index(
            m,
            PortalAccess::Table,
            "idx_portal_access_patient_account",
            &[PortalAccess::PatientId, PortalAccess::AccountId],
            true,
        )
        .await?;
        // Login and refresh: every access an account holds at one practice.
        index(
            m,
            PortalAccess::Table,
            "idx_portal_access_account",
            &[PortalAccess::AccountId, PortalAccess::PracticeId],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Invitations::Table)
                .col(pk_uuid(Invitations::Id))
                .col(uuid(Invitations::PracticeId))
                .col(uuid(Invitations::PatientId))
                .col(uuid(Invitations::AccessId))
                .col(string(Invitations::Channel))
                .col(string(Invitations::Relation))
                .col(string_null(Invitations::RecipientFirstName))
                .col(string_null(Invitations::RecipientLastName))
                .col(string_null(Invitations::RecipientEmail))
                .col(string_null(Invitations::RecipientMobile))
                .col(string_uniq(Invitations::TokenHash))
                .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                .col(string(Invitations::CreatedBy))
                .col(timestamp_with_time_zone(Invitations::CreatedAt))
                .col(timestamp_with_time_zone_null(Invitations::UsedAt))
                .col(uuid_null(Invitations::UsedByAccountId))
                .col(timestamp_with_time_zone_null(Invitations::SupersededAt))
                .col(timestamp_with_time_zone_null(Invitations::RevokedAt))
                .foreign_key(&mut fk(
                    Invitations::Table,
                    Invitations::PracticeId,
                    Practices::Table,
                    Practices::Id,
                ))
                .foreign_key(&mut fk(
                    Invitations::Table,
                    Invitations::PatientId,
                    Patients::Table,
                    Patients::Id,
                ))
                .foreign_key(&mut fk(
                    Invitations::Table,
                    Invitations::AccessId,
                    PortalAccess::Table,
                    PortalAccess::Id,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            Invitations::Table,
            "idx_invitations_access",
            &[Invitations::AccessId],
            false,
        )
        .await?;
        index(
            m,
            Invitations::Table,
            "idx_invitations_patient",
            &[Invitations::PatientId],
            false,
        )
        .await?;

        // Single-use tokens bound to an account: email verification, password reset, the MFA
        // step of a login, a forced password change. One table, one atomic consume.
        m.create_table(
            Table::create()
                .table(AccountTokens::Table)
                .col(pk_uuid(AccountTokens::Id))
                .col(uuid(AccountTokens::AccountId))
                .col(string(AccountTokens::Purpose))
                .col(string_uniq(AccountTokens::TokenHash))
                .col(text_null(AccountTokens::Payload))
                .col(timestamp_with_time_zone(AccountTokens::CreatedAt))
                .col(timestamp_with_time_zone(AccountTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(AccountTokens::UsedAt))
                .foreign_key(&mut fk(
                    AccountTokens::Table,
                    AccountTokens::AccountId,
                    Accounts::Table,
                    Accounts::Id,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            AccountTokens::Table,
            "idx_account_tokens_account",
            &[AccountTokens::AccountId, AccountTokens::Purpose],
            false,
        )
        .await?;

        // A session is a refresh-token family: revoking it kills every token it issued.
        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(pk_uuid(Sessions::Id))
                .col(uuid(Sessions::AccountId))
                .col(uuid(Sessions::PracticeId))
                .col(string_null(Sessions::ClientId))
                .col(string(Sessions::Scope))
                .col(string(Sessions::Amr))
                .col(timestamp_with_time_zone(Sessions::AuthTime))
                .col(timestamp_with_time_zone(Sessions::CreatedAt))
                .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                .col(string_null(Sessions::RevokedReason))
                .foreign_key(&mut fk(
                    Sessions::Table,
                    Sessions::AccountId,
                    Accounts::Table,
                    Accounts::Id,
                ))
                .foreign_key(&mut fk(
                    Sessions::Table,
                    Sessions::PracticeId,
                    Practices::Table,
                    Practices::Id,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            Sessions::Table,
            "idx_sessions_account_practice",
            &[Sessions::AccountId, Sessions::PracticeId],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(pk_uuid(RefreshTokens::Id))
                .col(uuid(RefreshTokens::SessionId))
                .col(string_uniq(RefreshTokens::TokenHash))
                .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                .col(timestamp_with_time_zone(RefreshTokens::IdleExpiresAt))
                .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                .foreign_key(&mut fk(
                    RefreshTokens::Table,
                    RefreshTokens::SessionId,
                    Sessions::Table,
                    Sessions::Id,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            RefreshTokens::Table,
            "idx_refresh_tokens_session",
            &[RefreshTokens::SessionId],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SigningKeys::Table)
                .col(string(SigningKeys::Kid).primary_key())
                .col(string(SigningKeys::Alg))
                .col(text(SigningKeys::PrivateKey))
                .col(text(SigningKeys::PublicJwk))
                .col(timestamp_with_time_zone(SigningKeys::CreatedAt))
                .col(timestamp_with_time_zone_null(SigningKeys::RetiresAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Outbox::Table)
                .col(pk_uuid(Outbox::Id))
                .col(uuid_null(Outbox::PracticeId))
                .col(string(Outbox::Channel))
                .col(string(Outbox::Recipient))
                .col(string(Outbox::Template))
                .col(text_null(Outbox::Subject))
                .col(text(Outbox::BodyText))
                .col(text_null(Outbox::BodyHtml))
                .col(string(Outbox::Status))
                .col(integer(Outbox::Attempts).default(0))
                .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                .col(text_null(Outbox::LastError))
                .col(timestamp_with_time_zone(Outbox::CreatedAt))
                .col(timestamp_with_time_zone_null(Outbox::SentAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            Outbox::Table,
            "idx_outbox_due",
            &[Outbox::Status, Outbox::NextAttemptAt],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(DemographicChanges::Table)
                .col(pk_uuid(DemographicChanges::Id))
                .col(uuid(DemographicChanges::PracticeId))
                .col(uuid(DemographicChanges::PatientId))
                .col(uuid(DemographicChanges::AccountId))
                .col(text(DemographicChanges::Changes))
                .col(string(DemographicChanges::Status))
                .col(text_null(DemographicChanges::Reason))
                .col(string_null(DemographicChanges::DecidedBy))
                .col(timestamp_with_time_zone(DemographicChanges::CreatedAt))
                .col(timestamp_with_time_zone_null(DemographicChanges::DecidedAt))
                .foreign_key(&mut fk(
                    DemographicChanges::Table,
                    DemographicChanges::PracticeId,
                    Practices::Table,
                    Practices::Id,
                ))
                .foreign_key(&mut fk(
                    DemographicChanges::Table,
                    DemographicChanges::PatientId,
                    Patients::Table,
                    Patients::Id,
                ))
                .foreign_key(&mut fk(
                    DemographicChanges::Table,
                    DemographicChanges::AccountId,
                    Accounts::Table,
                    Accounts::Id,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            DemographicChanges::Table,
            "idx_demographic_changes_practice",
            &[DemographicChanges::PracticeId, DemographicChanges::Status],
            false,
        )
        .await?;

        // Append-only. No foreign keys: the trail must outlive what it describes.
        m.create_table(
            Table::create()
                .table(AuditEvents::Table)
                .col(pk_uuid(AuditEvents::Id))
                .col(uuid_null(AuditEvents::PracticeId))
                .col(string(AuditEvents::Kind))
                .col(string(AuditEvents::ActorKind))
                .col(string_null(AuditEvents::ActorId))
                .col(uuid_null(AuditEvents::PatientId))
                .col(uuid_null(AuditEvents::AccountId))
                .col(uuid_null(AuditEvents::AccessId))
                .col(string_null(AuditEvents::Ip))
                .col(string_null(AuditEvents::UserAgent))
                .col(string_null(AuditEvents::RequestId))
                .col(text(AuditEvents::Detail))
                .col(timestamp_with_time_zone(AuditEvents::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            AuditEvents::Table,
            "idx_audit_practice_time",
            &[AuditEvents::PracticeId, AuditEvents::CreatedAt],
            false,
        )
        .await?;
        index(
            m,
            AuditEvents::Table,
            "idx_audit_practice_patient",
            &[AuditEvents::PracticeId, AuditEvents::PatientId],
            false,
        )
        .await?;
        index(
            m,
            AuditEvents::Table,
            "idx_audit_account",
            &[AuditEvents::AccountId],
            false,
        )
        .await?;
        Ok(())
    }
}

fn fk<A: IntoIden, B: IntoIden, C: IntoIden, D: IntoIden>(
    from_table: A,
    from_col: B,
    to_table: C,
    to_col: D,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

async fn index<T: IntoIden + Copy + 'static, C: IntoIden + Copy + 'static>(
    m: &SchemaManager<'_>,
    table: T,
    name: &str,
    cols: &[C],
    unique: bool,
) -> Result<(), DbErr> {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(*col);
    }
    if unique {
        stmt.unique();
    }
    m.create_index(stmt.to_owned()).await
}

#[derive(DeriveIden, Clone, Copy)]
enum Practices {
    Table,
    Id,
    Slug,
    Name,
    ContactName,
    ContactPhone,
    ContactEmail,
    InvitationTtlHours,
    SelfRegistration,
    RequiredFields,
    AgeOfMajority,
    MfaRequired,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiKeys {
    Table,
    Id,
    PracticeId,
    Role,
    Label,
    KeyHash,
    KeyPrefix,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Patients {
    Table,
    Id,
    PracticeId,
    FirstName,
    LastName,
    FirstNameFolded,
    LastNameFolded,
    DateOfBirth,
    Email,
    EmailFolded,
    Mobile,
    PostalCode,
    AddressLine,
    ExternalRef,
    SelfRegistered,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Practitioners {
    Table,
    Id,
    PracticeId,
    Name,
    ExternalRef,
    Active,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PatientPractitioners {
    Table,
    PatientId,
    PractitionerId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Accounts {
    Table,
    Id,
    Username,
    UsernameFolded,
    Email,
    EmailFolded,
    EmailVerifiedAt,
    FirstName,
    LastName,
    DateOfBirth,
    PasswordHash,
    PasswordChangedAt,
    MustChangePassword,
    TotpSecret,
    TotpEnabledAt,
    TotpLastStep,
    SessionsValidAfter,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RecoveryCodes {
    Table,
    Id,
    AccountId,
    CodeHash,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PortalAccess {
    Table,
    Id,
    PracticeId,
    PatientId,
    AccountId,
    Relation,
    Status,
    InvitedAt,
    RegisteredAt,
    LastLoginAt,
    BlockedAt,
    BlockReason,
    UnblockedAt,
    RevokedAt,
    RevokeReason,
    ExpiredAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Invitations {
    Table,
    Id,
    PracticeId,
    PatientId,
    AccessId,
    Channel,
    Relation,
    RecipientFirstName,
    RecipientLastName,
    RecipientEmail,
    RecipientMobile,
    TokenHash,
    ExpiresAt,
    CreatedBy,
    CreatedAt,
    UsedAt,
    UsedByAccountId,
    SupersededAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AccountTokens {
    Table,
    Id,
    AccountId,
    Purpose,
    TokenHash,
    Payload,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    Id,
    AccountId,
    PracticeId,
    ClientId,
    Scope,
    Amr,
    AuthTime,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    RevokedReason,
}

#[derive(DeriveIden, Clone, Copy)]
enum RefreshTokens {
    Table,
    Id,
    SessionId,
    TokenHash,
    CreatedAt,
    IdleExpiresAt,
    UsedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SigningKeys {
    Table,
    Kid,
    Alg,
    PrivateKey,
    PublicJwk,
    CreatedAt,
    RetiresAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Outbox {
    Table,
    Id,
    PracticeId,
    Channel,
    Recipient,
    Template,
    Subject,
    BodyText,
    BodyHtml,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum DemographicChanges {
    Table,
    Id,
    PracticeId,
    PatientId,
    AccountId,
    Changes,
    Status,
    Reason,
    DecidedBy,
    CreatedAt,
    DecidedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditEvents {
    Table,
    Id,
    PracticeId,
    Kind,
    ActorKind,
    ActorId,
    PatientId,
    AccountId,
    AccessId,
    Ip,
    UserAgent,
    RequestId,
    Detail,
    CreatedAt,
}
