import { useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

import type { Notification } from "../../api/types";
import { useApi, useAuth } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { NotificationSocket } from "../../realtime/notificationSocket";

interface NotificationsState {
  unread: number;
  latest: Notification | null;
  /** a notification was read or deleted here (the socket only reports new ones) */
  adjustUnread(delta: number): void;
  dismissLatest(): void;
}

const Ctx = createContext<NotificationsState>({ unread: 0, latest: null, adjustUnread: () => {}, dismissLatest: () => {} });

/** Keeps /ws/notifications/ open while signed in: the unread count and a toast for new ones. */
export function NotificationsProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const { userId } = useAuth();
  const queryClient = useQueryClient();
  const [unread, setUnread] = useState(0);
  const [latest, setLatest] = useState<Notification | null>(null);

  useEffect(() => {
    if (!userId) return;
    const socket = new NotificationSocket({
      getTicket: async () => (await api.wsTicket()).ticket,
      onEvent: (event) => {
        setUnread(event.unread_count);
        if (event.type === "notification.created") {
          setLatest(event.notification);
          void queryClient.invalidateQueries({ queryKey: keys.notifications });
          if (event.notification.kind === "friend_request" || event.notification.kind === "friend_accepted") {
            void queryClient.invalidateQueries({ queryKey: keys.friends });
          }
        }
      },
    });
    socket.start();
    return () => {
      socket.stop();
      setUnread(0);
    };
  }, [api, userId, queryClient]);

  const adjustUnread = useCallback((delta: number) => setUnread((n) => Math.max(0, n + delta)), []);
  const dismissLatest = useCallback(() => setLatest(null), []);
  const value = useMemo(() => ({ unread, latest, adjustUnread, dismissLatest }), [unread, latest, adjustUnread, dismissLatest]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useNotifications(): NotificationsState {
  return useContext(Ctx);
}

/** Where a notification leads. */
export function notificationLink(n: Notification): string | null {
  const data = (n.data ?? {}) as Record<string, unknown>;
  if (n.kind === "friend_request" || n.kind === "friend_accepted") return "/friends";
  if (typeof data.room_id === "string" && n.kind !== "banned") return `/rooms/${data.room_id}`;
  return null;
}
