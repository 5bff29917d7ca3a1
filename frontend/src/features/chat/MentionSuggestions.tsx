import { useEffect, useId, useMemo, useState, type KeyboardEvent } from "react";

const MAX_SHOWN = 6;

/** `@` + letters just before the caret, at the start of a word: what is being typed. */
export function mentionQuery(text: string, caret: number): { start: number; prefix: string } | null {
  const before = text.slice(0, caret);
  const match = /(^|[^\w@.+-])@([\w.+-]*)$/.exec(before);
  if (!match) return null;
  const prefix = match[2] ?? "";
  return { start: caret - prefix.length - 1, prefix };
}

export interface MentionSuggestionState {
  items: string[];
  active: number;
  listId: string;
  activeId: string | undefined;
  setActive: (index: number) => void;
  /** handles the textbox's keys while the list is open; true when it used the key */
  onKeyDown: (event: KeyboardEvent<HTMLTextAreaElement>, choose: (username: string) => void) => boolean;
}

/** The members whose username starts with what follows `@` (the viewer left out). */
export function useMentionSuggestions(query: { prefix: string } | null, members: readonly string[], me: string | undefined): MentionSuggestionState {
  const listId = useId();
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const prefix = query?.prefix ?? null;
  const items = useMemo(() => {
    if (prefix === null || prefix === dismissed) return [];
    const wanted = prefix.toLowerCase();
    return [...new Set(members)]
      .filter((name) => name !== me && name.toLowerCase().startsWith(wanted) && name.toLowerCase() !== wanted)
      .sort((a, b) => a.localeCompare(b))
      .slice(0, MAX_SHOWN);
  }, [prefix, dismissed, members, me]);

  useEffect(() => setActive(0), [prefix]);
  useEffect(() => {
    if (prefix === null) setDismissed(null);
  }, [prefix]);

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>, choose: (username: string) => void): boolean => {
    if (!items.length) return false;
    const move = (to: number) => {
      event.preventDefault();
      setActive((to + items.length) % items.length);
      return true;
    };
    switch (event.key) {
      case "ArrowDown":
        return move(active + 1);
      case "ArrowUp":
        return move(active - 1);
      case "Enter":
      case "Tab": {
        const chosen = items[Math.min(active, items.length - 1)];
        if (!chosen || event.shiftKey) return false;
        event.preventDefault();
        choose(chosen);
        return true;
      }
      case "Escape":
        event.preventDefault();
        setDismissed(prefix);
        return true;
      default:
        return false;
    }
  };

  return { items, active, listId, activeId: items.length ? `${listId}-${Math.min(active, items.length - 1)}` : undefined, setActive, onKeyDown };
}

export function MentionSuggestions({ state, onChoose }: { state: MentionSuggestionState; onChoose: (username: string) => void }) {
  return (
    <ul
      id={state.listId}
      role="listbox"
      aria-label="Mention a member"
      className="absolute bottom-full left-2 right-2 z-20 mb-1 max-h-48 overflow-y-auto rounded-xl bg-zinc-900 p-1 shadow-xl ring-1 ring-zinc-700"
    >
      {state.items.map((name, i) => (
        <li
          key={name}
          id={`${state.listId}-${i}`}
          role="option"
          aria-selected={i === state.active}
          // Keep the textbox focused: choose on mousedown, before it would blur.
          onMouseDown={(event) => {
            event.preventDefault();
            onChoose(name);
          }}
          onMouseEnter={() => state.setActive(i)}
          className={`min-h-9 cursor-pointer truncate rounded-lg px-3 py-2 text-sm ${i === state.active ? "bg-violet-600 text-white" : "text-zinc-200"}`}
        >
          @{name}
        </li>
      ))}
    </ul>
  );
}
