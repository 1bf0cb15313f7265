//! PayTabs card payments through its PT2 API and hosted payment page.
//!
//! * `POST {base}/payment/request` with `tran_type: sale` opens a payment and answers its
//!   `tran_ref` and `redirect_url`, the hosted page the buyer's browser opens: the card is
//!   typed on PayTabs' page, never near Hafla. The same endpoint gives money back with
//!   `tran_type: refund` and the sale's `tran_ref`.
//! * `POST {base}/payment/query` tells where a transaction stands (reconciliation).
//! * The callback (a per-request IPN) posts the transaction as JSON to the request's
//!   `callback` URL, once it ends (paid, declined, cancelled, expired), with a `signature`
//!   header: the hex HMAC-SHA256 of the raw body keyed with the profile's server key.
//!   PayTabs retries notifications (up to five times) until answered 200, so one can come
//!   more than once: [`Notification::dedupe_key`] is `paytabs:{tran_ref}:{status}`.
//!
//! Every call carries the server key as the raw `authorization` header and the profile in
//! `profile_id`; a key belongs to one profile on one region endpoint
//! (`https://secure-jordan.paytabs.com` for Jordan) and fails with code 1 anywhere else.
//!
//! Documentation this follows:
//! <https://docs.paytabs.com/PT2-API-Endpoints/Integration-Types-Manuals/Hosted-Payment-Page/HPP-Step-3-Initiating-Payment/HPP-Initiating-Payment>,
//! <https://support.paytabs.com/en/support/solutions/articles/60000710069-how-to-configure-instant-payment-notification-ipn->,
//! the query and refund pages of the same manual, and the response samples of PayTabs' own
//! SDKs (`paytabscom/php-sdk` test fixtures).
//!
//! [`fake`] is a local PayTabs speaking the same protocol, for tests.

mod amount;
#[doc(hidden)]
pub mod fake;
#[cfg(test)]
mod tests;

pub use amount::{AmountError, amount_from_decimal, amount_to_decimal};

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use axum::http::HeaderMap;
use hafla_core::money::{Currency, Money};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::Sha256;
use url::Url;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::{
    CreatedPayment, Notification, PaymentError, PaymentProvider, PaymentRequest, PaymentState,
    RefundReceipt, RefundRequest,
};

/// How long one call to PayTabs may take before it is reported as unavailable.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// PayTabs' replies are a few kilobytes; more is a misbehaving proxy, not PayTabs.
const MAX_REPLY_BYTES: usize = 256 * 1024;
/// Error texts are cut so a misbehaving peer cannot flood errors and logs.
const MAX_MESSAGE_CHARS: usize = 300;
/// PayTabs' documented limit of `cart_description` (1 to 128 characters).
const MAX_DESCRIPTION_CHARS: usize = 128;
/// `tran_ref`s are like `TST2436002183944`; anything longer or stranger is refused before it
/// reaches a log line or a dedupe key.
const MAX_TRAN_REF_CHARS: usize = 64;
/// The notification header PayTabs signs with.
const SIGNATURE_HEADER: &str = "signature";

/// A PayTabs profile's server key: it authenticates every API call and keys the HMAC of
/// notifications. Never printed; wiped from memory when dropped.
#[derive(Clone)]
pub struct ServerKey(Zeroizing<String>);

impl ServerKey {
    pub fn new(value: impl Into<String>) -> ServerKey {
        ServerKey(Zeroizing::new(value.into()))
    }

    /// The key itself; call only where it is handed to the protocol.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerKey(***)")
    }
}

/// How to reach PayTabs and which profile Hafla is.
#[derive(Clone, Debug)]
pub struct PayTabsConfig {
    /// The profile's region endpoint, [`PayTabsConfig::JORDAN`] for Hafla; `http` is accepted
    /// only for a local fake on 127.0.0.1, `::1` or localhost.
    pub base_url: Url,
    /// The profile id of the merchant dashboard (Developers → Key management).
    pub profile_id: u64,
    pub server_key: ServerKey,
}

impl PayTabsConfig {
    /// PayTabs' Jordan region endpoint.
    pub const JORDAN: &str = "https://secure-jordan.paytabs.com";

