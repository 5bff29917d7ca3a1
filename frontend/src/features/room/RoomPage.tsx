import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useReducer, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";

import { isApiError } from "../../api/client";
import type { Member, QueueItem, Room, UserBrief } from "../../api/types";
import type { RoomWithSettings } from "./participation";
import { useApi, useMe } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Badge, Button, Card, displayName, EmptyState, ErrorNote, Spinner } from "../../components/ui";
import type { PlaybackState } from "../../realtime/events";
import { NO_PRESENCE, newcomers } from "../../realtime/presence";
import type { SocketStatus } from "../../realtime/roomSocket";
import { ListeningProvider, useAudioStatus, useListening, useListeningOptional } from "../player/ListeningProvider";
import { ChatPanel } from "../chat/ChatPanel";
import { FavoriteButton } from "../profile/FavoriteButton";
import { Members, OnlineNow } from "./Members";
import { PlayerView } from "./Player";
import { Queue } from "./Queue";
import { endedReducer, endedText } from "./membership";
import { RoomSettings } from "./RoomSettings";
import { RoomPanel, RoomTabs, useFillViewport, useMediaQuery, type RoomSection } from "./RoomTabs";
import { useSocketEvents, useStartSocket } from "./useRoomSocket";

/** The room page. In the app it attaches to the layout's listening session; alone (tests), it brings its own. */
export function RoomPage() {
  const listening = useListeningOptional();
  if (!listening) {
    return (
      <ListeningProvider>
        <RoomPageInner />
      </ListeningProvider>
    );
  }
  return <RoomPageInner />;
}

