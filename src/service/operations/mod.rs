//! What operators watch: the figures `/metrics` shows beyond the request counters.

pub mod metrics;
