/**
 * The room's synchronized player: an HTML5 <audio> element for tracks with an `audio_url`.
 *
 * On every playback.state and then about once a second it asks planSync (clock.ts math)
 * where the room is — playbackPosition(state, clock.serverNow(now())) — and seeks, nudges
 * the playback rate, plays or pauses to match. `now` must be the clock the ClockSync samples
 * were taken with (the room socket's monotonic clock). Browsers may refuse to start audio
 * without a gesture: then a "Tap to listen" button starts it. When the element reaches the
 * end it reports `playback.ended {version}`; the server decides whether the track is over.
 */
import { useCallback, useEffect, useRef, useState } from "react";

import type { ClockSync } from "../../lib/clock";
import { playbackPosition } from "../../lib/clock";
import type { ClientFrame, PlaybackState } from "../../realtime/events";
import { PauseIcon, PlayIcon, SkipIcon, SpeakerIcon } from "../../components/icons";
import { Badge, Button, formatMs, TrackArt } from "../../components/ui";
import { planSync } from "./playerSync";

export interface PlayerProps {
  state: PlaybackState | null;
  clock: ClockSync;
  now: () => number;
  canControl: boolean;
  /** send a frame on the room socket; false when disconnected */
  send: (frame: ClientFrame) => boolean;
  /** how often to re-check drift (ms) */
  tickMs?: number;
  favoriteButton?: React.ReactNode;
}

const VOLUME_KEY = "tunewave.volume";
const MAX_BLOB_BYTES = 64 * 1024 * 1024;

function storedVolume(): number {
  const value = Number(localStorage.getItem(VOLUME_KEY));
  return Number.isFinite(value) && value >= 0 && value <= 1 && localStorage.getItem(VOLUME_KEY) !== null ? value : 0.8;
}

