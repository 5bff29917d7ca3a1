import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { FakeWebSocket } from "../test/fakeWebSocket";
import { RoomSocket, type SocketStatus } from "./roomSocket";

const ROOM = "11111111-2222-3333-4444-555555555555";
const STATE = { type: "playback.state", track: null, status: "idle", position_ms: 0, server_time: 1, version: 1 };

function message(id: number) {
  return { type: "chat.message", id, room_id: ROOM, user: { id: "u", username: "u", display_name: "U", avatar_url: null }, text: `m${id}`, created_at: "2026-01-01T00:00:00Z" };
}

let tickets: number;
let clientNow: number;

function makeSocket(overrides: Partial<ConstructorParameters<typeof RoomSocket>[0]> = {}) {
  return new RoomSocket({
    roomId: ROOM,
    getTicket: async () => `ticket-${++tickets}`,
    makeUrl: (roomId, ticket) => `ws://test/ws/chat/${roomId}?token=${ticket}`,
    WebSocket: FakeWebSocket,
    now: () => clientNow,
    random: () => 0.5,
    ...overrides,
  });
}

/** Lets the ticket promise resolve (and the socket get created). */
async function flush() {
  await vi.advanceTimersByTimeAsync(0);
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
  tickets = 0;
  clientNow = 1_000_000;
});

afterEach(() => {
  vi.useRealTimers();
});

