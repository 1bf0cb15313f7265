// Money, dates and counts the way people in Jordan read them. Latin digits unless the person
// turned on Arabic-Indic digits (then `numberingSystem: "arab"` in Arabic).
import type { Lang } from "./bindings/Lang";
import type { Money } from "./bindings/Money";
import { arabicDigitsOn } from "./i18n";

const MINOR_DIGITS: Record<Money["currency"], number> = { JOD: 3, USD: 2 };

function locale(lang: Lang): string {
  return lang === "ar" ? "ar-JO" : "en-JO";
}

/** "arab" (٠١٢) in Arabic when the setting is on, else "latn". */
export function numberingSystem(lang: Lang): string {
  return lang === "ar" && arabicDigitsOn() ? "arab" : "latn";
}

/** 12500 fils → "JOD 12.500" / "12.500 د.أ." — every fils digit shown. */
export function formatMoney(money: Money, lang: Lang): string {
  const digits = MINOR_DIGITS[money.currency];
  return new Intl.NumberFormat(locale(lang), {
    style: "currency",
    currency: money.currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
    numberingSystem: numberingSystem(lang),
  }).format(money.minor / 10 ** digits);
}

/** Fils as JOD money. */
export function formatFils(fils: number, lang: Lang): string {
  return formatMoney({ minor: fils, currency: "JOD" }, lang);
}

/** A count or any plain number. */
export function formatNumber(n: number, lang: Lang, fractionDigits = 0): string {
  return new Intl.NumberFormat(locale(lang), {
    minimumFractionDigits: fractionDigits,
    maximumFractionDigits: fractionDigits,
    numberingSystem: numberingSystem(lang),
  }).format(n);
}

/** A distance in km, one decimal under 10 km. */
export function formatDistance(km: number, lang: Lang): string {
  return formatNumber(km, lang, km < 10 ? 1 : 0);
}

/** An event's start in its own zone (Asia/Amman), e.g. "Fri 12 Dec, 20:00". */
export function formatWhen(iso: string, timeZone: string, lang: Lang): string {
  return new Intl.DateTimeFormat(locale(lang), {
    timeZone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    numberingSystem: numberingSystem(lang),
  }).format(new Date(iso));
}

/** A full date and time, e.g. "Friday 12 December 2026, 20:00". */
export function formatWhenLong(iso: string, timeZone: string, lang: Lang): string {
  return new Intl.DateTimeFormat(locale(lang), {
    timeZone,
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    numberingSystem: numberingSystem(lang),
  }).format(new Date(iso));
}

/** Only the time of day, e.g. "22:30". */
export function formatTime(iso: string, timeZone: string, lang: Lang): string {
  return new Intl.DateTimeFormat(locale(lang), {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    numberingSystem: numberingSystem(lang),
  }).format(new Date(iso));
}

/** A fils amount as typed in a form: 12500 → "12.500". */
export function filsToJod(fils: number): string {
  return (fils / 1000).toFixed(3);
}

/** "12.5" / "12.500" / "12" → 12500 fils; null when it is not a JOD amount with ≤ 3 decimals. */
export function jodToFils(text: string): number | null {
  const m = /^\s*(\d{1,6})(?:[.,\u066b](\d{0,3}))?\s*$/.exec(toLatinDigits(text));
  if (!m) return null;
  const whole = Number(m[1]);
  const frac = Number((m[2] ?? "").padEnd(3, "0"));
  return whole * 1000 + frac;
}

/** Arabic-Indic (٠-٩) and Persian (۰-۹) digits to Latin ones, for number inputs. */
export function toLatinDigits(text: string): string {
  return text.replace(/[\u0660-\u0669\u06f0-\u06f9]/g, (d) => String((d.charCodeAt(0) & 0xf) % 10));
}

/** The UTC offset of `zone` at `instant`, in minutes (Asia/Amman: +180). */
function zoneOffsetMinutes(zone: string, instant: Date): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour") % 24, get("minute"), get("second"));
  return Math.round((asUtc - instant.getTime()) / 60000);
}

/** A `datetime-local` value ("2026-12-20T20:00") read as wall time in `zone` → RFC 3339 with its offset. */
export function localToRfc3339(local: string, zone = "Asia/Amman"): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local);
  if (!m) return null;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  let offset = zoneOffsetMinutes(zone, new Date(wall));
  offset = zoneOffsetMinutes(zone, new Date(wall - offset * 60000));
  const sign = offset >= 0 ? "+" : "-";
  const abs = Math.abs(offset);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00${sign}${hh}:${mm}`;
}

/** An instant → the `datetime-local` value of its wall time in `zone`. */
export function rfc3339ToLocal(iso: string, zone = "Asia/Amman"): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const shifted = new Date(d.getTime() + zoneOffsetMinutes(zone, d) * 60000);
  return shifted.toISOString().slice(0, 16);
}
