// Typed calls into the Tauri shell. The UI never talks to the server directly.
import { invoke } from "@tauri-apps/api/core";
import type { AppInfo } from "./bindings/AppInfo";
import type { ErrorBody } from "./bindings/ErrorBody";
import type { EventPage } from "./bindings/EventPage";
import type { Lang } from "./bindings/Lang";

export const appInfo = () => invoke<AppInfo>("app_info");
export const setLanguage = (lang: Lang) => invoke<void>("set_language", { lang });
export const listEvents = (offset: number) => invoke<EventPage>("list_events", { offset });

/** Commands reject with `{code, message}`; anything else (a bug) becomes an internal error. */
export function asErrorBody(e: unknown): ErrorBody {
  if (typeof e === "object" && e !== null && "code" in e && "message" in e) return e as ErrorBody;
  return { code: "internal", message: String(e) };
}
