/**
 * Clock sync and playback-position math for "listening together" (docs/architecture.md,
 * "A skip, step by step"; docs/realtime.md, "Staying in sync").
 *
 * The server is the only clock that matters: a `playback.state` says the track was at
 * `position_ms` at `server_time` (the server's epoch ms). A client plays at
 *
 *     position_ms + (serverNow - server_time),   serverNow = clientNow + offset
 *
 * so everything hinges on `offset` = server clock - client clock, estimated here from
 * `time.ping` / `time.pong` round trips.
 *
 * Plain TypeScript with no DOM, React or Node dependency: the SPA imports it, and
 * bench/sync_accuracy.py runs the very same code (compiled by `npm run build:lib` to
 * frontend/build-lib/clock.js) against simulated clients.
 *
 * Which client clock: pass a monotonic millisecond clock, in the browser
 * `performance.timeOrigin + performance.now()` rather than `Date.now()`. Date.now() jumps
 * when the OS steps its clock, which would silently invalidate every stored sample; the
 * monotonic clock only drifts slowly, which the sliding window absorbs.
 */

/** One `time.ping` round trip, as kept by {@link ClockSync}. */
export interface ClockSample {
  /** client clock when the ping was sent (ms) */
  t0: number;
  /** server clock when it answered (`server_time` of the pong, epoch ms) */
  serverTime: number;
  /** client clock when the pong arrived (ms) */
  t1: number;
  /** round-trip time t1 - t0 (ms) */
  rtt: number;
  /** this sample's own offset estimate: serverTime - (t0 + t1) / 2 */
  offset: number;
}

export interface ClockSyncOptions {
  /** how many of the most recent samples are considered (sliding window). Default 20. */
  window?: number;
  /** samples needed before {@link ClockSync.ready} is true. Default 3. */
  minSamples?: number;
  /** round trips longer than this are dropped outright (a stalled socket). Default 5000. */
  maxRttMs?: number;
  /**
   * slack (ms) added to each side of a sample's offset interval: the server stamps whole
   * milliseconds (`int(time.time() * 1000)`) and client clocks have a granularity. Default 1.
   */
  toleranceMs?: number;
}

/**
 * NTP-style clock-offset estimator over `time.ping` samples.
 *
 * For one round trip, with unknown one-way delays `up` (client -> server) and `down`
 * (server -> client), both >= 0, and true offset θ:
 *
 *     serverTime = t0 + up + θ        t1 = t0 + up + down
 *
 * so the classic midpoint serverTime - (t0 + t1) / 2 = θ + (up - down) / 2 is off by half
 * the asymmetry of that round trip, at most rtt / 2. Equivalently, each sample proves
 *
 *     serverTime - t1  <=  θ  <=  serverTime - t0        (an interval rtt wide)
 *
 * Queueing, Wi-Fi retries, GC pauses and a busy event loop only ever *add* delay, usually
 * to one leg, so long round trips are the lopsided, uninformative ones: that is why the
 * lowest-RTT samples are the ones to trust.
 *
 * This estimator takes that one step further: it intersects the intervals of the samples
 * in the window. The lower bound then comes from the sample with the quickest down leg, the
 * upper bound from the one with the quickest up leg, and the estimate is the midpoint,
 * off by (min up - min down) / 2 instead of one round trip's (up - down) / 2. A slow round
 * trip has a wide interval that contains the narrow ones and cannot move the estimate, so
 * delay outliers are ignored outright; with a single sample this is exactly the min-RTT
 * midpoint. (In the bench, 10 pings with 5-80 ms independent one-way delays: p95 error
 * about 9 ms, against about 18 ms for the median of the best three midpoints.)
 *
 * Intervals can only disagree when a clock itself changed (a stepped client clock,
 * drift over a long window, another server process whose clock is a few ms off). The
 * intersection is therefore built newest first and stops at the first older sample that
 * no longer overlaps: after a clock step the old samples drop out by themselves. The window
 * is a count of recent samples, so with periodic pings the estimate follows slow drift.
 */
