/**
 * The room's synchronized audio: an HTML5 <audio> element for tracks with an `audio_url`.
 *
 * On every playback.state and then about once a second it asks planSync (clock.ts math)
 * where the room is — playbackPosition(state, clock.serverNow(now())) — and seeks, nudges
 * the playback rate, plays or pauses to match. `now` must be the clock the ClockSync samples
 * were taken with (the room socket's monotonic clock). Browsers may refuse to start audio
 * without a gesture: then `blocked` is set and `tapToListen` (called from a click) starts it.
 * When the element reaches the end it reports `playback.ended {version}`; the server decides
 * whether the track is over.
 *
 * The hook returns the element to render: the ListeningProvider renders it once for the whole
 * app (so the music goes on while the listener moves between pages); the room page's player
 * and the mini-player only show its state.
 */
import { useCallback, useEffect, useRef, useState, type ReactElement } from "react";

import type { ClockSync } from "../../lib/clock";
import { playbackPosition } from "../../lib/clock";
import type { ClientFrame, PlaybackState } from "../../realtime/events";
import { planSync } from "../room/playerSync";

export interface SyncedAudioOptions {
  state: PlaybackState | null;
  clock: ClockSync;
  now: () => number;
  /** send a frame on the room socket; false when disconnected */
  send: (frame: ClientFrame) => boolean;
  /** how often to re-check drift (ms) */
  tickMs?: number;
  volume: number;
  muted?: boolean;
}

/** What the players show of the audio element. */
export interface AudioStatus {
  /** where the room's track is now (ms), updated about once a second */
  positionMs: number;
  /** the browser refused to start the sound without a gesture */
  blocked: boolean;
  /** the clock has enough samples to place the track */
  clockReady: boolean;
  /** the playing track's audio, null when it only plays through Spotify (or nothing plays) */
  audioUrl: string | null;
  /** start the sound: call it from a click */
  tapToListen: () => void;
}

export interface SyncedAudio extends AudioStatus {
  /** the <audio> element to render, null when there is nothing to play here */
  element: ReactElement | null;
}

const MAX_BLOB_BYTES = 64 * 1024 * 1024;

export function useSyncedAudio({ state, clock, now, send, tickMs = 1000, volume, muted = false }: SyncedAudioOptions): SyncedAudio {
  const audioRef = useRef<HTMLAudioElement>(null);
  const [blocked, setBlocked] = useState(false);
  const [clockReady, setClockReady] = useState(clock.ready);
  const [positionMs, setPositionMs] = useState(0);
  const blockedRef = useRef(blocked);
  blockedRef.current = blocked;
  const stateRef = useRef(state);
  stateRef.current = state;
  const sendRef = useRef(send);
  sendRef.current = send;

  const audioUrl = state?.track?.audio_url || null;
  // Set once the element knows whether it can seek in the current source.
  const seekableRef = useRef<boolean | null>(null);
  const [blob, setBlob] = useState<{ for: string; url: string } | null>(null);
  const src = audioUrl && blob?.for === audioUrl ? blob.url : audioUrl;

  useEffect(() => {
    seekableRef.current = null;
  }, [src]);
  useEffect(() => {
    if (blob && blob.for !== audioUrl) setBlob(null);
  }, [blob, audioUrl]);
  useEffect(() => () => {
    if (blob) URL.revokeObjectURL(blob.url);
  }, [blob]);

  /** Bring the element in line with the room. Called on each state and every tick. */
  const sync = useCallback(() => {
    const current = stateRef.current;
    const serverNow = clock.serverNow(now());
    setPositionMs(current ? playbackPosition(current, serverNow) : 0);
    setClockReady(clock.ready);
    const audio = audioRef.current;
    if (!audio || !current?.track?.audio_url) return;
    // Until a few pings are in, the offset may be far off, and until the metadata is in
    // we can't seek: better silent than wrong.
    if (!clock.ready || audio.seeking || seekableRef.current !== true) return;
    const plan = planSync(current, serverNow, { positionMs: audio.currentTime * 1000, paused: audio.paused });
    if (plan.seekTo !== null) audio.currentTime = plan.seekTo / 1000;
    if (audio.playbackRate !== plan.rate) audio.playbackRate = plan.rate;
    if (plan.play && audio.paused && !blockedRef.current) {
      const started = audio.play();
      if (started && typeof started.catch === "function") {
        started.then(
          () => setBlocked(false),
          (error: unknown) => {
            if ((error as { name?: string } | null)?.name === "NotAllowedError") setBlocked(true);
          },
        );
      }
    } else if (!plan.play && !audio.paused) {
      audio.pause();
    }
  }, [clock, now]);

  useEffect(() => {
    sync();
  }, [state, sync]);

  useEffect(() => {
    const timer = setInterval(sync, tickMs);
    return () => clearInterval(timer);
  }, [sync, tickMs]);

  useEffect(() => {
    const audio = audioRef.current;
    if (!audio) return;
    audio.volume = volume;
    audio.muted = muted;
  }, [volume, muted, src]);

  const tapToListen = useCallback(() => {
    const audio = audioRef.current;
    if (!audio) return;
    // Inside the click: the gesture browsers want before sound.
    const started = audio.play();
    setBlocked(false);
    if (started && typeof started.then === "function") started.then(sync, () => setBlocked(true));
  }, [sync]);

  const onLoadedMetadata = () => {
    const audio = audioRef.current;
    if (!audio || !src) return;
    const ranges = audio.seekable;
    const seekable = ranges.length > 0 && ranges.end(ranges.length - 1) > 0;
    if (seekable || src !== audioUrl) {
      seekableRef.current = true;
      sync();
      return;
    }
    // The server ignores Range requests (Django's development media view does), so the
    // element cannot seek and would play from 0. Load the clip whole instead: a blob URL is
    // always seekable. Only for clip-sized files.
    seekableRef.current = false;
    const wanted = audioUrl;
    if (!wanted) return;
    void (async () => {
      try {
        const response = await fetch(wanted);
        const size = Number(response.headers.get("Content-Length") ?? 0);
        if (!response.ok || size > MAX_BLOB_BYTES) return;
        const data = await response.blob();
        if (stateRef.current?.track?.audio_url === wanted) setBlob({ for: wanted, url: URL.createObjectURL(data) });
      } catch {
        // Stays unseekable: the room's position is still shown.
      }
    })();
  };

  const onEnded = () => {
    const current = stateRef.current;
    if (current && current.status === "playing") sendRef.current({ type: "playback.ended", version: current.version });
  };

  const element = src ? (
    <audio ref={audioRef} src={src} preload="auto" onLoadedMetadata={onLoadedMetadata} onEnded={onEnded} data-testid="room-audio" />
  ) : null;

  return { element, positionMs, blocked, clockReady, audioUrl, tapToListen };
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
