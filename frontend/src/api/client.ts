/**
 * The one API client: openapi-fetch over the generated `paths` (schema.d.ts, `npm run
 * api:types`), so every path, parameter, body and response type comes from the OpenAPI
 * schema — a path or field that leaves the schema fails `npm run lint`.
 *
 * - `api.http` is the typed openapi-fetch client (`api.http.GET("/rooms/{room_id}", …)`);
 *   the named methods below are one-line calls through it, unwrapped by {@link unwrap}.
 * - Adds `Authorization: Bearer <access>` when signed in (middleware). Sign-in, config,
 *   logout and the refresh itself go through a second client without it.
 * - On a 401 it refreshes the token pair once (POST /auth/token/refresh, rotating) and
 *   retries the request once; concurrent 401s share one refresh (one refresh call at a time
 *   per tab, serialised across tabs by a lock). If the refresh fails the session is over:
 *   tokens are cleared and `onSessionLost` runs.
 * - Errors come back as {@link ApiError} carrying the server's `{detail, code}` (and field
 *   errors for 400s, Retry-After for 429s); a network failure is status 0. A 204 gives undefined.
 */
import createClient, { createQuerySerializer, type Client, type Middleware } from "openapi-fetch";

import type { TokenPair, TokenStore } from "../auth/tokens";
import type { ApiBody, ApiQuery, Role } from "./types";
import type { paths } from "./schema";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** the server's own `detail` (for a 400 it starts with the field's name: not for people) */
  readonly detail: string;
  /** field errors of a 400 ({field: [messages]}, from the body's `errors`; nested fields dotted) */
  readonly fields: Record<string, string[]>;
  /** seconds, from Retry-After on a 429 */
  readonly retryAfter: number | null;

  constructor(status: number, body: unknown, retryAfter: number | null = null) {
    const obj = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
    // The server nests field errors under `errors` (the Error schema); a bare DRF body has them at the top.
    const fields = fieldErrors(isRecord(obj.errors) ? obj.errors : obj);
    const firstField = Object.entries(fields)[0];
    const detail =
      typeof obj.detail === "string"
        ? obj.detail
        : firstField
          ? `${firstField[0]}: ${firstField[1].join(" ")}`
          : status === 0
            ? "The server could not be reached."
            : `Request failed (${status}).`;
    // The message is for people: field errors in words, never "user_id: …".
    super(
      Object.keys(fields).length > 0
        ? fieldsSentence(fields)
        : typeof obj.detail === "string"
          ? unprefixed(obj.detail)
          : describeStatus(status, detail),
    );
    this.name = "ApiError";
    this.status = status;
    this.code = typeof obj.code === "string" ? obj.code : status === 0 ? "network_error" : `http_${status}`;
    this.detail = detail;
    this.fields = fields;
    this.retryAfter = retryAfter;
  }
}

/** "spotify_id: Not a track." (a detail that leads with a field's name) → words. */
function unprefixed(detail: string): string {
  const match = detail.match(/^([a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]+_?id|name|text|email|username|bio):\s*(.+)$/s);
  return match ? describeFieldError(match[1]!, match[2]!) : detail;
}

function describeStatus(status: number, fallback: string): string {
  if (status === 0) return "The server could not be reached. Check your connection and try again.";
  if (status >= 500) return fallback.startsWith("Request failed") ? "Something went wrong on the server. Please try again." : fallback;
  return fallback;
}

/**
 * What people call the API's fields (the labels the forms show). A field not listed here is
 * still put in words ("favorite_genres" → "Favorite genres"), never shown raw.
 */
