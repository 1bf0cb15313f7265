//! A local PayTabs for tests. **Not used by the server**: tests start it as a separate HTTP
//! server on 127.0.0.1 and point a [`PayTabsConfig`](super::PayTabsConfig) at
//! [`FakePayTabs::base_url`], so the adapter is exercised over real HTTP, end to end.
//!
//! Like PayTabs' PT2 API:
//! * `POST /payment/request` checks the `authorization` header (the server key) and the
//!   `profile_id` (wrong → HTTP 401 `{"code": 1, "message": "Authentication failed. Check
//!   authentication header.", "trace": …}`), then opens a sale (answering `tran_ref` and a
//!   `redirect_url` to its own hosted page) or refunds a paid sale (`tran_type: refund` and
//!   the sale's `tran_ref`; never more than what was paid and not yet refunded; a refund
//!   `cart_id` seen before is HTTP 409 `{"code": 4, "message": "Duplicate Request"}`).
//! * `POST /payment/query` answers the transaction with its `payment_result`.
//! * When a payment ends, it POSTs the transaction JSON to the request's `callback` URL with
//!   a `signature` header, the hex HMAC-SHA256 of the exact body keyed with the server key.
//!
//! Its own, simpler ways: the hosted page `GET /paypage/{tran_ref}` has three buttons
//! posting to `POST /paypage/{tran_ref}/{pay|decline|error|cancel|expire|hold}`, which sends
//! the notification and then redirects the browser to the `return` URL (PayTabs posts a
//! signed form there instead); a notification is sent once (PayTabs retries up to five
//! times: [`FakePayTabs::resend_ipn`] plays a retry); the wording of validation errors and
//! refusals, and the response codes other than 1 and 4, are the fake's own.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hafla_core::money::{Currency, Money};
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;
use url::Url;

use super::{ServerKey, sign};

/// How a buyer leaves the hosted page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FakeOutcome {
    /// `A`, Authorised.
    Paid,
    /// `D`, the card was declined.
    Declined,
    /// `E`, an error at the bank or the gateway.
    Failed,
    /// `C`, the buyer cancelled on the page.
    Cancelled,
    /// `X`, the page expired.
    Expired,
    /// `H`, authorised but held for a fraud review.
    OnHold,
}

impl FakeOutcome {
    /// `(response_status, response_code, response_message)`.
    fn result(self) -> (&'static str, &'static str, &'static str) {
        match self {
            FakeOutcome::Paid => ("A", "G12345", "Authorised"),
            FakeOutcome::Declined => ("D", "51", "Insufficient funds"),
            FakeOutcome::Failed => ("E", "99", "Issuer unavailable"),
            FakeOutcome::Cancelled => ("C", "321", "Cancelled"),
            FakeOutcome::Expired => ("X", "355", "Transaction expired"),
            FakeOutcome::OnHold => ("H", "G12346", "Hold"),
        }
    }

    fn from_path(text: &str) -> Option<FakeOutcome> {
        Some(match text {
            "pay" => FakeOutcome::Paid,
            "decline" => FakeOutcome::Declined,
            "error" => FakeOutcome::Failed,
            "cancel" => FakeOutcome::Cancelled,
            "expire" => FakeOutcome::Expired,
            "hold" => FakeOutcome::OnHold,
            _ => return None,
        })
    }
}

/// A sale opened on the fake.
#[derive(Clone, Debug)]
pub struct FakeTransaction {
    pub tran_ref: String,
    pub cart_id: String,
    pub amount: Money,
    pub description: String,
    pub paypage_lang: Option<String>,
    pub callback: Option<String>,
    pub return_url: Option<String>,
    pub customer_details: serde_json::Value,
    pub hide_shipping: Option<bool>,
    /// `None` while the buyer is on the page.
    pub outcome: Option<FakeOutcome>,
    /// Minor units refunded so far.
    pub refunded_minor: i64,
    /// The last notification signed for this sale.
    pub last_ipn: Option<SignedIpn>,
}

