import { Link } from "react-router";

import type { Room } from "../../api/types";
import { Badge, displayName, TrackArt } from "../../components/ui";

/**
 * A room in a list (<ul>). `headingLevel`: the level under the list's own heading (2 where the
 * page's <h1> is the list's heading, 3 under a section's <h2>). Long names and descriptions
 * wrap or truncate: a card never widens its grid.
 */
export function RoomCard({ room, extra, headingLevel = 3 }: { room: Room; extra?: React.ReactNode; headingLevel?: 2 | 3 }) {
  const Heading = headingLevel === 2 ? "h2" : "h3";
  return (
    <li className="group relative flex min-w-0 flex-col gap-3 rounded-2xl bg-zinc-900/70 p-4 ring-1 ring-zinc-800 transition hover:ring-violet-500/60 has-[a:focus-visible]:ring-2 has-[a:focus-visible]:ring-violet-400">
      <div className="flex min-w-0 items-start justify-between gap-3">
        <div className="min-w-0">
          <Heading className="text-base font-semibold text-white">
            <Link
              to={`/rooms/${room.id}`}
              className="block truncate rounded leading-6 after:absolute after:inset-0 after:rounded-2xl focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-violet-400"
            >
              {room.name}
            </Link>
          </Heading>
          <p className="truncate text-xs text-zinc-400">by {displayName(room.owner)}</p>
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
      {room.description ? <p className="line-clamp-2 text-sm text-zinc-300 [overflow-wrap:anywhere]">{room.description}</p> : null}
      <div className="flex min-w-0 items-center gap-3">
        <TrackArt track={{ name: room.name, image_url: roomImage(room) }} size="sm" />
        <div className="min-w-0 text-sm">
          {room.now_playing ? (
            <>
              <p className="truncate text-zinc-100">{room.now_playing.name}</p>
              <p className="truncate text-xs text-zinc-400">{room.now_playing.artists.join(", ")}</p>
            </>
          ) : (
            <p className="text-zinc-400">Nothing playing</p>
          )}
        </div>
      </div>
      <div className="mt-auto flex min-w-0 flex-wrap items-center gap-1.5">
        {room.genres.slice(0, 4).map((genre) => (
          <Badge key={genre} tone="violet">
            {genre}
          </Badge>
        ))}
        <span className="ml-auto text-xs text-zinc-400">
          {room.member_count} member{room.member_count === 1 ? "" : "s"}
        </span>
      </div>
      {extra ? <div className="relative z-10 min-w-0">{extra}</div> : null}
    </li>
  );
}

/** A room's picture: its image_url (its now-playing cover or its own generated one), else the playing track's; null shows the note. */
export function roomImage(room: Pick<Room, "now_playing"> & { image_url?: string | null }): string | null {
  return room.image_url || room.now_playing?.image_url || null;
}
