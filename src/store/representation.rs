//! Representation: practice overrides, adult representatives' consents and the notices sent about them.
