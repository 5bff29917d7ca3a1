// @vitest-environment jsdom
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Member, Room } from "../../api/types";
import { FakeWebSocket } from "../../test/fakeWebSocket";
import { fakeJwt, jsonResponse, mockFetch, renderWithApp } from "../../test/helpers";
import { RoomPage } from "./RoomPage";

const ME = { id: "me", username: "elif", display_name: "Elif", avatar_url: null };
const OWNER = { id: "o", username: "olga", display_name: "Olga", avatar_url: null };
const BOB = { id: "b", username: "bob", display_name: "Bob", avatar_url: null };
const CAROL = { id: "c", username: "carol", display_name: "Carol", avatar_url: null };
const TRACK = { spotify_id: "t1", name: "Song for Elif", artists: ["Zara"], album: "A", duration_ms: 180_000, genres: [], image_url: "", audio_url: "http://test.local/media/t1.wav" };

function room(extra: Partial<Room> = {}): Room {
  return {
    id: "r1",
    name: "Night Owls",
    description: "Late jazz",
    is_private: false,
    genres: [],
    owner: OWNER,
    member_count: 1,
    online_count: 1,
    now_playing: null,
    queue_policy: "members",
    playback_policy: "moderators",
    my_role: "member",
    created_at: "2026-01-01T00:00:00Z",
    ...extra,
  } as Room;
}

const member = (user: typeof ME, role: Member["role"] = "member"): Member => ({ user, role, joined_at: "2026-01-01T00:00:00Z", online: false });

function setup({ roomData = room(), members = [member(ME)] }: { roomData?: Room; members?: Member[] } = {}) {
  const fetch = mockFetch((url, init) => {
    const method = init.method ?? "GET";
    if (url.pathname === "/rooms/r1" && method === "GET") return jsonResponse(roomData);
    if (url.pathname === "/rooms/r1/members") return jsonResponse(members);
    if (url.pathname === "/rooms/r1/queue") return jsonResponse([]);
    if (url.pathname === "/chat/r1" && method === "GET")
      return jsonResponse([{ id: 5, room_id: "r1", user: ME, text: "my earlier message", created_at: "2026-01-01T00:00:00Z", client_msg_id: null }]);
    if (url.pathname === "/auth/ws-ticket") return jsonResponse({ ticket: "t" });
    if (url.pathname === "/users/me") return jsonResponse({ ...ME, email: "e@x.test" });
    if (url.pathname === "/rooms/r1/join") return jsonResponse({ ...roomData, my_role: "member" });
    return undefined;
  });
  renderWithApp(
    <Routes>
      <Route path="/rooms/:roomId" element={<RoomPage />} />
    </Routes>,
    { fetch, tokens: { access: fakeJwt("me"), refresh: "r" }, route: "/rooms/r1" },
  );
  return fetch;
}

/** Waits for the page's socket, opens it and lets the server admit it. */
async function connect(online = [ME]) {
  await waitFor(() => expect(FakeWebSocket.instances.length).toBe(1));
  const ws = FakeWebSocket.last;
  act(() => {
    ws.open();
    ws.serverSend({ type: "playback.state", room_id: "r1", track: TRACK, status: "playing", position_ms: 0, server_time: 1, version: 1 });
    ws.serverSend({ type: "presence", room_id: "r1", count: online.length, online, friends: [], next: null });
  });
  await screen.findByText("my earlier message");
  return ws;
}

