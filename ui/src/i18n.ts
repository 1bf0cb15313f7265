// Fluent strings for the UI, from the same locales/ files the Rust side uses.
import { FluentBundle, FluentResource, type FluentVariable } from "@fluent/bundle";
import arSource from "../../locales/ar/hafla.ftl?raw";
import enSource from "../../locales/en/hafla.ftl?raw";
import type { Lang } from "./bindings/Lang";

function bundle(locale: string, source: string): FluentBundle {
  const b = new FluentBundle(locale);
  const errors = b.addResource(new FluentResource(source));
  for (const e of errors) console.error(`locales (${locale}):`, e);
  return b;
}

// Arabic numbers use Latin digits by default, as Jordanian tickets and prices do (dates and
// money match); the Arabic-Indic digits setting (٠١٢) switches to a second Arabic bundle.
const bundles: Record<Lang, FluentBundle> = { ar: bundle("ar-u-nu-latn", arSource), en: bundle("en", enSource) };
const arabicIndic = bundle("ar-u-nu-arab", arSource);
let current: Lang = "ar";
let arabicDigits = false;

/** Whether numbers in Arabic are written with Arabic-Indic digits (٠١٢). */
export function arabicDigitsOn(): boolean {
  return arabicDigits;
}

export function applyArabicDigits(on: boolean): void {
  arabicDigits = on;
}

function bundleFor(lang: Lang): FluentBundle {
  return lang === "ar" && arabicDigits ? arabicIndic : bundles[lang];
}

/** The language a first run should use: Arabic when the system prefers it, else English. */
export function systemLang(): Lang {
  const preferred = navigator.languages.length ? navigator.languages : [navigator.language];
  for (const tag of preferred) {
    const primary = tag.toLowerCase().split(/[-_]/)[0];
    if (primary === "ar" || primary === "en") return primary;
  }
  return "en";
}

export function currentLang(): Lang {
  return current;
}

/** Switches the strings and mirrors the whole layout (dir="rtl" for Arabic). */
export function applyLang(lang: Lang): void {
  current = lang;
  const root = document.documentElement;
  root.lang = lang;
  root.dir = lang === "ar" ? "rtl" : "ltr";
  document.title = t("app-title");
}

/** The message `id` in the current language (falling back to English, then to the id). */
export function t(id: string, args?: Record<string, FluentVariable>): string {
  for (const lang of [current, "en"] as const) {
    const b = bundleFor(lang);
    const message = b.getMessage(id);
    if (message?.value) return b.formatPattern(message.value, args);
  }
  return id;
}

/** Picks the text of a pair in the current language, falling back to the other one. */
export function pick(text: { ar: string; en: string }, lang: Lang = current): string {
  return lang === "ar" ? text.ar || text.en : text.en || text.ar;
}

/** The Fluent id of a city (`wadi_musa` → `city-wadi-musa`). */
export function cityName(city: string): string {
  return t(`city-${city.replace(/_/g, "-")}`);
}

/**
 * The message `id` cut around the arguments named in `ltr` (phone numbers, codes): the
 * returned parts alternate text and those arguments' values, so a screen can show each
 * value in a left-to-right <bdi> inside Arabic text.
 */
export function tParts(
  id: string,
  args: Record<string, FluentVariable>,
  ltr: string[],
): { text: string; ltr: boolean }[] {
  const marked: Record<string, FluentVariable> = { ...args };
  for (const name of ltr) marked[name] = `\ue000${name}\ue001`;
  const out: { text: string; ltr: boolean }[] = [];
  for (const piece of t(id, marked).split(/\u2068?\ue000([^\ue001]*)\ue001\u2069?/)) {
    const isArg = out.length % 2 === 1;
    out.push(isArg ? { text: String(args[piece] ?? ""), ltr: true } : { text: piece, ltr: false });
  }
  return out;
}
