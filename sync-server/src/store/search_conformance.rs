//! Search scenarios of the conformance suite: every backend must give exactly these
//! answers, so SQLite and PostgreSQL return the same events in the same order.

use super::search::{EventQuery, Near, SearchSort};
use super::{NewEvent, NewOrganization, NewTicketType, Store};
use hafla_core::Bilingual;
use hafla_core::money::Money;
use hafla_core::places::{City, GeoPoint};
use hafla_core::wire::{Category, EventSearchPage, EventStatus, Venue};
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use uuid::Uuid;

pub(super) async fn run<F, Fut>(fresh: &F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    search_finds_words_however_they_are_written(fresh().await).await;
    search_treats_query_syntax_in_the_text_as_plain_words(fresh().await).await;
    search_filters_by_place_dates_category_city_and_price_together(fresh().await).await;
    search_ranks_title_matches_first_then_sooner_events(fresh().await).await;
    a_word_in_thousands_of_events_ranks_and_pages_like_a_rare_one(fresh().await).await;
    search_pages_neither_skip_nor_repeat_while_events_are_added(fresh().await).await;
    pages_by_distance_are_the_nearest_events_whatever_ring_found_them(fresh().await).await;
}

fn now() -> Timestamp {
    "2026-11-25T10:00:00Z".parse().expect("timestamp")
}

fn day(n: i64) -> Timestamp {
    now() + SignedDuration::from_hours(24 * n)
}

fn org() -> NewOrganization {
    NewOrganization {
        id: Uuid::now_v7(),
        name: Bilingual::new("سهرة لايف", "Sahra Live").expect("name"),
    }
}

/// What varies between the events of these scenarios.
struct Spec {
    title: (&'static str, &'static str),
    description: (&'static str, &'static str),
    city: City,
    at: (f64, f64),
    starts: Timestamp,
    category: Category,
    prices: &'static [i64],
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            title: ("", "Event"),
            description: ("", ""),
            city: City::Amman,
            at: (31.9539, 35.9106),
            starts: day(3),
            category: Category::Music,
            prices: &[10_000],
        }
    }
}

fn event(organization_id: Uuid, spec: Spec) -> NewEvent {
    let text = |(ar, en): (&str, &str)| Bilingual {
        ar: ar.to_owned(),
        en: en.to_owned(),
    };
    NewEvent {
        id: Uuid::now_v7(),
        organization_id,
        status: EventStatus::Published,
        title: text(spec.title),
        description: text(spec.description),
        category: spec.category,
        venue: Venue {
            name: text(("", "")),
            address: text(("", "")),
            city: spec.city,
            location: GeoPoint {
                lat: spec.at.0,
                lng: spec.at.1,
            },
        },
        starts_at: spec.starts,
        ends_at: spec.starts + SignedDuration::from_hours(3),
        time_zone: "Asia/Amman".into(),
        tags: vec![],
        ticket_types: spec
            .prices
            .iter()
            .map(|p| {
                NewTicketType::simple(
                    Uuid::now_v7(),
                    Bilingual::new("عام", "General").expect("name"),
                    Money::jod_fils(*p),
                    100,
                )
            })
            .collect(),
    }
}

async fn search(store: &Arc<dyn Store>, query: EventQuery) -> EventSearchPage {
    store
        .search_events(&query, now())
        .await
        .unwrap_or_else(|e| panic!("{query:?}: {e}"))
}

async fn ids(store: &Arc<dyn Store>, query: EventQuery) -> Vec<Uuid> {
    search(store, query)
        .await
        .events
        .iter()
        .map(|hit| hit.event.id)
        .collect()
}

/// Every event of a search, page after page, following the cursor.
async fn all_pages(store: &Arc<dyn Store>, mut query: EventQuery) -> Vec<Uuid> {
    let mut seen = Vec::new();
    loop {
        let page = search(store, query.clone()).await;
        seen.extend(page.events.iter().map(|h| h.event.id));
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return seen,
        }
    }
}

fn words(text: &str) -> EventQuery {
    EventQuery {
        text: text.into(),
        ..EventQuery::default()
    }
}

