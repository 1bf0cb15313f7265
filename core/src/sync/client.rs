//! The HTTP calls of the sync protocol (see `wire::sync` for the shapes).
//!
//! Only the calls: retrying, backoff and what to do with the answers belong to the engine.
//! The bearer token is handed in by the caller (the app keeps it in the OS keyring, the
//! door command line reads it from the environment) and is never stored or printed.

use super::SyncTarget;
use crate::bilingual::Lang;
use crate::wire::sync::{PushAnswer, PushRequest, ScanPage, Scope, SyncPage, format_marks};
use crate::wire::{ErrorBody, ErrorCode};
use serde::de::DeserializeOwned;
use std::time::Duration;
use uuid::Uuid;

/// Why one request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RequestError {
    /// No connection, a timeout, or the connection dropped mid-answer.
    #[error("cannot reach the server at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The server answered with an error status (its error body when it sent one).
    #[error("the server answered {status}: {message}")]
    Status {
        status: u16,
        code: Option<ErrorCode>,
        message: String,
        retry_after: Option<Duration>,
    },
    /// Something answered, but not with the sync protocol (a captive portal, a wrong URL,
    /// a body this build cannot read).
    #[error(
        "the server at {url} answered with something that is not Hafla's sync protocol: {reason}"
    )]
    BadResponse { url: String, reason: String },
}

impl RequestError {
    /// Worth trying again later: the network, an overloaded or restarting server
    /// (5xx, 429, 408). Refusals (auth, validation) are not.
    pub fn retryable(&self) -> bool {
        match self {
            RequestError::Unreachable { .. } => true,
            RequestError::Status { status, .. } => {
                *status >= 500 || *status == 429 || *status == 408
            }
            RequestError::BadResponse { .. } => false,
        }
    }

    /// The server's `Retry-After`, when it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            RequestError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The Hafla server itself answered (so the device is online, whatever it said).
    pub fn reached_server(&self) -> bool {
        matches!(self, RequestError::Status { code: Some(_), .. })
            || matches!(self, RequestError::Status { status, .. } if *status < 500)
    }

    /// The stable code the UI branches on.
    pub fn code(&self) -> ErrorCode {
        match self {
            RequestError::Unreachable { .. } => ErrorCode::ServerUnreachable,
            RequestError::Status {
                code: Some(code), ..
            } => *code,
            RequestError::Status { .. } | RequestError::BadResponse { .. } => {
                ErrorCode::BadResponse
            }
        }
    }
}

/// What a pull asks the server to count: each count reads the whole scope there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// The scope's live rows on this page, for a progress bar.
    pub total: bool,
    /// The digest on the last page, to prove the copy whole.
    pub digest: bool,
}

/// A client of one server's sync endpoints, for one signed-in person (or nobody: the
/// catalog is public).
#[derive(Clone)]
pub struct SyncClient {
    base_url: String,
    lang: Lang,
    token: Option<String>,
    http: reqwest::Client,
    stream_http: reqwest::Client,
}

impl std::fmt::Debug for SyncClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncClient")
            .field("base_url", &self.base_url)
            .field("lang", &self.lang)
            .field("token", &self.token.as_ref().map(|_| "…"))
            .finish()
    }
}

/// How long a page, a push or a scan pull may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Silence on the hint stream after which the connection is taken for dead: the server
/// sends a keep-alive every 15 s.
pub const HINT_IDLE_TIMEOUT: Duration = Duration::from_secs(45);

