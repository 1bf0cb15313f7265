//! Payments and tickets in PostgreSQL. Whatever touches an order's tickets first locks its
//! event's row, as reservations do, so counters, serials and late payments never race.

use super::PgStore;
use super::orders::{
    hold, lock_event, lock_order, order_by_id, record_transition, release, types_for_sale,
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
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection, Row};
use uuid::Uuid;

const PAYMENT_COLUMNS: &str = "id, order_id, provider, provider_ref, redirect_url, amount_minor,
    currency, status, extract(epoch from created_at)::bigint";

fn payment_row(row: &PgRow) -> Result<PaymentRow, sqlx::Error> {
    Ok(PaymentRow {
        id: row.try_get(0)?,
        order_id: row.try_get(1)?,
        provider: row.try_get(2)?,
        provider_ref: row.try_get(3)?,
        redirect_url: row.try_get(4)?,
        amount_minor: row.try_get(5)?,
        currency: row.try_get(6)?,
        status: row.try_get(7)?,
        created_at: row.try_get(8)?,
    })
}

async fn payment_by_id(c: &mut PgConnection, id: Uuid) -> Result<Option<Payment>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|row| payment_row(&row)?.into_payment()).transpose()
}

async fn must_order(c: &mut PgConnection, id: Uuid) -> Result<Order, StoreError> {
    order_by_id(c, id)
        .await?
        .ok_or(StoreError::NotFound("order"))
}

/// Gives the event its credential number if it has none yet. The caller holds its row.
async fn event_ref(c: &mut PgConnection, event_id: Uuid) -> Result<(), StoreError> {
    sqlx::query(
        "WITH next AS (
            UPDATE counters SET value = value + 1 WHERE name = 'event_ref'
            AND EXISTS (SELECT 1 FROM events WHERE id = $1 AND credential_ref IS NULL)
            RETURNING value)
         UPDATE events SET credential_ref = (SELECT value FROM next)
         WHERE id = $1 AND credential_ref IS NULL",
    )
    .bind(event_id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Marks the order paid and issues one ticket per admission it bought. The caller holds
/// the event's row.
async fn pay_and_issue(
    c: &mut PgConnection,
    order: &Order,
    actor: Actor,
    reason: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE orders SET status = 'paid', updated_at = to_timestamp($2) WHERE id = $1")
        .bind(order.id)
        .bind(now)
        .execute(&mut *c)
        .await?;
    record_transition(
        c,
        order.id,
        Some(order.status),
        OrderStatus::Paid,
        actor,
        reason,
        now,
    )
    .await?;
    event_ref(c, order.event_id).await?;
    for line in &order.lines {
        for _ in 0..line.quantity {
            let place = (order.id, order.event_id);
            issue_ticket(c, place, line.ticket_type_id, order.buyer_id, now).await?;
        }
    }
    Ok(())
}

/// Issues a valid ticket of `ticket_type_id` on (order, event) to `holder`, numbered next in
/// its event; returns its id. The caller holds the event's row.
pub(super) async fn issue_ticket(
    c: &mut PgConnection,
    (order_id, event_id): (Uuid, Uuid),
    ticket_type_id: Uuid,
    holder: Uuid,
    at: i64,
) -> Result<Uuid, StoreError> {
    let serial: i32 = sqlx::query_scalar(
        "UPDATE events SET next_serial = next_serial + 1 WHERE id = $1 RETURNING next_serial - 1",
    )
    .bind(event_id)
    .fetch_one(&mut *c)
    .await?;
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO tickets (id, order_id, event_id, ticket_type_id, serial, holder_id, status,
            issued_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'valid', to_timestamp($7))",
    )
    .bind(id)
    .bind(order_id)
    .bind(event_id)
    .bind(ticket_type_id)
    .bind(serial)
    .bind(holder)
    .bind(at)
    .execute(&mut *c)
    .await?;
    Ok(id)
}

