/**
 * The room's player: what plays, where it is, the controls (play/pause/skip/seek for those
 * who may), the listener's vote to skip and like, and the volume.
 *
 * The sound itself is elsewhere: the ListeningProvider (features/player) keeps one player
 * (an <audio> element, or Spotify's Web Playback SDK) for the whole app so the music goes on
 * between pages; the room page shows it with {@link PlayerView}. {@link Player} is the same
 * view with its own player (useSyncedPlayer).
 *
 * Where the track can play from (its `sources`), how many listeners online can hear it
 * (`room.audience`), and — for a listener who cannot — why and what would fix it.
 */
import { useState, type ReactNode } from "react";

import type { ClockSync } from "../../lib/clock";
import type { ClientFrame, PlaybackState } from "../../realtime/events";
import { HeadphonesIcon, HeartIcon, MutedIcon, PauseIcon, PlayIcon, SkipIcon, SpeakerIcon, SpotifyIcon, VoteIcon } from "../../components/icons";
import { Badge, Button, displayName, formatMs, TrackArt } from "../../components/ui";
import { trackSources, type EngineStatus, type EngineTrack } from "../player/engine";
import type { Audience, Tally } from "../player/session";
import { useSyncedPlayer, useVolume, type AudioStatus, type SpotifyAccess } from "../player/useSyncedPlayer";

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
  /** absent: Spotify tracks do not play here */
  spotify?: SpotifyAccess | null;
  audience?: Audience | null;
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

