/**
 * What every spec shares: fresh users made through the dev login, signed-in browser pages, a
 * small API client for seeding, and the page checks (axe-core, sideways overflow, screenshots).
 *
 * Every test makes its own users (unique e-mails), so the server's per-user rate limits and
 * any state (friendships, bans, rooms) never leak between tests, and tests run in parallel.
 * Every browser context and API client gets its own X-Forwarded-For address (the server runs
 * with TRUSTED_PROXY_COUNT=1), so the per-address limit on signing in counts per visitor.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

import {
  expect,
  test as base,
  type APIRequest,
  type APIRequestContext,
  type Browser,
  type BrowserContext,
  type Page,
  type TestInfo,
} from "@playwright/test";

const here = path.dirname(fileURLToPath(import.meta.url));
export const SCREENSHOT_DIR = path.join(here, "screenshots");
export const BASE_URL = (process.env.BASE_URL ?? "http://127.0.0.1:8000").replace(/\/$/, "");

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export const PHONE = { width: 390, height: 844 };
export const SMALL = { width: 360, height: 740 };
export const DESKTOP = { width: 1280, height: 800 };

let counter = 0;
/** A short id unique across workers and runs (letters and digits only, so usable in usernames). */
export function uid(): string {
  counter += 1;
  return `${Date.now().toString(36).slice(-5)}${process.pid.toString(36).slice(-3)}${counter.toString(36)}`;
}

