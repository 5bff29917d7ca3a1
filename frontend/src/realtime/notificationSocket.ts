/**
 * /ws/notifications/: the unread count and new notifications for the signed-in user.
 * Same connection rules as the room socket (fresh ticket per connect, backoff with jitter,
 * 4401 retried a few times), without the room's chat, clock and playback parts.
 */
import type { Notification } from "../api/types";
import { backoffDelay, socketUrl } from "./backoff";
import type { WebSocketFactory, WebSocketLike } from "./roomSocket";

export type NotificationEvent =
  | { type: "notifications.hello"; unread_count: number }
  | { type: "notification.created"; notification: Notification; unread_count: number };

export interface NotificationSocketOptions {
  getTicket: () => Promise<string>;
  onEvent: (event: NotificationEvent) => void;
  WebSocket?: WebSocketFactory;
  random?: () => number;
}

export class NotificationSocket {
  private ws: WebSocketLike | null = null;
  private stopped = false;
  private attempt = 0;
  private authRetries = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly Socket: WebSocketFactory;

  constructor(private readonly options: NotificationSocketOptions) {
    this.Socket = options.WebSocket ?? (globalThis.WebSocket as unknown as WebSocketFactory);
  }

  start(): void {
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, "bye");
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let ticket: string;
    try {
      ticket = await this.options.getTicket();
    } catch (error) {
      if ((error as { status?: number } | null)?.status === 401) return;
      return this.retry();
    }
    if (this.stopped) return;
    const ws = new this.Socket(socketUrl("notifications/", ticket));
    this.ws = ws;
    ws.onmessage = (event) => {
      if (ws !== this.ws || typeof event.data !== "string") return;
      try {
        const frame = JSON.parse(event.data) as NotificationEvent;
        if (frame.type === "notifications.hello") {
          this.attempt = 0;
          this.authRetries = 0;
        }
        if (frame.type === "notifications.hello" || frame.type === "notification.created") this.options.onEvent(frame);
      } catch {
        // not JSON: ignore
      }
    };
    ws.onclose = (event) => {
      if (ws !== this.ws || this.stopped) return;
      this.ws = null;
      if (event.code === 4401 && ++this.authRetries > 3) return;
      this.retry();
    };
    ws.onopen = null;
    ws.onerror = null;
  }

  private retry(): void {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt++, this.options.random);
    this.timer = setTimeout(() => void this.connect(), delay);
  }
}