export class ClockSync {
  private readonly windowSize: number;
  private readonly minSamples: number;
  private readonly maxRttMs: number;
  private readonly toleranceMs: number;
  private samples: ClockSample[] = [];
  private estimate: { offset: number; rtt: number; uncertainty: number; used: number } | null = null;

  constructor(options: ClockSyncOptions = {}) {
    this.windowSize = Math.max(1, Math.floor(options.window ?? 20));
    this.minSamples = Math.max(1, Math.floor(options.minSamples ?? 3));
    this.maxRttMs = options.maxRttMs ?? 5000;
    this.toleranceMs = Math.max(0, options.toleranceMs ?? 1);
  }

  /**
   * Record one round trip: `t0` the client clock when `time.ping` was sent (the `t0` the
   * pong echoes), `serverTime` the pong's `server_time`, `t1` the client clock on arrival.
   * Returns false (and keeps nothing) for a sample that cannot be right: non-finite
   * numbers, a negative round trip, or one longer than `maxRttMs`.
   */
  sample(t0: number, serverTime: number, t1: number): boolean {
    if (!Number.isFinite(t0) || !Number.isFinite(serverTime) || !Number.isFinite(t1)) return false;
    const rtt = t1 - t0;
    if (rtt < 0 || rtt > this.maxRttMs) return false;
    this.samples.push({ t0, serverTime, t1, rtt, offset: serverTime - (t0 + t1) / 2 });
    if (this.samples.length > this.windowSize) {
      this.samples.splice(0, this.samples.length - this.windowSize);
    }
    this.estimate = null;
    return true;
  }

  /** Estimated server clock - client clock, in ms (0 before any sample). */
  get offset(): number {
    return this.compute()?.offset ?? 0;
  }

  /** Lowest round-trip time among the samples the estimate uses (ms), NaN before any. */
  get rtt(): number {
    return this.compute()?.rtt ?? Number.NaN;
  }

  /**
   * Half the width of the offset interval (ms): the true offset is within ± this of
   * {@link offset} unless a clock stepped or drifted. Infinity before any sample.
   */
  get uncertainty(): number {
    return this.compute()?.uncertainty ?? Number.POSITIVE_INFINITY;
  }

  /** True once enough samples were taken for the estimate to be trusted. */
  get ready(): boolean {
    return this.samples.length >= this.minSamples;
  }

  /** Number of samples in the window. */
  get count(): number {
    return this.samples.length;
  }

  /** How many of the newest samples agree with each other and make up the estimate. */
  get used(): number {
    return this.compute()?.used ?? 0;
  }

  /** The samples in the window, oldest first (a copy). */
  get window(): ClockSample[] {
    return this.samples.slice();
  }

  /** The server's clock now, given the client's clock now (same clock as the samples). */
  serverNow(clientNow: number): number {
    return clientNow + this.offset;
  }

  /** Forget every sample (e.g. after a reconnect to a different server). */
  reset(): void {
    this.samples = [];
    this.estimate = null;
  }

  private compute(): { offset: number; rtt: number; uncertainty: number; used: number } | null {
    if (this.estimate !== null || this.samples.length === 0) return this.estimate;
    const tol = this.toleranceMs;
    let lo = Number.NEGATIVE_INFINITY;
    let hi = Number.POSITIVE_INFINITY;
    let rtt = Number.POSITIVE_INFINITY;
    let used = 0;
    for (let i = this.samples.length - 1; i >= 0; i--) {
      const s = this.samples[i]!;
      const sLo = s.serverTime - s.t1 - tol;
      const sHi = s.serverTime - s.t0 + tol;
      const nextLo = Math.max(lo, sLo);
      const nextHi = Math.min(hi, sHi);
      if (nextLo > nextHi) break; // an older sample from before a clock change
      lo = nextLo;
      hi = nextHi;
      rtt = Math.min(rtt, s.rtt);
      used++;
    }
    this.estimate = { offset: (lo + hi) / 2, rtt, uncertainty: (hi - lo) / 2, used };
    return this.estimate;
  }
}

/** The parts of a `playback.state` event this math needs (docs/asyncapi.yaml, `PlaybackState`). */
export interface PlaybackStateLike {
  status: "playing" | "paused" | "idle";
  /** position in the track (ms) at `server_time` */
  position_ms: number;
  /** server epoch ms at which `position_ms` was true */
  server_time: number;
  track?: { duration_ms?: number | null } | null;
}

