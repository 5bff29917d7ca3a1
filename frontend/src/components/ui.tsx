/** Small shared building blocks (Tailwind). Feature code lives under src/features/. */
import type { ButtonHTMLAttributes, InputHTMLAttributes, ReactNode, SelectHTMLAttributes, TextareaHTMLAttributes } from "react";
import { createContext, forwardRef, useContext, useId } from "react";

import { NoteIcon } from "./icons";

import type { UserBrief } from "../api/types";
import { describeFieldError, errorMessage, fieldLabel, isApiError } from "../api/client";

type Variant = "primary" | "secondary" | "danger" | "ghost";

// White on violet-600 is 5.4:1 (violet-500 is 4.4:1, under AA's 4.5:1).
const VARIANTS: Record<Variant, string> = {
  primary: "bg-violet-600 text-white hover:bg-violet-500 disabled:bg-violet-600/40",
  secondary: "bg-zinc-800 text-zinc-100 hover:bg-zinc-700 ring-1 ring-inset ring-zinc-700 disabled:opacity-50",
  danger: "bg-rose-700 text-white hover:bg-rose-600 disabled:opacity-50",
  ghost: "text-zinc-300 hover:bg-zinc-800 hover:text-white disabled:opacity-50",
};

/** Shared by links styled as buttons (the Sign in link, "Create a room"). */
export const PRIMARY_LINK =
  "inline-flex min-h-9 items-center justify-center rounded-lg bg-violet-600 px-3.5 py-2 text-sm font-medium text-white hover:bg-violet-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-violet-400";

/** A link inside text: underlined, so it is told apart by more than its colour. */
export const TEXT_LINK =
  "text-violet-300 underline underline-offset-2 hover:text-violet-200 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-violet-400";

export function Button({
  variant = "secondary",
  size = "md",
  className = "",
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; size?: "sm" | "md" }) {
  // Tap targets: sm is at least 32 px high, md 36 px (WCAG 2.5.8 asks for 24).
  const sizing = size === "sm" ? "min-h-8 min-w-8 px-2.5 py-1 text-xs" : "min-h-9 px-3.5 py-2 text-sm";
  return (
    <button
      type="button"
      className={`inline-flex items-center justify-center gap-1.5 rounded-lg font-medium transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-violet-400 disabled:cursor-not-allowed ${sizing} ${VARIANTS[variant]} ${className}`}
      {...props}
    />
  );
}

const FIELD =
  "w-full min-w-0 rounded-lg bg-zinc-900 px-3 py-2 text-sm text-zinc-100 ring-1 ring-inset ring-zinc-700 placeholder:text-zinc-400 focus:outline-none focus:ring-2 focus:ring-violet-400 aria-[invalid=true]:ring-rose-400";

/** What a <Field> tells the control inside it: its id, its hint/error ids, whether it is invalid. */
interface FieldState {
  id: string;
  describedBy: string | undefined;
  invalid: boolean;
}
const FieldContext = createContext<FieldState | null>(null);

type ControlAria = { id?: string; "aria-describedby"?: string; "aria-invalid"?: InputHTMLAttributes<HTMLInputElement>["aria-invalid"] };

/** A control's id and aria-* from its <Field>, unless the control sets them itself. */
function useFieldControl(props: ControlAria): ControlAria {
  const field = useContext(FieldContext);
  if (!field) return {};
  const describedBy = [props["aria-describedby"], field.describedBy].filter(Boolean).join(" ");
  return {
    id: props.id ?? field.id,
    "aria-describedby": describedBy || undefined,
    "aria-invalid": props["aria-invalid"] ?? (field.invalid ? true : undefined),
  };
}

export const Input = forwardRef<HTMLInputElement, InputHTMLAttributes<HTMLInputElement>>(function Input(
  { className = "", ...props },
  ref,
) {
  const aria = useFieldControl(props);
  return <input ref={ref} className={`${FIELD} ${className}`} {...props} {...aria} />;
});

export function Textarea({ className = "", ...props }: TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const aria = useFieldControl(props);
  return <textarea className={`${FIELD} ${className}`} {...props} {...aria} />;
}

