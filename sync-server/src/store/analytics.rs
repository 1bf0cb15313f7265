//! Figures for organizers and admins, read from the hourly aggregates that migration 0014
//! keeps with triggers (sales, refunds, check-ins, the discovery funnel), so a dashboard
//! never scans an event's tickets or scans. Both backends return the same shapes; what
//! buckets into days in which zone is the API's business (`api::analytics`).
//!
//! Exports are read in keyset pages so a 100,000-row CSV is streamed with bounded memory.

use super::{SignupMethod, StoreError};
use async_trait::async_trait;
use hafla_core::Bilingual;
use hafla_core::wire::{EventStatus, OrderStatus};
use uuid::Uuid;

/// Most rows one export page reads.
pub const EXPORT_PAGE: u32 = 1000;

/// Money and tickets of a set of hourly sales rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SalesTotals {
    /// Tickets of orders that became paid.
    pub sold: u64,
    /// What those orders cost, in minor units.
    pub revenue_minor: i64,
    /// Tickets revoked by a refund or a cancellation.
    pub refunded: u64,
    /// Money given back, in minor units.
    pub refund_minor: i64,
}

impl SalesTotals {
    pub fn add(&mut self, other: SalesTotals) {
        self.sold += other.sold;
        self.revenue_minor += other.revenue_minor;
        self.refunded += other.refunded;
        self.refund_minor += other.refund_minor;
    }
}

/// Sales of one UTC hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SalesHour {
    pub hour: jiff::Timestamp,
    pub totals: SalesTotals,
}

/// Admissions and exits at one gate in one UTC hour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckinHour {
    pub hour: jiff::Timestamp,
    pub gate: String,
    /// `in` or `out`.
    pub direction: String,
    pub scans: u64,
}

/// The discovery funnel's counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FunnelTotals {
    pub views: u64,
    pub checkouts: u64,
    pub paid: u64,
}

/// A ticket type's capacity and what is held of it (reserved by live orders, or sold).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeCapacity {
    pub id: Uuid,
    pub name: Bilingual,
    pub capacity: u32,
    pub held: u32,
}

/// Everything an event's dashboard shows, as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFigures {
    /// Sales per hour in the asked range, hours without sales left out, oldest first.
    pub sales_hours: Vec<SalesHour>,
    /// All-time sales by ticket type (refund money is per order, so it is not here).
    pub by_ticket_type: Vec<(Uuid, SalesTotals)>,
    /// All-time sales by payment method ('' when none was recorded).
    pub by_payment_method: Vec<(String, SalesTotals)>,
    /// Check-ins per hour, gate and direction in the asked range, oldest first.
    pub checkin_hours: Vec<CheckinHour>,
    /// All-time check-ins by gate and direction.
    pub checkin_totals: Vec<(String, String, u64)>,
    pub funnel: FunnelTotals,
    /// Tickets still valid that were admitted at least once.
    pub admitted_valid: u64,
    pub ticket_types: Vec<TypeCapacity>,
    /// The event's own capacity; `None`: the ticket types' sum.
    pub event_capacity: Option<u32>,
    pub event_held: u32,
}

/// One event of an organization with its all-time figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgEventFigures {
    pub event_id: Uuid,
    pub title: Bilingual,
    pub status: EventStatus,
    pub starts_at: jiff::Timestamp,
    pub ends_at: jiff::Timestamp,
    pub totals: SalesTotals,
    /// Scans that let someone in.
    pub entries: u64,
}

/// An organization's dashboard, as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgFigures {
    pub events: Vec<OrgEventFigures>,
    /// Sales of all its events per hour in the asked range, oldest first.
    pub sales_hours: Vec<SalesHour>,
}

/// An organization's all-time sales, for the platform view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgRevenue {
    pub organization_id: Uuid,
    pub name: Bilingual,
    pub totals: SalesTotals,
}

/// The platform's figures, for admins.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlatformFigures {
    pub users: u64,
    pub signups: Vec<(SignupMethod, u64)>,
    pub organizations: u64,
    pub events_by_status: Vec<(EventStatus, u64)>,
    pub totals: SalesTotals,
    /// By revenue, largest first.
    pub revenue_by_organization: Vec<OrgRevenue>,
    /// Events waiting for review, and since when the oldest has.
    pub review_backlog: u64,
    pub oldest_submitted_at: Option<jiff::Timestamp>,
}

/// Page views of one event in one UTC hour, as counted in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageViews {
    pub event_id: Uuid,
    pub hour: jiff::Timestamp,
    pub views: u64,
}

/// One order, as the orders export lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderExportRow {
    pub id: Uuid,
    pub reference: String,
    pub created_at: jiff::Timestamp,
    pub status: OrderStatus,
    pub payment_method: Option<String>,
    pub tickets: u32,
    pub total_minor: i64,
    pub currency: String,
    pub buyer_name: String,
    pub buyer_email: Option<String>,
    pub buyer_phone: Option<String>,
}

