//! Analytics in PostgreSQL: reads of the hourly aggregates of migration 0014, and exports.
//! Sums are cast back to `bigint` (PostgreSQL sums `bigint` as `numeric`).

use super::PgStore;
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
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection, Row};
use uuid::Uuid;

const TOTALS: &str = "coalesce(sum(sold), 0)::bigint, coalesce(sum(revenue_minor), 0)::bigint,
    coalesce(sum(refunded), 0)::bigint, coalesce(sum(refund_minor), 0)::bigint";

/// Reads the four [`TOTALS`] columns starting at `at`.
fn totals(row: &PgRow, at: usize) -> Result<SalesTotals, StoreError> {
    Ok(SalesTotals {
        sold: row.try_get::<i64, _>(at)? as u64,
        revenue_minor: row.try_get(at + 1)?,
        refunded: row.try_get::<i64, _>(at + 2)? as u64,
        refund_minor: row.try_get(at + 3)?,
    })
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {value:?}"))
}

async fn sales_hours(
    c: &mut PgConnection,
    filter: &str,
    subject: Uuid,
    from: i64,
    to: i64,
) -> Result<Vec<crate::store::analytics::SalesHour>, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT extract(epoch from hour_utc)::bigint, {TOTALS} FROM analytics_sales_hourly
         WHERE {filter} AND hour_utc >= to_timestamp($2) AND hour_utc < to_timestamp($3)
         GROUP BY hour_utc ORDER BY hour_utc"
    )))
    .bind(subject)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *c)
    .await?;
    let mut hours = Vec::with_capacity(rows.len());
    for row in &rows {
        hours.push((timestamp(row.try_get(0)?)?, totals(row, 1)?));
    }
    Ok(merge_hours(hours))
}

async fn event_figures(
    c: &mut PgConnection,
    event_id: Uuid,
    from: i64,
    to: i64,
) -> Result<EventFigures, StoreError> {
    let mut figures = EventFigures {
        sales_hours: sales_hours(c, "event_id = $1", event_id, from, to).await?,
        ..EventFigures::default()
    };
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT ticket_type_id, {TOTALS} FROM analytics_sales_hourly
         WHERE event_id = $1 AND ticket_type_id <> '00000000-0000-0000-0000-000000000000'
         GROUP BY ticket_type_id"
    )))
    .bind(event_id)
    .fetch_all(&mut *c)
    .await?;
    for row in &rows {
        figures
            .by_ticket_type
            .push((row.try_get(0)?, totals(row, 1)?));
    }
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT payment_method, {TOTALS} FROM analytics_sales_hourly
         WHERE event_id = $1 GROUP BY payment_method ORDER BY payment_method"
    )))
    .bind(event_id)
    .fetch_all(&mut *c)
    .await?;
    for row in &rows {
        figures
            .by_payment_method
            .push((row.try_get(0)?, totals(row, 1)?));
    }
    let rows = sqlx::query(
        "SELECT extract(epoch from hour_utc)::bigint, gate, direction, sum(scans)::bigint
         FROM analytics_checkins_hourly
         WHERE event_id = $1 AND hour_utc >= to_timestamp($2) AND hour_utc < to_timestamp($3)
         GROUP BY hour_utc, gate, direction ORDER BY hour_utc, gate, direction",
    )
    .bind(event_id)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *c)
    .await?;
    for row in &rows {
        figures.checkin_hours.push(CheckinHour {
            hour: timestamp(row.try_get(0)?)?,
            gate: row.try_get(1)?,
            direction: row.try_get(2)?,
            scans: row.try_get::<i64, _>(3)? as u64,
        });
    }
    let rows = sqlx::query(
        "SELECT gate, direction, sum(scans)::bigint FROM analytics_checkins_hourly
         WHERE event_id = $1 GROUP BY gate, direction ORDER BY gate, direction",
    )
    .bind(event_id)
    .fetch_all(&mut *c)
    .await?;
    for row in &rows {
        figures.checkin_totals.push((
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get::<i64, _>(2)? as u64,
        ));
    }
    let row = sqlx::query(
        "SELECT coalesce(sum(views), 0)::bigint, coalesce(sum(checkouts), 0)::bigint,
                coalesce(sum(paid), 0)::bigint
         FROM analytics_funnel_hourly WHERE event_id = $1",
    )
    .bind(event_id)
    .fetch_one(&mut *c)
    .await?;
    figures.funnel = FunnelTotals {
        views: row.try_get::<i64, _>(0)? as u64,
        checkouts: row.try_get::<i64, _>(1)? as u64,
        paid: row.try_get::<i64, _>(2)? as u64,
    };
    let admitted: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM analytics_admissions WHERE event_id = $1 AND valid",
    )
    .bind(event_id)
    .fetch_one(&mut *c)
    .await?;
    figures.admitted_valid = admitted as u64;
    let rows = sqlx::query(
        "SELECT id, name_ar, name_en, capacity, held FROM ticket_types
         WHERE event_id = $1 ORDER BY position",
    )
    .bind(event_id)
    .fetch_all(&mut *c)
    .await?;
    for row in &rows {
        figures.ticket_types.push(TypeCapacity {
            id: row.try_get(0)?,
            name: Bilingual {
                ar: row.try_get(1)?,
                en: row.try_get(2)?,
            },
            capacity: row.try_get::<i32, _>(3)? as u32,
            held: row.try_get::<i32, _>(4)? as u32,
        });
    }
    let row = sqlx::query("SELECT capacity, held FROM events WHERE id = $1")
        .bind(event_id)
        .fetch_one(&mut *c)
        .await?;
    figures.event_capacity = row.try_get::<Option<i32>, _>(0)?.map(|v| v as u32);
    figures.event_held = row.try_get::<i32, _>(1)? as u32;
    Ok(figures)
}

