//! The offline verdict: first the credential (shape, event, key, signature, validity window,
//! rotating code), then the ticket's state (revocation, entry policy against its scans).
//!
//! Pure functions over plain data: the door store feeds them what it read by ticket serial,
//! and tests feed them directly.

use super::hlc::Hlc;
use crate::bilingual::Lang;
use crate::credential::keys::KeyRing;
use crate::credential::rotating::EventSecret;
use crate::credential::{Credential, Malformed};
use crate::i18n::localizer;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which way a person passes the scanner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn key(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }

    pub fn from_key(key: &str) -> Option<Direction> {
        match key {
            "in" => Some(Direction::In),
            "out" => Some(Direction::Out),
            _ => None,
        }
    }
}

/// How often a ticket of a type may enter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
#[serde(rename_all = "snake_case")]
pub enum EntryPolicy {
    /// One entry, ever (the default: a copied ticket gets in once).
    #[default]
    SingleEntry,
    /// Any number of entries (a festival day pass checked at each stage).
    MultiEntry,
    /// In, out and in again, but never in twice without going out.
    InAndOut,
}

impl EntryPolicy {
    pub fn key(self) -> &'static str {
        match self {
            EntryPolicy::SingleEntry => "single_entry",
            EntryPolicy::MultiEntry => "multi_entry",
            EntryPolicy::InAndOut => "in_and_out",
        }
    }

    pub fn from_key(key: &str) -> Option<EntryPolicy> {
        [
            EntryPolicy::SingleEntry,
            EntryPolicy::MultiEntry,
            EntryPolicy::InAndOut,
        ]
        .into_iter()
        .find(|p| p.key() == key)
    }
}

/// Why a ticket no longer admits anyone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
#[serde(rename_all = "snake_case")]
pub enum RevocationReason {
    Refunded,
    Cancelled,
    Transferred,
}

impl RevocationReason {
    pub fn key(self) -> &'static str {
        match self {
            RevocationReason::Refunded => "refunded",
            RevocationReason::Cancelled => "cancelled",
            RevocationReason::Transferred => "transferred",
        }
    }

    pub fn from_key(key: &str) -> Option<RevocationReason> {
        [
            RevocationReason::Refunded,
            RevocationReason::Cancelled,
            RevocationReason::Transferred,
        ]
        .into_iter()
        .find(|r| r.key() == key)
    }
}

/// What a scan did to the ticket holder's presence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
#[serde(rename_all = "snake_case")]
pub enum ScanEffect {
    Entered,
    Exited,
    Refused,
}

impl ScanEffect {
    pub fn key(self) -> &'static str {
        match self {
            ScanEffect::Entered => "entered",
            ScanEffect::Exited => "exited",
            ScanEffect::Refused => "refused",
        }
    }

    pub fn from_key(key: &str) -> Option<ScanEffect> {
        [ScanEffect::Entered, ScanEffect::Exited, ScanEffect::Refused]
            .into_iter()
            .find(|e| e.key() == key)
    }
}

/// An earlier scan of the same ticket, by this device or another one (learned by sync).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriorScan {
    pub hlc: Hlc,
    pub device_id: Uuid,
    pub gate: String,
    pub at: jiff::Timestamp,
    pub effect: ScanEffect,
}

/// How the door checks rotating codes of one event.
pub struct RotatingCheck<'a> {
    pub secret: &'a EventSecret,
    pub step_secs: u32,
    pub tolerance_steps: u32,
}

/// What the door knows about the event it admits to, apart from per-ticket facts.
pub struct DoorContext<'a> {
    pub event_ref: u32,
    pub keys: &'a KeyRing,
    /// `None` when this door holds no rotating secret for the event.
    pub rotating: Option<RotatingCheck<'a>>,
}

/// The colour and sound at the door.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Let them through.
    Go,
    /// Stop, but the holder can likely fix it (reopen the app, come back later, staff check).
    Check,
    /// Refuse: forged, revoked, for another event or expired.
    Stop,
}

