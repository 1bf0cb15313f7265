//! Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`
//! with HTTP Basic auth and a form-encoded body.
//! <https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource>

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::Deserialize;
use url::Url;

use super::{SmsError, SmsFuture, SmsMessage, SmsReceipt, SmsSender};

/// How long one send may take before it is reported as unavailable: the
/// person is waiting for their code on the sign-in screen.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Twilio's documented error messages are short; anything longer is cut so a
/// misbehaving proxy cannot flood our errors and logs.
const MAX_ERROR_MESSAGE_CHARS: usize = 300;

/// How to reach Twilio and who the messages come from.
#[derive(Clone, PartialEq, Eq)]
pub struct TwilioConfig {
    /// `https://api.twilio.com` in production; a local fake in tests.
    pub base_url: String,
    /// `AC` followed by 32 characters; also the Basic-auth user.
    pub account_sid: String,
    /// The Basic-auth password. Never printed.
    pub auth_token: String,
    /// A sender number in E.164, a short code, or an alphanumeric sender id such as `Hafla`.
    pub from: Option<String>,
    /// A Messaging Service (`MG…`) that picks the sender for us.
    pub messaging_service_sid: Option<String>,
}

impl TwilioConfig {
    pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

    /// A configuration against the real API; set `from` or
    /// `messaging_service_sid` before use.
    pub fn new(account_sid: impl Into<String>, auth_token: impl Into<String>) -> Self {
        TwilioConfig {
            base_url: Self::DEFAULT_BASE_URL.to_owned(),
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            from: None,
            messaging_service_sid: None,
        }
    }

