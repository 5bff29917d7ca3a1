// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { fakeJwt, jsonResponse, mockFetch, renderWithApp, type FetchRoute } from "../../test/helpers";
import { uploadFixture, uploadList, uploadsRoute } from "../uploads/testData";
import { TrackPicker } from "./TrackPicker";
import { searchRoute, SEARCH_RESULTS, trackFixture } from "./testData";

const tokens = { access: fakeJwt("me"), refresh: "r" };

function setup(queueRoute: FetchRoute = () => jsonResponse({ id: "q1" }, 201)) {
  const searches: URL[] = [];
  const queued: unknown[] = [];
  const onQueued = vi.fn();
  const fetch = mockFetch(searchRoute(searches), (url, init) => {
    if (url.pathname !== "/rooms/room-1/queue" || init.method !== "POST") return undefined;
    queued.push(JSON.parse(String(init.body)));
    return queueRoute(url, init);
  });
  renderWithApp(<TrackPicker roomId="room-1" onQueued={onQueued} />, { fetch, tokens });
  const box = screen.getByRole("combobox", { name: "Add a track" });
  box.focus();
  return { box, searches, queued, onQueued };
}

describe("<TrackPicker>", () => {
  it("finds tracks by part of a name and shows artwork, artists, duration and whether they play here", async () => {
    const { box, searches } = setup();
    fireEvent.change(box, { target: { value: "blu" } });

    const first = await screen.findByRole("option", { name: /Blue in Green/ });
    expect(first.textContent).toContain("Miles Davis, Bill Evans · 5:37");
    expect(first.querySelector("img")?.getAttribute("src")).toBe("http://test.local/covers/1.png");
    expect(first.textContent).not.toContain("can't play here");
    expect(screen.getByRole("option", { name: /Blue Monk/ }).textContent).toContain("can't play here");
    expect(searches[0]!.searchParams.get("type")).toBe("track");
    expect(searches[0]!.searchParams.get("q")).toBe("blu");
    // The first result is highlighted (Combobox sets it in an effect after the results render):
    // Enter adds it.
    await waitFor(() => expect(box.getAttribute("aria-activedescendant")).toBe(first.id));
    expect(within(screen.getByRole("listbox")).getAllByRole("option")).toHaveLength(2);
  });

  it("Enter queues the highlighted track by its spotify_id, clears the box and says so", async () => {
    const { box, queued, onQueued } = setup();
    fireEvent.change(box, { target: { value: "blue" } });
    await screen.findByRole("option", { name: /Blue Monk/ });
    fireEvent.keyDown(box, { key: "ArrowDown" });
    fireEvent.keyDown(box, { key: "Enter" });

    await waitFor(() => expect(onQueued).toHaveBeenCalledTimes(1));
    expect(queued).toEqual([{ spotify_id: "track2" }]);
    expect((box as HTMLInputElement).value).toBe("");
    expect(document.body.textContent).toContain("Added Blue Monk by Thelonious Monk to the queue.");
  });

  it("ArrowUp wraps to the last result", async () => {
    const { box } = setup();
    fireEvent.change(box, { target: { value: "blue" } });
    await screen.findByRole("option", { name: /Blue Monk/ });
    fireEvent.keyDown(box, { key: "ArrowUp" });
    expect(document.getElementById(box.getAttribute("aria-activedescendant")!)!.textContent).toContain("Blue Monk");
    fireEvent.keyDown(box, { key: "ArrowUp" });
    expect(document.getElementById(box.getAttribute("aria-activedescendant")!)!.textContent).toContain("Blue in Green");
  });

  it("says a refusal in words (rate limited) and keeps the text", async () => {
    const { box, onQueued } = setup(() =>
      jsonResponse({ detail: "Too many requests.", code: "rate_limited" }, 429, { "Retry-After": "12" }),
    );
    fireEvent.change(box, { target: { value: "blue" } });
    await screen.findByRole("option", { name: /Blue in Green/ });
    fireEvent.keyDown(box, { key: "Enter" });

    expect((await screen.findByRole("alert")).textContent).toBe("Too many requests. Try again in 12 s.");
    expect(onQueued).not.toHaveBeenCalled();
    expect((box as HTMLInputElement).value).toBe("blue");
  });

  it("says when nothing matches, and Escape closes then clears", async () => {
    const searches: URL[] = [];
    const fetch = mockFetch(searchRoute(searches, () => ({ tracks: [] })));
    renderWithApp(<TrackPicker roomId="room-1" />, { fetch, tokens });
    const box = screen.getByRole("combobox", { name: "Add a track" });
    box.focus();
    fireEvent.change(box, { target: { value: "zzzz" } });
    expect(await screen.findByText("No tracks match “zzzz”.")).toBeTruthy();
    fireEvent.keyDown(box, { key: "Escape" });
    expect(box.getAttribute("aria-expanded")).toBe("false");
    fireEvent.keyDown(box, { key: "Escape" });
    expect((box as HTMLInputElement).value).toBe("");
  });

  it("does not ask the server for one letter", async () => {
    const { box, searches } = setup();
    fireEvent.change(box, { target: { value: "b" } });
    expect(await screen.findByText("Keep typing…")).toBeTruthy();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(searches).toHaveLength(0);
  });

  it("marks an uploaded file with an Upload badge", async () => {
    const searches: URL[] = [];
    const upload = { ...trackFixture(5, { spotify_id: uploadFixture(5).id, name: "Blue Demo" }), origin: "upload" as const };
    const fetch = mockFetch(searchRoute(searches, () => ({ tracks: [upload, ...(SEARCH_RESULTS.tracks ?? [])] })));
    renderWithApp(<TrackPicker roomId="room-1" />, { fetch, tokens });
    const box = screen.getByRole("combobox", { name: "Add a track" });
    box.focus();
    fireEvent.change(box, { target: { value: "blue" } });

    const option = await screen.findByRole("option", { name: /Blue Demo/ });
    expect(within(option).getByText("Upload")).toBeTruthy();
    expect(within(screen.getByRole("option", { name: /Blue in Green/ })).queryByText("Upload")).toBeNull();
  });

  it("lists my latest uploads to queue directly, and links to the uploads page", async () => {
    const queued: unknown[] = [];
    const listCalls: URL[] = [];
    const fetch = mockFetch(uploadsRoute(() => uploadList([uploadFixture(1), uploadFixture(2)]), listCalls), (url, init) => {
      if (url.pathname !== "/rooms/room-1/queue" || init.method !== "POST") return undefined;
      queued.push(JSON.parse(String(init.body)));
      return jsonResponse({ id: "q1" }, 201);
    });
    const onQueued = vi.fn();
    renderWithApp(<TrackPicker roomId="room-1" onQueued={onQueued} />, { fetch, tokens });
    expect(screen.getByRole("link", { name: "Upload a file" }).getAttribute("href")).toBe("/uploads");
    expect(listCalls).toHaveLength(0);

    const toggle = screen.getByRole("button", { name: "Add from my uploads" });
    fireEvent.click(toggle);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    const list = await screen.findByRole("list", { name: "My uploads" });
    expect(within(list).getAllByRole("listitem").map((item) => item.textContent)).toEqual([
      "Song 1 — Singer 1+ Queue",
      "Song 2 — Singer 2+ Queue",
    ]);
    expect(listCalls[0]!.searchParams.get("limit")).toBe("10");

    fireEvent.click(within(list).getByRole("button", { name: "Queue Song 2" }));
    await waitFor(() => expect(onQueued).toHaveBeenCalledTimes(1));
    expect(queued).toEqual([{ spotify_id: uploadFixture(2).id }]);
    expect(document.body.textContent).toContain("Added Song 2 by Singer 2 to the queue.");
  });

  it("says when I have no uploads yet, with a way to upload one", async () => {
    const fetch = mockFetch(uploadsRoute(() => uploadList([])));
    renderWithApp(<TrackPicker roomId="room-1" />, { fetch, tokens });
    fireEvent.click(screen.getByRole("button", { name: "Add from my uploads" }));
    expect(await screen.findByText(/No uploads yet\./)).toBeTruthy();
    expect(screen.getByRole("link", { name: "Upload an audio file" }).getAttribute("href")).toBe("/uploads");
  });
});
