import { useState } from "react";
import { Link, useNavigate } from "react-router";

import type { Room, Track, UserBrief } from "../../api/types";
import { errorMessage } from "../../api/client";
import { Avatar, displayName, TrackArt } from "../../components/ui";
import { Combobox, type ComboboxGroup } from "./Combobox";
import { roomImage } from "../rooms/RoomCard";
import { TrackSummary } from "./TrackSummary";
import { useSearch } from "./useSearch";
import type { SearchType } from "./types";

const TYPES: SearchType[] = ["track", "room", "user"];
/** results per kind in the popup (the results page shows more) */
export const POPUP_LIMIT = 4;

type Hit = { kind: "track"; track: Track } | { kind: "room"; room: Room } | { kind: "user"; user: UserBrief } | { kind: "all"; q: string };

export const searchPath = (q: string) => `/search?q=${encodeURIComponent(q.trim())}`;

/**
 * The header's search box: a combobox named "Search". Typing shows a few tracks, rooms and
 * people; Enter opens the highlighted one (a room, a person's page; a track, its results), or
 * with nothing highlighted, the results page /search?q=…. On narrow screens the header has no
 * room for a box: a "Search" link opens the results page instead (it has its own box).
 */
export function HeaderSearch() {
  const navigate = useNavigate();
  const [text, setText] = useState("");
  const { results, searching, settled, error, term } = useSearch(text, TYPES, POPUP_LIMIT);

  const groups: ComboboxGroup<Hit>[] = [
    { label: "Tracks", options: (results.tracks ?? []).map((track) => ({ kind: "track" as const, track })) },
    { label: "Rooms", options: (results.rooms ?? []).map((room) => ({ kind: "room" as const, room })) },
    { label: "People", options: (results.users ?? []).map((user) => ({ kind: "user" as const, user })) },
  ];
  const count = groups.reduce((sum, group) => sum + group.options.length, 0);
  if (count > 0) groups.push({ label: "More", options: [{ kind: "all", q: term }] });

  const go = (to: string) => {
    setText("");
    navigate(to);
  };
  const onPick = (hit: Hit) => {
    if (hit.kind === "room") go(`/rooms/${hit.room.id}`);
    else if (hit.kind === "user") go(`/users/${hit.user.id}`);
    else if (hit.kind === "track") go(searchPath(hit.track.name));
    else go(searchPath(text));
  };

  const status = error
    ? errorMessage(error)
    : searching && count === 0
      ? "Searching…"
      : settled && count === 0
        ? `Nothing matches “${term}”. Press Enter to search everything.`
        : text.trim().length === 1
          ? "Keep typing…"
          : null;

  return (
    <>
      <Link
        to="/search"
        aria-label="Search"
        className="inline-flex min-h-9 min-w-9 items-center justify-center rounded-lg text-zinc-300 hover:bg-zinc-800 hover:text-white focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-violet-400 lg:hidden"
      >
        <SearchIcon />
      </Link>
      <div role="search" className="relative hidden lg:block lg:w-48 xl:w-72">
        <Combobox<Hit>
          label="Search"
          hideLabel
          id="header-search"
          value={text}
          onChange={setText}
          groups={groups}
          optionKey={(hit) => (hit.kind === "track" ? `t:${hit.track.spotify_id}` : hit.kind === "room" ? `r:${hit.room.id}` : hit.kind === "user" ? `u:${hit.user.id}` : "all")}
          renderOption={(hit) => <HitRow hit={hit} />}
          onPick={onPick}
          onEnter={(q) => go(searchPath(q))}
          status={status}
          announce={settled ? (count > 0 ? `${count} ${count === 1 ? "result" : "results"}. Arrow keys choose, Enter opens.` : `Nothing matches ${term}.`) : searching ? "Searching…" : undefined}
          placeholder="Search tracks, rooms, people"
          inputClassName="pl-8"
          popupClassName="right-0 w-96 xl:w-[28rem]"
        />
        <span aria-hidden className="pointer-events-none absolute left-2.5 top-1/2 -translate-y-1/2 text-zinc-400">
          <SearchIcon />
        </span>
      </div>
    </>
  );
}

function HitRow({ hit }: { hit: Hit }) {
  switch (hit.kind) {
    case "track":
      return <TrackSummary track={hit.track} />;
    case "room":
      return (
        <>
          <TrackArt track={{ name: hit.room.name, image_url: roomImage(hit.room) }} size="sm" />
          <span className="min-w-0 flex-1">
            <span className="block truncate text-zinc-100">{hit.room.name}</span>
            <span className="block truncate text-xs text-zinc-400">
              {hit.room.is_private ? "Private · " : ""}
              {hit.room.now_playing ? `Playing ${hit.room.now_playing.name}` : `by ${displayName(hit.room.owner)}`}
            </span>
          </span>
        </>
      );
    case "user":
      return (
        <>
          <Avatar user={hit.user} size={10} />
          <span className="min-w-0 flex-1">
            <span className="block truncate text-zinc-100">{displayName(hit.user)}</span>
            <span className="block truncate text-xs text-zinc-400">@{hit.user.username}</span>
          </span>
        </>
      );
    case "all":
      return <span className="px-1 text-violet-300">All results for “{hit.q}”</span>;
  }
}

export function SearchIcon() {
  return (
    <svg viewBox="0 0 24 24" aria-hidden className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
      <circle cx="11" cy="11" r="7" />
      <path d="m20 20-3.5-3.5" />
    </svg>
  );
}
