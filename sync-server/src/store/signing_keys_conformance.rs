//! Signing-key scenarios of the conformance suite: key ids, one active key per event however
//! many ask at once, rotation, and secrets stored only sealed, on every backend, through
//! the `issuance::EventKeys` service that uses them.

use super::{NewEvent, NewOrganization, NewSigningKey, Reseal, Store, StoreError};
use crate::issuance::{EventKeys, IssuanceError, MasterKey, VaultError};
use hafla_core::Bilingual;
use hafla_core::credential::keys::TicketSigningKey;
use hafla_core::credential::{Claims, Credential};
use hafla_core::places::{City, GeoPoint};
use hafla_core::wire::{Category, EventStatus, Venue};
use jiff::{SignedDuration, Timestamp};
use std::future::Future;
use std::sync::Arc;
use uuid::Uuid;

pub(super) async fn run<F, Fut>(fresh: &F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    key_ids_are_unique_increasing_and_never_reused(fresh().await).await;
    an_event_gets_one_active_key_however_many_ask_at_once(fresh().await).await;
    rotation_signs_with_the_new_key_and_keeps_the_old_one_listed(fresh().await).await;
    secrets_are_stored_sealed_never_in_clear(fresh().await).await;
    a_sealed_secret_moved_to_another_row_does_not_open(fresh().await).await;
    resealing_moves_every_secret_to_the_new_master_key(fresh().await).await;
}

fn now() -> Timestamp {
    "2026-11-25T10:00:00Z".parse().expect("timestamp")
}

/// A published event of an organization of its own; its id.
pub(crate) async fn event(store: &Arc<dyn Store>) -> Uuid {
    let org = NewOrganization {
        id: Uuid::now_v7(),
        name: Bilingual::new("بيت الفن", "Beit al Fann").expect("name"),
    };
    let starts = now() + SignedDuration::from_hours(24 * 20);
    let event = NewEvent {
        id: Uuid::now_v7(),
        organization_id: org.id,
        status: EventStatus::Published,
        title: Bilingual::new("ليلة جاز", "Jazz Night").expect("title"),
        description: Bilingual::new("", "Live jazz in Jabal Amman").expect("text"),
        category: Category::Music,
        venue: Venue {
            name: Bilingual::new("بيت الفن", "Beit al Fann").expect("name"),
            address: Bilingual::new("جبل عمّان", "Jabal Amman").expect("address"),
            city: City::Amman,
            location: GeoPoint {
                lat: 31.9515,
                lng: 35.9239,
            },
        },
        starts_at: starts,
        ends_at: starts + SignedDuration::from_hours(3),
        time_zone: "Asia/Amman".into(),
        tags: vec![],
        ticket_types: vec![],
    };
    let id = event.id;
    store
        .insert_catalog(vec![org], vec![event])
        .await
        .expect("event");
    id
}

/// The same master key twice (a server and an operator tool each hold one).
fn copy(master: &MasterKey) -> MasterKey {
    MasterKey::from_base64(&master.to_base64(), "test").expect("copy")
}

fn claims() -> Claims {
    Claims {
        key_id: 0,
        event_ref: 7,
        ticket_serial: 1,
        ticket_type: 0,
        valid_from_hour: 26_000,
        valid_hours: 5,
        rotating: false,
    }
}

/// A row for `event_id` with a made-up key, for store-level checks.
fn new_row(event_id: Uuid, key_id: u32) -> NewSigningKey {
    NewSigningKey {
        event_id,
        key_id,
        public_key: TicketSigningKey::generate(key_id)
            .expect("key")
            .public()
            .key
            .to_bytes(),
        sealed_secret: vec![1; 81],
        created_at: now(),
    }
}

/// Runs `n` tasks at once and returns their results in order.
async fn together<T, Fut>(n: usize, task: impl Fn(usize) -> Fut) -> Vec<T>
where
    T: Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(task(i))).collect();
    let mut results = Vec::with_capacity(n);
    for handle in handles {
        results.push(handle.await.expect("task"));
    }
    results
}

