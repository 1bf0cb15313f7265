//! The sandbox payment provider: a hosted payment page served by hafla-server itself, with
//! Approve, Decline and Cancel instead of a card form. It behaves like a real provider from
//! checkout's side: it opens payments, signs its notifications (HMAC-SHA256 over the exact
//! body, key made at start), answers status queries and takes refunds. For the demo and
//! tests only: it keeps its payments in memory, per server instance.

use crate::payments::{
    CreatedPayment, Notification, PaymentError, PaymentProvider, PaymentRequest, PaymentState,
    RefundReceipt, RefundRequest,
};
use async_trait::async_trait;
use hafla_core::Lang;
use hafla_core::money::Money;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Mutex;
use uuid::Uuid;

pub const KEY: &str = "sandbox";
/// The header carrying a notification's signature (hex).
pub const SIGNATURE_HEADER: &str = "x-sandbox-signature";

/// What the buyer chose on the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Choice {
    Approve,
    Decline,
    Cancel,
}

/// A payment the sandbox opened.
#[derive(Clone, Debug)]
pub struct SandboxPayment {
    pub provider_ref: String,
    pub amount: Money,
    pub description: String,
    pub lang: Lang,
    pub return_url: String,
    pub state: PaymentState,
    pub refunded_minor: i64,
    /// The signed notification sent for the buyer's choice (body, signature).
    pub notification: Option<(Vec<u8>, String)>,
}

/// The notification body the sandbox signs.
#[derive(serde::Serialize, serde::Deserialize)]
struct Body {
    payment_id: Uuid,
    provider_ref: String,
    outcome: String,
    amount_minor: i64,
    currency: String,
}

pub struct Sandbox {
    secret: [u8; 32],
    public_url: String,
    payments: Mutex<HashMap<Uuid, SandboxPayment>>,
}

