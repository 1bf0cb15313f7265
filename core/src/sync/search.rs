//! Offline search over the synced catalog.
//!
//! The query goes through `search_text::tokens`, the function that wrote each event's words
//! (here and in the server's index), so a word matches however it was typed: marks, hamza
//! forms, ta marbuta, the article, Arabic-Indic digits. Every word must appear; the last
//! may be the start of a word, so results follow typing. Events whose titles hold every
//! word come first, then the rest, each soonest first — the server's order, minus its
//! middle tier (titles holding only some words), which a small offline catalog does not
//! need.

use super::local::{LocalError, SyncDb};
use crate::wire::EventSummary;

/// Results one search returns at most.
pub const MAX_RESULTS: u32 = 200;

impl SyncDb {
    /// Events of the synced catalog matching `query`, best first, at most `limit`. Text with
    /// no word in it lists the catalog soonest first.
    pub fn search_catalog(&self, query: &str, limit: u32) -> Result<Vec<EventSummary>, LocalError> {
        let limit = limit.min(MAX_RESULTS);
        let tokens = crate::search_text::tokens(query);
        if tokens.is_empty() {
            return self.json_rows(
                "SELECT data FROM catalog_events ORDER BY starts_at, id LIMIT ?1",
                [limit],
            );
        }
        let every = fts5_every(&tokens);
        let sql =
            "SELECT e.data FROM catalog_fts JOIN catalog_events e ON e.rowid = catalog_fts.rowid
                   WHERE catalog_fts MATCH ?1 ORDER BY e.starts_at, e.id LIMIT ?2";
        let mut found: Vec<EventSummary> = self.json_rows(
            sql,
            rusqlite::params![format!("{{title_text}} : ({every})"), limit],
        )?;
        let left = limit.saturating_sub(found.len() as u32);
        if left > 0 {
            let rest = format!("({every}) NOT {{title_text}} : ({every})");
            found.extend(self.json_rows::<EventSummary, _>(sql, rusqlite::params![rest, left])?);
        }
        Ok(found)
    }
}

/// Every token as a quoted FTS5 string (user text is never query syntax), all required,
/// the last also as a prefix.
fn fts5_every(tokens: &[String]) -> String {
    let quoted: Vec<String> = tokens
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    format!("{}*", quoted.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::test_peer::event_json;
    use crate::wire::sync::{RowKind, Scope, SyncPage, SyncRow};
    use uuid::Uuid;

    fn catalog(events: &[(&str, &str, &str)]) -> (tempfile::TempDir, SyncDb, Vec<Uuid>) {
        let dir = tempfile::tempdir().unwrap();
        let mut db = SyncDb::open(&dir.path().join("hafla.db")).unwrap();
        let mut ids = vec![];
        let rows = events
            .iter()
            .enumerate()
            .map(|(i, (ar, en, starts))| {
                let id = Uuid::now_v7();
                ids.push(id);
                SyncRow {
                    kind: RowKind::Event,
                    key: id.to_string(),
                    version: i as u64 + 1,
                    data: Some(event_json(id, ar, en, starts)),
                }
            })
            .collect::<Vec<_>>();
        db.apply_page(&SyncPage {
            scope: Scope::Catalog,
            reset: false,
            total: Some(rows.len() as u64),
            rows,
            cursor: "c".into(),
            has_more: false,
            digest: None,
        })
        .unwrap();
        (dir, db, ids)
    }

    fn found(db: &SyncDb, query: &str) -> Vec<Uuid> {
        db.search_catalog(query, 50)
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect()
    }

    #[test]
    fn arabic_queries_match_whatever_the_marks_hamza_and_article() {
        let (_dir, db, ids) = catalog(&[
            (
                "أُمسيةُ الموسيقى العربية",
                "Arabic music night",
                "2027-01-02T18:00:00Z",
            ),
            ("مهرجان جرش", "Jerash festival", "2027-01-01T18:00:00Z"),
        ]);
        for query in [
            "امسية",
            "أمسية",
            "الأمسية",
            "موسيقى",
            "الموسيقي",
            "عربيه",
            "أُمسيَة",
        ] {
            assert_eq!(found(&db, query), [ids[0]], "{query}");
        }
        assert_eq!(found(&db, "جرش"), [ids[1]]);
    }

    #[test]
    fn the_last_word_matches_as_a_prefix_so_results_follow_typing() {
        let (_dir, db, ids) = catalog(&[
            ("حفلة", "Concert in the park", "2027-01-01T18:00:00Z"),
            ("مسرح", "Theatre", "2027-01-02T18:00:00Z"),
        ]);
        assert_eq!(found(&db, "conc"), [ids[0]]);
        assert_eq!(found(&db, "حفل"), [ids[0]]);
        assert_eq!(
            found(&db, "concert jaz"),
            Vec::<Uuid>::new(),
            "every word must match"
        );
    }

    #[test]
    fn events_named_by_every_word_come_before_those_that_only_mention_it() {
        // Every fixture event's description says "Details", its venue "Roman
        // Theatre": the second event has "Roman" in its title too.
        let (_dir, db, ids) = catalog(&[
            ("حفلة", "Jazz", "2027-01-01T18:00:00Z"),
            ("حفلة", "Roman nights", "2027-01-05T18:00:00Z"),
        ]);
        assert_eq!(found(&db, "roman"), [ids[1], ids[0]]);
    }

    #[test]
    fn the_city_is_found_in_either_script_and_quotes_are_not_query_syntax() {
        let (_dir, db, ids) = catalog(&[("حفلة", "Jazz", "2027-01-01T18:00:00Z")]);
        assert_eq!(found(&db, "عمان"), [ids[0]]);
        assert_eq!(found(&db, "amman"), [ids[0]]);
        assert!(found(&db, "\"jazz\" OR NOT").is_empty());
        assert_eq!(
            found(&db, "…"),
            [ids[0]],
            "no word: the whole catalog, soonest first"
        );
    }
}
