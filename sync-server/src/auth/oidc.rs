//! OpenID Connect sign-in ("Sign in with Google / Apple / Microsoft …") as a
//! Relying Party, for any issuer by configuration.
//!
//! The flow is the authorization-code flow with PKCE (S256):
//!
//! 1. [`OidcClient::discover`] reads the provider's discovery document once
//!    and caches its signing keys (JWKS).
//! 2. [`OidcClient::authorization_request`] makes the URL the browser is sent
//!    to, with fresh `state`, `nonce` and PKCE verifier. The caller keeps a
//!    [`PendingLogin`] server-side under `state`, with an expiry.
//! 3. The provider redirects back with `code` and `state`; the caller looks
//!    the pending login up by `state` (and removes it: one use only) and calls
//!    [`OidcClient::exchange_code`], which redeems the code and verifies the
//!    `id_token` (signature, issuer, audience, lifetime, nonce).
//!
//! Nothing here logs tokens, codes, secrets or verifiers: their `Debug`
//! output is redacted, and errors carry only fixed descriptions or values the
//! provider sends in the clear (such as OAuth error codes).

use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jiff::{SignedDuration, Timestamp};
use jsonwebtoken::errors::ErrorKind as JwtErrorKind;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, RwLock};
use url::{Host, Url, form_urlencoded};

/// Clock skew tolerated between us and the provider when checking `exp`,
/// `iat` and `nbf`; providers' clocks drift by seconds, not minutes.
pub const CLOCK_LEEWAY: SignedDuration = SignedDuration::from_secs(60);

/// How long a started login may wait for its callback. People sign in within
/// a minute or two; an old `state` is more likely replayed than real.
pub const PENDING_LOGIN_TTL: SignedDuration = SignedDuration::from_mins(10);

/// A token naming an unknown key refetches the JWKS at most this often, so a
/// stream of forged `kid`s cannot make us hammer the provider.
const JWKS_REFETCH_INTERVAL_SECONDS: i64 = 60;

/// Per-request bound, whatever the caller's client says, so a slow provider
/// cannot hold a sign-in (or the JWKS refetch lock) for long.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Discovery documents, key sets and token responses are a few KiB; anything
/// far bigger is a misbehaving or hostile server.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Real id_tokens are 1–2 KiB; refusing huge ones early bounds the work.
const MAX_ID_TOKEN_BYTES: usize = 16 * 1024;

/// Entropy for state, nonce and PKCE verifier: 32 bytes is 256 bits, and
/// base64url makes a 43-character verifier, the minimum RFC 7636 allows.
const RANDOM_BYTES: usize = 32;

/// RSA keys under 2048 bits are breakable; no major provider uses them.
const MIN_RSA_MODULUS_BYTES: usize = 256;

/// OpenID Connect caps `sub` at 255 ASCII characters.
const MAX_SUBJECT_LEN: usize = 255;

/// The scopes asked for when the configuration names none.
pub fn default_scopes() -> Vec<String> {
    ["openid", "email", "profile"]
        .into_iter()
        .map(String::from)
        .collect()
}

/// A confidential client's secret. `Debug` never shows it, so configs and
/// clients can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for sending to the token endpoint only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for ClientSecret {
    fn from(secret: String) -> Self {
        Self(secret)
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

/// One identity provider, as registered with it.
#[derive(Debug, Clone)]
pub struct OidcProviderConfig {
    /// Our name for the provider ("google", "apple", "microsoft"); it tags
    /// pending logins and identities.
    pub name: String,
    /// Compared exactly with the discovery document and the id_token's `iss`.
    /// A bare origin may be written with or without its trailing slash, since
    /// `Url` cannot tell those apart.
    pub issuer: Url,
    pub client_id: String,
    /// `None` for a public client (PKCE alone authenticates the exchange).
    pub client_secret: Option<ClientSecret>,
    /// Must be registered with the provider exactly as written here.
    pub redirect_uri: Url,
    /// Empty means [`default_scopes`]; `openid` is always sent.
    pub scopes: Vec<String>,
}

impl OidcProviderConfig {
    /// A public client asking for the default scopes.
    pub fn new(
        name: impl Into<String>,
        issuer: Url,
        client_id: impl Into<String>,
        redirect_uri: Url,
    ) -> Self {
        Self {
            name: name.into(),
            issuer,
            client_id: client_id.into(),
            client_secret: None,
            redirect_uri,
            scopes: default_scopes(),
        }
    }

    /// The `scope` parameter: configured scopes, `openid` first and once.
    fn scope_parameter(&self) -> String {
        let configured = if self.scopes.is_empty() {
            default_scopes()
        } else {
            self.scopes.clone()
        };
        let mut scopes = vec!["openid".to_owned()];
        for scope in configured {
            let scope = scope.trim();
            if !scope.is_empty() && !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
        scopes.join(" ")
    }
}

/// The PKCE `code_verifier`: proves at the token endpoint that whoever redeems
/// the code started the login. Secret until then, so `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct PkceVerifier(String);

impl PkceVerifier {
    /// Rebuilds a verifier read back from the pending-login store.
    pub fn from_stored(verifier: String) -> Self {
        Self(verifier)
    }

    /// The verifier itself, for storing with the pending login.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// `BASE64URL(SHA256(verifier))`, the S256 `code_challenge` (RFC 7636).
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceVerifier(<redacted>)")
    }
}

/// Where to send the browser, and what to remember until it comes back.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub url: Url,
    /// Key of the pending login; the callback must bring it back unchanged.
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: PkceVerifier,
}

/// What the caller stores server-side, keyed by `state`, between
/// [`OidcClient::authorization_request`] and [`OidcClient::exchange_code`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLogin {
    /// The [`OidcProviderConfig::name`] the login was started with.
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: PkceVerifier,
    pub created_at: Timestamp,
}

impl PendingLogin {
    /// True once [`PENDING_LOGIN_TTL`] has passed; such logins must be
    /// refused and removed.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        now.duration_since(self.created_at) > PENDING_LOGIN_TTL
    }
}

/// Who signed in, as vouched for by the provider's signed id_token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    pub provider: String,
    /// Stable, provider-scoped user id (`sub`): the key to link accounts by.
    pub subject: String,
    pub email: Option<String>,
    /// True only if the provider literally said so (`true` or `"true"`) and
    /// sent an email; an unverified email must not link to an account.
    pub email_verified: bool,
    pub name: Option<String>,
}

/// Why an id_token was refused. Each reason is fixed text: nothing from the
/// token itself is echoed, except a short, sanitized algorithm name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenRejection {
    #[error("the token response carries no id_token")]
    Missing,
    #[error("malformed: {0}")]
    Malformed(&'static str),
    #[error("signing algorithm {0:?} is not accepted")]
    DisallowedAlgorithm(String),
    #[error("the signing key is published for another algorithm")]
    KeyAlgorithmMismatch,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("issued by another issuer")]
    IssuerMismatch,
    #[error("not addressed to this client")]
    AudienceMismatch,
    #[error("the authorized party is not this client")]
    AuthorizedPartyMismatch,
    #[error("expired")]
    Expired,
    #[error("issued in the future")]
    IssuedInFuture,
    #[error("not valid yet")]
    NotYetValid,
    #[error("the nonce does not match this login")]
    NonceMismatch,
    #[error("the {0} claim is missing")]
    MissingClaim(&'static str),
}

/// Failures of discovery, code exchange and token verification, split so an
/// API layer can tell "provider down" from "login tampered with".
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider's metadata or key set is unusable (bad document,
    /// missing endpoint, no S256, insecure URL, no usable key…).
    #[error("OIDC discovery failed: {0}")]
    Discovery(String),
    /// The discovery document names another issuer than configured: a
    /// misconfiguration or a spoofed document.
    #[error("the discovery document names another issuer than configured")]
    IssuerMismatch,
    /// The token endpoint refused the code; `error` is its OAuth error code
    /// (`invalid_grant`, `invalid_client`…) when it sent a well-formed one.
    #[error(
        "the token endpoint answered {status} ({})",
        error.as_deref().unwrap_or("no OAuth error code")
    )]
    TokenEndpoint { status: u16, error: Option<String> },
    #[error("id_token refused: {0}")]
    InvalidIdToken(IdTokenRejection),
    /// The id_token names a key the provider does not publish, even after a
    /// (rate-limited) refetch of its key set.
    #[error("the id_token is signed with a key the provider does not publish")]
    UnknownKey,
    #[error("could not reach the provider: {0}")]
    Network(String),
    #[error("the system's random number generator failed: {0}")]
    Randomness(String),
    /// The pending login is older than [`PENDING_LOGIN_TTL`]; start again.
    #[error("the login took too long; start it again")]
    LoginExpired,
    /// The pending login was started with another provider than this client.
    #[error("this login was started with provider {started_with:?}, not {provider:?}")]
    ProviderMismatch {
        started_with: String,
        provider: String,
    },
}

