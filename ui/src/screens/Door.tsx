// Door mode. First: pick an event, download its door list (progress bar), set the gate and
// direction. Then the scan screen: one always-focused input for keyboard-wedge scanners
// (code + Enter), the verdict in full width and colour with a tone, counts, conflicts, and
// optional camera scanning (frames decoded in Rust).
//
// Test hooks: .door-event[data-event-id][data-downloaded] (choose), #door-download,
// #door-progress (a <progress>; data-done / data-total are the shell's last progress
// report), #door-progress-text, #door-download-done, #door-gate,
// #door-dir-in, #door-dir-out, #door-start; scan screen: #door-scan[data-event-id],
// #scan-input, #verdict[data-verdict][data-signal] (absent before the first scan),
// #verdict-message, #door-admitted, #door-remaining, #door-pending, #door-tickets,
// #door-gates, #door-conflicts (.conflict[data-kind]), #camera-start / #camera-stop,
// #door-back.
import { useEffect, useRef, useState } from "preact/hooks";
import { ErrorBox, Loaded, Note } from "../components/Status";
import { useApp } from "../context";
import { formatNumber, formatTime, formatWhen } from "../format";
import { useAction, useInterval, useListen, useLoad } from "../hooks";
import { pick, t } from "../i18n";
import {
  asErrorBody,
  decodeFrame,
  doorConflicts,
  doorCounts,
  doorEvents,
  downloadDoorList,
  onDataChanged,
  onDoorProgress,
  scanTicket,
  type DoorCounts,
  type DoorEventChoice,
  type DoorProgress,
  type ScanVerdict,
} from "../ipc";
import { playSignal, warmUpSound } from "../sound";
import type { ErrorBody } from "../bindings/ErrorBody";

const GATE_KEY = "hafla.door.gate";
const DIRECTION_KEY = "hafla.door.direction";
const COUNTS_EVERY_MS = 4000;
const EMPTY_RETRY_MS = 5000;

type Direction = "in" | "out";

export function Door() {
  const [choice, setChoice] = useState<DoorEventChoice | null>(null);
  const [scanning, setScanning] = useState(false);
  const [gate, setGate] = useState(() => localStorage.getItem(GATE_KEY) ?? "");
  const [direction, setDirection] = useState<Direction>(() => (localStorage.getItem(DIRECTION_KEY) === "out" ? "out" : "in"));

  const saveGate = (g: string) => {
    setGate(g);
    localStorage.setItem(GATE_KEY, g);
  };
  const saveDirection = (d: Direction) => {
    setDirection(d);
    localStorage.setItem(DIRECTION_KEY, d);
  };

  if (choice && scanning) {
    return (
      <ScanScreen
        choice={choice}
        gate={gate.trim() || t("door-gate-default")}
        direction={direction}
        setDirection={saveDirection}
        onBack={() => setScanning(false)}
      />
    );
  }
  return (
    <DoorSetup
      choice={choice}
      setChoice={setChoice}
      gate={gate}
      setGate={saveGate}
      direction={direction}
      setDirection={saveDirection}
      onStart={() => setScanning(true)}
    />
  );
}

