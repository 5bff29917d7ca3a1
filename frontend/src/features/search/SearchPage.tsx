import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";

import { Card, EmptyState, ErrorNote, Input, PageTitle, Spinner } from "../../components/ui";
import { AddFriendButton } from "../friends/AddFriendButton";
import { FriendRow } from "../friends/FriendsPage";
import { FavoriteButton } from "../profile/FavoriteButton";
import { RoomCard } from "../rooms/RoomCard";
import { TrackSummary } from "./TrackSummary";
import { MIN_QUERY, useSearch } from "./useSearch";
import type { SearchType } from "./types";

const TYPES: SearchType[] = ["track", "room", "user"];
export const PAGE_LIMIT = 20;
export const SPOTIFY_FAILED = "Showing TuneWave's catalog only — Spotify search is unavailable right now.";

/** /search?q=…: tracks, rooms and people matching q, each in its own section. */
export function SearchPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const [text, setText] = useState(q);

  // The header's box (or the back button) changed the query: show it here.
  useEffect(() => setText(q), [q]);
  // Typing here updates the address after a pause (so it can be shared and gone back to).
  useEffect(() => {
    const timer = setTimeout(() => {
      if (text.trim() !== q) setParams(text.trim() ? { q: text.trim() } : {}, { replace: true });
    }, 400);
    return () => clearTimeout(timer);
  }, [text]);

  const { results, searching, error } = useSearch(q, TYPES, PAGE_LIMIT, { debounce: 0 });
  const tracks = results.tracks ?? [];
  const rooms = results.rooms ?? [];
  const users = results.users ?? [];
  const long = q.trim().length >= MIN_QUERY;
  const answered = long && !searching && !error;

  return (
    <div className="space-y-5">
      <PageTitle>{q ? <>Results for “{q}”</> : "Search"}</PageTitle>
      <form
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          setParams(text.trim() ? { q: text.trim() } : {}, { replace: false });
        }}
      >
        <label htmlFor="search-page-box" className="sr-only">
          Search tracks, rooms and people
        </label>
        <Input
          id="search-page-box"
          type="search"
          value={text}
          onChange={(event) => setText(event.target.value)}
          placeholder="Search tracks, rooms and people"
          autoComplete="off"
          spellCheck={false}
          enterKeyHint="search"
        />
      </form>

      {!long ? <p className="text-sm text-zinc-400">Type at least {MIN_QUERY} letters: a track, an artist, an album, a room or a person.</p> : null}
      {long && searching && tracks.length + rooms.length + users.length === 0 ? <Spinner label="Searching…" /> : null}
      <ErrorNote error={error} />
      {results.spotify === "failed" ? (
        <p role="note" className="rounded-lg bg-amber-950/50 px-3 py-2 text-sm text-amber-200 ring-1 ring-amber-900">
          {SPOTIFY_FAILED}
        </p>
      ) : null}

      {answered && tracks.length + rooms.length + users.length === 0 ? (
        <EmptyState title={`Nothing matches “${q}”.`}>Check the spelling, or try an artist's or an album's name.</EmptyState>
      ) : null}

      {long && (tracks.length > 0 || answered) ? (
        <Card>
          <h2 className="mb-3 text-lg font-semibold text-white">Tracks</h2>
          {tracks.length === 0 ? <p className="text-sm text-zinc-400">No tracks.</p> : null}
          <ul aria-label="Tracks" className="divide-y divide-zinc-800">
            {tracks.map((track) => (
              <li key={track.spotify_id} className="flex min-w-0 flex-wrap items-center gap-x-3 gap-y-1 py-2 text-sm">
                <span className="flex min-w-0 flex-1 basis-60 items-center gap-3">
                  <TrackSummary track={track} />
                </span>
                <span className="ml-auto shrink-0">
                  <FavoriteButton spotifyId={track.spotify_id} />
                </span>
              </li>
            ))}
          </ul>
        </Card>
      ) : null}

      {long && (rooms.length > 0 || answered) ? (
        <section aria-labelledby="search-rooms">
          <h2 id="search-rooms" className="mb-3 text-lg font-semibold text-white">
            Rooms
          </h2>
          {rooms.length === 0 ? <p className="text-sm text-zinc-400">No rooms.</p> : null}
          <ul aria-label="Rooms" className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3">
            {rooms.map((room) => (
              <RoomCard key={room.id} room={room} headingLevel={3} />
            ))}
          </ul>
        </section>
      ) : null}

      {long && (users.length > 0 || answered) ? (
        <Card>
          <h2 className="mb-3 text-lg font-semibold text-white">People</h2>
          {users.length === 0 ? <p className="text-sm text-zinc-400">No people.</p> : null}
          <ul aria-label="People" className="grid grid-cols-1 gap-x-6 sm:grid-cols-2">
            {users.map((user) => (
              <FriendRow key={user.id} user={user}>
                <AddFriendButton userId={user.id} />
              </FriendRow>
            ))}
          </ul>
        </Card>
      ) : null}
    </div>
  );
}
