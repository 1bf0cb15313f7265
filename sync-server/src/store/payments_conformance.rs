//! Payment scenarios of the conformance suite: a report acts once however often it comes,
//! money always ends in tickets or a refund, and tickets are numbered within their event.

use super::orders::{Actor, OrderStatus};
use super::orders_conformance::{Sale, buyer, now, order, sale};
use super::payments::{
    Applied, NewPayment, NewRefund, RefundRefusal, RefundRequestPlan, Reported, Revocation,
};
use super::{Store, StoreError};
use hafla_core::money::Money;
use jiff::SignedDuration;
use std::sync::Arc;
use uuid::Uuid;

pub(super) async fn run<F, Fut>(fresh: &F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    a_payment_reported_ten_times_at_once_issues_tickets_once(fresh().await).await;
    money_after_the_hold_lapsed_buys_the_tickets_if_they_are_still_there(fresh().await).await;
    money_after_the_tickets_went_to_someone_else_must_be_refunded(fresh().await).await;
    a_declined_payment_leaves_the_order_to_try_again(fresh().await).await;
    free_orders_are_paid_at_once_and_wrong_amounts_issue_nothing(fresh().await).await;
    refunds_revoke_tickets_free_their_places_and_never_exceed_the_payment(fresh().await).await;
    a_transferred_ticket_is_revoked_and_reissued_to_the_recipient(fresh().await).await;
}

pub(super) fn paid(minor: i64) -> Reported {
    Reported::Paid {
        amount: Money::jod_fils(minor),
    }
}

/// Reserves `lines` for a new buyer and starts a sandbox payment of the order's total.
pub(super) async fn awaiting(
    store: &Arc<dyn Store>,
    s: &Sale,
    lines: &[(Uuid, u32)],
) -> (super::orders::Order, Uuid) {
    let b = buyer(store).await;
    let reserved = store
        .reserve_order(order(b, s.event_id, lines), now())
        .await
        .expect("reserve");
    let payment_id = Uuid::now_v7();
    let started = store
        .start_payment(
            reserved.id,
            NewPayment {
                id: payment_id,
                provider: "sandbox".into(),
                amount: reserved.total,
                hold_until: None,
                idempotency_key: None,
            },
            Actor::Buyer(b),
            now(),
        )
        .await
        .expect("start payment");
    assert_eq!(started.status, OrderStatus::AwaitingPayment);
    assert_eq!(started.payment_method.as_deref(), Some("sandbox"));
    (started, payment_id)
}

async fn a_payment_reported_ten_times_at_once_issues_tickets_once(store: Arc<dyn Store>) {
    let s = sale(&store, 10, None).await;
    let (o, payment_id) = awaiting(&store, &s, &[(s.general, 2)]).await;
    store
        .set_provider_ref(payment_id, "sbx-1", "https://pay.example/sbx-1")
        .await
        .expect("provider ref");
    let reports = (0..10).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .apply_payment(payment_id, "sandbox:sbx-1:paid", paid(30_000), now())
                .await
        })
    });
    let mut outcomes = Vec::new();
    for report in reports.collect::<Vec<_>>() {
        outcomes.push(report.await.expect("task").expect("apply"));
    }
    let paid_once = outcomes
        .iter()
        .filter(|a| matches!(a, Applied::Paid { late: false, .. }))
        .count();
    assert_eq!(paid_once, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|a| matches!(a, Applied::Paid { .. } | Applied::Unchanged))
    );
    // The same money reported under another key (a status query) changes nothing either.
    assert_eq!(
        store
            .apply_payment(payment_id, "query:paid", paid(30_000), now())
            .await
            .expect("apply"),
        Applied::Unchanged
    );
    let tickets = store.order_tickets(o.id).await.expect("tickets");
    assert_eq!(
        tickets.iter().map(|t| t.serial).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(tickets.iter().all(|t| t.valid && t.event_ref > 0));
    let trail: Vec<OrderStatus> = store
        .order_transitions(o.id)
        .await
        .expect("trail")
        .iter()
        .map(|t| t.to)
        .collect();
    assert_eq!(
        trail,
        vec![
            OrderStatus::Reserved,
            OrderStatus::AwaitingPayment,
            OrderStatus::Paid
        ]
    );
    let payment = store
        .payment(payment_id)
        .await
        .expect("read")
        .expect("payment");
    assert_eq!(payment.provider_ref.as_deref(), Some("sbx-1"));
    assert_eq!(
        payment.redirect_url.as_deref(),
        Some("https://pay.example/sbx-1")
    );
    // The next order of the event goes on numbering.
    let (next, next_payment) = awaiting(&store, &s, &[(s.vip, 1)]).await;
    store
        .apply_payment(next_payment, "k2", paid(45_500), now())
        .await
        .expect("apply");
    let serials: Vec<u32> = store
        .order_tickets(next.id)
        .await
        .expect("tickets")
        .iter()
        .map(|t| t.serial)
        .collect();
    assert_eq!(serials, vec![3]);
    assert!(matches!(
        store
            .start_payment(
                o.id,
                NewPayment {
                    id: Uuid::now_v7(),
                    provider: "sandbox".into(),
                    amount: o.total,
                    hold_until: None,
                    idempotency_key: None,
                },
                Actor::Buyer(o.buyer_id),
                now(),
            )
            .await,
        Err(StoreError::OrderTransition {
            from: OrderStatus::Paid
        })
    ));
}