export function Player({ state, clock, now, canControl, send, tickMs = 1000, favoriteButton }: PlayerProps) {
  const audioRef = useRef<HTMLAudioElement>(null);
  const [blocked, setBlocked] = useState(false);
  const [clockReady, setClockReady] = useState(clock.ready);
  const [positionMs, setPositionMs] = useState(0);
  const [volume, setVolume] = useState(storedVolume);
  const [seeking, setSeeking] = useState<number | null>(null);
  const blockedRef = useRef(blocked);
  blockedRef.current = blocked;
  const stateRef = useRef(state);
  stateRef.current = state;

  const track = state?.track ?? null;
  const audioUrl = track?.audio_url ?? null;
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
    if (audioRef.current) audioRef.current.volume = volume;
    localStorage.setItem(VOLUME_KEY, String(volume));
  }, [volume, src]);

  const tapToListen = () => {
    const audio = audioRef.current;
    if (!audio) return;
    // Inside the click: the gesture browsers want before sound.
    const started = audio.play();
    setBlocked(false);
    if (started && typeof started.then === "function") started.then(sync, () => setBlocked(true));
  };

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
    if (current && current.status === "playing") send({ type: "playback.ended", version: current.version });
  };

  const duration = track?.duration_ms ?? 0;
  const shownMs = seeking ?? positionMs;
  const status = state?.status ?? "idle";

  return (
    <section aria-label="Now playing" className="min-w-0 rounded-2xl bg-gradient-to-br from-violet-950/80 via-zinc-900 to-zinc-900 p-3 ring-1 ring-violet-900/50 sm:p-5">
      <div className="flex min-w-0 gap-3 sm:gap-4">
        {/* Smaller art on phones: the chat below must fit the first screen. */}
        <span className="sm:hidden">
          <TrackArt track={track} size="md" />
        </span>
        <span className="hidden sm:block">
          <TrackArt track={track} size="lg" />
        </span>
        <div className="flex min-w-0 flex-1 flex-col">
          <p className="text-xs font-medium uppercase tracking-wider text-violet-300">
            {status === "playing" ? "Now playing" : status === "paused" ? "Paused" : "Nothing playing"}
          </p>
          {track ? (
            <>
              <h2 className="mt-0.5 truncate text-lg font-semibold text-white sm:mt-1 sm:text-xl">{track.name}</h2>
              <p className="truncate text-sm text-zinc-300">{track.artists.join(", ")}</p>
              <p className="truncate text-xs text-zinc-400 max-sm:hidden">{track.album}</p>
              <div className="mt-1 flex min-w-0 flex-wrap items-center gap-2 sm:mt-2">
                {track.genres.slice(0, 3).map((genre) => (
                  <span key={genre} className="max-sm:hidden">
                    <Badge tone="violet">{genre}</Badge>
                  </span>
                ))}
                {!audioUrl ? <Badge tone="amber">Spotify only</Badge> : null}
                {favoriteButton}
              </div>
            </>
          ) : (
            <p className="mt-1 text-sm text-zinc-400">Add a track to the queue to start listening together.</p>
          )}
        </div>
      </div>

      {track ? (
        <div className="mt-2 flex items-center gap-2 text-xs tabular-nums text-zinc-400 sm:mt-4">
          <span>{formatMs(shownMs)}</span>
          {canControl ? (
            <input
              type="range"
              aria-label="Seek"
              min={0}
              max={duration}
              step={1000}
              value={Math.min(shownMs, duration)}
              onChange={(e) => setSeeking(Number(e.target.value))}
              onPointerUp={() => commitSeek()}
              onKeyUp={() => commitSeek()}
              onBlur={() => setSeeking(null)}
              className="min-w-0 flex-1 accent-violet-400"
            />
          ) : (
            <div className="h-1.5 min-w-0 flex-1 overflow-hidden rounded-full bg-zinc-800" role="progressbar" aria-label="Position" aria-valuemin={0} aria-valuemax={duration} aria-valuenow={Math.round(shownMs)}>
              <div className="h-full rounded-full bg-violet-400" style={{ width: `${duration ? Math.min(100, (shownMs / duration) * 100) : 0}%` }} />
            </div>
          )}
          <span>{formatMs(duration)}</span>
        </div>
      ) : null}

      <div className="mt-2 flex flex-wrap items-center gap-2 sm:mt-3">
        {canControl ? (
          <>
            {status === "playing" ? (
              <Button onClick={() => send({ type: "playback.pause" })}>
                <PauseIcon /> Pause
              </Button>
            ) : (
              <Button variant="primary" onClick={() => send({ type: "playback.play" })}>
                <PlayIcon /> Play
              </Button>
            )}
            <Button onClick={() => send({ type: "playback.skip", version: state?.version })} disabled={!track}>
              <SkipIcon /> Skip
            </Button>
          </>
        ) : null}
        {audioUrl ? (
          // Phones have their own volume buttons; the row stays one line there.
          <label className="ml-auto flex items-center gap-2 text-xs text-zinc-400 max-sm:hidden">
            Volume
            <input type="range" min={0} max={1} step={0.05} value={volume} onChange={(e) => setVolume(Number(e.target.value))} className="w-20 accent-violet-400 sm:w-24" />
          </label>
        ) : null}
      </div>

      {blocked && audioUrl && status === "playing" ? (
        <div className="mt-4 flex flex-wrap items-center gap-3 rounded-xl bg-violet-500/10 p-3 ring-1 ring-violet-500/40">
          <p className="text-sm text-violet-100">Your browser paused the sound until you interact with the page.</p>
          <Button variant="primary" onClick={tapToListen}>
            <SpeakerIcon /> Tap to listen
          </Button>
        </div>
      ) : null}
      {audioUrl && !clockReady && status === "playing" ? <p className="mt-3 text-xs text-zinc-400">Syncing with the room…</p> : null}
      {track && !audioUrl ? (
        <p className="mt-3 text-xs text-zinc-400 max-sm:hidden">
          This track only plays through Spotify. Playing Spotify tracks in the browser (Spotify Web Playback SDK) is not part
          of TuneWave yet; the room's position is shown above.
        </p>
      ) : null}

      {src ? (
        <audio ref={audioRef} src={src} preload="auto" onLoadedMetadata={onLoadedMetadata} onEnded={onEnded} data-testid="room-audio" />
      ) : null}
    </section>
  );

  function commitSeek() {
    if (seeking === null) return;
    send({ type: "playback.seek", position_ms: seeking });
    setSeeking(null);
  }
}