function DoorSetup(props: {
  choice: DoorEventChoice | null;
  setChoice: (c: DoorEventChoice | null) => void;
  gate: string;
  setGate: (g: string) => void;
  direction: Direction;
  setDirection: (d: Direction) => void;
  onStart: () => void;
}) {
  const app = useApp();
  const { lang } = app;
  const [events, reload] = useLoad(doorEvents, [app.session?.user_id]);
  // Door events arrive with the organization's data: look again after any sync, and now
  // and then while there are none yet.
  useListen(onDataChanged, () => reload());
  useInterval(reload, events.state === "ready" && events.value.length === 0 ? EMPTY_RETRY_MS : null);
  const [progress, setProgress] = useState<DoorProgress | null>(null);
  const [downloaded, setDownloaded] = useState<Record<string, boolean>>({});
  useListen(onDoorProgress, (p) => setProgress(p));
  const [download, runDownload] = useAction(downloadDoorList);

  const { choice } = props;
  const isDownloaded = choice !== null && (choice.downloaded || downloaded[choice.event.id] === true);

  const startDownload = async () => {
    if (!choice) return;
    setProgress({ event_id: choice.event.id, done: 0, total: 0 });
    const counts = await runDownload(choice.organization_id, choice.event.id);
    if (counts) {
      setDownloaded({ ...downloaded, [choice.event.id]: true });
      reload();
    }
  };

  if (!app.session) {
    return (
      <section class="door-setup">
        <h2>{t("door-heading")}</h2>
        <p class="status">{t("door-sign-in")}</p>
        <button type="button" class="primary" onClick={() => app.navigate({ name: "account" })}>
          {t("nav-sign-in")}
        </button>
      </section>
    );
  }

  const shownProgress = progress && choice && progress.event_id === choice.event.id ? progress : null;
  return (
    <section class="door-setup">
      <h2>{t("door-heading")}</h2>
      <Loaded load={events} retry={reload}>
        {(list) =>
          list.length === 0 ? (
            <p class="status" id="door-no-events">
              {t("door-no-events")}
            </p>
          ) : (
            <fieldset class="door-events">
              <legend>{t("door-choose-event")}</legend>
              <ul>
                {list.map((c) => {
                  const got = c.downloaded || downloaded[c.event.id] === true;
                  return (
                    <li key={c.event.id}>
                      <label class="radio door-event" data-event-id={c.event.id} data-downloaded={String(got)}>
                        <input
                          type="radio"
                          name="door-event"
                          checked={choice?.event.id === c.event.id}
                          onChange={() => props.setChoice(c)}
                        />
                        <span>
                          <strong>{pick(c.event.title, lang)}</strong>
                          <span class="muted"> · {formatWhen(c.event.starts_at, c.event.time_zone, lang)}</span>
                          {got && <span class="chip"> {t("door-downloaded")}</span>}
                        </span>
                      </label>
                    </li>
                  );
                })}
              </ul>
            </fieldset>
          )
        }
      </Loaded>
      {choice && (
        <div class="card door-prepare">
          <button type="button" id="door-download" class="door-download" onClick={startDownload} disabled={download.state === "running"}>
            {isDownloaded ? t("door-update-list") : t("door-download-list")}
          </button>
          {shownProgress && (
            <div class="progress-row">
              <label for="door-progress">{t("door-progress-label")}</label>
              <progress
                id="door-progress"
                max={Math.max(shownProgress.total, 1)}
                value={download.state === "done" ? Math.max(shownProgress.total, 1) : shownProgress.done}
                data-done={shownProgress.done}
                data-total={shownProgress.total}
              />
              <span id="door-progress-text">
                {t("door-progress", {
                  done: formatNumber(shownProgress.done, lang),
                  total: formatNumber(shownProgress.total, lang),
                })}
              </span>
            </div>
          )}
          {download.state === "done" && (
            <Note id="door-download-done">{t("door-download-done", { count: download.value.tickets })}</Note>
          )}
          {download.state === "failed" && <ErrorBox error={download.error} onRetry={startDownload} />}
          <div class="field">
            <label for="door-gate">{t("door-gate")}</label>
            <input
              id="door-gate"
              value={props.gate}
              placeholder={t("door-gate-default")}
              onInput={(e) => props.setGate(e.currentTarget.value)}
            />
          </div>
          <DirectionPicker direction={props.direction} setDirection={props.setDirection} />
          <button type="button" id="door-start" class="primary big" disabled={!isDownloaded} onClick={props.onStart}>
            {t("door-start")}
          </button>
          {!isDownloaded && <p class="hint">{t("door-download-first")}</p>}
        </div>
      )}
    </section>
  );
}

function DirectionPicker({ direction, setDirection }: { direction: Direction; setDirection: (d: Direction) => void }) {
  return (
    <fieldset class="direction">
      <legend>{t("door-direction")}</legend>
      <label class="radio">
        <input type="radio" id="door-dir-in" name="door-direction" checked={direction === "in"} onChange={() => setDirection("in")} />
        {t("scan-direction-in")}
      </label>
      <label class="radio">
        <input type="radio" id="door-dir-out" name="door-direction" checked={direction === "out"} onChange={() => setDirection("out")} />
        {t("scan-direction-out")}
      </label>
    </fieldset>
  );
}

