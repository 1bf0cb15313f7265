//! Paying for orders: payment attempts, what providers report about them, and the tickets
//! a paid order gets.
//!
//! # Every payment ends in tickets or a refund
//!
//! A provider's report is applied at most once ([`PaymentStore::apply_payment`] records its
//! dedupe key in the same transaction). When money arrives for an order that is still
//! waiting, the order is paid and its tickets issued. When it arrives late (the order
//! expired, or the buyer cancelled it while paying), the tickets are reserved again if
//! there is still room, and the order is paid; if not, the answer says the payment must be
//! refunded, and the caller refunds it through the provider and records it
//! ([`PaymentStore::record_refund`]). The decision is [`settle`], shared by both backends.

use super::StoreError;
use super::orders::{Actor, Order, OrderStatus};
use async_trait::async_trait;
use hafla_core::money::Money;
use uuid::Uuid;

/// Where a payment attempt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentStatus {
    Pending,
    Paid,
    Declined,
    Cancelled,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 4] = [
        PaymentStatus::Pending,
        PaymentStatus::Paid,
        PaymentStatus::Declined,
        PaymentStatus::Cancelled,
    ];

    pub fn key(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Declined => "declined",
            PaymentStatus::Cancelled => "cancelled",
        }
    }

    pub fn from_key(key: &str) -> Option<PaymentStatus> {
        PaymentStatus::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// One attempt to pay an order at a provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    pub id: Uuid,
    pub order_id: Uuid,
    pub provider: String,
    pub provider_ref: Option<String>,
    /// The provider's page for this attempt, once opened.
    pub redirect_url: Option<String>,
    pub amount: Money,
    pub status: PaymentStatus,
    pub created_at: jiff::Timestamp,
}

/// A payment attempt to record when checkout starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPayment {
    pub id: Uuid,
    /// `sandbox`, `paytabs`, `cliq`.
    pub provider: String,
    /// The order's total (checked by the store).
    pub amount: Money,
    /// A new expiry for the order's hold (a CliQ transfer waits longer), or keep its own.
    pub hold_until: Option<jiff::Timestamp>,
    /// The buyer's key for this attempt: a retry with it finds this attempt.
    pub idempotency_key: Option<String>,
}

/// What a provider reported, as the store applies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reported {
    Pending,
    Paid { amount: Money },
    Declined { reason: String },
    Cancelled,
}

/// What applying a report did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// This report (its dedupe key) was applied before, or changes nothing: nothing done.
    Unchanged,
    /// The order is paid and its tickets issued (`late`: after its hold had lapsed, with
    /// tickets still to be had).
    Paid { order: Order, late: bool },
    /// The money came but the order cannot have its tickets (it expired and they are gone,
    /// or it was cancelled): the payment must be refunded through its provider.
    MustRefund { order: Order, payment: Payment },
    /// The provider reports a different amount than the order's: nothing issued; the
    /// payment must be looked at (and refunded).
    AmountMismatch { order: Order, payment: Payment },
    /// Declined or cancelled at the provider: the order keeps its hold until it lapses, so
    /// the buyer can try again.
    Failed { order: Order },
}

/// What to do with money that arrived for `order`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Settlement {
    /// The order was waiting: pay it.
    Pay,
    /// Its hold lapsed: reserve its tickets again if they are there, then pay it.
    ReserveAgainThenPay,
    /// Cancelled by the buyer, or already paid by another attempt: give the money back.
    Refund,
}

/// Decides what money for `order` (as stored, at `now`) does.
pub(crate) fn settle(order: &Order, now: jiff::Timestamp) -> Settlement {
    match (order.status, order.status_at(now)) {
        (OrderStatus::Expired, _) => Settlement::ReserveAgainThenPay,
        (status, OrderStatus::Expired) if status.is_unpaid_hold() => {
            Settlement::ReserveAgainThenPay
        }
        (status, _) if status.is_unpaid_hold() => Settlement::Pay,
        _ => Settlement::Refund,
    }
}

/// The status recorded for a payment after a report.
pub(crate) fn status_of(reported: &Reported) -> PaymentStatus {
    match reported {
        Reported::Pending => PaymentStatus::Pending,
        Reported::Paid { .. } => PaymentStatus::Paid,
        Reported::Declined { .. } => PaymentStatus::Declined,
        Reported::Cancelled => PaymentStatus::Cancelled,
    }
}