let ipCounter = 0;
function freshIp(): string {
  ipCounter += 1;
  const n = (process.pid % 200) * 65_536 + ipCounter;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

export interface User {
  id: string;
  username: string;
  display_name: string;
  email: string;
  access: string;
  refresh: string;
  api: Api;
}

/** A JSON client for the REST API as one user; non-2xx answers throw with the body. */
export class Api {
  constructor(readonly request: APIRequestContext) {}

  private async call(method: string, url: string, data?: unknown, okStatuses?: number[]) {
    const response = await this.request.fetch(url, {
      method,
      data: data === undefined ? undefined : JSON.stringify(data),
      headers: data === undefined ? undefined : { "Content-Type": "application/json" },
      timeout: 15_000,
    });
    const text = await response.text();
    const ok = okStatuses ? okStatuses.includes(response.status()) : response.ok();
    if (!ok) {
      // A Django error page: its <title> names the exception (the traceback is in the server log).
      const title = /<title>([\s\S]*?)<\/title>/.exec(text)?.[1]?.replace(/\s+/g, " ").trim();
      throw new Error(`${method} ${url} → ${response.status()}: ${title ?? text.slice(0, 500)}`);
    }
    return text ? JSON.parse(text) : null;
  }

  get = (url: string) => this.call("GET", url);
  post = (url: string, data?: unknown) => this.call("POST", url, data ?? {});
  put = (url: string, data?: unknown) => this.call("PUT", url, data ?? {});
  delete = (url: string) => this.call("DELETE", url);
  /** For checks of refusals: returns the status. */
  async status(method: string, url: string, data?: unknown): Promise<number> {
    const response = await this.request.fetch(url, {
      method,
      data: data === undefined ? undefined : JSON.stringify(data),
      headers: data === undefined ? undefined : { "Content-Type": "application/json" },
      timeout: 15_000,
    });
    return response.status();
  }
}

export interface Room {
  id: string;
  name: string;
  description: string;
  member_count: number;
}

/** Lists come either bare or paginated ({results}). */
export function items<T>(body: T[] | { results: T[] }): T[] {
  return Array.isArray(body) ? body : body.results;
}

type Viewport = { width: number; height: number };

export interface App {
  /** A new user signed up through the dev login (API). */
  user(opts?: { displayName?: string; emailPrefix?: string }): Promise<User>;
  /** A browser page signed in as `user` (or signed out for null). */
  page(user: User | null, opts?: { viewport?: Viewport; mobile?: boolean }): Promise<Page>;
  /** A room created by `owner` through the API. */
  room(owner: User, data?: Partial<{ name: string; description: string; genres: string[]; is_private: boolean }>): Promise<Room>;
  /** Spotify ids of demo tracks (they have playable generated clips). */
  demoTracks(): Promise<string[]>;
  /** Uncaught errors of every page this test opened. */
  pageErrors: string[];
}

let demoTrackCache: string[] | null = null;

async function makeApp(browser: Browser, playwright: { request: APIRequest }, testInfo: TestInfo) {
  const contexts: BrowserContext[] = [];
  const requests: APIRequestContext[] = [];
  const pageErrors: string[] = [];

  const newRequest = async (token?: string) => {
    const request = await playwright.request.newContext({
      baseURL: BASE_URL,
      extraHTTPHeaders: {
        "X-Forwarded-For": freshIp(),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
    });
    requests.push(request);
    return request;
  };

  const app: App = {
    pageErrors,
    async user(opts = {}) {
      const id = uid();
      const email = `${opts.emailPrefix ?? "e2e"}${id}@example.com`;
      const anonymous = new Api(await newRequest());
      const body = await anonymous.post("/auth/dev/login", {
        email,
        ...(opts.displayName ? { display_name: opts.displayName } : {}),
      });
      return {
        id: body.user.id,
        username: body.user.username,
        display_name: body.user.display_name,
        email,
        access: body.access,
        refresh: body.refresh,
        api: new Api(await newRequest(body.access)),
      };
    },
    async page(user, opts = {}) {
      const context = await browser.newContext({
        baseURL: BASE_URL,
        viewport: opts.viewport ?? DESKTOP,
        isMobile: opts.mobile ?? false,
        hasTouch: opts.mobile ?? false,
        extraHTTPHeaders: { "X-Forwarded-For": freshIp() },
        storageState: user
          ? {
              cookies: [],
              origins: [
                {
                  origin: BASE_URL,
                  localStorage: [
                    { name: "tunewave.auth", value: JSON.stringify({ access: user.access, refresh: user.refresh }) },
                  ],
                },
              ],
            }
          : undefined,
      });
      contexts.push(context);
      const page = await context.newPage();
      page.on("pageerror", (error) => pageErrors.push(`${page.url()}: ${String(error)}`));
      return page;
    },
    async room(owner, data = {}) {
      return owner.api.post("/rooms/", {
        name: data.name ?? `Room ${uid()}`,
        description: data.description ?? "Made by the browser suite.",
        genres: data.genres ?? ["jazz"],
        is_private: data.is_private ?? false,
      });
    },
    async demoTracks() {
      if (demoTrackCache) return demoTrackCache;
      // The demo listeners' favourites (load_demo_data): tracks with generated clips.
      const api = new Api(await newRequest());
      const rooms = items<Room & { owner: { id: string } }>(await api.get("/rooms/?search=Late%20Night%20Jazz"));
      expect(rooms.length, "the demo room 'Late Night Jazz' exists (load_demo_data)").toBeGreaterThan(0);
      const favorites = items<{ track: { spotify_id: string } }>(await api.get(`/favorites/${rooms[0]!.owner.id}?limit=10`));
      const ids = favorites.map((favorite) => favorite.track.spotify_id);
      expect(ids.length, "the demo owner has favourites").toBeGreaterThan(1);
      demoTrackCache = ids;
      return ids;
    },
  };

  const dispose = async () => {
    for (const context of contexts) await context.close().catch(() => {});
    for (const request of requests) await request.dispose().catch(() => {});
    void testInfo;
  };
  return { app, dispose };
}

export const test = base.extend<{ app: App }>({
  app: async ({ browser, playwright }, use, testInfo) => {
    const { app, dispose } = await makeApp(browser, playwright, testInfo);
    await use(app);
    await dispose();
  },
});

export { expect };

// --- page checks ------------------------------------------------------------------------

interface AxeNode {
  target: string[];
  html: string;
  failureSummary?: string;
}
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: AxeNode[];
}

/** Runs axe-core (WCAG 2.0/2.1 A and AA, and 2.2 AA: target size at least 24x24) and fails on any serious or critical violation,
 * listing each one readably. */
export async function expectNoSeriousAxeViolations(page: Page, label: string) {
  await page.evaluate(AXE_SOURCE);
  const violations: AxeViolation[] = await page.evaluate(async () => {
    // @ts-expect-error axe is injected above
    const result = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
      resultTypes: ["violations"],
    });
    return result.violations;
  });
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const report = serious
    .map(
      (v) =>
        `[${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n` +
        v.nodes
          .slice(0, 8)
          .map((n) => `    element ${n.target.join(" ")}\n      ${n.html.slice(0, 200)}\n      ${(n.failureSummary ?? "").replace(/\n/g, "\n      ")}`)
          .join("\n") +
        (v.nodes.length > 8 ? `\n    … and ${v.nodes.length - 8} more` : ""),
    )
    .join("\n");
  expect.soft(serious.map((v) => v.id), `axe-core, ${label}: serious or critical violations\n${report}`).toEqual([]);
}

