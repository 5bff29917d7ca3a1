/**
 * The listening session: one room at a time, kept for the whole web app (mounted in the
 * layout), so the music goes on while the listener moves between pages.
 *
 * The room page calls `open(room)` while the viewer is a member; the provider creates the
 * room's RoomSocket (or keeps the one it has for that room) and runs the one player,
 * synchronized with the room (useSyncedPlayer: the <audio> element it renders, or Spotify's
 * Web Playback SDK for a Spotify track and a listener who can play it). The session ends on `close()` (the
 * listener leaves the room), on sign-out, when another room is opened, and — for the music —
 * when the socket ends the membership (banned, removed, left elsewhere, room closed): then
 * the audio goes and the mini-player hides, while the room page still reads the socket's word.
 *
 * Two contexts: the session (changes with frames) and the audio status (ticks about once a
 * second), so only the players re-render on every tick.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useReducer, useRef, type ReactNode } from "react";

import { useApi, useAuth } from "../../app/context";
import { ClockSync } from "../../lib/clock";
import type { ClientFrame } from "../../realtime/events";
import { RoomSocket } from "../../realtime/roomSocket";
import { initialLive, liveReducer, type LiveAction, type LiveRoom } from "./session";
import { useSpotifyAccess } from "./spotifyAccess";
import { useSyncedPlayer, useVolume, type AudioStatus } from "./useSyncedPlayer";

/** What the mini-player shows of the room. */
export interface RoomSummary {
  id: string;
  name: string;
  image_url?: string | null;
}

export interface ListeningSession extends LiveRoom {
  roomId: string;
  room: RoomSummary;
  socket: RoomSocket;
}

export interface Listening {
  session: ListeningSession | null;
  /** Listen to this room: keeps the session when it is this room's (and not ended), else starts one. */
  open(room: RoomSummary): void;
  /** Stop listening (the listener left the room). With a room id: only if that room is the one playing. */
  close(roomId?: string): void;
  /** Send a frame on the session's socket; false when there is none or it is down. */
  send(frame: ClientFrame): boolean;
  voteSkip(): void;
  like(): void;
  volume: number;
  setVolume(volume: number): void;
  muted: boolean;
  setMuted(muted: boolean): void;
}

const ListeningContext = createContext<Listening | null>(null);
const AudioContext = createContext<AudioStatus | null>(null);

/** The session, or null outside a <ListeningProvider>. */
export function useListeningOptional(): Listening | null {
  return useContext(ListeningContext);
}

export function useListening(): Listening {
  const listening = useContext(ListeningContext);
  if (!listening) throw new Error("useListening outside <ListeningProvider>");
  return listening;
}

const SILENT: AudioStatus = {
  positionMs: 0,
  blocked: false,
  clockReady: false,
  audioUrl: null,
  engine: null,
  engineStatus: null,
  spotify: null,
  tapToListen: () => {},
};

export function useAudioStatus(): AudioStatus {
  return useContext(AudioContext) ?? SILENT;
}

type State = { roomId: string; room: RoomSummary; socket: RoomSocket; live: LiveRoom } | null;
type Action =
  | { type: "open"; room: RoomSummary; socket: RoomSocket }
  | { type: "room"; room: RoomSummary }
  | { type: "close" }
  | { type: "live"; socket: RoomSocket; action: LiveAction };

function reducer(state: State, action: Action): State {
  switch (action.type) {
    case "open":
      return { roomId: action.room.id, room: action.room, socket: action.socket, live: initialLive };
    case "room":
      return state && state.roomId === action.room.id ? { ...state, room: action.room } : state;
    case "close":
      return null;
    case "live":
      // Frames of a socket that is no longer the session's are old news.
      if (!state || state.socket !== action.socket) return state;
      return { ...state, live: liveReducer(state.live, action.action) };
  }
}

const IDLE_CLOCK = new ClockSync();
const idleNow = () => 0;

export interface ListeningProviderProps {
  children: ReactNode;
  /** how often the audio re-checks drift (ms) */
  tickMs?: number;
}

