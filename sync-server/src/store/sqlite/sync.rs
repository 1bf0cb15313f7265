//! The sync log in SQLite. Triggers write it (migration 0011) and note the scopes a
//! transaction changed in `sync_touched`; `write` takes them out before committing and
//! announces them after.

use super::SqliteStore;
use super::catalog::event_row;
use crate::store::StoreError;
use crate::store::rows::EventRow;
use crate::store::rows::timestamp;
use crate::store::sync::{
    ConflictRow, Count, CredentialEvent, DoorEventRow, DoorTicketRow, LogPage, LogPosition, LogRow,
    PageData, PushItem, PushOp, PushOutcome, PushRefusal, ScanPlaceRow, ScanRow, ScopeHead,
    ScopeKey, ScopeKind, SyncStore, TicketHistory, applied_through, conflict_changes,
    conflict_ticket, conflicts_of, cut_page, log_key, put, sequence, stored_number,
};
use async_trait::async_trait;
use hafla_core::Bilingual;
use hafla_core::door::ScanRecord;
use hafla_core::door::verifier::EntryPolicy;
use hafla_core::wire::sync::{RowKind, ScopeDigest};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// Takes out the scopes the open transaction changed (the triggers note them in
/// `sync_touched`), to announce once it commits.
pub(super) fn take_touched(tx: &Transaction<'_>) -> Result<Vec<ScopeKey>, StoreError> {
    let touched: Vec<(String, Uuid)> = tx
        .prepare_cached("SELECT scope_kind, subject FROM sync_touched")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    if !touched.is_empty() {
        tx.prepare_cached("DELETE FROM sync_touched")?.execute([])?;
    }
    Ok(touched
        .into_iter()
        .filter_map(|(kind, subject)| {
            Some(ScopeKey {
                kind: ScopeKind::from_key(&kind)?,
                subject,
            })
        })
        .collect())
}

fn scan_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ScanRow> {
    Ok(ScanRow {
        id: r.get(0)?,
        device_id: r.get(1)?,
        seq: r.get(2)?,
        event_ref: r.get(3)?,
        ticket_serial: r.get(4)?,
        ticket_type: r.get(5)?,
        gate: r.get(6)?,
        direction: r.get(7)?,
        device_time_ms: r.get(8)?,
        hlc: r.get(9)?,
        verdict: r.get(10)?,
        effect: r.get(11)?,
    })
}

/// Scan columns in `scan_row`'s order; `s` is `door_scans`, `e` its event.
const SCAN_COLUMNS: &str = "s.id, s.device_id, s.seq, e.credential_ref, s.ticket_serial, \
    s.ticket_type, s.gate, s.direction, s.device_time_ms, s.hlc, s.verdict, s.effect";

fn collect_scans(
    stmt: &mut rusqlite::CachedStatement<'_>,
    params: impl rusqlite::Params,
) -> Result<Vec<ScanRecord>, StoreError> {
    stmt.query_map(params, scan_row)?
        .map(|r| r?.into_record())
        .collect()
}

fn head(c: &Connection, scope: ScopeKey) -> Result<Option<ScopeHead>, StoreError> {
    Ok(c.prepare_cached(
        "SELECT epoch, version FROM sync_heads WHERE scope_kind = ?1 AND subject = ?2",
    )?
    .query_row(params![scope.kind.key(), scope.subject], |r| {
        Ok(ScopeHead {
            epoch: r.get(0)?,
            version: r.get::<_, i64>(1)? as u64,
        })
    })
    .optional()?)
}