/// The answer to one scan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Admitted {
        ticket_serial: u32,
        ticket_type: u16,
        /// This ticket was inside before (multi-entry or in-and-out).
        re_entry: bool,
    },
    Exited {
        ticket_serial: u32,
    },
    /// An exit scan of a ticket that is not inside.
    NotInside {
        ticket_serial: u32,
    },
    AlreadyAdmitted {
        ticket_serial: u32,
        at: jiff::Timestamp,
        gate: String,
        device_id: Uuid,
    },
    Revoked {
        ticket_serial: u32,
        reason: RevocationReason,
    },
    WrongEvent {
        event_ref: u32,
    },
    NotYetValid {
        from: jiff::Timestamp,
    },
    Expired {
        until: jiff::Timestamp,
    },
    /// A rotating code that is missing, stale (a screenshot) or wrong.
    CodeExpired,
    UnknownKey {
        key_id: u32,
    },
    BadSignature,
    Malformed {
        #[serde(serialize_with = "serialize_malformed")]
        reason: Malformed,
    },
}

fn serialize_malformed<S: serde::Serializer>(m: &Malformed, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(m.key())
}

impl Verdict {
    /// A stable key, stored in the scan log and sent to the server.
    pub fn key(&self) -> &'static str {
        match self {
            Verdict::Admitted { .. } => "admitted",
            Verdict::Exited { .. } => "exited",
            Verdict::NotInside { .. } => "not_inside",
            Verdict::AlreadyAdmitted { .. } => "already_admitted",
            Verdict::Revoked { .. } => "revoked",
            Verdict::WrongEvent { .. } => "wrong_event",
            Verdict::NotYetValid { .. } => "not_yet_valid",
            Verdict::Expired { .. } => "expired",
            Verdict::CodeExpired => "code_expired",
            Verdict::UnknownKey { .. } => "unknown_key",
            Verdict::BadSignature => "bad_signature",
            Verdict::Malformed { .. } => "malformed",
        }
    }

    /// The Fluent message explaining the verdict to door staff.
    pub fn message_id(&self) -> &'static str {
        match self {
            Verdict::Admitted { re_entry: true, .. } => "verdict-readmitted",
            Verdict::Admitted { .. } => "verdict-admitted",
            Verdict::Exited { .. } => "verdict-exited",
            Verdict::NotInside { .. } => "verdict-not-inside",
            Verdict::AlreadyAdmitted { .. } => "verdict-already-admitted",
            Verdict::Revoked { .. } => "verdict-revoked",
            Verdict::WrongEvent { .. } => "verdict-wrong-event",
            Verdict::NotYetValid { .. } => "verdict-not-yet-valid",
            Verdict::Expired { .. } => "verdict-expired",
            Verdict::CodeExpired => "verdict-code-expired",
            Verdict::UnknownKey { .. } => "verdict-unknown-key",
            Verdict::BadSignature => "verdict-bad-signature",
            Verdict::Malformed { .. } => "verdict-malformed",
        }
    }

    pub fn signal(&self) -> Signal {
        match self {
            Verdict::Admitted { .. } | Verdict::Exited { .. } => Signal::Go,
            Verdict::AlreadyAdmitted { .. }
            | Verdict::NotInside { .. }
            | Verdict::NotYetValid { .. }
            | Verdict::CodeExpired => Signal::Check,
            _ => Signal::Stop,
        }
    }

    pub fn effect(&self) -> ScanEffect {
        match self {
            Verdict::Admitted { .. } => ScanEffect::Entered,
            Verdict::Exited { .. } => ScanEffect::Exited,
            _ => ScanEffect::Refused,
        }
    }

    pub fn is_admitted(&self) -> bool {
        matches!(self, Verdict::Admitted { .. })
    }

    /// The verdict in words for door staff, times shown in `time_zone` (e.g. Asia/Amman).
    pub fn describe(&self, lang: Lang, time_zone: &str) -> String {
        let tz = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let when = |t: &jiff::Timestamp| {
            t.to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        };
        let args: Vec<(&str, fluent_bundle::FluentValue<'_>)> = match self {
            Verdict::AlreadyAdmitted { at, gate, .. } => {
                vec![("time", when(at).into()), ("gate", gate.clone().into())]
            }
            Verdict::Revoked { reason, .. } => vec![("reason", reason.key().into())],
            Verdict::NotYetValid { from } => vec![("time", when(from).into())],
            Verdict::Expired { until } => vec![("time", when(until).into())],
            Verdict::Malformed { reason } => vec![("reason", reason.key().into())],
            _ => vec![],
        };
        localizer().message(lang, self.message_id(), &args)
    }
}

