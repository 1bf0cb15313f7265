//! Event search: what a search asks for ([`EventQuery`]), the [`SearchStore`] trait both
//! backends implement, and everything about a search that must not differ between them —
//! the query's tokens, the relevance score, distances, the order of results and the
//! cursor — written once here. A backend supplies only its SQL dialect ([`Dialect`]) and
//! runs the statements [`statement`] builds; [`run`] is the search loop both share.
//!
//! # Matching
//!
//! The text `q` goes through `hafla_core::search_text::tokens`, the same function that
//! wrote `events.search_text`, so a word matches however it was typed (marks, hamza forms,
//! ta marbuta, the article, Arabic-Indic digits). Every token must appear in the event;
//! the last one may also be the start of a word, so results follow typing ("حفل" finds
//! "حفلة"). User text is never query syntax: each token is quoted as a literal for FTS5
//! and for `tsquery`. Text with no word at all (only punctuation or spaces) searches with
//! no keyword: it is not an error, and finds what the other filters find.
//!
//! # Order
//!
//! * `relevance` (the default with a keyword): events whose titles hold every word first,
//!   then those whose titles hold some of them, then the rest ([`TitleMatch`]; titles are
//!   `events.title_text`, their normalized words); within each, sooner events first, then
//!   by id. The score depends only on the event and the words, never on the rest of the
//!   catalog (unlike BM25 or `ts_rank`, whose corpus statistics would shift and reorder
//!   pages under a reader), and each tier is an index lookup read in date order, so a
//!   common word costs a page, not a score for each of its thousands of matches.
//! * `date` (the default without a keyword): soonest first, then by id.
//! * `distance` (needs a point): nearest first (whole metres), then sooner, then by id.
//!
//! # Pages
//!
//! Keyset pagination: the cursor holds the sort key of the last row sent (score, start,
//! distance, id) and a check over it and the canonical form of the search, so a garbled
//! cursor, an altered one, or one from another search is refused (`invalid_parameter` on
//! `cursor`). The next page is "the rows after that key", so events created or withdrawn
//! between two pages never make an event that exists throughout appear twice or not at all.

use super::StoreError;
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hafla_core::places::{City, EARTH_RADIUS_M, GeoPoint};
use hafla_core::wire::{Category, EventSearchPage};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Longest search text, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Radius around a point when the caller names none, and the largest allowed, in km.
pub const DEFAULT_RADIUS_KM: f64 = 25.0;
pub const MAX_RADIUS_KM: f64 = 200.0;
/// Results per page when the caller does not choose, and the most it may choose.
pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 50;

/// Search near a point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Near {
    pub point: GeoPoint,
    pub radius_km: f64,
}

/// The order of search results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchSort {
    Relevance,
    Date,
    Distance,
}

impl SearchSort {
    pub const ALL: [SearchSort; 3] = [
        SearchSort::Relevance,
        SearchSort::Date,
        SearchSort::Distance,
    ];

    pub fn key(self) -> &'static str {
        match self {
            SearchSort::Relevance => "relevance",
            SearchSort::Date => "date",
            SearchSort::Distance => "distance",
        }
    }

    pub fn from_key(key: &str) -> Option<SearchSort> {
        SearchSort::ALL.into_iter().find(|s| s.key() == key)
    }

    fn tag(self) -> u8 {
        match self {
            SearchSort::Relevance => 1,
            SearchSort::Date => 2,
            SearchSort::Distance => 3,
        }
    }
}

/// A search of published events that have not ended. Every filter is optional; the caller
/// (the API) has checked the values' ranges.
#[derive(Clone, Debug, PartialEq)]
pub struct EventQuery {
    /// The text as typed (tokenized here).
    pub text: String,
    pub near: Option<Near>,
    /// Events overlapping `[from, to]`.
    pub from: Option<jiff::Timestamp>,
    pub to: Option<jiff::Timestamp>,
    pub category: Option<Category>,
    pub city: Option<City>,
    /// Events whose cheapest ticket costs at most this, in minor units.
    pub max_price_minor: Option<i64>,
    /// Only events with a ticket type at price 0.
    pub free_only: bool,
    /// `None`: relevance with a keyword, else date.
    pub sort: Option<SearchSort>,
    pub limit: u32,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl Default for EventQuery {
    fn default() -> Self {
        EventQuery {
            text: String::new(),
            near: None,
            from: None,
            to: None,
            category: None,
            city: None,
            max_price_minor: None,
            free_only: false,
            sort: None,
            limit: DEFAULT_LIMIT,
            cursor: None,
        }
    }
}

impl EventQuery {
    /// The words to match, each once, in the order typed.
    pub fn tokens(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for token in hafla_core::search_text::tokens(&self.text) {
            if !out.contains(&token) {
                out.push(token);
            }
        }
        out
    }

