// Short verdict tones made with WebAudio: a bright double beep to admit, a low buzz to
// refuse, a middle tone for "look again".
import type { Signal } from "./ipc";

let ctx: AudioContext | null = null;

function audio(): AudioContext | null {
  if (ctx) return ctx;
  const Ctor = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!Ctor) return null;
  try {
    ctx = new Ctor();
  } catch {
    return null;
  }
  return ctx;
}

function tone(c: AudioContext, freq: number, start: number, length: number, type: OscillatorType) {
  const osc = c.createOscillator();
  const gain = c.createGain();
  osc.type = type;
  osc.frequency.value = freq;
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.exponentialRampToValueAtTime(0.3, start + 0.01);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
  osc.connect(gain).connect(c.destination);
  osc.start(start);
  osc.stop(start + length + 0.02);
}

/** Makes the audio context ahead of the first verdict (making it is the slow part). */
export function warmUpSound(): void {
  audio();
}

export function playSignal(signal: Signal): void {
  const c = audio();
  if (!c) return;
  if (c.state === "suspended") void c.resume().catch(() => {});
  const now = c.currentTime;
  if (signal === "admit") {
    tone(c, 880, now, 0.12, "sine");
    tone(c, 1320, now + 0.14, 0.16, "sine");
  } else if (signal === "refuse") {
    tone(c, 180, now, 0.55, "square");
  } else {
    tone(c, 520, now, 0.2, "triangle");
    tone(c, 520, now + 0.3, 0.2, "triangle");
  }
}
