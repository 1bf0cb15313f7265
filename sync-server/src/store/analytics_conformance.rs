//! Analytics scenarios of the conformance suite: both backends keep the same hourly
//! aggregates through sales, refunds, transfers, revocations and door scans, and export
//! the same rows in the same pages.

use super::analytics::{ExportCursor, ExportKind, ExportPage, PageViews, SalesTotals};
use super::orders::Actor;
use super::orders_conformance::{buyer, now, order, sale};
use super::payments::{RefundRequestPlan, Revocation};
use super::payments_conformance::{awaiting, paid};
use super::sync::{PushItem, PushOp};
use super::{SignupMethod, Store};
use hafla_core::door::Hlc;
use hafla_core::door::ScanRecord;
use hafla_core::door::verifier::{Direction, ScanEffect};
use hafla_core::money::Money;
use hafla_core::wire::EventStatus;
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use uuid::Uuid;

pub(super) async fn run<F, Fut>(fresh: &F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    sales_refunds_and_scans_add_up_in_the_hourly_aggregates(fresh().await).await;
    exports_page_through_every_row_once(fresh().await).await;
    payments_and_reservations_racing_in_one_hour_all_go_through(fresh().await).await;
    doors_at_one_gate_pushing_at_once_all_go_through(fresh().await).await;
}

fn hour(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second() - t.as_second().rem_euclid(3600)).expect("hour")
}

fn scan(
    device: Uuid,
    seq: u64,
    (event_ref, serial): (u32, u32),
    gate: &str,
    direction: Direction,
    effect: ScanEffect,
) -> ScanRecord {
    let millis = now().as_millisecond() as u64 + seq * 1000;
    ScanRecord {
        id: Uuid::now_v7(),
        device_id: device,
        seq,
        event_ref,
        ticket_serial: Some(serial),
        ticket_type: Some(0),
        gate: gate.into(),
        direction,
        device_time: Timestamp::from_millisecond(millis as i64).expect("time"),
        hlc: Hlc::new(millis, 0),
        verdict: "admitted".into(),
        effect,
    }
}

fn push_op(number: u64, event_id: Uuid, scan: ScanRecord) -> PushOp {
    PushOp {
        id: Uuid::now_v7(),
        number,
        item: PushItem::Scan { event_id, scan },
    }
}

