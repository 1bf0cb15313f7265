//! Turning stored values back into domain values, shared by every backend so the two
//! cannot drift: each backend only reads its columns; the checks and conversions live here.

use super::{
    CoverLookup, CoverVariant, EventListEntry, NewTicketType, OrgRole, ReviewEntry, StoreError,
    StoredEvent,
};
use hafla_core::Bilingual;
use hafla_core::door::verifier::EntryPolicy;
use hafla_core::money::{Currency, Money};
use hafla_core::places::{City, GeoPoint};
use hafla_core::wire::{Category, EventPage, EventStatus, EventSummary, ReviewAction, Venue};
use uuid::Uuid;

/// Times are stored as whole Unix seconds.
pub(crate) fn secs(t: jiff::Timestamp) -> i64 {
    t.as_second()
}

pub(crate) fn timestamp(secs: i64) -> Result<jiff::Timestamp, StoreError> {
    jiff::Timestamp::from_second(secs).map_err(|_| StoreError::Corrupt(format!("timestamp {secs}")))
}

pub(crate) fn role(key: String) -> Result<OrgRole, StoreError> {
    OrgRole::from_key(&key).ok_or_else(|| StoreError::Corrupt(format!("role {key:?}")))
}

/// One row of the public event listing, column for column as both backends select it.
pub(crate) struct EventRow {
    pub id: Uuid,
    pub title: Bilingual,
    pub description: Bilingual,
    pub category: String,
    pub organizer: Bilingual,
    pub venue_name: Bilingual,
    pub venue_address: Bilingual,
    pub city: String,
    pub lat: f64,
    pub lng: f64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub time_zone: String,
    /// The cheapest ticket type's price and currency, when the event has ticket types.
    pub price_minor: Option<i64>,
    pub currency: Option<String>,
}

impl EventRow {
    pub fn into_summary(self) -> Result<EventSummary, StoreError> {
        let corrupt = |what: &str, value: String| StoreError::Corrupt(format!("{what} {value:?}"));
        let price_from = match (self.price_minor, self.currency) {
            (Some(minor), Some(code)) => Some(Money {
                minor,
                currency: Currency::from_code(&code).ok_or_else(|| corrupt("currency", code))?,
            }),
            _ => None,
        };
        Ok(EventSummary {
            id: self.id,
            title: self.title,
            description: self.description,
            category: Category::from_key(&self.category)
                .ok_or_else(|| corrupt("category", self.category))?,
            organizer: self.organizer,
            venue: Venue {
                name: self.venue_name,
                address: self.venue_address,
                city: City::from_key(&self.city).ok_or_else(|| corrupt("city", self.city))?,
                location: GeoPoint {
                    lat: self.lat,
                    lng: self.lng,
                },
            },
            starts_at: timestamp(self.starts_at)?,
            ends_at: timestamp(self.ends_at)?,
            time_zone: self.time_zone,
            price_from,
        })
    }
}

/// A page of the listing from its rows, the total and the offset it started at.
pub(crate) fn event_page(
    rows: Vec<EventRow>,
    total: u32,
    offset: u32,
) -> Result<EventPage, StoreError> {
    let events = rows
        .into_iter()
        .map(EventRow::into_summary)
        .collect::<Result<Vec<_>, _>>()?;
    let seen = offset + events.len() as u32;
    Ok(EventPage {
        events,
        total,
        next_offset: (seen < total).then_some(seen),
    })
}

fn corrupt(what: &str, value: impl std::fmt::Debug) -> StoreError {
    StoreError::Corrupt(format!("{what} {value:?}"))
}

fn opt_timestamp(secs: Option<i64>) -> Result<Option<jiff::Timestamp>, StoreError> {
    secs.map(timestamp).transpose()
}

fn count(what: &str, value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| corrupt(what, value))
}

pub(crate) fn event_status(key: &str) -> Result<EventStatus, StoreError> {
    EventStatus::ALL
        .into_iter()
        .find(|s| s.key() == key)
        .ok_or_else(|| corrupt("status", key))
}

fn category(key: String) -> Result<Category, StoreError> {
    Category::from_key(&key).ok_or_else(|| corrupt("category", key))
}

fn city(key: String) -> Result<City, StoreError> {
    City::from_key(&key).ok_or_else(|| corrupt("city", key))
}

