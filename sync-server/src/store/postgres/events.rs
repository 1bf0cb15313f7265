//! Event authoring and review in PostgreSQL. Every change first locks the event's row
//! (`FOR UPDATE`), then checks and writes in the same transaction: two admins deciding on
//! one event at once are served one after the other, and the second sees the first's
//! outcome, as SQLite's single writer gives.

use super::{PgStore, catalog::insert_event, secs};
use crate::store::events::{check_edit, status_after_edit};
use crate::store::rows::{
    CoverRow, ListEntryRow, ReviewRow, StoredEventRow, TicketTypeRow, event_status, tags_json,
};
use crate::store::{
    Change, CoverLookup, CoverVariant, EditOutcome, EventEdit, EventListEntry, EventStore,
    NewEvent, NewTicketType, ReviewEntry, ReviewQueue, StatusChange, StoreError, StoredEvent,
    Transition,
};
use async_trait::async_trait;
use hafla_core::Bilingual;
use hafla_core::wire::{EventStatus, ReviewAction};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection, Row};
use uuid::Uuid;

const EVENT_COLUMNS: &str = "e.id, e.organization_id, o.name_ar, o.name_en, e.status,
    e.title_ar, e.title_en, e.description_ar, e.description_en, e.category, e.tags,
    e.venue_name_ar, e.venue_name_en, e.venue_address_ar, e.venue_address_en, e.city,
    e.lat, e.lng, extract(epoch from e.starts_at)::bigint,
    extract(epoch from e.ends_at)::bigint, e.time_zone, e.cover_image, e.rejection_reason,
    extract(epoch from e.submitted_at)::bigint, extract(epoch from e.reviewed_at)::bigint,
    extract(epoch from e.created_at)::bigint, extract(epoch from e.updated_at)::bigint,
    e.version::bigint";

const LIST_COLUMNS: &str = "e.id, e.organization_id, o.name_ar, o.name_en, e.status,
    e.title_ar, e.title_en, e.category, e.city, extract(epoch from e.starts_at)::bigint,
    extract(epoch from e.ends_at)::bigint, extract(epoch from e.submitted_at)::bigint,
    e.version::bigint";

fn pair(row: &PgRow, ar: usize) -> Result<Bilingual, sqlx::Error> {
    Ok(Bilingual {
        ar: row.try_get(ar)?,
        en: row.try_get(ar + 1)?,
    })
}

fn event_row(row: &PgRow) -> Result<StoredEventRow, sqlx::Error> {
    Ok(StoredEventRow {
        id: row.try_get(0)?,
        organization_id: row.try_get(1)?,
        organizer: pair(row, 2)?,
        status: row.try_get(4)?,
        title: pair(row, 5)?,
        description: pair(row, 7)?,
        category: row.try_get(9)?,
        tags: row.try_get(10)?,
        venue_name: pair(row, 11)?,
        venue_address: pair(row, 13)?,
        city: row.try_get(15)?,
        lat: row.try_get(16)?,
        lng: row.try_get(17)?,
        starts_at: row.try_get(18)?,
        ends_at: row.try_get(19)?,
        time_zone: row.try_get(20)?,
        cover_image: row.try_get(21)?,
        rejection_reason: row.try_get(22)?,
        submitted_at: row.try_get(23)?,
        reviewed_at: row.try_get(24)?,
        created_at: row.try_get(25)?,
        updated_at: row.try_get(26)?,
        version: row.try_get(27)?,
    })
}

fn ticket_type_row(row: &PgRow) -> Result<TicketTypeRow, sqlx::Error> {
    Ok(TicketTypeRow {
        id: row.try_get(0)?,
        name: pair(row, 1)?,
        price_minor: row.try_get(3)?,
        currency: row.try_get(4)?,
        capacity: row.try_get(5)?,
        sales_start: row.try_get(6)?,
        sales_end: row.try_get(7)?,
        per_order_limit: row.try_get(8)?,
        entry_policy: row.try_get(9)?,
    })
}

fn list_row(row: &PgRow) -> Result<ListEntryRow, StoreError> {
    Ok(ListEntryRow {
        id: row.try_get(0)?,
        organization_id: row.try_get(1)?,
        organizer: pair(row, 2)?,
        status: row.try_get(4)?,
        title: pair(row, 5)?,
        category: row.try_get(7)?,
        city: row.try_get(8)?,
        starts_at: row.try_get(9)?,
        ends_at: row.try_get(10)?,
        submitted_at: row.try_get(11)?,
        version: row.try_get(12)?,
    })
}

