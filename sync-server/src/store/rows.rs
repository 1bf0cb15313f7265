//! Turning stored values back into domain values, shared by every backend so the two
//! cannot drift: each backend only reads its columns; the checks and conversions live here.

use super::{OrgRole, StoreError};
use hafla_core::Bilingual;
use hafla_core::money::{Currency, Money};
use hafla_core::places::{City, GeoPoint};
use hafla_core::wire::{Category, EventPage, EventSummary, Venue};
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