    /// The order the results come in.
    pub fn effective_sort(&self) -> SearchSort {
        self.sort.unwrap_or(if self.tokens().is_empty() {
            SearchSort::Date
        } else {
            SearchSort::Relevance
        })
    }

    /// The search in one canonical text: the same for every spelling of the same search
    /// (tokens, not raw text), without the page (limit, cursor). Cursors are bound to it.
    pub fn canonical(&self) -> String {
        let opt = |v: Option<String>| v.unwrap_or_default();
        format!(
            "q={}|near={}|from={}|to={}|category={}|city={}|max_price={}|free={}|sort={}",
            self.tokens().join(" "),
            opt(self
                .near
                .map(|n| format!("{},{},{}", n.point.lat, n.point.lng, n.radius_km))),
            opt(self.from.map(|t| t.as_second().to_string())),
            opt(self.to.map(|t| t.as_second().to_string())),
            opt(self.category.map(|c| c.key().to_owned())),
            opt(self.city.map(|c| c.key().to_owned())),
            opt(self.max_price_minor.map(|p| p.to_string())),
            self.free_only,
            self.effective_sort().key(),
        )
    }

    /// The search and the page: what a cache of answers is keyed by.
    pub fn cache_key(&self) -> String {
        format!(
            "{}|limit={}|cursor={}",
            self.canonical(),
            self.limit,
            self.cursor.as_deref().unwrap_or("")
        )
    }
}

#[async_trait]
pub trait SearchStore: Send + Sync {
    /// Published events that have not ended by `now` and match `query`, one page in the
    /// query's order. A bad cursor is `StoreError::InvalidQuery` naming `cursor`.
    async fn search_events(
        &self,
        query: &EventQuery,
        now: jiff::Timestamp,
    ) -> Result<EventSearchPage, StoreError>;
}

/// Where a page starts: the sort key of the last row of the page before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SortKey {
    pub score: i64,
    pub starts_at: i64,
    pub distance_m: i64,
    pub id: Uuid,
}

const CURSOR_VERSION: u8 = 1;
const CURSOR_PAYLOAD: usize = 2 + 3 * 8 + 16;
const CURSOR_CHECK: usize = 8;

fn cursor_check(canonical: &str, payload: &[u8]) -> [u8; CURSOR_CHECK] {
    let mut hash = Sha256::new();
    hash.update(b"hafla search cursor\0");
    hash.update(canonical.as_bytes());
    hash.update([0]);
    hash.update(payload);
    let digest = hash.finalize();
    let mut out = [0; CURSOR_CHECK];
    out.copy_from_slice(&digest[..CURSOR_CHECK]);
    out
}

