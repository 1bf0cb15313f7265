//! Rotating codes: a short time-based code the app appends to a ticket's QR, so a
//! screenshot stops working within seconds (against resale of copies).
//!
//! RFC 6238 in spirit, with HMAC-SHA256: each ticket's secret is derived from one secret per
//! event, `HMAC(event_secret, "hafla/rotating/v1" ‖ event_ref ‖ serial)`, so a door device
//! holds one secret per event. The code for time step `n = floor(unix_seconds / step)` is the
//! first 4 bytes of `HMAC(ticket_secret, n)`. Both sides work offline.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

type HmacSha256 = Hmac<Sha256>;

/// Bytes of code appended to a credential.
pub const CODE_LEN: usize = 4;
/// Seconds per step unless the event chooses otherwise.
pub const DEFAULT_STEP_SECS: u32 = 15;
/// Steps either side of now that still count (clock drift, time to walk up to the door).
pub const DEFAULT_TOLERANCE_STEPS: u32 = 1;

const DERIVE_TAG: &[u8] = b"hafla/rotating/v1";

/// The per-event secret (server side, and door devices in their keyring).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct EventSecret([u8; 32]);

/// The per-ticket secret (held by the ticket's owner's app).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
#[cfg_attr(test, derive(PartialEq, Eq))]
pub struct TicketSecret([u8; 32]);

impl EventSecret {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        EventSecret(bytes)
    }

    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(EventSecret(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The secret of one ticket of this event.
    pub fn ticket_secret(&self, event_ref: u32, serial: u32) -> TicketSecret {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(DERIVE_TAG);
        mac.update(&event_ref.to_be_bytes());
        mac.update(&serial.to_be_bytes());
        TicketSecret(mac.finalize().into_bytes().into())
    }
}

impl std::fmt::Debug for EventSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventSecret(<secret>)")
    }
}

impl TicketSecret {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        TicketSecret(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn mac_for_step(&self, step: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(&step.to_be_bytes());
        mac
    }

    /// The code shown at `unix_seconds`.
    pub fn code_at(&self, unix_seconds: i64, step_secs: u32) -> [u8; CODE_LEN] {
        let step = unix_seconds.div_euclid(i64::from(step_secs.max(1)));
        let full = self.mac_for_step(step).finalize().into_bytes();
        let mut code = [0u8; CODE_LEN];
        code.copy_from_slice(&full[..CODE_LEN]);
        code
    }

    /// Whether `code` is the code of a step within `tolerance` steps of `unix_seconds`.
    /// Compares in constant time.
    pub fn accepts(&self, code: &[u8], unix_seconds: i64, step_secs: u32, tolerance: u32) -> bool {
        if code.len() != CODE_LEN {
            return false;
        }
        let step = unix_seconds.div_euclid(i64::from(step_secs.max(1)));
        let tolerance = i64::from(tolerance);
        (step - tolerance..=step + tolerance)
            .map(|s| self.mac_for_step(s).verify_truncated_left(code).is_ok())
            .fold(false, |any, ok| any | ok)
    }
}

impl std::fmt::Debug for TicketSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TicketSecret(<secret>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> TicketSecret {
        EventSecret::from_bytes([7; 32]).ticket_secret(12, 345)
    }

    #[test]
    fn each_ticket_of_an_event_gets_its_own_secret() {
        let event = EventSecret::from_bytes([7; 32]);
        assert!(event.ticket_secret(12, 1) != event.ticket_secret(12, 2));
        assert!(event.ticket_secret(12, 1) != event.ticket_secret(13, 1));
        assert!(event.ticket_secret(12, 1) == event.ticket_secret(12, 1));
    }

    #[test]
    fn a_code_is_accepted_within_one_step_either_way_and_refused_beyond() {
        let s = secret();
        let shown_at = 1_800_000_000;
        let code = s.code_at(shown_at, 15);
        for drift in [-15, 0, 14, 15, 29] {
            assert!(s.accepts(&code, shown_at + drift, 15, 1), "drift {drift}");
        }
        for drift in [-31, 31, 45, 600] {
            assert!(!s.accepts(&code, shown_at + drift, 15, 1), "drift {drift}");
        }
        assert!(
            s.accepts(&code, shown_at + 40, 15, 3),
            "a wider tolerance is configurable"
        );
    }

    #[test]
    fn a_short_or_empty_code_is_refused() {
        let s = secret();
        assert!(!s.accepts(&[], 1_800_000_000, 15, 1));
        assert!(!s.accepts(&s.code_at(1_800_000_000, 15)[..2], 1_800_000_000, 15, 1));
    }
}