    /// A configuration against PayTabs Jordan.
    pub fn jordan(profile_id: u64, server_key: ServerKey) -> PayTabsConfig {
        PayTabsConfig {
            base_url: Url::parse(Self::JORDAN).expect("a constant URL"),
            profile_id,
            server_key,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PayTabsError {
    /// A setting is wrong; the message names it (never the key's value).
    #[error("PayTabs settings: {0}")]
    Config(String),
}

/// The PayTabs [`PaymentProvider`].
pub struct PayTabs {
    profile_id: u64,
    server_key: ServerKey,
    /// `base_url` is `https`: the real PayTabs, which posts notifications only to `https`.
    real: bool,
    request_url: Url,
    query_url: Url,
    client: reqwest::Client,
}

/// Written by hand: the key stays out of it.
impl fmt::Debug for PayTabs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayTabs")
            .field("profile_id", &self.profile_id)
            .field("request_url", &self.request_url.as_str())
            .finish_non_exhaustive()
    }
}

impl PayTabs {
    /// Checks the settings and prepares an HTTP client; calls PayTabs only when used.
    pub fn new(config: PayTabsConfig) -> Result<PayTabs, PayTabsError> {
        PayTabs::with_timeout(config, DEFAULT_TIMEOUT)
    }

    /// Like [`PayTabs::new`], with another limit for each call.
    pub fn with_timeout(config: PayTabsConfig, timeout: Duration) -> Result<PayTabs, PayTabsError> {
        let bad = |text: &str| Err(PayTabsError::Config(text.to_owned()));
        let base = &config.base_url;
        let real = match base.scheme() {
            "https" => true,
            "http" if is_loopback(base) => false,
            "http" => {
                return bad(
                    "the PayTabs base URL must use https (http only for a local fake on 127.0.0.1 or localhost)",
                );
            }
            _ => return bad("the PayTabs base URL must be an https URL"),
        };
        if base.host_str().is_none_or(str::is_empty) {
            return bad("the PayTabs base URL has no host");
        }
        if !base.username().is_empty() || base.password().is_some() {
            return bad("the PayTabs base URL must not carry credentials; set the server key");
        }
        if base.query().is_some() || base.fragment().is_some() {
            return bad("the PayTabs base URL must not have a query or fragment");
        }
        if config.profile_id == 0 {
            return bad("the PayTabs profile id is missing");
        }
        let key = config.server_key.expose();
        if key.is_empty() {
            return bad("the PayTabs server key is empty");
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return bad("the PayTabs server key must be printable ASCII without spaces");
        }
        if timeout.is_zero() {
            return bad("the PayTabs timeout is zero");
        }
        let request_url = endpoint(base, &["payment", "request"])?;
        let query_url = endpoint(base, &["payment", "query"])?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(CONNECT_TIMEOUT))
            // A redirect would replay the server key somewhere we did not choose.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("hafla-server/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PayTabsError::Config(format!("could not build the HTTP client: {e}")))?;
        Ok(PayTabs {
            profile_id: config.profile_id,
            server_key: config.server_key,
            real,
            request_url,
            query_url,
            client,
        })
    }

