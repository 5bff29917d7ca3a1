import { Link } from "react-router";

import type { Room } from "../../api/types";
import { Badge, displayName, TrackArt } from "../../components/ui";

export function RoomCard({ room, extra }: { room: Room; extra?: React.ReactNode }) {
  return (
    <li className="group relative flex flex-col gap-3 rounded-2xl bg-zinc-900/70 p-4 ring-1 ring-zinc-800 transition hover:ring-violet-500/60">
      <div className="flex items-start justify-between gap-3">
        <div className="min-w-0">
          <h3 className="truncate text-base font-semibold text-white">
            <Link to={`/rooms/${room.id}`} className="after:absolute after:inset-0 focus:outline-none">
              {room.name}
            </Link>
          </h3>
          <p className="text-xs text-zinc-400">by {displayName(room.owner)}</p>
        </div>
        <div className="flex shrink-0 items-center gap-1.5">
          {room.is_private ? <Badge tone="amber">Private</Badge> : null}
          {room.online_count === null ? (
            // Null: the server cannot tell who is online right now (presence is unavailable).
            <span title="Who is listening is unknown right now">
              <Badge>– live</Badge>
            </span>
          ) : room.online_count > 0 ? (
            <Badge tone="emerald">
              <span className="mr-1 h-1.5 w-1.5 rounded-full bg-emerald-400" aria-hidden />
              {room.online_count} live
            </Badge>
          ) : null}
        </div>
      </div>
      {room.description ? <p className="line-clamp-2 text-sm text-zinc-300">{room.description}</p> : null}
      <div className="flex items-center gap-3">
        <TrackArt track={room.now_playing} size="sm" />
        <div className="min-w-0 text-sm">
          {room.now_playing ? (
            <>
              <p className="truncate text-zinc-100">{room.now_playing.name}</p>
              <p className="truncate text-xs text-zinc-400">{room.now_playing.artists.join(", ")}</p>
            </>
          ) : (
            <p className="text-zinc-500">Nothing playing</p>
          )}
        </div>
      </div>
      <div className="mt-auto flex flex-wrap items-center gap-1.5">
        {room.genres.slice(0, 4).map((genre) => (
          <Badge key={genre} tone="violet">
            {genre}
          </Badge>
        ))}
        <span className="ml-auto text-xs text-zinc-500">
          {room.member_count} member{room.member_count === 1 ? "" : "s"}
        </span>
      </div>
      {extra ? <div className="relative z-10">{extra}</div> : null}
    </li>
  );
}
