import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";

import { limits } from "../../api/limits";

import { useApi, useAuth } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Button, Card, ErrorNote, Field, formErrors, Input, Spinner } from "../../components/ui";
import { loginUrlWithNext, safeNext } from "./next";
import { signInErrorMessage } from "./signinErrors";

const PROVIDER_NAMES: Record<string, string> = { google: "Google", spotify: "Spotify" };

export function SignInPage() {
  const api = useApi();
  const { tokens, signIn } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const error = params.get("error");
  const config = useQuery({ queryKey: keys.config, queryFn: () => api.config(), staleTime: Infinity });
  const [email, setEmail] = useState("");
  const [displayName, setDisplayName] = useState("");
  const login = useMutation({
    mutationFn: () => api.devLogin(email.trim(), displayName.trim() || undefined),
    onSuccess: (data) => {
      signIn({ access: data.access, refresh: data.refresh });
      // Replace /signin?next=… with the target: the address bar and Back skip the sign-in page.
      navigate(next, { replace: true });
    },
  });
  const errors = formErrors(login.error, { email: "E-mail", display_name: "Display name" });

  if (tokens) return <Navigate to={next} replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate();
  };

  return (
    <div className="mx-auto max-w-md py-10">
      <h1 className="mb-2 text-3xl font-semibold tracking-tight text-white">Sign in to TuneWave</h1>
      <p className="mb-6 text-zinc-400">Listen together in rooms, chat about the track, meet people with your taste.</p>
      {error ? <ErrorNote>{signInErrorMessage(error)}</ErrorNote> : null}
      <Card className="mt-4 space-y-5">
        {config.isPending ? <Spinner /> : null}
        {config.isError ? <ErrorNote error={config.error} /> : null}
        {config.data && config.data.providers.length > 0 ? (
          <div className="space-y-2">
            {config.data.providers.map((provider) => {
              const href = (config.data.login_urls as Record<string, string>)[provider];
              return href ? (
                <a
                  key={provider}
                  href={loginUrlWithNext(href, next)}
                  className="flex w-full items-center justify-center rounded-lg bg-zinc-100 px-4 py-2.5 text-sm font-semibold text-zinc-900 hover:bg-white"
                >
                  Continue with {PROVIDER_NAMES[provider] ?? provider}
                </a>
              ) : null;
            })}
          </div>
        ) : null}
        {config.data && config.data.providers.length === 0 && !config.data.dev_login ? (
          <p className="text-sm text-zinc-400">No sign-in method is configured on this server.</p>
        ) : null}
        {config.data?.dev_login ? (
          <form onSubmit={submit} className="space-y-4" aria-label="Developer sign-in">
            {config.data.providers.length > 0 ? <hr className="border-zinc-800" /> : null}
            <p className="text-sm text-zinc-400">
              Developer sign-in is on: any e-mail signs you in (demo users are <code className="[overflow-wrap:anywhere]">alice@demo.tunewave</code>, …).
            </p>
            <Field label="E-mail" error={errors.fields.email}>
              <Input type="email" required autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
            </Field>
            <Field label="Display name" hint="Optional, for a new account" error={errors.fields.display_name}>
              <Input
                autoComplete="nickname"
                maxLength={limits.DevLoginRequest.display_name.maxLength}
                value={displayName}
                onChange={(e) => setDisplayName(e.target.value)}
              />
            </Field>
            <ErrorNote>{errors.rest}</ErrorNote>
            <Button type="submit" variant="primary" className="w-full" disabled={login.isPending || !email.trim()}>
              {login.isPending ? "Signing in…" : "Sign in"}
            </Button>
          </form>
        ) : null}
      </Card>
    </div>
  );
}
