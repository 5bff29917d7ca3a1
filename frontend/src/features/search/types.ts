/**
 * The shapes of GET /search/, GET /friendships/listening-now and a user's `listening_now`
 * (issue 14), from the generated OpenAPI types.
 */
import type { components } from "../../api/schema";

type Schemas = components["schemas"];

export type SearchType = "track" | "room" | "user";
export type SearchResults = Schemas["SearchResponse"];
/** A track found by search: a catalog track, or one from Spotify (no audio_url: cannot play here). */
export type SearchTrack = Schemas["SearchTrack"];
/** Whether Spotify was asked for tracks and answered. */
export type SpotifyStatus = Schemas["SpotifyEnum"];
/** The room someone is listening in. */
export type RoomRef = Schemas["ListeningRoom"];
/** GET /users/{id} → listening_now. */
export type ListeningNow = Schemas["ListeningNow"];
/** GET /friendships/listening-now → one per friend. */
export type FriendListening = Schemas["FriendListening"];

/** A track with no audio_url cannot play in the browser here: Spotify only. */
export function isSpotifyOnly(track: { audio_url?: string | null }): boolean {
  return !track.audio_url;
}
