//! Orders: reservations that hold tickets for a while, then are paid, cancelled or expire.
//!
//! The rules that decide an outcome (may these tickets be reserved now, which status
//! changes are allowed) live here, so both backends apply the same ones; each backend only
//! makes the read-check-write atomic and keeps the capacity counters
//! (`ticket_types.held`, `events.held`: tickets of live reservations plus sold ones).
//!
//! # Never oversell
//!
//! A reservation reads the event and its ticket types, checks them with
//! [`check_reservation`] and raises the counters in one transaction that holds the event's
//! row (SQLite: the single writer; PostgreSQL: `SELECT … FOR UPDATE` on the event), so
//! reservations of one event queue up and each sees the last one's counters. Reservations
//! of that event that are past their expiry are let go in the same transaction first, so
//! a sold-out event frees up the moment a hold lapses, before the sweeper comes by.

use super::StoreError;
use async_trait::async_trait;
use hafla_core::money::{Currency, Money};
use hafla_core::wire::EventStatus;
pub use hafla_core::wire::OrderStatus;
use hafla_core::{Bilingual, Lang};
use uuid::Uuid;

/// How long an unpaid reservation holds its tickets unless configured otherwise.
pub const DEFAULT_HOLD: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);
/// Most lines (ticket types) in one order.
pub const MAX_LINES: usize = 20;

/// Who changed an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    Buyer(Uuid),
    Organizer(Uuid),
    Admin(Uuid),
    /// A payment provider's notification or status answer.
    Provider,
    /// The server itself (the expiry sweep).
    System,
}

impl Actor {
    pub fn kind(self) -> &'static str {
        match self {
            Actor::Buyer(_) => "buyer",
            Actor::Organizer(_) => "organizer",
            Actor::Admin(_) => "admin",
            Actor::Provider => "provider",
            Actor::System => "system",
        }
    }

    pub fn id(self) -> Option<Uuid> {
        match self {
            Actor::Buyer(id) | Actor::Organizer(id) | Actor::Admin(id) => Some(id),
            Actor::Provider | Actor::System => None,
        }
    }
}

/// Tickets of one type asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineRequest {
    pub ticket_type_id: Uuid,
    pub quantity: u32,
}

/// A reservation to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOrder {
    pub id: Uuid,
    pub reference: String,
    pub buyer_id: Uuid,
    pub event_id: Uuid,
    pub lines: Vec<LineRequest>,
    pub lang: Lang,
    /// The buyer's key for this creation: the same key again gives back the same order.
    pub idempotency_key: Option<String>,
    pub hold: jiff::SignedDuration,
}

/// One line of an order, priced when it was reserved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderLine {
    pub ticket_type_id: Uuid,
    pub name: Bilingual,
    pub quantity: u32,
    pub unit_price: Money,
}

/// An order as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub id: Uuid,
    pub reference: String,
    pub buyer_id: Uuid,
    pub event_id: Uuid,
    pub organization_id: Uuid,
    pub status: OrderStatus,
    pub lines: Vec<OrderLine>,
    pub total: Money,
    pub payment_method: Option<String>,
    pub expires_at: jiff::Timestamp,
    pub lang: Lang,
    pub created_at: jiff::Timestamp,
    pub updated_at: jiff::Timestamp,
}

impl Order {
    /// The status as of `now`: an unpaid hold past its expiry is expired even before the
    /// sweep has recorded it.
    pub fn status_at(&self, now: jiff::Timestamp) -> OrderStatus {
        if self.status.is_unpaid_hold() && self.expires_at <= now {
            OrderStatus::Expired
        } else {
            self.status
        }
    }

    pub fn tickets(&self) -> u32 {
        self.lines.iter().map(|l| l.quantity).sum()
    }
}

/// One recorded status change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderTransition {
    pub from: Option<OrderStatus>,
    pub to: OrderStatus,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub reason: Option<String>,
    pub at: jiff::Timestamp,
}

