//! Background jobs that must run once per period for the whole deployment, however many
//! server instances are up. Time is cut into periods of the job's interval (Unix seconds
//! divided by it); each instance looks twice a period, and the one whose claim of the
//! period's row lands first runs it (a primary key decides, on SQLite and PostgreSQL
//! alike). A run that fails is recorded and not retried until the next period; a job must
//! therefore be safe to skip once, and should finish well within its interval.

use crate::checkout::Checkout;
use crate::store::{Store, StoreError};
use std::sync::Arc;
use std::time::Duration;

/// How often payments pending for a while are asked about.
pub const RECONCILE_INTERVAL: Duration = Duration::from_secs(300);
/// How often lapsed reservations are swept.
pub const EXPIRE_ORDERS_INTERVAL: Duration = Duration::from_secs(60);

/// The periodic jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// Deletes expired sign-in state, tokens, rate-limit rows and old job records.
    Purge,
    /// Records unpaid orders past their expiry as expired and puts their tickets back on
    /// sale (reads and reservations already treat them so; this catches the rest).
    ExpireOrders,
    /// Asks payment providers about payments pending for a while (a lost notification)
    /// and settles them.
    ReconcilePayments,
}

/// What jobs work on.
#[derive(Clone)]
pub struct Deps {
    pub store: Arc<dyn Store>,
    pub checkout: Arc<Checkout>,
}

impl Job {
    pub fn name(self) -> &'static str {
        match self {
            Job::Purge => "purge",
            Job::ExpireOrders => "expire_orders",
            Job::ReconcilePayments => "reconcile_payments",
        }
    }

    async fn run(self, deps: &Deps, now: jiff::Timestamp) -> Result<String, StoreError> {
        let store = &deps.store;
        match self {
            Job::Purge => Ok(format!("deleted {} rows", store.purge_expired(now).await?)),
            Job::ExpireOrders => {
                let expired = store.expire_orders(now, 1_000).await?;
                // Reservations that lapsed unpaid and gave their tickets back.
                metrics::counter!("hafla_reservations_expired_total").increment(u64::from(expired));
                Ok(format!("expired {expired} orders"))
            }
            Job::ReconcilePayments => match deps.checkout.reconcile(now).await {
                Ok(settled) => Ok(format!("settled {settled} payments")),
                Err(crate::checkout::CheckoutError::Store(e)) => Err(e),
                Err(e) => Ok(format!("failed: {e}")),
            },
        }
    }
}

/// The period `now` falls in for a job run every `interval`.
pub fn period_of(now: jiff::Timestamp, interval: Duration) -> i64 {
    now.as_second() / i64::try_from(interval.as_secs().max(1)).unwrap_or(i64::MAX)
}

/// Runs `job` for the period of `now` if no instance has claimed it yet. Returns the run's
/// outcome when this call ran it.
pub async fn run_if_unclaimed(
    deps: &Deps,
    job: Job,
    interval: Duration,
    holder: &str,
    now: jiff::Timestamp,
) -> Result<Option<String>, StoreError> {
    let period = period_of(now, interval);
    let store = &deps.store;
    if !store.claim_job_run(job.name(), period, holder, now).await? {
        return Ok(None);
    }
    let outcome = match job.run(deps, now).await {
        Ok(outcome) => outcome,
        Err(e) => format!("failed: {e}"),
    };
    store
        .finish_job_run(job.name(), period, &outcome, jiff::Timestamp::now())
        .await?;
    Ok(Some(outcome))
}

/// Starts `job` on this instance: every half `interval`, it runs the current period if no
/// instance has. `holder` names this instance in the job records.
pub fn spawn(deps: Deps, job: Job, interval: Duration, holder: String) {
    if job == Job::ExpireOrders {
        // On /metrics from the start, whichever instance sweeps.
        metrics::counter!("hafla_reservations_expired_total").increment(0);
    }
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval / 2);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            ticks.tick().await;
            let now = jiff::Timestamp::now();
            match run_if_unclaimed(&deps, job, interval, &holder, now).await {
                Ok(Some(outcome)) => tracing::info!(job = job.name(), %outcome, "job ran"),
                Ok(None) => {}
                Err(e) => tracing::warn!(job = job.name(), error = %e, "job could not run"),
            }
        }
    });
}

/// A name for this instance in job records: host, process and a random suffix.
pub fn instance_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}:{}:{}", std::process::id(), &random[..8])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    fn deps(store: Arc<dyn Store>) -> Deps {
        Deps {
            checkout: Arc::new(Checkout::new(
                store.clone(),
                Default::default(),
                "https://hafla.test".into(),
                crate::issuance::EventKeys::new(
                    store.clone(),
                    crate::issuance::MasterKey::generate().unwrap(),
                ),
                Arc::new(crate::mail::MemoryMailer::new()),
            )),
            store,
        }
    }

    #[tokio::test]
    async fn a_period_runs_once_however_many_instances_try() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let deps = deps(store.clone());
        let interval = Duration::from_secs(600);
        let now: jiff::Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
        let mut tries = tokio::task::JoinSet::new();
        for n in 0..8 {
            let deps = deps.clone();
            tries.spawn(async move {
                run_if_unclaimed(&deps, Job::Purge, interval, &format!("i{n}"), now).await
            });
        }
        let mut ran = Vec::new();
        while let Some(run) = tries.join_next().await {
            ran.extend(run.unwrap().unwrap());
        }
        assert_eq!(ran.len(), 1, "{ran:?}");
        assert!(ran[0].starts_with("deleted "), "{ran:?}");
        let next = now + jiff::SignedDuration::from_secs(600);
        let again = run_if_unclaimed(&deps, Job::Purge, interval, "i0", next).await;
        assert!(again.unwrap().is_some(), "the next period runs again");
    }

    #[tokio::test]
    async fn the_expiry_sweep_is_a_job_of_its_own_with_a_one_minute_period() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let deps = deps(store.clone());
        let now: jiff::Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
        let ran = run_if_unclaimed(&deps, Job::ExpireOrders, EXPIRE_ORDERS_INTERVAL, "i0", now)
            .await
            .unwrap();
        assert_eq!(ran.as_deref(), Some("expired 0 orders"));
        let purge = run_if_unclaimed(&deps, Job::Purge, Duration::from_secs(600), "i0", now)
            .await
            .unwrap();
        assert!(purge.is_some(), "each job claims its own periods");
    }

    #[test]
    fn periods_are_whole_intervals_since_the_epoch() {
        let t: jiff::Timestamp = "1970-01-01T00:20:00Z".parse().unwrap();
        assert_eq!(period_of(t, Duration::from_secs(600)), 2);
        assert_eq!(
            period_of(t, Duration::ZERO),
            1200,
            "a zero interval counts as 1 s"
        );
    }
}
