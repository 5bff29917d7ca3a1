/**
 * What the listening session knows of its room, kept from the room socket's frames so a page
 * that attaches later (the room page, after a visit to the profile) sees it at once: the
 * playback state, who is online (and how many of them can play Spotify), skip votes and likes
 * of the current play, and whether the socket ended the listener's membership. Free of React, so it can be tested alone.
 *
 * A "play" is one track from its start (`track_started_at`); pause and seek bump the version
 * within a play. Votes and likes belong to a play: a new play starts them over, and a count
 * whose version is older than the play's first state belongs to an earlier play.
 */
import type { UserBrief } from "../../api/types";
import type { PlaybackState, ServerEvent } from "../../realtime/events";
import { applyPresence, applyPresenceMeta, NO_PRESENCE, type PresenceMeta } from "../../realtime/presence";
import type { SocketStatus } from "../../realtime/roomSocket";
import { endedReducer, type Ended } from "../room/membership";

export interface Tally {
  /** the PlaybackState.version it was counted at */
  version: number;
  votes: number;
  /** null until the server has said */
  needed: number | null;
}

export interface LiveRoom {
  status: SocketStatus;
  playback: PlaybackState | null;
  /** the version of the first state of the current play */
  playVersion: number;
  online: UserBrief[];
  /** the count, friends present and the next page's cursor of the listener list */
  presence: PresenceMeta;
  ended: Ended;
  votes: Tally | null;
  likes: { version: number; count: number } | null;
  /** the listener voted to skip / liked the current play */
  voted: boolean;
  liked: boolean;
  /** listeners online, and how many of them can play Spotify (room.audience); null until said */
  audience: Audience | null;
}

export interface Audience {
  online: number;
  spotify: number;
}

export const initialLive: LiveRoom = {
  status: { state: "idle" },
  playback: null,
  playVersion: 0,
  online: [],
  presence: NO_PRESENCE,
  ended: null,
  votes: null,
  likes: null,
  voted: false,
  liked: false,
  audience: null,
};

export type LiveAction =
  | { type: "frame"; event: ServerEvent }
  | { type: "status"; status: SocketStatus }
  | { type: "voted" }
  | { type: "liked" };

/** One play of one track: changes when the track (re)starts. */
export function playKey(state: PlaybackState | null): string | null {
  if (!state?.track) return null;
  return `${state.track.spotify_id}@${state.track_started_at ?? ""}`;
}

export function liveReducer(current: LiveRoom, action: LiveAction): LiveRoom {
  switch (action.type) {
    case "status":
      return { ...current, status: action.status, ended: endedReducer(current.ended, { type: "socket-status", status: action.status }) };
    case "voted":
      return { ...current, voted: true };
    case "liked":
      return { ...current, liked: true, likes: current.likes ? { ...current.likes, count: current.likes.count + 1 } : { version: current.playback?.version ?? 0, count: 1 } };
    case "frame":
      return onFrame(current, action.event);
  }
}

function onFrame(current: LiveRoom, event: ServerEvent): LiveRoom {
  switch (event.type) {
    case "playback.state": {
      if (current.playback && current.playback.version > event.version) return current;
      if (playKey(current.playback) === playKey(event) && current.playback) return { ...current, playback: event };
      // A new play: votes and likes start over (unless the server already counted for it).
      const votes = current.votes && current.votes.version >= event.version ? current.votes : { version: event.version, votes: 0, needed: current.votes?.needed ?? null };
      const likes = current.likes && current.likes.version >= event.version ? current.likes : { version: event.version, count: 0 };
      return { ...current, playback: event, playVersion: event.version, votes, likes, voted: false, liked: false };
    }
    case "playback.votes":
      if (event.version < current.playVersion) return current;
      return { ...current, votes: { version: event.version, votes: event.votes, needed: event.needed } };
    case "reaction.counts":
      if (event.version < current.playVersion) return current;
      return { ...current, likes: { version: event.version, count: event.counts.like ?? 0 } };
    case "room.audience":
      return { ...current, audience: { online: event.online, spotify: event.spotify }, presence: applyPresenceMeta(current.presence, event) };
    case "presence":
    case "presence.page":
    case "member.joined":
    case "member.left":
    case "members.changed":
      return { ...current, online: applyPresence(current.online, event), presence: applyPresenceMeta(current.presence, event) };
    case "error":
      if (event.in_reply_to === "playback.vote_skip") return { ...current, voted: false };
      if (event.in_reply_to === "reaction") return { ...current, liked: false, likes: current.likes ? { ...current.likes, count: Math.max(0, current.likes.count - 1) } : null };
      return { ...current, ended: endedReducer(current.ended, { type: "socket-error", code: event.code, detail: event.detail }) };
    default:
      return current;
  }
}
