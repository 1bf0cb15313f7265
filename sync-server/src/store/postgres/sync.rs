//! The sync log in PostgreSQL. Triggers write it (migration 0011); pages are read in one
//! repeatable-read snapshot. Conflicts of a ticket are recomputed under a transaction-scoped
//! advisory lock on that ticket, taken after the new scans are inserted: whichever push
//! takes it last sees every scan of the ticket, so concurrent pushes cannot both miss a
//! double admission.

use super::PgStore;
use super::catalog::event_row;
use crate::store::StoreError;
use crate::store::rows::EventRow;
use crate::store::sync::{
    ConflictRow, CredentialEvent, DoorEventRow, DoorTicketRow, LogPage, LogRow, PageData, PushItem,
    PushOp, PushOutcome, PushRefusal, ScanPlaceRow, ScanRow, ScopeHead, ScopeKey, ScopeKind,
    SyncStore, TicketHistory, conflict_changes, conflicts_of, cut_page, log_key, put, sequence,
};
use async_trait::async_trait;
use hafla_core::Bilingual;
use hafla_core::door::ScanRecord;
use hafla_core::door::conflicts::FlaggedScan;
use hafla_core::door::verifier::EntryPolicy;
use hafla_core::wire::sync::{RowKind, ScopeDigest};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection, Row};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// Scan columns in `scan_row`'s order; `s` is `door_scans`, `e` its event.
const SCAN_COLUMNS: &str = "s.id, s.device_id, s.seq, e.credential_ref::bigint, \
    s.ticket_serial::bigint, s.ticket_type::bigint, s.gate, s.direction, s.device_time_ms, \
    s.hlc, s.verdict, s.effect";

fn scan_row(r: &PgRow) -> Result<ScanRecord, StoreError> {
    ScanRow {
        id: r.try_get(0)?,
        device_id: r.try_get(1)?,
        seq: r.try_get(2)?,
        event_ref: r.try_get(3)?,
        ticket_serial: r.try_get(4)?,
        ticket_type: r.try_get(5)?,
        gate: r.try_get(6)?,
        direction: r.try_get(7)?,
        device_time_ms: r.try_get(8)?,
        hlc: r.try_get(9)?,
        verdict: r.try_get(10)?,
        effect: r.try_get(11)?,
    }
    .into_record()
}

async fn head(c: &mut PgConnection, scope: ScopeKey) -> Result<Option<ScopeHead>, StoreError> {
    let row =
        sqlx::query("SELECT epoch, version FROM sync_heads WHERE scope_kind = $1 AND subject = $2")
            .bind(scope.kind.key())
            .bind(scope.subject)
            .fetch_optional(&mut *c)
            .await?;
    row.map(|r| {
        Ok(ScopeHead {
            epoch: r.try_get(0)?,
            version: r.try_get::<i64, _>(1)? as u64,
        })
    })
    .transpose()
}

/// The page's version range in `sync_log` `l`: `$1`–`$4` are scope kind, subject, after, upto.
const IN_PAGE: &str = "l.scope_kind = $1 AND l.subject = $2 AND l.version > $3 AND l.version <= $4";