    /// Posts one JSON request and reads PayTabs' answer, sorting failures into
    /// [`PaymentError::Unavailable`] (try again later) and [`PaymentError::Refused`].
    async fn call(&self, url: &Url, body: Vec<u8>, what: &str) -> Result<Reply, PaymentError> {
        let response = self
            .client
            .post(url.clone())
            .header(AUTHORIZATION, self.server_key.expose())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                PaymentError::Unavailable(format!(
                    "PayTabs could not be reached ({what}): {}",
                    describe(e)
                ))
            })?;
        let status = response.status();
        let bytes = read_capped(response).await.map_err(|e| {
            PaymentError::Unavailable(format!("PayTabs' answer to {what} could not be read: {e}"))
        })?;
        let reply = serde_json::from_slice::<Reply>(&bytes);

        if status.is_success() {
            let reply = reply.map_err(|e| {
                PaymentError::Unavailable(format!(
                    "PayTabs answered {what} with HTTP {} but no readable JSON: {e}",
                    status.as_u16()
                ))
            })?;
            // An error object under a 200 is still an error.
            if reply.tran_ref.is_none() && reply.message.is_some() {
                return Err(PaymentError::Refused(self.error_text(
                    what,
                    status,
                    Some(&reply),
                )));
            }
            return Ok(reply);
        }

        let reply = reply.ok();
        let text = self.error_text(what, status, reply.as_ref());
        Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => PaymentError::Refused(format!(
                "{text}; PayTabs did not accept the credentials: check the profile id ({}), the server key, and that the base URL is the profile's region endpoint",
                self.profile_id
            )),
            StatusCode::CONFLICT => PaymentError::Refused(format!(
                "{text}; PayTabs saw the same cart id shortly before and did not act twice: query the earlier transaction"
            )),
            StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => {
                PaymentError::Unavailable(text)
            }
            s if s.is_client_error() => PaymentError::Refused(text),
            _ => PaymentError::Unavailable(text),
        })
    }

    /// `PayTabs answered the payment request with HTTP 401 (code 1): Authentication failed…`.
    fn error_text(&self, what: &str, status: StatusCode, reply: Option<&Reply>) -> String {
        let code = reply.and_then(|r| r.code.as_ref()).map(|c| match c {
            serde_json::Value::String(s) => scrub(s, self.server_key.expose()),
            other => other.to_string(),
        });
        let message = reply
            .and_then(|r| r.message.as_deref())
            .map(|m| scrub(m, self.server_key.expose()))
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("no message").to_owned());
        match code {
            Some(code) => format!(
                "PayTabs answered {what} with HTTP {} (code {code}): {message}",
                status.as_u16()
            ),
            None => format!(
                "PayTabs answered {what} with HTTP {}: {message}",
                status.as_u16()
            ),
        }
    }

    /// A checked transaction reference from PayTabs.
    fn tran_ref(reply: &Reply, what: &str) -> Result<String, PaymentError> {
        match reply.tran_ref.as_deref() {
            Some(r) if is_tran_ref(r) => Ok(r.to_owned()),
            Some(_) => Err(PaymentError::Unavailable(format!(
                "PayTabs answered {what} with a malformed tran_ref"
            ))),
            None => Err(PaymentError::Unavailable(format!(
                "PayTabs answered {what} without a tran_ref"
            ))),
        }
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length.
        <Hmac<Sha256> as Mac>::new_from_slice(self.server_key.expose().as_bytes())
            .expect("HMAC accepts any key length")
    }

    fn check_profile(&self, reply: &Reply) -> Result<(), String> {
        for value in [&reply.profile_id, &reply.profile_id_camel]
            .into_iter()
            .flatten()
        {
            let id = match value {
                serde_json::Value::Number(n) => n.as_u64(),
                serde_json::Value::String(s) => s.parse::<u64>().ok(),
                _ => None,
            };
            if id != Some(self.profile_id) {
                return Err(format!(
                    "it is for profile {value}, not {}",
                    self.profile_id
                ));
            }
        }
        Ok(())
    }
}

