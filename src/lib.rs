//! Portico: a patient portal identity server.

pub mod api;
pub mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod error;
pub mod mail;
pub mod outbound;
pub mod service;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod web;
