//! Payments and tickets in SQLite, on the single writer like every change.

use super::SqliteStore;
use super::orders::{
    event_for_sale, hold, order_by_id, record_transition, release, types_for_sale,
};
use crate::store::StoreError;
use crate::store::orders::{Actor, Order, OrderStatus, still_fits};
use crate::store::payments::{
    Applied, BegunRefund, NewPayment, NewRefund, Payment, PaymentRow, PaymentStatus, PaymentStore,
    RefundRequestPlan, Reported, RevokeCause, Settlement, Ticket, TicketRow, UnfinishedRefund,
    plan_refund, settle, status_after_refund, status_of,
};
use async_trait::async_trait;
use hafla_core::money::Money;
use rusqlite::{Connection, OptionalExtension, Row, params};
use uuid::Uuid;

const PAYMENT_COLUMNS: &str = "id, order_id, provider, provider_ref, redirect_url, amount_minor,
    currency, status, created_at";

fn payment_row(row: &Row<'_>) -> rusqlite::Result<PaymentRow> {
    Ok(PaymentRow {
        id: row.get(0)?,
        order_id: row.get(1)?,
        provider: row.get(2)?,
        provider_ref: row.get(3)?,
        redirect_url: row.get(4)?,
        amount_minor: row.get(5)?,
        currency: row.get(6)?,
        status: row.get(7)?,
        created_at: row.get(8)?,
    })
}

fn payment_by_id(c: &Connection, id: Uuid) -> Result<Option<Payment>, StoreError> {
    c.query_row(
        &format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = ?1"),
        [id],
        payment_row,
    )
    .optional()?
    .map(PaymentRow::into_payment)
    .transpose()
}

fn must_order(c: &Connection, id: Uuid) -> Result<Order, StoreError> {
    order_by_id(c, id)?.ok_or(StoreError::NotFound("order"))
}

/// Gives the event its credential number if it has none yet; returns it.
fn event_ref(c: &Connection, event_id: Uuid) -> Result<u32, StoreError> {
    let current: Option<i64> = c.query_row(
        "SELECT credential_ref FROM events WHERE id = ?1",
        [event_id],
        |row| row.get(0),
    )?;
    let value = match current {
        Some(value) => value,
        None => {
            let value: i64 = c.query_row(
                "UPDATE counters SET value = value + 1 WHERE name = 'event_ref' RETURNING value",
                [],
                |row| row.get(0),
            )?;
            c.execute(
                "UPDATE events SET credential_ref = ?2 WHERE id = ?1",
                params![event_id, value],
            )?;
            value
        }
    };
    u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("event ref {value}")))
}

/// Marks the order paid and issues one ticket per admission it bought.
fn pay_and_issue(
    c: &Connection,
    order: &Order,
    actor: Actor,
    reason: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    c.execute(
        "UPDATE orders SET status = 'paid', updated_at = ?2 WHERE id = ?1",
        params![order.id, now],
    )?;
    record_transition(
        c,
        order.id,
        Some(order.status),
        OrderStatus::Paid,
        actor,
        reason,
        now,
    )?;
    event_ref(c, order.event_id)?;
    for line in &order.lines {
        for _ in 0..line.quantity {
            issue_ticket(
                c,
                (order.id, order.event_id),
                line.ticket_type_id,
                order.buyer_id,
                now,
            )?;
        }
    }
    Ok(())
}

/// Issues a valid ticket of `ticket_type_id` on (order, event) to `holder`, numbered next in
/// its event; returns its id.
pub(super) fn issue_ticket(
    c: &Connection,
    (order_id, event_id): (Uuid, Uuid),
    ticket_type_id: Uuid,
    holder: Uuid,
    at: i64,
) -> Result<Uuid, StoreError> {
    let serial: i64 = c.query_row(
        "UPDATE events SET next_serial = next_serial + 1 WHERE id = ?1 RETURNING next_serial - 1",
        [event_id],
        |row| row.get(0),
    )?;
    let id = Uuid::now_v7();
    c.execute(
        "INSERT INTO tickets (id, order_id, event_id, ticket_type_id, serial, holder_id, status,
            issued_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'valid', ?7)",
        params![id, order_id, event_id, ticket_type_id, serial, holder, at],
    )?;
    Ok(id)
}