impl From<IdTokenRejection> for OidcError {
    fn from(rejection: IdTokenRejection) -> Self {
        Self::InvalidIdToken(rejection)
    }
}

/// How the client proves itself at the token endpoint, decided once at
/// discovery.
#[derive(Clone)]
enum ClientAuth {
    /// Public client: `client_id` in the form, PKCE does the rest.
    None,
    /// `client_secret_post`: the secret as a form field.
    Post(ClientSecret),
    /// `client_secret_basic`: the ready `Authorization` header.
    Basic(HeaderValue),
}

impl ClientAuth {
    /// Follows `token_endpoint_auth_methods_supported`: the first of
    /// `client_secret_basic` / `client_secret_post` it lists wins; when the
    /// list is absent the spec's default, Basic, applies; when it names
    /// neither, the form field is tried (the provider then says
    /// `invalid_client`).
    fn choose(
        config: &OidcProviderConfig,
        supported: Option<&[String]>,
    ) -> Result<Self, OidcError> {
        let Some(secret) = &config.client_secret else {
            return Ok(Self::None);
        };
        let basic = match supported {
            None => true,
            Some(methods) => methods
                .iter()
                .find(|m| *m == "client_secret_basic" || *m == "client_secret_post")
                .is_some_and(|m| m == "client_secret_basic"),
        };
        if !basic {
            return Ok(Self::Post(secret.clone()));
        }
        // RFC 6749 §2.3.1: form-urlencode both parts before base64.
        let user: String = form_urlencoded::byte_serialize(config.client_id.as_bytes()).collect();
        let password: String =
            form_urlencoded::byte_serialize(secret.expose().as_bytes()).collect();
        let mut header = HeaderValue::from_str(&format!(
            "Basic {}",
            STANDARD.encode(format!("{user}:{password}"))
        ))
        .map_err(|_| OidcError::Discovery("client credentials do not fit in a header".into()))?;
        header.set_sensitive(true);
        Ok(Self::Basic(header))
    }
}

/// The parts of the discovery document we use.
#[derive(Deserialize)]
struct DiscoveryDocument {
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    jwks_uri: Option<String>,
    code_challenge_methods_supported: Option<Vec<String>>,
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// A key from the provider's JWKS that may verify id_tokens, bound to the
/// one algorithm it is for (so a token cannot pick another).
#[derive(Debug, Clone)]
struct VerificationKey {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

struct KeyCache {
    keys: Vec<VerificationKey>,
    /// When the JWKS was last requested, successfully or not.
    last_fetch_attempt: Timestamp,
}

/// A discovered provider: makes authorization requests, redeems codes and
/// verifies id_tokens. Share it (e.g. in an `Arc`) across requests; its key
/// cache is internally synchronized.
pub struct OidcClient {
    config: OidcProviderConfig,
    /// The issuer exactly as the discovery document writes it; id_tokens'
    /// `iss` must equal it.
    issuer: String,
    authorization_endpoint: Url,
    token_endpoint: Url,
    jwks_uri: Url,
    client_auth: ClientAuth,
    http: reqwest::Client,
    keys: RwLock<KeyCache>,
    /// Serializes JWKS refetches so concurrent unknown-kid tokens cause one.
    refetch: Mutex<()>,
}

impl fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcClient")
            .field("provider", &self.config.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.config.client_id)
            .finish_non_exhaustive()
    }
}

impl OidcClient {
    /// Reads `{issuer}/.well-known/openid-configuration`, checks it names the
    /// configured issuer and offers what the flow needs, and fetches the JWKS.
    ///
    /// The `http` client should not follow redirects (the token endpoint must
    /// answer itself); timeouts are also bounded here per request.
    pub async fn discover(
        config: OidcProviderConfig,
        http: reqwest::Client,
    ) -> Result<Self, OidcError> {
        require_secure(&config.issuer, "issuer").map_err(OidcError::Discovery)?;
        if config.issuer.query().is_some() || config.issuer.fragment().is_some() {
            return Err(OidcError::Discovery(
                "the issuer must not have a query or fragment".into(),
            ));
        }
        let well_known = Url::parse(&format!(
            "{}/.well-known/openid-configuration",
            config.issuer.as_str().trim_end_matches('/')
        ))
        .map_err(|_| {
            OidcError::Discovery("the issuer cannot be extended to a discovery URL".into())
        })?;

        let (status, body) =
            send_bounded(http.get(well_known).header(ACCEPT, "application/json")).await?;
        if !status.is_success() {
            return Err(OidcError::Discovery(format!(
                "the discovery document answered {status}"
            )));
        }
        let document: DiscoveryDocument = serde_json::from_slice(&body).map_err(|_| {
            OidcError::Discovery(
                "the discovery document is not a JSON object of the expected shape".into(),
            )
        })?;

        let issuer = document
            .issuer
            .ok_or_else(|| OidcError::Discovery("the discovery document names no issuer".into()))?;
        if !issuer_matches(&config.issuer, &issuer) {
            tracing::warn!(
                provider = %config.name,
                configured = %config.issuer,
                discovered = %issuer,
                "OIDC discovery document names another issuer"
            );
            return Err(OidcError::IssuerMismatch);
        }
        let authorization_endpoint =
            endpoint(document.authorization_endpoint, "authorization_endpoint")?;
        let token_endpoint = endpoint(document.token_endpoint, "token_endpoint")?;
        let jwks_uri = endpoint(document.jwks_uri, "jwks_uri")?;
        if let Some(methods) = &document.code_challenge_methods_supported
            && !methods.iter().any(|m| m == "S256")
        {
            return Err(OidcError::Discovery(
                "the provider does not support the S256 PKCE method".into(),
            ));
        }
        let client_auth = ClientAuth::choose(
            &config,
            document.token_endpoint_auth_methods_supported.as_deref(),
        )?;

        let fetched_at = Timestamp::now();
        let keys = fetch_jwks(&http, &jwks_uri).await?;
        if keys.is_empty() {
            return Err(OidcError::Discovery(
                "the JWKS holds no key usable for RS256, ES256 or EdDSA".into(),
            ));
        }
        tracing::debug!(
            provider = %config.name,
            %issuer,
            keys = keys.len(),
            "OIDC provider discovered"
        );

        Ok(Self {
            config,
            issuer,
            authorization_endpoint,
            token_endpoint,
            jwks_uri,
            client_auth,
            http,
            keys: RwLock::new(KeyCache {
                keys,
                last_fetch_attempt: fetched_at,
            }),
            refetch: Mutex::new(()),
        })
    }

    /// The configured provider name ("google"…).
    pub fn provider(&self) -> &str {
        &self.config.name
    }