#[async_trait]
impl PaymentProvider for PayTabs {
    fn key(&self) -> &'static str {
        "paytabs"
    }

    async fn create_payment(
        &self,
        request: &PaymentRequest,
    ) -> Result<CreatedPayment, PaymentError> {
        let cart_amount = positive_amount(request.amount)?;
        if self.real && !request.notify_url.starts_with("https://") {
            return Err(PaymentError::Refused(
                "PayTabs posts notifications only to https URLs (an http callback gets an empty body); the notify URL must be https".into(),
            ));
        }
        for (name, value) in [
            ("notify", &request.notify_url),
            ("return", &request.return_url),
        ] {
            if Url::parse(value).is_err() {
                return Err(PaymentError::Refused(format!(
                    "the {name} URL is not a URL"
                )));
            }
        }
        let name = non_empty(&request.customer.name);
        let body = SaleRequest {
            profile_id: self.profile_id,
            tran_type: "sale",
            tran_class: "ecom",
            cart_id: request.payment_id.to_string(),
            cart_currency: request.amount.currency.code(),
            cart_amount,
            cart_description: description(&request.description, "Hafla tickets"),
            paypage_lang: request.lang.tag(),
            // Only what Hafla knows. PayTabs asks the buyer on its page for any billing
            // detail missing here; its documentation warns against pre-set placeholder
            // addresses, which raise anti-fraud declines.
            customer_details: CustomerDetails {
                name,
                email: request.customer.email.as_deref().and_then(non_empty),
                phone: request.customer.phone.as_deref().and_then(non_empty),
            },
            callback: &request.notify_url,
            return_url: &request.return_url,
            hide_shipping: true,
        };
        let body = serde_json::to_vec(&body).map_err(|e| {
            PaymentError::Refused(format!("the payment request could not be written: {e}"))
        })?;
        let reply = self.call(&self.request_url, body, "the payment request").await.inspect_err(|error| {
            tracing::warn!(payment_id = %request.payment_id, %error, "PayTabs did not open a payment");
        })?;
        let provider_ref = Self::tran_ref(&reply, "the payment request")?;
        let redirect_url = match reply.redirect_url.as_deref().map(Url::parse) {
            Some(Ok(url)) if matches!(url.scheme(), "https" | "http") => url.to_string(),
            _ => {
                return Err(PaymentError::Unavailable(
                    "PayTabs opened a payment but answered no usable redirect_url".into(),
                ));
            }
        };
        tracing::info!(payment_id = %request.payment_id, tran_ref = %provider_ref, "PayTabs payment opened");
        Ok(CreatedPayment {
            provider_ref,
            redirect_url,
        })
    }

    fn verify_notification(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Notification, PaymentError> {
        let bad = |text: String| Err(PaymentError::BadNotification(text));
        let Some(signature) = headers.get(SIGNATURE_HEADER) else {
            return bad("no signature header".into());
        };
        let Some(signature) = signature.to_str().ok().and_then(|s| decode_hex(s.trim())) else {
            return bad("the signature is not 64 hex digits".into());
        };
        let mut mac = self.mac();
        mac.update(body);
        // Constant time: the comparison must not tell an attacker how much of a guess was right.
        if mac.verify_slice(&signature).is_err() {
            return bad("the signature does not match the body".into());
        }
        if body.is_empty() {
            return bad(
                "the body is empty (PayTabs sends empty notifications to http URLs)".into(),
            );
        }
        let ipn: Reply = match serde_json::from_slice(body) {
            Ok(ipn) => ipn,
            Err(e) => return bad(format!("the body is not a PayTabs transaction: {e}")),
        };
        if let Err(text) = self.check_profile(&ipn) {
            return bad(text);
        }
        let Some(tran_ref) = ipn.tran_ref.as_deref().filter(|r| is_tran_ref(r)) else {
            return bad("no valid tran_ref".into());
        };
        if let Some(kind) = ipn.tran_type.as_deref()
            && !kind.eq_ignore_ascii_case("sale")
        {
            // Refunds are settled by the answer to the refund call; a notification of one
            // must not read as a payment of the refund's id.
            return bad(format!(
                "transaction {tran_ref} is a {} notification, not a sale",
                scrub(kind, "")
            ));
        }
        let Some(payment_id) = ipn.cart_id.as_deref().and_then(|c| Uuid::parse_str(c).ok()) else {
            return bad(format!(
                "transaction {tran_ref} has no Hafla payment id as its cart_id"
            ));
        };
        let Some(result) = &ipn.payment_result else {
            return bad(format!("transaction {tran_ref} has no payment_result"));
        };
        let state = match read_state(&ipn, result) {
            Ok(state) => state,
            Err(text) => return bad(format!("transaction {tran_ref}: {text}")),
        };
        Ok(Notification {
            payment_id,
            provider_ref: tran_ref.to_owned(),
            dedupe_key: format!("paytabs:{tran_ref}:{}", result.response_status),
            state,
        })
    }

    async fn query(
        &self,
        payment_id: Uuid,
        provider_ref: &str,
    ) -> Result<PaymentState, PaymentError> {
        if !is_tran_ref(provider_ref) {
            return Err(PaymentError::Refused(
                "not a PayTabs transaction reference".into(),
            ));
        }
        let body = serde_json::to_vec(&QueryRequest {
            profile_id: self.profile_id,
            tran_ref: provider_ref,
        })
        .map_err(|e| PaymentError::Refused(format!("the query could not be written: {e}")))?;
        let reply = self.call(&self.query_url, body, "the query").await.inspect_err(|error| {
            tracing::warn!(%payment_id, tran_ref = provider_ref, %error, "PayTabs query failed");
        })?;
        if let Some(kind) = reply.tran_type.as_deref()
            && !kind.eq_ignore_ascii_case("sale")
        {
            return Err(PaymentError::Refused(format!(
                "PayTabs transaction {provider_ref} is a {}, not a sale",
                scrub(kind, "")
            )));
        }
        if let Some(cart_id) = reply.cart_id.as_deref()
            && cart_id != payment_id.to_string()
        {
            return Err(PaymentError::Refused(format!(
                "PayTabs transaction {provider_ref} is for another cart, not payment {payment_id}"
            )));
        }
        let Some(result) = &reply.payment_result else {
            // Opened, and the buyer has not submitted the page yet.
            return Ok(PaymentState::Pending);
        };
        read_state(&reply, result).map_err(|text| {
            PaymentError::Unavailable(format!("PayTabs transaction {provider_ref}: {text}"))
        })
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundReceipt, PaymentError> {
        let cart_amount = positive_amount(request.amount)?;
        if !is_tran_ref(&request.provider_ref) {
            return Err(PaymentError::Refused(
                "not a PayTabs transaction reference".into(),
            ));
        }
        let body = serde_json::to_vec(&RefundBody {
            profile_id: self.profile_id,
            tran_type: "refund",
            tran_class: "ecom",
            cart_id: request.refund_id.to_string(),
            cart_currency: request.amount.currency.code(),
            cart_amount,
            cart_description: description(&request.reason, "Refund"),
            tran_ref: &request.provider_ref,
        })
        .map_err(|e| PaymentError::Refused(format!("the refund could not be written: {e}")))?;
        let reply = self.call(&self.request_url, body, "the refund").await.inspect_err(|error| {
            tracing::warn!(refund_id = %request.refund_id, tran_ref = %request.provider_ref, %error, "PayTabs did not refund");
        })?;
        let refund_ref = Self::tran_ref(&reply, "the refund")?;
        let Some(result) = &reply.payment_result else {
            return Err(PaymentError::Unavailable(format!(
                "PayTabs answered refund {refund_ref} without a payment_result"
            )));
        };
        match result.response_status.as_str() {
            // "P": PayTabs took the refund and completes it later; it is not to be sent again.
            "A" | "P" => {
                tracing::info!(
                    refund_id = %request.refund_id,
                    tran_ref = %request.provider_ref,
                    refund_ref = %refund_ref,
                    status = %result.response_status,
                    "PayTabs refund accepted"
                );
                Ok(RefundReceipt {
                    provider_ref: refund_ref,
                })
            }
            status => Err(PaymentError::Refused(format!(
                "PayTabs refused refund {refund_ref} of {} (status {}): {}",
                request.provider_ref,
                scrub(status, ""),
                result.message(self.server_key.expose())
            ))),
        }
    }
}

/// The JSON PayTabs documents for a hosted-page sale.
#[derive(Serialize)]
struct SaleRequest<'a> {
    profile_id: u64,
    tran_type: &'static str,
    tran_class: &'static str,
    cart_id: String,
    cart_currency: &'static str,
    /// A JSON number written from exact decimal text, e.g. `12.500`.
    cart_amount: Box<RawValue>,
    cart_description: String,
    paypage_lang: &'static str,
    customer_details: CustomerDetails<'a>,
    callback: &'a str,
    #[serde(rename = "return")]
    return_url: &'a str,
    hide_shipping: bool,
}

