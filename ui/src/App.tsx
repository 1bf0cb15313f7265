// The shell: header (brand, navigation, offline badge, pending uploads, language switch),
// then the current route's screen. Routes are a plain state, also set by deep links.
//
// Test hooks: #nav-discover, #nav-tickets, #nav-door, #nav-organizer (only for owner /
// manager / analyst), #nav-admin (only for admins), #nav-account; #lang-switch;
// #offline-badge (present only while offline); #pending-count[data-pending];
// #sync-error[data-code]; <main data-route="…">.
import { useEffect, useState } from "preact/hooks";
import type { Lang } from "./bindings/Lang";
import { AppContext, ORGANIZER_ROLES, type AppState } from "./context";
import { useListen } from "./hooks";
import { applyArabicDigits, applyLang, currentLang, t } from "./i18n";
import {
  onOpenLink,
  onSessionChanged,
  onSyncStatus,
  session as loadSession,
  setArabicDigits as saveArabicDigits,
  setLanguage,
  syncStatus,
  takeStartLink,
  type AppInfo,
  type Session,
  type SyncStatus,
} from "./ipc";
import { linkRoute, navOf, type Route } from "./router";
import { Account } from "./screens/Account";
import { Admin } from "./screens/Admin";
import { Discover } from "./screens/Discover";
import { Door } from "./screens/Door";
import { EventScreen } from "./screens/Event";
import { Organizer } from "./screens/Organizer";
import { Payment } from "./screens/Payment";
import { Tickets } from "./screens/Tickets";

export function App({ info }: { info: AppInfo }) {
  const [lang, setLangState] = useState<Lang>(currentLang());
  const [arabicDigits, setDigitsState] = useState(info.arabic_digits);
  const [session, setSession] = useState<Session | null>(null);
  const [sync, setSync] = useState<SyncStatus | null>(null);
  const [history, setHistory] = useState<Route[]>([{ name: "discover" }]);
  const route = history[history.length - 1]!;

  const navigate = (next: Route) => {
    setHistory((h) => [...h.slice(-20), next]);
    window.scrollTo(0, 0);
  };
  const back = () => setHistory((h) => (h.length > 1 ? h.slice(0, -1) : [{ name: "discover" }]));

  const setLang = (next: Lang) => {
    applyLang(next);
    setLangState(next);
    setLanguage(next).catch((e) => console.error("saving the language failed", e));
  };
  const setArabicDigits = (on: boolean) => {
    applyArabicDigits(on);
    setDigitsState(on);
    saveArabicDigits(on).catch((e) => console.error("saving the digits setting failed", e));
  };

  useEffect(() => {
    applyArabicDigits(info.arabic_digits);
    loadSession()
      .then(setSession)
      .catch((e) => console.error("reading the session failed", e));
    syncStatus()
      .then(setSync)
      .catch((e) => console.error("reading the sync status failed", e));
    takeStartLink()
      .then((link) => link && navigate(linkRoute(link)))
      .catch((e) => console.error("reading the start link failed", e));
  }, []);
  useListen(onSyncStatus, setSync);
  useListen(onSessionChanged, setSession);
  useListen(onOpenLink, (link) => navigate(linkRoute(link)));

  const state: AppState = {
    lang,
    info,
    session,
    setSession,
    sync,
    navigate,
    back,
    setLang,
    arabicDigits,
    setArabicDigits,
  };

  const isOrganizer = session?.organizations.some((m) => ORGANIZER_ROLES.includes(m.role)) ?? false;
  const current = navOf(route);
  const navItem = (name: string, label: string, to: Route) => (
    <li>
      <button
        type="button"
        id={`nav-${name}`}
        class="nav-item"
        aria-current={current === name ? "page" : undefined}
        onClick={() => navigate(to)}
      >
        {label}
      </button>
    </li>
  );

  return (
    <AppContext.Provider value={state}>
      <div class="app" data-lang={lang}>
        <header class="app-header">
          <div class="brand">
            <h1 class="app-title">{t("app-title")}</h1>
            <p class="tagline">{t("app-tagline")}</p>
          </div>
          <div class="header-status">
            {sync && !sync.online && (
              <span id="offline-badge" class="badge offline-badge" role="status">
                {t("shell-offline")}
              </span>
            )}
            {sync && sync.pending > 0 && (
              <span id="pending-count" class="badge pending-badge" data-pending={sync.pending} role="status">
                {t("shell-pending", { count: sync.pending })}
              </span>
            )}
            {sync?.last_error && sync.online && (
              <span id="sync-error" class="badge error-badge" data-code={sync.last_error.code} title={sync.last_error.message}>
                {t("shell-sync-error")}
              </span>
            )}
            <button
              id="lang-switch"
              class="lang-switch"
              type="button"
              lang={lang === "ar" ? "en" : "ar"}
              title={t("lang-switch-hint")}
              onClick={() => setLang(lang === "ar" ? "en" : "ar")}
            >
              {t("lang-switch")}
            </button>
          </div>
        </header>
        <nav class="app-nav" aria-label={t("shell-nav")}>
          <ul>
            {navItem("discover", t("nav-discover"), { name: "discover" })}
            {navItem("tickets", t("nav-tickets"), { name: "tickets" })}
            {navItem("door", t("nav-door"), { name: "door" })}
            {isOrganizer && navItem("organizer", t("nav-organizer"), { name: "organizer" })}
            {session?.is_admin && navItem("admin", t("nav-admin"), { name: "admin" })}
            {navItem("account", session ? t("nav-account") : t("nav-sign-in"), { name: "account" })}
          </ul>
        </nav>
        <main data-route={route.name}>
          <Screen route={route} />
        </main>
        <footer class="app-footer">
          {t("shell-version", { version: info.version })}
          {sync && !sync.catalog_ready && <span> · {t("shell-catalog-downloading")}</span>}
        </footer>
      </div>
    </AppContext.Provider>
  );
}

function Screen({ route }: { route: Route }) {
  switch (route.name) {
    case "discover":
      return <Discover />;
    case "event":
      return <EventScreen key={route.id} eventId={route.id} />;
    case "pay":
      return <Payment key={route.orderId} route={route} />;
    case "tickets":
      return <Tickets focusTicket={route.ticketId} />;
    case "door":
      return <Door />;
    case "organizer":
      return <Organizer />;
    case "admin":
      return <Admin />;
    case "account":
      return <Account />;
  }
}