function RoomPageInner() {
  const { roomId = "" } = useParams();
  const api = useApi();
  const room = useQuery({ queryKey: keys.room(roomId), queryFn: () => api.room(roomId) });

  if (room.isPending) return <Spinner label="Opening the room…" />;
  // A refetch that fails (the room closed, or went private after a ban) keeps what was shown.
  if (room.isError && !room.data) {
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
  if (!room.data) return null;
  return <RoomView room={room.data} />;
}

/** The members list asks for this many; a room with more shows the server's count. */
const MEMBERS_PAGE = 100;

function RoomView({ room }: { room: Room }) {
  const api = useApi();
  const me = useMe();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [ended, dispatch] = useReducer(endedReducer, null);
  const isMember = room.my_role !== null && room.my_role !== undefined;
  const active = isMember && !ended;
  const listening = useListening();
  const { open } = listening;
  // While a member: listen to this room (the layout's session goes on when the page is left).
  const imageUrl = (room as RoomWithSettings).image_url;
  useEffect(() => {
    if (active) open({ id: room.id, name: room.name, image_url: imageUrl });
  }, [active, open, room.id, room.name, imageUrl]);
  const session = listening.session?.roomId === room.id ? listening.session : null;
  const socket = active ? (session?.socket ?? null) : null;
  const status: SocketStatus = session?.status ?? IDLE;
  const playback = session && !session.ended ? session.playback : null;
  const online = session?.online ?? NOBODY;
  const presence = session?.presence ?? NO_PRESENCE;
  const [notice, setNotice] = useState<string | null>(null);
  const [showSettings, setShowSettings] = useState(false);
  const [section, setSection] = useState<RoomSection>("chat");
  const wide = useMediaQuery("(min-width: 1024px)");

  const queue = useQuery({ queryKey: keys.queue(room.id), queryFn: () => api.queue(room.id) });
  const members = useQuery({ queryKey: keys.members(room.id), queryFn: () => api.members(room.id, { limit: MEMBERS_PAGE }) });

  // The socket's word on membership, whether a frame or a close code: one state.
  useEffect(() => {
    dispatch({ type: "socket-status", status });
  }, [status]);

  // After a ban or removal: the viewer is out of the lists (the socket tells others, not them).
  const meId = me.data?.id;
  useEffect(() => {
    if (!ended || !meId || ended.kind === "closed") return;
    queryClient.setQueryData<Member[]>(keys.members(room.id), (list) => list?.filter((m) => m.user.id !== meId));
  }, [ended, meId, queryClient, room.id]);

  // Membership news: add arrivals at once, then ask the server (roles, and who left for good).
  const membersRefetch = useRef<ReturnType<typeof setTimeout> | null>(null);
  const refetchMembersSoon = () => {
    if (membersRefetch.current) return;
    membersRefetch.current = setTimeout(() => {
      membersRefetch.current = null;
      void queryClient.invalidateQueries({ queryKey: keys.members(room.id), exact: true });
    }, 3000);
  };
  useEffect(() => () => {
    if (membersRefetch.current) clearTimeout(membersRefetch.current);
  }, []);
  const addMembers = (users: UserBrief[]) => {
    if (!users.length) return;
    queryClient.setQueryData<Member[]>(keys.members(room.id), (list) => {
      if (!list) return list;
      const fresh = users.filter((u, i) => !list.some((m) => m.user.id === u.id) && users.findIndex((x) => x.id === u.id) === i);
      if (!fresh.length) return list;
      const now = new Date().toISOString();
      return [...list, ...fresh.map((user): Member => ({ user, role: "member", joined_at: now, online: true }))];
    });
    refetchMembersSoon();
  };

  useSocketEvents(socket, (event) => {
    switch (event.type) {
      case "queue.updated":
        queryClient.setQueryData<QueueItem[]>(keys.queue(room.id), event.queue);
        break;
      case "presence":
        addMembers(event.online);
        break;
      case "member.left":
        refetchMembersSoon();
        break;
      case "member.joined":
      case "members.changed": {
        const listed = queryClient.getQueryData<Member[]>(keys.members(room.id)) ?? [];
        addMembers(newcomers(listed.map((m) => m.user), event));
        if (event.type === "members.changed" && event.left.length) refetchMembersSoon();
        break;
      }
      case "member.role_changed":
        queryClient.setQueryData<Member[]>(keys.members(room.id), (list) =>
          list?.map((m) => (m.user.id === event.user_id ? { ...m, role: event.role as Member["role"] } : m)),
        );
        if (event.user_id === me.data?.id || event.role === "owner") void queryClient.invalidateQueries({ queryKey: keys.room(room.id), exact: true });
        break;
      case "room.updated":
        void queryClient.invalidateQueries({ queryKey: keys.room(room.id), exact: true });
        // Someone joined, left or was removed: the header's count and the list follow.
        if (event.member_count !== undefined) void queryClient.invalidateQueries({ queryKey: keys.members(room.id) });
        break;
      case "error":
        if (event.code in { banned: 1, removed: 1, left: 1, room_closed: 1 }) dispatch({ type: "socket-error", code: event.code, detail: event.detail });
        else if (event.code === "forbidden" && event.in_reply_to !== "chat.message") setNotice(event.detail);
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
      dispatch({ type: "rejoined" });
      void queryClient.invalidateQueries({ queryKey: keys.members(room.id), exact: true });
      void queryClient.invalidateQueries({ queryKey: keys.myRooms });
    },
  });
  const leave = useMutation({
    mutationFn: () => api.leaveRoom(room.id),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.roomsAll });
      void queryClient.invalidateQueries({ queryKey: keys.myRooms });
      queryClient.removeQueries({ queryKey: keys.room(room.id) });
      listening.close(room.id);
      navigate("/rooms");
    },
  });

  const role = active ? (room.my_role ?? null) : null;
  const canModerate = role === "owner" || role === "moderator";
  const canControl = canModerate || (active && room.playback_policy === "members");
  const canEditQueue = canModerate || (active && room.queue_policy === "members");
  const canRejoin = ended ? (ended.kind === "removed" || ended.kind === "left") && !room.is_private : !isMember;
  const shownOnline = ended && meId ? online.filter((u) => u.id !== meId) : online;
  const onlineIds = new Set(shownOnline.map((u) => u.id));
  // The header counts what the list shows (the server's count when the list is one page of many).
  const listed = members.data?.length;
  const memberCount = listed !== undefined && listed < MEMBERS_PAGE ? listed : Math.max(room.member_count, listed ?? 0);
  // Before the socket speaks, show what the room list knows.
  const shownState: PlaybackState | null =
    playback ?? (room.now_playing && !isMember ? { type: "playback.state", track: room.now_playing, status: "playing", position_ms: 0, server_time: 0, version: 0 } : null);
  const layoutDeps = [section, ended, showSettings, notice, status.state];
  const fill = useFillViewport<HTMLDivElement>(layoutDeps, { name: "--room-fill", wide: false, min: 192 });
  const chatFill = useFillViewport<HTMLDivElement>(layoutDeps, { name: "--room-chat-fill", wide: true, min: 320, gap: 24 });

  return (
    <div className="min-w-0 space-y-2 sm:space-y-3 lg:space-y-5">
      <header className="flex flex-wrap items-start justify-between gap-x-3 gap-y-2">
        <div className="min-w-0 flex-1 basis-48">
          {/* One line on phones (the name truncates beside its badges): the chat must fit the first screen. */}
          <div className="flex min-w-0 items-center gap-2 sm:flex-wrap">
            {imageUrl ? <img src={imageUrl} alt="" className="hidden h-8 w-8 shrink-0 rounded-md object-cover sm:block" /> : null}
            <h1 className="min-w-0 max-w-full truncate text-xl font-semibold tracking-tight text-white sm:text-2xl">{room.name}</h1>
            <span className="flex shrink-0 items-center gap-2">
              {room.is_private ? <Badge tone="amber">Private</Badge> : null}
              {role ? <Badge tone="violet">you: {role}</Badge> : null}
              {active ? <ConnectionBadge status={status} /> : null}
            </span>
          </div>
          <p className="mt-1 flex min-w-0 text-sm text-zinc-400">
            <span className="min-w-0 truncate">by {displayName(room.owner)}</span>
            <span className="shrink-0 whitespace-pre">
              {" · "}
              <span data-testid="member-count">
                {memberCount} member{memberCount === 1 ? "" : "s"}
              </span>
            </span>
            {room.genres.length ? <span className="min-w-0 truncate whitespace-pre">{` · ${room.genres.join(", ")}`}</span> : null}
          </p>
          {room.description ? <Description text={room.description} /> : null}
        </div>
        <div className="flex flex-wrap gap-2">
          {active && canModerate ? (
            <Button onClick={() => setShowSettings((v) => !v)} aria-expanded={showSettings}>
              {showSettings ? "Close settings" : "Room settings"}
            </Button>
          ) : null}
          {active && role !== "owner" ? (
            <Button variant="ghost" onClick={() => leave.mutate()} disabled={leave.isPending}>
              Leave room
            </Button>
          ) : null}
          {canRejoin ? (
            <Button variant="primary" onClick={() => join.mutate()} disabled={join.isPending}>
              {join.isPending ? "Joining…" : "Join room"}
            </Button>
          ) : null}
        </div>
      </header>
      {ended ? <ErrorNote>{endedText(ended)}</ErrorNote> : null}
      <ErrorNote error={join.error ?? leave.error} />
      {notice ? (
        <p role="status" className="rounded-lg bg-amber-950/50 px-3 py-2 text-sm text-amber-200 ring-1 ring-amber-900">
          {notice}{" "}
          <button type="button" className="ml-2 min-h-6 underline" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </p>
      ) : null}
      {active ? <SocketClosedNote status={status} /> : null}
      {showSettings && active ? (
        <Card>
          <RoomSettings room={room} />
        </Card>
      ) : null}

      <div className="grid min-w-0 gap-2 sm:gap-3 lg:grid-cols-[minmax(0,1fr)_24rem] lg:grid-rows-[auto_auto_1fr] lg:gap-5">
        <div className="min-w-0 lg:col-start-1 lg:row-start-1">
          {active && socket && session ? (
            <RoomPlayer
              canControl={canControl}
              favoriteButton={playback?.track ? <FavoriteButton spotifyId={playback.track.spotify_id} /> : null}
            />
          ) : (
            <Card>
              <p className="text-sm text-zinc-300 [overflow-wrap:anywhere]">
                {shownState?.track && !ended ? (
                  <>
                    Now playing: <span className="font-medium text-white">{shownState.track.name}</span> —{" "}
                    {shownState.track.artists.join(", ")}.{" "}
                  </>
                ) : null}
                {ended ? "You are no longer listening to this room." : "Join the room to listen along and chat."}
              </p>
            </Card>
          )}
        </div>
        <RoomTabs selected={section} onSelect={setSection} className="lg:hidden" />
        {/* Below lg: the one open section fills the rest of the screen (below the player). */}
        <div ref={fill} className="min-w-0 max-lg:h-[var(--room-fill,calc(100dvh-24rem))] max-lg:min-h-48 lg:contents">
          <RoomPanel section="chat" selected={section} wide={wide} panelRef={chatFill} className="max-lg:h-full lg:sticky lg:top-20 lg:col-start-2 lg:row-span-3 lg:row-start-1 lg:self-start">
            <ChatPanel
              roomId={room.id}
              socket={socket}
              me={me.data ?? null}
              canSend={active && !!me.data}
              closedNote={ended ? "Chat is closed for you here." : undefined}
              canModerate={canModerate}
              members={members.data?.map((m) => m.user.username)}
              className="h-full lg:h-[var(--room-chat-fill,calc(100vh-10rem))] lg:max-h-[calc(100vh-6rem)]"
            />
          </RoomPanel>
          <RoomPanel section="queue" selected={section} wide={wide} className="max-lg:h-full max-lg:overflow-y-auto lg:col-start-1 lg:row-start-2">
            <Card className="min-w-0">
              <Queue roomId={room.id} items={queue.data} canEdit={canEditQueue} canModerate={canModerate} meId={active ? (meId ?? null) : null} />
              <ErrorNote error={queue.error} />
            </Card>
          </RoomPanel>
          <RoomPanel section="people" selected={section} wide={wide} className="max-lg:h-full max-lg:overflow-y-auto lg:col-start-1 lg:row-start-3 lg:self-start">
            <Card className="min-w-0 space-y-5">
              {isMember ? (
                <OnlineNow
                  online={shownOnline}
                  count={ended ? null : presence.count}
                  friends={presence.friends}
                  onMore={presence.next !== null && socket ? () => socket.send({ type: "presence.page", cursor: presence.next! }) : undefined}
                />
              ) : null}
              <Members
                roomId={room.id}
                members={members.data}
                onlineIds={isMember ? onlineIds : new Set(members.data?.filter((m) => m.online).map((m) => m.user.id))}
                myRole={role}
              />
              <ErrorNote error={members.error} />
            </Card>
          </RoomPanel>
        </div>
      </div>
    </div>
  );
}

