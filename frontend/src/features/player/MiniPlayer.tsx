/**
 * The mini-player: a bar at the bottom of every page while the listener is in a room's
 * session, except on that room's own page (which has the full player). Room, track, progress,
 * mute and volume (or, when the track is silent for this listener, why in a few words), and
 * "Back to room". Gone when the session ends (leave, sign-out, banned,
 * removed, room closed).
 */
import { Link, useLocation } from "react-router";

import { Button, formatMs, TrackArt } from "../../components/ui";
import { SpeakerIcon } from "../../components/icons";
import { MuteButton, PickedBy } from "../room/Player";
import { trackSources, type EngineTrack } from "./engine";
import { useAudioStatus, useListeningOptional } from "./ListeningProvider";
import type { SpotifyAccess } from "./useSyncedPlayer";

/** Why the track is silent here, in a few words (the room page says it in full). */
export function cannotHearShort(track: EngineTrack, spotify: SpotifyAccess | null): string {
  if (!trackSources(track).includes("spotify")) return "No audio";
  switch (spotify?.known ? spotify.status : null) {
    case "not_linked":
      return "Spotify only · connect Spotify in the room";
    case "needs_premium":
      return "Spotify only · Premium needed";
    case "needs_reconnect":
      return "Spotify only · reconnect Spotify in the room";
    default:
      return "Spotify only";
  }
}

export function MiniPlayer() {
  const listening = useListeningOptional();
  const audio = useAudioStatus();
  const location = useLocation();
  const session = listening?.session;
  if (!listening || !session || session.ended) return null;
  const roomPath = `/rooms/${session.roomId}`;
  if (location.pathname === roomPath || location.pathname === `${roomPath}/`) return null;

  const state = session.playback;
  const track = state?.track ?? null;
  const duration = track?.duration_ms ?? 0;
  const position = Math.min(audio.positionMs, duration || audio.positionMs);
  const status = state?.status ?? "idle";
  const percent = duration ? Math.min(100, (position / duration) * 100) : 0;

  return (
    <section
      aria-label="Now playing in your room"
      data-testid="mini-player"
      className="sticky bottom-0 z-30 border-t border-zinc-800 bg-zinc-950/95 backdrop-blur"
    >
      <div className="mx-auto flex min-w-0 max-w-7xl items-center gap-3 px-4 py-2">
        <TrackArt track={track ?? (session.room.image_url ? { name: session.room.name, image_url: session.room.image_url } : null)} size="sm" />
        <div className="min-w-0 flex-1">
          <p className="truncate text-xs text-zinc-400">
            <span className="sr-only">Room: </span>
            {session.room.name}
            {status === "paused" ? " · paused" : ""}
          </p>
          <p className="truncate text-sm text-zinc-100">
            {track ? (
              <>
                <span className="font-medium text-white">{track.name}</span>
                <span className="text-zinc-300"> — {track.artists.join(", ")}</span>
              </>
            ) : (
              <span className="text-zinc-400">Nothing playing</span>
            )}
          </p>
          <PickedBy state={state} className="max-sm:hidden" />
          {track ? (
            <div className="mt-1 flex items-center gap-2 text-[11px] tabular-nums text-zinc-400">
              <span className="max-sm:hidden">{formatMs(position)}</span>
              <div
                className="h-1 min-w-0 flex-1 overflow-hidden rounded-full bg-zinc-800"
                role="progressbar"
                aria-label="Position"
                aria-valuemin={0}
                aria-valuemax={duration}
                aria-valuenow={Math.round(position)}
                aria-valuetext={`${formatMs(position)} of ${formatMs(duration)}`}
              >
                <div className="h-full rounded-full bg-violet-400" style={{ width: `${percent}%` }} />
              </div>
              <span className="max-sm:hidden">{formatMs(duration)}</span>
            </div>
          ) : null}
        </div>
        {track && !audio.engine ? (
          <span className="shrink-0 text-xs text-amber-200 max-sm:hidden" data-testid="mini-cannot-hear">
            {cannotHearShort(track, audio.spotify)}
          </span>
        ) : null}
        {audio.blocked && audio.engine && status === "playing" ? (
          <Button size="sm" variant="primary" onClick={audio.tapToListen}>
            <SpeakerIcon /> Tap to listen
          </Button>
        ) : null}
        {audio.engine ? (
          <span className="flex shrink-0 items-center gap-1">
            <MuteButton muted={listening.muted} setMuted={listening.setMuted} />
            <label className="flex items-center gap-2 text-xs text-zinc-400 max-md:hidden">
              <span className="sr-only">Volume</span>
              <input
                type="range"
                min={0}
                max={1}
                step={0.05}
                value={listening.volume}
                onChange={(e) => listening.setVolume(Number(e.target.value))}
                className="w-20 accent-violet-400"
              />
            </label>
          </span>
        ) : null}
        <Link
          to={roomPath}
          className="inline-flex min-h-8 shrink-0 items-center rounded-lg bg-zinc-800 px-2.5 text-xs font-medium text-zinc-100 ring-1 ring-inset ring-zinc-700 hover:bg-zinc-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-violet-400"
        >
          Back to room
        </Link>
      </div>
    </section>
  );
}
