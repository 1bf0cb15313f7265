//! Outgoing email: SMTP in production, a local outbox in development.

mod address;

pub use address::{EmailAddress, EmailError};
