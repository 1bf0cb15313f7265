//! Orders in SQLite. Every change runs on the single writer in an IMMEDIATE transaction,
//! which is what makes a reservation's check-then-count atomic here.

use super::SqliteStore;
use crate::store::StoreError;
use crate::store::orders::{
    self, Actor, EventForSale, LineRow, NewOrder, Order, OrderLine, OrderRow, OrderStatus,
    OrderStore, OrderTransition, TypeForSale,
};
use crate::store::rows::{event_status, timestamp};
use async_trait::async_trait;
use hafla_core::Bilingual;
use hafla_core::money::{Currency, Money};
use rusqlite::{Connection, OptionalExtension, Row, params};
use uuid::Uuid;

const ORDER_COLUMNS: &str =
    "o.id, o.reference, o.buyer_id, o.event_id, e.organization_id, o.status,
    o.total_minor, o.currency, o.payment_method, o.expires_at, o.lang, o.created_at, o.updated_at";

fn order_row(row: &Row<'_>) -> rusqlite::Result<OrderRow> {
    Ok(OrderRow {
        id: row.get(0)?,
        reference: row.get(1)?,
        buyer_id: row.get(2)?,
        event_id: row.get(3)?,
        organization_id: row.get(4)?,
        status: row.get(5)?,
        total_minor: row.get(6)?,
        currency: row.get(7)?,
        payment_method: row.get(8)?,
        expires_at: row.get(9)?,
        lang: row.get(10)?,
        created_at: row.get(11)?,
        updated_at: row.get(12)?,
    })
}

fn lines_of(c: &Connection, order_id: Uuid) -> Result<Vec<LineRow>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT l.ticket_type_id, t.name_ar, t.name_en, l.quantity, l.unit_price_minor
         FROM order_lines l JOIN ticket_types t ON t.id = l.ticket_type_id
         WHERE l.order_id = ?1 ORDER BY t.position, t.id",
    )?;
    let lines = stmt
        .query_map([order_id], |row| {
            Ok(LineRow {
                ticket_type_id: row.get(0)?,
                name_ar: row.get(1)?,
                name_en: row.get(2)?,
                quantity: row.get(3)?,
                unit_price_minor: row.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(lines)
}

fn read_order(
    c: &Connection,
    where_clause: &str,
    p: impl rusqlite::Params,
) -> Result<Option<Order>, StoreError> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM orders o JOIN events e ON e.id = o.event_id WHERE {where_clause}"
    );
    let Some(row) = c.query_row(&sql, p, order_row).optional()? else {
        return Ok(None);
    };
    let lines = lines_of(c, row.id)?;
    row.into_order(lines).map(Some)
}

pub(super) fn order_by_id(c: &Connection, id: Uuid) -> Result<Option<Order>, StoreError> {
    read_order(c, "o.id = ?1", [id])
}

pub(super) fn record_transition(
    c: &Connection,
    order_id: Uuid,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor: Actor,
    reason: Option<&str>,
    at: i64,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO order_transitions (id, order_id, from_status, to_status, actor_kind, actor_id, reason, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            Uuid::now_v7(),
            order_id,
            from.map(OrderStatus::key),
            to.key(),
            actor.kind(),
            actor.id(),
            reason,
            at
        ],
    )?;
    Ok(())
}

/// Counts the tickets of `lines` as held.
pub(super) fn hold(c: &Connection, event_id: Uuid, lines: &[OrderLine]) -> Result<(), StoreError> {
    for line in lines {
        c.execute(
            "UPDATE ticket_types SET held = held + ?2 WHERE id = ?1",
            params![line.ticket_type_id, line.quantity],
        )?;
    }
    let tickets: u32 = lines.iter().map(|l| l.quantity).sum();
    c.execute(
        "UPDATE events SET held = held + ?2 WHERE id = ?1",
        params![event_id, tickets],
    )?;
    Ok(())
}

