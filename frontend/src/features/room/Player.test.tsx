// @vitest-environment jsdom
import { act, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ClockSync } from "../../lib/clock";
import type { PlaybackState } from "../../realtime/events";
import type { SpotifyAccess } from "../player/useSyncedPlayer";
import { Player, spotifyStateText } from "./Player";
import { planSync } from "./playerSync";

const TRACK = {
  spotify_id: "t1",
  name: "Song for Elif",
  artists: ["Zara Bell"],
  album: "Wild Moon",
  duration_ms: 180_000,
  genres: ["jazz"],
  image_url: "",
  audio_url: "/media/demo/t1.wav" as string | null,
  origin: "demo" as const,
  sources: ["audio"] as ("audio" | "spotify")[],
};

const SPOTIFY_ID = "4uLU6hMCjMI75M1A2tKUQC";

function state(overrides: Partial<PlaybackState> = {}): PlaybackState {
  return { type: "playback.state", track: TRACK, status: "playing", position_ms: 10_000, server_time: 5_000_000, version: 3, ...overrides };
}

/** A clock whose server is exactly `offset` ms ahead of the client. */
function clockWithOffset(offset: number): ClockSync {
  const clock = new ClockSync();
  for (let t0 = 0; t0 < 300; t0 += 100) clock.sample(t0, t0 + 10 + offset, t0 + 20);
  return clock;
}

describe("planSync", () => {
  it("starts a paused element at the room's position", () => {
    const plan = planSync(state(), 5_002_500, { positionMs: 0, paused: true });
    expect(plan).toEqual({ expectedMs: 12_500, play: true, seekTo: 12_500, rate: 1 });
  });

  it("leaves a player alone within the dead band, nudges small drift, seeks big drift", () => {
    const now = 5_002_500; // the room is at 12.5 s
    expect(planSync(state(), now, { positionMs: 12_520, paused: false })).toMatchObject({ seekTo: null, rate: 1 });
    const nudge = planSync(state(), now, { positionMs: 12_650, paused: false });
    expect(nudge.seekTo).toBeNull();
    expect(nudge.rate).toBeLessThan(1); // ahead: slow down a little
    expect(nudge.rate).toBeGreaterThanOrEqual(0.97);
    expect(planSync(state(), now, { positionMs: 14_000, paused: false })).toMatchObject({ seekTo: 12_500, play: true });
  });

  it("pauses with the room and parks at its position", () => {
    const paused = state({ status: "paused", position_ms: 42_000 });
    expect(planSync(paused, 9_999_999, { positionMs: 30_000, paused: false })).toEqual({ expectedMs: 42_000, play: false, seekTo: 42_000, rate: 1 });
  });

  it("stays silent when idle or past the end of the track", () => {
    expect(planSync(state({ status: "idle", track: null }), 0, { positionMs: 0, paused: true }).play).toBe(false);
    expect(planSync(state(), 5_000_000 + 200_000, { positionMs: 0, paused: true }).play).toBe(false);
  });
});

/** The element has read the clip's header (what a browser reports on its own). */
async function loaded() {
  await act(async () => {
    screen.getByTestId("room-audio").dispatchEvent(new Event("loadedmetadata"));
  });
}