async fn sales_refunds_and_scans_add_up_in_the_hourly_aggregates(store: Arc<dyn Store>) {
    let s = sale(&store, 10, None).await;
    // Three General tickets (15.000 JOD each) and one VIP (45.500 JOD), by sandbox.
    let (a, pay_a) = awaiting(&store, &s, &[(s.general, 3)]).await;
    store
        .apply_payment(pay_a, "a", paid(45_000), now())
        .await
        .expect("pay a");
    let (b, pay_b) = awaiting(&store, &s, &[(s.vip, 1)]).await;
    store
        .apply_payment(pay_b, "b", paid(45_500), now())
        .await
        .expect("pay b");
    // A checkout started and never paid.
    let c = buyer(&store).await;
    store
        .reserve_order(order(c, s.event_id, &[(s.general, 1)]), now())
        .await
        .expect("reserve");
    let tickets_a = store.order_tickets(a.id).await.expect("tickets a");
    let ticket_b = store.order_tickets(b.id).await.expect("tickets b")[0].clone();
    // A transfer revokes and reissues: the seat stays sold.
    let friend = buyer(&store).await;
    store
        .transfer_ticket(tickets_a[2].id, a.buyer_id, friend, now())
        .await
        .expect("transfer");
    // One General ticket refunded; its money counts once the provider confirms it.
    let refund_id = Uuid::now_v7();
    let later = now() + SignedDuration::from_mins(90);
    let begun = store
        .begin_refund(
            RefundRequestPlan {
                refund_id,
                order_id: a.id,
                tickets: Some(vec![tickets_a[0].id]),
                amount: None,
                reason: "cannot come".into(),
                revocation: Revocation::Refunded,
                actor: Actor::Organizer(a.buyer_id),
            },
            later,
        )
        .await
        .expect("refund");
    assert_eq!(begun.amount, Some(Money::jod_fils(15_000)));
    let before_done = store
        .event_figures(
            s.event_id,
            hour(now()),
            later + SignedDuration::from_hours(1),
        )
        .await
        .expect("figures");
    assert_eq!(
        before_done.by_payment_method,
        vec![(
            "sandbox".to_owned(),
            SalesTotals {
                sold: 4,
                revenue_minor: 90_500,
                refunded: 1,
                refund_minor: 0
            }
        )]
    );
    store
        .finish_refund(refund_id, Some("r-1".into()), true, later)
        .await
        .expect("refund done");
    // A second "done" for the same refund changes nothing.
    store
        .finish_refund(refund_id, Some("r-1".into()), true, later)
        .await
        .expect("refund done again");

    // Door: ticket 2 in and out at North, the VIP in at South, the refunded one refused.
    let device = Uuid::now_v7();
    let staff = buyer(&store).await;
    let of = |t: &super::payments::Ticket| (t.event_ref, t.serial);
    let ops = vec![
        push_op(
            1,
            s.event_id,
            scan(
                device,
                1,
                of(&tickets_a[1]),
                "North",
                Direction::In,
                ScanEffect::Entered,
            ),
        ),
        push_op(
            2,
            s.event_id,
            scan(
                device,
                2,
                of(&tickets_a[1]),
                "North",
                Direction::Out,
                ScanEffect::Exited,
            ),
        ),
        push_op(
            3,
            s.event_id,
            scan(
                device,
                3,
                of(&ticket_b),
                "South",
                Direction::In,
                ScanEffect::Entered,
            ),
        ),
        push_op(
            4,
            s.event_id,
            scan(
                device,
                4,
                of(&tickets_a[0]),
                "South",
                Direction::In,
                ScanEffect::Refused,
            ),
        ),
    ];
    store
        .push(device, staff, ops.clone(), now())
        .await
        .expect("push")
        .expect("accepted");
    // A repeated push counts nothing twice.
    store
        .push(device, staff, ops, now())
        .await
        .expect("push again")
        .expect("accepted");
    store
        .add_page_views(vec![
            PageViews {
                event_id: s.event_id,
                hour: now(),
                views: 5,
            },
            PageViews {
                event_id: s.event_id,
                hour: now() + SignedDuration::from_mins(5),
                views: 2,
            },
        ])
        .await
        .expect("views");

    let figures = store
        .event_figures(
            s.event_id,
            hour(now()),
            later + SignedDuration::from_hours(1),
        )
        .await
        .expect("figures");
    let sandbox = SalesTotals {
        sold: 4,
        revenue_minor: 90_500,
        refunded: 1,
        refund_minor: 15_000,
    };
    assert_eq!(
        figures.by_payment_method,
        vec![("sandbox".to_owned(), sandbox)]
    );
    let general = figures
        .by_ticket_type
        .iter()
        .find(|(id, _)| *id == s.general)
        .map(|(_, t)| *t);
    assert_eq!(
        general,
        Some(SalesTotals {
            sold: 3,
            revenue_minor: 45_000,
            refunded: 1,
            refund_minor: 0
        })
    );
    assert_eq!(figures.by_ticket_type.len(), 2, "refund money has no type");
    let hours: Vec<(Timestamp, SalesTotals)> = figures
        .sales_hours
        .iter()
        .map(|h| (h.hour, h.totals))
        .collect();
    assert_eq!(
        hours,
        vec![
            (
                hour(now()),
                SalesTotals {
                    sold: 4,
                    revenue_minor: 90_500,
                    ..SalesTotals::default()
                }
            ),
            (
                hour(later),
                SalesTotals {
                    refunded: 1,
                    refund_minor: 15_000,
                    ..SalesTotals::default()
                }
            ),
        ]
    );
    assert_eq!(
        figures.checkin_totals,
        vec![
            ("North".to_owned(), "in".to_owned(), 1),
            ("North".to_owned(), "out".to_owned(), 1),
            ("South".to_owned(), "in".to_owned(), 1),
        ]
    );
    assert!(figures.checkin_hours.iter().all(|h| h.hour == hour(now())));
    assert_eq!(figures.funnel.views, 7);
    assert_eq!(figures.funnel.checkouts, 3);
    assert_eq!(figures.funnel.paid, 2);
    assert_eq!(figures.admitted_valid, 2);
    let held: Vec<(Uuid, u32, u32)> = figures
        .ticket_types
        .iter()
        .map(|t| (t.id, t.capacity, t.held))
        .collect();
    // General: 3 sold, 1 refunded (its place freed), 1 reserved.
    assert_eq!(held, vec![(s.general, 10, 3), (s.vip, 5, 1)]);

    // A range that misses both hours has no series, but the same totals.
    let empty = store
        .event_figures(
            s.event_id,
            now() + SignedDuration::from_hours(5),
            now() + SignedDuration::from_hours(6),
        )
        .await
        .expect("figures");
    assert!(empty.sales_hours.is_empty() && empty.checkin_hours.is_empty());
    assert_eq!(empty.by_payment_method, figures.by_payment_method);

    // Refunding an admitted ticket takes it out of the admitted ones.
    store
        .begin_refund(
            RefundRequestPlan {
                refund_id: Uuid::now_v7(),
                order_id: b.id,
                tickets: None,
                amount: None,
                reason: "cancelled by the organizer".into(),
                revocation: Revocation::Cancelled,
                actor: Actor::Organizer(b.buyer_id),
            },
            later,
        )
        .await
        .expect("cancel b");
    let after = store
        .event_figures(s.event_id, hour(now()), later)
        .await
        .expect("figures");
    assert_eq!(after.admitted_valid, 1);
    assert_eq!(after.by_payment_method[0].1.refunded, 2);

    let org = store
        .organization_figures(s.event.organization_id, hour(now()), hour(later))
        .await
        .expect("org figures");
    assert_eq!(org.events.len(), 1);
    assert_eq!(org.events[0].event_id, s.event_id);
    assert_eq!(org.events[0].status, EventStatus::Published);
    assert_eq!(org.events[0].totals.sold, 4);
    assert_eq!(org.events[0].entries, 2);
    assert_eq!(
        org.sales_hours.len(),
        1,
        "the refund hour is outside the range"
    );
    let other = store
        .organization_figures(Uuid::now_v7(), hour(now()), hour(later))
        .await
        .expect("another organization");
    assert!(other.events.is_empty() && other.sales_hours.is_empty());

    // Another organization sells two VIP tickets: more revenue, no refunds.
    let s2 = sale(&store, 10, None).await;
    let (_, pay_2) = awaiting(&store, &s2, &[(s2.vip, 2)]).await;
    store
        .apply_payment(pay_2, "s2", paid(91_000), now())
        .await
        .expect("pay s2");
    let platform = store.platform_figures().await.expect("platform");
    assert_eq!(platform.organizations, 2);
    assert_eq!(platform.events_by_status, vec![(EventStatus::Published, 2)]);
    assert_eq!(platform.users, 6);
    assert_eq!(platform.signups, vec![(SignupMethod::Email, 6)]);
    let by_revenue: Vec<(Uuid, i64)> = platform
        .revenue_by_organization
        .iter()
        .map(|o| (o.organization_id, o.totals.revenue_minor))
        .collect();
    assert_eq!(
        by_revenue,
        vec![
            (s2.event.organization_id, 91_000),
            (s.event.organization_id, 90_500)
        ],
        "largest revenue first"
    );
    assert_eq!(platform.totals.revenue_minor, 181_500);
    assert_eq!(platform.review_backlog, 0);
}

