//! Password hashing (argon2id) and the rules a new password must meet.
//!
//! Parameters: argon2id, m = 19 MiB, t = 2, p = 1 — OWASP's recommended minimum, about
//! 11 ms per hash on one core of a 2-core server (see BENCHMARKS.md), which bounds
//! password guessing while keeping sign-in quick. Hashes are PHC strings, so parameters can
//! be raised later and old hashes still verify.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 256;

/// Why a new password is refused; each has its own message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRuleError {
    #[error("the password is shorter than {MIN_LENGTH} characters")]
    TooShort,
    #[error("the password is longer than {MAX_LENGTH} characters")]
    TooLong,
    #[error("the password is one of the most common passwords")]
    TooCommon,
    #[error("the password contains the email address or phone number")]
    ContainsIdentifier,
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Passwords anyone would try first, including Arabic-keyboard and local favourites.
const COMMON: &[&str] = &[
    "1234567890",
    "12345678910",
    "0123456789",
    "qwertyuiop",
    "password123",
    "passw0rd123",
    "iloveyou123",
    "1111111111",
    "0000000000",
    "amman12345",
    "jordan1234",
    "jordan12345",
    "ahmad12345",
    "mohammad123",
    "123123123123",
    "abcdefghij",
    "a123456789",
    "qwerty12345",
];

/// Checks a new password against the rules. Counts characters, not bytes (Arabic counts fairly).
pub fn check_rules(password: &str, identifiers: &[&str]) -> Result<(), PasswordRuleError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PasswordRuleError::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(PasswordRuleError::TooLong);
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) {
        return Err(PasswordRuleError::TooCommon);
    }
    let contains = |id: &&str| {
        let local = id.split('@').next().unwrap_or(id).to_lowercase();
        local.chars().count() >= 4 && lower.contains(&local)
    };
    if identifiers.iter().any(contains) {
        return Err(PasswordRuleError::ContainsIdentifier);
    }
    Ok(())
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password` with a fresh random salt.
pub fn hash(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| HashError(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    Ok(argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| HashError(e.to_string()))?
        .to_string())
}

/// Whether `password` matches `phc`. A malformed stored hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash to verify against when the account does not exist, so the response time does not
/// tell an attacker which emails have accounts.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("not a real password, only for timing").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let phc = hash("كلمة-سر-طويلة-2026").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("كلمة-سر-طويلة-2026", &phc));
        assert!(!verify("كلمة-سر-طويلة-2025", &phc));
        assert!(!verify("anything", "not a phc string"));
    }

    #[test]
    fn the_rules_refuse_short_long_common_and_self_naming_passwords() {
        assert_eq!(check_rules("short", &[]), Err(PasswordRuleError::TooShort));
        assert_eq!(
            check_rules(&"x".repeat(300), &[]),
            Err(PasswordRuleError::TooLong)
        );
        assert_eq!(
            check_rules("Jordan1234", &[]),
            Err(PasswordRuleError::TooCommon)
        );
        assert_eq!(
            check_rules("layla.haddad-rocks", &["layla.haddad@example.jo"]),
            Err(PasswordRuleError::ContainsIdentifier)
        );
        assert_eq!(
            check_rules("نجوم وادي رم ٢٠٢٦", &[]),
            Ok(()),
            "ten Arabic characters are enough"
        );
        assert_eq!(
            check_rules("correct horse battery", &["layla@example.jo"]),
            Ok(())
        );
    }
}
