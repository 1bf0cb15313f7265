//! Generated events: bilingual combinations of real Jordanian venues, kinds of event and
//! dates, the same for the same seed. `hafla-server demo` adds a couple of hundred of them
//! to the written catalog so search and paging have something to chew on; benchmarks
//! generate 100,000.

use super::{DEMO_TIME_ZONE, DemoError};
use crate::store::{NewEvent, NewTicketType};
use hafla_core::Bilingual;
use hafla_core::money::Money;
use hafla_core::places::{City, GeoPoint};
use hafla_core::wire::{Category, EventStatus, Venue};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use uuid::Uuid;

/// How many generated events `hafla-server demo` adds to the written ones.
pub const DEMO_GENERATED: usize = 180;

struct Place {
    city: City,
    name: (&'static str, &'static str),
    address: (&'static str, &'static str),
    lat: f64,
    lng: f64,
}

const fn place(
    city: City,
    name: (&'static str, &'static str),
    address: (&'static str, &'static str),
    lat: f64,
    lng: f64,
) -> Place {
    Place {
        city,
        name,
        address,
        lat,
        lng,
    }
}

const PLACES: &[Place] = &[
    place(
        City::Amman,
        ("مركز الحسين الثقافي", "King Hussein Cultural Centre"),
        ("رأس العين، عمّان", "Ras Al Ain, Amman"),
        31.9447,
        35.9236,
    ),
    place(
        City::Amman,
        ("دارة الفنون", "Darat al Funun"),
        ("جبل اللويبدة، عمّان", "Jabal Al Weibdeh, Amman"),
        31.9596,
        35.9164,
    ),
    place(
        City::Amman,
        ("مسرح البلد", "Al Balad Theatre"),
        ("شارع الملك طلال، وسط البلد", "King Talal Street, Downtown"),
        31.9512,
        35.9342,
    ),
    place(
        City::Amman,
        ("بوليفارد العبدلي", "The Boulevard, Abdali"),
        ("العبدلي، عمّان", "Abdali, Amman"),
        31.9640,
        35.9110,
    ),
    place(
        City::Amman,
        ("مدينة الحسين للشباب", "Al Hussein Youth City"),
        ("طريق الشهيد، عمّان", "Al Shaheed Street, Amman"),
        31.9868,
        35.8846,
    ),
    place(
        City::Amman,
        ("جبل القلعة", "The Citadel"),
        ("جبل القلعة، عمّان", "Jabal Al Qal'a, Amman"),
        31.9545,
        35.9345,
    ),
    place(
        City::Amman,
        ("مركز زها الثقافي", "Zaha Cultural Centre"),
        ("خلدا، عمّان", "Khalda, Amman"),
        31.9921,
        35.8390,
    ),
    place(
        City::Irbid,
        (
            "جامعة اليرموك - مدرج الكندي",
            "Yarmouk University, Al Kindi Hall",
        ),
        ("شارع الجامعة، إربد", "University Street, Irbid"),
        32.5366,
        35.8541,
    ),
    place(
        City::Irbid,
        ("بيت عرار الثقافي", "Beit Arar Cultural House"),
        ("وسط البلد، إربد", "Downtown, Irbid"),
        32.5560,
        35.8466,
    ),
    place(
        City::Irbid,
        ("ستاد الحسن", "Al Hassan Stadium"),
        ("الحي الجنوبي، إربد", "South District, Irbid"),
        32.5304,
        35.8621,
    ),
    place(
        City::Zarqa,
        ("مركز الأمير هاشم للشباب", "Prince Hashem Youth Centre"),
        ("الزرقاء الجديدة", "New Zarqa"),
        32.0805,
        36.0880,
    ),
    place(
        City::Zarqa,
        ("ستاد الأمير محمد", "Prince Mohammed Stadium"),
        ("الزرقاء", "Zarqa"),
        32.0630,
        36.0850,
    ),
    place(
        City::Aqaba,
        ("شاطئ الغندور", "Al Ghandour Beach"),
        ("الكورنيش، العقبة", "Corniche, Aqaba"),
        29.5260,
        35.0000,
    ),
    place(
        City::Aqaba,
        ("ساحة الثورة العربية الكبرى", "Great Arab Revolt Plaza"),
        ("وسط العقبة", "Central Aqaba"),
        29.5225,
        35.0008,
    ),
    place(
        City::Aqaba,
        ("مرسى زايد", "Marsa Zayed"),
        ("مرسى زايد، العقبة", "Marsa Zayed, Aqaba"),
        29.5390,
        34.9830,
    ),
    place(
        City::Madaba,
        ("مركز مادبا الثقافي", "Madaba Cultural Centre"),
        ("شارع الملك طلال، مادبا", "King Talal Street, Madaba"),
        31.7175,
        35.7940,
    ),
    place(
        City::Madaba,
        ("جبل نيبو", "Mount Nebo"),
        ("جبل نيبو، مادبا", "Mount Nebo, Madaba"),
        31.7680,
        35.7258,
    ),
    place(
        City::Jerash,
        ("المسرح الجنوبي", "The South Theatre"),
        ("مدينة جرش الأثرية", "Jerash Archaeological Site"),
        32.2745,
        35.8910,
    ),
    place(
        City::Jerash,
        ("ساحة الأعمدة", "The Oval Plaza"),
        ("جرش الأثرية", "Ancient Jerash"),
        32.2770,
        35.8915,
    ),
    place(
        City::Salt,
        ("بيت أبو جابر", "Abu Jaber House"),
        ("شارع الحمام، السلط", "Hammam Street, Salt"),
        32.0392,
        35.7272,
    ),
    place(
        City::Salt,
        ("ساحة العين", "Al Ain Square"),
        ("وسط السلط", "Downtown Salt"),
        32.0380,
        35.7290,
    ),
    place(
        City::Karak,
        ("قلعة الكرك", "Karak Castle"),
        ("قلعة الكرك، الكرك", "Karak Castle, Karak"),
        31.1805,
        35.7013,
    ),
    place(
        City::Karak,
        ("جامعة مؤتة", "Mutah University"),
        ("مؤتة، الكرك", "Mutah, Karak"),
        31.0890,
        35.6990,
    ),
    place(
        City::WadiMusa,
        ("ساحة الخزنة", "The Treasury Square"),
        ("البتراء، وادي موسى", "Petra, Wadi Musa"),
        30.3222,
        35.4517,
    ),
    place(
        City::WadiMusa,
        ("مركز زوار البتراء", "Petra Visitor Centre"),
        ("وادي موسى", "Wadi Musa"),
        30.3240,
        35.4690,
    ),
    place(
        City::WadiRum,
        ("مخيم صحراء رم", "Rum Desert Camp"),
        ("قرية رم", "Rum Village"),
        29.5770,
        35.4200,
    ),
    place(
        City::WadiRum,
        ("صخرة أم فروث", "Um Fruth Rock Bridge"),
        ("محمية وادي رم", "Wadi Rum Protected Area"),
        29.5150,
        35.4650,
    ),
];

