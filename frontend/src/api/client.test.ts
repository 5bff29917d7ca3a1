import { describe, expect, expectTypeOf, it, vi } from "vitest";

import { memoryTokenStore } from "../auth/tokens";
import { jsonResponse } from "../test/http";
import { ApiClient, ApiError, errorMessage } from "./client";
import type { components } from "./schema";

const noLock = <T,>(_name: string, run: () => Promise<T>) => run();

function client(fetch: Fetch, tokens = { access: "old-access", refresh: "old-refresh" }) {
  const store = memoryTokenStore(tokens);
  const onSessionLost = vi.fn();
  const api = new ApiClient({ tokens: store, fetch, onSessionLost, withLock: noLock, baseUrl: BASE });
  return { api, store, onSessionLost };
}

// The client hands fetch a Request (openapi-fetch); these read it back.
const BASE = "http://test.local";
type Fetch = (request: Request) => Promise<Response>;

function pathOf(request: Request): string {
  const url = new URL(request.url);
  return url.pathname + url.search;
}

function authOf(request: Request): string | undefined {
  return request.headers.get("Authorization") ?? undefined;
}

describe("ApiClient", () => {
  it("sends the bearer token and parses JSON", async () => {
    const fetch = vi.fn<Fetch>(async () => jsonResponse({ id: "u1", username: "alice" }));
    const { api } = client(fetch);

    const me = await api.me();

    expect(me.username).toBe("alice");
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(pathOf(fetch.mock.calls[0]![0])).toBe("/users/me");
    expect(authOf(fetch.mock.calls[0]![0])).toBe("Bearer old-access");
  });

  it("refreshes once on a 401 and retries the request with the new token", async () => {
    const fetch = vi.fn<Fetch>(async (request) => {
      if (pathOf(request) === "/auth/token/refresh") {
        expect(await request.json()).toEqual({ refresh: "old-refresh" });
        expect(authOf(request)).toBeUndefined();
        return jsonResponse({ access: "new-access", refresh: "new-refresh" });
      }
      return authOf(request) === "Bearer new-access"
        ? jsonResponse({ id: "u1", username: "alice" })
        : jsonResponse({ detail: "Token expired.", code: "token_not_valid" }, 401);
    });
    const { api, store } = client(fetch);

    const me = await api.me();

    expect(me.username).toBe("alice");
    expect(fetch.mock.calls.map((call) => pathOf(call[0]))).toEqual(["/users/me", "/auth/token/refresh", "/users/me"]);
    // The rotated refresh token is kept too.
    expect(store.get()).toEqual({ access: "new-access", refresh: "new-refresh" });
  });

  it("shares one refresh between concurrent 401s", async () => {
    let refreshes = 0;
    const fetch = vi.fn<Fetch>(async (request) => {
      if (pathOf(request) === "/auth/token/refresh") {
        refreshes += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return jsonResponse({ access: "new-access", refresh: "new-refresh" });
      }
      return authOf(request) === "Bearer new-access" ? jsonResponse([]) : jsonResponse({ detail: "expired", code: "token_not_valid" }, 401);
    });
    const { api } = client(fetch);

    await Promise.all([api.favorites(), api.friends(), api.notifications()]);

    expect(refreshes).toBe(1);
  });

  it("gives up after one retry: a second 401 is the caller's error, not a loop", async () => {
    const fetch = vi.fn<Fetch>(async (request) =>
      pathOf(request) === "/auth/token/refresh"
        ? jsonResponse({ access: "new-access", refresh: "new-refresh" })
        : jsonResponse({ detail: "Nope.", code: "not_authenticated" }, 401),
    );
    const { api } = client(fetch);

    await expect(api.me()).rejects.toMatchObject({ status: 401, code: "not_authenticated" });
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it("ends the session when the refresh token is refused", async () => {
    const fetch = vi.fn<Fetch>(async (request) =>
      pathOf(request) === "/auth/token/refresh"
        ? jsonResponse({ detail: "Token is blacklisted", code: "token_not_valid" }, 401)
        : jsonResponse({ detail: "expired", code: "token_not_valid" }, 401),
    );
    const { api, store, onSessionLost } = client(fetch);

    const error = await api.me().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect(store.get()).toBeNull();
    expect(onSessionLost).toHaveBeenCalledTimes(1);
  });

  it("uses a pair another tab stored meanwhile instead of refreshing again", async () => {
    const fetch = vi.fn<Fetch>(async (request) => {
      if (pathOf(request) === "/auth/token/refresh") throw new Error("must not refresh");
      return authOf(request) === "Bearer tab2-access" ? jsonResponse({ ok: true }) : jsonResponse({ detail: "expired" }, 401);
    });
    const { api, store } = client(fetch);
    const original = fetch.getMockImplementation()!;
    fetch.mockImplementationOnce(async (request) => {
      store.set({ access: "tab2-access", refresh: "tab2-refresh" }); // the other tab, while our request was out
      return original(request);
    });

    await expect(api.me()).resolves.toEqual({ ok: true });
  });

  it("does not refresh for anonymous calls", async () => {
    const fetch = vi.fn<Fetch>(async () => jsonResponse({ detail: "No.", code: "not_authenticated" }, 401));
    const store = memoryTokenStore(null);
    const api = new ApiClient({ tokens: store, fetch, withLock: noLock, baseUrl: BASE });

    await expect(api.me()).rejects.toMatchObject({ status: 401 });
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("surfaces the server's {detail, code}, field errors and Retry-After", async () => {
    const fetch = vi
      .fn<Fetch>()
      .mockResolvedValueOnce(jsonResponse({ detail: "A room with that name exists.", code: "conflict" }, 409))
      .mockResolvedValueOnce(jsonResponse({ name: ["This field is required."] }, 400))
      .mockResolvedValueOnce(jsonResponse({ detail: "Slow down.", code: "rate_limited" }, 429, { "Retry-After": "12" }));
    const { api } = client(fetch);

    await expect(api.createRoom({ name: "Jazz" })).rejects.toMatchObject({ status: 409, code: "conflict", detail: "A room with that name exists." });
    await expect(api.createRoom({ name: "" })).rejects.toMatchObject({ status: 400, fields: { name: ["This field is required."] } });
    await expect(api.rooms({})).rejects.toMatchObject({ status: 429, code: "rate_limited", retryAfter: 12 });
  });

  it("reports a network failure as status 0", async () => {
    const fetch = vi.fn<Fetch>(async () => {
      throw new TypeError("Failed to fetch");
    });
    const { api } = client(fetch);

    await expect(api.me()).rejects.toMatchObject({ status: 0, code: "network_error" });
  });

  it("fills and encodes path parameters and leaves empty query values out", async () => {
    const fetch = vi.fn<Fetch>(async () => jsonResponse([]));
    const { api } = client(fetch);

    await api.queueRemove("r 1", "a/b");
    await api.rooms({ search: "", genre: "jazz & blues", limit: 5 });

    expect(pathOf(fetch.mock.calls[0]![0])).toBe("/rooms/r%201/queue/a%2Fb");
    expect(fetch.mock.calls[0]![0].method).toBe("DELETE");
    expect(pathOf(fetch.mock.calls[1]![0])).toBe("/rooms/?genre=jazz%20%26%20blues&limit=5");
  });

  it("retries a 401 with the same body, and answers undefined for a 204", async () => {
    const bodies: unknown[] = [];
    const fetch = vi.fn<Fetch>(async (request) => {
      if (pathOf(request) === "/auth/token/refresh") return jsonResponse({ access: "new-access", refresh: "new-refresh" });
      bodies.push(await request.json());
      return authOf(request) === "Bearer new-access"
        ? jsonResponse({ id: "q1" }, 201)
        : jsonResponse({ detail: "expired", code: "token_not_valid" }, 401);
    });
    const { api } = client(fetch);

    await expect(api.queueAdd("r1", "sp1")).resolves.toEqual({ id: "q1" });
    expect(bodies).toEqual([{ spotify_id: "sp1" }, { spotify_id: "sp1" }]);

    fetch.mockResolvedValueOnce(jsonResponse(null, 204));
    await expect(api.deleteRoom("r1")).resolves.toBeUndefined();
  });

  it("uploads an avatar as multipart form data", async () => {
    const fetch = vi.fn<Fetch>(async () => jsonResponse({ id: "u1" }));
    const { api } = client(fetch);

    await api.uploadAvatar(new File(["png"], "me.png", { type: "image/png" }));

    const request = fetch.mock.calls[0]![0];
    expect(request.headers.get("Content-Type")).toMatch(/^multipart\/form-data; boundary=/);
    const form = await request.formData();
    expect((form.get("avatar_file") as File).name).toBe("me.png");
  });

  it("reads field errors from the server's `errors` member, nested fields dotted", async () => {
    const body = {
      detail: "name: This field may not be blank.",
      code: "blank",
      errors: { name: ["This field may not be blank."], genres: { "0": ["Not a valid string."] } },
    };
    const fetch = vi.fn<Fetch>(async () => jsonResponse(body, 400));
    const { api } = client(fetch);

    await expect(api.createRoom({ name: "" })).rejects.toMatchObject({
      status: 400,
      code: "blank",
      detail: "name: This field may not be blank.",
      fields: { name: ["This field may not be blank."], "genres.0": ["Not a valid string."] },
    });
  });

  it("keeps a non-JSON error body as the detail", async () => {
    const fetch = vi.fn<Fetch>(async () => new Response("Bad Gateway", { status: 502 }));
    const { api } = client(fetch);

    await expect(api.me()).rejects.toMatchObject({ status: 502, detail: "Bad Gateway", code: "http_502" });
  });
});

describe("ApiClient types", () => {
  it("answers each call with the schema's response type, not a hand-written one", () => {
    type Schemas = components["schemas"];
    type Answer<K extends keyof ApiClient> = ApiClient[K] extends (...args: never[]) => Promise<infer R> ? R : never;

    expectTypeOf<Answer<"recommendedRooms">>().toEqualTypeOf<Schemas["RoomRecommendation"][]>();
    expectTypeOf<Answer<"recommendedTracks">>().toEqualTypeOf<Schemas["TrackRecommendation"][]>();
    expectTypeOf<Answer<"room">>().toEqualTypeOf<Schemas["Room"]>();
    expectTypeOf<Answer<"queueAdd">>().toEqualTypeOf<Schemas["QueueItem"]>();
    expectTypeOf<Answer<"me">>().toEqualTypeOf<Schemas["UserDetail"]>();
    expectTypeOf<Answer<"deleteRoom">>().toEqualTypeOf<undefined>();
    expectTypeOf<Parameters<ApiClient["updateUser"]>[1]>().toEqualTypeOf<Schemas["UserUpdateRequest"]>();
  });
});

describe("ApiError's message (what people read)", () => {
  const error400 = (errors: Record<string, string[]>) =>
    new ApiError(400, { detail: `${Object.keys(errors)[0]}: ${Object.values(errors)[0]![0]}`, code: "invalid", errors });

  it("never shows a raw field name: user_id, spotify_id, avatar_file", () => {
    const userId = error400({ user_id: ["Must be a valid UUID."] });
    const spotify = error400({ spotify_id: ["No track with that id."] });
    const avatar = error400({ avatar_file: ["Avatars must be JPEG, PNG or WebP images."] });

    expect(errorMessage(userId)).toBe("That isn't a user id. Copy it from their profile page.");
    expect(errorMessage(spotify)).toBe("No track with that id.");
    expect(errorMessage(avatar)).toBe("Avatars must be JPEG, PNG or WebP images.");
    for (const error of [userId, spotify, avatar]) expect(errorMessage(error)).not.toMatch(/user_id|spotify_id|avatar_file/);
    // The server's own detail is still there for programs.
    expect(userId.detail).toBe("user_id: Must be a valid UUID.");
  });

  it("puts Django's 'this field' messages in words with the field's label", () => {
    expect(errorMessage(error400({ username: ["This field may not be blank."] }))).toBe("Username is required.");
    expect(errorMessage(error400({ name: ["Ensure this field has no more than 80 characters."] }))).toBe(
      "Room name can be at most 80 characters.",
    );
    expect(errorMessage(error400({ favorite_genres: ["Not a valid string."] }))).toBe("Favorite genres must be text.");
  });

  it("words a detail that leads with a field name even without `errors`", () => {
    const error = new ApiError(400, { detail: "spotify_id: Unknown track.", code: "invalid" });
    expect(errorMessage(error)).toBe("Unknown track.");
  });

  it("does not say when to retry twice on a 429", () => {
    const said = new ApiError(429, { detail: "Slow down: at most 5 a minute. Try again in 2 s.", code: "rate_limited" }, 2);
    expect(errorMessage(said)).toBe("Slow down: at most 5 a minute. Try again in 2 s.");
    const unsaid = new ApiError(429, { detail: "Slow down.", code: "rate_limited" }, 7);
    expect(errorMessage(unsaid)).toBe("Slow down. Try again in 7 s.");
  });
});
