// My tickets, from the device's copy (works offline), grouped by event, each with its QR code
// drawn on the device; and my orders with their status and refunds.
//
// Test hooks: #tickets[data-count], .ticket-group[data-event-id], .ticket-card[data-ticket-id]
// [data-valid] with .ticket-qr svg, .ticket-status, .ticket-holder, .ticket-type-name;
// .add-calendar, .calendar-path; .transfer-toggle, .transfer-email, .transfer-submit,
// .transfer-done; #tickets-empty, #tickets-signin; #orders, .order-row[data-order-id]
// [data-status].
import { useEffect, useRef, useState } from "preact/hooks";
import type { MyTicket } from "../bindings/MyTicket";
import type { OrderView } from "../bindings/OrderView";
import { ErrorBox, Loaded, Loading, Note } from "../components/Status";
import { useApp } from "../context";
import { formatMoney, formatNumber, formatWhen } from "../format";
import { useAction, useInterval, useListen, useLoad } from "../hooks";
import { cityName, pick, t } from "../i18n";
import { myOrders, myTickets, onDataChanged, saveToCalendar, ticketQr, transferTicket } from "../ipc";

const EMPTY_RETRY_MS = 5000;

export function Tickets({ focusTicket }: { focusTicket?: string }) {
  const app = useApp();
  const [tickets, reloadTickets] = useLoad(myTickets, [app.session?.user_id]);
  const [orders, reloadOrders] = useLoad<OrderView[] | null>(() => (app.session ? myOrders() : Promise.resolve(null)), [
    app.session?.user_id,
  ]);
  useListen(onDataChanged, (what) => {
    if (what === "me") {
      reloadTickets();
      reloadOrders();
    }
  });
  // Right after a purchase the tickets may still be on their way: look again now and then.
  const empty = tickets.state === "ready" && tickets.value.length === 0 && app.session !== null;
  useInterval(reloadTickets, empty ? EMPTY_RETRY_MS : null);

  return (
    <section class="tickets-screen">
      <h2>{t("tickets-heading")}</h2>
      <Loaded load={tickets} retry={reloadTickets} loadingText={t("tickets-loading")}>
        {(list) =>
          list.length === 0 ? (
            app.session ? (
              <p class="status" id="tickets-empty">
                {t("tickets-empty")}
              </p>
            ) : (
              <div class="status" id="tickets-signin">
                <p>{t("tickets-sign-in")}</p>
                <button type="button" class="primary" onClick={() => app.navigate({ name: "account" })}>
                  {t("nav-sign-in")}
                </button>
              </div>
            )
          ) : (
            <TicketGroups list={list} focusTicket={focusTicket} onChanged={reloadTickets} />
          )
        }
      </Loaded>
      {app.session && (
        <section id="orders" class="orders">
          <h2>{t("orders-heading")}</h2>
          <Loaded load={orders} retry={reloadOrders}>
            {(list) =>
              !list || list.length === 0 ? (
                <p class="muted">{t("orders-empty")}</p>
              ) : (
                <ul class="order-list">
                  {list.map((o) => (
                    <OrderRow order={o} key={o.id} />
                  ))}
                </ul>
              )
            }
          </Loaded>
        </section>
      )}
    </section>
  );
}

function TicketGroups({ list, focusTicket, onChanged }: { list: MyTicket[]; focusTicket?: string; onChanged: () => void }) {
  const { lang } = useApp();
  const groups = new Map<string, MyTicket[]>();
  for (const tk of list) {
    const g = groups.get(tk.event.id);
    if (g) g.push(tk);
    else groups.set(tk.event.id, [tk]);
  }
  return (
    <div id="tickets" data-count={list.length}>
      <p class="hint brightness-hint">{t("tickets-brightness")}</p>
      {[...groups.values()].map((group) => {
        const ev = group[0]!.event;
        return (
          <section class="ticket-group" data-event-id={ev.id} key={ev.id}>
            <h3>{pick(ev.title, lang)}</h3>
            <p class="muted">
              {formatWhen(ev.starts_at, ev.time_zone, lang)} ·{" "}
              {t("event-venue", { venue: pick(ev.venue.name, lang), city: cityName(ev.venue.city) })}
              {group[0]!.event_status === "cancelled" && <strong class="badge error-badge"> {t("status-cancelled")}</strong>}
            </p>
            <p class="count">{t("tickets-count", { count: group.length })}</p>
            <ul class="ticket-list">
              {group.map((tk) => (
                <TicketCard ticket={tk} focused={tk.ticket.id === focusTicket} onChanged={onChanged} key={tk.ticket.id} />
              ))}
            </ul>
          </section>
        );
      })}
    </div>
  );
}

