/**
 * Finding things by typing (issue 14): a listener adds a track to the room's queue by typing
 * part of its name in "Add a track" (keyboard only: type, arrows, Enter) and hears it start;
 * the header's search box finds a room and a person and opens them, and Enter with nothing
 * chosen opens the results page. axe runs with each popup open.
 */
import type { Locator, Page } from "@playwright/test";

import { audioState, expect, expectNoSeriousAxeViolations, test, uid, waitForLive, type App, type User } from "./fixtures";

interface TrackInfo {
  spotify_id: string;
  name: string;
  artists: string[];
}

/** A demo track (it has a playable clip) and a part of its name to type. */
async function demoTrack(app: App, user: User): Promise<{ track: TrackInfo; part: string }> {
  for (const spotifyId of await app.demoTracks()) {
    const track: TrackInfo = await user.api.get(`/track/${spotifyId}`);
    const word = track.name.split(/[^\p{L}\p{N}]+/u).find((w) => w.length >= 5);
    if (word) return { track, part: word.slice(0, 5).toLowerCase() };
  }
  throw new Error("no demo track has a word of 5 letters in its name");
}

/** Moves the highlight with the arrow keys to the option whose text contains `text` (one
 * ArrowDown per try: results still arriving for the text being typed reset the highlight). */
async function arrowTo(page: Page, box: Locator, text: string) {
  const list = page.locator(`[id="${await box.getAttribute("aria-controls")}"]`);
  await expect(list.getByRole("option").filter({ hasText: text }).first()).toBeVisible();
  await expect(async () => {
    const id = await box.getAttribute("aria-activedescendant");
    const active = id ? ((await page.locator(`[id="${id}"]`).textContent()) ?? "") : "";
    if (!active.includes(text)) {
      await box.press("ArrowDown");
      throw new Error(`the highlighted option is ${JSON.stringify(active)}, not ${JSON.stringify(text)}`);
    }
  }).toPass({ timeout: 10_000, intervals: [100] });
}

test("a listener finds a track by typing part of its name and queues it with the keyboard", async ({ app }) => {
  const owner = await app.user({ displayName: `Owner ${uid()}` });
  const listener = await app.user({ displayName: `Listener ${uid()}` });
  const room = await owner.api.post("/rooms/", {
    name: `Find ${uid()}`,
    description: "search.spec.ts",
    genres: ["jazz"],
    is_private: false,
    queue_policy: "members",
    // No suggestions of its own: the room is silent until the listener queues the track.
    autoplay: false,
  });
  await listener.api.post(`/rooms/${room.id}/join`);
  const { track, part } = await demoTrack(app, listener);

  const page = await app.page(listener);
  await page.goto(`/app/rooms/${room.id}`);
  await waitForLive(page);

  const box = page.getByRole("combobox", { name: "Add a track" });
  await box.click();
  await box.pressSequentially(part);
  await expect(box).toHaveAttribute("aria-expanded", "true");
  // The option's text: the name, then the artists and the duration (another track's name may contain this one's).
  const label = `${track.name}${track.artists.join(", ")}`;
  const option = page.getByRole("option").filter({ hasText: label }).first();
  await expect(option).toBeVisible();
  await expect(option).toContainText(/ · \d+:\d\d/);
  await expect(option.locator("img")).toHaveAttribute("src", /.+/);
  await expectNoSeriousAxeViolations(page, "room page with the track picker open");

  await arrowTo(page, box, label);
  await box.press("Enter");

  await expect(page.getByText(`Added ${track.name} by ${track.artists.join(", ")} to the queue.`)).toBeVisible();
  await expect(box).toHaveValue("");
  // The room was idle: the track starts playing (it shows as now playing, the audio runs).
  await expect(page.getByText(track.name, { exact: true }).first()).toBeVisible();
  await expect.poll(async () => (await audioState(page))?.paused === false, { timeout: 15_000 }).toBe(true);
  const now = await owner.api.get(`/rooms/${room.id}`);
  expect(now.now_playing?.spotify_id).toBe(track.spotify_id);
  expect(app.pageErrors).toEqual([]);
});

test("the header search finds a room and a person, and Enter opens the results page", async ({ app }) => {
  const id = uid();
  const owner = await app.user({ displayName: `Owner ${id}` });
  const room = await app.room(owner, { name: `Findable ${id} Lounge` });
  const person = await app.user({ displayName: `Seeker ${id}` });
  const viewer = await app.user({ displayName: `Viewer ${uid()}` });

  const page = await app.page(viewer);
  await page.goto("/app/rooms");
  const box = page.getByRole("combobox", { name: "Search" });

  // A room: type part of its name, arrow to it, Enter.
  await box.click();
  await box.pressSequentially(`findable ${id}`);
  await expect(page.getByRole("option").filter({ hasText: room.name })).toBeVisible();
  await expectNoSeriousAxeViolations(page, "header search popup");
  await arrowTo(page, box, room.name);
  await box.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/app/rooms/${room.id}$`));
  await expect(page.getByRole("heading", { level: 1, name: room.name })).toBeVisible();

  // A person: by part of their display name.
  await box.click();
  await box.pressSequentially(`seeker ${id}`);
  await arrowTo(page, box, person.display_name);
  await box.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/app/users/${person.id}$`));
  await expect(page.getByRole("heading", { level: 1, name: person.display_name })).toBeVisible();

  // Enter with nothing chosen: the results page, with the room and the person in their sections.
  await box.click();
  await box.fill(id);
  await box.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/app/search\\?q=${id}$`));
  await expect(page.getByRole("heading", { level: 1, name: `Results for “${id}”` })).toBeVisible();
  await expect(page.getByRole("list", { name: "Rooms" }).getByRole("link", { name: room.name })).toBeVisible();
  await page.getByRole("list", { name: "People" }).getByRole("link", { name: new RegExp(person.display_name) }).click();
  await expect(page).toHaveURL(new RegExp(`/app/users/${person.id}$`));
  expect(app.pageErrors).toEqual([]);
});
