/**
 * The shapes of GET /search, GET /friendships/listening-now and a user's `listening_now`
 * (issue 14's contract). Until the backend's schema has them, they are spelled out here from
 * the contract; the calls live in searchApi.ts.
 */
import type { Room, Track, UserBrief } from "../../api/types";

export type SearchType = "track" | "room" | "user";

/** Whether Spotify was asked for tracks and answered. */
export type SpotifyStatus = "ok" | "failed" | "off";

export interface SearchResults {
  tracks?: Track[];
  rooms?: Room[];
  users?: UserBrief[];
  spotify?: SpotifyStatus;
}

/** The room someone is in, as the listening-now answers name it. */
export interface RoomRef {
  id: string;
  name: string;
  image_url?: string | null;
}

/** GET /users/{id} → listening_now. */
export interface ListeningNow {
  room: RoomRef;
  track: Track | null;
}

/** GET /friendships/listening-now → one of these per friend. */
export interface FriendListening {
  user: UserBrief;
  room: RoomRef;
  track: Track | null;
}

/** A track with no audio_url cannot play in the browser here: Spotify only. */
export function isSpotifyOnly(track: Pick<Track, "audio_url">): boolean {
  return !track.audio_url;
}
