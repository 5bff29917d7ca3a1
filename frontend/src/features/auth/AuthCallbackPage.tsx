import { useEffect, useState } from "react";
import { Link, useNavigate } from "react-router";

import { useAuth } from "../../app/context";
import { ErrorNote, Spinner } from "../../components/ui";
import { nextFromCallback } from "./next";
import { signInErrorMessage } from "./signinErrors";

/**
 * Reads `#access=…&refresh=…` (or `#error=code`) from the OAuth redirect, or `#linked=provider`
 * after the person confirmed linking a provider to the account they are signed in to.
 */
export function parseCallbackFragment(
  hash: string,
):
  | { access: string; refresh: string; next: string | null }
  | { linked: string; next: string | null }
  | { error: string; next: string | null } {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const next = params.get("next");
  const error = params.get("error");
  if (error) return { error, next };
  const linked = params.get("linked");
  if (linked) return { linked, next };
  const access = params.get("access");
  const refresh = params.get("refresh");
  if (access && refresh) return { access, refresh, next };
  return { error: "missing_tokens", next };
}

export function AuthCallbackPage() {
  const { signIn } = useAuth();
  const navigate = useNavigate();
  // Read once, before the effect below wipes the fragment (StrictMode runs effects twice).
  const [result] = useState(() => parseCallbackFragment(window.location.hash));
  const error = "error" in result ? result.error : null;

  useEffect(() => {
    // The tokens must not stay in the address bar, the history or a bookmark.
    if (window.location.hash) {
      window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search);
    }
    if ("error" in result) return;
    // A link keeps the session this tab already has: no tokens come back.
    if ("access" in result) signIn({ access: result.access, refresh: result.refresh });
    navigate(nextFromCallback(result.next), { replace: true });
  }, [result, signIn, navigate]);

  if (!error) return <Spinner label="Signing you in…" />;
  return (
    <div className="mx-auto max-w-md space-y-4 py-10">
      <ErrorNote>{signInErrorMessage(error)}</ErrorNote>
      <Link className="inline-flex min-h-6 items-center text-violet-300 underline underline-offset-2" to="/signin">
        Back to sign-in
      </Link>
    </div>
  );
}
