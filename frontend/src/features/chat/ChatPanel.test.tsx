// @vitest-environment jsdom
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { limits } from "../../api/limits";
import { RoomSocket } from "../../realtime/roomSocket";
import { FakeWebSocket } from "../../test/fakeWebSocket";
import { fakeJwt, jsonResponse, mockFetch, renderWithApp } from "../../test/helpers";
import { ChatMessage } from "./ChatMessage";
import { ChatPanel, SEND_TIMEOUT_MS } from "./ChatPanel";

const ME = { id: "me", username: "elif", display_name: "Elif", avatar_url: null };
const BOB = { id: "bob", username: "bob", display_name: "Bob", avatar_url: null };
const MAX = limits.MessageCreateRequest.text.maxLength;

function line(text: string, extra: Partial<Parameters<typeof ChatMessage>[0]> = {}) {
  return render(
    <ol>
      <ChatMessage message={{ id: 1, user: BOB, text, created_at: "2026-01-01T00:00:00Z" }} mine={false} {...extra} />
    </ol>,
  );
}

describe("<ChatMessage> text", () => {
  it("makes http(s) links clickable in a new tab, safely, and leaves other schemes as text", () => {
    const { container } = line("see https://example.com/a_(b). or http://x.test, not javascript:alert(1) nor data:text/html,hi");
    const links = screen.getAllByRole("link");
    expect(links.map((a) => a.getAttribute("href"))).toEqual(["https://example.com/a_(b)", "http://x.test/"]);
    for (const a of links) {
      expect(a.getAttribute("target")).toBe("_blank");
      expect(a.getAttribute("rel")).toBe("noopener noreferrer");
    }
    expect(container.textContent).toContain("not javascript:alert(1) nor data:text/html,hi");
    expect(container.querySelector("a[href^='javascript'], a[href^='data']")).toBeNull();
  });

  it("highlights @mentions of members, and marks the line that mentions the viewer", () => {
    const members = new Map([
      ["elif", "elif"],
      ["bob", "bob"],
    ]);
    const { container } = line("hey @Elif, ask @bob. not @nobody or me@elif.test", { members, mentionsMe: true });
    const marks = [...container.querySelectorAll("mark[data-mention]")];
    expect(marks.map((m) => [m.getAttribute("data-mention"), m.textContent])).toEqual([
      ["elif", "@Elif"],
      ["bob", "@bob"],
    ]);
    expect(container.querySelector("li")?.getAttribute("data-mentions-me")).toBe("true");
    expect(container.textContent).toContain("not @nobody or me@elif.test");
  });

  it("wraps an unbroken 2,000-character word instead of widening the page", () => {
    line("x".repeat(2000));
    const text = screen.getByText("x".repeat(2000));
    expect(text.className).toContain("[overflow-wrap:anywhere]");
  });

  it("offers Delete as a real, always-reachable button of tap size (not hover-only)", () => {
    line("hi", { onDelete: () => {} });
    const button = screen.getByRole("button", { name: "Delete message" });
    expect(button.className).toMatch(/\bmin-h-6\b/);
    // Hidden only where there is a hover-capable fine pointer, never everywhere.
    expect(button.className.split(/\s+/)).not.toContain("opacity-0");
  });
});

const HISTORY = (url: URL, init: RequestInit) => (url.pathname === "/chat/r1" && (init.method ?? "GET") === "GET" ? jsonResponse([]) : undefined);

async function connectedPanel(routes: Parameters<typeof mockFetch> = []) {
  FakeWebSocket.reset();
  const socket = new RoomSocket({
    roomId: "r1",
    getTicket: async () => "t",
    makeUrl: () => "ws://test/ws/chat/r1",
    WebSocket: FakeWebSocket,
    pingBurst: 0,
    pingIntervalMs: 1e9,
  });
  const fetch = mockFetch(HISTORY, ...routes);
  renderWithApp(<ChatPanel roomId="r1" socket={socket} me={ME} canModerate={false} members={["elif", "bob"]} />, {
    fetch,
    tokens: { access: fakeJwt("me"), refresh: "r" },
  });
  socket.start();
  await act(async () => {
    await vi.advanceTimersByTimeAsync(0);
  });
  const ws = FakeWebSocket.last;
  act(() => {
    ws.open();
    ws.serverSend({ type: "presence", room_id: "r1", online: [] });
  });
  await act(async () => {
    await vi.advanceTimersByTimeAsync(0);
  });
  return { socket, ws, fetch };
}

function type(text: string) {
  fireEvent.change(screen.getByRole("textbox", { name: "Message" }), { target: { value: text } });
}
function sendNow() {
  fireEvent.click(screen.getByRole("button", { name: "Send" }));
}