/// The cursor text of `key` for the search `query`.
pub(crate) fn encode_cursor(query: &EventQuery, key: SortKey) -> String {
    let mut bytes = Vec::with_capacity(CURSOR_PAYLOAD + CURSOR_CHECK);
    bytes.push(CURSOR_VERSION);
    bytes.push(query.effective_sort().tag());
    bytes.extend_from_slice(&key.score.to_be_bytes());
    bytes.extend_from_slice(&key.starts_at.to_be_bytes());
    bytes.extend_from_slice(&key.distance_m.to_be_bytes());
    bytes.extend_from_slice(key.id.as_bytes());
    let check = cursor_check(&query.canonical(), &bytes);
    bytes.extend_from_slice(&check);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads a cursor made by [`encode_cursor`] for this same search.
pub(crate) fn decode_cursor(query: &EventQuery, text: &str) -> Result<SortKey, StoreError> {
    let bad = |reason: &str| StoreError::InvalidQuery {
        parameter: "cursor",
        reason: reason.to_owned(),
    };
    if text.len() > 200 {
        return Err(bad("not a cursor of this search"));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| bad("not a cursor of this search"))?;
    if bytes.len() != CURSOR_PAYLOAD + CURSOR_CHECK || bytes[0] != CURSOR_VERSION {
        return Err(bad("not a cursor of this search"));
    }
    let (payload, check) = bytes.split_at(CURSOR_PAYLOAD);
    if check != cursor_check(&query.canonical(), payload)
        || payload[1] != query.effective_sort().tag()
    {
        return Err(bad(
            "this cursor belongs to another search (or was altered): start again without it",
        ));
    }
    let int = |at: usize| {
        let mut b = [0; 8];
        b.copy_from_slice(&payload[at..at + 8]);
        i64::from_be_bytes(b)
    };
    let mut id = [0; 16];
    id.copy_from_slice(&payload[26..42]);
    Ok(SortKey {
        score: int(2),
        starts_at: int(10),
        distance_m: int(18),
        id: Uuid::from_bytes(id),
    })
}

/// Great-circle distance in whole metres (haversine). PostgreSQL computes the same formula
/// in SQL ([`Dialect::distance_m`]); SQLite calls this function.
pub fn distance_m(lat: f64, lng: f64, from_lat: f64, from_lng: f64) -> i64 {
    GeoPoint { lat, lng }.distance_m(GeoPoint {
        lat: from_lat,
        lng: from_lng,
    })
}

/// A box that contains every point within `radius_km` of `centre`: (min lat, max lat,
/// min lng, max lng). Wider than needed near the poles and the antimeridian (then it spans
/// every longitude), never narrower.
pub(crate) fn bounding_box(centre: GeoPoint, radius_km: f64) -> (f64, f64, f64, f64) {
    // A little over the arc of one degree of latitude, so rounding never cuts a point off.
    let dlat = radius_km * 1000.0 / (EARTH_RADIUS_M * std::f64::consts::PI / 180.0) * 1.001;
    let min_lat = (centre.lat - dlat).max(-90.0);
    let max_lat = (centre.lat + dlat).min(90.0);
    let widest = min_lat.abs().max(max_lat.abs());
    if widest >= 89.0 {
        return (min_lat, max_lat, -180.0, 180.0);
    }
    let dlng = dlat / widest.to_radians().cos();
    if centre.lng - dlng < -180.0 || centre.lng + dlng > 180.0 {
        return (min_lat, max_lat, -180.0, 180.0);
    }
    (min_lat, max_lat, centre.lng - dlng, centre.lng + dlng)
}

/// How many of the searched words an event's title holds: the relevance score of a search
/// with words. Search goes through these tiers best first, and through each in date order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TitleMatch {
    /// Every word is in the title.
    Every,
    /// Some words are in the title, not all (only with two words or more).
    Some,
    /// The words are all found, none in the title.
    None,
}

impl TitleMatch {
    pub(crate) fn score(self) -> i64 {
        match self {
            TitleMatch::Every => 2,
            TitleMatch::Some => 1,
            TitleMatch::None => 0,
        }
    }

    /// The tiers of a search of `words` words, best first.
    fn tiers(words: usize) -> Vec<TitleMatch> {
        if words > 1 {
            vec![TitleMatch::Every, TitleMatch::Some, TitleMatch::None]
        } else {
            vec![TitleMatch::Every, TitleMatch::None]
        }
    }
}

/// The FTS5 query of the tokens: each a quoted string (quotes doubled), all required, the
/// last also as a prefix; with a tier, only the events of that tier (`title_text` is the
/// titles' column of `events_fts`).
pub(crate) fn fts5_match(tokens: &[String], tier: Option<TitleMatch>) -> String {
    let quoted: Vec<String> = tokens
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    let every = format!("{}*", quoted.join(" "));
    let any = format!("{}*", quoted.join(" OR "));
    match tier {
        None => every,
        Some(TitleMatch::Every) => format!("{{title_text}} : ({every})"),
        Some(TitleMatch::Some) => {
            format!("(({every}) AND {{title_text}} : ({any})) NOT {{title_text}} : ({every})")
        }
        Some(TitleMatch::None) => format!("({every}) NOT {{title_text}} : ({any})"),
    }
}

/// The `tsquery` text of the tokens: each a quoted lexeme (quotes doubled, backslashes
/// escaped), all required (`&`) or, with `any`, one at least (`|`); the last also as a
/// prefix (`:*`).
pub(crate) fn tsquery(tokens: &[String], any: bool) -> String {
    let quoted: Vec<String> = tokens
        .iter()
        .map(|t| format!("'{}'", t.replace('\\', "\\\\").replace('\'', "''")))
        .collect();
    format!("{}:*", quoted.join(if any { " | " } else { " & " }))
}

/// A value bound to a statement.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Param {
    Int(i64),
    Real(f64),
    Text(String),
    Id(Uuid),
}

