import { useInfiniteQuery, useMutation } from "@tanstack/react-query";
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

import { errorMessage } from "../../api/client";
import type { Message, UserBrief } from "../../api/types";
import { useApi } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Button, ErrorNote, Spinner } from "../../components/ui";
import type { RoomSocket } from "../../realtime/roomSocket";
import { useSocketEvents } from "../room/useRoomSocket";
import { ChatMessage } from "./ChatMessage";

const PAGE = 30;
const MAX_LENGTH = 2000;

interface Pending {
  clientMsgId: string;
  text: string;
  created_at: string;
}

function newClientMsgId(): string {
  return typeof crypto !== "undefined" && "randomUUID" in crypto
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * The room's chat: history pages from GET /chat/{id} (newest first, `before_timestamp`
 * for older pages), live messages and resyncs from the socket, sending over the socket
 * (REST when it is down) with a client_msg_id so a retry never posts twice.
 */
export function ChatPanel({ roomId, socket, me, canModerate }: { roomId: string; socket: RoomSocket | null; me: UserBrief | null; canModerate: boolean }) {
  const api = useApi();
  const [live, setLive] = useState<Map<number, Message>>(() => new Map());
  const [deleted, setDeleted] = useState<Set<number>>(() => new Set());
  const [pending, setPending] = useState<Pending[]>([]);
  const [text, setText] = useState("");
  const [socketError, setSocketError] = useState<string | null>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);

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

  useSocketEvents(socket, (event) => {
    if (event.type === "chat.message") {
      const { type: _type, ...message } = event;
      addLive([message]);
    } else if (event.type === "chat.history") {
      addLive(event.messages);
    } else if (event.type === "chat.deleted") {
      setDeleted((current) => new Set(current).add(event.id));
    } else if (
      event.type === "error" &&
      (event.code === "rate_limited" || event.code === "invalid") &&
      // The socket itself retries refused resyncs; only errors about sent messages concern the reader.
      (event.in_reply_to === undefined || event.in_reply_to === "chat.message")
    ) {
      setSocketError(event.detail + (event.retry_after ? ` (try again in ${Math.ceil(event.retry_after)} s)` : ""));
    }
  });

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
    onError: (_error, p) => setPending((current) => current.filter((x) => x.clientMsgId !== p.clientMsgId)),
  });

  const send = (event?: FormEvent) => {
    event?.preventDefault();
    const body = text.trim();
    if (!body || body.length > MAX_LENGTH) return;
    const p: Pending = { clientMsgId: newClientMsgId(), text: body, created_at: new Date().toISOString() };
    setPending((current) => [...current, p]);
    setText("");
    setSocketError(null);
    stickToBottom.current = true;
    const sent = socket?.send({ type: "chat.message", text: body, client_msg_id: p.clientMsgId }) ?? false;
    if (!sent) rest.mutate(p);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };

  const remove = useMutation({ mutationFn: (id: number) => api.chatDelete(roomId, id), onSuccess: (_r, id) => setDeleted((c) => new Set(c).add(id)) });

  return (
    <section aria-labelledby="chat-heading" className="flex h-[32rem] flex-col rounded-2xl bg-zinc-900/70 ring-1 ring-zinc-800 lg:h-[calc(100vh-10rem)]">
      <h2 id="chat-heading" className="border-b border-zinc-800 px-4 py-3 text-sm font-semibold text-zinc-200">
        Chat
      </h2>
      <div
        ref={listRef}
        className="flex-1 overflow-y-auto px-4"
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
        {history.isError ? <ErrorNote error={history.error} /> : null}
        {!history.isPending && messages.length === 0 && pending.length === 0 ? (
          <p className="py-6 text-center text-sm text-zinc-500">No messages yet. Say hello!</p>
        ) : null}
        <ol aria-label="Messages" aria-live="polite" className="pb-2">
          {messages.map((message) => (
            <ChatMessage
              key={message.id}
              message={message}
              mine={message.user.id === me?.id}
              onDelete={canModerate ? () => remove.mutate(message.id) : undefined}
            />
          ))}
          {me
            ? pending.map((p) => (
                <ChatMessage key={p.clientMsgId} message={{ id: -1, user: me, text: p.text, created_at: p.created_at }} mine pending />
              ))
            : null}
        </ol>
      </div>
      <form onSubmit={send} className="space-y-2 border-t border-zinc-800 p-3">
        {socketError ? <ErrorNote>{socketError}</ErrorNote> : null}
        {rest.error ? <ErrorNote>{errorMessage(rest.error)}</ErrorNote> : null}
        {remove.error ? <ErrorNote>{errorMessage(remove.error)}</ErrorNote> : null}
        <div className="flex items-end gap-2">
          <label htmlFor="chat-input" className="sr-only">
            Message
          </label>
          <textarea
            id="chat-input"
            rows={1}
            maxLength={MAX_LENGTH}
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={onKeyDown}
            placeholder={me ? "Say something…" : "Join the room to chat"}
            disabled={!me}
            className="max-h-32 min-h-[2.5rem] flex-1 resize-y rounded-lg bg-zinc-950 px-3 py-2 text-sm text-zinc-100 ring-1 ring-inset ring-zinc-700 placeholder:text-zinc-500 focus:outline-none focus:ring-2 focus:ring-violet-400"
          />
          <Button type="submit" variant="primary" disabled={!me || !text.trim()}>
            Send
          </Button>
        </div>
      </form>
    </section>
  );
}