/// Why tickets cannot be reserved: each a specific error for the buyer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckoutRefusal {
    #[error("the order has no tickets")]
    Empty,
    #[error("an order holds at most {MAX_LINES} ticket types")]
    TooManyLines,
    #[error("ticket type {0} is asked for twice")]
    RepeatedTicketType(Uuid),
    #[error("the event is not on sale")]
    EventNotOnSale,
    #[error("ticket type {0} is not one of this event's")]
    UnknownTicketType(Uuid),
    #[error("ticket type {ticket_type} goes on sale at {opens_at}")]
    NotOnSaleYet {
        ticket_type: Uuid,
        opens_at: jiff::Timestamp,
    },
    #[error("sales of ticket type {0} have ended")]
    SalesEnded(Uuid),
    #[error("at most {limit} tickets of type {ticket_type} per order")]
    OverOrderLimit { ticket_type: Uuid, limit: u32 },
    /// `ticket_type`: `None` when the event's own capacity is what runs out.
    #[error("only {left} tickets left")]
    SoldOut {
        ticket_type: Option<Uuid>,
        left: u32,
    },
    #[error("the ticket types of one order must share a currency")]
    MixedCurrencies,
    #[error("this idempotency key was used for a different order")]
    IdempotencyKeyReused,
}

/// The event as a reservation sees it.
#[derive(Clone, Debug)]
pub(crate) struct EventForSale {
    pub status: EventStatus,
    pub ends_at: jiff::Timestamp,
    pub capacity: Option<u32>,
    pub held: u32,
}

/// A ticket type as a reservation sees it.
#[derive(Clone, Debug)]
pub(crate) struct TypeForSale {
    pub id: Uuid,
    pub name: Bilingual,
    pub price: Money,
    pub capacity: u32,
    pub held: u32,
    pub sales_start: Option<jiff::Timestamp>,
    pub sales_end: Option<jiff::Timestamp>,
    pub per_order_limit: u32,
}

/// Checks a reservation against the event and its ticket types (all of the event's, as
/// stored now) and prices its lines, in the order asked. Quantities are checked by the
/// caller's parsing to be at least 1.
pub(crate) fn check_reservation(
    event: &EventForSale,
    types: &[TypeForSale],
    lines: &[LineRequest],
    now: jiff::Timestamp,
) -> Result<Vec<OrderLine>, CheckoutRefusal> {
    if lines.is_empty() || lines.iter().all(|l| l.quantity == 0) {
        return Err(CheckoutRefusal::Empty);
    }
    if lines.len() > MAX_LINES {
        return Err(CheckoutRefusal::TooManyLines);
    }
    if event.status != EventStatus::Published || event.ends_at <= now {
        return Err(CheckoutRefusal::EventNotOnSale);
    }
    let mut priced = Vec::with_capacity(lines.len());
    let mut wanted_total: u64 = 0;
    for (i, line) in lines.iter().enumerate() {
        if lines[..i]
            .iter()
            .any(|l| l.ticket_type_id == line.ticket_type_id)
        {
            return Err(CheckoutRefusal::RepeatedTicketType(line.ticket_type_id));
        }
        let t = types
            .iter()
            .find(|t| t.id == line.ticket_type_id)
            .ok_or(CheckoutRefusal::UnknownTicketType(line.ticket_type_id))?;
        if let Some(opens_at) = t.sales_start.filter(|start| *start > now) {
            return Err(CheckoutRefusal::NotOnSaleYet {
                ticket_type: t.id,
                opens_at,
            });
        }
        if t.sales_end.is_some_and(|end| end <= now) {
            return Err(CheckoutRefusal::SalesEnded(t.id));
        }
        if line.quantity > t.per_order_limit {
            return Err(CheckoutRefusal::OverOrderLimit {
                ticket_type: t.id,
                limit: t.per_order_limit,
            });
        }
        let left = t.capacity.saturating_sub(t.held);
        if line.quantity > left {
            return Err(CheckoutRefusal::SoldOut {
                ticket_type: Some(t.id),
                left,
            });
        }
        if priced
            .first()
            .is_some_and(|first: &OrderLine| first.unit_price.currency != t.price.currency)
        {
            return Err(CheckoutRefusal::MixedCurrencies);
        }
        wanted_total += u64::from(line.quantity);
        priced.push(OrderLine {
            ticket_type_id: t.id,
            name: t.name.clone(),
            quantity: line.quantity,
            unit_price: t.price,
        });
    }
    if let Some(capacity) = event.capacity {
        let left = capacity.saturating_sub(event.held);
        if wanted_total > u64::from(left) {
            return Err(CheckoutRefusal::SoldOut {
                ticket_type: None,
                left,
            });
        }
    }
    Ok(priced)
}

