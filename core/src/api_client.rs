//! The app's HTTP client of the sync server's REST API.

use crate::bilingual::Lang;
use crate::wire::{ErrorBody, ErrorCode, EventPage};
use std::time::Duration;

/// Why a call to the server failed, in terms the UI can act on.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No connection: the app should show itself offline, not an empty screen.
    #[error("cannot reach the server at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The server answered with one of Hafla's error bodies.
    #[error("the server refused the request ({code:?}): {message}")]
    Api { code: ErrorCode, message: String },
    /// Something answered, but not with Hafla's API (a captive portal, a wrong URL).
    #[error("the server at {url} answered with something that is not Hafla's API: {reason}")]
    BadResponse { url: String, reason: String },
}

impl ClientError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ClientError::Unreachable { .. } => ErrorCode::ServerUnreachable,
            ClientError::Api { code, .. } => *code,
            ClientError::BadResponse { .. } => ErrorCode::BadResponse,
        }
    }
}

/// A client of one Hafla server, asking for answers in one language.
#[derive(Clone)]
pub struct ApiClient {
    base_url: String,
    lang: Lang,
    http: reqwest::Client,
}

impl ApiClient {
    /// `base_url` is the server's root, e.g. `http://127.0.0.1:8080`.
    pub fn new(base_url: &str, lang: Lang) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .user_agent(concat!("hafla-app/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Unreachable {
                url: base_url.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(ApiClient {
            base_url: base_url.trim_end_matches('/').to_owned(),
            lang,
            http,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// One page of published upcoming events, soonest first.
    pub async fn list_events(&self, offset: u32, limit: u32) -> Result<EventPage, ClientError> {
        let url = format!("{}/api/v1/events", self.base_url);
        let unreachable = |e: reqwest::Error| ClientError::Unreachable {
            url: self.base_url.clone(),
            reason: e.to_string(),
        };
        let response = self
            .http
            .get(&url)
            .query(&[("offset", offset), ("limit", limit)])
            .header(reqwest::header::ACCEPT_LANGUAGE, self.lang.tag())
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unreachable)?;
        let bad = |reason: String| ClientError::BadResponse {
            url: self.base_url.clone(),
            reason,
        };
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| bad(e.to_string()));
        }
        match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(ErrorBody { code, message, .. }) => Err(ClientError::Api { code, message }),
            Err(_) => Err(bad(format!("HTTP {status}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::get;

    async fn serve(router: Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn a_closed_port_is_reported_as_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let err = ApiClient::new(&url, Lang::En)
            .unwrap()
            .list_events(0, 10)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::ServerUnreachable, "{err}");
    }

    #[tokio::test]
    async fn an_html_page_is_reported_as_a_bad_response() {
        let url = serve(Router::new().route(
            "/api/v1/events",
            get(|| async { "<html>wifi login</html>" }),
        ))
        .await;
        let err = ApiClient::new(&url, Lang::En)
            .unwrap()
            .list_events(0, 10)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadResponse, "{err}");
    }

    #[tokio::test]
    async fn an_api_error_keeps_its_code_and_message() {
        let router = Router::new().route(
            "/api/v1/events",
            get(|| async {
                (
                    StatusCode::BAD_REQUEST,
                    axum::Json(ErrorBody {
                        code: ErrorCode::InvalidParameter,
                        message: "قيمة غير صحيحة".into(),
                        details: None,
                    }),
                )
            }),
        );
        let url = serve(router).await;
        let err = ApiClient::new(&url, Lang::Ar)
            .unwrap()
            .list_events(0, 10)
            .await
            .unwrap_err();
        match err {
            ClientError::Api { code, message } => {
                assert_eq!(code, ErrorCode::InvalidParameter);
                assert_eq!(message, "قيمة غير صحيحة");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_request_carries_the_language_and_the_page() {
        let router = Router::new().route(
            "/api/v1/events",
            get(
                |headers: axum::http::HeaderMap, uri: axum::http::Uri| async move {
                    assert_eq!(headers["accept-language"], "ar");
                    assert_eq!(uri.query(), Some("offset=20&limit=10"));
                    axum::Json(EventPage {
                        events: vec![],
                        total: 0,
                        next_offset: None,
                    })
                },
            ),
        );
        let url = serve(router).await;
        let page = ApiClient::new(&url, Lang::Ar)
            .unwrap()
            .list_events(20, 10)
            .await
            .unwrap();
        assert_eq!(page.total, 0);
    }
}
