#!/usr/bin/env node
/**
 * End-to-end smoke test of the built SPA in a real browser (Debian's Chromium through
 * playwright-core; no browser is downloaded). It starts nothing: point it at a running
 * server that serves the built app and has the demo data (`manage.py load_demo_data`):
 *
 *   BASE_URL=http://127.0.0.1:8000 node frontend/e2e/smoke.mjs
 *
 * Two demo users sign in with the dev login; alice creates a room and queues one of her
 * favorites; both hear it (their <audio> positions must agree), chat, and bob sends alice a
 * friend request that lights up her notification bell. Screenshots go to SCREENSHOT_DIR
 * (default /tmp). The room is deleted at the end.
 *
 * Env: BASE_URL, CHROMIUM (default /usr/bin/chromium), SCREENSHOT_DIR, OWNER_EMAIL,
 * GUEST_EMAIL, HEADFUL=1 to watch.
 */
import { chromium } from "playwright-core";

const BASE_URL = (process.env.BASE_URL ?? "http://127.0.0.1:8000").replace(/\/$/, "");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.SCREENSHOT_DIR ?? "/tmp";
const OWNER = process.env.OWNER_EMAIL ?? "alice@demo.tunewave";
const GUEST = process.env.GUEST_EMAIL ?? "bob@demo.tunewave";
const ROOM_NAME = `Smoke test ${new Date().toISOString().replace(/[:.]/g, "-")}`;

