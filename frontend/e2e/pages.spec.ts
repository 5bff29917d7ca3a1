/**
 * Every page of the app, with long content seeded through the API (a room name and
 * description without spaces, an unbroken 2,000-character chat message, a 64-character
 * display name without spaces, a long bio): axe-core finds no serious or critical WCAG 2.1 A/AA
 * violation, nothing scrolls sideways at 1280x800 or 360x740, and a full-page screenshot of
 * each size lands in e2e/screenshots/<page>-desktop.png / -phone.png.
 */
import { checkPage, expect, test, uid, type App, type Room, type User } from "./fixtures";
import type { Page } from "@playwright/test";

interface Seed {
  id: string;
  owner: User;
  room: Room;
  longName: string;
  longMessage: string;
}

/** A name of exactly `length` characters with no spaces, ending in the test's id. */
function unbroken(prefix: string, id: string, length: number, fill = "x") {
  return `${prefix}${fill.repeat(Math.max(0, length - prefix.length - id.length))}${id}`;
}

async function seed(app: App): Promise<Seed> {
  const id = uid();
  const longName = unbroken("Longdisplayname", id, 64);
  const owner = await app.user({ displayName: longName });
  await owner.api.put(`/users/${owner.id}`, {
    bio: unbroken("Bio", id, 500, "b"),
    favorite_genres: ["jazz", "bebop", unbroken("genre", id, 50, "g")],
  });
  const room = await app.room(owner, {
    name: unbroken("Unbrokenroomname", id, 80, "N"),
    description: unbroken("Description", id, 1000, "D"),
    genres: ["jazz", unbroken("genre", id, 50, "g")],
  });
  const tracks = await app.demoTracks();
  await owner.api.post(`/rooms/${room.id}/queue`, { spotify_id: tracks[0] });
  for (const spotifyId of tracks.slice(0, 2)) await owner.api.post("/favorites/me", { spotify_id: spotifyId });
  const longMessage = unbroken("M", id, 2000, "m");
  await owner.api.post(`/chat/${room.id}`, { text: longMessage });
  await owner.api.post(`/chat/${room.id}`, { text: `a link https://example.com/${"p".repeat(300)} and @${owner.username}` });
  return { id, owner, room, longName, longMessage };
}

/** A second user with a long name who has sent `to` a friend request (so Friends and
 * Notifications have a long-named entry). */
async function friendRequestFrom(app: App, to: User, id: string) {
  const other = await app.user({ displayName: unbroken("Requester", id, 64, "r") });
  await other.api.post("/friendships/send-request", { user_id: to.id });
  return other;
}

const loaded = async (page: Page) => {
  await expect(page.getByRole("status").filter({ hasText: /Loading/ })).toHaveCount(0);
};

const heading = (page: Page, name: string | RegExp) => page.getByRole("heading", { level: 1, name });