    /// The issuer as the provider writes it.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Starts a login: fresh `state`, `nonce` and PKCE verifier, and the URL
    /// to redirect the browser to.
    pub fn authorization_request(&self) -> Result<AuthorizationRequest, OidcError> {
        let state = random_token()?;
        let nonce = random_token()?;
        let pkce_verifier = PkceVerifier(random_token()?);
        let mut url = self.authorization_endpoint.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", self.config.redirect_uri.as_str())
            .append_pair("scope", &self.config.scope_parameter())
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &pkce_verifier.challenge())
            .append_pair("code_challenge_method", "S256");
        Ok(AuthorizationRequest {
            url,
            state,
            nonce,
            pkce_verifier,
        })
    }

    /// The record to keep under `request.state` until the callback.
    pub fn pending_login(&self, request: &AuthorizationRequest, now: Timestamp) -> PendingLogin {
        PendingLogin {
            provider: self.config.name.clone(),
            nonce: request.nonce.clone(),
            pkce_verifier: request.pkce_verifier.clone(),
            created_at: now,
        }
    }

    /// Redeems the callback's `code` and verifies the id_token it yields.
    /// The caller has already matched `state` to `pending` (and removed it,
    /// so a `state` serves once); an expired `pending` is refused here too.
    pub async fn exchange_code(
        &self,
        code: &str,
        pending: &PendingLogin,
        now: Timestamp,
    ) -> Result<VerifiedIdentity, OidcError> {
        if pending.provider != self.config.name {
            return Err(OidcError::ProviderMismatch {
                started_with: pending.provider.clone(),
                provider: self.config.name.clone(),
            });
        }
        if pending.is_expired(now) {
            return Err(OidcError::LoginExpired);
        }
        let id_token = self.redeem_code(code, &pending.pkce_verifier).await?;
        self.verify_id_token(&id_token, &pending.nonce, now).await
    }

    /// POSTs the code to the token endpoint and returns the raw id_token.
    async fn redeem_code(&self, code: &str, verifier: &PkceVerifier) -> Result<String, OidcError> {
        let mut request = self
            .http
            .post(self.token_endpoint.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json");
        if let ClientAuth::Basic(header) = &self.client_auth {
            request = request.header(AUTHORIZATION, header.clone());
        }
        // Built in one expression: the serializer is not Send and must not live across await.
        let form = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "authorization_code")
                .append_pair("code", code)
                .append_pair("redirect_uri", self.config.redirect_uri.as_str())
                .append_pair("client_id", &self.config.client_id)
                .append_pair("code_verifier", verifier.secret());
            if let ClientAuth::Post(secret) = &self.client_auth {
                form.append_pair("client_secret", secret.expose());
            }
            form.finish()
        };
        let (status, body) = send_bounded(request.body(form)).await?;
        if !status.is_success() {
            let error = oauth_error_code(&body);
            tracing::warn!(
                provider = %self.config.name,
                status = status.as_u16(),
                error = error.as_deref().unwrap_or("-"),
                "OIDC token endpoint refused the code"
            );
            return Err(OidcError::TokenEndpoint {
                status: status.as_u16(),
                error,
            });
        }

        #[derive(Deserialize)]
        struct TokenResponse {
            id_token: Option<String>,
        }
        let response: TokenResponse = serde_json::from_slice(&body)
            .map_err(|_| IdTokenRejection::Malformed("the token response is not a JSON object"))?;
        Ok(response.id_token.ok_or(IdTokenRejection::Missing)?)
    }

    /// Verifies an id_token from this provider: signature by a published key
    /// (RS256, ES256 or EdDSA only), `iss`, `aud`/`azp`, `exp`/`iat`/`nbf`
    /// against `now` with [`CLOCK_LEEWAY`], and `nonce`.
    ///
    /// [`Self::exchange_code`] calls this; it is public for flows that get an
    /// id_token another way (e.g. a native app's platform sign-in), which
    /// must still bind it to a server-issued nonce.
    pub async fn verify_id_token(
        &self,
        id_token: &str,
        expected_nonce: &str,
        now: Timestamp,
    ) -> Result<VerifiedIdentity, OidcError> {
        let header = parse_header(id_token)?;
        let key = self.key_for(header.kid.as_deref(), header.alg, now).await?;
        let claims = verify_signature(id_token, &key)?;
        Ok(self.check_claims(claims, expected_nonce, now)?)
    }

    /// Finds the key a token names, refetching the JWKS once (at most once a
    /// minute) when it is unknown: providers rotate keys.
    async fn key_for(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
        now: Timestamp,
    ) -> Result<VerificationKey, OidcError> {
        if let Some(key) = lookup(&self.keys.read().await.keys, kid, alg)? {
            return Ok(key);
        }
        let _one_refetch_at_a_time = self.refetch.lock().await;
        {
            let cache = self.keys.read().await;
            // Another request may have refetched while we waited.
            if let Some(key) = lookup(&cache.keys, kid, alg)? {
                return Ok(key);
            }
            let since = now.as_second() - cache.last_fetch_attempt.as_second();
            if since < JWKS_REFETCH_INTERVAL_SECONDS {
                return Err(OidcError::UnknownKey);
            }
        }
        self.keys.write().await.last_fetch_attempt = now;
        tracing::info!(
            provider = %self.config.name,
            "id_token names an unknown key; refetching the JWKS"
        );
        let keys = fetch_jwks(&self.http, &self.jwks_uri).await?;
        let found = lookup(&keys, kid, alg);
        self.keys.write().await.keys = keys;
        found?.ok_or(OidcError::UnknownKey)
    }

    fn check_claims(
        &self,
        claims: IdTokenClaims,
        expected_nonce: &str,
        now: Timestamp,
    ) -> Result<VerifiedIdentity, IdTokenRejection> {
        use IdTokenRejection as R;
        let client_id = self.config.client_id.as_str();
        let now = now.as_second();
        let leeway = CLOCK_LEEWAY.as_secs();

        let iss = claims.iss.ok_or(R::MissingClaim("iss"))?;
        if iss != self.issuer {
            return Err(R::IssuerMismatch);
        }

        let audiences = match claims.aud.ok_or(R::MissingClaim("aud"))? {
            Audience::One(aud) => vec![aud],
            Audience::Many(auds) => auds,
        };
        if !audiences.iter().any(|aud| aud == client_id) {
            return Err(R::AudienceMismatch);
        }
        match claims.azp.as_deref() {
            Some(azp) if azp != client_id => return Err(R::AuthorizedPartyMismatch),
            None if audiences.len() > 1 => return Err(R::AuthorizedPartyMismatch),
            _ => {}
        }

        let exp = seconds(claims.exp.ok_or(R::MissingClaim("exp"))?);
        if now >= exp.saturating_add(leeway) {
            return Err(R::Expired);
        }
        let iat = seconds(claims.iat.ok_or(R::MissingClaim("iat"))?);
        if iat > now.saturating_add(leeway) {
            return Err(R::IssuedInFuture);
        }
        if let Some(nbf) = claims.nbf
            && seconds(nbf) > now.saturating_add(leeway)
        {
            return Err(R::NotYetValid);
        }

        if expected_nonce.is_empty() || claims.nonce.as_deref() != Some(expected_nonce) {
            return Err(R::NonceMismatch);
        }

        let subject = claims.sub.ok_or(R::MissingClaim("sub"))?;
        if subject.is_empty() || subject.len() > MAX_SUBJECT_LEN {
            return Err(R::Malformed("sub is empty or longer than 255 characters"));
        }
        let email_verified =
            claims.email.is_some() && is_literally_true(claims.email_verified.as_ref());
        Ok(VerifiedIdentity {
            provider: self.config.name.clone(),
            subject,
            email: claims.email,
            email_verified,
            name: claims.name,
        })
    }
}

/// The id_token claims we read. Every field is optional here so a missing
/// one gets a precise rejection rather than a parse error.
#[derive(Deserialize)]
struct IdTokenClaims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    exp: Option<f64>,
    iat: Option<f64>,
    nbf: Option<f64>,
    nonce: Option<String>,
    azp: Option<String>,
    email: Option<String>,
    email_verified: Option<Value>,
    name: Option<String>,
}

/// `aud` is a string or an array of strings (RFC 7519 §4.1.3).
#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// NumericDate may carry fractions; whole seconds are enough. `as` saturates.
fn seconds(numeric_date: f64) -> i64 {
    numeric_date.floor() as i64
}

/// Some providers (Apple) send `"true"` strings for booleans; anything but
/// `true` or `"true"` counts as not verified.
fn is_literally_true(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(flag)) => *flag,
        Some(Value::String(text)) => text == "true",
        _ => false,
    }
}

/// The JOSE header fields we act on.
struct TokenHeader {
    alg: Algorithm,
    kid: Option<String>,
}

/// Parses the header ourselves so the algorithm allow-list is enforced before
/// any key is chosen (`none`, HS*, PS*… never get further).
fn parse_header(token: &str) -> Result<TokenHeader, IdTokenRejection> {
    #[derive(Deserialize)]
    struct RawHeader {
        alg: Option<String>,
        kid: Option<String>,
        crit: Option<Value>,
    }
    use IdTokenRejection::{DisallowedAlgorithm, Malformed};

    if token.len() > MAX_ID_TOKEN_BYTES {
        return Err(Malformed("the token is too large"));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(_payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Malformed("not a compact JWS of three parts"));
    };
    let header = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| Malformed("the header is not base64url"))?;
    let header: RawHeader = serde_json::from_slice(&header)
        .map_err(|_| Malformed("the header is not a JSON object"))?;
    if header.crit.is_some() {
        return Err(Malformed("the header has critical extensions"));
    }
    let alg = header
        .alg
        .ok_or(Malformed("the header names no algorithm"))?;
    let alg = match alg.as_str() {
        "RS256" => Algorithm::RS256,
        "ES256" => Algorithm::ES256,
        "EdDSA" => Algorithm::EdDSA,
        other => return Err(DisallowedAlgorithm(sanitized(other))),
    };
    Ok(TokenHeader {
        alg,
        kid: header.kid,
    })
}

/// At most 16 printable ASCII characters of a value from the network, for
/// error messages.
fn sanitized(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(16)
        .collect()
}