/// The values of a statement being built.
#[derive(Default)]
pub(crate) struct Params(Vec<Param>);

impl Params {
    /// Adds a value and returns its (1-based) number.
    pub(crate) fn bind(&mut self, value: Param) -> usize {
        self.0.push(value);
        self.0.len()
    }
}

/// What differs in SQL between the backends; everything else is shared.
pub(crate) trait Dialect: Sync {
    /// The `n`th (1-based) parameter.
    fn param(&self, n: usize) -> String;
    /// A time column as Unix seconds.
    fn epoch(&self, column: &str) -> String;
    /// The `n`th parameter (Unix seconds) as a value comparable with time columns.
    fn time_param(&self, n: usize) -> String;
    /// A condition on `e` (events): it holds every token, and with a tier, belongs to it.
    fn text_match(
        &self,
        params: &mut Params,
        tokens: &[String],
        tier: Option<TitleMatch>,
    ) -> String;
    /// A condition on `e`: its location lies in the box of parameters `n..n + 4`
    /// (min lat, max lat, min lng, max lng).
    fn in_box(&self, n: usize) -> String;
    /// Whole metres from `e`'s location to (parameter `lat`, parameter `lng`).
    fn distance_m(&self, lat: usize, lng: usize) -> String;
    /// An integer NULL.
    fn null_int(&self) -> &'static str;
    /// Whether the backend has `LATERAL` joins. Then a search by distance without words
    /// goes by place: it finds the distinct places (`lat`, `lng`) of published events in
    /// the box by skipping from one to the next in the `(lat, lng, starts_at, id)` index,
    /// measures each place once, and reads only the first page of each place's events in
    /// date order. Events at one place tie on distance, so these are all it can need; a
    /// venue with thousands of events costs a page, not a distance and a sort for each.
    /// Without it, every event in the box is measured and sorted.
    fn lateral_joins(&self) -> bool {
        false
    }
    /// The condition "`e` is published". `narrowed`: a word or place condition will find
    /// the candidates through its own index, so the planner should not start from status.
    fn published(&self, narrowed: bool) -> &'static str {
        let _ = narrowed;
        "e.status = 'published'"
    }
}

/// How a statement with words finds its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Way {
    /// Start from the events that hold the words (the word index), then sort them: the
    /// cost grows with the number of matches.
    FromMatches,
    /// Walk the published events in date order, testing each for the words, and stop after
    /// a page: the cost grows with the events walked, so it suits common words.
    ByDate,
    /// Walk at most this many events in date order: when they hold a page of matches, the
    /// page is right (no earlier event was skipped); otherwise nothing is known and the
    /// search goes [`Way::FromMatches`].
    ByDateAtMost(usize),
}

/// One statement of a search: which tier, after which row, how many rows, which way.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pass {
    pub tier: Option<TitleMatch>,
    pub after: Option<SortKey>,
    pub fetch: usize,
    pub way: Way,
}

