//! What door staff do: download an event's door list, then verify tickets offline — each
//! scan is checked and recorded on the device at once and sent when there is a network.

use crate::errors::AppError;
use crate::state::{AppCore, lock};
use crate::sync_loop::DoorList;
use crate::views::{DoorCounts, DoorEventChoice, DoorProgress, GateCounts, ScanVerdict, Signal};
use hafla_core::door::Direction;
use hafla_core::door::verifier::Signal as DoorSignal;
use hafla_core::sync::SyncTarget;
use hafla_core::wire::sync::DoorConflict;
use hafla_core::wire::{EventStatus, EventSummary, OrganizerEvent};
use uuid::Uuid;

/// The longest text a scan may carry: far above any credential, far below harm.
const MAX_SCAN_TEXT: usize = 4096;
/// Gate names are short labels ("Main", "VIP", "البوابة الشمالية").
const MAX_GATE: usize = 60;

impl AppCore {
    /// The published events of the organizations where this person works the door, that
    /// have not ended, soonest first.
    pub fn door_events(&self) -> Result<Vec<DoorEventChoice>, AppError> {
        let Some(session) = self.session()? else {
            return Err(AppError::SignedOut);
        };
        let downloaded = self.door_lists();
        let now = jiff::Timestamp::now();
        let mut choices = Vec::new();
        let db = self.db();
        for org in session.door_organizations() {
            for event in db.org_events(org.organization_id)? {
                if event.status != EventStatus::Published || event.ends_at < now {
                    continue;
                }
                choices.push(DoorEventChoice {
                    organization_id: org.organization_id,
                    downloaded: downloaded.iter().any(|d| d.event_id == event.id),
                    event: summary_of(event, &org.name),
                });
            }
        }
        choices.sort_by_key(|c| c.event.starts_at);
        Ok(choices)
    }

    /// Downloads the event's door list (or brings it up to date), reporting rows as they
    /// arrive, then keeps it in sync.
    pub async fn download_door_list(
        &self,
        organization_id: Uuid,
        event_id: Uuid,
    ) -> Result<DoorCounts, AppError> {
        let engine = self.signed_in_engine().await?;
        let mut progress = engine.progress();
        let target = SyncTarget::Door {
            org: organization_id,
            event: event_id,
        };
        let report = {
            let sync = engine.sync(target);
            tokio::pin!(sync);
            loop {
                tokio::select! {
                    result = &mut sync => break result,
                    Ok(()) = progress.changed() => {
                        if let Some(p) = *progress.borrow_and_update() {
                            self.emit("door-progress", DoorProgress { event_id, done: p.done, total: p.total });
                        }
                    }
                }
            }
        };
        let report = report?;
        self.emit(
            "door-progress",
            DoorProgress {
                event_id,
                done: report.pull.held,
                total: report.pull.total,
            },
        );
        self.keep_door_list(DoorList {
            organization_id,
            event_id,
        })?;
        self.emit("data-changed", "door");
        self.door_counts(event_id)
    }

    fn event_ref(&self, event_id: Uuid) -> Result<u32, AppError> {
        self.db()
            .event_ref_of(event_id)?
            .ok_or_else(|| AppError::NotOnDevice {
                what: format!("the door list of event {event_id}"),
            })
    }

    /// Verifies a scanned text and records the scan, offline; the verdict comes back in
    /// the person's language.
    pub fn scan_ticket(
        &self,
        event_id: Uuid,
        text: &str,
        gate: &str,
        direction: Direction,
    ) -> Result<ScanVerdict, AppError> {
        let gate = gate.trim();
        if gate.is_empty() || gate.chars().count() > MAX_GATE {
            return Err(AppError::Invalid { field: "gate" });
        }
        if text.len() > MAX_SCAN_TEXT {
            return Err(AppError::Invalid { field: "text" });
        }
        let event_ref = self.event_ref(event_id)?;
        let lang = self.lang();
        let (verdict, record, time_zone) = {
            let mut door = lock(&self.door);
            if door.time_zone(event_ref).is_none() {
                // The list arrived through the sync but the verifier has not read it yet.
                door.reload()?;
            }
            let (verdict, record) = door.scan(
                event_ref,
                text.trim(),
                gate,
                direction,
                jiff::Timestamp::now(),
            )?;
            let time_zone = door
                .time_zone(event_ref)
                .unwrap_or(hafla_core::wire::DEFAULT_TIME_ZONE)
                .to_owned();
            (verdict, record, time_zone)
        };
        self.sync.nudge();
        Ok(ScanVerdict {
            verdict: verdict.key().to_owned(),
            signal: match verdict.signal() {
                DoorSignal::Go => Signal::Admit,
                DoorSignal::Check => Signal::Attention,
                DoorSignal::Stop => Signal::Refuse,
            },
            message: verdict.describe(lang, &time_zone),
            ticket_serial: record.ticket_serial,
        })
    }

    pub fn door_counts(&self, event_id: Uuid) -> Result<DoorCounts, AppError> {
        let event_ref = self.event_ref(event_id)?;
        let db = self.db();
        let status = db.door_status(event_ref)?;
        Ok(DoorCounts {
            admitted: status.admitted,
            remaining: status.remaining,
            tickets: status.tickets,
            revoked: status.revoked,
            conflicts: status.conflicts,
            gates: status
                .gates
                .into_iter()
                .map(|g| GateCounts {
                    gate: g.gate,
                    entered: g.entered,
                    exited: g.exited,
                    refused: g.refused,
                })
                .collect(),
            pending: db.outbox_len()?,
            online: self.sync.online(),
        })
    }

    pub fn door_conflicts(&self, event_id: Uuid) -> Result<Vec<DoorConflict>, AppError> {
        let event_ref = self.event_ref(event_id)?;
        Ok(self.db().door_conflicts(event_ref)?)
    }

    /// The QR codes in one grey camera frame, decoded here (frames never leave the device).
    pub fn decode_frame(
        &self,
        width: u32,
        height: u32,
        luma: Vec<u8>,
    ) -> Result<Vec<String>, AppError> {
        hafla_core::qr::decode_gray(width, height, luma)
            .map_err(|_| AppError::Invalid { field: "frame" })
    }
}

/// An organization's event in the shape the attendee screens already show.
fn summary_of(event: OrganizerEvent, organizer: &hafla_core::Bilingual) -> EventSummary {
    let price_from = event
        .ticket_types
        .iter()
        .map(|t| t.price)
        .min_by_key(|p| p.minor);
    EventSummary {
        id: event.id,
        title: event.title,
        description: event.description,
        category: event.category,
        organizer: organizer.clone(),
        venue: event.venue,
        starts_at: event.starts_at,
        ends_at: event.ends_at,
        time_zone: event.time_zone,
        price_from,
    }
}