export function Select({ className = "", ...props }: SelectHTMLAttributes<HTMLSelectElement>) {
  const aria = useFieldControl(props);
  return <select className={`${FIELD} ${className}`} {...props} {...aria} />;
}

/**
 * A labelled form control. `error` (a message or several) shows under the control, which gets
 * aria-invalid and aria-describedby pointing at the messages (and the hint). The first
 * Input/Textarea/Select inside takes the label's id; pass `id` to choose it.
 */
export function Field({
  label,
  hint,
  error,
  id,
  children,
}: {
  label: string;
  hint?: ReactNode;
  error?: string | readonly string[] | null;
  id?: string;
  children: ReactNode;
}) {
  const auto = useId();
  const controlId = id ?? `field${auto.replace(/:/g, "-")}`;
  const errors = (typeof error === "string" ? [error] : (error ?? [])).filter(Boolean);
  const hintId = hint ? `${controlId}-hint` : undefined;
  const errorId = errors.length > 0 ? `${controlId}-error` : undefined;
  const state: FieldState = {
    id: controlId,
    describedBy: [errorId, hintId].filter(Boolean).join(" ") || undefined,
    invalid: errors.length > 0,
  };
  return (
    <FieldContext.Provider value={state}>
      <div className="block min-w-0 space-y-1.5">
        <label htmlFor={controlId} className="block text-sm font-medium text-zinc-300">
          {label}
        </label>
        {children}
        {hint ? (
          <p id={hintId} className="text-xs text-zinc-400">
            {hint}
          </p>
        ) : null}
        {errorId ? (
          <ul id={errorId} className="space-y-0.5 text-sm text-rose-300 [overflow-wrap:anywhere]" data-testid="field-error">
            {errors.map((message) => (
              <li key={message}>{message}</li>
            ))}
          </ul>
        ) : null}
      </div>
    </FieldContext.Provider>
  );
}

export interface FormErrors<F extends string> {
  /** each form field's messages, in words (under the field: `<Field error={…}>`) */
  fields: Partial<Record<F, string[]>>;
  /** what no field on the form shows (a 429, a network failure, a field the form lacks), or null */
  rest: string | null;
}

/**
 * Splits a mutation's error for a form: `labels` maps the API's field names to the labels the
 * form shows ({name: "Name", spotify_id: "Spotify track"}); their messages are worded with the
 * label. `conflict` names the field a 409 is about (a taken name), so it shows there too.
 *
 *   const errors = formErrors(save.error, { username: "Username" }, { conflict: "username" });
 *   <Field label="Username" error={errors.fields.username}>…</Field>
 *   <ErrorNote>{errors.rest}</ErrorNote>
 */
export function formErrors<F extends string>(
  error: unknown,
  labels: Record<F, string>,
  { conflict }: { conflict?: NoInfer<F> } = {},
): FormErrors<F> {
  const fields: Partial<Record<F, string[]>> = {};
  if (!error) return { fields, rest: null };
  if (conflict && isApiError(error, 409)) {
    fields[conflict] = [errorMessage(error)];
    return { fields, rest: null };
  }
  if (!isApiError(error) || Object.keys(error.fields).length === 0) return { fields, rest: errorMessage(error) };
  const rest: string[] = [];
  for (const [name, messages] of Object.entries(error.fields)) {
    const base = (name.split(".")[0] ?? name) as F;
    const worded = messages.map((message) => describeFieldError(name, message, labels));
    if (Object.prototype.hasOwnProperty.call(labels, base)) fields[base] = [...(fields[base] ?? []), ...worded];
    else rest.push(...worded);
  }
  return { fields, rest: rest.length > 0 ? rest.join(" ") : null };
}

/** The form label for an API field ("spotify_id" → "Spotify track"), for messages of one's own. */
export { fieldLabel };

export function Card({ children, className = "" }: { children: ReactNode; className?: string }) {
  return <section className={`min-w-0 rounded-2xl bg-zinc-900/70 p-4 ring-1 ring-zinc-800 sm:p-5 ${className}`}>{children}</section>;
}