async fn exports_page_through_every_row_once(store: Arc<dyn Store>) {
    let s = sale(&store, 10, None).await;
    let mut order_ids = Vec::new();
    for _ in 0..3 {
        let (o, payment) = awaiting(&store, &s, &[(s.general, 2)]).await;
        store
            .apply_payment(payment, &format!("p{}", o.id), paid(30_000), now())
            .await
            .expect("pay");
        order_ids.push(o.id);
    }
    let mut cursor = ExportCursor::Start;
    let mut seen = Vec::new();
    loop {
        let page = store
            .export_page(s.event_id, ExportKind::Orders, cursor, 2)
            .await
            .expect("page");
        let Some(next) = page.next() else { break };
        let ExportPage::Orders(rows) = page else {
            panic!("orders")
        };
        seen.extend(rows.iter().map(|r| (r.id, r.tickets, r.total_minor)));
        cursor = next;
    }
    order_ids.sort();
    assert_eq!(
        seen,
        order_ids
            .iter()
            .map(|id| (*id, 2, 30_000))
            .collect::<Vec<_>>()
    );
    let attendees = store
        .export_page(
            s.event_id,
            ExportKind::Attendees,
            ExportCursor::Serial(4),
            10,
        )
        .await
        .expect("attendees");
    let ExportPage::Attendees(rows) = attendees else {
        panic!("attendees")
    };
    assert_eq!(
        rows.iter().map(|r| r.serial).collect::<Vec<_>>(),
        vec![5, 6]
    );
    assert!(rows.iter().all(|r| r.valid && !r.admitted));
    assert_eq!(rows[0].ticket_type.en, "General");
    let wrong = store
        .export_page(
            s.event_id,
            ExportKind::Checkins,
            ExportCursor::Serial(1),
            10,
        )
        .await;
    assert!(
        matches!(wrong, Err(super::StoreError::InvalidQuery { .. })),
        "{wrong:?}"
    );
}