/// The event in full; with `lock`, its row stays locked until the transaction ends.
async fn load_event(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<StoredEvent>, StoreError> {
    let lock = if lock { "FOR UPDATE OF e" } else { "" };
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {EVENT_COLUMNS} FROM events e
         JOIN organizations o ON o.id = e.organization_id WHERE e.id = $1 {lock}"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let row = event_row(&row)?;
    let ticket_types = sqlx::query(
        "SELECT id, name_ar, name_en, price_minor, currency, capacity::bigint,
                extract(epoch from sales_start)::bigint, extract(epoch from sales_end)::bigint,
                per_order_limit::bigint, entry_policy
         FROM ticket_types WHERE event_id = $1 ORDER BY position, id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(ticket_type_row)
    .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(row.decode(ticket_types)?))
}

async fn must_load(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<StoredEvent, StoreError> {
    load_event(conn, id, lock)
        .await?
        .ok_or(StoreError::NotFound("event"))
}

async fn insert_review(
    conn: &mut PgConnection,
    event_id: Uuid,
    action: ReviewAction,
    actor: Uuid,
    reason: Option<&str>,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO event_reviews (id, event_id, action, actor, reason, at)
         VALUES ($1, $2, $3, $4, $5, to_timestamp($6))",
    )
    .bind(Uuid::now_v7())
    .bind(event_id)
    .bind(action.key())
    .bind(actor)
    .bind(reason)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes the content of `e` over its stored event and replaces its ticket types.
async fn write_content(
    conn: &mut PgConnection,
    old: &StoredEvent,
    e: &NewEvent,
    status: EventStatus,
    returned: bool,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE events SET status = $2, title_ar = $3, title_en = $4, description_ar = $5,
            description_en = $6, category = $7, venue_name_ar = $8, venue_name_en = $9,
            venue_address_ar = $10, venue_address_en = $11, city = $12, lat = $13, lng = $14,
            starts_at = to_timestamp($15), ends_at = to_timestamp($16), time_zone = $17,
            tags = $18, search_text = $19, price_min_minor = $20, version = version + 1,
            updated_at = to_timestamp($21),
            submitted_at = CASE WHEN $22 THEN to_timestamp($21) ELSE submitted_at END,
            title_text = $23
         WHERE id = $1",
    )
    .bind(e.id)
    .bind(status.key())
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
    .bind(tags_json(&e.tags)?)
    .bind(e.search_text())
    .bind(e.price_min_minor())
    .bind(now)
    .bind(returned)
    .bind(e.title_text())
    .execute(&mut *conn)
    .await?;
    for gone in old
        .ticket_types
        .iter()
        .filter(|o| !e.ticket_types.iter().any(|t| t.id == o.id))
    {
        let ordered: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM order_lines WHERE ticket_type_id = $1)",
        )
        .bind(gone.id)
        .fetch_one(&mut *conn)
        .await?;
        if ordered {
            return Err(StoreError::Conflict("ticket_type_sold"));
        }
        sqlx::query("DELETE FROM ticket_types WHERE id = $1")
            .bind(gone.id)
            .execute(&mut *conn)
            .await?;
    }
    for (position, t) in e.ticket_types.iter().enumerate() {
        let kept = old.ticket_types.iter().any(|o| o.id == t.id);
        if kept {
            let held: i32 = sqlx::query_scalar("SELECT held FROM ticket_types WHERE id = $1")
                .bind(t.id)
                .fetch_one(&mut *conn)
                .await?;
            if i64::from(t.capacity) < i64::from(held) {
                return Err(StoreError::CapacityBelowHeld {
                    held: held.max(0) as u32,
                });
            }
        }
        write_ticket_type(&mut *conn, e.id, position, t, kept).await?;
    }
    Ok(())
}

/// Writes ticket type `t` of event `event_id` at `position`: updates it when it `exists`,
/// else inserts it.
pub(super) async fn write_ticket_type(
    conn: &mut sqlx::PgConnection,
    event_id: Uuid,
    position: usize,
    t: &NewTicketType,
    exists: bool,
) -> Result<(), StoreError> {
    let sql = if exists {
        "UPDATE ticket_types SET name_ar = $3, name_en = $4, price_minor = $5, currency = $6,
            capacity = $7, position = $8, sales_start = to_timestamp($9),
            sales_end = to_timestamp($10), per_order_limit = $11, entry_policy = $12
         WHERE id = $1 AND event_id = $2"
    } else {
        "INSERT INTO ticket_types (id, event_id, name_ar, name_en, price_minor, currency,
            capacity, position, sales_start, sales_end, per_order_limit, entry_policy)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, to_timestamp($9), to_timestamp($10),
            $11, $12)"
    };
    sqlx::query(sql)
        .bind(t.id)
        .bind(event_id)
        .bind(&t.name.ar)
        .bind(&t.name.en)
        .bind(t.price.minor)
        .bind(t.price.currency.code())
        .bind(i64::from(t.capacity))
        .bind(position as i64)
        .bind(t.sales_start.map(secs))
        .bind(t.sales_end.map(secs))
        .bind(i64::from(t.per_order_limit))
        .bind(t.entry_policy.key())
        .execute(conn)
        .await?;
    Ok(())
}

