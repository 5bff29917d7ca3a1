import { describe, expect, it, vi } from "vitest";

import { memoryTokenStore } from "../auth/tokens";
import { jsonResponse } from "../test/http";
import { ApiClient, ApiError, fillPath } from "./client";

const noLock = <T,>(_name: string, run: () => Promise<T>) => run();

function client(fetch: typeof globalThis.fetch, tokens = { access: "old-access", refresh: "old-refresh" }) {
  const store = memoryTokenStore(tokens);
  const onSessionLost = vi.fn();
  const api = new ApiClient({ tokens: store, fetch, onSessionLost, withLock: noLock });
  return { api, store, onSessionLost };
}

function authOf(init: RequestInit | undefined): string | undefined {
  return (init?.headers as Record<string, string> | undefined)?.Authorization;
}

describe("ApiClient", () => {
  it("sends the bearer token and parses JSON", async () => {
    const fetch = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => jsonResponse({ id: "u1", username: "alice" }));
    const { api } = client(fetch);

    const me = await api.me();

    expect(me.username).toBe("alice");
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(String(fetch.mock.calls[0]![0])).toBe("/users/me");
    expect(authOf(fetch.mock.calls[0]![1])).toBe("Bearer old-access");
  });

  it("refreshes once on a 401 and retries the request with the new token", async () => {
    const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      if (url === "/auth/token/refresh") {
        expect(JSON.parse(String(init?.body))).toEqual({ refresh: "old-refresh" });
        return jsonResponse({ access: "new-access", refresh: "new-refresh" });
      }
      return authOf(init) === "Bearer new-access"
        ? jsonResponse({ id: "u1", username: "alice" })
        : jsonResponse({ detail: "Token expired.", code: "token_not_valid" }, 401);
    });
    const { api, store } = client(fetch);

    const me = await api.me();

    expect(me.username).toBe("alice");
    expect(fetch.mock.calls.map((call) => String(call[0]))).toEqual(["/users/me", "/auth/token/refresh", "/users/me"]);
    // The rotated refresh token is kept too.
    expect(store.get()).toEqual({ access: "new-access", refresh: "new-refresh" });
  });

  it("shares one refresh between concurrent 401s", async () => {
    let refreshes = 0;
    const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      if (String(input) === "/auth/token/refresh") {
        refreshes += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return jsonResponse({ access: "new-access", refresh: "new-refresh" });
      }
      return authOf(init) === "Bearer new-access" ? jsonResponse([]) : jsonResponse({ detail: "expired", code: "token_not_valid" }, 401);
    });
    const { api } = client(fetch);

    await Promise.all([api.favorites(), api.friends(), api.notifications()]);

    expect(refreshes).toBe(1);
  });

  it("gives up after one retry: a second 401 is the caller's error, not a loop", async () => {
    const fetch = vi.fn(async (input: RequestInfo | URL) =>
      String(input) === "/auth/token/refresh"
        ? jsonResponse({ access: "new-access", refresh: "new-refresh" })
        : jsonResponse({ detail: "Nope.", code: "not_authenticated" }, 401),
    );
    const { api } = client(fetch);

    await expect(api.me()).rejects.toMatchObject({ status: 401, code: "not_authenticated" });
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it("ends the session when the refresh token is refused", async () => {
    const fetch = vi.fn(async (input: RequestInfo | URL) =>
      String(input) === "/auth/token/refresh"
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
    const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      if (String(input) === "/auth/token/refresh") throw new Error("must not refresh");
      return authOf(init) === "Bearer tab2-access" ? jsonResponse({ ok: true }) : jsonResponse({ detail: "expired" }, 401);
    });
    const { api, store } = client(fetch);
    const original = fetch.getMockImplementation()!;
    fetch.mockImplementationOnce(async (input, init) => {
      store.set({ access: "tab2-access", refresh: "tab2-refresh" }); // the other tab, while our request was out
      return original(input, init);
    });

    await expect(api.request("GET", "/users/me")).resolves.toEqual({ ok: true });
  });

  it("does not refresh for anonymous calls", async () => {
    const fetch = vi.fn(async () => jsonResponse({ detail: "No.", code: "not_authenticated" }, 401));
    const store = memoryTokenStore(null);
    const api = new ApiClient({ tokens: store, fetch, withLock: noLock });

    await expect(api.me()).rejects.toMatchObject({ status: 401 });
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("surfaces the server's {detail, code}, field errors and Retry-After", async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(jsonResponse({ detail: "A room with that name exists.", code: "conflict" }, 409))
      .mockResolvedValueOnce(jsonResponse({ name: ["This field is required."] }, 400))
      .mockResolvedValueOnce(jsonResponse({ detail: "Slow down.", code: "throttled" }, 429, { "Retry-After": "12" }));
    const { api } = client(fetch);

    await expect(api.createRoom({ name: "Jazz" })).rejects.toMatchObject({ status: 409, code: "conflict", detail: "A room with that name exists." });
    await expect(api.createRoom({ name: "" })).rejects.toMatchObject({ status: 400, fields: { name: ["This field is required."] } });
    await expect(api.rooms({})).rejects.toMatchObject({ status: 429, retryAfter: 12 });
  });

  it("reports a network failure as status 0", async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError("Failed to fetch");
    });
    const { api } = client(fetch);

    await expect(api.me()).rejects.toMatchObject({ status: 0, code: "network_error" });
  });

  it("fills and encodes path templates from the schema", () => {
    expect(fillPath("/rooms/{room_id}/queue/{association_id}", { room_id: "r 1", association_id: "a/b" })).toBe(
      "/rooms/r%201/queue/a%2Fb",
    );
    expect(() => fillPath("/rooms/{room_id}", {})).toThrow(/room_id/);
  });
});
