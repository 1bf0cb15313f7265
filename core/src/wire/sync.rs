//! The sync protocol's shapes: pulling a scope page by page, pushing a device's mutations,
//! exchanging door scans, and live hints.
//!
//! A scope is a slice of the server's data a device may copy: `catalog` (published events,
//! for anyone), `me` (the caller's tickets), `org:{id}` (an organization's events, for its
//! members), `door:{event}` (what a door needs to admit offline, for door roles). The server
//! keeps one row per entity per scope with the scope version of its last change; a pull
//! returns the rows changed after a cursor, in version order.

use super::ErrorCode;
use crate::bilingual::Bilingual;
use crate::door::ScanRecord;
use crate::door::verifier::{EntryPolicy, RevocationReason};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Rows a pull answers at most, whatever `limit` asks.
pub const MAX_PAGE_ROWS: u32 = 10_000;
/// Rows a pull answers when it names no `limit`.
pub const DEFAULT_PAGE_ROWS: u32 = 2_000;
/// Mutations one push may carry.
pub const MAX_PUSH_MUTATIONS: usize = 1_000;
/// Scans a scan pull answers at most.
pub const MAX_SCAN_PAGE: u32 = 5_000;

/// A slice of the server's data a device may hold a copy of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Catalog,
    Me,
    Org(Uuid),
    Door(Uuid),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Catalog => f.write_str("catalog"),
            Scope::Me => f.write_str("me"),
            Scope::Org(id) => write!(f, "org:{id}"),
            Scope::Door(id) => write!(f, "door:{id}"),
        }
    }
}

impl FromStr for Scope {
    type Err = ();

    fn from_str(s: &str) -> Result<Scope, ()> {
        match s {
            "catalog" => Ok(Scope::Catalog),
            "me" => Ok(Scope::Me),
            _ => {
                let (kind, id) = s.split_once(':').ok_or(())?;
                let id = Uuid::parse_str(id).map_err(|_| ())?;
                match kind {
                    "org" => Ok(Scope::Org(id)),
                    "door" => Ok(Scope::Door(id)),
                    _ => Err(()),
                }
            }
        }
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map_err(|()| serde::de::Error::custom(format!("unknown scope {text:?}")))
    }
}

/// What a row of a scope is; each kind's `data` has the type named here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// `catalog`: an [`EventSummary`](super::EventSummary), keyed by event id.
    Event,
    /// `org:{id}`: an [`OrganizerEvent`](super::OrganizerEvent), keyed by event id.
    OrgEvent,
    /// `me`: a [`MyTicket`], keyed by ticket id.
    MyTicket,
    /// `door:{event}`: the [`DoorEvent`], keyed by event id (one row).
    DoorEvent,
    /// `door:{event}`: a [`DoorTicketType`], keyed by its number within the event.
    TicketType,
    /// `door:{event}`: a [`DoorKey`], keyed by key id.
    Key,
    /// `door:{event}`: a [`DoorTicket`], keyed by its serial.
    Ticket,
    /// `door:{event}`: a [`DoorConflict`], keyed by the flagged scan's id.
    Conflict,
}

impl RowKind {
    pub const ALL: [RowKind; 8] = [
        RowKind::Event,
        RowKind::OrgEvent,
        RowKind::MyTicket,
        RowKind::DoorEvent,
        RowKind::TicketType,
        RowKind::Key,
        RowKind::Ticket,
        RowKind::Conflict,
    ];

    /// The stable key used on the wire and in both sides' databases.
    pub fn key(self) -> &'static str {
        match self {
            RowKind::Event => "event",
            RowKind::OrgEvent => "org_event",
            RowKind::MyTicket => "my_ticket",
            RowKind::DoorEvent => "door_event",
            RowKind::TicketType => "ticket_type",
            RowKind::Key => "key",
            RowKind::Ticket => "ticket",
            RowKind::Conflict => "conflict",
        }
    }

    pub fn from_key(key: &str) -> Option<RowKind> {
        RowKind::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// One entity of a scope as of `version`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct SyncRow {
    pub kind: RowKind,
    pub key: String,
    /// The scope version of the entity's last change (decimal string).
    #[serde(with = "super::u64_string")]
    #[cfg_attr(test, ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub version: u64,
    /// The entity, of the type its `kind` names; absent when it left the scope (deleted,
    /// unpublished, transferred away): the device drops its copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(type = "unknown", optional))]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<serde_json::Value>))]
    pub data: Option<serde_json::Value>,
}

impl SyncRow {
    /// The row's entity as `T`; `Ok(None)` for a row that left the scope.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<Option<T>, serde_json::Error> {
        self.data.clone().map(serde_json::from_value).transpose()
    }
}

