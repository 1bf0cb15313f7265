//! Access tokens (short-lived EdDSA JWTs) and refresh tokens (opaque, stored hashed).
//!
//! An access token proves who is calling for 15 minutes without a database read. A refresh
//! token is 32 random bytes shown once to the client; the server keeps only its SHA-256, and
//! rotates it on every use (see `store::SessionStore`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use zeroize::Zeroizing;

pub const ACCESS_TTL_SECS: i64 = 15 * 60;
pub const REFRESH_TTL_DAYS: i64 = 30;
const ISSUER: &str = "hafla";
const AUDIENCE: &str = "hafla-api";
/// PKCS#8 v1 prefix of an Ed25519 private key; the 32-byte seed follows.
const PKCS8_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid")]
    Invalid,
    #[error("the token key is not usable: {0}")]
    Key(String),
}

/// What an access token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id.
    pub sub: Uuid,
    /// The sign-in (refresh-token family) it belongs to.
    pub sid: Uuid,
    /// Platform admin.
    #[serde(default)]
    pub adm: bool,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

/// Signs and checks access tokens with one Ed25519 key.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(<secret>)")
    }
}

impl TokenKeys {
    /// From a 32-byte Ed25519 seed (the server's token key).
    pub fn from_seed(seed: &[u8; 32]) -> Result<TokenKeys, TokenError> {
        let mut der = Zeroizing::new(Vec::with_capacity(48));
        der.extend_from_slice(&PKCS8_ED25519_PREFIX);
        der.extend_from_slice(seed);
        let public = ed25519_dalek::SigningKey::from_bytes(seed).verifying_key();
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.leeway = 30;
        Ok(TokenKeys {
            encoding: EncodingKey::from_ed_der(&der),
            decoding: DecodingKey::from_ed_components(&URL_SAFE_NO_PAD.encode(public.as_bytes()))
                .map_err(|e| TokenError::Key(e.to_string()))?,
            validation,
        })
    }

    /// A signed access token for `user_id` in sign-in `family_id`, valid from `now`.
    pub fn issue(
        &self,
        user_id: Uuid,
        family_id: Uuid,
        is_admin: bool,
        now: jiff::Timestamp,
    ) -> Result<String, TokenError> {
        let claims = AccessClaims {
            sub: user_id,
            sid: family_id,
            adm: is_admin,
            iat: now.as_second(),
            exp: now.as_second() + ACCESS_TTL_SECS,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &self.encoding)
            .map_err(|e| TokenError::Key(e.to_string()))
    }

    /// Checks signature, algorithm, issuer, audience and expiry (against the system clock).
    pub fn check(&self, token: &str) -> Result<AccessClaims, TokenError> {
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

/// A new opaque token (refresh, email link): 32 random bytes, base64url. Shown once.
pub fn new_opaque_token() -> Result<Zeroizing<String>, TokenError> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    getrandom::fill(bytes.as_mut_slice()).map_err(|e| TokenError::Key(e.to_string()))?;
    Ok(Zeroizing::new(URL_SAFE_NO_PAD.encode(bytes.as_slice())))
}

/// What the database keeps of an opaque token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(seed: u8) -> TokenKeys {
        TokenKeys::from_seed(&[seed; 32]).unwrap()
    }

    #[test]
    fn an_issued_token_checks_out_with_its_claims() {
        let (user, family) = (Uuid::now_v7(), Uuid::now_v7());
        let token = keys(1)
            .issue(user, family, true, jiff::Timestamp::now())
            .unwrap();
        let claims = keys(1).check(&token).unwrap();
        assert_eq!((claims.sub, claims.sid, claims.adm), (user, family, true));
    }

    #[test]
    fn expired_forged_and_tampered_tokens_are_refused() {
        let user = Uuid::now_v7();
        let old = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
        assert_eq!(
            keys(1).check(&keys(1).issue(user, user, false, old).unwrap()),
            Err(TokenError::Expired)
        );
        let forged = keys(2)
            .issue(user, user, true, jiff::Timestamp::now())
            .unwrap();
        assert_eq!(keys(1).check(&forged), Err(TokenError::Invalid));
        let token = keys(1)
            .issue(user, user, false, jiff::Timestamp::now())
            .unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        claims["adm"] = true.into();
        parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
        assert_eq!(keys(1).check(&parts.join(".")), Err(TokenError::Invalid));
        for junk in ["", "a.b.c", "not a token", "eyJhbGciOiJub25lIn0.e30."] {
            assert_eq!(keys(1).check(junk), Err(TokenError::Invalid), "{junk}");
        }
    }

    #[test]
    fn opaque_tokens_are_distinct_and_only_their_hash_is_kept() {
        let (a, b) = (new_opaque_token().unwrap(), new_opaque_token().unwrap());
        assert_ne!(*a, *b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a), token_hash(&a.clone()));
        assert_ne!(token_hash(&a), token_hash(&b));
    }
}
