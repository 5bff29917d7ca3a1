import { useInfiniteQuery } from "@tanstack/react-query";
import { Link } from "react-router";

import type { ListeningEvent } from "../../api/types";
import { isApiError } from "../../api/client";
import { Button, EmptyState, ErrorNote, formatWhen, Spinner, TrackArt } from "../../components/ui";
import { UploadBadge } from "../uploads/UploadBadge";

const PAGE = 20;

/** Listening history, newest first, paged with before_timestamp. */
export function HistoryList({ queryKey, load }: { queryKey: readonly unknown[]; load: (before?: string) => Promise<ListeningEvent[]> }) {
  const history = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => load(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => (last.length < PAGE ? undefined : last[last.length - 1]?.listened_at),
  });
  if (history.isPending) return <Spinner label="Loading history…" />;
  if (history.isError) {
    return isApiError(history.error, 403) || isApiError(history.error, 404) ? (
      <p className="text-sm text-zinc-400">This listening history is private.</p>
    ) : (
      <ErrorNote error={history.error} />
    );
  }
  const events = history.data.pages.flat();
  if (events.length === 0) return <EmptyState title="Nothing listened to yet.">Tracks you hear in rooms show up here.</EmptyState>;
  return (
    <div>
      <ol className="divide-y divide-zinc-800">
        {events.map((event, index) => (
          <li key={`${event.track.spotify_id}-${event.listened_at}-${index}`} className="flex min-w-0 items-center gap-3 py-2">
            <TrackArt track={event.track} size="sm" />
            <div className="min-w-0 flex-1 text-sm">
              <p className="truncate text-zinc-100">{event.track.name}</p>
              <p className="truncate text-xs text-zinc-400">{event.track.artists.join(", ")}</p>
            </div>
            <UploadBadge track={event.track} />
            {event.liked ? (
              <span className="shrink-0 text-xs text-rose-300" title="You liked it while it played">
                <span aria-hidden>♥</span> Liked
              </span>
            ) : null}
            <div className="shrink-0 text-right text-xs text-zinc-400">
              <time dateTime={event.listened_at}>{formatWhen(event.listened_at)}</time>
              {event.room_id ? (
                <Link
                  to={`/rooms/${event.room_id}`}
                  className="inline-flex min-h-6 items-center text-violet-300 underline underline-offset-2 hover:text-violet-200"
                  aria-label={`room: ${event.track.name}`}
                >
                  room
                </Link>
              ) : null}
            </div>
          </li>
        ))}
      </ol>
      {history.hasNextPage ? (
        <Button className="mt-3" onClick={() => void history.fetchNextPage()} disabled={history.isFetchingNextPage}>
          {history.isFetchingNextPage ? "Loading…" : "Show more"}
        </Button>
      ) : null}
    </div>
  );
}

export const HISTORY_PAGE = PAGE;
