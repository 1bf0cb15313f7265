//! Orders in PostgreSQL. A reservation locks its event's row (`FOR UPDATE`) before it reads
//! the counters, so reservations of one event queue up and each sees the last one's
//! counts, as SQLite's single writer gives; other events are not held up.

use super::PgStore;
use crate::store::StoreError;
use crate::store::orders::{
    self, Actor, EventForSale, LineRow, NewOrder, Order, OrderLine, OrderRow, OrderStatus,
    OrderStore, OrderTransition, TypeForSale,
};
use crate::store::rows::{event_status, timestamp};
use async_trait::async_trait;
use hafla_core::Bilingual;
use hafla_core::money::{Currency, Money};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection, Row};
use uuid::Uuid;

const ORDER_COLUMNS: &str = "o.id, o.reference, o.buyer_id, o.event_id, e.organization_id,
    o.status, o.total_minor, o.currency, o.payment_method,
    extract(epoch from o.expires_at)::bigint, o.lang, extract(epoch from o.created_at)::bigint,
    extract(epoch from o.updated_at)::bigint";

fn order_row(row: &PgRow) -> Result<OrderRow, sqlx::Error> {
    Ok(OrderRow {
        id: row.try_get(0)?,
        reference: row.try_get(1)?,
        buyer_id: row.try_get(2)?,
        event_id: row.try_get(3)?,
        organization_id: row.try_get(4)?,
        status: row.try_get(5)?,
        total_minor: row.try_get(6)?,
        currency: row.try_get(7)?,
        payment_method: row.try_get(8)?,
        expires_at: row.try_get(9)?,
        lang: row.try_get(10)?,
        created_at: row.try_get(11)?,
        updated_at: row.try_get(12)?,
    })
}

async fn lines_of(c: &mut PgConnection, order_id: Uuid) -> Result<Vec<LineRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT l.ticket_type_id, t.name_ar, t.name_en, l.quantity::bigint, l.unit_price_minor
         FROM order_lines l JOIN ticket_types t ON t.id = l.ticket_type_id
         WHERE l.order_id = $1 ORDER BY t.position, t.id",
    )
    .bind(order_id)
    .fetch_all(&mut *c)
    .await?;
    Ok(rows
        .iter()
        .map(|row| {
            Ok(LineRow {
                ticket_type_id: row.try_get(0)?,
                name_ar: row.try_get(1)?,
                name_en: row.try_get(2)?,
                quantity: row.try_get(3)?,
                unit_price_minor: row.try_get(4)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?)
}

/// The order matching `condition` on `o` (its parameters `$1`, `$2` are `a` and `b`).
async fn read_order(
    c: &mut PgConnection,
    condition: &str,
    a: Uuid,
    b: Option<&str>,
) -> Result<Option<Order>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {ORDER_COLUMNS} FROM orders o JOIN events e ON e.id = o.event_id WHERE {condition}"
    )))
    .bind(a)
    .bind(b)
    .fetch_optional(&mut *c)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let row = order_row(&row)?;
    let lines = lines_of(c, row.id).await?;
    row.into_order(lines).map(Some)
}

pub(super) async fn order_by_id(
    c: &mut PgConnection,
    id: Uuid,
) -> Result<Option<Order>, StoreError> {
    read_order(c, "o.id = $1 AND $2::text IS NULL", id, None).await
}