export const FIELD_LABELS: Record<string, string> = {
  name: "Room name",
  description: "Description",
  genres: "Genres",
  is_private: "Private",
  queue_policy: "Who can add to the queue",
  playback_policy: "Who controls playback",
  username: "Username",
  display_name: "Display name",
  bio: "Bio",
  favorite_genres: "Favorite genres",
  history_public: "History visibility",
  email_notifications: "E-mail notifications",
  avatar_file: "Avatar image",
  spotify_id: "Spotify track",
  user_id: "User id",
  email: "E-mail",
  text: "Message",
  reason: "Reason",
  role: "Role",
  client_msg_id: "Message id",
};

/** The labels of a form's fields, as FIELD_LABELS names them (for `formErrors`). */
export function labelsOf<K extends string>(fields: readonly K[]): Record<K, string> {
  return Object.fromEntries(fields.map((field) => [field, fieldLabel(field)])) as Record<K, string>;
}

/** "favorite_genres.2" → "Favorite genres"; "non_field_errors" → "" (the form as a whole). */
export function fieldLabel(field: string, labels: Record<string, string> = {}): string {
  const base = field.split(".")[0] ?? field;
  if (base === "non_field_errors" || base === "__all__") return "";
  const label = labels[base] ?? FIELD_LABELS[base];
  if (label) return label;
  const words = base.replace(/_id$/, " id").replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The bits of Django/DRF's wording that assume you can see which field is meant. */
const REWORDS: Array<[RegExp, (label: string, m: RegExpMatchArray) => string]> = [
  [/^This field (?:may not be blank|is required|may not be null)\.?$/i, (l) => `${l} is required.`],
  [/^Ensure this field has no more than (\d+) characters?\.?$/i, (l, m) => `${l} can be at most ${m[1]} characters.`],
  [/^Ensure this field has at least (\d+) characters?\.?$/i, (l, m) => `${l} needs at least ${m[1]} characters.`],
  [/^Ensure this field has no more than (\d+) elements?\.?$/i, (l, m) => `${l}: at most ${m[1]} items.`],
  [/^Ensure this value has at most (\d+) characters.*$/i, (l, m) => `${l} can be at most ${m[1]} characters.`],
  [/^Ensure this value has at least (\d+) characters.*$/i, (l, m) => `${l} needs at least ${m[1]} characters.`],
  [/^Must be a valid UUID\.?$/i, (l) => (l === "User id" ? "That isn't a user id. Copy it from their profile page." : `${l} isn't a valid id.`)],
  [/^"?.*"? is not a valid choice\.?$/i, (l) => `Pick one of the offered options for ${lower(l)}.`],
  [/^Not a valid string\.?$/i, (l) => `${l} must be text.`],
  [/^(?:The submitted data was not a file|No file was submitted)\..*$/i, (l) => `Choose a file for ${lower(l)}.`],
  [/^The submitted file is empty\.?$/i, () => "The file is empty."],
  [/^Enter a valid email address\.?$/i, () => "Enter a valid e-mail address."],
  [/^This field cannot be changed\.?$/i, (l) => `${l} cannot be changed.`],
];

function lower(label: string): string {
  return label ? label.charAt(0).toLowerCase() + label.slice(1) : "this field";
}

/**
 * One server message about a field, in words a person can act on; "This field …" becomes the
 * field's label, and the field's raw name never appears.
 */
export function describeFieldError(field: string, message: string, labels: Record<string, string> = {}): string {
  const label = fieldLabel(field, labels);
  const text = message.trim();
  for (const [pattern, reword] of REWORDS) {
    const match = text.match(pattern);
    if (match) return reword(label || "This", match);
  }
  // Some server messages still lead with the field's name ("spotify_id: …").
  const base = field.split(".")[0] ?? field;
  const stripped = text.startsWith(`${base}:`) ? text.slice(base.length + 1).trim() : text;
  return stripped.replace(/\bthis field\b/gi, label ? lower(label) : "this field");
}

function fieldsSentence(fields: Record<string, string[]>): string {
  return Object.entries(fields)
    .flatMap(([field, messages]) => messages.map((message) => describeFieldError(field, message)))
    .join(" ");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** {field: [messages]} from an error body, nested fields as "parent.child"; detail/code skipped. */
function fieldErrors(errors: Record<string, unknown>, prefix = ""): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(errors)) {
    if (!prefix && (key === "detail" || key === "code" || key === "errors")) continue;
    const name = prefix + key;
    if (typeof value === "string") fields[name] = [value];
    else if (Array.isArray(value) && value.every((item) => typeof item === "string")) fields[name] = value;
    else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        if (isRecord(item)) Object.assign(fields, fieldErrors(item, `${name}.${i}.`));
      });
    }
    else if (isRecord(value)) Object.assign(fields, fieldErrors(value, `${name}.`));
  }
  return fields;
}

