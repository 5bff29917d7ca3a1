import type { ReactNode } from "react";

/**
 * Chat text → React nodes: http(s) URLs become links that open in a new tab without
 * handing it our window (rel="noopener noreferrer"), `@username` of a room member becomes
 * a <mark data-mention>. Everything else stays text — React escapes it; nothing is ever
 * parsed as HTML, and a URL of any other scheme (javascript:, data:) is plain text.
 */
const TOKEN = /https?:\/\/[^\s<>"'`]+|@[\w.+-]+/gi;
const TRAILING = /[.,;:!?)\]}'"]+$/;

/** The member a mention names, or null: `@bob.` names bob (trailing punctuation is text). */
function mentioned(token: string, members: ReadonlyMap<string, string>): string | null {
  let name = token.slice(1);
  while (name) {
    const found = members.get(name.toLowerCase());
    if (found) return found;
    if (!/[.+-]$/.test(name)) return null;
    name = name.slice(0, -1);
  }
  return null;
}

function safeHref(candidate: string): string | null {
  try {
    const url = new URL(candidate);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** Lower-cased username → username, for {@link richText} and {@link mentionsOf}. */
export function memberIndex(usernames: Iterable<string>): Map<string, string> {
  const index = new Map<string, string>();
  for (const name of usernames) index.set(name.toLowerCase(), name);
  return index;
}

/** The members a text mentions (their usernames as listed). */
export function mentionsOf(text: string, members: ReadonlyMap<string, string>): Set<string> {
  const found = new Set<string>();
  for (const match of text.matchAll(TOKEN)) {
    const token = match[0];
    if (token.startsWith("@") && startsWord(text, match.index)) {
      const name = mentioned(token, members);
      if (name) found.add(name);
    }
  }
  return found;
}

/** `@` counts as a mention only at the start of a word (not in `me@example.com`). */
function startsWord(text: string, index: number): boolean {
  return index === 0 || !/[\w@.+-]/.test(text[index - 1] ?? "");
}

export function richText(text: string, members: ReadonlyMap<string, string> = new Map()): ReactNode[] {
  const nodes: ReactNode[] = [];
  let plain = "";
  let last = 0;
  const flush = () => {
    if (plain) nodes.push(plain);
    plain = "";
  };
  for (const match of text.matchAll(TOKEN)) {
    const start = match.index;
    let token = match[0];
    plain += text.slice(last, start);
    last = start + token.length;
    if (token.startsWith("@")) {
      const name = startsWord(text, start) ? mentioned(token, members) : null;
      if (!name) {
        plain += token;
        continue;
      }
      flush();
      nodes.push(
        <mark key={`m${start}`} data-mention={name} className="rounded bg-violet-400/20 px-0.5 font-medium text-violet-200">
          @{token.slice(1, 1 + name.length)}
        </mark>,
      );
      plain += token.slice(1 + name.length);
      continue;
    }
    const tail = TRAILING.exec(token)?.[0] ?? "";
    // A closing parenthesis belongs to the URL when it opened one inside it (Wikipedia links).
    let keep = tail;
    if (tail.startsWith(")") && (token.match(/\(/g)?.length ?? 0) > (token.slice(0, token.length - tail.length).match(/\)/g)?.length ?? 0)) {
      keep = tail.slice(1);
    }
    token = token.slice(0, token.length - keep.length);
    const href = safeHref(token);
    if (!href) {
      plain += token + keep;
      continue;
    }
    flush();
    nodes.push(
      <a
        key={`a${start}`}
        href={href}
        target="_blank"
        rel="noopener noreferrer"
        className="text-violet-300 underline [overflow-wrap:anywhere] hover:text-violet-200 focus-visible:outline-2 focus-visible:outline-violet-400"
      >
        {token}
      </a>,
    );
    plain += keep;
  }
  plain += text.slice(last);
  flush();
  return nodes;
}
