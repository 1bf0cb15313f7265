import { useEffect, useState } from "preact/hooks";
import type { ErrorBody } from "../bindings/ErrorBody";
import type { EventSummary } from "../bindings/EventSummary";
import type { Lang } from "../bindings/Lang";
import { formatMoney, formatWhen } from "../format";
import { t } from "../i18n";
import { asErrorBody, listEvents } from "../ipc";

type Load =
  | { state: "loading" }
  | { state: "ready"; events: EventSummary[]; total: number }
  | { state: "failed"; error: ErrorBody };

/** How often the home screen tries again by itself while the server is out of reach. */
const RETRY_MS = 10_000;

/** Upcoming events from the server, soonest first. */
export function Home({ lang, serverUrl }: { lang: Lang; serverUrl: string }) {
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    listEvents(0)
      .then((page) => live && setLoad({ state: "ready", events: page.events, total: page.total }))
      .catch((e) => live && setLoad({ state: "failed", error: asErrorBody(e) }));
    return () => {
      live = false;
    };
  }, [lang, attempt]);

  useEffect(() => {
    if (load.state !== "failed") return;
    const timer = setTimeout(() => setAttempt((n) => n + 1), RETRY_MS);
    return () => clearTimeout(timer);
  }, [load]);

  if (load.state === "loading") {
    return <p class="status" id="status-loading">{t("home-loading")}</p>;
  }
  if (load.state === "failed") {
    return (
      <div class="error-banner" id="error-banner" role="alert" data-code={load.error.code}>
        <p>{load.error.message}</p>
        <button type="button" onClick={() => setAttempt((n) => n + 1)}>
          {t("home-retry")}
        </button>
      </div>
    );
  }
  return (
    <section class="home">
      <div class="home-heading">
        <h2>{t("home-heading")}</h2>
        <span class="count" id="event-count">{t("home-count", { count: load.total })}</span>
      </div>
      {load.events.length === 0 ? (
        <p class="status">{t("home-empty")}</p>
      ) : (
        <ul class="event-list">
          {load.events.map((event) => (
            <EventCard key={event.id} event={event} lang={lang} />
          ))}
        </ul>
      )}
      <p class="server-note">{t("home-server", { url: serverUrl })}</p>
    </section>
  );
}

function EventCard({ event, lang }: { event: EventSummary; lang: Lang }) {
  const pick = (text: { ar: string; en: string }) => (lang === "ar" ? text.ar || text.en : text.en || text.ar);
  const price = event.price_from;
  return (
    <li class={`event-card category-${event.category}`} data-event-id={event.id}>
      <div class="event-meta">
        <span class="chip">{t(`category-${event.category}`)}</span>
        <time dateTime={event.starts_at}>{formatWhen(event.starts_at, event.time_zone, lang)}</time>
      </div>
      <h3 class="event-title">{pick(event.title)}</h3>
      <p class="event-venue">
        {t("event-venue", { venue: pick(event.venue.name), city: t(`city-${event.venue.city.replace("_", "-")}`) })}
      </p>
      <p class="event-organizer">{pick(event.organizer)}</p>
      <p class="event-price">
        {price === null || price.minor === 0
          ? t("event-free")
          : t("event-price-from", { price: formatMoney(price, lang) })}
      </p>
    </li>
  );
}
