import "@fontsource/cairo/arabic-400.css";
import "@fontsource/cairo/arabic-700.css";
import "@fontsource/cairo/latin-400.css";
import "@fontsource/cairo/latin-700.css";
import "./styles.css";
import { render } from "preact";
import { App } from "./App";
import { applyLang, systemLang } from "./i18n";
import { appInfo, setLanguage } from "./ipc";

async function start() {
  const root = document.getElementById("app")!;
  try {
    const info = await appInfo();
    const lang = info.lang ?? systemLang();
    applyLang(lang);
    // First run: the shell writes its own messages (errors, verdicts) in the language the
    // UI chose from the system, not in its default.
    if (info.lang === null) await setLanguage(lang).catch((e) => console.error("saving the language failed", e));
    render(<App info={info} />, root);
  } catch (e) {
    applyLang(systemLang());
    root.textContent = String(e);
  }
}

void start();
