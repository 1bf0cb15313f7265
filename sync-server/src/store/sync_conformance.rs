//! Sync scenarios of the conformance suite: both backends keep the change log from their
//! triggers alike, page it alike, apply pushes once, and flag the same double admissions
//! whatever order the devices push in.

use super::orders_conformance::{buyer, now, sale};
use super::payments_conformance::{awaiting, paid};
use super::sync::{
    Count, LogPage, LogPosition, PushItem, PushOp, PushOutcome, PushRefusal, ScopeKey, ScopeKind,
    log_key,
};
use super::{Store, Transition};
use hafla_core::door::verifier::{Direction, ScanEffect};
use hafla_core::door::{Hlc, ScanRecord};
use hafla_core::wire::ErrorCode;
use hafla_core::wire::EventSummary;
use hafla_core::wire::sync::{
    ConflictKind, DoorConflict, DoorEvent, DoorTicket, RowKind, ScopeDigest,
};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

pub(super) async fn run<F, Fut>(fresh: &F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    the_catalog_scope_holds_published_events_and_a_tombstone_once_one_is_withdrawn(fresh().await)
        .await;
    paid_tickets_reach_the_door_list_and_their_holders_in_pages_that_add_up(fresh().await).await;
    a_transfer_revokes_the_old_serial_at_the_door_and_issues_a_new_one(fresh().await).await;
    pushes_apply_each_number_once_and_move_past_rejected_mutations(fresh().await).await;
    double_admissions_are_flagged_the_same_whatever_order_devices_push_in(fresh().await).await;
    doors_admitting_one_ticket_at_the_same_moment_all_but_the_first_are_flagged(fresh().await)
        .await;
}

fn scope(kind: ScopeKind, subject: Uuid) -> ScopeKey {
    ScopeKey { kind, subject }
}

/// One page of a scope after `after` (a version), counted.
async fn page_after(store: &Arc<dyn Store>, key: ScopeKey, after: u64) -> LogPage {
    store
        .log_page(key, &LogPosition::through(after), 100, Count::Always)
        .await
        .expect("page")
}

/// Every page of a scope from the start, following `has_more`, `limit` rows at a time,
/// the last one with the digest.
async fn all_pages(store: &Arc<dyn Store>, key: ScopeKey, limit: u32) -> Vec<LogPage> {
    let mut pages = Vec::new();
    let mut after = LogPosition::default();
    loop {
        let page = store
            .log_page(key, &after, limit, Count::AtEnd)
            .await
            .expect("page");
        let more = page.has_more;
        assert_eq!(page.live.is_some(), !more, "only the last page counts");
        if let Some(last) = page.rows.last() {
            after = LogPosition::after_row(last);
        }
        pages.push(page);
        if !more {
            return pages;
        }
    }
}

async fn the_catalog_scope_holds_published_events_and_a_tombstone_once_one_is_withdrawn(
    store: Arc<dyn Store>,
) {
    let s = sale(&store, 4, None).await;
    let catalog = scope(ScopeKind::Catalog, Uuid::nil());
    let first = page_after(&store, catalog, 0).await;
    let row = first
        .rows
        .iter()
        .find(|r| r.key == log_key(s.event_id))
        .expect("the published event has a catalog row");
    assert_eq!(row.kind, RowKind::Event);
    assert!(!row.deleted);
    let summary: EventSummary =
        serde_json::from_value(first.data[&(RowKind::Event, log_key(s.event_id))].clone())
            .expect("summary");
    assert_eq!(summary.title.en, "Amman Concert");
    assert_eq!(summary.price_from.map(|p| p.minor), Some(15_000));
    let head = first.head.expect("head");
    assert_eq!(first.live.map(|l| l.count), Some(1));
    assert!(!first.has_more);

    store
        .change_status(super::conformance::status_change(
            s.event_id,
            Some(s.event.organization_id),
            Transition::Cancel,
            buyer(&store).await,
            None,
        ))
        .await
        .expect("cancel");
    let after = page_after(&store, catalog, head.version).await;
    assert_eq!(after.rows.len(), 1);
    assert!(
        after.rows[0].deleted,
        "a withdrawn event leaves a tombstone"
    );
    assert!(after.rows[0].version > head.version);
    assert_eq!(after.head.expect("head").epoch, head.epoch);
    let fresh = page_after(&store, catalog, 0).await;
    assert!(fresh.rows.is_empty(), "a fresh copy gets no tombstones");
    assert_eq!(fresh.live, Some(ScopeDigest::default()));
}

