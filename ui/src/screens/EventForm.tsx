// Create or edit an event: Arabic and English fields side by side (Arabic dir="rtl", English
// dir="ltr"), times typed as Amman wall time, ticket prices in JOD with 3 decimals.
//
// Test hooks: #event-form[data-event-id][data-status], #event-title-ar, #event-title-en,
// #event-description-ar, #event-description-en, #event-category, #event-city,
// #event-venue-ar, #event-venue-en, #event-address-ar, #event-address-en, #event-lat,
// #event-lng, #event-start, #event-end (datetime-local, Asia/Amman), #event-tags;
// .tt-row[data-index] with .tt-name-ar, .tt-name-en, .tt-price, .tt-capacity, .tt-remove;
// #tt-add; #event-save, #event-submit, #event-cancel-edit; #event-saved, #event-submitted,
// #event-form-error[data-code], #event-rejection.
import { useState } from "preact/hooks";
import type { Category } from "../bindings/Category";
import type { City } from "../bindings/City";
import type { ErrorBody } from "../bindings/ErrorBody";
import type { EventInput } from "../bindings/EventInput";
import type { OrganizerEvent } from "../bindings/OrganizerEvent";
import type { TicketTypeInput } from "../bindings/TicketTypeInput";
import type { TicketTypeView } from "../bindings/TicketTypeView";
import { ErrorBox, Note } from "../components/Status";
import { filsToJod, jodToFils, localToRfc3339, rfc3339ToLocal, toLatinDigits } from "../format";
import { cityName, t } from "../i18n";
import { asErrorBody, createEvent, submitEvent, updateEvent } from "../ipc";
import { CATEGORIES, CITIES, CITY_CENTRES } from "../places";

type TicketRow = { key: number; original: TicketTypeView | null; nameAr: string; nameEn: string; price: string; capacity: string };

type Form = {
  titleAr: string;
  titleEn: string;
  descriptionAr: string;
  descriptionEn: string;
  category: Category;
  city: City;
  venueAr: string;
  venueEn: string;
  addressAr: string;
  addressEn: string;
  lat: string;
  lng: string;
  start: string;
  end: string;
  tags: string;
  ticketTypes: TicketRow[];
};

let nextKey = 1;

function emptyRow(): TicketRow {
  return { key: nextKey++, original: null, nameAr: "", nameEn: "", price: "", capacity: "100" };
}

function fromEvent(ev: OrganizerEvent | null): Form {
  if (!ev) {
    const c = CITY_CENTRES.amman;
    return {
      titleAr: "",
      titleEn: "",
      descriptionAr: "",
      descriptionEn: "",
      category: "music",
      city: "amman",
      venueAr: "",
      venueEn: "",
      addressAr: "",
      addressEn: "",
      lat: String(c.lat),
      lng: String(c.lng),
      start: "",
      end: "",
      tags: "",
      ticketTypes: [emptyRow()],
    };
  }
  return {
    titleAr: ev.title.ar,
    titleEn: ev.title.en,
    descriptionAr: ev.description.ar,
    descriptionEn: ev.description.en,
    category: ev.category,
    city: ev.venue.city,
    venueAr: ev.venue.name.ar,
    venueEn: ev.venue.name.en,
    addressAr: ev.venue.address.ar,
    addressEn: ev.venue.address.en,
    lat: String(ev.venue.location.lat),
    lng: String(ev.venue.location.lng),
    start: rfc3339ToLocal(ev.starts_at, ev.time_zone),
    end: rfc3339ToLocal(ev.ends_at, ev.time_zone),
    tags: ev.tags.join(", "),
    ticketTypes: ev.ticket_types.map((tt) => ({
      key: nextKey++,
      original: tt,
      nameAr: tt.name.ar,
      nameEn: tt.name.en,
      price: filsToJod(tt.price.minor),
      capacity: String(tt.capacity),
    })),
  };
}

