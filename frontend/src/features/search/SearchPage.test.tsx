// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { fakeJwt, jsonResponse, mockFetch, renderWithApp } from "../../test/helpers";
import { SearchPage, SPOTIFY_FAILED } from "./SearchPage";
import { SEARCH_RESULTS, searchRoute } from "./testData";

const tokens = { access: fakeJwt("me"), refresh: "r" };
const lists = (url: URL) =>
  url.pathname === "/favorites/me" || url.pathname.startsWith("/friendships/my-") ? jsonResponse([]) : undefined;

describe("<SearchPage>", () => {
  it("shows tracks, rooms and people for ?q= in their own sections", async () => {
    const calls: URL[] = [];
    const fetch = mockFetch(searchRoute(calls), lists);
    renderWithApp(<SearchPage />, { fetch, tokens, route: "/search?q=blue" });

    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Results for “blue”");
    const tracks = await screen.findByRole("list", { name: "Tracks" });
    const [green, monk] = within(tracks).getAllByRole("listitem");
    expect(green!.textContent).toContain("Blue in Green");
    expect(green!.textContent).toContain("Miles Davis, Bill Evans · 5:37");
    expect(green!.querySelector("img")?.getAttribute("src")).toBe("http://test.local/covers/1.png");
    expect(green!.textContent).not.toContain("Spotify only");
    expect(within(green!).getByRole("button", { name: /Add to favorites/ })).toBeTruthy();
    expect(monk!.textContent).toContain("Spotify only");

    const rooms = screen.getByRole("list", { name: "Rooms" });
    expect(within(rooms).getByRole("link", { name: "Blue Room" }).getAttribute("href")).toBe("/rooms/room-7");
    const people = screen.getByRole("list", { name: "People" });
    expect(within(people).getByRole("link", { name: /Bluebird/ }).getAttribute("href")).toBe("/users/user-3");

    const levels = [...document.querySelectorAll("h1, h2, h3")].map((h) => `${h.tagName}:${h.textContent}`);
    expect(levels).toEqual(["H1:Results for “blue”", "H2:Tracks", "H2:Rooms", "H3:Blue Room", "H2:People"]);
    expect(calls[0]!.searchParams.get("q")).toBe("blue");
    expect(calls[0]!.searchParams.get("limit")).toBe("20");
    expect(screen.queryByText(SPOTIFY_FAILED)).toBeNull();
  });

  it("says when Spotify search failed and only the catalog is shown", async () => {
    const fetch = mockFetch(searchRoute([], () => ({ ...SEARCH_RESULTS, spotify: "failed" })), lists);
    renderWithApp(<SearchPage />, { fetch, tokens, route: "/search?q=blue" });
    expect(await screen.findByText(SPOTIFY_FAILED)).toBeTruthy();
    expect(SPOTIFY_FAILED).toBe("Showing TuneWave's catalog only — Spotify search is unavailable right now.");
  });

  it("says when nothing matches", async () => {
    const fetch = mockFetch(searchRoute([], () => ({})), lists);
    renderWithApp(<SearchPage />, { fetch, tokens, route: "/search?q=qqqq" });
    expect(await screen.findByText("Nothing matches “qqqq”.")).toBeTruthy();
  });

  it("searches what is typed in its own box", async () => {
    const calls: URL[] = [];
    const fetch = mockFetch(searchRoute(calls), lists);
    renderWithApp(<SearchPage />, { fetch, tokens, route: "/search" });
    expect(screen.getByText(/Type at least 2 letters/)).toBeTruthy();
    const box = screen.getByRole("searchbox", { name: "Search tracks, rooms and people" });
    fireEvent.change(box, { target: { value: "monk" } });
    fireEvent.submit(screen.getByRole("search"));
    await screen.findByRole("list", { name: "Tracks" });
    await waitFor(() => expect(calls.at(-1)!.searchParams.get("q")).toBe("monk"));
  });
});