async fn key_ids_are_unique_increasing_and_never_reused(store: Arc<dyn Store>) {
    let first = store.next_key_id().await.unwrap();
    let second = store.next_key_id().await.unwrap();
    assert!(first >= 1 && second > first, "{first} {second}");
    let mut many = together(16, |_| {
        let store = store.clone();
        async move { store.next_key_id().await.unwrap() }
    })
    .await;
    many.sort_unstable();
    many.dedup();
    assert_eq!(many.len(), 16, "no id handed out twice: {many:?}");
    assert!(many[0] > second);

    let keys = EventKeys::new(store.clone(), MasterKey::generate().unwrap());
    let a = keys
        .signing_key(event(&store).await)
        .await
        .unwrap()
        .key_id();
    let b = keys
        .signing_key(event(&store).await)
        .await
        .unwrap()
        .key_id();
    assert!(a > many[15] && b > a, "{a} {b}");

    // An unknown event gets no key, and the id it used is not handed out again.
    let err = keys.signing_key(Uuid::now_v7()).await.unwrap_err();
    assert!(
        matches!(err, IssuanceError::Store(StoreError::NotFound("event"))),
        "{err}"
    );
    assert!(store.next_key_id().await.unwrap() > b + 1);

    // A key id stored twice is refused, even for another event.
    let other = event(&store).await;
    assert!(matches!(
        store.insert_signing_key(new_row(other, a)).await,
        Err(StoreError::Conflict("signing_key_id"))
    ));
    assert!(store.signing_keys(other).await.unwrap().is_empty());
}

async fn an_event_gets_one_active_key_however_many_ask_at_once(store: Arc<dyn Store>) {
    let event_id = event(&store).await;
    let keys = EventKeys::new(store.clone(), MasterKey::generate().unwrap());
    let got = together(8, |_| {
        let keys = keys.clone();
        async move { keys.signing_key(event_id).await }
    })
    .await;
    let publics: Vec<_> = got
        .into_iter()
        .map(|k| k.expect("signing key").public())
        .collect();
    assert!(
        publics.iter().all(|p| *p == publics[0]),
        "every caller got the one key: {publics:?}"
    );
    let stored = store.signing_keys(event_id).await.unwrap();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(stored[0].is_active());
    assert_eq!(stored[0].key_id, publics[0].key_id);
    assert_eq!(stored[0].public_key, publics[0].key.to_bytes());

    // The database itself lets exactly one first key in, whatever its callers do.
    let fresh_event = event(&store).await;
    let ids = together(8, |_| {
        let store = store.clone();
        async move { store.next_key_id().await.unwrap() }
    })
    .await;
    let inserted = together(8, |i| {
        let (store, id) = (store.clone(), ids[i]);
        async move { store.insert_signing_key(new_row(fresh_event, id)).await }
    })
    .await;
    let winners: Vec<_> = inserted
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r, Ok(true)))
        .map(|(i, _)| ids[i])
        .collect();
    assert_eq!(winners.len(), 1, "{inserted:?}");
    assert!(inserted.iter().all(|r| r.is_ok()), "{inserted:?}");
    let active = store.active_signing_key(fresh_event).await.unwrap();
    assert_eq!(active.map(|k| k.key_id), Some(winners[0]));
    assert_eq!(store.signing_keys(fresh_event).await.unwrap().len(), 1);
}

