/**
 * The room's synchronized player: picks the engine that plays the room's track for this
 * listener (features/player/engine.ts) and keeps it in line with the room (syncLoop.ts).
 *
 * - A track with an audio file plays in an HTML5 <audio> element (createAudioEngine), for
 *   everyone; the hook returns that element to render.
 * - A Spotify track without a file plays through Spotify's Web Playback SDK
 *   (createSpotifyEngine) for a listener whose `playback.spotify` is "ready" on a server with a
 *   Spotify player; the SDK is only loaded then. Anyone else hears nothing, and the players
 *   say why (the returned status carries the listener's Spotify access).
 *
 * On every playback.state and then about once a second the sync loop asks the engine where
 * it is and plays, pauses, seeks or nudges to match the room. `now` must be the clock the
 * ClockSync samples were taken with (the room socket's monotonic clock). When the engine
 * reaches the end it reports `playback.ended {version}`; the server decides whether the track
 * is over. Browsers may refuse sound without a gesture: then `blocked` is set and
 * `tapToListen` (called from a click) unlocks it.
 *
 * The ListeningProvider renders the element once for the whole app (so the music goes on
 * while the listener moves between pages); the room page's player and the mini-player only
 * show its status.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type ReactElement } from "react";

import type { components } from "../../api/schema";
import type { ClockSync } from "../../lib/clock";
import { playbackPosition } from "../../lib/clock";
import type { ClientFrame, PlaybackState } from "../../realtime/events";
import { createAudioEngine, engineFor, type EngineKind, type EngineStatus, type PlayerEngine } from "./engine";
import { createSpotifyEngine, type SpotifyEngineOptions, type SpotifyPlayerConfig, type SpotifyPlayerToken } from "./spotifyEngine";
import { PlayerSync } from "./syncLoop";

/** GET /users/me `playback.spotify`. */
export type SpotifyPlayback = components["schemas"]["SpotifyPlaybackEnum"];

/** What this listener can do with Spotify (features/player/spotifyAccess.ts builds it). */
export interface SpotifyAccess {
  /** the listener's Spotify status; null while not known */
  status: SpotifyPlayback | null;
  /** this server's Spotify player (GET /auth/config); null when it has none or while not known */
  player: SpotifyPlayerConfig | null;
  /** both of the above are known */
  known: boolean;
  getToken: () => Promise<SpotifyPlayerToken>;
  /** link (or re-link) a Spotify account: sends this browser to Spotify; rejects with the API's error */
  connect: () => Promise<void>;
}

export interface SyncedPlayerOptions {
  state: PlaybackState | null;
  clock: ClockSync;
  now: () => number;
  /** send a frame on the room socket; false when disconnected */
  send: (frame: ClientFrame) => boolean;
  /** how often to re-check drift (ms) */
  tickMs?: number;
  volume: number;
  muted?: boolean;
  /** absent: Spotify tracks do not play here */
  spotify?: SpotifyAccess | null;
  /** the Spotify engine's factory (tests) */
  createSpotify?: (options: SpotifyEngineOptions) => PlayerEngine;
}

/** What the players show of the sound. */
export interface AudioStatus {
  /** where the room's track is now (ms), updated about once a second */
  positionMs: number;
  /** the browser refused to start the sound without a gesture */
  blocked: boolean;
  /** the clock has enough samples to place the track */
  clockReady: boolean;
  /** the playing track's audio file, null when it has none (or nothing plays) */
  audioUrl: string | null;
  /** what plays the room's track for this listener; null: this listener cannot hear it */
  engine: EngineKind | null;
  /** that engine's status (connecting, errors), null when none plays */
  engineStatus: EngineStatus | null;
  /** the listener's Spotify access, null when not known here */
  spotify: SpotifyAccess | null;
  /** start the sound: call it from a click */
  tapToListen: () => void;
}

export interface SyncedPlayer extends AudioStatus {
  /** the <audio> element to render, null when the track does not play from a file here */
  element: ReactElement | null;
}

