import { useEffect, useLayoutEffect, useRef } from "react";

import type { ServerEvent } from "../../realtime/events";
import type { RoomSocket } from "../../realtime/roomSocket";

/**
 * The room socket itself belongs to the listening session (features/player/ListeningProvider),
 * which outlives the room page. A page listens with {@link useSocketEvents}; the socket starts
 * after every listener of the page is on ({@link useStartSocket}, called last: children's
 * effects run before their parent's, and a component's effects run in order).
 */
export function useStartSocket(socket: RoomSocket | null): void {
  useEffect(() => {
    socket?.start();
  }, [socket]);
}

/** Calls `handler` for every frame of `socket` (the latest handler, without resubscribing). */
export function useSocketEvents(socket: RoomSocket | null, handler: (event: ServerEvent) => void): void {
  const ref = useRef(handler);
  useLayoutEffect(() => {
    ref.current = handler;
  });
  useEffect(() => {
    if (!socket) return;
    return socket.subscribe((event) => ref.current(event));
  }, [socket]);
}