async fn rotation_signs_with_the_new_key_and_keeps_the_old_one_listed(store: Arc<dyn Store>) {
    let event_id = event(&store).await;
    let keys = EventKeys::new(store.clone(), MasterKey::generate().unwrap());
    let first = keys.signing_key(event_id).await.unwrap();
    let old_ticket = Credential::issue(claims(), &first);

    let second = keys.rotate(event_id).await.unwrap();
    assert!(second > first.key_id());
    let signer = keys.signing_key(event_id).await.unwrap();
    assert_eq!(signer.key_id(), second);
    let new_ticket = Credential::issue(claims(), &signer);

    let stored = store.signing_keys(event_id).await.unwrap();
    let listed: Vec<_> = stored.iter().map(|k| (k.key_id, k.is_active())).collect();
    assert_eq!(listed, vec![(first.key_id(), false), (second, true)]);
    let public: Vec<_> = keys.public_keys(event_id).await.unwrap();
    assert_eq!(public, vec![first.public(), signer.public()]);
    let ring = keys.key_ring(event_id).await.unwrap();
    assert_eq!(old_ticket.signature_is_valid(&ring), Some(true));
    assert_eq!(new_ticket.signature_is_valid(&ring), Some(true));
    assert_eq!(
        store.signing_key_by_id(first.key_id()).await.unwrap(),
        Some(stored[0].clone())
    );

    // Retiring without a successor: the next signature makes a new key.
    assert!(store.retire_signing_key(second, now()).await.unwrap());
    assert!(!store.retire_signing_key(second, now()).await.unwrap());
    assert!(matches!(
        store.retire_signing_key(u32::MAX, now()).await,
        Err(StoreError::NotFound("signing_key"))
    ));
    assert_eq!(store.active_signing_key(event_id).await.unwrap(), None);
    let third = keys.signing_key(event_id).await.unwrap().key_id();
    assert!(third > second);
    assert_eq!(keys.public_keys(event_id).await.unwrap().len(), 3);

    // Rotations at once: every one answers, exactly one key ends active, and it is one of
    // the keys they answered with.
    let rotated = together(4, |_| {
        let keys = keys.clone();
        async move { keys.rotate(event_id).await }
    })
    .await;
    let rotated: Vec<u32> = rotated.into_iter().map(|r| r.expect("rotation")).collect();
    let stored = store.signing_keys(event_id).await.unwrap();
    let active: Vec<_> = stored.iter().filter(|k| k.is_active()).collect();
    assert_eq!(active.len(), 1, "{stored:?}");
    assert!(
        rotated.contains(&active[0].key_id),
        "{rotated:?} {stored:?}"
    );
    assert!(stored.windows(2).all(|w| w[0].key_id < w[1].key_id));
    let ring = keys.key_ring(event_id).await.unwrap();
    assert_eq!(old_ticket.signature_is_valid(&ring), Some(true));
}