/// Checks everything the credential itself proves, at wall time `now`.
/// Returns the credential when the ticket's own state decides the rest.
pub fn check_credential(
    text: &str,
    door: &DoorContext<'_>,
    now: jiff::Timestamp,
) -> Result<Credential, Verdict> {
    let credential = Credential::parse(text).map_err(|reason| Verdict::Malformed { reason })?;
    let claims = credential.claims;
    if claims.event_ref != door.event_ref {
        return Err(Verdict::WrongEvent {
            event_ref: claims.event_ref,
        });
    }
    match credential.signature_is_valid(door.keys) {
        None => {
            return Err(Verdict::UnknownKey {
                key_id: claims.key_id,
            });
        }
        Some(false) => return Err(Verdict::BadSignature),
        Some(true) => {}
    }
    if now < claims.valid_from() {
        return Err(Verdict::NotYetValid {
            from: claims.valid_from(),
        });
    }
    if now >= claims.valid_until() {
        return Err(Verdict::Expired {
            until: claims.valid_until(),
        });
    }
    if claims.rotating {
        // A door without the event's secret cannot tell a live code from a screenshot.
        let fresh = match (&door.rotating, &credential.code) {
            (Some(check), Some(code)) => check
                .secret
                .ticket_secret(claims.event_ref, claims.ticket_serial)
                .accepts(
                    code,
                    now.as_second(),
                    check.step_secs,
                    check.tolerance_steps,
                ),
            _ => false,
        };
        if !fresh {
            return Err(Verdict::CodeExpired);
        }
    }
    Ok(credential)
}

