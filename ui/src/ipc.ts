// Typed calls into the Tauri shell. The UI never talks to the server directly: every screen
// reads the device's offline copy through these commands, and the shell syncs in the
// background. Events (`listen`) tell screens when something changed.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { DoorConflict } from "./bindings/DoorConflict";
import type { ErrorBody } from "./bindings/ErrorBody";
import type { EventAnalytics } from "./bindings/EventAnalytics";
import type { EventDetail } from "./bindings/EventDetail";
import type { EventInput } from "./bindings/EventInput";
import type { EventSummary } from "./bindings/EventSummary";
import type { Lang } from "./bindings/Lang";
import type { MyTicket } from "./bindings/MyTicket";
import type { OrderView } from "./bindings/OrderView";
import type { OrganizerEvent } from "./bindings/OrganizerEvent";
import type { PayView } from "./bindings/PayView";
import type { ReviewQueuePage } from "./bindings/ReviewQueuePage";

// ---- Types the shell defines (generated from its Rust types) ----

import type { AppInfo } from "./bindings/AppInfo";
import type { DoorCounts } from "./bindings/DoorCounts";
import type { DoorEventChoice } from "./bindings/DoorEventChoice";
import type { DoorProgress } from "./bindings/DoorProgress";
import type { EventCard } from "./bindings/EventCard";
import type { EventFilter } from "./bindings/EventFilter";
import type { MemberView as Member } from "./bindings/MemberView";
import type { OrgRole } from "./bindings/OrgRole";
import type { ScanVerdict } from "./bindings/ScanVerdict";
import type { Session } from "./bindings/Session";
import type { SyncStatus } from "./bindings/SyncStatus";
import type { TicketQr } from "./bindings/TicketQr";
export type { GateCounts } from "./bindings/GateCounts";
export type { Membership } from "./bindings/Membership";
export type { Signal } from "./bindings/Signal";
export type {
  AppInfo,
  DoorCounts,
  DoorEventChoice,
  DoorProgress,
  EventCard,
  EventFilter,
  Member,
  OrgRole,
  ScanVerdict,
  Session,
  SyncStatus,
  TicketQr,
};

export type AnalyticsQuery = {
  bucket: "day" | "hour";
  /** RFC 3339; null for the server's default range. */
  from: string | null;
  to: string | null;
};

export type ExportKind = "orders" | "attendees" | "checkins";

// ---- Commands ----

export const appInfo = () => invoke<AppInfo>("app_info");
export const setLanguage = (lang: Lang) => invoke<void>("set_language", { lang });
export const setArabicDigits = (on: boolean) => invoke<void>("set_arabic_digits", { on });
export const syncStatus = () => invoke<SyncStatus>("sync_status");

// Sign-in. Each resolves with the session; OIDC finishes through the deep link and is
// announced with `session-changed`.
export const session = () => invoke<Session | null>("session");
export const signInWithPassword = (email: string, password: string) =>
  invoke<Session>("sign_in_with_password", { email, password });
export const register = (email: string, password: string, displayName: string) =>
  invoke<Session>("register", { email, password, displayName });
export const sendPhoneCode = (phone: string) => invoke<void>("send_phone_code", { phone });
export const verifyPhoneCode = (phone: string, code: string) =>
  invoke<Session>("verify_phone_code", { phone, code });
/** The OpenID Connect providers the server offers (an error offline). */
export const oidcProviders = () => invoke<string[]>("oidc_providers");
/** Opens the provider's page in the system browser. */
export const startOidcSignIn = (provider: string) => invoke<void>("start_oidc_sign_in", { provider });
export const signOut = () => invoke<void>("sign_out");

// Attendee (offline: the catalog and my tickets are the device's copy).
export const searchEvents = (filter: EventFilter) => invoke<EventCard[]>("search_events", { filter });
export const catalogEvent = (eventId: string) => invoke<EventSummary | null>("catalog_event", { eventId });
/** Online: the full event with its ticket types, for buying. */
export const eventDetail = (eventId: string) => invoke<EventDetail>("event_detail", { eventId });
export const openMaps = (eventId: string) => invoke<void>("open_maps", { eventId });
export const createOrder = (eventId: string, lines: { ticket_type_id: string; quantity: number }[]) =>
  invoke<OrderView>("create_order", { eventId, lines });
/** `sandbox` / `paytabs` open the hosted page in the system browser; `cliq` returns instructions. */
export const payOrder = (orderId: string, method: string) => invoke<PayView>("pay_order", { orderId, method });
export const getOrder = (orderId: string) => invoke<OrderView>("get_order", { orderId });
export const myOrders = () => invoke<OrderView[]>("my_orders");
export const myTickets = () => invoke<MyTicket[]>("my_tickets");
export const ticketQr = (ticketId: string) => invoke<TicketQr>("ticket_qr", { ticketId });
/** Writes an .ics file to the downloads folder and opens it; returns its path. */
export const saveToCalendar = (ticketId: string) => invoke<string>("save_to_calendar", { ticketId });
export const transferTicket = (ticketId: string, recipient: string) =>
  invoke<void>("transfer_ticket", { ticketId, recipient });

