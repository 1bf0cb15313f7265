//! The door device's SQLite: door state per event and the append-only scan log.
//!
//! A scan is committed before its verdict is returned, so a verdict someone saw is never
//! lost. Durability: WAL with `synchronous=NORMAL` by default — a commit survives the app
//! being killed (it is in the WAL the moment `write` returns); only a power cut or OS crash
//! could drop the last moments of scans, which keeps a scan well under a millisecond.
//! [`Durability::Full`] fsyncs every scan for devices that want that too.
//!
//! Verifying a ticket reads only that ticket's rows (by primary key or the
//! `scans_by_ticket` index), never the whole log.

use super::hlc::{Hlc, HlcClock};
pub use super::scan::ScanRecord;
use super::verifier::{
    Direction, DoorContext, EntryPolicy, PriorScan, RevocationReason, RotatingCheck, ScanEffect,
    Verdict, check_credential, decide,
};
use crate::credential::keys::{KeyRing, TicketPublicKey};
use crate::credential::rotating::EventSecret;
use crate::local_store::MIGRATIONS;
use crate::sqlite_migrations::{self, MigrationError};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::collections::HashMap;
use std::path::Path;
use uuid::Uuid;

/// How hard a scan is pushed to disk before its verdict is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Durability {
    /// Survives the app being killed; see the module docs.
    #[default]
    Normal,
    /// Also survives a power cut, at the cost of an fsync per scan.
    Full,
}

/// How a door checks rotating codes for an event (the secret itself comes from the keyring).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RotatingPolicy {
    pub step_secs: u32,
    pub tolerance_steps: u32,
}

/// A ticket type as the door knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoorTicketType {
    pub ticket_type: u16,
    pub type_id: Uuid,
    pub policy: EntryPolicy,
}

/// Everything a door needs to admit to one event, as downloaded.
#[derive(Clone, Debug)]
pub struct DoorEventSetup {
    pub event_ref: u32,
    pub event_id: Uuid,
    pub time_zone: String,
    pub rotating: Option<RotatingPolicy>,
    pub keys: Vec<TicketPublicKey>,
    pub ticket_types: Vec<DoorTicketType>,
}

#[derive(Debug, thiserror::Error)]
pub enum DoorStoreError {
    #[error("cannot open the door database at {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error(transparent)]
    Migration(#[from] MigrationError),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("event {0} is not set up on this door device")]
    UnknownEvent(u32),
    #[error("the door database holds a value this build cannot read: {0}")]
    Corrupt(String),
}

struct EventState {
    keys: KeyRing,
    rotating: Option<RotatingPolicy>,
    time_zone: String,
}

/// The door device's store. One per device; not shared between threads.
pub struct DoorStore {
    conn: Connection,
    device_id: Uuid,
    next_seq: u64,
    clock: HlcClock,
    events: HashMap<u32, EventState>,
    secrets: HashMap<u32, EventSecret>,
}

impl DoorStore {
    /// Opens (creating if needed) the database and resumes this device's log and clock.
    pub fn open(
        path: &Path,
        device_id: Uuid,
        durability: Durability,
    ) -> Result<Self, DoorStoreError> {
        let conn = open_connection(path, durability)?;
        DoorStore::resume(conn, device_id)
    }

    /// Opens the database as the device it belongs to: the device id kept in its settings
    /// (made once, the first time). What a real door device uses; [`DoorStore::open`] lets
    /// tests play several devices.
    pub fn open_device(path: &Path, durability: Durability) -> Result<Self, DoorStoreError> {
        let conn = open_connection(path, durability)?;
        let device_id = crate::local_store::device_id(&conn)?;
        DoorStore::resume(conn, device_id)
    }

    fn resume(conn: Connection, device_id: Uuid) -> Result<Self, DoorStoreError> {
        let last_seq: Option<i64> = conn.query_row(
            "SELECT max(seq) FROM scans WHERE device_id = ?1",
            [device_id],
            |r| r.get(0),
        )?;
        let last_hlc: Option<i64> =
            conn.query_row("SELECT max(hlc) FROM scans", [], |r| r.get(0))?;
        let mut store = DoorStore {
            conn,
            device_id,
            next_seq: last_seq.map_or(1, |s| s as u64 + 1),
            clock: HlcClock::resume(Hlc(last_hlc.unwrap_or(0) as u64)),
            events: HashMap::new(),
            secrets: HashMap::new(),
        };
        store.reload()?;
        Ok(store)
    }

