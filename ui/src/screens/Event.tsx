// The event page: the device's copy first (works offline), the server's full event with its
// ticket types when online, then the buy flow (reserve → choose payment → pay).
//
// Test hooks: #event-page[data-event-id], #event-title, #event-description, #event-other-lang
// (toggle), #event-other, #event-when, #event-venue, #event-price, #open-maps, #share,
// #share-link, #back; .ticket-type[data-ticket-type-id] with input.qty; #buy-button;
// #order-summary[data-order-id], #pay-method-sandbox, #pay-method-cliq, #pay-button;
// #buy-offline (shown offline instead of ticket types).
import { useState } from "preact/hooks";
import type { ErrorBody } from "../bindings/ErrorBody";
import type { EventDetail } from "../bindings/EventDetail";
import type { EventSummary } from "../bindings/EventSummary";
import type { OrderView } from "../bindings/OrderView";
import type { TicketTypeView } from "../bindings/TicketTypeView";
import { ErrorBox, Loading, Note } from "../components/Status";
import { isOnline, useApp } from "../context";
import { formatMoney, formatTime, formatWhenLong } from "../format";
import { useAction, useLoad } from "../hooks";
import { cityName, pick, t } from "../i18n";
import { catalogEvent, createOrder, eventDetail, openMaps, payOrder } from "../ipc";

export function EventScreen({ eventId }: { eventId: string }) {
  const app = useApp();
  const online = isOnline(app);
  const [catalog, reloadCatalog] = useLoad(() => catalogEvent(eventId), [eventId]);
  const [detail, reloadDetail] = useLoad<EventDetail | null>(
    () => (online ? eventDetail(eventId) : Promise.resolve(null)),
    [eventId, online],
  );

  const summary: EventSummary | EventDetail | null =
    (detail.state === "ready" && detail.value) || (catalog.state === "ready" && catalog.value) || null;

  let body;
  if (summary) {
    body = <EventBody event={summary} detail={detail.state === "ready" ? detail.value : null} />;
  } else if (catalog.state === "loading" || detail.state === "loading") {
    body = <Loading />;
  } else if (detail.state === "failed") {
    body = <ErrorBox error={detail.error} onRetry={() => (reloadCatalog(), reloadDetail())} />;
  } else if (catalog.state === "failed") {
    body = <ErrorBox error={catalog.error} onRetry={() => (reloadCatalog(), reloadDetail())} />;
  } else {
    body = <ErrorBox error={{ code: "not_found", message: t("error-not-found") }} onRetry={reloadCatalog} />;
  }

  return (
    <section class="event-page" id="event-page" data-event-id={eventId}>
      <button type="button" id="back" class="secondary back" onClick={app.back}>
        {t("common-back")}
      </button>
      {body}
      {summary && (
        <TicketsForSale
          eventId={eventId}
          detail={detail.state === "ready" ? detail.value : null}
          detailError={detail.state === "failed" ? detail.error : null}
          retry={reloadDetail}
          online={online}
        />
      )}
    </section>
  );
}

