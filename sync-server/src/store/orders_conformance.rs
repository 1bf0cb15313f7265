//! Order scenarios of the conformance suite: both backends reserve, refuse, expire and
//! cancel alike, and neither oversells when buyers race for the last tickets.

use super::orders::{Actor, CheckoutRefusal, LineRequest, NewOrder, OrderStatus, new_reference};
use super::{NewEvent, NewOrganization, NewTicketType, Store, StoreError};
use hafla_core::money::Money;
use hafla_core::places::{City, GeoPoint};
use hafla_core::wire::{Category, EventStatus, Venue};
use hafla_core::{Bilingual, Lang};
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use uuid::Uuid;

pub(super) async fn run<F, Fut>(fresh: &F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    a_reservation_holds_tickets_and_records_its_creation(fresh().await).await;
    buyers_racing_for_the_last_tickets_get_exactly_the_capacity(fresh().await).await;
    an_expired_reservation_gives_its_tickets_back(fresh().await).await;
    a_retried_creation_with_the_same_key_gives_the_same_order(fresh().await).await;
    refused_reservations_change_nothing(fresh().await).await;
    ticket_types_with_orders_cannot_be_removed_or_shrunk_below_them(fresh().await).await;
}

pub(super) fn now() -> Timestamp {
    "2026-11-25T10:00:00Z".parse().expect("timestamp")
}

pub(super) struct Sale {
    pub event: NewEvent,
    pub event_id: Uuid,
    pub general: Uuid,
    pub vip: Uuid,
}

/// A published concert with General (capacity `general`) and VIP (capacity 5) tickets.
pub(super) async fn sale(
    store: &Arc<dyn Store>,
    general: u32,
    event_capacity: Option<u32>,
) -> Sale {
    let org = NewOrganization {
        id: Uuid::now_v7(),
        name: Bilingual::new("سهرة لايف", "Sahra Live").expect("name"),
    };
    let general_type = NewTicketType::simple(
        Uuid::now_v7(),
        Bilingual::new("عام", "General").expect("name"),
        Money::jod_fils(15_000),
        general,
    );
    let vip_type = NewTicketType::simple(
        Uuid::now_v7(),
        Bilingual::new("كبار الشخصيات", "VIP").expect("name"),
        Money::jod_fils(45_500),
        5,
    );
    let text = |ar: &str, en: &str| Bilingual::new(ar, en).expect("text");
    let event = NewEvent {
        id: Uuid::now_v7(),
        organization_id: org.id,
        status: EventStatus::Published,
        title: text("حفلة عمّان", "Amman Concert"),
        description: text("", "A night of music"),
        category: Category::Music,
        venue: Venue {
            name: text("المدرج الروماني", "Roman Theatre"),
            address: text("وسط البلد", "Downtown"),
            city: City::Amman,
            location: GeoPoint {
                lat: 31.9515,
                lng: 35.9396,
            },
        },
        starts_at: now() + SignedDuration::from_hours(24 * 10),
        ends_at: now() + SignedDuration::from_hours(24 * 10 + 3),
        time_zone: "Asia/Amman".into(),
        tags: vec![],
        ticket_types: vec![general_type.clone(), vip_type.clone()],
    };
    let sale = Sale {
        event: event.clone(),
        event_id: event.id,
        general: general_type.id,
        vip: vip_type.id,
    };
    store
        .insert_catalog(vec![org], vec![event])
        .await
        .expect("catalog");
    if let Some(capacity) = event_capacity {
        store
            .set_event_capacity(sale.event_id, Some(capacity))
            .await
            .expect("capacity");
    }
    sale
}

pub(super) async fn buyer(store: &Arc<dyn Store>) -> Uuid {
    let user = super::conformance::user(Some(&format!("{}@example.jo", Uuid::now_v7())), None);
    let id = user.id;
    store.create_user(user).await.expect("user");
    id
}

pub(super) fn order(buyer_id: Uuid, event_id: Uuid, lines: &[(Uuid, u32)]) -> NewOrder {
    NewOrder {
        id: Uuid::now_v7(),
        reference: new_reference(),
        buyer_id,
        event_id,
        lines: lines
            .iter()
            .map(|&(ticket_type_id, quantity)| LineRequest {
                ticket_type_id,
                quantity,
            })
            .collect(),
        lang: Lang::Ar,
        idempotency_key: None,
        hold: SignedDuration::from_mins(10),
    }
}

fn refusal(result: Result<super::orders::Order, StoreError>) -> CheckoutRefusal {
    match result {
        Err(StoreError::Checkout(refusal)) => refusal,
        other => panic!("expected a checkout refusal, got {other:?}"),
    }
}

