//! Two-step recovery codes: each spent once by one guarded statement.
