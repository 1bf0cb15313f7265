//! Analytics in SQLite: reads of the hourly aggregates of migration 0014, and exports.

use super::SqliteStore;
use crate::store::analytics::{
    AnalyticsStore, AttendeeExportRow, CheckinExportRow, CheckinHour, EventFigures, ExportCursor,
    ExportKind, ExportPage, FunnelTotals, OrderExportRow, OrgEventFigures, OrgFigures, OrgRevenue,
    PageViews, PlatformFigures, SalesTotals, TypeCapacity, merge_hours,
};
use crate::store::rows::{event_status, timestamp};
use crate::store::{SignupMethod, StoreError};
use async_trait::async_trait;
use hafla_core::Bilingual;
use hafla_core::wire::OrderStatus;
use rusqlite::{Connection, Row, params};
use uuid::Uuid;

const TOTALS: &str = "coalesce(sum(sold), 0), coalesce(sum(revenue_minor), 0),
    coalesce(sum(refunded), 0), coalesce(sum(refund_minor), 0)";

/// Reads the four [`TOTALS`] columns starting at `at`.
fn totals(row: &Row<'_>, at: usize) -> rusqlite::Result<SalesTotals> {
    Ok(SalesTotals {
        sold: row.get::<_, i64>(at)? as u64,
        revenue_minor: row.get(at + 1)?,
        refunded: row.get::<_, i64>(at + 2)? as u64,
        refund_minor: row.get(at + 3)?,
    })
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {value:?}"))
}

