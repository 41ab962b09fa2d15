import { defineConfig } from "vite";

// No framework plugin: esbuild's automatic JSX runtime pointed at Preact is all the app needs,
// and it keeps the toolchain (and the bundle) small.
export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    // One small bundle loads faster than a waterfall of chunks; the whole app is a few dozen kB.
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
  server: {
    // `pnpm dev` talks to a Mailnest started separately on its default HTTP port.
    proxy: { "/api": { target: "http://127.0.0.1:8025", ws: true } },
  },
});
