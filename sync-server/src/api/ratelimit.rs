//! Rate limits on the doors attackers knock on: sign-in, sign-up, password reset and
//! one-time codes, counted per client address and per identifier (email or phone), so
//! neither one address nor one targeted account can be hammered.
//!
//! Budgets live in the database (GCRA, one atomic upsert per check), so every server
//! instance on one PostgreSQL spends the same budget: the limits below hold for the whole
//! deployment, however many instances share the load, and survive restarts.

use super::error::ApiError;
use crate::store::{RateRule, Store};
use axum::http::StatusCode;
use hafla_core::wire::ErrorCode;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::Arc;

/// What is being limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Login,
    Register,
    PasswordReset,
    OtpSend,
    OtpVerify,
}

impl Action {
    fn key(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::Register => "register",
            Action::PasswordReset => "password_reset",
            Action::OtpSend => "otp_send",
            Action::OtpVerify => "otp_verify",
        }
    }

    /// Allowed bursts: (per address per hour, per identifier per hour).
    fn quotas(self) -> (u32, u32) {
        match self {
            Action::Login => (60, 10),
            Action::Register => (20, 3),
            Action::PasswordReset => (20, 3),
            Action::OtpSend => (20, 5),
            Action::OtpVerify => (60, 10),
        }
    }
}

/// `per_hour` attempts at once, then one more every hour / `per_hour`.
fn per_hour(per_hour: u32) -> RateRule {
    let burst = per_hour.max(1);
    RateRule {
        emission_ms: 3_600_000 / i64::from(burst),
        burst,
    }
}

/// The budget's row key: a hash, so the table never lists the identifiers tried.
fn key_hash(action: Action, kind: &str, value: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(action.key())
        .chain_update([0])
        .chain_update(kind)
        .chain_update([0])
        .chain_update(value)
        .finalize()
        .into()
}

/// The deployment's rate limits, kept in its database.
pub struct RateLimits {
    store: Arc<dyn Store>,
}

impl RateLimits {
    pub fn new(store: Arc<dyn Store>) -> Self {
        RateLimits { store }
    }

    /// Counts one attempt of `action` from `ip` for `identifier`; refuses with 429 and the
    /// seconds to wait when either budget is spent.
    pub async fn check(
        &self,
        action: Action,
        ip: IpAddr,
        identifier: &str,
    ) -> Result<(), ApiError> {
        let (per_ip, per_id) = action.quotas();
        let now_ms = jiff::Timestamp::now().as_millisecond();
        let id = identifier.trim().to_lowercase();
        for (rule, key) in [
            (per_hour(per_ip), key_hash(action, "ip", &ip.to_string())),
            (per_hour(per_id), key_hash(action, "id", &id)),
        ] {
            if let Some(wait_ms) = self.store.take_rate_limit(key, rule, now_ms).await? {
                let wait = u64::try_from(wait_ms).unwrap_or(1).div_ceil(1000).max(1);
                return Err(
                    ApiError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited)
                        .with_arg("seconds", wait.to_string())
                        .with_retry_after(wait),
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;
    use std::net::Ipv4Addr;

    fn limits() -> (RateLimits, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        (RateLimits::new(Arc::new(store)), dir)
    }

    #[tokio::test]
    async fn an_identifier_is_limited_even_when_attempts_come_from_many_addresses() {
        let (limits, _dir) = limits();
        let ip = |n: u8| IpAddr::V4(Ipv4Addr::new(10, 0, 0, n));
        for n in 0..10 {
            let attempt = limits
                .check(Action::Login, ip(n), "victim@example.jo")
                .await;
            assert!(attempt.is_ok());
        }
        let refused = limits
            .check(Action::Login, ip(200), "Victim@Example.jo")
            .await
            .unwrap_err();
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        // The next attempt is earned back after an hour / 10.
        assert!(refused.retry_after.is_some_and(|s| (1..=360).contains(&s)));
        let other = limits
            .check(Action::Login, ip(201), "someone-else@example.jo")
            .await;
        assert!(other.is_ok());
    }

    #[tokio::test]
    async fn an_address_is_limited_across_identifiers() {
        let (limits, _dir) = limits();
        let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
        let mut refused = 0;
        for n in 0..25 {
            let email = format!("user{n}@example.jo");
            if limits.check(Action::Register, ip, &email).await.is_err() {
                refused += 1;
            }
        }
        assert_eq!(refused, 5, "20 sign-ups per address per hour");
    }

    #[tokio::test]
    async fn actions_have_separate_budgets() {
        let (limits, _dir) = limits();
        let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 8));
        for _ in 0..3 {
            let reset = limits
                .check(Action::PasswordReset, ip, "a@example.jo")
                .await;
            assert!(reset.is_ok());
        }
        assert!(
            limits
                .check(Action::PasswordReset, ip, "a@example.jo")
                .await
                .is_err()
        );
        assert!(
            limits
                .check(Action::Login, ip, "a@example.jo")
                .await
                .is_ok()
        );
    }
}
