// @vitest-environment jsdom
/**
 * The Spotify adapter against a fake `window.Spotify` (a Player class that records what it is
 * asked and emits the SDK's events when told) and a mocked fetch for Spotify's Web API.
 */
import { afterEach, describe, expect, it, vi } from "vitest";

import { jsonResponse } from "../../test/http";
import type { EngineEvent, PlayerEngine } from "./engine";
import { createSpotifyEngine, type SpotifyWindow } from "./spotifyEngine";
import { FakePlayer } from "./spotifyFake";
import { PlayerSync } from "./syncLoop";

const TRACK = { spotify_id: "4uLU6hMCjMI75M1A2tKUQC", duration_ms: 200_000, audio_url: null, sources: ["spotify" as const] };
const URI = `spotify:track:${TRACK.spotify_id}`;
const CONFIG = { sdk_url: "https://sdk.test/spotify-player.js", api_url: "https://api.spotify.test/" };

function fakeWindow(withSdk = true): SpotifyWindow {
  return { Spotify: withSdk ? { Player: FakePlayer } : undefined, document, setTimeout, clearTimeout };
}

/** Spotify's Web API: 204 to everything, recorded. */
function webApi(answer: (url: string) => Response = () => new Response(null, { status: 204 })) {
  const requests: { url: string; method: string; auth: string | null; body: unknown }[] = [];
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    const headers = new Headers(init.headers);
    requests.push({ url, method: init.method ?? "GET", auth: headers.get("Authorization"), body: init.body ? JSON.parse(String(init.body)) : null });
    return answer(url);
  });
  return { fetch, requests };
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function statusLog(engine: PlayerEngine) {
  const events: EngineEvent["type"][] = [];
  engine.subscribe((event) => events.push(event.type));
  return events;
}

let engine: PlayerEngine | null = null;
afterEach(() => {
  engine?.destroy();
  engine = null;
  FakePlayer.last = null;
  document.head.querySelectorAll("script").forEach((s) => s.remove());
});

async function readyEngine(extra: Partial<Parameters<typeof createSpotifyEngine>[0]> = {}) {
  const api = webApi();
  const getToken = vi.fn(async () => ({ access_token: "tok-1", expires_at: Date.now() + 3_600_000 }));
  engine = createSpotifyEngine({ config: CONFIG, getToken, win: fakeWindow(), fetch: api.fetch, volume: 0.6, ...extra });
  const events = statusLog(engine);
  await flush();
  FakePlayer.last!.emit("ready", { device_id: "dev-1" });
  await flush();
  return { engine, api, getToken, events, player: FakePlayer.last! };
}