#[derive(Serialize)]
struct CustomerDetails<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
}

#[derive(Serialize)]
struct RefundBody<'a> {
    profile_id: u64,
    tran_type: &'static str,
    tran_class: &'static str,
    cart_id: String,
    cart_currency: &'static str,
    cart_amount: Box<RawValue>,
    cart_description: String,
    tran_ref: &'a str,
}

#[derive(Serialize)]
struct QueryRequest<'a> {
    profile_id: u64,
    tran_ref: &'a str,
}

/// The parts of PayTabs' transaction JSON Hafla reads: the answer to a request or a query,
/// a notification's body, or an error object `{code, message, trace}`.
#[derive(Deserialize)]
struct Reply {
    tran_ref: Option<String>,
    tran_type: Option<String>,
    cart_id: Option<String>,
    cart_currency: Option<String>,
    cart_amount: Option<Box<RawValue>>,
    tran_currency: Option<String>,
    tran_total: Option<Box<RawValue>>,
    redirect_url: Option<String>,
    payment_result: Option<PaymentResult>,
    /// In notifications.
    profile_id: Option<serde_json::Value>,
    /// In API answers.
    #[serde(rename = "profileId")]
    profile_id_camel: Option<serde_json::Value>,
    code: Option<serde_json::Value>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct PaymentResult {
    response_status: String,
    response_message: Option<String>,
}

impl PaymentResult {
    fn message(&self, key: &str) -> String {
        self.response_message
            .as_deref()
            .map(|m| scrub(m, key))
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "no message".to_owned())
    }
}

