// @vitest-environment jsdom
import { fireEvent, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { Room } from "../../api/types";
import { fakeJwt, jsonResponse, mockFetch, renderWithApp } from "../../test/helpers";
import { RoomsPage } from "./RoomsPage";

function room(n: number, extra: Partial<Room> = {}): Room {
  return {
    id: `room-${n}`,
    name: `Room ${n}`,
    description: `About room ${n}`,
    is_private: false,
    genres: ["jazz"],
    owner: { id: "o", username: "olga", display_name: "Olga", avatar_url: null },
    member_count: 3,
    online_count: n === 1 ? 2 : 0,
    now_playing: null,
    queue_policy: "moderators",
    playback_policy: "moderators",
    my_role: null,
    created_at: "2026-01-01T00:00:00Z",
    ...extra,
  } as Room;
}

describe("<RoomsPage>", () => {
  it("shows – for a room whose listeners are unknown (online_count null while presence is down)", async () => {
    const fetch = mockFetch((url) =>
      url.pathname === "/rooms/" ? jsonResponse([room(1, { online_count: null }), room(2)]) : undefined,
    );

    renderWithApp(<RoomsPage />, { fetch, tokens: { access: fakeJwt("me"), refresh: "r" }, route: "/rooms" });

    const list = await screen.findByRole("list", { name: "Rooms" });
    const items = within(list).getAllByRole("listitem");
    expect(within(items[0]!).getByText("– live")).toBeTruthy();
    expect(within(items[0]!).queryByText(/^\d+ live$/)).toBeNull();
    expect(within(items[1]!).queryByText(/live/)).toBeNull();
  });

  it("lists rooms from GET /rooms/ with the order, paging and filters in the query", async () => {
    const calls: URL[] = [];
    const fetch = mockFetch((url) => {
      if (url.pathname !== "/rooms/") return undefined;
      calls.push(url);
      if (url.searchParams.get("genre") === "techno") return jsonResponse([]);
      return jsonResponse([
        room(1, {
          now_playing: {
            spotify_id: "t",
            name: "Blue in Green",
            artists: ["Miles"],
            album: "Kind of Blue",
            duration_ms: 1000,
            genres: [],
            image_url: "",
            audio_url: null,
            origin: "spotify",
            sources: ["spotify"],
          },
        }),
        room(2, { is_private: true }),
      ]);
    });

    renderWithApp(<RoomsPage />, { fetch, tokens: { access: fakeJwt("me"), refresh: "r" }, route: "/rooms" });

    const list = await screen.findByRole("list", { name: "Rooms" });
    const items = within(list).getAllByRole("listitem");
    expect(items).toHaveLength(2);
    expect(within(items[0]!).getByRole("link", { name: "Room 1" }).getAttribute("href")).toBe("/rooms/room-1");
    expect(within(items[0]!).getByText("Blue in Green")).toBeTruthy();
    expect(within(items[0]!).getByText("2 live")).toBeTruthy();
    expect(within(items[1]!).getByText("Private")).toBeTruthy();
    expect(calls[0]!.searchParams.get("order")).toBe("live");
    expect(calls[0]!.searchParams.get("limit")).toBe("12");
    expect(calls[0]!.searchParams.get("offset")).toBe("0");
    // Fewer than a page: no next page.
    expect((screen.getByRole("button", { name: /next/i }) as HTMLButtonElement).disabled).toBe(true);

    fireEvent.change(screen.getByLabelText("Genre"), { target: { value: "techno" } });
    fireEvent.submit(screen.getByRole("search"));
    expect(await screen.findByText("No rooms match.")).toBeTruthy();
    expect(calls[calls.length - 1]!.searchParams.get("genre")).toBe("techno");
  });

  it("shows the API's error", async () => {
    const fetch = mockFetch((url) =>
      url.pathname === "/rooms/" ? jsonResponse({ detail: "Too many requests.", code: "rate_limited" }, 429, { "Retry-After": "30" }) : undefined,
    );
    renderWithApp(<RoomsPage />, { fetch, route: "/rooms" });

    expect((await screen.findByRole("alert")).textContent).toContain("Too many requests.");
  });

  it("skips no heading level: the page's h1, then one h2 per room", async () => {
    const fetch = mockFetch((url) => (url.pathname === "/rooms/" ? jsonResponse([room(1), room(2)]) : undefined));
    renderWithApp(<RoomsPage />, { fetch, tokens: { access: fakeJwt("me"), refresh: "r" }, route: "/rooms" });
    await screen.findByRole("list", { name: "Rooms" });

    const levels = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].map((h) => Number(h.tagName[1]));
    expect(levels).toEqual([1, 2, 2]);
  });

  it("lets a description without spaces wrap and shows a focus outline on the card's link", async () => {
    const long = "x".repeat(2500);
    const fetch = mockFetch((url) => (url.pathname === "/rooms/" ? jsonResponse([room(1, { description: long })]) : undefined));
    renderWithApp(<RoomsPage />, { fetch, route: "/rooms" });

    const list = await screen.findByRole("list", { name: "Rooms" });
    const description = within(list).getByText(long);
    expect(description.className).toContain("[overflow-wrap:anywhere]");
    expect(list.className).toContain("grid-cols-1");
    expect(within(list).getByRole("listitem").className).toContain("min-w-0");
    const link = within(list).getByRole("link", { name: "Room 1" });
    expect(link.className).not.toMatch(/(^|\s)focus:outline-none/);
    expect(link.className).toContain("focus-visible:outline-2");
  });
});

