/**
 * The room socket: the one place that talks to /ws/chat/<room_id>.
 *
 * - Each (re)connect asks for a fresh single-use ticket (POST /auth/ws-ticket, 30 s), so
 *   no long-lived token goes into a URL, and an expired session shows up as a failed ticket.
 * - Reconnects with exponential backoff and jitter after anything but a deliberate stop or
 *   a final refusal (4403 banned/not allowed, 4404 no such room; 4401 is retried a few times
 *   with new tickets — the server closes a socket whose credential expired with 4401). A
 *   server process that is busy (4429, after a `busy` frame) is tried again after the delay
 *   it gave, plus up to a fifth more; one shutting down or cut off from the others (4503)
 *   is retried with the backoff like any other drop.
 * - Remembers the last chat message id seen and, on every connection after that, sends
 *   `chat.resync {after_id}` so nothing said while disconnected is lost (docs/realtime.md). An
 *   answer with `complete: false` is one page (the server sends at most 500 messages): the
 *   socket asks again after that page's last id until complete, and waits `retry_after`
 *   when the server's per-socket resync limit answers `rate_limited`.
 * - Feeds `time.ping` round trips into a {@link ClockSync}: a burst once admitted, then one
 *   every 20 s. Samples use the monotonic clock; players must read `clock.serverNow` with
 *   the same clock (`now`).
 * - `subscribe(listener)` gets every server frame; `onStatus(listener)` the connection state.
 */
import { ClockSync } from "../lib/clock";
import { backoffDelay, monotonicNow, socketUrl } from "./backoff";
import type { ClientFrame, ServerEvent } from "./events";

export type SocketStatus =
  | { state: "idle" }
  | { state: "connecting"; attempt: number }
  | { state: "open" }
  | { state: "reconnecting"; attempt: number; delayMs: number }
  | { state: "closed"; code: number; reason: "forbidden" | "not_found" | "unauthenticated" | "stopped" };

/** What RoomSocket needs of a WebSocket (the browser's, or a fake in tests). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = new (url: string) => WebSocketLike;

export interface RoomSocketOptions {
  roomId: string;
  /** a fresh ws-ticket; throw an error with `status: 401` when the session is over */
  getTicket: () => Promise<string>;
  makeUrl?: (roomId: string, ticket: string) => string;
  WebSocket?: WebSocketFactory;
  clock?: ClockSync;
  /** the client clock used for ping samples (monotonic) */
  now?: () => number;
  random?: () => number;
  pingBurst?: number;
  pingBurstGapMs?: number;
  pingIntervalMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** 4401 closes tolerated in a row (each retried with a new ticket) before giving up */
  maxAuthRetries?: number;
}

const OPEN = 1;
export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_NOT_FOUND = 4404;
export const CLOSE_BUSY = 4429;
export const CLOSE_RECONNECT = 4503;

type Timer = ReturnType<typeof setTimeout>;

export class RoomSocket {
  readonly roomId: string;
  readonly clock: ClockSync;
  readonly now: () => number;
  private readonly options: Required<
    Pick<
      RoomSocketOptions,
      "pingBurst" | "pingBurstGapMs" | "pingIntervalMs" | "backoffBaseMs" | "backoffMaxMs" | "maxAuthRetries"
    >
  >;
  private readonly getTicket: () => Promise<string>;
  private readonly makeUrl: (roomId: string, ticket: string) => string;
  private readonly Socket: WebSocketFactory;
  private readonly random: () => number;

  private ws: WebSocketLike | null = null;
  private started = false;
  private stopped = false;
  private attempt = 0;
  private authRetries = 0;
  private admitted = false;
  /** the `busy` frame's delay, for the 4429 close that follows it */
  private busyRetryMs: number | null = null;
  private lastMessageId: number | null = null;
  /** While a resync is paging: the after_id asked for. Live messages can run ahead of it, so a
   * reconnect mid-paging resumes from here, not from the newest id seen. */
  private resyncCursor: number | null = null;
  private resyncTimer: Timer | null = null;
  private reconnectTimer: Timer | null = null;
  private pingTimers: Timer[] = [];
  private pingInterval: ReturnType<typeof setInterval> | null = null;
  private listeners = new Set<(event: ServerEvent) => void>();
  private statusListeners = new Set<(status: SocketStatus) => void>();
  private currentStatus: SocketStatus = { state: "idle" };

