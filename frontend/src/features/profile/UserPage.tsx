import { useQuery } from "@tanstack/react-query";
import { Link, Navigate, useParams } from "react-router";

import { isApiError } from "../../api/client";
import { useApi, useAuth } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Avatar, Badge, Card, EmptyState, ErrorNote, Spinner, TEXT_LINK, TrackArt } from "../../components/ui";
import { AddFriendButton } from "../friends/AddFriendButton";
import type { ListeningNow } from "../search/types";
import { HISTORY_PAGE, HistoryList } from "./HistoryList";

/** Someone else's public profile: bio, genres, favorites, history (if public). */
export function UserPage() {
  const { userId = "" } = useParams();
  const api = useApi();
  const { userId: me } = useAuth();
  const user = useQuery({ queryKey: keys.user(userId), queryFn: () => api.user(userId), enabled: userId !== me });
  const favorites = useQuery({ queryKey: keys.userFavorites(userId), queryFn: () => api.userFavorites(userId), enabled: userId !== me });

  if (userId === me) return <Navigate to="/profile" replace />;
  if (user.isPending) return <Spinner />;
  if (user.isError) return isApiError(user.error, 404) ? <EmptyState title="No such user." /> : <ErrorNote error={user.error} />;
  const u = user.data;
  const genres = Array.isArray(u.favorite_genres) ? (u.favorite_genres as string[]) : [];
  return (
    <div className="space-y-5">
      <Card>
        <div className="flex flex-wrap items-center gap-4">
          <Avatar user={u} size={16} />
          <div className="min-w-0 flex-1">
            <h1 className="truncate text-2xl font-semibold text-white">{u.display_name || u.username}</h1>
            <p className="truncate text-sm text-zinc-400">@{u.username}</p>
          </div>
          <AddFriendButton userId={u.id} />
        </div>
        <ListeningNowLine now={u.listening_now ?? null} />
        {u.bio ? <p className="mt-3 whitespace-pre-wrap text-sm text-zinc-300 [overflow-wrap:anywhere]">{u.bio}</p> : null}
        {genres.length ? (
          <div className="mt-3 flex flex-wrap gap-1.5">
            {genres.map((genre) => (
              <Badge key={genre} tone="violet">
                {genre}
              </Badge>
            ))}
          </div>
        ) : null}
      </Card>
      <div className="grid grid-cols-1 gap-5 lg:grid-cols-2">
        <Card>
          <h2 className="mb-3 text-lg font-semibold text-white">Favorites</h2>
          {favorites.isError ? <ErrorNote error={favorites.error} /> : null}
          {favorites.data?.length === 0 ? <p className="text-sm text-zinc-400">No favorites yet.</p> : null}
          <ul className="space-y-2">
            {favorites.data?.map((fav) => (
              <li key={fav.track.spotify_id} className="flex items-center gap-3 text-sm">
                <TrackArt track={fav.track} size="sm" />
                <span className="min-w-0 flex-1 truncate text-zinc-200">
                  {fav.track.name} <span className="text-zinc-400">— {fav.track.artists.join(", ")}</span>
                </span>
              </li>
            ))}
          </ul>
        </Card>
        <Card>
          <h2 className="mb-3 text-lg font-semibold text-white">Listening history</h2>
          <HistoryList queryKey={keys.history(userId)} load={(before) => api.userHistory(userId, { limit: HISTORY_PAGE, before_timestamp: before })} />
        </Card>
      </div>
    </div>
  );
}

/** "Listening now: <track> in <room>" (present when the person allows their history to be seen). */
function ListeningNowLine({ now }: { now: ListeningNow | null }) {
  if (!now) return null;
  return (
    <div className="mt-3 flex min-w-0 items-center gap-3 rounded-xl bg-zinc-800/50 p-2 ring-1 ring-zinc-700/60">
      <TrackArt track={now.track ? { name: now.track.name, image_url: now.track.image_url || now.room.image_url || null } : { name: now.room.name, image_url: now.room.image_url ?? null }} size="sm" />
      <p className="min-w-0 flex-1 text-sm text-zinc-200 [overflow-wrap:anywhere]">
        <span className="font-medium text-emerald-300">Listening now:</span>{" "}
        {now.track ? (
          <>
            {now.track.name} <span className="text-zinc-400">— {now.track.artists.join(", ")}</span> in{" "}
          </>
        ) : (
          "in "
        )}
        <Link to={`/rooms/${now.room.id}`} className={TEXT_LINK}>
          {now.room.name}
        </Link>
      </p>
    </div>
  );
}
