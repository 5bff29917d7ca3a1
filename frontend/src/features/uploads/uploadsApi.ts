/**
 * The upload endpoints, through the app's one API client (`api.http`: bearer token, refresh,
 * errors as ApiError). POST /track/upload goes over XMLHttpRequest (xhrFetch) to report
 * progress.
 */
import { unwrap, type ApiClient } from "../../api/client";
import type { Upload, UploadEdit, UploadInput, UploadList, TrackWithOrigin } from "./types";
import { xhrFetch, type UploadProgress } from "./xhrFetch";

/** TanStack Query keys: every upload list is under `uploadsKey`, so one invalidation reaches them all. */
export const uploadsKey = ["uploads"] as const;
export const uploadListKey = (limit: number) => ["uploads", "list", limit] as const;

type Answer<T> = Promise<
  { data: T; error?: never; response: Response } | { data?: never; error: unknown; response: Response }
>;

/**
 * The slice of openapi-fetch's client these calls use, typed by hand from the issue 15
 * contract until the endpoints are in the generated schema (api/schema.d.ts).
 */
interface UploadHttp {
  GET<T>(path: "/track/uploads", init: { params: { query: { limit?: number; offset?: number } } }): Answer<T>;
  POST<T>(
    path: "/track/upload",
    init: {
      body: FormData;
      bodySerializer: (body: FormData) => FormData;
      fetch?: (request: Request) => Promise<Response>;
      signal?: AbortSignal;
    },
  ): Answer<T>;
  PATCH<T>(path: "/track/uploads/{track_id}", init: { params: { path: { track_id: string } }; body: UploadEdit }): Answer<T>;
  DELETE<T>(path: "/track/uploads/{track_id}", init: { params: { path: { track_id: string } } }): Answer<T>;
}

const http = (api: ApiClient) => api.http as unknown as UploadHttp;

/** The form's fields as multipart: `artists` repeated, one value per name (the API's list form). */
export function uploadForm({ file, name, artists, album }: UploadInput): FormData {
  const form = new FormData();
  form.append("file", file);
  if (name) form.append("name", name);
  for (const artist of artists ?? []) form.append("artists", artist);
  if (album) form.append("album", album);
  return form;
}

export function listUploads(api: ApiClient, { limit = 50, offset = 0 }: { limit?: number; offset?: number } = {}): Promise<UploadList> {
  return unwrap(http(api).GET<UploadList>("/track/uploads", { params: { query: { limit, offset } } }));
}

/**
 * POST /track/upload; `onProgress` hears the bytes sent (where XMLHttpRequest exists), and
 * `signal` cancels. Resolves with the new track (201).
 */
export function uploadTrack(
  api: ApiClient,
  input: UploadInput,
  { onProgress, signal }: { onProgress?: (progress: UploadProgress) => void; signal?: AbortSignal } = {},
): Promise<TrackWithOrigin> {
  const body = uploadForm(input);
  const fetch = typeof XMLHttpRequest === "undefined" ? undefined : xhrFetch(body, onProgress);
  return unwrap(http(api).POST<TrackWithOrigin>("/track/upload", { body, bodySerializer: (form) => form, fetch, signal }));
}

export function updateUpload(api: ApiClient, id: string, edit: UploadEdit): Promise<Upload> {
  return unwrap(http(api).PATCH<Upload>("/track/uploads/{track_id}", { params: { path: { track_id: id } }, body: edit }));
}

export function deleteUpload(api: ApiClient, id: string): Promise<void> {
  return unwrap(http(api).DELETE<void>("/track/uploads/{track_id}", { params: { path: { track_id: id } } }));
}
