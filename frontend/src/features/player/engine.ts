/**
 * One player interface for whatever makes the sound: {@link PlayerEngine}. The sync logic
 * (features/player/syncLoop.ts: the clock offset, planSync / planSeekSync) talks only to it;
 * two adapters implement it:
 *
 * - {@link createAudioEngine}: an HTML5 <audio> element, for tracks with an `audio_url`
 *   (uploads and the demo clips). It can nudge its rate.
 * - createSpotifyEngine (spotifyEngine.ts): the Spotify Web Playback SDK, for Spotify tracks
 *   and listeners whose linked Spotify account is Premium. It cannot change its rate.
 */

export type TrackSource = "audio" | "spotify";
export type TrackOrigin = "spotify" | "upload" | "demo" | "import";

/** What an engine needs of a track (the API's TrackBase). */
export interface EngineTrack {
  spotify_id: string;
  duration_ms?: number | null;
  audio_url?: string | null;
  origin?: TrackOrigin;
  sources?: TrackSource[];
}

const SPOTIFY_ID = /^[0-9A-Za-z]{22}$/;

/** How a track can play: its `sources`; for a server that does not send them yet, inferred. */
export function trackSources(track: EngineTrack): TrackSource[] {
  if (Array.isArray(track.sources)) return track.sources;
  const sources: TrackSource[] = [];
  if (track.audio_url) sources.push("audio");
  if (SPOTIFY_ID.test(track.spotify_id)) sources.push("spotify");
  return sources;
}

/** Which engine plays a track: audio wherever there is a file, else Spotify where allowed. */
export function engineFor(track: EngineTrack | null | undefined, spotifyUsable: boolean): EngineKind | null {
  if (!track) return null;
  const sources = trackSources(track);
  if (sources.includes("audio") && track.audio_url) return "audio";
  if (sources.includes("spotify") && spotifyUsable) return "spotify";
  return null;
}

export type EngineKind = "audio" | "spotify";

/** Where the engine is in its track (a snapshot; Spotify's comes asynchronously). */
export interface EngineSnapshot {
  positionMs: number;
  /** not playing, and not about to (a start or seek in flight counts as playing) */
  paused: boolean;
  /** a seek or start has not landed yet: its position is not worth acting on */
  seeking: boolean;
}

export type EngineErrorCode =
  /** Spotify: the device went offline (`not_ready`) or the Web API no longer knows it */
  | "device_lost"
  /** Spotify: authentication or account trouble; `reason` says which */
  | "account_error"
  /** the track could not be played (Spotify's `playback_error`, a media error) */
  | "playback_error"
  /** the player could not start in this browser (Spotify's `initialization_error`, the SDK did not load) */
  | "initialization_error";

export interface EngineError {
  code: EngineErrorCode;
  /** account_error: not Premium, the grant must be renewed, or no account is linked */
  reason?: "premium" | "reconnect" | "not_linked" | "unavailable";
  message: string;
}

export interface EngineStatus {
  /**
   * idle: nothing loaded; connecting: getting ready (metadata loading, SDK loading, device
   * connecting); ready: the loaded track can be placed (seek and play); error: see `error`.
   */
  phase: "idle" | "connecting" | "ready" | "error";
  /** the browser wants a gesture before sound: call unlock() from a click */
  blocked: boolean;
  /** the engine is playing (or starting) */
  playing: boolean;
  error: EngineError | null;
}

export type EngineEvent =
  /** getStatus() changed */
  | { type: "status" }
  /** the loaded track can be placed now (metadata in, device ready, a gesture unlocked it): sync */
  | { type: "ready" }
  /** the loaded track reached its end */
  | { type: "ended" };

export interface PlayerEngine {
  readonly kind: EngineKind;
  /** false: setRate does nothing; drift is corrected by seeking (with hysteresis) */
  readonly supportsRate: boolean;
  /** whether this engine can play this track at all */
  canPlay(track: EngineTrack): boolean;
  /** prepare this track (no sound yet); the same track again changes nothing */
  load(track: EngineTrack): void;
  /** start the loaded track at `positionMs` (resolves once asked, not once heard) */
  play(positionMs: number): Promise<void>;
  pause(): void;
  seek(positionMs: number): void;
  /** 1 = normal speed; engines without rate control ignore it */
  setRate(rate: number): void;
  setVolume(volume: number, muted: boolean): void;
  /** where the engine is now */
  snapshot(): EngineSnapshot | Promise<EngineSnapshot>;
  getStatus(): EngineStatus;
  subscribe(listener: (event: EngineEvent) => void): () => void;
  /** from a click: let the browser make sound (autoplay was refused) */
  unlock(): Promise<void>;
  destroy(): void;
}

/** A tiny event emitter the engines share. */
export function emitter<E>() {
  const listeners = new Set<(event: E) => void>();
  return {
    subscribe(listener: (event: E) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event: E): void {
      for (const listener of [...listeners]) listener(event);
    },
    clear(): void {
      listeners.clear();
    },
  };
}

export interface AudioEngineOptions {
  /** for the whole-file fallback (default: the global fetch at call time) */
  fetch?: (url: string) => Promise<Response>;
  /** the whole-file fallback is for clip-sized files only (bytes). Default 64 MiB. */
  maxBlobBytes?: number;
}

