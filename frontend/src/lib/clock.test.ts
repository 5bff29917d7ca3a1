import { describe, expect, it } from "vitest";

import { ClockSync, driftCorrection, playbackPosition, type PlaybackStateLike } from "./clock";
import { seededRandom } from "../test/random";

/** A ping sent at client time t0, through a server `offset` ms ahead, with the given legs. */
function ping(sync: ClockSync, offset: number, t0: number, up: number, down: number): boolean {
  return sync.sample(t0, Math.floor(t0 + up + offset), t0 + up + down);
}


describe("ClockSync", () => {
  it("is not ready and has offset 0 before any sample", () => {
    const sync = new ClockSync();
    expect(sync.ready).toBe(false);
    expect(sync.offset).toBe(0);
    expect(sync.rtt).toBeNaN();
    expect(sync.uncertainty).toBe(Number.POSITIVE_INFINITY);
    expect(sync.serverNow(1000)).toBe(1000);
  });

  it("one sample gives the NTP midpoint and its round trip", () => {
    const sync = new ClockSync();
    expect(sync.sample(1000, 1_700_000_000_030, 1040)).toBe(true);
    expect(sync.offset).toBeCloseTo(1_700_000_000_030 - 1020, 6);
    expect(sync.rtt).toBe(40);
    expect(sync.count).toBe(1);
  });

  it("becomes ready after minSamples samples", () => {
    const sync = new ClockSync({ minSamples: 3 });
    ping(sync, 250, 0, 10, 10);
    ping(sync, 250, 100, 10, 10);
    expect(sync.ready).toBe(false);
    ping(sync, 250, 200, 10, 10);
    expect(sync.ready).toBe(true);
  });

  it("converges to the true offset within a few ms with symmetric delays", () => {
    for (const trueOffset of [-500, -123.4, 0, 77, 499.9]) {
      const rnd = seededRandom(42);
      const sync = new ClockSync();
      for (let i = 0; i < 10; i++) {
        const d = 5 + 40 * rnd();
        ping(sync, trueOffset, 10_000 + i * 250, d, d + rnd() * 0.5);
      }
      expect(Math.abs(sync.offset - trueOffset)).toBeLessThan(3);
      const clientNow = 50_000;
      expect(Math.abs(sync.serverNow(clientNow) - (clientNow + trueOffset))).toBeLessThan(3);
    }
  });

  it("stays within a few tens of ms with asymmetric random delays", () => {
    const rnd = seededRandom(7);
    const errors: number[] = [];
    for (let c = 0; c < 200; c++) {
      const trueOffset = -500 + 1000 * rnd();
      const sync = new ClockSync();
      for (let i = 0; i < 10; i++) ping(sync, trueOffset, i * 250, 5 + 75 * rnd(), 5 + 75 * rnd());
      errors.push(Math.abs(sync.offset - trueOffset));
      // the true offset is inside the interval the estimator reports
      expect(Math.abs(sync.offset - trueOffset)).toBeLessThanOrEqual(sync.uncertainty);
    }
    errors.sort((a, b) => a - b);
    expect(errors[Math.floor(0.95 * errors.length)]).toBeLessThan(25);
  });

  it("prefers low-RTT samples: slow, lopsided round trips do not move the estimate", () => {
    const sync = new ClockSync();
    ping(sync, 300, 0, 10, 10); // fast and symmetric: midpoint is exact
    const before = sync.offset;
    // slow ones, each badly skewed one way or the other (offset midpoints off by ±200 ms)
    ping(sync, 300, 1000, 410, 10);
    ping(sync, 300, 2000, 10, 410);
    ping(sync, 300, 3000, 600, 20);
    expect(sync.offset).toBeCloseTo(before, 6);
    expect(Math.abs(sync.offset - 300)).toBeLessThanOrEqual(1);
    expect(sync.rtt).toBe(20);
  });

  it("combines the quickest up leg and the quickest down leg", () => {
    const sync = new ClockSync({ toleranceMs: 0 });
    // each sample alone is off by 20 ms, in opposite directions; together they pin the offset
    sync.sample(0, 0 + 45 + 100, 50); // up 45, down 5  -> midpoint +20
    sync.sample(1000, 1000 + 5 + 100, 1050); // up 5, down 45 -> midpoint -20
    expect(sync.offset).toBeCloseTo(100, 6);
    // the offset is known to lie within [100 - min down, 100 + min up] = [95, 105]
    expect(sync.uncertainty).toBeCloseTo(5, 6);
  });

  it("keeps a sliding window and follows a clock step", () => {
    const sync = new ClockSync({ window: 5 });
    for (let i = 0; i < 5; i++) ping(sync, 100, i * 1000, 20, 20);
    expect(Math.abs(sync.offset - 100)).toBeLessThanOrEqual(1);
    // the client's clock stepped by 300 ms: the server now looks 400 ms ahead
    ping(sync, 400, 10_000, 20, 20);
    expect(sync.count).toBe(5);
    expect(sync.used).toBe(1); // older samples no longer agree and are left out
    expect(Math.abs(sync.offset - 400)).toBeLessThanOrEqual(1);
    for (let i = 1; i < 5; i++) ping(sync, 400, 10_000 + i * 1000, 20, 20);
    expect(sync.used).toBe(5);
    expect(Math.abs(sync.offset - 400)).toBeLessThanOrEqual(1);
  });

  it("rejects impossible samples", () => {
    const sync = new ClockSync({ maxRttMs: 2000 });
    expect(sync.sample(100, 5000, 90)).toBe(false); // negative round trip
    expect(sync.sample(Number.NaN, 5000, 90)).toBe(false);
    expect(sync.sample(0, Number.POSITIVE_INFINITY, 10)).toBe(false);
    expect(sync.sample(0, 5000, 2500)).toBe(false); // longer than maxRttMs
    expect(sync.count).toBe(0);
    sync.sample(0, 5000, 10);
    sync.reset();
    expect(sync.count).toBe(0);
    expect(sync.offset).toBe(0);
  });
});