/// A refund the fake accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeRefund {
    pub tran_ref: String,
    pub previous_tran_ref: String,
    pub cart_id: String,
    pub amount: Money,
    pub reason: String,
}

/// One call to the API as the fake received it.
#[derive(Clone, Debug)]
pub struct FakeCall {
    pub path: String,
    /// Whether the `authorization` header was the server key.
    pub authorized: bool,
    /// The body, exactly as received (amounts keep their decimal text).
    pub body: String,
}

/// A notification body and its signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedIpn {
    pub body: Vec<u8>,
    pub signature: String,
}

/// A notification the fake posted, and the callback's answer.
#[derive(Clone, Debug)]
pub struct IpnDelivery {
    pub status: u16,
    pub ipn: SignedIpn,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FakeError {
    #[error("no sale {0} on the fake")]
    UnknownTransaction(String),
    #[error("sale {0} has no callback URL")]
    NoCallback(String),
    #[error("no notification was sent for sale {0} yet")]
    NoIpnYet(String),
    #[error("the notification could not be delivered: {0}")]
    Delivery(String),
}

struct Fake {
    profile_id: u64,
    merchant_id: u64,
    server_key: ServerKey,
    base_url: Url,
    http: reqwest::Client,
    data: Mutex<Data>,
}

#[derive(Default)]
struct Data {
    counter: u64,
    sales: BTreeMap<String, FakeTransaction>,
    refunds: Vec<FakeRefund>,
    refund_cart_ids: HashSet<String>,
    calls: Vec<FakeCall>,
}

impl Fake {
    fn data(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Data {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn tran_ref(&mut self) -> String {
        format!("TST{}", 2_633_000_000_000u64 + self.next())
    }

    fn trace(&mut self) -> String {
        format!("PMNT0101.FA4E0000.{:08X}", self.next())
    }
}

/// A running fake; stops when dropped.
pub struct FakePayTabs {
    fake: Arc<Fake>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakePayTabs {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakePayTabs {
    /// Starts a fake for one profile on an ephemeral port of 127.0.0.1.
    pub async fn start(
        profile_id: u64,
        server_key: impl Into<String>,
    ) -> std::io::Result<FakePayTabs> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let base_url = Url::parse(&format!("http://{addr}"))
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let fake = Arc::new(Fake {
            profile_id,
            merchant_id: 7_700 + profile_id % 100,
            server_key: ServerKey::new(server_key),
            base_url,
            http,
            data: Mutex::default(),
        });
        let app = axum::Router::new()
            .route("/payment/request", post(payment_request))
            .route("/payment/query", post(payment_query))
            .route("/paypage/{tran_ref}", get(paypage))
            .route("/paypage/{tran_ref}/{outcome}", post(paypage_outcome))
            .with_state(fake.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakePayTabs { fake, task })
    }

    /// `http://127.0.0.1:PORT`, the base URL for a `PayTabsConfig`.
    pub fn base_url(&self) -> Url {
        self.fake.base_url.clone()
    }

    /// The buyer pays: the sale is authorised and its notification posted to the callback.
    pub async fn pay(&self, tran_ref: &str) -> Result<IpnDelivery, FakeError> {
        self.complete(tran_ref, FakeOutcome::Paid).await
    }

    /// The card is declined, and the notification posted.
    pub async fn decline(&self, tran_ref: &str) -> Result<IpnDelivery, FakeError> {
        self.complete(tran_ref, FakeOutcome::Declined).await
    }

    /// The buyer cancels on the page, and the notification is posted.
    pub async fn cancel(&self, tran_ref: &str) -> Result<IpnDelivery, FakeError> {
        self.complete(tran_ref, FakeOutcome::Cancelled).await
    }

    /// Ends the sale with `outcome` and posts its notification to the callback.
    pub async fn complete(
        &self,
        tran_ref: &str,
        outcome: FakeOutcome,
    ) -> Result<IpnDelivery, FakeError> {
        let (callback, ipn) = end_sale(&self.fake, tran_ref, outcome)?;
        let callback = callback.ok_or_else(|| FakeError::NoCallback(tran_ref.to_owned()))?;
        deliver(&self.fake, &callback, ipn).await
    }

    /// Ends the sale with `outcome` without notifying anyone, as when every notification
    /// was lost: only a query finds the outcome.
    pub fn set_outcome(&self, tran_ref: &str, outcome: FakeOutcome) -> Result<(), FakeError> {
        end_sale(&self.fake, tran_ref, outcome).map(|_| ())
    }

    /// Posts the last notification of the sale again, byte for byte (a PayTabs retry).
    pub async fn resend_ipn(&self, tran_ref: &str) -> Result<IpnDelivery, FakeError> {
        let (callback, ipn) = self.last_ipn(tran_ref)?;
        deliver(&self.fake, &callback, ipn).await
    }

    /// Posts the last notification with its amount lowered to 0.001 but the original
    /// signature: what an attacker who captured one could try.
    pub async fn send_tampered_ipn(&self, tran_ref: &str) -> Result<IpnDelivery, FakeError> {
        let (callback, ipn) = self.last_ipn(tran_ref)?;
        let mut body: serde_json::Value =
            serde_json::from_slice(&ipn.body).map_err(|e| FakeError::Delivery(e.to_string()))?;
        body["cart_amount"] = json!("0.001");
        body["tran_total"] = json!("0.001");
        let body = serde_json::to_vec(&body).map_err(|e| FakeError::Delivery(e.to_string()))?;
        let tampered = SignedIpn {
            body,
            signature: ipn.signature,
        };
        deliver(&self.fake, &callback, tampered).await
    }

    /// Posts any body with any signature to the sale's callback.
    pub async fn send_ipn(&self, tran_ref: &str, ipn: SignedIpn) -> Result<IpnDelivery, FakeError> {
        let callback = self
            .transaction(tran_ref)
            .ok_or_else(|| FakeError::UnknownTransaction(tran_ref.to_owned()))?
            .callback
            .ok_or_else(|| FakeError::NoCallback(tran_ref.to_owned()))?;
        deliver(&self.fake, &callback, ipn).await
    }

    /// The signature PayTabs would put on `body`.
    pub fn sign(&self, body: &[u8]) -> String {
        sign(&self.fake.server_key, body)
    }

    pub fn transaction(&self, tran_ref: &str) -> Option<FakeTransaction> {
        self.fake.data().sales.get(tran_ref).cloned()
    }

    /// Every sale, oldest first.
    pub fn transactions(&self) -> Vec<FakeTransaction> {
        let data = self.fake.data();
        let mut sales: Vec<_> = data.sales.values().cloned().collect();
        sales.sort_by(|a, b| a.tran_ref.cmp(&b.tran_ref));
        sales
    }

    /// The refunds accepted, in order.
    pub fn refunds(&self) -> Vec<FakeRefund> {
        self.fake.data().refunds.clone()
    }

    /// Every API call received, in order.
    pub fn calls(&self) -> Vec<FakeCall> {
        self.fake.data().calls.clone()
    }

    fn last_ipn(&self, tran_ref: &str) -> Result<(String, SignedIpn), FakeError> {
        let sale = self
            .transaction(tran_ref)
            .ok_or_else(|| FakeError::UnknownTransaction(tran_ref.to_owned()))?;
        let callback = sale
            .callback
            .ok_or_else(|| FakeError::NoCallback(tran_ref.to_owned()))?;
        let ipn = sale
            .last_ipn
            .ok_or_else(|| FakeError::NoIpnYet(tran_ref.to_owned()))?;
        Ok((callback, ipn))
    }
}

/// Records the outcome and signs the notification; returns the callback and the notification.
fn end_sale(
    fake: &Fake,
    tran_ref: &str,
    outcome: FakeOutcome,
) -> Result<(Option<String>, SignedIpn), FakeError> {
    let mut data = fake.data();
    let trace = format!("IPNS0101.FA4E0000.{:08X}", data.next());
    let sale = data
        .sales
        .get_mut(tran_ref)
        .ok_or_else(|| FakeError::UnknownTransaction(tran_ref.to_owned()))?;
    sale.outcome = Some(outcome);
    let (status, code, message) = outcome.result();
    let amount = decimal(sale.amount);
    let mut body = json!({
        "tran_ref": sale.tran_ref,
        "merchant_id": fake.merchant_id,
        "profile_id": fake.profile_id,
        "cart_id": sale.cart_id,
        "cart_description": sale.description,
        "cart_currency": sale.amount.currency.code(),
        "cart_amount": amount,
        "tran_currency": sale.amount.currency.code(),
        "tran_total": amount,
        "tran_type": "Sale",
        "tran_class": "ECom",
        "customer_details": sale.customer_details,
        "payment_result": {
            "response_status": status,
            "response_code": code,
            "response_message": message,
            "transaction_time": now(),
        },
        "payment_info": {
            "payment_method": "Visa",
            "card_type": "Credit",
            "card_scheme": "Visa",
            "payment_description": "4111 11## #### 1111",
        },
        "ipn_trace": trace,
    });
    if matches!(outcome, FakeOutcome::Cancelled | FakeOutcome::Expired) {
        body["payment_info"] = json!({"card_scheme": "", "payment_description": "No Payment"});
    }
    let body = serde_json::to_vec(&body).map_err(|e| FakeError::Delivery(e.to_string()))?;
    let ipn = SignedIpn {
        signature: sign(&fake.server_key, &body),
        body,
    };
    sale.last_ipn = Some(ipn.clone());
    Ok((sale.callback.clone(), ipn))
}

/// POSTs a notification like PayTabs: JSON body, `signature` header.
async fn deliver(fake: &Fake, callback: &str, ipn: SignedIpn) -> Result<IpnDelivery, FakeError> {
    let response = fake
        .http
        .post(callback)
        .header(header::CONTENT_TYPE, "application/json")
        .header("signature", &ipn.signature)
        .header(header::USER_AGENT, "PayTabs IPN (hafla fake)")
        .body(ipn.body.clone())
        .send()
        .await
        .map_err(|e| FakeError::Delivery(e.without_url().to_string()))?;
    Ok(IpnDelivery {
        status: response.status().as_u16(),
        ipn,
    })
}

/// The request fields the fake reads. `cart_amount` stays raw so its decimal text is exact.
#[derive(Deserialize)]
struct Incoming {
    profile_id: Option<serde_json::Value>,
    tran_type: Option<String>,
    tran_class: Option<String>,
    tran_ref: Option<String>,
    cart_id: Option<String>,
    cart_currency: Option<String>,
    cart_amount: Option<Box<RawValue>>,
    cart_description: Option<String>,
    paypage_lang: Option<String>,
    customer_details: Option<serde_json::Value>,
    callback: Option<String>,
    #[serde(rename = "return")]
    return_url: Option<String>,
    hide_shipping: Option<bool>,
}

fn error(status: StatusCode, code: i64, message: &str, trace: String) -> Response {
    let body = json!({"code": code, "message": message, "trace": trace});
    (status, Json(body)).into_response()
}

/// Records the call, checks the key and the profile like PayTabs, and reads the JSON.
/// The error is boxed: a `Response` is large.
fn admit(
    fake: &Fake,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Incoming, Box<Response>> {
    let authorized = headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v.as_bytes() == fake.server_key.expose().as_bytes());
    let mut data = fake.data();
    data.calls.push(FakeCall {
        path: path.to_owned(),
        authorized,
        body: String::from_utf8_lossy(body).into_owned(),
    });
    let trace = data.trace();
    drop(data);
    let auth_failed = || {
        error(
            StatusCode::UNAUTHORIZED,
            1,
            "Authentication failed. Check authentication header.",
            trace.clone(),
        )
    };
    if !authorized {
        return Err(Box::new(auth_failed()));
    }
    let incoming: Incoming = serde_json::from_slice(body).map_err(|_| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            2,
            "Invalid request: the body is not JSON",
            trace.clone(),
        ))
    })?;
    let profile = match &incoming.profile_id {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    // A server key belongs to one profile.
    if profile != Some(fake.profile_id) {
        return Err(Box::new(auth_failed()));
    }
    Ok(incoming)
}

async fn payment_request(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let incoming = match admit(&fake, "/payment/request", &headers, &body) {
        Ok(incoming) => incoming,
        Err(response) => return *response,
    };
    let trace = fake.data().trace();
    let invalid = |message: &str| error(StatusCode::BAD_REQUEST, 2, message, trace.clone());
    if !incoming
        .tran_class
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("ecom"))
    {
        return invalid("Invalid request: tran_class must be ecom");
    }
    let Some(cart_id) = incoming
        .cart_id
        .clone()
        .filter(|c| (1..=64).contains(&c.chars().count()))
    else {
        return invalid("Invalid request: cart_id must have 1 to 64 characters");
    };
    let Some(description) = incoming
        .cart_description
        .clone()
        .filter(|d| (1..=128).contains(&d.chars().count()))
    else {
        return invalid("Invalid request: cart_description must have 1 to 128 characters");
    };
    let Some(currency) = incoming
        .cart_currency
        .as_deref()
        .and_then(Currency::from_code)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            206,
            "Invalid currency code",
            trace.clone(),
        );
    };
    // Read with hafla-core's parser, not the adapter's, so one cannot hide the other's bug.
    let amount = incoming
        .cart_amount
        .as_deref()
        .map(|raw| raw.get().trim_matches('"'))
        .and_then(|text| Money::parse(text, currency).ok())
        .filter(|m| m.minor > 0);
    let Some(amount) = amount else {
        return invalid(
            "Invalid request: cart_amount must be a positive amount in the currency's decimals",
        );
    };
    let kind = incoming
        .tran_type
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match kind.as_str() {
        "sale" => open_sale(&fake, incoming, cart_id, description, amount, trace),
        "refund" => refund(&fake, incoming, cart_id, description, amount, trace),
        _ => invalid("Invalid request: unsupported tran_type"),
    }
}

