//! The public catalog in SQLite.

use super::SqliteStore;
use crate::store::{CatalogStore, NewEvent, NewOrganization, StoreError};
use async_trait::async_trait;
use hafla_core::Bilingual;
use hafla_core::money::{Currency, Money};
use hafla_core::places::{City, GeoPoint};
use hafla_core::wire::{Category, EventPage, EventStatus, EventSummary, Venue};
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
            Ok(())
        })
        .await
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
