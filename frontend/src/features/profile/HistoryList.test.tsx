// @vitest-environment jsdom
import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { ListeningEvent } from "../../api/types";
import { mockFetch, renderWithApp } from "../../test/helpers";
import { HistoryList } from "./HistoryList";

const track = (id: string, name: string) => ({ spotify_id: id, name, artists: ["Zara"], album: "A", duration_ms: 1000, genres: [], image_url: "http://t/c.svg", audio_url: null });

describe("<HistoryList>", () => {
  it("marks the plays the listener liked (reactions show in history)", async () => {
    const events = [
      { track: track("a", "Liked Song"), listened_at: "2026-12-01T10:00:00Z", room_id: null, liked: true },
      { track: track("b", "Plain Song"), listened_at: "2026-12-01T09:00:00Z", room_id: null, liked: false },
    ] as unknown as ListeningEvent[];
    renderWithApp(<HistoryList queryKey={["h"]} load={() => Promise.resolve(events)} />, { fetch: mockFetch(() => undefined) });
    const liked = (await screen.findByText("Liked Song")).closest("li")!;
    expect(within(liked).getByText("Liked")).toBeTruthy();
    const plain = screen.getByText("Plain Song").closest("li")!;
    expect(within(plain).queryByText("Liked")).toBeNull();
  });

  it("marks an uploaded file with an Upload badge", async () => {
    const events = [
      { track: { ...track("upload:1", "Home Demo"), origin: "upload" }, listened_at: "2026-12-01T10:00:00Z", room_id: null, liked: false },
      { track: { ...track("b", "Catalog Song"), origin: "spotify" }, listened_at: "2026-12-01T09:00:00Z", room_id: null, liked: false },
    ] as unknown as ListeningEvent[];
    renderWithApp(<HistoryList queryKey={["h"]} load={() => Promise.resolve(events)} />, { fetch: mockFetch(() => undefined) });
    const upload = (await screen.findByText("Home Demo")).closest("li")!;
    expect(within(upload).getByText("Upload")).toBeTruthy();
    expect(within(screen.getByText("Catalog Song").closest("li")!).queryByText("Upload")).toBeNull();
  });
});
