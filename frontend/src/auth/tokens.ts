/**
 * Where the SPA keeps its JWTs.
 *
 * Choice: both the access and the refresh token live in localStorage under one key.
 * - A reload or a new tab stays signed in (the refresh token must survive anyway, so keeping
 *   the 15-minute access token in memory only would buy little: a script that can read
 *   memory in this origin can read localStorage too; the defence against that is no XSS —
 *   React renders user text as text and nothing in the app uses innerHTML).
 * - Tabs share one pair. Refresh tokens rotate and the old one is blacklisted, so two tabs
 *   refreshing with their own copies would log each other out; with one shared pair, a tab
 *   that finds the stored access token already replaced simply uses it (see client.ts), and
 *   refreshes are serialised across tabs with the Web Locks API where the browser has it.
 * - Tokens never go into a URL: sockets use single-use tickets from POST /auth/ws-ticket.
 */

export interface TokenPair {
  access: string;
  refresh: string;
}

export interface TokenStore {
  get(): TokenPair | null;
  set(pair: TokenPair | null): void;
  /** Called with the new pair (or null) whenever it changes, in this tab or another. */
  subscribe(listener: (pair: TokenPair | null) => void): () => void;
}

const KEY = "tunewave.auth";

function parse(raw: string | null): TokenPair | null {
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<TokenPair>;
    return typeof value.access === "string" && typeof value.refresh === "string"
      ? { access: value.access, refresh: value.refresh }
      : null;
  } catch {
    return null;
  }
}

/** The browser's store: localStorage, with other tabs' changes reported through `storage` events. */
export function localStorageTokenStore(storage: Storage = window.localStorage): TokenStore {
  const listeners = new Set<(pair: TokenPair | null) => void>();
  const notify = (pair: TokenPair | null) => listeners.forEach((listener) => listener(pair));
  window.addEventListener("storage", (event) => {
    if (event.key === KEY || event.key === null) notify(parse(storage.getItem(KEY)));
  });
  return {
    get: () => parse(storage.getItem(KEY)),
    set(pair) {
      if (pair) storage.setItem(KEY, JSON.stringify(pair));
      else storage.removeItem(KEY);
      notify(pair);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** A store in memory only (tests, or a browser with storage disabled). */
export function memoryTokenStore(initial: TokenPair | null = null): TokenStore {
  let current = initial;
  const listeners = new Set<(pair: TokenPair | null) => void>();
  return {
    get: () => current,
    set(pair) {
      current = pair;
      listeners.forEach((listener) => listener(pair));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The `user_id` claim of an access token, without verifying it (the server does). */
export function tokenUserId(access: string | undefined | null): string | null {
  const payload = access?.split(".")[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const claims = JSON.parse(json) as { user_id?: unknown };
    return typeof claims.user_id === "string" ? claims.user_id : null;
  } catch {
    return null;
  }
}