const MAX_BLOB_BYTES = 64 * 1024 * 1024;

/**
 * The HTML5 adapter around an <audio> element the page renders (the engine sets its `src`).
 *
 * - It is ready for a track once the element has read its metadata and can seek in it. A
 *   server that ignores Range requests gives an unseekable stream that would play from 0:
 *   the engine then loads the file whole (clip-sized files only) and plays it from a blob
 *   URL, which is always seekable.
 * - A play() the browser refuses without a gesture (NotAllowedError) sets `blocked` until
 *   unlock() is called from a click ("Tap to listen"); while blocked the engine does not try.
 * - The element's `ended` is reported as an `ended` event.
 */
export function createAudioEngine(element: HTMLAudioElement, options: AudioEngineOptions = {}): PlayerEngine {
  const events = emitter<EngineEvent>();
  const maxBlob = options.maxBlobBytes ?? MAX_BLOB_BYTES;
  const doFetch = options.fetch ?? ((url: string) => globalThis.fetch(url));
  /** the track's audio_url */
  let wanted: string | null = null;
  /** what the element plays: `wanted`, or a blob URL of it */
  let src: string | null = null;
  let blobUrl: string | null = null;
  /** null until the metadata says; false while the whole-file fallback loads */
  let seekable: boolean | null = null;
  let blocked = false;
  let destroyed = false;

  const setBlocked = (value: boolean) => {
    if (blocked === value) return;
    blocked = value;
    events.emit({ type: "status" });
  };

  const dropBlob = () => {
    if (blobUrl) URL.revokeObjectURL(blobUrl);
    blobUrl = null;
  };

  const setSrc = (value: string) => {
    src = value;
    seekable = null;
    element.src = value;
  };

  const onLoadedMetadata = () => {
    if (!src || !wanted) return;
    const ranges = element.seekable;
    const canSeek = ranges.length > 0 && ranges.end(ranges.length - 1) > 0;
    if (canSeek || src !== wanted) {
      seekable = true;
      events.emit({ type: "status" });
      events.emit({ type: "ready" });
      return;
    }
    // The server ignores Range requests (Django's development media view does).
    seekable = false;
    const url = wanted;
    void (async () => {
      try {
        const response = await doFetch(url);
        const size = Number(response.headers.get("Content-Length") ?? 0);
        if (!response.ok || size > maxBlob) return;
        const data = await response.blob();
        if (destroyed || wanted !== url) return;
        dropBlob();
        blobUrl = URL.createObjectURL(data);
        setSrc(blobUrl);
      } catch {
        // Stays unseekable: the room's position is still shown.
      }
    })();
  };

  const onEnded = () => events.emit({ type: "ended" });
  const onPlayPause = () => events.emit({ type: "status" });

  element.addEventListener("loadedmetadata", onLoadedMetadata);
  element.addEventListener("ended", onEnded);
  element.addEventListener("play", onPlayPause);
  element.addEventListener("pause", onPlayPause);

  const start = () => {
    const started = element.play() as Promise<void> | undefined;
    if (started && typeof started.then === "function") {
      started.then(
        () => setBlocked(false),
        (error: unknown) => {
          if ((error as { name?: string } | null)?.name === "NotAllowedError") setBlocked(true);
        },
      );
    }
  };

  return {
    kind: "audio",
    supportsRate: true,
    canPlay: (track) => Boolean(track.audio_url) && trackSources(track).includes("audio"),
    load(track) {
      const url = track.audio_url || null;
      if (url === wanted) return;
      wanted = url;
      dropBlob();
      if (url) setSrc(url);
      else {
        src = null;
        seekable = null;
        element.removeAttribute("src");
      }
      events.emit({ type: "status" });
    },
    async play(positionMs) {
      element.currentTime = positionMs / 1000;
      if (!blocked) start();
    },
    pause() {
      if (!element.paused) element.pause();
    },
    seek(positionMs) {
      element.currentTime = positionMs / 1000;
    },
    setRate(rate) {
      if (element.playbackRate !== rate) element.playbackRate = rate;
    },
    setVolume(volume, muted) {
      element.volume = volume;
      element.muted = muted;
    },
    snapshot: () => ({ positionMs: element.currentTime * 1000, paused: element.paused, seeking: element.seeking }),
    getStatus: () => ({
      phase: !wanted ? "idle" : seekable === true ? "ready" : "connecting",
      blocked,
      playing: !element.paused,
      error: null,
    }),
    subscribe: events.subscribe,
    async unlock() {
      // Inside the click: the gesture browsers want before sound.
      const started = element.play() as Promise<void> | undefined;
      setBlocked(false);
      if (!started || typeof started.then !== "function") return;
      try {
        await started;
        events.emit({ type: "ready" });
      } catch {
        setBlocked(true);
      }
    },
    destroy() {
      destroyed = true;
      if (!element.paused) element.pause();
      element.removeEventListener("loadedmetadata", onLoadedMetadata);
      element.removeEventListener("ended", onEnded);
      element.removeEventListener("play", onPlayPause);
      element.removeEventListener("pause", onPlayPause);
      dropBlob();
      events.clear();
    },
  };
}
