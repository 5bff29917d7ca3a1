import { vi } from "vitest";

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** A JWT-shaped token whose payload carries `user_id` (not signed: the client never checks). */
export function fakeJwt(userId: string, tag = "a"): string {
  const payload = btoa(JSON.stringify({ user_id: userId, tag })).replace(/=+$/, "");
  return `header.${payload}.sig-${tag}`;
}

export type FetchRoute = (url: URL, init: RequestInit) => Response | Promise<Response> | undefined;

/**
 * A fetch mock answering from a list of route functions (first non-undefined wins); 404 otherwise.
 * The API client passes a Request; routes still see its URL and a RequestInit (method, headers, body).
 */
export function mockFetch(...routes: FetchRoute[]) {
  return vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    if (input instanceof Request) {
      const body = input.body ? await input.clone().text() : undefined;
      init = { method: input.method, headers: Object.fromEntries(input.headers), body, ...init };
    }
    const url = new URL(input instanceof Request ? input.url : String(input), "http://test.local");
    for (const route of routes) {
      const response = await route(url, init);
      if (response) return response;
    }
    return jsonResponse({ detail: "Not found.", code: "not_found" }, 404);
  });
}