async fn money_after_the_hold_lapsed_buys_the_tickets_if_they_are_still_there(
    store: Arc<dyn Store>,
) {
    let s = sale(&store, 4, None).await;
    let (o, payment_id) = awaiting(&store, &s, &[(s.general, 4)]).await;
    let late = now() + SignedDuration::from_mins(25);
    assert_eq!(
        store
            .pending_payments(late, 10)
            .await
            .expect("pending")
            .len(),
        1,
        "reconciliation sees the payment nobody reported on"
    );
    store.expire_orders(late, 100).await.expect("sweep");
    match store
        .apply_payment(payment_id, "late", paid(60_000), late)
        .await
        .expect("apply")
    {
        Applied::Paid { order, late: true } => assert_eq!(order.status, OrderStatus::Paid),
        other => panic!("expected a late payment honoured, got {other:?}"),
    }
    assert_eq!(store.order_tickets(o.id).await.expect("tickets").len(), 4);
    // The tickets are held again: nobody else can have them.
    let other = buyer(&store).await;
    assert!(matches!(
        store
            .reserve_order(order(other, s.event_id, &[(s.general, 1)]), late)
            .await,
        Err(StoreError::Checkout(_))
    ));
    assert!(
        store
            .pending_payments(late, 10)
            .await
            .expect("pending")
            .is_empty()
    );
}

async fn money_after_the_tickets_went_to_someone_else_must_be_refunded(store: Arc<dyn Store>) {
    let s = sale(&store, 4, None).await;
    let (o, payment_id) = awaiting(&store, &s, &[(s.general, 3)]).await;
    let late = now() + SignedDuration::from_mins(25);
    let other = buyer(&store).await;
    store
        .reserve_order(order(other, s.event_id, &[(s.general, 2)]), late)
        .await
        .expect("the lapsed tickets went back on sale");
    let applied = store
        .apply_payment(payment_id, "late", paid(45_000), late)
        .await
        .expect("apply");
    let Applied::MustRefund { order, payment } = applied else {
        panic!("expected a refund, got {applied:?}");
    };
    assert_eq!(order.status, OrderStatus::Expired);
    assert!(store.order_tickets(o.id).await.expect("tickets").is_empty());
    store
        .record_refund(
            NewRefund {
                id: Uuid::now_v7(),
                order_id: o.id,
                payment_id: Some(payment.id),
                amount: payment.amount,
                reason: "paid after the tickets were sold to others".into(),
                provider_ref: Some("sbx-refund-1".into()),
                done: true,
                actor: Actor::System,
            },
            late,
        )
        .await
        .expect("refund recorded");
}

