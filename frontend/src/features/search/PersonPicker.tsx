import { useState } from "react";

import type { UserBrief } from "../../api/types";
import { errorMessage } from "../../api/client";
import { useAuth } from "../../app/context";
import { Avatar, displayName } from "../../components/ui";
import { Combobox } from "./Combobox";
import { MIN_QUERY, useSearch } from "./useSearch";
import type { SearchType } from "./types";

const TYPES: SearchType[] = ["user"];
export const PERSON_LIMIT = 8;

/**
 * Choose a person by typing their name or username (GET /search?type=user): a combobox
 * "Find a person" (ArrowUp/ArrowDown, Enter picks, Escape closes then clears). `onPick` gets
 * the chosen person (invite them, send a friend request). You are never offered yourself;
 * `exclude` leaves out others (people already in the room). `note` says something about a
 * person in the list ("Friend", "Invited").
 */
export function PersonPicker({
  onPick,
  label = "Find a person",
  hideLabel = false,
  exclude = [],
  note,
  disabled,
  describedBy,
}: {
  onPick: (user: UserBrief) => void;
  label?: string;
  hideLabel?: boolean;
  exclude?: readonly string[];
  note?: (user: UserBrief) => string | null;
  disabled?: boolean;
  describedBy?: string;
}) {
  const { userId: me } = useAuth();
  const [text, setText] = useState("");
  const { results, searching, settled, error, term } = useSearch(text, TYPES, PERSON_LIMIT);
  const people = (results.users ?? []).filter((user) => user.id !== me && !exclude.includes(user.id));

  const status = error
    ? errorMessage(error)
    : searching && people.length === 0
      ? "Searching…"
      : settled && people.length === 0
        ? `Nobody matches “${term}”.`
        : text.trim().length > 0 && text.trim().length < MIN_QUERY
          ? "Keep typing…"
          : null;

  return (
    <Combobox<UserBrief>
      label={label}
      hideLabel={hideLabel}
      value={text}
      onChange={setText}
      groups={[{ label: "People", options: people }]}
      optionKey={(user) => user.id}
      renderOption={(user) => {
        const extra = note?.(user);
        return (
          <>
            <Avatar user={user} size={8} />
            <span className="min-w-0 flex-1">
              <span className="block truncate text-zinc-100">{displayName(user)}</span>
              <span className="block truncate text-xs text-zinc-400">@{user.username}</span>
            </span>
            {extra ? <span className="shrink-0 text-xs text-zinc-300">{extra}</span> : null}
          </>
        );
      }}
      onPick={(user) => {
        setText("");
        onPick(user);
      }}
      autoHighlight
      status={status}
      announce={settled ? (people.length > 0 ? `${people.length === 1 ? "1 person" : `${people.length} people`}. Arrow keys choose, Enter picks.` : `Nobody matches ${term}.`) : undefined}
      placeholder="Name or username"
      disabled={disabled}
      describedBy={describedBy}
    />
  );
}