function TicketCard({ ticket, focused, onChanged }: { ticket: MyTicket; focused: boolean; onChanged: () => void }) {
  const app = useApp();
  const { lang } = app;
  const id = ticket.ticket.id;
  const valid = ticket.ticket.valid && ticket.credential !== undefined;
  const [qr, reloadQr] = useLoad(() => (valid ? ticketQr(id) : Promise.resolve(null)), [id, valid]);
  useInterval(reloadQr, qr.state === "ready" && qr.value?.refresh_secs ? qr.value.refresh_secs * 1000 : null);
  const [calendar, runCalendar] = useAction(saveToCalendar);
  const [transferOpen, setTransferOpen] = useState(false);
  const [recipient, setRecipient] = useState("");
  const [transfer, runTransfer] = useAction(async () => {
    await transferTicket(id, recipient.trim());
    onChanged();
  });
  const ref = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (focused) ref.current?.scrollIntoView({ block: "center" });
  }, [focused]);

  return (
    <li class={`ticket-card${focused ? " focused" : ""}`} data-ticket-id={id} data-valid={String(valid)} ref={ref}>
      <div class="ticket-qr">
        {!valid ? (
          <p class="qr-void">{t("tickets-no-qr")}</p>
        ) : qr.state === "loading" ? (
          <Loading />
        ) : qr.state === "failed" ? (
          <ErrorBox error={qr.error} onRetry={reloadQr} />
        ) : (
          qr.value && (
            <div
              class="qr-svg"
              role="img"
              aria-label={t("tickets-qr-label", { serial: ticket.ticket.serial })}
              dangerouslySetInnerHTML={{ __html: qr.value.svg }}
            />
          )
        )}
      </div>
      <div class="ticket-info">
        <p class="ticket-type-name">{pick(ticket.ticket_type, lang)}</p>
        <p class="ticket-serial">{t("tickets-serial", { serial: formatNumber(ticket.ticket.serial, lang) })}</p>
        {app.session && <p class="ticket-holder">{t("tickets-holder", { name: app.session.display_name })}</p>}
        <p class={`ticket-status ${valid ? "valid" : "revoked"}`}>{valid ? t("ticket-status-valid") : t("ticket-status-revoked")}</p>
        {qr.state === "ready" && qr.value?.refresh_secs && <p class="hint">{t("tickets-rotating")}</p>}
        <div class="actions">
          <button type="button" class="add-calendar secondary" onClick={() => runCalendar(id)}>
            {t("tickets-add-calendar")}
          </button>
          {valid && (
            <button type="button" class="transfer-toggle secondary" aria-expanded={transferOpen} onClick={() => setTransferOpen(!transferOpen)}>
              {t("tickets-transfer")}
            </button>
          )}
        </div>
        {calendar.state === "done" && (
          <Note>
            {t("tickets-calendar-saved")} <code class="calendar-path" dir="ltr">{calendar.value}</code>
          </Note>
        )}
        {calendar.state === "failed" && <ErrorBox error={calendar.error} onRetry={() => runCalendar(id)} />}
        {transferOpen && transfer.state !== "done" && (
          <form
            class="transfer-form"
            onSubmit={(e) => {
              e.preventDefault();
              void runTransfer();
            }}
          >
            <div class="field">
              <label for={`transfer-${id}`}>{t("tickets-transfer-to")}</label>
              <input
                id={`transfer-${id}`}
                class="transfer-email"
                type="text"
                dir="ltr"
                inputMode="email"
                required
                value={recipient}
                onInput={(e) => setRecipient(e.currentTarget.value)}
              />
            </div>
            <p class="hint">{t("tickets-transfer-hint")}</p>
            <button type="submit" class="transfer-submit" disabled={transfer.state === "running"}>
              {t("tickets-transfer-confirm")}
            </button>
            {transfer.state === "failed" && <ErrorBox error={transfer.error} />}
          </form>
        )}
        {transfer.state === "done" && <Note kind="transfer-done">{t("tickets-transferred", { recipient })}</Note>}
      </div>
    </li>
  );
}

function OrderRow({ order }: { order: OrderView }) {
  const { lang } = useApp();
  const refunded = order.status === "refunded" || order.status === "partly_refunded";
  return (
    <li class={`order-row status-${order.status}`} data-order-id={order.id} data-status={order.status}>
      <span class="order-ref" dir="ltr">
        {order.reference}
      </span>
      <span class="order-lines">
        {new Intl.ListFormat(lang, { type: "unit" }).format(
          order.lines.map((l) => t("orders-line", { quantity: l.quantity, type: pick(l.name, lang) })),
        )}
      </span>
      <span class="order-total">{formatMoney(order.total, lang)}</span>
      <span class={`badge status-badge${refunded ? " refund" : ""}`} data-status={order.status}>
        {t(`order-status-${order.status}`)}
      </span>
      {order.payment_method && <span class="muted">{t(`payment-method-${order.payment_method}`)}</span>}
      <time class="muted" dateTime={order.created_at}>
        {formatWhen(order.created_at, "Asia/Amman", lang)}
      </time>
      {refunded && <span class="refund-note">{t("orders-refund-note")}</span>}
    </li>
  );
}