#[async_trait]
impl EventStore for PgStore {
    async fn create_event(&self, event: NewEvent) -> Result<StoredEvent, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await?;
            insert_event(&mut tx, &event, jiff::Timestamp::now().as_second()).await?;
            let stored = must_load(&mut tx, event.id, false).await?;
            self.commit_announcing(tx, &[Change::Catalog]).await?;
            Ok(stored)
        })
        .await
    }

    async fn event(&self, event_id: Uuid) -> Result<Option<StoredEvent>, StoreError> {
        self.read(async {
            // One snapshot for the event and its ticket types.
            let mut tx = self.pool().begin().await?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
            let event = load_event(&mut tx, event_id, false).await?;
            tx.commit().await?;
            Ok(event)
        })
        .await
    }

    async fn organization_events(
        &self,
        organization_id: Uuid,
    ) -> Result<Vec<EventListEntry>, StoreError> {
        self.read(async {
            sqlx::query(AssertSqlSafe(format!(
                "SELECT {LIST_COLUMNS} FROM events e
                 JOIN organizations o ON o.id = e.organization_id
                 WHERE e.organization_id = $1 ORDER BY e.starts_at, e.id"
            )))
            .bind(organization_id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| list_row(r)?.decode())
            .collect()
        })
        .await
    }

    async fn update_event(&self, edit: EventEdit) -> Result<EditOutcome, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await?;
            let old = must_load(&mut tx, edit.event.id, true).await?;
            check_edit(&old, &edit)?;
            let (status, returned) = status_after_edit(&old, &edit.event)?;
            let now = edit.now.as_second();
            write_content(&mut tx, &old, &edit.event, status, returned.is_some(), now).await?;
            if let Some(changed) = &returned {
                let reason = changed.join(", ");
                insert_review(
                    &mut tx,
                    old.id,
                    ReviewAction::ReturnedToReview,
                    edit.actor,
                    Some(&reason),
                    now,
                )
                .await?;
            }
            let event = must_load(&mut tx, old.id, false).await?;
            self.commit_announcing(tx, &[Change::Catalog]).await?;
            Ok(EditOutcome {
                event,
                returned_to_review: returned,
            })
        })
        .await
    }

    async fn change_status(&self, change: StatusChange) -> Result<StoredEvent, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await?;
            let current: Option<(Uuid, String)> = sqlx::query_as(
                "SELECT organization_id, status FROM events WHERE id = $1 FOR UPDATE",
            )
            .bind(change.event_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((organization_id, status)) = current else {
                return Err(StoreError::NotFound("event"));
            };
            if change.organization_id.is_some_and(|o| o != organization_id) {
                return Err(StoreError::NotFound("event"));
            }
            let t = change.transition;
            t.check(event_status(&status)?)?;
            if t.needs_ticket_types() {
                let ticket_types: i64 =
                    sqlx::query_scalar("SELECT count(*) FROM ticket_types WHERE event_id = $1")
                        .bind(change.event_id)
                        .fetch_one(&mut *tx)
                        .await?;
                if ticket_types == 0 {
                    return Err(StoreError::Conflict("ticket_types"));
                }
            }
            let now = change.now.as_second();
            let extra = match t {
                Transition::Submit => ", submitted_at = to_timestamp($3), rejection_reason = NULL",
                Transition::Approve => ", reviewed_at = to_timestamp($3), rejection_reason = NULL",
                Transition::Reject => ", reviewed_at = to_timestamp($3), rejection_reason = $4",
                Transition::Cancel => "",
            };
            let sql = format!(
                "UPDATE events SET status = $2, updated_at = to_timestamp($3){extra} WHERE id = $1"
            );
            let mut query = sqlx::query(AssertSqlSafe(sql))
                .bind(change.event_id)
                .bind(t.to().key())
                .bind(now);
            if t == Transition::Reject {
                query = query.bind(change.reason.as_deref());
            }
            query.execute(&mut *tx).await?;
            insert_review(
                &mut tx,
                change.event_id,
                t.action(),
                change.actor,
                change.reason.as_deref(),
                now,
            )
            .await?;
            let event = must_load(&mut tx, change.event_id, false).await?;
            self.commit_announcing(tx, &[Change::Catalog]).await?;
            Ok(event)
        })
        .await
    }

    async fn review_queue(&self, offset: u32, limit: u32) -> Result<ReviewQueue, StoreError> {
        self.read(async {
            let pending = EventStatus::PendingReview.key();
            let mut tx = self.pool().begin().await?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
            let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE status = $1")
                .bind(pending)
                .fetch_one(&mut *tx)
                .await?;
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {LIST_COLUMNS} FROM events e
                 JOIN organizations o ON o.id = e.organization_id
                 WHERE e.status = $1 ORDER BY e.submitted_at NULLS LAST, e.id LIMIT $2 OFFSET $3"
            )))
            .bind(pending)
            .bind(i64::from(limit))
            .bind(i64::from(offset))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            let events = rows
                .iter()
                .map(|r| list_row(r)?.decode())
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ReviewQueue {
                events,
                total: u32::try_from(total).unwrap_or(u32::MAX),
            })
        })
        .await
    }

    async fn event_reviews(&self, event_id: Uuid) -> Result<Vec<ReviewEntry>, StoreError> {
        self.read(async {
            let rows: Vec<(String, Option<Uuid>, Option<String>, i64)> = sqlx::query_as(
                "SELECT action, actor, reason, extract(epoch from at)::bigint FROM event_reviews
                 WHERE event_id = $1 ORDER BY at, id",
            )
            .bind(event_id)
            .fetch_all(self.pool())
            .await?;
            rows.into_iter()
                .map(|(action, actor, reason, at)| {
                    ReviewRow {
                        action,
                        actor,
                        reason,
                        at,
                    }
                    .decode()
                })
                .collect()
        })
        .await
    }

    async fn save_cover(
        &self,
        event_id: Uuid,
        organization_id: Uuid,
        hash: String,
        variants: Vec<CoverVariant>,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await?;
            let status: Option<String> = sqlx::query_scalar(
                "SELECT status FROM events WHERE id = $1 AND organization_id = $2 FOR UPDATE",
            )
            .bind(event_id)
            .bind(organization_id)
            .fetch_optional(&mut *tx)
            .await?;
            let status = event_status(&status.ok_or(StoreError::NotFound("event"))?)?;
            if status == EventStatus::Cancelled {
                return Err(StoreError::Conflict("event_cancelled"));
            }
            let now = now.as_second();
            sqlx::query("DELETE FROM event_images WHERE event_id = $1")
                .bind(event_id)
                .execute(&mut *tx)
                .await?;
            for v in &variants {
                sqlx::query(
                    "INSERT INTO event_images (event_id, variant, content_type, width, height,
                        sha256, bytes, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8))",
                )
                .bind(event_id)
                .bind(&v.variant)
                .bind(&v.content_type)
                .bind(i64::from(v.width))
                .bind(i64::from(v.height))
                .bind(&v.sha256)
                .bind(&v.bytes)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "UPDATE events SET cover_image = $2, updated_at = to_timestamp($3) WHERE id = $1",
            )
            .bind(event_id)
            .bind(&hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            self.commit_announcing(tx, &[Change::Catalog]).await
        })
        .await
    }

    async fn cover_variant(
        &self,
        event_id: Uuid,
        variant: &str,
    ) -> Result<Option<CoverLookup>, StoreError> {
        self.read(async {
            let row = sqlx::query(
                "SELECT e.status, e.organization_id, e.cover_image, i.variant, i.content_type,
                    i.width::bigint, i.height::bigint, i.sha256, i.bytes
                 FROM event_images i JOIN events e ON e.id = i.event_id
                 WHERE i.event_id = $1 AND i.variant = $2",
            )
            .bind(event_id)
            .bind(variant)
            .fetch_optional(self.pool())
            .await?;
            let Some(r) = row else { return Ok(None) };
            CoverRow {
                status: r.try_get(0)?,
                organization_id: r.try_get(1)?,
                cover_image: r.try_get(2)?,
                variant: r.try_get(3)?,
                content_type: r.try_get(4)?,
                width: r.try_get(5)?,
                height: r.try_get(6)?,
                sha256: r.try_get(7)?,
                bytes: r.try_get(8)?,
            }
            .decode()
            .map(Some)
        })
        .await
    }
}