/// Decides a genuine ticket's scan from its revocation and its earlier scans (any order).
pub fn decide(
    ticket_serial: u32,
    ticket_type: u16,
    direction: Direction,
    policy: EntryPolicy,
    revoked: Option<RevocationReason>,
    history: &[PriorScan],
) -> Verdict {
    if let Some(reason) = revoked {
        return Verdict::Revoked {
            ticket_serial,
            reason,
        };
    }
    let mut accepted: Vec<&PriorScan> = history
        .iter()
        .filter(|s| s.effect != ScanEffect::Refused)
        .collect();
    accepted.sort_by_key(|s| (s.hlc, s.device_id));
    let first_entry = accepted.iter().find(|s| s.effect == ScanEffect::Entered);
    let last = accepted.last();
    let inside = last.is_some_and(|s| s.effect == ScanEffect::Entered);
    let already = |s: &PriorScan| Verdict::AlreadyAdmitted {
        ticket_serial,
        at: s.at,
        gate: s.gate.clone(),
        device_id: s.device_id,
    };
    let admitted = |re_entry| Verdict::Admitted {
        ticket_serial,
        ticket_type,
        re_entry,
    };
    match (direction, policy) {
        (Direction::In, EntryPolicy::SingleEntry) => match first_entry {
            Some(first) => already(first),
            None => admitted(false),
        },
        (Direction::In, EntryPolicy::MultiEntry) => admitted(first_entry.is_some()),
        (Direction::In, EntryPolicy::InAndOut) => match last {
            Some(last) if inside => already(last),
            _ => admitted(first_entry.is_some()),
        },
        (Direction::Out, _) if inside => Verdict::Exited { ticket_serial },
        (Direction::Out, _) => Verdict::NotInside { ticket_serial },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(millis: u64, device: u128, effect: ScanEffect) -> PriorScan {
        PriorScan {
            hlc: Hlc::new(millis, 0),
            device_id: Uuid::from_u128(device),
            gate: format!("gate-{device}"),
            at: jiff::Timestamp::from_millisecond(millis as i64).unwrap(),
            effect,
        }
    }

    #[test]
    fn a_single_entry_ticket_enters_once_and_is_then_already_admitted_with_when_and_where() {
        let first = decide(1, 0, Direction::In, EntryPolicy::SingleEntry, None, &[]);
        assert!(first.is_admitted());
        let history = [
            scan(2_000, 2, ScanEffect::Entered),
            scan(1_000, 1, ScanEffect::Refused),
        ];
        let again = decide(
            1,
            0,
            Direction::In,
            EntryPolicy::SingleEntry,
            None,
            &history,
        );
        assert_eq!(
            again,
            Verdict::AlreadyAdmitted {
                ticket_serial: 1,
                at: history[0].at,
                gate: "gate-2".into(),
                device_id: Uuid::from_u128(2)
            }
        );
    }

    #[test]
    fn the_earliest_admission_by_clock_then_device_is_the_one_reported() {
        let history = [
            scan(5_000, 9, ScanEffect::Entered),
            scan(5_000, 3, ScanEffect::Entered),
            scan(7_000, 1, ScanEffect::Entered),
        ];
        match decide(
            1,
            0,
            Direction::In,
            EntryPolicy::SingleEntry,
            None,
            &history,
        ) {
            Verdict::AlreadyAdmitted { device_id, .. } => assert_eq!(device_id, Uuid::from_u128(3)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn in_and_out_allows_re_entry_only_after_an_exit() {
        let p = EntryPolicy::InAndOut;
        let entered = [scan(1_000, 1, ScanEffect::Entered)];
        assert!(matches!(
            decide(1, 0, Direction::In, p, None, &entered),
            Verdict::AlreadyAdmitted { .. }
        ));
        assert_eq!(
            decide(1, 0, Direction::Out, p, None, &entered),
            Verdict::Exited { ticket_serial: 1 }
        );
        let left = [
            scan(1_000, 1, ScanEffect::Entered),
            scan(2_000, 1, ScanEffect::Exited),
        ];
        assert_eq!(
            decide(1, 0, Direction::In, p, None, &left),
            Verdict::Admitted {
                ticket_serial: 1,
                ticket_type: 0,
                re_entry: true
            }
        );
        assert_eq!(
            decide(1, 0, Direction::Out, p, None, &left),
            Verdict::NotInside { ticket_serial: 1 }
        );
    }

    #[test]
    fn multi_entry_admits_every_time() {
        let history = [
            scan(1_000, 1, ScanEffect::Entered),
            scan(2_000, 1, ScanEffect::Entered),
        ];
        assert!(decide(1, 0, Direction::In, EntryPolicy::MultiEntry, None, &history).is_admitted());
    }

    #[test]
    fn a_revocation_beats_everything_else() {
        let v = decide(
            1,
            0,
            Direction::In,
            EntryPolicy::MultiEntry,
            Some(RevocationReason::Refunded),
            &[],
        );
        assert_eq!(
            v,
            Verdict::Revoked {
                ticket_serial: 1,
                reason: RevocationReason::Refunded
            }
        );
        assert_eq!(v.signal(), Signal::Stop);
    }

    proptest::proptest! {
        #[test]
        fn random_text_is_never_admitted(text in "(HF:)?[0-9A-Z $%*+./:-]{0,160}|\\PC{0,200}") {
            let key = crate::credential::keys::TicketSigningKey::generate(1).unwrap();
            let mut keys = KeyRing::default();
            keys.insert(key.public());
            let door = DoorContext { event_ref: 1, keys: &keys, rotating: None };
            let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
            proptest::prop_assert!(check_credential(&text, &door, now).is_err());
        }
    }

    #[test]
    fn every_verdict_has_words_in_both_languages() {
        let t = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        let all = [
            Verdict::Admitted {
                ticket_serial: 1,
                ticket_type: 0,
                re_entry: false,
            },
            Verdict::Admitted {
                ticket_serial: 1,
                ticket_type: 0,
                re_entry: true,
            },
            Verdict::Exited { ticket_serial: 1 },
            Verdict::NotInside { ticket_serial: 1 },
            Verdict::AlreadyAdmitted {
                ticket_serial: 1,
                at: t,
                gate: "North".into(),
                device_id: Uuid::nil(),
            },
            Verdict::Revoked {
                ticket_serial: 1,
                reason: RevocationReason::Transferred,
            },
            Verdict::WrongEvent { event_ref: 2 },
            Verdict::NotYetValid { from: t },
            Verdict::Expired { until: t },
            Verdict::CodeExpired,
            Verdict::UnknownKey { key_id: 9 },
            Verdict::BadSignature,
            Verdict::Malformed {
                reason: Malformed::LowerCase,
            },
        ];
        for v in &all {
            for lang in Lang::ALL {
                assert!(
                    localizer().has(lang, v.message_id()),
                    "{} in {lang:?}",
                    v.message_id()
                );
                let text = v.describe(lang, "Asia/Amman");
                assert!(!text.is_empty() && !text.contains("verdict-"), "{text}");
            }
        }
        let already = all[4].describe(Lang::En, "Asia/Amman");
        assert!(
            already.contains("North") && already.contains("2027-01-15 11:00"),
            "{already}"
        );
        let revoked = all[5].describe(Lang::Ar, "Asia/Amman");
        assert!(
            revoked.contains("نُقلت") || revoked.contains("نقل"),
            "{revoked}"
        );
    }
}
