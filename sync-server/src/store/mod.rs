//! Storage of the server's data. Today one backend, embedded SQLite; PostgreSQL joins it
//! behind the same operations.

mod sqlite;

pub use sqlite::SqliteStore;

use hafla_core::Bilingual;
use hafla_core::money::Money;
use hafla_core::wire::{Category, EventStatus, Venue};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {reason}")]
    DataDir { path: String, reason: String },
    #[error("cannot open the database {path}: {reason}")]
    Open { path: String, reason: String },
    #[error(transparent)]
    Migration(#[from] hafla_core::sqlite_migrations::MigrationError),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database holds a value this build cannot read: {0}")]
    Corrupt(String),
    #[error("the database task stopped: {0}")]
    Task(String),
}

/// An organization to create.
#[derive(Clone, Debug)]
pub struct NewOrganization {
    pub id: Uuid,
    pub name: Bilingual,
}

/// A ticket type to create with its event.
#[derive(Clone, Debug)]
pub struct NewTicketType {
    pub id: Uuid,
    pub name: Bilingual,
    pub price: Money,
    pub capacity: u32,
}

/// An event to create, with its ticket types.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub status: EventStatus,
    pub title: Bilingual,
    pub description: Bilingual,
    pub category: Category,
    pub venue: Venue,
    pub starts_at: jiff::Timestamp,
    pub ends_at: jiff::Timestamp,
    pub time_zone: String,
    pub ticket_types: Vec<NewTicketType>,
}
