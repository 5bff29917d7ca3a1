/**
 * The one typed API client: a fetch wrapper for the Django API on the same origin.
 *
 * - Adds `Authorization: Bearer <access>` when signed in.
 * - On a 401 it refreshes the token pair once (POST /auth/token/refresh, rotating) and
 *   retries the request once; concurrent 401s share one refresh. If the refresh fails the
 *   session is over: tokens are cleared and `onSessionLost` runs.
 * - Errors come back as {@link ApiError} carrying the server's `{detail, code}` (and field
 *   errors for 400s, Retry-After for 429s).
 * - Every path is written as its OpenAPI template (`"/rooms/{room_id}/queue"`), typed as a
 *   key of the generated `paths`, so a path that leaves the schema fails type-checking.
 */
import type { TokenPair, TokenStore } from "../auth/tokens";
import type {
  ApiPath,
  Ban,
  DevLoginResponse,
  FavoriteTrack,
  FrontendConfig,
  Friendship,
  Invite,
  ListeningEvent,
  Member,
  Message,
  Notification,
  QueueItem,
  Role,
  Room,
  RoomRecommendation,
  RoomUpdate,
  RoomWrite,
  TokenPairResponse,
  Track,
  TrackRecommendation,
  User,
  UserUpdate,
  WsTicket,
} from "./types";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  /** field errors of a 400, as DRF sends them ({field: [messages]}) */
  readonly fields: Record<string, string[]>;
  /** seconds, from Retry-After on a 429 */
  readonly retryAfter: number | null;

  constructor(status: number, body: unknown, retryAfter: number | null = null) {
    const obj = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
    const fields: Record<string, string[]> = {};
    for (const [key, value] of Object.entries(obj)) {
      if (key === "detail" || key === "code") continue;
      if (Array.isArray(value)) fields[key] = value.map(String);
      else if (typeof value === "string") fields[key] = [value];
    }
    const firstField = Object.entries(fields)[0];
    const detail =
      typeof obj.detail === "string"
        ? obj.detail
        : firstField
          ? `${firstField[0]}: ${firstField[1].join(" ")}`
          : status === 0
            ? "The server could not be reached."
            : `Request failed (${status}).`;
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.code = typeof obj.code === "string" ? obj.code : status === 0 ? "network_error" : `http_${status}`;
    this.detail = detail;
    this.fields = fields;
    this.retryAfter = retryAfter;
  }
}

export function isApiError(error: unknown, status?: number): error is ApiError {
  return error instanceof ApiError && (status === undefined || error.status === status);
}

/** A message for a person, from any error. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 429 && error.retryAfter) return `${error.detail} (try again in ${error.retryAfter} s)`;
    return error.detail;
  }
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}

type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query;
  /** a JSON body */
  json?: unknown;
  /** a multipart body (avatar upload) */
  form?: FormData;
  /** send the bearer token (default true when signed in) */
  auth?: boolean;
  signal?: AbortSignal;
}

export interface ClientOptions {
  tokens: TokenStore;
  /** default: same origin */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** the refresh token was refused: the person must sign in again */
  onSessionLost?: () => void;
  /** serialise refreshes across tabs (navigator.locks where available) */
  withLock?: <T>(name: string, run: () => Promise<T>) => Promise<T>;
}

/** `/rooms/{room_id}/queue` + {room_id: "…"} → `/rooms/…/queue`, values URL-encoded. */
export function fillPath(template: ApiPath | string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`missing path parameter ${name} for ${template}`);
    return encodeURIComponent(String(value));
  });
}

function defaultLock<T>(name: string, run: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  return locks ? (locks.request(name, run) as Promise<T>) : run();
}

export class ApiClient {
  private readonly tokens: TokenStore;
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly onSessionLost: () => void;
  private readonly withLock: <T>(name: string, run: () => Promise<T>) => Promise<T>;
  private refreshing: Promise<TokenPair | null> | null = null;

  constructor(options: ClientOptions) {
    this.tokens = options.tokens;
    this.baseUrl = options.baseUrl ?? "";
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.onSessionLost = options.onSessionLost ?? (() => {});
    this.withLock = options.withLock ?? defaultLock;
  }