/// Checks the signature with `key` (whose algorithm was matched to the
/// header) and parses the claims; the claims themselves are checked by
/// [`OidcClient::check_claims`] against our own `now`.
fn verify_signature(token: &str, key: &VerificationKey) -> Result<IdTokenClaims, IdTokenRejection> {
    let mut validation = Validation::new(key.algorithm);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    jsonwebtoken::decode::<IdTokenClaims>(token, &key.key, &validation)
        .map(|data| data.claims)
        .map_err(|error| match error.kind() {
            JwtErrorKind::Json(_) => IdTokenRejection::Malformed(
                "the claims are not a JSON object of the expected shape",
            ),
            JwtErrorKind::Base64(_) | JwtErrorKind::Utf8(_) | JwtErrorKind::InvalidToken => {
                IdTokenRejection::Malformed("a part is not valid base64url")
            }
            _ => IdTokenRejection::BadSignature,
        })
}

/// The key a token's `kid` (or, without one, the only key for its
/// algorithm) names: `Ok(None)` if there is none, an error if the `kid`
/// exists but for another algorithm.
fn lookup(
    keys: &[VerificationKey],
    kid: Option<&str>,
    alg: Algorithm,
) -> Result<Option<VerificationKey>, IdTokenRejection> {
    let Some(kid) = kid else {
        let mut fitting = keys.iter().filter(|k| k.algorithm == alg);
        return Ok(match (fitting.next(), fitting.next()) {
            (Some(only), None) => Some(only.clone()),
            _ => None,
        });
    };
    let mut named = keys
        .iter()
        .filter(|k| k.kid.as_deref() == Some(kid))
        .peekable();
    if named.peek().is_none() {
        return Ok(None);
    }
    named
        .find(|k| k.algorithm == alg)
        .cloned()
        .map(Some)
        .ok_or(IdTokenRejection::KeyAlgorithmMismatch)
}

/// Fetches the JWKS and keeps the keys that can verify id_tokens.
async fn fetch_jwks(http: &reqwest::Client, uri: &Url) -> Result<Vec<VerificationKey>, OidcError> {
    #[derive(Deserialize)]
    struct RawJwks {
        keys: Vec<Value>,
    }
    let (status, body) =
        send_bounded(http.get(uri.clone()).header(ACCEPT, "application/json")).await?;
    if !status.is_success() {
        return Err(OidcError::Discovery(format!(
            "the JWKS endpoint answered {status}"
        )));
    }
    let raw: RawJwks = serde_json::from_slice(&body).map_err(|_| {
        OidcError::Discovery("the JWKS is not a JSON object with a keys array".into())
    })?;
    // Keys are parsed one by one: one exotic key must not hide the others.
    Ok(raw
        .keys
        .into_iter()
        .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
        .filter_map(|jwk| verification_key(&jwk))
        .collect())
}

/// A JWK as a verification key, or `None` if it is not a public signing key
/// for RS256 (≥ 2048 bits), ES256 (P-256) or EdDSA (Ed25519). Shared-secret
/// (`oct`) keys never qualify: that would let anyone holding the public JWKS
/// forge HS256 tokens.
fn verification_key(jwk: &Jwk) -> Option<VerificationKey> {
    if jwk
        .common
        .public_key_use
        .as_ref()
        .is_some_and(|usage| *usage != PublicKeyUse::Signature)
    {
        return None;
    }
    if jwk
        .common
        .key_operations
        .as_ref()
        .is_some_and(|ops| !ops.contains(&KeyOperations::Verify))
    {
        return None;
    }
    let declared = jwk.common.key_algorithm;
    let allowed = |alg: KeyAlgorithm| declared.is_none() || declared == Some(alg);
    let algorithm = match &jwk.algorithm {
        AlgorithmParameters::RSA(rsa) => {
            let modulus = URL_SAFE_NO_PAD.decode(&rsa.n).ok()?;
            let significant = modulus.iter().skip_while(|b| **b == 0).count();
            if significant < MIN_RSA_MODULUS_BYTES || !allowed(KeyAlgorithm::RS256) {
                return None;
            }
            Algorithm::RS256
        }
        AlgorithmParameters::EllipticCurve(ec) => {
            if ec.curve != EllipticCurve::P256 || !allowed(KeyAlgorithm::ES256) {
                return None;
            }
            Algorithm::ES256
        }
        AlgorithmParameters::OctetKeyPair(okp) => {
            // jsonwebtoken slices the first 32 bytes of `x` without checking
            // its length; a short key would panic inside it.
            let x = URL_SAFE_NO_PAD.decode(&okp.x).ok()?;
            if okp.curve != EllipticCurve::Ed25519 || x.len() != 32 || !allowed(KeyAlgorithm::EdDSA)
            {
                return None;
            }
            Algorithm::EdDSA
        }
        AlgorithmParameters::OctetKey(_) => return None,
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(VerificationKey {
        kid: jwk.common.key_id.clone(),
        algorithm,
        key,
    })
}

/// Sends a request with [`HTTP_TIMEOUT`] and reads at most
/// [`MAX_RESPONSE_BYTES`] of the answer.
async fn send_bounded(
    request: reqwest::RequestBuilder,
) -> Result<(StatusCode, Vec<u8>), OidcError> {
    let mut response = request
        .timeout(HTTP_TIMEOUT)
        .send()
        .await
        .map_err(network)?;
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(network)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(OidcError::Network(format!(
                "the provider's answer exceeds {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

/// A transport error with its causes (reqwest's own text hides them). Only
/// URLs appear in it, and no URL we request carries a secret.
fn network(error: reqwest::Error) -> OidcError {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    OidcError::Network(text)
}

/// The OAuth `error` code of an error response, if it is one and well-formed
/// (RFC 6749 §5.2 charset, short): it may be shown to people and mapped to
/// API errors, so nothing else passes.
fn oauth_error_code(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: Option<String>,
    }
    let code = serde_json::from_slice::<ErrorBody>(body).ok()?.error?;
    let well_formed = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E));
    well_formed.then_some(code)
}

/// Whether a document's `issuer` is the configured one, exactly, but for the
/// trailing slash of a bare origin that `Url` always adds.
fn issuer_matches(configured: &Url, discovered: &str) -> bool {
    let written = configured.as_str();
    discovered == written
        || (configured.path() == "/" && written.strip_suffix('/') == Some(discovered))
}

/// An endpoint from the discovery document: present, absolute, secure, and
/// without a fragment (RFC 6749 §3.1).
fn endpoint(value: Option<String>, field: &str) -> Result<Url, OidcError> {
    let value = value
        .ok_or_else(|| OidcError::Discovery(format!("the discovery document has no {field}")))?;
    let url = Url::parse(&value)
        .map_err(|_| OidcError::Discovery(format!("{field} is not an absolute URL")))?;
    if url.fragment().is_some() {
        return Err(OidcError::Discovery(format!(
            "{field} must not have a fragment"
        )));
    }
    require_secure(&url, field).map_err(OidcError::Discovery)?;
    Ok(url)
}

/// HTTPS, or plain HTTP to this machine (local test providers only): codes,
/// secrets and keys must never cross a network in the clear.
fn require_secure(url: &Url, what: &str) -> Result<(), String> {
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!("{what} must use https")),
    }
}