describe("<Player>", () => {
  let media: { currentTime: number; paused: boolean; seeking: boolean; playbackRate: number; seekableEnd: number };
  let play: ReturnType<typeof vi.fn>;

  beforeEach(() => {
    media = { currentTime: 0, paused: true, seeking: false, playbackRate: 1, seekableEnd: 180 };
    play = vi.fn(() => {
      media.paused = false;
      return Promise.resolve();
    });
    const proto = HTMLMediaElement.prototype;
    vi.spyOn(proto, "currentTime", "get").mockImplementation(() => media.currentTime);
    vi.spyOn(proto, "currentTime", "set").mockImplementation((value: number) => {
      media.currentTime = value;
    });
    vi.spyOn(proto, "paused", "get").mockImplementation(() => media.paused);
    vi.spyOn(proto, "seeking", "get").mockImplementation(() => media.seeking);
    vi.spyOn(proto, "seekable", "get").mockImplementation(
      () => ({ length: 1, start: () => 0, end: () => media.seekableEnd }) as unknown as TimeRanges,
    );
    vi.spyOn(proto, "playbackRate", "get").mockImplementation(() => media.playbackRate);
    vi.spyOn(proto, "playbackRate", "set").mockImplementation((value: number) => {
      media.playbackRate = value;
    });
    vi.spyOn(proto, "play").mockImplementation(play as unknown as () => Promise<void>);
    vi.spyOn(proto, "pause").mockImplementation(() => {
      media.paused = true;
    });
    vi.spyOn(proto, "load").mockImplementation(() => {});
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("seeks to position_ms + (server now - server_time) using the clock's offset, and plays", async () => {
    const offset = 4_000_000; // server clock 4,000 s ahead of this client
    const clock = clockWithOffset(offset);
    const clientNow = 1_003_000; // server now = 5,003,000: 3 s after server_time
    render(<Player state={state()} clock={clock} now={() => clientNow} canControl={false} send={() => true} />);
    await loaded();

    expect(media.currentTime).toBeCloseTo(13.0, 1); // 10 s + 3 s
    expect(play).toHaveBeenCalled();
    expect(screen.getByText("Song for Elif")).toBeTruthy();
  });

  it("corrects drift on the next tick", async () => {
    vi.useFakeTimers();
    const clock = clockWithOffset(0);
    let clientNow = 5_000_000;
    render(<Player state={state()} clock={clock} now={() => clientNow} canControl={false} send={() => true} tickMs={1000} />);
    await loaded();
    expect(media.currentTime).toBeCloseTo(10, 1);

    // One second later the element has stalled at 10.2 s: 800 ms behind the room.
    clientNow += 1000;
    media.currentTime = 10.2;
    await act(async () => {
      vi.advanceTimersByTime(1000);
    });
    expect(media.currentTime).toBeCloseTo(11, 1);
  });

  it("waits for the clock before starting", async () => {
    const clock = new ClockSync();
    render(<Player state={state()} clock={clock} now={() => 0} canControl={false} send={() => true} />);
    await loaded();
    expect(play).not.toHaveBeenCalled();
    expect(screen.getByText(/Syncing with the room/)).toBeTruthy();
  });

  it("offers 'Tap to listen' when the browser blocks autoplay", async () => {
    play.mockImplementationOnce(() => Promise.reject(Object.assign(new Error("blocked"), { name: "NotAllowedError" })));
    render(<Player state={state()} clock={clockWithOffset(0)} now={() => 5_000_000} canControl={false} send={() => true} />);
    await loaded();

    const button = await screen.findByRole("button", { name: /tap to listen/i });
    await act(async () => {
      button.click();
    });
    expect(play).toHaveBeenCalledTimes(2);
    expect(screen.queryByRole("button", { name: /tap to listen/i })).toBeNull();
  });

  it("reports playback.ended with the state's version", async () => {
    const send = vi.fn(() => true);
    render(<Player state={state({ version: 17 })} clock={clockWithOffset(0)} now={() => 5_000_000} canControl={false} send={send} />);
    await act(async () => {});
    const audio = screen.getByTestId("room-audio");
    await act(async () => {
      audio.dispatchEvent(new Event("ended"));
    });
    expect(send).toHaveBeenCalledWith({ type: "playback.ended", version: 17 });
  });

  it("loads the clip whole when the server can't seek (no Range support), then syncs", async () => {
    media.seekableEnd = 0;
    const fetch = vi.fn(async () => new Response("RIFF", { status: 200, headers: { "Content-Length": "4" } }));
    vi.stubGlobal("fetch", fetch);
    URL.createObjectURL = vi.fn(() => "blob:clip");
    URL.revokeObjectURL = vi.fn();
    render(<Player state={state()} clock={clockWithOffset(0)} now={() => 5_003_000} canControl={false} send={() => true} />);
    await loaded();

    expect(play).not.toHaveBeenCalled(); // not from 0 in an unseekable stream
    expect(fetch).toHaveBeenCalledWith("/media/demo/t1.wav");
    await waitFor(() => expect(screen.getByTestId("room-audio").getAttribute("src")).toBe("blob:clip"));
    await loaded();
    expect(media.currentTime).toBeCloseTo(13, 1);
    expect(play).toHaveBeenCalled();
    vi.unstubAllGlobals();
  });

  it("says where a track plays from and how many listeners online can hear it", async () => {
    const demo = { ...TRACK, origin: "demo" as const, sources: ["audio" as const] };
    const { rerender } = render(
      <Player state={state({ track: demo })} clock={clockWithOffset(0)} now={() => 5_000_000} canControl={false} send={() => true} audience={{ online: 3, spotify: 1 }} />,
    );
    expect(screen.getByTestId("track-sources").textContent).toBe("Plays from: Demo clip");
    expect(screen.getByTestId("hearing").textContent).toBe("3 of 3 listeners can hear this");

    const spotifyOnly = { ...TRACK, spotify_id: SPOTIFY_ID, audio_url: null, origin: "spotify" as const, sources: ["spotify" as const] };
    rerender(<Player state={state({ track: spotifyOnly })} clock={clockWithOffset(0)} now={() => 5_000_000} canControl={false} send={() => true} audience={{ online: 3, spotify: 1 }} />);
    expect(screen.getByTestId("track-sources").textContent).toBe("Plays from: Spotify");
    expect(screen.getByTestId("hearing").textContent).toBe("1 of 3 listeners can hear this");
    expect(screen.queryByTestId("room-audio")).toBeNull();
    expect(screen.getByTestId("cannot-hear").textContent).toContain("This track plays through Spotify.");
    expect(screen.queryByText(/not part of TuneWave yet/)).toBeNull();

    const both = { ...spotifyOnly, audio_url: "/media/uploads/x.mp3", origin: "import" as const, sources: ["audio" as const, "spotify" as const] };
    rerender(<Player state={state({ track: both })} clock={clockWithOffset(0)} now={() => 5_000_000} canControl={false} send={() => true} audience={{ online: 1, spotify: 0 }} />);
    expect(screen.getByTestId("track-sources").textContent).toBe("Plays from: Audio fileSpotify");
    expect(screen.getByTestId("hearing").textContent).toBe("1 of 1 listener can hear this");
    expect(screen.getByTestId("room-audio")).toBeTruthy();
  });

  it("tells a listener who cannot play a Spotify track why, and what would fix it", async () => {
    const spotifyOnly = { ...TRACK, spotify_id: SPOTIFY_ID, audio_url: null, origin: "spotify" as const, sources: ["spotify" as const] };
    const connect = vi.fn(async () => {});
    const access = (status: SpotifyAccess["status"]): SpotifyAccess => ({
      status,
      player: { sdk_url: "https://sdk.test/spotify-player.js", api_url: "https://api.spotify.test" },
      known: true,
      getToken: async () => ({ access_token: "t", expires_at: Date.now() + 3_600_000 }),
      connect,
    });
    const view = (status: SpotifyAccess["status"]) => (
      <Player state={state({ track: spotifyOnly })} clock={clockWithOffset(0)} now={() => 5_000_000} canControl={false} send={() => true} spotify={access(status)} />
    );
    const { rerender } = render(view("not_linked"));
    expect(screen.getByTestId("cannot-hear").textContent).toContain("Connect a Spotify Premium account to hear it here.");
    await act(async () => {
      screen.getByRole("button", { name: "Connect Spotify" }).click();
    });
    expect(connect).toHaveBeenCalledTimes(1);

    rerender(view("needs_premium"));
    expect(screen.getByTestId("cannot-hear").textContent).toContain("Spotify plays full tracks only for Premium accounts.");
    expect(screen.queryByRole("button", { name: /Spotify/ })).toBeNull();

    rerender(view("needs_reconnect"));
    expect(screen.getByTestId("cannot-hear").textContent).toContain("needs renewing");
    expect(screen.getByRole("button", { name: "Reconnect Spotify" })).toBeTruthy();
    expect(screen.queryByTestId("spotify-state")).toBeNull(); // no Spotify player for them
  });
});

describe("spotifyStateText", () => {
  it("says a failure that happens while connecting instead of 'Connecting…' for ever", () => {
    const text = spotifyStateText({ phase: "connecting", blocked: false, playing: false, error: { code: "playback_error", message: "Spotify could not be reached." } });
    expect(text).toBe("Spotify could not play this track: Spotify could not be reached.");
    expect(spotifyStateText({ phase: "connecting", blocked: false, playing: false, error: null })).toBe("Connecting to Spotify…");
  });
});