async fn search_finds_words_however_they_are_written(store: Arc<dyn Store>) {
    let o = org();
    let specs = [
        // Arabic only, in Aqaba.
        Spec {
            title: ("حفلة موسيقية على الشاطئ", ""),
            description: ("أمسية صيفية", ""),
            city: City::Aqaba,
            at: (29.5262, 34.9985),
            starts: day(1),
            ..Spec::default()
        },
        // English only, in Aqaba.
        Spec {
            title: ("", "Jazz on the Red Sea"),
            description: ("", "An evening by the water"),
            city: City::Aqaba,
            at: (29.5405, 34.9920),
            starts: day(2),
            ..Spec::default()
        },
        Spec {
            title: ("مهرجان إربد للكتاب ٢٠٢٦", "Irbid Book Fair 2026"),
            city: City::Irbid,
            at: (32.5556, 35.85),
            starts: day(3),
            category: Category::Family,
            ..Spec::default()
        },
        Spec {
            title: ("الحَفْلَة الكُبرى", "The Grand Concert"),
            starts: day(4),
            ..Spec::default()
        },
    ];
    let mut events: Vec<NewEvent> = specs.into_iter().map(|s| event(o.id, s)).collect();
    let [party, jazz, books, grand] = [0, 1, 2, 3].map(|i| events[i].id);
    let mut draft = event(
        o.id,
        Spec {
            title: ("حفلة موسيقية", "A draft"),
            ..Spec::default()
        },
    );
    draft.status = EventStatus::Draft;
    events.push(draft);
    store
        .insert_catalog(vec![o.clone()], events)
        .await
        .expect("insert");
    let cases: &[(&str, Vec<Uuid>)] = &[
        // Marks, the article and ta marbuta do not matter; drafts are never found.
        ("حفلة", vec![party, grand]),
        ("الحفلة", vec![party, grand]),
        ("حَفْلَة", vec![party, grand]),
        ("حفله", vec![party, grand]),
        // The last word may be unfinished.
        ("حفل", vec![party, grand]),
        ("موسيقي", vec![party]),
        // Hamza forms.
        ("إربد", vec![books]),
        ("اربد", vec![books]),
        // Arabic-Indic digits.
        ("٢٠٢٦", vec![books]),
        ("2026", vec![books]),
        // A city in either script finds events written in the other.
        ("Aqaba", vec![party, jazz]),
        ("العقبة", vec![party, jazz]),
        ("العقبه", vec![party, jazz]),
        ("akaba", vec![party, jazz]),
        ("jazz العقبة", vec![jazz]),
        ("JAZZ", vec![jazz]),
        ("grand concert", vec![grand]),
        ("concert jazz", vec![]),
        ("nothingmatcheshere", vec![]),
    ];
    for (text, want) in cases {
        assert_eq!(&ids(&store, words(text)).await, want, "q = {text:?}");
    }
}

async fn search_treats_query_syntax_in_the_text_as_plain_words(store: Arc<dyn Store>) {
    let o = org();
    let specs = [
        Spec {
            title: ("", "Jazz on the Red Sea"),
            description: ("", "Not to be missed: jazz and blues by the sea"),
            starts: day(1),
            ..Spec::default()
        },
        Spec {
            title: ("", "Rock night"),
            starts: day(2),
            ..Spec::default()
        },
    ];
    let events: Vec<NewEvent> = specs.into_iter().map(|s| event(o.id, s)).collect();
    let [jazz, other] = [0, 1].map(|i| events[i].id);
    store
        .insert_catalog(vec![o.clone()], events)
        .await
        .expect("insert");
    let everything = vec![jazz, other];
    let cases: &[(&str, Vec<Uuid>)] = &[
        ("\"jazz\"", vec![jazz]),
        ("jazz*", vec![jazz]),
        ("^jazz", vec![jazz]),
        ("(jazz)", vec![jazz]),
        ("jazz:", vec![jazz]),
        ("title:jazz", vec![]),
        ("%jazz%", vec![jazz]),
        ("jazz_", vec![jazz]),
        ("jazz\\", vec![jazz]),
        ("jazz'", vec![jazz]),
        ("'jazz' & 'rock'", vec![]),
        ("jazz | rock", vec![]),
        ("!jazz", vec![jazz]),
        // Operators of FTS5 and tsquery are words like any other.
        ("jazz NOT sea", vec![jazz]),
        ("jazz AND blues", vec![jazz]),
        ("jazz OR rock", vec![]),
        ("NEAR(jazz sea)", vec![]),
        ("jazz -sea", vec![jazz]),
        // No word at all: the other filters alone decide.
        ("\"", everything.clone()),
        ("'", everything.clone()),
        ("*", everything.clone()),
        ("()^%_\\:&|!", everything.clone()),
        ("  \u{060C}\u{061F} ", everything.clone()),
    ];
    for (text, want) in cases {
        assert_eq!(&ids(&store, words(text)).await, want, "q = {text:?}");
    }
}