export function useSyncedPlayer({
  state,
  clock,
  now,
  send,
  tickMs = 1000,
  volume,
  muted = false,
  spotify = null,
  createSpotify = createSpotifyEngine,
}: SyncedPlayerOptions): SyncedPlayer {
  const [clockReady, setClockReady] = useState(clock.ready);
  const [positionMs, setPositionMs] = useState(0);
  const [engineStatus, setEngineStatus] = useState<EngineStatus | null>(null);
  const stateRef = useRef(state);
  stateRef.current = state;
  const sendRef = useRef(send);
  sendRef.current = send;
  const volumeRef = useRef({ volume, muted });
  volumeRef.current = { volume, muted };
  const getTokenRef = useRef(spotify?.getToken);
  getTokenRef.current = spotify?.getToken;

  const track = state?.track ?? null;
  const spotifyConfig = spotify?.status === "ready" ? spotify.player : null;
  const kind = engineFor(track, spotifyConfig !== null);

  // The audio engine lives as long as its element (rendered while a file plays).
  const [audioElement, setAudioElement] = useState<HTMLAudioElement | null>(null);
  const [audioEngine, setAudioEngine] = useState<PlayerEngine | null>(null);
  useEffect(() => {
    if (!audioElement) return;
    const engine = createAudioEngine(audioElement);
    setAudioEngine(engine);
    return () => {
      engine.destroy();
      setAudioEngine(null);
    };
  }, [audioElement]);

  // The Spotify engine (and the SDK) comes with the first Spotify track, then stays: the
  // device is kept for the next one.
  const [spotifyWanted, setSpotifyWanted] = useState(false);
  useEffect(() => {
    if (kind === "spotify") setSpotifyWanted(true);
  }, [kind]);
  const sdkUrl = spotifyConfig?.sdk_url ?? null;
  const apiUrl = spotifyConfig?.api_url ?? null;
  const [spotifyEngine, setSpotifyEngine] = useState<PlayerEngine | null>(null);
  useEffect(() => {
    if (!spotifyWanted || !sdkUrl || !apiUrl) return;
    const engine = createSpotify({
      config: { sdk_url: sdkUrl, api_url: apiUrl },
      getToken: () => (getTokenRef.current ? getTokenRef.current() : Promise.reject(new Error("Spotify is not available."))),
      volume: volumeRef.current.muted ? 0 : volumeRef.current.volume,
    });
    setSpotifyEngine(engine);
    return () => {
      engine.destroy();
      setSpotifyEngine(null);
    };
  }, [spotifyWanted, sdkUrl, apiUrl, createSpotify]);

  const audioSync = useMemo(() => (audioEngine ? new PlayerSync({ engine: audioEngine, clock, now }) : null), [audioEngine, clock, now]);
  const spotifySync = useMemo(() => (spotifyEngine ? new PlayerSync({ engine: spotifyEngine, clock, now }) : null), [spotifyEngine, clock, now]);
  const active = kind === "audio" ? audioSync : kind === "spotify" ? spotifySync : null;

  /** Bring the engines in line with the room. Called on each state and every tick. */
  const sync = useCallback(() => {
    const current = stateRef.current;
    setPositionMs(current ? playbackPosition(current, clock.serverNow(now())) : 0);
    setClockReady(clock.ready);
    for (const loop of [audioSync, spotifySync]) {
      if (loop && loop !== active) loop.sync(null); // silent when it is not its turn
    }
    active?.sync(current);
  }, [clock, now, audioSync, spotifySync, active]);

  useEffect(() => {
    sync();
  }, [state, sync]);

  useEffect(() => {
    const timer = setInterval(sync, tickMs);
    return () => clearInterval(timer);
  }, [sync, tickMs]);

  const activeEngine = active?.engine ?? null;
  useEffect(() => {
    if (!activeEngine) {
      setEngineStatus(null);
      return;
    }
    setEngineStatus(activeEngine.getStatus());
    return activeEngine.subscribe((event) => {
      if (event.type === "status") setEngineStatus(activeEngine.getStatus());
      else if (event.type === "ready") sync();
      else {
        const current = stateRef.current;
        if (current && current.status === "playing") sendRef.current({ type: "playback.ended", version: current.version });
      }
    });
  }, [activeEngine, sync]);

  useEffect(() => {
    audioEngine?.setVolume(volume, muted);
    spotifyEngine?.setVolume(volume, muted);
  }, [volume, muted, audioEngine, spotifyEngine]);

  const tapToListen = useCallback(() => {
    void activeEngine?.unlock();
  }, [activeEngine]);

  const element = kind === "audio" ? <audio ref={setAudioElement} preload="auto" data-testid="room-audio" /> : null;

  return {
    element,
    positionMs,
    blocked: engineStatus?.blocked ?? false,
    clockReady,
    audioUrl: track?.audio_url || null,
    engine: kind,
    engineStatus: kind ? engineStatus : null,
    spotify,
    tapToListen,
  };
}

/** Where the listener's volume and mute are kept between visits. */
export const VOLUME_KEY = "tunewave.volume";
export const MUTED_KEY = "tunewave.muted";

export function storedVolume(): number {
  const raw = localStorage.getItem(VOLUME_KEY);
  const value = Number(raw);
  return raw !== null && Number.isFinite(value) && value >= 0 && value <= 1 ? value : 0.8;
}

export function storedMuted(): boolean {
  return localStorage.getItem(MUTED_KEY) === "1";
}

/** Volume and mute, remembered in localStorage. */
export function useVolume(): { volume: number; setVolume: (v: number) => void; muted: boolean; setMuted: (m: boolean) => void } {
  const [volume, setVolume] = useState(storedVolume);
  const [muted, setMuted] = useState(storedMuted);
  useEffect(() => {
    localStorage.setItem(VOLUME_KEY, String(volume));
  }, [volume]);
  useEffect(() => {
    localStorage.setItem(MUTED_KEY, muted ? "1" : "0");
  }, [muted]);
  return { volume, setVolume, muted, setMuted };
}
