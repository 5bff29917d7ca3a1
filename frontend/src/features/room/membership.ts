import type { SocketStatus } from "../../realtime/roomSocket";

/**
 * How the room socket ended the viewer's membership, if it did: one state for the whole
 * page (header buttons, player, chat box, lists, the one note that says so). The server
 * sends an `error` frame (banned / removed / left / room_closed) and then closes (4403 /
 * 4404); a close without the frame (refused at the door) means the same. The first word
 * wins: the close that follows an error frame changes nothing.
 */
export type Ended = { kind: "banned" | "removed" | "left" | "closed"; detail?: string } | null;

export type EndedAction =
  | { type: "socket-error"; code: string; detail?: string }
  | { type: "socket-status"; status: SocketStatus }
  | { type: "rejoined" };

const BY_CODE: Record<string, NonNullable<Ended>["kind"]> = {
  banned: "banned",
  removed: "removed",
  left: "left",
  room_closed: "closed",
};

export function endedReducer(current: Ended, action: EndedAction): Ended {
  switch (action.type) {
    case "rejoined":
      return null;
    case "socket-error": {
      const kind = BY_CODE[action.code];
      return current ?? (kind ? { kind, detail: action.detail } : null);
    }
    case "socket-status": {
      const { status } = action;
      if (current || status.state !== "closed") return current;
      if (status.reason === "forbidden") return { kind: "banned" };
      if (status.reason === "not_found") return { kind: "closed" };
      return current;
    }
  }
}

/** What the page says: the server's words (a ban's reason included), else the kind's sentence. */
export function endedText(ended: NonNullable<Ended>): string {
  return ended.detail?.trim() || ENDED_TEXT[ended.kind];
}

export const ENDED_TEXT: Record<NonNullable<Ended>["kind"], string> = {
  banned: "You were banned from this room.",
  removed: "You were removed from this room.",
  left: "You left this room.",
  closed: "This room was closed.",
};
