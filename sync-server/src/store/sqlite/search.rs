//! Event search in SQLite: FTS5 (`events_fts`) for words, an R*Tree (`events_geo`) for the
//! bounding box, and `hafla_distance_m` (registered on every connection) for distances.
//! The statement itself is shared with PostgreSQL (`store::search::statement`).

use super::SqliteStore;
use super::catalog::event_row;
use crate::store::StoreError;
use crate::store::search::{self, Dialect, EventQuery, Param, SearchRow, SearchStore, fts5_match};
use async_trait::async_trait;
use hafla_core::wire::EventSearchPage;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value;

struct Sqlite;

impl Dialect for Sqlite {
    fn param(&self, n: usize) -> String {
        format!("?{n}")
    }

    fn epoch(&self, column: &str) -> String {
        column.to_owned()
    }

    fn time_param(&self, n: usize) -> String {
        self.param(n)
    }

    fn text_match(&self, n: usize, tokens: &[String]) -> (String, Param) {
        (
            format!("e.rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?{n})"),
            Param::Text(fts5_match(tokens)),
        )
    }

    fn in_box(&self, n: usize) -> String {
        format!(
            "e.rowid IN (SELECT id FROM events_geo
                         WHERE max_lat >= ?{} AND min_lat <= ?{} AND max_lng >= ?{} AND min_lng <= ?{})",
            n,
            n + 1,
            n + 2,
            n + 3
        )
    }

    fn distance_m(&self, lat: usize, lng: usize) -> String {
        format!("hafla_distance_m(e.lat, e.lng, ?{lat}, ?{lng})")
    }

    fn position(&self, haystack: &str, needle: &str) -> String {
        format!("instr({haystack}, {needle})")
    }

    fn null_int(&self) -> &'static str {
        "NULL"
    }

    fn published(&self, narrowed: bool) -> &'static str {
        // `+` keeps SQLite from walking the status index and probing the FTS5 or R*Tree
        // result for every published event; it starts from those results instead.
        if narrowed {
            "+e.status = 'published'"
        } else {
            "e.status = 'published'"
        }
    }
}

/// Registers the SQL functions search uses on a connection.
pub(super) fn register_functions(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "hafla_distance_m",
        4,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let lat: f64 = ctx.get(0)?;
            let lng: f64 = ctx.get(1)?;
            let from_lat: f64 = ctx.get(2)?;
            let from_lng: f64 = ctx.get(3)?;
            Ok(search::distance_m(lat, lng, from_lat, from_lng))
        },
    )
}

fn value(param: Param) -> Value {
    match param {
        Param::Int(v) => Value::Integer(v),
        Param::Real(v) => Value::Real(v),
        Param::Text(v) => Value::Text(v),
        Param::Id(v) => Value::Blob(v.as_bytes().to_vec()),
    }
}

#[async_trait]
impl SearchStore for SqliteStore {
    async fn search_events(
        &self,
        query: &EventQuery,
        now: jiff::Timestamp,
    ) -> Result<EventSearchPage, StoreError> {
        let after = search::start_after(query)?;
        let mut rows = Vec::new();
        for ring in search::rings(query) {
            let (sql, params) = search::statement(&Sqlite, &ring, after, now);
            rows = self.fetch_hits(sql, params).await?;
            if search::ring_fills_page(query, rows.len()) {
                break;
            }
        }
        search::search_page(query, rows)
    }
}

impl SqliteStore {
    async fn fetch_hits(
        &self,
        sql: String,
        params: Vec<Param>,
    ) -> Result<Vec<SearchRow>, StoreError> {
        self.read(move |c| {
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt
                .query_map(
                    rusqlite::params_from_iter(params.into_iter().map(value)),
                    |row| {
                        Ok(SearchRow {
                            event: event_row(row)?,
                            score: row.get(20)?,
                            distance_m: row.get(21)?,
                            starts_at: row.get(22)?,
                        })
                    },
                )?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }
}
