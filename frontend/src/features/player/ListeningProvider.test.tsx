// @vitest-environment jsdom
import { QueryClient } from "@tanstack/react-query";
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { createMemoryRouter, Outlet, RouterProvider } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ApiClient } from "../../api/client";
import type { Member, Room } from "../../api/types";
import { AppProviders } from "../../app/context";
import { memoryTokenStore } from "../../auth/tokens";
import { FakeWebSocket } from "../../test/fakeWebSocket";
import { fakeJwt, jsonResponse, mockFetch, type FetchRoute } from "../../test/helpers";
import { RoomPage } from "../room/RoomPage";
import { ListeningProvider } from "./ListeningProvider";
import { MiniPlayer } from "./MiniPlayer";

const ME = { id: "me", username: "elif", display_name: "Elif", avatar_url: null };
const OWNER = { id: "o", username: "olga", display_name: "Olga", avatar_url: null };
const TRACK = { spotify_id: "t1", name: "Song for Elif", artists: ["Zara"], album: "A", duration_ms: 180_000, genres: [], image_url: "http://test.local/covers/a.svg", audio_url: "http://test.local/media/t1.wav" };
const NEXT = { ...TRACK, spotify_id: "t2", name: "Second Song" };

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
    image_url: "http://test.local/covers/room.svg",
    ...extra,
  } as Room;
}

const member = (user: typeof ME): Member => ({ user, role: "member", joined_at: "2026-01-01T00:00:00Z", online: false });

