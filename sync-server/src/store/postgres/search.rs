//! Event search in PostgreSQL: a GIN index on `search_vector` (the tokens of
//! `search_text`) for words, a GiST index on `point(lng, lat)` for the bounding box of
//! other searches near a point, and a B-tree on `(lat, lng, starts_at, id)` for searches
//! by distance without words, which go place by place (`Dialect::lateral_joins`); all
//! partial on published events. The statement itself is shared with SQLite
//! (`store::search::statement`).

use super::PgStore;
use super::catalog::event_row;
use crate::store::StoreError;
use crate::store::search::{
    self, Dialect, EventQuery, Param, Params, SearchBackend, SearchRow, SearchStore, TitleMatch,
    Way, tsquery,
};
use async_trait::async_trait;
use hafla_core::wire::EventSearchPage;
use sqlx::Row;

struct Postgres;

/// Events walked in date order before a search gathers a tier from the word index instead:
/// a tier with a page of matches in its first 1,000 events (2 % of them) is answered by
/// the walk.
const WALK_AT_MOST: usize = 1_000;

impl Dialect for Postgres {
    fn param(&self, n: usize) -> String {
        format!("${n}")
    }

    fn epoch(&self, column: &str) -> String {
        format!("extract(epoch from {column})::bigint")
    }

    fn time_param(&self, n: usize) -> String {
        format!("to_timestamp(${n})")
    }

    fn text_match(
        &self,
        params: &mut Params,
        tokens: &[String],
        tier: Option<TitleMatch>,
    ) -> String {
        let every = params.bind(Param::Text(tsquery(tokens, false)));
        let mut any = || params.bind(Param::Text(tsquery(tokens, true)));
        match tier {
            None => format!("e.search_vector @@ ${every}::tsquery"),
            Some(TitleMatch::Every) => format!("e.title_vector @@ ${every}::tsquery"),
            Some(TitleMatch::Some) => format!(
                "e.search_vector @@ ${every}::tsquery AND e.title_vector @@ ${any}::tsquery
                 AND NOT e.title_vector @@ ${every}::tsquery",
                any = any()
            ),
            Some(TitleMatch::None) => format!(
                "e.search_vector @@ ${every}::tsquery AND NOT e.title_vector @@ ${any}::tsquery",
                any = any()
            ),
        }
    }

    fn in_box(&self, n: usize) -> String {
        // The expression of the `events_location` index, exactly.
        format!(
            "point(e.lng, e.lat) <@ box(point(${}, ${}), point(${}, ${}))",
            n + 2,
            n,
            n + 3,
            n + 1
        )
    }

    fn distance_m(&self, lat: usize, lng: usize) -> String {
        // The formula of `search::distance_m`, step for step.
        format!(
            "round(2 * 6371008.8 * asin(least(1, sqrt(
                power(sin(radians(e.lat - ${lat}) / 2), 2)
                + cos(radians(${lat})) * cos(radians(e.lat)) * power(sin(radians(e.lng - ${lng}) / 2), 2)
            ))))::bigint"
        )
    }

    fn null_int(&self) -> &'static str {
        "NULL::bigint"
    }

    fn lateral_joins(&self) -> bool {
        true
    }
}

#[async_trait]
impl SearchStore for PgStore {
    async fn search_events(
        &self,
        query: &EventQuery,
        now: jiff::Timestamp,
    ) -> Result<EventSearchPage, StoreError> {
        search::run(self, query, now).await
    }
}

#[async_trait]
impl SearchBackend for PgStore {
    fn dialect(&self) -> &dyn Dialect {
        &Postgres
    }

    /// PostgreSQL's estimates for words are too rough to choose by (a word missing from its
    /// statistics counts as 0.5 % of the rows; a tier's conditions are taken as
    /// independent), and counting matches would read each from the table. So a tier first
    /// walks a bounded stretch of the date order, which answers common words, and only a
    /// tier too sparse for it is gathered from the word index.
    async fn way(&self, _: &[String], _: Option<TitleMatch>) -> Result<Way, StoreError> {
        Ok(Way::ByDateAtMost(WALK_AT_MOST))
    }

    async fn fetch_hits(
        &self,
        sql: String,
        params: Vec<Param>,
    ) -> Result<Vec<SearchRow>, StoreError> {
        // Audited: the statement is assembled from fixed fragments and parameter numbers;
        // every value, the user's words included, is a bound parameter.
        let mut statement = sqlx::query(sqlx::AssertSqlSafe(sql));
        for param in params {
            statement = match param {
                Param::Int(v) => statement.bind(v),
                Param::Real(v) => statement.bind(v),
                Param::Text(v) => statement.bind(v),
                Param::Id(v) => statement.bind(v),
            };
        }
        let rows = statement.fetch_all(self.pool()).await?;
        Ok(rows
            .iter()
            .map(|row| {
                Ok(SearchRow {
                    event: event_row(row)?,
                    score: row.try_get::<i32, _>(20).map(i64::from)?,
                    distance_m: row.try_get(21)?,
                    starts_at: row.try_get(22)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?)
    }
}