export function isApiError(error: unknown, status?: number): error is ApiError {
  return error instanceof ApiError && (status === undefined || error.status === status);
}

/** A message for a person, from any error. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    // The server's 429 detail already says when ("Try again in 2 s."): add a time only if it does not.
    if (error.status === 429 && error.retryAfter && !/\d\s*(s\b|sec|second|minute)/i.test(error.message)) {
      return `${error.message} Try again in ${error.retryAfter} s.`;
    }
    return error.message;
  }
  if (error instanceof Error) return error.message;
  if (typeof error === "string" && error) return error;
  return "Something went wrong.";
}

export interface ClientOptions {
  tokens: TokenStore;
  /** default: this page's origin */
  baseUrl?: string;
  fetch?: (request: Request) => Promise<Response>;
  /** the refresh token was refused: the person must sign in again */
  onSessionLost?: () => void;
  /** serialise refreshes across tabs (navigator.locks where available) */
  withLock?: <T>(name: string, run: () => Promise<T>) => Promise<T>;
}

/** What openapi-fetch answers: the parsed body of a 2xx in `data`, of anything else in `error`. */
interface Outcome {
  data?: unknown;
  error?: unknown;
  response: Response;
}
/** The success type of an openapi-fetch call (undefined for a 204). */
type DataOf<R> = R extends { data: infer D; error?: never } ? D : never;

/** A 2xx's body, typed from the schema; anything else thrown as {@link ApiError}. */
export async function unwrap<R extends Outcome>(call: Promise<R>): Promise<DataOf<R>> {
  const { data, error, response } = await call;
  if (!response.ok) {
    const body = typeof error === "string" ? (error ? { detail: error.slice(0, 200) } : null) : (error ?? null);
    const retry = Number(response.headers.get("Retry-After"));
    throw new ApiError(response.status, body, Number.isFinite(retry) && retry > 0 ? retry : null);
  }
  return data as DataOf<R>;
}

/** Query values left out of the URL: unset, null and empty ("search" with nothing typed). */
const serializeQuery = createQuerySerializer();
function querySerializer(query: Record<string, unknown>): string {
  return serializeQuery(Object.fromEntries(Object.entries(query).filter(([, value]) => value !== "" && value != null)));
}

/** openapi-typescript types a binary field (`format: binary`) as string; files travel as multipart. */
const binary = (file: Blob) => file as unknown as string;
function multipart(body: unknown): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (value instanceof Blob) form.append(key, value);
    else if (value != null) form.append(key, String(value));
  }
  return form;
}