fn open_sale(
    fake: &Fake,
    incoming: Incoming,
    cart_id: String,
    description: String,
    amount: Money,
    trace: String,
) -> Response {
    let mut data = fake.data();
    let tran_ref = data.tran_ref();
    let redirect_url = fake
        .base_url
        .join(&format!("paypage/{tran_ref}"))
        .map(String::from)
        .unwrap_or_default();
    let customer_details = incoming.customer_details.unwrap_or_else(|| json!({}));
    let sale = FakeTransaction {
        tran_ref: tran_ref.clone(),
        cart_id: cart_id.clone(),
        amount,
        description: description.clone(),
        paypage_lang: incoming.paypage_lang,
        callback: incoming.callback.clone(),
        return_url: incoming.return_url.clone(),
        customer_details: customer_details.clone(),
        hide_shipping: incoming.hide_shipping,
        outcome: None,
        refunded_minor: 0,
        last_ipn: None,
    };
    data.sales.insert(tran_ref.clone(), sale);
    let reply = json!({
        "tran_ref": tran_ref,
        "tran_type": "Sale",
        "cart_id": cart_id,
        "cart_description": description,
        "cart_currency": amount.currency.code(),
        "cart_amount": decimal(amount),
        "tran_total": "0",
        "return": incoming.return_url.unwrap_or_else(|| "none".to_owned()),
        "callback": incoming.callback,
        "redirect_url": redirect_url,
        "customer_details": customer_details,
        "serviceId": 2,
        "profileId": fake.profile_id,
        "merchantId": fake.merchant_id,
        "trace": trace,
    });
    (StatusCode::OK, Json(reply)).into_response()
}

