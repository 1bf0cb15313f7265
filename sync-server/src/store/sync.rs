//! The sync change log as both backends keep it (migration 0011): scope heads and one log
//! row per entity per scope, written by triggers in the entity's own transaction; devices
//! and the mutation numbers they have pushed; door scans and the conflicts derived from
//! them. The rules that must not differ between backends live here: scope keys, how a
//! page is cut, and which scans conflict (`hafla_core::door::conflicts`).

use super::StoreError;
use async_trait::async_trait;
use hafla_core::Bilingual;
use hafla_core::door::Hlc;
use hafla_core::door::ScanRecord;
use hafla_core::door::conflicts::{FlaggedScan, flag_admissions};
use hafla_core::door::verifier::{Direction, EntryPolicy, RevocationReason, ScanEffect};
use hafla_core::wire::ErrorCode;
use hafla_core::wire::sync::{
    ConflictKind, DoorConflict, DoorEvent, DoorRevocation, DoorTicket, RowKind, ScanPlace, Scope,
    ScopeDigest,
};
use std::collections::HashMap;
use uuid::Uuid;

/// Which kind of scope, as the log stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScopeKind {
    Catalog,
    Me,
    Org,
    Door,
}

impl ScopeKind {
    pub fn key(self) -> &'static str {
        match self {
            ScopeKind::Catalog => "catalog",
            ScopeKind::Me => "me",
            ScopeKind::Org => "org",
            ScopeKind::Door => "door",
        }
    }

    pub fn from_key(key: &str) -> Option<ScopeKind> {
        [
            ScopeKind::Catalog,
            ScopeKind::Me,
            ScopeKind::Org,
            ScopeKind::Door,
        ]
        .into_iter()
        .find(|k| k.key() == key)
    }
}

/// A scope as stored: its kind and whose it is (the nil id for the catalog, the user for
/// `me`, the organization, the event).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeKey {
    pub kind: ScopeKind,
    pub subject: Uuid,
}

impl ScopeKey {
    /// The stored scope a caller means by `scope` (`me` is the caller's own).
    pub fn of(scope: Scope, user_id: Option<Uuid>) -> Option<ScopeKey> {
        let (kind, subject) = match scope {
            Scope::Catalog => (ScopeKind::Catalog, Uuid::nil()),
            Scope::Me => (ScopeKind::Me, user_id?),
            Scope::Org(id) => (ScopeKind::Org, id),
            Scope::Door(id) => (ScopeKind::Door, id),
        };
        Some(ScopeKey { kind, subject })
    }

    /// The wire scope this is, as its owner names it.
    pub fn scope(self) -> Scope {
        match self.kind {
            ScopeKind::Catalog => Scope::Catalog,
            ScopeKind::Me => Scope::Me,
            ScopeKind::Org => Scope::Org(self.subject),
            ScopeKind::Door => Scope::Door(self.subject),
        }
    }

    /// The text after `sync:` in a change announcement (as the PostgreSQL triggers write it).
    pub fn payload(self) -> String {
        format!("{}:{}", self.kind.key(), self.subject)
    }

    pub fn from_payload(text: &str) -> Option<ScopeKey> {
        let (kind, subject) = text.split_once(':')?;
        Some(ScopeKey {
            kind: ScopeKind::from_key(kind)?,
            subject: Uuid::parse_str(subject).ok()?,
        })
    }
}

/// Where a scope stands: its current version and the epoch of its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScopeHead {
    pub epoch: i64,
    pub version: u64,
}

/// A place in a scope's log, which is ordered by version, then kind, then key: on
/// PostgreSQL every row one transaction writes to a scope shares that transaction's
/// version, so a page may end inside a version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogPosition {
    /// Every row up to this version has been delivered…
    pub version: u64,
    /// …except, when set, the rows of `version` itself after this (kind, key as stored).
    pub within: Option<(String, String)>,
}

impl LogPosition {
    /// Everything up to and including `version`.
    pub fn through(version: u64) -> LogPosition {
        LogPosition {
            version,
            within: None,
        }
    }