/// One ticket, as the attendees export lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttendeeExportRow {
    pub serial: u32,
    pub ticket_type: Bilingual,
    pub holder_name: String,
    pub holder_email: Option<String>,
    pub holder_phone: Option<String>,
    pub valid: bool,
    pub order_reference: String,
    pub admitted: bool,
}

/// One door scan, as the check-ins export lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckinExportRow {
    pub device_id: Uuid,
    pub seq: u64,
    pub at: jiff::Timestamp,
    pub gate: String,
    pub direction: String,
    /// `entered`, `exited` or `refused`.
    pub effect: String,
    pub ticket_serial: Option<u32>,
    pub ticket_type: Option<Bilingual>,
}

/// Where the next page of an export starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportCursor {
    Start,
    Order(Uuid),
    Serial(u32),
    Scan(Uuid, u64),
}

impl ExportCursor {
    /// The last order sent in an orders export (the nil id at the start).
    pub(crate) fn after_order(self) -> Result<Uuid, StoreError> {
        match self {
            ExportCursor::Start => Ok(Uuid::nil()),
            ExportCursor::Order(id) => Ok(id),
            _ => Err(not_this_export()),
        }
    }

    /// The last ticket serial sent in an attendees export (0 at the start).
    pub(crate) fn after_serial(self) -> Result<u32, StoreError> {
        match self {
            ExportCursor::Start => Ok(0),
            ExportCursor::Serial(serial) => Ok(serial),
            _ => Err(not_this_export()),
        }
    }

    /// The last scan (device, log position) sent in a check-ins export.
    pub(crate) fn after_scan(self) -> Result<(Uuid, u64), StoreError> {
        match self {
            ExportCursor::Start => Ok((Uuid::nil(), 0)),
            ExportCursor::Scan(device, seq) => Ok((device, seq)),
            _ => Err(not_this_export()),
        }
    }
}

fn not_this_export() -> StoreError {
    StoreError::InvalidQuery {
        parameter: "cursor",
        reason: "not a cursor of this export".into(),
    }
}

/// One page of an export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportPage {
    Orders(Vec<OrderExportRow>),
    Attendees(Vec<AttendeeExportRow>),
    Checkins(Vec<CheckinExportRow>),
}

impl ExportPage {
    pub fn len(&self) -> usize {
        match self {
            ExportPage::Orders(rows) => rows.len(),
            ExportPage::Attendees(rows) => rows.len(),
            ExportPage::Checkins(rows) => rows.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where the page after this one starts.
    pub fn next(&self) -> Option<ExportCursor> {
        match self {
            ExportPage::Orders(rows) => rows.last().map(|r| ExportCursor::Order(r.id)),
            ExportPage::Attendees(rows) => rows.last().map(|r| ExportCursor::Serial(r.serial)),
            ExportPage::Checkins(rows) => {
                rows.last().map(|r| ExportCursor::Scan(r.device_id, r.seq))
            }
        }
    }
}

/// What an export lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    Orders,
    Attendees,
    Checkins,
}

impl ExportKind {
    pub const ALL: [ExportKind; 3] = [
        ExportKind::Orders,
        ExportKind::Attendees,
        ExportKind::Checkins,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ExportKind::Orders => "orders",
            ExportKind::Attendees => "attendees",
            ExportKind::Checkins => "checkins",
        }
    }

    pub fn from_key(key: &str) -> Option<ExportKind> {
        ExportKind::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// Sums hourly rows that share an hour (rows come per ticket type and method), oldest first.
pub(crate) fn merge_hours(
    rows: impl IntoIterator<Item = (jiff::Timestamp, SalesTotals)>,
) -> Vec<SalesHour> {
    let mut by_hour: std::collections::BTreeMap<jiff::Timestamp, SalesTotals> =
        std::collections::BTreeMap::new();
    for (hour, totals) in rows {
        by_hour.entry(hour).or_default().add(totals);
    }
    by_hour
        .into_iter()
        .map(|(hour, totals)| SalesHour { hour, totals })
        .collect()
}

#[async_trait]
pub trait AnalyticsStore: Send + Sync {
    /// An event's figures; hourly series for hours in `[from, to)`.
    async fn event_figures(
        &self,
        event_id: Uuid,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<EventFigures, StoreError>;

    /// An organization's events with their figures, and its sales per hour in `[from, to)`.
    async fn organization_figures(
        &self,
        organization_id: Uuid,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
    ) -> Result<OrgFigures, StoreError>;

    async fn platform_figures(&self) -> Result<PlatformFigures, StoreError>;

    /// Adds counted page views to the funnel.
    async fn add_page_views(&self, views: Vec<PageViews>) -> Result<(), StoreError>;

    /// Up to `limit` rows of an export of `event_id`, after `cursor`.
    async fn export_page(
        &self,
        event_id: Uuid,
        kind: ExportKind,
        cursor: ExportCursor,
        limit: u32,
    ) -> Result<ExportPage, StoreError>;
}