async fn paid_tickets_reach_the_door_list_and_their_holders_in_pages_that_add_up(
    store: Arc<dyn Store>,
) {
    let s = sale(&store, 10, None).await;
    let (order, payment_id) = awaiting(&store, &s, &[(s.general, 3), (s.vip, 1)]).await;
    store
        .apply_payment(payment_id, "p", paid(3 * 15_000 + 45_500), now())
        .await
        .expect("pay");
    let door = scope(ScopeKind::Door, s.event_id);
    let pages = all_pages(&store, door, 2).await;
    assert!(pages.len() > 2, "two rows a page");
    let rows: Vec<_> = pages.iter().flat_map(|p| p.rows.clone()).collect();
    let in_log_order: Vec<_> = rows
        .iter()
        .map(|r| (r.version, r.kind.key(), r.key.clone()))
        .collect();
    let mut sorted = in_log_order.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(in_log_order, sorted, "each row once, in log order");
    let mut digest = ScopeDigest::default();
    rows.iter().for_each(|r| digest.add(r.version));
    let last = pages.last().expect("pages");
    assert_eq!(
        last.live,
        Some(digest),
        "the digest is the sum of what was pulled"
    );
    let data: HashMap<_, _> = pages.iter().flat_map(|p| p.data.clone()).collect();
    let tickets: Vec<(String, DoorTicket)> = rows
        .iter()
        .filter(|r| r.kind == RowKind::Ticket)
        .map(|r| {
            let t = serde_json::from_value(data[&(RowKind::Ticket, r.key.clone())].clone())
                .expect("door ticket");
            (r.key.clone(), t)
        })
        .collect();
    assert_eq!(tickets.len(), 4);
    assert_eq!(
        tickets.iter().filter(|(_, t)| t.ticket_type == 1).count(),
        1,
        "one VIP (type number 1)"
    );
    assert!(tickets.iter().all(|(_, t)| t.revoked.is_none()));
    let event: DoorEvent =
        serde_json::from_value(data[&(RowKind::DoorEvent, log_key(s.event_id))].clone())
            .expect("door event");
    assert_eq!(event.event_id, s.event_id);
    assert!(event.event_ref > 0, "the event got its credential number");
    assert_eq!(
        rows.iter()
            .filter(|r| r.kind == RowKind::TicketType)
            .count(),
        2
    );

    let me = scope(ScopeKind::Me, order.buyer_id);
    let mine = page_after(&store, me, 0).await;
    assert_eq!(mine.rows.len(), 4);
    assert!(mine.rows.iter().all(|r| r.kind == RowKind::MyTicket));
    let stranger = scope(ScopeKind::Me, buyer(&store).await);
    assert!(page_after(&store, stranger, 0).await.rows.is_empty());
}

async fn a_transfer_revokes_the_old_serial_at_the_door_and_issues_a_new_one(store: Arc<dyn Store>) {
    let s = sale(&store, 4, None).await;
    let (order, payment_id) = awaiting(&store, &s, &[(s.general, 1)]).await;
    store
        .apply_payment(payment_id, "p", paid(15_000), now())
        .await
        .expect("pay");
    let door = scope(ScopeKind::Door, s.event_id);
    let before = page_after(&store, door, 0).await;
    let mark = before.head.expect("head").version;
    let ticket = store.order_tickets(order.id).await.expect("tickets")[0].clone();
    let friend = buyer(&store).await;
    let given = store
        .transfer_ticket(ticket.id, order.buyer_id, friend, now())
        .await
        .expect("transfer");
    let changed = page_after(&store, door, mark).await;
    let ticket_row = |serial: u32| -> DoorTicket {
        serde_json::from_value(changed.data[&(RowKind::Ticket, serial.to_string())].clone())
            .expect("door ticket")
    };
    let old = ticket_row(ticket.serial);
    assert_eq!(
        old.revoked.map(|r| r.reason),
        Some(hafla_core::door::verifier::RevocationReason::Transferred)
    );
    assert!(ticket_row(given.serial).revoked.is_none());
    let theirs = page_after(&store, scope(ScopeKind::Me, friend), 0).await;
    assert_eq!(theirs.rows.len(), 1);
    assert_eq!(theirs.rows[0].key, log_key(given.id));
}

