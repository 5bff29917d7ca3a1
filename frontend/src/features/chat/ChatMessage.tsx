import type { Message } from "../../api/types";
import { Avatar, displayName, formatWhen } from "../../components/ui";
import { richText } from "./richText";

export type DeliveryState = "sent" | "sending" | "failed";

/**
 * One chat line. The text becomes React nodes (richText): text nodes, http(s) links and
 * member mentions — never parsed as HTML (no dangerouslySetInnerHTML anywhere in the app):
 * `<b>hi</b>` shows as typed. A line that mentions the viewer is highlighted.
 */
export function ChatMessage({
  message,
  mine,
  delivery = "sent",
  members,
  mentionsMe = false,
  failure,
  onDelete,
  onRetry,
}: {
  message: Pick<Message, "id" | "user" | "text" | "created_at">;
  mine: boolean;
  delivery?: DeliveryState;
  /** lower-cased username → username of the room's members (mentions of others stay text) */
  members?: ReadonlyMap<string, string>;
  mentionsMe?: boolean;
  /** why a failed message was not sent */
  failure?: string;
  onDelete?: () => void;
  onRetry?: () => void;
}) {
  const tone = mentionsMe ? "rounded-lg bg-amber-400/10 px-2 ring-1 ring-amber-400/40" : "";
  return (
    <li
      className={`group flex min-w-0 gap-2.5 py-1.5 ${delivery === "sending" ? "opacity-70" : ""} ${tone}`}
      data-message-id={message.id}
      data-mentions-me={mentionsMe ? "true" : undefined}
      data-delivery={delivery}
    >
      <Avatar user={message.user} size={8} />
      <div className="min-w-0 flex-1">
        <p className="flex min-w-0 items-center gap-2 text-xs">
          <span className={`min-w-0 truncate font-semibold ${mine ? "text-violet-300" : "text-zinc-200"}`}>{displayName(message.user)}</span>
          {delivery === "failed" ? (
            <span className="shrink-0 font-medium text-rose-300">Not sent</span>
          ) : (
            <time className="shrink-0 text-zinc-400" dateTime={message.created_at}>
              {delivery === "sending" ? "sending…" : formatWhen(message.created_at)}
            </time>
          )}
          {mentionsMe ? <span className="sr-only">(mentions you)</span> : null}
          {onDelete ? (
            <button
              type="button"
              onClick={onDelete}
              className="ml-auto inline-flex min-h-6 min-w-6 shrink-0 items-center rounded px-2 text-zinc-300 hover:bg-rose-950/60 hover:text-rose-200 focus-visible:opacity-100 focus-visible:outline-2 focus-visible:outline-violet-400 group-focus-within:opacity-100 group-hover:opacity-100 [@media(hover:hover)_and_(pointer:fine)]:opacity-0"
              aria-label="Delete message"
            >
              Delete
            </button>
          ) : null}
        </p>
        <p className="whitespace-pre-wrap text-sm text-zinc-100 [overflow-wrap:anywhere]">{richText(message.text, members)}</p>
        {delivery === "failed" ? (
          <div className="mt-1 flex flex-wrap items-center gap-2 text-xs text-rose-200">
            {failure ? <span className="min-w-0 [overflow-wrap:anywhere]">{failure}</span> : null}
            {onRetry ? (
              <button
                type="button"
                onClick={onRetry}
                className="inline-flex min-h-6 items-center rounded bg-zinc-800 px-2.5 font-medium text-zinc-100 ring-1 ring-zinc-600 hover:bg-zinc-700 focus-visible:outline-2 focus-visible:outline-violet-400"
              >
                Retry
              </button>
            ) : null}
          </div>
        ) : null}
      </div>
    </li>
  );
}
