/**
 * The room page's layout on phones and its states (issue 13, contract13.md): tabs with the
 * chat input in the first screen; banned, closed; the header's member count.
 */
import type { Page } from "@playwright/test";

import { DESKTOP, expect, messageItem, PHONE, sendChat, SMALL, test, uid, waitForLive, type App, type User } from "./fixtures";

async function playingRoom(app: App, owner: User, ...members: User[]) {
  const room = await app.room(owner, { name: `States ${uid()}` });
  const [track] = await app.demoTracks();
  await owner.api.post(`/rooms/${room.id}/queue`, { spotify_id: track });
  for (const member of members) await member.api.post(`/rooms/${room.id}/join`);
  return room;
}

async function openRoom(app: App, user: User, roomId: string, viewport = DESKTOP, mobile = false) {
  const page = await app.page(user, { viewport, mobile });
  await page.goto(`/app/rooms/${roomId}`);
  await waitForLive(page);
  return page;
}

const playingAudio = (page: Page) =>
  page.evaluate(() => Array.from(document.querySelectorAll("audio")).filter((audio) => !audio.paused).length);

const listeningNow = (page: Page) => page.locator("section", { has: page.getByRole("heading", { name: /Listening now/ }) });

for (const [label, viewport] of [
  ["390x844", PHONE],
  ["360x740", SMALL],
] as const) {
  test(`phone room page (${label}): player visible, Chat / Queue / People tabs, the Message box in the first screen`, async ({ app }) => {
    const owner = await app.user();
    const room = await playingRoom(app, owner);
    const page = await openRoom(app, owner, room.id, viewport, true);

    const tabs = page.getByRole("tablist", { name: "Room sections" });
    await expect(tabs).toBeVisible();
    await expect(tabs.getByRole("tab")).toHaveText(["Chat", "Queue", "People"]);
    await expect(tabs.getByRole("tab", { name: "Chat" })).toHaveAttribute("aria-selected", "true");
    await expect(page.locator("section[aria-label='Now playing']")).toBeInViewport();

    const box = page.getByRole("textbox", { name: "Message" });
    await expect(box).toBeVisible();
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    // The layout settles once the player has said what it is doing ("Syncing with the room…"
    // comes and goes): wait for the box's place, not for a time.
    await expect
      .poll(async () => {
        const rect = await box.boundingBox();
        return rect ? rect.y + rect.height : Infinity;
      }, { message: "the Message box is within the first screen" })
      .toBeLessThanOrEqual(viewport.height);

    await tabs.getByRole("tab", { name: "Queue" }).click();
    await expect(tabs.getByRole("tab", { name: "Queue" })).toHaveAttribute("aria-selected", "true");
    await expect(page.getByRole("tabpanel")).toBeVisible();
    await expect(page.locator("section[aria-label='Now playing']")).toBeInViewport();
    await tabs.getByRole("tab", { name: "People" }).click();
    await expect(page.getByRole("tabpanel").getByText(`@${owner.username}`)).toBeVisible();
  });
}

test("desktop room page shows chat, queue and people at once (no tabs)", async ({ app }) => {
  const owner = await app.user();
  const room = await playingRoom(app, owner);
  const page = await openRoom(app, owner, room.id);
  await expect(page.getByRole("tablist", { name: "Room sections" })).toBeHidden();
  await expect(page.getByRole("textbox", { name: "Message" })).toBeVisible();
  await expect(page.locator("section[aria-labelledby='queue-heading']")).toBeVisible();
  await expect(page.locator("section[aria-labelledby='members-heading']")).toBeVisible();
});