/// The statement that answers `query` for one pass. Its columns are the event listing's
/// (see `rows::EventRow`), then score, distance in metres and start in Unix seconds.
pub(crate) fn statement(
    dialect: &dyn Dialect,
    query: &EventQuery,
    pass: &Pass,
    now: jiff::Timestamp,
) -> (String, Vec<Param>) {
    let mut params = Params::default();
    let tokens = query.tokens();
    let sort = query.effective_sort();

    let n = params.bind(Param::Int(now.as_second()));
    // See `Dialect::lateral_joins`. Words are left to their own index: a rare word would
    // make every place's walk in date order long.
    let by_place = sort == SearchSort::Distance
        && query.near.is_some()
        && tokens.is_empty()
        && dialect.lateral_joins();
    let from_matches = pass.way == Way::FromMatches;
    let narrowed = (!tokens.is_empty() && from_matches) || query.near.is_some();
    let mut filters = vec![
        dialect.published(narrowed).to_owned(),
        format!("e.ends_at >= {}", dialect.time_param(n)),
    ];
    let text_filter =
        (!tokens.is_empty()).then(|| dialect.text_match(&mut params, &tokens, pass.tier));
    let mut distance = dialect.null_int().to_owned();
    // The first of the bounding box's four parameters.
    let mut in_box = 0;
    if let Some(near) = query.near {
        let (min_lat, max_lat, min_lng, max_lng) = bounding_box(near.point, near.radius_km);
        in_box = params.bind(Param::Real(min_lat));
        params.bind(Param::Real(max_lat));
        params.bind(Param::Real(min_lng));
        params.bind(Param::Real(max_lng));
        if !by_place {
            // By place, the places are found in the box first.
            filters.push(dialect.in_box(in_box));
        }
        let lat = params.bind(Param::Real(near.point.lat));
        let lng = params.bind(Param::Real(near.point.lng));
        distance = dialect.distance_m(lat, lng);
    }
    if let Some(from) = query.from {
        let n = params.bind(Param::Int(from.as_second()));
        filters.push(format!("e.ends_at >= {}", dialect.time_param(n)));
    }
    if let Some(to) = query.to {
        let n = params.bind(Param::Int(to.as_second()));
        filters.push(format!("e.starts_at <= {}", dialect.time_param(n)));
    }
    if let Some(category) = query.category {
        let n = params.bind(Param::Text(category.key().to_owned()));
        filters.push(format!("e.category = {}", dialect.param(n)));
    }
    if let Some(city) = query.city {
        let n = params.bind(Param::Text(city.key().to_owned()));
        filters.push(format!("e.city = {}", dialect.param(n)));
    }
    if let Some(max) = query.max_price_minor {
        let n = params.bind(Param::Int(max));
        filters.push(format!("e.price_min_minor <= {}", dialect.param(n)));
    }
    if query.free_only {
        filters.push("e.price_min_minor = 0".to_owned());
    }

    let mut page_filters: Vec<String> = Vec::new();
    // Conditions on the places of a search by place (`p`: lat, lng, distance_m).
    let mut place_filters: Vec<String> = Vec::new();
    if let Some(near) = query.near {
        let n = params.bind(Param::Int((near.radius_km * 1000.0).round() as i64));
        page_filters.push(format!("distance_m <= {}", dialect.param(n)));
        place_filters.push(format!("p.distance_m <= {}", dialect.param(n)));
    }
    if let Some(key) = pass.after {
        let s = params.bind(Param::Int(key.starts_at));
        let id = params.bind(Param::Id(key.id));
        let by_date = |starts: &str, id_column: &str| {
            format!(
                "({starts} > {s} OR ({starts} = {s} AND {id_column} > {id}))",
                s = dialect.time_param(s),
                id = dialect.param(id)
            )
        };
        match sort {
            // A pass of a relevance search reads one tier: its rows share a score.
            SearchSort::Date | SearchSort::Relevance => {
                filters.push(by_date("e.starts_at", "e.id"));
            }
            SearchSort::Distance => {
                let d = dialect.param(params.bind(Param::Int(key.distance_m)));
                page_filters.push(format!(
                    "(distance_m > {d} OR (distance_m = {d} AND {}))",
                    by_date("starts_key", "id")
                ));
                if by_place {
                    // Inside each place's walk too, so its first rows are after the key.
                    place_filters.push(format!("p.distance_m >= {d}"));
                    filters.push(format!(
                        "(p.distance_m > {d} OR {})",
                        by_date("e.starts_at", "e.id")
                    ));
                }
            }
        }
    }
    // The events the words are looked for in, and the conditions left for the words.
    let (source, conditions) = match (pass.way, text_filter) {
        (Way::ByDateAtMost(walk), Some(text)) => {
            let walk = params.bind(Param::Int(walk as i64));
            (
                format!(
                    "(SELECT * FROM events e WHERE {} ORDER BY e.starts_at, e.id LIMIT {}) e",
                    filters.join(" AND "),
                    dialect.param(walk)
                ),
                text,
            )
        }
        (_, text) => {
            filters.extend(text);
            ("events e".to_owned(), filters.join(" AND "))
        }
    };
    // Gathered whole before sorting, so the planner cannot choose to walk by date.
    let materialized = if from_matches && !tokens.is_empty() {
        "MATERIALIZED "
    } else {
        ""
    };
    let order = |prefix: &str| match sort {
        SearchSort::Date | SearchSort::Relevance => format!("{prefix}starts_key, {prefix}id"),
        SearchSort::Distance => {
            format!("{prefix}distance_m, {prefix}starts_key, {prefix}id")
        }
    };
    let limit = params.bind(Param::Int(pass.fetch as i64));
    let page_where = if page_filters.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", page_filters.join(" AND "))
    };
    let hits = if by_place {
        let p = |k: usize| dialect.param(in_box + k);
        format!(
            "RECURSIVE places AS (
                (SELECT e.lat, e.lng FROM events e
                 WHERE e.status = 'published' AND e.lat >= {min_lat} AND e.lat <= {max_lat}
                 ORDER BY e.lat, e.lng LIMIT 1)
                UNION ALL
                SELECT next.lat, next.lng FROM places q CROSS JOIN LATERAL (
                    SELECT e.lat, e.lng FROM events e
                    WHERE e.status = 'published' AND (e.lat, e.lng) > (q.lat, q.lng)
                      AND e.lat <= {max_lat}
                    ORDER BY e.lat, e.lng LIMIT 1
                ) next
            ), near AS (
                SELECT e.lat, e.lng, {distance} AS distance_m FROM places e
                WHERE e.lng >= {min_lng} AND e.lng <= {max_lng}
            ), hits AS (
                SELECT x.id, x.starts_key, p.distance_m
                FROM near p CROSS JOIN LATERAL (
                    SELECT e.id AS id, e.starts_at AS starts_key FROM events e
                    WHERE e.lat = p.lat AND e.lng = p.lng AND {conditions}
                    ORDER BY e.starts_at, e.id LIMIT {limit}
                ) x
                WHERE {place_filters}
            )",
            min_lat = p(0),
            max_lat = p(1),
            min_lng = p(2),
            max_lng = p(3),
            limit = dialect.param(limit),
            place_filters = place_filters.join(" AND "),
        )
    } else {
        format!(
            "hits AS {materialized}(
                SELECT e.id AS id, e.starts_at AS starts_key, {distance} AS distance_m
                FROM {source}
                WHERE {conditions}
            )"
        )
    };
    let sql = format!(
        "WITH {hits}, page AS (
            SELECT id, starts_key, distance_m FROM hits {page_where}
            ORDER BY {order_hits} LIMIT {limit}
        )
        SELECT e.id, e.title_ar, e.title_en, e.description_ar, e.description_en,
               e.category, o.name_ar, o.name_en, e.venue_name_ar, e.venue_name_en,
               e.venue_address_ar, e.venue_address_en, e.city, e.lat, e.lng,
               {starts}, {ends}, e.time_zone,
               (SELECT min(t.price_minor) FROM ticket_types t WHERE t.event_id = e.id),
               (SELECT t.currency FROM ticket_types t WHERE t.event_id = e.id
                  ORDER BY t.price_minor LIMIT 1),
               {score}, page.distance_m, {page_starts}
        FROM page
        JOIN events e ON e.id = page.id
        JOIN organizations o ON o.id = e.organization_id
        ORDER BY {order_page}",
        order_hits = order(""),
        order_page = order("page."),
        limit = dialect.param(limit),
        ends = dialect.epoch("e.ends_at"),
        page_starts = dialect.epoch("page.starts_key"),
        starts = dialect.epoch("e.starts_at"),
        score = pass.tier.map_or(0, TitleMatch::score),
    );
    (sql, params.0)
}

