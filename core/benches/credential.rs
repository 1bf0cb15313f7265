//! Credential and door budgets: sign, verify, and verify + record a scan in SQLite.
//! Run: cargo bench -p hafla-core --all-features --bench credential

use criterion::{BatchSize, Criterion, criterion_group};
use hafla_core::credential::keys::{KeyRing, TicketSigningKey};
use hafla_core::credential::{Claims, Credential};
use hafla_core::door::store::{DoorEventSetup, DoorStore, DoorTicketType, Durability};
use hafla_core::door::{Direction, DoorContext, EntryPolicy, check_credential};
use std::hint::black_box;
use uuid::Uuid;

const EVENT_REF: u32 = 48_213;

fn claims(serial: u32, now: jiff::Timestamp) -> Claims {
    let (valid_from_hour, valid_hours) = Claims::window(
        now - jiff::SignedDuration::from_hours(2),
        now + jiff::SignedDuration::from_hours(6),
    )
    .unwrap();
    Claims {
        key_id: 1,
        event_ref: EVENT_REF,
        ticket_serial: serial,
        ticket_type: 0,
        valid_from_hour,
        valid_hours,
        rotating: false,
    }
}

fn door_store(key: &TicketSigningKey, dir: &std::path::Path) -> DoorStore {
    let mut store =
        DoorStore::open(&dir.join("door.db"), Uuid::now_v7(), Durability::Normal).unwrap();
    store
        .install_event(&DoorEventSetup {
            event_ref: EVENT_REF,
            event_id: Uuid::now_v7(),
            time_zone: "Asia/Amman".into(),
            rotating: None,
            keys: vec![key.public()],
            ticket_types: vec![DoorTicketType {
                ticket_type: 0,
                type_id: Uuid::now_v7(),
                policy: EntryPolicy::SingleEntry,
            }],
        })
        .unwrap();
    store
}

/// Tail latency of verify + record, which criterion's mean does not show: 20,000 scans of
/// fresh tickets, then 20,000 repeat scans (already admitted), each timed on its own.
fn latency_percentiles() {
    let key = TicketSigningKey::generate(1).unwrap();
    let now = jiff::Timestamp::now();
    let dir = tempfile::tempdir().unwrap();
    let mut store = door_store(&key, dir.path());
    let tickets: Vec<String> = (1..=20_000)
        .map(|s| Credential::issue(claims(s, now), &key).to_text())
        .collect();
    let mut micros = Vec::with_capacity(40_000);
    let started = std::time::Instant::now();
    for text in tickets.iter().chain(tickets.iter()) {
        let t = std::time::Instant::now();
        black_box(
            store
                .scan(EVENT_REF, text, "main", Direction::In, now)
                .unwrap(),
        );
        micros.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let per_second = micros.len() as f64 / started.elapsed().as_secs_f64();
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() as f64 * q) as usize).min(micros.len() - 1)];
    println!(
        "door/verify_and_record over {} scans: p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs, {:.0} scans/s",
        micros.len(),
        at(0.50),
        at(0.99),
        at(1.0),
        per_second
    );
}

fn bench(c: &mut Criterion) {
    let key = TicketSigningKey::generate(1).unwrap();
    let mut ring = KeyRing::default();
    ring.insert(key.public());
    let now = jiff::Timestamp::now();
    let text = Credential::issue(claims(1, now), &key).to_text();

    c.bench_function("credential/sign", |b| {
        b.iter(|| Credential::issue(black_box(claims(1, now)), &key).to_text())
    });
    let door = DoorContext {
        event_ref: EVENT_REF,
        keys: &ring,
        rotating: None,
    };
    c.bench_function("credential/parse_and_verify", |b| {
        b.iter(|| check_credential(black_box(&text), &door, now).unwrap())
    });

    // Verify + record: a fresh ticket each time (admitted), on a log that grows as it runs.
    let dir = tempfile::tempdir().unwrap();
    let mut store = door_store(&key, dir.path());
    let tickets: Vec<String> = (1..=200_000)
        .map(|s| Credential::issue(claims(s, now), &key).to_text())
        .collect();
    let mut next = tickets.iter().cycle();
    c.bench_function("door/verify_and_record", |b| {
        b.iter_batched(
            || next.next().unwrap().clone(),
            |text| {
                store
                    .scan(EVENT_REF, &text, "main", Direction::In, now)
                    .unwrap()
            },
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, bench);

fn main() {
    benches();
    latency_percentiles();
    Criterion::default().configure_from_args().final_summary();
}