/// A ticket of a paid order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket {
    pub id: Uuid,
    pub order_id: Uuid,
    pub event_id: Uuid,
    pub ticket_type_id: Uuid,
    /// Numbered within its event from 1: the credential's ticket serial.
    pub serial: u32,
    /// The event's compact number in credentials.
    pub event_ref: u32,
    pub holder_id: Uuid,
    pub valid: bool,
    pub issued_at: jiff::Timestamp,
}

/// A refund to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRefund {
    pub id: Uuid,
    pub order_id: Uuid,
    pub payment_id: Option<Uuid>,
    pub amount: Money,
    pub reason: String,
    /// The provider's reference when it has refunded; `None` while pending or failed.
    pub provider_ref: Option<String>,
    pub done: bool,
    pub actor: Actor,
}

/// A payment's columns as both backends read them (times in Unix seconds).
pub(crate) struct PaymentRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub provider: String,
    pub provider_ref: Option<String>,
    pub redirect_url: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub status: String,
    pub created_at: i64,
}

impl PaymentRow {
    pub(crate) fn into_payment(self) -> Result<Payment, StoreError> {
        let corrupt =
            |what: &str, value: &str| StoreError::Corrupt(format!("payment {what} {value:?}"));
        Ok(Payment {
            amount: Money {
                minor: self.amount_minor,
                currency: hafla_core::money::Currency::from_code(&self.currency)
                    .ok_or_else(|| corrupt("currency", &self.currency))?,
            },
            status: PaymentStatus::from_key(&self.status)
                .ok_or_else(|| corrupt("status", &self.status))?,
            created_at: super::rows::timestamp(self.created_at)?,
            id: self.id,
            order_id: self.order_id,
            provider: self.provider,
            provider_ref: self.provider_ref,
            redirect_url: self.redirect_url,
        })
    }
}

/// A ticket's columns (with its event's credential number) as both backends read them.
pub(crate) struct TicketRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub event_id: Uuid,
    pub ticket_type_id: Uuid,
    pub serial: i64,
    pub event_ref: i64,
    pub holder_id: Uuid,
    pub status: String,
    pub issued_at: i64,
}

impl TicketRow {
    pub(crate) fn into_ticket(self) -> Result<Ticket, StoreError> {
        let number = |what: &str, value: i64| {
            u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("ticket {what} {value}")))
        };
        Ok(Ticket {
            serial: number("serial", self.serial)?,
            event_ref: number("event ref", self.event_ref)?,
            valid: self.status == "valid",
            issued_at: super::rows::timestamp(self.issued_at)?,
            id: self.id,
            order_id: self.order_id,
            event_id: self.event_id,
            ticket_type_id: self.ticket_type_id,
            holder_id: self.holder_id,
        })
    }
}

/// Why a ticket stopped being valid; door lists carry it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revocation {
    Refunded,
    /// The event was called off.
    Cancelled,
    Transferred,
}

impl Revocation {
    pub fn key(self) -> &'static str {
        match self {
            Revocation::Refunded => "refunded",
            Revocation::Cancelled => "cancelled",
            Revocation::Transferred => "transferred",
        }
    }
}

/// Why a ticket is being revoked and by whom.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RevokeCause<'a> {
    pub reason: Revocation,
    pub note: Option<&'a str>,
    pub actor: Actor,
    /// The refund that revokes it, if one does.
    pub refund_id: Option<Uuid>,
    /// Whether its place goes back on sale (not for a transfer: the new ticket takes it).
    pub release_place: bool,
}

/// A refund an organizer (or the event's cancellation) asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRequestPlan {
    pub refund_id: Uuid,
    pub order_id: Uuid,
    /// The tickets to revoke; `None`: every valid ticket of the order.
    pub tickets: Option<Vec<Uuid>>,
    /// The money to give back; `None`: the price of the revoked tickets.
    pub amount: Option<Money>,
    pub reason: String,
    pub revocation: Revocation,
    pub actor: Actor,
}

