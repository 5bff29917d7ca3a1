import { useQuery } from "@tanstack/react-query";

import { isApiError } from "../../api/client";
import { useApi } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Badge, Card, EmptyState, ErrorNote, formatMs, PageTitle, Spinner, TrackArt } from "../../components/ui";
import { FavoriteButton } from "../profile/FavoriteButton";
import { RoomCard } from "../rooms/RoomCard";

/** A 404 means the recommendation endpoints are not deployed (yet): an empty list, no error. */
function emptyOn404<T>(load: () => Promise<T[]>): () => Promise<T[]> {
  return async () => {
    try {
      return await load();
    } catch (error) {
      if (isApiError(error, 404)) return [];
      throw error;
    }
  };
}

export function DiscoverPage() {
  const api = useApi();
  const rooms = useQuery({ queryKey: keys.recommendedRooms, queryFn: emptyOn404(() => api.recommendedRooms()), staleTime: 5 * 60_000 });
  const tracks = useQuery({ queryKey: keys.recommendedTracks, queryFn: emptyOn404(() => api.recommendedTracks()), staleTime: 5 * 60_000 });

  return (
    <div className="space-y-8">
      <PageTitle>Discover</PageTitle>
      <section aria-labelledby="rec-rooms">
        <h2 id="rec-rooms" className="mb-3 text-lg font-semibold text-white">
          Rooms for you
        </h2>
        {rooms.isPending ? <Spinner /> : null}
        <ErrorNote error={rooms.error} />
        {rooms.data && rooms.data.length === 0 ? (
          <EmptyState title="No room recommendations yet.">Listen in a few rooms and add favorites — suggestions follow your taste.</EmptyState>
        ) : null}
        <ul className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {rooms.data?.map((rec) => (
            <RoomCard key={rec.room.id} room={rec.room} extra={<Reasons reasons={rec.reasons} />} />
          ))}
        </ul>
      </section>
      <section aria-labelledby="rec-tracks">
        <h2 id="rec-tracks" className="mb-3 text-lg font-semibold text-white">
          Tracks you might like
        </h2>
        {tracks.isPending ? <Spinner /> : null}
        <ErrorNote error={tracks.error} />
        {tracks.data && tracks.data.length === 0 ? <EmptyState title="No track recommendations yet." /> : null}
        <ul className="grid grid-cols-1 gap-3 sm:grid-cols-2">
          {tracks.data?.map((rec) => (
            <li key={rec.track.spotify_id} className="min-w-0">
              <Card className="flex flex-wrap items-start gap-3">
                <TrackArt track={rec.track} />
                <div className="min-w-0 flex-1">
                  <p className="truncate text-sm font-medium text-zinc-100">{rec.track.name}</p>
                  <p className="truncate text-xs text-zinc-400">
                    {rec.track.artists.join(", ")} · {formatMs(rec.track.duration_ms)}
                  </p>
                  <Reasons reasons={rec.reasons} />
                </div>
                <div className="ml-auto shrink-0">
                  <FavoriteButton spotifyId={rec.track.spotify_id} />
                </div>
              </Card>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

function Reasons({ reasons }: { reasons: string[] }) {
  if (!reasons?.length) return null;
  return (
    <div className="mt-1.5 flex flex-wrap gap-1">
      {reasons.slice(0, 3).map((reason) => (
        <Badge key={reason}>{reason}</Badge>
      ))}
    </div>
  );
}
