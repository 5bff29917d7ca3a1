/**
 * The Spotify adapter of {@link PlayerEngine}: Spotify's Web Playback SDK makes this browser
 * a Spotify Connect device, and Spotify's Web API tells that device what to play.
 *
 * - The SDK script (`sdk_url` of GET /auth/config's `spotify_player`) is loaded once, and only
 *   when an engine is created: useSyncedPlayer creates one only for a listener whose
 *   `playback.spotify` is "ready" and a room track that plays on Spotify and not from a file.
 *   When `window.Spotify` is already there (the browser tests' fake), nothing is loaded.
 * - `new Spotify.Player({name: "TuneWave", getOAuthToken, volume})`: the token is GET
 *   /auth/spotify/player-token's (refreshed by the server), kept until shortly before it
 *   expires; on `ready` the device is made the account's player (PUT {api_url}/v1/me/player,
 *   play: false), then tracks start with PUT {api_url}/v1/me/player/play?device_id=…
 *   {uris: ["spotify:track:<id>"], position_ms}. Seek, pause, resume, volume and the position
 *   go through the SDK.
 * - The SDK cannot change its rate (`supportsRate: false`): the sync loop corrects drift by
 *   seeking, with hysteresis (lib/clock.ts, SeekHysteresis).
 * - The SDK's events become the engine's status: `not_ready` → device_lost,
 *   `authentication_error` → account_error (reconnect), `account_error` → account_error
 *   (Premium), `playback_error`, `initialization_error`, `autoplay_failed` → blocked.
 */
import { emitter, trackSources, type EngineError, type EngineEvent, type EngineSnapshot, type EngineStatus, type EngineTrack, type PlayerEngine } from "./engine";
import type { components } from "../../api/schema";

type Schemas = components["schemas"];

// --- the parts of the SDK TuneWave uses ------------------------------------------------

export interface SpotifySdkTrack {
  uri: string;
  id?: string | null;
}

export interface SpotifySdkState {
  paused: boolean;
  /** ms into the current track */
  position: number;
  duration: number;
  track_window: { current_track: SpotifySdkTrack | null; previous_tracks?: SpotifySdkTrack[] };
}

export interface SpotifySdkPlayer {
  connect(): Promise<boolean>;
  disconnect(): void;
  addListener(event: string, callback: (payload: unknown) => void): boolean;
  removeListener(event: string, callback?: (payload: unknown) => void): boolean;
  getCurrentState(): Promise<SpotifySdkState | null>;
  seek(positionMs: number): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  setVolume(volume: number): Promise<void>;
  activateElement?(): Promise<void>;
}

export interface SpotifySdkPlayerOptions {
  name: string;
  getOAuthToken: (callback: (token: string) => void) => void;
  volume?: number;
}

export interface SpotifySdk {
  Player: new (options: SpotifySdkPlayerOptions) => SpotifySdkPlayer;
}

/** The window as the SDK leaves it. */
export interface SpotifyWindow {
  Spotify?: SpotifySdk;
  onSpotifyWebPlaybackSDKReady?: () => void;
  document: Document;
  setTimeout: typeof setTimeout;
  clearTimeout: typeof clearTimeout;
}

// --- configuration ---------------------------------------------------------------------

/** GET /auth/config's `spotify_player`. */
export type SpotifyPlayerConfig = Pick<Schemas["SpotifyPlayerConfig"], "sdk_url" | "api_url">;

/** GET /auth/spotify/player-token's answer (`expires_at` in epoch ms). */
export type SpotifyPlayerToken = Pick<Schemas["PlayerToken"], "access_token" | "expires_at">;

export interface SpotifyEngineOptions {
  config: SpotifyPlayerConfig;
  /** GET /auth/spotify/player-token (rejects with the API's error: `status`, `code`) */
  getToken: () => Promise<SpotifyPlayerToken>;
  /** 0..1 */
  volume?: number;
  /** default: this window */
  win?: SpotifyWindow;
  /** default: the global fetch at call time (the browser tests' fake watches it) */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** epoch ms, for the token's expiry (default Date.now) */
  clock?: () => number;
  /** how long a start may take before the engine stops waiting for it (ms). Default 5000. */
  startTimeoutMs?: number;
  /** how long the SDK script may take to load (ms). Default 20000. */
  loadTimeoutMs?: number;
}

