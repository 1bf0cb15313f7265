// Organizer: switch between my organizations, list their events with status badges, create
// and edit events (EventForm), submit them for review, see a dashboard (Dashboard), manage
// staff, refund orders and decide CliQ transfers.
//
// Test hooks: #org-switch, #org-tab-events, #org-tab-staff, #org-tab-orders; #event-new;
// .org-event[data-event-id][data-status] with .status-badge, .edit, .dashboard, .submit,
// .rejection-reason; staff: .member[data-user-id][data-role], #invite-email, #invite-role,
// #invite-submit, #invite-done; orders: #refund-order-id, #refund-reason, #refund-submit,
// #refund-done, #cliq-order-id, #cliq-approve, #cliq-reject, #cliq-done.
import { useState } from "preact/hooks";
import type { OrganizerEvent } from "../bindings/OrganizerEvent";
import { ErrorBox, Loaded, Note } from "../components/Status";
import { ORGANIZER_ROLES, useApp } from "../context";
import { formatWhen } from "../format";
import { useAction, useListen, useLoad } from "../hooks";
import { cityName, pick, t } from "../i18n";
import {
  decideCliq,
  inviteMember,
  members,
  onDataChanged,
  orgEvents,
  refundOrder,
  submitEvent,
  type Membership,
  type OrgRole,
} from "../ipc";
import { Dashboard } from "./Dashboard";
import { EventForm } from "./EventForm";

type View =
  | { kind: "list" }
  | { kind: "edit"; event: OrganizerEvent | null }
  | { kind: "dashboard"; event: OrganizerEvent };

type Tab = "events" | "staff" | "orders";

const ORG_KEY = "hafla.organizer.org";

export function Organizer() {
  const app = useApp();
  const orgs = app.session?.organizations.filter((m) => ORGANIZER_ROLES.includes(m.role)) ?? [];
  const [orgId, setOrgId] = useState<string | null>(() => localStorage.getItem(ORG_KEY));
  const org = orgs.find((o) => o.organization_id === orgId) ?? orgs[0] ?? null;
  const [tab, setTab] = useState<Tab>("events");
  const [view, setView] = useState<View>({ kind: "list" });

  if (!org) {
    return (
      <section class="organizer">
        <h2>{t("org-heading")}</h2>
        <p class="status">{t("org-none")}</p>
      </section>
    );
  }
  const canEdit = org.role === "owner" || org.role === "manager";

  const switchOrg = (id: string) => {
    setOrgId(id);
    localStorage.setItem(ORG_KEY, id);
    setView({ kind: "list" });
  };

  const tabButton = (id: Tab, label: string) => (
    <button type="button" role="tab" id={`org-tab-${id}`} class="tab" aria-selected={tab === id} onClick={() => (setTab(id), setView({ kind: "list" }))}>
      {label}
    </button>
  );

  return (
    <section class="organizer" data-organization-id={org.organization_id} data-role={org.role}>
      <div class="org-head">
        <h2>{t("org-heading")}</h2>
        <div class="field">
          <label for="org-switch">{t("org-switch")}</label>
          <select id="org-switch" value={org.organization_id} onChange={(e) => switchOrg(e.currentTarget.value)}>
            {orgs.map((o) => (
              <option value={o.organization_id} key={o.organization_id}>
                {pick(o.name, app.lang)} ({t(`role-${o.role}`)})
              </option>
            ))}
          </select>
        </div>
      </div>
      <div class="tabs" role="tablist">
        {tabButton("events", t("org-tab-events"))}
        {tabButton("staff", t("org-tab-staff"))}
        {canEdit && tabButton("orders", t("org-tab-orders"))}
      </div>
      {tab === "events" &&
        (view.kind === "list" ? (
          <EventList org={org} canEdit={canEdit} setView={setView} />
        ) : view.kind === "edit" ? (
          <EventForm
            key="edit"
            organizationId={org.organization_id}
            event={view.event}
            onDone={() => setView({ kind: "list" })}
          />
        ) : (
          <Dashboard organizationId={org.organization_id} event={view.event} onBack={() => setView({ kind: "list" })} canEdit={canEdit} />
        ))}
      {tab === "staff" && <Staff org={org} canInvite={canEdit} />}
      {tab === "orders" && canEdit && <OrderTools organizationId={org.organization_id} />}
    </section>
  );
}