async fn a_reservation_holds_tickets_and_records_its_creation(store: Arc<dyn Store>) {
    let s = sale(&store, 100, None).await;
    let b = buyer(&store).await;
    let o = store
        .reserve_order(order(b, s.event_id, &[(s.vip, 2), (s.general, 3)]), now())
        .await
        .expect("reserve");
    assert_eq!(o.status, OrderStatus::Reserved);
    assert_eq!(o.total, Money::jod_fils(2 * 45_500 + 3 * 15_000));
    assert_eq!(o.expires_at, now() + SignedDuration::from_mins(10));
    assert_eq!(o.tickets(), 5);
    assert_eq!(store.order(o.id).await.expect("read"), Some(o.clone()));
    assert_eq!(
        store.orders_of_buyer(b, 10).await.expect("list"),
        vec![o.clone()]
    );
    let trail = store.order_transitions(o.id).await.expect("trail");
    assert_eq!(trail.len(), 1);
    assert_eq!((trail[0].from, trail[0].to), (None, OrderStatus::Reserved));
    assert_eq!(trail[0].actor_id, Some(b));

    let cancelled = store
        .cancel_order(o.id, Actor::Buyer(b), Some("changed my mind".into()), now())
        .await
        .expect("cancel");
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert!(matches!(
        store.cancel_order(o.id, Actor::Buyer(b), None, now()).await,
        Err(StoreError::OrderTransition {
            from: OrderStatus::Cancelled
        })
    ));
    // All five VIP tickets are free again.
    store
        .reserve_order(order(b, s.event_id, &[(s.vip, 5)]), now())
        .await
        .expect("the cancelled order's tickets are back");
}