    /// Everything up to and including `row`.
    pub fn after_row(row: &LogRow) -> LogPosition {
        LogPosition {
            version: row.version,
            within: Some((row.kind.key().to_owned(), row.key.clone())),
        }
    }

    /// The start of the log, where a fresh copy begins (it needs no tombstones).
    pub fn is_start(&self) -> bool {
        self.version == 0
    }
}

/// When a log page counts the scope's live rows (which reads the whole scope).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    Never,
    /// Only on the last page, for the digest that proves a copy whole.
    AtEnd,
    Always,
}

impl Count {
    /// Whether a page that has (or has not) more after it counts.
    pub fn counts(self, has_more: bool) -> bool {
        match self {
            Count::Never => false,
            Count::AtEnd => !has_more,
            Count::Always => true,
        }
    }
}

/// One log row: an entity of the scope as of `version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRow {
    pub kind: RowKind,
    /// As stored: 32 hex digits for entity ids, decimal for numbers.
    pub key: String,
    pub version: u64,
    pub deleted: bool,
}

impl LogRow {
    /// A row as either backend reads it.
    pub(crate) fn from_stored(
        kind: String,
        key: String,
        version: i64,
        deleted: bool,
    ) -> Result<LogRow, StoreError> {
        Ok(LogRow {
            kind: RowKind::from_key(&kind).ok_or_else(|| corrupt("row kind", &kind))?,
            key,
            version: version as u64,
            deleted,
        })
    }

    /// The key as the wire shows it: ids as UUIDs, numbers as they are.
    pub fn wire_key(&self) -> String {
        match Uuid::try_parse(&self.key) {
            Ok(id) if self.key.len() == 32 => id.to_string(),
            _ => self.key.clone(),
        }
    }

    /// The entity id of a row keyed by one.
    pub fn entity_id(&self) -> Option<Uuid> {
        (self.key.len() == 32)
            .then(|| Uuid::try_parse(&self.key).ok())
            .flatten()
    }
}

/// The stored form of an entity id in log keys.
pub fn log_key(id: Uuid) -> String {
    id.simple().to_string()
}

/// One page of a scope's log, read in one snapshot.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogPage {
    /// `None`: nothing was ever written to the scope.
    pub head: Option<ScopeHead>,
    pub rows: Vec<LogRow>,
    pub has_more: bool,
    /// The scope's live rows at the snapshot, when asked for (counting reads the whole
    /// scope).
    pub live: Option<ScopeDigest>,
    /// The entities of the page's rows that the backend reads in the same snapshot, in
    /// bulk (door tickets and conflicts, catalog events, the door event), by (kind, key as
    /// stored). Other kinds are read by the caller.
    pub data: PageData,
}

/// What to do with one pushed mutation, decided before the store sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum PushItem {
    /// Record the scan for `event_id` (authorized already).
    Scan { event_id: Uuid, scan: ScanRecord },
    /// Move past it: it can never apply.
    Reject { code: ErrorCode },
}

#[derive(Clone, Debug, PartialEq)]
pub struct PushOp {
    pub id: Uuid,
    pub number: u64,
    pub item: PushItem,
}

/// How the store took one mutation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushOutcome {
    Applied,
    Duplicate,
    /// Not the device's next number: an earlier one is missing.
    Deferred,
    Rejected(ErrorCode),
}

/// Why a whole push is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PushRefusal {
    #[error("the device belongs to another account")]
    DeviceOfAnotherAccount,
}

/// An event as credentials name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredentialEvent {
    pub event_id: Uuid,
    pub organization_id: Uuid,
}

#[async_trait]
pub trait SyncStore: Send + Sync {
    /// Rows of `scope` after `after` (live ones only from the start: a fresh copy has
    /// nothing to delete), at most `limit`, in log order, with the scope's head and, as
    /// `count` says, its live digest, all in one snapshot.
    async fn log_page(
        &self,
        scope: ScopeKey,
        after: &LogPosition,
        limit: u32,
        count: Count,
    ) -> Result<LogPage, StoreError>;