function ScanScreen({
  choice,
  gate,
  direction,
  setDirection,
  onBack,
}: {
  choice: DoorEventChoice;
  gate: string;
  direction: Direction;
  setDirection: (d: Direction) => void;
  onBack: () => void;
}) {
  const app = useApp();
  const { lang } = app;
  const eventId = choice.event.id;
  const input = useRef<HTMLInputElement>(null);
  const [verdict, setVerdict] = useState<ScanVerdict | null>(null);
  const [scanError, setScanError] = useState<ErrorBody | null>(null);
  const [scans, setScans] = useState(0);
  const queue = useRef<Promise<void>>(Promise.resolve());
  const [counts, reloadCounts] = useLoad<DoorCounts>(() => doorCounts(eventId), [eventId]);
  const [conflicts, reloadConflicts] = useLoad(() => doorConflicts(eventId), [eventId]);
  const refresh = () => {
    reloadCounts();
    reloadConflicts();
  };
  useInterval(refresh, COUNTS_EVERY_MS);
  useListen(onDataChanged, (what) => what === "door" && refresh());

  const focus = () => input.current?.focus({ preventScroll: true });
  useEffect(() => {
    focus();
    warmUpSound();
    // Keep the scanner input focused whenever nothing else is being used.
    const id = setInterval(() => {
      const active = document.activeElement;
      if (!active || active === document.body) focus();
    }, 500);
    return () => clearInterval(id);
  }, []);

  /** Every scan goes through here, one after the other, in the order they came. */
  const scan = (text: string) => {
    const code = text.trim();
    if (!code) return;
    queue.current = queue.current.then(async () => {
      try {
        const v = await scanTicket(eventId, code, gate, direction);
        setVerdict(v);
        setScanError(null);
        setScans((n) => n + 1);
        playSignal(v.signal);
      } catch (e) {
        setScanError(asErrorBody(e));
        setVerdict(null);
        playSignal("attention");
      }
      refresh();
      focus();
    });
  };

  const submit = (e: Event) => {
    e.preventDefault();
    const el = input.current;
    if (!el) return;
    const text = el.value;
    el.value = "";
    scan(text);
    focus();
  };

  return (
    <section class="door-scan" id="door-scan" data-event-id={eventId} data-scans={scans}>
      <div class="door-scan-head">
        <div>
          <h2>{pick(choice.event.title, lang)}</h2>
          <p class="muted">
            {t("door-at-gate", { gate })} · {direction === "in" ? t("scan-direction-in") : t("scan-direction-out")}
          </p>
        </div>
        <button type="button" id="door-back" class="secondary" onClick={onBack}>
          {t("door-change")}
        </button>
      </div>
      <form class="scan-form" onSubmit={submit}>
        <label for="scan-input">{t("door-scan-label")}</label>
        <input
          id="scan-input"
          ref={input}
          class="scan-input"
          autoComplete="off"
          autoCorrect="off"
          autoCapitalize="off"
          spellcheck={false}
          dir="ltr"
          placeholder={t("door-scan-placeholder")}
        />
      </form>
      {verdict ? (
        <div
          id="verdict"
          class={`verdict signal-${verdict.signal}`}
          data-verdict={verdict.verdict}
          data-signal={verdict.signal}
          data-serial={verdict.ticket_serial ?? ""}
          role="alert"
          aria-live="assertive"
          key={scans}
        >
          <p class="verdict-word">{t(`door-signal-${verdict.signal}`)}</p>
          <p id="verdict-message" class="verdict-message">
            {verdict.message}
          </p>
          {verdict.ticket_serial !== null && (
            <p class="verdict-serial">{t("tickets-serial", { serial: formatNumber(verdict.ticket_serial, lang) })}</p>
          )}
        </div>
      ) : scanError ? (
        <ErrorBox error={scanError} id="scan-error" />
      ) : (
        <div class="verdict verdict-idle" id="verdict-idle">
          <p class="verdict-message">{t("door-ready")}</p>
        </div>
      )}
      <Camera onText={scan} />
      <DirectionPicker direction={direction} setDirection={setDirection} />
      <CountsPanel counts={counts.state === "ready" ? counts.value : null} error={counts.state === "failed" ? counts.error : null} />
      <section class="door-conflicts">
        <h3>{t("door-conflicts")}</h3>
        <Loaded load={conflicts} retry={reloadConflicts}>
          {(list) =>
            list.length === 0 ? (
              <p class="muted" id="door-conflicts" data-count="0">
                {t("door-no-conflicts")}
              </p>
            ) : (
              <ul id="door-conflicts" data-count={list.length}>
                {list.map((c) => (
                  <li class="conflict" data-kind={c.kind} key={c.scan.scan_id}>
                    <strong>{t(`door-conflict-${c.kind}`, { serial: formatNumber(c.ticket_serial, lang) })}</strong>{" "}
                    <span class="muted">
                      {t("door-conflict-where", { gate: c.scan.gate, time: formatTime(c.scan.at, choice.event.time_zone, lang) })}
                      {c.first &&
                        ` · ${t("door-conflict-first", { gate: c.first.gate, time: formatTime(c.first.at, choice.event.time_zone, lang) })}`}
                    </span>
                  </li>
                ))}
              </ul>
            )
          }
        </Loaded>
      </section>
    </section>
  );
}

