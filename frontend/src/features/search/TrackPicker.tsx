import { useMutation } from "@tanstack/react-query";
import { useState } from "react";

import type { Track } from "../../api/types";
import { errorMessage } from "../../api/client";
import { useApi } from "../../app/context";
import { Combobox } from "./Combobox";
import { TrackSummary, trackTitle } from "./TrackSummary";
import { MIN_QUERY, useSearch } from "./useSearch";
import type { SearchType } from "./types";

const TYPES: SearchType[] = ["track"];
export const PICKER_LIMIT = 8;
export const CANT_PLAY_HERE = "can't play here";

/**
 * Add to a room's queue by typing: a combobox "Add a track". Type part of a track's name, an
 * artist or an album; the first result is highlighted, ArrowUp/ArrowDown choose, Enter queues
 * (POST /rooms/{id}/queue with its spotify_id), Escape closes the list and then clears the
 * box. Results show artwork, artists, duration, and "can't play here" for Spotify-only tracks.
 * What went wrong (a full queue, a rate limit, no permission) is said in words under the box.
 */
export function TrackPicker({ roomId, onQueued }: { roomId: string; onQueued?: () => void }) {
  const api = useApi();
  const [text, setText] = useState("");
  const [added, setAdded] = useState<string | null>(null);
  const { results, searching, settled, error, term } = useSearch(text, TYPES, PICKER_LIMIT);
  const tracks = results.tracks ?? [];
  const queue = useMutation({
    mutationFn: (track: Track) => api.queueAdd(roomId, track.spotify_id),
    onSuccess: (_data, track) => {
      setText("");
      setAdded(`Added ${trackTitle(track)} to the queue.`);
      onQueued?.();
    },
  });

  const status = error
    ? errorMessage(error)
    : searching && tracks.length === 0
      ? "Searching…"
      : settled && tracks.length === 0
        ? `No tracks match “${term}”.`
        : text.trim().length > 0 && text.trim().length < MIN_QUERY
          ? "Keep typing…"
          : results.spotify === "failed"
            ? "Spotify search is unavailable right now: TuneWave's catalog only."
            : null;
  const messageId = `track-picker-${roomId}-message`;

  return (
    <div className="min-w-0 space-y-1.5">
      <Combobox<Track>
        label="Add a track"
        hideLabel
        value={text}
        onChange={(value) => {
          setText(value);
          setAdded(null);
          queue.reset();
        }}
        groups={[{ label: "Tracks", options: tracks }]}
        optionKey={(track) => track.spotify_id}
        renderOption={(track) => <TrackSummary track={track} onlyLabel={CANT_PLAY_HERE} />}
        onPick={(track) => {
          if (!queue.isPending) queue.mutate(track);
        }}
        autoHighlight
        status={status}
        announce={settled ? (tracks.length > 0 ? `${tracks.length} ${tracks.length === 1 ? "track" : "tracks"}. Arrow keys choose, Enter adds.` : `No tracks match ${term}.`) : undefined}
        placeholder="Add a track: type a name, artist or album"
        describedBy={queue.error || added ? messageId : undefined}
      />
      <div id={messageId}>
        {queue.isPending ? <p className="text-sm text-zinc-400">Adding…</p> : null}
        {queue.error ? (
          <p role="alert" className="text-sm text-rose-300 [overflow-wrap:anywhere]">
            {errorMessage(queue.error)}
          </p>
        ) : null}
        <p role="status" className="text-sm text-emerald-300 [overflow-wrap:anywhere] empty:hidden">
          {added ?? ""}
        </p>
      </div>
    </div>
  );
}
