/**
 * Signing in, the landing page, forms, names, notifications and the user menu (issue 13,
 * contract13.md).
 */
import { expect, test, uid } from "./fixtures";

test("signing in from a deep link leaves the address bar at the target", async ({ app }) => {
  const owner = await app.user();
  const room = await app.room(owner, { name: `Deep link ${uid()}` });
  const page = await app.page(null);
  await page.goto(`/app/rooms/${room.id}`);
  await expect(page).toHaveURL(/\/app\/signin\?next=/);
  await page.getByLabel("E-mail").fill(`deeplink${uid()}@example.com`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { level: 1, name: room.name })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`/app/rooms/${room.id}$`));
  expect(new URL(page.url()).search).toBe("");
});

test("the landing page tells a signed-out visitor what TuneWave is and shows live rooms", async ({ app }) => {
  const page = await app.page(null);
  await page.goto("/app/");
  await expect(page).toHaveURL(/\/app\/?$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveCount(1);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("TuneWave");
  await expect(page.getByRole("heading", { level: 2, name: "Live now" })).toBeVisible();
  await expect(page.locator("ul[aria-label='Live rooms']").or(page.getByText(/no (live )?rooms/i)).first()).toBeVisible();
  await expect(page.getByRole("link", { name: "Sign in" }).first()).toBeVisible();
});

test("a signed-in visitor at /app/ goes to the rooms list", async ({ app }) => {
  const user = await app.user();
  const page = await app.page(user);
  await page.goto("/app/");
  await expect(page).toHaveURL(/\/app\/rooms$/);
});

test("field errors are shown under their field, in words, without raw field names", async ({ app }) => {
  const user = await app.user();
  const page = await app.page(user);
  await page.goto("/app/profile");
  const username = page.getByLabel("Username");
  await expect(username).toHaveValue(user.username);
  await username.fill("");
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(username).toHaveAttribute("aria-invalid", "true");
  const describedBy = await username.getAttribute("aria-describedby");
  expect(describedBy, "the username field points at its error").toBeTruthy();
  const error = page.locator(describedBy!.split(/\s+/).map((id) => `[id="${id}"]`).join(", "));
  await expect(error.filter({ hasText: /required|enter|empty|blank|choose/i })).toBeVisible();
  await expect(page.getByText(/already taken/i)).toHaveCount(0);
  await expect(page.locator("main")).not.toContainText(/\b(username|spotify_id|avatar_file|user_id|display_name):/);

  // The same rule on another form: a room name that is taken.
  const taken = await app.room(user, { name: `Taken ${uid()}` });
  await page.goto("/app/rooms/new");
  const name = page.getByLabel("Name");
  await name.fill(taken.name);
  await page.getByRole("button", { name: "Create room" }).click();
  await expect(name).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("main")).not.toContainText(/\bname:/);
});

test("a renamed user's room cards show the new name", async ({ app }) => {
  const id = uid();
  const user = await app.user({ displayName: `Before ${id}` });
  const room = await app.room(user, { name: `Renamed ${id}` });
  const page = await app.page(user);
  await page.goto("/app/rooms");
  const card = page.locator("li", { has: page.getByRole("link", { name: room.name }) });
  await expect(card).toContainText(`Before ${id}`);

  await page.getByRole("button", { name: "Account menu" }).click();
  await page.getByRole("menuitem", { name: /Profile/ }).click();
  await page.getByLabel("Display name").fill(`After ${id}`);
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Rooms" }).click();
  await expect(card).toContainText(`After ${id}`);
  await expect(card).not.toContainText(`Before ${id}`);
});

test("an answered friend request's notification no longer offers Accept / Decline", async ({ app }) => {
  const id = uid();
  const me = await app.user({ displayName: `Me ${id}` });
  const friend = await app.user({ displayName: `Asker ${id}` });
  await friend.api.post("/friendships/send-request", { user_id: me.id });
  const page = await app.page(me);
  await page.goto("/app/notifications");
  const item = page.getByRole("listitem").filter({ hasText: `Asker ${id}` });
  await expect(item.getByRole("button", { name: "Accept" })).toBeVisible();

  // Answered elsewhere (the Friends page), then back to Notifications.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Friends" }).click();
  await page.getByRole("listitem").filter({ hasText: `Asker ${id}` }).getByRole("button", { name: "Accept" }).click();
  await expect(page.getByRole("listitem").filter({ hasText: `Asker ${id}` }).getByRole("button", { name: "Accept" })).toHaveCount(0);
  await page.getByRole("button", { name: "Account menu" }).click();
  await page.getByRole("menuitem", { name: "Notifications" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Notifications" })).toBeVisible();
  await expect(item).toBeVisible();
  await expect(item.getByRole("button", { name: "Accept" })).toHaveCount(0);
  await expect(item.getByRole("button", { name: "Decline" })).toHaveCount(0);

  // And a fresh load says the same.
  await page.reload();
  await expect(item).toBeVisible();
  await expect(item.getByRole("button", { name: /Accept|Decline/ })).toHaveCount(0);
});

test("the user menu works from the keyboard: arrows move, Escape closes and returns focus", async ({ app }) => {
  const user = await app.user();
  const page = await app.page(user);
  await page.goto("/app/rooms");
  const button = page.locator("button[aria-haspopup='menu']");
  await expect(button).toHaveAccessibleName("Account menu");
  await button.focus();
  await page.keyboard.press("Enter");
  const menu = page.getByRole("menu");
  await expect(menu).toBeVisible();
  const items = menu.getByRole("menuitem");
  const count = await items.count();
  expect(count).toBeGreaterThan(1);

  const focusedIndex = () =>
    page.evaluate(() => Array.from(document.querySelectorAll("[role=menuitem]")).indexOf(document.activeElement as Element));
  await page.keyboard.press("ArrowDown");
  const first = await focusedIndex();
  expect(first, "ArrowDown focuses a menu item").toBeGreaterThanOrEqual(0);
  await page.keyboard.press("ArrowDown");
  await expect.poll(focusedIndex).toBe((first + 1) % count);
  await page.keyboard.press("ArrowUp");
  await expect.poll(focusedIndex).toBe(first);

  await page.keyboard.press("Escape");
  await expect(menu).toBeHidden();
  await expect(button).toBeFocused();
  await expect(button).toHaveAttribute("aria-expanded", "false");
});

test("/favicon.ico answers 200 and the app links an icon", async ({ app }) => {
  const page = await app.page(null);
  const response = await page.request.get("/favicon.ico");
  expect(response.status()).toBe(200);
  await page.goto("/app/signin");
  await expect(page.locator("link[rel~='icon']").first()).toBeAttached();
});
