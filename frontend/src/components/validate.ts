/**
 * Client-side checks with the server's own limits (api/limits.ts, generated from the OpenAPI
 * schema): the same rules, said before a request is sent. Lengths count code points, as the
 * server (Python) does.
 */
interface TextRule {
  readonly minLength?: number;
  readonly maxLength?: number;
}
interface ListRule {
  readonly maxItems?: number;
  readonly items?: TextRule;
}

export function charCount(text: string): number {
  return [...text].length;
}

/** A message for a text that breaks its rule, or null. The text is checked trimmed. */
export function textError(value: string, label: string, rule: TextRule, { required = false } = {}): string | null {
  const text = value.trim();
  if (!text) return required ? `${label} is required.` : null;
  const length = charCount(text);
  if (rule.minLength && length < rule.minLength) return `${label} needs at least ${rule.minLength} characters.`;
  if (rule.maxLength && length > rule.maxLength) return `${label} can be at most ${rule.maxLength} characters (now ${length}).`;
  return null;
}

/** A message for a list (genres) that breaks its rule, or null. */
export function listError(items: readonly string[], label: string, rule: ListRule, noun = "item"): string | null {
  if (rule.maxItems && items.length > rule.maxItems) return `${label}: at most ${rule.maxItems} (now ${items.length}).`;
  const max = rule.items?.maxLength;
  const long = max ? items.find((item) => charCount(item) > max) : undefined;
  if (max && long) return `Each ${noun} can be at most ${max} characters ("${long.slice(0, 20)}…" is longer).`;
  return null;
}

/** "12/80 characters" for a counter under a field. */
export function countHint(value: string, max: number): string {
  return `${charCount(value)}/${max} characters`;
}

/** Only the entries that hold a message. */
export function present<F extends string>(errors: Record<F, string | null>): Partial<Record<F, string>> {
  return Object.fromEntries(Object.entries(errors).filter(([, message]) => message)) as Partial<Record<F, string>>;
}

/** After a refused submit: focus the first control marked invalid (once React has rendered). */
export function focusFirstInvalid(form: HTMLFormElement | null): void {
  setTimeout(() => form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(), 0);
}
