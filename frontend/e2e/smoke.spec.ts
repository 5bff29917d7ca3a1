/**
 * The core loop, as the old e2e/smoke.mjs checked it: two people sign in with the dev login,
 * one creates a room and queues a favourite, both hear the same moment, they chat, the guest
 * sends a friend request that lights the owner's bell. Run in both modes (@smoke).
 */
import { audioState, expect, messageItem, PHONE, sendChat, syncGap, test, uid, waitForLive, type App } from "./fixtures";

async function signInWithDevLogin(app: App, email: string, displayName: string, viewport = { width: 1366, height: 900 }, mobile = false) {
  const page = await app.page(null, { viewport, mobile });
  await page.goto("/app/signin");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Display name").fill(displayName);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/app\/rooms$/);
  await expect(page.getByRole("heading", { name: "Rooms", exact: true })).toBeVisible();
  return page;
}

test("@smoke sign in, create a room, queue a favourite, listen in sync, chat, friend request lights the bell", async ({ app }) => {
  const id = uid();
  const ownerEmail = `owner${id}@example.com`;
  const guestEmail = `guest${id}@example.com`;
  const roomName = `Smoke ${id}`;

  // --- sign in with the dev login (UI) ----------------------------------------------------
  const owner = await signInWithDevLogin(app, ownerEmail, `Owner ${id}`);

  // The owner's favourites (a new account has none): two demo tracks through the API.
  const token = await owner.evaluate(() => JSON.parse(localStorage.getItem("tunewave.auth") ?? "{}").access as string);
  const tracks = await app.demoTracks();
  for (const spotifyId of tracks.slice(0, 2)) {
    const response = await owner.request.post("/favorites/me", {
      data: { spotify_id: spotifyId },
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.ok(), await response.text()).toBeTruthy();
  }

  // --- create a room (UI) and queue a favourite -------------------------------------------
  await owner.getByRole("link", { name: "Create a room" }).click();
  await owner.getByLabel("Name").fill(roomName);
  await owner.getByLabel("Description").fill("Created by the browser suite (smoke.spec.ts)");
  await owner.getByLabel("Genres").fill("jazz, bebop");
  await owner.getByRole("button", { name: "Create room" }).click();
  await expect(owner).toHaveURL(/\/app\/rooms\/[0-9a-f-]{36}$/);
  const roomUrl = new URL(owner.url()).pathname;
  await waitForLive(owner);

  await owner.getByRole("button", { name: "Add from my favorites" }).click();
  await owner.getByRole("button", { name: "+ Queue" }).first().click();
  const nowPlaying = owner.locator("section[aria-label='Now playing']");
  await expect(nowPlaying.locator("h2")).not.toBeEmpty();
  await expect
    .poll(async () => {
      const state = await audioState(owner);
      return state !== null && !state.paused && state.time > 0.5;
    }, { message: "the owner's <audio> plays the clip" })
    .toBe(true);

  // --- chat: the server echoes, markup is shown as text -----------------------------------
  const text = `hello <b>from</b> the smoke test ${id}`;
  await sendChat(owner, text);
  const mine = messageItem(owner, text).last();
  await expect(mine).toBeVisible();
  await expect(mine.getByText("sending…")).toHaveCount(0);
  await expect(owner.locator("ol[aria-label='Messages'] b")).toHaveCount(0);

  // --- a second listener on a phone -------------------------------------------------------
  const guest = await signInWithDevLogin(app, guestEmail, `Guest ${id}`, PHONE, true);
  await guest.goto(roomUrl);
  await expect(guest.getByRole("heading", { name: roomName })).toBeVisible();
  await guest.getByRole("button", { name: "Join room" }).click();
  await expect(guest.getByRole("button", { name: "Leave room" })).toBeVisible();
  await expect(messageItem(guest, text)).toBeVisible();

  await expect
    .poll(() => syncGap(owner, guest), { message: "both listeners at the same position (within 0.35 s)", timeout: 20_000 })
    .toBeLessThan(0.35);

  await sendChat(guest, "hi owner!");
  await expect(messageItem(owner, "hi owner!")).toBeVisible();

  // --- presence ---------------------------------------------------------------------------
  await expect(owner.getByText(/Listening now \(2\)/)).toBeVisible();

  // --- friend request → the owner's bell --------------------------------------------------
  await expect(owner.getByTestId("unread-count")).toHaveCount(0);
  const ownerUsername = await owner.evaluate(async () => {
    const auth = JSON.parse(localStorage.getItem("tunewave.auth") ?? "{}");
    const me = await fetch("/users/me", { headers: { Authorization: `Bearer ${auth.access}` } });
    return (await me.json()).username as string;
  });
  const people = guest.getByRole("tab", { name: "People" });
  if (await people.isVisible()) await people.click();
  await guest.locator("li", { hasText: `@${ownerUsername}` }).getByRole("button", { name: "+ Friend" }).click();
  await expect(owner.getByTestId("unread-count")).toHaveText("1");

  expect(app.pageErrors, "no uncaught page errors").toEqual([]);
});
