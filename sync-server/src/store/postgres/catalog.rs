//! The public catalog in PostgreSQL.

use super::{PgStore, migrate, secs};
use crate::store::rows::{EventRow, event_page};
use crate::store::{CatalogStore, Change, NewEvent, NewOrganization, StoreError};
use async_trait::async_trait;
use hafla_core::Bilingual;
use hafla_core::wire::{EventPage, EventStatus};
use sqlx::Row;
use sqlx::postgres::PgRow;

/// Events in one `insert_catalog` from which the planner's statistics are refreshed.
const BULK_EVENTS: usize = 1000;

#[async_trait]
impl CatalogStore for PgStore {
    /// Whether the database answers with every migration applied; for readiness checks.
    async fn ping(&self) -> Result<(), StoreError> {
        self.read(async {
            let version = migrate::current_version(self.pool()).await?;
            let latest = migrate::latest();
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
        self.read(async {
            let count: i64 = sqlx::query_scalar("SELECT count(*) FROM organizations")
                .fetch_one(self.pool())
                .await?;
            Ok(count.try_into().unwrap_or(0))
        })
        .await
    }

    /// Creates organizations and events (with their ticket types) in one transaction.
    async fn insert_catalog(
        &self,
        organizations: Vec<NewOrganization>,
        events: Vec<NewEvent>,
    ) -> Result<(), StoreError> {
        self.write(async {
            let now = jiff::Timestamp::now().as_second();
            let mut tx = self.pool().begin().await?;
            for org in &organizations {
                sqlx::query(
                    "INSERT INTO organizations (id, name_ar, name_en, created_at)
                     VALUES ($1, $2, $3, to_timestamp($4))",
                )
                .bind(org.id)
                .bind(&org.name.ar)
                .bind(&org.name.en)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            for e in &events {
                insert_event(&mut tx, e, now).await?;
            }
            self.commit_announcing(tx, &[Change::Catalog]).await?;
            if events.len() >= BULK_EVENTS {
                // Fresh statistics at once, rather than when autovacuum gets to it: until
                // then the planner takes the tables for nearly empty and searches scan.
                sqlx::query("ANALYZE events, ticket_types")
                    .execute(self.pool())
                    .await?;
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
        self.read(async {
            let published = EventStatus::Published.key();
            // One snapshot for the count and the page, as SQLite's single read gives.
            let mut tx = self.pool().begin().await?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
            let total: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM events WHERE status = $1 AND ends_at >= to_timestamp($2)",
            )
            .bind(published)
            .bind(secs(now))
            .fetch_one(&mut *tx)
            .await?;
            let rows = sqlx::query(
                "SELECT e.id, e.title_ar, e.title_en, e.description_ar, e.description_en,
                        e.category, o.name_ar, o.name_en, e.venue_name_ar, e.venue_name_en,
                        e.venue_address_ar, e.venue_address_en, e.city, e.lat, e.lng,
                        extract(epoch from e.starts_at)::bigint, extract(epoch from e.ends_at)::bigint,
                        e.time_zone,
                        (SELECT min(t.price_minor) FROM ticket_types t WHERE t.event_id = e.id),
                        (SELECT t.currency FROM ticket_types t WHERE t.event_id = e.id
                           ORDER BY t.price_minor LIMIT 1)
                 FROM events e JOIN organizations o ON o.id = e.organization_id
                 WHERE e.status = $1 AND e.ends_at >= to_timestamp($2)
                 ORDER BY e.starts_at, e.id
                 LIMIT $3 OFFSET $4",
            )
            .bind(published)
            .bind(secs(now))
            .bind(i64::from(limit))
            .bind(i64::from(offset))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            let rows = rows.iter().map(event_row).collect::<Result<Vec<_>, _>>()?;
            event_page(rows, u32::try_from(total).unwrap_or(u32::MAX), offset)
        })
        .await
    }
}

pub(super) fn event_row(row: &PgRow) -> Result<EventRow, sqlx::Error> {
    let pair = |ar: usize, en: usize| -> Result<Bilingual, sqlx::Error> {
        Ok(Bilingual {
            ar: row.try_get(ar)?,
            en: row.try_get(en)?,
        })
    };
    Ok(EventRow {
        id: row.try_get(0)?,
        title: pair(1, 2)?,
        description: pair(3, 4)?,
        category: row.try_get(5)?,
        organizer: pair(6, 7)?,
        venue_name: pair(8, 9)?,
        venue_address: pair(10, 11)?,
        city: row.try_get(12)?,
        lat: row.try_get(13)?,
        lng: row.try_get(14)?,
        starts_at: row.try_get(15)?,
        ends_at: row.try_get(16)?,
        time_zone: row.try_get(17)?,
        price_minor: row.try_get(18)?,
        currency: row.try_get(19)?,
    })
}

/// Writes a new event and its ticket types, with the derived columns search reads.
pub(super) async fn insert_event(
    tx: &mut sqlx::PgConnection,
    e: &NewEvent,
    now: i64,
) -> Result<(), StoreError> {
    let tags = crate::store::rows::tags_json(&e.tags)?;
    sqlx::query(
        "INSERT INTO events (id, organization_id, status, title_ar, title_en,
            description_ar, description_en, category, venue_name_ar, venue_name_en,
            venue_address_ar, venue_address_en, city, lat, lng, starts_at, ends_at,
            time_zone, created_at, updated_at, tags, search_text, price_min_minor, title_text)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
            to_timestamp($16), to_timestamp($17), $18, to_timestamp($19),
            to_timestamp($19), $20, $21, $22, $23)",
    )
    .bind(e.id)
    .bind(e.organization_id)
    .bind(e.status.key())
    .bind(&e.title.ar)
    .bind(&e.title.en)
    .bind(&e.description.ar)
    .bind(&e.description.en)
    .bind(e.category.key())
    .bind(&e.venue.name.ar)
    .bind(&e.venue.name.en)
    .bind(&e.venue.address.ar)
    .bind(&e.venue.address.en)
    .bind(e.venue.city.key())
    .bind(e.venue.location.lat)
    .bind(e.venue.location.lng)
    .bind(secs(e.starts_at))
    .bind(secs(e.ends_at))
    .bind(&e.time_zone)
    .bind(now)
    .bind(tags)
    .bind(e.search_text())
    .bind(e.price_min_minor())
    .bind(e.title_text())
    .execute(&mut *tx)
    .await?;
    for (position, t) in e.ticket_types.iter().enumerate() {
        super::events::write_ticket_type(&mut *tx, e.id, position, t, false).await?;
    }
    Ok(())
}