/// Why a refund cannot be made as asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefundRefusal {
    #[error("ticket {0} is not a ticket of this order")]
    UnknownTicket(Uuid),
    #[error("ticket {0} is no longer valid")]
    TicketNotValid(Uuid),
    #[error("at most {refundable} can be refunded")]
    ExceedsPaid { refundable: Money },
    #[error("nothing to refund")]
    Nothing,
}

/// A refund begun: its tickets are revoked; the money goes back through `payment` (when
/// there is money and a payment to return it through).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BegunRefund {
    pub order: Order,
    pub revoked: Vec<Uuid>,
    /// The money to return, recorded as a pending refund; `None` for a free order.
    pub amount: Option<Money>,
    pub payment: Option<Payment>,
}

/// The tickets to revoke and the money to return for `request` on `order`, whose valid
/// tickets (with their unit prices) are `valid` and which has had `refunded` returned.
pub(crate) fn plan_refund(
    order: &Order,
    valid: &[(Uuid, Money)],
    all_tickets: &[Uuid],
    refunded: i64,
    request: &RefundRequestPlan,
) -> Result<(Vec<Uuid>, Money), StoreError> {
    if !matches!(
        order.status,
        OrderStatus::Paid | OrderStatus::PartlyRefunded
    ) {
        return Err(StoreError::OrderTransition { from: order.status });
    }
    let revoke: Vec<Uuid> = match &request.tickets {
        None => valid.iter().map(|(id, _)| *id).collect(),
        Some(ids) => {
            for id in ids {
                if !all_tickets.contains(id) {
                    return Err(RefundRefusal::UnknownTicket(*id).into());
                }
                if !valid.iter().any(|(v, _)| v == id) {
                    return Err(RefundRefusal::TicketNotValid(*id).into());
                }
            }
            ids.clone()
        }
    };
    let price: i64 = valid
        .iter()
        .filter(|(id, _)| revoke.contains(id))
        .map(|(_, price)| price.minor)
        .sum();
    let refundable = Money {
        minor: order.total.minor - refunded,
        currency: order.total.currency,
    };
    let amount = request.amount.unwrap_or(Money {
        minor: price.min(refundable.minor),
        currency: order.total.currency,
    });
    if amount.minor < 0 || amount.minor > refundable.minor || amount.currency != refundable.currency
    {
        return Err(RefundRefusal::ExceedsPaid { refundable }.into());
    }
    if revoke.is_empty() && amount.minor == 0 {
        return Err(RefundRefusal::Nothing.into());
    }
    Ok((revoke, amount))
}

/// An order's status once `revoked_now` more of its tickets are revoked.
pub(crate) fn status_after_refund(
    all: usize,
    revoked_before: usize,
    revoked_now: usize,
) -> OrderStatus {
    if revoked_before + revoked_now >= all {
        OrderStatus::Refunded
    } else {
        OrderStatus::PartlyRefunded
    }
}

/// A refund still to be made through its provider (its call failed, or the server stopped
/// in between).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnfinishedRefund {
    pub refund_id: Uuid,
    pub order_id: Uuid,
    pub amount: Money,
    pub reason: String,
    pub payment: Payment,
}

#[async_trait]
pub trait PaymentStore: Send + Sync {
    /// Starts paying an order that holds its tickets (reserved, or awaiting an earlier
    /// attempt): it awaits payment by `payment.provider` from now. `OrderTransition` when
    /// the order is paid, cancelled or expired.
    async fn start_payment(
        &self,
        order_id: Uuid,
        payment: NewPayment,
        actor: Actor,
        now: jiff::Timestamp,
    ) -> Result<Order, StoreError>;

    /// Pays a free order at once and issues its tickets.
    async fn complete_free_order(
        &self,
        order_id: Uuid,
        actor: Actor,
        now: jiff::Timestamp,
    ) -> Result<Order, StoreError>;

    /// Records the provider's reference of a payment and its page once the provider has
    /// opened it.
    async fn set_provider_ref(
        &self,
        payment_id: Uuid,
        provider_ref: &str,
        redirect_url: &str,
    ) -> Result<(), StoreError>;

    /// The attempt to pay `order_id` started with this idempotency key, if any.
    async fn payment_by_idempotency_key(
        &self,
        order_id: Uuid,
        key: &str,
    ) -> Result<Option<Payment>, StoreError>;

