/**
 * Real music in a room (issue 15): an uploaded file heard by two listeners in sync, and a
 * Spotify track played through the Web Playback SDK in sync with the room's clock.
 *
 * The SDK is the fake of fakeSpotify.ts (the real one needs the internet and a Premium
 * account); Spotify's accounts and Web API are the local stub (spotify_stub.py) that run.sh
 * starts and points SPOTIFY_ACCOUNTS_URL / SPOTIFY_API_URL at. A listener's Spotify account
 * is linked by writing the row social-auth would write (manage.py shell), with a refresh
 * token the stub accepts.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { Page } from "@playwright/test";

import { expect, syncGap, test, uid, waitForLive, type User } from "./fixtures";
import { fakeSpotifySdk } from "./fakeSpotify";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Runs Python in the server's Django (same database: run.sh exported its settings). */
function django(code: string): string {
  return execFileSync(path.join(ROOT, ".venv/bin/python"), ["manage.py", "shell", "-c", code], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
  }).trim();
}

/** A mono 16-bit PCM WAV: `seconds` of a tone whose pitch steps every second. */
function wav(seconds: number, rate = 8000): Buffer {
  const samples = seconds * rate;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i += 1) {
    const freq = 220 + 110 * (Math.floor(i / rate) % 4);
    data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * freq * i) / rate)), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVE", 8, "ascii");
  header.write("fmt ", 12, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

test("an uploaded file: uploaded in the browser, queued, two listeners hear it in sync", async ({ app }) => {
  const id = uid();
  const owner = await app.user({ displayName: `Uploader ${id}` });
  const guest = await app.user({ displayName: `Guest ${id}` });
  const room = await owner.api.post("/rooms/", { name: `Uploads ${id}`, genres: ["jazz"], description: "", autoplay: false });
  await guest.api.post(`/rooms/${room.id}/join`);
  const title = `Tone study ${id}`;

  // --- upload (UI) ----------------------------------------------------------------------
  const page = await app.page(owner);
  await page.goto("/app/uploads");
  const form = page.getByTestId("upload-form");
  await form.locator("input[type=file]").setInputFiles({ name: `tone-${id}.wav`, mimeType: "audio/wav", buffer: wav(40) });
  await form.getByLabel("Title", { exact: true }).fill(title);
  await form.getByRole("button", { name: /^upload/i }).click();
  await expect(page.getByRole("region", { name: /your files/i }).getByText(title)).toBeVisible({ timeout: 20_000 });

  // --- queue it in the room (UI) ----------------------------------------------------------
  await page.goto(`/app/rooms/${room.id}`);
  await waitForLive(page);
  await queueUpload(page, title);
  const nowPlaying = page.locator("section[aria-label='Now playing']");
  await expect(nowPlaying.locator("h2")).toHaveText(title);

  // --- a second listener hears the same moment ---------------------------------------------
  const other = await app.page(guest);
  await other.goto(`/app/rooms/${room.id}`);
  await waitForLive(other);
  await expect(other.locator("section[aria-label='Now playing'] h2")).toHaveText(title);
  await expect(other.getByTestId("hearing")).toContainText(/2 of 2/);

  let gap = Infinity;
  await expect
    .poll(
      async () => {
        gap = await syncGap(page, other);
        return gap;
      },
      { message: "both listeners play the upload at the same position (within 250 ms)", timeout: 30_000 },
    )
    .toBeLessThan(0.25);
  // A few more samples once settled: the figure the issue asks for.
  const gaps: number[] = [];
  for (let i = 0; i < 5; i += 1) gaps.push(await syncGap(page, other));
  console.log(`upload sync gap between two listeners: ${gaps.map((g) => `${Math.round(g * 1000)} ms`).join(", ")}`);
  expect(Math.max(...gaps)).toBeLessThan(0.25);
});

/** Adds one of the listener's uploads to the room's queue through the room's track picker. */
async function queueUpload(page: Page, title: string) {
  const queueTab = page.getByRole("tab", { name: "Queue" });
  if (await queueTab.isVisible()) await queueTab.click();
  await page.getByRole("button", { name: "Add from my uploads" }).click();
  await page.getByRole("list", { name: "My uploads" }).getByRole("button", { name: `Queue ${title}` }).click();
}

/** Links `user`'s account to a Spotify Premium account of the stub (as social-auth would). */
function linkSpotify(user: User) {
  django(`
from social_django.models import UserSocialAuth
UserSocialAuth.objects.create(user_id="${user.id}", provider="spotify", uid="stub-${user.id}", extra_data={
    "access_token": "stub-expired", "refresh_token": "stub-refresh-${user.id}", "token_type": "Bearer",
    "expires_in": 3600, "auth_time": 0, "product": "premium",
    "scope": "user-read-email user-read-private streaming user-read-playback-state user-modify-playback-state"})
`);
}

/** Where the room's track is now (ms), on this machine's clock, from the stored state. */
function roomPosition(roomId: string): (atMs: number) => number {
  const state = JSON.parse(
    django(`
import json
from rooms.models import PlaybackState
p = PlaybackState.objects.get(room_id="${roomId}")
print(json.dumps({"status": p.status, "position_ms": p.position_ms, "updated_ms": p.updated_at.timestamp() * 1000}))
`).split("\n").pop()!,
  ) as { status: string; position_ms: number; updated_ms: number };
  expect(state.status).toBe("playing");
  return (atMs) => state.position_ms + (atMs - state.updated_ms);
}

test("a Spotify track plays through the Web Playback SDK in sync with the room's clock", async ({ app }) => {
  const id = uid();
  const listener = await app.user({ displayName: `Premium ${id}` });
  linkSpotify(listener);
  const me = await listener.api.get("/users/me");
  expect(me.playback.spotify).toBe("ready");

  // A Spotify-only track (as POST /track/ stores it, without asking Spotify), queued.
  const spotifyId = `e2e${id}`.padEnd(22, "0").slice(0, 22);
  await listener.api.post("/track/", { spotify_id: spotifyId, name: `Spotify song ${id}`, artists: ["Stub Artist"], duration_ms: 300_000 });
  // Autoplay off: an idle autoplay room starts a pick of its own as soon as someone listens.
  const room = await listener.api.post("/rooms/", { name: `Spotify ${id}`, genres: ["jazz"], description: "", autoplay: false });

  const page = await app.page(listener);
  await page.addInitScript(fakeSpotifySdk, { startDelayMs: 300, seekDelayMs: 120 });
  await page.goto(`/app/rooms/${room.id}`);
  await waitForLive(page);
  await listener.api.post(`/rooms/${room.id}/queue`, { spotify_id: spotifyId });
  await expect(page.locator("section[aria-label='Now playing'] h2")).toHaveText(`Spotify song ${id}`);
  const start = page.getByRole("button", { name: /play on spotify|tap to listen/i });
  if (await start.isVisible().catch(() => false)) await start.click();
  await expect(page.getByTestId("spotify-state")).toContainText(/spotify/i);

  // The SDK asked for a token (the server refreshed it at the stub) and played this track.
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { __fakeSpotify: { uri: string | null } }).__fakeSpotify.uri))
    .toBe(`spotify:track:${spotifyId}`);
  const tokens = await page.evaluate(() => (window as unknown as { __fakeSpotify: { tokens: string[] } }).__fakeSpotify.tokens);
  expect(tokens[0]).toMatch(/^stub-access-/);

  const expected = roomPosition(room.id);
  const sample = async () => {
    const got = await page.evaluate(() => ({
      position: (window as unknown as { __fakeSpotify: { position(): number } }).__fakeSpotify.position(),
      at: Date.now(),
    }));
    return Math.abs(got.position - expected(got.at));
  };
  await expect
    .poll(sample, { message: "the SDK's position matches the room's clock (within 250 ms)", timeout: 30_000 })
    .toBeLessThan(250);
  const gaps: number[] = [];
  for (let i = 0; i < 5; i += 1) gaps.push(await sample());
  console.log(`Spotify SDK vs room clock: ${gaps.map((g) => `${Math.round(g)} ms`).join(", ")}`);
  expect(Math.max(...gaps)).toBeLessThan(250);
});