function EventBody({ event, detail }: { event: EventSummary | EventDetail; detail: EventDetail | null }) {
  const { lang } = useApp();
  const [showOther, setShowOther] = useState(false);
  const [shared, setShared] = useState<string | null>(null);
  const [maps, openInMaps] = useAction(openMaps);
  const other = lang === "ar" ? "en" : "ar";
  const otherTitle = event.title[other];
  const otherDescription = event.description[other];
  const link = `hafla://event/${event.id}`;

  const share = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setShared(t("event-share-copied"));
    } catch {
      setShared(t("event-share-copy-failed"));
    }
  };

  return (
    <article class="event-detail">
      <div class="event-meta">
        <span class="chip">{t(`category-${event.category}`)}</span>
        <span class="event-organizer">{pick(event.organizer, lang)}</span>
      </div>
      <h2 id="event-title">{pick(event.title, lang)}</h2>
      <dl class="facts">
        <dt>{t("event-when")}</dt>
        <dd id="event-when">
          <time dateTime={event.starts_at}>{formatWhenLong(event.starts_at, event.time_zone, lang)}</time>
          {" – "}
          <time dateTime={event.ends_at}>{formatTime(event.ends_at, event.time_zone, lang)}</time>
          <span class="muted"> {t("event-zone-note")}</span>
        </dd>
        <dt>{t("event-where")}</dt>
        <dd id="event-venue">
          {t("event-venue", { venue: pick(event.venue.name, lang), city: cityName(event.venue.city) })}
          {pick(event.venue.address, lang) && <span class="muted"> · {pick(event.venue.address, lang)}</span>}
        </dd>
        <dt>{t("event-price")}</dt>
        <dd id="event-price">
          {event.price_from === null || event.price_from.minor === 0
            ? t("event-free")
            : t("event-price-from", { price: formatMoney(event.price_from, lang) })}
        </dd>
      </dl>
      <p id="event-description" class="description">
        {pick(event.description, lang)}
      </p>
      {(otherTitle || otherDescription) && (
        <div class="other-lang">
          <button type="button" id="event-other-lang" class="secondary" aria-expanded={showOther} onClick={() => setShowOther(!showOther)}>
            {showOther ? t("event-hide-other-lang") : t("event-show-other-lang")}
          </button>
          {showOther && (
            <div id="event-other" lang={other} dir={other === "ar" ? "rtl" : "ltr"} class="other-text">
              <h3>{otherTitle}</h3>
              <p>{otherDescription}</p>
            </div>
          )}
        </div>
      )}
      {detail && detail.tags.length > 0 && (
        <ul class="tags">
          {detail.tags.map((tag) => (
            <li class="chip" key={tag}>
              {tag}
            </li>
          ))}
        </ul>
      )}
      <div class="actions">
        <button type="button" id="open-maps" onClick={() => openInMaps(event.id)}>
          {t("event-open-maps")}
        </button>
        <button type="button" id="share" class="secondary" onClick={share}>
          {t("event-share")}
        </button>
      </div>
      {maps.state === "failed" && <ErrorBox error={maps.error} />}
      {shared && (
        <Note id="share-note">
          {shared}{" "}
          <code id="share-link" dir="ltr">
            {link}
          </code>
        </Note>
      )}
    </article>
  );
}

function onSale(tt: TicketTypeView, now: number): boolean {
  if (tt.sales_start && Date.parse(tt.sales_start) > now) return false;
  if (tt.sales_end && Date.parse(tt.sales_end) < now) return false;
  return true;
}

