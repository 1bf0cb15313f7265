//! Hybrid logical clocks: a timestamp that follows wall time but never goes backwards and
//! orders causally related scans correctly across devices whose clocks disagree.
//!
//! Layout of the u64: milliseconds since the Unix epoch in the high 48 bits, a logical
//! counter in the low 16 bits. Ordering the integers orders the clock values.

use serde::{Deserialize, Serialize};

/// One clock value. On the wire it is a decimal string: the value needs all 64 bits, more than a JavaScript
/// number holds exactly.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct Hlc(#[serde(with = "crate::wire::u64_string")] pub u64);

impl Hlc {
    pub fn new(millis: u64, counter: u16) -> Hlc {
        Hlc((millis & 0xFFFF_FFFF_FFFF) << 16 | u64::from(counter))
    }

    pub fn millis(self) -> u64 {
        self.0 >> 16
    }

    pub fn counter(self) -> u16 {
        self.0 as u16
    }
}

/// One device's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct HlcClock {
    last: Hlc,
}

impl HlcClock {
    /// Resumes after `last`, e.g. the highest value in the local scan log after a restart.
    pub fn resume(last: Hlc) -> HlcClock {
        HlcClock { last }
    }

    /// The value for a local event at wall time `now_millis`.
    pub fn tick(&mut self, now_millis: u64) -> Hlc {
        let last = self.last;
        self.last = if now_millis > last.millis() {
            Hlc::new(now_millis, 0)
        } else {
            Self::after(last)
        };
        self.last
    }

    /// Takes note of a value from another device so later local values come after it.
    pub fn observe(&mut self, remote: Hlc) {
        if remote > self.last {
            self.last = remote;
        }
    }

    fn after(h: Hlc) -> Hlc {
        match h.counter().checked_add(1) {
            Some(c) => Hlc::new(h.millis(), c),
            None => Hlc::new(h.millis() + 1, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_never_goes_backwards_even_when_the_wall_clock_does() {
        let mut clock = HlcClock::default();
        let a = clock.tick(1_000);
        let b = clock.tick(900);
        let c = clock.tick(900);
        assert!(a < b && b < c);
        assert_eq!(b.millis(), 1_000);
    }

    #[test]
    fn a_value_seen_from_another_device_orders_later_local_values_after_it() {
        let mut clock = HlcClock::default();
        clock.tick(1_000);
        let remote = Hlc::new(5_000, 3);
        clock.observe(remote);
        assert!(clock.tick(2_000) > remote);
    }
}
