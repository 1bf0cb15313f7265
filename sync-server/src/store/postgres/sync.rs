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

/// Rows of `sync_log` `l` after a position whose version is `$3` and, when inside that
/// version, whose kind and key are `$4` and `$5`.
fn after_position(position: &LogPosition) -> &'static str {
    match position.within {
        None => "l.version > $3",
        Some(_) => "(l.version, l.kind, l.key) > ($3, $4, $5)",
    }
}

/// Binds a position as [`after_position`] reads it.
fn bind_position<'q>(
    query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    position: &'q LogPosition,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let (kind, key) = position
        .within
        .as_ref()
        .map_or(("", ""), |(kind, key)| (kind.as_str(), key.as_str()));
    query.bind(position.version as i64).bind(kind).bind(key)
}

/// Reads the entities of the page's rows that are read in bulk: the rows of the log after
/// `after`, up to and including `last`.
async fn page_data(
    c: &mut PgConnection,
    scope: ScopeKey,
    after: &LogPosition,
    last: &LogRow,
    data: &mut PageData,
) -> Result<(), StoreError> {
    let in_page = format!(
        "l.scope_kind = $1 AND l.subject = $2 AND {} AND (l.version, l.kind, l.key) <= ($6, $7, $8)",
        after_position(after)
    );
    let query = |sql: String| {
        let query = sqlx::query(AssertSqlSafe(sql))
            .bind(scope.kind.key())
            .bind(scope.subject);
        bind_position(query, after)
            .bind(last.version as i64)
            .bind(last.kind.key())
            .bind(last.key.as_str())
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
                 WHERE {in_page} AND l.kind = 'event' AND NOT l.deleted"
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
                 WHERE {in_page} AND l.kind = 'ticket' AND NOT l.deleted"
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
                 WHERE {in_page} AND l.kind = 'conflict' AND NOT l.deleted"
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
                 WHERE {in_page} AND l.kind = 'door_event' AND NOT l.deleted
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

/// The scans of one push, as columns for `UNNEST` (one insert for the whole push).
#[derive(Default)]
struct ScanColumns {
    device_id: Vec<Uuid>,
    seq: Vec<i64>,
    id: Vec<Uuid>,
    event_id: Vec<Uuid>,
    ticket_serial: Vec<Option<i32>>,
    ticket_type: Vec<Option<i32>>,
    gate: Vec<String>,
    direction: Vec<&'static str>,
    device_time_ms: Vec<i64>,
    hlc: Vec<i64>,
    verdict: Vec<String>,
    effect: Vec<&'static str>,
}

impl ScanColumns {
    fn push(&mut self, event_id: Uuid, scan: &ScanRecord) {
        self.device_id.push(scan.device_id);
        self.seq.push(scan.seq as i64);
        self.id.push(scan.id);
        self.event_id.push(event_id);
        self.ticket_serial
            .push(scan.ticket_serial.map(|s| s as i32));
        self.ticket_type.push(scan.ticket_type.map(i32::from));
        self.gate.push(scan.gate.clone());
        self.direction.push(scan.direction.key());
        self.device_time_ms.push(scan.device_time.as_millisecond());
        self.hlc.push(scan.hlc.0 as i64);
        self.verdict.push(scan.verdict.clone());
        self.effect.push(scan.effect.key());
    }
}

/// What a push does for a device that has applied up to `last`.
struct PushPlan {
    outcomes: Vec<PushOutcome>,
    /// The device's last number once the push is applied (`None`: still unknown).
    last: Option<u64>,
    scans: ScanColumns,
    touched: BTreeSet<(Uuid, u32)>,
}

impl PushPlan {
    fn new(ops: &[PushOp], mut last: Option<u64>) -> PushPlan {
        let mut plan = PushPlan {
            outcomes: Vec::with_capacity(ops.len()),
            last,
            scans: ScanColumns::default(),
            touched: BTreeSet::new(),
        };
        for op in ops {
            if let Some(skipped) = sequence(op.number, last) {
                plan.outcomes.push(skipped);
                continue;
            }
            last = Some(op.number);
            match &op.item {
                PushItem::Reject { code } => plan.outcomes.push(PushOutcome::Rejected(*code)),
                PushItem::Scan { event_id, scan } => {
                    if let Some(serial) = conflict_ticket(scan) {
                        plan.touched.insert((*event_id, serial));
                    }
                    plan.scans.push(*event_id, scan);
                    plan.outcomes.push(PushOutcome::Applied);
                }
            }
        }
        plan.last = last;
        plan
    }

    /// Every mutation applies (or is rejected and consumed): none waits, none repeats.
    fn applies_whole(&self) -> bool {
        !self
            .outcomes
            .iter()
            .any(|o| matches!(o, PushOutcome::Duplicate | PushOutcome::Deferred))
    }
}

/// Applies `plan` in one statement when the device is `user_id`'s and, if `expected` is
/// given, has applied exactly up to it: moves the device's number on, stores the scans and
/// takes the advisory lock of every touched ticket. Answers whether it applied (if not, it
/// changed nothing). The locks are taken in the order of their keys, so two pushes never
/// wait on each other in a cycle; whichever push takes a ticket's lock last reads (in its
/// next statement, a newer snapshot) every scan of that ticket.
async fn apply_plan(
    c: &mut PgConnection,
    device_id: Uuid,
    user_id: Uuid,
    expected: Option<u64>,
    plan: &PushPlan,
    now: jiff::Timestamp,
) -> Result<bool, StoreError> {
    let (events, serials): (Vec<Uuid>, Vec<i32>) =
        plan.touched.iter().map(|&(e, s)| (e, s as i32)).unzip();
    let scans = &plan.scans;
    let applied: bool = sqlx::query_scalar(
        "WITH device AS (
             UPDATE sync_devices SET last_number = $2, last_seen_at = to_timestamp($15)
             WHERE id = $1 AND user_id = $18 AND ($19::bigint IS NULL OR last_number = $19)
             RETURNING id
         ), scans AS (
             INSERT INTO door_scans (device_id, seq, id, event_id, ticket_serial, ticket_type,
                 gate, direction, device_time_ms, hlc, verdict, effect, received_at)
             SELECT *, to_timestamp($15) FROM UNNEST($3::uuid[], $4::bigint[], $5::uuid[],
                 $6::uuid[], $7::int[], $8::int[], $9::text[], $10::text[], $11::bigint[],
                 $12::bigint[], $13::text[], $14::text[])
             WHERE EXISTS (SELECT 1 FROM device)
             ON CONFLICT (device_id, seq) DO NOTHING
         )
         SELECT EXISTS (SELECT 1 FROM device) AND count(pg_advisory_xact_lock(k)) >= 0 FROM (
             SELECT DISTINCT hashtextextended(e::text || ':' || s::text, 0) AS k
             FROM UNNEST($16::uuid[], $17::int[]) AS t(e, s)
             WHERE EXISTS (SELECT 1 FROM device)
             ORDER BY k
         ) AS keys",
    )
    .bind(device_id)
    .bind(stored_number(plan.last))
    .bind(&scans.device_id)
    .bind(&scans.seq)
    .bind(&scans.id)
    .bind(&scans.event_id)
    .bind(&scans.ticket_serial)
    .bind(&scans.ticket_type)
    .bind(&scans.gate)
    .bind(&scans.direction)
    .bind(&scans.device_time_ms)
    .bind(&scans.hlc)
    .bind(&scans.verdict)
    .bind(&scans.effect)
    .bind(now.as_second())
    .bind(events)
    .bind(serials)
    .bind(user_id)
    .bind(expected.map(|n| n as i64))
    .fetch_one(&mut *c)
    .await?;
    Ok(applied)
}

/// One touched ticket's history and stored conflicts, as read under its lock.
#[derive(Default)]
struct TicketState {
    scans: Vec<ScanRecord>,
    policy: Option<String>,
    revoked_at: Option<i64>,
    stored: HashMap<Uuid, (String, Option<Uuid>)>,
}

/// Every touched ticket's scans, entry policy, first revocation and stored conflicts in one
/// query (conflicts are keyed by the scan they flag, so they join onto the scans).
async fn read_touched(
    c: &mut PgConnection,
    touched: &BTreeSet<(Uuid, u32)>,
) -> Result<HashMap<(Uuid, u32), TicketState>, StoreError> {
    let (events, serials): (Vec<Uuid>, Vec<i32>) =
        touched.iter().map(|&(e, s)| (e, s as i32)).unzip();
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SCAN_COLUMNS}, tt.entry_policy,
                (SELECT extract(epoch from min(r.at))::bigint FROM revocations r
                 WHERE r.ticket_id = t.id),
                dc.kind, dc.first_scan_id, k.event_id, k.serial
         FROM UNNEST($1::uuid[], $2::int[]) AS k(event_id, serial)
         JOIN door_scans s ON s.event_id = k.event_id AND s.ticket_serial = k.serial
         JOIN events e ON e.id = s.event_id
         LEFT JOIN tickets t ON t.event_id = k.event_id AND t.serial = k.serial
         LEFT JOIN ticket_types tt ON tt.id = t.ticket_type_id
         LEFT JOIN door_conflicts dc ON dc.scan_id = s.id
             AND dc.event_id = k.event_id AND dc.ticket_serial = k.serial"
    )))
    .bind(events)
    .bind(serials)
    .fetch_all(&mut *c)
    .await?;
    let mut tickets: HashMap<(Uuid, u32), TicketState> = HashMap::new();
    for r in &rows {
        let serial: i32 = r.try_get(17)?;
        let ticket = tickets.entry((r.try_get(16)?, serial as u32)).or_default();
        let scan = scan_row(r)?;
        if let Some(kind) = r.try_get::<Option<String>, _>(14)? {
            ticket.stored.insert(scan.id, (kind, r.try_get(15)?));
        }
        ticket.scans.push(scan);
        ticket.policy = r.try_get(12)?;
        ticket.revoked_at = r.try_get(13)?;
    }
    Ok(tickets)
}

