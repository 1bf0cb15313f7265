//! `hafla-server demo`: seeds a realistic bilingual Jordanian catalog for trying Hafla out.

mod accounts;
mod catalog;
mod generated;

pub use accounts::{DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_PASSWORD_ENV, DemoAccount, DemoRole};
pub use generated::DEMO_GENERATED;

use crate::store::{NewEvent, NewOrganization, NewTicketType, Store, StoreError};
use hafla_core::Bilingual;
use hafla_core::money::Money;
use hafla_core::places::{City, GeoPoint};
use hafla_core::wire::{Category, EventStatus, Venue};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use uuid::Uuid;

/// The zone every demo event is held in.
pub const DEMO_TIME_ZONE: &str = "Asia/Amman";

pub struct DemoOrganizer {
    pub key: &'static str,
    pub name_ar: &'static str,
    pub name_en: &'static str,
    /// Where the demo's buyers send CliQ transfers (at most 10 letters or digits).
    pub cliq_alias: &'static str,
}

pub struct DemoTicketType {
    pub name_ar: &'static str,
    pub name_en: &'static str,
    pub price_fils: i64,
    pub capacity: u32,
}

pub struct DemoEvent {
    pub organizer: &'static str,
    pub title_ar: &'static str,
    pub title_en: &'static str,
    pub description_ar: &'static str,
    pub description_en: &'static str,
    pub category: Category,
    pub city: City,
    pub venue_ar: &'static str,
    pub venue_en: &'static str,
    pub address_ar: &'static str,
    pub address_en: &'static str,
    pub lat: f64,
    pub lng: f64,
    pub days_from_now: i64,
    pub start_hour: i8,
    pub start_minute: i8,
    pub duration_minutes: i64,
    pub ticket_types: &'static [DemoTicketType],
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("demo data is invalid: {0}")]
    Invalid(String),
    #[error("the demo accounts' password is too weak: {0}")]
    WeakPassword(crate::auth::password::PasswordRuleError),
    #[error(transparent)]
    Hash(#[from] crate::auth::password::HashError),
}

/// What `seed` did.
#[derive(Debug, PartialEq, Eq)]
pub enum SeedOutcome {
    Seeded {
        organizations: usize,
        events: usize,
        /// The demo accounts created ([`DEMO_ACCOUNTS`], or none with the catalog alone).
        accounts: usize,
    },
    /// The database already has data; nothing was written (so `demo` is safe to re-run).
    AlreadyPresent,
}

/// The seed of the generated demo events, so every demo database looks alike.
const GENERATED_SEED: u64 = 2026;

/// Builds the catalog with event dates counted from `today` in Asia/Amman: the written
/// events plus `generated` generated ones.
pub fn build(
    today: Date,
    generated: usize,
) -> Result<(Vec<NewOrganization>, Vec<NewEvent>), DemoError> {
    let tz = TimeZone::get(DEMO_TIME_ZONE).map_err(|e| DemoError::Invalid(e.to_string()))?;
    let bilingual = |ar: &str, en: &str| {
        Bilingual::new(ar, en).map_err(|e| DemoError::Invalid(format!("{en:?}: {e}")))
    };
    let mut org_ids = std::collections::HashMap::new();
    let mut organizations = vec![];
    for o in catalog::ORGANIZERS {
        let id = Uuid::now_v7();
        org_ids.insert(o.key, id);
        organizations.push(NewOrganization {
            id,
            name: bilingual(o.name_ar, o.name_en)?,
        });
    }
    let mut events = vec![];
    for e in catalog::EVENTS {
        let invalid = |what: String| DemoError::Invalid(format!("{}: {what}", e.title_en));
        let organization_id = *org_ids
            .get(e.organizer)
            .ok_or_else(|| invalid(format!("unknown organizer {}", e.organizer)))?;
        let starts = today
            .checked_add(jiff::Span::new().days(e.days_from_now))
            .and_then(|d| {
                d.at(e.start_hour, e.start_minute, 0, 0)
                    .to_zoned(tz.clone())
            })
            .map_err(|err| invalid(err.to_string()))?;
        let ends = starts
            .checked_add(jiff::Span::new().minutes(e.duration_minutes))
            .map_err(|err| invalid(err.to_string()))?;
        let ticket_types = e
            .ticket_types
            .iter()
            .map(|t| {
                Ok(NewTicketType::simple(
                    Uuid::now_v7(),
                    bilingual(t.name_ar, t.name_en)?,
                    Money::jod_fils(t.price_fils),
                    t.capacity,
                ))
            })
            .collect::<Result<_, DemoError>>()?;
        events.push(NewEvent {
            id: Uuid::now_v7(),
            organization_id,
            status: EventStatus::Published,
            title: bilingual(e.title_ar, e.title_en)?,
            description: bilingual(e.description_ar, e.description_en)?,
            category: e.category,
            venue: Venue {
                name: bilingual(e.venue_ar, e.venue_en)?,
                address: bilingual(e.address_ar, e.address_en)?,
                city: e.city,
                location: GeoPoint {
                    lat: e.lat,
                    lng: e.lng,
                },
            },
            starts_at: starts.timestamp(),
            ends_at: ends.timestamp(),
            time_zone: DEMO_TIME_ZONE.to_owned(),
            tags: vec![],
            ticket_types,
        });
    }
    events.extend(generated::events(
        generated,
        GENERATED_SEED,
        today,
        &|key| org_ids.get(key).copied(),
    )?);
    Ok((organizations, events))
}