/** No sideways scrolling: the document is no wider than the viewport. Names the widest
 * elements when it fails. */
export async function expectNoSidewaysOverflow(page: Page, label: string) {
  const measure = () =>
    page.evaluate(() => {
      const root = document.documentElement;
      const width = root.clientWidth;
      const culprits: string[] = [];
      if (root.scrollWidth > width) {
        // The deepest elements that stick out or hold content wider than the viewport
        // (a long word overflows its box without making the box wider).
        const wide = Array.from(document.body.querySelectorAll("*")).filter(
          (el) => el.getBoundingClientRect().right > width + 1 || el.scrollWidth > width + 1,
        );
        const deepest = wide.filter((el) => !wide.some((other) => other !== el && el.contains(other)));
        for (const el of deepest.slice(0, 6)) {
          const rect = el.getBoundingClientRect();
          const name = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${
            typeof el.className === "string" && el.className ? `.${el.className.trim().split(/\s+/).slice(0, 4).join(".")}` : ""
          }`;
          const text = (el.textContent ?? "").trim().slice(0, 40);
          culprits.push(`${name} (right ${Math.round(rect.right)} px, content ${el.scrollWidth} px${text ? `, "${text}…"` : ""})`);
        }
      }
      return { scrollWidth: root.scrollWidth, clientWidth: width, culprits };
    });
  const result = await measure();
  expect.soft(
    result.scrollWidth,
    `${label}: page is ${result.scrollWidth} px wide in a ${result.clientWidth} px viewport; widest: ${result.culprits.join(", ")}`,
  ).toBeLessThanOrEqual(result.clientWidth);
}

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** The checks every page gets, at 1280x800 and 360x740 (the page is resized, not reloaded):
 * axe-core, sideways overflow, and a full-page screenshot of each size. `ready` waits for the
 * page's content after a resize (the layout may change at lg). */
export async function checkPage(page: Page, name: string, ready: () => Promise<void>) {
  for (const [size, viewport] of [
    ["desktop", DESKTOP],
    ["phone", SMALL],
  ] as const) {
    await page.setViewportSize(viewport);
    await ready();
    await expectNoSidewaysOverflow(page, `${name} at ${viewport.width}x${viewport.height}`);
    await screenshot(page, `${name}-${size}`);
    await expectNoSeriousAxeViolations(page, `${name} at ${viewport.width}x${viewport.height}`);
  }
}

// --- room helpers -----------------------------------------------------------------------

export const messages = (page: Page) => page.locator("ol[aria-label='Messages']");
export const messageItem = (page: Page, text: string | RegExp) => messages(page).locator("li", { hasText: text });

export async function audioState(page: Page) {
  return page.evaluate(() => {
    const audios = Array.from(document.querySelectorAll("audio"));
    const audio = audios.find((a) => !a.paused) ?? audios[0];
    return audio ? { time: audio.currentTime, paused: audio.paused, src: audio.currentSrc } : null;
  });
}

/** How far apart two listeners' playing audio is, in seconds: each page reports its clock
 * with the position, so the time between the two evaluations does not count. */
export async function syncGap(a: Page, b: Page): Promise<number> {
  const sample = (page: Page) =>
    page.evaluate(() => {
      const audio = Array.from(document.querySelectorAll("audio")).find((el) => !el.paused);
      return audio ? { time: audio.currentTime, at: performance.timeOrigin + performance.now() } : null;
    });
  const [x, y] = await Promise.all([sample(a), sample(b)]);
  if (!x || !y) return Infinity;
  return Math.abs(x.time + (y.at - x.at) / 1000 - y.time);
}

/** Waits until the room page's socket is live (the "live" marker the page shows). */
export async function waitForLive(page: Page) {
  await expect(page.getByText("live", { exact: true })).toBeVisible({ timeout: 15_000 });
}

/** Sends a chat message through the UI (works with and without the phone tabs). */
export async function sendChat(page: Page, text: string) {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await page.getByRole("button", { name: "Send", exact: true }).click();
}
