//! The public catalog in SQLite.

use super::SqliteStore;
use crate::store::rows::{EventRow, event_page};
use crate::store::{CatalogStore, Change, NewEvent, NewOrganization, StoreError};
use async_trait::async_trait;
use hafla_core::Bilingual;
use hafla_core::wire::{EventPage, EventStatus};
use rusqlite::{Row, params};

#[async_trait]
impl CatalogStore for SqliteStore {
    /// Whether the database can answer a query; for readiness checks.
    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|c| {
            let version: u32 = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
            let latest = super::MIGRATIONS.last().map_or(0, |m| m.version);
            if version != latest {
                return Err(StoreError::Corrupt(format!(
                    "schema version {version}, expected {latest}"
                )));
            }
            Ok(())
        })
        .await
    }

    async fn count_organizations(&self) -> Result<u64, StoreError> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM organizations", [], |r| r.get(0))?))
            .await
    }

    /// Creates organizations and events (with their ticket types) in one transaction.
    async fn insert_catalog(
        &self,
        organizations: Vec<NewOrganization>,
        events: Vec<NewEvent>,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            let now = jiff::Timestamp::now().as_second();
            for org in &organizations {
                tx.execute(
                    "INSERT INTO organizations (id, name_ar, name_en, created_at) VALUES (?1, ?2, ?3, ?4)",
                    params![org.id, org.name.ar, org.name.en, now],
                )?;
            }
            for e in &events {
                insert_event(tx, e, now)?;
            }
            Ok(())
        })
        .await?;
        self.announce(Change::Catalog);
        Ok(())
    }

    /// Published events that have not ended by `now`, soonest first.
    async fn list_published_events(
        &self,
        now: jiff::Timestamp,
        offset: u32,
        limit: u32,
    ) -> Result<EventPage, StoreError> {
        self.read(move |c| {
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
            let rows = stmt
                .query_map(params![published, now, limit, offset], event_row)?
                .collect::<Result<Vec<_>, _>>()?;
            event_page(rows, total, offset)
        })
        .await
    }
}

pub(super) fn event_row(row: &Row<'_>) -> rusqlite::Result<EventRow> {
    let pair = |ar: usize, en: usize| -> rusqlite::Result<Bilingual> {
        Ok(Bilingual {
            ar: row.get(ar)?,
            en: row.get(en)?,
        })
    };
    Ok(EventRow {
        id: row.get(0)?,
        title: pair(1, 2)?,
        description: pair(3, 4)?,
        category: row.get(5)?,
        organizer: pair(6, 7)?,
        venue_name: pair(8, 9)?,
        venue_address: pair(10, 11)?,
        city: row.get(12)?,
        lat: row.get(13)?,
        lng: row.get(14)?,
        starts_at: row.get(15)?,
        ends_at: row.get(16)?,
        time_zone: row.get(17)?,
        price_minor: row.get(18)?,
        currency: row.get(19)?,
    })
}

/// Writes a new event and its ticket types, with the derived columns search reads.
pub(super) fn insert_event(
    tx: &rusqlite::Transaction<'_>,
    e: &NewEvent,
    now: i64,
) -> Result<(), StoreError> {
    let tags = crate::store::rows::tags_json(&e.tags)?;
    tx.execute(
        "INSERT INTO events (id, organization_id, status, title_ar, title_en,
            description_ar, description_en, category, venue_name_ar, venue_name_en,
            venue_address_ar, venue_address_en, city, lat, lng, starts_at, ends_at,
            time_zone, created_at, updated_at, tags, search_text, price_min_minor, title_text)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
            ?16, ?17, ?18, ?19, ?19, ?20, ?21, ?22, ?23)",
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
            tags,
            e.search_text(),
            e.price_min_minor(),
            e.title_text(),
        ],
    )?;
    for (position, t) in e.ticket_types.iter().enumerate() {
        super::events::write_ticket_type(tx, e.id, position, t, false)?;
    }
    Ok(())
}
