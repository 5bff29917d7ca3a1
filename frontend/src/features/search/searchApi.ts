/** Calls for the search feature, through the shared API client. */
import type { ApiClient } from "../../api/client";
import type { SearchResults, SearchType } from "./types";

export interface SearchQuery {
  q: string;
  type?: readonly SearchType[];
  limit?: number;
}

export function search(api: ApiClient, { q, type, limit }: SearchQuery): Promise<SearchResults> {
  return api.search({ q, type: type?.join(","), limit });
}

export const friendsListeningNow = (api: ApiClient) => api.friendsListeningNow();
