// One event in a list: `.event-card[data-event-id]` (click or Enter opens it), with
// `.event-distance` when sorted by distance.
import type { EventSummary } from "../bindings/EventSummary";
import { useApp } from "../context";
import { formatDistance, formatMoney, formatWhen } from "../format";
import { cityName, pick, t } from "../i18n";

export function EventCard({ event, distanceKm }: { event: EventSummary; distanceKm: number | null }) {
  const { lang, navigate } = useApp();
  const open = () => navigate({ name: "event", id: event.id });
  const price = event.price_from;
  return (
    <li class={`event-card category-${event.category}`} data-event-id={event.id} onClick={open}>
      <div class="event-meta">
        <span class="chip">{t(`category-${event.category}`)}</span>
        <time dateTime={event.starts_at}>{formatWhen(event.starts_at, event.time_zone, lang)}</time>
      </div>
      <h3 class="event-title">
        <button type="button" class="link-button" onClick={(e) => (e.stopPropagation(), open())}>
          {pick(event.title, lang)}
        </button>
      </h3>
      <p class="event-venue">{t("event-venue", { venue: pick(event.venue.name, lang), city: cityName(event.venue.city) })}</p>
      <p class="event-organizer">{pick(event.organizer, lang)}</p>
      <div class="event-foot">
        <p class="event-price">
          {price === null || price.minor === 0 ? t("event-free") : t("event-price-from", { price: formatMoney(price, lang) })}
        </p>
        {distanceKm !== null && (
          <p class="event-distance" data-km={distanceKm}>
            {t("discover-distance", { km: formatDistance(distanceKm, lang) })}
          </p>
        )}
      </div>
    </li>
  );
}
