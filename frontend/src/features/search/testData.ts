import type { Track, UserBrief } from "../../api/types";
import { roomFixture } from "../../test/fixtures";
import { jsonResponse, type FetchRoute } from "../../test/http";
import type { SearchResults } from "./types";

export function trackFixture(n: number, extra: Partial<Track> = {}): Track {
  return {
    spotify_id: `track${n}`,
    name: `Track ${n}`,
    artists: [`Artist ${n}`],
    album: `Album ${n}`,
    duration_ms: 185_000,
    genres: ["jazz"],
    image_url: `http://test.local/covers/${n}.png`,
    audio_url: `http://test.local/audio/${n}.mp3`,
    ...extra,
  } as Track;
}

export function userBrief(n: number, extra: Partial<UserBrief> = {}): UserBrief {
  return { id: `user-${n}`, username: `user${n}`, display_name: `Person ${n}`, avatar_url: null, ...extra } as UserBrief;
}

export const SEARCH_RESULTS: SearchResults = {
  tracks: [
    trackFixture(1, { name: "Blue in Green", artists: ["Miles Davis", "Bill Evans"], duration_ms: 337_000 }),
    trackFixture(2, { name: "Blue Monk", artists: ["Thelonious Monk"], audio_url: null }),
  ],
  rooms: [roomFixture(7, { name: "Blue Room" })],
  users: [userBrief(3, { display_name: "Bluebird" })],
  spotify: "ok",
};

/** Answers GET /search with `answer(url)`, recording each query. */
export function searchRoute(calls: URL[], answer: (url: URL) => Partial<SearchResults> = () => SEARCH_RESULTS): FetchRoute {
  return (url, init) => {
    if (url.pathname !== "/search/" || (init.method ?? "GET") !== "GET") return undefined;
    calls.push(url);
    const types = (url.searchParams.get("type") ?? "track,room,user").split(",");
    const body = answer(url);
    return jsonResponse({
      ...(types.includes("track") ? { tracks: body.tracks ?? [] } : {}),
      ...(types.includes("room") ? { rooms: body.rooms ?? [] } : {}),
      ...(types.includes("user") ? { users: body.users ?? [] } : {}),
      spotify: body.spotify ?? "off",
    });
  };
}
