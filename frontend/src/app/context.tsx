import { QueryClient, QueryClientProvider, useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

import { ApiClient, isApiError } from "../api/client";
import type { User } from "../api/types";
import { localStorageTokenStore, tokenUserId, type TokenPair, type TokenStore } from "../auth/tokens";
import { keys } from "./queryKeys";

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // The API rate-limits reads (10–20 a minute per endpoint): don't refetch eagerly;
        // sockets push what changes in a room.
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        retry: (failures, error) => failures < 2 && (!isApiError(error) || error.status === 0 || error.status >= 500),
      },
      mutations: { retry: false },
    },
  });
}

interface AuthState {
  tokens: TokenPair | null;
  userId: string | null;
  signIn(pair: TokenPair): void;
  signOut(): Promise<void>;
}

const ApiContext = createContext<ApiClient | null>(null);
const AuthContext = createContext<AuthState | null>(null);

export function useApi(): ApiClient {
  const api = useContext(ApiContext);
  if (!api) throw new Error("useApi outside <AppProviders>");
  return api;
}

export function useAuth(): AuthState {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside <AppProviders>");
  return auth;
}

/** The signed-in user's profile (null while signed out). */
export function useMe() {
  const api = useApi();
  const { userId } = useAuth();
  return useQuery<User>({ queryKey: keys.me, queryFn: () => api.me(), enabled: userId !== null, staleTime: 5 * 60_000 });
}

function AuthProvider({ store, children }: { store: TokenStore; children: ReactNode }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [tokens, setTokens] = useState<TokenPair | null>(() => store.get());

  useEffect(() => store.subscribe(setTokens), [store]);

  const signIn = useCallback(
    (pair: TokenPair) => {
      queryClient.clear();
      store.set(pair);
    },
    [store, queryClient],
  );

  const signOut = useCallback(async () => {
    const current = store.get();
    store.set(null);
    queryClient.clear();
    if (current) {
      try {
        await api.logout(current.refresh);
      } catch {
        // The refresh token is gone from this browser either way.
      }
    }
  }, [api, store, queryClient]);

  const value = useMemo<AuthState>(
    () => ({ tokens, userId: tokenUserId(tokens?.access), signIn, signOut }),
    [tokens, signIn, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export interface AppProvidersProps {
  children: ReactNode;
  store?: TokenStore;
  api?: ApiClient;
  queryClient?: QueryClient;
}

/** Everything the screens need: the query cache, the API client and the session. */
export function AppProviders({ children, store, api, queryClient }: AppProvidersProps) {
  const [tokenStore] = useState<TokenStore>(() => store ?? localStorageTokenStore());
  const [client] = useState<ApiClient>(() => api ?? new ApiClient({ tokens: tokenStore }));
  const [queries] = useState<QueryClient>(() => queryClient ?? makeQueryClient());
  return (
    <QueryClientProvider client={queries}>
      <ApiContext.Provider value={client}>
        <AuthProvider store={tokenStore}>{children}</AuthProvider>
      </ApiContext.Provider>
    </QueryClientProvider>
  );
}
