//! What organizers and admins do, online: write events, submit them for review, manage
//! staff, read the dashboard, export, refund, confirm CliQ transfers, moderate.

use crate::errors::AppError;
use crate::state::AppCore;
use hafla_core::sync::SyncTarget;
use hafla_core::wire::OrgRole;
use hafla_core::wire::accounts::{InviteRequest, MemberView};
use hafla_core::wire::analytics::{AnalyticsBucket, EventAnalytics};
use hafla_core::wire::{
    CliqDecision, EventInput, OrganizerEvent, RefundInput, RejectInput, ReviewQueuePage,
};
use serde::Deserialize;
use uuid::Uuid;

/// Which dashboard range and granularity; `None`s take the server's defaults. The server
/// counts whole days in Asia/Amman, so instants are read as the day they fall on there.
#[derive(Debug, Clone, Deserialize)]
pub struct AnalyticsQuery {
    pub bucket: Option<AnalyticsBucket>,
    pub from: Option<jiff::Timestamp>,
    pub to: Option<jiff::Timestamp>,
}

impl AnalyticsQuery {
    fn amman_day(t: Option<jiff::Timestamp>) -> Option<jiff::civil::Date> {
        let tz = jiff::tz::TimeZone::get(hafla_core::wire::DEFAULT_TIME_ZONE).ok()?;
        t.map(|t| t.to_zoned(tz).date())
    }
}

/// How long the organizer screen waits for a fresh copy before showing the one it has.
const FRESHEN_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// The CSV exports the server offers.
const EXPORTS: [&str; 3] = ["orders", "attendees", "checkins"];

impl AppCore {
    /// The organization's events in every status, from the synced copy (so the screen
    /// works offline), brought up to date first when the server answers quickly.
    pub async fn org_events(&self, org: Uuid) -> Result<Vec<OrganizerEvent>, AppError> {
        match self.signed_in_engine().await {
            Err(AppError::SignedOut) => return Err(AppError::SignedOut),
            Ok(engine) => {
                let pull = engine.pull(SyncTarget::Org(org));
                match tokio::time::timeout(FRESHEN_WAIT, pull).await {
                    Ok(Err(e)) if e.code() == hafla_core::wire::ErrorCode::Forbidden => {
                        return Err(e.into());
                    }
                    // Offline or slow: the copy on the device is what there is.
                    _ => {}
                }
            }
            Err(_) => {}
        }
        let mut events = self.db().org_events(org)?;
        events.sort_by_key(|e| std::cmp::Reverse(e.starts_at));
        Ok(events)
    }

    pub async fn create_event(
        &self,
        org: Uuid,
        input: &EventInput,
    ) -> Result<OrganizerEvent, AppError> {
        Ok(self.signed_in_api().await?.create_event(org, input).await?)
    }

    pub async fn update_event(
        &self,
        org: Uuid,
        event: Uuid,
        input: &EventInput,
    ) -> Result<OrganizerEvent, AppError> {
        Ok(self
            .signed_in_api()
            .await?
            .update_event(org, event, input)
            .await?)
    }

    pub async fn submit_event(&self, org: Uuid, event: Uuid) -> Result<OrganizerEvent, AppError> {
        Ok(self.signed_in_api().await?.submit_event(org, event).await?)
    }

    pub async fn members(&self, org: Uuid) -> Result<Vec<MemberView>, AppError> {
        Ok(self.signed_in_api().await?.members(org).await?)
    }

    pub async fn invite_member(
        &self,
        org: Uuid,
        email: &str,
        role: OrgRole,
    ) -> Result<(), AppError> {
        let email = email.trim();
        if email.is_empty() {
            return Err(AppError::Invalid { field: "email" });
        }
        let request = InviteRequest {
            email: Some(email.to_owned()),
            phone: None,
            role,
        };
        self.signed_in_api().await?.invite(org, &request).await?;
        Ok(())
    }