async fn organization_figures(
    c: &mut PgConnection,
    organization_id: Uuid,
    from: i64,
    to: i64,
) -> Result<OrgFigures, StoreError> {
    let rows = sqlx::query(
        "SELECT e.id, e.title_ar, e.title_en, e.status,
                extract(epoch from e.starts_at)::bigint, extract(epoch from e.ends_at)::bigint,
                coalesce(s.sold, 0)::bigint, coalesce(s.revenue_minor, 0)::bigint,
                coalesce(s.refunded, 0)::bigint, coalesce(s.refund_minor, 0)::bigint,
                coalesce((SELECT sum(scans) FROM analytics_checkins_hourly k
                          WHERE k.event_id = e.id AND k.direction = 'in'), 0)::bigint
         FROM events e
         LEFT JOIN (SELECT event_id, sum(sold) AS sold, sum(revenue_minor) AS revenue_minor,
                           sum(refunded) AS refunded, sum(refund_minor) AS refund_minor
                    FROM analytics_sales_hourly
                    WHERE event_id IN (SELECT id FROM events WHERE organization_id = $1)
                    GROUP BY event_id) s ON s.event_id = e.id
         WHERE e.organization_id = $1
         ORDER BY e.starts_at, e.id",
    )
    .bind(organization_id)
    .fetch_all(&mut *c)
    .await?;
    let mut figures = OrgFigures::default();
    for row in &rows {
        let status: String = row.try_get(3)?;
        figures.events.push(OrgEventFigures {
            event_id: row.try_get(0)?,
            title: Bilingual {
                ar: row.try_get(1)?,
                en: row.try_get(2)?,
            },
            status: event_status(&status)?,
            starts_at: timestamp(row.try_get(4)?)?,
            ends_at: timestamp(row.try_get(5)?)?,
            totals: totals(row, 6)?,
            entries: row.try_get::<i64, _>(10)? as u64,
        });
    }
    figures.sales_hours = sales_hours(
        c,
        "event_id IN (SELECT id FROM events WHERE organization_id = $1)",
        organization_id,
        from,
        to,
    )
    .await?;
    Ok(figures)
}

