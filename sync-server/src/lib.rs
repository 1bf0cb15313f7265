//! hafla-server: the sync server's library, so tests can drive the router without a socket.

pub mod api;
pub mod cli;
pub mod demo;
pub mod store;