fn refund(
    fake: &Fake,
    incoming: Incoming,
    cart_id: String,
    reason: String,
    amount: Money,
    trace: String,
) -> Response {
    let mut data = fake.data();
    let previous = incoming.tran_ref.unwrap_or_default();
    let Some(sale) = data.sales.get(&previous).cloned() else {
        return error(
            StatusCode::BAD_REQUEST,
            113,
            "Invalid transaction reference",
            trace,
        );
    };
    if data.refund_cart_ids.contains(&cart_id) {
        return error(StatusCode::CONFLICT, 4, "Duplicate Request", trace);
    }
    let refundable = sale.amount.minor - sale.refunded_minor;
    let refusal = if sale.outcome != Some(FakeOutcome::Paid) {
        Some("Transaction is not refundable")
    } else if amount.currency != sale.amount.currency {
        Some("Currency mismatch")
    } else if amount.minor > refundable {
        Some("Refund amount exceeds the remaining refundable amount")
    } else {
        None
    };
    let tran_ref = data.tran_ref();
    let (status, code, message) = match refusal {
        Some(message) => ("E", "220", message),
        None => ("A", "G54321", "Authorised"),
    };
    if refusal.is_none() {
        data.refund_cart_ids.insert(cart_id.clone());
        if let Some(sale) = data.sales.get_mut(&previous) {
            sale.refunded_minor += amount.minor;
        }
        data.refunds.push(FakeRefund {
            tran_ref: tran_ref.clone(),
            previous_tran_ref: previous.clone(),
            cart_id: cart_id.clone(),
            amount,
            reason: reason.clone(),
        });
    }
    let reply = json!({
        "tran_ref": tran_ref,
        "previous_tran_ref": previous,
        "tran_type": "Refund",
        "cart_id": cart_id,
        "cart_description": reason,
        "cart_currency": amount.currency.code(),
        "cart_amount": decimal(amount),
        "tran_currency": amount.currency.code(),
        "tran_total": decimal(amount),
        "customer_details": sale.customer_details,
        "payment_result": {
            "response_status": status,
            "response_code": code,
            "response_message": message,
            "transaction_time": now(),
        },
        "serviceId": 1,
        "paymentChannel": "Transaction API",
        "profileId": fake.profile_id,
        "merchantId": fake.merchant_id,
        "trace": trace,
    });
    (StatusCode::OK, Json(reply)).into_response()
}