/// Moves an unpaid order to `to` and gives its tickets back to the counters.
pub(super) fn release(
    c: &Connection,
    order: &Order,
    to: OrderStatus,
    actor: Actor,
    reason: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    for line in &order.lines {
        c.execute(
            "UPDATE ticket_types SET held = held - ?2 WHERE id = ?1",
            params![line.ticket_type_id, line.quantity],
        )?;
    }
    c.execute(
        "UPDATE events SET held = held - ?2 WHERE id = ?1",
        params![order.event_id, order.tickets()],
    )?;
    c.execute(
        "UPDATE orders SET status = ?2, updated_at = ?3 WHERE id = ?1",
        params![order.id, to.key(), now],
    )?;
    record_transition(c, order.id, Some(order.status), to, actor, reason, now)
}

/// Expires up to `limit` unpaid orders past their expiry (of one event, or of all).
fn expire_due(
    c: &Connection,
    event_id: Option<Uuid>,
    now: i64,
    limit: u32,
) -> Result<u32, StoreError> {
    let ids: Vec<Uuid> = {
        let mut stmt = c.prepare_cached(
            "SELECT id FROM orders
             WHERE status IN ('reserved', 'awaiting_payment') AND expires_at <= ?1
               AND (?2 IS NULL OR event_id = ?2)
             ORDER BY expires_at LIMIT ?3",
        )?;
        stmt.query_map(params![now, event_id, limit], |row| row.get(0))?
            .collect::<Result<_, _>>()?
    };
    for id in &ids {
        if let Some(order) = order_by_id(c, *id)? {
            release(c, &order, OrderStatus::Expired, Actor::System, None, now)?;
        }
    }
    Ok(ids.len() as u32)
}

pub(super) fn event_for_sale(
    c: &Connection,
    event_id: Uuid,
) -> Result<Option<EventForSale>, StoreError> {
    let row = c
        .query_row(
            "SELECT status, ends_at, capacity, held FROM events WHERE id = ?1",
            [event_id],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, Option<u32>>(2)?,
                    row.get::<_, u32>(3)?,
                ))
            },
        )
        .optional()?;
    row.map(|(status, ends_at, capacity, held)| {
        Ok(EventForSale {
            status: event_status(&status)?,
            ends_at: timestamp(ends_at)?,
            capacity,
            held,
        })
    })
    .transpose()
}