    pub fn device_id(&self) -> Uuid {
        self.device_id
    }

    /// Reads the events' door state (keys, rotating policy, time zone) from the database
    /// again: after a sync wrote new keys or events through another connection, this is
    /// what lets the door admit with them.
    pub fn reload(&mut self) -> Result<(), DoorStoreError> {
        let mut events = HashMap::new();
        let mut stmt = self.conn.prepare(
            "SELECT event_ref, time_zone, rotating, rotating_step_secs, rotating_tolerance FROM door_events",
        )?;
        let rows = stmt.query_map([], |r| {
            let rotating: bool = r.get(2)?;
            Ok((
                r.get::<_, u32>(0)?,
                EventState {
                    keys: KeyRing::default(),
                    time_zone: r.get(1)?,
                    rotating: rotating
                        .then(|| {
                            Ok::<_, rusqlite::Error>(RotatingPolicy {
                                step_secs: r.get(3)?,
                                tolerance_steps: r.get(4)?,
                            })
                        })
                        .transpose()?,
                },
            ))
        })?;
        for row in rows {
            let (event_ref, state) = row?;
            events.insert(event_ref, state);
        }
        let mut stmt = self
            .conn
            .prepare("SELECT event_ref, key_id, public_key FROM door_keys")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        for row in rows {
            let (event_ref, key_id, bytes) = row?;
            let bytes: [u8; 32] = bytes
                .try_into()
                .map_err(|_| DoorStoreError::Corrupt(format!("public key {key_id}")))?;
            let key = TicketPublicKey::from_bytes(key_id, &bytes)
                .map_err(|e| DoorStoreError::Corrupt(format!("public key {key_id}: {e}")))?;
            if let Some(event) = events.get_mut(&event_ref) {
                event.keys.insert(key);
            }
        }
        drop(stmt);
        self.events = events;
        Ok(())
    }

    /// Installs or replaces an event's door state (keys, ticket types, rotating policy).
    /// Scans and revocations already recorded are kept.
    pub fn install_event(&mut self, setup: &DoorEventSetup) -> Result<(), DoorStoreError> {
        let tx = self.conn.transaction()?;
        let rotating = setup.rotating.unwrap_or(RotatingPolicy {
            step_secs: crate::credential::rotating::DEFAULT_STEP_SECS,
            tolerance_steps: crate::credential::rotating::DEFAULT_TOLERANCE_STEPS,
        });
        tx.execute(
            "INSERT INTO door_events (event_ref, event_id, time_zone, rotating, rotating_step_secs, rotating_tolerance)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (event_ref) DO UPDATE SET event_id = excluded.event_id, time_zone = excluded.time_zone,
               rotating = excluded.rotating, rotating_step_secs = excluded.rotating_step_secs,
               rotating_tolerance = excluded.rotating_tolerance",
            params![
                setup.event_ref,
                setup.event_id,
                setup.time_zone,
                setup.rotating.is_some(),
                rotating.step_secs,
                rotating.tolerance_steps
            ],
        )?;
        tx.execute(
            "DELETE FROM door_keys WHERE event_ref = ?1",
            [setup.event_ref],
        )?;
        for key in &setup.keys {
            tx.execute(
                "INSERT INTO door_keys (event_ref, key_id, public_key) VALUES (?1, ?2, ?3)",
                params![setup.event_ref, key.key_id, key.key.as_bytes().as_slice()],
            )?;
        }
        tx.execute(
            "DELETE FROM door_ticket_types WHERE event_ref = ?1",
            [setup.event_ref],
        )?;
        for t in &setup.ticket_types {
            tx.execute(
                "INSERT INTO door_ticket_types (event_ref, ticket_type, type_id, entry_policy) VALUES (?1, ?2, ?3, ?4)",
                params![setup.event_ref, t.ticket_type, t.type_id, t.policy.key()],
            )?;
        }
        tx.commit()?;
        self.reload()
    }

    /// Gives the door the event's rotating-code secret (kept in memory; the app keeps it in
    /// the OS keyring, never in this database).
    pub fn set_rotating_secret(&mut self, event_ref: u32, secret: EventSecret) {
        self.secrets.insert(event_ref, secret);
    }

