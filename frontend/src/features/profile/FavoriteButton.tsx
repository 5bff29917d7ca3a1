import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { errorMessage } from "../../api/client";
import { useApi } from "../../app/context";
import { keys } from "../../app/queryKeys";

/** ♥ toggle for a track, from the cached favorites list. */
export function FavoriteButton({ spotifyId }: { spotifyId: string }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const favorites = useQuery({ queryKey: keys.favorites, queryFn: () => api.favorites({ limit: 100 }) });
  const isFavorite = favorites.data?.some((f) => f.track.spotify_id === spotifyId) ?? false;
  const toggle = useMutation({
    mutationFn: () => (isFavorite ? api.removeFavorite(spotifyId) : api.addFavorite(spotifyId).then(() => undefined)),
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.favorites, exact: true }),
  });
  return (
    <span className="inline-flex max-w-full flex-wrap items-center gap-1">
      <button
        type="button"
        onClick={() => toggle.mutate()}
        disabled={toggle.isPending || favorites.isPending}
        aria-pressed={isFavorite}
        className={`inline-flex min-h-8 items-center rounded-full px-2.5 py-1 text-xs font-medium ring-1 transition focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-violet-400 ${
          isFavorite ? "bg-rose-500/20 text-rose-200 ring-rose-500/50" : "text-zinc-300 ring-zinc-700 hover:bg-zinc-800"
        }`}
      >
        {isFavorite ? "♥ Favorite" : "♡ Add to favorites"}
      </button>
      {toggle.error ? (
        <span role="alert" className="text-xs text-rose-300">
          {errorMessage(toggle.error)}
        </span>
      ) : null}
    </span>
  );
}
