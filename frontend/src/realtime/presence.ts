import type { UserBrief } from "../api/types";
import type { ServerEvent } from "./events";

/** Who is online in the room after a presence event (others leave the list as it is). */
export function applyPresence(online: UserBrief[], event: ServerEvent): UserBrief[] {
  switch (event.type) {
    case "presence":
      return event.online;
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