    /// Records that a ticket no longer admits (refund, cancellation, transfer).
    pub fn revoke(
        &mut self,
        event_ref: u32,
        ticket_serial: u32,
        reason: RevocationReason,
        at: jiff::Timestamp,
    ) -> Result<(), DoorStoreError> {
        self.conn.execute(
            "INSERT INTO door_revocations (event_ref, ticket_serial, reason, revoked_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (event_ref, ticket_serial) DO UPDATE SET reason = excluded.reason, revoked_at = excluded.revoked_at",
            params![event_ref, ticket_serial, reason.key(), at.as_second()],
        )?;
        Ok(())
    }

    /// Verifies a scanned text for `event_ref` at `gate`, records the scan durably, and
    /// returns the verdict with the stored record.
    pub fn scan(
        &mut self,
        event_ref: u32,
        text: &str,
        gate: &str,
        direction: Direction,
        now: jiff::Timestamp,
    ) -> Result<(Verdict, ScanRecord), DoorStoreError> {
        let event = self
            .events
            .get(&event_ref)
            .ok_or(DoorStoreError::UnknownEvent(event_ref))?;
        let door = DoorContext {
            event_ref,
            keys: &event.keys,
            rotating: event.rotating.and_then(|p| {
                self.secrets.get(&event_ref).map(|secret| RotatingCheck {
                    secret,
                    step_secs: p.step_secs,
                    tolerance_steps: p.tolerance_steps,
                })
            }),
        };
        let tx = self.conn.transaction()?;
        let (verdict, ticket) = match check_credential(text, &door, now) {
            Err(verdict) => (verdict, None),
            Ok(credential) => {
                let c = credential.claims;
                let verdict =
                    decide_from_db(&tx, event_ref, c.ticket_serial, c.ticket_type, direction)?;
                (verdict, Some((c.ticket_serial, c.ticket_type)))
            }
        };
        let record = ScanRecord {
            id: Uuid::now_v7(),
            device_id: self.device_id,
            seq: self.next_seq,
            event_ref,
            ticket_serial: ticket.map(|t| t.0),
            ticket_type: ticket.map(|t| t.1),
            gate: gate.to_owned(),
            direction,
            device_time: now,
            hlc: self.clock.tick(now.as_millisecond().max(0) as u64),
            verdict: verdict.key().to_owned(),
            effect: verdict.effect(),
        };
        insert_scan(&tx, &record)?;
        // Queued in the scan's own transaction: a scan is never recorded without being
        // on its way to the server.
        enqueue_scan(&tx, &record)?;
        tx.commit()?;
        self.next_seq += 1;
        Ok((verdict, record))
    }

    /// Adds scans made by other devices (from sync); already known ones (same device and
    /// seq) are ignored.
    /// Returns how many were new.
    pub fn merge_remote_scans(&mut self, scans: &[ScanRecord]) -> Result<usize, DoorStoreError> {
        let tx = self.conn.transaction()?;
        let mut added = 0;
        for scan in scans.iter().filter(|s| s.device_id != self.device_id) {
            added += insert_scan(&tx, scan)?;
            self.clock.observe(scan.hlc);
        }
        tx.commit()?;
        Ok(added)
    }

    /// This device's own scans after log position `seq`, oldest first (what to push).
    pub fn local_scans_after(&self, seq: u64) -> Result<Vec<ScanRecord>, DoorStoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, device_id, seq, event_ref, ticket_serial, ticket_type, gate, direction, device_time_ms,
                    hlc, verdict, effect
             FROM scans WHERE device_id = ?1 AND seq > ?2 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![self.device_id, seq as i64], read_scan_row)?;
        rows.map(|r| r?.map_err(DoorStoreError::Corrupt)).collect()
    }

    /// How many distinct tickets of the event have entered, by any device this door knows of.
    pub fn admitted_count(&self, event_ref: u32) -> Result<u64, DoorStoreError> {
        Ok(self.conn.query_row(
            "SELECT count(DISTINCT ticket_serial) FROM scans WHERE event_ref = ?1 AND effect = 'entered'",
            [event_ref],
            |r| r.get(0),
        )?)
    }

    /// The event's display time zone.
    pub fn time_zone(&self, event_ref: u32) -> Option<&str> {
        self.events.get(&event_ref).map(|e| e.time_zone.as_str())
    }
}