/** A token is used until this long before it expires (ms). */
const TOKEN_MARGIN_MS = 60_000;

let sdkLoading: { win: SpotifyWindow; promise: Promise<SpotifySdk> } | null = null;

/** The SDK: `win.Spotify` when present, else the script at `url`, loaded once. */
export function loadSpotifySdk(url: string, win: SpotifyWindow, timeoutMs = 20_000): Promise<SpotifySdk> {
  if (win.Spotify) return Promise.resolve(win.Spotify);
  if (sdkLoading && sdkLoading.win === win) return sdkLoading.promise;
  const promise = new Promise<SpotifySdk>((resolve, reject) => {
    const fail = (message: string) => {
      if (sdkLoading?.promise === promise) sdkLoading = null;
      reject(new Error(message));
    };
    const timer = win.setTimeout(() => fail("The Spotify player took too long to load."), timeoutMs);
    const previous = win.onSpotifyWebPlaybackSDKReady;
    win.onSpotifyWebPlaybackSDKReady = () => {
      win.clearTimeout(timer);
      previous?.();
      if (win.Spotify) resolve(win.Spotify);
      else fail("The Spotify player did not start.");
    };
    const script = win.document.createElement("script");
    script.src = url;
    script.async = true;
    script.onerror = () => {
      win.clearTimeout(timer);
      script.remove();
      fail("The Spotify player could not be loaded.");
    };
    win.document.head.appendChild(script);
  });
  sdkLoading = { win, promise };
  return promise;
}

const SPOTIFY_ID = /^[0-9A-Za-z]{22}$/;

export function spotifyUri(track: EngineTrack): string {
  return `spotify:track:${track.spotify_id}`;
}

/** The player-token endpoint's refusals, as the engine's error. */
export function tokenError(error: unknown): EngineError {
  const { status, code } = (error ?? {}) as { status?: number; code?: string };
  if (code === "spotify_not_linked" || status === 404) {
    return { code: "account_error", reason: "not_linked", message: "No Spotify account is linked to your TuneWave account." };
  }
  if (code === "spotify_not_premium") {
    return { code: "account_error", reason: "premium", message: "Spotify plays full tracks only for Premium accounts." };
  }
  if (code === "spotify_scope_missing" || code === "spotify_reconnect") {
    return { code: "account_error", reason: "reconnect", message: "Spotify needs you to connect your account again." };
  }
  return { code: "account_error", reason: "unavailable", message: "Spotify is not reachable right now. Try again in a moment." };
}

