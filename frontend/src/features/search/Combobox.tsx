import { useEffect, useId, useState, type KeyboardEvent, type ReactNode } from "react";

/**
 * A text box with a popup list of choices (WAI-ARIA 1.2 combobox, list autocomplete): the
 * focus stays in the box and aria-activedescendant names the highlighted option.
 *
 * - Typing opens the popup; ArrowDown/ArrowUp move through the options (wrapping), Home/End
 *   stay in the text; Enter picks the highlighted option (or calls `onEnter` when none is);
 *   Escape closes the popup, and a second Escape clears the box; leaving the box closes it.
 * - Options may come in groups (`groups`: a heading per group, role="group" in the listbox).
 * - `status` (searching, nothing found, an error) shows in the popup, outside the listbox, and
 *   is also announced through a polite live region.
 */
export interface ComboboxGroup<T> {
  label: string;
  options: T[];
}

export interface ComboboxProps<T> {
  /** the box's accessible name (and visible label unless `hideLabel`) */
  label: string;
  hideLabel?: boolean;
  value: string;
  onChange: (value: string) => void;
  groups: ComboboxGroup<T>[];
  optionKey: (option: T) => string;
  renderOption: (option: T, active: boolean) => ReactNode;
  onPick: (option: T) => void;
  /** Enter with no option highlighted */
  onEnter?: (text: string) => void;
  /** highlight the first option as results come (Enter then picks it) */
  autoHighlight?: boolean;
  /** shown in the popup under the options */
  status?: ReactNode;
  /** the text a screen reader hears about the results ("3 results") */
  announce?: string;
  placeholder?: string;
  className?: string;
  inputClassName?: string;
  /** the popup's position and width (default: under the box, as wide as it) */
  popupClassName?: string;
  id?: string;
  disabled?: boolean;
  describedBy?: string;
}

const INPUT =
  "w-full min-w-0 rounded-lg bg-zinc-900 px-3 py-2 text-sm text-zinc-100 ring-1 ring-inset ring-zinc-700 placeholder:text-zinc-400 focus:outline-none focus:ring-2 focus:ring-violet-400";

export function Combobox<T>({
  label,
  hideLabel = false,
  value,
  onChange,
  groups,
  optionKey,
  renderOption,
  onPick,
  onEnter,
  autoHighlight = false,
  status,
  announce,
  placeholder,
  className = "",
  inputClassName = "",
  popupClassName = "",
  id,
  disabled,
  describedBy,
}: ComboboxProps<T>) {
  const auto = useId().replace(/:/g, "");
  const inputId = id ?? `combobox-${auto}`;
  const listId = `${inputId}-list`;
  const [focused, setFocused] = useState(false);
  const [dismissed, setDismissed] = useState(false);
  const [active, setActive] = useState(-1);

  const options = groups.flatMap((group) => group.options);
  const keys = options.map(optionKey).join("\u0000");
  const optionId = (index: number) => `${inputId}-option-${index}`;

  // New results: highlight the first (autoHighlight) or nothing.
  useEffect(() => {
    setActive(autoHighlight && options.length > 0 ? 0 : -1);
  }, [keys, autoHighlight]);

  useEffect(() => {
    if (active < 0) return;
    const element = document.getElementById(optionId(active));
    element?.scrollIntoView?.({ block: "nearest" });
  }, [active]);

  const hasText = value.trim().length > 0;
  const open = focused && !dismissed && hasText && (options.length > 0 || Boolean(status));
  const activeIndex = open && active < options.length ? active : -1;

  const pick = (option: T) => {
    setDismissed(true);
    onPick(option);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    switch (event.key) {
      case "ArrowDown":
      case "ArrowUp": {
        event.preventDefault();
        if (!hasText) return;
        if (!open) {
          setDismissed(false);
          if (options.length > 0) setActive(event.key === "ArrowDown" ? 0 : options.length - 1);
          return;
        }
        if (options.length === 0) return;
        const step = event.key === "ArrowDown" ? 1 : -1;
        setActive((now) => (now < 0 ? (step > 0 ? 0 : options.length - 1) : (now + step + options.length) % options.length));
        return;
      }
      case "Enter": {
        if (event.nativeEvent.isComposing) return;
        event.preventDefault();
        const option = activeIndex >= 0 ? options[activeIndex] : undefined;
        if (option !== undefined) pick(option);
        else if (hasText && onEnter) {
          setDismissed(true);
          onEnter(value.trim());
        }
        return;
      }
      case "Escape": {
        event.preventDefault();
        if (open) setDismissed(true);
        else if (value) onChange("");
        return;
      }
    }
  };

  let index = -1;
  return (
    <div className={`relative min-w-0 ${className}`}>
      <label htmlFor={inputId} className={hideLabel ? "sr-only" : "mb-1.5 block text-sm font-medium text-zinc-300"}>
        {label}
      </label>
      <input
        id={inputId}
        type="text"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={listId}
        aria-activedescendant={activeIndex >= 0 ? optionId(activeIndex) : undefined}
        aria-describedby={describedBy}
        autoComplete="off"
        autoCorrect="off"
        spellCheck={false}
        enterKeyHint="search"
        placeholder={placeholder}
        disabled={disabled}
        value={value}
        className={`${INPUT} ${inputClassName}`}
        onChange={(event) => {
          setDismissed(false);
          onChange(event.target.value);
        }}
        onKeyDown={onKeyDown}
        onFocus={() => setFocused(true)}
        onBlur={() => setFocused(false)}
        onClick={() => setDismissed(false)}
      />
      <div
        className={`absolute top-full z-50 mt-1 max-h-[min(28rem,70vh)] min-w-0 overflow-y-auto rounded-xl bg-zinc-900 p-1 shadow-xl ring-1 ring-zinc-700 ${popupClassName || "left-0 w-full"} ${open ? "" : "hidden"}`}
        // Clicks in the popup keep the focus in the box (so it stays open until a pick).
        onMouseDown={(event) => event.preventDefault()}
      >
        <div role="listbox" id={listId} aria-label={label}>
          {groups.map((group) =>
            group.options.length === 0 ? null : (
              <div key={group.label} role="group" aria-label={group.label}>
                {groups.length > 1 ? (
                  <div role="presentation" className="px-2 pb-1 pt-2 text-xs font-semibold uppercase tracking-wider text-zinc-400">
                    {group.label}
                  </div>
                ) : null}
                {group.options.map((option) => {
                  index += 1;
                  const mine = index;
                  const isActive = mine === activeIndex;
                  return (
                    <div
                      key={optionKey(option)}
                      id={optionId(mine)}
                      role="option"
                      aria-selected={isActive}
                      className={`flex min-h-10 cursor-pointer items-center gap-3 rounded-lg px-2 py-1.5 text-sm ${isActive ? "bg-zinc-800 ring-1 ring-violet-400" : "hover:bg-zinc-800/70"}`}
                      onMouseEnter={() => setActive(mine)}
                      onClick={() => pick(option)}
                    >
                      {renderOption(option, isActive)}
                    </div>
                  );
                })}
              </div>
            ),
          )}
        </div>
        {status ? <div className="px-2 py-2 text-sm text-zinc-400">{status}</div> : null}
      </div>
      <span role="status" aria-live="polite" className="sr-only">
        {focused && hasText ? (announce ?? "") : ""}
      </span>
    </div>
  );
}
