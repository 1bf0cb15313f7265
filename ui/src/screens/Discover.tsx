// Discover (the start screen): search the device's copy of the catalog, in Arabic or English,
// with category and city filters and "near me".
//
// Test hooks: #search-input, #filter-category, #filter-city, #near-me, #near-city (shown when
// the device location is not available), #near-clear, #discover-results[data-count]
// [data-query] (the words these results are for), .event-card[data-event-id],
// .event-distance, #discover-empty, #catalog-waiting, #error-banner[data-code] (the last
// sync's error while the catalog has never arrived).
import { useEffect, useState } from "preact/hooks";
import type { Category } from "../bindings/Category";
import type { City } from "../bindings/City";
import { EventCard } from "../components/EventCard";
import { ErrorBox, Loaded } from "../components/Status";
import { useApp } from "../context";
import { useListen, useLoad } from "../hooks";
import { cityName, t } from "../i18n";
import { onDataChanged, searchEvents } from "../ipc";
import { CATEGORIES, CITIES, CITY_CENTRES } from "../places";

type Near = { lat: number; lng: number; source: "device" | City };

export function Discover() {
  const { lang, sync } = useApp();
  const [text, setText] = useState("");
  const [query, setQuery] = useState("");
  const [category, setCategory] = useState<Category | null>(null);
  const [city, setCity] = useState<City | null>(null);
  const [near, setNear] = useState<Near | null>(null);
  const [locating, setLocating] = useState(false);
  const [askCity, setAskCity] = useState(false);

  // Search as the person types, a moment after the last key.
  useEffect(() => {
    const id = setTimeout(() => setQuery(text.trim()), 200);
    return () => clearTimeout(id);
  }, [text]);

  const [load, reload] = useLoad(
    () =>
      searchEvents({ query, category, city, near: near && { lat: near.lat, lng: near.lng }, limit: 100 }).then((cards) => ({
        cards,
        query,
      })),
    [query, category, city, near?.lat, near?.lng, lang],
  );
  useListen(onDataChanged, (what) => what === "catalog" && reload());

  const nearMe = () => {
    if (!("geolocation" in navigator)) {
      setAskCity(true);
      return;
    }
    setLocating(true);
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        setLocating(false);
        setAskCity(false);
        setNear({ lat: pos.coords.latitude, lng: pos.coords.longitude, source: "device" });
      },
      () => {
        setLocating(false);
        setAskCity(true);
      },
      { timeout: 8000, maximumAge: 600_000 },
    );
  };

  return (
    <section class="discover">
      <h2>{t("discover-heading")}</h2>
      <form class="search-bar" role="search" onSubmit={(e) => (e.preventDefault(), setQuery(text.trim()))}>
        <div class="field grow">
          <label for="search-input">{t("discover-search-label")}</label>
          <input
            id="search-input"
            type="search"
            value={text}
            placeholder={t("discover-search-placeholder")}
            dir="auto"
            autoComplete="off"
            onInput={(e) => setText(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="filter-category">{t("discover-category")}</label>
          <select
            id="filter-category"
            value={category ?? ""}
            onChange={(e) => setCategory((e.currentTarget.value || null) as Category | null)}
          >
            <option value="">{t("discover-any-category")}</option>
            {CATEGORIES.map((c) => (
              <option value={c} key={c}>
                {t(`category-${c}`)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-city">{t("discover-city")}</label>
          <select id="filter-city" value={city ?? ""} onChange={(e) => setCity((e.currentTarget.value || null) as City | null)}>
            <option value="">{t("discover-any-city")}</option>
            {CITIES.map((c) => (
              <option value={c} key={c}>
                {cityName(c)}
              </option>
            ))}
          </select>
        </div>
        <div class="field near">
          <button type="button" id="near-me" aria-pressed={near !== null} onClick={nearMe} disabled={locating}>
            {locating ? t("discover-locating") : t("discover-near-me")}
          </button>
          {near && (
            <button type="button" id="near-clear" class="secondary" onClick={() => setNear(null)}>
              {t("discover-near-clear")}
            </button>
          )}
        </div>
      </form>
      {askCity && (
        <div class="field near-city">
          <label for="near-city">{t("discover-near-city")}</label>
          <select
            id="near-city"
            value={near && near.source !== "device" ? near.source : ""}
            onChange={(e) => {
              const c = e.currentTarget.value as City | "";
              setNear(c ? { ...CITY_CENTRES[c], source: c } : null);
            }}
          >
            <option value="">{t("discover-choose-city")}</option>
            {CITIES.map((c) => (
              <option value={c} key={c}>
                {cityName(c)}
              </option>
            ))}
          </select>
        </div>
      )}
      {near && (
        <p class="status" id="near-note">
          {near.source === "device" ? t("discover-sorted-near-you") : t("discover-sorted-near-city", { city: cityName(near.source) })}
        </p>
      )}
      {sync?.last_error && !sync.catalog_ready && <ErrorBox id="error-banner" error={sync.last_error} onRetry={reload} />}
      <Loaded load={load} retry={reload} loadingText={t("discover-loading")}>
        {({ cards, query: shownQuery }) =>
          cards.length === 0 ? (
            sync && !sync.catalog_ready ? (
              <p class="status" id="catalog-waiting">
                {t("discover-catalog-waiting")}
              </p>
            ) : (
              <p class="status" id="discover-empty" data-query={shownQuery}>
                {query || category || city ? t("discover-no-match") : t("home-empty")}
              </p>
            )
          ) : (
            <>
              <p class="count" id="event-count">
                {t("home-count", { count: cards.length })}
              </p>
              <ul class="event-list" id="discover-results" data-count={cards.length} data-query={shownQuery}>
                {cards.map((c) => (
                  <EventCard key={c.event.id} event={c.event} distanceKm={c.distance_km} />
                ))}
              </ul>
            </>
          )
        }
      </Loaded>
    </section>
  );
}