fn apply(
    c: &Connection,
    payment_id: Uuid,
    dedupe_key: &str,
    reported: &Reported,
    now: jiff::Timestamp,
) -> Result<Applied, StoreError> {
    let at = now.as_second();
    let payment = payment_by_id(c, payment_id)?.ok_or(StoreError::NotFound("payment"))?;
    if *reported == Reported::Pending || payment.status != PaymentStatus::Pending {
        return Ok(Applied::Unchanged);
    }
    let fresh = c.execute(
        "INSERT INTO payment_notifications (dedupe_key, payment_id, received_at)
         VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        params![dedupe_key, payment_id, at],
    )?;
    if fresh == 0 {
        return Ok(Applied::Unchanged);
    }
    c.execute(
        "UPDATE payments SET status = ?2, updated_at = ?3 WHERE id = ?1",
        params![payment_id, status_of(reported).key(), at],
    )?;
    let order = must_order(c, payment.order_id)?;
    let Reported::Paid { amount } = reported else {
        return Ok(Applied::Failed { order });
    };
    let payment = Payment {
        status: PaymentStatus::Paid,
        ..payment
    };
    if *amount != payment.amount {
        return Ok(Applied::AmountMismatch { order, payment });
    }
    match settle(&order, now) {
        Settlement::Pay => {
            pay_and_issue(c, &order, Actor::Provider, None, at)?;
            Ok(Applied::Paid {
                order: must_order(c, order.id)?,
                late: false,
            })
        }
        Settlement::ReserveAgainThenPay => {
            if order.status.is_unpaid_hold() {
                release(c, &order, OrderStatus::Expired, Actor::System, None, at)?;
            }
            let order = must_order(c, order.id)?;
            let event = event_for_sale(c, order.event_id)?.ok_or(StoreError::NotFound("event"))?;
            let types = types_for_sale(c, order.event_id)?;
            if !still_fits(&event, &types, &order.lines) {
                return Ok(Applied::MustRefund { order, payment });
            }
            hold(c, order.event_id, &order.lines)?;
            pay_and_issue(
                c,
                &order,
                Actor::Provider,
                Some("paid after its hold lapsed; the tickets were still there"),
                at,
            )?;
            Ok(Applied::Paid {
                order: must_order(c, order.id)?,
                late: true,
            })
        }
        Settlement::Refund => Ok(Applied::MustRefund { order, payment }),
    }
}

pub(super) fn ticket_row(row: &Row<'_>) -> rusqlite::Result<TicketRow> {
    Ok(TicketRow {
        id: row.get(0)?,
        order_id: row.get(1)?,
        event_id: row.get(2)?,
        ticket_type_id: row.get(3)?,
        serial: row.get(4)?,
        event_ref: row.get(5)?,
        holder_id: row.get(6)?,
        status: row.get(7)?,
        issued_at: row.get(8)?,
    })
}

/// The order's paid payment (the one a refund goes back through).
fn paid_payment(c: &Connection, order_id: Uuid) -> Result<Option<Payment>, StoreError> {
    c.query_row(
        &format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE order_id = ?1 AND status = 'paid'
             ORDER BY created_at LIMIT 1"
        ),
        [order_id],
        payment_row,
    )
    .optional()?
    .map(PaymentRow::into_payment)
    .transpose()
}

/// Revokes a ticket, recording why, and gives its place back to the counters.
pub(super) fn revoke(
    c: &Connection,
    ticket_id: Uuid,
    cause: RevokeCause<'_>,
    at: i64,
) -> Result<(), StoreError> {
    let (event_id, ticket_type_id): (Uuid, Uuid) = c.query_row(
        "UPDATE tickets SET status = 'revoked' WHERE id = ?1 AND status = 'valid'
         RETURNING event_id, ticket_type_id",
        [ticket_id],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    c.execute(
        "INSERT INTO revocations (id, ticket_id, reason, note, actor_kind, actor_id, refund_id, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            Uuid::now_v7(),
            ticket_id,
            cause.reason.key(),
            cause.note,
            cause.actor.kind(),
            cause.actor.id(),
            cause.refund_id,
            at
        ],
    )?;
    if cause.release_place {
        c.execute(
            "UPDATE ticket_types SET held = held - 1 WHERE id = ?1",
            [ticket_type_id],
        )?;
        c.execute(
            "UPDATE events SET held = held - 1 WHERE id = ?1",
            [event_id],
        )?;
    }
    Ok(())
}