/// Sales by hour of the events `filter` selects (`?1` is `subject`) in [`from`, `to`).
fn sales_hours(
    c: &Connection,
    filter: &str,
    subject: Uuid,
    from: i64,
    to: i64,
) -> Result<Vec<crate::store::analytics::SalesHour>, StoreError> {
    let hours: Vec<(i64, SalesTotals)> = c
        .prepare_cached(&format!(
            "SELECT hour_utc, {TOTALS} FROM analytics_sales_hourly
             WHERE {filter} AND hour_utc >= ?2 AND hour_utc < ?3
             GROUP BY hour_utc ORDER BY hour_utc"
        ))?
        .query_map(params![subject, from, to], |row| {
            Ok((row.get(0)?, totals(row, 1)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(merge_hours(
        hours
            .into_iter()
            .map(|(h, t)| Ok((timestamp(h)?, t)))
            .collect::<Result<Vec<_>, StoreError>>()?,
    ))
}

fn event_figures(
    c: &Connection,
    event_id: Uuid,
    from: i64,
    to: i64,
) -> Result<EventFigures, StoreError> {
    let mut figures = EventFigures {
        sales_hours: sales_hours(c, "event_id = ?1", event_id, from, to)?,
        ..EventFigures::default()
    };
    figures.by_ticket_type = c
        .prepare_cached(&format!(
            "SELECT ticket_type_id, {TOTALS} FROM analytics_sales_hourly
             WHERE event_id = ?1 AND ticket_type_id <> zeroblob(16)
             GROUP BY ticket_type_id"
        ))?
        .query_map([event_id], |row| Ok((row.get(0)?, totals(row, 1)?)))?
        .collect::<Result<_, _>>()?;
    figures.by_payment_method = c
        .prepare_cached(&format!(
            "SELECT payment_method, {TOTALS} FROM analytics_sales_hourly
             WHERE event_id = ?1 GROUP BY payment_method ORDER BY payment_method"
        ))?
        .query_map([event_id], |row| Ok((row.get(0)?, totals(row, 1)?)))?
        .collect::<Result<_, _>>()?;
    let checkins: Vec<(i64, String, String, i64)> = c
        .prepare_cached(
            "SELECT hour_utc, gate, direction, sum(scans) FROM analytics_checkins_hourly
             WHERE event_id = ?1 AND hour_utc >= ?2 AND hour_utc < ?3
             GROUP BY hour_utc, gate, direction ORDER BY hour_utc, gate, direction",
        )?
        .query_map(params![event_id, from, to], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    for (hour, gate, direction, scans) in checkins {
        figures.checkin_hours.push(CheckinHour {
            hour: timestamp(hour)?,
            gate,
            direction,
            scans: scans as u64,
        });
    }
    figures.checkin_totals = c
        .prepare_cached(
            "SELECT gate, direction, sum(scans) FROM analytics_checkins_hourly
             WHERE event_id = ?1 GROUP BY gate, direction ORDER BY gate, direction",
        )?
        .query_map([event_id], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get::<_, i64>(2)? as u64))
        })?
        .collect::<Result<_, _>>()?;
    figures.funnel = c.query_row(
        "SELECT coalesce(sum(views), 0), coalesce(sum(checkouts), 0), coalesce(sum(paid), 0)
         FROM analytics_funnel_hourly WHERE event_id = ?1",
        [event_id],
        |row| {
            Ok(FunnelTotals {
                views: row.get::<_, i64>(0)? as u64,
                checkouts: row.get::<_, i64>(1)? as u64,
                paid: row.get::<_, i64>(2)? as u64,
            })
        },
    )?;
    figures.admitted_valid = c.query_row(
        "SELECT count(*) FROM analytics_admissions WHERE event_id = ?1 AND valid = 1",
        [event_id],
        |row| row.get::<_, i64>(0),
    )? as u64;
    figures.ticket_types = c
        .prepare_cached(
            "SELECT id, name_ar, name_en, capacity, held FROM ticket_types
             WHERE event_id = ?1 ORDER BY position",
        )?
        .query_map([event_id], |row| {
            Ok(TypeCapacity {
                id: row.get(0)?,
                name: Bilingual {
                    ar: row.get(1)?,
                    en: row.get(2)?,
                },
                capacity: row.get(3)?,
                held: row.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    (figures.event_capacity, figures.event_held) = c.query_row(
        "SELECT capacity, held FROM events WHERE id = ?1",
        [event_id],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    Ok(figures)
}

fn organization_figures(
    c: &Connection,
    organization_id: Uuid,
    from: i64,
    to: i64,
) -> Result<OrgFigures, StoreError> {
    type EventRow = (Uuid, String, String, String, i64, i64, SalesTotals, i64);
    let rows: Vec<EventRow> = c
        .prepare_cached(
            "SELECT e.id, e.title_ar, e.title_en, e.status, e.starts_at, e.ends_at,
                    s.sold, s.revenue_minor, s.refunded, s.refund_minor,
                    coalesce((SELECT sum(scans) FROM analytics_checkins_hourly k
                              WHERE k.event_id = e.id AND k.direction = 'in'), 0)
             FROM events e
             LEFT JOIN (SELECT event_id, coalesce(sum(sold), 0) AS sold,
                               coalesce(sum(revenue_minor), 0) AS revenue_minor,
                               coalesce(sum(refunded), 0) AS refunded,
                               coalesce(sum(refund_minor), 0) AS refund_minor
                        FROM analytics_sales_hourly
                        WHERE event_id IN (SELECT id FROM events WHERE organization_id = ?1)
                        GROUP BY event_id) s ON s.event_id = e.id
             WHERE e.organization_id = ?1
             ORDER BY e.starts_at, e.id",
        )?
        .query_map([organization_id], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                SalesTotals {
                    sold: row.get::<_, Option<i64>>(6)?.unwrap_or(0) as u64,
                    revenue_minor: row.get::<_, Option<i64>>(7)?.unwrap_or(0),
                    refunded: row.get::<_, Option<i64>>(8)?.unwrap_or(0) as u64,
                    refund_minor: row.get::<_, Option<i64>>(9)?.unwrap_or(0),
                },
                row.get(10)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut figures = OrgFigures::default();
    for (event_id, ar, en, status, starts, ends, totals, entries) in rows {
        figures.events.push(OrgEventFigures {
            event_id,
            title: Bilingual { ar, en },
            status: event_status(&status)?,
            starts_at: timestamp(starts)?,
            ends_at: timestamp(ends)?,
            totals,
            entries: entries as u64,
        });
    }
    figures.sales_hours = sales_hours(
        c,
        "event_id IN (SELECT id FROM events WHERE organization_id = ?1)",
        organization_id,
        from,
        to,
    )?;
    Ok(figures)
}

fn platform_figures(c: &Connection) -> Result<PlatformFigures, StoreError> {
    let mut figures = PlatformFigures::default();
    let signups: Vec<(String, i64)> = c
        .prepare_cached("SELECT signup_method, count(*) FROM users GROUP BY 1 ORDER BY 1")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (method, count) in signups {
        let method = SignupMethod::from_key(&method).ok_or_else(|| corrupt("method", &method))?;
        figures.users += count as u64;
        figures.signups.push((method, count as u64));
    }
    figures.organizations = c.query_row("SELECT count(*) FROM organizations", [], |row| {
        row.get::<_, i64>(0)
    })? as u64;
    let statuses: Vec<(String, i64)> = c
        .prepare_cached("SELECT status, count(*) FROM events GROUP BY 1 ORDER BY 1")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (status, count) in statuses {
        figures
            .events_by_status
            .push((event_status(&status)?, count as u64));
    }
    let orgs: Vec<(Uuid, String, String, SalesTotals)> = c
        .prepare_cached(&format!(
            "SELECT o.id, o.name_ar, o.name_en, {TOTALS}
             FROM analytics_sales_hourly s
             JOIN events e ON e.id = s.event_id
             JOIN organizations o ON o.id = e.organization_id
             GROUP BY o.id ORDER BY 5 DESC, o.id"
        ))?
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, totals(row, 3)?))
        })?
        .collect::<Result<_, _>>()?;
    for (organization_id, ar, en, totals) in orgs {
        figures.totals.add(totals);
        figures.revenue_by_organization.push(OrgRevenue {
            organization_id,
            name: Bilingual { ar, en },
            totals,
        });
    }
    let (backlog, oldest): (i64, Option<i64>) = c.query_row(
        "SELECT count(*), min(submitted_at) FROM events WHERE status = 'pending_review'",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    figures.review_backlog = backlog as u64;
    figures.oldest_submitted_at = oldest.map(timestamp).transpose()?;
    Ok(figures)
}

fn export_page(
    c: &Connection,
    event_id: Uuid,
    kind: ExportKind,
    cursor: ExportCursor,
    limit: u32,
) -> Result<ExportPage, StoreError> {
    match kind {
        ExportKind::Orders => {
            let after = cursor.after_order()?;
            type Raw = (Uuid, String, i64, String, Option<String>, i64, i64, String);
            type Person = (String, Option<String>, Option<String>);
            let rows: Vec<(Raw, Person)> = c
                .prepare_cached(
                    "SELECT o.id, o.reference, o.created_at, o.status, o.payment_method,
                            (SELECT coalesce(sum(quantity), 0) FROM order_lines l
                             WHERE l.order_id = o.id),
                            o.total_minor, o.currency, u.display_name, u.email, u.phone
                     FROM orders o JOIN users u ON u.id = o.buyer_id
                     WHERE o.event_id = ?1 AND o.id > ?2
                     ORDER BY o.id LIMIT ?3",
                )?
                .query_map(params![event_id, after, limit], |row| {
                    Ok((
                        (
                            row.get(0)?,
                            row.get(1)?,
                            row.get(2)?,
                            row.get(3)?,
                            row.get(4)?,
                            row.get(5)?,
                            row.get(6)?,
                            row.get(7)?,
                        ),
                        (row.get(8)?, row.get(9)?, row.get(10)?),
                    ))
                })?
                .collect::<Result<_, _>>()?;
            let mut out = Vec::with_capacity(rows.len());
            for ((id, reference, created, status, method, tickets, total, currency), person) in rows
            {
                out.push(OrderExportRow {
                    id,
                    reference,
                    created_at: timestamp(created)?,
                    status: OrderStatus::from_key(&status)
                        .ok_or_else(|| corrupt("order status", &status))?,
                    payment_method: method,
                    tickets: tickets as u32,
                    total_minor: total,
                    currency,
                    buyer_name: person.0,
                    buyer_email: person.1,
                    buyer_phone: person.2,
                });
            }
            Ok(ExportPage::Orders(out))
        }
        ExportKind::Attendees => {
            let after = cursor.after_serial()?;
            let rows = c
                .prepare_cached(
                    "SELECT t.serial, tt.name_ar, tt.name_en, u.display_name, u.email, u.phone,
                            t.status = 'valid', o.reference,
                            EXISTS (SELECT 1 FROM analytics_admissions a
                                    WHERE a.event_id = t.event_id AND a.ticket_serial = t.serial)
                     FROM tickets t
                     JOIN ticket_types tt ON tt.id = t.ticket_type_id
                     JOIN users u ON u.id = t.holder_id
                     JOIN orders o ON o.id = t.order_id
                     WHERE t.event_id = ?1 AND t.serial > ?2
                     ORDER BY t.serial LIMIT ?3",
                )?
                .query_map(params![event_id, after, limit], |row| {
                    Ok(AttendeeExportRow {
                        serial: row.get(0)?,
                        ticket_type: Bilingual {
                            ar: row.get(1)?,
                            en: row.get(2)?,
                        },
                        holder_name: row.get(3)?,
                        holder_email: row.get(4)?,
                        holder_phone: row.get(5)?,
                        valid: row.get(6)?,
                        order_reference: row.get(7)?,
                        admitted: row.get(8)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(ExportPage::Attendees(rows))
        }
        ExportKind::Checkins => {
            let (device, seq) = cursor.after_scan()?;
            type Raw = (Uuid, i64, i64, String, String, String, Option<u32>);
            let rows: Vec<(Raw, Option<(String, String)>)> = c
                .prepare_cached(
                    "SELECT s.device_id, s.seq, s.device_time_ms, s.gate, s.direction, s.effect,
                            s.ticket_serial, tt.name_ar, tt.name_en
                     FROM door_scans s
                     LEFT JOIN ticket_types tt ON tt.event_id = s.event_id
                                              AND tt.position = s.ticket_type
                     WHERE s.event_id = ?1 AND (s.device_id, s.seq) > (?2, ?3)
                     ORDER BY s.device_id, s.seq LIMIT ?4",
                )?
                .query_map(params![event_id, device, seq as i64, limit], |row| {
                    let name = match (row.get::<_, Option<String>>(7)?, row.get(8)?) {
                        (Some(ar), Some(en)) => Some((ar, en)),
                        _ => None,
                    };
                    Ok((
                        (
                            row.get(0)?,
                            row.get(1)?,
                            row.get(2)?,
                            row.get(3)?,
                            row.get(4)?,
                            row.get(5)?,
                            row.get(6)?,
                        ),
                        name,
                    ))
                })?
                .collect::<Result<_, _>>()?;
            let mut out = Vec::with_capacity(rows.len());
            for ((device_id, seq, ms, gate, direction, effect, serial), name) in rows {
                out.push(CheckinExportRow {
                    device_id,
                    seq: seq as u64,
                    at: jiff::Timestamp::from_millisecond(ms)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    gate,
                    direction,
                    effect,
                    ticket_serial: serial,
                    ticket_type: name.map(|(ar, en)| Bilingual { ar, en }),
                });
            }
            Ok(ExportPage::Checkins(out))
        }
    }
}

#[async_trait]
impl AnalyticsStore for SqliteStore {
    async fn event_figures(
        &self,
        event_id: Uuid,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<EventFigures, StoreError> {
        self.read(move |c| {
            // One snapshot, so the totals and the series agree.
            let tx = c.unchecked_transaction()?;
            let figures = event_figures(&tx, event_id, from.as_second(), to.as_second())?;
            tx.commit()?;
            Ok(figures)
        })
        .await
    }

    async fn organization_figures(
        &self,
        organization_id: Uuid,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<OrgFigures, StoreError> {
        self.read(move |c| {
            organization_figures(c, organization_id, from.as_second(), to.as_second())
        })
        .await
    }

    async fn platform_figures(&self) -> Result<PlatformFigures, StoreError> {
        self.read(platform_figures).await
    }

    async fn add_page_views(&self, views: Vec<PageViews>) -> Result<(), StoreError> {
        if views.is_empty() {
            return Ok(());
        }
        self.write(move |tx| {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO analytics_funnel_hourly (event_id, hour_utc, views)
                 VALUES (?1, ?2, ?3)
                 ON CONFLICT (event_id, hour_utc) DO UPDATE SET views = views + excluded.views",
            )?;
            for v in views {
                let hour = v.hour.as_second();
                stmt.execute(params![
                    v.event_id,
                    hour - hour.rem_euclid(3600),
                    v.views as i64
                ])?;
            }
            Ok(())
        })
        .await
    }

    async fn export_page(
        &self,
        event_id: Uuid,
        kind: ExportKind,
        cursor: ExportCursor,
        limit: u32,
    ) -> Result<ExportPage, StoreError> {
        self.read(move |c| export_page(c, event_id, kind, cursor, limit))
            .await
    }
}