// Door staff.
export const doorEvents = () => invoke<DoorEventChoice[]>("door_events");
/** Downloads (or updates) the door list; `door-progress` events report rows done/total. */
export const downloadDoorList = (organizationId: string, eventId: string) =>
  invoke<DoorCounts>("download_door_list", { organizationId, eventId });
export const scanTicket = (eventId: string, text: string, gate: string, direction: "in" | "out") =>
  invoke<ScanVerdict>("scan_ticket", { eventId, text, gate, direction });
export const doorCounts = (eventId: string) => invoke<DoorCounts>("door_counts", { eventId });
export const doorConflicts = (eventId: string) => invoke<DoorConflict[]>("door_conflicts", { eventId });
/** Decodes one grey camera frame (width × height bytes) in Rust; the texts found. */
export const decodeFrame = (width: number, height: number, luma: Uint8Array) =>
  // The frame goes as raw bytes, not a JSON array (a 640×480 frame four times a second).
  invoke<string[]>("decode_frame", luma, {
    headers: { "x-frame-width": String(width), "x-frame-height": String(height) },
  });

// Organizer.
export const orgEvents = (organizationId: string) => invoke<OrganizerEvent[]>("org_events", { organizationId });
export const createEvent = (organizationId: string, input: EventInput) =>
  invoke<OrganizerEvent>("create_event", { organizationId, input });
export const updateEvent = (organizationId: string, eventId: string, input: EventInput) =>
  invoke<OrganizerEvent>("update_event", { organizationId, eventId, input });
export const submitEvent = (organizationId: string, eventId: string) =>
  invoke<OrganizerEvent>("submit_event", { organizationId, eventId });
export const members = (organizationId: string) => invoke<Member[]>("members", { organizationId });
export const inviteMember = (organizationId: string, email: string, role: OrgRole) =>
  invoke<void>("invite_member", { organizationId, email, role });
export const eventAnalytics = (organizationId: string, eventId: string, query: AnalyticsQuery) =>
  invoke<EventAnalytics>("event_analytics", { organizationId, eventId, query });
/** Saves the CSV to the downloads folder; returns its path. */
export const exportCsv = (organizationId: string, eventId: string, kind: ExportKind) =>
  invoke<string>("export_csv", { organizationId, eventId, kind });
export const refundOrder = (organizationId: string, orderId: string, reason: string) =>
  invoke<void>("refund_order", { organizationId, orderId, reason });
export const decideCliq = (organizationId: string, orderId: string, approve: boolean) =>
  invoke<void>("decide_cliq", { organizationId, orderId, approve });

// Admin.
export const reviewQueue = () => invoke<ReviewQueuePage>("review_queue");
export const approveEvent = (eventId: string) => invoke<void>("approve_event", { eventId });
export const rejectEvent = (eventId: string, reason: string) => invoke<void>("reject_event", { eventId, reason });

// ---- Events ----

export const onSyncStatus = (f: (s: SyncStatus) => void): Promise<UnlistenFn> =>
  listen<SyncStatus>("sync-status", (e) => f(e.payload));
export const onSessionChanged = (f: (s: Session | null) => void): Promise<UnlistenFn> =>
  listen<Session | null>("session-changed", (e) => f(e.payload));
/** The catalog or my tickets changed on the device (after a sync). */
export const onDataChanged = (f: (what: "catalog" | "me" | "door") => void): Promise<UnlistenFn> =>
  listen<"catalog" | "me" | "door">("data-changed", (e) => f(e.payload));
export const onDoorProgress = (f: (p: DoorProgress) => void): Promise<UnlistenFn> =>
  listen<DoorProgress>("door-progress", (e) => f(e.payload));
/** A deep link opened the app: `hafla://event/{id}` or `hafla://ticket/{id}`. */
export const onOpenLink = (f: (route: { kind: "event" | "ticket"; id: string }) => void): Promise<UnlistenFn> =>
  listen<{ kind: "event" | "ticket"; id: string }>("open-link", (e) => f(e.payload));
// NEW: the shell emits `sign-in-failed` when a provider sign-in (OIDC deep link) fails.
/** A provider sign-in that came back through `hafla://auth/callback` failed. */
export const onSignInFailed = (f: (error: ErrorBody) => void): Promise<UnlistenFn> =>
  listen<ErrorBody>("sign-in-failed", (e) => f(e.payload));
/** Where a deep link that started the app points, taken once. */
export const takeStartLink = () => invoke<{ kind: "event" | "ticket"; id: string } | null>("take_start_link");

/** Commands reject with `{code, message}`; anything else (a bug) becomes an internal error. */
export function asErrorBody(e: unknown): ErrorBody {
  if (typeof e === "object" && e !== null && "code" in e && "message" in e) return e as ErrorBody;
  return { code: "internal", message: String(e) };
}
