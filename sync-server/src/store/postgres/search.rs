//! Event search in PostgreSQL: a GIN index on `search_vector` (the tokens of
//! `search_text`) for words and a GiST index on `point(lng, lat)` for the bounding box,
//! both partial on published events. The statement itself is shared with SQLite
//! (`store::search::statement`).

use super::PgStore;
use super::catalog::event_row;
use crate::store::StoreError;
use crate::store::search::{self, Dialect, EventQuery, Param, SearchRow, SearchStore, tsquery};
use async_trait::async_trait;
use hafla_core::wire::EventSearchPage;
use sqlx::Row;

struct Postgres;

impl Dialect for Postgres {
    fn param(&self, n: usize) -> String {
        format!("${n}")
    }

    fn text_param(&self, n: usize) -> String {
        format!("${n}::text")
    }

    fn epoch(&self, column: &str) -> String {
        format!("extract(epoch from {column})::bigint")
    }

    fn time_param(&self, n: usize) -> String {
        format!("to_timestamp(${n})")
    }

    fn text_match(&self, n: usize, tokens: &[String]) -> (String, Param) {
        (
            format!("e.search_vector @@ ${n}::tsquery"),
            Param::Text(tsquery(tokens)),
        )
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

    fn position(&self, haystack: &str, needle: &str) -> String {
        format!("strpos({haystack}, {needle})")
    }

    fn null_int(&self) -> &'static str {
        "NULL::bigint"
    }
}

#[async_trait]
impl SearchStore for PgStore {
    async fn search_events(
        &self,
        query: &EventQuery,
        now: jiff::Timestamp,
    ) -> Result<EventSearchPage, StoreError> {
        let after = search::start_after(query)?;
        let mut rows = Vec::new();
        for ring in search::rings(query) {
            let (sql, params) = search::statement(&Postgres, &ring, after, now);
            rows = self.fetch_hits(sql, params).await?;
            if search::ring_fills_page(query, rows.len()) {
                break;
            }
        }
        search::search_page(query, rows)
    }
}

impl PgStore {
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
