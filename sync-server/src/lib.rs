//! hafla-server: the sync server's library, so tests can drive the router without a socket.

pub mod admin;
pub mod api;
pub mod auth;
pub mod backup;
pub mod cache;
pub mod checkout;
pub mod cli;
pub mod config;
pub mod demo;
pub mod issuance;
pub mod jobs;
pub mod mail;
pub mod media;
pub mod payments;
pub mod sms;
pub mod store;
#[doc(hidden)]
pub mod test_support;
