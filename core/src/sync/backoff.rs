//! Waiting between retries: exponential backoff with full jitter, capped.
//!
//! Full jitter (a uniform wait between zero and the exponential ceiling) spreads the
//! retries of a crowd of devices that lost the server at the same moment, so they do not
//! come back in lockstep when it returns. A server's `Retry-After` is a floor: it knows
//! better than the formula when it will take requests again.

use std::time::Duration;

/// How a request is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The ceiling of the first wait; each failure doubles it.
    pub base: Duration,
    /// The ceiling never grows past this.
    pub cap: Duration,
    /// Attempts in all (the first included) before giving up; `None` tries forever.
    pub max_attempts: Option<u32>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(60),
            max_attempts: Some(6),
        }
    }
}

/// The longest `Retry-After` honoured; a bigger one (a misconfigured proxy) is cut to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

/// The waits of one run of failures.
#[derive(Clone, Debug)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    failures: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Backoff {
            base,
            cap: cap.max(base),
            failures: 0,
        }
    }

    pub fn from_policy(policy: &RetryPolicy) -> Self {
        Backoff::new(policy.base, policy.cap)
    }

    /// The ceiling of the next wait: base × 2^failures, at most the cap.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.failures.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// How long to wait after one more failure: uniform in [0, ceiling], and at least
    /// `retry_after` when the server named one.
    pub fn next_delay(&mut self, retry_after: Option<Duration>) -> Duration {
        let ceiling = self.ceiling();
        self.failures = self.failures.saturating_add(1);
        let jittered = ceiling.mul_f64(random_unit());
        match retry_after {
            Some(floor) => jittered.max(floor.min(MAX_RETRY_AFTER)),
            None => jittered,
        }
    }

    /// Failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// After a success: the next failure starts from the base again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// A uniform number in [0, 1] from the system's random source (a fixed midpoint if it
/// fails: a wait still happens, only without jitter).
fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    match getrandom::fill(&mut bytes) {
        Ok(()) => (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_doubles_with_each_failure_and_stops_at_the_cap() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let mut ceilings = vec![];
        for _ in 0..8 {
            ceilings.push(b.ceiling().as_millis());
            b.next_delay(None);
        }
        assert_eq!(ceilings, [100, 200, 400, 800, 1600, 2000, 2000, 2000]);
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_millis(100));
    }

    #[test]
    fn every_wait_stays_under_its_ceiling_and_the_waits_are_jittered() {
        let mut waits = vec![];
        for _ in 0..50 {
            let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
            for _ in 0..3 {
                b.next_delay(None);
            }
            let ceiling = b.ceiling();
            let wait = b.next_delay(None);
            assert!(wait <= ceiling, "{wait:?} > {ceiling:?}");
            waits.push(wait);
        }
        waits.sort();
        waits.dedup();
        assert!(waits.len() > 40, "full jitter spreads the waits: {waits:?}");
    }

    #[test]
    fn a_huge_number_of_failures_neither_overflows_nor_passes_the_cap() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        for _ in 0..1_000 {
            assert!(b.next_delay(None) <= Duration::from_secs(30));
        }
    }

    #[test]
    fn retry_after_is_a_floor_and_is_itself_bounded() {
        let mut b = Backoff::new(Duration::from_millis(10), Duration::from_millis(20));
        assert!(b.next_delay(Some(Duration::from_secs(7))) >= Duration::from_secs(7));
        assert_eq!(
            b.next_delay(Some(Duration::from_secs(86_400))),
            MAX_RETRY_AFTER
        );
    }
}