/// Kinds of event per category: (Arabic, English) title beginnings, each completed by a
/// topic.
struct Kind {
    category: Category,
    organizer: &'static str,
    titles: &'static [(&'static str, &'static str)],
    topics: &'static [(&'static str, &'static str)],
}

const KINDS: &[Kind] = &[
    Kind {
        category: Category::Music,
        organizer: "sahra_live",
        titles: &[
            ("أمسية", "An Evening of"),
            ("ليلة", "A Night of"),
            ("مهرجان", "Festival of"),
        ],
        topics: &[
            ("الطرب الأصيل", "Classic Tarab"),
            ("الجاز", "Jazz"),
            ("العود", "Oud"),
            ("الموسيقى البدوية", "Bedouin Music"),
            ("الروك العربي", "Arabic Rock"),
            ("الموشحات", "Muwashahat"),
        ],
    },
    Kind {
        category: Category::Theatre,
        organizer: "riwaq_arts",
        titles: &[
            ("عرض مسرحي:", "On Stage:"),
            ("مسرحية", "The Play"),
            ("ليالي", "Nights of"),
        ],
        topics: &[
            ("الكوميديا الأردنية", "Jordanian Comedy"),
            ("حكايات الجدّات", "Grandmothers' Tales"),
            ("المونودراما", "Monodrama"),
            ("مسرح الدمى", "Puppet Theatre"),
            ("الارتجال", "Improv"),
        ],
    },
    Kind {
        category: Category::Sports,
        organizer: "nashama_sports",
        titles: &[
            ("بطولة", "Championship:"),
            ("سباق", "Race:"),
            ("يوم", "A Day of"),
        ],
        topics: &[
            ("كرة السلة", "Basketball"),
            ("الجري الجبلي", "Trail Running"),
            ("الدراجات الهوائية", "Cycling"),
            ("كرة القدم للناشئين", "Youth Football"),
            ("التسلق", "Climbing"),
        ],
    },
    Kind {
        category: Category::Conference,
        organizer: "jodevs",
        titles: &[
            ("ملتقى", "Forum on"),
            ("مؤتمر", "Conference on"),
            ("قمة", "Summit on"),
        ],
        topics: &[
            ("ريادة الأعمال", "Entrepreneurship"),
            ("الطاقة المتجددة", "Renewable Energy"),
            ("السياحة المستدامة", "Sustainable Tourism"),
            ("التعليم الرقمي", "Digital Learning"),
        ],
    },
    Kind {
        category: Category::Family,
        organizer: "farha_family",
        titles: &[
            ("نهار", "A Day of"),
            ("مهرجان", "Festival of"),
            ("ورشة", "Workshop:"),
        ],
        topics: &[
            ("العائلة", "Family Fun"),
            ("الرسم للأطفال", "Kids' Painting"),
            ("العلوم الممتعة", "Fun Science"),
            ("الحكواتي", "The Storyteller"),
        ],
    },
    Kind {
        category: Category::Food,
        organizer: "sufra_festivals",
        titles: &[
            ("مهرجان", "Festival of"),
            ("سوق", "Market of"),
            ("ليلة", "A Night of"),
        ],
        topics: &[
            ("المنسف", "Mansaf"),
            ("القهوة العربية", "Arabic Coffee"),
            ("الكنافة", "Knafeh"),
            ("المأكولات الشعبية", "Street Food"),
            ("زيت الزيتون", "Olive Oil"),
        ],
    },
    Kind {
        category: Category::Art,
        organizer: "riwaq_arts",
        titles: &[
            ("معرض", "Exhibition:"),
            ("أسبوع", "A Week of"),
            ("ورشة", "Workshop:"),
        ],
        topics: &[
            ("الخط العربي", "Arabic Calligraphy"),
            ("الفسيفساء", "Mosaic"),
            ("التصوير الفوتوغرافي", "Photography"),
            ("التطريز الفلاحي", "Fallahi Embroidery"),
        ],
    },
    Kind {
        category: Category::Tech,
        organizer: "jodevs",
        titles: &[
            ("هاكاثون", "Hackathon:"),
            ("لقاء", "Meetup:"),
            ("ورشة", "Workshop:"),
        ],
        topics: &[
            ("الذكاء الاصطناعي", "Artificial Intelligence"),
            ("Rust", "Rust"),
            ("تطبيقات الجوال", "Mobile Apps"),
            ("الأمن السيبراني", "Cybersecurity"),
            ("البيانات المفتوحة", "Open Data"),
        ],
    },
];