async fn page_data(
    c: &mut PgConnection,
    scope: ScopeKey,
    after: u64,
    upto: u64,
    data: &mut PageData,
) -> Result<(), StoreError> {
    let query = |sql: String| {
        sqlx::query(AssertSqlSafe(sql))
            .bind(scope.kind.key())
            .bind(scope.subject)
            .bind(after as i64)
            .bind(upto as i64)
    };
    match scope.kind {
        ScopeKind::Catalog => {
            let rows = query(format!(
                "SELECT e.id, e.title_ar, e.title_en, e.description_ar, e.description_en,
                        e.category, o.name_ar, o.name_en, e.venue_name_ar, e.venue_name_en,
                        e.venue_address_ar, e.venue_address_en, e.city, e.lat, e.lng,
                        extract(epoch from e.starts_at)::bigint, extract(epoch from e.ends_at)::bigint,
                        e.time_zone,
                        (SELECT min(t.price_minor) FROM ticket_types t WHERE t.event_id = e.id),
                        (SELECT t.currency FROM ticket_types t WHERE t.event_id = e.id
                           ORDER BY t.price_minor LIMIT 1)
                 FROM sync_log l
                 JOIN events e ON e.id = l.key::uuid
                 JOIN organizations o ON o.id = e.organization_id
                 WHERE {IN_PAGE} AND l.kind = 'event' AND NOT l.deleted"
            ))
            .fetch_all(&mut *c)
            .await?;
            for row in &rows {
                let summary = EventRow::into_summary(event_row(row)?)?;
                put(data, RowKind::Event, log_key(summary.id), &summary)?;
            }
        }
        ScopeKind::Door => {
            let rows = query(format!(
                "SELECT t.serial::bigint, tt.position::bigint, r.reason,
                        extract(epoch from r.at)::bigint
                 FROM sync_log l
                 JOIN tickets t ON t.event_id = l.subject AND t.serial = l.key::integer
                 JOIN ticket_types tt ON tt.id = t.ticket_type_id
                 LEFT JOIN LATERAL (SELECT reason, at FROM revocations
                                    WHERE ticket_id = t.id ORDER BY at LIMIT 1) r ON true
                 WHERE {IN_PAGE} AND l.kind = 'ticket' AND NOT l.deleted"
            ))
            .fetch_all(&mut *c)
            .await?;
            for r in &rows {
                DoorTicketRow {
                    serial: r.try_get(0)?,
                    position: r.try_get(1)?,
                    reason: r.try_get(2)?,
                    revoked_at: r.try_get(3)?,
                }
                .put(data)?;
            }
            let rows = query(format!(
                "SELECT c.kind, c.ticket_serial::bigint, s.id, s.device_id, s.gate, s.device_time_ms,
                        f.id, f.device_id, f.gate, f.device_time_ms
                 FROM sync_log l
                 JOIN door_conflicts c ON c.scan_id = l.key::uuid
                 JOIN door_scans s ON s.id = c.scan_id AND s.event_id = c.event_id
                 LEFT JOIN door_scans f ON f.id = c.first_scan_id AND f.event_id = c.event_id
                 WHERE {IN_PAGE} AND l.kind = 'conflict' AND NOT l.deleted"
            ))
            .fetch_all(&mut *c)
            .await?;
            for r in &rows {
                let first: Option<Uuid> = r.try_get(6)?;
                ConflictRow {
                    kind: r.try_get(0)?,
                    ticket_serial: r.try_get(1)?,
                    scan: ScanPlaceRow {
                        scan_id: r.try_get(2)?,
                        device_id: r.try_get(3)?,
                        gate: r.try_get(4)?,
                        device_time_ms: r.try_get(5)?,
                    },
                    first: match first {
                        Some(scan_id) => Some(ScanPlaceRow {
                            scan_id,
                            device_id: r.try_get(7)?,
                            gate: r.try_get(8)?,
                            device_time_ms: r.try_get(9)?,
                        }),
                        None => None,
                    },
                }
                .put(data)?;
            }
            let event = query(format!(
                "SELECT e.id, e.credential_ref::bigint, e.title_ar, e.title_en, e.status,
                        extract(epoch from e.starts_at)::bigint, extract(epoch from e.ends_at)::bigint,
                        e.time_zone
                 FROM sync_log l JOIN events e ON e.id = l.subject
                 WHERE {IN_PAGE} AND l.kind = 'door_event' AND NOT l.deleted
                   AND e.credential_ref IS NOT NULL"
            ))
            .fetch_optional(&mut *c)
            .await?;
            if let Some(r) = event {
                DoorEventRow {
                    event_id: r.try_get(0)?,
                    event_ref: r.try_get(1)?,
                    title: Bilingual {
                        ar: r.try_get(2)?,
                        en: r.try_get(3)?,
                    },
                    status: r.try_get(4)?,
                    starts_at: r.try_get(5)?,
                    ends_at: r.try_get(6)?,
                    time_zone: r.try_get(7)?,
                }
                .put(data)?;
            }
        }
        ScopeKind::Me | ScopeKind::Org => {}
    }
    Ok(())
}

/// How one ticket's stored conflicts must change.
struct ConflictWrites {
    event_id: Uuid,
    serial: u32,
    gone: Vec<Uuid>,
    write: Vec<FlaggedScan>,
}

