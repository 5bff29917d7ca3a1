// @vitest-environment jsdom
import { fireEvent, screen, waitFor } from "@testing-library/react";
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