fn scan(
    device: Uuid,
    seq: u64,
    event_ref: u32,
    serial: u32,
    millis: u64,
    effect: ScanEffect,
) -> ScanRecord {
    ScanRecord {
        id: Uuid::now_v7(),
        device_id: device,
        seq,
        event_ref,
        ticket_serial: Some(serial),
        ticket_type: Some(0),
        gate: format!("gate {}", &device.simple().to_string()[..4]),
        direction: Direction::In,
        device_time: jiff::Timestamp::from_millisecond(millis as i64).expect("time"),
        hlc: Hlc::new(millis, 0),
        verdict: if effect == ScanEffect::Entered {
            "admitted"
        } else {
            "already_admitted"
        }
        .into(),
        effect,
    }
}

fn op(number: u64, event_id: Uuid, scan: ScanRecord) -> PushOp {
    PushOp {
        id: Uuid::now_v7(),
        number,
        item: PushItem::Scan { event_id, scan },
    }
}

/// A sale with one paid General ticket; its event's credential number and the ticket's serial.
async fn one_ticket(store: &Arc<dyn Store>) -> (Uuid, u32, u32) {
    let s = sale(store, 4, None).await;
    let (order, payment_id) = awaiting(store, &s, &[(s.general, 1)]).await;
    store
        .apply_payment(payment_id, "p", paid(15_000), now())
        .await
        .expect("pay");
    let ticket = store.order_tickets(order.id).await.expect("tickets")[0].clone();
    (s.event_id, ticket.event_ref, ticket.serial)
}

async fn pushes_apply_each_number_once_and_move_past_rejected_mutations(store: Arc<dyn Store>) {
    let (event_id, event_ref, serial) = one_ticket(&store).await;
    let staff = buyer(&store).await;
    let device = Uuid::now_v7();
    let ops = vec![
        op(
            1,
            event_id,
            scan(device, 1, event_ref, serial, 1_000, ScanEffect::Entered),
        ),
        PushOp {
            id: Uuid::now_v7(),
            number: 2,
            item: PushItem::Reject {
                code: ErrorCode::Forbidden,
            },
        },
        op(
            3,
            event_id,
            scan(device, 2, event_ref, serial, 2_000, ScanEffect::Refused),
        ),
    ];
    let first = store
        .push(device, staff, ops.clone(), now())
        .await
        .expect("push")
        .expect("accepted");
    assert_eq!(
        first,
        vec![
            PushOutcome::Applied,
            PushOutcome::Rejected(ErrorCode::Forbidden),
            PushOutcome::Applied
        ]
    );
    let again = store
        .push(device, staff, ops.clone(), now())
        .await
        .expect("push")
        .expect("accepted");
    assert_eq!(
        again,
        vec![PushOutcome::Duplicate; 3],
        "a retried push changes nothing"
    );
    // A push that overtook the one before it waits for it instead of skipping it.
    let later = op(
        5,
        event_id,
        scan(device, 4, event_ref, serial, 4_000, ScanEffect::Refused),
    );
    let earlier = op(
        4,
        event_id,
        scan(device, 3, event_ref, serial, 3_000, ScanEffect::Refused),
    );
    let overtaking = store
        .push(device, staff, vec![later.clone()], now())
        .await
        .expect("push")
        .expect("accepted");
    assert_eq!(overtaking, vec![PushOutcome::Deferred]);
    let in_order = store
        .push(device, staff, vec![earlier, later], now())
        .await
        .expect("push")
        .expect("accepted");
    assert_eq!(in_order, vec![PushOutcome::Applied; 2]);
    let (scans, more) = store
        .scans_after(event_id, HashMap::new(), 10)
        .await
        .expect("scans");
    assert_eq!(scans.len(), 4);
    assert!(!more);
    assert_eq!(
        scans[0],
        match &ops[0].item {
            PushItem::Scan { scan, .. } => scan.clone(),
            PushItem::Reject { .. } => unreachable!(),
        }
    );
    let (beyond, _) = store
        .scans_after(event_id, HashMap::from([(device, 1)]), 10)
        .await
        .expect("scans");
    assert_eq!(
        beyond.iter().map(|s| s.seq).collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    let (first_only, more) = store
        .scans_after(event_id, HashMap::new(), 1)
        .await
        .expect("scans");
    assert_eq!(first_only.len(), 1);
    assert!(more);
    let someone_else = buyer(&store).await;
    assert_eq!(
        store
            .push(device, someone_else, vec![], now())
            .await
            .expect("push"),
        Err(PushRefusal::DeviceOfAnotherAccount)
    );
}

async fn conflicts(store: &Arc<dyn Store>, event_id: Uuid) -> Vec<DoorConflict> {
    let pages = all_pages(store, scope(ScopeKind::Door, event_id), 1_000).await;
    let mut found: Vec<DoorConflict> = pages
        .iter()
        .flat_map(|p| p.data.iter())
        .filter(|((kind, _), _)| *kind == RowKind::Conflict)
        .map(|(_, v)| serde_json::from_value(v.clone()).expect("conflict"))
        .collect();
    found.sort_by_key(|c| c.scan.scan_id);
    found
}

async fn double_admissions_are_flagged_the_same_whatever_order_devices_push_in(
    store: Arc<dyn Store>,
) {
    let (event_id, event_ref, serial) = one_ticket(&store).await;
    let staff = buyer(&store).await;
    let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let at_a = scan(a, 1, event_ref, serial, 2_000, ScanEffect::Entered);
    let at_b = scan(b, 1, event_ref, serial, 3_000, ScanEffect::Entered);
    // The later admission arrives first: nothing to flag yet.
    store
        .push(b, staff, vec![op(1, event_id, at_b.clone())], now())
        .await
        .expect("push")
        .expect("ok");
    assert!(conflicts(&store, event_id).await.is_empty());
    store
        .push(a, staff, vec![op(1, event_id, at_a.clone())], now())
        .await
        .expect("push")
        .expect("ok");
    let found = conflicts(&store, event_id).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, ConflictKind::DoubleAdmission);
    assert_eq!(found[0].scan.scan_id, at_b.id);
    assert_eq!(found[0].first.as_ref().map(|f| f.scan_id), Some(at_a.id));
    assert_eq!(found[0].ticket_serial, serial);
    // A repeated push reports nothing new.
    store
        .push(a, staff, vec![op(1, event_id, at_a.clone())], now())
        .await
        .expect("push")
        .expect("ok");
    assert_eq!(conflicts(&store, event_id).await, found);
    // An even earlier admission from a third door makes both later ones the doubles.
    let at_c = scan(c, 1, event_ref, serial, 1_000, ScanEffect::Entered);
    store
        .push(c, staff, vec![op(1, event_id, at_c.clone())], now())
        .await
        .expect("push")
        .expect("ok");
    let found = conflicts(&store, event_id).await;
    let mut flagged: Vec<Uuid> = found.iter().map(|f| f.scan.scan_id).collect();
    flagged.sort();
    let mut expected = vec![at_a.id, at_b.id];
    expected.sort();
    assert_eq!(flagged, expected);
    assert!(
        found
            .iter()
            .all(|f| f.first.as_ref().map(|p| p.scan_id) == Some(at_c.id))
    );
}