pub(super) async fn record_transition(
    c: &mut PgConnection,
    order_id: Uuid,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor: Actor,
    reason: Option<&str>,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO order_transitions (id, order_id, from_status, to_status, actor_kind, actor_id, reason, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8))",
    )
    .bind(Uuid::now_v7())
    .bind(order_id)
    .bind(from.map(OrderStatus::key))
    .bind(to.key())
    .bind(actor.kind())
    .bind(actor.id())
    .bind(reason)
    .bind(at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Counts the tickets of `lines` as held. The caller holds the event's row.
pub(super) async fn hold(
    c: &mut PgConnection,
    event_id: Uuid,
    lines: &[OrderLine],
) -> Result<(), StoreError> {
    for line in lines {
        sqlx::query("UPDATE ticket_types SET held = held + $2 WHERE id = $1")
            .bind(line.ticket_type_id)
            .bind(line.quantity as i32)
            .execute(&mut *c)
            .await?;
    }
    let tickets: u32 = lines.iter().map(|l| l.quantity).sum();
    sqlx::query("UPDATE events SET held = held + $2 WHERE id = $1")
        .bind(event_id)
        .bind(tickets as i32)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Moves an unpaid order to `to` and gives its tickets back to the counters. The caller
/// holds the event's row.
pub(super) async fn release(
    c: &mut PgConnection,
    order: &Order,
    to: OrderStatus,
    actor: Actor,
    reason: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    for line in &order.lines {
        sqlx::query("UPDATE ticket_types SET held = held - $2 WHERE id = $1")
            .bind(line.ticket_type_id)
            .bind(line.quantity as i32)
            .execute(&mut *c)
            .await?;
    }
    sqlx::query("UPDATE events SET held = held - $2 WHERE id = $1")
        .bind(order.event_id)
        .bind(order.tickets() as i32)
        .execute(&mut *c)
        .await?;
    sqlx::query("UPDATE orders SET status = $2, updated_at = to_timestamp($3) WHERE id = $1")
        .bind(order.id)
        .bind(to.key())
        .bind(now)
        .execute(&mut *c)
        .await?;
    record_transition(c, order.id, Some(order.status), to, actor, reason, now).await
}

/// Locks the event's row: every change to its counters goes through here first.
pub(super) async fn lock_event(
    c: &mut PgConnection,
    event_id: Uuid,
) -> Result<Option<EventForSale>, StoreError> {
    let row = sqlx::query(
        "SELECT status, extract(epoch from ends_at)::bigint, capacity, held
         FROM events WHERE id = $1 FOR UPDATE",
    )
    .bind(event_id)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|row| {
        let status: String = row.try_get(0)?;
        let capacity: Option<i32> = row.try_get(2)?;
        let held: i32 = row.try_get(3)?;
        Ok(EventForSale {
            status: event_status(&status)?,
            ends_at: timestamp(row.try_get(1)?)?,
            capacity: capacity.map(|c| c.max(0) as u32),
            held: held.max(0) as u32,
        })
    })
    .transpose()
}

/// Locks the event of order `order_id` and reads the order.
pub(super) async fn lock_order(c: &mut PgConnection, order_id: Uuid) -> Result<Order, StoreError> {
    let event_id: Option<Uuid> = sqlx::query_scalar("SELECT event_id FROM orders WHERE id = $1")
        .bind(order_id)
        .fetch_optional(&mut *c)
        .await?;
    let event_id = event_id.ok_or(StoreError::NotFound("order"))?;
    lock_event(c, event_id).await?;
    order_by_id(c, order_id)
        .await?
        .ok_or(StoreError::NotFound("order"))
}

/// Expires the unpaid orders of an event past their expiry; the caller holds its row.
async fn expire_due_of_event(
    c: &mut PgConnection,
    event_id: Uuid,
    now: i64,
) -> Result<u32, StoreError> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM orders
         WHERE event_id = $1 AND status IN ('reserved', 'awaiting_payment')
           AND expires_at <= to_timestamp($2)
         ORDER BY expires_at",
    )
    .bind(event_id)
    .bind(now)
    .fetch_all(&mut *c)
    .await?;
    for id in &ids {
        if let Some(order) = order_by_id(c, *id).await? {
            release(c, &order, OrderStatus::Expired, Actor::System, None, now).await?;
        }
    }
    Ok(ids.len() as u32)
}

