import type { UserBrief } from "../api/types";
import type { ServerEvent } from "./events";

/** What the room's listener list shows beside the names: how many are online (null until
 * said), the listener's friends among them, and the cursor of the next page (null: no more). */
export interface PresenceMeta {
  count: number | null;
  friends: UserBrief[];
  next: string | null;
}

export const NO_PRESENCE: PresenceMeta = { count: null, friends: [], next: null };

/** The listener list's count, friends and cursor after an event. A crowded room's server sends
 * no member frames; its `room.audience` is the count update. */
export function applyPresenceMeta(meta: PresenceMeta, event: ServerEvent): PresenceMeta {
  switch (event.type) {
    case "presence":
      // `?? `: a server from before paging (a rolling deploy) sent the whole list alone.
      return { count: event.count ?? null, friends: event.friends ?? [], next: event.next ?? null };
    case "presence.page":
      return { ...meta, next: event.next };
    case "room.audience":
      return meta.count === event.online ? meta : { ...meta, count: event.online };
    case "member.left":
    case "members.changed": {
      const gone = new Set(event.type === "member.left" ? [event.user.id] : event.left.map((u) => u.id));
      return meta.friends.some((u) => gone.has(u.id)) ? { ...meta, friends: meta.friends.filter((u) => !gone.has(u.id)) } : meta;
    }
    default:
      return meta;
  }
}

/** Who is listed online in the room after a presence event: the first page, the pages asked
 * for after it, and the arrivals and departures told since (others leave the list as it is). */
export function applyPresence(online: UserBrief[], event: ServerEvent): UserBrief[] {
  switch (event.type) {
    case "presence":
      return event.online;
    case "presence.page":
      return join(online, event.online);
    case "member.joined":
      return join(online, [event.user]);
    case "member.left":
      return leave(online, [event.user]);
    case "members.changed":
      return join(leave(online, event.left), event.joined);
    default:
      return online;
  }
}

/** The users among `arrived` who were not in the list before. */
export function newcomers(online: UserBrief[], event: ServerEvent): UserBrief[] {
  const arrived = event.type === "member.joined" ? [event.user] : event.type === "members.changed" ? event.joined : [];
  return arrived.filter((user) => !online.some((u) => u.id === user.id));
}

function join(online: UserBrief[], users: UserBrief[]): UserBrief[] {
  const fresh = users.filter((user, i) => !online.some((u) => u.id === user.id) && users.findIndex((u) => u.id === user.id) === i);
  return fresh.length ? [...online, ...fresh] : online;
}

function leave(online: UserBrief[], users: UserBrief[]): UserBrief[] {
  const gone = new Set(users.map((u) => u.id));
  return online.some((u) => gone.has(u.id)) ? online.filter((u) => !gone.has(u.id)) : online;
}
