//! The sync engine over real HTTP against real server processes, on both backends: door
//! devices download the door list, admit offline with the credential verifier, push their
//! scans in a random order with duplicated and overtaking pushes, and converge on one
//! admitted set with every double admission reported once (on PostgreSQL with the devices
//! split between two instances); cursors from another life of a scope reset once; a
//! download resumes across a server restart; hints reach listeners (across instances on
//! PostgreSQL); and a writer held open never lets a reader skip its version.

mod common;

use common::{FreshDatabase, ServerProcess};
use hafla_core::Bilingual;
use hafla_core::credential::keys::TicketPublicKey;
use hafla_core::door::ScanRecord;
use hafla_core::door::conflicts::flag_admissions;
use hafla_core::door::store::{DoorEventSetup, DoorStore, DoorTicketType as SetupType, Durability};
use hafla_core::door::verifier::{Direction, EntryPolicy, ScanEffect};
use hafla_core::money::Money;
use hafla_core::wire::sync::{
    DoorConflict, DoorEvent, DoorKey, DoorTicket, DoorTicketType, MutationOutcome, MyTicket,
    PushAnswer, RowKind, ScanPage, ScopeDigest, SyncPage, format_marks,
};
use hafla_server::store::{NewOrganization, NewTicketType, Store};
use hafla_server::test_support::issue_free_tickets;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

const MASTER_KEY: &str = "iVOJ1vzPaj7KMbzfumFd4ViynvhOXNtgrnMmCW6gR0M=";
const TOKEN_KEY: &str = "1111111111111111111111111111111111111111111111111111111111111111";

fn start_server(database_url: Option<&str>) -> ServerProcess {
    let mut args = vec![];
    if let Some(url) = database_url {
        args.extend(["--database-url", url]);
    }
    ServerProcess::start(
        &args,
        &[
            ("HAFLA_MASTER_KEY", MASTER_KEY),
            ("HAFLA_TOKEN_KEY", TOKEN_KEY),
            ("HAFLA_OTP_KEY", &"cd".repeat(32)),
        ],
    )
}

/// A small deterministic generator, so a failing order can be replayed from its seed.
struct Shuffle(u64);