impl SyncClient {
    /// `base_url` is the server's root, e.g. `http://127.0.0.1:8080`.
    pub fn new(base_url: &str, lang: Lang, token: Option<String>) -> Result<Self, RequestError> {
        let build = |streaming: bool| {
            let builder = reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(5))
                .user_agent(concat!("hafla-sync/", env!("CARGO_PKG_VERSION")));
            let builder = if streaming {
                builder.read_timeout(HINT_IDLE_TIMEOUT)
            } else {
                builder.timeout(REQUEST_TIMEOUT)
            };
            builder.build().map_err(|e| RequestError::Unreachable {
                url: base_url.to_owned(),
                reason: e.to_string(),
            })
        };
        Ok(SyncClient {
            base_url: base_url.trim_end_matches('/').to_owned(),
            lang,
            token,
            http: build(false)?,
            stream_http: build(true)?,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    fn authorize(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let request = request.header(reqwest::header::ACCEPT_LANGUAGE, self.lang.tag());
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// One page of `target` after `cursor` (from the start when `None`).
    pub async fn pull(
        &self,
        target: &SyncTarget,
        cursor: Option<&str>,
        limit: u32,
        counts: Counts,
    ) -> Result<SyncPage, RequestError> {
        let mut query = vec![("limit", limit.to_string())];
        if counts.total {
            query.push(("total", "true".into()));
        }
        if counts.digest {
            query.push(("digest", "true".into()));
        }
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor.to_owned()));
        }
        let request = self.http.get(self.url(&target.path())).query(&query);
        self.send_json(request).await
    }

    /// Sends a batch of mutations.
    pub async fn push(&self, push: &PushRequest) -> Result<PushAnswer, RequestError> {
        let request = self.http.post(self.url("/api/v1/sync/push")).json(push);
        self.send_json(request).await
    }

    /// Other devices' scans of an event after `marks`.
    pub async fn scans(
        &self,
        org: Uuid,
        event: Uuid,
        marks: &[(Uuid, u64)],
        limit: u32,
    ) -> Result<ScanPage, RequestError> {
        let request = self
            .http
            .get(self.url(&format!("/api/v1/sync/orgs/{org}/door/{event}/scans")))
            .query(&[("marks", format_marks(marks)), ("limit", limit.to_string())]);
        self.send_json(request).await
    }

    /// Opens the hint stream of `scopes`; read it with [`super::hints::SseParser`].
    pub async fn open_hints(&self, scopes: &[Scope]) -> Result<reqwest::Response, RequestError> {
        let scopes = scopes
            .iter()
            .map(Scope::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let request = self
            .stream_http
            .get(self.url("/api/v1/sync/hints"))
            .query(&[("scopes", scopes)])
            .header(reqwest::header::ACCEPT, "text/event-stream");
        let response = self
            .authorize(request)
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        if !response.status().is_success() {
            let status = response.status();
            let retry_after = retry_after(&response);
            let body = response.bytes().await.unwrap_or_default();
            return Err(self.status_error(status, retry_after, &body));
        }
        let is_stream = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !is_stream {
            return Err(RequestError::BadResponse {
                url: self.base_url.clone(),
                reason: "the hint stream is not text/event-stream".into(),
            });
        }
        Ok(response)
    }

    pub(super) fn unreachable(&self, e: reqwest::Error) -> RequestError {
        RequestError::Unreachable {
            url: self.base_url.clone(),
            reason: e.to_string(),
        }
    }

    fn status_error(
        &self,
        status: reqwest::StatusCode,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> RequestError {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(ErrorBody { code, message, .. }) => RequestError::Status {
                status: status.as_u16(),
                code: Some(code),
                message,
                retry_after,
            },
            Err(_) => RequestError::Status {
                status: status.as_u16(),
                code: None,
                message: format!("HTTP {status}"),
                retry_after,
            },
        }
    }

    async fn send_json<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, RequestError> {
        let response = self
            .authorize(request)
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        let status = response.status();
        let retry_after = retry_after(&response);
        let body = response.bytes().await.map_err(|e| self.unreachable(e))?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| RequestError::BadResponse {
                url: self.base_url.clone(),
                reason: e.to_string(),
            });
        }
        Err(self.status_error(status, retry_after, &body))
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by Hafla's server; a value this
/// build cannot read is ignored and the backoff decides alone).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}