describe("<ChatPanel> sending", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("counts down near the limit, and keeps a pasted over-long text whole with Send disabled", async () => {
    await connectedPanel();
    const box = screen.getByRole("textbox", { name: "Message" }) as HTMLTextAreaElement;
    expect(box.hasAttribute("maxlength")).toBe(false);

    type("a".repeat(MAX - 300));
    expect(screen.queryByTestId("chat-counter")).toBeNull();
    type("a".repeat(MAX - 120));
    expect(screen.getByTestId("chat-counter").textContent).toBe("120 characters left");

    type("b".repeat(MAX + 34));
    expect(box.value).toHaveLength(MAX + 34); // nothing cut
    expect(screen.getByTestId("chat-counter").textContent).toBe("34 characters too many");
    expect((screen.getByRole("button", { name: "Send" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("marks a rate-limited message 'Not sent', says so once, and retries it under the same client_msg_id", async () => {
    const { ws } = await connectedPanel();
    type("one");
    sendNow();
    type("two");
    sendNow();
    const [first, second] = ws.sentOfType("chat.message");
    expect(screen.getAllByText("sending…")).toHaveLength(2);

    act(() => {
      ws.serverSend({
        type: "error",
        code: "rate_limited",
        detail: "Too many messages: 5 per 5 seconds; the next one is available in 2 seconds.",
        retry_after: 1.4,
        in_reply_to: "chat.message",
        client_msg_id: second!.client_msg_id,
      });
    });

    const messages = screen.getByRole("list", { name: "Messages" });
    const failed = within(messages).getByText("two").closest("li")!;
    expect(within(failed).getByText("Not sent")).toBeTruthy();
    expect(within(within(messages).getByText("one").closest("li")!).getByText("sending…")).toBeTruthy();
    expect(screen.getAllByText(/send again|available in|try again/i)).toHaveLength(1);
    expect(screen.getByText("Slow down — you can send again in 2 s.")).toBeTruthy();

    fireEvent.click(within(failed).getByRole("button", { name: "Retry" }));
    const resent = ws.sentOfType("chat.message")[2];
    expect(resent).toEqual({ type: "chat.message", text: "two", client_msg_id: second!.client_msg_id });
    expect(within(failed).getByText("sending…")).toBeTruthy();

    // The echoes settle both.
    act(() => {
      for (const [id, frame] of [[1, first], [2, resent]] as const) {
        ws.serverSend({ type: "chat.message", id, room_id: "r1", user: ME, text: frame!.text, created_at: "2026-01-01T00:00:00Z", client_msg_id: frame!.client_msg_id });
      }
    });
    expect(screen.queryByText("sending…")).toBeNull();
    expect(screen.queryByText("Not sent")).toBeNull();
  });

  it("without a client_msg_id in the error, fails the oldest message still sending", async () => {
    const { ws } = await connectedPanel();
    type("first");
    sendNow();
    type("second");
    sendNow();
    act(() => ws.serverSend({ type: "error", code: "invalid", detail: "text: That message is not allowed.", in_reply_to: "chat.message" }));
    const messages = screen.getByRole("list", { name: "Messages" });
    expect(within(within(messages).getByText("first").closest("li")!).getByText("Not sent")).toBeTruthy();
    expect(within(within(messages).getByText("second").closest("li")!).getByText("sending…")).toBeTruthy();
  });

  it("never stays 'sending…': no echo within the timeout → Not sent, with Retry", async () => {
    await connectedPanel();
    type("hello?");
    sendNow();
    expect(screen.getByText("sending…")).toBeTruthy();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(SEND_TIMEOUT_MS + 100);
    });
    expect(screen.queryByText("sending…")).toBeNull();
    expect(screen.getByText("Not sent")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Retry" })).toBeTruthy();
  });

  it("a failed REST fallback (socket down) is marked Not sent too", async () => {
    vi.useRealTimers();
    const fetch = mockFetch(HISTORY, (url, init) =>
      url.pathname === "/chat/r1" && init.method === "POST" ? jsonResponse({ detail: "Slow down.", code: "rate_limited" }, 429) : undefined,
    );
    renderWithApp(<ChatPanel roomId="r1" socket={null} me={ME} canModerate={false} />, { fetch, tokens: { access: fakeJwt("me"), refresh: "r" } });
    type("via rest");
    sendNow();
    await waitFor(() => expect(screen.getByText("Not sent")).toBeTruthy());
    expect(screen.getByRole("button", { name: "Retry" })).toBeTruthy();
    expect(screen.getByText("via rest")).toBeTruthy();
  });

  it("suggests members after @ and inserts the chosen one with the keyboard", async () => {
    await connectedPanel();
    const box = screen.getByRole("textbox", { name: "Message" }) as HTMLTextAreaElement;
    fireEvent.change(box, { target: { value: "hi @b", selectionStart: 5 } });
    const list = screen.getByRole("listbox", { name: "Mention a member" });
    expect(within(list).getAllByRole("option").map((o) => o.textContent)).toEqual(["@bob"]);
    fireEvent.keyDown(box, { key: "Enter" });
    expect(box.value).toBe("hi @bob ");
    expect(screen.queryByRole("listbox")).toBeNull();
  });
});
