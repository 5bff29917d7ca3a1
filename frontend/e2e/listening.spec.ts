/**
 * Listening together (issue 14): the music keeps playing while a listener moves around the web
 * app (the mini-player); two of three listeners vote and the track skips for everyone; a room
 * whose queue runs out keeps playing a track TuneWave picks (autoplay).
 *
 * Waits for states (the page's text, the <audio> element's position), never for times.
 */
import type { Page } from "@playwright/test";

import { audioState, expect, expectNoSeriousAxeViolations, expectNoSidewaysOverflow, screenshot, test, uid, waitForLive, type App, type Room, type User } from "./fixtures";

const nowPlaying = (page: Page) => page.locator("section[aria-label='Now playing']");
const miniPlayer = (page: Page) => page.getByRole("region", { name: "Now playing in your room" });

/** A room of `owner` with `tracks` queued (the first starts at once), joined by `listeners`. */
async function roomWith(app: App, owner: User, listeners: User[], tracks: string[], data: Parameters<App["room"]>[1] = {}): Promise<Room> {
  const room = await app.room(owner, data);
  for (const listener of listeners) await listener.api.post(`/rooms/${room.id}/join`);
  for (const spotifyId of tracks) await owner.api.post(`/rooms/${room.id}/queue`, { spotify_id: spotifyId });
  return room;
}

async function openRoom(app: App, user: User, room: Room): Promise<Page> {
  const page = await app.page(user);
  await page.goto(`/app/rooms/${room.id}`);
  await waitForLive(page);
  return page;
}

/** The page's <audio> plays: not paused, and past `after` seconds (or on another clip). */
async function expectPlaying(page: Page, message: string, after = 0.3, src?: string) {
  await expect
    .poll(
      async () => {
        const state = await audioState(page);
        return state !== null && !state.paused && (state.time > after || (src !== undefined && state.src !== src));
      },
      { message, timeout: 20_000 },
    )
    .toBe(true);
}

test("music keeps playing while the listener opens their profile and comes back", async ({ app }) => {
  const owner = await app.user({ displayName: `Owner ${uid()}` });
  const listener = await app.user({ displayName: `Listener ${uid()}` });
  const tracks = await app.demoTracks();
  const room = await roomWith(app, owner, [listener], tracks.slice(0, 3), { name: `Keep playing ${uid()}` });

  const page = await openRoom(app, listener, room);
  await expect(nowPlaying(page).locator("h2")).not.toBeEmpty();
  await expectPlaying(page, "the listener's <audio> plays the clip");
  await expect(miniPlayer(page)).toHaveCount(0); // the room page has the full player

  // Mark the element: the same one must go on playing (not a new one started on return).
  await page.evaluate(() => {
    document.querySelector("audio")!.dataset.e2e = "kept";
  });
  const before = (await audioState(page))!;

  // To the profile through the app's own menu (no reload).
  await page.getByRole("button", { name: "Account menu" }).click();
  await page.getByRole("menuitem", { name: "Profile & history" }).click();
  await expect(page).toHaveURL(/\/app\/profile$/);
  const mini = miniPlayer(page);
  await expect(mini).toBeVisible();
  await expect(mini.getByText(room.name)).toBeVisible();
  await expect(mini.getByRole("link", { name: "Back to room" })).toBeVisible();
  await expect(mini.getByRole("button", { name: "Mute" })).toBeVisible();
  await expectPlaying(page, "the music goes on on the profile page", before.time + 1, before.src);
  expect(await page.evaluate(() => document.querySelector("audio")?.dataset.e2e)).toBe("kept");

  // The mini-player passes axe (contrast, names, 24 px targets) and fits a phone.
  await expectNoSeriousAxeViolations(page, "profile page with the mini-player at 1280x800");
  await page.setViewportSize({ width: 360, height: 740 });
  await expect(mini).toBeVisible();
  await expectNoSidewaysOverflow(page, "profile page with the mini-player at 360x740");
  await expectNoSeriousAxeViolations(page, "profile page with the mini-player at 360x740");
  await screenshot(page, "mini-player-phone");
  const back = await mini.getByRole("link", { name: "Back to room" }).boundingBox();
  expect(back!.height).toBeGreaterThanOrEqual(24);
  await page.setViewportSize({ width: 1280, height: 800 });

  const onProfile = (await audioState(page))!;
  await mini.getByRole("link", { name: "Back to room" }).click();
  await expect(page).toHaveURL(new RegExp(`/app/rooms/${room.id}$`));
  await expect(nowPlaying(page).locator("h2")).not.toBeEmpty();
  await expect(miniPlayer(page)).toHaveCount(0);
  await expectPlaying(page, "still playing back in the room", onProfile.time + 0.5, onProfile.src);
  expect(await page.evaluate(() => document.querySelector("audio")?.dataset.e2e)).toBe("kept");
  expect(app.pageErrors).toEqual([]);
});

