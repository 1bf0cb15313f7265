// Small hooks shared by the screens.
import type { UnlistenFn } from "@tauri-apps/api/event";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { ErrorBody } from "./bindings/ErrorBody";
import { asErrorBody } from "./ipc";

export type Load<T> =
  | { state: "loading" }
  | { state: "ready"; value: T; refreshing: boolean }
  | { state: "failed"; error: ErrorBody };

/**
 * Runs `fn` now and whenever `deps` change or `reload()` is called. A reload keeps what is
 * shown until the new answer arrives (no flicker back to "loading"); answers to older calls
 * are dropped.
 */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): [Load<T>, () => void] {
  const [load, setLoad] = useState<Load<T>>({ state: "loading" });
  const [tick, setTick] = useState(0);
  const call = useRef(0);
  useEffect(() => {
    const mine = ++call.current;
    setLoad((old) => (old.state === "ready" ? { ...old, refreshing: true } : { state: "loading" }));
    fn()
      .then((value) => mine === call.current && setLoad({ state: "ready", value, refreshing: false }))
      .catch((e) => mine === call.current && setLoad({ state: "failed", error: asErrorBody(e) }));
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return [load, reload];
}

/** Listens to a shell event while the component is shown. */
export function useListen<T>(subscribe: (f: (x: T) => void) => Promise<UnlistenFn>, handler: (x: T) => void): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    let unlisten: UnlistenFn | null = null;
    let gone = false;
    subscribe((x) => ref.current(x))
      .then((u) => (gone ? u() : (unlisten = u)))
      .catch((e) => console.error("listening failed", e));
    return () => {
      gone = true;
      unlisten?.();
    };
  }, []);
}

/** Calls `f` every `ms` milliseconds while shown (and while `ms` is not null). */
export function useInterval(f: () => void, ms: number | null): void {
  const ref = useRef(f);
  ref.current = f;
  useEffect(() => {
    if (ms === null) return;
    const id = setInterval(() => ref.current(), ms);
    return () => clearInterval(id);
  }, [ms]);
}

/** An action's state: idle, running, failed with an error, or done with a value. */
export type Action<T> =
  | { state: "idle" }
  | { state: "running" }
  | { state: "failed"; error: ErrorBody }
  | { state: "done"; value: T };

/** Runs a command on demand, remembering whether it runs, failed or finished. */
export function useAction<A extends unknown[], T>(
  fn: (...args: A) => Promise<T>,
): [Action<T>, (...args: A) => Promise<T | undefined>, () => void] {
  const [action, setAction] = useState<Action<T>>({ state: "idle" });
  const run = async (...args: A) => {
    setAction({ state: "running" });
    try {
      const value = await fn(...args);
      setAction({ state: "done", value });
      return value;
    } catch (e) {
      setAction({ state: "failed", error: asErrorBody(e) });
      return undefined;
    }
  };
  return [action, run, () => setAction({ state: "idle" })];
}
