import { useMutation, useQuery } from "@tanstack/react-query";
import { Link, useNavigate } from "react-router";

import { useApi, useAuth } from "../../app/context";
import { Avatar, Button, displayName, ErrorNote, TEXT_LINK, TrackArt } from "../../components/ui";
import { friendsListeningNow } from "../search/searchApi";
import type { FriendListening } from "../search/types";

export const listeningNowKey = ["friends", "listening-now"] as const;

/**
 * "Friends listening now" (GET /friendships/listening-now): friends online in a room you may
 * see, with the room, the track and a one-click Join (POST /rooms/{id}/join, then the room).
 * Shows nothing when no friend is listening (or when signed out).
 */
export function FriendsListeningNow() {
  const api = useApi();
  const { tokens } = useAuth();
  const navigate = useNavigate();
  const listening = useQuery({
    queryKey: listeningNowKey,
    queryFn: () => friendsListeningNow(api),
    enabled: Boolean(tokens),
    refetchInterval: 60_000,
    refetchIntervalInBackground: false,
  });
  const join = useMutation({
    mutationFn: (roomId: string) => api.joinRoom(roomId),
    onSuccess: (_room, roomId) => navigate(`/rooms/${roomId}`),
  });

  const entries = listening.data ?? [];
  if (!tokens || entries.length === 0) return null;
  return (
    <section aria-labelledby="friends-listening-heading" className="mb-6">
      <h2 id="friends-listening-heading" className="mb-3 text-lg font-semibold text-white">
        Friends listening now
      </h2>
      <ErrorNote error={join.error} />
      <ul aria-label="Friends listening now" className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3">
        {entries.map((entry) => (
          <FriendEntry
            key={`${entry.user.id}-${entry.room.id}`}
            entry={entry}
            joining={join.isPending && join.variables === entry.room.id}
            onJoin={() => join.mutate(entry.room.id)}
            disabled={join.isPending}
          />
        ))}
      </ul>
    </section>
  );
}

function FriendEntry({ entry, joining, onJoin, disabled }: { entry: FriendListening; joining: boolean; onJoin: () => void; disabled: boolean }) {
  const { user, room, track } = entry;
  const name = displayName(user);
  return (
    <li className="flex min-w-0 items-center gap-3 rounded-2xl bg-zinc-900/70 p-3 ring-1 ring-zinc-800">
      <span className="relative shrink-0">
        <TrackArt track={track ? { name: track.name, image_url: track.image_url || room.image_url || null } : { name: room.name, image_url: room.image_url ?? null }} size="md" />
        <span className="absolute -bottom-1 -right-1 rounded-full ring-2 ring-zinc-900">
          <Avatar user={user} size={6} />
        </span>
      </span>
      <div className="min-w-0 flex-1 text-sm">
        <p className="truncate">
          <Link to={`/users/${user.id}`} className={TEXT_LINK}>
            {name}
          </Link>
          <span className="text-zinc-400"> in </span>
          <Link to={`/rooms/${room.id}`} className={TEXT_LINK}>
            {room.name}
          </Link>
        </p>
        <p className="truncate text-xs text-zinc-400">{track ? `${track.name} — ${track.artists.join(", ")}` : "Nothing playing"}</p>
      </div>
      <Button size="sm" variant="primary" className="shrink-0" onClick={onJoin} disabled={disabled} aria-label={`Join ${room.name} with ${name}`}>
        {joining ? "Joining…" : "Join"}
      </Button>
    </li>
  );
}
