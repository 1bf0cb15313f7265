// An event's dashboard: totals, sales and check-ins over time (hand-drawn SVG charts), per
// ticket type and per gate tables, payment methods, the funnel, the no-show rate, and CSV
// exports.
//
// Test hooks: #dashboard[data-event-id], #bucket-day, #bucket-hour, #dash-sold, #dash-revenue,
// #dash-refunded, #dash-net, #dash-capacity, #chart-sales, #chart-checkins (.bar[data-value]),
// #table-ticket-types, #table-gates, #table-payments, #funnel (.funnel-step[data-step]),
// #no-show[data-rate], #export-orders, #export-attendees, #export-checkins, #export-path,
// #dashboard-back.
import { useState } from "preact/hooks";
import type { OrganizerEvent } from "../bindings/OrganizerEvent";
import { BarChart } from "../components/BarChart";
import { ErrorBox, Loaded, Note } from "../components/Status";
import { useApp } from "../context";
import { formatFils, formatNumber } from "../format";
import { useAction, useLoad } from "../hooks";
import { pick, t } from "../i18n";
import { eventAnalytics, exportCsv, type ExportKind } from "../ipc";

export function Dashboard({
  organizationId,
  event,
  onBack,
}: {
  organizationId: string;
  event: OrganizerEvent;
  onBack: () => void;
  canEdit: boolean;
}) {
  const { lang } = useApp();
  const [bucket, setBucket] = useState<"day" | "hour">("day");
  const [load, reload] = useLoad(() => eventAnalytics(organizationId, event.id, { bucket, from: null, to: null }), [
    organizationId,
    event.id,
    bucket,
  ]);
  const [exported, runExport] = useAction((kind: ExportKind) => exportCsv(organizationId, event.id, kind));
  const n = (x: number) => formatNumber(x, lang);
  const money = (fils: number) => formatFils(fils, lang);

  return (
    <section class="dashboard" id="dashboard" data-event-id={event.id}>
      <div class="form-head">
        <h3>{t("dash-heading", { title: pick(event.title, lang) })}</h3>
        <button type="button" id="dashboard-back" class="secondary" onClick={onBack}>
          {t("common-back")}
        </button>
      </div>
      <div class="tabs" role="group" aria-label={t("dash-bucket")}>
        <button type="button" id="bucket-day" class="tab" aria-pressed={bucket === "day"} onClick={() => setBucket("day")}>
          {t("dash-by-day")}
        </button>
        <button type="button" id="bucket-hour" class="tab" aria-pressed={bucket === "hour"} onClick={() => setBucket("hour")}>
          {t("dash-by-hour")}
        </button>
      </div>
      <Loaded load={load} retry={reload}>
        {(a) => {
          const checkins = new Map<string, { label: string; value: number }>();
          for (const p of a.checkins) {
            const b = checkins.get(p.start) ?? { label: p.label, value: 0 };
            if (p.direction === "in") b.value += p.scans;
            checkins.set(p.start, b);
          }
          const checkinBars = [...checkins.entries()].sort(([x], [y]) => (x < y ? -1 : 1)).map(([, b]) => b);
          const funnelMax = Math.max(1, a.funnel.views, a.funnel.checkouts_started, a.funnel.paid);
          const steps: [string, number][] = [
            ["views", a.funnel.views],
            ["checkouts", a.funnel.checkouts_started],
            ["paid", a.funnel.paid],
          ];
          return (
            <>
              <div class="stats">
                <Stat id="dash-sold" label={t("dash-sold")} value={n(a.totals.sold)} raw={a.totals.sold} />
                <Stat id="dash-revenue" label={t("dash-revenue")} value={money(a.totals.revenue_fils)} raw={a.totals.revenue_fils} />
                <Stat id="dash-refunded" label={t("dash-refunded")} value={`${n(a.totals.refunded)} · ${money(a.totals.refund_fils)}`} raw={a.totals.refunded} />
                <Stat id="dash-net" label={t("dash-net")} value={money(a.totals.net_fils)} raw={a.totals.net_fils} />
                <Stat
                  id="dash-capacity"
                  label={t("dash-capacity")}
                  value={t("dash-capacity-value", { held: n(a.capacity.held), capacity: n(a.capacity.capacity), left: n(a.capacity.left) })}
                  raw={a.capacity.left}
                />
              </div>
              <div class="charts">
                <BarChart id="chart-sales" title={t("dash-sales-chart")} bars={a.sales.map((p) => ({ label: p.label, value: p.sales.sold }))} />
                <BarChart id="chart-checkins" title={t("dash-checkins-chart")} bars={checkinBars} />
              </div>
              <table class="table" id="table-ticket-types">
                <caption>{t("dash-ticket-types")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("csv-ticket-type")}</th>
                    <th scope="col">{t("dash-sold")}</th>
                    <th scope="col">{t("dash-held")}</th>
                    <th scope="col">{t("dash-left")}</th>
                    <th scope="col">{t("dash-revenue")}</th>
                  </tr>
                </thead>
                <tbody>
                  {a.ticket_types.map((tt) => (
                    <tr key={tt.ticket_type_id} data-ticket-type-id={tt.ticket_type_id}>
                      <th scope="row">{pick(tt.name, lang)}</th>
                      <td>{n(tt.sales.sold)}</td>
                      <td>
                        {n(tt.held)} / {n(tt.capacity)}
                      </td>
                      <td>{n(tt.left)}</td>
                      <td>{money(tt.sales.revenue_fils)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <table class="table" id="table-gates">
                <caption>{t("dash-gates")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("csv-gate")}</th>
                    <th scope="col">{t("csv-direction")}</th>
                    <th scope="col">{t("dash-scans")}</th>
                  </tr>
                </thead>
                <tbody>
                  {a.gates.length === 0 ? (
                    <tr>
                      <td colSpan={3} class="muted">
                        {t("dash-no-scans")}
                      </td>
                    </tr>
                  ) : (
                    a.gates.map((g) => (
                      <tr key={`${g.gate}-${g.direction}`} data-gate={g.gate} data-direction={g.direction}>
                        <th scope="row">{g.gate}</th>
                        <td>{t(`scan-direction-${g.direction}`)}</td>
                        <td>{n(g.scans)}</td>
                      </tr>
                    ))
                  )}
                </tbody>
              </table>
              <table class="table" id="table-payments">
                <caption>{t("dash-payments")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("csv-payment-method")}</th>
                    <th scope="col">{t("dash-sold")}</th>
                    <th scope="col">{t("dash-net")}</th>
                  </tr>
                </thead>
                <tbody>
                  {a.payment_methods.map((p) => (
                    <tr key={p.method}>
                      <th scope="row">{t(`payment-method-${p.method}`)}</th>
                      <td>{n(p.sales.sold)}</td>
                      <td>{money(p.sales.net_fils)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <section class="funnel" id="funnel">
                <h4>{t("dash-funnel")}</h4>
                {steps.map(([step, value]) => (
                  <div class="funnel-step" data-step={step} data-value={value} key={step}>
                    <span class="funnel-label">{t(`dash-funnel-${step}`)}</span>
                    <span class="funnel-bar" style={{ inlineSize: `${Math.max(2, (100 * value) / funnelMax)}%` }} />
                    <span class="funnel-value">{n(value)}</span>
                  </div>
                ))}
              </section>
              <p class="no-show" id="no-show" data-rate={a.no_show.rate_basis_points ?? ""} data-pending={a.no_show.pending ?? ""}>
                <strong>{t("dash-no-show")}: </strong>
                {a.no_show.rate_basis_points !== null
                  ? t("dash-no-show-rate", {
                      rate: formatNumber(a.no_show.rate_basis_points / 100, lang, 1),
                      count: a.no_show.no_shows ?? 0,
                      valid: n(a.no_show.valid_tickets),
                    })
                  : t(`dash-no-show-${a.no_show.pending ?? "event_not_ended"}`)}
                <span class="muted"> · {t("dash-admitted-of", { admitted: n(a.no_show.admitted), valid: n(a.no_show.valid_tickets) })}</span>
              </p>
            </>
          );
        }}
      </Loaded>
      <section class="exports">
        <h4>{t("dash-exports")}</h4>
        <div class="actions">
          {(["orders", "attendees", "checkins"] as ExportKind[]).map((kind) => (
            <button type="button" id={`export-${kind}`} class="secondary" key={kind} disabled={exported.state === "running"} onClick={() => runExport(kind)}>
              {t(`dash-export-${kind}`)}
            </button>
          ))}
        </div>
        {exported.state === "done" && (
          <Note>
            {t("dash-exported")}{" "}
            <code id="export-path" dir="ltr">
              {exported.value}
            </code>
          </Note>
        )}
        {exported.state === "failed" && <ErrorBox error={exported.error} />}
      </section>
    </section>
  );
}

function Stat({ id, label, value, raw }: { id: string; label: string; value: string; raw: number }) {
  return (
    <div class="stat">
      <span class="stat-label">{label}</span>
      <span class="stat-value" id={id} data-value={raw}>
        {value}
      </span>
    </div>
  );
}
