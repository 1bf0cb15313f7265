//! Event authoring and review in SQLite. Each operation reads, checks and writes in one
//! IMMEDIATE transaction on the single writer, so concurrent callers see each other's
//! results in turn.

use super::{SqliteStore, catalog::insert_event, secs};
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
use rusqlite::{Connection, OptionalExtension, Row, params};
use uuid::Uuid;

const EVENT_COLUMNS: &str = "e.id, e.organization_id, o.name_ar, o.name_en, e.status,
    e.title_ar, e.title_en, e.description_ar, e.description_en, e.category, e.tags,
    e.venue_name_ar, e.venue_name_en, e.venue_address_ar, e.venue_address_en, e.city,
    e.lat, e.lng, e.starts_at, e.ends_at, e.time_zone, e.cover_image, e.rejection_reason,
    e.submitted_at, e.reviewed_at, e.created_at, e.updated_at, e.version";

const LIST_COLUMNS: &str = "e.id, e.organization_id, o.name_ar, o.name_en, e.status,
    e.title_ar, e.title_en, e.category, e.city, e.starts_at, e.ends_at, e.submitted_at,
    e.version";

fn pair(row: &Row<'_>, ar: usize) -> rusqlite::Result<Bilingual> {
    Ok(Bilingual {
        ar: row.get(ar)?,
        en: row.get(ar + 1)?,
    })
}

fn event_row(row: &Row<'_>) -> rusqlite::Result<StoredEventRow> {
    Ok(StoredEventRow {
        id: row.get(0)?,
        organization_id: row.get(1)?,
        organizer: pair(row, 2)?,
        status: row.get(4)?,
        title: pair(row, 5)?,
        description: pair(row, 7)?,
        category: row.get(9)?,
        tags: row.get(10)?,
        venue_name: pair(row, 11)?,
        venue_address: pair(row, 13)?,
        city: row.get(15)?,
        lat: row.get(16)?,
        lng: row.get(17)?,
        starts_at: row.get(18)?,
        ends_at: row.get(19)?,
        time_zone: row.get(20)?,
        cover_image: row.get(21)?,
        rejection_reason: row.get(22)?,
        submitted_at: row.get(23)?,
        reviewed_at: row.get(24)?,
        created_at: row.get(25)?,
        updated_at: row.get(26)?,
        version: row.get(27)?,
    })
}

fn ticket_type_row(row: &Row<'_>) -> rusqlite::Result<TicketTypeRow> {
    Ok(TicketTypeRow {
        id: row.get(0)?,
        name: pair(row, 1)?,
        price_minor: row.get(3)?,
        currency: row.get(4)?,
        capacity: row.get(5)?,
        sales_start: row.get(6)?,
        sales_end: row.get(7)?,
        per_order_limit: row.get(8)?,
        entry_policy: row.get(9)?,
    })
}

fn list_row(row: &Row<'_>) -> rusqlite::Result<ListEntryRow> {
    Ok(ListEntryRow {
        id: row.get(0)?,
        organization_id: row.get(1)?,
        organizer: pair(row, 2)?,
        status: row.get(4)?,
        title: pair(row, 5)?,
        category: row.get(7)?,
        city: row.get(8)?,
        starts_at: row.get(9)?,
        ends_at: row.get(10)?,
        submitted_at: row.get(11)?,
        version: row.get(12)?,
    })
}

fn load_event(c: &Connection, id: Uuid) -> Result<Option<StoredEvent>, StoreError> {
    let row = c
        .prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events e
             JOIN organizations o ON o.id = e.organization_id WHERE e.id = ?1"
        ))?
        .query_row(params![id], event_row)
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    let ticket_types = c
        .prepare_cached(
            "SELECT id, name_ar, name_en, price_minor, currency, capacity, sales_start,
                    sales_end, per_order_limit, entry_policy
             FROM ticket_types WHERE event_id = ?1 ORDER BY position, id",
        )?
        .query_map(params![id], ticket_type_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(row.decode(ticket_types)?))
}

fn must_load(c: &Connection, id: Uuid) -> Result<StoredEvent, StoreError> {
    load_event(c, id)?.ok_or(StoreError::NotFound("event"))
}

fn insert_review(
    tx: &Connection,
    event_id: Uuid,
    action: ReviewAction,
    actor: Uuid,
    reason: Option<&str>,
    at: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO event_reviews (id, event_id, action, actor, reason, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![Uuid::now_v7(), event_id, action.key(), actor, reason, at],
    )?;
    Ok(())
}