function CountsPanel({ counts, error }: { counts: DoorCounts | null; error: ErrorBody | null }) {
  const { lang } = useApp();
  if (error) return <ErrorBox error={error} />;
  if (!counts) return null;
  const n = (x: number) => formatNumber(x, lang);
  return (
    <section class="door-counts" aria-label={t("door-counts")}>
      <div class="stat">
        <span class="stat-label">{t("door-admitted")}</span>
        <span class="stat-value" id="door-admitted" data-value={counts.admitted}>
          {n(counts.admitted)}
        </span>
      </div>
      <div class="stat">
        <span class="stat-label">{t("door-remaining")}</span>
        <span class="stat-value" id="door-remaining" data-value={counts.remaining}>
          {n(counts.remaining)}
        </span>
      </div>
      <div class="stat">
        <span class="stat-label">{t("door-tickets")}</span>
        <span class="stat-value" id="door-tickets" data-value={counts.tickets}>
          {n(counts.tickets)}
        </span>
      </div>
      <div class="stat">
        <span class="stat-label">{t("door-pending")}</span>
        <span class="stat-value" id="door-pending" data-value={counts.pending}>
          {n(counts.pending)}
        </span>
      </div>
      <div class="stat">
        <span class="stat-label">{t("door-connection")}</span>
        <span class={`stat-value ${counts.online ? "" : "offline-text"}`} id="door-online" data-online={String(counts.online)}>
          {counts.online ? t("door-online") : t("shell-offline")}
        </span>
      </div>
      {counts.gates.length > 0 && (
        <table id="door-gates" class="table">
          <caption>{t("door-per-gate")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("door-gate")}</th>
              <th scope="col">{t("scan-effect-entered")}</th>
              <th scope="col">{t("scan-effect-exited")}</th>
              <th scope="col">{t("scan-effect-refused")}</th>
            </tr>
          </thead>
          <tbody>
            {counts.gates.map((g) => (
              <tr key={g.gate} data-gate={g.gate}>
                <th scope="row">{g.gate}</th>
                <td>{n(g.entered)}</td>
                <td>{n(g.exited)}</td>
                <td>{n(g.refused)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {(counts.revoked > 0 || counts.conflicts > 0) && (
        <p class="muted">{t("door-revoked-conflicts", { revoked: counts.revoked, conflicts: counts.conflicts })}</p>
      )}
    </section>
  );
}

const FRAME_MS = 250;
const MAX_FRAME_WIDTH = 640;
const SAME_CODE_PAUSE_MS = 3000;

/** Camera scanning: hidden when the device has no camera API. */
function Camera({ onText }: { onText: (text: string) => void }) {
  const available = typeof navigator !== "undefined" && !!navigator.mediaDevices?.getUserMedia;
  const [on, setOn] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const video = useRef<HTMLVideoElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const onTextRef = useRef(onText);
  onTextRef.current = onText;

  useEffect(() => {
    if (!on) return;
    let stream: MediaStream | null = null;
    let timer: ReturnType<typeof setInterval> | null = null;
    let busy = false;
    let last = { text: "", at: 0 };
    let stopped = false;
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then((s) => {
        if (stopped) {
          s.getTracks().forEach((tr) => tr.stop());
          return;
        }
        stream = s;
        const v = video.current!;
        v.srcObject = s;
        void v.play();
        timer = setInterval(async () => {
          const c = canvas.current;
          if (busy || !c || v.videoWidth === 0) return;
          const scale = Math.min(1, MAX_FRAME_WIDTH / v.videoWidth);
          const w = Math.round(v.videoWidth * scale);
          const h = Math.round(v.videoHeight * scale);
          c.width = w;
          c.height = h;
          const g = c.getContext("2d", { willReadFrequently: true });
          if (!g) return;
          g.drawImage(v, 0, 0, w, h);
          const rgba = g.getImageData(0, 0, w, h).data;
          const luma = new Uint8Array(w * h);
          for (let i = 0, j = 0; j < luma.length; i += 4, j++) {
            luma[j] = (rgba[i]! * 77 + rgba[i + 1]! * 150 + rgba[i + 2]! * 29) >> 8;
          }
          busy = true;
          try {
            const texts = await decodeFrame(w, h, luma);
            const text = texts[0];
            const now = Date.now();
            if (text && !(text === last.text && now - last.at < SAME_CODE_PAUSE_MS)) {
              last = { text, at: now };
              onTextRef.current(text);
            }
          } catch (e) {
            console.error("decoding a frame failed", e);
          } finally {
            busy = false;
          }
        }, FRAME_MS);
      })
      .catch((e) => {
        setError(String(e));
        setOn(false);
      });
    return () => {
      stopped = true;
      if (timer) clearInterval(timer);
      stream?.getTracks().forEach((tr) => tr.stop());
    };
  }, [on]);

  if (!available) return null;
  return (
    <div class="camera">
      {on ? (
        <button type="button" id="camera-stop" class="secondary" onClick={() => setOn(false)}>
          {t("door-camera-stop")}
        </button>
      ) : (
        <button type="button" id="camera-start" class="secondary" onClick={() => (setError(null), setOn(true))}>
          {t("door-camera-start")}
        </button>
      )}
      {on && <video ref={video} class="camera-view" muted playsInline aria-label={t("door-camera-view")} />}
      <canvas ref={canvas} hidden />
      {error && <p class="error-text">{t("door-camera-failed", { reason: error })}</p>}
    </div>
  );
}