    /// The scope's head now, for hints.
    async fn scope_head(&self, scope: ScopeKey) -> Result<Option<ScopeHead>, StoreError>;

    /// The event whose credentials carry `event_ref`.
    async fn credential_event(&self, event_ref: u32)
    -> Result<Option<CredentialEvent>, StoreError>;

    /// Applies a device's mutations in order, each number at most once, in one
    /// transaction: only the device's next number applies; lower ones are duplicates,
    /// higher ones wait (deferred) for the missing ones. Rejected ones still advance. Scans are recorded
    /// idempotently and the conflicts of every ticket they touch recomputed.
    async fn push(
        &self,
        device_id: Uuid,
        user_id: Uuid,
        ops: Vec<PushOp>,
        now: jiff::Timestamp,
    ) -> Result<Result<Vec<PushOutcome>, PushRefusal>, StoreError>;

    /// Scans of `event_id` beyond each device's mark (devices not named: all), by device
    /// then log position, at most `limit`; `true` when more remain.
    async fn scans_after(
        &self,
        event_id: Uuid,
        marks: HashMap<Uuid, u64>,
        limit: u32,
    ) -> Result<(Vec<ScanRecord>, bool), StoreError>;
}

/// `sync_devices.last_number` of a device whose numbering the server no longer knows: a
/// restore from a backup forgot the pushes made after it (which the device has already
/// dropped), so the next number the device sends is taken as its next.
pub const UNKNOWN_NUMBER: i64 = -1;

/// The last number a device applied, as stored (`None`: unknown, see [`UNKNOWN_NUMBER`]).
pub(crate) fn applied_through(stored: i64) -> Option<u64> {
    u64::try_from(stored).ok()
}

/// The stored form of [`applied_through`]'s answer.
pub(crate) fn stored_number(last: Option<u64>) -> i64 {
    last.map_or(UNKNOWN_NUMBER, |n| n as i64)
}

/// What to do with mutation `number` of a device that has applied up to `last` (`None`:
/// unknown, so this one applies).
pub(crate) fn sequence(number: u64, last: Option<u64>) -> Option<PushOutcome> {
    let last = last?;
    if number <= last {
        Some(PushOutcome::Duplicate)
    } else if number > last + 1 {
        Some(PushOutcome::Deferred)
    } else {
        None
    }
}

/// Cuts a page from `limit + 1` rows read in version order.
pub(crate) fn cut_page(mut rows: Vec<LogRow>, limit: u32) -> (Vec<LogRow>, bool) {
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    (rows, has_more)
}

/// One ticket's facts for deciding its conflicts.
pub(crate) struct TicketHistory {
    pub scans: Vec<ScanRecord>,
    pub policy: EntryPolicy,
    pub revoked_at: Option<jiff::Timestamp>,
}

/// The ticket whose conflicts a scan may change, if any: refused scans never count
/// ([`flag_admissions`]), so a ticket shown again and refused needs no recomputing.
pub(crate) fn conflict_ticket(scan: &ScanRecord) -> Option<u32> {
    scan.ticket_serial
        .filter(|_| scan.effect != hafla_core::door::verifier::ScanEffect::Refused)
}

/// The conflicts a ticket's history implies, for backends to store in place of the old.
pub(crate) fn conflicts_of(history: &TicketHistory) -> Vec<FlaggedScan> {
    flag_admissions(&history.scans, history.policy, history.revoked_at)
}

/// The page data of one entity, keyed as [`LogPage::data`] keys it.
pub(crate) type PageData = HashMap<(RowKind, String), serde_json::Value>;

pub(crate) fn put<T: serde::Serialize>(
    data: &mut PageData,
    kind: RowKind,
    key: String,
    value: &T,
) -> Result<(), StoreError> {
    let value = serde_json::to_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    data.insert((kind, key), value);
    Ok(())
}

