//! Which admissions of one ticket should not have happened, decided from every device's
//! scans at once. Devices offline admit from what they know; once their scans meet, one
//! order (hybrid logical clock, then device id) says which admission was first and which
//! ones let a second person in. The answer depends only on the set of scans, never on the
//! order they arrived in, so the server and every device flag the same scans.

use super::scan::ScanRecord;
use super::verifier::{EntryPolicy, ScanEffect};
use crate::wire::sync::ConflictKind;
use uuid::Uuid;

/// A scan that admitted someone it should not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlaggedScan {
    pub scan_id: Uuid,
    pub kind: ConflictKind,
    /// The admission it collided with (double admissions only).
    pub first: Option<Uuid>,
}

/// Flags the admissions among `scans` (one ticket's, any order, from any devices) that
/// its entry policy or its revocation (at `revoked_at`) forbade. Refused scans never count.
pub fn flag_admissions(
    scans: &[ScanRecord],
    policy: EntryPolicy,
    revoked_at: Option<jiff::Timestamp>,
) -> Vec<FlaggedScan> {
    let mut ordered: Vec<&ScanRecord> = scans
        .iter()
        .filter(|s| s.effect != ScanEffect::Refused)
        .collect();
    ordered.sort_by_key(|s| (s.hlc, s.device_id, s.seq));
    let revoked_ms = revoked_at.map(|t| t.as_millisecond());
    let mut flagged = Vec::new();
    let mut first_entry: Option<Uuid> = None;
    // The entry that put the holder inside, while they are inside.
    let mut inside: Option<Uuid> = None;
    for scan in ordered {
        match scan.effect {
            ScanEffect::Entered => {
                if revoked_ms.is_some_and(|at| scan.hlc.millis() as i64 >= at) {
                    flagged.push(FlaggedScan {
                        scan_id: scan.id,
                        kind: ConflictKind::AdmittedAfterRevocation,
                        first: None,
                    });
                    continue;
                }
                let collided_with = match policy {
                    EntryPolicy::SingleEntry => first_entry,
                    EntryPolicy::InAndOut => inside,
                    EntryPolicy::MultiEntry => None,
                };
                if let Some(first) = collided_with {
                    flagged.push(FlaggedScan {
                        scan_id: scan.id,
                        kind: ConflictKind::DoubleAdmission,
                        first: Some(first),
                    });
                    continue;
                }
                first_entry.get_or_insert(scan.id);
                inside = Some(scan.id);
            }
            ScanEffect::Exited => inside = None,
            ScanEffect::Refused => {}
        }
    }
    flagged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::door::Hlc;
    use crate::door::verifier::Direction;

    fn scan(device: u128, seq: u64, millis: u64, effect: ScanEffect) -> ScanRecord {
        ScanRecord {
            id: Uuid::from_u128(device << 32 | u128::from(seq)),
            device_id: Uuid::from_u128(device),
            seq,
            event_ref: 1,
            ticket_serial: Some(7),
            ticket_type: Some(0),
            gate: format!("gate {device}"),
            direction: if effect == ScanEffect::Exited {
                Direction::Out
            } else {
                Direction::In
            },
            device_time: jiff::Timestamp::from_millisecond(millis as i64).unwrap(),
            hlc: Hlc::new(millis, 0),
            verdict: "admitted".into(),
            effect,
        }
    }

    #[test]
    fn two_doors_admitting_one_single_entry_ticket_flag_the_later_admission_only() {
        let a = scan(1, 1, 1_000, ScanEffect::Entered);
        let b = scan(2, 1, 2_000, ScanEffect::Entered);
        let flagged = flag_admissions(&[b.clone(), a.clone()], EntryPolicy::SingleEntry, None);
        assert_eq!(
            flagged,
            vec![FlaggedScan {
                scan_id: b.id,
                kind: ConflictKind::DoubleAdmission,
                first: Some(a.id)
            }]
        );
    }

    #[test]
    fn the_same_scans_in_any_order_flag_the_same_admissions() {
        let scans = vec![
            scan(3, 1, 5_000, ScanEffect::Entered),
            scan(1, 4, 5_000, ScanEffect::Entered),
            scan(2, 2, 4_000, ScanEffect::Refused),
            scan(2, 3, 9_000, ScanEffect::Entered),
        ];
        let expected = flag_admissions(&scans, EntryPolicy::SingleEntry, None);
        assert_eq!(expected.len(), 2);
        let mut reversed = scans.clone();
        reversed.reverse();
        assert_eq!(
            flag_admissions(&reversed, EntryPolicy::SingleEntry, None),
            expected
        );
        // A clock tie goes to the lower device id.
        assert_eq!(expected[0].first, Some(scans[1].id));
    }

    #[test]
    fn in_and_out_flags_only_an_entry_while_already_inside() {
        let scans = [
            scan(1, 1, 1_000, ScanEffect::Entered),
            scan(1, 2, 2_000, ScanEffect::Exited),
            scan(2, 1, 3_000, ScanEffect::Entered),
            scan(3, 1, 4_000, ScanEffect::Entered),
        ];
        let flagged = flag_admissions(&scans, EntryPolicy::InAndOut, None);
        assert_eq!(flagged.len(), 1);
        assert_eq!(flagged[0].scan_id, scans[3].id);
        assert_eq!(flagged[0].first, Some(scans[2].id));
    }

    #[test]
    fn multi_entry_tickets_are_never_double_admitted() {
        let scans = [
            scan(1, 1, 1_000, ScanEffect::Entered),
            scan(2, 1, 2_000, ScanEffect::Entered),
        ];
        assert!(flag_admissions(&scans, EntryPolicy::MultiEntry, None).is_empty());
    }

    #[test]
    fn an_admission_stamped_after_the_revocation_is_flagged_and_one_before_is_not() {
        let before = scan(1, 1, 1_000, ScanEffect::Entered);
        let after = scan(2, 1, 9_000, ScanEffect::Entered);
        let revoked = jiff::Timestamp::from_millisecond(5_000).unwrap();
        let flagged = flag_admissions(
            &[before, after.clone()],
            EntryPolicy::MultiEntry,
            Some(revoked),
        );
        assert_eq!(
            flagged,
            vec![FlaggedScan {
                scan_id: after.id,
                kind: ConflictKind::AdmittedAfterRevocation,
                first: None
            }]
        );
    }
}
