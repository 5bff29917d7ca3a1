/** What a `#error=<code>` (or `?error=`) from the OAuth flow means, in words (accounts/oauth.py ERROR_CODES). */
const MESSAGES: Record<string, string> = {
  provider_not_configured: "That sign-in provider is not set up on this server.",
  link_invalid: "That link request expired or was already used. Please start again.",
  link_cancelled: "Linking was cancelled.",
  state_missing: "The sign-in took too long or was started in another browser. Please try again.",
  state_mismatch: "The sign-in was started in another tab or browser. Please try again.",
  access_denied: "You cancelled the sign-in, or the provider refused it.",
  provider_error: "The sign-in provider reported a problem. Please try again.",
  provider_unreachable: "The sign-in provider could not be reached. Please try again in a moment.",
  email_missing: "The provider did not share an e-mail address, which TuneWave needs.",
  email_invalid: "The provider's e-mail address is not valid.",
  email_unverified: "That e-mail address is not verified with the provider, so it cannot sign in to an existing account.",
  email_in_use: "That e-mail address already belongs to another account. Sign in with it first, then link this provider.",
  identity_in_use: "That provider account is already linked to another TuneWave account.",
  account_disabled: "This account is disabled.",
  auth_failed: "Sign-in did not complete. Please try again.",
  server_error: "Something went wrong on our side. Please try again.",
  missing_tokens: "Sign-in did not complete. Please try again.",
};

export function signInErrorMessage(code: string): string {
  return MESSAGES[code] ?? "Sign-in did not complete. Please try again.";
}