/**
 * Where the room's track is at server time `serverNow` (ms into the track).
 * playing: position_ms + (serverNow - server_time); paused: position_ms; idle (or no
 * track): 0. Always clamped to [0, duration] (to >= 0 when the duration is unknown).
 */
export function playbackPosition(state: PlaybackStateLike, serverNow: number): number {
  if (state.status === "idle" || state.track === null) return 0;
  const raw =
    state.status === "playing" ? state.position_ms + (serverNow - state.server_time) : state.position_ms;
  const duration = state.track?.duration_ms;
  const upper = typeof duration === "number" && duration > 0 ? duration : Number.POSITIVE_INFINITY;
  return Math.min(Math.max(raw, 0), upper);
}

export interface DriftOptions {
  /** |drift| above this (ms) is fixed by seeking. Default 250. */
  seekThresholdMs?: number;
  /** |drift| at or below this (ms) is left alone. Default 40. */
  deadBandMs?: number;
  /** a rate nudge aims to close the gap over about this long (ms). Default 5000. */
  horizonMs?: number;
  /** the rate stays within 1 ± maxRateDelta. Default 0.03. */
  maxRateDelta?: number;
}

/** Seek the player to `seekTo` ms, or set its playback rate to `rate` for a while. */
export type DriftAction = { seekTo: number; rate?: undefined } | { rate: number; seekTo?: undefined };

/**
 * How to bring a player at `actualMs` back to the room's `expectedMs`
 * (from {@link playbackPosition}). drift = actual - expected (> 0: the player is ahead).
 *
 * - |drift| > seekThresholdMs: `{seekTo: expectedMs}`; a jump is audible but a big gap
 *   would take too long to close by a rate change.
 * - deadBandMs < |drift| <= seekThresholdMs: `{rate}`, 1 - drift / horizonMs clamped to
 *   1 ± maxRateDelta (0.97..1.03 by default): a few percent is inaudible for music, and
 *   the gap closes within about horizonMs.
 * - otherwise null: in sync; the caller plays at rate 1.0 (resetting an earlier nudge).
 *   The dead band sits above the estimator's typical error, so players do not chase noise.
 *
 * Players that cannot change rate (the Spotify Web Playback SDK) just ignore `{rate}`.
 */
export function driftCorrection(expectedMs: number, actualMs: number, options: DriftOptions = {}): DriftAction | null {
  const seekThreshold = options.seekThresholdMs ?? 250;
  const deadBand = options.deadBandMs ?? 40;
  const horizon = options.horizonMs ?? 5000;
  const maxDelta = options.maxRateDelta ?? 0.03;
  const drift = actualMs - expectedMs;
  const size = Math.abs(drift);
  if (!Number.isFinite(drift)) return null;
  if (size > seekThreshold) return { seekTo: Math.max(0, expectedMs) };
  if (size <= deadBand) return null;
  const rate = 1 - drift / horizon;
  return { rate: Math.min(1 + maxDelta, Math.max(1 - maxDelta, rate)) };
}

export interface SeekHysteresisOptions {
  /** |drift| above this (ms) is corrected by a seek at once (after the cool-down). Default 100. */
  upperMs?: number;
  /** |drift| above this (ms) for `persistMs` is corrected too; at or below it, left alone. Default 45. */
  lowerMs?: number;
  /** how long a drift between the two thresholds may last before a seek (ms). Default 4000. */
  persistMs?: number;
  /** no seek within this long of the last seek (ms; of the last start: settleMs), unless |drift| > hardMs. Default 3000. */
  coolDownMs?: number;
  /** |drift| above this (ms) is corrected even during the cool-down. Default 1000. */
  hardMs?: number;
  /** a start or seek is measured where it landed this long after it was asked for (ms). Default 800. */
  settleMs?: number;
  /** the learnt lead of a start or seek stays within 0..maxLeadMs. Default 2000. */
  maxLeadMs?: number;
}