/// Reads the entities of the page's rows that are read in bulk.
fn page_data(
    c: &Connection,
    scope: ScopeKey,
    after: u64,
    upto: u64,
    data: &mut PageData,
) -> Result<(), StoreError> {
    let range = params![scope.kind.key(), scope.subject, after as i64, upto as i64];
    match scope.kind {
        ScopeKind::Catalog => {
            let mut stmt = c.prepare_cached(
                "SELECT e.id, e.title_ar, e.title_en, e.description_ar, e.description_en,
                        e.category, o.name_ar, o.name_en, e.venue_name_ar, e.venue_name_en,
                        e.venue_address_ar, e.venue_address_en, e.city, e.lat, e.lng,
                        e.starts_at, e.ends_at, e.time_zone,
                        (SELECT min(t.price_minor) FROM ticket_types t WHERE t.event_id = e.id),
                        (SELECT t.currency FROM ticket_types t WHERE t.event_id = e.id
                           ORDER BY t.price_minor LIMIT 1)
                 FROM sync_log l
                 JOIN events e ON e.id = unhex(l.key)
                 JOIN organizations o ON o.id = e.organization_id
                 WHERE l.scope_kind = ?1 AND l.subject = ?2 AND l.version > ?3 AND l.version <= ?4
                   AND l.kind = 'event' AND l.deleted = 0",
            )?;
            for row in stmt.query_map(range, event_row)? {
                let summary = EventRow::into_summary(row?)?;
                put(data, RowKind::Event, log_key(summary.id), &summary)?;
            }
        }
        ScopeKind::Door => {
            let mut stmt = c.prepare_cached(
                "SELECT t.serial, tt.position,
                        (SELECT r.reason FROM revocations r WHERE r.ticket_id = t.id ORDER BY r.at LIMIT 1),
                        (SELECT min(r.at) FROM revocations r WHERE r.ticket_id = t.id)
                 FROM sync_log l
                 JOIN tickets t ON t.event_id = l.subject AND t.serial = CAST(l.key AS INTEGER)
                 JOIN ticket_types tt ON tt.id = t.ticket_type_id
                 WHERE l.scope_kind = ?1 AND l.subject = ?2 AND l.version > ?3 AND l.version <= ?4
                   AND l.kind = 'ticket' AND l.deleted = 0",
            )?;
            let rows = stmt.query_map(range, |r| {
                Ok(DoorTicketRow {
                    serial: r.get(0)?,
                    position: r.get(1)?,
                    reason: r.get(2)?,
                    revoked_at: r.get(3)?,
                })
            })?;
            for row in rows {
                row?.put(data)?;
            }
            let mut stmt = c.prepare_cached(
                "SELECT c.kind, c.ticket_serial, s.id, s.device_id, s.gate, s.device_time_ms,
                        f.id, f.device_id, f.gate, f.device_time_ms
                 FROM sync_log l
                 JOIN door_conflicts c ON c.scan_id = unhex(l.key)
                 JOIN door_scans s ON s.id = c.scan_id AND s.event_id = c.event_id
                 LEFT JOIN door_scans f ON f.id = c.first_scan_id AND f.event_id = c.event_id
                 WHERE l.scope_kind = ?1 AND l.subject = ?2 AND l.version > ?3 AND l.version <= ?4
                   AND l.kind = 'conflict' AND l.deleted = 0",
            )?;
            let rows = stmt.query_map(range, |r| {
                let first: Option<Uuid> = r.get(6)?;
                Ok(ConflictRow {
                    kind: r.get(0)?,
                    ticket_serial: r.get(1)?,
                    scan: ScanPlaceRow {
                        scan_id: r.get(2)?,
                        device_id: r.get(3)?,
                        gate: r.get(4)?,
                        device_time_ms: r.get(5)?,
                    },
                    first: match first {
                        Some(scan_id) => Some(ScanPlaceRow {
                            scan_id,
                            device_id: r.get(7)?,
                            gate: r.get(8)?,
                            device_time_ms: r.get(9)?,
                        }),
                        None => None,
                    },
                })
            })?;
            for row in rows {
                row?.put(data)?;
            }
            let event = c
                .prepare_cached(
                    "SELECT e.id, e.credential_ref, e.title_ar, e.title_en, e.status, e.starts_at,
                            e.ends_at, e.time_zone
                     FROM sync_log l JOIN events e ON e.id = l.subject
                     WHERE l.scope_kind = ?1 AND l.subject = ?2 AND l.version > ?3 AND l.version <= ?4
                       AND l.kind = 'door_event' AND l.deleted = 0 AND e.credential_ref IS NOT NULL",
                )?
                .query_row(range, |r| {
                    Ok(DoorEventRow {
                        event_id: r.get(0)?,
                        event_ref: r.get(1)?,
                        title: Bilingual {
                            ar: r.get(2)?,
                            en: r.get(3)?,
                        },
                        status: r.get(4)?,
                        starts_at: r.get(5)?,
                        ends_at: r.get(6)?,
                        time_zone: r.get(7)?,
                    })
                })
                .optional()?;
            if let Some(event) = event {
                event.put(data)?;
            }
        }
        ScopeKind::Me | ScopeKind::Org => {}
    }
    Ok(())
}