/** The app's shape: the layout keeps the ListeningProvider and the mini-player around the pages. */
function renderApp(roomData: Room = room(), extra: FetchRoute = () => undefined) {
  const fetch = mockFetch(extra, (url, init) => {
    const method = init.method ?? "GET";
    if (url.pathname === "/rooms/r1" && method === "GET") return jsonResponse(roomData);
    if (url.pathname === "/rooms/r1/members") return jsonResponse([member(ME)]);
    if (url.pathname === "/rooms/r1/queue") return jsonResponse([]);
    if (url.pathname === "/rooms/r1/leave") return jsonResponse({}, 204);
    if (url.pathname === "/chat/r1") return jsonResponse([]);
    if (url.pathname === "/auth/ws-ticket") return jsonResponse({ ticket: "t" });
    if (url.pathname === "/users/me") return jsonResponse({ ...ME, email: "e@x.test" });
    if (url.pathname === "/rooms/") return jsonResponse([]);
    return undefined;
  });
  const store = memoryTokenStore({ access: fakeJwt("me"), refresh: "r" });
  const api = new ApiClient({ tokens: store, fetch, withLock: (_name, run) => run() });
  const router = createMemoryRouter(
    [
      {
        element: (
          <ListeningProvider>
            <Outlet />
            <MiniPlayer />
          </ListeningProvider>
        ),
        children: [
          { path: "/rooms/:roomId", element: <RoomPage /> },
          { path: "/rooms", element: <p>All rooms</p> },
          { path: "/profile", element: <p>Your profile</p> },
        ],
      },
    ],
    { initialEntries: ["/rooms/r1"] },
  );
  render(
    <AppProviders store={store} api={api} queryClient={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <RouterProvider router={router} />
    </AppProviders>,
  );
  return { router, store, fetch };
}

async function connect() {
  await waitFor(() => expect(FakeWebSocket.instances.length).toBe(1));
  const ws = FakeWebSocket.last;
  act(() => {
    ws.open();
    ws.serverSend({ type: "playback.state", room_id: "r1", track: TRACK, status: "playing", position_ms: 0, server_time: 1, track_started_at: 1, version: 1 });
    ws.serverSend({ type: "presence", room_id: "r1", online: [ME] });
  });
  await screen.findByRole("heading", { name: "Song for Elif" });
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

describe("the listening session outlives the room page", () => {
  it("keeps the same socket and <audio> element on another page, shows the mini-player there, and the room page attaches again", async () => {
    const { router } = renderApp();
    const ws = await connect();
    const audio = screen.getByTestId("room-audio");
    expect(screen.queryByTestId("mini-player")).toBeNull(); // the room page has the full player

    await act(() => router.navigate("/profile"));
    expect(screen.getByText("Your profile")).toBeTruthy();
    expect(screen.getByTestId("room-audio")).toBe(audio); // the same element: the music goes on
    expect(ws.closedWith).toBeNull();
    const mini = screen.getByRole("region", { name: "Now playing in your room" });
    expect(within(mini).getByText("Night Owls")).toBeTruthy();
    expect(within(mini).getByText("Song for Elif")).toBeTruthy();
    expect(within(mini).getByRole("progressbar", { name: "Position" })).toBeTruthy();
    expect(within(mini).getByRole("button", { name: "Mute" }).getAttribute("aria-pressed")).toBe("false");
    expect(within(mini).getByRole("slider", { name: "Volume" })).toBeTruthy();
    expect(mini.querySelector("img")?.getAttribute("src")).toBe(TRACK.image_url); // its artwork

    // The room moves on while the listener is away: the mini-player follows.
    act(() => ws.serverSend({ type: "playback.state", room_id: "r1", track: NEXT, status: "playing", position_ms: 0, server_time: 2, track_started_at: 2, version: 2 }));
    expect(within(mini).getByText("Second Song")).toBeTruthy();

    fireEvent.click(within(mini).getByRole("button", { name: "Mute" }));
    expect((screen.getByTestId("room-audio") as HTMLAudioElement).muted).toBe(true);
    expect(within(mini).getByRole("button", { name: "Mute" }).getAttribute("aria-pressed")).toBe("true");

    fireEvent.click(within(mini).getByRole("link", { name: "Back to room" }));
    // The page shows what plays at once, from the session, on the same socket.
    expect(await screen.findByRole("heading", { name: "Second Song" })).toBeTruthy();
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(screen.queryByTestId("mini-player")).toBeNull();
    expect(within(screen.getByRole("list", { name: "Listening now" })).getByText("Elif")).toBeTruthy();
  });

  it("stops on leave: no audio, no mini-player, socket closed", async () => {
    const { router } = renderApp();
    const ws = await connect();
    fireEvent.click(screen.getByRole("button", { name: "Leave room" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/rooms"));
    expect(screen.queryByTestId("room-audio")).toBeNull();
    expect(screen.queryByTestId("mini-player")).toBeNull();
    expect(ws.closedWith).toBe(1000);
  });

  it("stops on sign-out", async () => {
    const { router, store } = renderApp();
    const ws = await connect();
    await act(() => router.navigate("/profile"));
    expect(screen.getByTestId("mini-player")).toBeTruthy();
    act(() => store.set(null));
    await waitFor(() => expect(screen.queryByTestId("mini-player")).toBeNull());
    expect(screen.queryByTestId("room-audio")).toBeNull();
    expect(ws.closedWith).toBe(1000);
  });

  it("stops when the room ends it while the listener is on another page (banned)", async () => {
    const { router } = renderApp();
    const ws = await connect();
    await act(() => router.navigate("/profile"));
    expect(screen.getByTestId("mini-player")).toBeTruthy();
    act(() => {
      ws.serverSend({ type: "error", code: "banned", detail: "You were banned from this room." });
      ws.serverClose(4403);
    });
    expect(screen.queryByTestId("mini-player")).toBeNull();
    expect(screen.queryByTestId("room-audio")).toBeNull();
    expect(FakeWebSocket.instances).toHaveLength(1); // no reconnect
  });

  it("a Spotify-only track: the room says how many can hear it, and a listener without Spotify why and how to fix it", async () => {
    const spotifyTrack = { ...TRACK, spotify_id: "4uLU6hMCjMI75M1A2tKUQC", audio_url: null, origin: "spotify", sources: ["spotify"] };
    const linkRequests: string[] = [];
    const { router } = renderApp(room(), (url, init) => {
      if (url.pathname === "/users/me") return jsonResponse({ ...ME, email: "e@x.test", playback: { spotify: "not_linked" } });
      if (url.pathname === "/auth/config") return jsonResponse({ spotify_player: { sdk_url: "https://sdk.test/p.js", api_url: "https://api.test" } });
      if (url.pathname === "/auth/link" && init.method === "POST") {
        linkRequests.push(String(init.body));
        return jsonResponse({ detail: "Spotify sign-in is not configured on this server.", code: "provider_not_configured" }, 400);
      }
      return undefined;
    });
    await waitFor(() => expect(FakeWebSocket.instances.length).toBe(1));
    const ws = FakeWebSocket.last;
    act(() => {
      ws.open();
      ws.serverSend({ type: "playback.state", room_id: "r1", track: spotifyTrack, status: "playing", position_ms: 0, server_time: 1, track_started_at: 1, version: 1 });
      ws.serverSend({ type: "presence", room_id: "r1", online: [ME, OWNER] });
      ws.serverSend({ type: "room.audience", room_id: "r1", online: 2, spotify: 1 });
    });
    await screen.findByRole("heading", { name: "Song for Elif" });
    expect(screen.getByTestId("hearing").textContent).toBe("1 of 2 listeners can hear this");
    expect(screen.queryByTestId("room-audio")).toBeNull();
    expect(await screen.findByText(/Connect a Spotify Premium account to hear it here/)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Connect Spotify" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Spotify sign-in is not configured on this server.");
    expect(linkRequests.map((body) => JSON.parse(body))).toEqual([{ provider: "spotify" }]);

    act(() => ws.serverSend({ type: "room.audience", room_id: "r1", online: 3, spotify: 1 }));
    expect(screen.getByTestId("hearing").textContent).toBe("1 of 3 listeners can hear this");

    await act(() => router.navigate("/profile"));
    expect(screen.getByTestId("mini-cannot-hear").textContent).toBe("Spotify only · connect Spotify in the room");
  });
});