/// Proof that a device's copy of a scope is whole: the number of live rows and the wrapping
/// sum of their versions. A missing row lowers the count; a stale one, the sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct ScopeDigest {
    #[serde(with = "super::u64_string")]
    #[cfg_attr(test, ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub count: u64,
    #[serde(with = "super::u64_string")]
    #[cfg_attr(test, ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub version_sum: u64,
}

impl ScopeDigest {
    /// Adds one live row of version `version`.
    pub fn add(&mut self, version: u64) {
        self.count += 1;
        self.version_sum = self.version_sum.wrapping_add(version);
    }
}

/// One page of a pull. Apply its rows and keep its cursor in one local transaction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct SyncPage {
    #[cfg_attr(test, ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub scope: Scope,
    /// Drop everything held of this scope before applying these rows: the cursor sent was
    /// from an earlier life of the scope (or the server's data was restored). The page
    /// starts the scope from the beginning, so a reset never repeats.
    pub reset: bool,
    pub rows: Vec<SyncRow>,
    /// Opaque; send it as `cursor` for the next page (also once `has_more` is false, to
    /// catch up later).
    pub cursor: String,
    pub has_more: bool,
    /// Live rows in the scope now, for a progress bar (rows done / total): when asked for
    /// with `total=true`, and on a last page that carries the digest.
    #[serde(
        default,
        with = "super::u64_string::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(test, ts(type = "string", optional))]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub total: Option<u64>,
    /// On the last page (`has_more` false) when asked for with `digest=true`: the digest
    /// of the scope as of `cursor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub digest: Option<ScopeDigest>,
}

/// `door:{event}`: the event as its doors need it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct DoorEvent {
    pub event_id: Uuid,
    /// The number credentials carry for this event.
    pub event_ref: u32,
    pub title: Bilingual,
    pub status: super::EventStatus,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub starts_at: jiff::Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub ends_at: jiff::Timestamp,
    pub time_zone: String,
}

/// `door:{event}`: a ticket type, by the number credentials carry for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct DoorTicketType {
    pub type_id: Uuid,
    pub number: u16,
    pub name: Bilingual,
    pub entry_policy: EntryPolicy,
    pub capacity: u32,
}

/// `door:{event}`: a public key that signs the event's credentials (retired ones still
/// verify the tickets they signed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct DoorKey {
    pub key_id: u32,
    /// The 32-byte Ed25519 public key, base64url without padding.
    pub public_key: String,
}

/// `door:{event}`: one ticket of the door list, as small as it can be (a door list has up
/// to hundreds of thousands). Its serial is the row's key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct DoorTicket {
    /// The ticket type's number.
    #[serde(rename = "t")]
    pub ticket_type: u16,
    /// Present once the ticket no longer admits.
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub revoked: Option<DoorRevocation>,
}

/// Why and when a ticket stopped admitting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct DoorRevocation {
    pub reason: RevocationReason,
    #[cfg_attr(test, ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: jiff::Timestamp,
}

/// What is wrong with a flagged scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// A device let the ticket in although another scan, earlier by the clock, already had:
    /// two people entered on one ticket (typically two doors offline).
    DoubleAdmission,
    /// A device let the ticket in after it had been revoked (the revocation had not reached
    /// that device yet).
    AdmittedAfterRevocation,
}

impl ConflictKind {
    pub fn key(self) -> &'static str {
        match self {
            ConflictKind::DoubleAdmission => "double_admission",
            ConflictKind::AdmittedAfterRevocation => "admitted_after_revocation",
        }
    }

    pub fn from_key(key: &str) -> Option<ConflictKind> {
        [
            ConflictKind::DoubleAdmission,
            ConflictKind::AdmittedAfterRevocation,
        ]
        .into_iter()
        .find(|k| k.key() == key)
    }
}

/// Where and when a scan happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct ScanPlace {
    pub scan_id: Uuid,
    pub device_id: Uuid,
    pub gate: String,
    #[cfg_attr(test, ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: jiff::Timestamp,
}

/// `door:{event}`: a scan that admitted someone it should not have, for staff to look at.
/// Decided from every device's scans in one order (hybrid logical clock, then device id),
/// so every device and the server flag the same scans whatever order they arrived in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct DoorConflict {
    pub kind: ConflictKind,
    pub ticket_serial: u32,
    /// The flagged scan.
    pub scan: ScanPlace,
    /// The admission it collided with (double admissions only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub first: Option<ScanPlace>,
}

/// `me`: a ticket the caller holds (or held), with what shows it offline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct MyTicket {
    pub ticket: super::TicketView,
    pub ticket_type: Bilingual,
    pub event: super::EventSummary,
    pub event_status: super::EventStatus,
    /// What the QR code shows; absent once the ticket is no longer valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub credential: Option<super::TicketCredential>,
}