test.describe("every page: axe-core, no sideways overflow, screenshots", () => {
  test("landing page (signed out)", async ({ app }) => {
    await seed(app);
    const page = await app.page(null);
    await page.goto("/app/");
    await checkPage(page, "landing", async () => {
      await expect(page.getByRole("heading", { level: 1 })).toContainText("TuneWave");
      await expect(page.getByRole("heading", { level: 2, name: "Live now" })).toBeVisible();
      await loaded(page);
    });
  });

  test("sign-in page", async ({ app }) => {
    const page = await app.page(null);
    await page.goto("/app/signin");
    await checkPage(page, "signin", async () => {
      await expect(heading(page, "Sign in to TuneWave")).toBeVisible();
      await expect(page.getByLabel("E-mail")).toBeVisible();
    });
  });

  test("@smoke rooms list", async ({ app }) => {
    const { owner, room } = await seed(app);
    const page = await app.page(owner);
    await page.goto("/app/rooms");
    await checkPage(page, "rooms", async () => {
      await expect(heading(page, "Rooms")).toBeVisible();
      await expect(page.getByText(room.name).first()).toBeVisible();
      await loaded(page);
    });
  });

  test("create-room page", async ({ app }) => {
    const owner = await app.user({ displayName: unbroken("Creator", uid(), 64) });
    const page = await app.page(owner);
    await page.goto("/app/rooms/new");
    await checkPage(page, "create-room", async () => {
      await expect(heading(page, "Create a room")).toBeVisible();
      await expect(page.getByLabel("Name")).toBeVisible();
    });
  });

  test("room page as a member (owner), with long chat content", async ({ app }) => {
    const { owner, room, longMessage } = await seed(app);
    const page = await app.page(owner);
    await page.goto(`/app/rooms/${room.id}`);
    await checkPage(page, "room-member", async () => {
      await expect(heading(page, room.name)).toBeVisible();
      await expect(page.getByText("live", { exact: true })).toBeVisible();
      await expect(page.locator("ol[aria-label='Messages'] li", { hasText: longMessage.slice(0, 40) })).toBeVisible();
      await loaded(page);
    });
  });

  test("room page as a non-member", async ({ app }) => {
    const { room, id } = await seed(app);
    const visitor = await app.user({ displayName: unbroken("Visitor", id, 64, "v") });
    const page = await app.page(visitor);
    await page.goto(`/app/rooms/${room.id}`);
    await checkPage(page, "room-visitor", async () => {
      await expect(heading(page, room.name)).toBeVisible();
      await expect(page.getByRole("button", { name: "Join room" })).toBeVisible();
      await loaded(page);
    });
  });

  test("discover page", async ({ app }) => {
    const { owner } = await seed(app);
    const page = await app.page(owner);
    await page.goto("/app/discover");
    await checkPage(page, "discover", async () => {
      await expect(heading(page, "Discover")).toBeVisible();
      await expect(page.getByRole("heading", { name: "Rooms for you" })).toBeVisible();
      await loaded(page);
    });
  });

  test("search results page", async ({ app }) => {
    // The seed's room (an unbroken 80-character name) and owner (an unbroken 64-character name) both end in the id.
    const { room, id, longName } = await seed(app);
    const viewer = await app.user({ displayName: `Viewer ${id}` });
    const page = await app.page(viewer);
    await page.goto(`/app/search?q=${id}`);
    await checkPage(page, "search", async () => {
      await expect(heading(page, `Results for “${id}”`)).toBeVisible();
      await expect(page.getByRole("list", { name: "Rooms" }).getByRole("link", { name: room.name })).toBeVisible();
      await expect(page.getByRole("list", { name: "People" }).getByRole("link", { name: new RegExp(longName) })).toBeVisible();
      await loaded(page);
    });
  });

  test("friends page", async ({ app }) => {
    const { owner, id } = await seed(app);
    const requester = await friendRequestFrom(app, owner, id);
    const page = await app.page(owner);
    await page.goto("/app/friends");
    await checkPage(page, "friends", async () => {
      await expect(heading(page, "Friends")).toBeVisible();
      await expect(page.getByText(requester.display_name).first()).toBeVisible();
      await loaded(page);
    });
  });

  test("favorites page", async ({ app }) => {
    const { owner } = await seed(app);
    const page = await app.page(owner);
    await page.goto("/app/favorites");
    await checkPage(page, "favorites", async () => {
      await expect(heading(page, "Favorite tracks")).toBeVisible();
      await loaded(page);
      await expect(page.getByRole("listitem").first()).toBeVisible();
    });
  });

  test("profile page", async ({ app }) => {
    const { owner, longName } = await seed(app);
    const page = await app.page(owner);
    await page.goto("/app/profile");
    await checkPage(page, "profile", async () => {
      await expect(heading(page, "Your profile")).toBeVisible();
      await expect(page.getByLabel("Display name")).toHaveValue(longName);
      await loaded(page);
    });
  });

  test("a user's page", async ({ app }) => {
    const { owner, longName, id } = await seed(app);
    const viewer = await app.user({ displayName: `Viewer ${id}` });
    const page = await app.page(viewer);
    await page.goto(`/app/users/${owner.id}`);
    await checkPage(page, "user", async () => {
      await expect(heading(page, longName)).toBeVisible();
      await loaded(page);
    });
  });

  test("notifications page", async ({ app }) => {
    const { owner, id } = await seed(app);
    const requester = await friendRequestFrom(app, owner, id);
    const page = await app.page(owner);
    await page.goto("/app/notifications");
    await checkPage(page, "notifications", async () => {
      await expect(heading(page, "Notifications")).toBeVisible();
      await expect(page.getByText(requester.display_name).first()).toBeVisible();
      await loaded(page);
    });
  });

  test("404 page", async ({ app }) => {
    const owner = await app.user();
    const page = await app.page(owner);
    await page.goto("/app/no-such-page");
    await checkPage(page, "not-found", async () => {
      await expect(page.getByText("Page not found.")).toBeVisible();
    });
  });
});
