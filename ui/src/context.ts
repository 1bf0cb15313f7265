// What every screen shares: the language, the session, the sync status and navigation.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Lang } from "./bindings/Lang";
import type { AppInfo, OrgRole, Session, SyncStatus } from "./ipc";
import type { Route } from "./router";

export type AppState = {
  lang: Lang;
  info: AppInfo;
  session: Session | null;
  setSession: (s: Session | null) => void;
  sync: SyncStatus | null;
  navigate: (route: Route) => void;
  back: () => void;
  setLang: (lang: Lang) => void;
  arabicDigits: boolean;
  setArabicDigits: (on: boolean) => void;
};

export const AppContext = createContext<AppState>(null as unknown as AppState);

export function useApp(): AppState {
  return useContext(AppContext);
}

/** Roles that see the organizer screens. */
export const ORGANIZER_ROLES: OrgRole[] = ["owner", "manager", "analyst"];

export function isOnline(state: AppState): boolean {
  return state.sync?.online ?? true;
}