export function ListeningProvider({ children, tickMs }: ListeningProviderProps) {
  const api = useApi();
  const { tokens } = useAuth();
  const [state, dispatch] = useReducer(reducer, null);
  // What open() decides with: the state of this render may be behind a dispatch of the same tick.
  const current = useRef<{ roomId: string; socket: RoomSocket; ended: boolean } | null>(null);
  const { volume, setVolume, muted, setMuted } = useVolume();

  const stopCurrent = useCallback(() => {
    const was = current.current;
    current.current = null;
    if (was) was.socket.stop();
  }, []);

  const open = useCallback(
    (room: RoomSummary) => {
      const now = current.current;
      if (now && now.roomId === room.id && !now.ended) {
        dispatch({ type: "room", room });
        return;
      }
      stopCurrent();
      const socket = new RoomSocket({ roomId: room.id, getTicket: async () => (await api.wsTicket()).ticket });
      const entry = { roomId: room.id, socket, ended: false };
      current.current = entry;
      dispatch({ type: "open", room, socket });
      socket.subscribe((event) => {
        dispatch({ type: "live", socket, action: { type: "frame", event } });
        if (event.type === "error" && event.code in ENDING_CODES) entry.ended = true;
      });
      socket.onStatus((status) => {
        dispatch({ type: "live", socket, action: { type: "status", status } });
        if (status.state === "closed" && status.reason !== "stopped") entry.ended = true;
      });
    },
    [api, stopCurrent],
  );

  const close = useCallback(
    (roomId?: string) => {
      if (roomId !== undefined && current.current?.roomId !== roomId) return;
      stopCurrent();
      dispatch({ type: "close" });
    },
    [stopCurrent],
  );

  // Start the socket after the pages' listeners are on (children's effects run first).
  const socket = state?.socket ?? null;
  useEffect(() => {
    socket?.start();
  }, [socket]);

  // Sign-out ends the session; so does the provider going away.
  const signedIn = tokens !== null;
  useEffect(() => {
    if (!signedIn) close();
  }, [signedIn, close]);
  useEffect(
    () => () => {
      stopCurrent();
      dispatch({ type: "close" });
    },
    [stopCurrent],
  );

  const live = state?.live ?? null;
  const ended = live?.ended != null;
  const send = useCallback((frame: ClientFrame) => socket?.send(frame) ?? false, [socket]);
  const playback = live?.playback ?? null;

  const voteSkip = useCallback(() => {
    if (!socket || !playback?.track) return;
    if (socket.send({ type: "playback.vote_skip", version: playback.version })) dispatch({ type: "live", socket, action: { type: "voted" } });
  }, [socket, playback]);
  const like = useCallback(() => {
    if (!socket || !playback?.track) return;
    if (socket.send({ type: "reaction", kind: "like", version: playback.version })) dispatch({ type: "live", socket, action: { type: "liked" } });
  }, [socket, playback]);

  const spotify = useSpotifyAccess(ended ? null : playback?.track, state?.roomId ?? null);
  const audio = useSyncedPlayer({
    state: ended ? null : playback,
    clock: socket?.clock ?? IDLE_CLOCK,
    now: socket?.now ?? idleNow,
    send,
    tickMs,
    volume,
    muted,
    spotify,
  });

  const session = useMemo<ListeningSession | null>(
    () => (state ? { ...state.live, roomId: state.roomId, room: state.room, socket: state.socket } : null),
    [state],
  );
  const value = useMemo<Listening>(
    () => ({ session, open, close, send, voteSkip, like, volume, setVolume, muted, setMuted }),
    [session, open, close, send, voteSkip, like, volume, setVolume, muted, setMuted],
  );
  const { positionMs, blocked, clockReady, audioUrl, engine, engineStatus, tapToListen } = audio;
  const audioStatus = useMemo<AudioStatus>(
    () => ({ positionMs, blocked, clockReady, audioUrl, engine, engineStatus, spotify, tapToListen }),
    [positionMs, blocked, clockReady, audioUrl, engine, engineStatus, spotify, tapToListen],
  );

  return (
    <ListeningContext.Provider value={value}>
      <AudioContext.Provider value={audioStatus}>
        {children}
        {ended ? null : audio.element}
      </AudioContext.Provider>
    </ListeningContext.Provider>
  );
}

const ENDING_CODES = { banned: 1, removed: 1, left: 1, room_closed: 1 };
