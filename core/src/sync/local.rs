//! The sync engine's side of the local SQLite file: applying pulled pages (rows, cursor and
//! typed projections in one transaction), computing a scope's digest, and the outbox.
//!
//! Every write here is one transaction, so whatever moment the process dies at, the file
//! holds either all of a page and its cursor or none of it; the next pull resumes from the
//! last committed cursor.

use crate::credential::keys::TicketPublicKey;
use crate::local_store::MIGRATIONS;
use crate::sqlite_migrations::{self, MigrationError};
use crate::wire::sync::{
    DoorConflict, DoorEvent, DoorKey, DoorTicket, DoorTicketType, Mutation, MutationOp,
    MutationOutcome, MyTicket, PushAnswer, RowKind, Scope, ScopeDigest, SyncPage, SyncRow,
};
use crate::wire::{EventSummary, OrganizerEvent};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Deserialize;
use serde::Serialize;
use std::path::Path;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("cannot open the local database at {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error(transparent)]
    Migration(#[from] MigrationError),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The server sent a row this build cannot use; the page it came in was not applied.
    #[error("scope {scope}: the {kind} row {key:?} is unusable: {reason}")]
    BadRow {
        scope: Scope,
        kind: &'static str,
        key: String,
        reason: String,
    },
    #[error("the local database holds a value this build cannot read: {0}")]
    Corrupt(String),
}

/// Where a scope's pull stands on this device.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub struct ScopeState {
    /// `None` until a first page was applied (or after the scope was dropped).
    pub cursor: Option<String>,
    /// Live rows on the server, as the last page said.
    pub total: u64,
    /// Live rows held here.
    pub rows: u64,
    /// A pull reached the last page since the scope was last started over (and the digests
    /// agreed, when the server sent one).
    pub complete: bool,
    /// When the digests last agreed (Unix seconds).
    pub digest_checked_at: Option<i64>,
    /// `door:{event}` scopes: the event's credential number, once known.
    pub event_ref: Option<u32>,
}

/// What applying one page changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Applied {
    pub upserted: u64,
    pub deleted: u64,
    /// Live rows of the scope held after the page.
    pub rows: u64,
    /// Live rows on the server, as this page or an earlier one said.
    pub total: u64,
}

/// How a push's answer settled the outbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
pub struct Settled {
    pub applied: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// Answered "deferred" (an earlier number had not reached the server): still queued.
    pub deferred: u64,
}

impl Settled {
    /// Mutations that left the outbox.
    pub fn total(&self) -> u64 {
        self.applied + self.duplicates + self.rejected
    }
}

/// A mutation the server refused for good, kept for the app to show.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RejectedMutation {
    pub number: u64,
    pub id: Uuid,
    pub op: MutationOp,
    /// The server's stable error code (e.g. `forbidden`).
    pub code: String,
    pub message: String,
    pub rejected_at: i64,
}

/// Door counts for one event, from what this device knows.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub struct DoorStatus {
    pub event_ref: u32,
    /// Tickets that have entered at least once (any device this door heard from).
    pub admitted: u64,
    /// Tickets on the door list, not revoked, that have not entered yet.
    pub remaining: u64,
    /// Tickets on the door list (revoked ones included).
    pub tickets: u64,
    pub revoked: u64,
    pub gates: Vec<GateStatus>,
    pub conflicts: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GateStatus {
    pub gate: String,
    pub entered: u64,
    pub exited: u64,
    pub refused: u64,
}

/// The sync engine's handle on the local database (its own connection; the door store and
/// the app's settings use the same file through theirs).
pub struct SyncDb {
    pub(super) conn: Connection,
    device_id: Uuid,
}

impl SyncDb {
    /// Opens (creating if needed) the database, brings its schema up to date and makes the
    /// device id on first use.
    pub fn open(path: &Path) -> Result<Self, LocalError> {
        let mut conn = Connection::open(path).map_err(|source| LocalError::Open {
            path: path.display().to_string(),
            source,
        })?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // The door store writes scans through its own connection at the same time.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        sqlite_migrations::apply(&mut conn, MIGRATIONS)?;
        let device_id = crate::local_store::device_id(&conn)?;
        Ok(SyncDb { conn, device_id })
    }

    pub fn device_id(&self) -> Uuid {
        self.device_id
    }

    pub fn state(&self, scope: Scope) -> Result<ScopeState, LocalError> {
        read_state(&self.conn, scope)
    }

    /// Applies a pulled page and keeps its cursor, in one transaction: either all of it is
    /// visible afterwards or nothing is (a bad row makes the whole page fail).
    pub fn apply_page(&mut self, page: &SyncPage) -> Result<Applied, LocalError> {
        let tx = self.conn.transaction()?;
        let applied = apply_page_tx(&tx, page)?;
        tx.commit()?;
        Ok(applied)
    }

