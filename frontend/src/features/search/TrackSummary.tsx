import type { Track } from "../../api/types";
import { Badge, formatMs, TrackArt } from "../../components/ui";
import { UploadBadge } from "../uploads/UploadBadge";
import { isSpotifyOnly } from "./types";

/**
 * A track as search shows it: artwork, name, artists and duration, "Upload" for an uploaded
 * file, and whether it can play here (a track without audio_url is Spotify only).
 * `onlyLabel` words that badge.
 */
export function TrackSummary({ track, onlyLabel = "Spotify only", size = "sm" }: { track: Track; onlyLabel?: string; size?: "sm" | "md" }) {
  return (
    <>
      <TrackArt track={track} size={size} />
      <span className="min-w-0 flex-1">
        <span className="block truncate text-zinc-100">{track.name}</span>
        <span className="block truncate text-xs text-zinc-400">
          {track.artists.join(", ")}
          {track.duration_ms ? ` · ${formatMs(track.duration_ms)}` : ""}
        </span>
      </span>
      <UploadBadge track={track} />
      {isSpotifyOnly(track) ? (
        <span className="shrink-0" title="This track has no audio TuneWave can play; it is on Spotify.">
          <Badge tone="amber">{onlyLabel}</Badge>
        </span>
      ) : null}
    </>
  );
}

/** "Blue in Green by Miles Davis" */
export function trackTitle(track: Pick<Track, "name" | "artists">): string {
  return track.artists.length ? `${track.name} by ${track.artists.join(", ")}` : track.name;
}