async fn buyers_racing_for_the_last_tickets_get_exactly_the_capacity(store: Arc<dyn Store>) {
    // 30 General and 5 VIP tickets, an event capped at 32, and 40 buyers wanting one
    // ticket each (10 of them VIP), all at once: whatever the order they are served in,
    // exactly 32 tickets are sold, none over a type's capacity.
    let s = sale(&store, 30, Some(32)).await;
    let mut buyers = Vec::new();
    for _ in 0..40 {
        buyers.push(buyer(&store).await);
    }
    let attempts: Vec<_> = buyers
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let store = store.clone();
            let wanted = if i % 4 == 0 { s.vip } else { s.general };
            let new = order(b, s.event_id, &[(wanted, 1)]);
            tokio::spawn(async move { store.reserve_order(new, now()).await })
        })
        .collect();
    let (mut general, mut vip, mut refused) = (0, 0, 0);
    for attempt in attempts {
        match attempt.await.expect("task") {
            Ok(o) if o.lines[0].ticket_type_id == s.general => general += 1,
            Ok(_) => vip += 1,
            Err(StoreError::Checkout(CheckoutRefusal::SoldOut { .. })) => refused += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(general <= 30 && vip <= 5, "{general} general, {vip} VIP");
    assert_eq!(general + vip, 32, "{general} general + {vip} VIP");
    assert_eq!(refused, 8);
    let late = buyer(&store).await;
    assert!(matches!(
        refusal(
            store
                .reserve_order(order(late, s.event_id, &[(s.general, 1)]), now())
                .await
        ),
        CheckoutRefusal::SoldOut { left: 0, .. }
    ));
}

async fn an_expired_reservation_gives_its_tickets_back(store: Arc<dyn Store>) {
    let s = sale(&store, 4, None).await;
    let (first, second) = (buyer(&store).await, buyer(&store).await);
    let held = store
        .reserve_order(order(first, s.event_id, &[(s.general, 4)]), now())
        .await
        .expect("reserve");
    assert!(matches!(
        refusal(
            store
                .reserve_order(order(second, s.event_id, &[(s.general, 1)]), now())
                .await
        ),
        CheckoutRefusal::SoldOut { left: 0, .. }
    ));
    let later = now() + SignedDuration::from_mins(10);
    assert_eq!(
        store
            .order(held.id)
            .await
            .expect("read")
            .expect("order")
            .status_at(later),
        OrderStatus::Expired,
        "expired on read before any sweep"
    );
    // The next reservation lets the lapsed hold go by itself, before the sweep.
    store
        .reserve_order(order(second, s.event_id, &[(s.general, 4)]), later)
        .await
        .expect("the lapsed hold's tickets are back");
    let lapsed = store.order(held.id).await.expect("read").expect("order");
    assert_eq!(lapsed.status, OrderStatus::Expired);
    let trail = store.order_transitions(held.id).await.expect("trail");
    assert_eq!(
        trail.last().map(|t| (t.to, t.actor_kind.as_str())),
        Some((OrderStatus::Expired, "system"))
    );
    assert!(matches!(
        store
            .cancel_order(held.id, Actor::Buyer(first), None, later)
            .await,
        Err(StoreError::OrderTransition {
            from: OrderStatus::Expired
        })
    ));

    // The sweep expires what is due, once.
    let third = buyer(&store).await;
    let vip = store
        .reserve_order(order(third, s.event_id, &[(s.vip, 5)]), later)
        .await
        .expect("reserve");
    let much_later = later + SignedDuration::from_mins(30);
    assert!(store.expire_orders(much_later, 100).await.expect("sweep") >= 2);
    assert_eq!(
        store.expire_orders(much_later, 100).await.expect("sweep"),
        0
    );
    assert_eq!(
        store
            .order(vip.id)
            .await
            .expect("read")
            .expect("order")
            .status,
        OrderStatus::Expired
    );
    store
        .reserve_order(
            order(third, s.event_id, &[(s.vip, 5), (s.general, 4)]),
            much_later,
        )
        .await
        .expect("everything is back on sale");
}

async fn a_retried_creation_with_the_same_key_gives_the_same_order(store: Arc<dyn Store>) {
    let s = sale(&store, 10, None).await;
    let b = buyer(&store).await;
    let keyed = |lines: &[(Uuid, u32)]| NewOrder {
        idempotency_key: Some("checkout-7f3a".into()),
        ..order(b, s.event_id, lines)
    };
    let first = store
        .reserve_order(keyed(&[(s.general, 2)]), now())
        .await
        .expect("reserve");
    let retried = store
        .reserve_order(keyed(&[(s.general, 2)]), now())
        .await
        .expect("retry");
    assert_eq!(retried, first);
    assert_eq!(store.orders_of_buyer(b, 10).await.expect("list").len(), 1);
    assert_eq!(
        refusal(store.reserve_order(keyed(&[(s.general, 3)]), now()).await),
        CheckoutRefusal::IdempotencyKeyReused
    );
    // Another buyer's same key is theirs alone.
    let other = buyer(&store).await;
    let theirs = NewOrder {
        idempotency_key: Some("checkout-7f3a".into()),
        ..order(other, s.event_id, &[(s.general, 1)])
    };
    assert_ne!(
        store
            .reserve_order(theirs, now())
            .await
            .expect("reserve")
            .id,
        first.id
    );
}

async fn refused_reservations_change_nothing(store: Arc<dyn Store>) {
    let s = sale(&store, 3, None).await;
    let b = buyer(&store).await;
    let foreign = Uuid::now_v7();
    assert_eq!(
        refusal(
            store
                .reserve_order(order(b, s.event_id, &[(s.general, 1), (foreign, 1)]), now())
                .await
        ),
        CheckoutRefusal::UnknownTicketType(foreign)
    );
    assert!(matches!(
        refusal(
            store
                .reserve_order(order(b, s.event_id, &[(s.general, 11)]), now())
                .await
        ),
        CheckoutRefusal::OverOrderLimit { limit: 10, .. }
    ));
    assert!(matches!(
        store
            .reserve_order(order(b, Uuid::now_v7(), &[(s.general, 1)]), now())
            .await,
        Err(StoreError::NotFound("event"))
    ));
    assert!(store.orders_of_buyer(b, 10).await.expect("list").is_empty());
    // Nothing was held by the refusals: all three are still there.
    store
        .reserve_order(order(b, s.event_id, &[(s.general, 3)]), now())
        .await
        .expect("all three left");
}

async fn ticket_types_with_orders_cannot_be_removed_or_shrunk_below_them(store: Arc<dyn Store>) {
    let s = sale(&store, 10, None).await;
    let b = buyer(&store).await;
    store
        .reserve_order(order(b, s.event_id, &[(s.general, 3)]), now())
        .await
        .expect("reserve");
    let edit = |ticket_types: Vec<NewTicketType>| super::EventEdit {
        event: NewEvent {
            ticket_types,
            ..s.event.clone()
        },
        expected_version: 1,
        added_ticket_types: vec![],
        actor: b,
        now: now(),
    };
    let general = s.event.ticket_types[0].clone();
    let vip = s.event.ticket_types[1].clone();
    assert!(matches!(
        store.update_event(edit(vec![vip.clone()])).await,
        Err(StoreError::Conflict("ticket_type_sold"))
    ));
    let shrunk = NewTicketType {
        capacity: 2,
        ..general.clone()
    };
    assert!(matches!(
        store.update_event(edit(vec![shrunk, vip.clone()])).await,
        Err(StoreError::CapacityBelowHeld { held: 3 })
    ));
    let just_enough = NewTicketType {
        capacity: 3,
        ..general
    };
    store
        .update_event(edit(vec![just_enough]))
        .await
        .expect("VIP has no orders; General keeps its 3 tickets");
}