async fn search_filters_by_place_dates_category_city_and_price_together(store: Arc<dyn Store>) {
    let o = org();
    let specs = [
        // Downtown Amman, 2.7 km from the centre.
        Spec {
            title: ("ليلة عود", "Oud Night"),
            at: (31.9517, 35.9394),
            starts: day(5),
            prices: &[15_000, 8_000],
            ..Spec::default()
        },
        // West Amman, 6.9 km from the centre.
        Spec {
            title: ("لقاء المطورين", "Developers Meetup"),
            at: (31.9780, 35.8380),
            starts: day(2),
            category: Category::Tech,
            prices: &[0],
            ..Spec::default()
        },
        // Zarqa, 21 km from Amman's centre.
        Spec {
            title: ("نهائي الكأس", "Cup Final"),
            city: City::Zarqa,
            at: (32.0999, 36.1130),
            starts: day(9),
            category: Category::Sports,
            prices: &[5_000],
            ..Spec::default()
        },
        // Aqaba.
        Spec {
            title: ("سباق الغروب", "Sunset Run"),
            city: City::Aqaba,
            at: (29.52, 35.0031),
            starts: day(1),
            category: Category::Sports,
            prices: &[0, 12_000],
            ..Spec::default()
        },
        // No ticket types yet.
        // 1.6 km from the centre.
        Spec {
            title: ("معرض", "Exhibition"),
            at: (31.9593, 35.9265),
            starts: day(20),
            category: Category::Art,
            prices: &[],
            ..Spec::default()
        },
    ];
    let events: Vec<NewEvent> = specs.into_iter().map(|s| event(o.id, s)).collect();
    let [oud, devs, cup, run, art] = [0, 1, 2, 3, 4].map(|i| events[i].id);
    store
        .insert_catalog(vec![o.clone()], events)
        .await
        .expect("insert");
    let amman = |radius_km| {
        Some(Near {
            point: City::Amman.centre(),
            radius_km,
        })
    };
    let q = EventQuery::default;

    // Near Amman, nearest first, with distances; nothing from Aqaba or Zarqa.
    let near = search(
        &store,
        EventQuery {
            near: amman(10.0),
            sort: Some(SearchSort::Distance),
            ..q()
        },
    )
    .await;
    let got: Vec<(Uuid, Option<f64>)> = near
        .events
        .iter()
        .map(|h| (h.event.id, h.distance_km))
        .collect();
    assert_eq!(
        got.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        vec![art, oud, devs]
    );
    let first = got[0].1.expect("a distance");
    assert!((1.0..2.5).contains(&first), "{first}");
    assert!(got.windows(2).all(|w| w[0].1 <= w[1].1));
    // Default order without words: soonest first.
    assert_eq!(
        ids(
            &store,
            EventQuery {
                near: amman(30.0),
                ..q()
            }
        )
        .await,
        vec![devs, oud, cup, art]
    );
    assert_eq!(
        ids(
            &store,
            EventQuery {
                near: amman(1.0),
                ..q()
            }
        )
        .await,
        Vec::<Uuid>::new()
    );
    // Dates: events overlapping the range.
    assert_eq!(
        ids(
            &store,
            EventQuery {
                from: Some(day(2)),
                to: Some(day(9)),
                ..q()
            }
        )
        .await,
        vec![devs, oud, cup]
    );
    assert_eq!(
        ids(
            &store,
            EventQuery {
                to: Some(day(1) + SignedDuration::from_hours(1)),
                ..q()
            }
        )
        .await,
        vec![run]
    );
    // Category, city, price.
    assert_eq!(
        ids(
            &store,
            EventQuery {
                category: Some(Category::Sports),
                ..q()
            }
        )
        .await,
        vec![run, cup]
    );
    assert_eq!(
        ids(
            &store,
            EventQuery {
                city: Some(City::Aqaba),
                ..q()
            }
        )
        .await,
        vec![run]
    );
    assert_eq!(
        ids(
            &store,
            EventQuery {
                max_price_minor: Some(8_000),
                ..q()
            }
        )
        .await,
        vec![run, devs, oud, cup]
    );
    assert_eq!(
        ids(
            &store,
            EventQuery {
                free_only: true,
                ..q()
            }
        )
        .await,
        vec![run, devs]
    );
    // Everything together.
    assert_eq!(
        ids(
            &store,
            EventQuery {
                text: "Cup".into(),
                near: amman(30.0),
                from: Some(day(1)),
                to: Some(day(30)),
                category: Some(Category::Sports),
                city: Some(City::Zarqa),
                max_price_minor: Some(5_000),
                ..q()
            }
        )
        .await,
        vec![cup]
    );
    assert_eq!(
        ids(
            &store,
            EventQuery {
                near: amman(30.0),
                free_only: true,
                ..q()
            }
        )
        .await,
        vec![devs]
    );
    // Events that have ended are never found.
    let later = store
        .search_events(&EventQuery::default(), day(6))
        .await
        .expect("search");
    assert_eq!(
        later.events.iter().map(|h| h.event.id).collect::<Vec<_>>(),
        vec![cup, art]
    );
    assert!(later.events.iter().all(|h| h.distance_km.is_none()));
}

