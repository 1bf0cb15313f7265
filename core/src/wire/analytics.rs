//! The analytics shapes: an event's and an organization's dashboards for organizers, and
//! the platform's for admins.
//!
//! Money is integer fils (JOD has three minor digits), never floats; rates are basis points
//! (1/100 of a percent) for the same reason. Counts are plain JSON numbers: no figure here
//! comes near 2^53. Series are dense (every bucket of the range, zeros included) and
//! bucketed in the organizer's zone, `Asia/Amman`: `start` is the bucket's first instant
//! (UTC), `label` its local date (`2026-12-07`) or hour (`2026-12-07T19:00`).

use super::EventStatus;
use crate::bilingual::Bilingual;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How a series is cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
#[serde(rename_all = "snake_case")]
pub enum AnalyticsBucket {
    Day,
    Hour,
}

impl AnalyticsBucket {
    pub const ALL: [AnalyticsBucket; 2] = [AnalyticsBucket::Day, AnalyticsBucket::Hour];

    pub fn key(self) -> &'static str {
        match self {
            AnalyticsBucket::Day => "day",
            AnalyticsBucket::Hour => "hour",
        }
    }

    pub fn from_key(key: &str) -> Option<AnalyticsBucket> {
        AnalyticsBucket::ALL.into_iter().find(|b| b.key() == key)
    }
}

/// Sales and refunds of a set of orders.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct SalesFigures {
    /// Tickets of orders that were paid.
    pub sold: u32,
    #[cfg_attr(test, ts(type = "number"))]
    pub revenue_fils: i64,
    /// Tickets revoked by a refund or a cancellation.
    pub refunded: u32,
    #[cfg_attr(test, ts(type = "number"))]
    pub refund_fils: i64,
    /// Revenue less refunds.
    #[cfg_attr(test, ts(type = "number"))]
    pub net_fils: i64,
}

/// Sales of one bucket of a series.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct SalesPoint {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub start: jiff::Timestamp,
    pub label: String,
    pub sales: SalesFigures,
}

/// One ticket type: what it sold and what is left of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct TicketTypeFigures {
    pub ticket_type_id: Uuid,
    pub name: Bilingual,
    pub capacity: u32,
    /// Reserved by unpaid orders that still hold them, or sold.
    pub held: u32,
    pub left: u32,
    /// Refund money is per order, so `refund_fils` is 0 here; see the totals.
    pub sales: SalesFigures,
}

/// Sales by one way of paying (`free`, `sandbox`, `paytabs`, `cliq`; `none` when unknown).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct PaymentMethodFigures {
    pub method: String,
    pub sales: SalesFigures,
}

/// Places of the whole event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct CapacityFigures {
    pub capacity: u32,
    pub held: u32,
    pub left: u32,
}

/// Scans that let people in (`direction` `in`) or out (`out`) at one gate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct GateFigures {
    pub gate: String,
    pub direction: String,
    pub scans: u32,
}

/// Check-ins of one bucket at one gate in one direction; buckets without any are left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct CheckinPoint {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub start: jiff::Timestamp,
    pub label: String,
    pub gate: String,
    pub direction: String,
    pub scans: u32,
}

/// Why the no-show rate is not given yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
#[serde(rename_all = "snake_case")]
pub enum NoShowPending {
    /// Until the event ends, everyone not in yet may still come.
    EventNotEnded,
    /// No valid ticket: nobody to miss.
    NoTicketsSold,
}

/// Valid tickets never admitted, once the event is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct NoShowFigures {
    /// Sold and neither refunded nor cancelled.
    pub valid_tickets: u32,
    /// Of those, admitted at least once.
    pub admitted: u32,
    /// `None` until the event has ended (see `pending`).
    pub no_shows: Option<u32>,
    /// No-shows ÷ valid tickets, in basis points (2500 = 25 %), rounded to nearest.
    pub rate_basis_points: Option<u32>,
    pub pending: Option<NoShowPending>,
}

/// The discovery funnel: views of the public event page (counted without any visitor
/// data), orders created, orders paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct FunnelFigures {
    pub views: u32,
    pub checkouts_started: u32,
    pub paid: u32,
}

/// An event's dashboard. Totals, ticket types, payment methods, gates, the no-show rate
/// and the funnel are all-time; `sales` and `checkins` cover `from`–`to` (local dates,
/// both included).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct EventAnalytics {
    pub event_id: Uuid,
    pub time_zone: String,
    pub bucket: AnalyticsBucket,
    pub from: String,
    pub to: String,
    pub totals: SalesFigures,
    pub capacity: CapacityFigures,
    pub ticket_types: Vec<TicketTypeFigures>,
    pub payment_methods: Vec<PaymentMethodFigures>,
    pub sales: Vec<SalesPoint>,
    pub gates: Vec<GateFigures>,
    pub checkins: Vec<CheckinPoint>,
    pub no_show: NoShowFigures,
    pub funnel: FunnelFigures,
}

/// One event in an organization's dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct OrganizationEventFigures {
    pub event_id: Uuid,
    pub title: Bilingual,
    pub status: EventStatus,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub starts_at: jiff::Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub ends_at: jiff::Timestamp,
    pub sales: SalesFigures,
    /// Scans that let someone in.
    pub entries: u32,
}

/// An organization's dashboard: every event's all-time figures, and the sales of all of
/// them over `from`–`to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct OrganizationAnalytics {
    pub organization_id: Uuid,
    pub time_zone: String,
    pub bucket: AnalyticsBucket,
    pub from: String,
    pub to: String,
    pub totals: SalesFigures,
    pub events: Vec<OrganizationEventFigures>,
    pub sales: Vec<SalesPoint>,
}

/// Accounts created one way (`email`, `phone`, `oidc`, `admin`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct SignupFigures {
    pub method: String,
    pub users: u32,
}

/// Events in one status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct StatusFigures {
    pub status: EventStatus,
    pub events: u32,
}

/// One organization's all-time sales.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct OrganizationRevenue {
    pub organization_id: Uuid,
    pub name: Bilingual,
    pub sales: SalesFigures,
}

/// The platform's figures, for admins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct PlatformAnalytics {
    pub users: u32,
    pub signups: Vec<SignupFigures>,
    pub organizations: u32,
    pub events_by_status: Vec<StatusFigures>,
    pub totals: SalesFigures,
    /// Largest revenue first.
    pub revenue_by_organization: Vec<OrganizationRevenue>,
    /// Events waiting for review.
    pub review_backlog: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub oldest_submitted_at: Option<jiff::Timestamp>,
}
