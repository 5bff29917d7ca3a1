import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";

import type { Notification } from "../../api/types";
import { useApi } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Button, EmptyState, ErrorNote, formatWhen, PageTitle, Spinner } from "../../components/ui";
import { notificationLink, useNotifications } from "./useNotifications";

const PAGE = 20;

export function NotificationsPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const { adjustUnread } = useNotifications();
  const [page, setPage] = useState(0);
  // Accept/Decline only while the request still waits: it may have been answered on the
  // Friends page or in another tab since the notification arrived.
  const received = useQuery({
    queryKey: keys.receivedRequests,
    queryFn: () => api.receivedRequests(),
    staleTime: 0,
    refetchOnWindowFocus: true,
  });
  const pendingIds = new Set((received.data ?? []).filter((f) => f.status === "pending").map((f) => f.id));
  const list = useQuery({
    queryKey: [...keys.notifications, page],
    queryFn: () => api.notifications({ limit: PAGE, offset: page * PAGE }),
    placeholderData: keepPreviousData,
  });
  const patch = (id: string, change: (n: Notification) => Notification | null) =>
    queryClient.setQueryData<Notification[]>([...keys.notifications, page], (items) =>
      items?.flatMap((n) => {
        if (n.id !== id) return [n];
        const next = change(n);
        return next ? [next] : [];
      }),
    );
  const markRead = useMutation({
    mutationFn: (n: Notification) => api.markNotificationRead(n.id),
    onSuccess: (updated, n) => {
      if (!n.is_read) adjustUnread(-1);
      patch(n.id, () => updated);
    },
  });
  const answer = useMutation({
    mutationFn: ({ n, accept }: { n: Notification; accept: boolean }) => {
      const id = String((n.data as Record<string, unknown> | null)?.friendship_id ?? "");
      return accept ? api.acceptFriendRequest(id) : api.declineFriendRequest(id);
    },
    onSuccess: (_r, { n }) => {
      void queryClient.invalidateQueries({ queryKey: keys.friends });
      if (!n.is_read) markRead.mutate(n);
    },
    // Answered elsewhere meanwhile (404/409): the fresh list hides the buttons.
    onError: () => void queryClient.invalidateQueries({ queryKey: keys.friends }),
  });
  const remove = useMutation({
    mutationFn: (n: Notification) => api.deleteNotification(n.id),
    onSuccess: (_r, n) => {
      if (!n.is_read) adjustUnread(-1);
      patch(n.id, () => null);
    },
  });

  return (
    <div className="mx-auto max-w-2xl">
      <PageTitle>Notifications</PageTitle>
      {list.isPending ? <Spinner /> : null}
      <ErrorNote error={list.error ?? markRead.error ?? remove.error ?? answer.error} />
      {list.data && list.data.length === 0 && page === 0 ? <EmptyState title="No notifications.">Friend requests, invites and room news show up here.</EmptyState> : null}
      <ul className="space-y-2">
        {list.data?.map((n) => {
          const link = notificationLink(n);
          return (
            <li key={n.id} className={`flex flex-wrap items-start gap-3 rounded-xl p-3 ring-1 ${n.is_read ? "bg-zinc-900/40 ring-zinc-800" : "bg-violet-950/40 ring-violet-800/60"}`}>
              {!n.is_read ? <span className="mt-1.5 h-2 w-2 shrink-0 rounded-full bg-violet-400" aria-hidden /> : null}
              <div className="min-w-0 flex-1">
                <p className="text-sm text-zinc-100 [overflow-wrap:anywhere]">
                  {!n.is_read ? <span className="sr-only">Unread: </span> : null}
                  {n.text}
                </p>
                <p className="text-xs text-zinc-400">
                  <time dateTime={n.created_at}>{formatWhen(n.created_at)}</time>
                  {link ? (
                    <>
                      {" · "}
                      <Link className="inline-flex min-h-6 items-center text-violet-300 underline underline-offset-2 hover:text-violet-200" to={link} onClick={() => !n.is_read && markRead.mutate(n)}>
                        Open
                      </Link>
                    </>
                  ) : null}
                </p>
              </div>
              <div className="ml-auto flex flex-wrap gap-1">
                {isOpenRequest(n, pendingIds) ? (
                  <>
                    <Button size="sm" variant="primary" onClick={() => answer.mutate({ n, accept: true })} disabled={answer.isPending}>
                      Accept
                    </Button>
                    <Button size="sm" variant="ghost" onClick={() => answer.mutate({ n, accept: false })} disabled={answer.isPending}>
                      Decline
                    </Button>
                  </>
                ) : null}
                {!n.is_read ? (
                  <Button size="sm" variant="ghost" onClick={() => markRead.mutate(n)}>
                    Mark read
                  </Button>
                ) : null}
                <Button size="sm" variant="ghost" onClick={() => remove.mutate(n)} aria-label="Delete notification">
                  Delete
                </Button>
              </div>
            </li>
          );
        })}
      </ul>
      <nav className="mt-4 flex justify-between" aria-label="Pages">
        <Button disabled={page === 0} onClick={() => setPage((p) => p - 1)}>
          ← Newer
        </Button>
        <Button disabled={!list.data || list.data.length < PAGE} onClick={() => setPage((p) => p + 1)}>
          Older →
        </Button>
      </nav>
    </div>
  );
}

/** A friend request notification whose request still waits for an answer. */
function isOpenRequest(n: Notification, pendingIds: Set<string>): boolean {
  if (n.kind !== "friend_request") return false;
  const data = (n.data ?? {}) as Record<string, unknown>;
  if (typeof data.status === "string" && data.status !== "pending") return false;
  return pendingIds.has(String(data.friendship_id ?? ""));
}
