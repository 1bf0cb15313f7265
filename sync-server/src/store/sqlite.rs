//! The embedded SQLite backend: one file in the data directory, WAL mode.

use super::{NewEvent, NewOrganization, StoreError};
use hafla_core::Bilingual;
use hafla_core::money::{Currency, Money};
use hafla_core::places::{City, GeoPoint};
use hafla_core::sqlite_migrations::{self, Migration};
use hafla_core::wire::{Category, EventPage, EventStatus, EventSummary, Venue};
use rusqlite::{Connection, Row, params};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The server schema, embedded from `migrations/server/sqlite/`.
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "catalog",
    sql: include_str!("../../../migrations/server/sqlite/0001_catalog.sql"),
}];

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "hafla.db";

/// A handle to the server's SQLite database; cheap to clone.
///
/// Work runs on tokio's blocking pool so the async runtime never waits on disk; one
/// connection behind a mutex serialises writers, which SQLite requires anyway.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl SqliteStore {
    /// Creates the data directory if needed, opens `hafla.db` in it and applies migrations.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::DataDir {
            path: data_dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let path = data_dir.join(DB_FILE);
        let open_error = |e: rusqlite::Error| StoreError::Open {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let mut conn = Connection::open(&path).map_err(open_error)?;
        // WAL lets readers proceed during a write; NORMAL syncs at checkpoints, durable
        // against process crashes. busy_timeout covers other processes (backup, CLI).
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_error)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        sqlite_migrations::apply(&mut conn, MIGRATIONS)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with the connection on the blocking pool.
    async fn with_conn<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Whether the database can answer a query; for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.with_conn(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    pub async fn count_organizations(&self) -> Result<u64, StoreError> {
        self.with_conn(|c| Ok(c.query_row("SELECT count(*) FROM organizations", [], |r| r.get(0))?))
            .await
    }

    /// Creates organizations and events (with their ticket types) in one transaction.
    pub async fn insert_catalog(
        &self,
        organizations: Vec<NewOrganization>,
        events: Vec<NewEvent>,
    ) -> Result<(), StoreError> {
        self.with_conn(move |c| {
            let now = jiff::Timestamp::now().as_second();
            let tx = c.transaction()?;
            for org in &organizations {
                tx.execute(
                    "INSERT INTO organizations (id, name_ar, name_en, created_at) VALUES (?1, ?2, ?3, ?4)",
                    params![org.id, org.name.ar, org.name.en, now],
                )?;
            }
            for e in &events {
                tx.execute(
                    "INSERT INTO events (id, organization_id, status, title_ar, title_en,
                        description_ar, description_en, category, venue_name_ar, venue_name_en,
                        venue_address_ar, venue_address_en, city, lat, lng, starts_at, ends_at,
                        time_zone, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                        ?16, ?17, ?18, ?19, ?19)",
                    params![
                        e.id,
                        e.organization_id,
                        e.status.key(),
                        e.title.ar,
                        e.title.en,
                        e.description.ar,
                        e.description.en,
                        e.category.key(),
                        e.venue.name.ar,
                        e.venue.name.en,
                        e.venue.address.ar,
                        e.venue.address.en,
                        e.venue.city.key(),
                        e.venue.location.lat,
                        e.venue.location.lng,
                        e.starts_at.as_second(),
                        e.ends_at.as_second(),
                        e.time_zone,
                        now,
                    ],
                )?;
                for (position, t) in e.ticket_types.iter().enumerate() {
                    tx.execute(
                        "INSERT INTO ticket_types (id, event_id, name_ar, name_en, price_minor,
                            currency, capacity, position)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        params![
                            t.id,
                            e.id,
                            t.name.ar,
                            t.name.en,
                            t.price.minor,
                            t.price.currency.code(),
                            t.capacity,
                            position as i64,
                        ],
                    )?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Published events that have not ended by `now`, soonest first.
    pub async fn list_published_events(
        &self,
        now: jiff::Timestamp,
        offset: u32,
        limit: u32,
    ) -> Result<EventPage, StoreError> {
        self.with_conn(move |c| {
            let now = now.as_second();
            let published = EventStatus::Published.key();
            let total: u32 = c.query_row(
                "SELECT count(*) FROM events WHERE status = ?1 AND ends_at >= ?2",
                params![published, now],
                |r| r.get(0),
            )?;
            let mut stmt = c.prepare_cached(
                "SELECT e.id, e.title_ar, e.title_en, e.description_ar, e.description_en,
                        e.category, o.name_ar, o.name_en, e.venue_name_ar, e.venue_name_en,
                        e.venue_address_ar, e.venue_address_en, e.city, e.lat, e.lng,
                        e.starts_at, e.ends_at, e.time_zone,
                        (SELECT min(t.price_minor) FROM ticket_types t WHERE t.event_id = e.id),
                        (SELECT t.currency FROM ticket_types t WHERE t.event_id = e.id
                           ORDER BY t.price_minor LIMIT 1)
                 FROM events e JOIN organizations o ON o.id = e.organization_id
                 WHERE e.status = ?1 AND e.ends_at >= ?2
                 ORDER BY e.starts_at, e.id
                 LIMIT ?3 OFFSET ?4",
            )?;
            let rows = stmt.query_map(params![published, now, limit, offset], |row| {
                Ok(event_summary(row))
            })?;
            let events = rows
                .map(|r| r.map_err(StoreError::from).and_then(|e| e))
                .collect::<Result<Vec<_>, _>>()?;
            let seen = offset + events.len() as u32;
            Ok(EventPage {
                events,
                total,
                next_offset: (seen < total).then_some(seen),
            })
        })
        .await
    }
}

fn event_summary(row: &Row<'_>) -> Result<EventSummary, StoreError> {
    let text = |i: usize| row.get::<_, String>(i);
    let pair = |ar: usize, en: usize| -> Result<Bilingual, StoreError> {
        Ok(Bilingual {
            ar: text(ar)?,
            en: text(en)?,
        })
    };
    let corrupt = |what: &str, value: String| StoreError::Corrupt(format!("{what} {value:?}"));
    let category = text(5)?;
    let city = text(12)?;
    let timestamp = |i: usize| -> Result<jiff::Timestamp, StoreError> {
        let secs: i64 = row.get(i)?;
        jiff::Timestamp::from_second(secs).map_err(|_| corrupt("timestamp", secs.to_string()))
    };
    let price_from = match (
        row.get::<_, Option<i64>>(18)?,
        row.get::<_, Option<String>>(19)?,
    ) {
        (Some(minor), Some(code)) => Some(Money {
            minor,
            currency: Currency::from_code(&code).ok_or_else(|| corrupt("currency", code))?,
        }),
        _ => None,
    };
    Ok(EventSummary {
        id: row.get(0)?,
        title: pair(1, 2)?,
        description: pair(3, 4)?,
        category: Category::from_key(&category).ok_or_else(|| corrupt("category", category))?,
        organizer: pair(6, 7)?,
        venue: Venue {
            name: pair(8, 9)?,
            address: pair(10, 11)?,
            city: City::from_key(&city).ok_or_else(|| corrupt("city", city))?,
            location: GeoPoint {
                lat: row.get(13)?,
                lng: row.get(14)?,
            },
        },
        starts_at: timestamp(15)?,
        ends_at: timestamp(16)?,
        time_zone: text(17)?,
        price_from,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_migrations_match_the_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/server/sqlite");
        let files = sqlite_migrations::files_in(&dir).unwrap();
        let embedded: Vec<(u32, String)> = MIGRATIONS
            .iter()
            .map(|m| (m.version, format!("{:04}_{}.sql", m.version, m.name)))
            .collect();
        assert_eq!(files, embedded);
    }

    #[test]
    fn both_backends_define_the_same_schema_versions() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/server");
        let versions = |dir: &str| -> Vec<u32> {
            sqlite_migrations::files_in(&root.join(dir))
                .unwrap()
                .into_iter()
                .map(|(v, _)| v)
                .collect()
        };
        assert_eq!(versions("sqlite"), versions("postgres"));
    }

    #[test]
    fn a_data_dir_under_a_file_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        let err = SqliteStore::open(&file.join("data"))
            .err()
            .expect("must fail");
        assert!(matches!(err, StoreError::DataDir { .. }), "{err}");
        assert!(err.to_string().contains("not-a-dir"), "{err}");
    }
}