impl Shuffle {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

struct World {
    server: ServerProcess,
    /// More instances on the same database (PostgreSQL): devices push to the one their id
    /// picks and read other doors' scans from the last.
    others: Vec<ServerProcess>,
    org_id: Uuid,
    event_id: Uuid,
    starts_at: jiff::Timestamp,
    /// The organization's owner, who works the doors.
    staff: String,
    /// Credentials of the buyer's tickets, by serial.
    credentials: BTreeMap<u32, String>,
}

async fn register(server: &ServerProcess, email: &str) -> (String, Uuid) {
    let (status, body) = server
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({ "email": email, "password": "a long enough password" })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let (_, me) = server
        .call(Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    (token, Uuid::parse_str(me["id"].as_str().unwrap()).unwrap())
}

/// Every page of a scope from the start, following `has_more`; the rows and the digest
/// of the last page.
async fn pull_all(
    server: &ServerProcess,
    path: &str,
    token: Option<&str>,
    limit: u32,
) -> (Vec<hafla_core::wire::sync::SyncRow>, ScopeDigest, String) {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        // As a device downloads: the total once (for its progress bar), the digest at the
        // end.
        let query = match &cursor {
            Some(c) => format!("{path}?limit={limit}&digest=true&cursor={c}"),
            None => format!("{path}?limit={limit}&digest=true&total=true"),
        };
        let (status, body) = server.call(Method::GET, &query, token, None).await;
        assert_eq!(status, 200, "{body}");
        let page: SyncPage = serde_json::from_value(body).unwrap();
        assert!(!page.reset, "a fresh pull never resets");
        assert_eq!(
            page.total.is_some(),
            cursor.is_none() || !page.has_more,
            "counted on the first page (asked) and the last (with the digest) only"
        );
        rows.extend(page.rows);
        cursor = Some(page.cursor.clone());
        if !page.has_more {
            return (
                rows,
                page.digest.expect("the last page has a digest"),
                page.cursor,
            );
        }
    }
}

async fn world(server: ServerProcess, store: Arc<dyn Store>, tickets: u32) -> World {
    let (staff, owner_id) = register(&server, "door@sahra.jo").await;
    let (buyer, buyer_id) = register(&server, "rania@example.jo").await;
    let org = NewOrganization {
        id: Uuid::now_v7(),
        name: Bilingual::new("سهرة لايف", "Sahra Live").unwrap(),
    };
    store
        .create_organization(org.clone(), owner_id, jiff::Timestamp::now())
        .await
        .unwrap();
    let free = NewTicketType::simple(
        Uuid::now_v7(),
        Bilingual::new("دخول حر", "Free entry").unwrap(),
        Money::jod_fils(0),
        1_000,
    );
    let event = common::event_on_sale(org.id, ("ليلة طرب", "Tarab Night"), vec![free.clone()]);
    let (event_id, starts_at) = (event.id, event.starts_at);
    store.insert_catalog(vec![], vec![event]).await.unwrap();
    issue_free_tickets(&*store, event_id, free.id, buyer_id, tickets).await;
    // The holder's copy carries what the QR codes show.
    let (rows, digest, _) = pull_all(&server, "/api/v1/sync/me", Some(&buyer), 3).await;
    assert_eq!(rows.len(), tickets as usize);
    assert_eq!(digest.count, u64::from(tickets));
    let credentials = rows
        .iter()
        .map(|r| {
            let mine: MyTicket = r.decode().unwrap().unwrap();
            (mine.ticket.serial, mine.credential.expect("valid").text)
        })
        .collect();
    World {
        server,
        others: vec![],
        org_id: org.id,
        event_id,
        starts_at,
        staff,
        credentials,
    }
}

impl World {
    /// The instance a device talks to.
    fn instance_for(&self, device: Uuid) -> &ServerProcess {
        let n = device.as_u128() as usize % (self.others.len() + 1);
        if n == 0 {
            &self.server
        } else {
            &self.others[n - 1]
        }
    }

    /// The instance read from after the pushes.
    fn reader(&self) -> &ServerProcess {
        self.others.last().unwrap_or(&self.server)
    }

    fn door_path(&self) -> String {
        format!("/api/v1/sync/orgs/{}/door/{}", self.org_id, self.event_id)
    }

    /// One page of the door list after `cursor`, `limit` rows at most (the last with the
    /// digest).
    async fn door_page(&self, cursor: &str, limit: u32) -> SyncPage {
        let path = format!(
            "{}?limit={limit}&digest=true&cursor={cursor}",
            self.door_path()
        );
        let (status, body) = self
            .server
            .call(Method::GET, &path, Some(&self.staff), None)
            .await;
        assert_eq!(status, 200, "{body}");
        serde_json::from_value(body).unwrap()
    }

    /// A door device that has downloaded the door list, ready to admit offline, and the
    /// event's credential number.
    async fn door_device(&self, dir: &tempfile::TempDir, name: &str) -> (DoorStore, u32) {
        let (rows, digest, _) =
            pull_all(&self.server, &self.door_path(), Some(&self.staff), 2).await;
        let mut check = ScopeDigest::default();
        rows.iter()
            .filter(|r| r.data.is_some())
            .for_each(|r| check.add(r.version));
        assert_eq!(check, digest, "the door list arrived whole");
        let mut event: Option<DoorEvent> = None;
        let mut keys = vec![];
        let mut types = vec![];
        let mut tickets = 0;
        for row in &rows {
            match row.kind {
                RowKind::DoorEvent => event = row.decode().unwrap(),
                RowKind::Key => {
                    let key: DoorKey = row.decode().unwrap().unwrap();
                    let bytes: [u8; 32] = base64_decode(&key.public_key).try_into().unwrap();
                    keys.push(TicketPublicKey::from_bytes(key.key_id, &bytes).unwrap());
                }
                RowKind::TicketType => {
                    let t: DoorTicketType = row.decode().unwrap().unwrap();
                    types.push(SetupType {
                        ticket_type: t.number,
                        type_id: t.type_id,
                        policy: t.entry_policy,
                    });
                }
                RowKind::Ticket => {
                    let t: DoorTicket = row.decode().unwrap().unwrap();
                    assert!(t.revoked.is_none());
                    tickets += 1;
                }
                _ => {}
            }
        }
        assert_eq!(tickets, self.credentials.len());
        let event = event.expect("the door event");
        let mut door = DoorStore::open(
            &dir.path().join(format!("{name}.db")),
            Uuid::now_v7(),
            Durability::Normal,
        )
        .unwrap();
        let event_ref = event.event_ref;
        door.install_event(&DoorEventSetup {
            event_ref,
            event_id: event.event_id,
            time_zone: event.time_zone,
            rotating: None,
            keys,
            ticket_types: types,
        })
        .unwrap();
        (door, event_ref)
    }

