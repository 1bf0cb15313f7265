// After choosing how to pay: "Waiting for payment…" while the hosted page is open in the
// browser (or the CliQ transfer is made), polling the order every 2 s until it is paid
// (→ My tickets) or expired / cancelled.
//
// Test hooks: #payment[data-order-id][data-status], #payment-waiting, #payment-paid,
// #payment-failed, #cliq-instructions with #cliq-alias, #cliq-amount, #cliq-reference,
// #cliq-pay-by; #payment-tickets, #payment-event.
import { useEffect, useState } from "preact/hooks";
import type { OrderView } from "../bindings/OrderView";
import { ErrorBox, Loading } from "../components/Status";
import { useApp } from "../context";
import { formatMoney, formatWhen } from "../format";
import { useInterval } from "../hooks";
import { t } from "../i18n";
import { asErrorBody, getOrder } from "../ipc";
import type { ErrorBody } from "../bindings/ErrorBody";
import type { Route } from "../router";

const POLL_MS = 2000;

export function Payment({ route }: { route: Extract<Route, { name: "pay" }> }) {
  const app = useApp();
  const { lang } = app;
  const [order, setOrder] = useState<OrderView | null>(null);
  const [error, setError] = useState<ErrorBody | null>(null);

  const poll = () =>
    getOrder(route.orderId)
      .then((o) => {
        setOrder(o);
        setError(null);
      })
      .catch((e) => setError(asErrorBody(e)));

  useEffect(() => void poll(), [route.orderId]);
  const settled = order !== null && order.status !== "reserved" && order.status !== "awaiting_payment";
  useInterval(poll, settled ? null : POLL_MS);

  const paid = order?.status === "paid";
  useEffect(() => {
    if (!paid) return;
    const id = setTimeout(() => app.navigate({ name: "tickets" }), 1200);
    return () => clearTimeout(id);
  }, [paid]);

  const cliq = route.cliq;
  return (
    <section class="payment" id="payment" data-order-id={route.orderId} data-status={order?.status ?? "loading"}>
      <h2>{t("pay-heading")}</h2>
      {order && <p class="muted">{t("pay-reference", { reference: order.reference })}</p>}
      {cliq && !settled && (
        <div class="cliq-instructions" id="cliq-instructions">
          <h3>{t("pay-cliq-heading")}</h3>
          <p>{t("pay-cliq-intro")}</p>
          <dl class="facts big">
            <dt>{t("pay-cliq-alias")}</dt>
            <dd id="cliq-alias" dir="ltr">
              {cliq.alias}
            </dd>
            <dt>{t("pay-cliq-amount")}</dt>
            <dd id="cliq-amount">{formatMoney(cliq.amount, lang)}</dd>
            <dt>{t("pay-cliq-reference")}</dt>
            <dd id="cliq-reference" dir="ltr">
              {cliq.reference}
            </dd>
            <dt>{t("pay-cliq-pay-by")}</dt>
            <dd id="cliq-pay-by">{formatWhen(cliq.pay_by, "Asia/Amman", lang)}</dd>
          </dl>
          <p class="muted">{t("pay-cliq-confirmation")}</p>
        </div>
      )}
      {!settled &&
        (order === null && error === null ? (
          <Loading />
        ) : (
          <p class="status waiting" id="payment-waiting" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true" />
            {route.hosted ? t("pay-waiting-browser") : t("pay-waiting")}
          </p>
        ))}
      {error && <ErrorBox error={error} onRetry={poll} />}
      {paid && (
        <p class="success" id="payment-paid" role="status">
          {t("pay-paid")}
        </p>
      )}
      {settled && !paid && order && (
        <div class="error-banner" id="payment-failed" role="alert" data-code={order.status}>
          <p>{order.status === "expired" ? t("pay-expired") : t("pay-not-paid", { status: t(`order-status-${order.status}`) })}</p>
        </div>
      )}
      <div class="actions">
        <button type="button" id="payment-tickets" onClick={() => app.navigate({ name: "tickets" })}>
          {t("nav-tickets")}
        </button>
        <button type="button" id="payment-event" class="secondary" onClick={() => app.navigate({ name: "event", id: route.eventId })}>
          {t("pay-back-to-event")}
        </button>
      </div>
    </section>
  );
}
