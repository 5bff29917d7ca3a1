import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";

import { isApiError } from "../../api/client";
import type { Member, QueueItem, Room, UserBrief } from "../../api/types";
import { useApi, useMe } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Badge, Button, Card, displayName, EmptyState, ErrorNote, Spinner } from "../../components/ui";
import type { PlaybackState } from "../../realtime/events";
import { applyPresence, newcomers } from "../../realtime/presence";
import type { SocketStatus } from "../../realtime/roomSocket";
import { ChatPanel } from "../chat/ChatPanel";
import { FavoriteButton } from "../profile/FavoriteButton";
import { Members, OnlineNow } from "./Members";
import { Player } from "./Player";
import { Queue } from "./Queue";
import { RoomSettings } from "./RoomSettings";
import { useRoomSocket, useSocketEvents, useStartSocket } from "./useRoomSocket";

export function RoomPage() {
  const { roomId = "" } = useParams();
  const api = useApi();
  const room = useQuery({ queryKey: keys.room(roomId), queryFn: () => api.room(roomId) });

  if (room.isPending) return <Spinner label="Opening the room…" />;
  if (room.isError) {
    return isApiError(room.error, 404) ? (
      <EmptyState title="This room does not exist, or it is private.">
        <Link className="text-violet-300 underline" to="/rooms">
          Back to rooms
        </Link>
      </EmptyState>
    ) : (
      <ErrorNote error={room.error} />
    );
  }
  return <RoomView room={room.data} />;
}