/// Recomputes the conflicts of one ticket from its whole history and stores the
/// difference (the triggers publish it into the door scope).
fn refresh_conflicts(tx: &Transaction<'_>, event_id: Uuid, serial: u32) -> Result<(), StoreError> {
    let scans = collect_scans(
        &mut tx.prepare_cached(&format!(
            "SELECT {SCAN_COLUMNS} FROM door_scans s JOIN events e ON e.id = s.event_id
             WHERE s.event_id = ?1 AND s.ticket_serial = ?2"
        ))?,
        params![event_id, serial],
    )?;
    let (policy, revoked_at): (Option<String>, Option<i64>) = tx
        .prepare_cached(
            "SELECT tt.entry_policy, (SELECT min(r.at) FROM revocations r WHERE r.ticket_id = t.id)
             FROM tickets t JOIN ticket_types tt ON tt.id = t.ticket_type_id
             WHERE t.event_id = ?1 AND t.serial = ?2",
        )?
        .query_row(params![event_id, serial], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((None, None));
    let history = TicketHistory {
        scans,
        policy: policy
            .and_then(|p| EntryPolicy::from_key(&p))
            .unwrap_or_default(),
        revoked_at: revoked_at.map(timestamp).transpose()?,
    };
    let flagged = conflicts_of(&history);
    let stored: HashMap<Uuid, (String, Option<Uuid>)> = tx
        .prepare_cached(
            "SELECT scan_id, kind, first_scan_id FROM door_conflicts
             WHERE event_id = ?1 AND ticket_serial = ?2",
        )?
        .query_map(params![event_id, serial], |r| {
            Ok((r.get(0)?, (r.get(1)?, r.get(2)?)))
        })?
        .collect::<Result<_, _>>()?;
    let (gone, write) = conflict_changes(&stored, &flagged);
    for id in gone {
        tx.prepare_cached("DELETE FROM door_conflicts WHERE scan_id = ?1")?
            .execute([id])?;
    }
    for f in write {
        tx.prepare_cached(
            "INSERT INTO door_conflicts (scan_id, event_id, ticket_serial, kind, first_scan_id)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (scan_id) DO UPDATE SET kind = excluded.kind, first_scan_id = excluded.first_scan_id",
        )?
        .execute(params![f.scan_id, event_id, serial, f.kind.key(), f.first])?;
    }
    Ok(())
}

#[async_trait]
impl SyncStore for SqliteStore {
    async fn log_page(
        &self,
        scope: ScopeKey,
        after: &LogPosition,
        limit: u32,
        count: Count,
    ) -> Result<LogPage, StoreError> {
        // Every row written gets its own version here (one writer, one bump per row), so
        // a position inside a version is the end of that version.
        let after = after.version;
        self.read(move |c| {
            // One snapshot for the rows, their data and the digest.
            let tx = c.unchecked_transaction()?;
            let head = head(&tx, scope)?;
            let rows = tx
                .prepare_cached(
                    "SELECT kind, key, version, deleted FROM sync_log
                     WHERE scope_kind = ?1 AND subject = ?2 AND version > ?3
                       AND (?3 > 0 OR deleted = 0)
                     ORDER BY version LIMIT ?4",
                )?
                .query_map(
                    params![
                        scope.kind.key(),
                        scope.subject,
                        after as i64,
                        i64::from(limit) + 1
                    ],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )?
                .map(|r| {
                    let (kind, key, version, deleted) = r?;
                    LogRow::from_stored(kind, key, version, deleted)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let (rows, has_more) = cut_page(rows, limit);
            let live = if count.counts(has_more) {
                let (count, sum): (i64, i64) = tx
                    .prepare_cached(
                        "SELECT count(*), coalesce(sum(version), 0) FROM sync_log
                         WHERE scope_kind = ?1 AND subject = ?2 AND deleted = 0",
                    )?
                    .query_row(params![scope.kind.key(), scope.subject], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?;
                Some(ScopeDigest {
                    count: count as u64,
                    version_sum: sum as u64,
                })
            } else {
                None
            };
            let mut data = HashMap::new();
            if let Some(last) = rows.last() {
                page_data(&tx, scope, after, last.version, &mut data)?;
            }
            Ok(LogPage {
                head,
                rows,
                has_more,
                live,
                data,
            })
        })
        .await
    }

    async fn scope_head(&self, scope: ScopeKey) -> Result<Option<ScopeHead>, StoreError> {
        self.read(move |c| head(c, scope)).await
    }

    async fn credential_event(
        &self,
        event_ref: u32,
    ) -> Result<Option<CredentialEvent>, StoreError> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT id, organization_id FROM events WHERE credential_ref = ?1",
            )?
            .query_row([event_ref], |r| {
                Ok(CredentialEvent {
                    event_id: r.get(0)?,
                    organization_id: r.get(1)?,
                })
            })
            .optional()?)
        })
        .await
    }

    async fn push(
        &self,
        device_id: Uuid,
        user_id: Uuid,
        ops: Vec<PushOp>,
        now: jiff::Timestamp,
    ) -> Result<Result<Vec<PushOutcome>, PushRefusal>, StoreError> {
        self.write(move |tx| {
            let now_s = now.as_second();
            let device: Option<(Uuid, i64)> = tx
                .prepare_cached("SELECT user_id, last_number FROM sync_devices WHERE id = ?1")?
                .query_row([device_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let mut last = match device {
                Some((owner, _)) if owner != user_id => {
                    return Ok(Err(PushRefusal::DeviceOfAnotherAccount));
                }
                Some((_, last)) => applied_through(last),
                None => {
                    tx.execute(
                        "INSERT INTO sync_devices (id, user_id, last_number, created_at, last_seen_at)
                         VALUES (?1, ?2, 0, ?3, ?3)",
                        params![device_id, user_id, now_s],
                    )?;
                    Some(0)
                }
            };
            let mut outcomes = Vec::with_capacity(ops.len());
            let mut touched: BTreeSet<(Uuid, u32)> = BTreeSet::new();
            for op in ops {
                if let Some(skipped) = sequence(op.number, last) {
                    outcomes.push(skipped);
                    continue;
                }
                last = Some(op.number);
                match op.item {
                    PushItem::Reject { code } => outcomes.push(PushOutcome::Rejected(code)),
                    PushItem::Scan { event_id, scan } => {
                        tx.prepare_cached(
                            "INSERT INTO door_scans (device_id, seq, id, event_id, ticket_serial, ticket_type,
                                gate, direction, device_time_ms, hlc, verdict, effect, received_at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                             ON CONFLICT (device_id, seq) DO NOTHING",
                        )?
                        .execute(params![
                            scan.device_id,
                            scan.seq as i64,
                            scan.id,
                            event_id,
                            scan.ticket_serial,
                            scan.ticket_type,
                            scan.gate,
                            scan.direction.key(),
                            scan.device_time.as_millisecond(),
                            scan.hlc.0 as i64,
                            scan.verdict,
                            scan.effect.key(),
                            now_s,
                        ])?;
                        if let Some(serial) = conflict_ticket(&scan) {
                            touched.insert((event_id, serial));
                        }
                        outcomes.push(PushOutcome::Applied);
                    }
                }
            }
            tx.prepare_cached(
                "UPDATE sync_devices SET last_number = ?2, last_seen_at = ?3 WHERE id = ?1",
            )?
            .execute(params![device_id, stored_number(last), now_s])?;
            for (event_id, serial) in touched {
                refresh_conflicts(tx, event_id, serial)?;
            }
            Ok(Ok(outcomes))
        })
        .await
    }

    async fn scans_after(
        &self,
        event_id: Uuid,
        marks: HashMap<Uuid, u64>,
        limit: u32,
    ) -> Result<(Vec<ScanRecord>, bool), StoreError> {
        self.read(move |c| {
            let devices: Vec<Uuid> = c
                .prepare_cached(
                    "SELECT DISTINCT device_id FROM door_scans WHERE event_id = ?1 ORDER BY device_id",
                )?
                .query_map([event_id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {SCAN_COLUMNS} FROM door_scans s JOIN events e ON e.id = s.event_id
                 WHERE s.event_id = ?1 AND s.device_id = ?2 AND s.seq > ?3
                 ORDER BY s.seq LIMIT ?4"
            ))?;
            let mut scans = Vec::new();
            for device in devices {
                let room = i64::from(limit) + 1 - scans.len() as i64;
                if room <= 0 {
                    break;
                }
                let mark = marks.get(&device).copied().unwrap_or(0) as i64;
                scans.extend(collect_scans(&mut stmt, params![event_id, device, mark, room])?);
            }
            let has_more = scans.len() > limit as usize;
            scans.truncate(limit as usize);
            Ok((scans, has_more))
        })
        .await
    }
}