async fn platform_figures(c: &mut PgConnection) -> Result<PlatformFigures, StoreError> {
    let mut figures = PlatformFigures::default();
    let rows = sqlx::query("SELECT signup_method, count(*) FROM users GROUP BY 1 ORDER BY 1")
        .fetch_all(&mut *c)
        .await?;
    for row in &rows {
        let method: String = row.try_get(0)?;
        let count = row.try_get::<i64, _>(1)? as u64;
        let method = SignupMethod::from_key(&method).ok_or_else(|| corrupt("method", &method))?;
        figures.users += count;
        figures.signups.push((method, count));
    }
    let organizations: i64 = sqlx::query_scalar("SELECT count(*) FROM organizations")
        .fetch_one(&mut *c)
        .await?;
    figures.organizations = organizations as u64;
    let rows = sqlx::query("SELECT status, count(*) FROM events GROUP BY 1 ORDER BY 1")
        .fetch_all(&mut *c)
        .await?;
    for row in &rows {
        let status: String = row.try_get(0)?;
        figures
            .events_by_status
            .push((event_status(&status)?, row.try_get::<i64, _>(1)? as u64));
    }
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT o.id, o.name_ar, o.name_en, {TOTALS}
         FROM analytics_sales_hourly s
         JOIN events e ON e.id = s.event_id
         JOIN organizations o ON o.id = e.organization_id
         GROUP BY o.id ORDER BY 5 DESC, o.id"
    )))
    .fetch_all(&mut *c)
    .await?;
    for row in &rows {
        let totals = totals(row, 3)?;
        figures.totals.add(totals);
        figures.revenue_by_organization.push(OrgRevenue {
            organization_id: row.try_get(0)?,
            name: Bilingual {
                ar: row.try_get(1)?,
                en: row.try_get(2)?,
            },
            totals,
        });
    }
    let row = sqlx::query(
        "SELECT count(*), extract(epoch from min(submitted_at))::bigint
         FROM events WHERE status = 'pending_review'",
    )
    .fetch_one(&mut *c)
    .await?;
    figures.review_backlog = row.try_get::<i64, _>(0)? as u64;
    figures.oldest_submitted_at = row
        .try_get::<Option<i64>, _>(1)?
        .map(timestamp)
        .transpose()?;
    Ok(figures)
}

