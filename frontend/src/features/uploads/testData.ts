/** Test helpers for the uploads feature: fixtures, a GET /track/uploads route, and a fake XMLHttpRequest. */
import { vi } from "vitest";

import { jsonResponse, type FetchRoute } from "../../test/http";
import { trackFixture } from "../search/testData";
import type { Upload, UploadList } from "./types";

export const MB = 1024 * 1024;
export const RULES = { max_bytes: 50 * MB, quota_bytes: 500 * MB, content_types: ["audio/mpeg", "audio/mp4", "audio/ogg", "audio/flac", "audio/wav"] };

export function uploadFixture(n: number, extra: Partial<Upload> = {}): Upload {
  const id = `upload:${n.toString(16).padStart(32, "0")}`;
  return {
    id,
    track: { ...trackFixture(n, { spotify_id: id, name: `Song ${n}`, artists: [`Singer ${n}`], album: `Record ${n}`, duration_ms: 200_000 }), origin: "upload", sources: ["audio"] },
    size_bytes: 3 * MB,
    format: "mp3",
    content_type: "audio/mpeg",
    created_at: "2026-01-02T10:00:00Z",
    ...extra,
  };
}

export function uploadList(results: Upload[], extra: Partial<UploadList> = {}): UploadList {
  return {
    used_bytes: results.reduce((sum, upload) => sum + upload.size_bytes, 0),
    quota_bytes: RULES.quota_bytes,
    max_bytes: RULES.max_bytes,
    count: results.length,
    results,
    ...extra,
  };
}

/** Answers GET /track/uploads from `current()` (read on each call), recording each URL. */
export function uploadsRoute(current: () => UploadList, calls: URL[] = []): FetchRoute {
  return (url, init) => {
    if (url.pathname !== "/track/uploads" || (init.method ?? "GET") !== "GET") return undefined;
    calls.push(url);
    return jsonResponse(current());
  };
}

export interface SentRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: FormData | null;
  /** reports `loaded` of `total` bytes sent (upload.onprogress) */
  progress(loaded: number, total: number): void;
  /** answers with what `fetch` answers for the same request */
  respond(): Promise<void>;
  /** the network fails */
  fail(): void;
  aborted: boolean;
}

/**
 * Replaces XMLHttpRequest with a fake that answers from `fetch` (the test's mockFetch), so
 * uploads see the same routes as every other call. With `manual`, each request waits for the
 * test to call `respond()` (after `progress(…)` as it likes); otherwise it answers at once.
 */
export function installFakeXhr(fetch: (input: Request) => Promise<Response>, { manual = false } = {}) {
  const sent: SentRequest[] = [];

  class FakeXhr {
    readonly upload: { onprogress: ((event: ProgressEvent) => void) | null } = { onprogress: null };
    onload: (() => void) | null = null;
    onerror: (() => void) | null = null;
    ontimeout: (() => void) | null = null;
    onabort: (() => void) | null = null;
    status = 0;
    statusText = "";
    responseText = "";
    private method = "GET";
    private url = "";
    private headers: Record<string, string> = {};
    private responseHeaders = "";
    private request: SentRequest | null = null;

    open(method: string, url: string) {
      this.method = method;
      this.url = url;
    }

    setRequestHeader(name: string, value: string) {
      this.headers[name.toLowerCase()] = value;
    }

    getAllResponseHeaders() {
      return this.responseHeaders;
    }

    abort() {
      if (!this.request || this.request.aborted) return;
      this.request.aborted = true;
      this.onabort?.();
    }

    send(body: FormData | null) {
      const xhr = this;
      const request: SentRequest = {
        method: this.method,
        url: this.url,
        headers: this.headers,
        body,
        aborted: false,
        progress(loaded, total) {
          xhr.upload.onprogress?.({ lengthComputable: true, loaded, total } as ProgressEvent);
        },
        async respond() {
          if (request.aborted) return;
          const response = await fetch(new Request(xhr.url, { method: xhr.method, headers: xhr.headers, body: body ?? undefined }));
          if (request.aborted) return;
          xhr.status = response.status;
          xhr.statusText = response.statusText;
          xhr.responseText = await response.text();
          xhr.responseHeaders = [...response.headers].map(([name, value]) => `${name}: ${value}`).join("\r\n");
          xhr.onload?.();
        },
        fail() {
          xhr.onerror?.();
        },
      };
      this.request = request;
      sent.push(request);
      if (!manual) void request.respond();
    }
  }

  vi.stubGlobal("XMLHttpRequest", FakeXhr);
  return {
    sent,
    last(): SentRequest {
      const request = sent[sent.length - 1];
      if (!request) throw new Error("no XMLHttpRequest was sent");
      return request;
    },
  };
}