async fn a_declined_payment_leaves_the_order_to_try_again(store: Arc<dyn Store>) {
    let s = sale(&store, 4, None).await;
    let (o, first) = awaiting(&store, &s, &[(s.general, 1)]).await;
    let declined = store
        .apply_payment(
            first,
            "d1",
            Reported::Declined {
                reason: "insufficient funds".into(),
            },
            now(),
        )
        .await
        .expect("apply");
    assert!(
        matches!(&declined, Applied::Failed { order } if order.status == OrderStatus::AwaitingPayment),
        "{declined:?}"
    );
    // A paid report for the declined attempt changes nothing.
    assert_eq!(
        store
            .apply_payment(first, "d1-paid", paid(15_000), now())
            .await
            .expect("apply"),
        Applied::Unchanged
    );
    let second = Uuid::now_v7();
    store
        .start_payment(
            o.id,
            NewPayment {
                id: second,
                provider: "sandbox".into(),
                amount: o.total,
                hold_until: None,
                idempotency_key: None,
            },
            Actor::Buyer(o.buyer_id),
            now(),
        )
        .await
        .expect("a second attempt");
    assert!(matches!(
        store
            .apply_payment(second, "p2", paid(15_000), now())
            .await
            .expect("apply"),
        Applied::Paid { late: false, .. }
    ));
}

async fn free_orders_are_paid_at_once_and_wrong_amounts_issue_nothing(store: Arc<dyn Store>) {
    let s = sale(&store, 4, None).await;
    let b = buyer(&store).await;
    let reserved = store
        .reserve_order(order(b, s.event_id, &[(s.general, 1)]), now())
        .await
        .expect("reserve");
    assert!(matches!(
        store
            .complete_free_order(reserved.id, Actor::Buyer(b), now())
            .await,
        Err(StoreError::Conflict("amount"))
    ));
    let (o, payment_id) = awaiting(&store, &s, &[(s.general, 1)]).await;
    let applied = store
        .apply_payment(payment_id, "m", paid(1), now())
        .await
        .expect("apply");
    assert!(
        matches!(applied, Applied::AmountMismatch { .. }),
        "{applied:?}"
    );
    assert!(store.order_tickets(o.id).await.expect("tickets").is_empty());
    assert!(matches!(
        store
            .apply_payment(Uuid::now_v7(), "x", paid(1), now())
            .await,
        Err(StoreError::NotFound("payment"))
    ));
}

async fn refunds_revoke_tickets_free_their_places_and_never_exceed_the_payment(
    store: Arc<dyn Store>,
) {
    let s = sale(&store, 4, None).await;
    let (o, payment_id) = awaiting(&store, &s, &[(s.general, 3)]).await;
    store
        .apply_payment(payment_id, "p", paid(45_000), now())
        .await
        .expect("apply");
    let tickets: Vec<Uuid> = store
        .order_tickets(o.id)
        .await
        .expect("tickets")
        .iter()
        .map(|t| t.id)
        .collect();
    let request = |tickets: Option<Vec<Uuid>>, amount: Option<i64>| RefundRequestPlan {
        refund_id: Uuid::now_v7(),
        order_id: o.id,
        tickets,
        amount: amount.map(Money::jod_fils),
        reason: "the buyer cannot come".into(),
        revocation: Revocation::Refunded,
        actor: Actor::Organizer(o.buyer_id),
    };
    let refusal = |result: Result<_, StoreError>| match result {
        Err(StoreError::Refund(refusal)) => refusal,
        other => panic!("expected a refund refusal, got {other:?}"),
    };
    let one = store
        .begin_refund(request(Some(vec![tickets[0]]), None), now())
        .await
        .expect("refund one");
    assert_eq!(one.revoked, vec![tickets[0]]);
    assert_eq!(one.amount, Some(Money::jod_fils(15_000)));
    assert_eq!(one.order.status, OrderStatus::PartlyRefunded);
    assert_eq!(one.payment.as_ref().map(|p| p.id), Some(payment_id));
    let valid: Vec<bool> = store
        .order_tickets(o.id)
        .await
        .expect("tickets")
        .iter()
        .map(|t| t.valid)
        .collect();
    assert_eq!(valid, vec![false, true, true]);

    assert_eq!(
        refusal(
            store
                .begin_refund(request(Some(vec![tickets[0]]), None), now())
                .await
        ),
        RefundRefusal::TicketNotValid(tickets[0])
    );
    let foreign = Uuid::now_v7();
    assert_eq!(
        refusal(
            store
                .begin_refund(request(Some(vec![foreign]), None), now())
                .await
        ),
        RefundRefusal::UnknownTicket(foreign)
    );
    assert_eq!(
        refusal(store.begin_refund(request(None, Some(30_001)), now()).await),
        RefundRefusal::ExceedsPaid {
            refundable: Money::jod_fils(30_000)
        }
    );
    // The refused ones changed nothing: one refund pending, two tickets valid.
    let far = now() + SignedDuration::from_hours(1);
    assert_eq!(
        store
            .unfinished_refunds(far, 10)
            .await
            .expect("refunds")
            .len(),
        1
    );

    let rest = store
        .begin_refund(request(None, None), now())
        .await
        .expect("refund the rest");
    assert_eq!(rest.revoked, tickets[1..].to_vec());
    assert_eq!(rest.amount, Some(Money::jod_fils(30_000)));
    assert_eq!(rest.order.status, OrderStatus::Refunded);
    assert!(matches!(
        store.begin_refund(request(None, None), now()).await,
        Err(StoreError::OrderTransition {
            from: OrderStatus::Refunded
        })
    ));
    let unfinished = store.unfinished_refunds(far, 10).await.expect("refunds");
    assert_eq!(unfinished.len(), 2);
    for refund in &unfinished {
        store
            .finish_refund(refund.refund_id, Some("r".into()), true, now())
            .await
            .expect("finish");
    }
    assert!(
        store
            .unfinished_refunds(far, 10)
            .await
            .expect("refunds")
            .is_empty()
    );
    assert_eq!(
        store.order_refunded_minor(o.id).await.expect("refunded"),
        45_000
    );
    // All four places are on sale again.
    let b = buyer(&store).await;
    store
        .reserve_order(order(b, s.event_id, &[(s.general, 4)]), now())
        .await
        .expect("the refunded places are back");
    assert_eq!(
        store.event_orders(s.event_id).await.expect("orders").len(),
        2
    );
}

