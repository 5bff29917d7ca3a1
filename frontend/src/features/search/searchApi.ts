/**
 * Calls for the search feature. They go through the shared typed client (`api.http`), so the
 * bearer token, the refresh on a 401 and ApiError all apply.
 */
import type { Client } from "openapi-fetch";

import { unwrap, type ApiClient } from "../../api/client";
import type { FriendListening, SearchResults, SearchType } from "./types";

// Until the backend's schema (schema.d.ts) lists these paths, they are called untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const loose = (api: ApiClient) => api.http as unknown as Client<any>;

export interface SearchQuery {
  q: string;
  type?: SearchType[];
  limit?: number;
}

export function search(api: ApiClient, { q, type, limit }: SearchQuery): Promise<SearchResults> {
  return unwrap(
    loose(api).GET("/search", { params: { query: { q, type: type?.join(","), limit } } }),
  ) as Promise<SearchResults>;
}

export function friendsListeningNow(api: ApiClient): Promise<FriendListening[]> {
  return unwrap(loose(api).GET("/friendships/listening-now", {})) as Promise<FriendListening[]>;
}
