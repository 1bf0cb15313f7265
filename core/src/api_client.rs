//! The app's HTTP client of the sync server's REST API: one typed method per route the app
//! calls, answering with the same wire types the server writes (`crate::wire`).

use crate::bilingual::Lang;
use crate::wire::accounts::{
    CallbackRequest, CreateOrgRequest, InviteRequest, InviteView, LoginRequest, MeView, MemberView,
    OidcProviders, OidcStart, OrgView, RefreshRequest, RegisterRequest, SendCodeRequest,
    SessionTokens, VerifyCodeRequest,
};
use crate::wire::analytics::{AnalyticsBucket, EventAnalytics};
use crate::wire::{
    CliqDecision, ErrorBody, ErrorCode, EventDetail, EventInput, EventListItem, EventPage,
    OrderInput, OrderList, OrderView, OrganizerEvent, PayInput, PayView, RefundInput, RefundView,
    RejectInput, ReviewQueuePage, TicketList, TicketView, TransferInput,
};
use reqwest::{Method, RequestBuilder, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::time::Duration;
use uuid::Uuid;

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

/// A client of one Hafla server, asking for answers in one language, signed in or not.
#[derive(Clone)]
pub struct ApiClient {
    base_url: String,
    lang: Lang,
    /// The access token sent as `Authorization: Bearer`; never printed.
    access_token: Option<String>,
    http: reqwest::Client,
}

/// Says whether the client is signed in, never with which token.
impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("base_url", &self.base_url)
            .field("lang", &self.lang)
            .field("signed_in", &self.access_token.is_some())
            .finish()
    }
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
            access_token: None,
            http,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The same server and language as someone signed in (`Some`) or signed out (`None`):
    /// after a sign-in, and again after each refresh, as the access token changes. The
    /// connection pool is shared.
    pub fn with_token(&self, access_token: Option<String>) -> ApiClient {
        ApiClient {
            access_token,
            ..self.clone()
        }
    }

    // ---- The catalog ----

    /// One page of published upcoming events, soonest first.
    pub async fn list_events(&self, offset: u32, limit: u32) -> Result<EventPage, ClientError> {
        let request = self
            .request(Method::GET, &["events"])?
            .query(&[("offset", offset), ("limit", limit)]);
        self.answer(request).await
    }

    /// A published event in full, for its page and for choosing tickets; anything not
    /// published is `not_found`.
    pub async fn event_detail(&self, event_id: Uuid) -> Result<EventDetail, ClientError> {
        self.get(&["events", &event_id.to_string()]).await
    }

    // ---- Signing up, in and out ----

    /// Creates an account and signs it in at once; the server emails a verification link.
    pub async fn register(&self, input: &RegisterRequest) -> Result<SessionTokens, ClientError> {
        self.post(&["auth", "register"], input).await
    }

    /// Signs in by email and password; a wrong pair is `invalid_credentials`, whichever was
    /// wrong.
    pub async fn login(&self, email: &str, password: &str) -> Result<SessionTokens, ClientError> {
        let input = LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
        };
        self.post(&["auth", "login"], &input).await
    }

    /// Trades the refresh token for a new pair when the access token expires. Keep only the
    /// new pair: the old refresh token is spent, and presenting it again ends the sign-in.
    pub async fn refresh(&self, refresh_token: &str) -> Result<SessionTokens, ClientError> {
        let input = RefreshRequest {
            refresh_token: refresh_token.to_owned(),
        };
        self.post(&["auth", "refresh"], &input).await
    }

    /// Ends this sign-in on the server, so its refresh token stops working; the access token
    /// this client holds stays valid until it expires, so drop the client too.
    pub async fn logout(&self) -> Result<(), ClientError> {
        self.answer(self.request(Method::POST, &["auth", "logout"])?)
            .await
    }

    /// Texts a sign-in code to a mobile number, in `lang`. Asking again too soon is
    /// `rate_limited`.
    pub async fn send_phone_code(&self, phone: &str, lang: Lang) -> Result<(), ClientError> {
        let input = SendCodeRequest {
            phone: phone.to_owned(),
            lang: Some(lang),
        };
        self.post(&["auth", "phone", "send"], &input).await
    }

    /// Signs in with the texted code; the first sign-in with a number creates its account.
    pub async fn verify_phone_code(
        &self,
        phone: &str,
        code: &str,
    ) -> Result<SessionTokens, ClientError> {
        let input = VerifyCodeRequest {
            phone: phone.to_owned(),
            code: code.to_owned(),
        };
        self.post(&["auth", "phone", "verify"], &input).await
    }

    /// The providers to offer "Continue with …" buttons for.
    pub async fn oidc_providers(&self) -> Result<OidcProviders, ClientError> {
        self.answer(self.request(Method::GET, &["auth", "oidc", "providers"])?)
            .await
    }

    /// The provider's page to open in the system browser, and the state to hand back with
    /// the code it redirects to the app with.
    pub async fn oidc_start(&self, provider: &str) -> Result<OidcStart, ClientError> {
        self.answer(self.request(Method::POST, &["auth", "oidc", provider, "start"])?)
            .await
    }

    /// Finishes a provider sign-in with what the provider put on its redirect.
    pub async fn oidc_callback(
        &self,
        state: &str,
        code: &str,
    ) -> Result<SessionTokens, ClientError> {
        let input = CallbackRequest {
            state: state.to_owned(),
            code: code.to_owned(),
        };
        self.post(&["auth", "oidc", "callback"], &input).await
    }

    /// Who is signed in and in which organizations, with which role: what the app shows and
    /// which organizer screens it offers.
    pub async fn me(&self) -> Result<MeView, ClientError> {
        self.get(&["me"]).await
    }

    // ---- Buying and holding tickets ----

    /// Reserves tickets: they are held for the buyer until the order's `expires_at`.
    pub async fn create_order(&self, input: &OrderInput) -> Result<OrderView, ClientError> {
        self.post(&["orders"], input).await
    }

    /// One of the caller's orders, e.g. to see it paid after the payment page.
    pub async fn order(&self, order_id: Uuid) -> Result<OrderView, ClientError> {
        self.get(&["orders", &order_id.to_string()]).await
    }

    /// Gives up an unpaid order so its tickets go back on sale at once.
    pub async fn cancel_order(&self, order_id: Uuid) -> Result<OrderView, ClientError> {
        self.answer(self.request(Method::POST, &["orders", &order_id.to_string(), "cancel"])?)
            .await
    }

    /// Starts paying: the answer says whether to open a payment page, make a CliQ transfer,
    /// or nothing (a free order, paid already).
    pub async fn pay(&self, order_id: Uuid, input: &PayInput) -> Result<PayView, ClientError> {
        self.post(&["orders", &order_id.to_string(), "pay"], input)
            .await
    }

    /// The caller's recent orders, newest first (the server sends a fixed number, no paging).
    pub async fn my_orders(&self) -> Result<OrderList, ClientError> {
        self.get(&["me", "orders"]).await
    }

    /// The caller's recent tickets, newest first, transferred and refunded ones included.
    pub async fn my_tickets(&self) -> Result<TicketList, ClientError> {
        self.get(&["me", "tickets"]).await
    }

    /// Gives a ticket to another Hafla account; the answer is the recipient's new ticket
    /// (the caller's old one is no longer valid).
    pub async fn transfer_ticket(
        &self,
        ticket_id: Uuid,
        input: &TransferInput,
    ) -> Result<TicketView, ClientError> {
        self.post(&["tickets", &ticket_id.to_string(), "transfer"], input)
            .await
    }

    // ---- Organizers ----

    /// Creates an organization with the caller as its owner.
    pub async fn create_org(&self, input: &CreateOrgRequest) -> Result<OrgView, ClientError> {
        self.post(&["orgs"], input).await
    }

    /// Every event of an organization, in any status, for the organizer's list.
    pub async fn org_events(&self, org_id: Uuid) -> Result<Vec<EventListItem>, ClientError> {
        self.get(&["orgs", &org_id.to_string(), "events"]).await
    }

    /// One event as its organizer edits it, with the `version` an update must name.
    pub async fn org_event(
        &self,
        org_id: Uuid,
        event_id: Uuid,
    ) -> Result<OrganizerEvent, ClientError> {
        self.get(&["orgs", &org_id.to_string(), "events", &event_id.to_string()])
            .await
    }

    /// Creates a draft event; nobody else sees it until it is submitted and approved.
    pub async fn create_event(
        &self,
        org_id: Uuid,
        input: &EventInput,
    ) -> Result<OrganizerEvent, ClientError> {
        self.post(&["orgs", &org_id.to_string(), "events"], input)
            .await
    }

    /// Replaces an event's content. `input.version` must be the version the edit started
    /// from, else `edit_conflict`: someone else changed it meanwhile.
    pub async fn update_event(
        &self,
        org_id: Uuid,
        event_id: Uuid,
        input: &EventInput,
    ) -> Result<OrganizerEvent, ClientError> {
        let path = ["orgs", &org_id.to_string(), "events", &event_id.to_string()];
        self.answer(self.request(Method::PUT, &path)?.json(input))
            .await
    }

    /// Sends a draft (or a rejected event) to the platform's reviewers.
    pub async fn submit_event(
        &self,
        org_id: Uuid,
        event_id: Uuid,
    ) -> Result<OrganizerEvent, ClientError> {
        let (org, event) = (org_id.to_string(), event_id.to_string());
        let path = ["orgs", &org, "events", &event, "submit"];
        self.answer(self.request(Method::POST, &path)?).await
    }

    /// The people of an organization and their roles.
    pub async fn members(&self, org_id: Uuid) -> Result<Vec<MemberView>, ClientError> {
        self.get(&["orgs", &org_id.to_string(), "members"]).await
    }

    /// Invites someone by email or phone; they join with the role when they next sign up or
    /// sign in with it.
    pub async fn invite(
        &self,
        org_id: Uuid,
        input: &InviteRequest,
    ) -> Result<InviteView, ClientError> {
        self.post(&["orgs", &org_id.to_string(), "invites"], input)
            .await
    }

    /// An event's dashboard. `from` and `to` are local dates in Asia/Amman, both included;
    /// left out, the server picks the recent past (30 days by day, 2 by hour).
    pub async fn event_analytics(
        &self,
        org_id: Uuid,
        event_id: Uuid,
        bucket: Option<AnalyticsBucket>,
        from: Option<jiff::civil::Date>,
        to: Option<jiff::civil::Date>,
    ) -> Result<EventAnalytics, ClientError> {
        let (org, event) = (org_id.to_string(), event_id.to_string());
        let path = ["orgs", &org, "events", &event, "analytics"];
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(bucket) = bucket {
            query.push(("bucket", bucket.key().to_owned()));
        }
        if let Some(from) = from {
            query.push(("from", from.to_string()));
        }
        if let Some(to) = to {
            query.push(("to", to.to_string()));
        }
        self.answer(self.request(Method::GET, &path)?.query(&query))
            .await
    }

    /// An event's `orders`, `attendees` or `checkins` as a CSV file to save or share: the
    /// raw bytes (UTF-8 with a byte-order mark, headers in the client's language).
    pub async fn export_csv(
        &self,
        org_id: Uuid,
        event_id: Uuid,
        kind: &str,
    ) -> Result<Vec<u8>, ClientError> {
        let (org, event) = (org_id.to_string(), event_id.to_string());
        let path = ["orgs", &org, "events", &event, "exports", kind];
        self.send(self.request(Method::GET, &path)?).await
    }

    /// Returns money and revokes tickets of a paid order, through the provider it was paid by.
    pub async fn refund(
        &self,
        org_id: Uuid,
        order_id: Uuid,
        input: &RefundInput,
    ) -> Result<RefundView, ClientError> {
        let (org, order) = (org_id.to_string(), order_id.to_string());
        self.post(&["orgs", &org, "orders", &order, "refunds"], input)
            .await
    }

    /// The organizer's word on a CliQ transfer: received issues the tickets, not received
    /// lets them go back on sale. The answer is the order now.
    pub async fn decide_cliq(
        &self,
        org_id: Uuid,
        order_id: Uuid,
        decision: &CliqDecision,
    ) -> Result<OrderView, ClientError> {
        let (org, order) = (org_id.to_string(), order_id.to_string());
        self.post(&["orgs", &org, "orders", &order, "cliq"], decision)
            .await
    }

    // ---- Platform admins ----

    /// One page of events waiting for review, the longest waiting first; the page's
    /// `next_offset` is the `offset` of the next one.
    pub async fn review_queue(
        &self,
        offset: u32,
        limit: u32,
    ) -> Result<ReviewQueuePage, ClientError> {
        let request = self
            .request(Method::GET, &["admin", "events", "review-queue"])?
            .query(&[("offset", offset), ("limit", limit)]);
        self.answer(request).await
    }

    /// Publishes a submitted event. Two admins deciding at once: the second gets
    /// `invalid_status_transition`.
    pub async fn approve_event(&self, event_id: Uuid) -> Result<OrganizerEvent, ClientError> {
        let path = ["admin", "events", &event_id.to_string(), "approve"];
        self.answer(self.request(Method::POST, &path)?).await
    }

    /// Sends a submitted event back to its organizer with the reason, which they see.
    pub async fn reject_event(
        &self,
        event_id: Uuid,
        input: &RejectInput,
    ) -> Result<OrganizerEvent, ClientError> {
        self.post(&["admin", "events", &event_id.to_string(), "reject"], input)
            .await
    }

    // ---- One request, one answer ----

    /// A request to `/api/v1/<segments>` (each segment percent-encoded), in the client's
    /// language, with the bearer token when signed in.
    fn request(&self, method: Method, segments: &[&str]) -> Result<RequestBuilder, ClientError> {
        let mut url = Url::parse(&self.base_url).map_err(|e| ClientError::Unreachable {
            url: self.base_url.clone(),
            reason: e.to_string(),
        })?;
        url.path_segments_mut()
            .map_err(|()| ClientError::Unreachable {
                url: self.base_url.clone(),
                reason: "not a URL a path can be added to".into(),
            })?
            .pop_if_empty()
            .extend(["api", "v1"])
            .extend(segments);
        let request = self
            .http
            .request(method, url)
            .header(reqwest::header::ACCEPT_LANGUAGE, self.lang.tag());
        Ok(match &self.access_token {
            Some(token) => request.bearer_auth(token),
            None => request,
        })
    }

    async fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T, ClientError> {
        self.answer(self.request(Method::GET, segments)?).await
    }

    async fn post<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        self.answer(self.request(Method::POST, segments)?.json(body))
            .await
    }

    /// Sends and reads a JSON answer; an empty one (`204`, `202`) reads as JSON `null`,
    /// which is what `()` expects.
    async fn answer<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, ClientError> {
        let body = self.send(request).await?;
        let json: &[u8] = if body.is_empty() { b"null" } else { &body };
        serde_json::from_slice(json).map_err(|e| self.bad(e.to_string()))
    }

    /// Sends; the body of a 2xx answer, or the error the server or the network gave.
    async fn send(&self, request: RequestBuilder) -> Result<Vec<u8>, ClientError> {
        let unreachable = |e: reqwest::Error| ClientError::Unreachable {
            url: self.base_url.clone(),
            reason: e.to_string(),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unreachable)?;
        if status.is_success() {
            return Ok(body.into());
        }
        match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(ErrorBody { code, message, .. }) => Err(ClientError::Api { code, message }),
            Err(_) => Err(self.bad(format!("HTTP {status}"))),
        }
    }

    fn bad(&self, reason: String) -> ClientError {
        ClientError::BadResponse {
            url: self.base_url.clone(),
            reason,
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

    #[test]
    fn the_access_token_never_appears_in_debug_output() {
        let client = ApiClient::new("http://127.0.0.1:1", Lang::Ar)
            .unwrap()
            .with_token(Some("eyJ.secret-token".into()));
        let printed = format!("{client:?} {client:#?}");
        assert!(!printed.contains("secret"), "{printed}");
        assert!(printed.contains("signed_in: true"), "{printed}");
    }

    #[tokio::test]
    async fn a_signed_in_client_sends_its_bearer_token_and_an_empty_answer_is_unit() {
        let router = Router::new().route(
            "/prefix/api/v1/auth/logout",
            axum::routing::post(|headers: axum::http::HeaderMap| async move {
                assert_eq!(headers["authorization"], "Bearer t0ken");
                assert_eq!(headers["accept-language"], "en");
                StatusCode::NO_CONTENT
            }),
        );
        let url = serve(router).await;
        let signed_out = ApiClient::new(&format!("{url}/prefix/"), Lang::En).unwrap();
        let signed_in = signed_out.with_token(Some("t0ken".into()));
        signed_in.logout().await.unwrap();
        assert_eq!(signed_in.base_url(), signed_out.base_url());
    }

    #[tokio::test]
    async fn path_parameters_are_one_segment_each() {
        let router = Router::new().route(
            "/api/v1/auth/oidc/{provider}/start",
            axum::routing::post(
                |axum::extract::Path(provider): axum::extract::Path<String>| async move {
                    axum::Json(crate::wire::accounts::OidcStart {
                        authorization_url: "https://id.example/authorize".into(),
                        state: provider,
                    })
                },
            ),
        );
        let url = serve(router).await;
        let start = ApiClient::new(&url, Lang::En)
            .unwrap()
            .oidc_start("a/../b c")
            .await
            .unwrap();
        assert_eq!(start.state, "a/../b c");
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