    pub async fn event_analytics(
        &self,
        org: Uuid,
        event: Uuid,
        query: &AnalyticsQuery,
    ) -> Result<EventAnalytics, AppError> {
        Ok(self
            .signed_in_api()
            .await?
            .event_analytics(
                org,
                event,
                query.bucket,
                AnalyticsQuery::amman_day(query.from),
                AnalyticsQuery::amman_day(query.to),
            )
            .await?)
    }

    /// Saves one of the event's CSV exports in the downloads folder; returns its path.
    pub async fn export_csv(&self, org: Uuid, event: Uuid, kind: &str) -> Result<String, AppError> {
        if !EXPORTS.contains(&kind) {
            return Err(AppError::Invalid { field: "kind" });
        }
        let bytes = self
            .signed_in_api()
            .await?
            .export_csv(org, event, kind)
            .await?;
        let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S");
        let path = self.data_path(&format!("hafla-{kind}-{event}-{stamp}.csv"))?;
        self.write_file(&path, &bytes)?;
        Ok(path.display().to_string())
    }

    /// Refunds the whole order (its tickets stop admitting once the doors sync).
    pub async fn refund_order(&self, org: Uuid, order: Uuid, reason: &str) -> Result<(), AppError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::Invalid { field: "reason" });
        }
        let input = RefundInput {
            ticket_ids: None,
            amount: None,
            reason: reason.to_owned(),
        };
        self.signed_in_api()
            .await?
            .refund(org, order, &input)
            .await?;
        Ok(())
    }

    /// Confirms (or turns down) a CliQ transfer the organizer checked in their bank app.
    pub async fn decide_cliq(&self, org: Uuid, order: Uuid, approve: bool) -> Result<(), AppError> {
        let decision = CliqDecision { received: approve };
        self.signed_in_api()
            .await?
            .decide_cliq(org, order, &decision)
            .await?;
        Ok(())
    }

    pub async fn review_queue(&self) -> Result<ReviewQueuePage, AppError> {
        Ok(self.signed_in_api().await?.review_queue(0, 100).await?)
    }

    pub async fn approve_event(&self, event: Uuid) -> Result<(), AppError> {
        self.signed_in_api().await?.approve_event(event).await?;
        Ok(())
    }

    pub async fn reject_event(&self, event: Uuid, reason: &str) -> Result<(), AppError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::Invalid { field: "reason" });
        }
        let input = RejectInput {
            reason: reason.to_owned(),
        };
        self.signed_in_api()
            .await?
            .reject_event(event, &input)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{closed_url, test_core};
    use hafla_core::wire::ErrorCode;

    #[test]
    fn a_dashboard_range_is_cut_on_ammans_calendar() {
        let late_evening_utc: jiff::Timestamp = "2026-12-07T22:30:00Z".parse().unwrap();
        assert_eq!(
            AnalyticsQuery::amman_day(Some(late_evening_utc)),
            Some(jiff::civil::date(2026, 12, 8))
        );
        assert_eq!(AnalyticsQuery::amman_day(None), None);
    }

    #[tokio::test]
    async fn unknown_exports_and_empty_reasons_are_refused_before_asking_the_server() {
        let t = test_core(&closed_url());
        let (org, id) = (Uuid::now_v7(), Uuid::now_v7());
        fn code<T: std::fmt::Debug>(r: Result<T, AppError>) -> ErrorCode {
            r.unwrap_err().code()
        }
        assert_eq!(
            code(t.core.export_csv(org, id, "passwords").await),
            ErrorCode::InvalidParameter
        );
        assert_eq!(
            code(t.core.refund_order(org, id, "  ").await),
            ErrorCode::InvalidParameter
        );
        assert_eq!(
            code(t.core.reject_event(id, "").await),
            ErrorCode::InvalidParameter
        );
        assert!(!t.dir.path().join("downloads").exists());
    }
}