/// The searches to try in turn for a search by distance: growing rings (an eighth of the
/// radius, doubled up to the whole), so a dense neighbourhood is answered from its nearest
/// events without measuring every event in the radius. A ring's answer stands when it
/// fills the page (more than `limit` rows): every event it left out lies farther than all
/// of them.
fn rings(query: &EventQuery, near: Near) -> Vec<EventQuery> {
    let mut radii = Vec::new();
    let mut radius = near.radius_km / 8.0;
    while radius < near.radius_km {
        radii.push(radius);
        radius *= 2.0;
    }
    radii.push(near.radius_km);
    radii
        .into_iter()
        .map(|radius_km| EventQuery {
            near: Some(Near { radius_km, ..near }),
            ..query.clone()
        })
        .collect()
}

/// A backend's part of a search: its dialect and running statements.
#[async_trait]
pub(crate) trait SearchBackend: Sync {
    fn dialect(&self) -> &dyn Dialect;
    async fn fetch_hits(
        &self,
        sql: String,
        params: Vec<Param>,
    ) -> Result<Vec<SearchRow>, StoreError>;
    /// How to find the events of a tier (or, without one, all events) holding these words.
    async fn way(&self, tokens: &[String], tier: Option<TitleMatch>) -> Result<Way, StoreError>;
}

