import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";

import { useAuth } from "../../app/context";

export function RequireAuth({ children }: { children: ReactNode }) {
  const { tokens } = useAuth();
  const location = useLocation();
  if (!tokens) {
    const next = location.pathname + location.search;
    return <Navigate to={`/signin?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}
