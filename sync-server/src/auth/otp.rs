//! One-time sign-in codes sent by SMS: generation, hashing and the rules for
//! expiry, attempts and resends. Pure logic; storing challenges is elsewhere.
//!
//! Codes are short, so what protects an account is the attempt limit, the
//! expiry and the send limit, and that a leaked database holds only keyed
//! hashes of codes, never the codes themselves.

use std::fmt;

use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use sha2::Sha256;

use super::phone::{PhoneNumber, ascii_digit};

/// Shortest code we will generate: fewer digits are guessable within the attempt limit.
pub const MIN_CODE_LEN: u8 = 4;
/// Longest code we will generate: people must be able to type it.
pub const MAX_CODE_LEN: u8 = 10;

/// The window the send limit counts over.
const SEND_WINDOW: SignedDuration = SignedDuration::from_hours(1);

/// Domain separation so these hashes can never collide with other uses of the secret.
const HASH_CONTEXT: &[u8] = b"hafla/otp/v1";

/// Why a code could not be generated or sent again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OtpError {
    #[error("a sign-in code must have between {MIN_CODE_LEN} and {MAX_CODE_LEN} digits, not {len}")]
    CodeLength { len: u8 },
    #[error("the system random number generator failed: {0}")]
    Random(getrandom::Error),
    #[error("a new code was sent moments ago; try again in {retry_after:#}")]
    ResendTooSoon { retry_after: SignedDuration },
    #[error("too many codes were sent to this number; try again in {retry_after:#}")]
    TooManySends { retry_after: SignedDuration },
}

/// Limits for sign-in codes. The defaults suit SMS: long enough to arrive
/// and be typed, short enough that guessing is hopeless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtpPolicy {
    /// How long a code stays valid after it is sent.
    pub ttl: SignedDuration,
    /// Wrong guesses allowed per code before the challenge is locked.
    pub max_attempts: u32,
    /// Minimum wait between two sends to the same number.
    pub resend_after: SignedDuration,
    /// Sends allowed to one number in any hour: SMS costs money and can be abused to spam.
    pub max_sends_per_hour: u32,
    /// Digits per code.
    pub code_len: u8,
}

impl Default for OtpPolicy {
    fn default() -> Self {
        OtpPolicy {
            ttl: SignedDuration::from_mins(5),
            max_attempts: 5,
            resend_after: SignedDuration::from_secs(60),
            max_sends_per_hour: 5,
            code_len: 6,
        }
    }
}

/// Generates a code of `len` uniformly random decimal digits.
///
/// Bytes of 250 and above are thrown away so that every digit is equally
/// likely (256 is not a multiple of 10).
pub fn generate_code(len: u8) -> Result<String, OtpError> {
    if !(MIN_CODE_LEN..=MAX_CODE_LEN).contains(&len) {
        return Err(OtpError::CodeLength { len });
    }
    let len = usize::from(len);
    let mut code = String::with_capacity(len);
    let mut buf = [0u8; 32];
    while code.len() < len {
        getrandom::fill(&mut buf).map_err(OtpError::Random)?;
        for &b in buf.iter().filter(|&&b| b < 250) {
            if code.len() == len {
                break;
            }
            code.push(char::from(b'0' + b % 10));
        }
    }
    Ok(code)
}

/// Hashes codes with a server secret, so stored hashes cannot be reversed by
/// trying all million codes without that secret.
#[derive(Clone)]
pub struct OtpHasher {
    /// HMAC already keyed with the secret; cloned for each hash.
    keyed: Hmac<Sha256>,
}

impl OtpHasher {
    pub fn new(secret: [u8; 32]) -> Self {
        let keyed = <Hmac<Sha256> as Mac>::new_from_slice(&secret)
            .expect("HMAC accepts keys of any length");
        OtpHasher { keyed }
    }

    /// HMAC-SHA256(secret, "hafla/otp/v1" ‖ e164 ‖ 0 ‖ code): bound to the
    /// number, so a code hash for one phone is useless for another.
    pub fn hash(&self, phone: &PhoneNumber, code: &str) -> [u8; 32] {
        self.mac_for(phone, code).finalize().into_bytes().into()
    }

    /// Checks a code against a stored hash in constant time.
    pub fn matches(&self, phone: &PhoneNumber, code: &str, expected: &[u8; 32]) -> bool {
        self.mac_for(phone, code).verify_slice(expected).is_ok()
    }

