import { formatBytes } from "./words";

/** Storage used against the quota: a meter, with the figures in words beside it. */
export function QuotaMeter({ used, quota, count }: { used: number; quota: number; count: number }) {
  const share = quota > 0 ? Math.min(1, used / quota) : 1;
  const percent = Math.round(share * 100);
  const words = `${formatBytes(used)} of ${formatBytes(quota)} used`;
  const tone = share >= 0.9 ? "bg-amber-400" : "bg-violet-500";
  return (
    <div className="min-w-0 space-y-1.5">
      <div className="flex flex-wrap items-baseline justify-between gap-x-3 gap-y-0.5 text-sm">
        <span id="upload-quota-label" className="font-medium text-zinc-300">
          Storage
        </span>
        <span className="text-zinc-400" data-testid="upload-quota">
          {words} · {count} {count === 1 ? "file" : "files"}
        </span>
      </div>
      <div
        role="meter"
        aria-labelledby="upload-quota-label"
        aria-valuemin={0}
        aria-valuemax={quota}
        aria-valuenow={Math.min(used, quota)}
        aria-valuetext={`${words} (${percent}%)`}
        className="h-2 min-w-0 overflow-hidden rounded-full bg-zinc-800"
      >
        <div className={`h-full rounded-full ${tone}`} style={{ width: `${percent}%` }} />
      </div>
      {share >= 1 ? <p className="text-sm text-amber-300">Your storage is full. Delete an upload to make room for another.</p> : null}
    </div>
  );
}