async fn apply(
    c: &mut PgConnection,
    payment_id: Uuid,
    dedupe_key: &str,
    reported: &Reported,
    now: jiff::Timestamp,
) -> Result<Applied, StoreError> {
    let at = now.as_second();
    let order_id: Option<Uuid> = sqlx::query_scalar("SELECT order_id FROM payments WHERE id = $1")
        .bind(payment_id)
        .fetch_optional(&mut *c)
        .await?;
    let order = lock_order(c, order_id.ok_or(StoreError::NotFound("payment"))?).await?;
    let payment = payment_by_id(c, payment_id)
        .await?
        .ok_or(StoreError::NotFound("payment"))?;
    if *reported == Reported::Pending || payment.status != PaymentStatus::Pending {
        return Ok(Applied::Unchanged);
    }
    let fresh = sqlx::query(
        "INSERT INTO payment_notifications (dedupe_key, payment_id, received_at)
         VALUES ($1, $2, to_timestamp($3)) ON CONFLICT DO NOTHING",
    )
    .bind(dedupe_key)
    .bind(payment_id)
    .bind(at)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if fresh == 0 {
        return Ok(Applied::Unchanged);
    }
    sqlx::query("UPDATE payments SET status = $2, updated_at = to_timestamp($3) WHERE id = $1")
        .bind(payment_id)
        .bind(status_of(reported).key())
        .bind(at)
        .execute(&mut *c)
        .await?;
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
            pay_and_issue(c, &order, Actor::Provider, None, at).await?;
            Ok(Applied::Paid {
                order: must_order(c, order.id).await?,
                late: false,
            })
        }
        Settlement::ReserveAgainThenPay => {
            if order.status.is_unpaid_hold() {
                release(c, &order, OrderStatus::Expired, Actor::System, None, at).await?;
            }
            let order = must_order(c, order.id).await?;
            let event = lock_event(c, order.event_id)
                .await?
                .ok_or(StoreError::NotFound("event"))?;
            let types = types_for_sale(c, order.event_id).await?;
            if !still_fits(&event, &types, &order.lines) {
                return Ok(Applied::MustRefund { order, payment });
            }
            hold(c, order.event_id, &order.lines).await?;
            pay_and_issue(
                c,
                &order,
                Actor::Provider,
                Some("paid after its hold lapsed; the tickets were still there"),
                at,
            )
            .await?;
            Ok(Applied::Paid {
                order: must_order(c, order.id).await?,
                late: true,
            })
        }
        Settlement::Refund => Ok(Applied::MustRefund { order, payment }),
    }
}

/// The order's paid payment (the one a refund goes back through).
async fn paid_payment(c: &mut PgConnection, order_id: Uuid) -> Result<Option<Payment>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE order_id = $1 AND status = 'paid'
         ORDER BY created_at LIMIT 1"
    )))
    .bind(order_id)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|row| payment_row(&row)?.into_payment()).transpose()
}