describe("RoomSocket", () => {
  it("connects with a fresh ticket and hands frames to subscribers", async () => {
    const socket = makeSocket();
    const seen: string[] = [];
    socket.subscribe((event) => seen.push(event.type));
    socket.start();
    await flush();

    expect(FakeWebSocket.last.url).toBe(`ws://test/ws/chat/${ROOM}?token=ticket-1`);
    FakeWebSocket.last.open();
    FakeWebSocket.last.serverSend(STATE);
    FakeWebSocket.last.serverSend(message(7));

    expect(seen).toEqual(["playback.state", "chat.message"]);
    expect(socket.lastSeenMessageId).toBe(7);
    socket.stop();
  });

  it("sends a burst of time pings once admitted, then one every 20 s, and feeds the clock", async () => {
    const socket = makeSocket();
    socket.start();
    await flush();
    const ws = FakeWebSocket.last;
    ws.open();
    expect(ws.sentOfType("time.ping")).toHaveLength(0); // not before the server has let us in
    ws.serverSend(STATE);
    await vi.advanceTimersByTimeAsync(1000);
    expect(ws.sentOfType("time.ping")).toHaveLength(10);

    // Server clock 5 s ahead, 20 ms round trips.
    for (const ping of ws.sentOfType("time.ping")) {
      clientNow = (ping.t0 as number) + 20;
      ws.serverSend({ type: "time.pong", t0: ping.t0, server_time: (ping.t0 as number) + 10 + 5000 });
    }
    expect(socket.clock.ready).toBe(true);
    expect(socket.clock.offset).toBeCloseTo(5000, 0);

    await vi.advanceTimersByTimeAsync(20_000);
    expect(ws.sentOfType("time.ping")).toHaveLength(11);
    socket.stop();
  });

  it("reconnects with backoff and a new ticket, and resyncs chat from the last id seen", async () => {
    const statuses: SocketStatus[] = [];
    const socket = makeSocket();
    socket.onStatus((status) => statuses.push(status));
    socket.start();
    await flush();
    const first = FakeWebSocket.last;
    first.open();
    first.serverSend(STATE);
    first.serverSend(message(41));
    first.serverSend(message(42));
    expect(first.sentOfType("chat.resync")).toHaveLength(0); // nothing to catch up on the first time

    first.serverClose(1006);
    const reconnecting = statuses[statuses.length - 1];
    expect(reconnecting).toEqual({ state: "reconnecting", attempt: 1, delayMs: 375 }); // 500 ms, equal jitter at random 0.5
    await vi.advanceTimersByTimeAsync(374);
    expect(FakeWebSocket.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await flush();

    expect(FakeWebSocket.instances).toHaveLength(2);
    const second = FakeWebSocket.last;
    expect(second.url).toContain("token=ticket-2");
    second.open();
    expect(second.sentOfType("chat.resync")).toEqual([{ type: "chat.resync", after_id: 42 }]);

    // Messages from the resync move the mark on.
    second.serverSend({ type: "chat.history", messages: [message(43), message(44)] });
    expect(socket.lastSeenMessageId).toBe(44);
    socket.stop();
  });

  describe("paging a resync", () => {
    function page(from: number, count: number) {
      return Array.from({ length: count }, (_, i) => message(from + i));
    }

    /** A socket that saw message 42, was cut off, and is connected again. */
    async function reconnected() {
      const socket = makeSocket();
      socket.start();
      await flush();
      FakeWebSocket.last.open();
      FakeWebSocket.last.serverSend(STATE);
      FakeWebSocket.last.serverSend(message(42));
      FakeWebSocket.last.serverClose(1006);
      await vi.advanceTimersByTimeAsync(1000);
      await flush();
      const ws = FakeWebSocket.last;
      ws.open();
      ws.serverSend(STATE);
      return { socket, ws };
    }

    it("asks again after each page's last id until the server says complete", async () => {
      const { socket, ws } = await reconnected();
      ws.serverSend({ type: "chat.history", messages: page(43, 500), complete: false });
      ws.serverSend({ type: "chat.history", messages: page(543, 500), complete: false });
      ws.serverSend({ type: "chat.history", messages: page(1043, 12), complete: true });
      expect(ws.sentOfType("chat.resync")).toEqual([
        { type: "chat.resync", after_id: 42 },
        { type: "chat.resync", after_id: 542 },
        { type: "chat.resync", after_id: 1042 },
      ]);
      expect(socket.lastSeenMessageId).toBe(1054);
      socket.stop();
    });

    it("pages from the page it got, not from live messages that ran ahead, also across a reconnect", async () => {
      const { socket, ws } = await reconnected();
      ws.serverSend(message(5000)); // said live while the resync is still paging
      ws.serverSend({ type: "chat.history", messages: page(43, 500), complete: false });
      expect(ws.sentOfType("chat.resync").at(-1)).toEqual({ type: "chat.resync", after_id: 542 });

      ws.serverClose(1006); // cut off before the next page came
      await vi.advanceTimersByTimeAsync(1000);
      await flush();
      FakeWebSocket.last.open();
      expect(FakeWebSocket.last.sentOfType("chat.resync")).toEqual([{ type: "chat.resync", after_id: 542 }]);
      FakeWebSocket.last.serverSend({ type: "chat.history", messages: page(543, 10), complete: true });
      socket.stop();
    });

    it("waits retry_after when the server's resync limit answers rate_limited, then goes on", async () => {
      const { socket, ws } = await reconnected();
      ws.serverSend({ type: "chat.history", messages: page(43, 500), complete: false });
      ws.serverSend({ type: "error", code: "rate_limited", detail: "Too many", retry_after: 2, in_reply_to: "chat.resync" });
      expect(ws.sentOfType("chat.resync")).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(1999);
      expect(ws.sentOfType("chat.resync")).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(1);
      expect(ws.sentOfType("chat.resync").at(-1)).toEqual({ type: "chat.resync", after_id: 542 });
      socket.stop();
    });

    it("does not resync for other rate limits, nor after a complete answer", async () => {
      const { socket, ws } = await reconnected();
      ws.serverSend({ type: "chat.history", messages: page(43, 3), complete: true });
      ws.serverSend({ type: "error", code: "rate_limited", detail: "Slow down", retry_after: 1, in_reply_to: "chat.message" });
      ws.serverSend({ type: "error", code: "rate_limited", detail: "Too many", retry_after: 1, in_reply_to: "chat.resync" });
      await vi.advanceTimersByTimeAsync(5000);
      expect(ws.sentOfType("chat.resync")).toEqual([{ type: "chat.resync", after_id: 42 }]);
      socket.stop();
    });
  });

  it("reconnects and resyncs after a 4503 close (the server lost its link to the other servers)", async () => {
    const socket = makeSocket();
    socket.start();
    await flush();
    const first = FakeWebSocket.last;
    first.open();
    first.serverSend(STATE);
    first.serverSend(message(7));
    first.serverClose(4503);
    await vi.advanceTimersByTimeAsync(1000);
    await flush();
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.last.open();
    expect(FakeWebSocket.last.sentOfType("chat.resync")).toEqual([{ type: "chat.resync", after_id: 7 }]);
    socket.stop();
  });

  it("comes back after the delay a busy server gave (4429), without counting it as admitted", async () => {
    const delays: number[] = [];
    const socket = makeSocket();
    socket.onStatus((status) => {
      if (status.state === "reconnecting") delays.push(status.delayMs);
    });
    socket.start();
    await flush();
    const first = FakeWebSocket.last;
    first.open();
    first.serverSend({ type: "busy", retry_after_ms: 2000 });
    expect(first.sentOfType("time.ping")).toHaveLength(0);
    first.serverClose(4429);
    expect(delays).toEqual([2200]); // the server's 2 s, plus a tenth (random 0.5 of up to a fifth)
    await vi.advanceTimersByTimeAsync(2199);
    await flush();
    expect(FakeWebSocket.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect(FakeWebSocket.instances).toHaveLength(2);
    socket.stop();
  });

  it("backs off exponentially while the server stays away, and starts over after a good connection", async () => {
    const delays: number[] = [];
    const socket = makeSocket();
    socket.onStatus((status) => {
      if (status.state === "reconnecting") delays.push(status.delayMs);
    });
    socket.start();
    await flush();
    for (let i = 0; i < 4; i++) {
      FakeWebSocket.last.serverClose(1006);
      await vi.advanceTimersByTimeAsync(delays[delays.length - 1]!);
      await flush();
    }
    expect(delays).toEqual([375, 750, 1500, 3000]);

    FakeWebSocket.last.open();
    FakeWebSocket.last.serverSend(STATE);
    FakeWebSocket.last.serverClose(1006);
    expect(delays[delays.length - 1]).toBe(375);
    socket.stop();
  });

  it("notes ids from REST history so the first reconnect resyncs from there", async () => {
    const socket = makeSocket();
    socket.noteMessageId(99);
    socket.start();
    await flush();
    FakeWebSocket.last.open();
    expect(FakeWebSocket.last.sentOfType("chat.resync")).toEqual([{ type: "chat.resync", after_id: 99 }]);
    socket.stop();
  });

  it.each([
    [4403, "forbidden"],
    [4404, "not_found"],
  ])("does not come back after close code %i", async (code, reason) => {
    const socket = makeSocket();
    socket.start();
    await flush();
    FakeWebSocket.last.open();
    FakeWebSocket.last.serverClose(code);
    await vi.advanceTimersByTimeAsync(60_000);

    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(socket.status).toEqual({ state: "closed", code, reason });
  });

  it("retries 4401 (expired credential) with new tickets a few times, then gives up", async () => {
    const socket = makeSocket({ maxAuthRetries: 2 });
    socket.start();
    await flush();
    for (let i = 0; i < 3; i++) {
      FakeWebSocket.last.open();
      FakeWebSocket.last.serverClose(4401);
      await vi.advanceTimersByTimeAsync(10_000);
      await flush();
    }
    expect(FakeWebSocket.instances).toHaveLength(3);
    expect(socket.status).toMatchObject({ state: "closed", reason: "unauthenticated" });
  });

  it("stops for good when the session is over (ticket refused with 401)", async () => {
    const socket = makeSocket({ getTicket: async () => Promise.reject(Object.assign(new Error("expired"), { status: 401 })) });
    socket.start();
    await flush();

    expect(FakeWebSocket.instances).toHaveLength(0);
    expect(socket.status).toMatchObject({ state: "closed", reason: "unauthenticated" });
  });

  it("retries when the ticket request fails for another reason", async () => {
    let calls = 0;
    const socket = makeSocket({
      getTicket: async () => {
        calls += 1;
        if (calls === 1) throw Object.assign(new Error("offline"), { status: 0 });
        return "ticket-ok";
      },
    });
    socket.start();
    await flush();
    expect(socket.status.state).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeWebSocket.last.url).toContain("ticket-ok");
    socket.stop();
  });

  it("stop() closes the socket and never reconnects", async () => {
    const socket = makeSocket();
    socket.start();
    await flush();
    const ws = FakeWebSocket.last;
    ws.open();
    socket.stop();
    expect(ws.closedWith).toBe(1000);
    ws.serverClose(1006);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(socket.send({ type: "sync" })).toBe(false);
  });
});