/** A player with its own engine. */
export function Player({ state, clock, now, canControl, send, tickMs = 1000, favoriteButton, spotify, audience }: PlayerProps) {
  const volume = useVolume();
  const audio = useSyncedPlayer({ state, clock, now, send, tickMs, volume: volume.volume, muted: volume.muted, spotify });
  return (
    <PlayerView state={state} audio={audio} canControl={canControl} send={send} favoriteButton={favoriteButton} volume={volume} audience={audience}>
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
  /** listeners online and how many can play Spotify (room.audience); absent: not shown */
  audience?: Audience | null;
  children?: ReactNode;
}

export function PlayerView({ state, audio, canControl, send, favoriteButton, volume: volumeControl, participation, audience, children }: PlayerViewProps) {
  const [seeking, setSeeking] = useState<number | null>(null);
  const { positionMs, blocked, clockReady, engine, tapToListen } = audio;
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
                <SourceBadges track={track} />
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
        {engine ? (
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

      {blocked && engine && status === "playing" ? (
        <div className="mt-4 flex flex-wrap items-center gap-3 rounded-xl bg-violet-500/10 p-3 ring-1 ring-violet-500/40">
          <p className="text-sm text-violet-100">Your browser paused the sound until you interact with the page.</p>
          <Button variant="primary" onClick={tapToListen}>
            <SpeakerIcon /> Tap to listen
          </Button>
        </div>
      ) : null}
      {engine && !clockReady && status === "playing" ? <p className="mt-3 text-xs text-zinc-400">Syncing with the room…</p> : null}
      {track && engine === "spotify" ? <SpotifyState status={audio.engineStatus} spotify={audio.spotify} /> : null}
      {track && !engine ? <WhyNotHeard track={track} spotify={audio.spotify} /> : null}
      {track && audience ? <Hearing track={track} audience={audience} /> : null}

      {children}
    </section>
  );

  function commitSeek() {
    if (seeking === null) return;
    send({ type: "playback.seek", position_ms: seeking });
    setSeeking(null);
  }
}

/** What a track's `sources` are called on screen. */
export function sourceLabels(track: EngineTrack): string[] {
  const labels: string[] = [];
  for (const source of trackSources(track)) {
    if (source === "audio") labels.push(track.origin === "upload" ? "Uploaded file" : track.origin === "demo" ? "Demo clip" : "Audio file");
    else labels.push("Spotify");
  }
  return labels;
}

/** Where the track plays from: its file, Spotify, or both. */
export function SourceBadges({ track }: { track: EngineTrack }) {
  const labels = sourceLabels(track);
  return (
    <span className="flex flex-wrap items-center gap-1" data-testid="track-sources">
      <span className="sr-only">Plays from: </span>
      {labels.length ? labels.map((label) => <Badge key={label} tone={label === "Spotify" ? "zinc" : "emerald"}>{label}</Badge>) : <Badge tone="amber">No playable source</Badge>}
    </span>
  );
}

/** How many of the listeners online can hear `track`: all when it has a file, those who can play Spotify when only Spotify has it. */
export function hearingCount(track: EngineTrack, audience: Audience): number {
  const sources = trackSources(track);
  const count = sources.includes("audio") ? audience.online : sources.includes("spotify") ? audience.spotify : 0;
  return Math.min(count, audience.online);
}

function Hearing({ track, audience }: { track: EngineTrack; audience: Audience }) {
  const count = hearingCount(track, audience);
  const all = audience.online;
  return (
    <p className="mt-2 text-xs text-zinc-400" data-testid="hearing">
      <HeadphonesIcon className="mr-1 inline h-3.5 w-3.5 align-[-2px]" />
      {count} of {all} listener{all === 1 ? "" : "s"} can hear this
    </p>
  );
}

/** The Spotify player's state, for a track playing through it. */
export function spotifyStateText(status: EngineStatus | null): string {
  // An error is said whatever the phase: one while connecting (Spotify unreachable) too.
  const error = status?.error ?? null;
  if (!status || (!error && (status.phase === "idle" || status.phase === "connecting"))) return "Connecting to Spotify…";
  if (!error) return status.playing ? "Playing on Spotify" : "Spotify is ready";
  switch (error.code) {
    case "device_lost":
      return "Spotify device lost — reconnecting…";
    case "account_error":
      if (error.reason === "premium") return "Spotify account error: Spotify plays full tracks only for Premium accounts.";
      if (error.reason === "reconnect") return "Spotify account error: connect your Spotify account again to listen.";
      if (error.reason === "not_linked") return "Spotify account error: no Spotify account is linked.";
      return `Spotify account error: ${error.message}`;
    case "playback_error":
      return `Spotify could not play this track: ${error.message}`;
    case "initialization_error":
      return `The Spotify player cannot start in this browser: ${error.message}`;
  }
}

function SpotifyState({ status, spotify }: { status: EngineStatus | null; spotify: SpotifyAccess | null }) {
  const error = status?.error ?? null;
  const relink = error?.code === "account_error" && (error.reason === "reconnect" || error.reason === "not_linked");
  return (
    <div className="mt-3 flex flex-wrap items-center gap-2">
      <p role="status" data-testid="spotify-state" className={`text-xs ${error ? "text-amber-200" : "text-zinc-400"}`}>
        <SpotifyIcon className="mr-1 inline h-3.5 w-3.5 align-[-2px]" />
        {spotifyStateText(status)}
      </p>
      {relink && spotify ? <ConnectSpotify spotify={spotify} label={error.reason === "reconnect" ? "Reconnect Spotify" : "Connect Spotify"} /> : null}
    </div>
  );
}

/** A listener who cannot hear the track: why, and what would fix it. */
function WhyNotHeard({ track, spotify }: { track: EngineTrack; spotify: SpotifyAccess | null }) {
  const sources = trackSources(track);
  let text: string;
  let action: ReactNode = null;
  if (!sources.includes("spotify")) {
    text = "This track has no audio to play.";
  } else if (!spotify || !spotify.known) {
    text = "This track plays through Spotify.";
  } else if (spotify.status === "not_linked") {
    text = "This track plays through Spotify. Connect a Spotify Premium account to hear it here.";
    action = <ConnectSpotify spotify={spotify} label="Connect Spotify" />;
  } else if (spotify.status === "needs_premium") {
    text = "Spotify plays full tracks only for Premium accounts. With Spotify Premium you would hear this track here; tracks with an audio file play for everyone.";
  } else if (spotify.status === "needs_reconnect") {
    text = "This track plays through Spotify, and your Spotify connection needs renewing (TuneWave must be allowed to play in the browser).";
    action = <ConnectSpotify spotify={spotify} label="Reconnect Spotify" />;
  } else if (spotify.status === "ready" && !spotify.player) {
    text = "This track plays through Spotify, which this TuneWave server is not set up to play.";
  } else {
    text = "This track plays through Spotify.";
  }
  return (
    <div className="mt-3 flex flex-wrap items-center gap-3 rounded-xl bg-zinc-800/60 p-3 ring-1 ring-zinc-700" data-testid="cannot-hear">
      <p className="min-w-0 flex-1 basis-56 text-sm text-zinc-200">{text}</p>
      {action}
    </div>
  );
}

/** Starts the `?link=` flow: the browser goes to Spotify and comes back to this room. */
function ConnectSpotify({ spotify, label }: { spotify: SpotifyAccess; label: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <span className="flex flex-col items-start gap-1">
      <Button
        size="sm"
        variant="primary"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          setError(null);
          spotify.connect().catch((err: unknown) => {
            setBusy(false);
            setError(err instanceof Error ? err.message : "Could not start linking Spotify.");
          });
        }}
      >
        <SpotifyIcon /> {label}
      </Button>
      {error ? (
        <span role="alert" className="text-xs text-red-300">
          {error}
        </span>
      ) : null}
    </span>
  );
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
