//! Requests Portico makes to addresses others chose (webhooks; back-channel logout later):
//! resolved, checked against `domain::destination`, and sent to the address that was checked.

pub mod destination;