pub(super) async fn types_for_sale(
    c: &mut PgConnection,
    event_id: Uuid,
) -> Result<Vec<TypeForSale>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, name_ar, name_en, price_minor, currency, capacity, held,
                extract(epoch from sales_start)::bigint, extract(epoch from sales_end)::bigint,
                per_order_limit
         FROM ticket_types WHERE event_id = $1",
    )
    .bind(event_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|row| {
            let currency: String = row.try_get(4)?;
            let capacity: i32 = row.try_get(5)?;
            let held: i32 = row.try_get(6)?;
            let limit: i32 = row.try_get(9)?;
            let start: Option<i64> = row.try_get(7)?;
            let end: Option<i64> = row.try_get(8)?;
            Ok(TypeForSale {
                id: row.try_get(0)?,
                name: Bilingual {
                    ar: row.try_get(1)?,
                    en: row.try_get(2)?,
                },
                price: Money {
                    minor: row.try_get(3)?,
                    currency: Currency::from_code(&currency).ok_or_else(|| {
                        StoreError::Corrupt(format!("ticket type currency {currency:?}"))
                    })?,
                },
                capacity: capacity.max(0) as u32,
                held: held.max(0) as u32,
                sales_start: start.map(timestamp).transpose()?,
                sales_end: end.map(timestamp).transpose()?,
                per_order_limit: limit.max(0) as u32,
            })
        })
        .collect()
}

async fn reserve(
    c: &mut PgConnection,
    new: &NewOrder,
    now: jiff::Timestamp,
) -> Result<Order, StoreError> {
    let at = now.as_second();
    // Locked first: a retried creation racing its first attempt waits for it here.
    let event = lock_event(c, new.event_id)
        .await?
        .ok_or(StoreError::NotFound("event"))?;
    if let Some(key) = &new.idempotency_key {
        let existing = read_order(
            c,
            "o.buyer_id = $1 AND o.idempotency_key = $2",
            new.buyer_id,
            Some(key),
        )
        .await?;
        if let Some(existing) = existing {
            return if orders::same_request(&existing, new) {
                Ok(existing)
            } else {
                Err(orders::CheckoutRefusal::IdempotencyKeyReused.into())
            };
        }
    }
    let event = if expire_due_of_event(c, new.event_id, at).await? > 0 {
        lock_event(c, new.event_id)
            .await?
            .ok_or(StoreError::NotFound("event"))?
    } else {
        event
    };
    let types = types_for_sale(c, new.event_id).await?;
    let lines = orders::check_reservation(&event, &types, &new.lines, now)?;
    let total = orders::total(&lines);
    hold(c, new.event_id, &lines).await?;
    sqlx::query(
        "INSERT INTO orders (id, reference, buyer_id, event_id, status, total_minor, currency,
            expires_at, lang, idempotency_key, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'reserved', $5, $6, to_timestamp($7), $8, $9,
            to_timestamp($10), to_timestamp($10))",
    )
    .bind(new.id)
    .bind(&new.reference)
    .bind(new.buyer_id)
    .bind(new.event_id)
    .bind(total.minor)
    .bind(total.currency.code())
    .bind((now + new.hold).as_second())
    .bind(new.lang.tag())
    .bind(&new.idempotency_key)
    .bind(at)
    .execute(&mut *c)
    .await?;
    for line in &lines {
        sqlx::query(
            "INSERT INTO order_lines (order_id, ticket_type_id, quantity, unit_price_minor)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(new.id)
        .bind(line.ticket_type_id)
        .bind(line.quantity as i32)
        .bind(line.unit_price.minor)
        .execute(&mut *c)
        .await?;
    }
    record_transition(
        c,
        new.id,
        None,
        OrderStatus::Reserved,
        Actor::Buyer(new.buyer_id),
        None,
        at,
    )
    .await?;
    order_by_id(c, new.id)
        .await?
        .ok_or(StoreError::NotFound("order"))
}

