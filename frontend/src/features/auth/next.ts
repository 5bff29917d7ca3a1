/** Where to go after signing in: only paths inside the app (no open redirects). */
export function safeNext(value: string | null | undefined): string {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.includes("\\")) return "/rooms";
  return value;
}

/**
 * The OAuth login URL with `next`: the absolute app URL to come back to. The server only
 * accepts front-end origins and returns it in the callback fragment.
 */
export function loginUrlWithNext(loginUrl: string, next: string, origin = window.location.origin, basename = "/app"): string {
  const target = `${origin}${basename}${safeNext(next)}`;
  return `${loginUrl}${loginUrl.includes("?") ? "&" : "?"}next=${encodeURIComponent(target)}`;
}

/** The fragment's absolute `next` → a path inside the app, if it is on this origin. */
export function nextFromCallback(next: string | null, origin = window.location.origin, basename = "/app"): string {
  if (!next) return "/rooms";
  try {
    const url = new URL(next, origin);
    if (url.origin !== origin) return "/rooms";
    if (url.pathname !== basename && !url.pathname.startsWith(`${basename}/`)) return "/rooms";
    return safeNext(url.pathname.slice(basename.length) + url.search || "/rooms");
  } catch {
    return "/rooms";
  }
}
