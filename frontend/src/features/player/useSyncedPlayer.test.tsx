// @vitest-environment jsdom
/**
 * Which engine plays what: the audio element for files, Spotify's SDK only for a listener
 * whose Spotify is "ready" and a track that plays only on Spotify; and what the player shows
 * of the Spotify engine's state (against the fake SDK).
 */
import { act, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ClockSync } from "../../lib/clock";
import type { PlaybackState } from "../../realtime/events";
import { Player } from "../room/Player";
import type { PlayerEngine } from "./engine";
import type { SpotifyEngineOptions } from "./spotifyEngine";
import { FakePlayer } from "./spotifyFake";
import { useSyncedPlayer, type SpotifyAccess, type SyncedPlayerOptions } from "./useSyncedPlayer";

const SPOTIFY_ID = "4uLU6hMCjMI75M1A2tKUQC";
const FILE = { spotify_id: "upload:0123456789abcdef0123456789abcdef", name: "Tone", artists: ["Ann"], album: "", duration_ms: 180_000, genres: [], image_url: "", audio_url: "/media/uploads/a.wav", origin: "upload" as const, sources: ["audio" as const] };
const SPOTIFY = { ...FILE, spotify_id: SPOTIFY_ID, name: "Song for Elif", audio_url: null, origin: "spotify" as const, sources: ["spotify" as const] };
const PLAYER = { sdk_url: "https://sdk.test/spotify-player.js", api_url: "https://api.spotify.test" };

function state(track: PlaybackState["track"], version = 1): PlaybackState {
  return { type: "playback.state", track, status: "playing", position_ms: 10_000, server_time: 5_000_000, version };
}

function clockReady(): ClockSync {
  const clock = new ClockSync();
  for (let t0 = 0; t0 < 300; t0 += 100) clock.sample(t0, t0 + 10, t0 + 20);
  return clock;
}

function access(status: SpotifyAccess["status"], player: SpotifyAccess["player"] = PLAYER): SpotifyAccess {
  return { status, player, known: true, getToken: async () => ({ access_token: "tok", expires_at: Date.now() + 3_600_000 }), connect: async () => {} };
}

const CLOCK = clockReady();
const NOW = () => 5_000_000;

function Harness(props: Pick<SyncedPlayerOptions, "state" | "spotify" | "createSpotify">) {
  const player = useSyncedPlayer({ clock: CLOCK, now: NOW, send: () => true, volume: 1, ...props });
  return (
    <>
      {player.element}
      <span data-testid="engine">{player.engine ?? "none"}</span>
    </>
  );
}

function stubEngine(): PlayerEngine {
  return {
    kind: "spotify",
    supportsRate: false,
    canPlay: () => true,
    load: () => {},
    play: async () => {},
    pause: () => {},
    seek: () => {},
    setRate: () => {},
    setVolume: () => {},
    snapshot: () => ({ positionMs: 0, paused: true, seeking: false }),
    getStatus: () => ({ phase: "connecting", blocked: false, playing: false, error: null }),
    subscribe: () => () => {},
    unlock: async () => {},
    destroy: () => {},
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
  FakePlayer.last = null;
});

