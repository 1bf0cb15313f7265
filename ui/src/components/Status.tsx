// Loading and error states every screen uses: never a blank screen, and errors always show
// the localized message with its code (`.error-banner[data-code]`, `.retry`).
import type { ComponentChildren } from "preact";
import type { ErrorBody } from "../bindings/ErrorBody";
import type { Load } from "../hooks";
import { t } from "../i18n";

export function Loading({ id, text }: { id?: string; text?: string }) {
  return (
    <p class="status loading" id={id} role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {text ?? t("common-loading")}
    </p>
  );
}

export function ErrorBox({ error, onRetry, id }: { error: ErrorBody; onRetry?: () => void; id?: string }) {
  return (
    <div class="error-banner" id={id} role="alert" data-code={error.code}>
      <p>{error.message}</p>
      {onRetry && (
        <button type="button" class="retry" onClick={onRetry}>
          {t("common-retry")}
        </button>
      )}
    </div>
  );
}

/** Shows a `Load`: the spinner, the error with Retry, or `children(value)`. */
export function Loaded<T>({
  load,
  retry,
  loadingText,
  children,
}: {
  load: Load<T>;
  retry?: () => void;
  loadingText?: string;
  children: (value: T) => ComponentChildren;
}) {
  if (load.state === "loading") return <Loading text={loadingText} />;
  if (load.state === "failed") return <ErrorBox error={load.error} onRetry={retry} />;
  return <>{children(load.value)}</>;
}

/** A success note (e.g. a saved file's path). */
export function Note({ children, id, kind }: { children: ComponentChildren; id?: string; kind?: string }) {
  return (
    <p class={kind ? `note ${kind}` : "note"} id={id} role="status">
      {children}
    </p>
  );
}