function RoomView({ room }: { room: Room }) {
  const api = useApi();
  const me = useMe();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const isMember = room.my_role !== null && room.my_role !== undefined;
  const { socket, status } = useRoomSocket(room.id, isMember);

  const [playback, setPlayback] = useState<PlaybackState | null>(null);
  const [online, setOnline] = useState<UserBrief[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  const [showSettings, setShowSettings] = useState(false);

  const queue = useQuery({ queryKey: keys.queue(room.id), queryFn: () => api.queue(room.id) });
  const members = useQuery({ queryKey: keys.members(room.id), queryFn: () => api.members(room.id, { limit: 100 }) });

  // member.joined of someone not yet listed: fetch the list again, at most every few seconds.
  const membersRefetch = useRef<ReturnType<typeof setTimeout> | null>(null);
  const refetchMembersSoon = () => {
    if (membersRefetch.current) return;
    membersRefetch.current = setTimeout(() => {
      membersRefetch.current = null;
      void queryClient.invalidateQueries({ queryKey: keys.members(room.id) });
    }, 3000);
  };
  useEffect(() => () => {
    if (membersRefetch.current) clearTimeout(membersRefetch.current);
  }, []);

  useSocketEvents(socket, (event) => {
    switch (event.type) {
      case "playback.state":
        setPlayback((current) => (current && current.version > event.version ? current : event));
        break;
      case "queue.updated":
        queryClient.setQueryData<QueueItem[]>(keys.queue(room.id), event.queue);
        break;
      case "presence":
      case "member.left":
        setOnline((current) => applyPresence(current, event));
        break;
      case "member.joined":
      case "members.changed": {
        setOnline((current) => applyPresence(current, event));
        const listed = queryClient.getQueryData<Member[]>(keys.members(room.id)) ?? [];
        if (newcomers(listed.map((m) => m.user), event).length) refetchMembersSoon();
        break;
      }
      case "member.role_changed":
        queryClient.setQueryData<Member[]>(keys.members(room.id), (list) =>
          list?.map((m) => (m.user.id === event.user_id ? { ...m, role: event.role as Member["role"] } : m)),
        );
        if (event.user_id === me.data?.id || event.role === "owner") void queryClient.invalidateQueries({ queryKey: keys.room(room.id) });
        break;
      case "room.updated":
        void queryClient.invalidateQueries({ queryKey: keys.room(room.id) });
        break;
      case "error":
        if (event.code === "forbidden") setNotice(event.detail);
        else if (event.code === "room_closed" || event.code === "banned" || event.code === "removed") setNotice(event.detail);
        break;
      default:
        break;
    }
  });
  useStartSocket(socket);

  const join = useMutation({
    mutationFn: () => api.joinRoom(room.id),
    onSuccess: (updated) => {
      queryClient.setQueryData(keys.room(room.id), updated);
      void queryClient.invalidateQueries({ queryKey: keys.members(room.id) });
      void queryClient.invalidateQueries({ queryKey: keys.myRooms });
    },
  });
  const leave = useMutation({
    mutationFn: () => api.leaveRoom(room.id),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.roomsAll });
      void queryClient.invalidateQueries({ queryKey: keys.myRooms });
      queryClient.removeQueries({ queryKey: keys.room(room.id) });
      navigate("/rooms");
    },
  });

  const role = room.my_role ?? null;
  const canModerate = role === "owner" || role === "moderator";
  const canControl = canModerate || (isMember && room.playback_policy === "members");
  const canEditQueue = canModerate || (isMember && room.queue_policy === "members");
  const onlineIds = new Set(online.map((u) => u.id));
  // Before the socket speaks, show what the room list knows.
  const shownState: PlaybackState | null =
    playback ?? (room.now_playing && !isMember ? { type: "playback.state", track: room.now_playing, status: "playing", position_ms: 0, server_time: 0, version: 0 } : null);

  return (
    <div className="space-y-5">
      <header className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <h1 className="truncate text-2xl font-semibold tracking-tight text-white">{room.name}</h1>
            {room.is_private ? <Badge tone="amber">Private</Badge> : null}
            {role ? <Badge tone="violet">you: {role}</Badge> : null}
            <ConnectionBadge status={status} />
          </div>
          <p className="mt-1 text-sm text-zinc-400">
            by {displayName(room.owner)} · {room.member_count} member{room.member_count === 1 ? "" : "s"}
            {room.genres.length ? ` · ${room.genres.join(", ")}` : ""}
          </p>
          {room.description ? <p className="mt-2 max-w-2xl text-sm text-zinc-300">{room.description}</p> : null}
        </div>
        <div className="flex flex-wrap gap-2">
          {isMember && canModerate ? (
            <Button onClick={() => setShowSettings((v) => !v)} aria-expanded={showSettings}>
              {showSettings ? "Close settings" : "Room settings"}
            </Button>
          ) : null}
          {isMember && role !== "owner" ? (
            <Button variant="ghost" onClick={() => leave.mutate()} disabled={leave.isPending}>
              Leave room
            </Button>
          ) : null}
          {!isMember ? (
            <Button variant="primary" onClick={() => join.mutate()} disabled={join.isPending}>
              {join.isPending ? "Joining…" : "Join room"}
            </Button>
          ) : null}
        </div>
      </header>
      <ErrorNote error={join.error ?? leave.error} />
      {notice ? (
        <p role="status" className="rounded-lg bg-amber-950/50 px-3 py-2 text-sm text-amber-200 ring-1 ring-amber-900">
          {notice}{" "}
          <button type="button" className="ml-2 underline" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </p>
      ) : null}
      <SocketClosedNote status={status} />
      {showSettings ? (
        <Card>
          <RoomSettings room={room} />
        </Card>
      ) : null}

      <div className="grid gap-5 lg:grid-cols-[minmax(0,1fr)_24rem]">
        <div className="space-y-5">
          {isMember && socket ? (
            <Player
              state={playback}
              clock={socket.clock}
              now={socket.now}
              canControl={canControl}
              send={(frame) => socket.send(frame)}
              favoriteButton={playback?.track ? <FavoriteButton spotifyId={playback.track.spotify_id} /> : null}
            />
          ) : (
            <Card>
              <p className="text-sm text-zinc-300">
                {shownState?.track ? (
                  <>
                    Now playing: <span className="font-medium text-white">{shownState.track.name}</span> —{" "}
                    {shownState.track.artists.join(", ")}.{" "}
                  </>
                ) : null}
                Join the room to listen along and chat.
              </p>
            </Card>
          )}
          <Card>
            <Queue roomId={room.id} items={queue.data} canEdit={canEditQueue} />
            <ErrorNote error={queue.error} />
          </Card>
          <Card className="space-y-5">
            {isMember ? <OnlineNow online={online} /> : null}
            <Members roomId={room.id} members={members.data} onlineIds={isMember ? onlineIds : new Set(members.data?.filter((m) => m.online).map((m) => m.user.id))} myRole={role} />
            <ErrorNote error={members.error} />
          </Card>
        </div>
        <div className="lg:sticky lg:top-20 lg:self-start">
          <ChatPanel roomId={room.id} socket={socket} me={isMember && me.data ? me.data : null} canModerate={canModerate} />
        </div>
      </div>
    </div>
  );
}

function ConnectionBadge({ status }: { status: SocketStatus }) {
  if (status.state === "open") return <Badge tone="emerald">live</Badge>;
  if (status.state === "connecting" || status.state === "reconnecting") return <Badge tone="amber">connecting…</Badge>;
  return null;
}

function SocketClosedNote({ status }: { status: SocketStatus }) {
  if (status.state === "reconnecting" && status.attempt > 1) {
    return (
      <p role="status" className="text-sm text-amber-200">
        Connection lost — reconnecting in {Math.ceil(status.delayMs / 1000)} s…
      </p>
    );
  }
  if (status.state !== "closed" || status.reason === "stopped") return null;
  const text = {
    forbidden: "You can't be in this room (you may have been banned or removed).",
    not_found: "This room was closed.",
    unauthenticated: "Your session ended. Sign in again to rejoin the room.",
  }[status.reason];
  return <ErrorNote>{text}</ErrorNote>;
}
