import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";

import type { Track } from "../../api/types";
import { errorMessage } from "../../api/client";
import { useApi } from "../../app/context";
import { Button, ErrorNote, TEXT_LINK } from "../../components/ui";
import { listUploads, uploadsKey } from "../uploads/uploadsApi";
import { Combobox } from "./Combobox";
import { TrackSummary, trackTitle } from "./TrackSummary";
import { MIN_QUERY, useSearch } from "./useSearch";
import type { SearchType } from "./types";

const TYPES: SearchType[] = ["track"];
export const PICKER_LIMIT = 8;
export const CANT_PLAY_HERE = "can't play here";
/** How many of one's latest uploads "Add from my uploads" lists. */
export const PICKER_UPLOADS = 10;

/**
 * Add to a room's queue by typing: a combobox "Add a track". Type part of a track's name, an
 * artist or an album; the first result is highlighted, ArrowUp/ArrowDown choose, Enter queues
 * (POST /rooms/{id}/queue with its spotify_id), Escape closes the list and then clears the
 * box. Results show artwork, artists, duration, and "can't play here" for Spotify-only tracks.
 * What went wrong (a full queue, a rate limit, no permission) is said in words under the box.
 * One's own uploads come up in the search too; "Add from my uploads" lists the latest ones to
 * add directly, and "Upload a file" leads to the uploads page.
 */
export function TrackPicker({ roomId, onQueued }: { roomId: string; onQueued?: () => void }) {
  const api = useApi();
  const [text, setText] = useState("");
  const [added, setAdded] = useState<string | null>(null);
  const [showUploads, setShowUploads] = useState(false);
  const uploads = useQuery({
    queryKey: [...uploadsKey, "picker", PICKER_UPLOADS],
    queryFn: () => listUploads(api, { limit: PICKER_UPLOADS }),
    enabled: showUploads,
  });
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
  const uploadsId = `track-picker-${roomId}-uploads`;

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
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <button
          type="button"
          className="inline-flex min-h-9 items-center rounded-lg px-3 text-sm text-violet-300 underline underline-offset-2 ring-1 ring-inset ring-zinc-700 hover:bg-zinc-800 focus-visible:outline-2 focus-visible:outline-violet-400"
          onClick={() => setShowUploads((now) => !now)}
          aria-expanded={showUploads}
          aria-controls={showUploads ? uploadsId : undefined}
        >
          {showUploads ? "Hide my uploads" : "Add from my uploads"}
        </button>
        <Link to="/uploads" className={`inline-flex min-h-9 items-center text-sm ${TEXT_LINK}`}>
          Upload a file
        </Link>
      </div>
      {showUploads ? (
        <div id={uploadsId}>
          {uploads.isPending ? <p className="text-xs text-zinc-400">Loading your uploads…</p> : null}
          <ErrorNote error={uploads.error} />
          {uploads.data?.results.length === 0 ? (
            <p className="text-xs text-zinc-400">
              No uploads yet.{" "}
              <Link to="/uploads" className={TEXT_LINK}>
                Upload an audio file
              </Link>{" "}
              to play it here.
            </p>
          ) : null}
          {uploads.data && uploads.data.results.length > 0 ? (
            <ul className="max-h-56 space-y-1 overflow-y-auto" aria-label="My uploads">
              {uploads.data.results.map((upload) => (
                <li key={upload.id} className="flex min-w-0 items-center gap-2 text-sm">
                  <span className="min-w-0 flex-1 truncate text-zinc-300">
                    {upload.track.name}
                    {upload.track.artists.length > 0 ? <span className="text-zinc-400"> — {upload.track.artists.join(", ")}</span> : null}
                  </span>
                  <Button
                    size="sm"
                    aria-label={`Queue ${upload.track.name}`}
                    onClick={() => {
                      if (!queue.isPending) queue.mutate(upload.track);
                    }}
                    disabled={queue.isPending}
                  >
                    + Queue
                  </Button>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
