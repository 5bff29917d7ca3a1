import { useInfiniteQuery, useMutation } from "@tanstack/react-query";
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

import { errorMessage } from "../../api/client";
import { limits } from "../../api/limits";
import type { Message, UserBrief } from "../../api/types";
import { useApi } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Button, ErrorNote, Spinner } from "../../components/ui";
import type { ServerEvent } from "../../realtime/events";
import type { RoomSocket } from "../../realtime/roomSocket";
import { useSocketEvents } from "../room/useRoomSocket";
import { ChatMessage } from "./ChatMessage";
import { MentionSuggestions, mentionQuery, useMentionSuggestions } from "./MentionSuggestions";
import { memberIndex, mentionsOf } from "./richText";

const PAGE = 30;
const MAX_LENGTH = limits.MessageCreateRequest.text.maxLength;
/** The counter shows once this many characters or fewer remain. */
const COUNTER_FROM = 200;
/** A message the server has not echoed by then is shown as not sent (with Retry). */
export const SEND_TIMEOUT_MS = 10_000;

interface Pending {
  clientMsgId: string;
  text: string;
  created_at: string;
  state: "sending" | "failed";
  sentAt: number;
  failure?: string;
}

function newClientMsgId(): string {
  return typeof crypto !== "undefined" && "randomUUID" in crypto
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** Characters as the server counts them (code points, not UTF-16 units). */
function length(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

type ErrorEvent = Extract<ServerEvent, { type: "error" }>;
const CHAT_REFUSALS = new Set(["rate_limited", "invalid", "blank", "max_length", "too_large"]);

/** Whether an error frame answers a chat.message this page sent. */
function answersChatMessage(event: ErrorEvent): boolean {
  if (event.in_reply_to !== undefined) return event.in_reply_to === "chat.message";
  // Older servers did not say; the socket itself retries its refused resyncs.
  return event.client_msg_id != null || CHAT_REFUSALS.has(event.code);
}

/**
 * The room's chat: history pages from GET /chat/{id} (newest first, `before_timestamp`
 * for older pages), live messages and resyncs from the socket, sending over the socket
 * (REST when it is down) with a client_msg_id so a retry never posts twice. A message the
 * server refuses, or does not echo within {@link SEND_TIMEOUT_MS}, is marked "Not sent"
 * with a Retry button that sends it again under the same client_msg_id.
 */
export function ChatPanel({
  roomId,
  socket,
  me,
  canSend = me !== null,
  closedNote,
  canModerate,
  members = [],
  className = "h-[32rem] lg:h-[calc(100vh-10rem)]",
}: {
  roomId: string;
  socket: RoomSocket | null;
  /** the viewer (their own messages and mentions), null when signed out or not a member */
  me: UserBrief | null;
  /** false: the box is disabled (not a member, banned, room closed) */
  canSend?: boolean;
  /** the placeholder of a disabled box */
  closedNote?: string;
  canModerate: boolean;
  /** the room members' usernames: `@name` of one of them is a mention */
  members?: readonly string[];
  className?: string;
}) {
  const api = useApi();
  const [live, setLive] = useState<Map<number, Message>>(() => new Map());
  const [deleted, setDeleted] = useState<Set<number>>(() => new Set());
  const [pending, setPending] = useState<Pending[]>([]);
  const [text, setText] = useState("");
  const [notice, setNotice] = useState<{ text: string; until: number | null } | null>(null);
  const [caret, setCaret] = useState(0);
  const listRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const stickToBottom = useRef(true);

  const index = useMemo(() => memberIndex(me ? [...members, me.username] : members), [members, me]);

  const history = useInfiniteQuery({
    queryKey: keys.chat(roomId),
    queryFn: ({ pageParam }) => api.chatHistory(roomId, { limit: PAGE, before_timestamp: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => (last.length < PAGE ? undefined : last[last.length - 1]?.created_at),
    staleTime: Infinity,
    gcTime: 0,
  });

  // The newest message REST gave us: a reconnect resyncs from there.
  useEffect(() => {
    const newest = history.data?.pages[0]?.[0];
    if (newest && socket) socket.noteMessageId(newest.id);
  }, [history.data, socket]);

  const addLive = (messages: Message[]) => {
    if (messages.length === 0) return;
    setLive((current) => {
      const next = new Map(current);
      for (const message of messages) next.set(message.id, message);
      return next;
    });
    const ids = new Set(messages.map((m) => m.client_msg_id).filter(Boolean));
    if (ids.size) setPending((current) => current.filter((p) => !ids.has(p.clientMsgId)));
  };

  const fail = (clientMsgId: string | null | undefined, failure?: string) =>
    setPending((current) => {
      // The frame names the message; from an older server, the oldest one still in flight.
      const i = clientMsgId ? current.findIndex((p) => p.clientMsgId === clientMsgId) : current.findIndex((p) => p.state === "sending");
      const target = current[i];
      if (!target) return current;
      const next = [...current];
      next[i] = { ...target, state: "failed", failure };
      return next;
    });

  useSocketEvents(socket, (event) => {
    if (event.type === "chat.message") {
      const { type: _type, ...message } = event;
      addLive([message]);
    } else if (event.type === "chat.history") {
      addLive(event.messages);
    } else if (event.type === "chat.deleted") {
      setDeleted((current) => new Set(current).add(event.id));
    } else if (event.type === "error" && answersChatMessage(event)) {
      if (event.code === "rate_limited") {
        const wait = event.retry_after === undefined ? null : Math.max(1, Math.ceil(event.retry_after));
        fail(event.client_msg_id);
        setNotice({
          text: wait === null ? event.detail : `Slow down — you can send again in ${wait} s.`,
          until: wait === null ? null : Date.now() + wait * 1000,
        });
      } else {
        fail(event.client_msg_id, event.detail);
      }
    }
  });

  // The rate-limit notice goes once the wait is over.
  useEffect(() => {
    if (notice?.until == null) return;
    const timer = setTimeout(() => setNotice(null), Math.max(0, notice.until - Date.now()));
    return () => clearTimeout(timer);
  }, [notice]);

  // Nothing stays "sending…" for ever: no echo in time → not sent.
  useEffect(() => {
    const sending = pending.filter((p) => p.state === "sending");
    if (sending.length === 0) return;
    const due = Math.min(...sending.map((p) => p.sentAt)) + SEND_TIMEOUT_MS;
    const timer = setTimeout(() => {
      const now = Date.now();
      setPending((current) =>
        current.map((p) =>
          p.state === "sending" && now - p.sentAt >= SEND_TIMEOUT_MS - 50 ? { ...p, state: "failed", failure: "No answer from the server." } : p,
        ),
      );
    }, Math.max(0, due - Date.now()));
    return () => clearTimeout(timer);
  }, [pending]);

  const messages = useMemo(() => {
    const all = new Map<number, Message>();
    for (const page of history.data?.pages ?? []) for (const message of page) all.set(message.id, message);
    for (const [id, message] of live) all.set(id, message);
    return [...all.values()].filter((m) => !deleted.has(m.id)).sort((a, b) => a.id - b.id);
  }, [history.data, live, deleted]);

  // Follow new messages while the reader is at the bottom; keep the place when paging up.
  useLayoutEffect(() => {
    const list = listRef.current;
    if (list && stickToBottom.current) list.scrollTop = list.scrollHeight;
  }, [messages.length, pending.length]);

  const rest = useMutation({
    mutationFn: (p: Pending) => api.chatSend(roomId, p.text, p.clientMsgId),
    onSuccess: (message) => addLive([message]),
    onError: (error, p) => fail(p.clientMsgId, errorMessage(error)),
  });

  const deliver = (p: Pending) => {
    const sent = socket?.send({ type: "chat.message", text: p.text, client_msg_id: p.clientMsgId }) ?? false;
    if (!sent) rest.mutate(p);
  };

  const body = text.trim();
  const count = length(body);
  const remaining = MAX_LENGTH - count;
  const tooLong = remaining < 0;
  const sendable = canSend && body.length > 0 && !tooLong;

  const send = (event?: FormEvent) => {
    event?.preventDefault();
    if (!sendable) return;
    const p: Pending = { clientMsgId: newClientMsgId(), text: body, created_at: new Date().toISOString(), state: "sending", sentAt: Date.now() };
    setPending((current) => [...current, p]);
    setText("");
    setCaret(0);
    stickToBottom.current = true;
    deliver(p);
  };

  const retry = (clientMsgId: string) => {
    const p = pending.find((x) => x.clientMsgId === clientMsgId);
    if (!p || !canSend) return;
    const again: Pending = { ...p, state: "sending", sentAt: Date.now(), failure: undefined };
    setPending((current) => current.map((x) => (x.clientMsgId === clientMsgId ? again : x)));
    deliver(again);
  };

  const query = mentionQuery(text, caret);
  const suggestions = useMentionSuggestions(query, members, me?.username);

  const choose = (username: string) => {
    if (!query) return;
    const next = `${text.slice(0, query.start)}@${username} ${text.slice(caret)}`;
    const at = query.start + username.length + 2;
    setText(next);
    setCaret(at);
    requestAnimationFrame(() => {
      inputRef.current?.focus();
      inputRef.current?.setSelectionRange(at, at);
    });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (suggestions.onKeyDown(event, choose)) return;
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };

  const remove = useMutation({ mutationFn: (id: number) => api.chatDelete(roomId, id), onSuccess: (_r, id) => setDeleted((c) => new Set(c).add(id)) });
  const mentionsMe = (message: Pick<Message, "text" | "user">) => !!me && message.user.id !== me.id && mentionsOf(message.text, index).has(me.username);

  return (
    <section aria-labelledby="chat-heading" className={`flex min-w-0 flex-col rounded-2xl bg-zinc-900/70 ring-1 ring-zinc-800 ${className}`}>
      <h2 id="chat-heading" className="border-b border-zinc-800 px-4 py-3 text-sm font-semibold text-zinc-200 max-lg:sr-only">
        Chat
      </h2>
      <div
        ref={listRef}
        className="relative min-h-0 flex-1 overflow-y-auto overflow-x-hidden px-3 sm:px-4"
        onScroll={(event) => {
          const el = event.currentTarget;
          stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {history.hasNextPage ? (
          <div className="py-2 text-center">
            <Button size="sm" variant="ghost" onClick={() => void history.fetchNextPage()} disabled={history.isFetchingNextPage}>
              {history.isFetchingNextPage ? "Loading…" : "Load older messages"}
            </Button>
          </div>
        ) : null}
        {history.isPending ? <Spinner label="Loading chat…" /> : null}
        {history.isError && !history.data ? <ErrorNote error={history.error} /> : null}
        {!history.isPending && messages.length === 0 && pending.length === 0 ? (
          <p className="py-6 text-center text-sm text-zinc-400">No messages yet. Say hello!</p>
        ) : null}
        <ol aria-label="Messages" aria-live="polite" className="pb-2">
          {messages.map((message) => (
            <ChatMessage
              key={message.id}
              message={message}
              mine={message.user.id === me?.id}
              members={index}
              mentionsMe={mentionsMe(message)}
              onDelete={canModerate && canSend ? () => remove.mutate(message.id) : undefined}
            />
          ))}
          {me
            ? pending.map((p) => (
                <ChatMessage
                  key={p.clientMsgId}
                  message={{ id: -1, user: me, text: p.text, created_at: p.created_at }}
                  mine
                  members={index}
                  delivery={p.state}
                  failure={p.failure}
                  onRetry={canSend ? () => retry(p.clientMsgId) : undefined}
                />
              ))
            : null}
        </ol>
      </div>
      <form onSubmit={send} className="relative space-y-2 border-t border-zinc-800 p-2 sm:p-3">
        {notice ? (
          <p role="status" className="rounded-lg bg-amber-950/50 px-3 py-1.5 text-sm text-amber-200 ring-1 ring-amber-900">
            {notice.text}
          </p>
        ) : null}
        {remove.error ? <ErrorNote>{errorMessage(remove.error)}</ErrorNote> : null}
        {canSend && suggestions.items.length ? <MentionSuggestions state={suggestions} onChoose={choose} /> : null}
        <div className="flex items-end gap-2">
          <label htmlFor="chat-input" className="sr-only">
            Message
          </label>
          <textarea
            id="chat-input"
            ref={inputRef}
            rows={1}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              setCaret(e.target.selectionStart ?? e.target.value.length);
            }}
            onSelect={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
            onKeyDown={onKeyDown}
            placeholder={canSend ? "Say something…" : (closedNote ?? "Join the room to chat")}
            disabled={!canSend}
            aria-invalid={tooLong || undefined}
            aria-describedby={remaining <= COUNTER_FROM ? "chat-counter" : undefined}
            aria-autocomplete={canSend ? "list" : undefined}
            aria-controls={canSend && suggestions.items.length ? suggestions.listId : undefined}
            aria-activedescendant={canSend && suggestions.items.length ? suggestions.activeId : undefined}
            className="max-h-32 min-h-10 min-w-0 flex-1 resize-y rounded-lg bg-zinc-950 px-3 py-2 text-sm text-zinc-100 ring-1 ring-inset ring-zinc-700 placeholder:text-zinc-400 focus:outline-none focus:ring-2 focus:ring-violet-400 disabled:cursor-not-allowed disabled:opacity-60 aria-invalid:ring-rose-500"
          />
          <Button type="submit" variant="primary" className="min-h-10" disabled={!sendable}>
            Send
          </Button>
        </div>
        {remaining <= COUNTER_FROM ? (
          <p id="chat-counter" data-testid="chat-counter" className={`text-right text-xs tabular-nums ${tooLong ? "font-medium text-rose-300" : "text-zinc-400"}`}>
            {tooLong ? `${-remaining} ${-remaining === 1 ? "character" : "characters"} too many` : `${remaining} ${remaining === 1 ? "character" : "characters"} left`}
          </p>
        ) : null}
      </form>
    </section>
  );
}
