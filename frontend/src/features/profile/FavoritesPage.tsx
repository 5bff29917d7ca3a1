import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";

import { useApi } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Button, Card, EmptyState, ErrorNote, formatMs, Input, PageTitle, Spinner, TrackArt } from "../../components/ui";
import { extractSpotifyId } from "../room/Queue";

export function FavoritesPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const favorites = useQuery({ queryKey: keys.favorites, queryFn: () => api.favorites({ limit: 100 }) });
  const [spotifyId, setSpotifyId] = useState("");
  const refresh = () => queryClient.invalidateQueries({ queryKey: keys.favorites, exact: true });
  const add = useMutation({
    mutationFn: (id: string) => api.addFavorite(id),
    onSuccess: () => {
      setSpotifyId("");
      void refresh();
    },
  });
  const remove = useMutation({ mutationFn: (id: string) => api.removeFavorite(id), onSuccess: () => void refresh() });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const id = extractSpotifyId(spotifyId);
    if (id) add.mutate(id);
  };

  return (
    <div className="space-y-5">
      <PageTitle>Favorite tracks</PageTitle>
      <Card>
        <form onSubmit={submit} className="flex flex-wrap gap-2">
          <label htmlFor="fav-add" className="sr-only">
            Spotify track id or link
          </label>
          <Input id="fav-add" className="min-w-0 flex-1" placeholder="Spotify track id or link" value={spotifyId} onChange={(e) => setSpotifyId(e.target.value)} />
          <Button type="submit" variant="primary" disabled={add.isPending || !spotifyId.trim()}>
            Add favorite
          </Button>
        </form>
        <div className="mt-2">
          <ErrorNote error={add.error ?? remove.error} />
        </div>
      </Card>
      {favorites.isPending ? <Spinner /> : null}
      <ErrorNote error={favorites.error} />
      {favorites.data && favorites.data.length === 0 ? (
        <EmptyState title="No favorites yet.">Tap ♡ on a playing track, or add one by its Spotify id.</EmptyState>
      ) : null}
      <ul className="grid gap-3 sm:grid-cols-2">
        {favorites.data?.map((fav) => (
          <li key={fav.track.spotify_id} className="flex items-center gap-3 rounded-xl bg-zinc-900/70 p-3 ring-1 ring-zinc-800">
            <TrackArt track={fav.track} />
            <div className="min-w-0 flex-1">
              <p className="truncate text-sm font-medium text-zinc-100">{fav.track.name}</p>
              <p className="truncate text-xs text-zinc-400">
                {fav.track.artists.join(", ")} · {formatMs(fav.track.duration_ms)}
              </p>
              <p className="truncate text-xs text-zinc-500">{fav.track.genres.join(", ")}</p>
            </div>
            <Button size="sm" variant="ghost" onClick={() => remove.mutate(fav.track.spotify_id)} aria-label={`Remove ${fav.track.name} from favorites`}>
              Remove
            </Button>
          </li>
        ))}
      </ul>
    </div>
  );
}
