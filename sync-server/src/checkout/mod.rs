//! Checkout: from a reservation to paid tickets, whatever the way of paying.
//!
//! * Free orders are paid at once.
//! * Card payments go to a provider's hosted page ([`PaymentProvider`]); the provider's
//!   signed notification (or, when it never comes, the reconciliation job's status query)
//!   settles the order through the store, at most once per notification.
//! * CliQ transfers: the buyer sends the amount to the organization's CliQ alias with the
//!   order's reference; the order is held longer, and the organizer confirms (or rejects)
//!   receipt.
//!
//! Money that cannot buy its tickets (it came after they went to someone else, or for an
//! order the buyer had cancelled) is refunded through its provider at once and recorded.

mod receipt;
pub mod sandbox;

use crate::payments::{
    Customer, PaymentError, PaymentProvider, PaymentRequest, PaymentState, RefundRequest,
};
use crate::store::orders::{Actor, Order};
use crate::store::payments::{
    Applied, BegunRefund, NewPayment, NewRefund, Payment, RefundRequestPlan, Reported, Revocation,
};
use crate::store::{Store, StoreError};
use hafla_core::Lang;
use hafla_core::money::Money;
use hafla_core::wire::OrderStatus;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// How checkout holds tickets and takes payments.
#[derive(Clone, Debug)]
pub struct CheckoutSettings {
    /// How long a reservation holds its tickets before it is paid.
    pub hold: jiff::SignedDuration,
    /// How long an order paid by CliQ transfer waits for the organizer's confirmation.
    pub cliq_hold: jiff::SignedDuration,
    /// Serve the sandbox payment page (demo and tests; never in production).
    pub sandbox: bool,
    /// Take cards on PayTabs' hosted page.
    pub paytabs: Option<crate::payments::paytabs::PayTabsConfig>,
}

impl Default for CheckoutSettings {
    fn default() -> Self {
        CheckoutSettings {
            hold: crate::store::orders::DEFAULT_HOLD,
            cliq_hold: jiff::SignedDuration::from_hours(24),
            sandbox: false,
            paytabs: None,
        }
    }
}

/// Payments pending for longer than this are asked about by reconciliation.
pub const RECONCILE_AFTER: jiff::SignedDuration = jiff::SignedDuration::from_mins(2);

/// What the buyer does next after choosing how to pay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// Nothing: the order is paid (a free order).
    Done,
    /// Open the provider's payment page.
    Redirect(String),
    /// Send a CliQ transfer of the order's total to `alias`, with the order's reference in
    /// the note, before the order's expiry.
    Cliq { alias: String },
}

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No such way of paying on this server (or this organization takes no CliQ).
    #[error("payment method {0} is not available")]
    MethodUnavailable(String),
    #[error(transparent)]
    Provider(#[from] PaymentError),
}

/// The checkout service shared by the API and the reconciliation job.
pub struct Checkout {
    store: Arc<dyn Store>,
    issuer: crate::issuance::EventKeys,
    mailer: Arc<dyn crate::mail::Mailer>,
    providers: HashMap<&'static str, Arc<dyn PaymentProvider>>,
    sandbox: Option<Arc<sandbox::Sandbox>>,
    settings: CheckoutSettings,
    public_url: String,
}

impl Checkout {
    pub fn new(
        store: Arc<dyn Store>,
        settings: CheckoutSettings,
        public_url: String,
        issuer: crate::issuance::EventKeys,
        mailer: Arc<dyn crate::mail::Mailer>,
    ) -> Checkout {
        let mut providers: HashMap<&'static str, Arc<dyn PaymentProvider>> = HashMap::new();
        let sandbox = settings.sandbox.then(|| {
            let sandbox = Arc::new(sandbox::Sandbox::new(&public_url));
            providers.insert(sandbox::KEY, sandbox.clone());
            sandbox
        });
        if let Some(config) = settings.paytabs.clone() {
            // The settings were checked when the server started (`cli`).
            match crate::payments::paytabs::PayTabs::new(config) {
                Ok(paytabs) => {
                    providers.insert("paytabs", Arc::new(paytabs));
                }
                Err(e) => tracing::error!(error = %e, "PayTabs is off"),
            }
        }
        // Every provider's outcomes are on /metrics from the start, so rates are defined.
        for provider in providers.keys().copied().chain(["cliq"]) {
            for outcome in PAYMENT_OUTCOMES {
                metrics::counter!(
                    "hafla_payments_total",
                    "provider" => provider,
                    "outcome" => *outcome
                )
                .increment(0);
            }
        }
        Checkout {
            store,
            issuer,
            mailer,
            providers,
            sandbox,
            settings,
            public_url,
        }
    }