/// Recomputes each touched ticket's conflicts from its history and writes only the
/// difference, in one statement, made last in the push: the writes touch the door scope's
/// head row, whose lock is then held to the commit.
async fn write_conflicts(
    c: &mut PgConnection,
    tickets: HashMap<(Uuid, u32), TicketState>,
) -> Result<(), StoreError> {
    let mut gone: Vec<Uuid> = Vec::new();
    let (mut ids, mut events, mut serials, mut kinds, mut firsts) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((event_id, serial), ticket) in tickets {
        let history = TicketHistory {
            scans: ticket.scans,
            policy: ticket
                .policy
                .and_then(|p| EntryPolicy::from_key(&p))
                .unwrap_or_default(),
            revoked_at: ticket.revoked_at.map(super::timestamp).transpose()?,
        };
        let (ticket_gone, write) = conflict_changes(&ticket.stored, &conflicts_of(&history));
        gone.extend(ticket_gone);
        for f in write {
            ids.push(f.scan_id);
            events.push(event_id);
            serials.push(serial as i32);
            kinds.push(f.kind.key());
            firsts.push(f.first);
        }
    }
    if gone.is_empty() && ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "WITH gone AS (DELETE FROM door_conflicts WHERE scan_id = ANY($1))
         INSERT INTO door_conflicts (scan_id, event_id, ticket_serial, kind, first_scan_id)
         SELECT * FROM UNNEST($2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::uuid[])
         ON CONFLICT (scan_id) DO UPDATE
             SET kind = excluded.kind, first_scan_id = excluded.first_scan_id",
    )
    .bind(gone)
    .bind(ids)
    .bind(events)
    .bind(serials)
    .bind(kinds)
    .bind(firsts)
    .execute(&mut *c)
    .await?;
    Ok(())
}