/// Seeds the demo catalog (with [`DEMO_GENERATED`] generated events) into an empty
/// database; leaves a database with data untouched.
pub async fn seed(store: &dyn Store, today: Date) -> Result<SeedOutcome, DemoError> {
    seed_with(store, today, DEMO_GENERATED).await
}

/// [`seed`] with `generated` generated events instead (e.g. 100,000 for benchmarks).
pub async fn seed_with(
    store: &dyn Store,
    today: Date,
    generated: usize,
) -> Result<SeedOutcome, DemoError> {
    seed_catalog(store, today, generated, None).await
}

/// [`seed_with`], and the demo accounts ([`DEMO_ACCOUNTS`]), which all sign in with
/// `password`: the admin, Sahra Live's owner and door staff, and an attendee with a paid
/// ticket to Sahra Live's next written event. A password the server's rules refuse is
/// refused before anything is written.
pub async fn seed_with_accounts(
    store: &dyn Store,
    today: Date,
    generated: usize,
    password: &str,
) -> Result<SeedOutcome, DemoError> {
    seed_catalog(store, today, generated, Some(password)).await
}

async fn seed_catalog(
    store: &dyn Store,
    today: Date,
    generated: usize,
    password: Option<&str>,
) -> Result<SeedOutcome, DemoError> {
    if store.count_organizations().await? > 0 {
        return Ok(SeedOutcome::AlreadyPresent);
    }
    let now = jiff::Timestamp::now();
    let accounts = password
        .map(|password| accounts::prepare(password, now))
        .transpose()?;
    let (mut organizations, events) = build(today, generated)?;
    let outcome = SeedOutcome::Seeded {
        organizations: organizations.len(),
        events: events.len(),
        accounts: accounts
            .as_ref()
            .map_or(0, accounts::PreparedAccounts::count),
    };
    let ids: Vec<_> = organizations.iter().map(|o| o.id).collect();
    let organizer = catalog::ORGANIZERS
        .iter()
        .position(|o| o.key == accounts::DEMO_ORGANIZER_KEY)
        .ok_or_else(|| DemoError::Invalid("the demo organizer is missing".into()))?;
    // The written events come first, in their order.
    let (event, ticket_type) = accounts::attendee_event()?;
    let attendee_ticket = (events[event].id, events[event].ticket_types[ticket_type].id);
    if let Some(accounts) = &accounts {
        let organization = organizations.remove(organizer);
        accounts.create(store, organization, now).await?;
    }
    store.insert_catalog(organizations, events).await?;
    // The written organizers come first, in their order: each takes CliQ transfers.
    for (id, organizer) in ids.iter().zip(catalog::ORGANIZERS) {
        store
            .set_cliq_alias(*id, Some(organizer.cliq_alias.to_owned()))
            .await?;
    }
    if let Some(accounts) = &accounts {
        let (event_id, ticket_type_id) = attendee_ticket;
        accounts
            .finish(store, ids[organizer], event_id, ticket_type_id, now)
            .await?;
    }
    Ok(outcome)
}