    /// Pushes `scans` as mutations numbered by their log positions.
    async fn push(&self, device: Uuid, scans: &[ScanRecord]) -> Vec<MutationOutcome> {
        let mutations: Vec<Value> = scans
            .iter()
            .map(|s| {
                json!({
                    "id": Uuid::now_v7(),
                    "number": s.seq.to_string(),
                    "op": { "kind": "scan", "scan": s },
                })
            })
            .collect();
        let (status, body) = self
            .instance_for(device)
            .call(
                Method::POST,
                "/api/v1/sync/push",
                Some(&self.staff),
                Some(json!({ "device_id": device, "mutations": mutations })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let answer: PushAnswer = serde_json::from_value(body).unwrap();
        answer.results.into_iter().map(|r| r.outcome).collect()
    }

    /// Every scan of the event the server holds, as a device catches up from nothing.
    async fn all_scans(&self, page: u32) -> Vec<ScanRecord> {
        let mut marks: HashMap<Uuid, u64> = HashMap::new();
        let mut all = vec![];
        loop {
            let pairs: Vec<(Uuid, u64)> = marks.iter().map(|(d, s)| (*d, *s)).collect();
            let path = format!(
                "{}/scans?limit={page}&marks={}",
                self.door_path(),
                format_marks(&pairs)
            );
            let (status, body) = self
                .reader()
                .call(Method::GET, &path, Some(&self.staff), None)
                .await;
            assert_eq!(status, 200, "{body}");
            let got: ScanPage = serde_json::from_value(body).unwrap();
            for scan in &got.scans {
                marks.insert(scan.device_id, scan.seq);
            }
            all.extend(got.scans);
            if !got.has_more {
                return all;
            }
        }
    }

    async fn conflicts(&self) -> Vec<DoorConflict> {
        let (rows, _, _) = pull_all(self.reader(), &self.door_path(), Some(&self.staff), 50).await;
        rows.iter()
            .filter(|r| r.kind == RowKind::Conflict)
            .filter_map(|r| r.decode().unwrap())
            .collect()
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

async fn three_doors_converge(w: World, seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let mut doors = [
        ("north", w.door_device(&dir, "north").await),
        ("south", w.door_device(&dir, "south").await),
        ("vip", w.door_device(&dir, "vip").await),
    ];
    let serials: Vec<u32> = w.credentials.keys().copied().collect();
    // Overlapping sets: some tickets at one door, some at two or three (people sharing a
    // screenshot), each door offline, a minute apart.
    let plan: [&[usize]; 3] = [&[0, 1, 2, 3], &[2, 3, 4, 5], &[3, 5, 6]];
    let mut logs: Vec<(Uuid, Vec<ScanRecord>)> = vec![];
    for (n, (gate, (door, event_ref))) in doors.iter_mut().enumerate() {
        let event_ref = *event_ref;
        let mut log = vec![];
        for (k, &i) in plan[n].iter().enumerate() {
            let at =
                w.starts_at + jiff::SignedDuration::from_secs((60 * (n as i64 + 1)) + k as i64);
            let (verdict, record) = door
                .scan(
                    event_ref,
                    &w.credentials[&serials[i]],
                    gate,
                    Direction::In,
                    at,
                )
                .unwrap();
            assert!(
                verdict.is_admitted(),
                "offline, each door admits what it has not seen: {verdict:?}"
            );
            log.push(record);
        }
        // A forged text is refused and recorded too.
        let (verdict, record) = door
            .scan(
                event_ref,
                "HF:NOT-A-TICKET",
                gate,
                Direction::In,
                w.starts_at,
            )
            .unwrap();
        assert!(!verdict.is_admitted());
        log.push(record);
        logs.push((door.device_id(), log));
    }
    // Each device's log in two pushes; every push sent twice; all pushes in a random order,
    // so a device's second push often overtakes its first.
    let mut shuffle = Shuffle(seed);
    let mut pushes: Vec<(Uuid, Vec<ScanRecord>)> = vec![];
    for (device, log) in &logs {
        let (first, second) = log.split_at(log.len() / 2);
        for _ in 0..2 {
            pushes.push((*device, first.to_vec()));
            pushes.push((*device, second.to_vec()));
        }
    }
    shuffle.shuffle(&mut pushes);
    let mut applied: HashMap<Uuid, BTreeSet<u64>> = HashMap::new();
    let mut deferred: Vec<(Uuid, ScanRecord)> = vec![];
    for (device, scans) in &pushes {
        let outcomes = w.push(*device, scans).await;
        for (scan, outcome) in scans.iter().zip(outcomes) {
            match outcome {
                MutationOutcome::Applied => {
                    assert!(
                        applied.entry(*device).or_default().insert(scan.seq),
                        "applied twice"
                    );
                }
                MutationOutcome::Duplicate => {
                    assert!(
                        applied[device].contains(&scan.seq),
                        "a duplicate of nothing"
                    );
                }
                MutationOutcome::Deferred => deferred.push((*device, scan.clone())),
                MutationOutcome::Rejected { code, .. } => panic!("rejected: {code:?}"),
            }
        }
    }
    // What was deferred is pushed again, as an outbox would, until it is all in.
    for (device, log) in &logs {
        let outcomes = w.push(*device, log).await;
        for (scan, outcome) in log.iter().zip(outcomes) {
            if outcome == MutationOutcome::Applied {
                applied.entry(*device).or_default().insert(scan.seq);
            } else {
                assert_eq!(outcome, MutationOutcome::Duplicate);
            }
        }
        assert_eq!(
            applied[device].len(),
            log.len(),
            "every scan of the device is in"
        );
    }
    // Every device merges everyone's scans and arrives at the same admitted set.
    let everything = w.all_scans(4).await;
    assert_eq!(
        everything.len(),
        logs.iter().map(|(_, l)| l.len()).sum::<usize>()
    );
    let mut admitted_sets = vec![];
    for (_, (door, event_ref)) in doors.iter_mut() {
        door.merge_remote_scans(&everything).unwrap();
        admitted_sets.push(door.admitted_count(*event_ref).unwrap());
    }
    assert!(admitted_sets.iter().all(|&n| n == 7), "{admitted_sets:?}");
    // The server flags exactly the admissions the one order says were second, once each.
    let mut by_ticket: BTreeMap<u32, Vec<ScanRecord>> = BTreeMap::new();
    for scan in &everything {
        if let Some(serial) = scan.ticket_serial {
            by_ticket.entry(serial).or_default().push(scan.clone());
        }
    }
    let expected: BTreeSet<Uuid> = by_ticket
        .values()
        .flat_map(|scans| flag_admissions(scans, EntryPolicy::SingleEntry, None))
        .map(|f| f.scan_id)
        .collect();
    // Tickets 2 and 5 at two doors, ticket 3 at three: four second admissions.
    assert_eq!(expected.len(), 4);
    let reported = w.conflicts().await;
    let ids: Vec<Uuid> = reported.iter().map(|c| c.scan.scan_id).collect();
    assert_eq!(
        ids.len(),
        ids.iter().collect::<BTreeSet<_>>().len(),
        "each reported once"
    );
    assert_eq!(
        ids.into_iter().collect::<BTreeSet<_>>(),
        expected,
        "seed {seed}"
    );
    for conflict in &reported {
        let first = conflict
            .first
            .as_ref()
            .expect("a double admission names the first");
        assert_ne!(first.device_id, conflict.scan.device_id);
    }
}

#[tokio::test]
async fn three_offline_doors_converge_on_sqlite_and_report_every_double_admission_once() {
    let server = start_server(None);
    let store: Arc<dyn Store> =
        Arc::new(hafla_server::store::SqliteStore::open(server.data_dir.path()).unwrap());
    let w = world(server, store, 8).await;
    three_doors_converge(w, 0x5eed_0001).await;
}

#[tokio::test]
async fn three_offline_doors_on_two_postgresql_instances_converge_and_report_every_double_admission_once()
 {
    let database = FreshDatabase::create();
    let url = database.url();
    let server = start_server(Some(&url));
    let store: Arc<dyn Store> = Arc::new(
        hafla_server::store::PgStore::connect(&url, Default::default())
            .await
            .unwrap(),
    );
    let mut w = world(server, store, 8).await;
    // Devices attached to two instances behind one load balancer.
    w.others.push(start_server(Some(&url)));
    three_doors_converge(w, 0x5eed_0002).await;
}

#[tokio::test]
async fn a_cursor_from_an_earlier_life_of_the_scope_resets_once_and_then_pages_on() {
    let server = start_server(None);
    let path = server.data_dir.path().join("hafla.db");
    let store: Arc<dyn Store> =
        Arc::new(hafla_server::store::SqliteStore::open(server.data_dir.path()).unwrap());
    let w = world(server, store, 3).await;
    let (_, _, cursor) = pull_all(&w.server, &w.door_path(), Some(&w.staff), 100).await;
    // As after restoring an older copy of the database.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE sync_heads SET epoch = epoch + 1 WHERE scope_kind = 'door'",
            [],
        )
        .unwrap();
    let reset = w.door_page(&cursor, 2).await;
    assert!(reset.reset);
    assert!(reset.has_more, "the reset page starts the scope over");
    let mut page = reset;
    let mut rows = page.rows.len();
    while page.has_more {
        page = w.door_page(&page.cursor, 2).await;
        assert!(!page.reset, "a reset never repeats");
        rows += page.rows.len();
    }
    assert_eq!(page.digest.map(|d| d.count), Some(rows as u64));
    let (status, body) = w
        .server
        .call(
            Method::GET,
            &format!("{}?cursor=garbage", w.door_path()),
            Some(&w.staff),
            None,
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_parameter"))
    );
    let (status, body) = w
        .server
        .call(
            Method::GET,
            &format!("{}?digest=yes", w.door_path()),
            Some(&w.staff),
            None,
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_parameter"))
    );
    assert!(
        body["message"].as_str().unwrap().contains("digest"),
        "{body}"
    );
}

/// Reads `hint` events from a server-sent event stream.
struct Hints {
    response: reqwest::Response,
    buffer: String,
}

impl Hints {
    async fn open(server_url: &str, scopes: &str, token: &str) -> Hints {
        let response = reqwest::Client::new()
            .get(format!("{server_url}/api/v1/sync/hints?scopes={scopes}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Hints {
            response,
            buffer: String::new(),
        }
    }

    /// The next hint's data, waiting up to 10 s.
    async fn next(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let event: String = self.buffer.drain(..end + 2).collect();
                    if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) {
                        return serde_json::from_str(data).unwrap();
                    }
                    continue;
                }
                let chunk = self
                    .response
                    .chunk()
                    .await
                    .unwrap()
                    .expect("the stream ended");
                self.buffer.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await
        .expect("a hint within 10 s")
    }
}

/// Two doors admitting one ticket: the push that reveals it changes the door scope.
async fn double_admission(w: &World, dir: &tempfile::TempDir) {
    let serial = *w.credentials.keys().next().unwrap();
    for name in ["a", "b"] {
        let (mut door, event_ref) = w.door_device(dir, name).await;
        let (_, record) = door
            .scan(
                event_ref,
                &w.credentials[&serial],
                name,
                Direction::In,
                w.starts_at,
            )
            .unwrap();
        assert_eq!(record.effect, ScanEffect::Entered);
        assert_eq!(
            w.push(door.device_id(), &[record]).await,
            vec![MutationOutcome::Applied]
        );
    }
}

#[tokio::test]
async fn a_listening_door_hears_a_hint_when_its_scope_changes() {
    let server = start_server(None);
    let store: Arc<dyn Store> =
        Arc::new(hafla_server::store::SqliteStore::open(server.data_dir.path()).unwrap());
    let w = world(server, store, 2).await;
    let scope = format!("door:{}", w.event_id);
    let mut hints = Hints::open(&w.server.url, &scope, &w.staff).await;
    let first = hints.next().await;
    assert_eq!(
        first["scope"],
        scope.as_str(),
        "one hint per scope on connecting"
    );
    let before: u64 = first["version"].as_str().unwrap().parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    double_admission(&w, &dir).await;
    let hint = hints.next().await;
    let after: u64 = hint["version"].as_str().unwrap().parse().unwrap();
    assert!(after > before);
    // Someone else's event's door is not theirs to listen to.
    let (stranger, _) = register(&w.server, "stranger@example.jo").await;
    let (status, body) = w
        .server
        .call(
            Method::GET,
            &format!("/api/v1/sync/hints?scopes={scope}"),
            Some(&stranger),
            None,
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
}

#[tokio::test]
async fn a_door_on_one_postgresql_instance_hears_changes_made_through_the_other() {
    let database = FreshDatabase::create();
    let url = database.url();
    let (a, b) = (start_server(Some(&url)), start_server(Some(&url)));
    let store: Arc<dyn Store> = Arc::new(
        hafla_server::store::PgStore::connect(&url, Default::default())
            .await
            .unwrap(),
    );
    let w = world(a, store, 2).await;
    let scope = format!("door:{}", w.event_id);
    let mut hints = Hints::open(&b.url, &scope, &w.staff).await;
    let before: u64 = hints.next().await["version"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    double_admission(&w, &dir).await;
    let after: u64 = hints.next().await["version"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(after > before, "the hint crossed instances");
    drop(b);
}

#[tokio::test]
async fn a_reader_never_skips_a_version_whose_writer_commits_late() {
    use sqlx::Connection;
    let database = FreshDatabase::create();
    let url = database.url();
    let server = start_server(Some(&url));
    let store: Arc<dyn Store> = Arc::new(
        hafla_server::store::PgStore::connect(&url, Default::default())
            .await
            .unwrap(),
    );
    let w = Arc::new(world(server, store, 2).await);
    let (_, _, start) = pull_all(&w.server, &w.door_path(), Some(&w.staff), 100).await;
    // The held writer takes the next version of the door scope and stays open.
    let mut held = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut held).await.unwrap();
    sqlx::query("SELECT sync_touch('door', $1, 'ticket', '999999', false)")
        .bind(w.event_id)
        .execute(&mut held)
        .await
        .unwrap();
    // Another writer commits meanwhile: a double admission through the API.
    let writer = {
        let w = w.clone();
        tokio::spawn(async move {
            let dir = tempfile::tempdir().unwrap();
            double_admission(&w, &dir).await;
        })
    };
    // Readers keep pulling from where they were while both are in flight.
    for _ in 0..20 {
        let page = w.door_page(&start, 100).await;
        assert!(
            page.rows.is_empty(),
            "nothing is visible while the earlier version is open: {:?}",
            page.rows
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sqlx::query("COMMIT").execute(&mut held).await.unwrap();
    tokio::time::timeout(Duration::from_secs(20), writer)
        .await
        .expect("the other writer finishes once the held one commits")
        .unwrap();
    let (rows, _, _) = pull_all(&w.server, &w.door_path(), Some(&w.staff), 100).await;
    let held_row = rows
        .iter()
        .find(|r| r.kind == RowKind::Ticket && r.key == "999999")
        .expect("the held writer's row is there");
    let later: Vec<u64> = rows
        .iter()
        .filter(|r| r.kind == RowKind::Conflict)
        .map(|r| r.version)
        .collect();
    assert!(!later.is_empty());
    assert!(
        later.iter().all(|&v| v > held_row.version),
        "the version taken first is the one that was held"
    );
}

#[tokio::test]
async fn a_ticket_revoked_while_a_door_is_offline_is_refused_after_sync_and_the_admission_before_is_flagged_not_lost()
 {
    let server = start_server(None);
    let store: Arc<dyn Store> =
        Arc::new(hafla_server::store::SqliteStore::open(server.data_dir.path()).unwrap());
    let w = world(server, store.clone(), 2).await;
    let dir = tempfile::tempdir().unwrap();
    let (mut door, event_ref) = w.door_device(&dir, "gate").await;
    let (_, _, cursor) = pull_all(&w.server, &w.door_path(), Some(&w.staff), 100).await;
    // The holder gives the ticket away while the door is offline: the old one is revoked.
    let (serial, text) = w
        .credentials
        .iter()
        .next()
        .map(|(s, t)| (*s, t.clone()))
        .unwrap();
    let ticket = store
        .tickets_of_holder(buyer_of(&w).await, 10)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.serial == serial)
        .unwrap();
    let (_, friend) = register(&w.server, "friend@example.jo").await;
    store
        .transfer_ticket(ticket.id, ticket.holder_id, friend, jiff::Timestamp::now())
        .await
        .unwrap();
    // Offline, the door still admits it: it has not heard.
    let (verdict, record) = door
        .scan(event_ref, &text, "gate", Direction::In, w.starts_at)
        .unwrap();
    assert!(verdict.is_admitted());
    assert_eq!(
        w.push(door.device_id(), std::slice::from_ref(&record))
            .await,
        vec![MutationOutcome::Applied]
    );
    // Syncing brings the revocation: the same ticket is refused from now on.
    let page = w.door_page(&cursor, 100).await;
    let revoked: DoorTicket = page
        .rows
        .iter()
        .find(|r| r.kind == RowKind::Ticket && r.key == serial.to_string())
        .and_then(|r| r.decode().unwrap())
        .expect("the revoked ticket's row");
    let revocation = revoked.revoked.expect("revoked");
    door.revoke(event_ref, serial, revocation.reason, revocation.at)
        .unwrap();
    let (again, _) = door
        .scan(event_ref, &text, "gate", Direction::In, w.starts_at)
        .unwrap();
    assert_eq!(again.key(), "revoked");
    // The admission made before the revocation reached the door is kept and flagged.
    let flagged: Vec<DoorConflict> = page
        .rows
        .iter()
        .filter(|r| r.kind == RowKind::Conflict)
        .filter_map(|r| r.decode().unwrap())
        .collect();
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    assert_eq!(flagged[0].scan.scan_id, record.id);
    assert_eq!(
        flagged[0].kind,
        hafla_core::wire::sync::ConflictKind::AdmittedAfterRevocation
    );
    assert!(
        w.all_scans(10).await.iter().any(|s| s.id == record.id),
        "not lost"
    );
}

/// The buyer of the world's tickets.
async fn buyer_of(w: &World) -> Uuid {
    let (status, body) = w
        .server
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "email": "rania@example.jo", "password": "a long enough password" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    let (_, me) = w
        .server
        .call(Method::GET, "/api/v1/me", Some(token), None)
        .await;
    Uuid::parse_str(me["id"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn a_download_resumes_after_the_server_restarts_without_starting_over() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hafla.db");
    let url = format!("sqlite://{}", file.display());
    let server = start_server(Some(&url));
    let store: Arc<dyn Store> =
        Arc::new(hafla_server::store::SqliteStore::open_file(&file).unwrap());
    let mut w = world(server, store, 6).await;
    let mut page = w.door_page("", 2).await;
    assert!(page.has_more);
    let mut rows = page.rows.clone();
    // The server is killed mid-download and comes back on the same database.
    w.server = start_server(Some(&url));
    while page.has_more {
        page = w.door_page(&page.cursor, 2).await;
        assert!(!page.reset, "a restart is not another life of the scope");
        rows.extend(page.rows.clone());
    }
    let mut digest = ScopeDigest::default();
    rows.iter().for_each(|r| digest.add(r.version));
    assert_eq!(page.digest, Some(digest), "the resumed download is whole");
}