/// A device's change to send to the server, kept in its outbox until answered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct Mutation {
    /// Made by the device.
    pub id: Uuid,
    /// 1, 2, 3… per device, with no gaps: the server applies each number once, in order.
    #[serde(with = "super::u64_string")]
    #[cfg_attr(test, ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub number: u64,
    pub op: MutationOp,
}

/// What a mutation does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MutationOp {
    /// A door scan, for the event whose credentials carry `scan.event_ref`.
    Scan { scan: ScanRecord },
}

/// `POST /api/v1/sync/push`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub device_id: Uuid,
    /// In increasing `number` order; at most [`MAX_PUSH_MUTATIONS`].
    pub mutations: Vec<Mutation>,
}

/// How the server took one mutation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum MutationOutcome {
    Applied,
    /// Its number was applied before (a retried push): nothing happened again.
    Duplicate,
    /// An earlier number has not arrived yet (pushes overtook each other): nothing
    /// happened; keep it and push it again after the earlier ones.
    Deferred,
    /// It can never apply (bad data, no permission). The server moved past it; the device
    /// drops it and tells its user.
    Rejected {
        code: ErrorCode,
        message: String,
    },
}

/// The answer to one mutation of a push, in the push's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct MutationResult {
    pub id: Uuid,
    #[serde(with = "super::u64_string")]
    #[cfg_attr(test, ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub number: u64,
    #[serde(flatten)]
    pub outcome: MutationOutcome,
}

/// The answer to a push: one result per mutation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct PushAnswer {
    pub results: Vec<MutationResult>,
}

/// Other devices' scans of an event, after the marks the caller sent, by device then
/// log position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct ScanPage {
    pub scans: Vec<ScanRecord>,
    /// More scans are waiting: ask again with the marks advanced.
    pub has_more: bool,
}

/// A live hint: `scope` has changed up to `version`. Pull to learn what; a hint carries no
/// data, so a lost one costs only latency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct SyncHint {
    #[cfg_attr(test, ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub scope: Scope,
    #[serde(with = "super::u64_string")]
    #[cfg_attr(test, ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub version: u64,
}

/// Scan marks as the `marks` query parameter: `device:seq` pairs joined by commas.
pub fn format_marks(marks: &[(Uuid, u64)]) -> String {
    marks
        .iter()
        .map(|(device, seq)| format!("{device}:{seq}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads a `marks` parameter; `None` when any pair is malformed.
pub fn parse_marks(text: &str) -> Option<Vec<(Uuid, u64)>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(',')
        .map(|pair| {
            let (device, seq) = pair.split_once(':')?;
            Some((Uuid::parse_str(device).ok()?, seq.parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_through_their_text() {
        let id = Uuid::now_v7();
        for scope in [Scope::Catalog, Scope::Me, Scope::Org(id), Scope::Door(id)] {
            assert_eq!(scope.to_string().parse::<Scope>(), Ok(scope));
        }
        for bad in ["", "door", "door:", "door:xyz", "team:0190", "CATALOG"] {
            assert!(bad.parse::<Scope>().is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_and_counts_travel_as_strings_so_javascript_keeps_every_bit() {
        let row = SyncRow {
            kind: RowKind::Ticket,
            key: "7".into(),
            version: u64::MAX,
            data: None,
        };
        let json = serde_json::to_string(&row).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"ticket","key":"7","version":"18446744073709551615"}"#
        );
        assert_eq!(serde_json::from_str::<SyncRow>(&json).unwrap(), row);
        assert!(
            serde_json::from_str::<SyncRow>(r#"{"kind":"ticket","key":"7","version":7}"#).is_err()
        );
    }

    #[test]
    fn a_door_ticket_row_is_a_handful_of_bytes() {
        let ticket = DoorTicket {
            ticket_type: 2,
            revoked: None,
        };
        assert_eq!(serde_json::to_string(&ticket).unwrap(), r#"{"t":2}"#);
    }

    #[test]
    fn marks_round_trip_and_garbage_is_refused() {
        let marks = vec![(Uuid::now_v7(), 3), (Uuid::now_v7(), 0)];
        assert_eq!(parse_marks(&format_marks(&marks)), Some(marks));
        assert_eq!(parse_marks(""), Some(vec![]));
        assert_eq!(parse_marks("abc:1"), None);
        assert_eq!(parse_marks(&format!("{}:-1", Uuid::nil())), None);
    }

    #[test]
    fn a_digest_notices_a_missing_row_and_a_stale_one() {
        let mut whole = ScopeDigest::default();
        [3, 5, 9].into_iter().for_each(|v| whole.add(v));
        let mut missing = ScopeDigest::default();
        [3, 9].into_iter().for_each(|v| missing.add(v));
        let mut stale = ScopeDigest::default();
        [3, 4, 9].into_iter().for_each(|v| stale.add(v));
        assert_ne!(whole, missing);
        assert_ne!(whole, stale);
    }
}
