import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

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
    <button
      type="button"
      onClick={() => toggle.mutate()}
      disabled={toggle.isPending || favorites.isPending}
      aria-pressed={isFavorite}
      title={toggle.error ? String((toggle.error as Error).message) : undefined}
      className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 transition ${
        isFavorite ? "bg-rose-500/20 text-rose-200 ring-rose-500/50" : "text-zinc-300 ring-zinc-700 hover:bg-zinc-800"
      }`}
    >
      {isFavorite ? "♥ Favorite" : "♡ Add to favorites"}
    </button>
  );
}
