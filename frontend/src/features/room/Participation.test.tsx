// @vitest-environment jsdom
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Member, QueueItem, Room } from "../../api/types";
import { FakeWebSocket } from "../../test/fakeWebSocket";
import { fakeJwt, jsonResponse, mockFetch, renderWithApp } from "../../test/helpers";
import { CreateRoomPage } from "../rooms/CreateRoomPage";
import { RoomPage } from "./RoomPage";
import { RoomSettings } from "./RoomSettings";

const ME = { id: "me", username: "elif", display_name: "Elif", avatar_url: null };
const OWNER = { id: "o", username: "olga", display_name: "Olga", avatar_url: null };
const BOB = { id: "b", username: "bob", display_name: "Bob", avatar_url: null };
const TRACK = { spotify_id: "t1", name: "Song for Elif", artists: ["Zara"], album: "A", duration_ms: 180_000, genres: [], image_url: "http://test.local/c/1.svg", audio_url: "http://test.local/media/t1.wav" };
const NEXT = { ...TRACK, spotify_id: "t2", name: "Blue Hour" };
const tokens = { access: fakeJwt("me"), refresh: "r" };

function room(extra: Partial<Room> = {}): Room {
  return {
    id: "r1",
    name: "Night Owls",
    description: "",
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

function queueItem(id: string, track: typeof TRACK, extra: Record<string, unknown>): QueueItem {
  return { id, association_id: id, track, added_by: null, position: 0, added_at: "2026-01-01T00:00:00Z", via: "member", reason: "", ...extra } as unknown as QueueItem;
}

function setup({ roomData = room(), queue = [] as QueueItem[] } = {}) {
  const fetch = mockFetch((url, init) => {
    const method = init.method ?? "GET";
    if (url.pathname === "/rooms/r1" && method === "GET") return jsonResponse(roomData);
    if (url.pathname === "/rooms/r1/members") return jsonResponse([{ user: ME, role: "member", joined_at: "2026-01-01T00:00:00Z", online: true } satisfies Member]);
    if (url.pathname === "/rooms/r1/queue") return jsonResponse(queue);
    if (url.pathname.startsWith("/rooms/r1/queue/") && method === "DELETE") return jsonResponse(null, 204);
    if (url.pathname === "/chat/r1") return jsonResponse([]);
    if (url.pathname === "/auth/ws-ticket") return jsonResponse({ ticket: "t" });
    if (url.pathname === "/users/me") return jsonResponse({ ...ME, email: "e@x.test" });
    return undefined;
  });
  renderWithApp(
    <Routes>
      <Route path="/rooms/:roomId" element={<RoomPage />} />
    </Routes>,
    { fetch, tokens, route: "/rooms/r1" },
  );
  return fetch;
}

async function connect(extra: Record<string, unknown> = {}) {
  await waitFor(() => expect(FakeWebSocket.instances.length).toBe(1));
  const ws = FakeWebSocket.last;
  act(() => {
    ws.open();
    ws.serverSend({ type: "playback.state", room_id: "r1", track: TRACK, status: "playing", position_ms: 0, server_time: 1, track_started_at: 1, version: 4, via: "member", reason: "", added_by: BOB, ...extra });
    ws.serverSend({ type: "presence", room_id: "r1", online: [ME, BOB, OWNER] });
  });
  await screen.findByRole("heading", { name: String((extra.track as typeof TRACK | undefined)?.name ?? TRACK.name) });
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

describe("vote to skip and like", () => {
  it("votes once per play with the version seen, shows the live count, and opens again for the next play", async () => {
    setup();
    const ws = await connect();
    const player = screen.getByRole("region", { name: "Now playing" });
    act(() => ws.serverSend({ type: "playback.votes", room_id: "r1", version: 4, votes: 0, needed: 2 }));
    const vote = within(player).getByRole("button", { name: /vote to skip/i });
    expect(vote.textContent).toContain("0/2");

    fireEvent.click(vote);
    expect(ws.sentOfType("playback.vote_skip")).toEqual([{ type: "playback.vote_skip", version: 4 }]);
    expect((within(player).getByRole("button", { name: /voted to skip/i }) as HTMLButtonElement).disabled).toBe(true);
    act(() => ws.serverSend({ type: "playback.votes", room_id: "r1", version: 4, votes: 1, needed: 2 }));
    expect(within(player).getByTestId("skip-votes").textContent).toBe("1/2");

    // Someone else votes: the count is live. Then the track skips: a new play, votes start over.
    act(() => {
      ws.serverSend({ type: "playback.votes", room_id: "r1", version: 4, votes: 2, needed: 2 });
      ws.serverSend({ type: "playback.state", room_id: "r1", track: NEXT, status: "playing", position_ms: 0, server_time: 2, track_started_at: 2, version: 5 });
    });
    expect(within(player).getByRole("heading", { name: "Blue Hour" })).toBeTruthy();
    const again = within(player).getByRole("button", { name: /vote to skip/i }) as HTMLButtonElement;
    expect(again.disabled).toBe(false);
    expect(again.textContent).toContain("0/2");
  });

  it("likes the playing track: aria-pressed, the live count, and the version sent", async () => {
    setup();
    const ws = await connect();
    act(() => ws.serverSend({ type: "reaction.counts", room_id: "r1", version: 4, counts: { like: 2 } }));
    const like = screen.getByRole("button", { name: /^like/i });
    expect(like.getAttribute("aria-pressed")).toBe("false");
    expect(within(like).getByTestId("like-count").textContent).toBe("2");
    fireEvent.click(like);
    expect(ws.sentOfType("reaction")).toEqual([{ type: "reaction", kind: "like", version: 4 }]);
    expect(like.getAttribute("aria-pressed")).toBe("true");
    act(() => ws.serverSend({ type: "reaction.counts", room_id: "r1", version: 4, counts: { like: 3 } }));
    expect(within(like).getByTestId("like-count").textContent).toBe("3");
  });

  it("a refused vote (the track changed meanwhile) can be cast again", async () => {
    setup();
    const ws = await connect();
    fireEvent.click(screen.getByRole("button", { name: /vote to skip/i }));
    act(() => ws.serverSend({ type: "error", code: "conflict", detail: "The track changed.", in_reply_to: "playback.vote_skip" }));
    expect((screen.getByRole("button", { name: /vote to skip/i }) as HTMLButtonElement).disabled).toBe(false);
    expect(screen.queryByRole("alert")).toBeNull();
  });
});

describe("who picked what", () => {
  it("now playing says 'Picked by TuneWave: <reason>' for an autoplay pick, and who added a member's track", async () => {
    setup();
    const ws = await connect();
    const player = screen.getByRole("region", { name: "Now playing" });
    expect(within(player).getByText("Added by Bob")).toBeTruthy();
    act(() =>
      ws.serverSend({ type: "playback.state", room_id: "r1", track: NEXT, status: "playing", position_ms: 0, server_time: 2, track_started_at: 2, version: 5, via: "autoplay", reason: "Because you like cool jazz", added_by: null }),
    );
    expect(within(player).getByText("Picked by TuneWave: Because you like cool jazz")).toBeTruthy();
  });

  it("the queue says who added each item or that TuneWave picked it and why; members remove only their own", async () => {
    const fetch = setup({
      queue: [
        queueItem("q1", TRACK, { added_by: ME }),
        queueItem("q2", NEXT, { added_by: BOB }),
        queueItem("q3", { ...TRACK, spotify_id: "t3", name: "Autumn" }, { via: "autoplay", reason: "Popular with people here", added_by: null }),
      ],
    });
    await connect();
    const list = (await screen.findByRole("heading", { name: /up next/i })).parentElement!;
    const items = await within(list).findAllByRole("listitem");
    expect(items).toHaveLength(3);
    expect(within(items[0]!).getByText("added by Elif")).toBeTruthy();
    expect(within(items[1]!).getByText("added by Bob")).toBeTruthy();
    expect(within(items[2]!).getByText("Picked by TuneWave: Popular with people here")).toBeTruthy();
    expect(items[0]!.querySelector("img")?.getAttribute("src")).toBe(TRACK.image_url);

    expect(within(items[1]!).queryByRole("button", { name: /remove/i })).toBeNull();
    expect(within(items[2]!).queryByRole("button", { name: /remove/i })).toBeNull();
    fireEvent.click(within(items[0]!).getByRole("button", { name: "Remove Song for Elif from the queue" }));
    await waitFor(() =>
      expect(fetch.mock.calls.some(([r]) => (r as Request).method === "DELETE" && new URL((r as Request).url).pathname === "/rooms/r1/queue/q1")).toBe(true),
    );
    // Typing to add a track is there for those who may add.
    expect(within(list).getByRole("combobox")).toBeTruthy();
  });

  it("moderators remove any item", async () => {
    setup({ roomData: room({ my_role: "moderator" }), queue: [queueItem("q2", NEXT, { added_by: BOB }), queueItem("q3", TRACK, { via: "autoplay", reason: "r" })] });
    await connect();
    const list = (await screen.findByRole("heading", { name: /up next/i })).parentElement!;
    await waitFor(() => expect(within(list).getAllByRole("button", { name: /^Remove .* from the queue$/ })).toHaveLength(2));
  });
});

describe("room settings for taking part", () => {
  it("Create room sends autoplay, the skip share and the queue order (members add by default)", async () => {
    let body: Record<string, unknown> | null = null;
    const fetch = mockFetch((url, init) => {
      if (url.pathname === "/rooms/" && init.method === "POST") {
        body = JSON.parse(String(init.body)) as Record<string, unknown>;
        return jsonResponse(room({ my_role: "owner" }), 201);
      }
      return undefined;
    });
    renderWithApp(<CreateRoomPage />, { fetch, tokens });
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "Late jazz" } });
    const autoplay = screen.getByRole("checkbox", { name: "Keep playing when the queue runs out" }) as HTMLInputElement;
    expect(autoplay.checked).toBe(true);
    fireEvent.click(autoplay);
    const share = screen.getByRole("combobox", { name: "Votes needed to skip" }) as HTMLSelectElement;
    expect(share.selectedOptions[0]?.textContent).toBe("Half");
    expect([...share.options].map((o) => o.textContent)).toEqual(["A quarter", "A third", "Half", "Two thirds", "Everyone"]);
    fireEvent.change(share, { target: { value: String(2 / 3) } });
    const order = screen.getByRole("combobox", { name: "Queue order" }) as HTMLSelectElement;
    expect([...order.options].map((o) => o.textContent)).toEqual(["First come, first served", "Members take turns"]);
    fireEvent.change(order, { target: { value: "round_robin" } });
    fireEvent.click(screen.getByRole("button", { name: "Create room" }));

    await waitFor(() => expect(body).not.toBeNull());
    expect(body).toMatchObject({ name: "Late jazz", autoplay: false, queue_order: "round_robin", queue_policy: "members" });
    expect(body!.skip_share).toBeCloseTo(2 / 3, 6);
  });

  it("Room settings show the room's values and save changes", async () => {
    let body: Record<string, unknown> | null = null;
    const owned = room({ my_role: "owner", autoplay: true, skip_share: 0.25, queue_order: "round_robin" } as Partial<Room>);
    const fetch = mockFetch((url, init) => {
      if (url.pathname === "/rooms/r1" && init.method === "PATCH") {
        body = JSON.parse(String(init.body)) as Record<string, unknown>;
        return jsonResponse(owned);
      }
      return undefined;
    });
    renderWithApp(<RoomSettings room={owned} />, { fetch, tokens });
    expect((screen.getByRole("combobox", { name: "Votes needed to skip" }) as HTMLSelectElement).selectedOptions[0]?.textContent).toBe("A quarter");
    expect((screen.getByRole("combobox", { name: "Queue order" }) as HTMLSelectElement).value).toBe("round_robin");
    fireEvent.change(screen.getByRole("combobox", { name: "Votes needed to skip" }), { target: { value: "1" } });
    fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(body).not.toBeNull());
    expect(body).toMatchObject({ autoplay: true, skip_share: 1, queue_order: "round_robin" });
  });

  it("Room settings invite a person chosen by name, never a pasted id", async () => {
    const owned = room({ my_role: "owner" });
    renderWithApp(<RoomSettings room={owned} />, { fetch: mockFetch(() => undefined), tokens });
    expect(screen.getByRole("combobox", { name: "Invite a person" })).toBeTruthy();
    expect(screen.queryByPlaceholderText("User id")).toBeNull();
  });
});