async fn search_ranks_title_matches_first_then_sooner_events(store: Arc<dyn Store>) {
    let o = org();
    let specs = [
        Spec {
            title: ("أمسية", "An evening"),
            description: ("", "with oud players"),
            starts: day(1),
            ..Spec::default()
        },
        Spec {
            title: ("ليلة عود", "Oud night"),
            starts: day(5),
            ..Spec::default()
        },
        Spec {
            title: ("عود وقانون", "Oud and Qanun"),
            starts: day(3),
            ..Spec::default()
        },
        Spec {
            title: ("سهرة", "Soirée"),
            description: ("", "oud, qanun and voice"),
            starts: day(2),
            ..Spec::default()
        },
        Spec {
            title: ("", "Qanun recital"),
            description: ("", "and an oud"),
            starts: day(4),
            ..Spec::default()
        },
    ];
    let events: Vec<NewEvent> = specs.into_iter().map(|s| event(o.id, s)).collect();
    let [evening, night, duo, soiree, recital] = [0, 1, 2, 3, 4].map(|i| events[i].id);
    store
        .insert_catalog(vec![o.clone()], events)
        .await
        .expect("insert");
    assert_eq!(
        ids(&store, words("oud")).await,
        vec![duo, night, evening, soiree, recital],
        "title matches first, then the sooner"
    );
    assert_eq!(
        ids(&store, words("oud qanun")).await,
        vec![duo, recital, soiree],
        "both words in the title, then one of them, then none"
    );
    assert_eq!(
        ids(&store, words("oud qa")).await,
        vec![duo, recital, soiree],
        "the last word, still being typed, counts in the title as a prefix"
    );
    // One event per page: the cursor resumes inside its tier and moves on to the next.
    let one_by_one = EventQuery {
        limit: 1,
        ..words("oud qanun")
    };
    assert_eq!(
        all_pages(&store, one_by_one).await,
        vec![duo, recital, soiree]
    );
    assert_eq!(
        ids(
            &store,
            EventQuery {
                sort: Some(SearchSort::Date),
                ..words("oud")
            }
        )
        .await,
        vec![evening, soiree, duo, recital, night]
    );
}

/// Thousands of matches take the other way to a page (walking the events in date order,
/// see `search::WALK_FROM_MATCHES`); the answer must not change with the way.
async fn a_word_in_thousands_of_events_ranks_and_pages_like_a_rare_one(store: Arc<dyn Store>) {
    let o = org();
    let mut events = Vec::new();
    for i in 0..2_400_i64 {
        let in_title = i % 6 != 0;
        let mut e = event(
            o.id,
            Spec {
                title: if in_title {
                    ("سهرة طرب", "Tarab night")
                } else {
                    ("أمسية", "Evening")
                },
                description: ("أمسية طرب", "an evening of tarab"),
                starts: day(1 + i % 30) + SignedDuration::from_mins(i % 7),
                ..Spec::default()
            },
        );
        if i % 50 == 7 {
            e.status = EventStatus::Draft;
        }
        if i % 50 == 9 {
            e.starts_at = day(-2);
            e.ends_at = day(-2) + SignedDuration::from_hours(3);
        }
        events.push(e);
    }
    let mut expected: Vec<(i64, Timestamp, Uuid)> = events
        .iter()
        .filter(|e| e.status == EventStatus::Published && e.ends_at >= now())
        .map(|e| (i64::from(e.title.en.contains("Tarab")), e.starts_at, e.id))
        .collect();
    store
        .insert_catalog(vec![o.clone()], events)
        .await
        .expect("insert");
    let ranked = EventQuery {
        limit: 50,
        ..words("طرب")
    };
    expected.sort_by_key(|&(tier, starts, id)| (-tier, starts, id));
    let want: Vec<Uuid> = expected.iter().map(|&(_, _, id)| id).collect();
    same_order(
        &all_pages(&store, ranked.clone()).await,
        &want,
        "by relevance",
    );
    expected.sort_by_key(|&(_, starts, id)| (starts, id));
    let want: Vec<Uuid> = expected.iter().map(|&(_, _, id)| id).collect();
    let by_date = EventQuery {
        sort: Some(SearchSort::Date),
        ..ranked
    };
    same_order(&all_pages(&store, by_date).await, &want, "by date");
}