async function expectBanned(page: Page, listener: User, earlier: string, reason?: string) {
  const alert = page.getByRole("alert").filter({ hasText: "You were banned from this room." });
  await expect(alert).toBeVisible();
  if (reason) await expect(alert).toContainText(reason);
  await expect.poll(() => playingAudio(page), { message: "no <audio> plays after the ban" }).toBe(0);
  await expect(page.getByRole("button", { name: "Leave room" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Join room" })).toHaveCount(0);
  await expect(page.getByRole("textbox", { name: "Message" })).toBeDisabled();
  await expect(listeningNow(page).getByText(listener.display_name || listener.username)).toHaveCount(0);
  await expect(messageItem(page, earlier)).toBeVisible();
  await expect(page.getByText("You left this room.")).toHaveCount(0);
}

test("banned through the People list: alert, audio stops, no Leave/Join, chat disabled, messages stay", async ({ app }) => {
  const owner = await app.user();
  const listener = await app.user({ displayName: `Listener ${uid()}` });
  const room = await playingRoom(app, owner, listener);
  const ownerPage = await openRoom(app, owner, room.id);
  const page = await openRoom(app, listener, room.id);
  await expect.poll(() => playingAudio(page), { message: "the listener hears the room" }).toBeGreaterThan(0);
  const earlier = `before the ban ${uid()}`;
  await sendChat(page, earlier);
  await expect(messageItem(ownerPage, earlier)).toBeVisible();

  const entry = ownerPage.locator("li", { hasText: `@${listener.username}` });
  await entry.getByRole("button", { name: /^Ban/ }).click();
  await entry.getByRole("textbox").fill("too loud");
  await entry.getByRole("button", { name: "Ban", exact: true }).click();

  await expectBanned(page, listener, earlier, "too loud");
  await expect(ownerPage.locator("li", { hasText: `@${listener.username}` })).toHaveCount(0);
});

test("banned through the API: the listener's page moves to the banned state", async ({ app }) => {
  const owner = await app.user();
  const listener = await app.user({ displayName: `Listener ${uid()}` });
  const room = await playingRoom(app, owner, listener);
  const page = await openRoom(app, listener, room.id, PHONE, true);
  await expect.poll(() => playingAudio(page)).toBeGreaterThan(0);
  const earlier = `before the ban ${uid()}`;
  await sendChat(page, earlier);
  await expect(messageItem(page, earlier).getByText("sending…")).toHaveCount(0);

  await owner.api.post(`/rooms/${room.id}/members/${listener.id}/ban`, { reason: "spam" });
  await expectBanned(page, listener, earlier, "spam");
});

test("a closed room: 'This room was closed.' once, no member controls, chat disabled", async ({ app }) => {
  const owner = await app.user();
  const listener = await app.user();
  const room = await playingRoom(app, owner, listener);
  const page = await openRoom(app, listener, room.id);
  const earlier = `before closing ${uid()}`;
  await sendChat(page, earlier);
  await expect(messageItem(page, earlier)).toBeVisible();

  await owner.api.delete(`/rooms/${room.id}`);
  await expect(page.getByText("This room was closed.")).toBeVisible();
  await expect(page.getByText("This room was closed.")).toHaveCount(1);
  await expect(page.getByRole("button", { name: "Leave room" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Room settings" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Add from my favorites" })).toHaveCount(0);
  await expect(page.getByRole("textbox", { name: "Message" })).toBeDisabled();
  await expect.poll(() => playingAudio(page)).toBe(0);
});

test("the header's member count equals the members list, as people join and leave", async ({ app }) => {
  const owner = await app.user();
  const room = await playingRoom(app, owner);
  const page = await openRoom(app, owner, room.id);
  const header = page.locator("main").getByText(/\b\d+ members?\b/).first();
  const listed = page.locator("section[aria-labelledby='members-heading'] ul > li");

  await expect(header).toHaveText(/\b1 member\b/);
  await expect(listed).toHaveCount(1);

  const a = await app.user();
  const b = await app.user();
  await a.api.post(`/rooms/${room.id}/join`);
  await b.api.post(`/rooms/${room.id}/join`);
  await expect(listed).toHaveCount(3);
  await expect(header).toHaveText(/\b3 members\b/);

  await a.api.post(`/rooms/${room.id}/leave`);
  await expect(listed).toHaveCount(2);
  await expect(header).toHaveText(/\b2 members\b/);
});