async fn payment_query(State(fake): State<Arc<Fake>>, headers: HeaderMap, body: Bytes) -> Response {
    let incoming = match admit(&fake, "/payment/query", &headers, &body) {
        Ok(incoming) => incoming,
        Err(response) => return *response,
    };
    let mut data = fake.data();
    let trace = data.trace();
    let tran_ref = incoming.tran_ref.unwrap_or_default();
    if let Some(sale) = data.sales.get(&tran_ref) {
        let (status, code, message) = match sale.outcome {
            Some(outcome) => outcome.result(),
            None => ("P", "0", "Pending"),
        };
        let amount = decimal(sale.amount);
        let reply = json!({
            "tran_ref": sale.tran_ref,
            "tran_type": "Sale",
            "cart_id": sale.cart_id,
            "cart_description": sale.description,
            "cart_currency": sale.amount.currency.code(),
            "cart_amount": amount,
            "tran_currency": sale.amount.currency.code(),
            "tran_total": amount,
            "customer_details": sale.customer_details,
            "payment_result": {
                "response_status": status,
                "response_code": code,
                "response_message": message,
                "transaction_time": now(),
            },
            "serviceId": 2,
            "paymentChannel": "Payment Page",
            "profileId": fake.profile_id,
            "merchantId": fake.merchant_id,
            "trace": trace,
        });
        return (StatusCode::OK, Json(reply)).into_response();
    }
    if let Some(refund) = data.refunds.iter().find(|r| r.tran_ref == tran_ref) {
        let reply = json!({
            "tran_ref": refund.tran_ref,
            "previous_tran_ref": refund.previous_tran_ref,
            "tran_type": "Refund",
            "cart_id": refund.cart_id,
            "cart_description": refund.reason,
            "cart_currency": refund.amount.currency.code(),
            "cart_amount": decimal(refund.amount),
            "payment_result": {
                "response_status": "A",
                "response_code": "G54321",
                "response_message": "Authorised",
                "transaction_time": now(),
            },
            "profileId": fake.profile_id,
            "merchantId": fake.merchant_id,
            "trace": trace,
        });
        return (StatusCode::OK, Json(reply)).into_response();
    }
    error(
        StatusCode::BAD_REQUEST,
        113,
        "Invalid transaction reference",
        trace,
    )
}