    /// Count and wrapping version sum of the live rows held of `scope`, computed the way the
    /// server computes its own.
    pub fn digest(&self, scope: Scope) -> Result<ScopeDigest, LocalError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT version FROM sync_rows WHERE scope = ?1")?;
        let mut rows = stmt.query([scope.to_string()])?;
        let mut digest = ScopeDigest::default();
        while let Some(row) = rows.next()? {
            digest.add(row.get::<_, i64>(0)? as u64);
        }
        Ok(digest)
    }

    /// Forgets what is held of `scope` (rows, projections, cursor): the next pull starts
    /// from the beginning. A door scope keeps what its verifier reads until
    /// [`SyncDb::rebuild_door`].
    pub fn drop_scope(&mut self, scope: Scope) -> Result<(), LocalError> {
        let tx = self.conn.transaction()?;
        drop_scope_tx(&tx, scope)?;
        tx.commit()?;
        Ok(())
    }

    /// Makes a door scope's door tables exactly what its synced rows say, in one
    /// transaction: what a drop or reset kept for the verifier's sake and the server no
    /// longer has goes now. Run after a pull that started the scope over completed.
    pub fn rebuild_door(&mut self, scope: Scope) -> Result<(), LocalError> {
        let tx = self.conn.transaction()?;
        let Some(event_ref) = read_state(&tx, scope)?.event_ref else {
            return Ok(());
        };
        drop_door_projection(&tx, event_ref)?;
        let has_event: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM sync_rows WHERE scope = ?1 AND kind = 'door_event')",
            [scope.to_string()],
            |r| r.get(0),
        )?;
        if has_event {
            reproject_door(&tx, scope, event_ref)?;
        } else {
            tx.execute(
                "UPDATE sync_state SET event_ref = NULL WHERE scope = ?1",
                [scope.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records that a pull of the scope reached its last page, and when the digests matched
    /// (Unix seconds) if the server sent one.
    pub fn mark_complete(
        &mut self,
        scope: Scope,
        verified_at: Option<i64>,
    ) -> Result<(), LocalError> {
        self.conn.execute(
            "UPDATE sync_state SET complete = 1, digest_checked_at = coalesce(?2, digest_checked_at)
             WHERE scope = ?1",
            params![scope.to_string(), verified_at],
        )?;
        Ok(())
    }

    /// The oldest `limit` mutations of the outbox, in number order (what to push next).
    pub fn outbox_batch(&self, limit: usize) -> Result<Vec<Mutation>, LocalError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT number, id, op FROM outbox ORDER BY number LIMIT ?1")?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Uuid>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (number, id, op) = row?;
            let op = serde_json::from_str(&op)
                .map_err(|e| LocalError::Corrupt(format!("outbox mutation {number}: {e}")))?;
            out.push(Mutation {
                id,
                number: number as u64,
                op,
            });
        }
        Ok(out)
    }

    /// Mutations waiting for the server.
    pub fn outbox_len(&self) -> Result<u64, LocalError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?)
    }

    /// Queues a mutation (scans are queued by the door store itself, in the scan's
    /// transaction). Returns its number.
    pub fn enqueue(&mut self, id: Uuid, op: &MutationOp, now: i64) -> Result<u64, LocalError> {
        let op = serde_json::to_string(op).map_err(|e| LocalError::Corrupt(e.to_string()))?;
        self.conn.execute(
            "INSERT INTO outbox (id, op, created_at) VALUES (?1, ?2, ?3)",
            params![id, op, now],
        )?;
        Ok(self.conn.last_insert_rowid() as u64)
    }

    /// Takes a push's answer: each mutation of `batch` answered applied, duplicate or
    /// rejected leaves the outbox (rejected ones are kept in `rejected_mutations` for the app
    /// to show); deferred and unanswered ones stay, to be pushed again.
    pub fn settle(
        &mut self,
        batch: &[Mutation],
        answer: &PushAnswer,
        now: i64,
    ) -> Result<Settled, LocalError> {
        let tx = self.conn.transaction()?;
        let mut settled = Settled::default();
        for result in &answer.results {
            let Some(sent) = batch
                .iter()
                .find(|m| m.number == result.number && m.id == result.id)
            else {
                continue;
            };
            if result.outcome == MutationOutcome::Deferred {
                settled.deferred += 1;
                continue;
            }
            if let MutationOutcome::Rejected { code, message } = &result.outcome {
                let op = serde_json::to_string(&sent.op)
                    .map_err(|e| LocalError::Corrupt(e.to_string()))?;
                let code = serde_json::to_value(code)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| "unknown".into());
                tx.execute(
                    "INSERT INTO rejected_mutations (number, id, op, code, message, rejected_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (number) DO NOTHING",
                    params![sent.number as i64, sent.id, op, code, message, now],
                )?;
            }
            let deleted =
                tx.execute("DELETE FROM outbox WHERE number = ?1", [sent.number as i64])?;
            if deleted == 0 {
                continue;
            }
            match result.outcome {
                MutationOutcome::Applied => settled.applied += 1,
                MutationOutcome::Duplicate => settled.duplicates += 1,
                MutationOutcome::Rejected { .. } => settled.rejected += 1,
                MutationOutcome::Deferred => {}
            }
        }
        tx.commit()?;
        Ok(settled)
    }

    /// Mutations the server refused, newest first.
    pub fn rejected(&self) -> Result<Vec<RejectedMutation>, LocalError> {
        let mut stmt = self.conn.prepare(
            "SELECT number, id, op, code, message, rejected_at FROM rejected_mutations
             ORDER BY number DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Uuid>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (number, id, op, code, message, rejected_at) = row?;
            out.push(RejectedMutation {
                number: number as u64,
                id,
                op: serde_json::from_str(&op)
                    .map_err(|e| LocalError::Corrupt(format!("rejected mutation {number}: {e}")))?,
                code,
                message,
                rejected_at,
            });
        }
        Ok(out)
    }

    /// How far this device has read each device's scan log for the event: the `marks` of a
    /// scan pull. Its own log is named with its last position, so the server never sends
    /// this device's scans back.
    pub fn scan_marks(&self, event_ref: u32) -> Result<Vec<(Uuid, u64)>, LocalError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT device_id, max(seq) FROM scans WHERE event_ref = ?1 AND device_id <> ?2
             GROUP BY device_id ORDER BY device_id",
        )?;
        let mut marks = stmt
            .query_map(params![event_ref, self.device_id], |r| {
                Ok((r.get::<_, Uuid>(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let own: Option<i64> = self.conn.query_row(
            "SELECT max(seq) FROM scans WHERE device_id = ?1",
            [self.device_id],
            |r| r.get(0),
        )?;
        marks.insert(0, (self.device_id, own.unwrap_or(0) as u64));
        Ok(marks)
    }

    /// The credential number of a synced event, by its id.
    pub fn event_ref_of(&self, event_id: Uuid) -> Result<Option<u32>, LocalError> {
        Ok(self
            .conn
            .query_row(
                "SELECT event_ref FROM door_events WHERE event_id = ?1",
                [event_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Events this door device can admit to, by credential number.
    pub fn door_event_refs(&self) -> Result<Vec<u32>, LocalError> {
        let mut stmt = self
            .conn
            .prepare("SELECT event_ref FROM door_events ORDER BY event_ref")?;
        let refs = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(refs)
    }

    /// Admitted / remaining / per-gate counts and conflicts of one event.
    pub fn door_status(&self, event_ref: u32) -> Result<DoorStatus, LocalError> {
        let one = |sql: &str| -> Result<u64, LocalError> {
            Ok(self.conn.query_row(sql, [event_ref], |r| r.get(0))?)
        };
        let admitted = one(
            "SELECT count(DISTINCT ticket_serial) FROM scans WHERE event_ref = ?1 AND effect = 'entered'",
        )?;
        let tickets = one("SELECT count(*) FROM door_tickets WHERE event_ref = ?1")?;
        let revoked = one("SELECT count(*) FROM door_revocations WHERE event_ref = ?1")?;
        let remaining = one("SELECT count(*) FROM door_tickets t WHERE t.event_ref = ?1
               AND NOT EXISTS (SELECT 1 FROM door_revocations r
                               WHERE r.event_ref = t.event_ref AND r.ticket_serial = t.serial)
               AND NOT EXISTS (SELECT 1 FROM scans s WHERE s.event_ref = t.event_ref
                               AND s.ticket_serial = t.serial AND s.effect = 'entered')")?;
        let conflicts = one("SELECT count(*) FROM door_conflicts WHERE event_ref = ?1")?;
        let mut stmt = self.conn.prepare(
            "SELECT gate, sum(effect = 'entered'), sum(effect = 'exited'), sum(effect = 'refused')
             FROM scans WHERE event_ref = ?1 GROUP BY gate ORDER BY gate",
        )?;
        let gates = stmt
            .query_map([event_ref], |r| {
                Ok(GateStatus {
                    gate: r.get(0)?,
                    entered: r.get(1)?,
                    exited: r.get(2)?,
                    refused: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(DoorStatus {
            event_ref,
            admitted,
            remaining,
            tickets,
            revoked,
            gates,
            conflicts,
        })
    }

    /// The conflicts the server flagged for an event, for staff to look at.
    pub fn door_conflicts(&self, event_ref: u32) -> Result<Vec<DoorConflict>, LocalError> {
        self.json_rows(
            "SELECT data FROM door_conflicts WHERE event_ref = ?1 ORDER BY scan_id",
            [event_ref],
        )
    }

    /// The tickets the person holds, soonest event first (readable offline).
    pub fn my_tickets(&self) -> Result<Vec<MyTicket>, LocalError> {
        self.json_rows("SELECT data FROM my_tickets ORDER BY starts_at, id", [])
    }

    /// One synced catalog event.
    pub fn catalog_event(&self, id: Uuid) -> Result<Option<EventSummary>, LocalError> {
        Ok(self
            .json_rows(
                "SELECT data FROM catalog_events WHERE id = ?1",
                [id.to_string()],
            )?
            .pop())
    }

    /// The organization's events held from its `org:{id}` scope.
    pub fn org_events(&self, org: Uuid) -> Result<Vec<OrganizerEvent>, LocalError> {
        self.json_rows(
            "SELECT data FROM sync_rows WHERE scope = ?1 AND kind = 'org_event' ORDER BY key",
            [Scope::Org(org).to_string()],
        )
    }

    pub(super) fn json_rows<T: for<'de> Deserialize<'de>, P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
    ) -> Result<Vec<T>, LocalError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params, |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            let text = row?;
            out.push(serde_json::from_str(&text).map_err(|e| LocalError::Corrupt(e.to_string()))?);
        }
        Ok(out)
    }
}

fn read_state(conn: &Connection, scope: Scope) -> Result<ScopeState, LocalError> {
    Ok(conn
        .query_row(
            "SELECT cursor, total, rows, complete, digest_checked_at, event_ref FROM sync_state
             WHERE scope = ?1",
            [scope.to_string()],
            |r| {
                Ok(ScopeState {
                    cursor: r.get(0)?,
                    total: r.get::<_, i64>(1)? as u64,
                    rows: r.get::<_, i64>(2)? as u64,
                    complete: r.get(3)?,
                    digest_checked_at: r.get(4)?,
                    event_ref: r.get(5)?,
                })
            },
        )
        .optional()?
        .unwrap_or_default())
}

/// The row kinds a scope may hold; anything else in a page is refused.
fn kind_allowed(scope: Scope, kind: RowKind) -> bool {
    match scope {
        Scope::Catalog => kind == RowKind::Event,
        Scope::Me => kind == RowKind::MyTicket,
        Scope::Org(_) => kind == RowKind::OrgEvent,
        Scope::Door(_) => matches!(
            kind,
            RowKind::DoorEvent
                | RowKind::TicketType
                | RowKind::Key
                | RowKind::Ticket
                | RowKind::Conflict
        ),
    }
}

fn apply_page_tx(tx: &Transaction<'_>, page: &SyncPage) -> Result<Applied, LocalError> {
    let scope = page.scope;
    let scope_text = scope.to_string();
    if page.reset {
        drop_scope_tx(tx, scope)?;
    }
    tx.execute(
        "INSERT INTO sync_state (scope) VALUES (?1) ON CONFLICT (scope) DO NOTHING",
        [&scope_text],
    )?;
    let state = read_state(tx, scope)?;
    let mut event_ref = state.event_ref;
    let mut reproject = false;
    let mut applied = Applied::default();
    let mut rows = state.rows as i64;
    for row in &page.rows {
        let bad = |reason: String| LocalError::BadRow {
            scope,
            kind: row.kind.key(),
            key: row.key.clone(),
            reason,
        };
        if !kind_allowed(scope, row.kind) {
            return Err(bad("not a row of this scope".into()));
        }
        match &row.data {
            None => {
                let gone = tx
                    .prepare_cached(
                        "DELETE FROM sync_rows WHERE scope = ?1 AND kind = ?2 AND key = ?3",
                    )?
                    .execute(params![scope_text, row.kind.key(), row.key])?;
                rows -= gone as i64;
                applied.deleted += 1;
                if row.kind == RowKind::DoorEvent {
                    if let Some(old) = event_ref.take() {
                        drop_door_projection(tx, old)?;
                    }
                    continue;
                }
            }
            Some(data) => {
                let text = serde_json::to_string(data).map_err(|e| bad(e.to_string()))?;
                let added = tx
                    .prepare_cached(
                        "INSERT INTO sync_rows (scope, kind, key, version, data)
                         VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (scope, kind, key) DO NOTHING",
                    )?
                    .execute(params![
                        scope_text,
                        row.kind.key(),
                        row.key,
                        row.version as i64,
                        text
                    ])?;
                if added == 0 {
                    tx.prepare_cached(
                        "UPDATE sync_rows SET version = ?4, data = ?5
                         WHERE scope = ?1 AND kind = ?2 AND key = ?3",
                    )?
                    .execute(params![
                        scope_text,
                        row.kind.key(),
                        row.key,
                        row.version as i64,
                        text
                    ])?;
                }
                rows += added as i64;
                applied.upserted += 1;
                if row.kind == RowKind::DoorEvent {
                    let event: DoorEvent = decode(row).map_err(bad)?;
                    if event_ref != Some(event.event_ref) {
                        if let Some(old) = event_ref {
                            drop_door_projection(tx, old)?;
                        }
                        event_ref = Some(event.event_ref);
                        // Rows that came before their event (an event edited after its
                        // tickets were sold has a later version) are projected now.
                        reproject = true;
                    }
                }
            }
        }
        project(tx, scope, event_ref, row).map_err(|e| match e {
            ProjectError::Bad(reason) => bad(reason),
            ProjectError::Sqlite(e) => LocalError::Sqlite(e),
        })?;
    }
    if reproject && let Some(event_ref) = event_ref {
        reproject_door(tx, scope, event_ref)?;
    }
    let total: i64 = tx.query_row(
        "UPDATE sync_state SET cursor = ?2, total = coalesce(?3, total), rows = ?4, event_ref = ?5,
            complete = CASE WHEN ?6 THEN 0 ELSE complete END
         WHERE scope = ?1
         RETURNING total",
        params![
            scope_text,
            page.cursor,
            page.total.map(|t| t as i64),
            rows,
            event_ref,
            page.reset
        ],
        |r| r.get(0),
    )?;
    applied.rows = rows.max(0) as u64;
    applied.total = total.max(0) as u64;
    Ok(applied)
}

enum ProjectError {
    Bad(String),
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for ProjectError {
    fn from(e: rusqlite::Error) -> Self {
        ProjectError::Sqlite(e)
    }
}

fn decode<T: for<'de> Deserialize<'de>>(row: &SyncRow) -> Result<T, String> {
    match &row.data {
        Some(data) => T::deserialize(data).map_err(|e| e.to_string()),
        None => Err("no data".into()),
    }
}

fn parse_key<T: std::str::FromStr>(row: &SyncRow) -> Result<T, ProjectError> {
    row.key
        .parse()
        .map_err(|_| ProjectError::Bad("the key is not a number".into()))
}

/// Writes (or removes) a row's typed projection: the tables the app and the door read.
fn project(
    tx: &Transaction<'_>,
    scope: Scope,
    event_ref: Option<u32>,
    row: &SyncRow,
) -> Result<(), ProjectError> {
    let live = row.data.is_some();
    match row.kind {
        RowKind::Event => {
            if !live {
                tx.prepare_cached("DELETE FROM catalog_events WHERE id = ?1")?
                    .execute([&row.key])?;
                return Ok(());
            }
            let event: EventSummary = decode(row).map_err(ProjectError::Bad)?;
            let search = crate::search_text::event_document(
                &[
                    &event.title,
                    &event.description,
                    &event.venue.name,
                    &event.venue.address,
                ],
                &[],
                event.venue.city,
            );
            let title = crate::search_text::title_document(&event.title);
            let data =
                serde_json::to_string(&event).map_err(|e| ProjectError::Bad(e.to_string()))?;
            tx.prepare_cached(
                "INSERT INTO catalog_events (id, starts_at, data, title_text, search_text)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET starts_at = excluded.starts_at, data = excluded.data,
                   title_text = excluded.title_text, search_text = excluded.search_text",
            )?
            .execute(params![
                row.key,
                event.starts_at.as_second(),
                data,
                title,
                search
            ])?;
        }
        RowKind::MyTicket => {
            if !live {
                tx.prepare_cached("DELETE FROM my_tickets WHERE id = ?1")?
                    .execute([&row.key])?;
                return Ok(());
            }
            let ticket: MyTicket = decode(row).map_err(ProjectError::Bad)?;
            let data =
                serde_json::to_string(&ticket).map_err(|e| ProjectError::Bad(e.to_string()))?;
            tx.prepare_cached(
                "INSERT INTO my_tickets (id, event_id, starts_at, data) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET event_id = excluded.event_id,
                   starts_at = excluded.starts_at, data = excluded.data",
            )?
            .execute(params![
                row.key,
                ticket.event.id.to_string(),
                ticket.event.starts_at.as_second(),
                data
            ])?;
        }
        RowKind::OrgEvent => {
            if live {
                decode::<OrganizerEvent>(row).map_err(ProjectError::Bad)?;
            }
        }
        RowKind::DoorEvent
        | RowKind::TicketType
        | RowKind::Key
        | RowKind::Ticket
        | RowKind::Conflict => {
            // Validate every door row even before its event is known, so a bad row fails
            // its page whatever the order.
            let Some(event_ref) = event_ref else {
                if live {
                    validate_door_row(row)?;
                }
                return Ok(());
            };
            debug_assert!(matches!(scope, Scope::Door(_)));
            project_door_row(tx, event_ref, row)?;
        }
    }
    Ok(())
}

fn validate_door_row(row: &SyncRow) -> Result<(), ProjectError> {
    let bad = ProjectError::Bad;
    match row.kind {
        RowKind::DoorEvent => decode::<DoorEvent>(row).map(drop).map_err(bad),
        RowKind::TicketType => decode::<DoorTicketType>(row).map(drop).map_err(bad),
        RowKind::Key => door_key(row).map(drop),
        RowKind::Ticket => {
            parse_key::<u32>(row)?;
            decode::<DoorTicket>(row).map(drop).map_err(bad)
        }
        RowKind::Conflict => decode::<DoorConflict>(row).map(drop).map_err(bad),
        _ => Ok(()),
    }
}

fn door_key(row: &SyncRow) -> Result<TicketPublicKey, ProjectError> {
    let key: DoorKey = decode(row).map_err(ProjectError::Bad)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(key.public_key.as_bytes())
        .map_err(|e| ProjectError::Bad(format!("public key: {e}")))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| ProjectError::Bad("public key: not 32 bytes".into()))?;
    TicketPublicKey::from_bytes(key.key_id, &bytes)
        .map_err(|e| ProjectError::Bad(format!("public key: {e}")))
}

/// Door rows go to the tables `DoorStore` reads (door_events, door_keys,
/// door_ticket_types, door_revocations), so a synced device admits offline, and to the
/// door list and conflicts the app shows.
fn project_door_row(
    tx: &Transaction<'_>,
    event_ref: u32,
    row: &SyncRow,
) -> Result<(), ProjectError> {
    let live = row.data.is_some();
    match row.kind {
        // A removed event's door state is dropped by the caller, which knows its number.
        RowKind::DoorEvent if live => {
            let event: DoorEvent = decode(row).map_err(ProjectError::Bad)?;
            tx.prepare_cached(
                "INSERT INTO door_events (event_ref, event_id, time_zone) VALUES (?1, ?2, ?3)
                 ON CONFLICT (event_ref) DO UPDATE SET event_id = excluded.event_id,
                   time_zone = excluded.time_zone",
            )?
            .execute(params![event.event_ref, event.event_id, event.time_zone])?;
        }
        RowKind::TicketType => {
            let number: u16 = parse_key(row)?;
            if live {
                let t: DoorTicketType = decode(row).map_err(ProjectError::Bad)?;
                tx.prepare_cached(
                    "INSERT INTO door_ticket_types (event_ref, ticket_type, type_id, entry_policy)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (event_ref, ticket_type) DO UPDATE SET type_id = excluded.type_id,
                       entry_policy = excluded.entry_policy",
                )?
                .execute(params![
                    event_ref,
                    t.number,
                    t.type_id,
                    t.entry_policy.key()
                ])?;
            } else {
                tx.prepare_cached(
                    "DELETE FROM door_ticket_types WHERE event_ref = ?1 AND ticket_type = ?2",
                )?
                .execute(params![event_ref, number])?;
            }
        }
        RowKind::Key => {
            if live {
                let key = door_key(row)?;
                tx.prepare_cached(
                    "INSERT INTO door_keys (event_ref, key_id, public_key) VALUES (?1, ?2, ?3)
                     ON CONFLICT (event_ref, key_id) DO UPDATE SET public_key = excluded.public_key",
                )?
                .execute(params![
                    event_ref,
                    key.key_id,
                    key.key.as_bytes().as_slice()
                ])?;
            } else {
                let key_id: u32 = parse_key(row)?;
                tx.prepare_cached("DELETE FROM door_keys WHERE event_ref = ?1 AND key_id = ?2")?
                    .execute(params![event_ref, key_id])?;
            }
        }
        RowKind::Ticket => {
            let serial: u32 = parse_key(row)?;
            let ticket = if live {
                Some(decode::<DoorTicket>(row).map_err(ProjectError::Bad)?)
            } else {
                None
            };
            match &ticket {
                Some(t) => {
                    tx.prepare_cached(
                        "INSERT INTO door_tickets (event_ref, serial, ticket_type) VALUES (?1, ?2, ?3)
                         ON CONFLICT (event_ref, serial) DO UPDATE SET ticket_type = excluded.ticket_type",
                    )?
                    .execute(params![event_ref, serial, t.ticket_type])?;
                }
                None => {
                    tx.prepare_cached(
                        "DELETE FROM door_tickets WHERE event_ref = ?1 AND serial = ?2",
                    )?
                    .execute(params![event_ref, serial])?;
                }
            }
            match ticket.and_then(|t| t.revoked) {
                Some(r) => {
                    tx.prepare_cached(
                        "INSERT INTO door_revocations (event_ref, ticket_serial, reason, revoked_at)
                         VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (event_ref, ticket_serial) DO UPDATE SET reason = excluded.reason,
                           revoked_at = excluded.revoked_at",
                    )?
                    .execute(params![event_ref, serial, r.reason.key(), r.at.as_second()])?;
                }
                None => {
                    tx.prepare_cached(
                        "DELETE FROM door_revocations WHERE event_ref = ?1 AND ticket_serial = ?2",
                    )?
                    .execute(params![event_ref, serial])?;
                }
            }
        }
        RowKind::Conflict => {
            if live {
                let c: DoorConflict = decode(row).map_err(ProjectError::Bad)?;
                let data =
                    serde_json::to_string(&c).map_err(|e| ProjectError::Bad(e.to_string()))?;
                tx.prepare_cached(
                    "INSERT INTO door_conflicts (event_ref, scan_id, kind, ticket_serial, data)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (event_ref, scan_id) DO UPDATE SET kind = excluded.kind,
                       ticket_serial = excluded.ticket_serial, data = excluded.data",
                )?
                .execute(params![
                    event_ref,
                    row.key,
                    c.kind.key(),
                    c.ticket_serial,
                    data
                ])?;
            } else {
                tx.prepare_cached(
                    "DELETE FROM door_conflicts WHERE event_ref = ?1 AND scan_id = ?2",
                )?
                .execute(params![event_ref, row.key])?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Writes every held row of a door scope into the door tables again (after its event's
/// number became known or changed).
fn reproject_door(tx: &Transaction<'_>, scope: Scope, event_ref: u32) -> Result<(), LocalError> {
    let mut stmt = tx.prepare("SELECT kind, key, version, data FROM sync_rows WHERE scope = ?1")?;
    let rows = stmt
        .query_map([scope.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (kind, key, version, data) in rows {
        let kind = RowKind::from_key(&kind)
            .ok_or_else(|| LocalError::Corrupt(format!("row kind {kind}")))?;
        let data = serde_json::from_str(&data).map_err(|e| LocalError::Corrupt(e.to_string()))?;
        let row = SyncRow {
            kind,
            key,
            version: version as u64,
            data: Some(data),
        };
        project_door_row(tx, event_ref, &row).map_err(|e| match e {
            ProjectError::Bad(reason) => LocalError::Corrupt(reason),
            ProjectError::Sqlite(e) => LocalError::Sqlite(e),
        })?;
    }
    Ok(())
}

/// Removes an event's door state. Its scans stay: they are facts, kept whatever happens
/// to the door list.
fn drop_door_projection(tx: &Transaction<'_>, event_ref: u32) -> Result<(), LocalError> {
    for table in [
        "door_keys",
        "door_ticket_types",
        "door_tickets",
        "door_conflicts",
        "door_events",
    ] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE event_ref = ?1"),
            [event_ref],
        )?;
    }
    tx.execute(
        "DELETE FROM door_revocations WHERE event_ref = ?1",
        [event_ref],
    )?;
    Ok(())
}

fn drop_scope_tx(tx: &Transaction<'_>, scope: Scope) -> Result<(), LocalError> {
    let state = read_state(tx, scope)?;
    tx.execute(
        "DELETE FROM sync_rows WHERE scope = ?1",
        [scope.to_string()],
    )?;
    match scope {
        Scope::Catalog => {
            tx.execute("DELETE FROM catalog_events", [])?;
        }
        Scope::Me => {
            tx.execute("DELETE FROM my_tickets", [])?;
        }
        Scope::Org(_) => {}
        Scope::Door(_) => {
            // Only the lists the app shows go now. What the verifier reads (the event, its
            // keys, ticket types and revocations) stays until the refetch is whole
            // ([`SyncDb::rebuild_door`]): a door that is downloading its list again keeps
            // admitting, and keeps refusing revoked tickets, meanwhile. The event's number
            // stays too, so rows of the refetch land in the door tables as they come.
            if let Some(event_ref) = state.event_ref {
                tx.execute("DELETE FROM door_tickets WHERE event_ref = ?1", [event_ref])?;
                tx.execute(
                    "DELETE FROM door_conflicts WHERE event_ref = ?1",
                    [event_ref],
                )?;
            }
        }
    }
    tx.execute(
        "UPDATE sync_state SET cursor = NULL, total = 0, rows = 0, complete = 0,
            digest_checked_at = NULL
         WHERE scope = ?1",
        [scope.to_string()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::door::Direction;
    use crate::door::store::{DoorStore, Durability};
    use crate::sync::test_peer::{DoorFixture, event_json};

    fn open() -> (tempfile::TempDir, std::path::PathBuf, SyncDb) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hafla.db");
        let db = SyncDb::open(&path).unwrap();
        (dir, path, db)
    }

    fn row(kind: RowKind, key: &str, version: u64, data: Option<serde_json::Value>) -> SyncRow {
        SyncRow {
            kind,
            key: key.into(),
            version,
            data,
        }
    }

    fn page(scope: Scope, rows: Vec<SyncRow>, cursor: &str) -> SyncPage {
        SyncPage {
            scope,
            reset: false,
            total: Some(rows.len() as u64),
            rows,
            cursor: cursor.into(),
            has_more: false,
            digest: None,
        }
    }

    fn event_row(version: u64) -> SyncRow {
        let id = Uuid::now_v7();
        row(
            RowKind::Event,
            &id.to_string(),
            version,
            Some(event_json(id, "حفلة", "Concert", "2027-01-01T18:00:00Z")),
        )
    }

    #[test]
    fn a_page_with_a_bad_row_halfway_leaves_nothing_of_itself_behind() {
        let (_dir, _path, mut db) = open();
        db.apply_page(&page(Scope::Catalog, vec![event_row(1)], "c1"))
            .unwrap();
        let broken = page(
            Scope::Catalog,
            vec![
                event_row(2),
                event_row(3),
                row(RowKind::Event, "x", 4, Some(serde_json::json!({"id": 7}))),
                event_row(5),
            ],
            "c2",
        );
        let err = db.apply_page(&broken).unwrap_err();
        assert!(
            matches!(err, LocalError::BadRow { ref key, .. } if key == "x"),
            "{err}"
        );
        let state = db.state(Scope::Catalog).unwrap();
        assert_eq!((state.cursor.as_deref(), state.rows), (Some("c1"), 1));
        assert_eq!(db.digest(Scope::Catalog).unwrap().count, 1);
        assert_eq!(db.search_catalog("", 100).unwrap().len(), 1);
    }

    #[test]
    fn a_row_of_a_kind_the_scope_cannot_hold_is_refused() {
        let (_dir, _path, mut db) = open();
        let err = db
            .apply_page(&page(
                Scope::Me,
                vec![row(
                    RowKind::Ticket,
                    "1",
                    1,
                    Some(serde_json::json!({"t": 0})),
                )],
                "c",
            ))
            .unwrap_err();
        assert!(matches!(err, LocalError::BadRow { .. }), "{err}");
        assert_eq!(db.state(Scope::Me).unwrap().cursor, None);
    }

    #[test]
    fn a_row_without_data_removes_the_copy_and_what_the_app_reads_of_it() {
        let (_dir, _path, mut db) = open();
        let event = event_row(1);
        let id: Uuid = event.key.parse().unwrap();
        db.apply_page(&page(
            Scope::Catalog,
            vec![event.clone(), event_row(2)],
            "c1",
        ))
        .unwrap();
        assert!(db.catalog_event(id).unwrap().is_some());
        let applied = db
            .apply_page(&page(
                Scope::Catalog,
                vec![row(RowKind::Event, &event.key, 3, None)],
                "c2",
            ))
            .unwrap();
        assert_eq!((applied.deleted, applied.rows), (1, 1));
        assert!(db.catalog_event(id).unwrap().is_none());
        assert!(db.search_catalog("concert", 10).unwrap().len() == 1);
        let digest = db.digest(Scope::Catalog).unwrap();
        assert_eq!((digest.count, digest.version_sum), (1, 2));
    }

    #[test]
    fn door_rows_that_arrive_before_their_event_reach_the_door_when_it_arrives() {
        let (_dir, path, mut db) = open();
        let f = DoorFixture::new();
        let scope = Scope::Door(f.event);
        let key_id = f.issuer.active().public().key_id.to_string();
        db.apply_page(&page(
            scope,
            vec![
                row(RowKind::Key, &key_id, 1, Some(f.key_json())),
                row(RowKind::TicketType, "0", 2, Some(f.ticket_type_json())),
                row(RowKind::Ticket, "1", 3, Some(serde_json::json!({"t": 0}))),
            ],
            "c1",
        ))
        .unwrap();
        assert_eq!(db.state(scope).unwrap().event_ref, None);
        let mut door = DoorStore::open(&path, db.device_id(), Durability::Normal).unwrap();
        assert!(
            door.scan(f.event_ref, &f.ticket(1), "N", Direction::In, f.now)
                .is_err(),
            "no event yet"
        );

        db.apply_page(&page(
            scope,
            vec![row(
                RowKind::DoorEvent,
                &f.event.to_string(),
                4,
                Some(f.door_event_json()),
            )],
            "c2",
        ))
        .unwrap();
        assert_eq!(db.state(scope).unwrap().event_ref, Some(f.event_ref));
        assert_eq!(db.event_ref_of(f.event).unwrap(), Some(f.event_ref));
        door.reload().unwrap();
        let (verdict, _) = door
            .scan(f.event_ref, &f.ticket(1), "N", Direction::In, f.now)
            .unwrap();
        assert!(verdict.is_admitted(), "{verdict:?}");
        assert_eq!(db.door_status(f.event_ref).unwrap().tickets, 1);
    }

    #[test]
    fn a_door_whose_list_is_fetched_again_keeps_refusing_revoked_tickets_meanwhile() {
        let (_dir, path, mut db) = open();
        let f = DoorFixture::new();
        let scope = Scope::Door(f.event);
        let key_id = f.issuer.active().public().key_id.to_string();
        let revoked =
            serde_json::json!({"t": 0, "r": {"reason": "refunded", "at": "2026-12-19T00:00:00Z"}});
        db.apply_page(&page(
            scope,
            vec![
                row(
                    RowKind::DoorEvent,
                    &f.event.to_string(),
                    1,
                    Some(f.door_event_json()),
                ),
                row(RowKind::Key, &key_id, 2, Some(f.key_json())),
                row(RowKind::Ticket, "1", 3, Some(serde_json::json!({"t": 0}))),
                row(RowKind::Ticket, "2", 4, Some(revoked.clone())),
                row(RowKind::Ticket, "3", 5, Some(revoked)),
            ],
            "c1",
        ))
        .unwrap();
        let mut door = DoorStore::open(&path, db.device_id(), Durability::Normal).unwrap();
        let mut scan = |serial| {
            door.scan(f.event_ref, &f.ticket(serial), "N", Direction::In, f.now)
                .unwrap()
                .0
                .key()
        };
        assert_eq!(scan(1), "admitted");

        db.drop_scope(scope).unwrap();
        let state = db.state(scope).unwrap();
        assert_eq!((state.cursor, state.rows, state.complete), (None, 0, false));
        assert_eq!(db.digest(scope).unwrap(), ScopeDigest::default());
        assert_eq!(db.door_status(f.event_ref).unwrap().tickets, 0);
        assert_eq!(scan(2), "revoked", "still refused while the list is away");

        // The refetch: ticket 3 is no longer revoked on the server (say, a mistaken
        // refund undone) and ticket 2 is not in the first page yet.
        db.apply_page(&page(
            scope,
            vec![
                row(RowKind::Key, &key_id, 2, Some(f.key_json())),
                row(RowKind::Ticket, "3", 6, Some(serde_json::json!({"t": 0}))),
            ],
            "c2",
        ))
        .unwrap();
        assert_eq!(scan(2), "revoked");
        db.rebuild_door(scope).unwrap();
        assert!(
            db.door_event_refs().unwrap().is_empty(),
            "the event row never came back: the door forgets the event"
        );
        let status = db.door_status(f.event_ref).unwrap();
        assert_eq!(
            (status.tickets, status.revoked, status.admitted),
            (0, 0, 1),
            "scans are kept"
        );
    }

    #[test]
    fn rebuilding_a_door_makes_its_tables_exactly_what_the_rows_say() {
        let (_dir, _path, mut db) = open();
        let f = DoorFixture::new();
        let scope = Scope::Door(f.event);
        let revoked =
            serde_json::json!({"t": 0, "r": {"reason": "refunded", "at": "2026-12-19T00:00:00Z"}});
        let event = row(
            RowKind::DoorEvent,
            &f.event.to_string(),
            1,
            Some(f.door_event_json()),
        );
        db.apply_page(&page(
            scope,
            vec![event.clone(), row(RowKind::Ticket, "2", 2, Some(revoked))],
            "c1",
        ))
        .unwrap();
        db.drop_scope(scope).unwrap();
        db.apply_page(&page(
            scope,
            vec![
                event,
                row(RowKind::Ticket, "2", 3, Some(serde_json::json!({"t": 0}))),
            ],
            "c2",
        ))
        .unwrap();
        db.rebuild_door(scope).unwrap();
        let status = db.door_status(f.event_ref).unwrap();
        assert_eq!((status.tickets, status.revoked), (1, 0));
        assert_eq!(db.door_event_refs().unwrap(), [f.event_ref]);
    }

    #[test]
    fn a_door_key_that_is_not_a_public_key_fails_its_page() {
        let (_dir, _path, mut db) = open();
        let f = DoorFixture::new();
        let err = db
            .apply_page(&page(
                Scope::Door(f.event),
                vec![row(
                    RowKind::Key,
                    "1",
                    1,
                    Some(serde_json::json!({"key_id": 1, "public_key": "c2hvcnQ"})),
                )],
                "c1",
            ))
            .unwrap_err();
        assert!(err.to_string().contains("public key"), "{err}");
    }

    #[test]
    fn my_tickets_are_readable_offline_with_the_text_their_qr_code_shows() {
        let (_dir, _path, mut db) = open();
        let (ticket, event) = (Uuid::now_v7(), Uuid::now_v7());
        let data = serde_json::json!({
            "ticket": {
                "id": ticket, "order_id": Uuid::now_v7(), "event_id": event,
                "ticket_type_id": Uuid::now_v7(), "serial": 9, "valid": true,
                "issued_at": "2026-12-01T10:00:00Z"
            },
            "ticket_type": {"ar": "عادي", "en": "General"},
            "event": event_json(event, "حفلة", "Concert", "2027-01-01T18:00:00Z"),
            "event_status": "published",
            "credential": {
                "ticket_id": ticket, "text": "HF:ABC",
                "valid_from": "2027-01-01T16:00:00Z", "valid_until": "2027-01-02T02:00:00Z"
            }
        });
        db.apply_page(&page(
            Scope::Me,
            vec![row(RowKind::MyTicket, &ticket.to_string(), 1, Some(data))],
            "c1",
        ))
        .unwrap();
        let mine = db.my_tickets().unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].ticket.serial, 9);
        assert_eq!(mine[0].credential.as_ref().unwrap().text, "HF:ABC");
        db.apply_page(&page(
            Scope::Me,
            vec![row(RowKind::MyTicket, &ticket.to_string(), 2, None)],
            "c2",
        ))
        .unwrap();
        assert!(
            db.my_tickets().unwrap().is_empty(),
            "transferred away: gone"
        );
    }

    #[test]
    fn conflicts_flagged_by_the_server_are_listed_and_counted_for_staff() {
        let (_dir, _path, mut db) = open();
        let f = DoorFixture::new();
        let scan_id = Uuid::now_v7();
        let place = |id: Uuid, gate: &str| {
            serde_json::json!({"scan_id": id, "device_id": Uuid::now_v7(), "gate": gate,
                               "at": "2026-12-20T18:00:00Z"})
        };
        let conflict = serde_json::json!({
            "kind": "double_admission", "ticket_serial": 4,
            "scan": place(scan_id, "South"), "first": place(Uuid::now_v7(), "North")
        });
        db.apply_page(&page(
            Scope::Door(f.event),
            vec![
                row(
                    RowKind::DoorEvent,
                    &f.event.to_string(),
                    1,
                    Some(f.door_event_json()),
                ),
                row(RowKind::Conflict, &scan_id.to_string(), 2, Some(conflict)),
            ],
            "c1",
        ))
        .unwrap();
        let conflicts = db.door_conflicts(f.event_ref).unwrap();
        assert_eq!(conflicts.len(), 1);
        assert_eq!(
            (conflicts[0].ticket_serial, conflicts[0].scan.gate.as_str()),
            (4, "South")
        );
        assert_eq!(db.door_status(f.event_ref).unwrap().conflicts, 1);
    }

    #[test]
    fn outbox_numbers_are_never_reused_after_the_outbox_empties() {
        let (_dir, path, mut db) = open();
        let f = DoorFixture::new();
        db.apply_page(&page(
            Scope::Door(f.event),
            vec![
                row(
                    RowKind::DoorEvent,
                    &f.event.to_string(),
                    1,
                    Some(f.door_event_json()),
                ),
                row(RowKind::Key, "1", 2, Some(f.key_json())),
            ],
            "c1",
        ))
        .unwrap();
        let mut door = DoorStore::open(&path, db.device_id(), Durability::Normal).unwrap();
        let (_, record) = door
            .scan(f.event_ref, &f.ticket(1), "N", Direction::In, f.now)
            .unwrap();
        let batch = db.outbox_batch(10).unwrap();
        assert_eq!(batch.len(), 1);
        assert_eq!(
            batch[0].id, record.id,
            "the scan and its mutation were written together"
        );
        let answer = PushAnswer {
            results: vec![crate::wire::sync::MutationResult {
                id: batch[0].id,
                number: batch[0].number,
                outcome: MutationOutcome::Applied,
            }],
        };
        assert_eq!(db.settle(&batch, &answer, 0).unwrap().applied, 1);
        assert_eq!(db.outbox_len().unwrap(), 0);
        door.scan(f.event_ref, &f.ticket(2), "N", Direction::In, f.now)
            .unwrap();
        let next = db.outbox_batch(10).unwrap();
        assert!(next[0].number > batch[0].number);
    }

    #[test]
    fn an_answer_for_mutations_not_sent_settles_nothing() {
        let (_dir, _path, mut db) = open();
        let op = MutationOp::Scan {
            scan: crate::door::ScanRecord {
                id: Uuid::now_v7(),
                device_id: db.device_id(),
                seq: 1,
                event_ref: 1,
                ticket_serial: None,
                ticket_type: None,
                gate: "N".into(),
                direction: Direction::In,
                device_time: jiff::Timestamp::UNIX_EPOCH,
                hlc: crate::door::Hlc(1),
                verdict: "malformed".into(),
                effect: crate::door::ScanEffect::Refused,
            },
        };
        let number = db.enqueue(Uuid::now_v7(), &op, 0).unwrap();
        let batch = db.outbox_batch(10).unwrap();
        let stranger = PushAnswer {
            results: vec![crate::wire::sync::MutationResult {
                id: Uuid::now_v7(),
                number,
                outcome: MutationOutcome::Applied,
            }],
        };
        assert_eq!(db.settle(&batch, &stranger, 0).unwrap().total(), 0);
        assert_eq!(db.outbox_len().unwrap(), 1);
    }
}
