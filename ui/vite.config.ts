import { defineConfig } from "vite";

// The UI is loaded by the Tauri shell from dist/; strings come from ../locales (shared with Rust).
export default defineConfig({
  clearScreen: false,
  server: { port: 5173, strictPort: true, fs: { allow: [".."] } },
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: { target: "safari15", outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 800 },
});
