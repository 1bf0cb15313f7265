//! Outgoing SMS: an HTTP provider in production, a local outbox in development. (being written)
