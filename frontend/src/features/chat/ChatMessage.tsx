import type { Message } from "../../api/types";
import { Avatar, displayName, formatWhen } from "../../components/ui";

/**
 * One chat line. The text is rendered as a React text node — escaped, never parsed as
 * HTML (no dangerouslySetInnerHTML anywhere in the app): `<b>hi</b>` shows as typed.
 */
export function ChatMessage({
  message,
  mine,
  pending = false,
  onDelete,
}: {
  message: Pick<Message, "id" | "user" | "text" | "created_at">;
  mine: boolean;
  pending?: boolean;
  onDelete?: () => void;
}) {
  return (
    <li className={`group flex gap-2.5 py-1.5 ${pending ? "opacity-60" : ""}`} data-message-id={message.id}>
      <Avatar user={message.user} size={8} />
      <div className="min-w-0 flex-1">
        <p className="flex items-baseline gap-2 text-xs">
          <span className={`font-semibold ${mine ? "text-violet-300" : "text-zinc-200"}`}>{displayName(message.user)}</span>
          <time className="text-zinc-500" dateTime={message.created_at}>
            {pending ? "sending…" : formatWhen(message.created_at)}
          </time>
          {onDelete ? (
            <button
              type="button"
              onClick={onDelete}
              className="ml-auto text-zinc-500 opacity-0 hover:text-rose-300 focus:opacity-100 group-hover:opacity-100"
              aria-label="Delete message"
            >
              Delete
            </button>
          ) : null}
        </p>
        <p className="whitespace-pre-wrap break-words text-sm text-zinc-100">{message.text}</p>
      </div>
    </li>
  );
}
