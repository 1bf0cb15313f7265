//! A device's push: each mutation checked (is it this device's, may the caller scan for
//! that event), then handed to the store, which applies each number at most once, in
//! order (a push that overtook an earlier one is deferred, not lost). A mutation that can never apply is answered `rejected` and still consumed, so
//! it cannot block the device's queue.

use crate::api::AppState;
use crate::api::error::ApiError;
use crate::store::OrgRole;
use crate::store::sync::{PushItem, PushOp, PushOutcome, PushRefusal};
use axum::http::StatusCode;
use hafla_core::Lang;
use hafla_core::door::ScanRecord;
use hafla_core::door::verifier::ScanEffect;
use hafla_core::i18n::localizer;
use hafla_core::wire::ErrorCode;
use hafla_core::wire::sync::{
    MAX_PUSH_MUTATIONS, MutationOp, MutationOutcome, MutationResult, PushAnswer, PushRequest,
};
use std::collections::HashMap;
use uuid::Uuid;

/// Roles that admit people at an event's doors.
pub(super) const DOOR_ROLES: &[OrgRole] = &[OrgRole::Owner, OrgRole::Manager, OrgRole::DoorStaff];

/// The longest gate name and verdict key a scan may carry.
const MAX_GATE_CHARS: usize = 100;
const MAX_VERDICT_CHARS: usize = 40;

/// Whether the caller may work the doors of events of `org`.
pub(super) async fn may_scan(
    state: &AppState,
    caller: &crate::api::extract::Caller,
    org: Uuid,
) -> Result<bool, ApiError> {
    if caller.is_admin {
        return Ok(true);
    }
    let role = state
        .roles
        .role_in(&*state.store, org, caller.user_id)
        .await?;
    Ok(role.is_some_and(|r| DOOR_ROLES.contains(&r)))
}

/// A scan's own consistency: made by the pushing device, sane sizes, an admission only of
/// a ticket it identified.
fn scan_is_sound(device_id: Uuid, scan: &ScanRecord) -> bool {
    scan.device_id == device_id
        && scan.seq > 0
        && scan.gate.chars().count() <= MAX_GATE_CHARS
        && !scan.verdict.is_empty()
        && scan.verdict.chars().count() <= MAX_VERDICT_CHARS
        && (scan.effect == ScanEffect::Refused || scan.ticket_serial.is_some())
}

/// Counts the scans this push stored, in `hafla_scans_accepted_total` by event and effect
/// (entered / exited / refused), so operators see each door's pace per minute. The event
/// label is bounded in practice: a server holds a few thousand events a year, and only
/// events whose doors scanned since the process started have a series.
fn count_accepted_scans(scans: &[Option<(Uuid, ScanEffect)>], outcomes: &[PushOutcome]) {
    for (scan, outcome) in scans.iter().zip(outcomes) {
        if let (Some((event_id, effect)), PushOutcome::Applied) = (scan, outcome) {
            metrics::counter!(
                "hafla_scans_accepted_total",
                "event" => event_id.to_string(),
                "effect" => effect.key()
            )
            .increment(1);
        }
    }
}

pub(super) async fn push(
    state: &AppState,
    caller: &crate::api::extract::Caller,
    request: PushRequest,
    lang: Lang,
) -> Result<PushAnswer, ApiError> {
    if request.mutations.len() > MAX_PUSH_MUTATIONS {
        return Err(ApiError::invalid_body(format!(
            "at most {MAX_PUSH_MUTATIONS} mutations per push"
        )));
    }
    if request
        .mutations
        .windows(2)
        .any(|w| w[0].number >= w[1].number)
    {
        return Err(ApiError::invalid_body(
            "mutation numbers must increase within a push",
        ));
    }
    let mut allowed: HashMap<u32, Result<Uuid, ErrorCode>> = HashMap::new();
    let mut ops = Vec::with_capacity(request.mutations.len());
    // Each mutation's event and effect when it is a scan the store may accept, for metrics.
    let mut scans: Vec<Option<(Uuid, ScanEffect)>> = Vec::with_capacity(ops.capacity());
    for m in &request.mutations {
        let item = match &m.op {
            MutationOp::Scan { scan } if !scan_is_sound(request.device_id, scan) => {
                PushItem::Reject {
                    code: ErrorCode::InvalidScan,
                }
            }
            MutationOp::Scan { scan } => {
                let verdict = match allowed.get(&scan.event_ref) {
                    Some(known) => *known,
                    None => {
                        let verdict = match state
                            .event_refs
                            .event(&*state.store, scan.event_ref)
                            .await?
                        {
                            None => Err(ErrorCode::InvalidScan),
                            Some(e) if may_scan(state, caller, e.organization_id).await? => {
                                Ok(e.event_id)
                            }
                            Some(_) => Err(ErrorCode::Forbidden),
                        };
                        allowed.insert(scan.event_ref, verdict);
                        verdict
                    }
                };
                match verdict {
                    Ok(event_id) => PushItem::Scan {
                        event_id,
                        scan: scan.clone(),
                    },
                    Err(code) => PushItem::Reject { code },
                }
            }
        };
        scans.push(match (&m.op, &item) {
            (MutationOp::Scan { scan }, PushItem::Scan { event_id, .. }) => {
                Some((*event_id, scan.effect))
            }
            _ => None,
        });
        ops.push(PushOp {
            id: m.id,
            number: m.number,
            item,
        });
    }
    let outcomes = state
        .store
        .push(
            request.device_id,
            caller.user_id,
            ops,
            jiff::Timestamp::now(),
        )
        .await?
        .map_err(|PushRefusal::DeviceOfAnotherAccount| {
            ApiError::new(StatusCode::CONFLICT, ErrorCode::DeviceOfAnotherAccount)
        })?;
    count_accepted_scans(&scans, &outcomes);
    let results = request
        .mutations
        .iter()
        .zip(outcomes)
        .map(|(m, outcome)| MutationResult {
            id: m.id,
            number: m.number,
            outcome: match outcome {
                PushOutcome::Applied => MutationOutcome::Applied,
                PushOutcome::Duplicate => MutationOutcome::Duplicate,
                PushOutcome::Deferred => MutationOutcome::Deferred,
                PushOutcome::Rejected(code) => MutationOutcome::Rejected {
                    code,
                    message: localizer().message(lang, code.message_id(), &[]),
                },
            },
        })
        .collect();
    Ok(PushAnswer { results })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_scans_the_store_applied_are_counted_by_event_and_effect() {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let event = Uuid::now_v7();
        metrics::with_local_recorder(&recorder, || {
            count_accepted_scans(
                &[
                    Some((event, ScanEffect::Entered)),
                    None,
                    Some((event, ScanEffect::Entered)),
                    Some((event, ScanEffect::Refused)),
                    Some((event, ScanEffect::Exited)),
                ],
                &[
                    PushOutcome::Applied,
                    PushOutcome::Rejected(ErrorCode::InvalidScan),
                    PushOutcome::Duplicate,
                    PushOutcome::Applied,
                    PushOutcome::Deferred,
                ],
            )
        });
        let rendered = handle.render();
        for effect in ["entered", "refused"] {
            let line =
                format!("hafla_scans_accepted_total{{event=\"{event}\",effect=\"{effect}\"}} 1");
            assert!(rendered.contains(&line), "{line} in {rendered}");
        }
        assert!(!rendered.contains("exited"), "{rendered}");
    }
}
