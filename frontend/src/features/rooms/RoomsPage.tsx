import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";

import { useApi, useAuth } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Button, EmptyState, ErrorNote, Input, PageTitle, PRIMARY_LINK, Select, Spinner, TEXT_LINK } from "../../components/ui";
import { FriendsListeningNow } from "../friends/FriendsListeningNow";
import { RoomCard } from "./RoomCard";

export const PAGE_SIZE = 12;

/** GET /rooms/: search, genre filter, order (live | newest), paging; state lives in the URL. */
export function RoomsPage() {
  const api = useApi();
  const { tokens } = useAuth();
  const [params, setParams] = useSearchParams();
  const search = params.get("search") ?? "";
  const genre = params.get("genre") ?? "";
  const order = params.get("order") === "newest" ? "newest" : "live";
  const page = Math.max(0, Number(params.get("page") ?? 0) || 0);

  const [searchText, setSearchText] = useState(search);
  const [genreText, setGenreText] = useState(genre);

  // Typing waits for a pause before asking (the list endpoint allows 10 reads a minute).
  useEffect(() => {
    const timer = setTimeout(() => {
      if (searchText.trim() === search && genreText.trim() === genre) return;
      update({ search: searchText.trim(), genre: genreText.trim(), page: "" });
    }, 400);
    return () => clearTimeout(timer);
  }, [searchText, genreText]);

  function update(changes: Record<string, string>) {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next, { replace: true });
  }

  const query = { search, genre, order, limit: PAGE_SIZE, offset: page * PAGE_SIZE } as const;
  const rooms = useQuery({
    queryKey: keys.rooms(query),
    queryFn: () => api.rooms(query),
    placeholderData: keepPreviousData,
  });

  return (
    <div>
      <PageTitle
        actions={
          tokens ? (
            <Link to="/rooms/new" className={PRIMARY_LINK}>
              Create a room
            </Link>
          ) : null
        }
      >
        Rooms
      </PageTitle>
      <form
        role="search"
        className="mb-5 grid grid-cols-1 gap-3 sm:grid-cols-[minmax(0,1fr)_12rem_10rem]"
        onSubmit={(event) => {
          event.preventDefault();
          update({ search: searchText.trim(), genre: genreText.trim(), page: "" });
        }}
      >
        <label className="sr-only" htmlFor="room-search">
          Search rooms
        </label>
        <Input id="room-search" type="search" placeholder="Search rooms…" value={searchText} onChange={(e) => setSearchText(e.target.value)} />
        <label className="sr-only" htmlFor="room-genre">
          Genre
        </label>
        <Input id="room-genre" placeholder="Genre (e.g. jazz)" value={genreText} onChange={(e) => setGenreText(e.target.value)} />
        <label className="sr-only" htmlFor="room-order">
          Order
        </label>
        <Select id="room-order" value={order} onChange={(e) => update({ order: e.target.value === "newest" ? "newest" : "", page: "" })}>
          <option value="live">Most listeners</option>
          <option value="newest">Newest</option>
        </Select>
      </form>

      <FriendsListeningNow />

      {rooms.isPending ? <Spinner label="Loading rooms…" /> : null}
      {rooms.isError ? <ErrorNote error={rooms.error} /> : null}
      {rooms.data && rooms.data.length === 0 ? (
        <EmptyState title={search || genre ? "No rooms match." : "No rooms yet."}>
          {tokens ? <Link className={TEXT_LINK} to="/rooms/new">Start the first one</Link> : null}
        </EmptyState>
      ) : null}
      {rooms.data && rooms.data.length > 0 ? (
        <ul className={`grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3 ${rooms.isPlaceholderData ? "opacity-60" : ""}`} aria-label="Rooms">
          {rooms.data.map((room) => (
            <RoomCard key={room.id} room={room} headingLevel={2} />
          ))}
        </ul>
      ) : null}

      <nav className="mt-6 flex flex-wrap items-center justify-between gap-2" aria-label="Pages">
        <Button disabled={page === 0} onClick={() => update({ page: page > 1 ? String(page - 1) : "" })}>
          ← Previous
        </Button>
        <span className="text-sm text-zinc-400">Page {page + 1}</span>
        <Button disabled={!rooms.data || rooms.data.length < PAGE_SIZE} onClick={() => update({ page: String(page + 1) })}>
          Next →
        </Button>
      </nav>
    </div>
  );
}