/// Answers `query` on `backend`: the one search loop both backends share.
///
/// * By distance: ring after ring until one fills the page.
/// * By relevance with words: tier after tier ([`TitleMatch`]), each in date order, until
///   the page is full; a cursor resumes inside its own tier. A score that depends only on
///   the event and the words (never on the rest of the catalog, unlike BM25 or `ts_rank`)
///   keeps pages stable, and a tier is read like a date search, which stops after a page
///   instead of scoring every match.
/// * Otherwise: one statement.
pub(crate) async fn run(
    backend: &dyn SearchBackend,
    query: &EventQuery,
    now: jiff::Timestamp,
) -> Result<EventSearchPage, StoreError> {
    let after = start_after(query)?;
    let wanted = query.limit as usize + 1;
    let tokens = query.tokens();
    let sort = query.effective_sort();
    let dialect = backend.dialect();
    if let (SearchSort::Distance, Some(near)) = (sort, query.near) {
        let mut rows = Vec::new();
        for ring in rings(query, near) {
            let pass = Pass {
                tier: None,
                after,
                fetch: wanted,
                way: Way::FromMatches,
            };
            let (sql, params) = statement(dialect, &ring, &pass, now);
            rows = backend.fetch_hits(sql, params).await?;
            if rows.len() >= wanted {
                break;
            }
        }
        return search_page(query, rows);
    }
    let tiers: Vec<Option<TitleMatch>> = if sort == SearchSort::Relevance && !tokens.is_empty() {
        TitleMatch::tiers(tokens.len())
            .into_iter()
            .filter(|t| after.is_none_or(|key| t.score() <= key.score))
            .map(Some)
            .collect()
    } else {
        vec![None]
    };
    let mut rows = Vec::new();
    for tier in tiers {
        let fetch = wanted - rows.len();
        let way = if tokens.is_empty() || query.near.is_some() {
            Way::FromMatches
        } else {
            backend.way(&tokens, tier).await?
        };
        let mut pass = Pass {
            tier,
            after: after.filter(|key| tier.is_none_or(|t| t.score() == key.score)),
            fetch,
            way,
        };
        let (sql, params) = statement(dialect, query, &pass, now);
        let mut found = backend.fetch_hits(sql, params).await?;
        if matches!(way, Way::ByDateAtMost(_)) && found.len() < fetch {
            pass.way = Way::FromMatches;
            let (sql, params) = statement(dialect, query, &pass, now);
            found = backend.fetch_hits(sql, params).await?;
        }
        rows.extend(found);
        if rows.len() >= wanted {
            break;
        }
    }
    search_page(query, rows)
}

/// One row of a search answer as both backends read it.
pub(crate) struct SearchRow {
    pub event: super::rows::EventRow,
    pub score: i64,
    pub distance_m: Option<i64>,
    pub starts_at: i64,
}

