// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { fakeJwt, jsonResponse, mockFetch, renderWithApp } from "../../test/helpers";
import { FavoritesPage } from "./FavoritesPage";

const tokens = { access: fakeJwt("u1"), refresh: "r" };
const TRACK = "4uLU6hMCjMI75M1A2tKUQC";

function errorOf(control: HTMLElement): string {
  const ids = (control.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
  return ids.map((id) => document.getElementById(id)?.textContent ?? "").join(" ");
}

describe("<FavoritesPage> add form", () => {
  it("says when the text is not a track id or link instead of doing nothing", async () => {
    const fetch = mockFetch((url) => (url.pathname === "/favorites/me" ? jsonResponse([]) : undefined));
    renderWithApp(<FavoritesPage />, { fetch, tokens });
    const input = screen.getByLabelText("Spotify track id or link");
    fireEvent.change(input, { target: { value: "hello" } });
    fireEvent.click(screen.getByRole("button", { name: "Add favorite" }));

    await waitFor(() => expect(input.getAttribute("aria-invalid")).toBe("true"));
    expect(errorOf(input)).toContain("That isn't a Spotify track id or link.");
  });

  it("shows the server's spotify_id error under the field without the field's name", async () => {
    const fetch = mockFetch((url, init) => {
      if (url.pathname === "/favorites/me" && init.method === "POST")
        return jsonResponse(
          { detail: "spotify_id: No such track on Spotify.", code: "invalid", errors: { spotify_id: ["No such track on Spotify."] } },
          400,
        );
      if (url.pathname === "/favorites/me") return jsonResponse([]);
      return undefined;
    });
    renderWithApp(<FavoritesPage />, { fetch, tokens });
    const input = screen.getByLabelText("Spotify track id or link");
    fireEvent.change(input, { target: { value: `https://open.spotify.com/track/${TRACK}?si=x` } });
    fireEvent.click(screen.getByRole("button", { name: "Add favorite" }));

    await waitFor(() => expect(errorOf(input)).toContain("No such track on Spotify."));
    expect(document.body.textContent).not.toContain("spotify_id");
  });
});

describe("<FavoritesPage> list", () => {
  it("marks an uploaded file with an Upload badge", async () => {
    const track = (id: string, name: string, origin: string) => ({
      spotify_id: id,
      name,
      artists: ["Zara"],
      album: "A",
      duration_ms: 61_000,
      genres: [],
      image_url: "http://t/c.svg",
      audio_url: "http://t/a.mp3",
      origin,
      sources: ["audio"],
    });
    const fetch = mockFetch((url) =>
      url.pathname === "/favorites/me"
        ? jsonResponse([
            { track: track("upload:1", "Home Demo", "upload"), added_at: "2026-01-01T00:00:00Z" },
            { track: track(TRACK, "Catalog Song", "demo"), added_at: "2026-01-01T00:00:00Z" },
          ])
        : undefined,
    );
    renderWithApp(<FavoritesPage />, { fetch, tokens });
    const upload = (await screen.findByText("Home Demo")).closest("li")!;
    expect(within(upload).getByText("Upload")).toBeTruthy();
    expect(within(screen.getByText("Catalog Song").closest("li")!).queryByText("Upload")).toBeNull();
  });
});
