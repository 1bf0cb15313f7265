//! Payments: the server never sees a card (PCI-DSS SAQ-A). A buyer pays on the provider's
//! own hosted page; the provider tells the server the outcome in a signed notification
//! (webhook), and the server can ask it for the status of a payment at any time.
//!
//! [`PaymentProvider`] is what checkout needs from any provider. Providers:
//! * `sandbox`: a hosted page served by hafla-server itself (approve, decline, cancel) for
//!   the demo and tests;
//! * `paytabs`: PayTabs' hosted payment page (see ARCHITECTURE.md for why PayTabs);
//! * CliQ transfers need no provider: the organizer confirms receipt (see `orders`).
//!
//! Amounts are integer minor units ([`Money`]) everywhere; an adapter converts when its
//! provider wants other units and tests the conversion.

pub mod paytabs;

use async_trait::async_trait;
use hafla_core::Lang;
use hafla_core::money::Money;
use uuid::Uuid;

/// What a payment is for and where the buyer and the provider come back to.
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentRequest {
    /// Our reference of this payment attempt: unique, sent to the provider as its cart or
    /// merchant reference, and found again in its notifications.
    pub payment_id: Uuid,
    pub order_id: Uuid,
    pub amount: Money,
    /// One line the buyer sees on the hosted page, e.g. "2 × General — Jazz Night".
    pub description: String,
    pub customer: Customer,
    /// The language of the hosted page.
    pub lang: Lang,
    /// Where the provider sends the buyer's browser when they are done.
    pub return_url: String,
    /// Where the provider posts its server-to-server notifications (the webhook).
    pub notify_url: String,
}

/// The buyer as providers ask for them (for fraud checks and their own receipts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    pub name: String,
    pub email: Option<String>,
    /// E.164.
    pub phone: Option<String>,
}

/// A payment the provider has opened: where to send the buyer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedPayment {
    /// The provider's own reference of the payment (PayTabs' `tran_ref`).
    pub provider_ref: String,
    /// The hosted payment page.
    pub redirect_url: String,
}

/// Where a payment stands, according to its provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentState {
    /// Not decided yet (the buyer is still on the page, or the bank is deciding).
    Pending,
    /// The money was taken: `amount` as the provider reports it.
    Paid { amount: Money },
    /// The card or the bank refused; `reason` is the provider's message, for the logs
    /// and for the buyer.
    Declined { reason: String },
    /// The buyer gave up on the page, or the payment expired there.
    Cancelled,
}

/// A verified notification from a provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The `payment_id` of our [`PaymentRequest`].
    pub payment_id: Uuid,
    pub provider_ref: String,
    pub state: PaymentState,
    /// What makes this notification unique at the provider, so the same notification sent
    /// ten times is acted on once (e.g. the provider's reference plus its status).
    pub dedupe_key: String,
}

/// Money given back through the provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRequest {
    /// Our reference of this refund: unique, so a retried refund is not paid twice.
    pub refund_id: Uuid,
    pub payment_id: Uuid,
    pub provider_ref: String,
    pub amount: Money,
    pub reason: String,
}

/// A refund the provider accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundReceipt {
    pub provider_ref: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PaymentError {
    /// The notification's signature is missing or wrong, or it is not one of ours.
    #[error("payment notification refused: {0}")]
    BadNotification(String),
    /// The provider could not be reached or failed: try again later.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request for good (bad amount, unknown payment…).
    #[error("payment provider refused: {0}")]
    Refused(String),
}

/// What checkout needs from a payment provider. Implementations speak the provider's
/// documented protocol and convert amounts to its units.
#[async_trait]
pub trait PaymentProvider: Send + Sync + 'static {
    /// The provider's name in orders and settings: `sandbox`, `paytabs`.
    fn key(&self) -> &'static str;

    /// Opens a payment on the provider's hosted page.
    async fn create_payment(
        &self,
        request: &PaymentRequest,
    ) -> Result<CreatedPayment, PaymentError>;

    /// Checks a notification's signature over its exact bytes and reads it. Anything not
    /// signed by the provider is [`PaymentError::BadNotification`].
    fn verify_notification(
        &self,
        headers: &axum::http::HeaderMap,
        body: &[u8],
    ) -> Result<Notification, PaymentError>;

    /// Asks the provider where a payment stands (reconciliation of payments whose
    /// notification never came).
    async fn query(
        &self,
        payment_id: Uuid,
        provider_ref: &str,
    ) -> Result<PaymentState, PaymentError>;

    /// Gives money back for a paid payment (all or part of it).
    async fn refund(&self, request: &RefundRequest) -> Result<RefundReceipt, PaymentError>;
}