/// Today's date in Asia/Amman.
pub fn today_in_amman() -> Result<Date, DemoError> {
    let tz = TimeZone::get(DEMO_TIME_ZONE).map_err(|e| DemoError::Invalid(e.to_string()))?;
    Ok(jiff::Timestamp::now().to_zoned(tz).date())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn distance_km(a: GeoPoint, b: GeoPoint) -> f64 {
        let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
        let dlat = la2 - la1;
        let dlng = (b.lng - a.lng).to_radians();
        let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlng / 2.0).sin().powi(2);
        2.0 * 6371.0 * h.sqrt().asin()
    }

    fn has_arabic(s: &str) -> bool {
        s.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
    }

    #[test]
    fn the_demo_covers_every_city_and_category_with_at_least_thirty_events() {
        assert!(
            catalog::EVENTS.len() >= 30,
            "{} events",
            catalog::EVENTS.len()
        );
        let cities: HashSet<_> = catalog::EVENTS.iter().map(|e| e.city).collect();
        let categories: HashSet<_> = catalog::EVENTS.iter().map(|e| e.category).collect();
        assert_eq!(cities.len(), City::ALL.len());
        assert_eq!(categories.len(), Category::ALL.len());
    }

    #[test]
    fn every_demo_venue_is_near_its_city() {
        for e in catalog::EVENTS {
            let d = distance_km(
                GeoPoint {
                    lat: e.lat,
                    lng: e.lng,
                },
                e.city.centre(),
            );
            assert!(d < 25.0, "{} is {d:.1} km from {:?}", e.title_en, e.city);
        }
    }

    #[test]
    fn every_demo_text_is_written_in_both_languages() {
        for e in catalog::EVENTS {
            for (ar, en) in [
                (e.title_ar, e.title_en),
                (e.description_ar, e.description_en),
                (e.venue_ar, e.venue_en),
                (e.address_ar, e.address_en),
            ] {
                assert!(has_arabic(ar), "{en:?} lacks Arabic: {ar:?}");
                assert!(
                    !en.trim().is_empty() && !has_arabic(en),
                    "{ar:?} lacks English"
                );
            }
            assert!(!e.ticket_types.is_empty(), "{} has no tickets", e.title_en);
            for t in e.ticket_types {
                assert!(has_arabic(t.name_ar) && !t.name_en.is_empty());
                assert!(t.price_fils >= 0 && t.capacity > 0);
            }
        }
    }

    #[test]
    fn demo_events_start_in_the_future_in_amman_time() {
        let today = Date::constant(2026, 3, 29); // the day Jordan's clocks would have changed
        let (orgs, events) = build(today, 0).unwrap();
        assert_eq!(orgs.len(), catalog::ORGANIZERS.len());
        let tz = TimeZone::get(DEMO_TIME_ZONE).unwrap();
        for (e, source) in events.iter().zip(catalog::EVENTS) {
            let local = e.starts_at.to_zoned(tz.clone());
            assert!(local.date() > today);
            assert_eq!(
                (local.hour(), local.minute()),
                (source.start_hour, source.start_minute)
            );
            assert!(e.ends_at > e.starts_at);
        }
    }

    #[test]
    fn some_demo_events_are_free_and_prices_are_whole_fils() {
        let free = catalog::EVENTS
            .iter()
            .filter(|e| e.ticket_types.iter().all(|t| t.price_fils == 0))
            .count();
        assert!(free >= 3, "{free} free events");
    }

    #[tokio::test]
    async fn seeding_twice_writes_the_catalog_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::SqliteStore::open(dir.path()).unwrap();
        let today = today_in_amman().unwrap();
        let first = seed(&store, today).await.unwrap();
        let expected = catalog::EVENTS.len() + DEMO_GENERATED;
        assert!(expected >= 200, "at least 200 demo events");
        assert!(matches!(first, SeedOutcome::Seeded { events, .. } if events == expected));
        assert_eq!(
            seed(&store, today).await.unwrap(),
            SeedOutcome::AlreadyPresent
        );
        use crate::store::{CatalogStore, PaymentStore};
        let page = store
            .list_published_events(jiff::Timestamp::now(), 0, 100)
            .await
            .unwrap();
        assert_eq!(page.total as usize, expected);
        // Every demo organizer takes CliQ transfers.
        let event = page.events[0].id;
        let org = crate::store::EventStore::event(&store, event)
            .await
            .unwrap()
            .unwrap()
            .organization_id;
        assert!(store.cliq_alias(org).await.unwrap().is_some());
    }
}
