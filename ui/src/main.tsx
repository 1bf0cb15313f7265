import "@fontsource/cairo/arabic-400.css";
import "@fontsource/cairo/arabic-700.css";
import "@fontsource/cairo/latin-400.css";
import "@fontsource/cairo/latin-700.css";
import "./styles.css";
import { render } from "preact";
import { App } from "./App";
import { applyLang, systemLang } from "./i18n";
import { appInfo } from "./ipc";

async function start() {
  const root = document.getElementById("app")!;
  try {
    const info = await appInfo();
    applyLang(info.lang ?? systemLang());
    render(<App info={info} />, root);
  } catch (e) {
    applyLang(systemLang());
    root.textContent = String(e);
  }
}

void start();
