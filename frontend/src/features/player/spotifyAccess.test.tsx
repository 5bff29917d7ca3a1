// @vitest-environment jsdom
import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";

import { fakeJwt, jsonResponse, mockFetch, renderWithApp } from "../../test/helpers";
import type { EngineTrack } from "./engine";
import { useSpotifyAccess } from "./spotifyAccess";
import type { SpotifyAccess } from "./useSyncedPlayer";

const SPOTIFY: EngineTrack = { spotify_id: "4uLU6hMCjMI75M1A2tKUQC", audio_url: null, sources: ["spotify"] };
const FILE: EngineTrack = { spotify_id: "upload:0123456789abcdef0123456789abcdef", audio_url: "/media/uploads/a.wav", sources: ["audio"] };

/** Plays `tracks` one after the other ("Next track"). */
function Harness({ tracks, go, onAccess }: { tracks: EngineTrack[]; go: (url: string) => void; onAccess: (access: SpotifyAccess) => void }) {
  const [index, setIndex] = useState(0);
  const access = useSpotifyAccess(tracks[index], "room-7", go);
  onAccess(access);
  return (
    <>
      <p data-testid="status">{`${access.status ?? "unknown"} ${access.player ? "player" : "no player"} ${access.known ? "known" : "asking"}`}</p>
      <button type="button" onClick={() => setIndex(index + 1)}>
        Next track
      </button>
    </>
  );
}

describe("useSpotifyAccess", () => {
  it("asks /users/me and /auth/config only for a Spotify-only track, fetches the player token, and links through POST /auth/link", async () => {
    const fetch = mockFetch((url, init) => {
      if (url.pathname === "/users/me") return jsonResponse({ id: "u1", username: "ann", playback: { spotify: "not_linked" } });
      if (url.pathname === "/auth/config") return jsonResponse({ spotify_player: { sdk_url: "https://sdk.test/p.js", api_url: "https://api.test" } });
      if (url.pathname === "/auth/spotify/player-token") return jsonResponse({ access_token: "sp-token", expires_at: 1_900_000_000_000 });
      if (url.pathname === "/auth/link" && init.method === "POST") return jsonResponse({ ticket: "tk", expires_in: 120, login_url: "/auth/spotify/login?link=tk" }, 201);
      return undefined;
    });
    const go = vi.fn();
    let access: SpotifyAccess | null = null;
    renderWithApp(<Harness tracks={[FILE, SPOTIFY]} go={go} onAccess={(a) => (access = a)} />, { fetch, tokens: { access: fakeJwt("u1"), refresh: "r" } });
    await act(async () => {});
    expect(fetch).not.toHaveBeenCalled();
    expect(screen.getByTestId("status").textContent).toBe("unknown no player asking");

    fireEvent.click(screen.getByRole("button", { name: "Next track" }));
    await waitFor(() => expect(screen.getByTestId("status").textContent).toBe("not_linked player known"));

    expect(await access!.getToken()).toEqual({ access_token: "sp-token", expires_at: 1_900_000_000_000 });
    const tokenCall = fetch.mock.calls.find(([input]) => String((input as Request).url).endsWith("/auth/spotify/player-token"))!;
    expect((tokenCall[0] as Request).headers.get("Authorization")).toBe(`Bearer ${fakeJwt("u1")}`);

    await act(() => access!.connect());
    expect(go).toHaveBeenCalledWith(`/auth/spotify/login?link=tk&next=${encodeURIComponent(`${window.location.origin}/app/rooms/room-7`)}`);
  });

  it("rejects with the server's refusal of the player token", async () => {
    const fetch = mockFetch((url) =>
      url.pathname === "/auth/spotify/player-token" ? jsonResponse({ detail: "Spotify plays full tracks only for Premium accounts.", code: "spotify_not_premium" }, 409) : undefined,
    );
    let access: SpotifyAccess | null = null;
    renderWithApp(<Harness tracks={[FILE]} go={() => {}} onAccess={(a) => (access = a)} />, { fetch, tokens: { access: fakeJwt("u1"), refresh: "r" } });
    await expect(access!.getToken()).rejects.toMatchObject({ status: 409, code: "spotify_not_premium" });
  });
});