/// Compares long answers, reporting where they part (not thousands of ids).
fn same_order(got: &[Uuid], want: &[Uuid], what: &str) {
    if let Some(at) = (0..got.len().max(want.len())).find(|&i| got.get(i) != want.get(i)) {
        panic!(
            "{what}: {} events, {} expected; first difference at {at}: {:?} instead of {:?}",
            got.len(),
            want.len(),
            got.get(at),
            want.get(at)
        );
    }
}

async fn search_pages_neither_skip_nor_repeat_while_events_are_added(store: Arc<dyn Store>) {
    let o = org();
    let spec = |n: i64| Spec {
        title: if n % 3 == 0 {
            ("سهرة طرب", "Tarab night")
        } else {
            ("أمسية", "Evening")
        },
        description: ("سهرة", "a night of tarab"),
        starts: day(1 + n % 4),
        ..Spec::default()
    };
    let events: Vec<NewEvent> = (0..13).map(|n| event(o.id, spec(n))).collect();
    let original: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    store
        .insert_catalog(vec![o.clone()], events)
        .await
        .expect("insert");
    for sort in [
        SearchSort::Relevance,
        SearchSort::Date,
        SearchSort::Distance,
    ] {
        let mut query = EventQuery {
            text: "سهر".into(),
            near: Some(Near {
                point: City::Amman.centre(),
                radius_km: 50.0,
            }),
            sort: Some(sort),
            limit: 4,
            ..EventQuery::default()
        };
        let everything = ids(
            &store,
            EventQuery {
                limit: 50,
                ..query.clone()
            },
        )
        .await;
        let mut seen: Vec<Uuid> = Vec::new();
        let mut added = 0;
        loop {
            let page = search(&store, query.clone()).await;
            seen.extend(page.events.iter().map(|h| h.event.id));
            // Between pages, events that sort before and after the cursor appear.
            for n in [0, 3] {
                store
                    .insert_catalog(vec![], vec![event(o.id, spec(n + added))])
                    .await
                    .expect("insert");
                added += 1;
            }
            match page.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "{sort:?}: an event came twice");
        let kept: Vec<Uuid> = seen
            .iter()
            .copied()
            .filter(|id| everything.contains(id))
            .collect();
        assert_eq!(kept, everything, "{sort:?}: an event was skipped or moved");
        assert!(original.iter().all(|id| seen.contains(id)));
    }
    // A cursor of another search is refused.
    let first = search(
        &store,
        EventQuery {
            limit: 2,
            ..words("سهرة")
        },
    )
    .await;
    let cursor = first.next_cursor.expect("a next page");
    let err = store
        .search_events(
            &EventQuery {
                limit: 2,
                cursor: Some(cursor),
                ..words("طرب")
            },
            now(),
        )
        .await
        .expect_err("a foreign cursor");
    assert!(
        matches!(
            err,
            super::StoreError::InvalidQuery {
                parameter: "cursor",
                ..
            }
        ),
        "{err}"
    );
}

async fn pages_by_distance_are_the_nearest_events_whatever_ring_found_them(store: Arc<dyn Store>) {
    let o = org();
    let centre = City::Amman.centre();
    // Two events every kilometre northwards, from 0.3 km to 11.3 km: the rings
    // of a 10 km search (1.25, 2.5, 5, 10 km) each hold some, and some lie outside all.
    let events: Vec<NewEvent> = (0..24)
        .map(|n| {
            let km = 0.3 + (n / 2) as f64;
            event(
                o.id,
                Spec {
                    at: (centre.lat + km / 111.2, centre.lng),
                    starts: day(1 + n as i64 % 3),
                    ..Spec::default()
                },
            )
        })
        .collect();
    store.insert_catalog(vec![o], events).await.expect("insert");
    let query = EventQuery {
        near: Some(Near {
            point: centre,
            radius_km: 10.0,
        }),
        sort: Some(SearchSort::Distance),
        limit: 3,
        ..EventQuery::default()
    };
    let whole = search(
        &store,
        EventQuery {
            limit: 50,
            ..query.clone()
        },
    )
    .await;
    let distances: Vec<f64> = whole.events.iter().filter_map(|h| h.distance_km).collect();
    assert_eq!(distances.len(), 20, "within 10 km: {distances:?}");
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
    let paged = all_pages(&store, query).await;
    let expected: Vec<Uuid> = whole.events.iter().map(|h| h.event.id).collect();
    assert_eq!(
        paged, expected,
        "pages of 3 give the nearest first, all of them, once"
    );
}