/// Decides how a ticket's stored conflicts change (under the ticket's lock), without
/// writing: the writes touch the door scope's head row, whose lock is then held to the
/// commit, so they are made last, together.
async fn recompute_conflicts(
    c: &mut PgConnection,
    event_id: Uuid,
    serial: u32,
) -> Result<ConflictWrites, StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1::text || ':' || $2::text, 0))")
        .bind(event_id)
        .bind(i64::from(serial))
        .execute(&mut *c)
        .await?;
    let scans = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SCAN_COLUMNS} FROM door_scans s JOIN events e ON e.id = s.event_id
         WHERE s.event_id = $1 AND s.ticket_serial = $2"
    )))
    .bind(event_id)
    .bind(serial as i32)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(scan_row)
    .collect::<Result<Vec<_>, _>>()?;
    let facts = sqlx::query(
        "SELECT tt.entry_policy,
                (SELECT extract(epoch from min(r.at))::bigint FROM revocations r WHERE r.ticket_id = t.id)
         FROM tickets t JOIN ticket_types tt ON tt.id = t.ticket_type_id
         WHERE t.event_id = $1 AND t.serial = $2",
    )
    .bind(event_id)
    .bind(serial as i32)
    .fetch_optional(&mut *c)
    .await?;
    let (policy, revoked_at): (Option<String>, Option<i64>) = match facts {
        Some(r) => (r.try_get(0)?, r.try_get(1)?),
        None => (None, None),
    };
    let history = TicketHistory {
        scans,
        policy: policy
            .and_then(|p| EntryPolicy::from_key(&p))
            .unwrap_or_default(),
        revoked_at: revoked_at.map(super::timestamp).transpose()?,
    };
    let flagged = conflicts_of(&history);
    let stored: HashMap<Uuid, (String, Option<Uuid>)> = sqlx::query(
        "SELECT scan_id, kind, first_scan_id FROM door_conflicts
         WHERE event_id = $1 AND ticket_serial = $2",
    )
    .bind(event_id)
    .bind(serial as i32)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?))))
    .collect::<Result<_, sqlx::Error>>()?;
    let (gone, write) = conflict_changes(&stored, &flagged);
    Ok(ConflictWrites {
        event_id,
        serial,
        gone,
        write,
    })
}