describe("createSpotifyEngine", () => {
  it("uses window.Spotify without loading the script, connects with the player token and makes this browser the account's player", async () => {
    const { engine, api, player, events } = await readyEngine();

    expect(document.querySelector("script")).toBeNull();
    expect(player.options.name).toBe("TuneWave");
    expect(player.options.volume).toBe(0.6);
    expect(player.calls[0]).toEqual(["connect"]);
    expect(player.tokens).toEqual(["tok-1"]);
    expect(api.requests).toEqual([
      { url: "https://api.spotify.test/v1/me/player", method: "PUT", auth: "Bearer tok-1", body: { device_ids: ["dev-1"], play: false } },
    ]);
    expect(engine.getStatus()).toMatchObject({ phase: "ready", error: null });
    expect(events).toContain("ready");
    expect(engine.supportsRate).toBe(false);
  });

  it("plays the room's track at a position through the Web API, then seeks, pauses, resumes and sets the volume through the SDK", async () => {
    const { engine, api, player, getToken } = await readyEngine();
    engine.load(TRACK);
    await engine.play(12_345.6);
    expect(api.requests[1]).toEqual({
      url: "https://api.spotify.test/v1/me/player/play?device_id=dev-1",
      method: "PUT",
      auth: "Bearer tok-1",
      body: { uris: [URI], position_ms: 12_346 },
    });
    // Until the SDK says it plays, the start is in flight: nothing to correct yet.
    expect(await engine.snapshot()).toEqual({ positionMs: 0, paused: false, seeking: true });
    player.playing(URI, 12_700);
    expect(await engine.snapshot()).toEqual({ positionMs: 12_700, paused: false, seeking: false });
    expect(engine.getStatus().playing).toBe(true);

    engine.seek(40_000);
    engine.pause();
    player.playing(URI, 40_000, true);
    await engine.play(41_000); // the same track: seek and resume, no Web API call
    engine.setVolume(0.3, false);
    engine.setVolume(0.3, true);
    engine.setRate(1.02); // cannot: ignored
    expect(player.calls.slice(1)).toEqual([["seek", 40_000], ["pause"], ["seek", 41_000], ["resume"], ["setVolume", 0.3], ["setVolume", 0]]);
    expect(api.requests).toHaveLength(2);
    expect(getToken).toHaveBeenCalledTimes(1); // kept until shortly before it expires
  });

  it("loads the SDK script once when window.Spotify is absent, and starts when it says it is ready", async () => {
    const win = fakeWindow(false);
    const api = webApi();
    engine = createSpotifyEngine({ config: CONFIG, getToken: async () => ({ access_token: "t", expires_at: Date.now() + 3_600_000 }), win, fetch: api.fetch });
    const second = createSpotifyEngine({ config: CONFIG, getToken: async () => ({ access_token: "t", expires_at: Date.now() + 3_600_000 }), win, fetch: api.fetch });
    await flush();
    const scripts = document.head.querySelectorAll("script");
    expect(scripts).toHaveLength(1);
    expect(scripts[0]!.getAttribute("src")).toBe(CONFIG.sdk_url);
    expect(FakePlayer.last).toBeNull();
    expect(engine.getStatus().phase).toBe("connecting");

    win.Spotify = { Player: FakePlayer };
    win.onSpotifyWebPlaybackSDKReady!();
    await flush();
    expect(FakePlayer.last).not.toBeNull();
    second.destroy();
  });

  it("says so when the SDK script cannot be loaded", async () => {
    const win = fakeWindow(false);
    engine = createSpotifyEngine({ config: { ...CONFIG, sdk_url: "https://sdk.test/missing.js" }, getToken: async () => ({ access_token: "t", expires_at: 0 }), win });
    await flush();
    document.head.querySelector("script")!.dispatchEvent(new Event("error"));
    await flush();
    expect(engine.getStatus()).toMatchObject({ phase: "error", error: { code: "initialization_error", message: "The Spotify player could not be loaded." } });
  });

  it("maps the SDK's events to states: device lost, account errors, playback and initialization errors, autoplay refused", async () => {
    const { engine, player, api } = await readyEngine();
    const error = () => engine.getStatus().error;

    player.emit("not_ready", { device_id: "dev-1" });
    expect(engine.getStatus().phase).toBe("error");
    expect(error()).toMatchObject({ code: "device_lost" });
    player.emit("ready", { device_id: "dev-2" }); // the SDK reconnected: a new transfer
    await flush();
    expect(api.requests.at(-1)!.body).toEqual({ device_ids: ["dev-2"], play: false });
    expect(engine.getStatus()).toMatchObject({ phase: "ready", error: null });

    player.emit("authentication_error", { message: "Invalid token scopes." });
    expect(error()).toMatchObject({ code: "account_error", reason: "reconnect" });
    player.emit("account_error", { message: "This functionality is restricted to premium users only" });
    expect(error()).toMatchObject({ code: "account_error", reason: "premium" });
    player.emit("playback_error", { message: "Failed to perform playback" });
    expect(error()).toMatchObject({ code: "playback_error", message: "Failed to perform playback" });
    player.emit("initialization_error", { message: "Failed to initialize player" });
    expect(error()).toMatchObject({ code: "initialization_error" });

    player.emit("autoplay_failed", {});
    expect(engine.getStatus().blocked).toBe(true);
    await engine.unlock();
    expect(engine.getStatus().blocked).toBe(false);
    expect(player.calls.at(-1)).toEqual(["activateElement"]);
  });

  it("turns the player token's refusals into account errors", async () => {
    const refusal = (status: number, code: string) => Object.assign(new Error(code), { status, code });
    for (const [status, code, reason] of [
      [409, "spotify_not_premium", "premium"],
      [409, "spotify_reconnect", "reconnect"],
      [409, "spotify_scope_missing", "reconnect"],
      [404, "spotify_not_linked", "not_linked"],
      [503, "spotify_unavailable", "unavailable"],
    ] as const) {
      engine?.destroy();
      engine = createSpotifyEngine({ config: CONFIG, getToken: () => Promise.reject(refusal(status, code)), win: fakeWindow(), fetch: webApi().fetch });
      await flush();
      expect(engine.getStatus()).toMatchObject({ phase: "error", error: { code: "account_error", reason } });
    }
  });

  it("asks for a fresh token once when Spotify's Web API answers 401, and reports a lost device on 404", async () => {
    let answers = [401, 204];
    const api = webApi(() => new Response(null, { status: answers.shift() ?? 204 }));
    let n = 0;
    const getToken = vi.fn(async () => ({ access_token: `tok-${++n}`, expires_at: Date.now() + 3_600_000 }));
    engine = createSpotifyEngine({ config: CONFIG, getToken, win: fakeWindow(), fetch: api.fetch });
    await flush();
    FakePlayer.last!.emit("ready", { device_id: "dev-1" });
    await flush();
    expect(api.requests.map((r) => r.auth)).toEqual(["Bearer tok-1", "Bearer tok-2"]);
    expect(engine.getStatus().phase).toBe("ready");

    answers = [404];
    engine.load(TRACK);
    await engine.play(1000);
    expect(engine.getStatus().error).toMatchObject({ code: "device_lost" });
  });

  it("says Premium is needed when Spotify's Web API refuses to play (403)", async () => {
    const api = webApi((url) => (url.includes("/play") ? jsonResponse({ error: { status: 403, reason: "PREMIUM_REQUIRED" } }, 403) : new Response(null, { status: 204 })));
    engine = createSpotifyEngine({ config: CONFIG, getToken: async () => ({ access_token: "t", expires_at: Date.now() + 3_600_000 }), win: fakeWindow(), fetch: api.fetch });
    await flush();
    FakePlayer.last!.emit("ready", { device_id: "dev-1" });
    await flush();
    engine.load(TRACK);
    await engine.play(0);
    expect(engine.getStatus()).toMatchObject({ phase: "error", error: { code: "account_error", reason: "premium" } });
    expect(engine.getStatus().playing).toBe(false);
  });

  it("reports the end of the track when the SDK stops at it on its own", async () => {
    let clock = 1_000_000;
    const { engine, player, events } = await readyEngine({ clock: () => clock });
    engine.load(TRACK);
    await engine.play(190_000);
    player.playing(URI, 190_000);
    clock += 10_000;
    player.playing(URI, 0, true);
    expect(events).toContain("ended");
  });

  it("keeps the room's position by seeking (the sync loop, through the interface only)", async () => {
    let clientNow = 0;
    const { engine, player } = await readyEngine({ clock: () => clientNow });
    const loop = new PlayerSync({ engine, clock: { ready: true, serverNow: (n) => n }, now: () => clientNow });
    const state = { status: "playing" as const, position_ms: 0, server_time: 0, version: 1, track: TRACK };

    clientNow = 30_000; // the room is at 30 s: start there
    loop.sync(state);
    await flush();
    expect(player.calls.some((c) => c[0] === "seek")).toBe(false);

    // Heard 400 ms late: far enough to seek once the start has been measured.
    player.playing(URI, 30_000 - 400 + 1000);
    clientNow = 31_000;
    loop.sync(state);
    await flush();
    const seek = player.calls.filter((c) => c[0] === "seek").at(-1);
    expect(seek).toBeDefined();
    expect(seek![1]).toBe(31_000); // the seek lead is not learnt yet: the room's position

    // 60 ms off just after: within the cool-down, left alone.
    player.playing(URI, 32_000 - 60);
    clientNow = 32_000;
    const seeks = player.calls.filter((c) => c[0] === "seek").length;
    loop.sync(state);
    await flush();
    expect(player.calls.filter((c) => c[0] === "seek")).toHaveLength(seeks);
  });
});
