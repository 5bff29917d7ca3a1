/** Small shared building blocks (Tailwind). Feature code lives under src/features/. */
import type { ButtonHTMLAttributes, InputHTMLAttributes, ReactNode, SelectHTMLAttributes, TextareaHTMLAttributes } from "react";
import { forwardRef } from "react";

import { NoteIcon } from "./icons";

import type { UserBrief } from "../api/types";
import { errorMessage } from "../api/client";

type Variant = "primary" | "secondary" | "danger" | "ghost";

const VARIANTS: Record<Variant, string> = {
  primary: "bg-violet-500 text-white hover:bg-violet-400 disabled:bg-violet-500/40",
  secondary: "bg-zinc-800 text-zinc-100 hover:bg-zinc-700 ring-1 ring-inset ring-zinc-700 disabled:opacity-50",
  danger: "bg-rose-600/90 text-white hover:bg-rose-500 disabled:opacity-50",
  ghost: "text-zinc-300 hover:bg-zinc-800 hover:text-white disabled:opacity-50",
};

export function Button({
  variant = "secondary",
  size = "md",
  className = "",
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; size?: "sm" | "md" }) {
  const sizing = size === "sm" ? "px-2.5 py-1 text-xs" : "px-3.5 py-2 text-sm";
  return (
    <button
      type="button"
      className={`inline-flex items-center justify-center gap-1.5 rounded-lg font-medium transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-violet-400 disabled:cursor-not-allowed ${sizing} ${VARIANTS[variant]} ${className}`}
      {...props}
    />
  );
}

const FIELD =
  "w-full rounded-lg bg-zinc-900 px-3 py-2 text-sm text-zinc-100 ring-1 ring-inset ring-zinc-700 placeholder:text-zinc-500 focus:outline-none focus:ring-2 focus:ring-violet-400";

export const Input = forwardRef<HTMLInputElement, InputHTMLAttributes<HTMLInputElement>>(function Input(
  { className = "", ...props },
  ref,
) {
  return <input ref={ref} className={`${FIELD} ${className}`} {...props} />;
});

export function Textarea({ className = "", ...props }: TextareaHTMLAttributes<HTMLTextAreaElement>) {
  return <textarea className={`${FIELD} ${className}`} {...props} />;
}

export function Select({ className = "", ...props }: SelectHTMLAttributes<HTMLSelectElement>) {
  return <select className={`${FIELD} ${className}`} {...props} />;
}

export function Field({ label, hint, children }: { label: string; hint?: string; children: ReactNode }) {
  return (
    <label className="block space-y-1.5">
      <span className="text-sm font-medium text-zinc-300">{label}</span>
      {children}
      {hint ? <span className="block text-xs text-zinc-500">{hint}</span> : null}
    </label>
  );
}

export function Card({ children, className = "" }: { children: ReactNode; className?: string }) {
  return <section className={`rounded-2xl bg-zinc-900/70 p-4 ring-1 ring-zinc-800 sm:p-5 ${className}`}>{children}</section>;
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
  return <span className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ${tones[tone]}`}>{children}</span>;
}

export function Avatar({ user, size = 8 }: { user: Pick<UserBrief, "display_name" | "username" | "avatar_url">; size?: 6 | 8 | 10 | 16 | 24 }) {
  const dims = { 6: "h-6 w-6 text-[10px]", 8: "h-8 w-8 text-xs", 10: "h-10 w-10 text-sm", 16: "h-16 w-16 text-lg", 24: "h-24 w-24 text-2xl" }[size];
  const name = user.display_name || user.username;
  if (user.avatar_url) {
    return <img src={user.avatar_url} alt="" className={`${dims} shrink-0 rounded-full object-cover`} />;
  }
  return (
    <span aria-hidden className={`${dims} inline-flex shrink-0 items-center justify-center rounded-full bg-gradient-to-br from-violet-500 to-fuchsia-600 font-semibold text-white`}>
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