function TicketsForSale({
  eventId,
  detail,
  detailError,
  retry,
  online,
}: {
  eventId: string;
  detail: EventDetail | null;
  detailError: ErrorBody | null;
  retry: () => void;
  online: boolean;
}) {
  const app = useApp();
  const { lang } = app;
  const [qty, setQty] = useState<Record<string, number>>({});
  const [order, setOrder] = useState<OrderView | null>(null);
  const [method, setMethod] = useState<"sandbox" | "cliq">("sandbox");
  const [reserve, runReserve] = useAction(createOrder);
  const [pay, runPay] = useAction(payOrder);

  if (!online) {
    return (
      <section class="buy">
        <p class="status" id="buy-offline">
          {t("event-buy-offline")}
        </p>
      </section>
    );
  }
  if (detailError) return <ErrorBox error={detailError} onRetry={retry} />;
  if (!detail) return <Loading text={t("event-loading-tickets")} />;

  const now = Date.now();
  const lines = Object.entries(qty)
    .filter(([, n]) => n > 0)
    .map(([ticket_type_id, quantity]) => ({ ticket_type_id, quantity }));
  const chosen = lines.reduce((sum, l) => sum + l.quantity, 0);
  const total = detail.ticket_types.reduce((sum, tt) => sum + tt.price.minor * (qty[tt.id] ?? 0), 0);

  const buy = async () => {
    if (!app.session) {
      app.navigate({ name: "account" });
      return;
    }
    const o = await runReserve(eventId, lines);
    if (o) setOrder(o);
  };

  const payNow = async () => {
    if (!order) return;
    const free = order.total.minor === 0;
    const view = await runPay(order.id, free ? "sandbox" : method);
    if (!view) return;
    if (view.order.status === "paid") {
      app.navigate({ name: "tickets" });
      return;
    }
    app.navigate({ name: "pay", orderId: order.id, eventId, hosted: view.redirect_url !== null, cliq: view.cliq });
  };

  if (order) {
    return (
      <section class="buy checkout" id="order-summary" data-order-id={order.id}>
        <h3>{t("buy-order-heading", { reference: order.reference })}</h3>
        <ul class="order-lines">
          {order.lines.map((l) => (
            <li key={l.ticket_type_id}>
              {t("buy-line", { quantity: l.quantity, type: pick(l.name, lang), price: formatMoney(l.unit_price, lang) })}
            </li>
          ))}
        </ul>
        <p class="total">{t("buy-total", { total: formatMoney(order.total, lang) })}</p>
        <p class="muted">{t("buy-held-until", { time: formatTime(order.expires_at, detail.time_zone, lang) })}</p>
        {order.total.minor > 0 && (
          <fieldset class="pay-methods">
            <legend>{t("buy-choose-method")}</legend>
            <label class="radio">
              <input
                type="radio"
                id="pay-method-sandbox"
                name="pay-method"
                checked={method === "sandbox"}
                onChange={() => setMethod("sandbox")}
              />
              {t("buy-method-sandbox")}
            </label>
            <label class="radio">
              <input type="radio" id="pay-method-cliq" name="pay-method" checked={method === "cliq"} onChange={() => setMethod("cliq")} />
              {t("buy-method-cliq")}
            </label>
          </fieldset>
        )}
        <div class="actions">
          <button type="button" id="pay-button" class="primary" onClick={payNow} disabled={pay.state === "running"}>
            {pay.state === "running" ? t("buy-paying") : order.total.minor === 0 ? t("buy-confirm-free") : t("buy-pay")}
          </button>
          <button type="button" class="secondary" id="order-cancel" onClick={() => setOrder(null)}>
            {t("common-back")}
          </button>
        </div>
        {pay.state === "failed" && <ErrorBox error={pay.error} onRetry={payNow} />}
      </section>
    );
  }

  return (
    <section class="buy">
      <h3>{t("buy-heading")}</h3>
      {detail.ticket_types.length === 0 ? (
        <p class="status">{t("buy-no-tickets")}</p>
      ) : (
        <ul class="ticket-types">
          {detail.ticket_types.map((tt) => {
            const available = onSale(tt, now);
            const inputId = `qty-${tt.id}`;
            return (
              <li class="ticket-type" data-ticket-type-id={tt.id} key={tt.id}>
                <div class="tt-info">
                  <span class="tt-name">{pick(tt.name, lang)}</span>
                  <span class="tt-price">{tt.price.minor === 0 ? t("event-free") : formatMoney(tt.price, lang)}</span>
                  {!available && <span class="muted">{t("buy-not-on-sale")}</span>}
                </div>
                <div class="field qty-field">
                  <label for={inputId}>{t("buy-quantity")}</label>
                  <input
                    id={inputId}
                    class="qty"
                    type="number"
                    inputMode="numeric"
                    min={0}
                    max={tt.per_order_limit}
                    value={qty[tt.id] ?? 0}
                    disabled={!available}
                    onInput={(e) => {
                      const n = Math.max(0, Math.min(tt.per_order_limit, Math.floor(Number(e.currentTarget.value) || 0)));
                      setQty({ ...qty, [tt.id]: n });
                    }}
                  />
                </div>
              </li>
            );
          })}
        </ul>
      )}
      {chosen > 0 && (
        <p class="total" id="buy-total">
          {t("buy-chosen", { count: chosen, total: formatMoney({ minor: total, currency: "JOD" }, lang) })}
        </p>
      )}
      {!app.session && <p class="muted">{t("buy-sign-in-first")}</p>}
      <button type="button" id="buy-button" class="primary" disabled={chosen === 0 || reserve.state === "running"} onClick={buy}>
        {reserve.state === "running" ? t("buy-reserving") : app.session ? t("buy-button") : t("buy-sign-in")}
      </button>
      {reserve.state === "failed" && <ErrorBox error={reserve.error} onRetry={buy} />}
    </section>
  );
}