fn corrupt(what: &str, value: impl std::fmt::Debug) -> StoreError {
    StoreError::Corrupt(format!("{what} {value:?}"))
}

fn millis(ms: i64) -> Result<jiff::Timestamp, StoreError> {
    jiff::Timestamp::from_millisecond(ms).map_err(|_| corrupt("time", ms))
}

/// A stored scan, column for column as both backends select it.
pub(crate) struct ScanRow {
    pub id: Uuid,
    pub device_id: Uuid,
    pub seq: i64,
    pub event_ref: i64,
    pub ticket_serial: Option<i64>,
    pub ticket_type: Option<i64>,
    pub gate: String,
    pub direction: String,
    pub device_time_ms: i64,
    pub hlc: i64,
    pub verdict: String,
    pub effect: String,
}

impl ScanRow {
    pub fn into_record(self) -> Result<ScanRecord, StoreError> {
        let small = |what: &str, v: Option<i64>| -> Result<Option<u32>, StoreError> {
            v.map(|v| u32::try_from(v).map_err(|_| corrupt(what, v)))
                .transpose()
        };
        Ok(ScanRecord {
            id: self.id,
            device_id: self.device_id,
            seq: self.seq as u64,
            event_ref: u32::try_from(self.event_ref)
                .map_err(|_| corrupt("event ref", self.event_ref))?,
            ticket_serial: small("serial", self.ticket_serial)?,
            ticket_type: small("ticket type", self.ticket_type)?
                .map(|t| u16::try_from(t).map_err(|_| corrupt("ticket type", t)))
                .transpose()?,
            direction: Direction::from_key(&self.direction)
                .ok_or_else(|| corrupt("direction", &self.direction))?,
            effect: ScanEffect::from_key(&self.effect)
                .ok_or_else(|| corrupt("effect", &self.effect))?,
            gate: self.gate,
            device_time: millis(self.device_time_ms)?,
            hlc: Hlc(self.hlc as u64),
            verdict: self.verdict,
        })
    }
}

/// A door ticket as both backends select it: serial, type number, first revocation.
pub(crate) struct DoorTicketRow {
    pub serial: i64,
    pub position: i64,
    pub reason: Option<String>,
    pub revoked_at: Option<i64>,
}

impl DoorTicketRow {
    pub fn put(self, data: &mut PageData) -> Result<(), StoreError> {
        let revoked = match (self.reason, self.revoked_at) {
            (Some(reason), Some(at)) => Some(DoorRevocation {
                reason: RevocationReason::from_key(&reason)
                    .ok_or_else(|| corrupt("reason", &reason))?,
                at: super::rows::timestamp(at)?,
            }),
            _ => None,
        };
        let ticket = DoorTicket {
            ticket_type: u16::try_from(self.position)
                .map_err(|_| corrupt("position", self.position))?,
            revoked,
        };
        put(data, RowKind::Ticket, self.serial.to_string(), &ticket)
    }
}

/// Where a scan happened, as both backends select it.
pub(crate) struct ScanPlaceRow {
    pub scan_id: Uuid,
    pub device_id: Uuid,
    pub gate: String,
    pub device_time_ms: i64,
}

impl ScanPlaceRow {
    fn into_place(self) -> Result<ScanPlace, StoreError> {
        Ok(ScanPlace {
            scan_id: self.scan_id,
            device_id: self.device_id,
            gate: self.gate,
            at: millis(self.device_time_ms)?,
        })
    }
}

/// A flagged scan as both backends select it.
pub(crate) struct ConflictRow {
    pub kind: String,
    pub ticket_serial: i64,
    pub scan: ScanPlaceRow,
    pub first: Option<ScanPlaceRow>,
}

