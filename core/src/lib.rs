//! hafla-core: the domain shared by the Hafla app and the sync server.
//!
//! Always built: money, bilingual text, places, i18n, search text normalization and the wire
//! types that cross the network. Behind features: `sqlite` (the migration runner both sides
//! use), `local-store` (the app's offline SQLite copy) and `client` (the sync engine, the HTTP
//! client of the server and the `hafla-door` command line). The server builds this crate
//! without `client` and `local-store`.
//!
//! Architecture invariant: nothing here depends on axum or tauri.

pub mod bilingual;
pub mod credential;
pub mod door;
pub mod i18n;
pub mod money;
pub mod places;
pub mod search_text;
pub mod wire;

#[cfg(feature = "client")]
pub mod api_client;
#[cfg(feature = "local-store")]
pub mod local_store;
#[cfg(feature = "qr")]
pub mod qr;
#[cfg(feature = "sqlite")]
pub mod sqlite_migrations;
#[cfg(feature = "client")]
pub mod sync;

pub use bilingual::{Bilingual, Lang};
pub use money::{Currency, Money};