function defaultLock<T>(name: string, run: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  return locks ? (locks.request(name, run) as Promise<T>) : run();
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

export class ApiClient {
  /** The typed client for signed-in calls: the bearer token, and one refresh + retry on a 401. */
  readonly http: Client<paths>;
  /** The same without credentials (sign-in, config, logout, the refresh itself). */
  private readonly anon: Client<paths>;
  private readonly tokens: TokenStore;
  private readonly fetchImpl: (request: Request) => Promise<Response>;
  private readonly onSessionLost: () => void;
  private readonly withLock: <T>(name: string, run: () => Promise<T>) => Promise<T>;
  private refreshing: Promise<TokenPair | null> | null = null;

  constructor(options: ClientOptions) {
    this.tokens = options.tokens;
    this.fetchImpl = options.fetch ?? ((request) => globalThis.fetch(request));
    this.onSessionLost = options.onSessionLost ?? (() => {});
    this.withLock = options.withLock ?? defaultLock;
    const baseUrl = options.baseUrl ?? (typeof location !== "undefined" ? location.origin : "");
    const make = () =>
      createClient<paths>({ baseUrl, fetch: this.transport, querySerializer, headers: { Accept: "application/json" } });
    this.anon = make();
    this.http = make();
    this.http.use(this.auth());
  }

  /** Every request leaves here; a failure to reach the server becomes ApiError status 0. */
  private readonly transport = async (request: Request): Promise<Response> => {
    try {
      return await this.fetchImpl(request);
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new ApiError(0, null);
    }
  };

  /** Bearer token on the way out; on a 401, one shared refresh and one retry with the new token. */
  private auth(): Middleware {
    const sent = new Map<string, { pair: TokenPair; retry: Request }>();
    return {
      onRequest: ({ request, id }) => {
        const pair = this.tokens.get();
        if (!pair) return undefined;
        sent.set(id, { pair, retry: request.clone() });
        request.headers.set("Authorization", `Bearer ${pair.access}`);
        return request;
      },
      onResponse: async ({ response, id }) => {
        const first = sent.get(id);
        sent.delete(id);
        if (!first || response.status !== 401) return undefined;
        const fresh = await this.refreshAfter401(first.pair);
        if (!fresh) return undefined;
        first.retry.headers.set("Authorization", `Bearer ${fresh.access}`);
        return this.transport(first.retry);
      },
      onError: ({ id }) => {
        sent.delete(id);
      },
    };
  }

  /**
   * A request sent with `failed` got a 401. Returns the pair to retry with, or null when
   * the session is over. One refresh at a time in this tab (shared promise) and, through
   * the lock, across tabs; a tab that finds the stored pair already replaced uses it.
   */
  private refreshAfter401(failed: TokenPair): Promise<TokenPair | null> {
    if (!this.refreshing) {
      this.refreshing = this.withLock("tunewave-token-refresh", async () => {
        const current = this.tokens.get();
        if (!current) return null;
        if (current.access !== failed.access) return current; // someone refreshed meanwhile
        const { data } = await this.anon.POST("/auth/token/refresh", { body: { refresh: current.refresh } });
        if (!data) {
          // Another tab may have rotated the refresh token while we asked with the old one.
          const now = this.tokens.get();
          if (now && now.refresh !== current.refresh) return now;
          this.tokens.set(null);
          this.onSessionLost();
          return null;
        }
        const next = { access: data.access, refresh: data.refresh || current.refresh };
        this.tokens.set(next);
        return next;
      })
        .catch(() => null)
        .finally(() => {
          this.refreshing = null;
        });
    }
    return this.refreshing;
  }

  // --- auth ---------------------------------------------------------------------------

  config = () => unwrap(this.anon.GET("/auth/config"));
  devLogin = (email: string, displayName?: string) =>
    unwrap(this.anon.POST("/auth/dev/login", { body: displayName ? { email, display_name: displayName } : { email } }));
  logout = (refresh: string) => unwrap(this.anon.POST("/auth/logout", { body: { refresh } }));
  wsTicket = () => unwrap(this.http.POST("/auth/ws-ticket"));

  // --- users --------------------------------------------------------------------------

  me = () => unwrap(this.http.GET("/users/me"));
  user = (userId: string) => unwrap(this.http.GET("/users/{user_id}", { params: { path: { user_id: userId } } }));
  updateUser = (userId: string, body: ApiBody<"/users/{user_id}", "put">) =>
    unwrap(this.http.PUT("/users/{user_id}", { params: { path: { user_id: userId } }, body }));
  uploadAvatar = (file: File) =>
    unwrap(this.http.POST("/users/me/avatar", { body: { avatar_file: binary(file) }, bodySerializer: multipart }));
  myHistory = (query: ApiQuery<"/users/me/history">) => unwrap(this.http.GET("/users/me/history", { params: { query } }));
  userHistory = (userId: string, query: ApiQuery<"/users/{user_id}/history">) =>
    unwrap(this.http.GET("/users/{user_id}/history", { params: { path: { user_id: userId }, query } }));

  // --- tracks & favorites -------------------------------------------------------------

  track = (spotifyId: string) =>
    unwrap(this.http.GET("/track/{spotify_id}", { params: { path: { spotify_id: spotifyId } } }));
  favorites = (query: ApiQuery<"/favorites/me"> = {}) => unwrap(this.http.GET("/favorites/me", { params: { query } }));
  userFavorites = (userId: string) =>
    unwrap(this.http.GET("/favorites/{user_id}", { params: { path: { user_id: userId } } }));
  addFavorite = (spotifyId: string) => unwrap(this.http.POST("/favorites/me", { body: { spotify_id: spotifyId } }));
  removeFavorite = (spotifyId: string) =>
    unwrap(this.http.DELETE("/favorites/me/{spotify_id}", { params: { path: { spotify_id: spotifyId } } }));

  // --- rooms --------------------------------------------------------------------------

  rooms = (query: ApiQuery<"/rooms/">) => unwrap(this.http.GET("/rooms/", { params: { query } }));
  myRooms = (query: ApiQuery<"/rooms/my-rooms"> = {}) => unwrap(this.http.GET("/rooms/my-rooms", { params: { query } }));
  room = (roomId: string) => unwrap(this.http.GET("/rooms/{room_id}", { params: { path: { room_id: roomId } } }));
  roomByName = (name: string) => unwrap(this.http.GET("/rooms/by-name", { params: { query: { name } } }));
  createRoom = (body: ApiBody<"/rooms/", "post">) => unwrap(this.http.POST("/rooms/", { body }));
  updateRoom = (roomId: string, body: ApiBody<"/rooms/{room_id}", "patch">) =>
    unwrap(this.http.PATCH("/rooms/{room_id}", { params: { path: { room_id: roomId } }, body }));
  deleteRoom = (roomId: string) =>
    unwrap(this.http.DELETE("/rooms/{room_id}", { params: { path: { room_id: roomId } } }));
  joinRoom = (roomId: string) =>
    unwrap(this.http.POST("/rooms/{room_id}/join", { params: { path: { room_id: roomId } } }));
  leaveRoom = (roomId: string) =>
    unwrap(this.http.POST("/rooms/{room_id}/leave", { params: { path: { room_id: roomId } } }));
  members = (roomId: string, query: ApiQuery<"/rooms/{room_id}/members"> = {}) =>
    unwrap(this.http.GET("/rooms/{room_id}/members", { params: { path: { room_id: roomId }, query } }));
  setRole = (roomId: string, userId: string, role: Role) =>
    unwrap(
      this.http.PUT("/rooms/{room_id}/members/{user_id}/role", {
        params: { path: { room_id: roomId, user_id: userId } },
        body: { role },
      }),
    );
  ban = (roomId: string, userId: string, reason: string) =>
    unwrap(
      this.http.POST("/rooms/{room_id}/members/{user_id}/ban", {
        params: { path: { room_id: roomId, user_id: userId } },
        body: { reason },
      }),
    );
  unban = (roomId: string, userId: string) =>
    unwrap(
      this.http.DELETE("/rooms/{room_id}/members/{user_id}/ban", { params: { path: { room_id: roomId, user_id: userId } } }),
    );
  invite = (roomId: string, userId: string) =>
    unwrap(
      this.http.POST("/rooms/{room_id}/invite/{user_id}", { params: { path: { room_id: roomId, user_id: userId } } }),
    );
  queue = (roomId: string) => unwrap(this.http.GET("/rooms/{room_id}/queue", { params: { path: { room_id: roomId } } }));
  queueAdd = (roomId: string, spotifyId: string) =>
    unwrap(
      this.http.POST("/rooms/{room_id}/queue", { params: { path: { room_id: roomId } }, body: { spotify_id: spotifyId } }),
    );
  queueRemove = (roomId: string, associationId: string) =>
    unwrap(
      this.http.DELETE("/rooms/{room_id}/queue/{association_id}", {
        params: { path: { room_id: roomId, association_id: associationId } },
      }),
    );
  bansIssued = () => unwrap(this.http.GET("/ban/my-issued"));
  bansReceived = () => unwrap(this.http.GET("/ban/my-received"));

  // --- chat ---------------------------------------------------------------------------

  /** newest first */
  chatHistory = (roomId: string, query: ApiQuery<"/chat/{room_id}">) =>
    unwrap(this.http.GET("/chat/{room_id}", { params: { path: { room_id: roomId }, query } }));
  chatSend = (roomId: string, text: string, clientMsgId?: string) =>
    unwrap(
      this.http.POST("/chat/{room_id}", {
        params: { path: { room_id: roomId } },
        body: { text, client_msg_id: clientMsgId },
      }),
    );
  chatDelete = (roomId: string, messageId: number) =>
    unwrap(
      this.http.DELETE("/chat/{room_id}/{message_id}", { params: { path: { room_id: roomId, message_id: String(messageId) } } }),
    );

  // --- friends ------------------------------------------------------------------------

  friends = () => unwrap(this.http.GET("/friendships/my-friends", { params: { query: { limit: 100 } } }));
  sentRequests = () => unwrap(this.http.GET("/friendships/my-send-requests", { params: { query: { limit: 100 } } }));
  receivedRequests = () =>
    unwrap(this.http.GET("/friendships/my-received-requests", { params: { query: { limit: 100 } } }));
  sendFriendRequest = (userId: string) =>
    unwrap(this.http.POST("/friendships/send-request", { body: { user_id: userId } }));
  acceptFriendRequest = (id: string) =>
    unwrap(this.http.PUT("/friendships/{friendship_id}/accept", { params: { path: { friendship_id: id } } }));
  declineFriendRequest = (id: string) =>
    unwrap(this.http.PUT("/friendships/{friendship_id}/decline", { params: { path: { friendship_id: id } } }));
  removeFriendship = (id: string) =>
    unwrap(this.http.DELETE("/friendships/{friendship_id}", { params: { path: { friendship_id: id } } }));
  /** friends online in a room the caller may see, with the room and its track */
  friendsListeningNow = () => unwrap(this.http.GET("/friendships/listening-now"));

  // --- search -------------------------------------------------------------------------

  /** tracks, rooms and people for `q` (`type`: "track,room,user", default all three) */
  search = (query: ApiQuery<"/search/">) => unwrap(this.http.GET("/search/", { params: { query } }));

  // --- notifications ------------------------------------------------------------------

  notifications = (query: ApiQuery<"/notifications/my"> = {}) =>
    unwrap(this.http.GET("/notifications/my", { params: { query } }));
  markNotificationRead = (id: string) =>
    unwrap(this.http.PUT("/notifications/{notification_id}/mark-read", { params: { path: { notification_id: id } } }));
  deleteNotification = (id: string) =>
    unwrap(this.http.DELETE("/notifications/{notification_id}", { params: { path: { notification_id: id } } }));

  // --- recommendations ----------------------------------------------------------------

  recommendedRooms = () => unwrap(this.http.GET("/recommendations/rooms", { params: { query: { limit: 12 } } }));
  recommendedTracks = () => unwrap(this.http.GET("/recommendations/tracks", { params: { query: { limit: 12 } } }));
}