fn decide_from_db(
    tx: &Transaction<'_>,
    event_ref: u32,
    serial: u32,
    ticket_type: u16,
    direction: Direction,
) -> Result<Verdict, DoorStoreError> {
    // A type the door has not heard of yet (added after the last sync) is still a genuine,
    // signed ticket: it gets the strictest policy rather than a refusal.
    let policy = tx
        .prepare_cached(
            "SELECT entry_policy FROM door_ticket_types WHERE event_ref = ?1 AND ticket_type = ?2",
        )?
        .query_row(params![event_ref, ticket_type], |r| r.get::<_, String>(0))
        .optional()?
        .and_then(|p| EntryPolicy::from_key(&p))
        .unwrap_or_default();
    let revoked = tx
        .prepare_cached(
            "SELECT reason FROM door_revocations WHERE event_ref = ?1 AND ticket_serial = ?2",
        )?
        .query_row(params![event_ref, serial], |r| r.get::<_, String>(0))
        .optional()?
        .map(|r| {
            RevocationReason::from_key(&r)
                .ok_or_else(|| DoorStoreError::Corrupt(format!("reason {r}")))
        })
        .transpose()?;
    let mut stmt = tx.prepare_cached(
        "SELECT hlc, device_id, gate, device_time_ms, effect FROM scans
         WHERE event_ref = ?1 AND ticket_serial = ?2 AND effect <> 'refused'",
    )?;
    let history = stmt
        .query_map(params![event_ref, serial], |r| {
            let effect: String = r.get(4)?;
            Ok(PriorScan {
                hlc: Hlc(r.get::<_, i64>(0)? as u64),
                device_id: r.get(1)?,
                gate: r.get(2)?,
                at: jiff::Timestamp::from_millisecond(r.get(3)?).unwrap_or_default(),
                effect: ScanEffect::from_key(&effect).unwrap_or(ScanEffect::Refused),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(decide(
        serial,
        ticket_type,
        direction,
        policy,
        revoked,
        &history,
    ))
}

fn open_connection(path: &Path, durability: Durability) -> Result<Connection, DoorStoreError> {
    let mut conn = Connection::open(path).map_err(|source| DoorStoreError::Open {
        path: path.display().to_string(),
        source,
    })?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let sync = match durability {
        Durability::Normal => "NORMAL",
        Durability::Full => "FULL",
    };
    conn.pragma_update(None, "synchronous", sync)?;
    // The sync engine writes the same file through its own connection.
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    sqlite_migrations::apply(&mut conn, MIGRATIONS)?;
    Ok(conn)
}

/// Puts the scan in the outbox as a mutation (its id is the scan's id; the outbox numbers
/// it).
fn enqueue_scan(tx: &Transaction<'_>, record: &ScanRecord) -> Result<(), DoorStoreError> {
    let op = crate::wire::sync::MutationOp::Scan {
        scan: record.clone(),
    };
    let op = serde_json::to_string(&op).map_err(|e| DoorStoreError::Corrupt(e.to_string()))?;
    tx.prepare_cached("INSERT INTO outbox (id, op, created_at) VALUES (?1, ?2, ?3)")?
        .execute(params![record.id, op, record.device_time.as_second()])?;
    Ok(())
}

/// Inserts a scan unless its (device, seq) is known; returns 1 if inserted.
fn insert_scan(tx: &Transaction<'_>, s: &ScanRecord) -> Result<usize, DoorStoreError> {
    Ok(tx
        .prepare_cached(
            "INSERT INTO scans (id, device_id, seq, event_ref, ticket_serial, ticket_type, gate, direction,
                device_time_ms, hlc, verdict, effect)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            s.id,
            s.device_id,
            s.seq as i64,
            s.event_ref,
            s.ticket_serial,
            s.ticket_type,
            s.gate,
            s.direction.key(),
            s.device_time.as_millisecond(),
            s.hlc.0 as i64,
            s.verdict,
            s.effect.key(),
        ])?)
}

fn read_scan_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<ScanRecord, String>> {
    let direction: String = r.get(7)?;
    let effect: String = r.get(11)?;
    let millis: i64 = r.get(8)?;
    let (Some(direction), Some(effect), Ok(device_time)) = (
        Direction::from_key(&direction),
        ScanEffect::from_key(&effect),
        jiff::Timestamp::from_millisecond(millis),
    ) else {
        return Ok(Err(format!(
            "scan row with direction {direction:?}, effect {effect:?}, time {millis}"
        )));
    };
    Ok(Ok(ScanRecord {
        id: r.get(0)?,
        device_id: r.get(1)?,
        seq: r.get::<_, i64>(2)? as u64,
        event_ref: r.get(3)?,
        ticket_serial: r.get(4)?,
        ticket_type: r.get(5)?,
        gate: r.get(6)?,
        direction,
        device_time,
        hlc: Hlc(r.get::<_, i64>(9)? as u64),
        verdict: r.get(10)?,
        effect,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::keys::{IssuerKeys, TicketSigningKey};
    use crate::credential::rotating::{EventSecret, TicketSecret};
    use crate::credential::{Claims, Credential};
    use jiff::SignedDuration;

    const EVENT: u32 = 501;

    struct Door {
        _dir: tempfile::TempDir,
        path: std::path::PathBuf,
        device: Uuid,
        issuer: IssuerKeys,
        now: jiff::Timestamp,
    }

    impl Door {
        fn new() -> Door {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("hafla.db");
            Door {
                _dir: dir,
                path,
                device: Uuid::now_v7(),
                issuer: IssuerKeys::new(TicketSigningKey::generate(1).unwrap()),
                now: "2026-12-03T18:00:00Z".parse().unwrap(),
            }
        }

        fn setup(&self, rotating: Option<RotatingPolicy>) -> DoorEventSetup {
            DoorEventSetup {
                event_ref: EVENT,
                event_id: Uuid::now_v7(),
                time_zone: "Asia/Amman".into(),
                rotating,
                keys: self.issuer.key_ring().iter().copied().collect(),
                ticket_types: vec![
                    DoorTicketType {
                        ticket_type: 0,
                        type_id: Uuid::now_v7(),
                        policy: EntryPolicy::SingleEntry,
                    },
                    DoorTicketType {
                        ticket_type: 1,
                        type_id: Uuid::now_v7(),
                        policy: EntryPolicy::InAndOut,
                    },
                ],
            }
        }

        fn open(&self) -> DoorStore {
            let mut store = DoorStore::open(&self.path, self.device, Durability::Normal).unwrap();
            store.install_event(&self.setup(None)).unwrap();
            store
        }

        fn claims(&self, serial: u32, ticket_type: u16) -> Claims {
            let (valid_from_hour, valid_hours) = Claims::window(
                self.now - SignedDuration::from_hours(1),
                self.now + SignedDuration::from_hours(5),
            )
            .unwrap();
            Claims {
                key_id: 0,
                event_ref: EVENT,
                ticket_serial: serial,
                ticket_type,
                valid_from_hour,
                valid_hours,
                rotating: false,
            }
        }

        fn ticket(&self, serial: u32, ticket_type: u16) -> String {
            Credential::issue(self.claims(serial, ticket_type), self.issuer.active()).to_text()
        }
    }

    fn key(v: &Verdict) -> &'static str {
        v.key()
    }

    #[test]
    fn a_ticket_is_admitted_once_then_refused_as_already_admitted_with_the_first_gate() {
        let door = Door::new();
        let mut store = door.open();
        let ticket = door.ticket(7, 0);
        let (first, record) = store
            .scan(EVENT, &ticket, "North", Direction::In, door.now)
            .unwrap();
        assert!(first.is_admitted(), "{first:?}");
        assert_eq!((record.seq, record.ticket_serial), (1, Some(7)));
        let later = door.now + SignedDuration::from_mins(5);
        let (second, _) = store
            .scan(EVENT, &ticket, "South", Direction::In, later)
            .unwrap();
        match second {
            Verdict::AlreadyAdmitted {
                gate,
                at,
                device_id,
                ..
            } => {
                assert_eq!(
                    (gate.as_str(), at, device_id),
                    ("North", door.now, door.device)
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(store.admitted_count(EVENT).unwrap(), 1);
    }

    #[test]
    fn a_restart_between_two_scans_loses_nothing() {
        let door = Door::new();
        let ticket = door.ticket(7, 0);
        {
            let mut store = door.open();
            assert!(
                store
                    .scan(EVENT, &ticket, "North", Direction::In, door.now)
                    .unwrap()
                    .0
                    .is_admitted()
            );
        }
        let mut store = DoorStore::open(&door.path, door.device, Durability::Normal).unwrap();
        let (again, record) = store
            .scan(EVENT, &ticket, "North", Direction::In, door.now)
            .unwrap();
        assert_eq!(key(&again), "already_admitted");
        assert_eq!(record.seq, 2, "the device's log continues where it stopped");
        let log = store.local_scans_after(0).unwrap();
        assert_eq!(log.len(), 2);
        assert!(
            log[0].hlc < log[1].hlc,
            "the clock resumed after the last scan"
        );
    }

    #[test]
    fn in_and_out_tickets_may_leave_and_come_back_but_not_enter_twice() {
        let door = Door::new();
        let mut store = door.open();
        let ticket = door.ticket(9, 1);
        let t = |m| door.now + SignedDuration::from_mins(m);
        let verdicts: Vec<&str> = [
            (Direction::Out, 0),
            (Direction::In, 1),
            (Direction::In, 2),
            (Direction::Out, 3),
            (Direction::In, 4),
        ]
        .into_iter()
        .map(|(dir, m)| {
            store
                .scan(EVENT, &ticket, "Main", dir, t(m))
                .unwrap()
                .0
                .key()
        })
        .collect();
        assert_eq!(
            verdicts,
            [
                "not_inside",
                "admitted",
                "already_admitted",
                "exited",
                "admitted"
            ]
        );
    }

    #[test]
    fn a_revoked_ticket_is_refused_with_its_reason() {
        let door = Door::new();
        let mut store = door.open();
        store
            .revoke(EVENT, 7, RevocationReason::Refunded, door.now)
            .unwrap();
        let (verdict, record) = store
            .scan(EVENT, &door.ticket(7, 0), "North", Direction::In, door.now)
            .unwrap();
        assert_eq!(
            verdict,
            Verdict::Revoked {
                ticket_serial: 7,
                reason: RevocationReason::Refunded
            }
        );
        assert_eq!(record.effect, ScanEffect::Refused);
        assert_eq!(store.admitted_count(EVENT).unwrap(), 0);
    }

    #[test]
    fn after_a_key_rotation_tickets_signed_by_the_old_and_the_new_key_both_enter() {
        let mut door = Door::new();
        let old_ticket = door.ticket(1, 0);
        door.issuer
            .rotate(TicketSigningKey::generate(2).unwrap())
            .unwrap();
        let new_ticket = door.ticket(2, 0);
        assert_ne!(
            Credential::parse(&old_ticket).unwrap().claims.key_id,
            Credential::parse(&new_ticket).unwrap().claims.key_id
        );
        let mut store = door.open();
        assert!(
            store
                .scan(EVENT, &old_ticket, "N", Direction::In, door.now)
                .unwrap()
                .0
                .is_admitted()
        );
        assert!(
            store
                .scan(EVENT, &new_ticket, "N", Direction::In, door.now)
                .unwrap()
                .0
                .is_admitted()
        );
    }

    #[test]
    fn a_ticket_signed_by_a_key_the_door_does_not_hold_is_refused_as_unknown_key() {
        let door = Door::new();
        let mut store = door.open();
        let stranger = TicketSigningKey::generate(77).unwrap();
        let text = Credential::issue(door.claims(1, 0), &stranger).to_text();
        let (verdict, record) = store
            .scan(EVENT, &text, "N", Direction::In, door.now)
            .unwrap();
        assert_eq!(verdict, Verdict::UnknownKey { key_id: 77 });
        assert_eq!(
            record.ticket_serial, None,
            "an unverified claim never joins a ticket's history"
        );
    }

    #[test]
    fn wrong_event_early_and_late_tickets_get_their_own_verdicts() {
        let door = Door::new();
        let mut store = door.open();
        let other_event = Claims {
            event_ref: EVENT + 1,
            ..door.claims(1, 0)
        };
        let text = Credential::issue(other_event, door.issuer.active()).to_text();
        assert_eq!(
            key(&store
                .scan(EVENT, &text, "N", Direction::In, door.now)
                .unwrap()
                .0),
            "wrong_event"
        );
        let ticket = door.ticket(2, 0);
        let early = door.now - SignedDuration::from_hours(3);
        assert_eq!(
            key(&store
                .scan(EVENT, &ticket, "N", Direction::In, early)
                .unwrap()
                .0),
            "not_yet_valid"
        );
        let late = door.now + SignedDuration::from_hours(6);
        assert_eq!(
            key(&store
                .scan(EVENT, &ticket, "N", Direction::In, late)
                .unwrap()
                .0),
            "expired"
        );
        assert!(
            store
                .scan(EVENT, &ticket, "N", Direction::In, door.now)
                .unwrap()
                .0
                .is_admitted()
        );
    }

    #[test]
    fn garbage_is_recorded_as_malformed_and_an_unknown_event_is_an_error() {
        let door = Door::new();
        let mut store = door.open();
        let (verdict, _) = store
            .scan(EVENT, "hello world", "N", Direction::In, door.now)
            .unwrap();
        assert_eq!(key(&verdict), "malformed");
        assert!(matches!(
            store.scan(999, &door.ticket(1, 0), "N", Direction::In, door.now),
            Err(DoorStoreError::UnknownEvent(999))
        ));
    }

    #[test]
    fn a_rotating_code_is_accepted_inside_the_tolerance_and_refused_outside() {
        let door = Door::new();
        let mut store = DoorStore::open(&door.path, door.device, Durability::Full).unwrap();
        let policy = RotatingPolicy {
            step_secs: 15,
            tolerance_steps: 1,
        };
        store.install_event(&door.setup(Some(policy))).unwrap();
        let event_secret = EventSecret::from_bytes([42; 32]);
        store.set_rotating_secret(EVENT, event_secret.clone());

        let app_ticket = Credential::issue(
            Claims {
                rotating: true,
                ..door.claims(3, 1)
            },
            door.issuer.active(),
        );
        let ticket_secret: TicketSecret = event_secret.ticket_secret(EVENT, 3);
        let shown_at = door.now;
        let shown = app_ticket
            .with_code(ticket_secret.code_at(shown_at.as_second(), 15))
            .to_text();

        let scan = |store: &mut DoorStore, text: &str, secs: i64| {
            let at = shown_at + SignedDuration::from_secs(secs);
            store
                .scan(EVENT, text, "N", Direction::In, at)
                .unwrap()
                .0
                .key()
        };
        assert_eq!(
            scan(&mut store, &shown, 40),
            "code_expired",
            "a screenshot 40 s old"
        );
        assert_eq!(
            scan(&mut store, &app_ticket.to_text(), 0),
            "code_expired",
            "a static copy"
        );
        assert_eq!(
            scan(&mut store, &shown, 20),
            "admitted",
            "shown 20 s ago: within one step"
        );

        let other = DoorStore::open(&door.path, Uuid::now_v7(), Durability::Normal);
        let mut without_secret = other.unwrap();
        assert_eq!(
            scan(&mut without_secret, &shown, 0),
            "code_expired",
            "no secret, no admission"
        );
    }

    #[test]
    fn scans_from_another_device_count_and_merging_twice_adds_nothing() {
        let door = Door::new();
        let ticket = door.ticket(5, 0);
        let other_dir = tempfile::tempdir().unwrap();
        let other_device = Uuid::now_v7();
        let mut other = DoorStore::open(
            &other_dir.path().join("d.db"),
            other_device,
            Durability::Normal,
        )
        .unwrap();
        other.install_event(&door.setup(None)).unwrap();
        assert!(
            other
                .scan(EVENT, &ticket, "East", Direction::In, door.now)
                .unwrap()
                .0
                .is_admitted()
        );
        let pushed = other.local_scans_after(0).unwrap();

        let mut store = door.open();
        assert_eq!(store.merge_remote_scans(&pushed).unwrap(), 1);
        assert_eq!(store.merge_remote_scans(&pushed).unwrap(), 0);
        let later = door.now + SignedDuration::from_mins(1);
        match store
            .scan(EVENT, &ticket, "West", Direction::In, later)
            .unwrap()
            .0
        {
            Verdict::AlreadyAdmitted {
                gate, device_id, ..
            } => {
                assert_eq!((gate.as_str(), device_id), ("East", other_device));
            }
            other => panic!("{other:?}"),
        }
        assert!(
            store
                .local_scans_after(0)
                .unwrap()
                .iter()
                .all(|s| s.device_id == door.device)
        );
    }

    #[test]
    fn verifying_a_ticket_reads_it_through_the_index_not_the_whole_log() {
        let door = Door::new();
        let store = door.open();
        let plan: Vec<String> = store
            .conn
            .prepare(
                "EXPLAIN QUERY PLAN SELECT hlc FROM scans
                 WHERE event_ref = 1 AND ticket_serial = 2 AND effect <> 'refused'",
            )
            .unwrap()
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter()
                .any(|p| p.contains("USING INDEX scans_by_ticket")),
            "{plan:?}"
        );
    }
}
