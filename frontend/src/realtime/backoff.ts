/**
 * Delay before reconnect attempt `attempt` (0 = the first retry): exponential, capped, with
 * "equal jitter" (half fixed, half random) so a server restart is not answered by every
 * client at the same instant, yet no retry comes sooner than half the nominal delay.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random, baseMs = 500, maxMs = 30_000): number {
  const nominal = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/** The client's monotonic clock in epoch-like ms (what ClockSync's samples must use). */
export function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}

/** ws(s)://<this host>/ws/<path>?token=<ticket>: sockets live on the page's own origin. */
export function socketUrl(path: string, ticket: string, location: Pick<Location, "protocol" | "host"> = window.location): string {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/ws/${path}?token=${encodeURIComponent(ticket)}`;
}