/// The 32 secret bytes of a key, from its text form.
fn secret_bytes(key: &TicketSigningKey) -> Vec<u8> {
    let text = key.to_secret_text();
    let hex = text.rsplit(':').next().expect("hex");
    (0..32)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn secrets_are_stored_sealed_never_in_clear(store: Arc<dyn Store>) {
    let event_id = event(&store).await;
    let master = MasterKey::generate().unwrap();
    let fingerprint = master.fingerprint();
    let keys = EventKeys::new(store.clone(), master);
    let key = keys.signing_key(event_id).await.unwrap();
    let stored = store.active_signing_key(event_id).await.unwrap().unwrap();
    let raw = &stored.sealed_secret;
    let secret = secret_bytes(&key);
    assert!(
        !contains(raw, &secret),
        "the raw secret is not in the column"
    );
    assert!(!contains(raw, &secret[..8]), "nor any part of it");
    let text = key.to_secret_text();
    assert!(!contains(raw, text.as_bytes()));
    assert!(!contains(raw, text.rsplit(':').next().unwrap().as_bytes()));
    assert_eq!(raw[0], crate::issuance::vault::SEALED_VERSION);
    assert_eq!(raw[1..9], fingerprint.0, "tagged with its master key");
    assert_eq!(stored.public_key, key.public().key.to_bytes());

    // Another master key is told apart from damage.
    let stranger = EventKeys::new(store.clone(), MasterKey::generate().unwrap());
    let err = stranger.signing_key(event_id).await.unwrap_err();
    match err {
        IssuanceError::WrongMasterKey {
            key_id,
            expected,
            found,
        } => {
            assert_eq!(key_id, key.key_id());
            assert_eq!(found, fingerprint);
            assert_eq!(expected, stranger.master_fingerprint());
        }
        other => panic!("expected a wrong master key, got {other}"),
    }
    assert!(matches!(
        stranger.public_keys(event_id).await,
        Err(IssuanceError::WrongMasterKey { .. })
    ));
}

async fn a_sealed_secret_moved_to_another_row_does_not_open(store: Arc<dyn Store>) {
    let (a, b) = (event(&store).await, event(&store).await);
    let keys = EventKeys::new(store.clone(), MasterKey::generate().unwrap());
    let key_a = keys.signing_key(a).await.unwrap();
    let key_b = keys.signing_key(b).await.unwrap();
    let row_a = store.active_signing_key(a).await.unwrap().unwrap();
    let row_b = store.active_signing_key(b).await.unwrap().unwrap();

    // A reseal batch with one stale row changes nothing.
    let stale = store.reseal_signing_keys(vec![
        Reseal {
            key_id: key_a.key_id(),
            expected: row_a.sealed_secret.clone(),
            sealed_secret: row_b.sealed_secret.clone(),
        },
        Reseal {
            key_id: key_b.key_id(),
            expected: vec![9; 81],
            sealed_secret: row_a.sealed_secret.clone(),
        },
    ]);
    assert!(matches!(
        stale.await,
        Err(StoreError::Conflict("sealed_secret"))
    ));
    assert_eq!(
        store.active_signing_key(a).await.unwrap().unwrap(),
        row_a,
        "the whole batch was rolled back"
    );

    // Event A's sealed secret copied into event B's row.
    store
        .reseal_signing_keys(vec![Reseal {
            key_id: key_b.key_id(),
            expected: row_b.sealed_secret.clone(),
            sealed_secret: row_a.sealed_secret.clone(),
        }])
        .await
        .unwrap();
    let undecryptable = |r: Result<_, IssuanceError>, key_id: u32| match r {
        Err(IssuanceError::Sealed {
            key_id: k,
            source: VaultError::Undecryptable,
        }) => assert_eq!(k, key_id),
        Err(other) => panic!("expected a secret that does not open, got {other}"),
        Ok(_) => panic!("a moved secret opened"),
    };
    undecryptable(keys.signing_key(b).await.map(|_| ()), key_b.key_id());
    undecryptable(keys.public_keys(b).await.map(|_| ()), key_b.key_id());
    assert_eq!(
        keys.signing_key(a).await.unwrap().public(),
        key_a.public(),
        "the original still opens"
    );

    // Within one event too: an old key's secret in the new key's row does not open.
    let rotated = keys.rotate(a).await.unwrap();
    let row_new = store.signing_key_by_id(rotated).await.unwrap().unwrap();
    store
        .reseal_signing_keys(vec![Reseal {
            key_id: rotated,
            expected: row_new.sealed_secret,
            sealed_secret: row_a.sealed_secret.clone(),
        }])
        .await
        .unwrap();
    undecryptable(keys.signing_key(a).await.map(|_| ()), rotated);
}

async fn resealing_moves_every_secret_to_the_new_master_key(store: Arc<dyn Store>) {
    let old = MasterKey::generate().unwrap();
    let new = MasterKey::generate().unwrap();
    let before = EventKeys::new(store.clone(), copy(&old));
    let mut events = vec![];
    for _ in 0..3 {
        let event_id = event(&store).await;
        before.signing_key(event_id).await.unwrap();
        events.push(event_id);
    }
    before.rotate(events[0]).await.unwrap();
    before.rotate(events[0]).await.unwrap();
    let mut public = vec![];
    for e in &events {
        public.push(before.public_keys(*e).await.unwrap());
    }

    // Batches of 2 over 5 keys: three transactions.
    let count = before.reseal_in_batches(&old, &new, 2).await.unwrap();
    assert_eq!(count, 5);

    let after = EventKeys::new(store.clone(), copy(&new));
    for (e, keys) in events.iter().zip(&public) {
        assert_eq!(&after.public_keys(*e).await.unwrap(), keys);
        assert!(after.signing_key(*e).await.is_ok());
        assert!(matches!(
            before.signing_key(*e).await,
            Err(IssuanceError::WrongMasterKey { .. })
        ));
        assert!(matches!(
            before.public_keys(*e).await,
            Err(IssuanceError::WrongMasterKey { .. })
        ));
    }
    for stored in store.signing_keys_after(0, 100).await.unwrap() {
        assert_eq!(stored.sealed_secret[1..9], new.fingerprint().0);
    }

    // Running it again finishes an interrupted run: nothing is left to do.
    assert_eq!(after.reseal_all(&old, &new).await.unwrap(), 0);
    // Secrets under neither key stop it with a clear error; the same key twice is refused.
    let third = MasterKey::generate().unwrap();
    let newest = MasterKey::generate().unwrap();
    assert!(matches!(
        after.reseal_all(&third, &newest).await,
        Err(IssuanceError::WrongMasterKey { .. })
    ));
    assert!(matches!(
        after.reseal_all(&new, &copy(&new)).await,
        Err(IssuanceError::SameMasterKey(_))
    ));
    assert_eq!(after.public_keys(events[1]).await.unwrap(), public[1]);
}
