import { useEffect } from "react";
import { Link } from "react-router";

import { notificationLink, useNotifications } from "./useNotifications";

export function NotificationBell() {
  const { unread } = useNotifications();
  return (
    <Link
      to="/notifications"
      className="relative inline-flex h-9 w-9 items-center justify-center rounded-full text-zinc-300 hover:bg-zinc-800 hover:text-white focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-violet-400"
      aria-label={unread ? `Notifications, ${unread} unread` : "Notifications"}
    >
      <svg viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden>
        <path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9" strokeLinecap="round" strokeLinejoin="round" />
        <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" strokeLinecap="round" />
      </svg>
      {unread > 0 ? (
        <span className="absolute -right-0.5 -top-0.5 min-w-[1.1rem] rounded-full bg-rose-500 px-1 text-center text-[10px] font-bold leading-[1.1rem] text-white" data-testid="unread-count">
          {unread > 99 ? "99+" : unread}
        </span>
      ) : null}
    </Link>
  );
}

/** A short-lived toast for a notification that just arrived. */
export function NotificationToast() {
  const { latest, dismissLatest } = useNotifications();
  useEffect(() => {
    if (!latest) return;
    const timer = setTimeout(dismissLatest, 6000);
    return () => clearTimeout(timer);
  }, [latest, dismissLatest]);
  if (!latest) return null;
  const link = notificationLink(latest);
  return (
    <div role="status" className="fixed bottom-4 left-4 right-4 z-50 ml-auto max-w-sm rounded-xl [overflow-wrap:anywhere] bg-zinc-800 p-4 text-sm text-zinc-100 shadow-xl ring-1 ring-zinc-700">
      <p>{latest.text}</p>
      <div className="mt-2 flex gap-3 text-xs">
        {link ? (
          <Link to={link} className="inline-flex min-h-6 items-center text-violet-300 underline underline-offset-2" onClick={dismissLatest}>
            Open
          </Link>
        ) : null}
        <button type="button" className="inline-flex min-h-6 items-center px-1 text-zinc-300 hover:text-white" onClick={dismissLatest}>
          Dismiss
        </button>
      </div>
    </div>
  );
}