function EventList({ org, canEdit, setView }: { org: Membership; canEdit: boolean; setView: (v: View) => void }) {
  const { lang } = useApp();
  const [events, reload] = useLoad(() => orgEvents(org.organization_id), [org.organization_id]);
  useListen(onDataChanged, (what) => what === "catalog" && reload());
  const [submit, runSubmit] = useAction(async (id: string) => {
    await submitEvent(org.organization_id, id);
    reload();
  });
  return (
    <section class="org-events">
      {canEdit && (
        <button type="button" id="event-new" class="primary" onClick={() => setView({ kind: "edit", event: null })}>
          {t("org-new-event")}
        </button>
      )}
      {submit.state === "failed" && <ErrorBox error={submit.error} />}
      <Loaded load={events} retry={reload}>
        {(list) =>
          list.length === 0 ? (
            <p class="status" id="org-no-events">
              {t("org-no-events")}
            </p>
          ) : (
            <ul class="org-event-list">
              {list.map((ev) => (
                <li class="org-event card" data-event-id={ev.id} data-status={ev.status} key={ev.id}>
                  <div class="org-event-head">
                    <h3>{pick(ev.title, lang)}</h3>
                    <span class={`badge status-badge status-${ev.status}`} data-status={ev.status}>
                      {t(`status-${ev.status}`)}
                    </span>
                  </div>
                  <p class="muted">
                    {formatWhen(ev.starts_at, ev.time_zone, lang)} · {pick(ev.venue.name, lang)}, {cityName(ev.venue.city)}
                  </p>
                  {ev.status === "rejected" && ev.rejection_reason && (
                    <p class="rejection-reason error-text">{t("org-rejected-because", { reason: ev.rejection_reason })}</p>
                  )}
                  <div class="actions">
                    {canEdit && ev.status !== "cancelled" && (
                      <button type="button" class="edit secondary" onClick={() => setView({ kind: "edit", event: ev })}>
                        {t("org-edit")}
                      </button>
                    )}
                    <button type="button" class="dashboard secondary" onClick={() => setView({ kind: "dashboard", event: ev })}>
                      {t("org-dashboard")}
                    </button>
                    {canEdit && (ev.status === "draft" || ev.status === "rejected") && (
                      <button type="button" class="submit" disabled={submit.state === "running"} onClick={() => runSubmit(ev.id)}>
                        {t("org-submit")}
                      </button>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}

const INVITE_ROLES: OrgRole[] = ["door_staff", "analyst", "manager"];

function Staff({ org, canInvite }: { org: Membership; canInvite: boolean }) {
  const { lang } = useApp();
  const [list, reload] = useLoad(() => members(org.organization_id), [org.organization_id]);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<OrgRole>("door_staff");
  const [invite, runInvite] = useAction(async () => {
    await inviteMember(org.organization_id, email.trim(), role);
    reload();
    return email.trim();
  });
  return (
    <section class="staff">
      <h3>{t("org-staff-heading", { name: pick(org.name, lang) })}</h3>
      <Loaded load={list} retry={reload}>
        {(ms) => (
          <table class="table members">
            <thead>
              <tr>
                <th scope="col">{t("org-member-name")}</th>
                <th scope="col">{t("org-member-contact")}</th>
                <th scope="col">{t("org-member-role")}</th>
              </tr>
            </thead>
            <tbody>
              {ms.map((m) => (
                <tr class="member" data-user-id={m.user_id} data-role={m.role} key={m.user_id}>
                  <th scope="row">{m.display_name}</th>
                  <td dir="ltr">{m.email ?? m.phone ?? ""}</td>
                  <td>{t(`role-${m.role}`)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
      {canInvite && (
        <form
          class="form invite"
          onSubmit={(e) => {
            e.preventDefault();
            void runInvite();
          }}
        >
          <h4>{t("org-invite-heading")}</h4>
          <div class="row">
            <div class="field grow">
              <label for="invite-email">{t("signin-email")}</label>
              <input id="invite-email" type="email" dir="ltr" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="invite-role">{t("org-member-role")}</label>
              <select id="invite-role" value={role} onChange={(e) => setRole(e.currentTarget.value as OrgRole)}>
                {INVITE_ROLES.map((r) => (
                  <option value={r} key={r}>
                    {t(`role-${r}`)}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <button type="submit" id="invite-submit" disabled={invite.state === "running"}>
            {t("org-invite")}
          </button>
          {invite.state === "done" && <Note id="invite-done">{t("org-invited", { email: invite.value })}</Note>}
          {invite.state === "failed" && <ErrorBox error={invite.error} />}
        </form>
      )}
    </section>
  );
}

function OrderTools({ organizationId }: { organizationId: string }) {
  const [refundId, setRefundId] = useState("");
  const [reason, setReason] = useState("");
  const [refund, runRefund] = useAction(() => refundOrder(organizationId, refundId.trim(), reason.trim()));
  const [cliqId, setCliqId] = useState("");
  const [cliq, runCliq] = useAction(async (approve: boolean) => {
    await decideCliq(organizationId, cliqId.trim(), approve);
    return approve;
  });
  return (
    <section class="order-tools">
      <form
        class="form card"
        onSubmit={(e) => {
          e.preventDefault();
          void runRefund();
        }}
      >
        <h3>{t("org-refund-heading")}</h3>
        <div class="field">
          <label for="refund-order-id">{t("org-order-id")}</label>
          <input id="refund-order-id" dir="ltr" required value={refundId} onInput={(e) => setRefundId(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="refund-reason">{t("org-refund-reason")}</label>
          <input id="refund-reason" required value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </div>
        <button type="submit" id="refund-submit" disabled={refund.state === "running"}>
          {t("org-refund")}
        </button>
        {refund.state === "done" && <Note id="refund-done">{t("org-refund-done")}</Note>}
        {refund.state === "failed" && <ErrorBox error={refund.error} />}
      </form>
      <form class="form card" onSubmit={(e) => e.preventDefault()}>
        <h3>{t("org-cliq-heading")}</h3>
        <p class="hint">{t("org-cliq-hint")}</p>
        <div class="field">
          <label for="cliq-order-id">{t("org-order-id")}</label>
          <input id="cliq-order-id" dir="ltr" required value={cliqId} onInput={(e) => setCliqId(e.currentTarget.value)} />
        </div>
        <div class="actions">
          <button type="button" id="cliq-approve" disabled={!cliqId.trim() || cliq.state === "running"} onClick={() => runCliq(true)}>
            {t("org-cliq-received")}
          </button>
          <button type="button" id="cliq-reject" class="danger" disabled={!cliqId.trim() || cliq.state === "running"} onClick={() => runCliq(false)}>
            {t("org-cliq-not-received")}
          </button>
        </div>
        {cliq.state === "done" && <Note id="cliq-done">{cliq.value ? t("org-cliq-approved") : t("org-cliq-rejected")}</Note>}
        {cliq.state === "failed" && <ErrorBox error={cliq.error} />}
      </form>
    </section>
  );
}