/// Writes the content of `e` over its stored event and replaces its ticket types.
fn write_content(
    tx: &Connection,
    old: &StoredEvent,
    e: &NewEvent,
    status: EventStatus,
    returned: bool,
    now: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE events SET status = ?2, title_ar = ?3, title_en = ?4, description_ar = ?5,
            description_en = ?6, category = ?7, venue_name_ar = ?8, venue_name_en = ?9,
            venue_address_ar = ?10, venue_address_en = ?11, city = ?12, lat = ?13, lng = ?14,
            starts_at = ?15, ends_at = ?16, time_zone = ?17, tags = ?18, search_text = ?19,
            price_min_minor = ?20, version = version + 1, updated_at = ?21,
            submitted_at = CASE WHEN ?22 THEN ?21 ELSE submitted_at END, title_text = ?23
         WHERE id = ?1",
        params![
            e.id,
            status.key(),
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
            tags_json(&e.tags)?,
            e.search_text(),
            e.price_min_minor(),
            now,
            returned,
            e.title_text(),
        ],
    )?;
    for gone in old
        .ticket_types
        .iter()
        .filter(|o| !e.ticket_types.iter().any(|t| t.id == o.id))
    {
        let ordered: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM order_lines WHERE ticket_type_id = ?1)",
            params![gone.id],
            |row| row.get(0),
        )?;
        if ordered {
            return Err(StoreError::Conflict("ticket_type_sold"));
        }
        tx.execute("DELETE FROM ticket_types WHERE id = ?1", params![gone.id])?;
    }
    for (position, t) in e.ticket_types.iter().enumerate() {
        let kept = old.ticket_types.iter().any(|o| o.id == t.id);
        if kept {
            let held: u32 = tx.query_row(
                "SELECT held FROM ticket_types WHERE id = ?1",
                params![t.id],
                |row| row.get(0),
            )?;
            if t.capacity < held {
                return Err(StoreError::CapacityBelowHeld { held });
            }
        }
        write_ticket_type(tx, e.id, position, t, kept)?;
    }
    Ok(())
}