    /// Checks everything that can be checked without calling Twilio, so a
    /// bad setting stops the server at startup rather than at the first sign-in.
    pub fn validate(&self) -> Result<(), SmsError> {
        self.endpoint()?;
        if self.auth_token.is_empty() {
            return Err(SmsError::Config("the Twilio auth token is empty".into()));
        }
        if self
            .auth_token
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(SmsError::Config(
                "the Twilio auth token contains whitespace".into(),
            ));
        }
        match (&self.from, &self.messaging_service_sid) {
            (None, None) => {
                return Err(SmsError::Config(
                    "Twilio needs a sender: set either `from` or `messaging_service_sid`".into(),
                ));
            }
            (from, service) => {
                if let Some(from) = from
                    && !is_valid_sender(from)
                {
                    return Err(SmsError::Config(
                        "the Twilio `from` must be an E.164 number, a short code, or an alphanumeric sender id of at most 11 letters, digits and spaces".into(),
                    ));
                }
                if let Some(service) = service
                    && !is_sid(service, "MG")
                {
                    return Err(SmsError::Config(
                        "the Twilio messaging service sid must be `MG` followed by 32 letters or digits".into(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// `{base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json`.
    fn endpoint(&self) -> Result<Url, SmsError> {
        if !is_sid(&self.account_sid, "AC") {
            return Err(SmsError::Config(
                "the Twilio account sid must be `AC` followed by 32 letters or digits".into(),
            ));
        }
        let mut url = Url::parse(&self.base_url)
            .map_err(|e| SmsError::Config(format!("the Twilio base URL is not a URL: {e}")))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(SmsError::Config(
                "the Twilio base URL must use https (or http for a local fake)".into(),
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(SmsError::Config(
                "the Twilio base URL must not carry credentials; use the account sid and auth token".into(),
            ));
        }
        url.set_query(None);
        url.set_fragment(None);
        url.path_segments_mut()
            .map_err(|()| SmsError::Config("the Twilio base URL cannot have a path".into()))?
            .pop_if_empty()
            .extend(["2010-04-01", "Accounts", &self.account_sid, "Messages.json"]);
        Ok(url)
    }
}

impl fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .field("from", &self.from)
            .field("messaging_service_sid", &self.messaging_service_sid)
            .finish()
    }
}

/// `prefix` followed by 32 ASCII letters or digits, as Twilio's sids are.
/// Being strict also keeps the account sid safe to put in a URL path.
fn is_sid(value: &str, prefix: &str) -> bool {
    value.len() == 34
        && value.starts_with(prefix)
        && value.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// An E.164 number, a short code, or an alphanumeric sender id (Twilio:
/// up to 11 ASCII letters, digits and spaces, at least one letter).
fn is_valid_sender(from: &str) -> bool {
    if let Some(digits) = from.strip_prefix('+') {
        return (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    }
    if from.bytes().all(|b| b.is_ascii_digit()) {
        return (3..=15).contains(&from.len());
    }
    (1..=11).contains(&from.len())
        && from.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ')
        && from.bytes().any(|b| b.is_ascii_alphabetic())
        && !from.starts_with(' ')
        && !from.ends_with(' ')
}

/// Sends SMS through Twilio's REST API.
#[derive(Debug, Clone)]
pub struct TwilioSms {
    config: TwilioConfig,
    endpoint: Url,
    client: reqwest::Client,
}

/// The parts of Twilio's Message resource we keep.
#[derive(Deserialize)]
struct CreatedMessage {
    sid: String,
    status: Option<String>,
}

/// Twilio's error body: `{"code": 21211, "message": "...", "more_info": "...", "status": 400}`.
#[derive(Deserialize)]
struct ErrorBody {
    code: Option<i64>,
    message: Option<String>,
}

impl TwilioSms {
    /// Validates the configuration and prepares an HTTP client.
    pub fn new(config: TwilioConfig) -> Result<Self, SmsError> {
        Self::with_timeout(config, DEFAULT_TIMEOUT)
    }

    /// Like [`TwilioSms::new`], with a different time limit per send.
    pub fn with_timeout(config: TwilioConfig, timeout: Duration) -> Result<Self, SmsError> {
        config.validate()?;
        let endpoint = config.endpoint()?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            // A redirect would replay our credentials somewhere we did not choose.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("hafla-server/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SmsError::Config(format!("could not build the HTTP client: {e}")))?;
        Ok(TwilioSms {
            config,
            endpoint,
            client,
        })
    }

    /// The form-encoded request body Twilio documents for Message create.
    fn form(&self, message: &SmsMessage) -> String {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("To", message.to.as_e164());
        form.append_pair("Body", &message.body);
        if let Some(from) = &self.config.from {
            form.append_pair("From", from);
        }
        if let Some(service) = &self.config.messaging_service_sid {
            form.append_pair("MessagingServiceSid", service);
        }
        form.finish()
    }

    async fn create_message(&self, message: &SmsMessage) -> Result<SmsReceipt, SmsError> {
        let masked = message.to.masked();
        let form = self.form(message);

        let response = self
            .client
            .post(self.endpoint.clone())
            .basic_auth(&self.config.account_sid, Some(&self.config.auth_token))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .body(form)
            .send()
            .await
            .map_err(|e| {
                let error = SmsError::Unavailable(describe(e));
                tracing::warn!(to = %masked, %error, "Twilio could not be reached");
                error
            })?;

        let status = response.status();
        let body = response.bytes().await.map_err(|e| {
            let error = SmsError::Unavailable(describe(e));
            tracing::warn!(to = %masked, %error, "Twilio's reply could not be read");
            error
        })?;

        if status.is_success() {
            return Ok(match serde_json::from_slice::<CreatedMessage>(&body) {
                Ok(created) => {
                    tracing::info!(
                        to = %masked,
                        sid = %created.sid,
                        status = created.status.as_deref().unwrap_or("unknown"),
                        "SMS accepted by Twilio"
                    );
                    SmsReceipt {
                        provider_id: created.sid,
                    }
                }
                // Twilio accepted the message, so it will go out: reporting a
                // failure would make people ask for a second code.
                Err(e) => {
                    tracing::warn!(
                        to = %masked,
                        http_status = status.as_u16(),
                        error = %e,
                        "Twilio accepted an SMS but its reply had no readable sid"
                    );
                    SmsReceipt {
                        provider_id: String::new(),
                    }
                }
            });
        }

        let parsed = serde_json::from_slice::<ErrorBody>(&body).ok();
        let code = parsed.as_ref().and_then(|b| b.code);
        let text = parsed
            .and_then(|b| b.message)
            .map(|m| scrub(&m, message))
            .unwrap_or_else(|| {
                status
                    .canonical_reason()
                    .unwrap_or("no error message")
                    .to_owned()
            });

        // 429 is Twilio asking us to slow down, not a verdict on the message.
        let error = if status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS {
            SmsError::Rejected {
                status: status.as_u16(),
                code,
                message: text,
            }
        } else {
            SmsError::Unavailable(match code {
                Some(code) => format!("Twilio answered HTTP {status} (code {code}): {text}"),
                None => format!("Twilio answered HTTP {status}: {text}"),
            })
        };
        tracing::warn!(
            to = %masked,
            http_status = status.as_u16(),
            twilio_code = code,
            %error,
            "Twilio did not send an SMS"
        );
        Err(error)
    }
}

impl SmsSender for TwilioSms {
    fn send<'a>(&'a self, message: &'a SmsMessage) -> SmsFuture<'a> {
        Box::pin(self.create_message(message))
    }
}

/// A transport error with its causes, without the URL (which names the account).
fn describe(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let error = error.without_url();
    let mut text = format!("{kind}: {error}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Twilio's messages quote the number ("The 'To' number +9627… is not
/// valid"); mask it so the error can be logged, and cap the length.
fn scrub(text: &str, message: &SmsMessage) -> String {
    let e164 = message.to.as_e164();
    let masked = message.to.masked();
    let text = text
        .replace(e164, &masked)
        .replace(&e164[1..], &masked[1..]);
    match text.char_indices().nth(MAX_ERROR_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};

    use axum::Json;
    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, StatusCode as AxumStatus};
    use axum::response::{IntoResponse, Response};
    use axum::routing::post;
    use base64::Engine;
    use serde_json::json;

    use super::*;
    use crate::auth::phone::PhoneNumber;

    const SID: &str = "AC0123456789abcdef0123456789abcdef";
    const TOKEN: &str = "f00dfeedf00dfeedf00dfeedf00dfeed";
    const SERVICE: &str = "MG0123456789abcdef0123456789abcdef";

    /// What the fake received, as Twilio would have seen it.
    #[derive(Debug, Clone)]
    struct Received {
        account_sid: String,
        content_type: String,
        to: String,
        body: String,
        from: Option<String>,
        messaging_service_sid: Option<String>,
    }

    /// A local stand-in for `api.twilio.com` implementing Message create.
    #[derive(Default)]
    struct FakeTwilio {
        received: Mutex<Vec<Received>>,
        /// Numbers Twilio will call invalid (error 21211).
        invalid_numbers: Mutex<HashSet<String>>,
        /// When set, every request gets this status, as in an outage.
        outage: Mutex<Option<u16>>,
        delay: Mutex<Option<Duration>>,
    }

    fn twilio_error(status: u16, code: i64, message: &str) -> Response {
        let body = json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status,
        });
        let status = AxumStatus::from_u16(status).unwrap_or(AxumStatus::INTERNAL_SERVER_ERROR);
        (status, Json(body)).into_response()
    }

    fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
        let value = headers.get("authorization")?.to_str().ok()?;
        let encoded = value.strip_prefix("Basic ")?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (user, password) = decoded.split_once(':')?;
        Some((user.to_owned(), password.to_owned()))
    }

    fn is_e164(number: &str) -> bool {
        number.strip_prefix('+').is_some_and(|digits| {
            (8..=15).contains(&digits.len())
                && !digits.starts_with('0')
                && digits.bytes().all(|b| b.is_ascii_digit())
        })
    }

    async fn create_message(
        State(fake): State<Arc<FakeTwilio>>,
        Path(account_sid): Path<String>,
        headers: HeaderMap,
        body: String,
    ) -> Response {
        let delay = *fake.delay.lock().unwrap();
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        let outage = *fake.outage.lock().unwrap();
        if let Some(status) = outage {
            return twilio_error(status, 20500, "Service Unavailable");
        }
        match basic_credentials(&headers) {
            Some((user, password)) if user == account_sid && user == SID && password == TOKEN => {}
            _ => return twilio_error(401, 20003, "Authenticate"),
        }

        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut to = None;
        let mut text = None;
        let mut from = None;
        let mut service = None;
        for (key, value) in url::form_urlencoded::parse(body.as_bytes()) {
            let slot = match key.as_ref() {
                "To" => &mut to,
                "Body" => &mut text,
                "From" => &mut from,
                "MessagingServiceSid" => &mut service,
                _ => continue,
            };
            *slot = Some(value.into_owned());
        }

        let Some(to) = to else {
            return twilio_error(400, 21604, "A 'To' phone number is required.");
        };
        if !is_e164(&to) || fake.invalid_numbers.lock().unwrap().contains(&to) {
            return twilio_error(
                400,
                21211,
                &format!("The 'To' number {to} is not a valid phone number."),
            );
        }
        let text = text.unwrap_or_default();
        if text.is_empty() {
            return twilio_error(400, 21602, "Message body is required.");
        }
        if from.is_none() && service.is_none() {
            return twilio_error(400, 21603, "A 'From' phone number is required.");
        }

        let sid = format!("SM{}", uuid::Uuid::now_v7().simple());
        let now = jiff::Timestamp::now()
            .strftime("%a, %d %b %Y %H:%M:%S +0000")
            .to_string();
        let reply = json!({
            "account_sid": account_sid,
            "api_version": "2010-04-01",
            "body": text,
            "date_created": now,
            "date_sent": null,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": null,
            "error_message": null,
            "from": from,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": "1",
            "price": null,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {
                "media": format!("/2010-04-01/Accounts/{account_sid}/Messages/{sid}/Media.json"),
            },
            "to": to,
            "uri": format!("/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json"),
        });
        fake.received.lock().unwrap().push(Received {
            account_sid,
            content_type,
            to,
            body: text,
            from,
            messaging_service_sid: service,
        });
        (AxumStatus::CREATED, Json(reply)).into_response()
    }

    /// Starts the fake on an ephemeral port; returns its state and base URL.
    async fn start_fake() -> (Arc<FakeTwilio>, String) {
        let fake = Arc::new(FakeTwilio::default());
        let app = axum::Router::new()
            .route(
                "/2010-04-01/Accounts/{account_sid}/Messages.json",
                post(create_message),
            )
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (fake, format!("http://{addr}"))
    }

    fn config(base_url: &str) -> TwilioConfig {
        TwilioConfig {
            base_url: base_url.to_owned(),
            from: Some("Hafla".to_owned()),
            ..TwilioConfig::new(SID, TOKEN)
        }
    }

    fn message() -> SmsMessage {
        SmsMessage {
            to: PhoneNumber::parse("0791234567").unwrap(),
            body: "رمز الدخول إلى حفلة: 482913".to_owned(),
        }
    }

    #[tokio::test]
    async fn a_message_is_delivered_with_the_right_fields_and_credentials() {
        let (fake, url) = start_fake().await;
        let sms = TwilioSms::new(config(&url)).unwrap();

        let receipt = sms.send(&message()).await.unwrap();

        assert!(receipt.provider_id.starts_with("SM"), "{receipt:?}");
        assert_eq!(receipt.provider_id.len(), 34);
        let received = fake.received.lock().unwrap().clone();
        assert_eq!(received.len(), 1);
        let got = &received[0];
        assert_eq!(got.account_sid, SID);
        assert_eq!(got.content_type, "application/x-www-form-urlencoded");
        assert_eq!(got.to, "+962791234567");
        assert_eq!(got.body, "رمز الدخول إلى حفلة: 482913");
        assert_eq!(got.from.as_deref(), Some("Hafla"));
        assert_eq!(got.messaging_service_sid, None);
    }

    #[tokio::test]
    async fn a_messaging_service_can_stand_in_for_a_sender() {
        let (fake, url) = start_fake().await;
        let config = TwilioConfig {
            from: None,
            messaging_service_sid: Some(SERVICE.to_owned()),
            ..config(&url)
        };
        TwilioSms::new(config)
            .unwrap()
            .send(&message())
            .await
            .unwrap();
        let received = fake.received.lock().unwrap().clone();
        assert_eq!(received[0].messaging_service_sid.as_deref(), Some(SERVICE));
        assert_eq!(received[0].from, None);
    }

    #[tokio::test]
    async fn a_base_url_with_a_trailing_slash_reaches_the_same_endpoint() {
        let (fake, url) = start_fake().await;
        let sms = TwilioSms::new(config(&format!("{url}/"))).unwrap();
        sms.send(&message()).await.unwrap();
        assert_eq!(fake.received.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_wrong_token_is_rejected_with_twilio_code_20003() {
        let (fake, url) = start_fake().await;
        let config = TwilioConfig {
            auth_token: "0000000000000000000000000000dead".to_owned(),
            ..config(&url)
        };
        let err = TwilioSms::new(config)
            .unwrap()
            .send(&message())
            .await
            .unwrap_err();
        assert_eq!(
            err,
            SmsError::Rejected {
                status: 401,
                code: Some(20003),
                message: "Authenticate".to_owned()
            }
        );
        assert!(!err.is_retryable());
        assert!(fake.received.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn an_account_sid_that_does_not_match_the_credentials_is_rejected() {
        let (_fake, url) = start_fake().await;
        let config = TwilioConfig {
            account_sid: "ACffffffffffffffffffffffffffffffff".to_owned(),
            ..config(&url)
        };
        let err = TwilioSms::new(config)
            .unwrap()
            .send(&message())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                SmsError::Rejected {
                    status: 401,
                    code: Some(20003),
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn an_invalid_number_is_rejected_with_code_21211_without_leaking_the_number() {
        let (fake, url) = start_fake().await;
        fake.invalid_numbers
            .lock()
            .unwrap()
            .insert("+962791234567".to_owned());
        let err = TwilioSms::new(config(&url))
            .unwrap()
            .send(&message())
            .await
            .unwrap_err();
        let SmsError::Rejected {
            status,
            code,
            message,
        } = &err
        else {
            panic!("expected a rejection, got {err:?}");
        };
        assert_eq!(*status, 400);
        assert_eq!(*code, Some(21211));
        assert_eq!(
            message,
            "The 'To' number +96279*****67 is not a valid phone number."
        );
        assert!(!err.to_string().contains("791234567"));
    }

    #[tokio::test]
    async fn a_server_that_is_down_is_unavailable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let err = TwilioSms::new(config(&format!("http://{addr}")))
            .unwrap()
            .send(&message())
            .await
            .unwrap_err();
        assert!(matches!(err, SmsError::Unavailable(_)), "{err:?}");
        assert!(err.is_retryable());
        assert!(!err.to_string().contains(SID), "{err}");
    }

    #[tokio::test]
    async fn a_503_is_unavailable() {
        let (fake, url) = start_fake().await;
        *fake.outage.lock().unwrap() = Some(503);
        let err = TwilioSms::new(config(&url))
            .unwrap()
            .send(&message())
            .await
            .unwrap_err();
        let SmsError::Unavailable(text) = &err else {
            panic!("expected unavailable, got {err:?}");
        };
        assert!(text.contains("503"), "{text}");
    }

    #[tokio::test]
    async fn being_rate_limited_is_unavailable_not_rejected() {
        let (fake, url) = start_fake().await;
        *fake.outage.lock().unwrap() = Some(429);
        let err = TwilioSms::new(config(&url))
            .unwrap()
            .send(&message())
            .await
            .unwrap_err();
        assert!(matches!(err, SmsError::Unavailable(_)), "{err:?}");
    }

    #[tokio::test]
    async fn a_reply_slower_than_the_timeout_is_unavailable() {
        let (fake, url) = start_fake().await;
        *fake.delay.lock().unwrap() = Some(Duration::from_secs(5));
        let sms = TwilioSms::with_timeout(config(&url), Duration::from_millis(200)).unwrap();
        let err = sms.send(&message()).await.unwrap_err();
        let SmsError::Unavailable(text) = &err else {
            panic!("expected unavailable, got {err:?}");
        };
        assert!(text.contains("timed out"), "{text}");
    }

    #[test]
    fn a_sender_or_messaging_service_is_required() {
        let config = TwilioConfig::new(SID, TOKEN);
        assert!(matches!(config.validate(), Err(SmsError::Config(_))));
        assert!(matches!(TwilioSms::new(config), Err(SmsError::Config(_))));
    }

    #[test]
    fn the_default_base_url_is_twilios_api() {
        let config = TwilioConfig {
            from: Some("+15005550006".to_owned()),
            ..TwilioConfig::new(SID, TOKEN)
        };
        config.validate().unwrap();
        assert_eq!(
            config.endpoint().unwrap().as_str(),
            "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"
        );
    }

    #[test]
    fn senders_are_numbers_short_codes_or_short_alphanumeric_ids() {
        for good in ["Hafla", "HaflaJO", "Hafla 2026", "+962791234567", "12345"] {
            assert!(is_valid_sender(good), "{good:?}");
        }
        for bad in [
            "",
            "Hafla Tickets JO",
            "حفلة",
            "Hafla!",
            " Hafla",
            "+96279abc",
            "12",
        ] {
            assert!(!is_valid_sender(bad), "{bad:?}");
        }
    }

    #[test]
    fn malformed_settings_are_configuration_errors() {
        let good = config("https://api.twilio.com");
        good.validate().unwrap();
        let cases = [
            TwilioConfig {
                account_sid: "AC../../evil".to_owned(),
                ..good.clone()
            },
            TwilioConfig {
                account_sid: "XX0123456789abcdef0123456789abcdef".to_owned(),
                ..good.clone()
            },
            TwilioConfig {
                auth_token: String::new(),
                ..good.clone()
            },
            TwilioConfig {
                auth_token: format!("{TOKEN}\n"),
                ..good.clone()
            },
            TwilioConfig {
                base_url: "not a url".to_owned(),
                ..good.clone()
            },
            TwilioConfig {
                base_url: "ftp://api.twilio.com".to_owned(),
                ..good.clone()
            },
            TwilioConfig {
                base_url: "https://user:pw@api.twilio.com".to_owned(),
                ..good.clone()
            },
            TwilioConfig {
                from: Some("Hafla Tickets Amman".to_owned()),
                ..good.clone()
            },
            TwilioConfig {
                from: None,
                messaging_service_sid: Some("MGshort".to_owned()),
                ..good.clone()
            },
        ];
        for case in cases {
            assert!(
                matches!(case.validate(), Err(SmsError::Config(_))),
                "{case:?}"
            );
        }
    }

    #[test]
    fn config_debug_hides_the_auth_token() {
        let debug = format!("{:?}", config("https://api.twilio.com"));
        assert!(!debug.contains(TOKEN), "{debug}");
        assert!(debug.contains("redacted"), "{debug}");
        assert!(debug.contains(SID), "{debug}");
        let sms = TwilioSms::new(config("https://api.twilio.com")).unwrap();
        assert!(!format!("{sms:?}").contains(TOKEN));
    }

    #[test]
    fn long_error_messages_are_cut() {
        let long = "x".repeat(1_000);
        let cut = scrub(&long, &message());
        assert_eq!(cut.chars().count(), MAX_ERROR_MESSAGE_CHARS + 1);
    }
}