const results = [];
function check(name, ok, detail = "") {
  results.push({ name, ok });
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? ` — ${detail}` : ""}`);
}

async function signIn(page, email) {
  await page.goto(`${BASE_URL}/app/signin`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/app\/rooms/);
}

async function audioState(page) {
  return page.evaluate(() => {
    const audio = document.querySelector("audio");
    return audio ? { time: audio.currentTime, paused: audio.paused, src: audio.currentSrc } : null;
  });
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: !process.env.HEADFUL,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
  ].filter((arg) => arg !== "--headless" || !process.env.HEADFUL),
});

let exitCode = 0;
try {
  const owner = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
  const guest = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true })).newPage();
  const pageErrors = [];
  for (const page of [owner, guest]) page.on("pageerror", (error) => pageErrors.push(String(error)));

  // --- sign in, rooms list --------------------------------------------------------------
  await signIn(owner, OWNER);
  check("owner signs in with the dev login", owner.url().includes("/app/rooms"));
  await owner.getByRole("heading", { name: "Rooms" }).waitFor();
  await owner.locator("ul[aria-label='Rooms']").or(owner.getByText("No rooms yet.")).first().waitFor({ timeout: 10_000 });
  await owner.screenshot({ path: `${SHOTS}/tunewave-rooms.png`, fullPage: true });

  // --- create a room and queue a favorite -----------------------------------------------
  await owner.getByRole("link", { name: "Create a room" }).click();
  await owner.getByLabel("Name").fill(ROOM_NAME);
  await owner.getByLabel("Description").fill("Created by frontend/e2e/smoke.mjs");
  await owner.getByLabel("Genres").fill("jazz, bebop");
  await owner.getByRole("button", { name: "Create room" }).click();
  await owner.waitForURL(/\/app\/rooms\/[0-9a-f-]{36}$/);
  const roomUrl = owner.url();
  await owner.getByText("live", { exact: true }).waitFor({ timeout: 10_000 });
  check("room page opens its socket", true);

  await owner.getByRole("button", { name: "Add from my favorites" }).click();
  await owner.getByRole("button", { name: "+ Queue" }).first().click();
  await owner.getByText("Now playing", { exact: true }).waitFor({ timeout: 10_000 });
  const trackName = (await owner.locator("section[aria-label='Now playing'] h2").textContent())?.trim();
  check("queued favorite starts playing", Boolean(trackName), trackName);

  await owner.waitForTimeout(2500);
  const a1 = await audioState(owner);
  check("owner's audio element plays the clip", a1 !== null && !a1.paused && a1.time > 0.5, JSON.stringify(a1));

  // --- chat -----------------------------------------------------------------------------
  const text = `hello <b>from</b> the smoke test ${Date.now()}`;
  await owner.getByRole("textbox", { name: "Message" }).fill(text);
  await owner.getByRole("textbox", { name: "Message" }).press("Enter");
  await owner.locator("ol[aria-label='Messages'] li", { hasText: text }).last().waitFor();
  const sendingGone = await owner
    .locator("ol[aria-label='Messages'] time", { hasText: "sending…" })
    .waitFor({ state: "detached", timeout: 5000 })
    .then(() => true, () => false);
  check("chat message is echoed by the server", sendingGone);
  check("chat shows markup as text", (await owner.locator("ol[aria-label='Messages'] b").count()) === 0);

  // --- a second listener ---------------------------------------------------------------
  await signIn(guest, GUEST);
  await guest.goto(roomUrl);
  await guest.getByRole("heading", { name: ROOM_NAME }).waitFor();
  const join = guest.getByRole("button", { name: "Join room" });
  if (await join.isVisible()) await join.click();
  await guest.getByRole("button", { name: "Leave room" }).waitFor();
  await guest.locator("ol[aria-label='Messages'] li", { hasText: text }).waitFor({ timeout: 10_000 });
  check("guest sees the chat history", true);
  await guest.waitForTimeout(3000);
  const [o, g] = await Promise.all([audioState(owner), audioState(guest)]);
  const gap = o && g ? Math.abs(o.time - g.time) : Infinity;
  check("both listeners are at the same position", gap < 0.35, `owner ${o?.time.toFixed(2)} s, guest ${g?.time.toFixed(2)} s`);

  await guest.getByRole("textbox", { name: "Message" }).fill("hi alice!");
  await guest.getByRole("button", { name: "Send" }).click();
  await owner.locator("ol[aria-label='Messages'] li", { hasText: "hi alice!" }).waitFor({ timeout: 10_000 });
  check("owner gets the guest's message live", true);
  await owner.getByText(/Listening now \(2\)/).waitFor({ timeout: 10_000 }).then(
    () => check("presence shows both listeners", true),
    () => check("presence shows both listeners", false),
  );

  // --- friends and the notification bell ------------------------------------------------
  const addFriend = guest.locator("li", { hasText: "@alice" }).getByRole("button", { name: "+ Friend" });
  if (await addFriend.isVisible().catch(() => false)) {
    await addFriend.click();
    const bell = owner.getByTestId("unread-count");
    await bell.waitFor({ timeout: 10_000 }).then(
      () => check("friend request lights the owner's bell", true),
      () => check("friend request lights the owner's bell", false),
    );
  } else {
    console.log("skip friend request: already friends or requested");
  }

  await owner.screenshot({ path: `${SHOTS}/tunewave-room.png`, fullPage: true });
  await guest.screenshot({ path: `${SHOTS}/tunewave-room-mobile.png`, fullPage: true });

  // --- other screens render -------------------------------------------------------------
  for (const [path, heading] of [
    ["/app/discover", "Discover"],
    ["/app/friends", "Friends"],
    ["/app/profile", "Your profile"],
    ["/app/favorites", "Favorite tracks"],
    ["/app/notifications", "Notifications"],
  ]) {
    await owner.goto(`${BASE_URL}${path}`);
    const shown = await owner
      .getByRole("heading", { name: heading, exact: true })
      .waitFor({ timeout: 10_000 })
      .then(() => true, () => false);
    check(`${path} renders`, shown);
  }
  await owner.screenshot({ path: `${SHOTS}/tunewave-notifications.png`, fullPage: true });
  await owner.goto(`${BASE_URL}/app/discover`);
  await owner.getByRole("heading", { name: "Rooms for you" }).waitFor();
  await owner.waitForTimeout(500);
  await owner.screenshot({ path: `${SHOTS}/tunewave-discover.png`, fullPage: true });

  // --- clean up -------------------------------------------------------------------------
  await owner.goto(roomUrl);
  await owner.getByRole("button", { name: "Room settings" }).click();
  owner.once("dialog", (dialog) => void dialog.accept());
  await owner.getByRole("button", { name: "Delete room" }).click();
  await owner.waitForURL(/\/app\/rooms$/);
  check("owner deletes the room", true);

  check("no uncaught page errors", pageErrors.length === 0, pageErrors.join(" | "));
} catch (error) {
  console.error(error);
  for (const [i, context] of browser.contexts().entries()) {
    for (const page of context.pages()) await page.screenshot({ path: `${SHOTS}/tunewave-failure-${i}.png`, fullPage: true }).catch(() => {});
  }
  check("smoke run finished", false, String(error));
} finally {
  await browser.close();
}

const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
if (failed) exitCode = 1;
process.exit(exitCode);
