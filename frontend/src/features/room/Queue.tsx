import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";

import type { QueueItem } from "../../api/types";
import { useApi } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Button, displayName, ErrorNote, formatMs, Input, TrackArt } from "../../components/ui";
import { TrackPicker } from "../search/TrackPicker";
import type { QueueEntry } from "./participation";

/**
 * What plays next. Each item says who added it, or that TuneWave picked it (autoplay) and why.
 * Those who may add (`canEdit`) find tracks by typing (TrackPicker), by Spotify id or link, or
 * from their favorites. Moderators remove any item; members remove their own additions.
 */
export function Queue({
  roomId,
  items,
  canEdit,
  canModerate = false,
  meId = null,
}: {
  roomId: string;
  items: QueueItem[] | undefined;
  canEdit: boolean;
  /** may remove every item */
  canModerate?: boolean;
  /** the viewer: their own additions get a Remove button */
  meId?: string | null;
}) {
  const api = useApi();
  const [spotifyId, setSpotifyId] = useState("");
  const [showFavorites, setShowFavorites] = useState(false);
  // The socket's queue.updated replaces the list, so mutations need not touch the cache.
  const add = useMutation({
    mutationFn: (id: string) => api.queueAdd(roomId, id),
    onSuccess: () => setSpotifyId(""),
  });
  const remove = useMutation({ mutationFn: (associationId: string) => api.queueRemove(roomId, associationId) });
  const favorites = useQuery({ queryKey: keys.favorites, queryFn: () => api.favorites({ limit: 50 }), enabled: canEdit && showFavorites });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const id = extractSpotifyId(spotifyId);
    if (id) add.mutate(id);
  };

  return (
    <section aria-labelledby="queue-heading" className="space-y-3">
      <h2 id="queue-heading" className="text-sm font-semibold uppercase tracking-wider text-zinc-400">
        Up next {items ? <span className="text-zinc-400">({items.length})</span> : null}
      </h2>
      {items && items.length === 0 ? <p className="text-sm text-zinc-400">The queue is empty.</p> : null}
      <ol className="space-y-2">
        {(items as QueueEntry[] | undefined)?.map((item) => (
          <li key={item.id} className="flex min-w-0 items-center gap-3 rounded-xl bg-zinc-900/60 p-2 ring-1 ring-zinc-800">
            <TrackArt track={item.track} size="sm" />
            <div className="min-w-0 flex-1 text-sm">
              <p className="truncate text-zinc-100">{item.track.name}</p>
              <p className="truncate text-xs text-zinc-400">
                {item.track.artists.join(", ")} · {formatMs(item.track.duration_ms)}
                {!item.track.audio_url ? " · Spotify only" : ""}
              </p>
              {item.via === "autoplay" ? (
                <p className="truncate text-xs text-violet-200" title={item.reason || undefined}>
                  Picked by TuneWave{item.reason ? `: ${item.reason}` : ""}
                </p>
              ) : item.added_by ? (
                <p className="truncate text-xs text-zinc-400">added by {displayName(item.added_by)}</p>
              ) : null}
            </div>
            {canModerate || (canEdit && meId !== null && item.via !== "autoplay" && item.added_by?.id === meId) ? (
              <Button size="sm" variant="ghost" aria-label={`Remove ${item.track.name} from the queue`} onClick={() => remove.mutate(item.id)} disabled={remove.isPending}>
                Remove
              </Button>
            ) : null}
          </li>
        ))}
      </ol>
      <ErrorNote error={remove.error} />
      {canEdit ? (
        <div className="space-y-2">
          <TrackPicker roomId={roomId} />
          <form onSubmit={submit} className="flex min-w-0 gap-2">
            <label htmlFor="queue-add" className="sr-only">
              Spotify track id or link
            </label>
            <Input id="queue-add" className="min-w-0" placeholder="Spotify track id or link" value={spotifyId} onChange={(e) => setSpotifyId(e.target.value)} />
            <Button type="submit" variant="primary" disabled={add.isPending || !spotifyId.trim()}>
              Add
            </Button>
          </form>
          <ErrorNote error={add.error} />
          <button
            type="button"
            className="inline-flex min-h-9 items-center rounded-lg px-3 text-sm text-violet-300 underline underline-offset-2 ring-1 ring-inset ring-zinc-700 hover:bg-zinc-800 focus-visible:outline-2 focus-visible:outline-violet-400"
            onClick={() => setShowFavorites((v) => !v)}
            aria-expanded={showFavorites}
          >
            {showFavorites ? "Hide my favorites" : "Add from my favorites"}
          </button>
          {showFavorites ? (
            <ul className="max-h-56 space-y-1 overflow-y-auto">
              {favorites.data?.length === 0 ? <li className="text-xs text-zinc-400">No favorites yet.</li> : null}
              {favorites.data?.map((fav) => (
                <li key={fav.track.spotify_id} className="flex items-center gap-2 text-sm">
                  <span className="min-w-0 flex-1 truncate text-zinc-300">
                    {fav.track.name} <span className="text-zinc-400">— {fav.track.artists.join(", ")}</span>
                  </span>
                  <Button size="sm" onClick={() => add.mutate(fav.track.spotify_id)} disabled={add.isPending}>
                    + Queue
                  </Button>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : (
        <p className="text-xs text-zinc-400">You can't change this room's queue.</p>
      )}
    </section>
  );
}

/** Accepts a bare id, `spotify:track:<id>` or an open.spotify.com track link. */
export function extractSpotifyId(input: string): string {
  const text = input.trim();
  const uri = /^spotify:track:([A-Za-z0-9]+)$/.exec(text);
  if (uri?.[1]) return uri[1];
  const link = /open\.spotify\.com\/(?:intl-[a-z-]+\/)?track\/([A-Za-z0-9]+)/.exec(text);
  if (link?.[1]) return link[1];
  return text;
}
