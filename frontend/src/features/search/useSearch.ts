import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { useApi } from "../../app/context";
import { search } from "./searchApi";
import type { SearchResults, SearchType } from "./types";

/** Search needs this many characters (one letter matches too much to be useful). */
export const MIN_QUERY = 2;
/** Typing waits this long for a pause before asking. */
export const DEBOUNCE_MS = 250;

/** `value`, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms = DEBOUNCE_MS): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

export const searchKey = (q: string, types: readonly SearchType[], limit: number) => ["search", q, types.join(","), limit] as const;

/**
 * GET /search for what is being typed, debounced. `results` is empty (not stale) for a query
 * shorter than MIN_QUERY; `searching` is true while the answer for the text as typed is not in.
 */
export function useSearch(text: string, types: readonly SearchType[], limit: number, { debounce = DEBOUNCE_MS } = {}) {
  const api = useApi();
  const typed = text.trim();
  const term = useDebounced(typed, debounce);
  const enabled = term.length >= MIN_QUERY;
  const query = useQuery({
    queryKey: searchKey(term, types, limit),
    queryFn: () => search(api, { q: term, type: [...types], limit }),
    enabled,
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });
  const active = typed.length >= MIN_QUERY;
  const results: Partial<SearchResults> = active && query.data ? query.data : {};
  return {
    /** the text the results are for */
    term,
    results,
    /** the answer for the text as typed is still coming */
    searching: active && (term !== typed || query.isFetching),
    /** the text is long enough, and the answer for it is in */
    settled: active && term === typed && query.isSuccess && !query.isFetching && !query.isPlaceholderData,
    error: active && term === typed ? query.error : null,
  };
}
