import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The Django back end the dev server forwards API, media and socket calls to (`make run`).
const BACKEND = "http://127.0.0.1:8000";
const API_PREFIXES = [
  "/auth",
  "/users",
  "/rooms",
  "/track",
  "/favorites",
  "/chat",
  "/friendships",
  "/notifications",
  "/ban",
  "/recommendations",
  "/covers",
  "/media",
  "/api",
];

export default defineConfig(({ command }) => ({
  plugins: [react(), tailwindcss()],
  // Django serves the built files under STATIC_URL (whitenoise) and the shell at /app/…
  // (tunewave/views_spa.py reads static/app/index.html). The dev server serves both at /.
  base: command === "build" ? "/static/app/" : "/",
  build: {
    outDir: "../static/app",
    emptyOutDir: true,
    manifest: true,
    sourcemap: false,
  },
  server: {
    port: 5173,
    proxy: {
      ...Object.fromEntries(API_PREFIXES.map((prefix) => [prefix, { target: BACKEND, changeOrigin: false }])),
      "/ws": { target: BACKEND, ws: true, changeOrigin: false },
    },
  },
  test: {
    // Node by default; component tests say `// @vitest-environment jsdom` (jsdom is slow to start).
    environment: "node",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    restoreMocks: true,
  },
}));
