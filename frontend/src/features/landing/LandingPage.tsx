import { useQuery } from "@tanstack/react-query";
import { Link, Navigate } from "react-router";

import { useApi, useAuth } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { EmptyState, ErrorNote, PRIMARY_LINK, Spinner, TEXT_LINK } from "../../components/ui";
import { RoomCard } from "../rooms/RoomCard";

const LIVE_QUERY = { order: "live", limit: 6, offset: 0 } as const;

const FEATURES = [
  { title: "Listen in sync", text: "Everyone in a room hears the same track at the same moment, wherever they are." },
  { title: "Chat about the track", text: "Talk while the music plays, mention people, share links." },
  { title: "Make friends", text: "Meet people with your taste, add them as friends and invite them to your rooms." },
  { title: "Discover", text: "Rooms and tracks picked from what you listen to and love." },
];

/** /app/: signed-in people go to their rooms; a visitor learns what TuneWave is and sees live rooms. */
export function HomePage() {
  const { tokens } = useAuth();
  if (tokens) return <Navigate to="/rooms" replace />;
  return <LandingPage />;
}

export function LandingPage() {
  const api = useApi();
  // GET /rooms/ is public: no sign-in needed to see what is on.
  const rooms = useQuery({ queryKey: keys.rooms(LIVE_QUERY), queryFn: () => api.rooms(LIVE_QUERY) });

  return (
    <div className="space-y-10">
      <section className="mx-auto max-w-3xl py-6 text-center sm:py-10" aria-labelledby="landing-title">
        <h1 id="landing-title" className="text-3xl font-semibold tracking-tight text-white sm:text-5xl">
          TuneWave: listen to music together
        </h1>
        <p className="mx-auto mt-4 max-w-2xl text-base text-zinc-300 sm:text-lg">
          Join a room and hear the same track as everyone else, in sync. Chat about what is playing, make friends with
          people who share your taste, and discover new rooms and music.
        </p>
        <div className="mt-6 flex flex-wrap items-center justify-center gap-3">
          <Link to="/signin" className={`${PRIMARY_LINK} px-5 text-base`}>
            Sign in
          </Link>
          <Link to="/rooms" className={TEXT_LINK}>
            Browse all rooms
          </Link>
        </div>
      </section>

      <ul className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4" aria-label="What you can do">
        {FEATURES.map((feature) => (
          <li key={feature.title} className="min-w-0 rounded-2xl bg-zinc-900/70 p-4 ring-1 ring-zinc-800">
            <p className="font-semibold text-white">{feature.title}</p>
            <p className="mt-1 text-sm text-zinc-300">{feature.text}</p>
          </li>
        ))}
      </ul>

      <section aria-labelledby="live-now">
        <h2 id="live-now" className="mb-3 text-xl font-semibold text-white">
          Live now
        </h2>
        {rooms.isPending ? <Spinner label="Loading rooms…" /> : null}
        <ErrorNote error={rooms.error} />
        {rooms.data && rooms.data.length === 0 ? (
          <EmptyState title="No rooms are open right now.">Sign in and start the first one.</EmptyState>
        ) : null}
        {rooms.data && rooms.data.length > 0 ? (
          <ul className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3" aria-label="Live rooms">
            {rooms.data.map((room) => (
              <RoomCard key={room.id} room={room} />
            ))}
          </ul>
        ) : null}
      </section>
    </div>
  );
}