/// The page of `rows` (fetched with one extra row) for `query`.
fn search_page(
    query: &EventQuery,
    mut rows: Vec<SearchRow>,
) -> Result<EventSearchPage, StoreError> {
    let more = rows.len() > query.limit as usize;
    rows.truncate(query.limit as usize);
    let next_cursor = match rows.last() {
        Some(last) if more => Some(encode_cursor(
            query,
            SortKey {
                score: last.score,
                starts_at: last.starts_at,
                distance_m: last.distance_m.unwrap_or(0),
                id: last.event.id,
            },
        )),
        _ => None,
    };
    let events = rows
        .into_iter()
        .map(|row| {
            Ok(hafla_core::wire::EventHit {
                distance_km: row.distance_m.map(|m| m as f64 / 1000.0),
                event: row.event.into_summary()?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(EventSearchPage {
        events,
        next_cursor,
    })
}

/// The sort key a page starts after, if the query has a cursor.
fn start_after(query: &EventQuery) -> Result<Option<SortKey>, StoreError> {
    query
        .cursor
        .as_deref()
        .map(|text| decode_cursor(query, text))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(text: &str) -> EventQuery {
        EventQuery {
            text: text.into(),
            ..EventQuery::default()
        }
    }

    #[test]
    fn a_search_by_distance_tries_rings_from_an_eighth_of_the_radius_doubling() {
        let near = Near {
            point: GeoPoint {
                lat: 31.95,
                lng: 35.91,
            },
            radius_km: 10.0,
        };
        let radii: Vec<f64> = rings(&EventQuery::default(), near)
            .iter()
            .map(|q| q.near.unwrap().radius_km)
            .collect();
        assert_eq!(radii, [1.25, 2.5, 5.0, 10.0]);
    }

    #[test]
    fn relevance_has_a_middle_tier_only_for_several_words() {
        assert_eq!(TitleMatch::tiers(1), [TitleMatch::Every, TitleMatch::None]);
        assert_eq!(
            TitleMatch::tiers(2)
                .iter()
                .map(|t| t.score())
                .collect::<Vec<_>>(),
            [2, 1, 0]
        );
    }

    #[test]
    fn tokens_are_quoted_so_no_text_becomes_query_syntax() {
        let tokens = vec!["a\"b".to_owned(), "it's".to_owned(), "x\\y".to_owned()];
        assert_eq!(fts5_match(&tokens, None), r#""a""b" "it's" "x\y"*"#);
        assert_eq!(tsquery(&tokens, false), r#"'a"b' & 'it''s' & 'x\\y':*"#);
        assert_eq!(tsquery(&tokens, true), r#"'a"b' | 'it''s' | 'x\\y':*"#);
    }

    #[test]
    fn each_tier_is_one_fts5_expression_over_the_title_column() {
        let tokens = vec!["oud".to_owned(), "qa".to_owned()];
        assert_eq!(
            fts5_match(&tokens, Some(TitleMatch::Every)),
            r#"{title_text} : ("oud" "qa"*)"#
        );
        assert_eq!(
            fts5_match(&tokens, Some(TitleMatch::Some)),
            r#"(("oud" "qa"*) AND {title_text} : ("oud" OR "qa"*)) NOT {title_text} : ("oud" "qa"*)"#
        );
        assert_eq!(
            fts5_match(&tokens, Some(TitleMatch::None)),
            r#"("oud" "qa"*) NOT {title_text} : ("oud" OR "qa"*)"#
        );
    }

    #[test]
    fn the_same_words_spelled_differently_are_the_same_search() {
        assert_eq!(
            query("الحَفلة  في إربد").canonical(),
            query("حفله في اربد").canonical()
        );
        assert_ne!(query("حفلة").canonical(), query("حفلة عمان").canonical());
    }

    #[test]
    fn a_cursor_reads_back_only_for_its_own_search() {
        let q = query("jazz");
        let key = SortKey {
            score: 3,
            starts_at: 1_790_000_000,
            distance_m: 0,
            id: Uuid::now_v7(),
        };
        let text = encode_cursor(&q, key);
        assert_eq!(decode_cursor(&q, &text).unwrap(), key);
        assert!(decode_cursor(&query("rock"), &text).is_err());
        let date = EventQuery {
            sort: Some(SearchSort::Date),
            ..q.clone()
        };
        assert!(decode_cursor(&date, &text).is_err());
        let mut bytes = URL_SAFE_NO_PAD.decode(&text).unwrap();
        bytes[12] ^= 1;
        assert!(decode_cursor(&q, &URL_SAFE_NO_PAD.encode(&bytes)).is_err());
        for garbage in ["", "!!!", "AAAA", &text[1..], &format!("{text}A")] {
            assert!(decode_cursor(&q, garbage).is_err(), "{garbage}");
        }
    }

    #[test]
    fn distances_follow_the_haversine_formula() {
        let amman = City::Amman.centre();
        let aqaba = City::Aqaba.centre();
        let d = distance_m(aqaba.lat, aqaba.lng, amman.lat, amman.lng);
        assert!((275_000..=290_000).contains(&d), "{d}");
        assert_eq!(distance_m(amman.lat, amman.lng, amman.lat, amman.lng), 0);
    }

    #[test]
    fn the_bounding_box_holds_every_point_of_the_circle() {
        let amman = City::Amman.centre();
        let (min_lat, max_lat, min_lng, max_lng) = bounding_box(amman, 10.0);
        for bearing in 0..360 {
            let b = f64::from(bearing).to_radians();
            // A point just inside 10 km in that direction (flat approximation suffices).
            let dlat = 9.99 / 111.2 * b.cos();
            let dlng = 9.99 / (111.2 * amman.lat.to_radians().cos()) * b.sin();
            let (lat, lng) = (amman.lat + dlat, amman.lng + dlng);
            if distance_m(lat, lng, amman.lat, amman.lng) <= 10_000 {
                assert!((min_lat..=max_lat).contains(&lat) && (min_lng..=max_lng).contains(&lng));
            }
        }
        let pole = bounding_box(
            GeoPoint {
                lat: 89.5,
                lng: 0.0,
            },
            100.0,
        );
        assert_eq!((pole.2, pole.3), (-180.0, 180.0));
        let date_line = bounding_box(
            GeoPoint {
                lat: 0.0,
                lng: 179.9,
            },
            100.0,
        );
        assert_eq!((date_line.2, date_line.3), (-180.0, 180.0));
    }
}
