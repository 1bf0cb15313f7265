// Money and dates the way people in Jordan read them.
import type { Lang } from "./bindings/Lang";
import type { Money } from "./bindings/Money";

const MINOR_DIGITS: Record<Money["currency"], number> = { JOD: 3, USD: 2 };

function locale(lang: Lang): string {
  return lang === "ar" ? "ar-JO" : "en-JO";
}

/** 12500 fils → "JOD 12.500" / "12.500 د.أ." — every fils digit shown, Latin digits. */
export function formatMoney(money: Money, lang: Lang): string {
  const digits = MINOR_DIGITS[money.currency];
  return new Intl.NumberFormat(locale(lang), {
    style: "currency",
    currency: money.currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
    numberingSystem: "latn",
  }).format(money.minor / 10 ** digits);
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
    numberingSystem: "latn",
  }).format(new Date(iso));
}