/// Whether the lines of an order whose hold lapsed still fit in what is left (capacity
/// only: the buyer reserved within the sales window and the order's limits).
pub(crate) fn still_fits(event: &EventForSale, types: &[TypeForSale], lines: &[OrderLine]) -> bool {
    let per_type = lines.iter().all(|line| {
        types
            .iter()
            .find(|t| t.id == line.ticket_type_id)
            .is_some_and(|t| t.capacity.saturating_sub(t.held) >= line.quantity)
    });
    let wanted: u32 = lines.iter().map(|l| l.quantity).sum();
    per_type
        && event
            .capacity
            .is_none_or(|capacity| capacity.saturating_sub(event.held) >= wanted)
}

/// The total of priced lines. Quantities are capped by the per-order limit (≤ 100) and
/// prices by the catalog's, so the sum cannot overflow an i64 of fils.
pub(crate) fn total(lines: &[OrderLine]) -> Money {
    let currency = lines
        .first()
        .map_or(Currency::JOD, |l| l.unit_price.currency);
    Money {
        minor: lines
            .iter()
            .map(|l| l.unit_price.minor * i64::from(l.quantity))
            .sum(),
        currency,
    }
}

/// Whether a stored order answers a retried creation: same event, same lines.
pub(crate) fn same_request(order: &Order, new: &NewOrder) -> bool {
    let mut asked: Vec<(Uuid, u32)> = new
        .lines
        .iter()
        .map(|l| (l.ticket_type_id, l.quantity))
        .collect();
    let mut stored: Vec<(Uuid, u32)> = order
        .lines
        .iter()
        .map(|l| (l.ticket_type_id, l.quantity))
        .collect();
    asked.sort();
    stored.sort();
    order.event_id == new.event_id && asked == stored
}