async fn export_page(
    c: &mut PgConnection,
    event_id: Uuid,
    kind: ExportKind,
    cursor: ExportCursor,
    limit: u32,
) -> Result<ExportPage, StoreError> {
    match kind {
        ExportKind::Orders => {
            let after = cursor.after_order()?;
            let rows = sqlx::query(
                "SELECT o.id, o.reference, extract(epoch from o.created_at)::bigint, o.status,
                        o.payment_method,
                        (SELECT coalesce(sum(quantity), 0)::bigint FROM order_lines l
                         WHERE l.order_id = o.id),
                        o.total_minor, o.currency, u.display_name, u.email, u.phone
                 FROM orders o JOIN users u ON u.id = o.buyer_id
                 WHERE o.event_id = $1 AND o.id > $2
                 ORDER BY o.id LIMIT $3",
            )
            .bind(event_id)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&mut *c)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let status: String = row.try_get(3)?;
                out.push(OrderExportRow {
                    id: row.try_get(0)?,
                    reference: row.try_get(1)?,
                    created_at: timestamp(row.try_get(2)?)?,
                    status: OrderStatus::from_key(&status)
                        .ok_or_else(|| corrupt("order status", &status))?,
                    payment_method: row.try_get(4)?,
                    tickets: row.try_get::<i64, _>(5)? as u32,
                    total_minor: row.try_get(6)?,
                    currency: row.try_get(7)?,
                    buyer_name: row.try_get(8)?,
                    buyer_email: row.try_get(9)?,
                    buyer_phone: row.try_get(10)?,
                });
            }
            Ok(ExportPage::Orders(out))
        }
        ExportKind::Attendees => {
            let after = cursor.after_serial()?;
            let rows = sqlx::query(
                "SELECT t.serial, tt.name_ar, tt.name_en, u.display_name, u.email, u.phone,
                        t.status = 'valid', o.reference,
                        EXISTS (SELECT 1 FROM analytics_admissions a
                                WHERE a.event_id = t.event_id AND a.ticket_serial = t.serial)
                 FROM tickets t
                 JOIN ticket_types tt ON tt.id = t.ticket_type_id
                 JOIN users u ON u.id = t.holder_id
                 JOIN orders o ON o.id = t.order_id
                 WHERE t.event_id = $1 AND t.serial > $2
                 ORDER BY t.serial LIMIT $3",
            )
            .bind(event_id)
            .bind(after as i32)
            .bind(i64::from(limit))
            .fetch_all(&mut *c)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(AttendeeExportRow {
                    serial: row.try_get::<i32, _>(0)? as u32,
                    ticket_type: Bilingual {
                        ar: row.try_get(1)?,
                        en: row.try_get(2)?,
                    },
                    holder_name: row.try_get(3)?,
                    holder_email: row.try_get(4)?,
                    holder_phone: row.try_get(5)?,
                    valid: row.try_get(6)?,
                    order_reference: row.try_get(7)?,
                    admitted: row.try_get(8)?,
                });
            }
            Ok(ExportPage::Attendees(out))
        }
        ExportKind::Checkins => {
            let (device, seq) = cursor.after_scan()?;
            let rows = sqlx::query(
                "SELECT s.device_id, s.seq, s.device_time_ms, s.gate, s.direction, s.effect,
                        s.ticket_serial, tt.name_ar, tt.name_en
                 FROM door_scans s
                 LEFT JOIN ticket_types tt ON tt.event_id = s.event_id
                                          AND tt.position = s.ticket_type
                 WHERE s.event_id = $1 AND (s.device_id, s.seq) > ($2, $3)
                 ORDER BY s.device_id, s.seq LIMIT $4",
            )
            .bind(event_id)
            .bind(device)
            .bind(seq as i64)
            .bind(i64::from(limit))
            .fetch_all(&mut *c)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let name = match (
                    row.try_get::<Option<String>, _>(7)?,
                    row.try_get::<Option<String>, _>(8)?,
                ) {
                    (Some(ar), Some(en)) => Some(Bilingual { ar, en }),
                    _ => None,
                };
                out.push(CheckinExportRow {
                    device_id: row.try_get(0)?,
                    seq: row.try_get::<i64, _>(1)? as u64,
                    at: jiff::Timestamp::from_millisecond(row.try_get(2)?)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    gate: row.try_get(3)?,
                    direction: row.try_get(4)?,
                    effect: row.try_get(5)?,
                    ticket_serial: row.try_get::<Option<i32>, _>(6)?.map(|s| s as u32),
                    ticket_type: name,
                });
            }
            Ok(ExportPage::Checkins(out))
        }
    }
}

#[async_trait]
impl AnalyticsStore for PgStore {
    async fn event_figures(
        &self,
        event_id: Uuid,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<EventFigures, StoreError> {
        self.read(async {
            // One snapshot, so the totals and the series agree.
            let mut tx = self.pool().begin().await?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut *tx)
                .await?;
            let figures =
                event_figures(&mut tx, event_id, from.as_second(), to.as_second()).await?;
            tx.commit().await?;
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
        self.read(async {
            let mut c = self.pool().acquire().await?;
            organization_figures(&mut c, organization_id, from.as_second(), to.as_second()).await
        })
        .await
    }

    async fn platform_figures(&self) -> Result<PlatformFigures, StoreError> {
        self.read(async {
            let mut c = self.pool().acquire().await?;
            platform_figures(&mut c).await
        })
        .await
    }

    async fn add_page_views(&self, views: Vec<PageViews>) -> Result<(), StoreError> {
        if views.is_empty() {
            return Ok(());
        }
        self.write(async {
            let mut tx = self.pool().begin().await?;
            // In a fixed order, so two instances flushing at once never deadlock.
            let mut views = views;
            views.sort_by_key(|v| (v.event_id, v.hour));
            for v in views {
                let hour = v.hour.as_second();
                sqlx::query(
                    "INSERT INTO analytics_funnel_hourly AS f (event_id, hour_utc, views)
                     VALUES ($1, to_timestamp($2), $3)
                     ON CONFLICT (event_id, hour_utc) DO UPDATE SET views = f.views + excluded.views",
                )
                .bind(v.event_id)
                .bind(hour - hour.rem_euclid(3600))
                .bind(v.views as i64)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
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
        self.read(async {
            let mut c = self.pool().acquire().await?;
            export_page(&mut c, event_id, kind, cursor, limit).await
        })
        .await
    }
}
