/**
 * What the signed-in listener can do with Spotify, for the player: their status (GET
 * /users/me `playback.spotify`), this server's Spotify player (GET /auth/config
 * `spotify_player`), the player token (GET /auth/spotify/player-token) and the link flow
 * (POST /auth/link, then the browser goes to the `login_url` it answers, coming back to the
 * room). Both look-ups wait for a track that needs Spotify.
 */
import { useQuery } from "@tanstack/react-query";
import { useCallback, useMemo } from "react";

import { unwrap, type ApiClient } from "../../api/client";
import { useApi, useAuth } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { loginUrlWithNext } from "../auth/next";
import { trackSources, type EngineTrack } from "./engine";
import type { SpotifyPlayerConfig, SpotifyPlayerToken } from "./spotifyEngine";
import type { SpotifyAccess, SpotifyPlayback } from "./useSyncedPlayer";

/** A track that plays on Spotify and not from a file. */
export function needsSpotify(track: EngineTrack | null | undefined): boolean {
  if (!track) return false;
  const sources = trackSources(track);
  return !sources.includes("audio") && sources.includes("spotify");
}

export async function fetchPlayerToken(api: ApiClient): Promise<SpotifyPlayerToken> {
  return unwrap(api.http.GET("/auth/spotify/player-token"));
}

function goTo(url: string): void {
  window.location.assign(url);
}

/**
 * `go` sends the browser to the link flow's URL (tests replace it: jsdom cannot navigate).
 */
export function useSpotifyAccess(
  track: EngineTrack | null | undefined,
  roomId: string | null,
  go: (url: string) => void = goTo,
): SpotifyAccess {
  const api = useApi();
  const { userId } = useAuth();
  const wanted = needsSpotify(track);
  const me = useQuery({ queryKey: keys.me, queryFn: () => api.me(), enabled: wanted && userId !== null, staleTime: 5 * 60_000 });
  const config = useQuery({ queryKey: keys.config, queryFn: () => api.config(), enabled: wanted, staleTime: Infinity });
  const status: SpotifyPlayback | null = me.data?.playback?.spotify ?? null;
  const player: SpotifyPlayerConfig | null = config.data?.spotify_player ?? null;
  const known = me.isSuccess && config.isSuccess;

  const getToken = useCallback(() => fetchPlayerToken(api), [api]);
  const connect = useCallback(async () => {
    const ticket = await unwrap(api.http.POST("/auth/link", { body: { provider: "spotify" } }));
    go(loginUrlWithNext(ticket.login_url, roomId ? `/rooms/${roomId}` : "/rooms"));
  }, [api, roomId, go]);

  return useMemo(() => ({ status, player, known, getToken, connect }), [status, player, known, getToken, connect]);
}