/// Writes ticket type `t` of event `event_id` at `position`: updates it when it `exists`,
/// else inserts it.
pub(super) fn write_ticket_type(
    tx: &rusqlite::Connection,
    event_id: Uuid,
    position: usize,
    t: &NewTicketType,
    exists: bool,
) -> Result<(), StoreError> {
    let sql = if exists {
        "UPDATE ticket_types SET name_ar = ?3, name_en = ?4, price_minor = ?5, currency = ?6,
            capacity = ?7, position = ?8, sales_start = ?9, sales_end = ?10,
            per_order_limit = ?11, entry_policy = ?12
         WHERE id = ?1 AND event_id = ?2"
    } else {
        "INSERT INTO ticket_types (id, event_id, name_ar, name_en, price_minor, currency,
            capacity, position, sales_start, sales_end, per_order_limit, entry_policy)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    };
    tx.execute(
        sql,
        params![
            t.id,
            event_id,
            t.name.ar,
            t.name.en,
            t.price.minor,
            t.price.currency.code(),
            t.capacity,
            position as i64,
            t.sales_start.map(secs),
            t.sales_end.map(secs),
            t.per_order_limit,
            t.entry_policy.key(),
        ],
    )?;
    Ok(())
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn create_event(&self, event: NewEvent) -> Result<StoredEvent, StoreError> {
        let stored = self
            .write(move |tx| {
                insert_event(tx, &event, jiff::Timestamp::now().as_second())?;
                must_load(tx, event.id)
            })
            .await?;
        self.announce(Change::Catalog);
        Ok(stored)
    }

    async fn event(&self, event_id: Uuid) -> Result<Option<StoredEvent>, StoreError> {
        self.read(move |c| load_event(c, event_id)).await
    }

    async fn organization_events(
        &self,
        organization_id: Uuid,
    ) -> Result<Vec<EventListEntry>, StoreError> {
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {LIST_COLUMNS} FROM events e
                 JOIN organizations o ON o.id = e.organization_id
                 WHERE e.organization_id = ?1 ORDER BY e.starts_at, e.id"
            ))?
            .query_map(params![organization_id], list_row)?
            .map(|r| r.map_err(StoreError::from).and_then(ListEntryRow::decode))
            .collect()
        })
        .await
    }

    async fn update_event(&self, edit: EventEdit) -> Result<EditOutcome, StoreError> {
        let outcome = self
            .write(move |tx| {
                let old = must_load(tx, edit.event.id)?;
                check_edit(&old, &edit)?;
                let (status, returned) = status_after_edit(&old, &edit.event)?;
                let now = edit.now.as_second();
                write_content(tx, &old, &edit.event, status, returned.is_some(), now)?;
                if let Some(changed) = &returned {
                    let reason = changed.join(", ");
                    insert_review(
                        tx,
                        old.id,
                        ReviewAction::ReturnedToReview,
                        edit.actor,
                        Some(&reason),
                        now,
                    )?;
                }
                Ok(EditOutcome {
                    event: must_load(tx, old.id)?,
                    returned_to_review: returned,
                })
            })
            .await?;
        self.announce(Change::Catalog);
        Ok(outcome)
    }

    async fn change_status(&self, change: StatusChange) -> Result<StoredEvent, StoreError> {
        let stored = self
            .write(move |tx| {
                let current: Option<(Uuid, String, i64)> = tx
                    .query_row(
                        "SELECT organization_id, status,
                            (SELECT count(*) FROM ticket_types t WHERE t.event_id = e.id)
                         FROM events e WHERE id = ?1",
                        params![change.event_id],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?;
                let Some((organization_id, status, ticket_types)) = current else {
                    return Err(StoreError::NotFound("event"));
                };
                if change.organization_id.is_some_and(|o| o != organization_id) {
                    return Err(StoreError::NotFound("event"));
                }
                let t = change.transition;
                t.check(event_status(&status)?)?;
                if t.needs_ticket_types() && ticket_types == 0 {
                    return Err(StoreError::Conflict("ticket_types"));
                }
                let now = change.now.as_second();
                let extra = match t {
                    Transition::Submit => ", submitted_at = ?3, rejection_reason = NULL",
                    Transition::Approve => ", reviewed_at = ?3, rejection_reason = NULL",
                    Transition::Reject => ", reviewed_at = ?3, rejection_reason = ?4",
                    Transition::Cancel => "",
                };
                let sql =
                    format!("UPDATE events SET status = ?2, updated_at = ?3{extra} WHERE id = ?1");
                let mut stmt = tx.prepare(&sql)?;
                if t == Transition::Reject {
                    stmt.execute(params![change.event_id, t.to().key(), now, change.reason])?;
                } else {
                    stmt.execute(params![change.event_id, t.to().key(), now])?;
                }
                insert_review(
                    tx,
                    change.event_id,
                    t.action(),
                    change.actor,
                    change.reason.as_deref(),
                    now,
                )?;
                must_load(tx, change.event_id)
            })
            .await?;
        self.announce(Change::Catalog);
        Ok(stored)
    }

    async fn review_queue(&self, offset: u32, limit: u32) -> Result<ReviewQueue, StoreError> {
        self.read(move |c| {
            let pending = EventStatus::PendingReview.key();
            let total: u32 = c.query_row(
                "SELECT count(*) FROM events WHERE status = ?1",
                params![pending],
                |r| r.get(0),
            )?;
            let events = c
                .prepare_cached(&format!(
                    "SELECT {LIST_COLUMNS} FROM events e
                     JOIN organizations o ON o.id = e.organization_id
                     WHERE e.status = ?1 ORDER BY e.submitted_at NULLS LAST, e.id LIMIT ?2 OFFSET ?3"
                ))?
                .query_map(params![pending, limit, offset], list_row)?
                .map(|r| r.map_err(StoreError::from).and_then(ListEntryRow::decode))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(ReviewQueue { events, total })
        })
        .await
    }

    async fn event_reviews(&self, event_id: Uuid) -> Result<Vec<ReviewEntry>, StoreError> {
        self.read(move |c| {
            c.prepare_cached(
                "SELECT action, actor, reason, at FROM event_reviews
                 WHERE event_id = ?1 ORDER BY at, id",
            )?
            .query_map(params![event_id], |r| {
                Ok(ReviewRow {
                    action: r.get(0)?,
                    actor: r.get(1)?,
                    reason: r.get(2)?,
                    at: r.get(3)?,
                })
            })?
            .map(|r| r.map_err(StoreError::from).and_then(ReviewRow::decode))
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
        self.write(move |tx| {
            let status: Option<String> = tx
                .query_row(
                    "SELECT status FROM events WHERE id = ?1 AND organization_id = ?2",
                    params![event_id, organization_id],
                    |r| r.get(0),
                )
                .optional()?;
            let status = event_status(&status.ok_or(StoreError::NotFound("event"))?)?;
            if status == EventStatus::Cancelled {
                return Err(StoreError::Conflict("event_cancelled"));
            }
            let now = now.as_second();
            tx.execute(
                "DELETE FROM event_images WHERE event_id = ?1",
                params![event_id],
            )?;
            for v in &variants {
                tx.execute(
                    "INSERT INTO event_images (event_id, variant, content_type, width, height,
                        sha256, bytes, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        event_id,
                        v.variant,
                        v.content_type,
                        v.width,
                        v.height,
                        v.sha256,
                        v.bytes,
                        now
                    ],
                )?;
            }
            tx.execute(
                "UPDATE events SET cover_image = ?2, updated_at = ?3 WHERE id = ?1",
                params![event_id, hash, now],
            )?;
            Ok(())
        })
        .await?;
        self.announce(Change::Catalog);
        Ok(())
    }

    async fn cover_variant(
        &self,
        event_id: Uuid,
        variant: &str,
    ) -> Result<Option<CoverLookup>, StoreError> {
        let variant = variant.to_owned();
        self.read(move |c| {
            let row = c
                .prepare_cached(
                    "SELECT e.status, e.organization_id, e.cover_image, i.variant,
                        i.content_type, i.width, i.height, i.sha256, i.bytes
                     FROM event_images i JOIN events e ON e.id = i.event_id
                     WHERE i.event_id = ?1 AND i.variant = ?2",
                )?
                .query_row(params![event_id, variant], |r| {
                    Ok(CoverRow {
                        status: r.get(0)?,
                        organization_id: r.get(1)?,
                        cover_image: r.get(2)?,
                        variant: r.get(3)?,
                        content_type: r.get(4)?,
                        width: r.get(5)?,
                        height: r.get(6)?,
                        sha256: r.get(7)?,
                        bytes: r.get(8)?,
                    })
                })
                .optional()?;
            row.map(CoverRow::decode).transpose()
        })
        .await
    }
}