impl Sandbox {
    pub fn new(public_url: &str) -> Sandbox {
        let mut secret = [0u8; 32];
        // Without the OS random source nothing else in the server works either; a fixed
        // key would only weaken a provider that handles no real money.
        let _ = getrandom::fill(&mut secret);
        Sandbox {
            secret,
            public_url: public_url.to_owned(),
            payments: Mutex::new(HashMap::new()),
        }
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as Mac>::new_from_slice(&self.secret).expect("HMAC takes any key length")
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, SandboxPayment>> {
        self.payments.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn payment(&self, payment_id: Uuid) -> Option<SandboxPayment> {
        self.lock().get(&payment_id).cloned()
    }

    /// Records the buyer's choice on the page and returns the signed notification the
    /// sandbox sends for it (body and signature), or `None` for an unknown or already
    /// decided payment.
    pub fn choose(&self, payment_id: Uuid, choice: Choice) -> Option<(Vec<u8>, String)> {
        let mut payments = self.lock();
        let payment = payments.get_mut(&payment_id)?;
        if payment.state != PaymentState::Pending {
            return None;
        }
        let (state, outcome) = match choice {
            Choice::Approve => (
                PaymentState::Paid {
                    amount: payment.amount,
                },
                "approved",
            ),
            Choice::Decline => (
                PaymentState::Declined {
                    reason: "declined on the sandbox page".into(),
                },
                "declined",
            ),
            Choice::Cancel => (PaymentState::Cancelled, "cancelled"),
        };
        payment.state = state;
        let body = serde_json::to_vec(&Body {
            payment_id,
            provider_ref: payment.provider_ref.clone(),
            outcome: outcome.into(),
            amount_minor: payment.amount.minor,
            currency: payment.amount.currency.code().into(),
        })
        .ok()?;
        let mut mac = self.mac();
        mac.update(&body);
        let signature = hex(&mac.finalize().into_bytes());
        payment.notification = Some((body.clone(), signature.clone()));
        Some((body, signature))
    }

    /// Decides a payment without sending a notification, as when the provider's
    /// notification is lost (tests of reconciliation).
    pub fn decide_silently(&self, payment_id: Uuid, choice: Choice) -> bool {
        self.choose(payment_id, choice).is_some()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[async_trait]
impl PaymentProvider for Sandbox {
    fn key(&self) -> &'static str {
        KEY
    }

    async fn create_payment(
        &self,
        request: &PaymentRequest,
    ) -> Result<CreatedPayment, PaymentError> {
        let provider_ref = format!("sbx_{}", request.payment_id.simple());
        self.lock().insert(
            request.payment_id,
            SandboxPayment {
                provider_ref: provider_ref.clone(),
                amount: request.amount,
                description: request.description.clone(),
                lang: request.lang,
                return_url: request.return_url.clone(),
                state: PaymentState::Pending,
                refunded_minor: 0,
                notification: None,
            },
        );
        Ok(CreatedPayment {
            provider_ref,
            redirect_url: format!("{}/sandbox/pay/{}", self.public_url, request.payment_id),
        })
    }

    fn verify_notification(
        &self,
        headers: &axum::http::HeaderMap,
        body: &[u8],
    ) -> Result<Notification, PaymentError> {
        let bad = |why: &str| PaymentError::BadNotification(why.to_owned());
        let signature = headers
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(unhex)
            .ok_or_else(|| bad("no signature"))?;
        let mut mac = self.mac();
        mac.update(body);
        mac.verify_slice(&signature)
            .map_err(|_| bad("wrong signature"))?;
        let body: Body = serde_json::from_slice(body).map_err(|_| bad("unreadable body"))?;
        let amount = Money {
            minor: body.amount_minor,
            currency: hafla_core::money::Currency::from_code(&body.currency)
                .ok_or_else(|| bad("unknown currency"))?,
        };
        let state = match body.outcome.as_str() {
            "approved" => PaymentState::Paid { amount },
            "declined" => PaymentState::Declined {
                reason: "declined on the sandbox page".into(),
            },
            "cancelled" => PaymentState::Cancelled,
            _ => return Err(bad("unknown outcome")),
        };
        Ok(Notification {
            payment_id: body.payment_id,
            dedupe_key: format!("sandbox:{}:{}", body.provider_ref, body.outcome),
            provider_ref: body.provider_ref,
            state,
        })
    }

    async fn query(
        &self,
        payment_id: Uuid,
        _provider_ref: &str,
    ) -> Result<PaymentState, PaymentError> {
        self.payment(payment_id)
            .map(|p| p.state)
            .ok_or_else(|| PaymentError::Refused("unknown payment".into()))
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundReceipt, PaymentError> {
        let mut payments = self.lock();
        let payment = payments
            .get_mut(&request.payment_id)
            .ok_or_else(|| PaymentError::Refused("unknown payment".into()))?;
        let PaymentState::Paid { amount } = payment.state else {
            return Err(PaymentError::Refused("the payment is not paid".into()));
        };
        if payment.refunded_minor + request.amount.minor > amount.minor {
            return Err(PaymentError::Refused("more than was paid".into()));
        }
        payment.refunded_minor += request.amount.minor;
        Ok(RefundReceipt {
            provider_ref: format!("sbx_refund_{}", request.refund_id.simple()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::Customer;

    fn request(sandbox: &Sandbox) -> (Uuid, PaymentRequest) {
        let payment_id = Uuid::now_v7();
        let _ = sandbox;
        (
            payment_id,
            PaymentRequest {
                payment_id,
                order_id: Uuid::now_v7(),
                amount: Money::jod_fils(12_500),
                description: "HF-2345678 · 1 × General".into(),
                customer: Customer {
                    name: "Rania".into(),
                    email: None,
                    phone: None,
                },
                lang: Lang::Ar,
                return_url: "https://hafla.test/pay/return/x".into(),
                notify_url: "https://hafla.test/api/v1/payments/sandbox/notify".into(),
            },
        )
    }

    fn signed(signature: &str) -> axum::http::HeaderMap {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(SIGNATURE_HEADER, signature.parse().unwrap());
        headers
    }

    #[tokio::test]
    async fn an_approved_payment_is_a_signed_notification_of_the_exact_amount() {
        let sandbox = Sandbox::new("https://hafla.test");
        let (id, request) = request(&sandbox);
        let created = sandbox.create_payment(&request).await.unwrap();
        assert_eq!(
            created.redirect_url,
            format!("https://hafla.test/sandbox/pay/{id}")
        );
        let (body, signature) = sandbox.choose(id, Choice::Approve).unwrap();
        let n = sandbox
            .verify_notification(&signed(&signature), &body)
            .unwrap();
        assert_eq!(n.payment_id, id);
        assert_eq!(
            n.state,
            PaymentState::Paid {
                amount: Money::jod_fils(12_500)
            }
        );
        assert!(
            sandbox.choose(id, Choice::Decline).is_none(),
            "decided once"
        );
        assert_eq!(sandbox.query(id, "").await.unwrap(), n.state);
    }

    #[tokio::test]
    async fn tampered_unsigned_or_foreign_notifications_are_refused() {
        let sandbox = Sandbox::new("https://hafla.test");
        let (id, request) = request(&sandbox);
        sandbox.create_payment(&request).await.unwrap();
        let (body, signature) = sandbox.choose(id, Choice::Approve).unwrap();
        let mut tampered = body.clone();
        let at = tampered.iter().position(|b| *b == b'1').unwrap();
        tampered[at] = b'9';
        for (headers, body) in [
            (signed(&signature), tampered),
            (axum::http::HeaderMap::new(), body.clone()),
            (signed("zz"), body.clone()),
            (signed(&"0".repeat(64)), body.clone()),
        ] {
            assert!(matches!(
                sandbox.verify_notification(&headers, &body),
                Err(PaymentError::BadNotification(_))
            ));
        }
        let other = Sandbox::new("https://hafla.test");
        assert!(
            other
                .verify_notification(&signed(&signature), &body)
                .is_err()
        );
    }

    #[tokio::test]
    async fn refunds_never_exceed_what_was_paid() {
        let sandbox = Sandbox::new("https://hafla.test");
        let (id, request) = request(&sandbox);
        sandbox.create_payment(&request).await.unwrap();
        let refund = |minor| RefundRequest {
            refund_id: Uuid::now_v7(),
            payment_id: id,
            provider_ref: String::new(),
            amount: Money::jod_fils(minor),
            reason: "test".into(),
        };
        assert!(sandbox.refund(&refund(1)).await.is_err(), "not paid yet");
        sandbox.choose(id, Choice::Approve).unwrap();
        sandbox.refund(&refund(10_000)).await.unwrap();
        assert!(sandbox.refund(&refund(2_501)).await.is_err());
        sandbox.refund(&refund(2_500)).await.unwrap();
    }
}