/// An order's columns as both backends read them (times in Unix seconds).
pub(crate) struct OrderRow {
    pub id: Uuid,
    pub reference: String,
    pub buyer_id: Uuid,
    pub event_id: Uuid,
    pub organization_id: Uuid,
    pub status: String,
    pub total_minor: i64,
    pub currency: String,
    pub payment_method: Option<String>,
    pub expires_at: i64,
    pub lang: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A line's columns, with its ticket type's name.
pub(crate) struct LineRow {
    pub ticket_type_id: Uuid,
    pub name_ar: String,
    pub name_en: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
}

fn corrupt(what: &str, value: impl std::fmt::Debug) -> StoreError {
    StoreError::Corrupt(format!("order {what} {value:?}"))
}

impl OrderRow {
    pub(crate) fn into_order(self, lines: Vec<LineRow>) -> Result<Order, StoreError> {
        use super::rows::timestamp;
        let currency = Currency::from_code(&self.currency)
            .ok_or_else(|| corrupt("currency", &self.currency))?;
        let lines = lines
            .into_iter()
            .map(|l| {
                Ok(OrderLine {
                    ticket_type_id: l.ticket_type_id,
                    name: Bilingual {
                        ar: l.name_ar,
                        en: l.name_en,
                    },
                    quantity: u32::try_from(l.quantity)
                        .map_err(|_| corrupt("quantity", l.quantity))?,
                    unit_price: Money {
                        minor: l.unit_price_minor,
                        currency,
                    },
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Order {
            id: self.id,
            status: OrderStatus::from_key(&self.status)
                .ok_or_else(|| corrupt("status", &self.status))?,
            lang: Lang::from_tag(&self.lang).ok_or_else(|| corrupt("lang", &self.lang))?,
            reference: self.reference,
            buyer_id: self.buyer_id,
            event_id: self.event_id,
            organization_id: self.organization_id,
            lines,
            total: Money {
                minor: self.total_minor,
                currency,
            },
            payment_method: self.payment_method,
            expires_at: timestamp(self.expires_at)?,
            created_at: timestamp(self.created_at)?,
            updated_at: timestamp(self.updated_at)?,
        })
    }
}

/// A recorded transition from its columns.
pub(crate) fn transition_from_row(
    from: Option<String>,
    to: String,
    actor_kind: String,
    actor_id: Option<Uuid>,
    reason: Option<String>,
    at: i64,
) -> Result<OrderTransition, StoreError> {
    let status = |key: &str| OrderStatus::from_key(key).ok_or_else(|| corrupt("status", key));
    Ok(OrderTransition {
        from: from.as_deref().map(status).transpose()?,
        to: status(&to)?,
        actor_kind,
        actor_id,
        reason,
        at: super::rows::timestamp(at)?,
    })
}

/// Letters and digits that cannot be mistaken for each other when read aloud or typed
/// (no 0/O, 1/I/L).
const REFERENCE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A new order reference: `HF-` and 7 characters (about 34 bits), easy to read out and to
/// type into a bank app's CliQ transfer note.
pub fn new_reference() -> String {
    let mut bytes = [0u8; 7];
    // The OS random source failing is not something a request can recover from; a
    // reference from the time keeps the order usable (uniqueness is still enforced).
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = jiff::Timestamp::now().as_nanosecond();
        bytes.copy_from_slice(&nanos.to_le_bytes()[..7]);
    }
    let code: String = bytes
        .iter()
        .map(|b| REFERENCE_ALPHABET[usize::from(*b) % REFERENCE_ALPHABET.len()] as char)
        .collect();
    format!("HF-{code}")
}

#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Reserves the tickets of `order` until `now + hold`, or refuses with
    /// [`StoreError::Checkout`]. With an idempotency key the buyer used before, returns
    /// that order instead (or refuses when the request differs).
    async fn reserve_order(
        &self,
        order: NewOrder,
        now: jiff::Timestamp,
    ) -> Result<Order, StoreError>;

    async fn order(&self, id: Uuid) -> Result<Option<Order>, StoreError>;

    /// The buyer's orders, newest first.
    async fn orders_of_buyer(&self, buyer_id: Uuid, limit: u32) -> Result<Vec<Order>, StoreError>;

    /// Cancels an unpaid order and lets its tickets go. `Transition` when it is not unpaid
    /// (or has expired: then it is recorded as expired).
    async fn cancel_order(
        &self,
        id: Uuid,
        actor: Actor,
        reason: Option<String>,
        now: jiff::Timestamp,
    ) -> Result<Order, StoreError>;

    /// Records as expired up to `limit` unpaid orders past their expiry and lets their
    /// tickets go; returns how many.
    async fn expire_orders(&self, now: jiff::Timestamp, limit: u32) -> Result<u32, StoreError>;

    /// Every status change of the order, oldest first.
    async fn order_transitions(&self, id: Uuid) -> Result<Vec<OrderTransition>, StoreError>;

    /// Caps the tickets of the whole event (`None`: only the ticket types' own capacities).
    /// `Conflict("capacity")` when more tickets than that are already held or sold.
    async fn set_event_capacity(
        &self,
        event_id: Uuid,
        capacity: Option<u32>,
    ) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> jiff::Timestamp {
        s.parse().unwrap()
    }

    fn event() -> EventForSale {
        EventForSale {
            status: EventStatus::Published,
            ends_at: ts("2026-12-31T20:00:00Z"),
            capacity: None,
            held: 0,
        }
    }

    fn kind(capacity: u32, held: u32) -> TypeForSale {
        TypeForSale {
            id: Uuid::now_v7(),
            name: Bilingual::new("عام", "General").unwrap(),
            price: Money::jod_fils(12_500),
            capacity,
            held,
            sales_start: None,
            sales_end: None,
            per_order_limit: 10,
        }
    }

    fn line(t: &TypeForSale, quantity: u32) -> LineRequest {
        LineRequest {
            ticket_type_id: t.id,
            quantity,
        }
    }

    const NOW: &str = "2026-11-25T10:00:00Z";

    #[test]
    fn a_reservation_is_priced_line_by_line_in_fils() {
        let (a, b) = (kind(100, 0), kind(50, 0));
        let lines = check_reservation(
            &event(),
            &[a.clone(), b.clone()],
            &[line(&b, 2), line(&a, 3)],
            ts(NOW),
        )
        .unwrap();
        assert_eq!(lines[0].ticket_type_id, b.id);
        assert_eq!(total(&lines), Money::jod_fils(62_500));
    }

    #[test]
    fn the_last_tickets_can_be_taken_and_not_one_more() {
        let t = kind(10, 8);
        assert!(
            check_reservation(&event(), std::slice::from_ref(&t), &[line(&t, 2)], ts(NOW)).is_ok()
        );
        assert_eq!(
            check_reservation(&event(), std::slice::from_ref(&t), &[line(&t, 3)], ts(NOW)),
            Err(CheckoutRefusal::SoldOut {
                ticket_type: Some(t.id),
                left: 2
            })
        );
        let capped = EventForSale {
            capacity: Some(12),
            held: 11,
            ..event()
        };
        assert_eq!(
            check_reservation(&capped, std::slice::from_ref(&t), &[line(&t, 2)], ts(NOW)),
            Err(CheckoutRefusal::SoldOut {
                ticket_type: None,
                left: 1
            })
        );
    }

    #[test]
    fn sales_windows_limits_and_foreign_types_are_refused_by_name() {
        let mut t = kind(100, 0);
        t.sales_start = Some(ts("2026-12-01T00:00:00Z"));
        assert!(matches!(
            check_reservation(&event(), std::slice::from_ref(&t), &[line(&t, 1)], ts(NOW)),
            Err(CheckoutRefusal::NotOnSaleYet { .. })
        ));
        t.sales_start = None;
        t.sales_end = Some(ts(NOW));
        assert_eq!(
            check_reservation(&event(), std::slice::from_ref(&t), &[line(&t, 1)], ts(NOW)),
            Err(CheckoutRefusal::SalesEnded(t.id))
        );
        t.sales_end = None;
        assert_eq!(
            check_reservation(&event(), std::slice::from_ref(&t), &[line(&t, 11)], ts(NOW)),
            Err(CheckoutRefusal::OverOrderLimit {
                ticket_type: t.id,
                limit: 10
            })
        );
        let foreign = kind(5, 0);
        assert_eq!(
            check_reservation(
                &event(),
                std::slice::from_ref(&t),
                &[line(&foreign, 1)],
                ts(NOW)
            ),
            Err(CheckoutRefusal::UnknownTicketType(foreign.id))
        );
        assert_eq!(
            check_reservation(
                &event(),
                std::slice::from_ref(&t),
                &[line(&t, 1), line(&t, 1)],
                ts(NOW)
            ),
            Err(CheckoutRefusal::RepeatedTicketType(t.id))
        );
        assert_eq!(
            check_reservation(&event(), std::slice::from_ref(&t), &[], ts(NOW)),
            Err(CheckoutRefusal::Empty)
        );
        let draft = EventForSale {
            status: EventStatus::Draft,
            ..event()
        };
        assert_eq!(
            check_reservation(&draft, std::slice::from_ref(&t), &[line(&t, 1)], ts(NOW)),
            Err(CheckoutRefusal::EventNotOnSale)
        );
    }

    #[test]
    fn an_unpaid_order_past_its_expiry_reads_as_expired() {
        let order = Order {
            id: Uuid::now_v7(),
            reference: new_reference(),
            buyer_id: Uuid::now_v7(),
            event_id: Uuid::now_v7(),
            organization_id: Uuid::now_v7(),
            status: OrderStatus::Reserved,
            lines: vec![],
            total: Money::jod_fils(0),
            payment_method: None,
            expires_at: ts(NOW),
            lang: Lang::Ar,
            created_at: ts(NOW),
            updated_at: ts(NOW),
        };
        assert_eq!(
            order.status_at(ts("2026-11-25T09:59:59Z")),
            OrderStatus::Reserved
        );
        assert_eq!(order.status_at(ts(NOW)), OrderStatus::Expired);
        let paid = Order {
            status: OrderStatus::Paid,
            ..order
        };
        assert_eq!(
            paid.status_at(ts("2027-01-01T00:00:00Z")),
            OrderStatus::Paid
        );
    }

    #[test]
    fn references_are_short_and_unambiguous() {
        let r = new_reference();
        assert_eq!(r.len(), 10);
        assert!(r.starts_with("HF-"));
        assert!(r[3..].bytes().all(|b| REFERENCE_ALPHABET.contains(&b)));
        assert_ne!(new_reference(), new_reference());
    }
}