/// Prices in fils a ticket type may have.
const PRICES: &[i64] = &[
    0, 2_000, 3_500, 5_000, 7_500, 10_000, 15_000, 25_000, 40_000,
];

/// SplitMix64: a few lines of well-known arithmetic, enough for varied demo data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// `count` published events from `seed`, within the 180 days after `today` in Asia/Amman,
/// each by the organizer `organization_of` gives for its kind's organizer key.
pub fn events(
    count: usize,
    seed: u64,
    today: Date,
    organization_of: &dyn Fn(&str) -> Option<Uuid>,
) -> Result<Vec<NewEvent>, DemoError> {
    let tz = TimeZone::get(DEMO_TIME_ZONE).map_err(|e| DemoError::Invalid(e.to_string()))?;
    let text = |ar: String, en: String| {
        Bilingual::new(ar, en).map_err(|e| DemoError::Invalid(e.to_string()))
    };
    let mut rng = Rng(seed);
    let mut events = Vec::with_capacity(count);
    for _ in 0..count {
        let kind = rng.pick(KINDS);
        let venue = rng.pick(PLACES);
        let (title_ar, title_en) = rng.pick(kind.titles);
        let (topic_ar, topic_en) = rng.pick(kind.topics);
        let organization_id = organization_of(kind.organizer)
            .ok_or_else(|| DemoError::Invalid(format!("no organizer {}", kind.organizer)))?;
        let day = today
            .checked_add(jiff::Span::new().days(1 + rng.below(180) as i64))
            .map_err(|e| DemoError::Invalid(e.to_string()))?;
        let starts = day
            .at(10 + rng.below(12) as i8, [0, 30][rng.below(2)], 0, 0)
            .to_zoned(tz.clone())
            .map_err(|e| DemoError::Invalid(e.to_string()))?;
        let minutes = 90 + 30 * rng.below(6) as i64;
        let ends = starts
            .checked_add(jiff::Span::new().minutes(minutes))
            .map_err(|e| DemoError::Invalid(e.to_string()))?;
        let title = text(
            format!("{title_ar} {topic_ar} في {}", venue.name.0),
            format!("{title_en} {topic_en} at {}", venue.name.1),
        )?;
        let description = text(
            format!(
                "{title_ar} {topic_ar} في {}، {}. برنامج لكل من يحب {topic_ar}، بمشاركة فنانين ومختصين من الأردن والمنطقة.",
                venue.name.0, venue.address.0
            ),
            format!(
                "{title_en} {topic_en} at {}, {}. A programme for everyone who loves {topic_en}, with artists and experts from Jordan and the region.",
                venue.name.1, venue.address.1
            ),
        )?;
        let base = *rng.pick(PRICES);
        let mut ticket_types = vec![NewTicketType::simple(
            Uuid::now_v7(),
            text("دخول عام".into(), "General admission".into())?,
            Money::jod_fils(base),
            50 + 50 * rng.below(20) as u32,
        )];
        if base > 0 && rng.below(2) == 0 {
            ticket_types.push(NewTicketType::simple(
                Uuid::now_v7(),
                text("كبار الشخصيات".into(), "VIP".into())?,
                Money::jod_fils(base * 3),
                20 + 10 * rng.below(5) as u32,
            ));
        }
        events.push(NewEvent {
            id: Uuid::now_v7(),
            organization_id,
            status: EventStatus::Published,
            title,
            description,
            category: kind.category,
            venue: Venue {
                name: text(venue.name.0.into(), venue.name.1.into())?,
                address: text(venue.address.0.into(), venue.address.1.into())?,
                city: venue.city,
                location: GeoPoint {
                    lat: venue.lat,
                    lng: venue.lng,
                },
            },
            starts_at: starts.timestamp(),
            ends_at: ends.timestamp(),
            time_zone: DEMO_TIME_ZONE.to_owned(),
            tags: vec![topic_en.to_lowercase(), (*topic_ar).to_owned()],
            ticket_types,
        });
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn generate(count: usize, seed: u64) -> Vec<NewEvent> {
        let today = Date::constant(2026, 11, 25);
        events(count, seed, today, &|_| Some(Uuid::nil())).unwrap()
    }

    #[test]
    fn the_same_seed_generates_the_same_events() {
        let titles = |events: Vec<NewEvent>| -> Vec<String> {
            events.into_iter().map(|e| e.title.en).collect()
        };
        assert_eq!(titles(generate(50, 7)), titles(generate(50, 7)));
        assert_ne!(titles(generate(50, 7)), titles(generate(50, 8)));
    }

    #[test]
    fn generated_events_cover_every_city_and_category_in_both_languages() {
        let events = generate(400, 1);
        let cities: HashSet<_> = events.iter().map(|e| e.venue.city).collect();
        let categories: HashSet<_> = events.iter().map(|e| e.category).collect();
        assert_eq!(cities.len(), City::ALL.len());
        assert_eq!(categories.len(), Category::ALL.len());
        for e in &events {
            assert!(!e.title.ar.is_empty() && !e.title.en.is_empty());
            assert!(e.ends_at > e.starts_at);
            let centre = e.venue.city.centre();
            let near = (e.venue.location.lat - centre.lat).abs() < 0.25
                && (e.venue.location.lng - centre.lng).abs() < 0.25;
            assert!(near, "{} is far from {:?}", e.venue.name.en, e.venue.city);
        }
        assert!(
            events.iter().any(|e| e.price_min_minor() == Some(0)),
            "some are free"
        );
    }
}
