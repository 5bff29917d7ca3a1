/**
 * The sync loop: brings a {@link PlayerEngine} in line with the room, through the interface
 * only. Free of React and the DOM (useSyncedPlayer runs it on every playback.state and about
 * once a second; syncLoop.test.ts runs it against simulated engines and clocks).
 *
 * Each `sync(state)` asks the engine where it is, works out where the room is —
 * playbackPosition(state, clock.serverNow(now())) — and plays, pauses, seeks or nudges:
 * planSync for engines that can change their rate, planSeekSync (seeks with hysteresis and a
 * learnt lead) for those that cannot.
 */
import { SeekHysteresis, type DriftOptions, type PlaybackStateLike, type SeekHysteresisOptions } from "../../lib/clock";
import { planSeekSync, planSync, type SyncPlan } from "../room/playerSync";
import type { EngineSnapshot, EngineTrack, PlayerEngine } from "./engine";

/** The clock sync as the loop needs it (lib/clock.ts's ClockSync). */
export interface SyncClock {
  readonly ready: boolean;
  serverNow(clientNow: number): number;
}

export interface SyncState extends PlaybackStateLike {
  version: number;
  track?: (EngineTrack & { duration_ms?: number | null }) | null;
}

export interface PlayerSyncOptions {
  engine: PlayerEngine;
  clock: SyncClock;
  /** the client clock the ClockSync samples were taken with */
  now: () => number;
  /** rate-nudge thresholds (engines with supportsRate) */
  drift?: DriftOptions;
  /** seek hysteresis (engines without supportsRate) */
  seek?: SeekHysteresisOptions;
}

const SNAPSHOT_TIMEOUT_MS = 5000;

export class PlayerSync {
  readonly engine: PlayerEngine;
  private readonly clock: SyncClock;
  private readonly now: () => number;
  private readonly drift: DriftOptions;
  private readonly corrector: SeekHysteresis;
  private version: number | null = null;
  /** client time the unanswered snapshot was asked for (null: none) */
  private pendingSince: number | null = null;
  /** the last plan acted on (for tests and diagnostics) */
  lastPlan: SyncPlan | null = null;

  constructor({ engine, clock, now, drift = {}, seek = {} }: PlayerSyncOptions) {
    this.engine = engine;
    this.clock = clock;
    this.now = now;
    this.drift = drift;
    this.corrector = new SeekHysteresis(seek);
  }

  /** How far ahead a start or seek aims (the learnt latency of this engine; 0 for rate engines). */
  lead(kind: "start" | "seek"): number {
    return this.corrector.lead(kind);
  }

  /**
   * Bring the engine in line with `state`. Synchronous for an engine whose snapshot is (the
   * audio element); otherwise the decision waits for the snapshot, and syncs asked for
   * meanwhile are dropped (the next tick comes soon).
   */
  sync(state: SyncState | null): void {
    const engine = this.engine;
    const track = state?.track ?? null;
    if (!state || !track || state.status === "idle" || !engine.canPlay(track)) {
      if (engine.getStatus().playing) engine.pause();
      return;
    }
    engine.load(track);
    if (state.version !== this.version) {
      // The room changed course (another track, a pause, a seek): not drift.
      this.version = state.version;
      this.corrector.reset();
    }
    // Until a few pings are in, the offset may be far off, and until the engine can place
    // the track it cannot seek: better silent than wrong.
    if (!this.clock.ready || engine.getStatus().phase !== "ready") return;
    // One snapshot at a time; one that never answers is given up after a while.
    if (this.pendingSince !== null && this.now() - this.pendingSince < SNAPSHOT_TIMEOUT_MS) return;
    const snapshot = engine.snapshot();
    if (snapshot instanceof Promise) {
      const asked = this.now();
      this.pendingSince = asked;
      const done = () => {
        if (this.pendingSince === asked) this.pendingSince = null;
      };
      snapshot.then(
        (value) => {
          const current = this.pendingSince === asked;
          done();
          if (current) this.apply(state, value);
        },
        done,
      );
      return;
    }
    this.apply(state, snapshot);
  }

  private apply(state: SyncState, snapshot: EngineSnapshot): void {
    const engine = this.engine;
    if (snapshot.seeking || engine.getStatus().phase !== "ready") return;
    const clientNow = this.now();
    const serverNow = this.clock.serverNow(clientNow);
    const plan = engine.supportsRate
      ? planSync(state, serverNow, snapshot, this.drift)
      : planSeekSync(state, serverNow, snapshot, this.corrector, clientNow);
    this.lastPlan = plan;
    if (engine.supportsRate) engine.setRate(plan.rate);
    if (plan.play && snapshot.paused) {
      const at = plan.seekTo ?? plan.expectedMs;
      if (!engine.getStatus().blocked) void engine.play(at).catch(() => {});
      else engine.seek(at);
    } else {
      if (plan.seekTo !== null) engine.seek(plan.seekTo);
      if (!plan.play && !snapshot.paused) engine.pause();
    }
  }
}