    fn mac_for(&self, phone: &PhoneNumber, code: &str) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(HASH_CONTEXT);
        mac.update(phone.as_e164().as_bytes());
        mac.update(&[0]);
        mac.update(code.as_bytes());
        mac
    }
}

impl fmt::Debug for OtpHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtpHasher")
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// What a verification attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpOutcome {
    /// The code is right: sign the person in and delete the challenge.
    Valid,
    /// The code is wrong; `attempts_left` more tries before the lock.
    Wrong { attempts_left: u32 },
    /// The code's time ran out; a new one must be sent.
    Expired,
    /// Too many wrong tries; only a new code unlocks the challenge.
    TooManyAttempts,
}

/// A pending sign-in for one phone number: the hash of the code last sent
/// and the counters that limit guessing and sending.
#[derive(Clone)]
pub struct OtpChallenge {
    pub phone: PhoneNumber,
    pub code_hash: [u8; 32],
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub attempts: u32,
    /// When codes were sent, keeping only those within the last hour.
    pub sends: Vec<Timestamp>,
}

impl OtpChallenge {
    /// A challenge for a code that is being sent now.
    pub fn issue(
        phone: PhoneNumber,
        code_hash: [u8; 32],
        policy: &OtpPolicy,
        now: Timestamp,
    ) -> Self {
        OtpChallenge {
            phone,
            code_hash,
            created_at: now,
            expires_at: add(now, policy.ttl),
            attempts: 0,
            sends: vec![now],
        }
    }

    /// Whether another code may be sent now. The hourly limit is checked
    /// first, so people are told the longer wait rather than retrying in
    /// a minute only to be refused again.
    pub fn may_resend(&self, policy: &OtpPolicy, now: Timestamp) -> Result<(), OtpError> {
        let window_start = sub(now, SEND_WINDOW);
        let recent: Vec<Timestamp> = self
            .sends
            .iter()
            .copied()
            .filter(|&t| t > window_start)
            .collect();
        if recent.len() >= policy.max_sends_per_hour as usize {
            // Only possible with a non-empty window unless the limit is zero.
            let oldest = recent.iter().min().copied().unwrap_or(now);
            let retry_after = add(oldest, SEND_WINDOW).duration_since(now);
            return Err(OtpError::TooManySends {
                retry_after: retry_after.max(SignedDuration::ZERO),
            });
        }
        let last = self.sends.iter().max().copied().unwrap_or(self.created_at);
        let since_last = now.duration_since(last);
        if since_last < policy.resend_after {
            return Err(OtpError::ResendTooSoon {
                retry_after: policy
                    .resend_after
                    .checked_sub(since_last.max(SignedDuration::ZERO))
                    .unwrap_or(policy.resend_after),
            });
        }
        Ok(())
    }

    /// Replaces the code with a newly sent one: fresh expiry, attempts reset,
    /// send recorded. Refuses (and changes nothing) when `may_resend` would.
    pub fn resend(
        &mut self,
        new_hash: [u8; 32],
        policy: &OtpPolicy,
        now: Timestamp,
    ) -> Result<(), OtpError> {
        self.may_resend(policy, now)?;
        let window_start = sub(now, SEND_WINDOW);
        self.sends.retain(|&t| t > window_start);
        self.sends.push(now);
        self.code_hash = new_hash;
        self.expires_at = add(now, policy.ttl);
        self.attempts = 0;
        Ok(())
    }

    /// Checks a typed code. Locked and expired challenges refuse even the
    /// right code; a malformed code is a wrong attempt, so junk input cannot
    /// be used to probe without being counted.
    pub fn verify(
        &mut self,
        hasher: &OtpHasher,
        code: &str,
        policy: &OtpPolicy,
        now: Timestamp,
    ) -> OtpOutcome {
        if self.attempts >= policy.max_attempts {
            return OtpOutcome::TooManyAttempts;
        }
        if now >= self.expires_at {
            return OtpOutcome::Expired;
        }
        let right = match normalize_code(code, policy.code_len) {
            Some(code) => hasher.matches(&self.phone, &code, &self.code_hash),
            None => false,
        };
        if right {
            return OtpOutcome::Valid;
        }
        self.attempts = self.attempts.saturating_add(1);
        OtpOutcome::Wrong {
            attempts_left: policy.max_attempts.saturating_sub(self.attempts),
        }
    }
}

