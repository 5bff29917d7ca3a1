import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";

import { useApi } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { limits } from "../../api/limits";
import { Button, Card, EmptyState, ErrorNote, Field, formatMs, formErrors, Input, PageTitle, Spinner, TrackArt } from "../../components/ui";
import { focusFirstInvalid } from "../../components/validate";
import { UploadBadge } from "../uploads/UploadBadge";
import { extractSpotifyId } from "../room/Queue";

const ID_RULE = limits.FavoriteTrackAddRequest.spotify_id;
/** A track's id as the API takes it: Spotify's 22 letters and digits, or an import's or an upload's own id. */
const TRACK_ID = /^(?:[A-Za-z0-9]{22}|(?:local|upload):[0-9a-f]{32})$/;

export function FavoritesPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const favorites = useQuery({ queryKey: keys.favorites, queryFn: () => api.favorites({ limit: 100 }) });
  const [spotifyId, setSpotifyId] = useState("");
  const [idProblem, setIdProblem] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: keys.favorites, exact: true });
  const add = useMutation({
    mutationFn: (id: string) => api.addFavorite(id),
    onSuccess: () => {
      setSpotifyId("");
      void refresh();
    },
    onError: () => focusFirstInvalid(formRef.current),
  });
  const addErrors = formErrors(add.error, { spotify_id: "Spotify track" });
  const remove = useMutation({ mutationFn: (id: string) => api.removeFavorite(id), onSuccess: () => void refresh() });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const id = extractSpotifyId(spotifyId);
    if (!id || id.length > ID_RULE.maxLength || !TRACK_ID.test(id)) {
      setIdProblem(
        id
          ? "That isn't a Spotify track id or link. Paste a link like open.spotify.com/track/… or the 22-character id."
          : "Paste a Spotify track link or id.",
      );
      focusFirstInvalid(formRef.current);
      return;
    }
    setIdProblem(null);
    add.mutate(id);
  };

  return (
    <div className="space-y-5">
      <PageTitle>Favorite tracks</PageTitle>
      <Card>
        <form ref={formRef} onSubmit={submit} noValidate>
          <Field
            label="Spotify track id or link"
            error={idProblem ? [idProblem] : add.isPending ? undefined : (addErrors.fields.spotify_id ?? (addErrors.rest ? [addErrors.rest] : undefined))}
          >
            <div className="flex min-w-0 flex-wrap gap-2">
              <Input
                className="min-w-0 flex-1 basis-48"
                placeholder="https://open.spotify.com/track/…"
                autoComplete="off"
                spellCheck={false}
                value={spotifyId}
                onChange={(e) => {
                  setSpotifyId(e.target.value);
                  setIdProblem(null);
                }}
              />
              <Button type="submit" variant="primary" disabled={add.isPending}>
                Add favorite
              </Button>
            </div>
          </Field>
        </form>
        {remove.error ? (
          <div className="mt-2">
            <ErrorNote error={remove.error} />
          </div>
        ) : null}
      </Card>
      {favorites.isPending ? <Spinner /> : null}
      <ErrorNote error={favorites.error} />
      {favorites.data && favorites.data.length === 0 ? (
        <EmptyState title="No favorites yet.">Tap ♡ on a playing track, or add one by its Spotify id.</EmptyState>
      ) : null}
      <ul className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        {favorites.data?.map((fav) => (
          <li key={fav.track.spotify_id} className="flex min-w-0 items-center gap-3 rounded-xl bg-zinc-900/70 p-3 ring-1 ring-zinc-800">
            <TrackArt track={fav.track} />
            <div className="min-w-0 flex-1">
              <p className="truncate text-sm font-medium text-zinc-100">{fav.track.name}</p>
              <p className="truncate text-xs text-zinc-400">
                {fav.track.artists.join(", ")} · {formatMs(fav.track.duration_ms)}
              </p>
              <p className="truncate text-xs text-zinc-400">{fav.track.genres.join(", ")}</p>
            </div>
            <UploadBadge track={fav.track} />
            <Button size="sm" variant="ghost" onClick={() => remove.mutate(fav.track.spotify_id)} aria-label={`Remove ${fav.track.name} from favorites`}>
              Remove
            </Button>
          </li>
        ))}
      </ul>
    </div>
  );
}
