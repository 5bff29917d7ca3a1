/** Frames of the room socket, as docs/asyncapi.yaml describes them (asyncapi.test.ts checks that). */
import type { Message, QueueItem, Track, UserBrief } from "../api/types";

export type PlaybackStatus = "playing" | "paused" | "idle";

export interface PlaybackState {
  type: "playback.state";
  room_id?: string;
  track: Track | null;
  status: PlaybackStatus;
  position_ms: number;
  server_time: number;
  track_started_at?: number | null;
  version: number;
  /** how the playing track got there: queued by a member, or picked by TuneWave (autoplay) */
  via?: "member" | "autoplay";
  /** why TuneWave picked it ("" for a member's addition) */
  reason?: string;
  /** who queued it (null for autoplay) */
  added_by?: UserBrief | null;
}

/** Skip votes for the current play ("version" is the PlaybackState.version they were counted at). */
export interface VotesEvent {
  type: "playback.votes";
  room_id: string;
  version: number;
  votes: number;
  needed: number;
}

/** Reactions on the current play. */
export interface ReactionCountsEvent {
  type: "reaction.counts";
  room_id: string;
  version: number;
  counts: { like: number };
}

export type ChatMessageEvent = { type: "chat.message" } & Message;

export type ServerEvent =
  | ChatMessageEvent
  /** `complete: false`: one page of at most 500; ask again with after_id = its last id */
  | { type: "chat.history"; messages: Message[]; complete?: boolean }
  | { type: "chat.deleted"; room_id: string; id: number }
  | { type: "time.pong"; t0: number; server_time: number }
  | PlaybackState
  | VotesEvent
  | ReactionCountsEvent
  | { type: "queue.updated"; room_id: string; queue: QueueItem[] }
  | { type: "member.joined"; room_id: string; user: UserBrief }
  | { type: "member.left"; room_id: string; user: UserBrief }
  /** several joins and leaves at once (a busy room's presence news, sent at most every 0.2 s) */
  | { type: "members.changed"; room_id: string; joined: UserBrief[]; left: UserBrief[] }
  | { type: "member.role_changed"; room_id: string; user_id: string; role: string }
  /** what the screen shows, whatever the room's size: the count (null: unknown), the
   * listener's friends present, the first page of listeners and the next page's cursor */
  | { type: "presence"; room_id: string; count: number | null; online: UserBrief[]; friends: UserBrief[]; next: string | null }
  /** the answer to `presence.page`: the listeners after the cursor, and the next cursor */
  | { type: "presence.page"; room_id: string; online: UserBrief[]; next: string | null }
  /** too many handshakes on that server process: the socket closes with 4429; come back after this */
  | { type: "busy"; retry_after_ms: number }
  /** listeners online, and how many of them can play Spotify (after presence and its news) */
  | { type: "room.audience"; room_id: string; online: number; spotify: number }
  /** `member_count` when the membership changed (refetch the members list too) */
  | { type: "room.updated"; room_id: string; member_count?: number }
  /** `in_reply_to`: the type of the client frame this error answers (absent for frame-level errors);
   * `client_msg_id`: for a refused chat.message, the id the client gave it */
  | { type: "error"; code: string; detail: string; retry_after?: number; in_reply_to?: string; client_msg_id?: string };

export type ClientFrame =
  | { type: "chat.message"; text: string; client_msg_id?: string }
  | { type: "time.ping"; t0: number }
  | { type: "sync" }
  | { type: "chat.resync"; after_id: number }
  | { type: "playback.play" }
  | { type: "playback.pause" }
  | { type: "playback.skip"; version?: number }
  | { type: "playback.seek"; position_ms: number }
  | { type: "playback.ended"; version: number }
  /** one vote per member per play; "version": the PlaybackState.version last seen */
  | { type: "playback.vote_skip"; version: number }
  | { type: "reaction"; kind: "like"; version: number }
  /** the next page of listeners: `cursor` is the `next` of the last presence frame */
  | { type: "presence.page"; cursor: string };
