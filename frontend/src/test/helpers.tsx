import { QueryClient } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter } from "react-router";

import { ApiClient } from "../api/client";
import { AppProviders } from "../app/context";
import { memoryTokenStore, type TokenPair } from "../auth/tokens";

export { fakeJwt, jsonResponse, mockFetch, type FetchRoute } from "./http";

export function renderWithApp(
  ui: ReactElement,
  { fetch, tokens = null, route = "/" }: { fetch: typeof globalThis.fetch; tokens?: TokenPair | null; route?: string },
) {
  const store = memoryTokenStore(tokens);
  const api = new ApiClient({ tokens: store, fetch, withLock: (_name, run) => run() });
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return {
    store,
    api,
    ...render(
      <AppProviders store={store} api={api} queryClient={queryClient}>
        <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>
      </AppProviders>,
    ),
  };
}