#[async_trait]
impl OrderStore for PgStore {
    async fn reserve_order(
        &self,
        order: NewOrder,
        now: jiff::Timestamp,
    ) -> Result<Order, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await?;
            let stored = reserve(&mut tx, &order, now).await?;
            tx.commit().await?;
            Ok(stored)
        })
        .await
    }

    async fn order(&self, id: Uuid) -> Result<Option<Order>, StoreError> {
        self.read(async {
            let mut c = self.pool().acquire().await?;
            order_by_id(&mut c, id).await
        })
        .await
    }

    async fn orders_of_buyer(&self, buyer_id: Uuid, limit: u32) -> Result<Vec<Order>, StoreError> {
        self.read(async {
            let mut c = self.pool().acquire().await?;
            let ids: Vec<Uuid> = sqlx::query_scalar(
                "SELECT id FROM orders WHERE buyer_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
            )
            .bind(buyer_id)
            .bind(i64::from(limit))
            .fetch_all(&mut *c)
            .await?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                out.extend(order_by_id(&mut c, id).await?);
            }
            Ok(out)
        })
        .await
    }

    async fn cancel_order(
        &self,
        id: Uuid,
        actor: Actor,
        reason: Option<String>,
        now: jiff::Timestamp,
    ) -> Result<Order, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await?;
            let order = lock_order(&mut tx, id).await?;
            let at = now.as_second();
            let result = match order.status_at(now) {
                status if status.is_unpaid_hold() => {
                    release(
                        &mut tx,
                        &order,
                        OrderStatus::Cancelled,
                        actor,
                        reason.as_deref(),
                        at,
                    )
                    .await?;
                    order_by_id(&mut tx, id)
                        .await?
                        .ok_or(StoreError::NotFound("order"))
                }
                // Expired ones included: the sweep (or the next reservation) records those.
                from => Err(StoreError::OrderTransition { from }),
            };
            tx.commit().await?;
            result
        })
        .await
    }

    async fn expire_orders(&self, now: jiff::Timestamp, limit: u32) -> Result<u32, StoreError> {
        self.write(async {
            let events: Vec<Uuid> = sqlx::query_scalar(
                "SELECT DISTINCT event_id FROM (
                    SELECT event_id FROM orders
                    WHERE status IN ('reserved', 'awaiting_payment') AND expires_at <= to_timestamp($1)
                    ORDER BY expires_at LIMIT $2) due",
            )
            .bind(now.as_second())
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            let mut expired = 0;
            // One transaction per event, so a sweep never holds many events at once.
            for event_id in events {
                let mut tx = self.pool().begin().await?;
                lock_event(&mut tx, event_id).await?;
                expired += expire_due_of_event(&mut tx, event_id, now.as_second()).await?;
                tx.commit().await?;
            }
            Ok(expired)
        })
        .await
    }

    async fn order_transitions(&self, id: Uuid) -> Result<Vec<OrderTransition>, StoreError> {
        self.read(async {
            let rows = sqlx::query(
                "SELECT from_status, to_status, actor_kind, actor_id, reason,
                        extract(epoch from at)::bigint
                 FROM order_transitions WHERE order_id = $1 ORDER BY at, id",
            )
            .bind(id)
            .fetch_all(self.pool())
            .await?;
            rows.iter()
                .map(|row| {
                    orders::transition_from_row(
                        row.try_get(0)?,
                        row.try_get(1)?,
                        row.try_get(2)?,
                        row.try_get(3)?,
                        row.try_get(4)?,
                        row.try_get(5)?,
                    )
                })
                .collect()
        })
        .await
    }

    async fn set_event_capacity(
        &self,
        event_id: Uuid,
        capacity: Option<u32>,
    ) -> Result<(), StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await?;
            let event = lock_event(&mut tx, event_id)
                .await?
                .ok_or(StoreError::NotFound("event"))?;
            if capacity.is_some_and(|c| c < event.held) {
                return Err(StoreError::Conflict("capacity"));
            }
            sqlx::query("UPDATE events SET capacity = $2 WHERE id = $1")
                .bind(event_id)
                .bind(capacity.map(|c| i32::try_from(c).unwrap_or(i32::MAX)))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }
}