const IDLE: SocketStatus = { state: "idle" };
const NOBODY: UserBrief[] = [];

/** The player of the listening session (its sound lives in the layout's ListeningProvider). */
function RoomPlayer({ canControl, favoriteButton }: { canControl: boolean; favoriteButton: React.ReactNode }) {
  const listening = useListening();
  const audio = useAudioStatus();
  const session = listening.session;
  return (
    <PlayerView
      state={session?.playback ?? null}
      audio={audio}
      canControl={canControl}
      send={listening.send}
      favoriteButton={favoriteButton}
      volume={listening}
      audience={session?.audience ?? null}
      participation={
        session
          ? { votes: session.votes, likes: session.likes?.count ?? null, voted: session.voted, liked: session.liked, voteSkip: listening.voteSkip, like: listening.like }
          : undefined
      }
    />
  );
}

/** The room's description: one line on phones, three at lg, the rest behind "More". */
function Description({ text }: { text: string }) {
  const [open, setOpen] = useState(false);
  const long = text.length > 90;
  return (
    <div className="mt-1 flex min-w-0 max-w-2xl items-start gap-2 lg:mt-2">
      <p id="room-description" className={`min-w-0 flex-1 text-sm text-zinc-300 [overflow-wrap:anywhere] ${open ? "" : "line-clamp-1 lg:line-clamp-3"}`}>
        {text}
      </p>
      {long ? (
        <button
          type="button"
          aria-expanded={open}
          aria-controls="room-description"
          onClick={() => setOpen((v) => !v)}
          className="min-h-6 shrink-0 rounded px-1.5 text-sm text-violet-300 underline underline-offset-2 focus-visible:outline-2 focus-visible:outline-violet-400"
        >
          {open ? "Less" : "More"}
        </button>
      ) : null}
    </div>
  );
}

function ConnectionBadge({ status }: { status: SocketStatus }) {
  if (status.state === "open") return <Badge tone="emerald">live</Badge>;
  if (status.state === "connecting" || status.state === "reconnecting") return <Badge tone="amber">connecting…</Badge>;
  return null;
}

/** Connection trouble that is not the end of membership (that is `ended`'s note). */
function SocketClosedNote({ status }: { status: SocketStatus }) {
  if (status.state === "reconnecting" && status.attempt > 1) {
    return (
      <p role="status" className="text-sm text-amber-200">
        Connection lost — reconnecting in {Math.ceil(status.delayMs / 1000)} s…
      </p>
    );
  }
  if (status.state === "closed" && status.reason === "unauthenticated") {
    return <ErrorNote>Your session ended. Sign in again to rejoin the room.</ErrorNote>;
  }
  return null;
}
