//! Page sessions (the portal's own cookie sessions).