impl ConflictRow {
    pub fn put(self, data: &mut PageData) -> Result<(), StoreError> {
        let key = log_key(self.scan.scan_id);
        let conflict = DoorConflict {
            kind: ConflictKind::from_key(&self.kind)
                .ok_or_else(|| corrupt("conflict", &self.kind))?,
            ticket_serial: u32::try_from(self.ticket_serial)
                .map_err(|_| corrupt("serial", self.ticket_serial))?,
            scan: self.scan.into_place()?,
            first: self.first.map(ScanPlaceRow::into_place).transpose()?,
        };
        put(data, RowKind::Conflict, key, &conflict)
    }
}

/// The door's event as both backends select it.
pub(crate) struct DoorEventRow {
    pub event_id: Uuid,
    pub event_ref: i64,
    pub title: Bilingual,
    pub status: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub time_zone: String,
}

impl DoorEventRow {
    pub fn put(self, data: &mut PageData) -> Result<(), StoreError> {
        let event = DoorEvent {
            event_id: self.event_id,
            event_ref: u32::try_from(self.event_ref)
                .map_err(|_| corrupt("event ref", self.event_ref))?,
            title: self.title,
            status: super::rows::event_status(&self.status)?,
            starts_at: super::rows::timestamp(self.starts_at)?,
            ends_at: super::rows::timestamp(self.ends_at)?,
            time_zone: self.time_zone,
        };
        put(data, RowKind::DoorEvent, log_key(self.event_id), &event)
    }
}

/// Which stored conflicts of a ticket to delete and which to write, given what its
/// history flags now.
pub(crate) fn conflict_changes(
    stored: &HashMap<Uuid, (String, Option<Uuid>)>,
    flagged: &[FlaggedScan],
) -> (Vec<Uuid>, Vec<FlaggedScan>) {
    let keep: std::collections::HashSet<Uuid> = flagged.iter().map(|f| f.scan_id).collect();
    let gone = stored
        .keys()
        .filter(|id| !keep.contains(id))
        .copied()
        .collect();
    let write = flagged
        .iter()
        .filter(|f| stored.get(&f.scan_id) != Some(&(f.kind.key().to_owned(), f.first)))
        .cloned()
        .collect();
    (gone, write)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_whose_numbering_was_forgotten_applies_whatever_number_comes_next() {
        let last = applied_through(stored_number(None));
        assert_eq!(last, None);
        assert_eq!(sequence(41, last), None, "applies");
        assert_eq!(sequence(41, Some(41)), Some(PushOutcome::Duplicate));
        assert_eq!(sequence(43, Some(41)), Some(PushOutcome::Deferred));
        assert_eq!(applied_through(stored_number(Some(41))), Some(41));
    }

    #[test]
    fn scope_keys_round_trip_through_announcements() {
        let key = ScopeKey {
            kind: ScopeKind::Door,
            subject: Uuid::now_v7(),
        };
        assert_eq!(ScopeKey::from_payload(&key.payload()), Some(key));
        assert_eq!(ScopeKey::from_payload("door:nope"), None);
        assert_eq!(
            ScopeKey::from_payload("team:00000000-0000-0000-0000-000000000000"),
            None
        );
    }

    #[test]
    fn log_keys_show_ids_as_uuids_and_numbers_as_numbers() {
        let id = Uuid::now_v7();
        let row = |key: String| LogRow {
            kind: RowKind::Ticket,
            key,
            version: 1,
            deleted: false,
        };
        assert_eq!(row(log_key(id)).wire_key(), id.to_string());
        assert_eq!(row(log_key(id)).entity_id(), Some(id));
        assert_eq!(row("17".into()).wire_key(), "17");
        assert_eq!(row("17".into()).entity_id(), None);
    }

    #[test]
    fn a_page_is_cut_at_the_limit_and_says_more_remain() {
        let rows: Vec<LogRow> = (1..=3)
            .map(|v| LogRow {
                kind: RowKind::Ticket,
                key: v.to_string(),
                version: v,
                deleted: false,
            })
            .collect();
        assert_eq!(cut_page(rows.clone(), 2), (rows[..2].to_vec(), true));
        assert_eq!(cut_page(rows.clone(), 3), (rows.clone(), false));
    }
}
