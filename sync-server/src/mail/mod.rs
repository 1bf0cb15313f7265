//! Outgoing email: SMTP in production, a local outbox in development. (being written)