async fn a_transferred_ticket_is_revoked_and_reissued_to_the_recipient(store: Arc<dyn Store>) {
    use super::tickets::TransferRefusal;
    let s = sale(&store, 4, None).await;
    let (o, payment_id) = awaiting(&store, &s, &[(s.general, 2)]).await;
    store
        .apply_payment(payment_id, "p", paid(30_000), now())
        .await
        .expect("apply");
    let mine = store.order_tickets(o.id).await.expect("tickets");
    let friend = buyer(&store).await;
    let given = store
        .transfer_ticket(mine[0].id, o.buyer_id, friend, now())
        .await
        .expect("transfer");
    assert_eq!(given.holder_id, friend);
    assert!(given.valid);
    assert_eq!(
        given.serial, 3,
        "a new serial: the old credential stays revoked"
    );
    assert_eq!(given.order_id, o.id);
    let facts = store
        .credential_facts(given.id)
        .await
        .expect("facts")
        .expect("the ticket");
    assert_eq!(facts.ticket, given);
    assert_eq!(
        facts.ticket_type_number, 0,
        "General is the event's first type"
    );
    assert_eq!(facts.starts_at, s.event.starts_at);
    assert_eq!(facts.ends_at, s.event.ends_at);
    assert_eq!(
        store.credential_facts(Uuid::now_v7()).await.expect("facts"),
        None
    );
    assert!(
        !store
            .ticket(mine[0].id)
            .await
            .expect("read")
            .expect("old")
            .valid
    );
    assert_eq!(
        store
            .tickets_of_holder(friend, 10)
            .await
            .expect("list")
            .iter()
            .map(|t| t.id)
            .collect::<Vec<_>>(),
        vec![given.id]
    );
    let transfer = |id, from, to| {
        let store = store.clone();
        async move { store.transfer_ticket(id, from, to, now()).await }
    };
    assert!(matches!(
        transfer(mine[0].id, o.buyer_id, friend).await,
        Err(StoreError::Transfer(TransferRefusal::NotValid))
    ));
    assert!(matches!(
        transfer(given.id, o.buyer_id, friend).await,
        Err(StoreError::NotFound("ticket"))
    ));
    assert!(matches!(
        transfer(mine[1].id, o.buyer_id, o.buyer_id).await,
        Err(StoreError::Transfer(TransferRefusal::ToSelf))
    ));
    let after = now() + SignedDuration::from_hours(24 * 11);
    assert!(matches!(
        store
            .transfer_ticket(mine[1].id, o.buyer_id, friend, after)
            .await,
        Err(StoreError::Transfer(TransferRefusal::EventOver))
    ));
    // A transfer takes no place of its own: the event's counts are unchanged.
    let b = buyer(&store).await;
    store
        .reserve_order(order(b, s.event_id, &[(s.general, 2)]), now())
        .await
        .expect("two places left of four");
}