/// The hosted page: what the sale is, and a button per outcome.
async fn paypage(State(fake): State<Arc<Fake>>, Path(tran_ref): Path<String>) -> Response {
    let Some(sale) = fake.data().sales.get(&tran_ref).cloned() else {
        return (StatusCode::NOT_FOUND, "no such payment").into_response();
    };
    let rtl = sale.paypage_lang.as_deref() == Some("ar");
    let buttons: String = ["pay", "decline", "cancel"]
        .iter()
        .map(|o| {
            format!(
                r#"<form method="post" action="/paypage/{}/{o}"><button>{o}</button></form>"#,
                escape(&sale.tran_ref)
            )
        })
        .collect();
    Html(format!(
        r#"<!doctype html><html dir="{}"><meta charset="utf-8"><title>Fake PayTabs</title><h1>{} {}</h1><p>{}</p>{buttons}</html>"#,
        if rtl { "rtl" } else { "ltr" },
        escape(&decimal(sale.amount)),
        sale.amount.currency.code(),
        escape(&sale.description),
    ))
    .into_response()
}

/// The buyer's choice on the page: notify the callback, then send the browser back.
async fn paypage_outcome(
    State(fake): State<Arc<Fake>>,
    Path((tran_ref, outcome)): Path<(String, String)>,
) -> Response {
    let Some(outcome) = FakeOutcome::from_path(&outcome) else {
        return (StatusCode::NOT_FOUND, "no such outcome").into_response();
    };
    let (callback, ipn) = match end_sale(&fake, &tran_ref, outcome) {
        Ok(ended) => ended,
        Err(e) => return (StatusCode::NOT_FOUND, e.to_string()).into_response(),
    };
    if let Some(callback) = callback
        && let Err(e) = deliver(&fake, &callback, ipn).await
    {
        tracing::warn!(error = %e, "the fake PayTabs could not deliver a notification");
    }
    let return_url = fake
        .data()
        .sales
        .get(&tran_ref)
        .and_then(|s| s.return_url.clone());
    match return_url.and_then(|u| Url::parse(&u).ok()) {
        Some(mut url) => {
            let (status, _, _) = outcome.result();
            url.query_pairs_mut()
                .append_pair("tranRef", &tran_ref)
                .append_pair("respStatus", status);
            Redirect::to(url.as_str()).into_response()
        }
        None => (StatusCode::OK, "done").into_response(),
    }
}

/// `12.500` for 12500 fils: the decimals of the currency, as PayTabs writes amounts.
fn decimal(amount: Money) -> String {
    // Display is `12.500 JOD`.
    let text = amount.to_string();
    text.split(' ').next().unwrap_or_default().to_owned()
}

fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