async fn write_conflicts(c: &mut PgConnection, changes: ConflictWrites) -> Result<(), StoreError> {
    for id in changes.gone {
        sqlx::query("DELETE FROM door_conflicts WHERE scan_id = $1")
            .bind(id)
            .execute(&mut *c)
            .await?;
    }
    for f in changes.write {
        sqlx::query(
            "INSERT INTO door_conflicts (scan_id, event_id, ticket_serial, kind, first_scan_id)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (scan_id) DO UPDATE SET kind = excluded.kind, first_scan_id = excluded.first_scan_id",
        )
        .bind(f.scan_id)
        .bind(changes.event_id)
        .bind(changes.serial as i32)
        .bind(f.kind.key())
        .bind(f.first)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

#[async_trait]
impl SyncStore for PgStore {
    async fn log_page(
        &self,
        scope: ScopeKey,
        after: u64,
        limit: u32,
    ) -> Result<LogPage, StoreError> {
        self.read(async {
            let mut tx = self.pool().begin().await?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
            let head = head(&mut tx, scope).await?;
            let rows = sqlx::query(
                "SELECT kind, key, version, deleted FROM sync_log
                 WHERE scope_kind = $1 AND subject = $2 AND version > $3 AND ($3 > 0 OR NOT deleted)
                 ORDER BY version LIMIT $4",
            )
            .bind(scope.kind.key())
            .bind(scope.subject)
            .bind(after as i64)
            .bind(i64::from(limit) + 1)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| {
                LogRow::from_stored(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
            let (rows, has_more) = cut_page(rows, limit);
            let live = sqlx::query(
                "SELECT count(*), coalesce(sum(version), 0)::bigint FROM sync_log
                 WHERE scope_kind = $1 AND subject = $2 AND NOT deleted",
            )
            .bind(scope.kind.key())
            .bind(scope.subject)
            .fetch_one(&mut *tx)
            .await?;
            let mut data = HashMap::new();
            if let Some(last) = rows.last() {
                page_data(&mut tx, scope, after, last.version, &mut data).await?;
            }
            tx.commit().await?;
            Ok(LogPage {
                head,
                rows,
                has_more,
                live: ScopeDigest {
                    count: live.try_get::<i64, _>(0)? as u64,
                    version_sum: live.try_get::<i64, _>(1)? as u64,
                },
                data,
            })
        })
        .await
    }

    async fn scope_head(&self, scope: ScopeKey) -> Result<Option<ScopeHead>, StoreError> {
        self.read(async {
            let mut c = self.pool().acquire().await?;
            head(&mut c, scope).await
        })
        .await
    }

    async fn credential_event(
        &self,
        event_ref: u32,
    ) -> Result<Option<CredentialEvent>, StoreError> {
        self.read(async {
            let row =
                sqlx::query("SELECT id, organization_id FROM events WHERE credential_ref = $1")
                    .bind(i64::from(event_ref))
                    .fetch_optional(self.pool())
                    .await?;
            row.map(|r| {
                Ok(CredentialEvent {
                    event_id: r.try_get(0)?,
                    organization_id: r.try_get(1)?,
                })
            })
            .transpose()
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
        self.write(async {
            let mut tx = self.pool().begin().await?;
            sqlx::query(
                "INSERT INTO sync_devices (id, user_id, last_number, created_at, last_seen_at)
                 VALUES ($1, $2, 0, to_timestamp($3), to_timestamp($3))
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(device_id)
            .bind(user_id)
            .bind(now.as_second())
            .execute(&mut *tx)
            .await?;
            // One push of a device at a time: its numbers are applied in order.
            let row = sqlx::query(
                "SELECT user_id, last_number FROM sync_devices WHERE id = $1 FOR UPDATE",
            )
            .bind(device_id)
            .fetch_one(&mut *tx)
            .await?;
            let owner: Uuid = row.try_get(0)?;
            if owner != user_id {
                return Ok(Err(PushRefusal::DeviceOfAnotherAccount));
            }
            let mut last = row.try_get::<i64, _>(1)? as u64;
            let mut outcomes = Vec::with_capacity(ops.len());
            let mut touched: BTreeSet<(Uuid, u32)> = BTreeSet::new();
            for op in ops {
                if let Some(skipped) = sequence(op.number, last) {
                    outcomes.push(skipped);
                    continue;
                }
                last = op.number;
                match op.item {
                    PushItem::Reject { code } => outcomes.push(PushOutcome::Rejected(code)),
                    PushItem::Scan { event_id, scan } => {
                        sqlx::query(
                            "INSERT INTO door_scans (device_id, seq, id, event_id, ticket_serial, ticket_type,
                                gate, direction, device_time_ms, hlc, verdict, effect, received_at)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, to_timestamp($13))
                             ON CONFLICT (device_id, seq) DO NOTHING",
                        )
                        .bind(scan.device_id)
                        .bind(scan.seq as i64)
                        .bind(scan.id)
                        .bind(event_id)
                        .bind(scan.ticket_serial.map(|s| s as i32))
                        .bind(scan.ticket_type.map(i32::from))
                        .bind(&scan.gate)
                        .bind(scan.direction.key())
                        .bind(scan.device_time.as_millisecond())
                        .bind(scan.hlc.0 as i64)
                        .bind(&scan.verdict)
                        .bind(scan.effect.key())
                        .bind(now.as_second())
                        .execute(&mut *tx)
                        .await?;
                        if let Some(serial) = scan.ticket_serial {
                            touched.insert((event_id, serial));
                        }
                        outcomes.push(PushOutcome::Applied);
                    }
                }
            }
            sqlx::query(
                "UPDATE sync_devices SET last_number = $2, last_seen_at = to_timestamp($3) WHERE id = $1",
            )
            .bind(device_id)
            .bind(last as i64)
            .bind(now.as_second())
            .execute(&mut *tx)
            .await?;
            // In a fixed order, so two pushes never wait on each other's locks in a cycle.
            let mut changes = Vec::new();
            for (event_id, serial) in touched {
                changes.push(recompute_conflicts(&mut tx, event_id, serial).await?);
            }
            for change in changes {
                write_conflicts(&mut tx, change).await?;
            }
            tx.commit().await?;
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
        self.read(async {
            let mut c = self.pool().acquire().await?;
            let devices: Vec<Uuid> = sqlx::query_scalar(
                "SELECT DISTINCT device_id FROM door_scans WHERE event_id = $1 ORDER BY device_id",
            )
            .bind(event_id)
            .fetch_all(&mut *c)
            .await?;
            let mut scans = Vec::new();
            for device in devices {
                let room = i64::from(limit) + 1 - scans.len() as i64;
                if room <= 0 {
                    break;
                }
                let mark = marks.get(&device).copied().unwrap_or(0) as i64;
                let rows = sqlx::query(AssertSqlSafe(format!(
                    "SELECT {SCAN_COLUMNS} FROM door_scans s JOIN events e ON e.id = s.event_id
                     WHERE s.event_id = $1 AND s.device_id = $2 AND s.seq > $3
                     ORDER BY s.seq LIMIT $4"
                )))
                .bind(event_id)
                .bind(device)
                .bind(mark)
                .bind(room)
                .fetch_all(&mut *c)
                .await?;
                for r in &rows {
                    scans.push(scan_row(r)?);
                }
            }
            let has_more = scans.len() > limit as usize;
            scans.truncate(limit as usize);
            Ok((scans, has_more))
        })
        .await
    }
}
