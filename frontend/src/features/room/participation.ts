/**
 * Fields of issue 14 (listeners taking part) as the room UI reads them. The backend adds them
 * to the REST schema; read through these so the page builds whichever lands first (once the
 * generated types have them, the intersections are the generated types).
 */
import type { QueueItem, Room } from "../../api/types";

export type QueueOrder = "fifo" | "round_robin";

export type RoomWithSettings = Room & {
  image_url?: string | null;
  autoplay?: boolean;
  skip_share?: number;
  queue_order?: QueueOrder;
};

export type QueueEntry = QueueItem & {
  via?: "member" | "autoplay";
  reason?: string;
};

/** The share of the listeners online whose votes skip a track, as the settings offer it. */
export const SKIP_SHARES: { value: number; label: string }[] = [
  { value: 0.25, label: "A quarter" },
  { value: 1 / 3, label: "A third" },
  { value: 0.5, label: "Half" },
  { value: 2 / 3, label: "Two thirds" },
  { value: 1, label: "Everyone" },
];

/** The offered share nearest to a room's (the server may store 0.3333…). */
export function nearestShare(value: number | undefined): number {
  const target = value ?? 0.5;
  let best = SKIP_SHARES[2]!.value;
  for (const share of SKIP_SHARES) if (Math.abs(share.value - target) < Math.abs(best - target)) best = share.value;
  return best;
}

export const QUEUE_ORDERS: { value: QueueOrder; label: string }[] = [
  { value: "fifo", label: "First come, first served" },
  { value: "round_robin", label: "Members take turns" },
];
