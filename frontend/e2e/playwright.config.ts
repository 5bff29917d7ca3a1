/**
 * The browser suite (`make e2e`, which starts the server: e2e/run.sh). Against a server you
 * started yourself (with the demo data and TRUSTED_PROXY_COUNT=1):
 *   BASE_URL=http://127.0.0.1:8000 npx playwright test -c e2e/playwright.config.ts
 * or `E2E_BASE_URL=… make e2e` (e2e/run.sh), e.g. against deploy/stack.sh.
 * Debian's Chromium only (/usr/bin/chromium or CHROMIUM); no browser is ever downloaded.
 */
import { defineConfig } from "@playwright/test";

const baseURL = (process.env.BASE_URL ?? "http://127.0.0.1:8000").replace(/\/$/, "");

export default defineConfig({
  testDir: ".",
  testMatch: "**/*.spec.ts",
  outputDir: "./test-results",
  fullyParallel: true,
  workers: Number(process.env.E2E_WORKERS ?? 2),
  retries: 0, // a flaky browser test is a defect: it waits for states, never for times
  timeout: 90_000,
  expect: { timeout: 10_000 },
  forbidOnly: Boolean(process.env.CI),
  reporter: [["list"]],
  use: {
    baseURL,
    // E2E_IGNORE_HTTPS_ERRORS=1: a server with a self-signed certificate (deploy/stack.sh; e2e/run.sh).
    ignoreHTTPSErrors: process.env.E2E_IGNORE_HTTPS_ERRORS === "1",
    actionTimeout: 15_000,
    navigationTimeout: 20_000,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--autoplay-policy=no-user-gesture-required",
      ],
    },
  },
  projects: [{ name: "chromium" }],
});
