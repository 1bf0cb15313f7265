//! Events as organizers author them and admins review them: drafts, edits under optimistic
//! concurrency, status changes with their review trail, and cover images.
//!
//! The rules that decide an outcome from the stored event (which status changes are
//! allowed, which edits send a published event back to review) live here, so both backends
//! apply the same ones; each backend only makes the read-check-write atomic.

use super::{NewEvent, NewTicketType, StoreError};
use async_trait::async_trait;
use hafla_core::Bilingual;
use hafla_core::wire::{Category, EventStatus, ReviewAction, Venue};
use uuid::Uuid;

/// An event as stored, with everything an organizer sees.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    pub id: Uuid,
    pub organization_id: Uuid,
    /// The organization's name.
    pub organizer: Bilingual,
    pub status: EventStatus,
    pub title: Bilingual,
    pub description: Bilingual,
    pub category: Category,
    pub tags: Vec<String>,
    pub venue: Venue,
    pub starts_at: jiff::Timestamp,
    pub ends_at: jiff::Timestamp,
    pub time_zone: String,
    /// In the order buyers see them.
    pub ticket_types: Vec<NewTicketType>,
    /// SHA-256 (hex) of the cover's original; `None`: no cover.
    pub cover_image: Option<String>,
    pub rejection_reason: Option<String>,
    pub submitted_at: Option<jiff::Timestamp>,
    pub reviewed_at: Option<jiff::Timestamp>,
    pub created_at: jiff::Timestamp,
    pub updated_at: jiff::Timestamp,
    pub version: u32,
}

/// One event in a list (an organization's events, the review queue).
#[derive(Clone, Debug, PartialEq)]
pub struct EventListEntry {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub organizer: Bilingual,
    pub status: EventStatus,
    pub title: Bilingual,
    pub category: Category,
    pub city: hafla_core::places::City,
    pub starts_at: jiff::Timestamp,
    pub ends_at: jiff::Timestamp,
    pub submitted_at: Option<jiff::Timestamp>,
    pub version: u32,
}

/// One page of the review queue.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewQueue {
    pub events: Vec<EventListEntry>,
    pub total: u32,
}

/// One step of an event's review trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewEntry {
    pub action: ReviewAction,
    pub actor: Option<Uuid>,
    pub reason: Option<String>,
    pub at: jiff::Timestamp,
}

/// A replacement of an event's content (everything an organizer writes), made on
/// `expected_version`.
#[derive(Clone, Debug)]
pub struct EventEdit {
    /// The new content; its `id` and `organization_id` name the event, `status` is ignored.
    pub event: NewEvent,
    pub expected_version: u32,
    /// Ids the caller made for ticket types it adds; every other id must be the event's.
    pub added_ticket_types: Vec<Uuid>,
    pub actor: Uuid,
    pub now: jiff::Timestamp,
}

/// What an edit did.
#[derive(Clone, Debug, PartialEq)]
pub struct EditOutcome {
    pub event: StoredEvent,
    /// The event was published and the edit changed what attendees paid for: it is back
    /// in review (these are the fields that changed).
    pub returned_to_review: Option<Vec<String>>,
}

/// A status change asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Draft or rejected → pending review (needs a ticket type).
    Submit,
    /// Pending review → published (needs a ticket type).
    Approve,
    /// Pending review → rejected, with a reason.
    Reject,
    /// Anything but cancelled → cancelled.
    Cancel,
}

impl Transition {
    /// The statuses this change starts from.
    pub fn from(self) -> &'static [EventStatus] {
        use EventStatus::*;
        match self {
            Transition::Submit => &[Draft, Rejected],
            Transition::Approve | Transition::Reject => &[PendingReview],
            Transition::Cancel => &[Draft, PendingReview, Published, Rejected],
        }
    }

    pub fn to(self) -> EventStatus {
        match self {
            Transition::Submit => EventStatus::PendingReview,
            Transition::Approve => EventStatus::Published,
            Transition::Reject => EventStatus::Rejected,
            Transition::Cancel => EventStatus::Cancelled,
        }
    }

    pub fn action(self) -> ReviewAction {
        match self {
            Transition::Submit => ReviewAction::Submitted,
            Transition::Approve => ReviewAction::Approved,
            Transition::Reject => ReviewAction::Rejected,
            Transition::Cancel => ReviewAction::Cancelled,
        }
    }

    /// Whether the event must have a ticket type to take this step (an event in review may
    /// have lost its last one by an edit).
    pub fn needs_ticket_types(self) -> bool {
        matches!(self, Transition::Submit | Transition::Approve)
    }

    /// Why `self` cannot start from `current`, if it cannot.
    pub fn check(self, current: EventStatus) -> Result<(), StoreError> {
        if self.from().contains(&current) {
            Ok(())
        } else {
            Err(StoreError::Transition { from: current })
        }
    }
}

/// A status change: which event (within which organization, when an organizer asks), who
/// asks, why.
#[derive(Clone, Debug)]
pub struct StatusChange {
    pub event_id: Uuid,
    /// `Some`: the event must belong to this organization (else `NotFound`); `None`: any
    /// (platform admins).
    pub organization_id: Option<Uuid>,
    pub transition: Transition,
    pub actor: Uuid,
    pub reason: Option<String>,
    pub now: jiff::Timestamp,
}

