//! Event search in SQLite: FTS5 (`events_fts`) for words, an R*Tree (`events_geo`) for the
//! bounding box, and `hafla_distance_m` (registered on every connection) for distances.
//! The statement itself is shared with PostgreSQL (`store::search::statement`).

use super::SqliteStore;
use super::catalog::event_row;
use crate::store::StoreError;
use crate::store::search::{
    self, Dialect, EventQuery, Param, Params, SearchBackend, SearchRow, SearchStore, TitleMatch,
    Way, fts5_match,
};
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

    fn text_match(
        &self,
        params: &mut Params,
        tokens: &[String],
        tier: Option<TitleMatch>,
    ) -> String {
        let n = params.bind(Param::Text(fts5_match(tokens, tier)));
        format!("e.rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?{n})")
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

/// From this many events holding the words, a search walks the published events in date
/// order, which finds a page of matches after about `page × published ÷ matches` events;
/// below, it starts from the matches. With 100,000 events and pages of 21 the two cost the
/// same near 1,500 matches.
pub(crate) const WALK_FROM_MATCHES: usize = 2_000;

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
        search::run(self, query, now).await
    }
}

#[async_trait]
impl SearchBackend for SqliteStore {
    fn dialect(&self) -> &dyn Dialect {
        &Sqlite
    }

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

    /// SQLite's planner cannot tell a common word from a rare one, so count (up to
    /// [`WALK_FROM_MATCHES`]) in the word index, which takes a millisecond or two.
    async fn way(&self, tokens: &[String], tier: Option<TitleMatch>) -> Result<Way, StoreError> {
        let expression = fts5_match(tokens, tier);
        self.read(move |c| {
            let matches: i64 = c.query_row(
                "SELECT count(*) FROM (SELECT 1 FROM events_fts WHERE events_fts MATCH ?1 LIMIT ?2)",
                rusqlite::params![expression, WALK_FROM_MATCHES as i64],
                |row| row.get(0),
            )?;
            Ok(if matches as usize >= WALK_FROM_MATCHES {
                Way::ByDate
            } else {
                Way::FromMatches
            })
        })
        .await
    }
}
