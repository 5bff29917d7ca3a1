import { useEffect, useLayoutEffect, useRef, useState } from "react";

import { useApi } from "../../app/context";
import type { ServerEvent } from "../../realtime/events";
import { RoomSocket, type SocketStatus } from "../../realtime/roomSocket";

/**
 * One RoomSocket per room page while `enabled` (the person is a member). It is created
 * here but not started: call {@link useStartSocket} after every `useSocketEvents` of the
 * page, so no frame arrives before its listeners (children's effects run before their
 * parent's, and a component's effects run in order).
 */
export function useRoomSocket(roomId: string, enabled: boolean): { socket: RoomSocket | null; status: SocketStatus } {
  const api = useApi();
  const [socket, setSocket] = useState<RoomSocket | null>(null);
  const [status, setStatus] = useState<SocketStatus>({ state: "idle" });

  useEffect(() => {
    if (!enabled) return;
    const created = new RoomSocket({ roomId, getTicket: async () => (await api.wsTicket()).ticket });
    setSocket(created);
    const off = created.onStatus(setStatus);
    return () => {
      off();
      created.stop();
      setSocket(null);
      setStatus({ state: "idle" });
    };
  }, [api, roomId, enabled]);

  return { socket, status };
}

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