/// One processed size of a cover image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoverVariant {
    /// `large`, `medium` or `thumb`.
    pub variant: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    /// SHA-256 (hex) of `bytes`.
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// A cover variant and the event it belongs to, so the caller can decide who may see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoverLookup {
    pub status: EventStatus,
    pub organization_id: Uuid,
    /// The event's current cover hash.
    pub cover_image: Option<String>,
    pub image: CoverVariant,
}

/// The edits to a published event that change what attendees paid for, by field name; an
/// empty list means a cosmetic edit (titles, descriptions, tags, category, new ticket
/// types, more capacity, sales window, per-order limit).
pub fn material_changes(old: &StoredEvent, new: &NewEvent) -> Vec<String> {
    let mut changed: Vec<String> = Vec::new();
    if old.starts_at != new.starts_at {
        changed.push("starts_at".into());
    }
    if old.ends_at != new.ends_at {
        changed.push("ends_at".into());
    }
    if old.time_zone != new.time_zone {
        changed.push("time_zone".into());
    }
    let (a, b) = (&old.venue, &new.venue);
    if a.name != b.name || a.address != b.address || a.city != b.city || a.location != b.location {
        changed.push("venue".into());
    }
    for kept in &old.ticket_types {
        match new.ticket_types.iter().find(|t| t.id == kept.id) {
            None => changed.push(format!("ticket_types[{}]: removed", kept.id)),
            Some(t) => {
                if t.price != kept.price {
                    changed.push(format!("ticket_types[{}].price", kept.id));
                }
                if t.entry_policy != kept.entry_policy {
                    changed.push(format!("ticket_types[{}].entry_policy", kept.id));
                }
                if t.capacity < kept.capacity {
                    changed.push(format!("ticket_types[{}].capacity", kept.id));
                }
            }
        }
    }
    changed
}

/// What an edit of `old` to `new` leaves the event's status as, and whether it goes back to
/// review (with the fields that made it). Cancelled events are not editable.
pub fn status_after_edit(
    old: &StoredEvent,
    new: &NewEvent,
) -> Result<(EventStatus, Option<Vec<String>>), StoreError> {
    match old.status {
        EventStatus::Cancelled => Err(StoreError::Conflict("event_cancelled")),
        EventStatus::Published => {
            let changed = material_changes(old, new);
            if changed.is_empty() {
                Ok((EventStatus::Published, None))
            } else {
                Ok((EventStatus::PendingReview, Some(changed)))
            }
        }
        status => Ok((status, None)),
    }
}

/// Checks an edit against the stored event: its organization, its version, ticket type ids.
pub fn check_edit(old: &StoredEvent, edit: &EventEdit) -> Result<(), StoreError> {
    if old.organization_id != edit.event.organization_id {
        return Err(StoreError::NotFound("event"));
    }
    if old.status == EventStatus::Cancelled {
        return Err(StoreError::Conflict("event_cancelled"));
    }
    if old.version != edit.expected_version {
        return Err(StoreError::Stale {
            current: old.version,
        });
    }
    for t in &edit.event.ticket_types {
        let added = edit.added_ticket_types.contains(&t.id);
        if !added && !old.ticket_types.iter().any(|o| o.id == t.id) {
            return Err(StoreError::Conflict("ticket_type"));
        }
    }
    Ok(())
}

#[async_trait]
pub trait EventStore: Send + Sync {
    /// Creates an event (normally a draft) with its ticket types.
    async fn create_event(&self, event: NewEvent) -> Result<StoredEvent, StoreError>;
    /// One event in full, whatever its status.
    async fn event(&self, event_id: Uuid) -> Result<Option<StoredEvent>, StoreError>;
    /// Every event of an organization, whatever its status, by start time.
    async fn organization_events(
        &self,
        organization_id: Uuid,
    ) -> Result<Vec<EventListEntry>, StoreError>;
    /// Replaces an event's content if it is still at `expected_version` (else `Stale`),
    /// keeping ticket types named by id, adding new ones and deleting the rest; a material
    /// change to a published event sends it back to review.
    async fn update_event(&self, edit: EventEdit) -> Result<EditOutcome, StoreError>;
    /// Changes an event's status if its current status allows it (else `Transition`),
    /// recording the step in the review trail.
    async fn change_status(&self, change: StatusChange) -> Result<StoredEvent, StoreError>;
    /// Events waiting for review, the longest waiting first.
    async fn review_queue(&self, offset: u32, limit: u32) -> Result<ReviewQueue, StoreError>;
    /// The review trail of an event, oldest first.
    async fn event_reviews(&self, event_id: Uuid) -> Result<Vec<ReviewEntry>, StoreError>;
    /// Replaces the cover of an event of `organization_id` with these variants; `hash`
    /// identifies the original.
    async fn save_cover(
        &self,
        event_id: Uuid,
        organization_id: Uuid,
        hash: String,
        variants: Vec<CoverVariant>,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError>;
    /// One variant of an event's cover, with the event's status and organization.
    async fn cover_variant(
        &self,
        event_id: Uuid,
        variant: &str,
    ) -> Result<Option<CoverLookup>, StoreError>;
}
