//! Rate limits on the doors attackers knock on: sign-in, sign-up, password reset and
//! one-time codes, counted per client address and per identifier (email or phone), so
//! neither one address nor one targeted account can be hammered.
//!
//! State is per server instance (in memory, GCRA via `governor`). With N instances behind a
//! load balancer the effective limit per key is at most N × the figure below.

use super::error::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use hafla_core::wire::ErrorCode;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

/// What is being limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Login,
    Register,
    PasswordReset,
    OtpSend,
    OtpVerify,
}

/// Allowed bursts: (per address per hour, per identifier per hour).
fn quotas(action: Action) -> (u32, u32) {
    match action {
        Action::Login => (60, 10),
        Action::Register => (20, 3),
        Action::PasswordReset => (20, 3),
        Action::OtpSend => (20, 5),
        Action::OtpVerify => (60, 10),
    }
}

fn limiter(per_hour: u32) -> DefaultKeyedRateLimiter<String> {
    let burst = NonZeroU32::new(per_hour).unwrap_or(NonZeroU32::MIN);
    let period = Duration::from_secs(3600) / burst.get();
    let quota = Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_hour(burst))
        .allow_burst(burst);
    governor::RateLimiter::keyed(quota)
}

/// The limiters of one server instance.
pub struct RateLimits {
    limiters: Vec<(
        Action,
        DefaultKeyedRateLimiter<String>,
        DefaultKeyedRateLimiter<String>,
    )>,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::with_address_quota(|action| quotas(action).0)
    }
}

impl RateLimits {
    /// The default per-identifier limits, with `per_address(action)` attempts per hour from
    /// one client address. Only for load benchmarks, whose clients all connect from
    /// 127.0.0.1; the server (`hafla-server serve`) always uses `default()`.
    pub fn with_address_quota(per_address: impl Fn(Action) -> u32) -> RateLimits {
        let actions = [
            Action::Login,
            Action::Register,
            Action::PasswordReset,
            Action::OtpSend,
            Action::OtpVerify,
        ];
        RateLimits {
            limiters: actions
                .into_iter()
                .map(|a| (a, limiter(per_address(a)), limiter(quotas(a).1)))
                .collect(),
        }
    }

    /// Counts one attempt of `action` from `ip` for `identifier`; refuses with 429 and the
    /// seconds to wait when either budget is spent.
    pub fn check(&self, action: Action, ip: IpAddr, identifier: &str) -> Result<(), ApiError> {
        let Some((_, by_ip, by_id)) = self.limiters.iter().find(|(a, _, _)| *a == action) else {
            return Ok(());
        };
        let now = DefaultClock::default().now();
        let id = identifier.trim().to_lowercase();
        for (limiter, key) in [(by_ip, ip.to_string()), (by_id, id)] {
            if let Err(not_until) = limiter.check_key(&key) {
                let wait = not_until.wait_time_from(now).as_secs().max(1);
                return Err(
                    ApiError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited)
                        .with_arg("seconds", wait.to_string())
                        .with_retry_after(wait),
                );
            }
        }
        Ok(())
    }

    /// Forgets keys whose budgets are full again (called periodically to bound memory).
    pub fn shrink(&self) {
        for (_, by_ip, by_id) in &self.limiters {
            by_ip.retain_recent();
            by_id.retain_recent();
        }
    }
}

/// The client's address as the TCP connection shows it (put a trusted proxy's
/// X-Forwarded-For handling in front of this when deploying behind one).
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Ok(ClientIp(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identifier_is_limited_even_when_attempts_come_from_many_addresses() {
        let limits = RateLimits::default();
        let ip = |n: u8| IpAddr::V4(Ipv4Addr::new(10, 0, 0, n));
        for n in 0..10 {
            assert!(
                limits
                    .check(Action::Login, ip(n), "victim@example.jo")
                    .is_ok()
            );
        }
        let refused = limits
            .check(Action::Login, ip(200), "Victim@Example.jo")
            .unwrap_err();
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.retry_after.is_some_and(|s| s >= 1));
        assert!(
            limits
                .check(Action::Login, ip(201), "someone-else@example.jo")
                .is_ok()
        );
    }

    #[test]
    fn a_larger_address_quota_keeps_the_per_identifier_limit() {
        let limits = RateLimits::with_address_quota(|_| 1_000_000);
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        for n in 0..200 {
            let email = format!("user{}@example.jo", n / 10);
            assert!(limits.check(Action::Login, ip, &email).is_ok());
        }
        assert!(
            limits.check(Action::Login, ip, "user0@example.jo").is_err(),
            "still 10 sign-ins per account per hour"
        );
    }

    #[test]
    fn an_address_is_limited_across_identifiers() {
        let limits = RateLimits::default();
        let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
        let mut refused = 0;
        for n in 0..25 {
            if limits
                .check(Action::Register, ip, &format!("user{n}@example.jo"))
                .is_err()
            {
                refused += 1;
            }
        }
        assert_eq!(refused, 5, "20 sign-ups per address per hour");
    }
}