#[async_trait]
impl SyncStore for PgStore {
    async fn log_page(
        &self,
        scope: ScopeKey,
        after: &LogPosition,
        limit: u32,
        count: Count,
    ) -> Result<LogPage, StoreError> {
        self.read(async {
            let mut tx = self.pool().begin().await?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
            let head = head(&mut tx, scope).await?;
            let rows = bind_position(
                sqlx::query(AssertSqlSafe(format!(
                    "SELECT l.kind, l.key, l.version, l.deleted FROM sync_log l
                     WHERE l.scope_kind = $1 AND l.subject = $2 AND {}
                       AND ($3 > 0 OR NOT l.deleted)
                     ORDER BY l.version, l.kind, l.key LIMIT $6",
                    after_position(after)
                )))
                .bind(scope.kind.key())
                .bind(scope.subject),
                after,
            )
            .bind(i64::from(limit) + 1)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| {
                LogRow::from_stored(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
            let (rows, has_more) = cut_page(rows, limit);
            let live = if count.counts(has_more) {
                let row = sqlx::query(
                    "SELECT count(*), coalesce(sum(version), 0)::bigint FROM sync_log
                     WHERE scope_kind = $1 AND subject = $2 AND NOT deleted",
                )
                .bind(scope.kind.key())
                .bind(scope.subject)
                .fetch_one(&mut *tx)
                .await?;
                Some(ScopeDigest {
                    count: row.try_get::<i64, _>(0)? as u64,
                    version_sum: row.try_get::<i64, _>(1)? as u64,
                })
            } else {
                None
            };
            let mut data = HashMap::new();
            if let Some(last) = rows.last() {
                page_data(&mut tx, scope, after, last, &mut data).await?;
            }
            tx.commit().await?;
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
            // The usual push continues right after the device's last number: the statement
            // that stores it also checks that (one round trip fewer). Otherwise, or for a
            // device never seen, it changed nothing and the push takes the general way.
            let mut applied = None;
            if let Some(expected) = ops.first().and_then(|op| op.number.checked_sub(1)) {
                let plan = PushPlan::new(&ops, Some(expected));
                if plan.applies_whole()
                    && apply_plan(&mut tx, device_id, user_id, Some(expected), &plan, now).await?
                {
                    applied = Some(plan);
                }
            }
            let plan = match applied {
                Some(plan) => plan,
                None => {
                    // The upsert locks the device's row to the commit: one push of a device
                    // at a time, so its numbers are applied in order.
                    let row = sqlx::query(
                        "INSERT INTO sync_devices (id, user_id, last_number, created_at, last_seen_at)
                         VALUES ($1, $2, 0, to_timestamp($3), to_timestamp($3))
                         ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at
                         RETURNING user_id, last_number",
                    )
                    .bind(device_id)
                    .bind(user_id)
                    .bind(now.as_second())
                    .fetch_one(&mut *tx)
                    .await?;
                    let owner: Uuid = row.try_get(0)?;
                    if owner != user_id {
                        return Ok(Err(PushRefusal::DeviceOfAnotherAccount));
                    }
                    let plan = PushPlan::new(&ops, applied_through(row.try_get(1)?));
                    apply_plan(&mut tx, device_id, user_id, None, &plan, now).await?;
                    plan
                }
            };
            if !plan.touched.is_empty() {
                let tickets = read_touched(&mut tx, &plan.touched).await?;
                write_conflicts(&mut tx, tickets).await?;
            }
            tx.commit().await?;
            Ok(Ok(plan.outcomes))
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