/// An event's own row, column for column as both backends select it for
/// [`super::EventStore::event`] (times as Unix seconds).
pub(crate) struct StoredEventRow {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub organizer: Bilingual,
    pub status: String,
    pub title: Bilingual,
    pub description: Bilingual,
    pub category: String,
    /// A JSON array of strings.
    pub tags: String,
    pub venue_name: Bilingual,
    pub venue_address: Bilingual,
    pub city: String,
    pub lat: f64,
    pub lng: f64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub time_zone: String,
    pub cover_image: Option<String>,
    pub rejection_reason: Option<String>,
    pub submitted_at: Option<i64>,
    pub reviewed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

/// A ticket type's row as both backends select it.
pub(crate) struct TicketTypeRow {
    pub id: Uuid,
    pub name: Bilingual,
    pub price_minor: i64,
    pub currency: String,
    pub capacity: i64,
    pub sales_start: Option<i64>,
    pub sales_end: Option<i64>,
    pub per_order_limit: i64,
    pub entry_policy: String,
}

impl TicketTypeRow {
    pub fn decode(self) -> Result<NewTicketType, StoreError> {
        Ok(NewTicketType {
            id: self.id,
            name: self.name,
            price: Money {
                minor: self.price_minor,
                currency: Currency::from_code(&self.currency)
                    .ok_or_else(|| corrupt("currency", &self.currency))?,
            },
            capacity: count("capacity", self.capacity)?,
            sales_start: opt_timestamp(self.sales_start)?,
            sales_end: opt_timestamp(self.sales_end)?,
            per_order_limit: count("per_order_limit", self.per_order_limit)?,
            entry_policy: EntryPolicy::from_key(&self.entry_policy)
                .ok_or_else(|| corrupt("entry policy", &self.entry_policy))?,
        })
    }
}

impl StoredEventRow {
    pub fn decode(self, ticket_types: Vec<TicketTypeRow>) -> Result<StoredEvent, StoreError> {
        let tags: Vec<String> =
            serde_json::from_str(&self.tags).map_err(|_| corrupt("tags", &self.tags))?;
        Ok(StoredEvent {
            id: self.id,
            organization_id: self.organization_id,
            organizer: self.organizer,
            status: event_status(&self.status)?,
            title: self.title,
            description: self.description,
            category: category(self.category)?,
            tags,
            venue: Venue {
                name: self.venue_name,
                address: self.venue_address,
                city: city(self.city)?,
                location: GeoPoint {
                    lat: self.lat,
                    lng: self.lng,
                },
            },
            starts_at: timestamp(self.starts_at)?,
            ends_at: timestamp(self.ends_at)?,
            time_zone: self.time_zone,
            ticket_types: ticket_types
                .into_iter()
                .map(TicketTypeRow::decode)
                .collect::<Result<_, _>>()?,
            cover_image: self.cover_image,
            rejection_reason: self.rejection_reason,
            submitted_at: opt_timestamp(self.submitted_at)?,
            reviewed_at: opt_timestamp(self.reviewed_at)?,
            created_at: timestamp(self.created_at)?,
            updated_at: timestamp(self.updated_at)?,
            version: count("version", self.version)?,
        })
    }
}

/// One row of an event list (an organization's events, the review queue).
pub(crate) struct ListEntryRow {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub organizer: Bilingual,
    pub status: String,
    pub title: Bilingual,
    pub category: String,
    pub city: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub submitted_at: Option<i64>,
    pub version: i64,
}

impl ListEntryRow {
    pub fn decode(self) -> Result<EventListEntry, StoreError> {
        Ok(EventListEntry {
            id: self.id,
            organization_id: self.organization_id,
            organizer: self.organizer,
            status: event_status(&self.status)?,
            title: self.title,
            category: category(self.category)?,
            city: city(self.city)?,
            starts_at: timestamp(self.starts_at)?,
            ends_at: timestamp(self.ends_at)?,
            submitted_at: opt_timestamp(self.submitted_at)?,
            version: count("version", self.version)?,
        })
    }
}

/// One row of a review trail.
pub(crate) struct ReviewRow {
    pub action: String,
    pub actor: Option<Uuid>,
    pub reason: Option<String>,
    pub at: i64,
}

impl ReviewRow {
    pub fn decode(self) -> Result<ReviewEntry, StoreError> {
        Ok(ReviewEntry {
            action: ReviewAction::from_key(&self.action)
                .ok_or_else(|| corrupt("review action", &self.action))?,
            actor: self.actor,
            reason: self.reason,
            at: timestamp(self.at)?,
        })
    }
}

/// A cover variant's row.
pub(crate) struct CoverRow {
    pub status: String,
    pub organization_id: Uuid,
    pub cover_image: Option<String>,
    pub variant: String,
    pub content_type: String,
    pub width: i64,
    pub height: i64,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

impl CoverRow {
    pub fn decode(self) -> Result<CoverLookup, StoreError> {
        Ok(CoverLookup {
            status: event_status(&self.status)?,
            organization_id: self.organization_id,
            cover_image: self.cover_image,
            image: CoverVariant {
                variant: self.variant,
                content_type: self.content_type,
                width: count("width", self.width)?,
                height: count("height", self.height)?,
                sha256: self.sha256,
                bytes: self.bytes,
            },
        })
    }
}

/// The tags as stored: a JSON array.
pub(crate) fn tags_json(tags: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(tags).map_err(|err| StoreError::Corrupt(err.to_string()))
}