const ZONE = "Asia/Amman";

/** The form as the server takes it, or the first problem found on the device. */
function toInput(f: Form, version: number | null): EventInput | ErrorBody {
  const invalid = (message: string): ErrorBody => ({ code: "invalid_parameter", message });
  const lat = Number(toLatinDigits(f.lat));
  const lng = Number(toLatinDigits(f.lng));
  if (!f.lat.trim() || !f.lng.trim() || Number.isNaN(lat) || Number.isNaN(lng)) return invalid(t("form-location-invalid"));
  const starts = localToRfc3339(f.start, ZONE);
  const ends = localToRfc3339(f.end, ZONE);
  if (!starts || !ends) return invalid(t("form-times-required"));
  const ticketTypes: TicketTypeInput[] = [];
  for (const [i, row] of f.ticketTypes.entries()) {
    const fils = jodToFils(row.price);
    if (fils === null) return invalid(t("form-price-invalid", { row: i + 1 }));
    const capacity = Number(toLatinDigits(row.capacity));
    if (!Number.isInteger(capacity)) return invalid(t("form-capacity-invalid", { row: i + 1 }));
    const o = row.original;
    ticketTypes.push({
      ...(o ? { id: o.id, per_order_limit: o.per_order_limit, entry_policy: o.entry_policy } : {}),
      ...(o?.sales_start ? { sales_start: o.sales_start } : {}),
      ...(o?.sales_end ? { sales_end: o.sales_end } : {}),
      name: { ar: row.nameAr.trim(), en: row.nameEn.trim() },
      price: { minor: fils, currency: "JOD" },
      capacity,
    });
  }
  const input: EventInput = {
    title: { ar: f.titleAr.trim(), en: f.titleEn.trim() },
    description: { ar: f.descriptionAr.trim(), en: f.descriptionEn.trim() },
    category: f.category,
    tags: f.tags
      .split(/[,،]/)
      .map((s) => s.trim())
      .filter(Boolean),
    venue: {
      name: { ar: f.venueAr.trim(), en: f.venueEn.trim() },
      address: { ar: f.addressAr.trim(), en: f.addressEn.trim() },
      city: f.city,
      location: { lat, lng },
    },
    starts_at: starts,
    ends_at: ends,
    time_zone: ZONE,
    ticket_types: ticketTypes,
  };
  if (version !== null) input.version = version;
  return input;
}