describe("useSyncedPlayer", () => {
  it("creates the Spotify engine only for a ready listener and a track that plays only on Spotify, once", () => {
    const createSpotify = vi.fn((_options: SpotifyEngineOptions) => stubEngine());
    const { rerender } = render(<Harness state={state(FILE)} spotify={access("ready")} createSpotify={createSpotify} />);
    expect(screen.getByTestId("engine").textContent).toBe("audio");
    expect(screen.getByTestId("room-audio")).toBeTruthy();

    for (const status of ["not_linked", "needs_premium", "needs_reconnect", null] as const) {
      rerender(<Harness state={state(SPOTIFY)} spotify={access(status)} createSpotify={createSpotify} />);
      expect(screen.getByTestId("engine").textContent).toBe("none");
    }
    rerender(<Harness state={state(SPOTIFY)} spotify={access("ready", null)} createSpotify={createSpotify} />);
    expect(screen.getByTestId("engine").textContent).toBe("none");
    rerender(<Harness state={state(SPOTIFY)} spotify={null} createSpotify={createSpotify} />);
    expect(createSpotify).not.toHaveBeenCalled();

    rerender(<Harness state={state(SPOTIFY)} spotify={access("ready")} createSpotify={createSpotify} />);
    expect(screen.getByTestId("engine").textContent).toBe("spotify");
    expect(screen.queryByTestId("room-audio")).toBeNull();
    expect(createSpotify).toHaveBeenCalledTimes(1);
    expect(createSpotify.mock.calls[0]![0].config).toEqual(PLAYER);

    // The next track (a file, then Spotify again) keeps the device.
    rerender(<Harness state={state(FILE, 2)} spotify={access("ready")} createSpotify={createSpotify} />);
    rerender(<Harness state={state({ ...SPOTIFY, spotify_id: "1" + SPOTIFY_ID.slice(1) }, 3)} spotify={access("ready")} createSpotify={createSpotify} />);
    expect(createSpotify).toHaveBeenCalledTimes(1);
  });

  it("loads the SDK script for a ready listener only (none for the others)", async () => {
    const scripts = () => Array.from(document.querySelectorAll("script")).filter((s) => s.src === PLAYER.sdk_url);
    const { rerender, unmount } = render(<Harness state={state(SPOTIFY)} spotify={access("needs_premium")} />);
    await act(async () => {});
    expect(scripts()).toHaveLength(0);
    rerender(<Harness state={state(SPOTIFY)} spotify={access("ready")} />);
    await act(async () => {});
    expect(scripts()).toHaveLength(1);
    unmount();
    scripts().forEach((s) => s.remove());
  });
});

describe("<Player> with Spotify (fake SDK)", () => {
  it("shows the Spotify player's state: connecting, playing, device lost, account error", async () => {
    vi.stubGlobal("Spotify", { Player: FakePlayer });
    const requests: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init: RequestInit) => {
        requests.push(`${init.method} ${url} ${String(init.body)}`);
        return new Response(null, { status: 204 });
      }),
    );
    render(<Player state={state(SPOTIFY)} clock={CLOCK} now={NOW} canControl={false} send={() => true} spotify={access("ready")} audience={{ online: 2, spotify: 1 }} />);
    const line = () => screen.getByTestId("spotify-state").textContent;
    expect(line()).toBe("Connecting to Spotify…");
    expect(screen.getByTestId("hearing").textContent).toBe("1 of 2 listeners can hear this");
    await waitFor(() => expect(FakePlayer.last).not.toBeNull());
    const player = FakePlayer.last!;

    await act(async () => player.emit("ready", { device_id: "dev-9" }));
    await waitFor(() => expect(requests).toContain(`PUT ${PLAYER.api_url}/v1/me/player/play?device_id=dev-9 {"uris":["spotify:track:${SPOTIFY_ID}"],"position_ms":10000}`));
    expect(requests[0]).toBe(`PUT ${PLAYER.api_url}/v1/me/player {"device_ids":["dev-9"],"play":false}`);
    await act(async () => player.playing(`spotify:track:${SPOTIFY_ID}`, 10_000));
    expect(line()).toBe("Playing on Spotify");

    await act(async () => player.emit("not_ready", { device_id: "dev-9" }));
    expect(line()).toBe("Spotify device lost — reconnecting…");
    await act(async () => player.emit("account_error", { message: "premium only" }));
    expect(line()).toBe("Spotify account error: Spotify plays full tracks only for Premium accounts.");
    await act(async () => player.emit("authentication_error", { message: "bad token" }));
    expect(line()).toBe("Spotify account error: connect your Spotify account again to listen.");
    expect(screen.getByRole("button", { name: "Reconnect Spotify" })).toBeTruthy();
  });
});