    pub fn settings(&self) -> &CheckoutSettings {
        &self.settings
    }

    /// The sandbox provider, when this server serves its page.
    pub fn sandbox(&self) -> Option<&Arc<sandbox::Sandbox>> {
        self.sandbox.as_ref()
    }

    /// The ways of paying this server offers by card or hosted page.
    pub fn methods(&self) -> Vec<&'static str> {
        let mut keys: Vec<&'static str> = self.providers.keys().copied().collect();
        keys.sort_unstable();
        keys
    }

    /// Starts paying `order` (already checked to be the buyer's) by `method`: `cliq` or a
    /// provider's key. A free order is paid whatever the method. With an idempotency key
    /// used before for this order, the attempt it started is given back instead.
    pub async fn pay(
        &self,
        order: &Order,
        method: &str,
        idempotency_key: Option<&str>,
        customer: Customer,
        lang: Lang,
        now: jiff::Timestamp,
    ) -> Result<(Order, NextStep), CheckoutError> {
        let buyer = Actor::Buyer(order.buyer_id);
        if let Some(key) = idempotency_key
            && let Some(earlier) = self.store.payment_by_idempotency_key(order.id, key).await?
        {
            let next = match (earlier.provider.as_str(), earlier.redirect_url) {
                ("cliq", _) => NextStep::Cliq {
                    alias: self
                        .store
                        .cliq_alias(order.organization_id)
                        .await?
                        .unwrap_or_default(),
                },
                (_, Some(url)) => NextStep::Redirect(url),
                (_, None) => {
                    return Err(PaymentError::Unavailable(
                        "the attempt made with this key failed; try with a new key".into(),
                    )
                    .into());
                }
            };
            return Ok((order.clone(), next));
        }
        let idempotency_key = idempotency_key.map(str::to_owned);
        if order.total.is_zero() {
            let paid = self.store.complete_free_order(order.id, buyer, now).await?;
            self.send_receipt(&paid, now).await;
            return Ok((paid, NextStep::Done));
        }
        if method == "cliq" {
            let alias = self
                .store
                .cliq_alias(order.organization_id)
                .await?
                .ok_or_else(|| CheckoutError::MethodUnavailable("cliq".into()))?;
            let started = self
                .store
                .start_payment(
                    order.id,
                    NewPayment {
                        id: Uuid::now_v7(),
                        provider: "cliq".into(),
                        amount: order.total,
                        hold_until: Some(now + self.settings.cliq_hold),
                        idempotency_key,
                    },
                    buyer,
                    now,
                )
                .await?;
            return Ok((started, NextStep::Cliq { alias }));
        }
        let provider = self
            .providers
            .get(method)
            .ok_or_else(|| CheckoutError::MethodUnavailable(method.to_owned()))?;
        let payment_id = Uuid::now_v7();
        let started = self
            .store
            .start_payment(
                order.id,
                NewPayment {
                    id: payment_id,
                    provider: provider.key().into(),
                    amount: order.total,
                    hold_until: None,
                    idempotency_key,
                },
                buyer,
                now,
            )
            .await?;
        let request = PaymentRequest {
            payment_id,
            order_id: order.id,
            amount: order.total,
            description: format!("{} · {}", order.reference, describe(order, lang)),
            customer,
            lang,
            return_url: format!("{}/pay/return/{}", self.public_url, order.id),
            notify_url: format!(
                "{}/api/v1/payments/{}/notify",
                self.public_url,
                provider.key()
            ),
        };
        match provider.create_payment(&request).await {
            Ok(created) => {
                self.store
                    .set_provider_ref(payment_id, &created.provider_ref, &created.redirect_url)
                    .await?;
                Ok((started, NextStep::Redirect(created.redirect_url)))
            }
            Err(e) => {
                count_payment(provider.key(), "create_failed");
                // The attempt is over; the order keeps its hold for another try.
                self.store
                    .apply_payment(
                        payment_id,
                        &format!("create-failed:{payment_id}"),
                        Reported::Cancelled,
                        now,
                    )
                    .await?;
                Err(e.into())
            }
        }
    }

    /// Handles a provider's notification: verified over its exact bytes, applied once.
    pub async fn notification(
        &self,
        provider_key: &str,
        headers: &axum::http::HeaderMap,
        body: &[u8],
        now: jiff::Timestamp,
    ) -> Result<Applied, CheckoutError> {
        let provider = self
            .providers
            .get(provider_key)
            .ok_or_else(|| CheckoutError::MethodUnavailable(provider_key.to_owned()))?;
        let notification = provider.verify_notification(headers, body)?;
        let payment = self
            .store
            .payment(notification.payment_id)
            .await?
            .filter(|p| p.provider == provider.key())
            .ok_or_else(|| {
                PaymentError::BadNotification("not a payment of this provider".into())
            })?;
        self.settle(
            &payment,
            &notification.dedupe_key,
            reported(notification.state),
            now,
        )
        .await
    }

    /// The organizer's word on a CliQ transfer: received (the order is paid) or not (the
    /// attempt is over; the order keeps its hold until it lapses).
    pub async fn confirm_cliq(
        &self,
        payment: &Payment,
        received: bool,
        now: jiff::Timestamp,
    ) -> Result<Applied, CheckoutError> {
        let reported = if received {
            Reported::Paid {
                amount: payment.amount,
            }
        } else {
            Reported::Declined {
                reason: "the organizer did not receive the transfer".into(),
            }
        };
        // Money confirmed after the seats went to others is returned by the organizer;
        // `settle` records that refund.
        self.settle(payment, &format!("cliq:{}", payment.id), reported, now)
            .await
    }

    /// Refunds (part of) a paid order: its tickets are revoked at once, then the money goes
    /// back through the provider it came by. A provider that fails leaves the refund to be
    /// tried again by reconciliation; a CliQ transfer is returned by the organizer by hand,
    /// so its refund is recorded as done.
    pub async fn refund(
        &self,
        request: RefundRequestPlan,
        now: jiff::Timestamp,
    ) -> Result<BegunRefund, CheckoutError> {
        let begun = self.store.begin_refund(request.clone(), now).await?;
        if let (Some(amount), Some(payment)) = (begun.amount, &begun.payment) {
            self.return_money(request.refund_id, amount, &request.reason, payment, now)
                .await?;
        }
        Ok(begun)
    }

    /// Calls an event off for its buyers: paid orders are refunded whole (their tickets
    /// revoked as cancelled), unpaid ones cancelled. Returns how many orders it changed.
    pub async fn cancel_event(
        &self,
        event_id: Uuid,
        actor: Actor,
        now: jiff::Timestamp,
    ) -> Result<usize, CheckoutError> {
        const REASON: &str = "the event was cancelled";
        let mut changed = 0;
        for order_id in self.store.event_orders(event_id).await? {
            let Some(order) = self.store.order(order_id).await? else {
                continue;
            };
            match order.status_at(now) {
                OrderStatus::Paid | OrderStatus::PartlyRefunded => {
                    self.refund(
                        RefundRequestPlan {
                            refund_id: Uuid::now_v7(),
                            order_id,
                            tickets: None,
                            amount: None,
                            reason: REASON.into(),
                            revocation: Revocation::Cancelled,
                            actor,
                        },
                        now,
                    )
                    .await?;
                    changed += 1;
                }
                status if status.is_unpaid_hold() => {
                    self.store
                        .cancel_order(order_id, actor, Some(REASON.into()), now)
                        .await?;
                    changed += 1;
                }
                _ => {}
            }
        }
        Ok(changed)
    }

    /// Returns money through the payment's provider and records the answer.
    async fn return_money(
        &self,
        refund_id: Uuid,
        amount: Money,
        reason: &str,
        payment: &Payment,
        now: jiff::Timestamp,
    ) -> Result<(), CheckoutError> {
        let Some(provider) = self.providers.get(payment.provider.as_str()) else {
            // CliQ: the organizer sends the money back; other providers: not configured on
            // this server any more, so the refund waits for an operator.
            let by_hand = payment.provider == "cliq";
            self.store
                .finish_refund(refund_id, None, by_hand, now)
                .await?;
            return Ok(());
        };
        let outcome = provider
            .refund(&RefundRequest {
                refund_id,
                payment_id: payment.id,
                provider_ref: payment.provider_ref.clone().unwrap_or_default(),
                amount,
                reason: reason.to_owned(),
            })
            .await;
        if let Err(e) = &outcome {
            tracing::warn!(refund = %refund_id, error = %e, "refund failed; it will be tried again");
        }
        let done = outcome.is_ok();
        self.store
            .finish_refund(refund_id, outcome.ok().map(|r| r.provider_ref), done, now)
            .await?;
        Ok(())
    }

    /// Asks providers about payments pending for a while (their notification may have been
    /// lost) and applies the answers, and tries failed refunds again. Returns how many
    /// payments were settled.
    pub async fn reconcile(&self, now: jiff::Timestamp) -> Result<usize, CheckoutError> {
        let pending = self
            .store
            .pending_payments(now - RECONCILE_AFTER, 100)
            .await?;
        let mut settled = 0;
        for payment in pending {
            let Some(provider) = self.providers.get(payment.provider.as_str()) else {
                continue; // CliQ: the organizer settles it.
            };
            let Some(provider_ref) = payment.provider_ref.as_deref() else {
                continue;
            };
            let state = match provider.query(payment.id, provider_ref).await {
                Ok(state) => state,
                Err(e) => {
                    tracing::warn!(payment = %payment.id, error = %e, "status query failed");
                    continue;
                }
            };
            let key = format!("query:{provider_ref}:{}", state_key(&state));
            let applied = self.settle(&payment, &key, reported(state), now).await?;
            if applied != Applied::Unchanged {
                settled += 1;
            }
        }
        for refund in self
            .store
            .unfinished_refunds(now - RECONCILE_AFTER, 100)
            .await?
        {
            self.return_money(
                refund.refund_id,
                refund.amount,
                &refund.reason,
                &refund.payment,
                now,
            )
            .await?;
        }
        Ok(settled)
    }

    /// Applies a report and refunds money that cannot buy its tickets.
    async fn settle(
        &self,
        payment: &Payment,
        dedupe_key: &str,
        reported: Reported,
        now: jiff::Timestamp,
    ) -> Result<Applied, CheckoutError> {
        let applied = self
            .store
            .apply_payment(payment.id, dedupe_key, reported, now)
            .await?;
        count_payment(&payment.provider, outcome_key(&applied));
        match &applied {
            Applied::MustRefund { order, payment } => {
                self.refund_unusable(
                    order,
                    payment,
                    "paid after the tickets were no longer available",
                    now,
                )
                .await?;
            }
            Applied::AmountMismatch { order, payment } => {
                tracing::error!(
                    order = %order.id,
                    payment = %payment.id,
                    "the provider reported another amount than the order's; refunding"
                );
                self.refund_unusable(order, payment, "amount differs from the order's", now)
                    .await?;
            }
            Applied::Paid { order, late } => {
                tracing::info!(order = %order.id, late, "order paid");
                self.send_receipt(order, now).await;
            }
            Applied::Failed { .. } | Applied::Unchanged => {}
        }
        Ok(applied)
    }

    /// Gives back money that bought nothing: recorded first (so a failure is retried),
    /// then returned through the provider.
    async fn refund_unusable(
        &self,
        order: &Order,
        payment: &Payment,
        reason: &str,
        now: jiff::Timestamp,
    ) -> Result<(), CheckoutError> {
        let refund_id = Uuid::now_v7();
        self.store
            .record_refund(
                NewRefund {
                    id: refund_id,
                    order_id: order.id,
                    payment_id: Some(payment.id),
                    amount: payment.amount,
                    reason: reason.to_owned(),
                    provider_ref: None,
                    done: false,
                    actor: Actor::System,
                },
                now,
            )
            .await?;
        self.return_money(refund_id, payment.amount, reason, payment, now)
            .await
    }
}