  constructor(options: RoomSocketOptions) {
    this.roomId = options.roomId;
    this.getTicket = options.getTicket;
    this.makeUrl = options.makeUrl ?? ((roomId, ticket) => socketUrl(`chat/${roomId}`, ticket));
    this.Socket = options.WebSocket ?? (globalThis.WebSocket as unknown as WebSocketFactory);
    this.clock = options.clock ?? new ClockSync();
    this.now = options.now ?? monotonicNow;
    this.random = options.random ?? Math.random;
    this.options = {
      pingBurst: options.pingBurst ?? 10,
      pingBurstGapMs: options.pingBurstGapMs ?? 100,
      pingIntervalMs: options.pingIntervalMs ?? 20_000,
      backoffBaseMs: options.backoffBaseMs ?? 500,
      backoffMaxMs: options.backoffMaxMs ?? 30_000,
      maxAuthRetries: options.maxAuthRetries ?? 3,
    };
  }

  // --- public API ---------------------------------------------------------------------

  start(): void {
    if (this.started) return;
    this.started = true;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearReconnect();
    this.clearResyncRetry();
    this.stopPings();
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, "bye");
    this.setStatus({ state: "closed", code: 1000, reason: "stopped" });
  }

  /** Every server frame, in order. Returns the unsubscribe function. */
  subscribe(listener: (event: ServerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Connection state changes; the listener is called at once with the current state. */
  onStatus(listener: (status: SocketStatus) => void): () => void {
    this.statusListeners.add(listener);
    listener(this.currentStatus);
    return () => this.statusListeners.delete(listener);
  }

  get status(): SocketStatus {
    return this.currentStatus;
  }

  get isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === OPEN;
  }

  /** Sends a frame now; false when not connected (the caller decides: REST fallback, retry). */
  send(frame: ClientFrame): boolean {
    if (!this.ws || this.ws.readyState !== OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** A message the page got elsewhere (REST history): resync starts after the newest seen. */
  noteMessageId(id: number): void {
    if (this.lastMessageId === null || id > this.lastMessageId) this.lastMessageId = id;
  }

  get lastSeenMessageId(): number | null {
    return this.lastMessageId;
  }

  // --- connection ---------------------------------------------------------------------

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.setStatus({ state: "connecting", attempt: this.attempt });
    let ticket: string;
    try {
      ticket = await this.getTicket();
    } catch (error) {
      if (this.stopped) return;
      if ((error as { status?: number } | null)?.status === 401) {
        this.setStatus({ state: "closed", code: CLOSE_UNAUTHENTICATED, reason: "unauthenticated" });
        return;
      }
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) return;
    const ws = new this.Socket(this.makeUrl(this.roomId, ticket));
    this.ws = ws;
    this.admitted = false;
    this.busyRetryMs = null;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.setStatus({ state: "open" });
      // Queued behind the server's admission checks; answered only if we are let in.
      const from = this.resyncCursor ?? this.lastMessageId;
      if (from !== null) this.resync(from);
    };
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      this.handleFrame(event.data);
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.stopPings();
      this.clearResyncRetry();
      if (this.stopped) return;
      this.handleClose(event.code);
    };
    ws.onerror = () => {
      // A close event always follows; reconnecting is decided there.
    };
  }

  private handleClose(code: number): void {
    if (code === CLOSE_FORBIDDEN) {
      this.setStatus({ state: "closed", code, reason: "forbidden" });
      return;
    }
    if (code === CLOSE_NOT_FOUND) {
      this.setStatus({ state: "closed", code, reason: "not_found" });
      return;
    }
    if (code === CLOSE_BUSY) {
      // Busy is not a failure: the server said when to come back; spread the crowd a little more.
      const waitMs = this.busyRetryMs ?? backoffDelay(this.attempt, this.random, this.options.backoffBaseMs, this.options.backoffMaxMs);
      this.scheduleReconnect(Math.round(waitMs * (1 + this.random() * 0.2)));
      return;
    }
    if (code === CLOSE_UNAUTHENTICATED) {
      this.authRetries += 1;
      if (this.authRetries > this.options.maxAuthRetries) {
        this.setStatus({ state: "closed", code, reason: "unauthenticated" });
        return;
      }
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(delayMs = backoffDelay(this.attempt, this.random, this.options.backoffBaseMs, this.options.backoffMaxMs)): void {
    this.clearReconnect();
    this.attempt += 1;
    this.setStatus({ state: "reconnecting", attempt: this.attempt, delayMs });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delayMs);
  }

  private clearReconnect(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  // --- frames -------------------------------------------------------------------------

  private handleFrame(data: unknown): void {
    if (typeof data !== "string") return;
    let event: ServerEvent;
    try {
      event = JSON.parse(data) as ServerEvent;
    } catch {
      return;
    }
    if (!event || typeof event !== "object" || typeof event.type !== "string") return;
    if (event.type === "busy") {
      // Not admitted: the 4429 close follows.
      this.busyRetryMs = typeof event.retry_after_ms === "number" && event.retry_after_ms >= 0 ? event.retry_after_ms : null;
      return;
    }
    if (!this.admitted) {
      // The server sends nothing before it has let us in: this connection is good, so the
      // next failure starts the backoff from the bottom again.
      this.admitted = true;
      this.attempt = 0;
      this.authRetries = 0;
      this.startPings();
    }
    switch (event.type) {
      case "time.pong":
        if (typeof event.t0 === "number" && typeof event.server_time === "number") {
          this.clock.sample(event.t0, event.server_time, this.now());
        }
        break;
      case "chat.message":
        this.noteMessageId(event.id);
        break;
      case "chat.history":
        for (const message of event.messages ?? []) this.noteMessageId(message.id);
        this.resyncPageArrived(event.messages ?? [], event.complete);
        break;
      case "error":
        if (event.code === "rate_limited" && event.in_reply_to === "chat.resync") this.resyncLater(event.retry_after);
        break;
      default:
        break;
    }
    for (const listener of [...this.listeners]) listener(event);
  }

  // --- chat resync, page by page -----------------------------------------------------

  private resync(afterId: number): void {
    this.clearResyncRetry();
    this.resyncCursor = afterId;
    this.send({ type: "chat.resync", after_id: afterId });
  }

  private resyncPageArrived(messages: { id: number }[], complete: boolean | undefined): void {
    // A server that does not say `complete` sends everything at once.
    if (complete !== false || messages.length === 0) {
      this.resyncCursor = null;
      return;
    }
    this.resync(Math.max(...messages.map((m) => m.id)));
  }

  private resyncLater(retryAfterSeconds: number | undefined): void {
    if (this.resyncCursor === null) return;
    const cursor = this.resyncCursor;
    this.clearResyncRetry();
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = null;
      if (this.isOpen) this.resync(cursor);
    }, Math.max(1, retryAfterSeconds ?? 1) * 1000);
  }

  private clearResyncRetry(): void {
    if (this.resyncTimer !== null) clearTimeout(this.resyncTimer);
    this.resyncTimer = null;
  }

  private startPings(): void {
    this.stopPings();
    const { pingBurst, pingBurstGapMs, pingIntervalMs } = this.options;
    for (let i = 0; i < pingBurst; i++) {
      this.pingTimers.push(setTimeout(() => this.ping(), i * pingBurstGapMs));
    }
    this.pingInterval = setInterval(() => this.ping(), pingIntervalMs);
  }

  private stopPings(): void {
    for (const timer of this.pingTimers) clearTimeout(timer);
    this.pingTimers = [];
    if (this.pingInterval !== null) clearInterval(this.pingInterval);
    this.pingInterval = null;
  }

  private ping(): void {
    this.send({ type: "time.ping", t0: this.now() });
  }

  private setStatus(status: SocketStatus): void {
    this.currentStatus = status;
    for (const listener of [...this.statusListeners]) listener(status);
  }
}
