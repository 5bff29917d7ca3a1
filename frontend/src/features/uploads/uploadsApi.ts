/**
 * The upload endpoints, through the app's one API client (`api.http`: bearer token, refresh,
 * errors as ApiError). POST /track/upload goes over XMLHttpRequest (xhrFetch) to report
 * progress.
 */
import { unwrap, type ApiClient } from "../../api/client";
import type { UploadEdit, UploadInput } from "./types";
import { xhrFetch, type UploadProgress } from "./xhrFetch";

/** TanStack Query keys: every upload list is under `uploadsKey`, so one invalidation reaches them all. */
export const uploadsKey = ["uploads"] as const;
export const uploadListKey = (limit: number) => ["uploads", "list", limit] as const;

/** The form's fields as multipart: `artists` repeated, one value per name (the API's list form). */
export function uploadForm({ file, name, artists, album }: UploadInput): FormData {
  const form = new FormData();
  form.append("file", file);
  if (name) form.append("name", name);
  for (const artist of artists ?? []) form.append("artists", artist);
  if (album) form.append("album", album);
  return form;
}

export function listUploads(api: ApiClient, { limit = 50, offset = 0 }: { limit?: number; offset?: number } = {}) {
  return unwrap(api.http.GET("/track/uploads", { params: { query: { limit, offset } } }));
}

/**
 * POST /track/upload; `onProgress` hears the bytes sent (where XMLHttpRequest exists), and
 * `signal` cancels. Resolves with the new track (201).
 */
export function uploadTrack(
  api: ApiClient,
  input: UploadInput,
  { onProgress, signal }: { onProgress?: (progress: UploadProgress) => void; signal?: AbortSignal } = {},
) {
  const form = uploadForm(input);
  const fetch = typeof XMLHttpRequest === "undefined" ? undefined : xhrFetch(form, onProgress);
  return unwrap(
    api.http.POST("/track/upload", {
      // openapi-typescript types a binary field as a string; the body travels as `form`.
      body: { ...input, file: input.file as unknown as string },
      bodySerializer: () => form,
      fetch,
      signal,
    }),
  );
}

export function updateUpload(api: ApiClient, id: string, edit: UploadEdit) {
  return unwrap(api.http.PATCH("/track/uploads/{track_id}", { params: { path: { track_id: id } }, body: edit }));
}

export function deleteUpload(api: ApiClient, id: string) {
  return unwrap(api.http.DELETE("/track/uploads/{track_id}", { params: { path: { track_id: id } } }));
}