/** A start (play at a position) or a seek, as far as their latency goes. */
export type SeekKind = "start" | "seek";

/**
 * Drift correction for players that cannot change their rate (the Spotify Web Playback SDK):
 * every correction is a seek, and a seek is audible, so it is rationed with hysteresis.
 *
 * - |drift| > upperMs: seek, but not within `coolDownMs` of the last seek (a seek that has
 *   not landed yet, or a noisy position report, must not cause another) nor `settleMs` of
 *   the last start;
 * - lowerMs < |drift| <= upperMs for `persistMs` in a row: seek (a small offset that stays);
 * - |drift| > hardMs: seek now, cool-down or not (the room jumped);
 * - otherwise nothing.
 *
 * Such players land late: a start or seek asked for at position p is heard at p about
 * 100-500 ms later, and the SDK reports it so. Each start and seek therefore aims ahead by a
 * lead learnt from where the previous ones landed (measured `settleMs` after asking): the
 * first of each kind aims at the room's position, and the error it lands with becomes the
 * lead (later ones move it halfway, so one noisy report cannot throw it far).
 */
export class SeekHysteresis {
  private readonly upper: number;
  private readonly lower: number;
  private readonly persist: number;
  private readonly coolDown: number;
  private readonly hard: number;
  private readonly settle: number;
  private readonly maxLead: number;
  private readonly leads: Record<SeekKind, number> = { start: 0, seek: 0 };
  private readonly learnt: Record<SeekKind, boolean> = { start: false, seek: false };
  private lastAction: { kind: SeekKind; at: number; measured: boolean } | null = null;
  private overSince: number | null = null;

  constructor(options: SeekHysteresisOptions = {}) {
    this.upper = options.upperMs ?? 100;
    this.lower = options.lowerMs ?? 45;
    this.persist = options.persistMs ?? 4000;
    this.coolDown = options.coolDownMs ?? 3000;
    this.hard = options.hardMs ?? 1000;
    this.settle = options.settleMs ?? 800;
    this.maxLead = options.maxLeadMs ?? 2000;
  }

  /** How far ahead of the room's position a start or seek of this kind aims (ms). */
  lead(kind: SeekKind): number {
    return this.leads[kind];
  }

  /** A start or seek was asked for at `nowMs` (the caller aimed it at expected + lead(kind)). */
  acted(kind: SeekKind, nowMs: number): void {
    this.lastAction = { kind, at: nowMs, measured: false };
    this.overSince = null;
  }

  /** The room changed course (pause, seek, another track): the next drift is not noise. */
  reset(): void {
    this.lastAction = null;
    this.overSince = null;
  }

  /**
   * The player at `actualMs` while the room is at `expectedMs` (both ms into the track), at
   * client time `nowMs`: the position to seek to, or null to leave it. A returned seek counts
   * as done (`acted("seek")`).
   */
  decide(expectedMs: number, actualMs: number, nowMs: number): number | null {
    const drift = actualMs - expectedMs;
    if (!Number.isFinite(drift)) return null;
    const size = Math.abs(drift);
    const last = this.lastAction;
    if (last && !last.measured && nowMs - last.at >= this.settle) {
      last.measured = true;
      // Where it landed says how late this kind of move lands: aim that much further ahead.
      // A landing more than hardMs off is something else (the room moved meanwhile): not learnt.
      if (size <= this.hard) {
        const gain = this.learnt[last.kind] ? 0.5 : 1;
        this.leads[last.kind] = Math.min(this.maxLead, Math.max(0, this.leads[last.kind] - gain * drift));
        this.learnt[last.kind] = true;
      }
    }
    // After a start, one look at where it landed is enough; after a seek, wait longer.
    const cooling = last !== null && nowMs - last.at < (last.kind === "start" ? this.settle : this.coolDown);
    if (size <= this.lower) {
      this.overSince = null;
      return null;
    }
    if (this.overSince === null) this.overSince = nowMs;
    const due = size > this.hard || (!cooling && (size > this.upper || nowMs - this.overSince >= this.persist));
    if (!due) return null;
    this.acted("seek", nowMs);
    return Math.max(0, expectedMs + this.leads.seek);
  }
}
