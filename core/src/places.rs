//! The Jordanian cities Hafla knows by name, with their coordinates and spellings.

use crate::bilingual::Bilingual;
use serde::{Deserialize, Serialize};

/// A city or town an event can take place in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
#[serde(rename_all = "snake_case")]
pub enum City {
    Amman,
    Irbid,
    Zarqa,
    Aqaba,
    Madaba,
    Jerash,
    Salt,
    Karak,
    WadiMusa,
    WadiRum,
}

/// A point on the map in WGS 84 degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct GeoPoint {
    pub lat: f64,
    pub lng: f64,
}

/// The mean Earth radius (IUGG), for great-circle distances.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

impl GeoPoint {
    /// Great-circle distance to `other` in whole metres (haversine): the distance the
    /// server's search sorts by and the app's offline search shows.
    pub fn distance_m(self, other: GeoPoint) -> i64 {
        let half_dlat = (self.lat - other.lat).to_radians() / 2.0;
        let half_dlng = (self.lng - other.lng).to_radians() / 2.0;
        let a = half_dlat.sin().powi(2)
            + other.lat.to_radians().cos() * self.lat.to_radians().cos() * half_dlng.sin().powi(2);
        (2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()).round() as i64
    }

    /// Whether the point is a valid latitude/longitude pair.
    pub fn is_valid(self) -> bool {
        (-90.0..=90.0).contains(&self.lat) && (-180.0..=180.0).contains(&self.lng)
    }
}

impl City {
    pub const ALL: [City; 10] = [
        City::Amman,
        City::Irbid,
        City::Zarqa,
        City::Aqaba,
        City::Madaba,
        City::Jerash,
        City::Salt,
        City::Karak,
        City::WadiMusa,
        City::WadiRum,
    ];

    /// The stable key used on the wire, in the database and in locale message ids.
    pub fn key(self) -> &'static str {
        match self {
            City::Amman => "amman",
            City::Irbid => "irbid",
            City::Zarqa => "zarqa",
            City::Aqaba => "aqaba",
            City::Madaba => "madaba",
            City::Jerash => "jerash",
            City::Salt => "salt",
            City::Karak => "karak",
            City::WadiMusa => "wadi_musa",
            City::WadiRum => "wadi_rum",
        }
    }

    pub fn from_key(key: &str) -> Option<City> {
        City::ALL.into_iter().find(|c| c.key() == key)
    }

    /// The city's name as people there write it.
    pub fn name(self) -> Bilingual {
        let (ar, en) = match self {
            City::Amman => ("عمّان", "Amman"),
            City::Irbid => ("إربد", "Irbid"),
            City::Zarqa => ("الزرقاء", "Zarqa"),
            City::Aqaba => ("العقبة", "Aqaba"),
            City::Madaba => ("مادبا", "Madaba"),
            City::Jerash => ("جرش", "Jerash"),
            City::Salt => ("السلط", "Salt"),
            City::Karak => ("الكرك", "Karak"),
            City::WadiMusa => ("وادي موسى (البترا)", "Wadi Musa (Petra)"),
            City::WadiRum => ("وادي رم", "Wadi Rum"),
        };
        Bilingual {
            ar: ar.to_owned(),
            en: en.to_owned(),
        }
    }

    /// Every way people commonly write the city's name, in both scripts, as they type it:
    /// search normalizes these, so vowel marks, hamza and ta marbuta variants need no entry
    /// of their own. What is listed is what differs in letters: Latin transliterations, the
    /// Arabic article written or not, a dropped final hamza, Petra for the town beside it.
    pub fn spellings(self) -> &'static [&'static str] {
        match self {
            City::Amman => &["عمّان", "Amman"],
            City::Irbid => &["إربد", "Irbid", "Irbed"],
            City::Zarqa => &["الزرقاء", "الزرقا", "Zarqa", "Zarka", "Al-Zarqa"],
            City::Aqaba => &["العقبة", "Aqaba", "Akaba"],
            City::Madaba => &["مادبا", "Madaba"],
            City::Jerash => &["جرش", "Jerash", "Jarash"],
            City::Salt => &["السلط", "Salt", "As-Salt", "Al-Salt"],
            City::Karak => &["الكرك", "Karak", "Kerak", "Al-Karak"],
            City::WadiMusa => &[
                "وادي موسى",
                "البتراء",
                "البترا",
                "Wadi Musa",
                "Wadi Mousa",
                "Petra",
            ],
            City::WadiRum => &["وادي رم", "Wadi Rum", "Wadi Ram"],
        }
    }

    /// The city centre (for Wadi Musa, the town beside Petra's visitor centre).
    pub fn centre(self) -> GeoPoint {
        let (lat, lng) = match self {
            City::Amman => (31.9539, 35.9106),
            City::Irbid => (32.5556, 35.8500),
            City::Zarqa => (32.0728, 36.0880),
            City::Aqaba => (29.5321, 35.0063),
            City::Madaba => (31.7167, 35.7939),
            City::Jerash => (32.2808, 35.8993),
            City::Salt => (32.0392, 35.7272),
            City::Karak => (31.1853, 35.7048),
            City::WadiMusa => (30.3222, 35.4792),
            City::WadiRum => (29.5765, 35.4195),
        };
        GeoPoint { lat, lng }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_city_round_trips_through_its_key() {
        for city in City::ALL {
            assert_eq!(City::from_key(city.key()), Some(city));
            let json = serde_json::to_string(&city).unwrap();
            assert_eq!(json, format!("\"{}\"", city.key()));
        }
    }

    #[test]
    fn every_city_lies_inside_jordan() {
        for city in City::ALL {
            let p = city.centre();
            assert!(p.is_valid());
            assert!(
                (29.1..=33.4).contains(&p.lat) && (34.9..=39.4).contains(&p.lng),
                "{city:?}"
            );
        }
    }
}
