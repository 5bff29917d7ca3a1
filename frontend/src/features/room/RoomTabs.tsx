import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode, type Ref } from "react";

export const ROOM_SECTIONS = [
  { id: "chat", label: "Chat" },
  { id: "queue", label: "Queue" },
  { id: "people", label: "People" },
] as const;
export type RoomSection = (typeof ROOM_SECTIONS)[number]["id"];

export const tabId = (section: RoomSection) => `room-tab-${section}`;
export const panelId = (section: RoomSection) => `room-panel-${section}`;

/** Whether a media query matches (false where there is no matchMedia, as in tests). */
export function useMediaQuery(query: string): boolean {
  const [matches, setMatches] = useState(() => typeof window !== "undefined" && !!window.matchMedia?.(query).matches);
  useEffect(() => {
    const list = window.matchMedia?.(query);
    if (!list) return;
    const update = () => setMatches(list.matches);
    update();
    list.addEventListener("change", update);
    return () => list.removeEventListener("change", update);
  }, [query]);
  return matches;
}

/**
 * Chat / Queue / People as tabs below lg (the WAI-ARIA tabs pattern: one tab in the Tab
 * order, arrow keys, Home and End move between them and select).
 */
export function RoomTabs({ selected, onSelect, className = "" }: { selected: RoomSection; onSelect: (section: RoomSection) => void; className?: string }) {
  const refs = useRef(new Map<RoomSection, HTMLButtonElement>());
  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>) => {
    const i = ROOM_SECTIONS.findIndex((s) => s.id === selected);
    const last = ROOM_SECTIONS.length - 1;
    const to = { ArrowRight: i === last ? 0 : i + 1, ArrowLeft: i === 0 ? last : i - 1, Home: 0, End: last }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const next = ROOM_SECTIONS[to]!.id;
    onSelect(next);
    refs.current.get(next)?.focus();
  };
  return (
    <div role="tablist" aria-label="Room sections" className={`grid grid-cols-3 gap-1 rounded-xl bg-zinc-900/80 p-1 ring-1 ring-zinc-800 ${className}`}>
      {ROOM_SECTIONS.map(({ id, label }) => {
        const active = id === selected;
        return (
          <button
            key={id}
            ref={(el) => {
              if (el) refs.current.set(id, el);
              else refs.current.delete(id);
            }}
            type="button"
            role="tab"
            id={tabId(id)}
            aria-controls={panelId(id)}
            aria-selected={active}
            tabIndex={active ? 0 : -1}
            onClick={() => onSelect(id)}
            onKeyDown={onKeyDown}
            className={`min-h-9 rounded-lg px-3 text-sm font-medium focus-visible:outline-2 focus-visible:outline-violet-400 ${
              active ? "bg-violet-600 text-white" : "text-zinc-300 hover:bg-zinc-800 hover:text-white"
            }`}
          >
            {label}
          </button>
        );
      })}
    </div>
  );
}

/** One section's panel: a tabpanel below lg, a plain block (always shown) at lg and wider. */
export function RoomPanel({
  section,
  selected,
  wide,
  className = "",
  panelRef,
  children,
}: {
  section: RoomSection;
  selected: RoomSection;
  wide: boolean;
  className?: string;
  panelRef?: Ref<HTMLDivElement>;
  children: ReactNode;
}) {
  const tab = wide ? {} : { role: "tabpanel", "aria-labelledby": tabId(section) };
  return (
    <div ref={panelRef} id={panelId(section)} {...tab} className={`relative min-w-0 ${section === selected ? "" : "max-lg:hidden"} ${className}`}>
      {children}
    </div>
  );
}

/**
 * Sets a CSS variable (`name`) on the element to the viewport height left below its top
 * (at least `min` px), so a section — the chat with its textbox — fits the first screen
 * whatever the header above it measures. `wide: false` measures below lg only (the phone
 * layout), `wide: true` at lg and wider only.
 */
export function useFillViewport<T extends HTMLElement>(deps: unknown[], { name, wide, min, gap = 28 }: { name: string; wide: boolean; min: number; gap?: number }) {
  const ref = useRef<T>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof window === "undefined") return;
    const lg = window.matchMedia?.("(min-width: 1024px)");
    const update = () => {
      if ((lg?.matches ?? false) !== wide) {
        el.style.removeProperty(name);
        return;
      }
      const top = el.getBoundingClientRect().top + window.scrollY;
      el.style.setProperty(name, `${Math.max(min, Math.floor(window.innerHeight - top - gap))}px`);
    };
    update();
    const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(update);
    observer?.observe(document.body);
    window.addEventListener("resize", update);
    lg?.addEventListener("change", update);
    return () => {
      observer?.disconnect();
      window.removeEventListener("resize", update);
      lg?.removeEventListener("change", update);
    };
  }, [name, wide, min, gap, ...deps]);
  return ref;
}
