import { useState } from "preact/hooks";
import type { AppInfo } from "./bindings/AppInfo";
import type { Lang } from "./bindings/Lang";
import { applyLang, currentLang, t } from "./i18n";
import { setLanguage } from "./ipc";
import { Home } from "./screens/Home";

/** The shell: header with the language switch, then the current screen. */
export function App({ info }: { info: AppInfo }) {
  const [lang, setLang] = useState<Lang>(currentLang());

  const switchLang = async () => {
    const next: Lang = lang === "ar" ? "en" : "ar";
    applyLang(next);
    setLang(next);
    await setLanguage(next).catch((e) => console.error("saving the language failed", e));
  };

  return (
    <div class="app">
      <header class="app-header">
        <div class="brand">
          <h1 class="app-title">{t("app-title")}</h1>
          <p class="tagline">{t("app-tagline")}</p>
        </div>
        <button
          id="lang-switch"
          class="lang-switch"
          type="button"
          lang={lang === "ar" ? "en" : "ar"}
          title={t("lang-switch-hint")}
          onClick={switchLang}
        >
          {t("lang-switch")}
        </button>
      </header>
      <main>
        <Home lang={lang} serverUrl={info.server_url} />
      </main>
    </div>
  );
}
