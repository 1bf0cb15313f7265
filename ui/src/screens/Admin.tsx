// Platform admin: the moderation queue, longest waiting first, with approve and reject (a
// reason is required, the organizer sees it).
//
// Test hooks: #review-queue[data-count], .review-item[data-event-id] with .approve,
// .reject-reason, .reject, .review-error[data-code]; #review-empty; #review-done.
import { useState } from "preact/hooks";
import type { EventListItem } from "../bindings/EventListItem";
import { ErrorBox, Loaded, Note } from "../components/Status";
import { useApp } from "../context";
import { formatWhen } from "../format";
import { useAction, useLoad } from "../hooks";
import { cityName, pick, t } from "../i18n";
import { approveEvent, rejectEvent } from "../ipc";
import { reviewQueue } from "../ipc";

export function Admin() {
  const app = useApp();
  const [queue, reload] = useLoad(reviewQueue, [app.session?.user_id]);
  const [done, setDone] = useState<string | null>(null);
  if (!app.session?.is_admin) {
    return <p class="status">{t("error-forbidden")}</p>;
  }
  return (
    <section class="admin">
      <h2>{t("admin-heading")}</h2>
      {done && <Note id="review-done">{done}</Note>}
      <Loaded load={queue} retry={reload}>
        {(page) =>
          page.events.length === 0 ? (
            <p class="status" id="review-empty">
              {t("admin-empty")}
            </p>
          ) : (
            <>
              <p class="count">{t("admin-count", { count: page.total })}</p>
              <ul class="review-queue" id="review-queue" data-count={page.events.length}>
                {page.events.map((ev) => (
                  <ReviewItem
                    event={ev}
                    key={ev.id}
                    onDone={(message) => {
                      setDone(message);
                      reload();
                    }}
                  />
                ))}
              </ul>
            </>
          )
        }
      </Loaded>
    </section>
  );
}

function ReviewItem({ event, onDone }: { event: EventListItem; onDone: (message: string) => void }) {
  const { lang } = useApp();
  const [reason, setReason] = useState("");
  const [missingReason, setMissingReason] = useState(false);
  const title = pick(event.title, lang);
  const [action, run] = useAction(async (approve: boolean) => {
    if (approve) await approveEvent(event.id);
    else await rejectEvent(event.id, reason.trim());
    onDone(approve ? t("admin-approved", { title }) : t("admin-rejected", { title }));
  });
  const reasonId = `reject-reason-${event.id}`;
  return (
    <li class="review-item card" data-event-id={event.id}>
      <h3>
        <span lang="ar" dir="rtl">
          {event.title.ar}
        </span>
        {event.title.ar && event.title.en && " · "}
        <span lang="en" dir="ltr">
          {event.title.en}
        </span>
      </h3>
      <p class="muted">
        {pick(event.organizer, lang)} · {t(`category-${event.category}`)} · {cityName(event.city)} ·{" "}
        {formatWhen(event.starts_at, "Asia/Amman", lang)}
      </p>
      {event.submitted_at && <p class="muted">{t("admin-submitted", { time: formatWhen(event.submitted_at, "Asia/Amman", lang) })}</p>}
      <div class="actions">
        <button type="button" class="approve primary" disabled={action.state === "running"} onClick={() => run(true)}>
          {t("admin-approve")}
        </button>
      </div>
      <form
        class="reject-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!reason.trim()) {
            setMissingReason(true);
            return;
          }
          void run(false);
        }}
      >
        <div class="field grow">
          <label for={reasonId}>{t("admin-reject-reason")}</label>
          <input
            id={reasonId}
            class="reject-reason"
            value={reason}
            aria-invalid={missingReason}
            onInput={(e) => {
              setReason(e.currentTarget.value);
              setMissingReason(false);
            }}
          />
        </div>
        <button type="submit" class="reject danger" disabled={action.state === "running"}>
          {t("admin-reject")}
        </button>
      </form>
      {missingReason && <p class="error-text">{t("error-reason-required")}</p>}
      {action.state === "failed" && (
        <div class="review-error">
          <ErrorBox error={action.error} />
        </div>
      )}
    </li>
  );
}