beforeEach(() => {
  FakeWebSocket.reset();
  vi.stubGlobal("WebSocket", FakeWebSocket);
  const proto = HTMLMediaElement.prototype;
  vi.spyOn(proto, "play").mockImplementation(() => Promise.resolve());
  vi.spyOn(proto, "pause").mockImplementation(() => {});
  vi.spyOn(proto, "load").mockImplementation(() => {});
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe("<RoomPage> sections on phones", () => {
  it("puts Chat, Queue and People in a tablist, Chat first, with arrow keys between tabs", async () => {
    setup();
    const tablist = await screen.findByRole("tablist", { name: "Room sections" });
    const tabs = within(tablist).getAllByRole("tab");
    expect(tabs.map((t) => t.textContent)).toEqual(["Chat", "Queue", "People"]);
    const chat = within(tablist).getByRole("tab", { name: "Chat" });
    expect(chat.getAttribute("aria-selected")).toBe("true");
    const chatPanel = document.getElementById(chat.getAttribute("aria-controls")!)!;
    expect(chatPanel.getAttribute("role")).toBe("tabpanel");
    expect(within(chatPanel).getByRole("textbox", { name: "Message" })).toBeTruthy();
    expect(chatPanel.getAttribute("aria-labelledby")).toBe(chat.id);
    expect(tablist.className).toContain("lg:hidden");

    fireEvent.keyDown(chat, { key: "ArrowRight" });
    const queue = within(tablist).getByRole("tab", { name: "Queue" });
    expect(queue.getAttribute("aria-selected")).toBe("true");
    expect(document.activeElement).toBe(queue);
    expect(chat.getAttribute("tabindex")).toBe("-1");
    expect(chatPanel.className).toContain("max-lg:hidden");
    expect(document.getElementById(queue.getAttribute("aria-controls")!)!.className).not.toContain("max-lg:hidden");

    fireEvent.keyDown(queue, { key: "End" });
    expect(within(tablist).getByRole("tab", { name: "People" }).getAttribute("aria-selected")).toBe("true");
    fireEvent.keyDown(document.activeElement!, { key: "ArrowRight" });
    expect(chat.getAttribute("aria-selected")).toBe("true");
  });

  it("lets long names and descriptions wrap or truncate instead of widening the page", async () => {
    const long = "N".repeat(300);
    setup({ roomData: room({ name: long, description: "D".repeat(2000) }) });
    const heading = await screen.findByRole("heading", { level: 1 });
    expect(heading.className).toMatch(/\btruncate\b/);
    expect(heading.className).toMatch(/\bmin-w-0\b/);
    expect(screen.getByText("D".repeat(2000)).className).toContain("[overflow-wrap:anywhere]");
  });
});

describe("<RoomPage> members from the socket", () => {
  it("keeps the header's member count equal to the members list as people join", async () => {
    setup();
    expect(await screen.findByText("1 member")).toBeTruthy();
    const ws = await connect([ME, BOB]);

    const list = screen.getByRole("list", { name: "Members" });
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(2));
    expect(screen.getByTestId("member-count").textContent).toBe("2 members");

    act(() => ws.serverSend({ type: "member.joined", room_id: "r1", user: CAROL }));
    expect(within(list).getAllByRole("listitem")).toHaveLength(3);
    expect(screen.getByTestId("member-count").textContent).toBe("3 members");

    act(() => ws.serverSend({ type: "members.changed", room_id: "r1", joined: [OWNER], left: [BOB] }));
    expect(within(list).getAllByRole("listitem")).toHaveLength(4);
    expect(screen.getByTestId("member-count").textContent).toBe("4 members");
    expect(within(screen.getByRole("list", { name: "Listening now" })).queryByText("Bob")).toBeNull();
  });
});

describe("<RoomPage> a crowded room's listeners", () => {
  it("shows the count, the friends present and the first page, and asks for more", async () => {
    setup();
    const ws = await connect([ME]);
    act(() => ws.serverSend({ type: "presence", room_id: "r1", count: 240, online: [ME, BOB], friends: [CAROL], next: "b" }));
    const people = screen.getByRole("heading", { name: /Listening now/ });
    expect(people.textContent).toBe("Listening now (240)");
    expect(screen.getByText("Friends here: Carol")).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Show more listeners" }));
    expect(ws.sentOfType("presence.page")).toEqual([{ type: "presence.page", cursor: "b" }]);
    act(() => ws.serverSend({ type: "presence.page", room_id: "r1", online: [CAROL], next: null }));
    expect(within(screen.getByRole("list", { name: "Listening now" })).getByText("Carol")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Show more listeners" })).toBeNull();

    // The crowded room's count update.
    act(() => ws.serverSend({ type: "room.audience", room_id: "r1", online: 251, spotify: 0 }));
    expect(people.textContent).toBe("Listening now (251)");
  });
});

describe("<RoomPage> membership changes heard on the socket", () => {
  it("someone leaving (no socket of theirs open) shrinks the list and the header", async () => {
    const listed = [member(ME), member(BOB), member(CAROL)];
    const members = [...listed];
    setup({ members });
    const ws = await connect([ME]);
    const list = screen.getByRole("list", { name: "Members" });
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(3));
    expect(screen.getByTestId("member-count").textContent).toBe("3 members");

    members.splice(2, 1); // carol leaves through the API; the server tells the room
    act(() => ws.serverSend({ type: "room.updated", room_id: "r1", member_count: 2 }));
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(2));
    expect(screen.getByTestId("member-count").textContent).toBe("2 members");
  });
});

