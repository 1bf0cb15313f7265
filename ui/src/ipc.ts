// Typed calls into the Tauri shell. The UI never talks to the server directly: every screen
// reads the device's offline copy through these commands, and the shell syncs in the
// background. Events (`listen`) tell screens when something changed.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { Bilingual } from "./bindings/Bilingual";
import type { Category } from "./bindings/Category";
import type { City } from "./bindings/City";
import type { DoorConflict } from "./bindings/DoorConflict";
import type { ErrorBody } from "./bindings/ErrorBody";
import type { EventAnalytics } from "./bindings/EventAnalytics";
import type { EventDetail } from "./bindings/EventDetail";
import type { EventInput } from "./bindings/EventInput";
import type { EventPage } from "./bindings/EventPage";
import type { EventSummary } from "./bindings/EventSummary";
import type { Lang } from "./bindings/Lang";
import type { MyTicket } from "./bindings/MyTicket";
import type { OrderView } from "./bindings/OrderView";
import type { OrganizerEvent } from "./bindings/OrganizerEvent";
import type { PayView } from "./bindings/PayView";
import type { ReviewQueuePage } from "./bindings/ReviewQueuePage";

// ---- Types the shell defines (mirrors of its Rust types) ----

export type OrgRole = "owner" | "manager" | "door_staff" | "analyst";

/** What the UI needs at start. */
export type AppInfo = {
  /** The chosen language; null on first run (the UI then follows the system). */
  lang: Lang | null;
  /** Show numbers with Arabic-Indic digits (٠١٢) in Arabic. */
  arabic_digits: boolean;
  server_url: string;
  version: string;
};

export type Membership = { organization_id: string; name: Bilingual; role: OrgRole };

/** The signed-in person, remembered offline (the tokens themselves stay in the OS keyring). */
export type Session = {
  user_id: string;
  display_name: string;
  email: string | null;
  phone: string | null;
  is_admin: boolean;
  organizations: Membership[];
};

/** Emitted as `sync-status` whenever any part changes. */
export type SyncStatus = {
  online: boolean;
  /** Changes and scans waiting to be sent. */
  pending: number;
  /** The last sync round's error, null after a good one. */
  last_error: ErrorBody | null;
  /** Whether the catalog has been downloaded at least once. */
  catalog_ready: boolean;
};

export type EventFilter = {
  /** Arabic or English words; empty for everything. */
  query: string;
  category: Category | null;
  city: City | null;
  /** Sort by distance from here (device location or a chosen city's centre). */
  near: { lat: number; lng: number } | null;
  limit: number;
};

export type EventCard = { event: EventSummary; distance_km: number | null };

/** A ticket's QR code, drawn on the device. */
export type TicketQr = {
  svg: string;
  /** The code changes every `refresh_secs` (rotating codes); null when it never changes. */
  refresh_secs: number | null;
};

/** Emitted as `door-progress` while a door list downloads. */
export type DoorProgress = { event_id: string; done: number; total: number };

/** An event this person may work the door of. */
export type DoorEventChoice = {
  organization_id: string;
  event: EventSummary;
  /** Whether its door list is on this device. */
  downloaded: boolean;
};

export type Signal = "admit" | "refuse" | "attention";

export type ScanVerdict = {
  /** Stable key, e.g. `admitted`, `already_admitted`, `forged`, `revoked`. */
  verdict: string;
  signal: Signal;
  /** In the chosen language, readable at arm's length. */
  message: string;
  ticket_serial: number | null;
};

export type GateCounts = { gate: string; entered: number; exited: number; refused: number };

export type DoorCounts = {
  admitted: number;
  remaining: number;
  tickets: number;
  revoked: number;
  conflicts: number;
  gates: GateCounts[];
  /** Scans waiting to be sent. */
  pending: number;
  online: boolean;
};

export type Member = {
  user_id: string;
  role: OrgRole;
  display_name: string;
  email: string | null;
  phone: string | null;
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
/** The server's first page of events (the shell's first screen; replaced by `searchEvents`). */
export const listEvents = (offset: number) => invoke<EventPage>("list_events", { offset });

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
export const decodeFrame = (width: number, height: number, luma: number[]) =>
  invoke<string[]>("decode_frame", { width, height, luma });

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