/// Revokes a ticket, recording why, and gives its place back to the counters. The caller
/// holds the event's row.
pub(super) async fn revoke(
    c: &mut PgConnection,
    ticket_id: Uuid,
    cause: RevokeCause<'_>,
    at: i64,
) -> Result<(), StoreError> {
    let row = sqlx::query(
        "UPDATE tickets SET status = 'revoked' WHERE id = $1 AND status = 'valid'
         RETURNING event_id, ticket_type_id",
    )
    .bind(ticket_id)
    .fetch_one(&mut *c)
    .await?;
    let event_id: Uuid = row.try_get(0)?;
    let ticket_type_id: Uuid = row.try_get(1)?;
    sqlx::query(
        "INSERT INTO revocations (id, ticket_id, reason, note, actor_kind, actor_id, refund_id, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8))",
    )
    .bind(Uuid::now_v7())
    .bind(ticket_id)
    .bind(cause.reason.key())
    .bind(cause.note)
    .bind(cause.actor.kind())
    .bind(cause.actor.id())
    .bind(cause.refund_id)
    .bind(at)
    .execute(&mut *c)
    .await?;
    if cause.release_place {
        sqlx::query("UPDATE ticket_types SET held = held - 1 WHERE id = $1")
            .bind(ticket_type_id)
            .execute(&mut *c)
            .await?;
        sqlx::query("UPDATE events SET held = held - 1 WHERE id = $1")
            .bind(event_id)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

async fn begin_refund(
    c: &mut PgConnection,
    request: &RefundRequestPlan,
    now: jiff::Timestamp,
) -> Result<BegunRefund, StoreError> {
    let at = now.as_second();
    let order = lock_order(c, request.order_id).await?;
    let rows = sqlx::query(
        "SELECT t.id, t.status, l.unit_price_minor FROM tickets t
         JOIN order_lines l ON l.order_id = t.order_id AND l.ticket_type_id = t.ticket_type_id
         WHERE t.order_id = $1 ORDER BY t.serial",
    )
    .bind(order.id)
    .fetch_all(&mut *c)
    .await?;
    let mut all = Vec::with_capacity(rows.len());
    let mut valid = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: Uuid = row.try_get(0)?;
        let status: String = row.try_get(1)?;
        all.push(id);
        if status == "valid" {
            valid.push((
                id,
                Money {
                    minor: row.try_get(2)?,
                    currency: order.total.currency,
                },
            ));
        }
    }
    let refunded: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(amount_minor), 0)::bigint FROM refunds WHERE order_id = $1",
    )
    .bind(order.id)
    .fetch_one(&mut *c)
    .await?;
    let (revoke_ids, amount) = plan_refund(&order, &valid, &all, refunded, request)?;
    let payment = paid_payment(c, order.id).await?;
    let has_money = amount.minor > 0;
    if has_money {
        sqlx::query(
            "INSERT INTO refunds (id, order_id, payment_id, amount_minor, currency, reason, status,
                actor_kind, actor_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, to_timestamp($9), to_timestamp($9))",
        )
        .bind(request.refund_id)
        .bind(order.id)
        .bind(payment.as_ref().map(|p| p.id))
        .bind(amount.minor)
        .bind(amount.currency.code())
        .bind(&request.reason)
        .bind(request.actor.kind())
        .bind(request.actor.id())
        .bind(at)
        .execute(&mut *c)
        .await?;
    }
    for ticket in &revoke_ids {
        let cause = RevokeCause {
            reason: request.revocation,
            note: Some(&request.reason),
            actor: request.actor,
            refund_id: has_money.then_some(request.refund_id),
            release_place: true,
        };
        revoke(c, *ticket, cause, at).await?;
    }
    let revoked_before = all.len() - valid.len();
    let status = status_after_refund(all.len(), revoked_before, revoke_ids.len());
    if status != order.status {
        sqlx::query("UPDATE orders SET status = $2, updated_at = to_timestamp($3) WHERE id = $1")
            .bind(order.id)
            .bind(status.key())
            .bind(at)
            .execute(&mut *c)
            .await?;
        record_transition(
            c,
            order.id,
            Some(order.status),
            status,
            request.actor,
            Some(&request.reason),
            at,
        )
        .await?;
    }
    Ok(BegunRefund {
        order: must_order(c, order.id).await?,
        revoked: revoke_ids,
        amount: has_money.then_some(amount),
        payment,
    })
}