export function PageTitle({ children, actions }: { children: ReactNode; actions?: ReactNode }) {
  return (
    <div className="mb-5 flex flex-wrap items-center justify-between gap-3">
      <h1 className="text-2xl font-semibold tracking-tight text-white">{children}</h1>
      {actions}
    </div>
  );
}

export function Spinner({ label = "Loading…" }: { label?: string }) {
  return (
    <div role="status" className="flex items-center gap-2 py-6 text-sm text-zinc-400">
      <span className="h-4 w-4 animate-spin rounded-full border-2 border-zinc-600 border-t-violet-400" aria-hidden />
      {label}
    </div>
  );
}

export function ErrorNote({ error, children }: { error?: unknown; children?: ReactNode }) {
  if (!error && !children) return null;
  return (
    <p role="alert" className="rounded-lg bg-rose-950/60 px-3 py-2 text-sm text-rose-200 ring-1 ring-rose-900">
      {children ?? errorMessage(error)}
    </p>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-2xl border border-dashed border-zinc-700 px-6 py-10 text-center">
      <p className="font-medium text-zinc-200">{title}</p>
      {children ? <div className="mt-1 text-sm text-zinc-400">{children}</div> : null}
    </div>
  );
}

export function Badge({ children, tone = "zinc" }: { children: ReactNode; tone?: "zinc" | "violet" | "emerald" | "amber" }) {
  const tones = {
    zinc: "bg-zinc-800 text-zinc-300",
    violet: "bg-violet-500/15 text-violet-300",
    emerald: "bg-emerald-500/15 text-emerald-300",
    amber: "bg-amber-500/15 text-amber-300",
  };
  return <span className={`inline-flex max-w-full items-center rounded-full px-2 py-0.5 text-xs font-medium [overflow-wrap:anywhere] ${tones[tone]}`}>{children}</span>;
}

export function Avatar({ user, size = 8 }: { user: Pick<UserBrief, "display_name" | "username" | "avatar_url">; size?: 6 | 8 | 10 | 16 | 24 }) {
  const dims = { 6: "h-6 w-6 text-[10px]", 8: "h-8 w-8 text-xs", 10: "h-10 w-10 text-sm", 16: "h-16 w-16 text-lg", 24: "h-24 w-24 text-2xl" }[size];
  const name = user.display_name || user.username;
  if (user.avatar_url) {
    return <img src={user.avatar_url} alt="" className={`${dims} shrink-0 rounded-full object-cover`} />;
  }
  return (
    <span aria-hidden className={`${dims} inline-flex shrink-0 items-center justify-center rounded-full bg-gradient-to-br from-violet-600 to-fuchsia-700 font-semibold text-white`}>
      {name.slice(0, 1).toUpperCase()}
    </span>
  );
}

export function displayName(user: Pick<UserBrief, "display_name" | "username"> | null | undefined): string {
  if (!user) return "someone";
  return user.display_name || user.username;
}

export function formatMs(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${seconds.toString().padStart(2, "0")}`;
}

export function formatWhen(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay
    ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : date.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** "jazz, cool jazz" → ["jazz", "cool jazz"] */
export function parseList(text: string): string[] {
  return [...new Set(text.split(",").map((part) => part.trim().toLowerCase()).filter(Boolean))];
}

export function TrackArt({ track, size = "md" }: { track: { image_url?: string | null; name: string } | null; size?: "sm" | "md" | "lg" }) {
  const dims = { sm: "h-10 w-10", md: "h-14 w-14", lg: "h-28 w-28 sm:h-36 sm:w-36" }[size];
  if (track?.image_url) return <img src={track.image_url} alt="" className={`${dims} shrink-0 rounded-lg object-cover`} />;
  return (
    <span aria-hidden className={`${dims} inline-flex shrink-0 items-center justify-center rounded-lg bg-gradient-to-br from-violet-800/60 via-zinc-800 to-zinc-900 text-violet-300/70`}>
      <NoteIcon className={size === "lg" ? "h-10 w-10" : "h-5 w-5"} />
    </span>
  );
}