/// PayTabs' `response_status` as a [`PaymentState`]: A authorised, H on hold for fraud
/// review and P pending, D declined and E error, C cancelled, V voided, X expired.
fn read_state(tx: &Reply, result: &PaymentResult) -> Result<PaymentState, String> {
    Ok(match result.response_status.as_str() {
        "A" => PaymentState::Paid {
            amount: paid_amount(tx)?,
        },
        "H" | "P" => PaymentState::Pending,
        "D" | "E" => PaymentState::Declined {
            reason: result.message(""),
        },
        "C" | "V" | "X" => PaymentState::Cancelled,
        other => return Err(format!("unknown response_status {:?}", scrub(other, ""))),
    })
}

/// What was taken: `tran_total` when PayTabs reports it in the cart's currency (it is lower
/// than `cart_amount` when a PayTabs discount applied), otherwise `cart_amount`.
fn paid_amount(tx: &Reply) -> Result<Money, String> {
    let currency_code = tx.cart_currency.as_deref().ok_or("no cart_currency")?;
    let currency = Currency::from_code(currency_code)
        .ok_or_else(|| format!("unsupported currency {:?}", scrub(currency_code, "")))?;
    let read = |raw: &RawValue| -> Result<Money, String> {
        let text = decimal_text(raw).ok_or("the amount is not a number or a string")?;
        amount_from_decimal(&text, currency).map_err(|e| format!("amount {text:?}: {e}"))
    };
    if let (Some(total), Some(total_currency)) = (&tx.tran_total, &tx.tran_currency)
        && total_currency == currency_code
    {
        let total = read(total)?;
        if !total.is_zero() {
            return Ok(total);
        }
    }
    let amount = tx.cart_amount.as_deref().ok_or("no cart_amount")?;
    read(amount)
}

/// The text of a JSON number (exact, as written) or of a JSON string.
fn decimal_text(raw: &RawValue) -> Option<String> {
    let text = raw.get();
    if text.starts_with('"') {
        serde_json::from_str::<String>(text).ok()
    } else if text.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
        Some(text.to_owned())
    } else {
        None
    }
}

/// A positive amount as a JSON number for `cart_amount`.
fn positive_amount(amount: Money) -> Result<Box<RawValue>, PaymentError> {
    if amount.minor <= 0 {
        return Err(PaymentError::Refused(format!(
            "the amount must be positive, not {amount}"
        )));
    }
    let text =
        amount_to_decimal(amount).map_err(|e| PaymentError::Refused(format!("{amount}: {e}")))?;
    RawValue::from_string(text).map_err(|e| PaymentError::Refused(format!("{amount}: {e}")))
}

/// `cart_description`: 1 to 128 characters, one line.
fn description(text: &str, fallback: &str) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_DESCRIPTION_CHARS)
        .collect();
    let line = line.trim();
    if line.is_empty() {
        fallback.to_owned()
    } else {
        line.to_owned()
    }
}

fn non_empty(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

fn is_tran_ref(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_TRAN_REF_CHARS
        && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// `{base}/payment/request` and the like, keeping any path prefix of the base.
fn endpoint(base: &Url, segments: &[&str]) -> Result<Url, PayTabsError> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|()| PayTabsError::Config("the PayTabs base URL cannot have a path".into()))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// 64 hex digits (either case) to 32 bytes.
fn decode_hex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let nibble = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

/// Lowercase hex, as PayTabs writes signatures.
fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(DIGITS[usize::from(b >> 4)] as char);
        text.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    text
}

/// The hex HMAC-SHA256 PayTabs puts in a notification's `signature` header.
pub fn sign(server_key: &ServerKey, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(server_key.expose().as_bytes())
        .expect("HMAC accepts any key length");
    mac.update(body);
    encode_hex(&mac.finalize().into_bytes())
}

/// Reads a body up to [`MAX_REPLY_BYTES`].
async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(describe)? {
        if bytes.len() + chunk.len() > MAX_REPLY_BYTES {
            return Err(format!("the answer is longer than {MAX_REPLY_BYTES} bytes"));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// A transport error with its causes, without the URL.
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

/// A text from the network made fit for an error or a log line: no control characters, no
/// server key (should a proxy ever echo it), and cut to [`MAX_MESSAGE_CHARS`].
fn scrub(text: &str, key: &str) -> String {
    let text = if key.is_empty() {
        text.to_owned()
    } else {
        text.replace(key, "***")
    };
    let mut clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE_CHARS)
        .collect();
    if text.chars().nth(MAX_MESSAGE_CHARS).is_some() {
        clean.push('…');
    }
    clean
}