fn begin_refund(
    c: &Connection,
    request: &RefundRequestPlan,
    now: jiff::Timestamp,
) -> Result<BegunRefund, StoreError> {
    let at = now.as_second();
    let order = must_order(c, request.order_id)?;
    let tickets: Vec<(Uuid, String, i64)> = {
        let mut stmt = c.prepare_cached(
            "SELECT t.id, t.status, l.unit_price_minor FROM tickets t
             JOIN order_lines l ON l.order_id = t.order_id AND l.ticket_type_id = t.ticket_type_id
             WHERE t.order_id = ?1 ORDER BY t.serial",
        )?;
        stmt.query_map([order.id], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?
        .collect::<Result<_, _>>()?
    };
    let all: Vec<Uuid> = tickets.iter().map(|t| t.0).collect();
    let valid: Vec<(Uuid, Money)> = tickets
        .iter()
        .filter(|t| t.1 == "valid")
        .map(|t| {
            (
                t.0,
                Money {
                    minor: t.2,
                    currency: order.total.currency,
                },
            )
        })
        .collect();
    let refunded: i64 = c.query_row(
        "SELECT coalesce(sum(amount_minor), 0) FROM refunds WHERE order_id = ?1",
        [order.id],
        |row| row.get(0),
    )?;
    let (revoke_ids, amount) = plan_refund(&order, &valid, &all, refunded, request)?;
    let payment = paid_payment(c, order.id)?;
    let has_money = amount.minor > 0;
    if has_money {
        c.execute(
            "INSERT INTO refunds (id, order_id, payment_id, amount_minor, currency, reason, status,
                actor_kind, actor_id, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8, ?9, ?9)",
            params![
                request.refund_id,
                order.id,
                payment.as_ref().map(|p| p.id),
                amount.minor,
                amount.currency.code(),
                request.reason,
                request.actor.kind(),
                request.actor.id(),
                at
            ],
        )?;
    }
    for ticket in &revoke_ids {
        let cause = RevokeCause {
            reason: request.revocation,
            note: Some(&request.reason),
            actor: request.actor,
            refund_id: has_money.then_some(request.refund_id),
            release_place: true,
        };
        revoke(c, *ticket, cause, at)?;
    }
    let revoked_before = all.len() - valid.len();
    let status = status_after_refund(all.len(), revoked_before, revoke_ids.len());
    if status != order.status {
        c.execute(
            "UPDATE orders SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![order.id, status.key(), at],
        )?;
        record_transition(
            c,
            order.id,
            Some(order.status),
            status,
            request.actor,
            Some(&request.reason),
            at,
        )?;
    }
    Ok(BegunRefund {
        order: must_order(c, order.id)?,
        revoked: revoke_ids,
        amount: has_money.then_some(amount),
        payment,
    })
}