describe("playbackPosition", () => {
  const track = { duration_ms: 200_000 };
  const base = { position_ms: 30_000, server_time: 1_700_000_000_000, track };

  it("advances with server time while playing", () => {
    const state: PlaybackStateLike = { ...base, status: "playing" };
    expect(playbackPosition(state, 1_700_000_000_000)).toBe(30_000);
    expect(playbackPosition(state, 1_700_000_001_500)).toBe(31_500);
  });

  it("clamps to [0, duration] while playing", () => {
    const state: PlaybackStateLike = { ...base, status: "playing" };
    expect(playbackPosition(state, 1_700_000_000_000 + 500_000)).toBe(200_000);
    expect(playbackPosition(state, 1_700_000_000_000 - 60_000)).toBe(0);
  });

  it("does not clamp above when the duration is unknown", () => {
    const state: PlaybackStateLike = { ...base, status: "playing", track: { duration_ms: null } };
    expect(playbackPosition(state, 1_700_000_000_000 + 500_000)).toBe(530_000);
  });

  it("stays put while paused", () => {
    const state: PlaybackStateLike = { ...base, status: "paused" };
    expect(playbackPosition(state, 1_700_000_100_000)).toBe(30_000);
    expect(playbackPosition({ ...state, position_ms: 250_000 }, 0)).toBe(200_000);
  });

  it("is 0 when idle or without a track", () => {
    expect(playbackPosition({ ...base, status: "idle" }, 1_700_000_100_000)).toBe(0);
    expect(playbackPosition({ ...base, status: "playing", track: null }, 1_700_000_100_000)).toBe(0);
  });

  it("composes with ClockSync.serverNow", () => {
    const sync = new ClockSync();
    ping(sync, 250, 1_000, 10, 10);
    const state: PlaybackStateLike = { status: "playing", position_ms: 0, server_time: 2_000, track };
    // client 1750 is server ~2000: the track is at ~0; a second later at ~1000
    expect(Math.abs(playbackPosition(state, sync.serverNow(1_750)))).toBeLessThanOrEqual(1);
    expect(Math.abs(playbackPosition(state, sync.serverNow(2_750)) - 1000)).toBeLessThanOrEqual(1);
  });
});

describe("driftCorrection", () => {
  it("does nothing inside the dead band", () => {
    expect(driftCorrection(10_000, 10_000)).toBeNull();
    expect(driftCorrection(10_000, 10_040)).toBeNull();
    expect(driftCorrection(10_000, 9_960)).toBeNull();
  });

  it("nudges the rate between the dead band and the seek threshold", () => {
    const ahead = driftCorrection(10_000, 10_100); // player 100 ms ahead: slow down
    expect(ahead?.rate).toBeDefined();
    expect(ahead!.rate!).toBeLessThan(1);
    expect(ahead!.rate!).toBeGreaterThanOrEqual(0.97);
    const behind = driftCorrection(10_000, 9_900); // behind: speed up
    expect(behind!.rate!).toBeGreaterThan(1);
    expect(behind!.rate!).toBeLessThanOrEqual(1.03);
    // proportional: a bigger gap, a bigger nudge, never beyond 1 ± 3%
    expect(driftCorrection(10_000, 10_050)!.rate!).toBeGreaterThan(ahead!.rate!);
    expect(driftCorrection(10_000, 10_250)!.rate).toBeCloseTo(0.97, 6);
    expect(driftCorrection(10_000, 9_750)!.rate).toBeCloseTo(1.03, 6);
    expect(ahead!.seekTo).toBeUndefined();
  });

  it("seeks to the expected position beyond the threshold", () => {
    expect(driftCorrection(10_000, 10_251)).toEqual({ seekTo: 10_000 });
    expect(driftCorrection(10_000, 5_000)).toEqual({ seekTo: 10_000 });
    expect(driftCorrection(-20, 400)).toEqual({ seekTo: 0 });
  });

  it("takes custom thresholds", () => {
    const opts = { seekThresholdMs: 100, deadBandMs: 10, horizonMs: 1000, maxRateDelta: 0.05 };
    expect(driftCorrection(0, 5, opts)).toBeNull();
    expect(driftCorrection(0, 20, opts)!.rate).toBeCloseTo(0.98, 6);
    expect(driftCorrection(0, 101, opts)).toEqual({ seekTo: 0 });
  });

  it("ignores non-finite input", () => {
    expect(driftCorrection(Number.NaN, 100)).toBeNull();
  });
});
