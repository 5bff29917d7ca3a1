import { Field, Select } from "../../components/ui";
import { nearestShare, QUEUE_ORDERS, SKIP_SHARES, type QueueOrder } from "./participation";

export interface ParticipationSettings {
  autoplay: boolean;
  skip_share: number;
  queue_order: QueueOrder;
}

export const DEFAULT_PARTICIPATION: ParticipationSettings = { autoplay: true, skip_share: 0.5, queue_order: "fifo" };

/** A room's settings for listeners taking part: autoplay, the share of votes that skips, queue order. */
export function ParticipationFields({
  value,
  onChange,
  errors = {},
}: {
  value: ParticipationSettings;
  onChange: (value: ParticipationSettings) => void;
  errors?: Partial<Record<keyof ParticipationSettings, readonly string[] | undefined>>;
}) {
  return (
    <div className="space-y-3">
      <label className="flex min-h-6 items-center gap-2 text-sm text-zinc-300">
        <input
          type="checkbox"
          className="h-6 w-6 shrink-0 accent-violet-500"
          checked={value.autoplay}
          onChange={(e) => onChange({ ...value, autoplay: e.target.checked })}
        />
        Keep playing when the queue runs out
      </label>
      {errors.autoplay ? <p className="text-sm text-rose-300">{errors.autoplay.join(" ")}</p> : null}
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
        <Field label="Votes needed to skip" hint="Of the listeners online" error={errors.skip_share}>
          <Select value={String(nearestShare(value.skip_share))} onChange={(e) => onChange({ ...value, skip_share: Number(e.target.value) })}>
            {SKIP_SHARES.map((share) => (
              <option key={share.label} value={String(share.value)}>
                {share.label}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Queue order" error={errors.queue_order}>
          <Select value={value.queue_order} onChange={(e) => onChange({ ...value, queue_order: e.target.value as QueueOrder })}>
            {QUEUE_ORDERS.map((order) => (
              <option key={order.value} value={order.value}>
                {order.label}
              </option>
            ))}
          </Select>
        </Field>
      </div>
    </div>
  );
}