/// 32 bytes from the OS, base64url without padding (43 characters).
fn random_token() -> Result<String, OidcError> {
    let mut bytes = [0u8; RANDOM_BYTES];
    getrandom::fill(&mut bytes).map_err(|error| OidcError::Randomness(error.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex as StdMutex};

    use axum::Router;
    use axum::extract::State;
    use axum::http::HeaderMap;
    use axum::response::IntoResponse;
    use axum::routing::{get, post};
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    use super::*;

    const CLIENT_ID: &str = "hafla-web";
    /// Never contacted: the tests read the redirect instead of following it.
    const REDIRECT_URI: &str = "http://127.0.0.1:9/auth/oidc/callback";

    fn http() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client")
    }

    fn config(issuer: &Url) -> OidcProviderConfig {
        OidcProviderConfig::new(
            "mock",
            issuer.clone(),
            CLIENT_ID,
            Url::parse(REDIRECT_URI).expect("redirect URI"),
        )
    }

    fn later(seconds: i64) -> Timestamp {
        Timestamp::now() + SignedDuration::from_secs(seconds)
    }

    // ---- The real provider: oauth2-mock-server under node ----

    use crate::test_support::{MockProvider, start_oidc_mock as start_mock_provider};

    /// Plays the browser: opens the authorization URL, checks the provider
    /// redirects to our callback with the same `state`, returns the code.
    async fn authorize(http: &reqwest::Client, request: &AuthorizationRequest) -> String {
        let response = http
            .get(request.url.clone())
            .send()
            .await
            .expect("the authorization endpoint answers");
        assert!(
            response.status().is_redirection(),
            "authorization answered {}",
            response.status()
        );
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .expect("a Location header");
        let callback = Url::parse(location).expect("an absolute callback URL");
        assert_eq!(&callback[..url::Position::AfterPath], REDIRECT_URI);
        let params: HashMap<String, String> = callback.query_pairs().into_owned().collect();
        assert_eq!(
            params.get("state"),
            Some(&request.state),
            "state must round-trip"
        );
        params.get("code").expect("a code in the callback").clone()
    }

    async fn discover_mock(mock: &MockProvider) -> OidcClient {
        OidcClient::discover(config(&mock.issuer), http())
            .await
            .expect("discovery of the mock provider")
    }

    #[tokio::test]
    async fn signing_in_through_a_real_provider_yields_the_verified_identity() {
        let mock = start_mock_provider("RS256").await;
        let client = discover_mock(&mock).await;
        let request = client
            .authorization_request()
            .expect("authorization request");
        let pending = client.pending_login(&request, Timestamp::now());
        let code = authorize(&client.http, &request).await;

        let identity = client
            .exchange_code(&code, &pending, Timestamp::now())
            .await
            .expect("sign-in succeeds");

        assert_eq!(
            identity,
            VerifiedIdentity {
                provider: "mock".into(),
                subject: "layla-0001".into(),
                email: Some("layla@example.jo".into()),
                email_verified: true,
                name: Some("ليلى".into()),
            }
        );
    }

    #[tokio::test]
    async fn id_tokens_signed_with_es256_or_eddsa_are_accepted_too() {
        for alg in ["ES256", "EdDSA"] {
            let mock = start_mock_provider(alg).await;
            let client = discover_mock(&mock).await;
            let published: Vec<Algorithm> = client
                .keys
                .read()
                .await
                .keys
                .iter()
                .map(|k| k.algorithm)
                .collect();
            assert_eq!(published.len(), 1, "{alg}: one key published");
            assert_eq!(format!("{:?}", published[0]), alg);

            let request = client
                .authorization_request()
                .expect("authorization request");
            let pending = client.pending_login(&request, Timestamp::now());
            let code = authorize(&client.http, &request).await;
            let identity = client
                .exchange_code(&code, &pending, Timestamp::now())
                .await
                .unwrap_or_else(|error| panic!("{alg}: sign-in fails: {error}"));
            assert_eq!(identity.subject, "layla-0001", "{alg}");
        }
    }

    #[tokio::test]
    async fn an_id_token_carrying_another_logins_nonce_is_refused() {
        let mock = start_mock_provider("RS256").await;
        let client = discover_mock(&mock).await;
        let request = client
            .authorization_request()
            .expect("authorization request");
        let code = authorize(&client.http, &request).await;
        let other = client.authorization_request().expect("another request");
        let mut pending = client.pending_login(&request, Timestamp::now());
        pending.nonce = other.nonce;

        let error = client
            .exchange_code(&code, &pending, Timestamp::now())
            .await
            .unwrap_err();

        assert!(
            matches!(
                error,
                OidcError::InvalidIdToken(IdTokenRejection::NonceMismatch)
            ),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn the_provider_refuses_a_code_redeemed_with_another_pkce_verifier() {
        let mock = start_mock_provider("RS256").await;
        let client = discover_mock(&mock).await;
        let request = client
            .authorization_request()
            .expect("authorization request");
        let code = authorize(&client.http, &request).await;
        let other = client.authorization_request().expect("another request");
        let mut pending = client.pending_login(&request, Timestamp::now());
        pending.pkce_verifier = other.pkce_verifier;

        let error = client
            .exchange_code(&code, &pending, Timestamp::now())
            .await
            .unwrap_err();

        // oauth2-mock-server answers a challenge mismatch with
        // `invalid_request` (RFC 7636 would say `invalid_grant`).
        assert_eq!(
            token_endpoint_refusal(error),
            (400, Some("invalid_request".to_owned()))
        );
    }

    #[tokio::test]
    async fn an_authorization_code_cannot_be_redeemed_twice() {
        let mock = start_mock_provider("RS256").await;
        let client = discover_mock(&mock).await;
        let request = client
            .authorization_request()
            .expect("authorization request");
        let pending = client.pending_login(&request, Timestamp::now());
        let code = authorize(&client.http, &request).await;
        client
            .exchange_code(&code, &pending, Timestamp::now())
            .await
            .expect("first redemption");

        let error = client
            .exchange_code(&code, &pending, Timestamp::now())
            .await
            .unwrap_err();

        assert!(
            matches!(error, OidcError::TokenEndpoint { status: 400, .. }),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn an_id_token_is_refused_once_expired_or_before_it_was_issued() {
        let mock = start_mock_provider("RS256").await;
        let client = discover_mock(&mock).await;
        // The mock's tokens live an hour; our clock says two hours on (and
        // the login itself was quick, so it is not the one expiring).
        let two_hours_on = later(2 * 3600);
        let request = client
            .authorization_request()
            .expect("authorization request");
        let pending = client.pending_login(&request, two_hours_on);
        let code = authorize(&client.http, &request).await;
        let error = client
            .exchange_code(&code, &pending, two_hours_on)
            .await
            .unwrap_err();
        assert!(
            matches!(error, OidcError::InvalidIdToken(IdTokenRejection::Expired)),
            "{error:?}"
        );

        // And ten minutes before it was issued: beyond the 60 s leeway.
        let request = client
            .authorization_request()
            .expect("authorization request");
        let pending = client.pending_login(&request, Timestamp::now());
        let code = authorize(&client.http, &request).await;
        let error = client
            .exchange_code(&code, &pending, later(-600))
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                OidcError::InvalidIdToken(IdTokenRejection::IssuedInFuture)
            ),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_tampered_payload_or_signature_is_refused() {
        let mock = start_mock_provider("RS256").await;
        let client = discover_mock(&mock).await;
        let request = client
            .authorization_request()
            .expect("authorization request");
        let code = authorize(&client.http, &request).await;
        let id_token = client
            .redeem_code(&code, &request.pkce_verifier)
            .await
            .expect("an id_token");
        let now = Timestamp::now();
        client
            .verify_id_token(&id_token, &request.nonce, now)
            .await
            .expect("the untouched token verifies");
        let parts: Vec<&str> = id_token.split('.').collect();

        // Another person's email in an otherwise intact token.
        let mut claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("payload"))
                .expect("claims");
        claims["email"] = json!("mallory@example.com");
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("json"));
        let forged = format!("{}.{payload}.{}", parts[0], parts[2]);
        let error = client
            .verify_id_token(&forged, &request.nonce, now)
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                OidcError::InvalidIdToken(IdTokenRejection::BadSignature)
            ),
            "{error:?}"
        );

        // One character of the signature changed (mid-string, so it stays
        // valid base64url).
        let mut signature = parts[2].as_bytes().to_vec();
        let middle = signature.len() / 2;
        signature[middle] = if signature[middle] == b'A' {
            b'B'
        } else {
            b'A'
        };
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            String::from_utf8(signature).expect("ascii")
        );
        let error = client
            .verify_id_token(&forged, &request.nonce, now)
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                OidcError::InvalidIdToken(IdTokenRejection::BadSignature)
            ),
            "{error:?}"
        );
    }

    // ---- A fake provider in axum, for what the mock cannot be made to do ----

    /// Fixed Ed25519 test keys (PKCS#8 DER private key, JWK `x`).
    struct TestKey {
        kid: &'static str,
        private_der: &'static str,
        x: &'static str,
    }

    const KEY_A: TestKey = TestKey {
        kid: "key-a",
        private_der: "MC4CAQAwBQYDK2VwBCIEIIQcym1naSJXJiorGJ0M7pU4BdpqPeY85lslCA0nNR7B",
        x: "kGmEZrd5vcbQALfisBjAd5w-fA70mg_FCrg8sa88iiI",
    };
    const KEY_B: TestKey = TestKey {
        kid: "key-b",
        private_der: "MC4CAQAwBQYDK2VwBCIEIDkYXaqAAzodXYtV0GvMHHkFu6nsPNSZKq6jJPTnCyqQ",
        x: "210M9HWcnOfXPE5MqJwSBx-a9Y40ll8z642iKT5UWMY",
    };
    /// Never published: an attacker's key.
    const KEY_STRANGER: TestKey = TestKey {
        kid: "key-c",
        private_der: "MC4CAQAwBQYDK2VwBCIEII01HdOylJqJ60QwjzG+iEvuAu1mEPME2z5mRNb405e0",
        x: "kndCZuHLgHPJ7ffo1wy0NYaoTnOF7Vrz_zAjUvu6Lrg",
    };

    fn jwk(key: &TestKey) -> Value {
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": key.x,
            "kid": key.kid,
            "alg": "EdDSA",
            "use": "sig",
        })
    }

    /// Signs `claims` with `key`'s private half, naming `kid` in the header.
    fn sign(key: &TestKey, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.to_owned());
        let der = STANDARD.decode(key.private_der).expect("test key");
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&der)).expect("signing")
    }

    #[derive(Debug, Default)]
    struct RecordedTokenRequest {
        authorization: Option<String>,
        form: HashMap<String, String>,
    }

    #[derive(Clone)]
    struct FakeState {
        discovery: Arc<StdMutex<Value>>,
        jwks: Arc<StdMutex<Value>>,
        jwks_fetches: Arc<AtomicUsize>,
        token_response: Arc<StdMutex<(u16, Value)>>,
        token_requests: Arc<StdMutex<Vec<RecordedTokenRequest>>>,
    }

    /// Discovery, JWKS and token endpoint, each answering what the test set.
    struct FakeProvider {
        /// As the discovery document writes it (no trailing slash).
        issuer: String,
        state: FakeState,
        server: tokio::task::JoinHandle<()>,
    }

    impl Drop for FakeProvider {
        fn drop(&mut self) {
            self.server.abort();
        }
    }

    impl FakeProvider {
        async fn start() -> Self {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a loopback port");
            let issuer = format!("http://{}", listener.local_addr().expect("address"));
            let state = FakeState {
                discovery: Arc::new(StdMutex::new(json!({
                    "issuer": issuer,
                    "authorization_endpoint": format!("{issuer}/authorize"),
                    "token_endpoint": format!("{issuer}/token"),
                    "jwks_uri": format!("{issuer}/jwks"),
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported":
                        ["client_secret_post", "client_secret_basic"],
                }))),
                jwks: Arc::new(StdMutex::new(json!({ "keys": [jwk(&KEY_A)] }))),
                jwks_fetches: Arc::new(AtomicUsize::new(0)),
                token_response: Arc::new(StdMutex::new((500, json!({})))),
                token_requests: Arc::new(StdMutex::new(Vec::new())),
            };
            let router = Router::new()
                .route(
                    "/.well-known/openid-configuration",
                    get(|State(s): State<FakeState>| async move {
                        axum::Json(s.discovery.lock().expect("lock").clone())
                    }),
                )
                .route(
                    "/jwks",
                    get(|State(s): State<FakeState>| async move {
                        s.jwks_fetches.fetch_add(1, Ordering::SeqCst);
                        axum::Json(s.jwks.lock().expect("lock").clone())
                    }),
                )
                .route(
                    "/token",
                    post(
                        |State(s): State<FakeState>, headers: HeaderMap, body: String| async move {
                            s.token_requests
                                .lock()
                                .expect("lock")
                                .push(RecordedTokenRequest {
                                    authorization: headers
                                        .get("authorization")
                                        .and_then(|v| v.to_str().ok())
                                        .map(String::from),
                                    form: form_urlencoded::parse(body.as_bytes())
                                        .into_owned()
                                        .collect(),
                                });
                            let (status, body) = s.token_response.lock().expect("lock").clone();
                            (
                                axum::http::StatusCode::from_u16(status).expect("status"),
                                axum::Json(body),
                            )
                                .into_response()
                        },
                    ),
                )
                .with_state(state.clone());
            let server = tokio::spawn(async move {
                axum::serve(listener, router)
                    .await
                    .expect("fake provider serves");
            });
            Self {
                issuer,
                state,
                server,
            }
        }

        fn config(&self) -> OidcProviderConfig {
            config(&Url::parse(&self.issuer).expect("issuer URL"))
        }

        async fn discover(&self) -> Result<OidcClient, OidcError> {
            OidcClient::discover(self.config(), http()).await
        }

        fn set_discovery(&self, field: &str, value: Value) {
            let mut document = self.state.discovery.lock().expect("lock");
            match value {
                Value::Null => document.as_object_mut().expect("object").remove(field),
                value => document
                    .as_object_mut()
                    .expect("object")
                    .insert(field.to_owned(), value),
            };
        }

        fn publish(&self, keys: &[&TestKey]) {
            let keys: Vec<Value> = keys.iter().map(|k| jwk(k)).collect();
            *self.state.jwks.lock().expect("lock") = json!({ "keys": keys });
        }

        fn jwks_fetches(&self) -> usize {
            self.state.jwks_fetches.load(Ordering::SeqCst)
        }

        fn answer_token_requests_with(&self, status: u16, body: Value) {
            *self.state.token_response.lock().expect("lock") = (status, body);
        }

        /// Valid claims for this provider, the test client and `nonce`.
        fn claims(&self, nonce: &str) -> Value {
            let now = Timestamp::now().as_second();
            json!({
                "iss": self.issuer,
                "sub": "subject-1",
                "aud": CLIENT_ID,
                "iat": now,
                "exp": now + 3600,
                "nonce": nonce,
                "email": "omar@example.jo",
                "email_verified": "true",
            })
        }
    }

    /// The status and OAuth error code of a token endpoint refusal.
    fn token_endpoint_refusal(error: OidcError) -> (u16, Option<String>) {
        match error {
            OidcError::TokenEndpoint { status, error } => (status, error),
            other => panic!("expected a token endpoint refusal, got {other:?}"),
        }
    }

    fn rejection(result: Result<VerifiedIdentity, OidcError>) -> IdTokenRejection {
        match result {
            Err(OidcError::InvalidIdToken(rejection)) => rejection,
            other => panic!("expected an id_token rejection, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn discovery_refuses_a_document_naming_another_issuer() {
        let fake = FakeProvider::start().await;
        fake.set_discovery("issuer", json!("https://accounts.example.com"));

        let error = fake.discover().await.unwrap_err();

        assert!(matches!(error, OidcError::IssuerMismatch), "{error:?}");
    }

    #[tokio::test]
    async fn discovery_refuses_a_provider_that_cannot_do_s256_pkce() {
        let fake = FakeProvider::start().await;
        fake.set_discovery("code_challenge_methods_supported", json!(["plain"]));

        let error = fake.discover().await.unwrap_err();

        assert!(matches!(error, OidcError::Discovery(_)), "{error:?}");
    }

    #[tokio::test]
    async fn discovery_requires_the_token_endpoint_the_jwks_and_secure_urls() {
        for (field, value) in [
            ("token_endpoint", Value::Null),
            ("authorization_endpoint", Value::Null),
            ("jwks_uri", Value::Null),
            ("token_endpoint", json!("http://idp.example.com/token")),
        ] {
            let fake = FakeProvider::start().await;
            fake.set_discovery(field, value.clone());

            let error = fake.discover().await.unwrap_err();

            assert!(
                matches!(error, OidcError::Discovery(_)),
                "{field}={value}: {error:?}"
            );
        }
        let remote = config(&Url::parse("http://accounts.example.com").expect("url"));
        let error = OidcClient::discover(remote, http()).await.unwrap_err();
        assert!(matches!(error, OidcError::Discovery(_)), "{error:?}");
    }

    #[tokio::test]
    async fn authorization_urls_carry_fresh_state_nonce_and_an_s256_challenge() {
        let fake = FakeProvider::start().await;
        let client = fake.discover().await.expect("discovery");

        let first = client.authorization_request().expect("request");
        let second = client.authorization_request().expect("request");

        let params: HashMap<String, String> = first.url.query_pairs().into_owned().collect();
        assert_eq!(
            &first.url[..url::Position::AfterPath],
            format!("{}/authorize", fake.issuer)
        );
        assert_eq!(params["response_type"], "code");
        assert_eq!(params["client_id"], CLIENT_ID);
        assert_eq!(params["redirect_uri"], REDIRECT_URI);
        assert_eq!(params["scope"], "openid email profile");
        assert_eq!(params["state"], first.state);
        assert_eq!(params["nonce"], first.nonce);
        assert_eq!(params["code_challenge_method"], "S256");
        assert_eq!(params["code_challenge"], first.pkce_verifier.challenge());
        assert!(!params.contains_key("code_verifier"));
        for value in [&first.state, &first.nonce, &first.pkce_verifier.0] {
            assert!(value.len() >= 43, "{} characters", value.len());
            assert!(
                value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
        }
        assert_ne!(first.state, second.state);
        assert_ne!(first.nonce, second.nonce);
        assert_ne!(first.pkce_verifier, second.pkce_verifier);
    }

    #[test]
    fn the_rfc7636_example_verifier_yields_its_published_challenge() {
        let verifier =
            PkceVerifier::from_stored("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(
            verifier.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn openid_is_always_asked_for_once_and_first() {
        let mut config = config(&Url::parse("https://idp.example.com").expect("url"));
        config.scopes = vec!["email".into(), "openid".into(), " ".into(), "email".into()];
        assert_eq!(config.scope_parameter(), "openid email");
        config.scopes.clear();
        assert_eq!(config.scope_parameter(), "openid email profile");
    }

    #[tokio::test]
    async fn the_code_exchange_sends_pkce_and_the_client_secret_as_the_provider_prefers() {
        for (methods, expect_basic) in [
            (json!(["client_secret_post", "client_secret_basic"]), false),
            (
                json!([
                    "private_key_jwt",
                    "client_secret_basic",
                    "client_secret_post"
                ]),
                true,
            ),
            (Value::Null, true),
        ] {
            let fake = FakeProvider::start().await;
            fake.set_discovery("token_endpoint_auth_methods_supported", methods.clone());
            let mut config = fake.config();
            config.client_secret = Some(ClientSecret::new("s3cret+/="));
            let client = OidcClient::discover(config, http())
                .await
                .expect("discovery");
            let request = client.authorization_request().expect("request");
            let pending = client.pending_login(&request, Timestamp::now());
            fake.answer_token_requests_with(
                200,
                json!({ "id_token": sign(&KEY_A, KEY_A.kid, &fake.claims(&request.nonce)) }),
            );

            let identity = client
                .exchange_code("the-code", &pending, Timestamp::now())
                .await
                .expect("sign-in");

            assert_eq!(identity.email.as_deref(), Some("omar@example.jo"));
            assert!(identity.email_verified, "\"true\" counts as verified");
            let requests = fake.state.token_requests.lock().expect("lock");
            let sent = &requests[0];
            assert_eq!(sent.form["grant_type"], "authorization_code");
            assert_eq!(sent.form["code"], "the-code");
            assert_eq!(sent.form["redirect_uri"], REDIRECT_URI);
            assert_eq!(sent.form["client_id"], CLIENT_ID);
            assert_eq!(sent.form["code_verifier"], request.pkce_verifier.secret());
            if expect_basic {
                let expected = format!("Basic {}", STANDARD.encode("hafla-web:s3cret%2B%2F%3D"));
                assert_eq!(
                    sent.authorization.as_deref(),
                    Some(expected.as_str()),
                    "{methods}"
                );
                assert!(!sent.form.contains_key("client_secret"), "{methods}");
            } else {
                assert_eq!(sent.authorization, None, "{methods}");
                assert_eq!(sent.form["client_secret"], "s3cret+/=", "{methods}");
            }
        }
    }

    #[tokio::test]
    async fn a_public_client_sends_no_secret() {
        let fake = FakeProvider::start().await;
        let client = fake.discover().await.expect("discovery");
        let request = client.authorization_request().expect("request");
        let pending = client.pending_login(&request, Timestamp::now());
        fake.answer_token_requests_with(
            200,
            json!({ "id_token": sign(&KEY_A, KEY_A.kid, &fake.claims(&request.nonce)) }),
        );

        client
            .exchange_code("c", &pending, Timestamp::now())
            .await
            .expect("sign-in");

        let requests = fake.state.token_requests.lock().expect("lock");
        assert_eq!(requests[0].authorization, None);
        assert!(!requests[0].form.contains_key("client_secret"));
    }

    #[tokio::test]
    async fn token_endpoint_errors_carry_only_a_well_formed_oauth_error_code() {
        let fake = FakeProvider::start().await;
        let client = fake.discover().await.expect("discovery");
        let request = client.authorization_request().expect("request");
        let pending = client.pending_login(&request, Timestamp::now());

        fake.answer_token_requests_with(
            400,
            json!({ "error": "invalid_grant", "error_description": "expired" }),
        );
        let error = client
            .exchange_code("c", &pending, Timestamp::now())
            .await
            .unwrap_err();
        assert_eq!(
            token_endpoint_refusal(error),
            (400, Some("invalid_grant".to_owned()))
        );

        fake.answer_token_requests_with(401, json!({ "error": "<script>\u{7}" }));
        let error = client
            .exchange_code("c", &pending, Timestamp::now())
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                OidcError::TokenEndpoint {
                    status: 401,
                    error: None
                }
            ),
            "{error:?}"
        );

        fake.answer_token_requests_with(200, json!({ "access_token": "x" }));
        let error = client.exchange_code("c", &pending, Timestamp::now()).await;
        assert_eq!(rejection(error), IdTokenRejection::Missing);
    }

    #[tokio::test]
    async fn a_login_started_with_another_provider_is_refused() {
        let fake = FakeProvider::start().await;
        let client = fake.discover().await.expect("discovery");
        let request = client.authorization_request().expect("request");
        let mut pending = client.pending_login(&request, Timestamp::now());
        pending.provider = "google".into();

        let error = client
            .exchange_code("c", &pending, Timestamp::now())
            .await
            .unwrap_err();

        assert!(
            matches!(error, OidcError::ProviderMismatch { .. }),
            "{error:?}"
        );
        assert!(
            fake.state.token_requests.lock().expect("lock").is_empty(),
            "the code is not spent"
        );
    }

    #[tokio::test]
    async fn a_login_older_than_ten_minutes_is_refused_before_the_code_is_spent() {
        let fake = FakeProvider::start().await;
        let client = fake.discover().await.expect("discovery");
        let request = client.authorization_request().expect("request");
        let pending = client.pending_login(&request, later(-11 * 60));

        let error = client
            .exchange_code("c", &pending, Timestamp::now())
            .await
            .unwrap_err();

        assert!(matches!(error, OidcError::LoginExpired), "{error:?}");
        assert!(fake.state.token_requests.lock().expect("lock").is_empty());
    }

    #[tokio::test]
    async fn an_unknown_key_refetches_the_jwks_at_most_once_a_minute() {
        let fake = FakeProvider::start().await;
        let client = fake.discover().await.expect("discovery");
        let discovered_at = Timestamp::now();
        assert_eq!(fake.jwks_fetches(), 1);
        let by_b = sign(&KEY_B, KEY_B.kid, &fake.claims("n"));
        let by_stranger = sign(&KEY_STRANGER, KEY_STRANGER.kid, &fake.claims("n"));

        // The provider rotates in key B.
        fake.publish(&[&KEY_A, &KEY_B]);
        // Right after discovery the key set is fresh: no refetch yet.
        let error = client
            .verify_id_token(&by_b, "n", discovered_at)
            .await
            .unwrap_err();
        assert!(matches!(error, OidcError::UnknownKey), "{error:?}");
        assert_eq!(fake.jwks_fetches(), 1);

        // A minute on, the unknown kid refetches once and the token verifies.
        let a_minute_on = discovered_at + SignedDuration::from_secs(61);
        client
            .verify_id_token(&by_b, "n", a_minute_on)
            .await
            .expect("key B after refetch");
        assert_eq!(fake.jwks_fetches(), 2);

        // A kid the provider never published, right after: no refetch.
        let error = client
            .verify_id_token(&by_stranger, "n", a_minute_on)
            .await
            .unwrap_err();
        assert!(matches!(error, OidcError::UnknownKey), "{error:?}");
        assert_eq!(fake.jwks_fetches(), 2);

        // Another minute on it may refetch again, and still finds nothing.
        let two_minutes_on = a_minute_on + SignedDuration::from_secs(61);
        let error = client
            .verify_id_token(&by_stranger, "n", two_minutes_on)
            .await
            .unwrap_err();
        assert!(matches!(error, OidcError::UnknownKey), "{error:?}");
        assert_eq!(fake.jwks_fetches(), 3);

        // Known keys never cause a fetch.
        client
            .verify_id_token(&by_b, "n", two_minutes_on)
            .await
            .expect("key B cached");
        assert_eq!(fake.jwks_fetches(), 3);
    }

    #[tokio::test]
    async fn a_token_signed_by_a_stranger_under_a_published_kid_is_refused() {
        let fake = FakeProvider::start().await;
        let client = fake.discover().await.expect("discovery");
        let forged = sign(&KEY_STRANGER, KEY_A.kid, &fake.claims("n"));

        let result = client.verify_id_token(&forged, "n", Timestamp::now()).await;

        assert_eq!(rejection(result), IdTokenRejection::BadSignature);
    }

    #[tokio::test]
    async fn unsigned_and_shared_secret_tokens_are_refused() {
        let fake = FakeProvider::start().await;
        let client = fake.discover().await.expect("discovery");
        let claims = URL_SAFE_NO_PAD.encode(fake.claims("n").to_string());

        let unsigned = format!(
            "{}.{claims}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"key-a"}"#)
        );
        let result = client
            .verify_id_token(&unsigned, "n", Timestamp::now())
            .await;
        assert_eq!(
            rejection(result),
            IdTokenRejection::DisallowedAlgorithm("none".into())
        );

        // HS256 keyed with the published public key: the classic confusion.
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(KEY_A.kid.into());
        let public = URL_SAFE_NO_PAD.decode(KEY_A.x).expect("x");
        let confused = jsonwebtoken::encode(
            &header,
            &fake.claims("n"),
            &EncodingKey::from_secret(&public),
        )
        .expect("signing");
        let result = client
            .verify_id_token(&confused, "n", Timestamp::now())
            .await;
        assert_eq!(
            rejection(result),
            IdTokenRejection::DisallowedAlgorithm("HS256".into())
        );

        // An allowed algorithm that is not the key's own.
        let mismatched = format!(
            "{}.{claims}.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"key-a"}"#)
        );
        let result = client
            .verify_id_token(&mismatched, "n", Timestamp::now())
            .await;
        assert_eq!(rejection(result), IdTokenRejection::KeyAlgorithmMismatch);

        for garbage in [
            "",
            "a.b",
            "a.b.c.d",
            "!!.e30.e30",
            &"x".repeat(MAX_ID_TOKEN_BYTES + 1),
        ] {
            let result = client.verify_id_token(garbage, "n", Timestamp::now()).await;
            assert!(
                matches!(rejection(result), IdTokenRejection::Malformed(_)),
                "{garbage:.20}"
            );
        }
    }

    #[tokio::test]
    async fn issuer_audience_and_authorized_party_must_name_this_provider_and_client() {
        let fake = FakeProvider::start().await;
        let client = fake.discover().await.expect("discovery");
        let check = |edit: &dyn Fn(&mut Value)| {
            let mut claims = fake.claims("n");
            edit(&mut claims);
            sign(&KEY_A, KEY_A.kid, &claims)
        };
        let now = Timestamp::now();
        let cases: Vec<(String, Option<IdTokenRejection>)> = vec![
            (
                check(&|c| c["iss"] = json!(format!("{}/", fake.issuer))),
                Some(IdTokenRejection::IssuerMismatch),
            ),
            (
                check(&|c| c["aud"] = json!("someone-else")),
                Some(IdTokenRejection::AudienceMismatch),
            ),
            (
                check(&|c| c["aud"] = json!(["someone-else", CLIENT_ID])),
                Some(IdTokenRejection::AuthorizedPartyMismatch),
            ),
            (
                check(&|c| {
                    c["aud"] = json!(["someone-else", CLIENT_ID]);
                    c["azp"] = json!(CLIENT_ID);
                }),
                None,
            ),
            (
                check(&|c| c["azp"] = json!("someone-else")),
                Some(IdTokenRejection::AuthorizedPartyMismatch),
            ),
            (
                check(&|c| c["nbf"] = json!(now.as_second() + 600)),
                Some(IdTokenRejection::NotYetValid),
            ),
            (
                check(&|c| c["nonce"] = json!("other")),
                Some(IdTokenRejection::NonceMismatch),
            ),
            (
                check(&|c| {
                    c.as_object_mut().expect("object").remove("nonce");
                }),
                Some(IdTokenRejection::NonceMismatch),
            ),
            (
                check(&|c| {
                    c.as_object_mut().expect("object").remove("sub");
                }),
                Some(IdTokenRejection::MissingClaim("sub")),
            ),
            (
                check(&|c| {
                    c.as_object_mut().expect("object").remove("exp");
                }),
                Some(IdTokenRejection::MissingClaim("exp")),
            ),
            (
                check(&|c| c["exp"] = json!("tomorrow")),
                Some(IdTokenRejection::Malformed(
                    "the claims are not a JSON object of the expected shape",
                )),
            ),
        ];
        for (token, expected) in cases {
            let result = client.verify_id_token(&token, "n", now).await;
            match expected {
                None => {
                    result.expect("accepted");
                }
                Some(expected) => assert_eq!(rejection(result), expected),
            }
        }
        // Within the 60 s leeway an expiry just past still counts as valid.
        let just_expired = check(&|c| c["exp"] = json!(now.as_second() - 30));
        client
            .verify_id_token(&just_expired, "n", now)
            .await
            .expect("within leeway");
        let long_expired = check(&|c| c["exp"] = json!(now.as_second() - 61));
        assert_eq!(
            rejection(client.verify_id_token(&long_expired, "n", now).await),
            IdTokenRejection::Expired
        );
        // An empty expected nonce never matches, even an empty claim.
        let empty_nonce = check(&|c| c["nonce"] = json!(""));
        assert_eq!(
            rejection(client.verify_id_token(&empty_nonce, "", now).await),
            IdTokenRejection::NonceMismatch
        );
    }

    #[test]
    fn email_verified_is_true_only_for_a_literal_true() {
        for (value, expected) in [
            (json!(true), true),
            (json!("true"), true),
            (json!(false), false),
            (json!("false"), false),
            (json!("TRUE"), false),
            (json!("yes"), false),
            (json!(1), false),
            (Value::Null, false),
        ] {
            assert_eq!(is_literally_true(Some(&value)), expected, "{value}");
        }
        assert!(!is_literally_true(None));
    }

    #[test]
    fn only_public_signing_keys_for_the_allowed_algorithms_are_kept() {
        let parse = |value: Value| serde_json::from_value::<Jwk>(value).expect("a JWK");
        assert!(verification_key(&parse(jwk(&KEY_A))).is_some());
        let rejected = [
            // Too short an Ed25519 key would panic inside jsonwebtoken.
            json!({ "kty": "OKP", "crv": "Ed25519", "x": "AAAA", "kid": "short" }),
            json!({ "kty": "OKP", "crv": "Ed25519", "x": KEY_A.x, "use": "enc" }),
            json!({ "kty": "OKP", "crv": "Ed25519", "x": KEY_A.x, "alg": "RS256" }),
            json!({ "kty": "OKP", "crv": "Ed25519", "x": KEY_A.x, "key_ops": ["encrypt"] }),
            json!({ "kty": "oct", "k": "c2VjcmV0", "alg": "HS256" }),
            json!({ "kty": "RSA", "n": URL_SAFE_NO_PAD.encode([0xC5u8; 128]), "e": "AQAB" }),
            json!({ "kty": "EC", "crv": "P-384", "x": "AAAA", "y": "AAAA" }),
        ];
        for value in rejected {
            assert!(verification_key(&parse(value.clone())).is_none(), "{value}");
        }
    }

    #[test]
    fn issuers_match_exactly_but_for_a_bare_origins_trailing_slash() {
        let google = Url::parse("https://accounts.google.com").expect("url");
        assert!(issuer_matches(&google, "https://accounts.google.com"));
        assert!(issuer_matches(&google, "https://accounts.google.com/"));
        assert!(!issuer_matches(&google, "https://accounts.google.com.evil"));
        assert!(!issuer_matches(&google, "https://Accounts.google.com"));
        let tenant = Url::parse("https://login.microsoftonline.com/tid/v2.0").expect("url");
        assert!(issuer_matches(
            &tenant,
            "https://login.microsoftonline.com/tid/v2.0"
        ));
        assert!(!issuer_matches(
            &tenant,
            "https://login.microsoftonline.com/tid/v2.0/"
        ));
        assert!(!issuer_matches(
            &tenant,
            "https://login.microsoftonline.com/{tenantid}/v2.0"
        ));
    }

    #[test]
    fn secrets_and_verifiers_stay_out_of_debug_output() {
        let mut config = config(&Url::parse("https://idp.example.com").expect("url"));
        config.client_secret = Some(ClientSecret::new("top-secret-value"));
        let pending = PendingLogin {
            provider: "mock".into(),
            nonce: "n".into(),
            pkce_verifier: PkceVerifier::from_stored("verifier-value".into()),
            created_at: Timestamp::now(),
        };
        let printed = format!("{config:?} {pending:?}");
        assert!(!printed.contains("top-secret-value"), "{printed}");
        assert!(!printed.contains("verifier-value"), "{printed}");
    }

    #[test]
    fn pending_logins_expire_after_ten_minutes() {
        let started = Timestamp::now();
        let pending = PendingLogin {
            provider: "mock".into(),
            nonce: "n".into(),
            pkce_verifier: PkceVerifier::from_stored("v".into()),
            created_at: started,
        };
        assert!(!pending.is_expired(started + SignedDuration::from_mins(10)));
        assert!(
            pending
                .is_expired(started + SignedDuration::from_mins(10) + SignedDuration::from_secs(1))
        );
    }
}