test("two of three listeners vote and the track skips for all three", async ({ app }) => {
  const owner = await app.user({ displayName: `Owner ${uid()}` });
  const ann = await app.user({ displayName: `Ann ${uid()}` });
  const bob = await app.user({ displayName: `Bob ${uid()}` });
  const tracks = await app.demoTracks();
  const room = await roomWith(app, owner, [ann, bob], tracks.slice(0, 3), { name: `Votes ${uid()}` });

  const pages = [await openRoom(app, owner, room), await openRoom(app, ann, room), await openRoom(app, bob, room)];
  const [ownerPage, annPage, bobPage] = pages as [Page, Page, Page];
  // All three are online before anyone votes (skip_share 0.5 of 3 → 2 votes needed).
  await expect(ownerPage.getByRole("list", { name: "Listening now" }).getByRole("listitem")).toHaveCount(3, { timeout: 15_000 });
  const first = (await nowPlaying(ownerPage).locator("h2").textContent())!.trim();
  for (const page of pages) await expect(nowPlaying(page).locator("h2")).toHaveText(first);

  await annPage.getByRole("button", { name: /^Vote to skip/ }).click();
  for (const page of pages) await expect(nowPlaying(page).getByTestId("skip-votes")).toHaveText("1/2");
  await expect(annPage.getByRole("button", { name: /Voted to skip/ })).toBeDisabled();

  await bobPage.getByRole("button", { name: /^Vote to skip/ }).click();
  for (const page of pages) await expect(nowPlaying(page).locator("h2")).not.toHaveText(first);
  const second = (await nowPlaying(ownerPage).locator("h2").textContent())!.trim();
  for (const page of pages) {
    await expect(nowPlaying(page).locator("h2")).toHaveText(second);
    // A new play: votes start over, and Ann may vote again.
    await expect(nowPlaying(page).getByRole("button", { name: /^Vote to skip/ })).toBeEnabled();
  }
  expect(app.pageErrors).toEqual([]);
});

test("a room whose queue runs out keeps playing a track TuneWave picks", async ({ app }) => {
  const owner = await app.user({ displayName: `Owner ${uid()}` });
  const tracks = await app.demoTracks();
  // A few-second track (a demo clip's audio, said to last 8 s): the server ends it on time.
  const demo = await owner.api.get(`/track/${tracks[0]}`);
  const id = `e2e${uid()}`.padEnd(22, "0").slice(0, 22);
  const short = await owner.api.post("/track", {
    spotify_id: id,
    name: `Short ${id.slice(3, 12)}`,
    artists: ["The Browser Suite"],
    album: "Tests",
    duration_ms: 8000,
    genres: ["jazz"],
    audio_url: demo.audio_url ? new URL(demo.audio_url).pathname : "",
  });
  // Autoplay off while the short track is queued (an idle autoplay room starts a pick of its own
  // as soon as someone listens), then on: when the queue runs out, the room picks.
  const room: Room = await owner.api.post("/rooms/", { name: `Autoplay ${uid()}`, genres: ["jazz"], description: "", autoplay: false });
  const page = await openRoom(app, owner, room);
  await expect(nowPlaying(page).getByText("Nothing playing")).toBeVisible();
  await owner.api.post(`/rooms/${room.id}/queue`, { spotify_id: short.spotify_id });
  await expect(nowPlaying(page).locator("h2")).toHaveText(short.name);
  const patched = await owner.api.request.fetch(`/rooms/${room.id}`, { method: "PATCH", data: { autoplay: true } });
  expect(patched.status(), await patched.text()).toBe(200);
  // The queue runs out: the room goes on with its own pick, said to be TuneWave's, with a reason.
  await expect(nowPlaying(page).locator("h2")).not.toHaveText(short.name, { timeout: 30_000 });
  await expect(nowPlaying(page).locator("h2")).not.toBeEmpty();
  await expect(nowPlaying(page).getByText(/^Picked by TuneWave/)).toBeVisible();
  await expect(nowPlaying(page).getByText("Now playing", { exact: true })).toBeVisible();
  expect(app.pageErrors).toEqual([]);
});