async fn doors_admitting_one_ticket_at_the_same_moment_all_but_the_first_are_flagged(
    store: Arc<dyn Store>,
) {
    const DOORS: u64 = 8;
    let (event_id, event_ref, serial) = one_ticket(&store).await;
    let staff = buyer(&store).await;
    let devices: Vec<Uuid> = (0..DOORS).map(|_| Uuid::now_v7()).collect();
    // Each door has pushed before, so the admissions below are each door's next number:
    // the way a busy door pushes.
    for device in &devices {
        let reject = PushOp {
            id: Uuid::now_v7(),
            number: 1,
            item: PushItem::Reject {
                code: ErrorCode::InvalidScan,
            },
        };
        store
            .push(*device, staff, vec![reject], now())
            .await
            .expect("push")
            .expect("ok");
    }
    let admissions: Vec<ScanRecord> = devices
        .iter()
        .enumerate()
        .map(|(i, d)| {
            scan(
                *d,
                1,
                event_ref,
                serial,
                1_000 + i as u64,
                ScanEffect::Entered,
            )
        })
        .collect();
    let pushes: Vec<_> = admissions
        .iter()
        .map(|admission| {
            let store = store.clone();
            let push = op(2, event_id, admission.clone());
            let device = admission.device_id;
            tokio::spawn(async move { store.push(device, staff, vec![push], now()).await })
        })
        .collect();
    for push in pushes {
        let outcomes = push.await.expect("task").expect("push").expect("ok");
        assert_eq!(outcomes, vec![PushOutcome::Applied]);
    }
    let found = conflicts(&store, event_id).await;
    let mut flagged: Vec<Uuid> = found.iter().map(|f| f.scan.scan_id).collect();
    flagged.sort();
    let mut later: Vec<Uuid> = admissions[1..].iter().map(|a| a.id).collect();
    later.sort();
    assert_eq!(flagged, later, "every admission after the first, once");
    assert!(
        found
            .iter()
            .all(|f| f.first.as_ref().map(|p| p.scan_id) == Some(admissions[0].id))
    );
}