#[async_trait]
impl PaymentStore for SqliteStore {
    async fn start_payment(
        &self,
        order_id: Uuid,
        payment: NewPayment,
        actor: Actor,
        now: jiff::Timestamp,
    ) -> Result<Order, StoreError> {
        self.write(move |tx| {
            let order = must_order(tx, order_id)?;
            let status = order.status_at(now);
            if !status.is_unpaid_hold() {
                return Err(StoreError::OrderTransition { from: status });
            }
            if payment.amount != order.total {
                return Err(StoreError::Conflict("amount"));
            }
            let at = now.as_second();
            tx.execute(
                "INSERT INTO payments (id, order_id, provider, amount_minor, currency, status,
                    idempotency_key, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7, ?7)",
                params![
                    payment.id,
                    order_id,
                    payment.provider,
                    payment.amount.minor,
                    payment.amount.currency.code(),
                    payment.idempotency_key,
                    at
                ],
            )?;
            let expires_at = payment.hold_until.unwrap_or(order.expires_at);
            tx.execute(
                "UPDATE orders SET status = 'awaiting_payment', payment_method = ?2,
                    expires_at = ?3, updated_at = ?4
                 WHERE id = ?1",
                params![order_id, payment.provider, expires_at.as_second(), at],
            )?;
            if order.status != OrderStatus::AwaitingPayment {
                record_transition(
                    tx,
                    order_id,
                    Some(order.status),
                    OrderStatus::AwaitingPayment,
                    actor,
                    None,
                    at,
                )?;
            }
            must_order(tx, order_id)
        })
        .await
    }

    async fn complete_free_order(
        &self,
        order_id: Uuid,
        actor: Actor,
        now: jiff::Timestamp,
    ) -> Result<Order, StoreError> {
        self.write(move |tx| {
            let order = must_order(tx, order_id)?;
            let status = order.status_at(now);
            if !status.is_unpaid_hold() {
                return Err(StoreError::OrderTransition { from: status });
            }
            if !order.total.is_zero() {
                return Err(StoreError::Conflict("amount"));
            }
            let at = now.as_second();
            tx.execute(
                "UPDATE orders SET payment_method = 'free' WHERE id = ?1",
                [order_id],
            )?;
            pay_and_issue(tx, &order, actor, None, at)?;
            must_order(tx, order_id)
        })
        .await
    }

    async fn set_provider_ref(
        &self,
        payment_id: Uuid,
        provider_ref: &str,
        redirect_url: &str,
    ) -> Result<(), StoreError> {
        let (provider_ref, redirect_url) = (provider_ref.to_owned(), redirect_url.to_owned());
        self.write(move |tx| {
            let changed = tx.execute(
                "UPDATE payments SET provider_ref = ?2, redirect_url = ?3 WHERE id = ?1",
                params![payment_id, provider_ref, redirect_url],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound("payment"));
            }
            Ok(())
        })
        .await
    }

    async fn payment(&self, id: Uuid) -> Result<Option<Payment>, StoreError> {
        self.read(move |c| payment_by_id(c, id)).await
    }

    async fn payment_by_idempotency_key(
        &self,
        order_id: Uuid,
        key: &str,
    ) -> Result<Option<Payment>, StoreError> {
        let key = key.to_owned();
        self.read(move |c| {
            c.query_row(
                &format!(
                    "SELECT {PAYMENT_COLUMNS} FROM payments
                     WHERE order_id = ?1 AND idempotency_key = ?2"
                ),
                params![order_id, key],
                payment_row,
            )
            .optional()?
            .map(PaymentRow::into_payment)
            .transpose()
        })
        .await
    }

    async fn pending_payments(
        &self,
        before: jiff::Timestamp,
        limit: u32,
    ) -> Result<Vec<Payment>, StoreError> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments
                 WHERE status = 'pending' AND created_at < ?1 ORDER BY created_at LIMIT ?2"
            ))?;
            let rows = stmt
                .query_map(params![before.as_second(), limit], payment_row)?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().map(PaymentRow::into_payment).collect()
        })
        .await
    }

    async fn apply_payment(
        &self,
        payment_id: Uuid,
        dedupe_key: &str,
        reported: Reported,
        now: jiff::Timestamp,
    ) -> Result<Applied, StoreError> {
        let dedupe_key = dedupe_key.to_owned();
        self.write(move |tx| apply(tx, payment_id, &dedupe_key, &reported, now))
            .await
    }

    async fn record_refund(
        &self,
        refund: NewRefund,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            let at = now.as_second();
            tx.execute(
                "INSERT INTO refunds (id, order_id, payment_id, amount_minor, currency, reason,
                    status, provider_ref, actor_kind, actor_id, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
                params![
                    refund.id,
                    refund.order_id,
                    refund.payment_id,
                    refund.amount.minor,
                    refund.amount.currency.code(),
                    refund.reason,
                    if refund.done { "done" } else { "failed" },
                    refund.provider_ref,
                    refund.actor.kind(),
                    refund.actor.id(),
                    at
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn order_tickets(&self, order_id: Uuid) -> Result<Vec<Ticket>, StoreError> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT t.id, t.order_id, t.event_id, t.ticket_type_id, t.serial,
                        e.credential_ref, t.holder_id, t.status, t.issued_at
                 FROM tickets t JOIN events e ON e.id = t.event_id
                 WHERE t.order_id = ?1 ORDER BY t.serial",
            )?;
            let rows = stmt
                .query_map([order_id], ticket_row)?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().map(TicketRow::into_ticket).collect()
        })
        .await
    }

    async fn order_payments(&self, order_id: Uuid) -> Result<Vec<Payment>, StoreError> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments WHERE order_id = ?1 ORDER BY created_at, id"
            ))?;
            let rows = stmt
                .query_map([order_id], payment_row)?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().map(PaymentRow::into_payment).collect()
        })
        .await
    }

    async fn cliq_alias(&self, organization_id: Uuid) -> Result<Option<String>, StoreError> {
        self.read(move |c| {
            let alias: Option<Option<String>> = c
                .query_row(
                    "SELECT cliq_alias FROM organizations WHERE id = ?1",
                    [organization_id],
                    |row| row.get(0),
                )
                .optional()?;
            alias.ok_or(StoreError::NotFound("organization"))
        })
        .await
    }

    async fn set_cliq_alias(
        &self,
        organization_id: Uuid,
        alias: Option<String>,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            let changed = tx.execute(
                "UPDATE organizations SET cliq_alias = ?2 WHERE id = ?1",
                params![organization_id, alias],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound("organization"));
            }
            Ok(())
        })
        .await
    }

    async fn begin_refund(
        &self,
        request: RefundRequestPlan,
        now: jiff::Timestamp,
    ) -> Result<BegunRefund, StoreError> {
        self.write(move |tx| begin_refund(tx, &request, now)).await
    }

    async fn finish_refund(
        &self,
        refund_id: Uuid,
        provider_ref: Option<String>,
        done: bool,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "UPDATE refunds SET status = ?2, provider_ref = coalesce(?3, provider_ref),
                    updated_at = ?4
                 WHERE id = ?1 AND status <> 'done'",
                params![
                    refund_id,
                    if done { "done" } else { "failed" },
                    provider_ref,
                    now.as_second()
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn unfinished_refunds(
        &self,
        before: jiff::Timestamp,
        limit: u32,
    ) -> Result<Vec<UnfinishedRefund>, StoreError> {
        self.read(move |c| {
            let rows: Vec<(Uuid, Uuid, i64, String, Uuid)> = {
                let mut stmt = c.prepare_cached(
                    "SELECT id, order_id, amount_minor, reason, payment_id FROM refunds
                     WHERE status IN ('pending', 'failed') AND payment_id IS NOT NULL
                       AND updated_at < ?1
                     ORDER BY created_at LIMIT ?2",
                )?;
                stmt.query_map(params![before.as_second(), limit], |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                    ))
                })?
                .collect::<Result<_, _>>()?
            };
            let mut out = Vec::with_capacity(rows.len());
            for (refund_id, order_id, minor, reason, payment_id) in rows {
                let payment =
                    payment_by_id(c, payment_id)?.ok_or(StoreError::NotFound("payment"))?;
                out.push(UnfinishedRefund {
                    refund_id,
                    order_id,
                    amount: Money {
                        minor,
                        currency: payment.amount.currency,
                    },
                    reason,
                    payment,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn event_orders(&self, event_id: Uuid) -> Result<Vec<Uuid>, StoreError> {
        self.read(move |c| {
            let mut stmt =
                c.prepare_cached("SELECT id FROM orders WHERE event_id = ?1 ORDER BY created_at")?;
            let ids = stmt
                .query_map([event_id], |row| row.get(0))?
                .collect::<Result<Vec<Uuid>, _>>()?;
            Ok(ids)
        })
        .await
    }

    async fn order_refunded_minor(&self, order_id: Uuid) -> Result<i64, StoreError> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT coalesce(sum(amount_minor), 0) FROM refunds WHERE order_id = ?1",
                [order_id],
                |row| row.get(0),
            )?)
        })
        .await
    }
}