impl fmt::Debug for OtpChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtpChallenge")
            .field("phone", &self.phone)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("attempts", &self.attempts)
            .field("sends", &self.sends)
            .finish_non_exhaustive()
    }
}

/// The code as ASCII digits, or `None` when it has the wrong length or
/// anything but digits. Surrounding whitespace is forgiven (pasting adds it)
/// and Arabic-Indic or Persian digits count, as Arabic keyboards type them.
fn normalize_code(code: &str, len: u8) -> Option<String> {
    let code = code.trim();
    // Each digit is at most 2 bytes in UTF-8; anything longer is junk.
    if code.len() > usize::from(len) * 2 {
        return None;
    }
    let digits: String = code.chars().map(ascii_digit).collect::<Option<_>>()?;
    (digits.len() == usize::from(len)).then_some(digits)
}

fn add(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.checked_add(d).unwrap_or(if d.is_negative() {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

fn sub(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.checked_sub(d).unwrap_or(if d.is_negative() {
        Timestamp::MAX
    } else {
        Timestamp::MIN
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone() -> PhoneNumber {
        PhoneNumber::parse("0791234567").unwrap()
    }

    fn hasher() -> OtpHasher {
        OtpHasher::new([7; 32])
    }

    fn t0() -> Timestamp {
        "2026-05-01T10:00:00Z".parse().unwrap()
    }

    fn at(secs: i64) -> Timestamp {
        t0() + SignedDuration::from_secs(secs)
    }

    fn challenge(code: &str) -> OtpChallenge {
        let policy = OtpPolicy::default();
        OtpChallenge::issue(phone(), hasher().hash(&phone(), code), &policy, t0())
    }

    #[test]
    fn the_default_policy_is_five_minutes_five_attempts_one_minute_five_sends_six_digits() {
        let p = OtpPolicy::default();
        assert_eq!(p.ttl, SignedDuration::from_mins(5));
        assert_eq!(p.max_attempts, 5);
        assert_eq!(p.resend_after, SignedDuration::from_secs(60));
        assert_eq!(p.max_sends_per_hour, 5);
        assert_eq!(p.code_len, 6);
    }

    #[test]
    fn generated_codes_have_the_requested_number_of_ascii_digits() {
        for len in [4, 6, 8, 10] {
            let code = generate_code(len).unwrap();
            assert_eq!(code.len(), usize::from(len));
            assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        }
    }

    #[test]
    fn codes_that_are_too_short_or_too_long_are_refused() {
        assert_eq!(generate_code(0), Err(OtpError::CodeLength { len: 0 }));
        assert_eq!(generate_code(3), Err(OtpError::CodeLength { len: 3 }));
        assert_eq!(generate_code(11), Err(OtpError::CodeLength { len: 11 }));
    }

    #[test]
    fn every_digit_turns_up_in_every_position() {
        // 2,000 codes: the chance a given digit never shows in a position is ~1e-91.
        let mut seen = [[false; 10]; 6];
        for _ in 0..2_000 {
            for (pos, b) in generate_code(6).unwrap().bytes().enumerate() {
                seen[pos][usize::from(b - b'0')] = true;
            }
        }
        assert!(seen.iter().flatten().all(|&s| s));
    }

    #[test]
    fn digits_are_spread_evenly() {
        let mut counts = [0u32; 10];
        for _ in 0..5_000 {
            for b in generate_code(10).unwrap().bytes() {
                counts[usize::from(b - b'0')] += 1;
            }
        }
        // 50,000 digits, 5,000 expected each; sd ~ 67, so ±400 is ~6 sd.
        for (digit, &n) in counts.iter().enumerate() {
            assert!((4_600..=5_400).contains(&n), "digit {digit}: {n}");
        }
    }

    #[test]
    fn the_hash_depends_on_secret_number_and_code() {
        let h = hasher();
        let base = h.hash(&phone(), "123456");
        assert_eq!(base, h.hash(&phone(), "123456"));
        assert_ne!(base, h.hash(&phone(), "123457"));
        let other = PhoneNumber::parse("0781234567").unwrap();
        assert_ne!(base, h.hash(&other, "123456"));
        assert_ne!(base, OtpHasher::new([8; 32]).hash(&phone(), "123456"));
    }

    #[test]
    fn the_hash_is_hmac_sha256_over_the_documented_message() {
        let secret = [42u8; 32];
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&secret).unwrap();
        mac.update(b"hafla/otp/v1+962791234567\x00123456");
        let expected: [u8; 32] = mac.finalize().into_bytes().into();
        assert_eq!(OtpHasher::new(secret).hash(&phone(), "123456"), expected);
    }

    #[test]
    fn hasher_debug_does_not_print_the_secret() {
        let debug = format!("{:?}", OtpHasher::new([0xAB; 32]));
        assert!(!debug.contains("171"), "{debug}");
        assert!(!debug.to_lowercase().contains("ab, "), "{debug}");
        assert!(debug.contains("redacted"));
    }

    #[test]
    fn a_new_challenge_expires_after_the_ttl_and_records_its_send() {
        let c = challenge("123456");
        assert_eq!(c.created_at, t0());
        assert_eq!(c.expires_at, at(300));
        assert_eq!(c.attempts, 0);
        assert_eq!(c.sends, vec![t0()]);
    }

    #[test]
    fn the_right_code_is_valid() {
        let mut c = challenge("123456");
        let outcome = c.verify(&hasher(), "123456", &OtpPolicy::default(), at(10));
        assert_eq!(outcome, OtpOutcome::Valid);
    }

    #[test]
    fn a_code_typed_in_arabic_indic_digits_is_valid() {
        let mut c = challenge("123456");
        let outcome = c.verify(&hasher(), "١٢٣٤٥٦", &OtpPolicy::default(), at(10));
        assert_eq!(outcome, OtpOutcome::Valid);
    }

    #[test]
    fn a_pasted_code_with_surrounding_spaces_is_valid() {
        let mut c = challenge("123456");
        let outcome = c.verify(&hasher(), " 123456\n", &OtpPolicy::default(), at(10));
        assert_eq!(outcome, OtpOutcome::Valid);
    }

    #[test]
    fn a_wrong_code_counts_an_attempt_and_says_how_many_are_left() {
        let mut c = challenge("123456");
        let policy = OtpPolicy::default();
        assert_eq!(
            c.verify(&hasher(), "000000", &policy, at(10)),
            OtpOutcome::Wrong { attempts_left: 4 }
        );
        assert_eq!(c.attempts, 1);
        assert_eq!(
            c.verify(&hasher(), "000001", &policy, at(11)),
            OtpOutcome::Wrong { attempts_left: 3 }
        );
    }

    #[test]
    fn a_code_for_another_number_is_wrong() {
        let policy = OtpPolicy::default();
        let other = PhoneNumber::parse("0781234567").unwrap();
        let mut c = OtpChallenge::issue(other, hasher().hash(&phone(), "123456"), &policy, t0());
        assert_eq!(
            c.verify(&hasher(), "123456", &policy, at(1)),
            OtpOutcome::Wrong { attempts_left: 4 }
        );
    }

    #[test]
    fn malformed_codes_are_wrong_attempts_and_never_panic() {
        let policy = OtpPolicy::default();
        let long = "1".repeat(10_000);
        let inputs = [
            "",
            "12345",
            "1234567",
            "12345a",
            "12 3456",
            "abcdef",
            "١٢٣",
            "-12345",
            "+12345",
            "１２３４５６",
            "12345\u{0}",
            &long,
        ];
        for input in inputs {
            let mut c = challenge("123456");
            let outcome = c.verify(&hasher(), input, &policy, at(1));
            assert_eq!(
                outcome,
                OtpOutcome::Wrong { attempts_left: 4 },
                "input {input:?}"
            );
            assert_eq!(c.attempts, 1);
        }
    }

    #[test]
    fn after_the_last_allowed_wrong_attempt_even_the_right_code_is_refused() {
        let mut c = challenge("123456");
        let policy = OtpPolicy::default();
        for left in (0..5).rev() {
            assert_eq!(
                c.verify(&hasher(), "999999", &policy, at(1)),
                OtpOutcome::Wrong {
                    attempts_left: left
                }
            );
        }
        assert_eq!(
            c.verify(&hasher(), "123456", &policy, at(2)),
            OtpOutcome::TooManyAttempts
        );
        assert_eq!(
            c.verify(&hasher(), "999999", &policy, at(3)),
            OtpOutcome::TooManyAttempts
        );
        assert_eq!(c.attempts, 5, "locked attempts are not counted further");
    }

    #[test]
    fn the_right_code_after_expiry_is_expired() {
        let mut c = challenge("123456");
        let policy = OtpPolicy::default();
        assert_eq!(
            c.verify(&hasher(), "123456", &policy, at(300)),
            OtpOutcome::Expired
        );
        assert_eq!(
            c.verify(&hasher(), "123456", &policy, at(299)),
            OtpOutcome::Valid
        );
    }

    #[test]
    fn guesses_after_expiry_do_not_count_as_attempts() {
        let mut c = challenge("123456");
        let policy = OtpPolicy::default();
        assert_eq!(
            c.verify(&hasher(), "000000", &policy, at(301)),
            OtpOutcome::Expired
        );
        assert_eq!(c.attempts, 0);
    }

    #[test]
    fn a_resend_within_a_minute_is_too_soon_and_says_how_long_to_wait() {
        let c = challenge("123456");
        let policy = OtpPolicy::default();
        assert_eq!(
            c.may_resend(&policy, at(20)),
            Err(OtpError::ResendTooSoon {
                retry_after: SignedDuration::from_secs(40)
            })
        );
        assert_eq!(c.may_resend(&policy, at(60)), Ok(()));
    }

    #[test]
    fn a_resend_sends_a_new_code_with_fresh_expiry_and_attempts() {
        let mut c = challenge("111111");
        let policy = OtpPolicy::default();
        c.verify(&hasher(), "000000", &policy, at(5));
        c.resend(hasher().hash(&phone(), "222222"), &policy, at(90))
            .unwrap();
        assert_eq!(c.attempts, 0);
        assert_eq!(c.expires_at, at(390));
        assert_eq!(c.created_at, t0());
        assert_eq!(c.sends, vec![t0(), at(90)]);
        assert_eq!(
            c.verify(&hasher(), "111111", &policy, at(100)),
            OtpOutcome::Wrong { attempts_left: 4 },
            "the old code no longer works"
        );
        assert_eq!(
            c.verify(&hasher(), "222222", &policy, at(101)),
            OtpOutcome::Valid
        );
    }

    #[test]
    fn a_resend_unlocks_a_challenge_locked_by_wrong_attempts() {
        let mut c = challenge("111111");
        let policy = OtpPolicy::default();
        for _ in 0..5 {
            c.verify(&hasher(), "000000", &policy, at(5));
        }
        c.resend(hasher().hash(&phone(), "222222"), &policy, at(60))
            .unwrap();
        assert_eq!(
            c.verify(&hasher(), "222222", &policy, at(61)),
            OtpOutcome::Valid
        );
    }

    #[test]
    fn a_refused_resend_changes_nothing() {
        let mut c = challenge("111111");
        let before = (c.code_hash, c.expires_at, c.sends.clone());
        let policy = OtpPolicy::default();
        assert!(
            c.resend(hasher().hash(&phone(), "222222"), &policy, at(10))
                .is_err()
        );
        assert_eq!((c.code_hash, c.expires_at, c.sends.clone()), before);
    }

    #[test]
    fn a_sixth_send_within_an_hour_is_refused_until_the_oldest_leaves_the_window() {
        let mut c = challenge("111111");
        let policy = OtpPolicy::default();
        for i in 1..5 {
            c.resend([i; 32], &policy, at(i64::from(i) * 60)).unwrap();
        }
        assert_eq!(c.sends.len(), 5);
        assert_eq!(
            c.may_resend(&policy, at(600)),
            Err(OtpError::TooManySends {
                retry_after: SignedDuration::from_secs(3000)
            })
        );
        assert!(c.resend([9; 32], &policy, at(3599)).is_err());
        c.resend([9; 32], &policy, at(3600)).unwrap();
        assert_eq!(c.sends.len(), 5, "the send from t0 has left the window");
        assert!(!c.sends.contains(&t0()));
    }

    #[test]
    fn the_hourly_limit_is_reported_before_the_one_minute_wait() {
        let mut c = challenge("111111");
        let policy = OtpPolicy::default();
        for i in 1..5 {
            c.resend([i; 32], &policy, at(i64::from(i) * 60)).unwrap();
        }
        assert!(matches!(
            c.may_resend(&policy, at(250)),
            Err(OtpError::TooManySends { .. })
        ));
    }

    #[test]
    fn challenge_debug_does_not_show_the_hash_or_full_number() {
        let c = challenge("123456");
        let debug = format!("{c:?}");
        assert!(!debug.contains("code_hash"), "{debug}");
        assert!(!debug.contains("791234567"), "{debug}");
    }
}