  // --- the wrapper --------------------------------------------------------------------

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const useAuth = options.auth ?? true;
    const sentWith = useAuth ? this.tokens.get() : null;
    let response = await this.send(method, path, options, sentWith?.access);
    if (response.status === 401 && sentWith) {
      const fresh = await this.refreshAfter401(sentWith);
      if (fresh) response = await this.send(method, path, options, fresh.access);
    }
    return this.parse<T>(response);
  }

  private async send(method: string, path: string, options: RequestOptions, access?: string): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json" };
    let body: BodyInit | undefined;
    if (options.form) body = options.form;
    else if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    if (access) headers.Authorization = `Bearer ${access}`;
    let url = this.baseUrl + path;
    if (options.query) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(options.query)) {
        if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
      }
      const qs = params.toString();
      if (qs) url += (url.includes("?") ? "&" : "?") + qs;
    }
    try {
      return await this.fetchImpl(url, { method, headers, body, signal: options.signal });
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") throw error;
      throw new ApiError(0, null);
    }
  }

  private async parse<T>(response: Response): Promise<T> {
    const text = response.status === 204 ? "" : await response.text();
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = { detail: text.slice(0, 200) };
      }
    }
    if (!response.ok) {
      const retry = Number(response.headers.get("Retry-After"));
      throw new ApiError(response.status, body, Number.isFinite(retry) && retry > 0 ? retry : null);
    }
    return body as T;
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
        const response = await this.send("POST", "/auth/token/refresh", { json: { refresh: current.refresh } });
        if (!response.ok) {
          // Another tab may have rotated the refresh token while we asked with the old one.
          const now = this.tokens.get();
          if (now && now.refresh !== current.refresh) return now;
          this.tokens.set(null);
          this.onSessionLost();
          return null;
        }
        const pair = (await response.json()) as TokenPairResponse;
        const next = { access: pair.access, refresh: pair.refresh ?? current.refresh };
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

  private get<T>(path: ApiPath, params?: Record<string, string | number>, query?: Query): Promise<T> {
    return this.request<T>("GET", fillPath(path, params), { query });
  }

  // --- auth ---------------------------------------------------------------------------

  config = () => this.request<FrontendConfig>("GET", fillPath("/auth/config"), { auth: false });
  devLogin = (email: string, displayName?: string) =>
    this.request<DevLoginResponse>("POST", fillPath("/auth/dev/login"), {
      auth: false,
      json: displayName ? { email, display_name: displayName } : { email },
    });
  logout = (refresh: string) =>
    this.request<void>("POST", fillPath("/auth/logout"), { json: { refresh }, auth: false });
  wsTicket = () => this.request<WsTicket>("POST", fillPath("/auth/ws-ticket"));

  // --- users --------------------------------------------------------------------------

  me = () => this.get<User>("/users/me");
  user = (userId: string) => this.get<User>("/users/{user_id}", { user_id: userId });
  updateUser = (userId: string, body: UserUpdate) =>
    this.request<User>("PUT", fillPath("/users/{user_id}", { user_id: userId }), { json: body });
  uploadAvatar = (file: File) => {
    const form = new FormData();
    form.append("avatar_file", file);
    return this.request<User>("POST", fillPath("/users/me/avatar"), { form });
  };
  myHistory = (query: { limit?: number; before_timestamp?: string }) =>
    this.get<ListeningEvent[]>("/users/me/history", {}, query);
  userHistory = (userId: string, query: { limit?: number; before_timestamp?: string }) =>
    this.get<ListeningEvent[]>("/users/{user_id}/history", { user_id: userId }, query);

  // --- tracks & favorites -------------------------------------------------------------

  track = (spotifyId: string) => this.get<Track>("/track/{spotify_id}", { spotify_id: spotifyId });
  favorites = (query: { limit?: number; offset?: number } = {}) =>
    this.get<FavoriteTrack[]>("/favorites/me", {}, query);
  userFavorites = (userId: string) => this.get<FavoriteTrack[]>("/favorites/{user_id}", { user_id: userId });
  addFavorite = (spotifyId: string) =>
    this.request<FavoriteTrack>("POST", fillPath("/favorites/me"), { json: { spotify_id: spotifyId } });
  removeFavorite = (spotifyId: string) =>
    this.request<void>("DELETE", fillPath("/favorites/me/{spotify_id}", { spotify_id: spotifyId }));

  // --- rooms --------------------------------------------------------------------------

  rooms = (query: { search?: string; genre?: string; order?: "live" | "newest"; limit?: number; offset?: number }) =>
    this.get<Room[]>("/rooms/", {}, query);
  myRooms = (query: { limit?: number; offset?: number } = {}) => this.get<Room[]>("/rooms/my-rooms", {}, query);
  room = (roomId: string) => this.get<Room>("/rooms/{room_id}", { room_id: roomId });
  roomByName = (name: string) => this.get<Room>("/rooms/by-name", {}, { name });
  createRoom = (body: RoomWrite) => this.request<Room>("POST", fillPath("/rooms/"), { json: body });
  updateRoom = (roomId: string, body: RoomUpdate) =>
    this.request<Room>("PATCH", fillPath("/rooms/{room_id}", { room_id: roomId }), { json: body });
  deleteRoom = (roomId: string) => this.request<void>("DELETE", fillPath("/rooms/{room_id}", { room_id: roomId }));
  joinRoom = (roomId: string) => this.request<Room>("POST", fillPath("/rooms/{room_id}/join", { room_id: roomId }));
  leaveRoom = (roomId: string) =>
    this.request<void>("POST", fillPath("/rooms/{room_id}/leave", { room_id: roomId }));
  members = (roomId: string, query: { limit?: number; offset?: number } = {}) =>
    this.get<Member[]>("/rooms/{room_id}/members", { room_id: roomId }, query);
  setRole = (roomId: string, userId: string, role: Role) =>
    this.request<Member>("PUT", fillPath("/rooms/{room_id}/members/{user_id}/role", { room_id: roomId, user_id: userId }), {
      json: { role },
    });
  ban = (roomId: string, userId: string, reason: string) =>
    this.request<Ban>("POST", fillPath("/rooms/{room_id}/members/{user_id}/ban", { room_id: roomId, user_id: userId }), {
      json: { reason },
    });
  unban = (roomId: string, userId: string) =>
    this.request<void>("DELETE", fillPath("/rooms/{room_id}/members/{user_id}/ban", { room_id: roomId, user_id: userId }));
  invite = (roomId: string, userId: string) =>
    this.request<Invite>("POST", fillPath("/rooms/{room_id}/invite/{user_id}", { room_id: roomId, user_id: userId }));
  queue = (roomId: string) => this.get<QueueItem[]>("/rooms/{room_id}/queue", { room_id: roomId });
  queueAdd = (roomId: string, spotifyId: string) =>
    this.request<QueueItem>("POST", fillPath("/rooms/{room_id}/queue", { room_id: roomId }), {
      json: { spotify_id: spotifyId },
    });
  queueRemove = (roomId: string, associationId: string) =>
    this.request<void>(
      "DELETE",
      fillPath("/rooms/{room_id}/queue/{association_id}", { room_id: roomId, association_id: associationId }),
    );
  bansIssued = () => this.get<Ban[]>("/ban/my-issued");
  bansReceived = () => this.get<Ban[]>("/ban/my-received");

  // --- chat ---------------------------------------------------------------------------

  /** newest first */
  chatHistory = (roomId: string, query: { limit: number; before_timestamp?: string }) =>
    this.get<Message[]>("/chat/{room_id}", { room_id: roomId }, query);
  chatSend = (roomId: string, text: string, clientMsgId?: string) =>
    this.request<Message>("POST", fillPath("/chat/{room_id}", { room_id: roomId }), {
      json: { text, client_msg_id: clientMsgId },
    });
  chatDelete = (roomId: string, messageId: number) =>
    this.request<void>("DELETE", fillPath("/chat/{room_id}/{message_id}", { room_id: roomId, message_id: messageId }));

  // --- friends ------------------------------------------------------------------------

  friends = () => this.get<Friendship[]>("/friendships/my-friends", {}, { limit: 100 });
  sentRequests = () => this.get<Friendship[]>("/friendships/my-send-requests", {}, { limit: 100 });
  receivedRequests = () => this.get<Friendship[]>("/friendships/my-received-requests", {}, { limit: 100 });
  sendFriendRequest = (userId: string) =>
    this.request<Friendship>("POST", fillPath("/friendships/send-request"), { json: { user_id: userId } });
  acceptFriendRequest = (id: string) =>
    this.request<Friendship>("PUT", fillPath("/friendships/{friendship_id}/accept", { friendship_id: id }));
  declineFriendRequest = (id: string) =>
    this.request<Friendship>("PUT", fillPath("/friendships/{friendship_id}/decline", { friendship_id: id }));
  removeFriendship = (id: string) =>
    this.request<void>("DELETE", fillPath("/friendships/{friendship_id}", { friendship_id: id }));

  // --- notifications ------------------------------------------------------------------

  notifications = (query: { limit?: number; offset?: number; unread?: boolean } = {}) =>
    this.get<Notification[]>("/notifications/my", {}, query);
  markNotificationRead = (id: string) =>
    this.request<Notification>("PUT", fillPath("/notifications/{notification_id}/mark-read", { notification_id: id }));
  deleteNotification = (id: string) =>
    this.request<void>("DELETE", fillPath("/notifications/{notification_id}", { notification_id: id }));

  // --- recommendations (not in the schema yet: see types.ts) --------------------------

  recommendedRooms = () => this.request<RoomRecommendation[]>("GET", "/recommendations/rooms", { query: { limit: 12 } });
  recommendedTracks = () =>
    this.request<TrackRecommendation[]>("GET", "/recommendations/tracks", { query: { limit: 12 } });
}