#[async_trait]
impl PaymentStore for PgStore {
    async fn start_payment(
        &self,
        order_id: Uuid,
        payment: NewPayment,
        actor: Actor,
        now: jiff::Timestamp,
    ) -> Result<Order, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await?;
            let order = lock_order(&mut tx, order_id).await?;
            let status = order.status_at(now);
            if !status.is_unpaid_hold() {
                return Err(StoreError::OrderTransition { from: status });
            }
            if payment.amount != order.total {
                return Err(StoreError::Conflict("amount"));
            }
            let at = now.as_second();
            sqlx::query(
                "INSERT INTO payments (id, order_id, provider, amount_minor, currency, status,
                    idempotency_key, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, 'pending', $6, to_timestamp($7), to_timestamp($7))",
            )
            .bind(payment.id)
            .bind(order_id)
            .bind(&payment.provider)
            .bind(payment.amount.minor)
            .bind(payment.amount.currency.code())
            .bind(&payment.idempotency_key)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            let expires_at = payment.hold_until.unwrap_or(order.expires_at);
            sqlx::query(
                "UPDATE orders SET status = 'awaiting_payment', payment_method = $2,
                    expires_at = to_timestamp($3), updated_at = to_timestamp($4)
                 WHERE id = $1",
            )
            .bind(order_id)
            .bind(&payment.provider)
            .bind(expires_at.as_second())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            if order.status != OrderStatus::AwaitingPayment {
                record_transition(
                    &mut tx,
                    order_id,
                    Some(order.status),
                    OrderStatus::AwaitingPayment,
                    actor,
                    None,
                    at,
                )
                .await?;
            }
            let order = must_order(&mut tx, order_id).await?;
            tx.commit().await?;
            Ok(order)
        })
        .await
    }

    async fn complete_free_order(
        &self,
        order_id: Uuid,
        actor: Actor,
        now: jiff::Timestamp,
    ) -> Result<Order, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await?;
            let order = lock_order(&mut tx, order_id).await?;
            let status = order.status_at(now);
            if !status.is_unpaid_hold() {
                return Err(StoreError::OrderTransition { from: status });
            }
            if !order.total.is_zero() {
                return Err(StoreError::Conflict("amount"));
            }
            sqlx::query("UPDATE orders SET payment_method = 'free' WHERE id = $1")
                .bind(order_id)
                .execute(&mut *tx)
                .await?;
            pay_and_issue(&mut tx, &order, actor, None, now.as_second()).await?;
            let order = must_order(&mut tx, order_id).await?;
            tx.commit().await?;
            Ok(order)
        })
        .await
    }

    async fn set_provider_ref(
        &self,
        payment_id: Uuid,
        provider_ref: &str,
        redirect_url: &str,
    ) -> Result<(), StoreError> {
        self.write(async {
            let changed = sqlx::query(
                "UPDATE payments SET provider_ref = $2, redirect_url = $3 WHERE id = $1",
            )
            .bind(payment_id)
            .bind(provider_ref)
            .bind(redirect_url)
            .execute(self.pool())
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(StoreError::NotFound("payment"));
            }
            Ok(())
        })
        .await
    }

    async fn payment(&self, id: Uuid) -> Result<Option<Payment>, StoreError> {
        self.read(async {
            let mut c = self.pool().acquire().await?;
            payment_by_id(&mut c, id).await
        })
        .await
    }

    async fn payment_by_idempotency_key(
        &self,
        order_id: Uuid,
        key: &str,
    ) -> Result<Option<Payment>, StoreError> {
        self.read(async {
            let row = sqlx::query(AssertSqlSafe(format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments WHERE order_id = $1 AND idempotency_key = $2"
            )))
            .bind(order_id)
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
            row.map(|row| payment_row(&row)?.into_payment()).transpose()
        })
        .await
    }

    async fn pending_payments(
        &self,
        before: jiff::Timestamp,
        limit: u32,
    ) -> Result<Vec<Payment>, StoreError> {
        self.read(async {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments
                 WHERE status = 'pending' AND created_at < to_timestamp($1)
                 ORDER BY created_at LIMIT $2"
            )))
            .bind(before.as_second())
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
            rows.iter()
                .map(|row| payment_row(row)?.into_payment())
                .collect()
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
        self.write(async {
            let mut tx = self.pool().begin().await?;
            let applied = apply(&mut tx, payment_id, dedupe_key, &reported, now).await?;
            tx.commit().await?;
            Ok(applied)
        })
        .await
    }

    async fn record_refund(
        &self,
        refund: NewRefund,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.write(async {
            sqlx::query(
                "INSERT INTO refunds (id, order_id, payment_id, amount_minor, currency, reason,
                    status, provider_ref, actor_kind, actor_id, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, to_timestamp($11),
                    to_timestamp($11))",
            )
            .bind(refund.id)
            .bind(refund.order_id)
            .bind(refund.payment_id)
            .bind(refund.amount.minor)
            .bind(refund.amount.currency.code())
            .bind(&refund.reason)
            .bind(if refund.done { "done" } else { "failed" })
            .bind(&refund.provider_ref)
            .bind(refund.actor.kind())
            .bind(refund.actor.id())
            .bind(now.as_second())
            .execute(self.pool())
            .await?;
            Ok(())
        })
        .await
    }

    async fn order_tickets(&self, order_id: Uuid) -> Result<Vec<Ticket>, StoreError> {
        self.read(async {
            let rows = sqlx::query(
                "SELECT t.id, t.order_id, t.event_id, t.ticket_type_id, t.serial::bigint,
                        e.credential_ref, t.holder_id, t.status,
                        extract(epoch from t.issued_at)::bigint
                 FROM tickets t JOIN events e ON e.id = t.event_id
                 WHERE t.order_id = $1 ORDER BY t.serial",
            )
            .bind(order_id)
            .fetch_all(self.pool())
            .await?;
            rows.iter()
                .map(|row| {
                    TicketRow {
                        id: row.try_get(0)?,
                        order_id: row.try_get(1)?,
                        event_id: row.try_get(2)?,
                        ticket_type_id: row.try_get(3)?,
                        serial: row.try_get(4)?,
                        event_ref: row.try_get(5)?,
                        holder_id: row.try_get(6)?,
                        status: row.try_get(7)?,
                        issued_at: row.try_get(8)?,
                    }
                    .into_ticket()
                })
                .collect()
        })
        .await
    }

    async fn order_payments(&self, order_id: Uuid) -> Result<Vec<Payment>, StoreError> {
        self.read(async {
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments WHERE order_id = $1 ORDER BY created_at, id"
            )))
            .bind(order_id)
            .fetch_all(self.pool())
            .await?;
            rows.iter()
                .map(|row| payment_row(row)?.into_payment())
                .collect()
        })
        .await
    }

    async fn cliq_alias(&self, organization_id: Uuid) -> Result<Option<String>, StoreError> {
        self.read(async {
            let alias: Option<Option<String>> =
                sqlx::query_scalar("SELECT cliq_alias FROM organizations WHERE id = $1")
                    .bind(organization_id)
                    .fetch_optional(self.pool())
                    .await?;
            alias.ok_or(StoreError::NotFound("organization"))
        })
        .await
    }

    async fn set_cliq_alias(
        &self,
        organization_id: Uuid,
        alias: Option<String>,
    ) -> Result<(), StoreError> {
        self.write(async {
            let changed = sqlx::query("UPDATE organizations SET cliq_alias = $2 WHERE id = $1")
                .bind(organization_id)
                .bind(alias)
                .execute(self.pool())
                .await?
                .rows_affected();
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
        self.write(async {
            let mut tx = self.pool().begin().await?;
            let begun = begin_refund(&mut tx, &request, now).await?;
            tx.commit().await?;
            Ok(begun)
        })
        .await
    }

    async fn finish_refund(
        &self,
        refund_id: Uuid,
        provider_ref: Option<String>,
        done: bool,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.write(async {
            sqlx::query(
                "UPDATE refunds SET status = $2, provider_ref = coalesce($3, provider_ref),
                    updated_at = to_timestamp($4)
                 WHERE id = $1 AND status <> 'done'",
            )
            .bind(refund_id)
            .bind(if done { "done" } else { "failed" })
            .bind(provider_ref)
            .bind(now.as_second())
            .execute(self.pool())
            .await?;
            Ok(())
        })
        .await
    }

    async fn unfinished_refunds(
        &self,
        before: jiff::Timestamp,
        limit: u32,
    ) -> Result<Vec<UnfinishedRefund>, StoreError> {
        self.read(async {
            let mut c = self.pool().acquire().await?;
            let rows = sqlx::query(
                "SELECT id, order_id, amount_minor, reason, payment_id FROM refunds
                 WHERE status IN ('pending', 'failed') AND payment_id IS NOT NULL
                   AND updated_at < to_timestamp($1)
                 ORDER BY created_at LIMIT $2",
            )
            .bind(before.as_second())
            .bind(i64::from(limit))
            .fetch_all(&mut *c)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let payment_id: Uuid = row.try_get(4)?;
                let payment = payment_by_id(&mut c, payment_id)
                    .await?
                    .ok_or(StoreError::NotFound("payment"))?;
                out.push(UnfinishedRefund {
                    refund_id: row.try_get(0)?,
                    order_id: row.try_get(1)?,
                    amount: Money {
                        minor: row.try_get(2)?,
                        currency: payment.amount.currency,
                    },
                    reason: row.try_get(3)?,
                    payment,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn event_orders(&self, event_id: Uuid) -> Result<Vec<Uuid>, StoreError> {
        self.read(async {
            Ok(
                sqlx::query_scalar("SELECT id FROM orders WHERE event_id = $1 ORDER BY created_at")
                    .bind(event_id)
                    .fetch_all(self.pool())
                    .await?,
            )
        })
        .await
    }

    async fn order_refunded_minor(&self, order_id: Uuid) -> Result<i64, StoreError> {
        self.read(async {
            Ok(sqlx::query_scalar(
                "SELECT coalesce(sum(amount_minor), 0)::bigint FROM refunds WHERE order_id = $1",
            )
            .bind(order_id)
            .fetch_one(self.pool())
            .await?)
        })
        .await
    }
}