/// Paying (which counts a sale) and reserving (which counts a checkout) touch the same
/// funnel row; on PostgreSQL both take the event's row first, so they queue instead of
/// deadlocking.
async fn payments_and_reservations_racing_in_one_hour_all_go_through(store: Arc<dyn Store>) {
    let s = sale(&store, 40, None).await;
    let mut awaiting_orders = Vec::new();
    for _ in 0..8 {
        awaiting_orders.push(awaiting(&store, &s, &[(s.general, 1)]).await);
    }
    let mut buyers = Vec::new();
    for _ in 0..8 {
        buyers.push(buyer(&store).await);
    }
    let mut tasks = Vec::new();
    for (i, ((_, payment), b)) in awaiting_orders.into_iter().zip(buyers).enumerate() {
        let store = store.clone();
        let event_id = s.event_id;
        let general = s.general;
        tasks.push(tokio::spawn(async move {
            store
                .apply_payment(payment, &format!("race-{i}"), paid(15_000), now())
                .await
                .map(|_| ())?;
            store
                .reserve_order(order(b, event_id, &[(general, 1)]), now())
                .await
                .map(|_| ())
        }));
    }
    for task in tasks {
        task.await.expect("task").expect("no deadlock, no error");
    }
    let figures = store
        .event_figures(
            s.event_id,
            hour(now()),
            hour(now()) + SignedDuration::from_hours(1),
        )
        .await
        .expect("figures");
    assert_eq!(figures.funnel.checkouts, 16);
    assert_eq!(figures.funnel.paid, 8);
    assert_eq!(figures.by_payment_method[0].1.sold, 8);
}

/// Two doors at one gate, one letting people in while the other lets them out and back,
/// push at once: every scan is counted, and neither push waits for the other's rows.
async fn doors_at_one_gate_pushing_at_once_all_go_through(store: Arc<dyn Store>) {
    let s = sale(&store, 40, None).await;
    let (o, payment) = awaiting(&store, &s, &[(s.general, 10)]).await;
    store
        .apply_payment(payment, "doors", paid(150_000), now())
        .await
        .expect("pay");
    let tickets = store.order_tickets(o.id).await.expect("tickets");
    let staff = buyer(&store).await;
    let mut tasks = Vec::new();
    for door in 0..2u64 {
        let store = store.clone();
        let event_id = s.event_id;
        let tickets = tickets.clone();
        tasks.push(tokio::spawn(async move {
            let device = Uuid::now_v7();
            for round in 0..5u64 {
                let ops: Vec<PushOp> = (0..2u64)
                    .map(|k| {
                        let seq = round * 2 + k + 1;
                        let t = &tickets[(door * 5 + round) as usize];
                        // Door 0 scans in then out, door 1 out then in.
                        let inward = (k == 0) == (door == 0);
                        let (direction, effect) = if inward {
                            (Direction::In, ScanEffect::Entered)
                        } else {
                            (Direction::Out, ScanEffect::Exited)
                        };
                        push_op(
                            seq,
                            event_id,
                            scan(
                                device,
                                seq,
                                (t.event_ref, t.serial),
                                "Main",
                                direction,
                                effect,
                            ),
                        )
                    })
                    .collect();
                store
                    .push(device, staff, ops, now())
                    .await?
                    .expect("accepted");
            }
            Ok::<_, super::StoreError>(())
        }));
    }
    for task in tasks {
        task.await.expect("task").expect("no deadlock, no error");
    }
    let figures = store
        .event_figures(
            s.event_id,
            hour(now()),
            hour(now()) + SignedDuration::from_hours(1),
        )
        .await
        .expect("figures");
    assert_eq!(
        figures.checkin_totals,
        vec![
            ("Main".to_owned(), "in".to_owned(), 10),
            ("Main".to_owned(), "out".to_owned(), 10),
        ]
    );
    assert_eq!(figures.admitted_valid, 10);
}