/// What a payment report came to, as `hafla_payments_total` labels it.
const PAYMENT_OUTCOMES: &[&str] = &[
    "paid",
    "paid_late",
    "failed",
    "must_refund",
    "amount_mismatch",
    "unchanged",
    "create_failed",
];

fn outcome_key(applied: &Applied) -> &'static str {
    match applied {
        Applied::Paid { late: false, .. } => "paid",
        Applied::Paid { late: true, .. } => "paid_late",
        Applied::Failed { .. } => "failed",
        Applied::MustRefund { .. } => "must_refund",
        Applied::AmountMismatch { .. } => "amount_mismatch",
        Applied::Unchanged => "unchanged",
    }
}

/// Counts a payment report's outcome in `hafla_payments_total` by provider (a handful:
/// sandbox, paytabs, cliq) and outcome (`PAYMENT_OUTCOMES`), so operators see declines and
/// refunds-by-necessity rise.
fn count_payment(provider: &str, outcome: &'static str) {
    metrics::counter!(
        "hafla_payments_total",
        "provider" => provider.to_owned(),
        "outcome" => outcome
    )
    .increment(1);
}

fn reported(state: PaymentState) -> Reported {
    match state {
        PaymentState::Pending => Reported::Pending,
        PaymentState::Paid { amount } => Reported::Paid { amount },
        PaymentState::Declined { reason } => Reported::Declined { reason },
        PaymentState::Cancelled => Reported::Cancelled,
    }
}

fn state_key(state: &PaymentState) -> &'static str {
    match state {
        PaymentState::Pending => "pending",
        PaymentState::Paid { .. } => "paid",
        PaymentState::Declined { .. } => "declined",
        PaymentState::Cancelled => "cancelled",
    }
}

/// "2 × General, 1 × VIP" in the buyer's language.
fn describe(order: &Order, lang: Lang) -> String {
    order
        .lines
        .iter()
        .map(|l| format!("{} × {}", l.quantity, l.name.get(lang)))
        .collect::<Vec<_>>()
        .join(", ")
}
