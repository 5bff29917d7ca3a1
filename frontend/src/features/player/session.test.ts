import { describe, expect, it } from "vitest";

import type { PlaybackState, ServerEvent } from "../../realtime/events";
import { initialLive, liveReducer, type LiveRoom } from "./session";

const TRACK = { spotify_id: "t1", name: "One", artists: ["A"], album: "X", duration_ms: 5000, genres: [], image_url: "", audio_url: "/a.wav", origin: "demo" as const, sources: ["audio" as const] };
const OTHER = { ...TRACK, spotify_id: "t2", name: "Two" };

function state(version: number, extra: Partial<PlaybackState> = {}): PlaybackState {
  return { type: "playback.state", room_id: "r", track: TRACK, status: "playing", position_ms: 0, server_time: 1, track_started_at: 100, version, ...extra };
}

const frame = (live: LiveRoom, event: ServerEvent) => liveReducer(live, { type: "frame", event });

describe("the session's votes and likes", () => {
  it("counts votes for the current play, keeps them over a pause (new version, same play) and starts over with the next play", () => {
    let live = frame(initialLive, state(3));
    live = frame(live, { type: "playback.votes", room_id: "r", version: 3, votes: 1, needed: 2 });
    live = liveReducer(live, { type: "voted" });
    expect(live.votes).toEqual({ version: 3, votes: 1, needed: 2 });
    expect(live.voted).toBe(true);

    live = frame(live, state(4, { status: "paused" })); // a pause: same play
    expect(live.votes?.votes).toBe(1);
    expect(live.voted).toBe(true);

    live = frame(live, state(5, { track: OTHER, track_started_at: 900 })); // the next play
    expect(live.votes).toEqual({ version: 5, votes: 0, needed: 2 });
    expect(live.voted).toBe(false);
    expect(live.likes).toEqual({ version: 5, count: 0 });

    // A late count of the earlier play changes nothing.
    live = frame(live, { type: "playback.votes", room_id: "r", version: 4, votes: 2, needed: 2 });
    expect(live.votes?.votes).toBe(0);
    live = frame(live, { type: "reaction.counts", room_id: "r", version: 3, counts: { like: 7 } });
    expect(live.likes?.count).toBe(0);
  });

  it("keeps a count the server sent for the new play before its state (connect order)", () => {
    let live = frame(initialLive, { type: "reaction.counts", room_id: "r", version: 8, counts: { like: 2 } });
    live = frame(live, { type: "playback.votes", room_id: "r", version: 8, votes: 1, needed: 3 });
    live = frame(live, state(8));
    expect(live.likes?.count).toBe(2);
    expect(live.votes).toEqual({ version: 8, votes: 1, needed: 3 });
  });

  it("a like counts at once; a refused like or vote is taken back", () => {
    let live = frame(initialLive, state(2));
    live = frame(live, { type: "reaction.counts", room_id: "r", version: 2, counts: { like: 4 } });
    live = liveReducer(live, { type: "liked" });
    expect(live.liked).toBe(true);
    expect(live.likes?.count).toBe(5);
    live = frame(live, { type: "error", code: "conflict", detail: "The track changed.", in_reply_to: "reaction" });
    expect(live.liked).toBe(false);
    expect(live.likes?.count).toBe(4);

    live = liveReducer(live, { type: "voted" });
    live = frame(live, { type: "error", code: "conflict", detail: "The track changed.", in_reply_to: "playback.vote_skip" });
    expect(live.voted).toBe(false);
    expect(live.ended).toBeNull();
  });

  it("ignores an older playback state and ends on the socket's word", () => {
    let live = frame(initialLive, state(5));
    live = frame(live, state(4, { track: OTHER }));
    expect(live.playback?.track?.name).toBe("One");
    live = frame(live, { type: "error", code: "banned", detail: "You were banned from this room." });
    expect(live.ended).toEqual({ kind: "banned", detail: "You were banned from this room." });
    const closed = liveReducer(initialLive, { type: "status", status: { state: "closed", code: 4404, reason: "not_found" } });
    expect(closed.ended).toEqual({ kind: "closed" });
  });
});

describe("the session's audience", () => {
  it("keeps the last room.audience: listeners online and how many can play Spotify", () => {
    expect(initialLive.audience).toBeNull();
    let live = frame(initialLive, { type: "room.audience", room_id: "r", online: 3, spotify: 1 });
    expect(live.audience).toEqual({ online: 3, spotify: 1 });
    live = frame(live, { type: "room.audience", room_id: "r", online: 2, spotify: 0 });
    expect(live.audience).toEqual({ online: 2, spotify: 0 });
  });
});
