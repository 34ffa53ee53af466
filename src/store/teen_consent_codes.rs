//! Teen-consent codes: issued to a teen, spent once by one guarded statement.