    async fn payment(&self, id: Uuid) -> Result<Option<Payment>, StoreError>;

    /// Payments still pending that were started before `before`, oldest first: the ones
    /// reconciliation asks their provider about.
    async fn pending_payments(
        &self,
        before: jiff::Timestamp,
        limit: u32,
    ) -> Result<Vec<Payment>, StoreError>;

    /// Applies a provider's report on payment `payment_id`, once per `dedupe_key`.
    async fn apply_payment(
        &self,
        payment_id: Uuid,
        dedupe_key: &str,
        reported: Reported,
        now: jiff::Timestamp,
    ) -> Result<Applied, StoreError>;

    async fn record_refund(
        &self,
        refund: NewRefund,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError>;

    /// The tickets of an order, by serial.
    async fn order_tickets(&self, order_id: Uuid) -> Result<Vec<Ticket>, StoreError>;

    /// The payment attempts of an order, oldest first.
    async fn order_payments(&self, order_id: Uuid) -> Result<Vec<Payment>, StoreError>;

    /// Where buyers send CliQ transfers for the organization's orders; `None`: no CliQ.
    async fn cliq_alias(&self, organization_id: Uuid) -> Result<Option<String>, StoreError>;

    async fn set_cliq_alias(
        &self,
        organization_id: Uuid,
        alias: Option<String>,
    ) -> Result<(), StoreError>;

    /// Revokes the tickets of a refund, lets their places go back on sale, moves the order
    /// to (partly) refunded and records the money to return as a pending refund, all at
    /// once; the caller then returns the money and calls [`Self::finish_refund`].
    async fn begin_refund(
        &self,
        request: RefundRequestPlan,
        now: jiff::Timestamp,
    ) -> Result<BegunRefund, StoreError>;

    /// Records the provider's answer to a refund: done (with its reference) or failed (to
    /// be tried again).
    async fn finish_refund(
        &self,
        refund_id: Uuid,
        provider_ref: Option<String>,
        done: bool,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError>;

    /// Refunds pending or failed since before `before`, oldest first.
    async fn unfinished_refunds(
        &self,
        before: jiff::Timestamp,
        limit: u32,
    ) -> Result<Vec<UnfinishedRefund>, StoreError>;

    /// The money refunded (or being refunded) on an order, in minor units.
    async fn order_refunded_minor(&self, order_id: Uuid) -> Result<i64, StoreError>;

    /// The orders of an event, any status (for calling an event off).
    async fn event_orders(&self, event_id: Uuid) -> Result<Vec<Uuid>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use hafla_core::Lang;

    fn order(status: OrderStatus, expires_at: &str) -> Order {
        let at: jiff::Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
        Order {
            id: Uuid::now_v7(),
            reference: "HF-2345678".into(),
            buyer_id: Uuid::now_v7(),
            event_id: Uuid::now_v7(),
            organization_id: Uuid::now_v7(),
            status,
            lines: vec![],
            total: Money::jod_fils(10_000),
            payment_method: Some("sandbox".into()),
            expires_at: expires_at.parse().unwrap(),
            lang: Lang::Ar,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn money_for_a_waiting_order_pays_it_and_late_money_tries_to_reserve_again() {
        let now: jiff::Timestamp = "2026-11-25T10:05:00Z".parse().unwrap();
        let waiting = order(OrderStatus::AwaitingPayment, "2026-11-25T10:10:00Z");
        assert_eq!(settle(&waiting, now), Settlement::Pay);
        let lapsed = order(OrderStatus::AwaitingPayment, "2026-11-25T10:04:00Z");
        assert_eq!(settle(&lapsed, now), Settlement::ReserveAgainThenPay);
        let swept = order(OrderStatus::Expired, "2026-11-25T10:04:00Z");
        assert_eq!(settle(&swept, now), Settlement::ReserveAgainThenPay);
        for status in [
            OrderStatus::Cancelled,
            OrderStatus::Paid,
            OrderStatus::Refunded,
            OrderStatus::PartlyRefunded,
        ] {
            assert_eq!(
                settle(&order(status, "2026-11-25T10:10:00Z"), now),
                Settlement::Refund,
                "{status:?}"
            );
        }
    }
}