export function EventForm({
  organizationId,
  event: initial,
  onDone,
}: {
  organizationId: string;
  event: OrganizerEvent | null;
  onDone: () => void;
}) {
  const [event, setEvent] = useState<OrganizerEvent | null>(initial);
  const [form, setForm] = useState<Form>(() => fromEvent(initial));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [note, setNote] = useState<"saved" | "submitted" | null>(null);

  const set = <K extends keyof Form>(key: K, value: Form[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setNote(null);
  };
  const setRow = (i: number, patch: Partial<TicketRow>) =>
    set(
      "ticketTypes",
      form.ticketTypes.map((r, j) => (j === i ? { ...r, ...patch } : r)),
    );

  const save = async (): Promise<OrganizerEvent | null> => {
    const input = toInput(form, event?.version ?? null);
    if ("code" in input) {
      setError(input);
      return null;
    }
    const saved = event ? await updateEvent(organizationId, event.id, input) : await createEvent(organizationId, input);
    setEvent(saved);
    return saved;
  };

  const run = async (what: "save" | "submit") => {
    setBusy(true);
    setError(null);
    setNote(null);
    try {
      const saved = await save();
      if (saved && what === "submit") {
        const submitted = await submitEvent(organizationId, saved.id);
        setEvent(submitted);
        setNote("submitted");
      } else if (saved) {
        setNote("saved");
      }
    } catch (e) {
      setError(asErrorBody(e));
    } finally {
      setBusy(false);
    }
  };

  const text = (id: string, key: keyof Form, label: string, dir: "rtl" | "ltr", lang: "ar" | "en", multiline = false) => (
    <div class="field">
      <label for={id}>{label}</label>
      {multiline ? (
        <textarea id={id} dir={dir} lang={lang} rows={5} value={form[key] as string} onInput={(e) => set(key, e.currentTarget.value as never)} />
      ) : (
        <input id={id} dir={dir} lang={lang} value={form[key] as string} onInput={(e) => set(key, e.currentTarget.value as never)} />
      )}
    </div>
  );

  const editable = !event || event.status === "draft" || event.status === "rejected" || event.status === "published" || event.status === "pending_review";
  return (
    <form
      class="event-form card"
      id="event-form"
      data-event-id={event?.id ?? ""}
      data-status={event?.status ?? "new"}
      onSubmit={(e) => {
        e.preventDefault();
        void run("save");
      }}
    >
      <div class="form-head">
        <h3>{event ? t("form-edit-heading") : t("form-new-heading")}</h3>
        {event && (
          <span class={`badge status-badge status-${event.status}`} data-status={event.status}>
            {t(`status-${event.status}`)}
          </span>
        )}
      </div>
      {event?.status === "rejected" && event.rejection_reason && (
        <div class="error-banner" id="event-rejection" role="alert" data-code="rejected">
          <p>{t("org-rejected-because", { reason: event.rejection_reason })}</p>
        </div>
      )}
      <fieldset>
        <legend>{t("form-about")}</legend>
        <div class="bilingual">
          {text("event-title-ar", "titleAr", t("form-title-ar"), "rtl", "ar")}
          {text("event-title-en", "titleEn", t("form-title-en"), "ltr", "en")}
        </div>
        <div class="bilingual">
          {text("event-description-ar", "descriptionAr", t("form-description-ar"), "rtl", "ar", true)}
          {text("event-description-en", "descriptionEn", t("form-description-en"), "ltr", "en", true)}
        </div>
        <div class="row">
          <div class="field">
            <label for="event-category">{t("discover-category")}</label>
            <select id="event-category" value={form.category} onChange={(e) => set("category", e.currentTarget.value as Category)}>
              {CATEGORIES.map((c) => (
                <option value={c} key={c}>
                  {t(`category-${c}`)}
                </option>
              ))}
            </select>
          </div>
          <div class="field grow">
            <label for="event-tags">{t("form-tags")}</label>
            <input id="event-tags" dir="auto" value={form.tags} onInput={(e) => set("tags", e.currentTarget.value)} />
          </div>
        </div>
      </fieldset>
      <fieldset>
        <legend>{t("form-venue")}</legend>
        <div class="bilingual">
          {text("event-venue-ar", "venueAr", t("form-venue-ar"), "rtl", "ar")}
          {text("event-venue-en", "venueEn", t("form-venue-en"), "ltr", "en")}
        </div>
        <div class="bilingual">
          {text("event-address-ar", "addressAr", t("form-address-ar"), "rtl", "ar")}
          {text("event-address-en", "addressEn", t("form-address-en"), "ltr", "en")}
        </div>
        <div class="row">
          <div class="field">
            <label for="event-city">{t("discover-city")}</label>
            <select
              id="event-city"
              value={form.city}
              onChange={(e) => {
                const c = e.currentTarget.value as City;
                const centre = CITY_CENTRES[c];
                setForm((f) => ({ ...f, city: c, lat: String(centre.lat), lng: String(centre.lng) }));
              }}
            >
              {CITIES.map((c) => (
                <option value={c} key={c}>
                  {cityName(c)}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="event-lat">{t("form-lat")}</label>
            <input id="event-lat" dir="ltr" inputMode="decimal" value={form.lat} onInput={(e) => set("lat", e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="event-lng">{t("form-lng")}</label>
            <input id="event-lng" dir="ltr" inputMode="decimal" value={form.lng} onInput={(e) => set("lng", e.currentTarget.value)} />
          </div>
        </div>
      </fieldset>
      <fieldset>
        <legend>{t("form-when")}</legend>
        <div class="row">
          <div class="field">
            <label for="event-start">{t("form-start")}</label>
            <input id="event-start" type="datetime-local" value={form.start} onInput={(e) => set("start", e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="event-end">{t("form-end")}</label>
            <input id="event-end" type="datetime-local" value={form.end} onInput={(e) => set("end", e.currentTarget.value)} />
          </div>
        </div>
        <p class="hint">{t("form-amman-time")}</p>
      </fieldset>
      <fieldset>
        <legend>{t("form-ticket-types")}</legend>
        {form.ticketTypes.map((row, i) => (
          <div class="tt-row" data-index={i} key={row.key}>
            <div class="bilingual">
              <div class="field">
                <label for={`tt-name-ar-${row.key}`}>{t("form-tt-name-ar")}</label>
                <input
                  id={`tt-name-ar-${row.key}`}
                  class="tt-name-ar"
                  dir="rtl"
                  lang="ar"
                  value={row.nameAr}
                  onInput={(e) => setRow(i, { nameAr: e.currentTarget.value })}
                />
              </div>
              <div class="field">
                <label for={`tt-name-en-${row.key}`}>{t("form-tt-name-en")}</label>
                <input
                  id={`tt-name-en-${row.key}`}
                  class="tt-name-en"
                  dir="ltr"
                  lang="en"
                  value={row.nameEn}
                  onInput={(e) => setRow(i, { nameEn: e.currentTarget.value })}
                />
              </div>
            </div>
            <div class="row">
              <div class="field">
                <label for={`tt-price-${row.key}`}>{t("form-tt-price")}</label>
                <input
                  id={`tt-price-${row.key}`}
                  class="tt-price"
                  dir="ltr"
                  inputMode="decimal"
                  placeholder="0.000"
                  value={row.price}
                  onInput={(e) => setRow(i, { price: e.currentTarget.value })}
                  onBlur={() => {
                    const fils = jodToFils(row.price);
                    if (fils !== null) setRow(i, { price: filsToJod(fils) });
                  }}
                />
              </div>
              <div class="field">
                <label for={`tt-capacity-${row.key}`}>{t("form-tt-capacity")}</label>
                <input
                  id={`tt-capacity-${row.key}`}
                  class="tt-capacity"
                  dir="ltr"
                  inputMode="numeric"
                  value={row.capacity}
                  onInput={(e) => setRow(i, { capacity: e.currentTarget.value })}
                />
              </div>
              <button
                type="button"
                class="tt-remove secondary"
                onClick={() =>
                  set(
                    "ticketTypes",
                    form.ticketTypes.filter((_, j) => j !== i),
                  )
                }
              >
                {t("form-tt-remove")}
              </button>
            </div>
          </div>
        ))}
        <button type="button" id="tt-add" class="secondary" onClick={() => set("ticketTypes", [...form.ticketTypes, emptyRow()])}>
          {t("form-tt-add")}
        </button>
      </fieldset>
      {error && <ErrorBox id="event-form-error" error={error} />}
      {note === "saved" && <Note id="event-saved">{t("form-saved")}</Note>}
      {note === "submitted" && <Note id="event-submitted">{t("form-submitted")}</Note>}
      <div class="actions sticky-actions">
        <button type="submit" id="event-save" class="primary" disabled={busy || !editable}>
          {busy ? t("common-working") : t("form-save")}
        </button>
        {(!event || event.status === "draft" || event.status === "rejected") && (
          <button type="button" id="event-submit" disabled={busy} onClick={() => run("submit")}>
            {t("form-save-submit")}
          </button>
        )}
        <button type="button" id="event-cancel-edit" class="secondary" onClick={onDone}>
          {t("form-close")}
        </button>
      </div>
    </form>
  );
}
