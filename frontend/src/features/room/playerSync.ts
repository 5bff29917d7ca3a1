/**
 * The player's sync decision, kept free of React and the DOM so it can be tested alone.
 * The math is src/lib/clock.ts (playbackPosition, driftCorrection, SeekHysteresis); this only
 * decides what to do with a player (features/player/engine.ts) in a given state: planSync for
 * players that can nudge their rate (HTML5 audio), planSeekSync for those that can only seek
 * (the Spotify Web Playback SDK).
 */
import { driftCorrection, playbackPosition, type DriftOptions, type PlaybackStateLike, type SeekHysteresis } from "../../lib/clock";

export interface PlayerSnapshot {
  /** where the player is (ms) */
  positionMs: number;
  /** the player is paused (not started yet, or stopped) */
  paused: boolean;
}

export interface SyncPlan {
  /** where the room's track is now (ms) */
  expectedMs: number;
  /** the player should be playing */
  play: boolean;
  /** seek here first (ms), or leave the position alone */
  seekTo: number | null;
  /** playback rate to set (1 = normal; 0.97–1.03 is a drift nudge) */
  rate: number;
}

/** Seeks for a paused room are only worth it past this (ms). */
const PAUSED_TOLERANCE_MS = 250;

export function planSync(
  state: PlaybackStateLike | null,
  serverNow: number,
  player: PlayerSnapshot,
  options: DriftOptions = {},
): SyncPlan {
  if (!state || !state.track || state.status === "idle") {
    return { expectedMs: 0, play: false, seekTo: null, rate: 1 };
  }
  const expectedMs = playbackPosition(state, serverNow);
  if (state.status === "paused") {
    const off = Math.abs(player.positionMs - expectedMs) > PAUSED_TOLERANCE_MS;
    return { expectedMs, play: false, seekTo: off ? expectedMs : null, rate: 1 };
  }
  const duration = state.track.duration_ms;
  if (typeof duration === "number" && duration > 0 && expectedMs >= duration) {
    // The room's track is over; the next playback.state brings the next one.
    return { expectedMs, play: false, seekTo: null, rate: 1 };
  }
  if (player.paused) {
    // Starting (or restarting): jump straight to where the room is.
    return { expectedMs, play: true, seekTo: expectedMs, rate: 1 };
  }
  const action = driftCorrection(expectedMs, player.positionMs, options);
  if (action === null) return { expectedMs, play: true, seekTo: null, rate: 1 };
  if (action.seekTo !== undefined) return { expectedMs, play: true, seekTo: action.seekTo, rate: 1 };
  return { expectedMs, play: true, seekTo: null, rate: action.rate };
}

/**
 * The same decision for a player that cannot change its rate: `rate` is always 1 and drift is
 * corrected by seeking, rationed by `corrector` (hysteresis and a learnt lead; see
 * {@link SeekHysteresis}). Starts aim `corrector.lead("start")` ahead of the room. Not pure:
 * a planned start or seek is recorded in `corrector` as done at `clientNow`.
 */
export function planSeekSync(
  state: PlaybackStateLike | null,
  serverNow: number,
  player: PlayerSnapshot,
  corrector: SeekHysteresis,
  clientNow: number,
): SyncPlan {
  if (!state || !state.track || state.status === "idle" || state.status === "paused") {
    corrector.reset();
    return planSync(state, serverNow, player);
  }
  const expectedMs = playbackPosition(state, serverNow);
  const duration = state.track.duration_ms;
  if (typeof duration === "number" && duration > 0 && expectedMs >= duration) {
    return { expectedMs, play: false, seekTo: null, rate: 1 };
  }
  if (player.paused) {
    corrector.acted("start", clientNow);
    return { expectedMs, play: true, seekTo: expectedMs + corrector.lead("start"), rate: 1 };
  }
  return { expectedMs, play: true, seekTo: corrector.decide(expectedMs, player.positionMs, clientNow), rate: 1 };
}