export function createSpotifyEngine(options: SpotifyEngineOptions): PlayerEngine {
  const win = options.win ?? (globalThis as unknown as SpotifyWindow);
  const doFetch = options.fetch ?? ((url: string, init: RequestInit) => globalThis.fetch(url, init));
  const clock = options.clock ?? Date.now;
  const startTimeout = options.startTimeoutMs ?? 5000;
  const apiUrl = options.config.api_url.replace(/\/+$/, "");
  const events = emitter<EngineEvent>();

  let player: SpotifySdkPlayer | null = null;
  let deviceId: string | null = null;
  let phase: EngineStatus["phase"] = "connecting";
  let error: EngineError | null = null;
  let blocked = false;
  let destroyed = false;
  let volume = options.volume ?? 0.8;

  let token: SpotifyPlayerToken | null = null;
  let tokenRequest: Promise<SpotifyPlayerToken> | null = null;

  /** the room's track on this device */
  let wantedUri: string | null = null;
  let wantedDuration: number | null = null;
  /** the engine was told to play (and not to pause since) */
  let wantPlaying = false;
  /** a start asked for and not yet heard (client ms) */
  let startingSince: number | null = null;
  /** the SDK's last word */
  let lastState: SpotifySdkState | null = null;
  /** where the wanted track was when it was last heard starting to play (for `ended`) */
  let playingFrom: { at: number; position: number } | null = null;
  const listeners: [string, (payload: unknown) => void][] = [];

  const changed = () => events.emit({ type: "status" });

  const setError = (next: EngineError | null, nextPhase: EngineStatus["phase"] = next ? "error" : deviceId ? "ready" : "connecting") => {
    error = next;
    phase = nextPhase;
    changed();
  };

  function getToken(): Promise<SpotifyPlayerToken> {
    if (token && token.expires_at - clock() > TOKEN_MARGIN_MS) return Promise.resolve(token);
    if (!tokenRequest) {
      tokenRequest = options
        .getToken()
        .then((fresh) => {
          token = fresh;
          return fresh;
        })
        .finally(() => {
          tokenRequest = null;
        });
    }
    return tokenRequest;
  }

  /** A Web API call with the player token; one retry with a fresh token after a 401. */
  async function webApi(path: string, body: unknown): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      let current: SpotifyPlayerToken;
      try {
        current = await getToken();
      } catch (err) {
        setError(tokenError(err));
        return false;
      }
      let response: Response;
      try {
        response = await doFetch(`${apiUrl}${path}`, {
          method: "PUT",
          headers: { Authorization: `Bearer ${current.access_token}`, "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
      } catch {
        setError({ code: "playback_error", message: "Spotify could not be reached." }, phase);
        return false;
      }
      if (destroyed) return false;
      if (response.ok) return true;
      if (response.status === 401 && attempt === 0) {
        token = null;
        continue;
      }
      if (response.status === 403) {
        setError({ code: "account_error", reason: "premium", message: "Spotify plays full tracks only for Premium accounts." });
      } else if (response.status === 404) {
        deviceId = null;
        setError({ code: "device_lost", message: "Spotify lost this browser's player." });
      } else {
        setError({ code: "playback_error", message: `Spotify refused to play (${response.status}).` }, phase);
      }
      return false;
    }
    return false;
  }

  const on = <P>(event: string, handler: (payload: P) => void) => {
    // The SDK's events each have their own payload; the event name says which.
    const callback = handler as (payload: unknown) => void;
    player?.addListener(event, callback);
    listeners.push([event, callback]);
  };

  function onState(state: SpotifySdkState | null) {
    const previous = lastState;
    lastState = state;
    const uri = state?.track_window.current_track?.uri ?? null;
    const ours = uri !== null && uri === wantedUri;
    if (state && ours && !state.paused) {
      if (startingSince !== null || !playingFrom || previous?.paused) playingFrom = { at: clock(), position: state.position };
      startingSince = null;
    } else if (state?.paused && wantPlaying && startingSince === null && playingFrom && previous && !previous.paused) {
      // Stopped without being told: the track ran out (the SDK stops at the end of a lone track).
      const duration = wantedDuration ?? state.duration;
      const reached = playingFrom.position + (clock() - playingFrom.at);
      const wasOurs = ours || state.track_window.previous_tracks?.some((t) => t.uri === wantedUri);
      if (wasOurs && duration > 0 && reached >= duration - 3000) {
        playingFrom = null;
        events.emit({ type: "ended" });
      }
    }
    changed();
  }

  async function start() {
    let sdk: SpotifySdk;
    try {
      sdk = await loadSpotifySdk(options.config.sdk_url, win, options.loadTimeoutMs);
    } catch (err) {
      if (!destroyed) setError({ code: "initialization_error", message: (err as Error).message });
      return;
    }
    if (destroyed) return;
    player = new sdk.Player({
      name: "TuneWave",
      volume,
      getOAuthToken: (callback) => {
        getToken().then(
          (fresh) => callback(fresh.access_token),
          (err: unknown) => setError(tokenError(err)),
        );
      },
    });
    on<{ device_id: string }>("ready", ({ device_id }) => {
      deviceId = device_id;
      void (async () => {
        // This browser becomes the account's player, silent until the room's track is asked for.
        const moved = await webApi("/v1/me/player", { device_ids: [device_id], play: false });
        if (!moved || destroyed || deviceId !== device_id) return;
        setError(null, "ready");
        events.emit({ type: "ready" });
      })();
    });
    on<{ device_id: string }>("not_ready", () => {
      deviceId = null;
      startingSince = null;
      setError({ code: "device_lost", message: "Spotify lost this browser's player. Reconnecting…" });
    });
    on<{ message: string }>("authentication_error", ({ message }) =>
      setError({ code: "account_error", reason: "reconnect", message: message || "Spotify did not accept the sign-in." }),
    );
    on<{ message: string }>("account_error", ({ message }) =>
      setError({ code: "account_error", reason: "premium", message: message || "Spotify plays full tracks only for Premium accounts." }),
    );
    on<{ message: string }>("playback_error", ({ message }) => {
      startingSince = null;
      setError({ code: "playback_error", message: message || "Spotify could not play this track." });
    });
    on<{ message: string }>("initialization_error", ({ message }) =>
      setError({ code: "initialization_error", message: message || "The Spotify player cannot start in this browser." }),
    );
    on<unknown>("autoplay_failed", () => {
      blocked = true;
      startingSince = null;
      changed();
    });
    on<SpotifySdkState | null>("player_state_changed", onState);
    try {
      const connected = await player.connect();
      if (!connected && !destroyed && phase !== "error") {
        setError({ code: "initialization_error", message: "The Spotify player could not connect." });
      }
    } catch {
      if (!destroyed) setError({ code: "initialization_error", message: "The Spotify player could not connect." });
    }
  }

  void start();

  const ignore = (promise: Promise<unknown> | undefined) => {
    void promise?.catch(() => {});
  };

  return {
    kind: "spotify",
    supportsRate: false,
    canPlay: (track) => SPOTIFY_ID.test(track.spotify_id) && trackSources(track).includes("spotify"),
    load(track) {
      const uri = spotifyUri(track);
      wantedDuration = track.duration_ms ?? null;
      if (uri === wantedUri) return;
      wantedUri = uri;
      startingSince = null;
      playingFrom = null;
      // The previous track must not go on under the new one's name.
      if (player && lastState && !lastState.paused) ignore(player.pause());
      if (error?.code === "playback_error") setError(null);
    },
    async play(positionMs) {
      if (!player || !deviceId || !wantedUri || phase !== "ready") return;
      wantPlaying = true;
      startingSince = clock();
      changed();
      const position = Math.max(0, Math.round(positionMs));
      if (lastState?.track_window.current_track?.uri === wantedUri) {
        await player.seek(position).catch(() => {});
        await player.resume().catch(() => {});
        return;
      }
      const device = encodeURIComponent(deviceId);
      const ok = await webApi(`/v1/me/player/play?device_id=${device}`, { uris: [wantedUri], position_ms: position });
      if (!ok) startingSince = null;
    },
    pause() {
      wantPlaying = false;
      startingSince = null;
      playingFrom = null;
      if (player) ignore(player.pause());
      changed();
    },
    seek(positionMs) {
      if (player) ignore(player.seek(Math.max(0, Math.round(positionMs))));
    },
    setRate() {
      // The SDK plays at one rate: drift is corrected by seeking.
    },
    setVolume(next, muted) {
      volume = next;
      if (player) ignore(player.setVolume(muted ? 0 : next));
    },
    async snapshot(): Promise<EngineSnapshot> {
      const state = player ? await player.getCurrentState().catch(() => null) : null;
      if (state) lastState = state;
      const starting = startingSince !== null && clock() - startingSince < startTimeout;
      if (!starting) startingSince = null;
      const ours = state?.track_window.current_track?.uri === wantedUri;
      if (starting) return { positionMs: ours && state ? state.position : 0, paused: false, seeking: true };
      if (!state || !ours) return { positionMs: 0, paused: true, seeking: false };
      return { positionMs: state.position, paused: state.paused, seeking: false };
    },
    getStatus: () => ({
      phase,
      blocked,
      playing: wantPlaying && (startingSince !== null || (lastState !== null && !lastState.paused)),
      error,
    }),
    subscribe: events.subscribe,
    async unlock() {
      blocked = false;
      changed();
      // Inside the click: lets the SDK's own media element make sound (mobile Safari, Chrome's autoplay rule).
      await player?.activateElement?.().catch(() => {});
      events.emit({ type: "ready" });
    },
    destroy() {
      destroyed = true;
      if (player) {
        for (const [event, callback] of listeners) player.removeListener(event, callback);
        player.disconnect();
      }
      events.clear();
    },
  };
}