describe("<RoomPage> when the socket ends membership", () => {
  it("banned: one alert, audio gone, no Leave/Join, chat disabled, out of Listening now, messages kept", async () => {
    setup();
    const ws = await connect([ME, BOB]);
    expect(screen.getByTestId("room-audio")).toBeTruthy();
    expect(within(screen.getByRole("list", { name: "Listening now" })).getByText("Elif")).toBeTruthy();

    act(() => {
      ws.serverSend({ type: "error", code: "banned", detail: "You were banned from this room. Reason: spam" });
      ws.serverClose(4403);
    });

    const alerts = screen.getAllByRole("alert");
    expect(alerts.map((a) => a.textContent)).toEqual(["You were banned from this room. Reason: spam"]);
    expect(screen.queryByText("You left this room.")).toBeNull();
    expect(screen.queryByTestId("room-audio")).toBeNull();
    expect(screen.queryByRole("button", { name: "Leave room" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Join room" })).toBeNull();
    expect((screen.getByRole("textbox", { name: "Message" }) as HTMLTextAreaElement).disabled).toBe(true);
    const listening = screen.getByRole("list", { name: "Listening now" });
    expect(within(listening).queryByText("Elif")).toBeNull();
    expect(within(listening).getByText("Bob")).toBeTruthy();
    expect(screen.getByText("my earlier message")).toBeTruthy();
    expect(screen.queryByText("live")).toBeNull();
    expect(FakeWebSocket.instances).toHaveLength(1); // no reconnect
  });

  it("a 4403 close without an error frame (refused at the door) is the same banned state", async () => {
    setup();
    await waitFor(() => expect(FakeWebSocket.instances.length).toBe(1));
    act(() => FakeWebSocket.last.serverClose(4403));
    expect((await screen.findByRole("alert")).textContent).toBe("You were banned from this room.");
    expect(screen.queryByRole("button", { name: "Leave room" })).toBeNull();
    expect((screen.getByRole("textbox", { name: "Message" }) as HTMLTextAreaElement).disabled).toBe(true);
  });

  it("removed: says so and offers Join room again", async () => {
    setup();
    const ws = await connect();
    act(() => {
      ws.serverSend({ type: "error", code: "removed", detail: "You were removed from this room." });
      ws.serverClose(4403);
    });
    expect(screen.getAllByRole("alert").map((a) => a.textContent)).toEqual(["You were removed from this room."]);
    expect(screen.queryByRole("button", { name: "Leave room" })).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Join room" }));
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(2));
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("closed: 'This room was closed.' once, no member controls, chat disabled", async () => {
    setup({ roomData: room({ my_role: "moderator" }) });
    const ws = await connect();
    expect(screen.getByRole("button", { name: "Room settings" })).toBeTruthy();
    expect(screen.getByRole("textbox", { name: "Spotify track id or link" })).toBeTruthy();

    act(() => {
      ws.serverSend({ type: "error", code: "room_closed", detail: "This room was closed." });
      ws.serverClose(4404);
    });

    expect(screen.getAllByText("This room was closed.")).toHaveLength(1);
    expect(screen.getByRole("alert").textContent).toBe("This room was closed.");
    for (const name of ["Room settings", "Leave room", "Join room", "Add from my favorites"]) {
      expect(screen.queryByRole("button", { name })).toBeNull();
    }
    expect(screen.queryByRole("textbox", { name: "Spotify track id or link" })).toBeNull();
    expect((screen.getByRole("textbox", { name: "Message" }) as HTMLTextAreaElement).disabled).toBe(true);
    expect(screen.queryByTestId("room-audio")).toBeNull();
  });
});