pub(super) fn types_for_sale(
    c: &Connection,
    event_id: Uuid,
) -> Result<Vec<TypeForSale>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT id, name_ar, name_en, price_minor, currency, capacity, held, sales_start,
                sales_end, per_order_limit
         FROM ticket_types WHERE event_id = ?1",
    )?;
    let rows = stmt
        .query_map([event_id], |row| {
            Ok((
                row.get::<_, Uuid>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, u32>(5)?,
                row.get::<_, u32>(6)?,
                row.get::<_, Option<i64>>(7)?,
                row.get::<_, Option<i64>>(8)?,
                row.get::<_, u32>(9)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(
            |(id, ar, en, price, currency, capacity, held, start, end, limit)| {
                Ok(TypeForSale {
                    id,
                    name: Bilingual { ar, en },
                    price: Money {
                        minor: price,
                        currency: Currency::from_code(&currency).ok_or_else(|| {
                            StoreError::Corrupt(format!("ticket type currency {currency:?}"))
                        })?,
                    },
                    capacity,
                    held,
                    sales_start: start.map(timestamp).transpose()?,
                    sales_end: end.map(timestamp).transpose()?,
                    per_order_limit: limit,
                })
            },
        )
        .collect()
}

fn reserve(tx: &Connection, new: &NewOrder, now: jiff::Timestamp) -> Result<Order, StoreError> {
    let at = now.as_second();
    if let Some(key) = &new.idempotency_key
        && let Some(existing) = read_order(
            tx,
            "o.buyer_id = ?1 AND o.idempotency_key = ?2",
            params![new.buyer_id, key],
        )?
    {
        return if orders::same_request(&existing, new) {
            Ok(existing)
        } else {
            Err(orders::CheckoutRefusal::IdempotencyKeyReused.into())
        };
    }
    expire_due(tx, Some(new.event_id), at, u32::MAX)?;
    let event = event_for_sale(tx, new.event_id)?.ok_or(StoreError::NotFound("event"))?;
    let types = types_for_sale(tx, new.event_id)?;
    let lines = orders::check_reservation(&event, &types, &new.lines, now)?;
    let total = orders::total(&lines);
    hold(tx, new.event_id, &lines)?;
    tx.execute(
        "INSERT INTO orders (id, reference, buyer_id, event_id, status, total_minor, currency,
            expires_at, lang, idempotency_key, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'reserved', ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![
            new.id,
            new.reference,
            new.buyer_id,
            new.event_id,
            total.minor,
            total.currency.code(),
            (now + new.hold).as_second(),
            new.lang.tag(),
            new.idempotency_key,
            at
        ],
    )?;
    for line in &lines {
        tx.execute(
            "INSERT INTO order_lines (order_id, ticket_type_id, quantity, unit_price_minor)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                new.id,
                line.ticket_type_id,
                line.quantity,
                line.unit_price.minor
            ],
        )?;
    }
    record_transition(
        tx,
        new.id,
        None,
        OrderStatus::Reserved,
        Actor::Buyer(new.buyer_id),
        None,
        at,
    )?;
    order_by_id(tx, new.id)?.ok_or(StoreError::NotFound("order"))
}

#[async_trait]
impl OrderStore for SqliteStore {
    async fn reserve_order(
        &self,
        order: NewOrder,
        now: jiff::Timestamp,
    ) -> Result<Order, StoreError> {
        self.write(move |tx| reserve(tx, &order, now)).await
    }

    async fn order(&self, id: Uuid) -> Result<Option<Order>, StoreError> {
        self.read(move |c| order_by_id(c, id)).await
    }

    async fn orders_of_buyer(&self, buyer_id: Uuid, limit: u32) -> Result<Vec<Order>, StoreError> {
        self.read(move |c| {
            let ids: Vec<Uuid> = {
                let mut stmt = c.prepare_cached(
                    "SELECT id FROM orders WHERE buyer_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2",
                )?;
                stmt.query_map(params![buyer_id, limit], |row| row.get(0))?
                    .collect::<Result<_, _>>()?
            };
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                out.extend(order_by_id(c, id)?);
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
        self.write(move |tx| {
            let order = order_by_id(tx, id)?.ok_or(StoreError::NotFound("order"))?;
            let at = now.as_second();
            match order.status_at(now) {
                status if status.is_unpaid_hold() => {
                    release(
                        tx,
                        &order,
                        OrderStatus::Cancelled,
                        actor,
                        reason.as_deref(),
                        at,
                    )?;
                    order_by_id(tx, id)?.ok_or(StoreError::NotFound("order"))
                }
                // Expired ones included: the sweep (or the next reservation) records those.
                from => Err(StoreError::OrderTransition { from }),
            }
        })
        .await
    }

    async fn expire_orders(&self, now: jiff::Timestamp, limit: u32) -> Result<u32, StoreError> {
        self.write(move |tx| expire_due(tx, None, now.as_second(), limit))
            .await
    }

    async fn order_transitions(&self, id: Uuid) -> Result<Vec<OrderTransition>, StoreError> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT from_status, to_status, actor_kind, actor_id, reason, at
                 FROM order_transitions WHERE order_id = ?1 ORDER BY at, id",
            )?;
            let rows = stmt
                .query_map([id], |row| {
                    Ok((
                        row.get::<_, Option<String>>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, Option<Uuid>>(3)?,
                        row.get::<_, Option<String>>(4)?,
                        row.get::<_, i64>(5)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(from, to, actor_kind, actor_id, reason, at)| {
                    orders::transition_from_row(from, to, actor_kind, actor_id, reason, at)
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
        self.write(move |tx| {
            let held: u32 = tx
                .query_row("SELECT held FROM events WHERE id = ?1", [event_id], |row| {
                    row.get(0)
                })
                .optional()?
                .ok_or(StoreError::NotFound("event"))?;
            if capacity.is_some_and(|c| c < held) {
                return Err(StoreError::Conflict("capacity"));
            }
            tx.execute(
                "UPDATE events SET capacity = ?2 WHERE id = ?1",
                params![event_id, capacity],
            )?;
            Ok(())
        })
        .await
    }
}
