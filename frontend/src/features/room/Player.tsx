/**
 * The room's player: what plays, where it is, the controls (play/pause/skip/seek for those
 * who may), the listener's vote to skip and like, and the volume.
 *
 * The audio itself is elsewhere: the ListeningProvider (features/player) keeps one <audio>
 * element for the whole app so the music goes on between pages; the room page shows it with
 * {@link PlayerView}. {@link Player} is the same view with its own element (useSyncedAudio).
 */
import { useState, type ReactNode } from "react";

import type { ClockSync } from "../../lib/clock";
import type { ClientFrame, PlaybackState } from "../../realtime/events";
import { HeartIcon, MutedIcon, PauseIcon, PlayIcon, SkipIcon, SpeakerIcon, VoteIcon } from "../../components/icons";
import { Badge, Button, displayName, formatMs, TrackArt } from "../../components/ui";
import type { Tally } from "../player/session";
import { useSyncedAudio, useVolume, type AudioStatus } from "../player/useSyncedAudio";

export interface PlayerProps {
  state: PlaybackState | null;
  clock: ClockSync;
  now: () => number;
  canControl: boolean;
  /** send a frame on the room socket; false when disconnected */
  send: (frame: ClientFrame) => boolean;
  /** how often to re-check drift (ms) */
  tickMs?: number;
  favoriteButton?: ReactNode;
}

/** The listener's part in the current play: skip votes and likes. */
export interface Participation {
  votes: Tally | null;
  likes: number | null;
  voted: boolean;
  liked: boolean;
  voteSkip: () => void;
  like: () => void;
}

export interface VolumeControl {
  volume: number;
  setVolume: (volume: number) => void;
  muted: boolean;
  setMuted: (muted: boolean) => void;
}

/** A player with its own audio element. */
export function Player({ state, clock, now, canControl, send, tickMs = 1000, favoriteButton }: PlayerProps) {
  const volume = useVolume();
  const audio = useSyncedAudio({ state, clock, now, send, tickMs, volume: volume.volume, muted: volume.muted });
  return (
    <PlayerView state={state} audio={audio} canControl={canControl} send={send} favoriteButton={favoriteButton} volume={volume}>
      {audio.element}
    </PlayerView>
  );
}

export interface PlayerViewProps {
  state: PlaybackState | null;
  audio: AudioStatus;
  canControl: boolean;
  send: (frame: ClientFrame) => boolean;
  favoriteButton?: ReactNode;
  volume: VolumeControl;
  /** absent: no vote or like buttons */
  participation?: Participation;
  children?: ReactNode;
}

export function PlayerView({ state, audio, canControl, send, favoriteButton, volume: volumeControl, participation, children }: PlayerViewProps) {
  const [seeking, setSeeking] = useState<number | null>(null);
  const { positionMs, blocked, clockReady, audioUrl, tapToListen } = audio;
  const { volume, setVolume, muted, setMuted } = volumeControl;
  const track = state?.track ?? null;
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
              <PickedBy state={state} />
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
              <Button className="relative" onClick={() => send({ type: "playback.pause" })}>
                <PauseIcon /> <span className="max-sm:sr-only">Pause</span>
              </Button>
            ) : (
              <Button className="relative" variant="primary" onClick={() => send({ type: "playback.play" })}>
                <PlayIcon /> <span className="max-sm:sr-only">Play</span>
              </Button>
            )}
            <Button className="relative" onClick={() => send({ type: "playback.skip", version: state?.version })} disabled={!track}>
              <SkipIcon /> <span className="max-sm:sr-only">Skip</span>
            </Button>
          </>
        ) : null}
        {participation && track ? <Participate participation={participation} /> : null}
        {audioUrl ? (
          <span className="ml-auto flex items-center gap-1">
            <MuteButton muted={muted} setMuted={setMuted} />
            {/* Phones have their own volume buttons; the row stays one line there. */}
            <label className="flex items-center gap-2 text-xs text-zinc-400 max-sm:hidden">
              Volume
              <input type="range" min={0} max={1} step={0.05} value={volume} onChange={(e) => setVolume(Number(e.target.value))} className="w-20 accent-violet-400 sm:w-24" />
            </label>
          </span>
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

      {children}
    </section>
  );

  function commitSeek() {
    if (seeking === null) return;
    send({ type: "playback.seek", position_ms: seeking });
    setSeeking(null);
  }
}

/** "Picked by TuneWave: <reason>" for an autoplay pick; who queued it otherwise. */
export function PickedBy({ state, className = "" }: { state: Pick<PlaybackState, "via" | "reason" | "added_by"> | null; className?: string }) {
  if (!state) return null;
  if (state.via === "autoplay") {
    return (
      <p className={`truncate text-xs text-violet-200 ${className}`} data-testid="picked-by">
        Picked by TuneWave{state.reason ? `: ${state.reason}` : ""}
      </p>
    );
  }
  if (state.added_by) {
    return (
      <p className={`truncate text-xs text-zinc-400 max-sm:hidden ${className}`} data-testid="picked-by">
        Added by {displayName(state.added_by)}
      </p>
    );
  }
  return null;
}

/** Vote to skip (once per play, with the live count) and Like (with the live count). */
function Participate({ participation }: { participation: Participation }) {
  const { votes, likes, voted, liked, voteSkip, like } = participation;
  const needed = votes?.needed;
  return (
    <>
      <Button size="sm" className="relative" onClick={voteSkip} disabled={voted} title={voted ? "You voted to skip this track" : undefined}>
        {/* Icons and counts on phones (the names stay for screen readers): the row stays one line. */}
        <VoteIcon /> <span className="max-sm:sr-only">{voted ? "Voted to skip" : "Vote to skip"}</span>
        {needed != null ? (
          <span className="tabular-nums text-zinc-300" data-testid="skip-votes">
            {votes?.votes ?? 0}/{needed}
          </span>
        ) : null}
      </Button>
      <Button size="sm" className="relative" onClick={like} disabled={liked} aria-pressed={liked}>
        <HeartIcon filled={liked} /> <span className="max-sm:sr-only">Like</span>
        <span className="tabular-nums text-zinc-300" data-testid="like-count">
          {likes ?? 0}
        </span>
      </Button>
    </>
  );
}

export function MuteButton({ muted, setMuted }: { muted: boolean; setMuted: (muted: boolean) => void }) {
  return (
    <Button size="sm" variant="ghost" aria-pressed={muted} aria-label="Mute" title={muted ? "Unmute" : "Mute"} onClick={() => setMuted(!muted)}>
      {muted ? <MutedIcon /> : <SpeakerIcon />}
    </Button>
  );
}
