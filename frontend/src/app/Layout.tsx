import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { Link, NavLink, Outlet, useLocation, useNavigate } from "react-router";

import { useAuth, useMe } from "./context";
import { Avatar, PRIMARY_LINK } from "../components/ui";
import { NotificationBell, NotificationToast } from "../features/notifications/NotificationBell";
import { NotificationsProvider } from "../features/notifications/useNotifications";
import { ListeningProvider } from "../features/player/ListeningProvider";
import { MiniPlayer } from "../features/player/MiniPlayer";
import { HeaderSearch } from "../features/search/HeaderSearch";

const NAV = [
  { to: "/rooms", label: "Rooms" },
  { to: "/discover", label: "Discover" },
  { to: "/friends", label: "Friends" },
  { to: "/favorites", label: "Favorites" },
  { to: "/uploads", label: "Uploads" },
];

const FOCUS = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-violet-400";

export function Layout() {
  const { tokens } = useAuth();
  const location = useLocation();

  const navLink = ({ isActive }: { isActive: boolean }) =>
    `inline-flex min-h-9 shrink-0 items-center rounded-lg px-3 py-1.5 text-sm font-medium ${FOCUS} ${isActive ? "bg-zinc-800 text-white" : "text-zinc-300 hover:text-white"}`;
  // The landing page (/) and the sign-in page carry their own Sign in link.
  const showSignIn = location.pathname !== "/signin" && location.pathname !== "/";

  return (
    <NotificationsProvider>
      {/* The room session (socket, audio) outlives the page: music goes on between pages. */}
      <ListeningProvider>
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-violet-600 focus:px-3 focus:py-1 focus:text-white"
      >
        Skip to content
      </a>
      <header className="sticky top-0 z-40 border-b border-zinc-800/80 bg-zinc-950/85 backdrop-blur">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
          <Link to={tokens ? "/rooms" : "/"} className={`flex min-h-9 items-center gap-2 rounded-lg text-lg font-bold tracking-tight text-white ${FOCUS}`}>
            <span aria-hidden className="inline-flex h-7 w-7 items-center justify-center rounded-lg bg-gradient-to-br from-violet-600 to-fuchsia-700 text-sm">
              ≈
            </span>
            TuneWave
          </Link>
          {tokens ? (
            <nav aria-label="Main" className="order-3 flex w-full min-w-0 gap-1 overflow-x-auto sm:order-none sm:w-auto">
              {NAV.map((item) => (
                <NavLink key={item.to} to={item.to} className={navLink}>
                  {item.label}
                </NavLink>
              ))}
            </nav>
          ) : null}
          <div className="ml-auto flex items-center gap-2">
            {tokens ? (
              <>
                <HeaderSearch />
                <NotificationBell />
                <AccountMenu />
              </>
            ) : showSignIn ? (
              <Link to={`/signin?next=${encodeURIComponent(location.pathname + location.search)}`} className={PRIMARY_LINK}>
                Sign in
              </Link>
            ) : null}
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto min-w-0 max-w-7xl px-4 py-6">
        <Outlet />
      </main>
      {/* Mini-player slot: the room playing, on every page but that room's own. */}
      {tokens ? <MiniPlayer /> : null}
      {tokens ? <NotificationToast /> : null}
      </ListeningProvider>
    </NotificationsProvider>
  );
}

/**
 * The account menu (WAI-ARIA menu button): opening focuses the first item; ArrowDown/ArrowUp,
 * Home/End move between items; Escape closes and returns focus to the button; Tab or a click
 * outside closes it.
 */
function AccountMenu() {
  const { signOut } = useAuth();
  const me = useMe();
  const navigate = useNavigate();
  const [open, setOpen] = useState<false | "first" | "last">(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);

  const items = () => Array.from(menuRef.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? []);

  useEffect(() => {
    if (!open) return;
    const list = items();
    (open === "last" ? list[list.length - 1] : list[0])?.focus();
    const onPointerDown = (event: MouseEvent) => {
      const target = event.target as Node;
      if (!menuRef.current?.contains(target) && !buttonRef.current?.contains(target)) setOpen(false);
    };
    document.addEventListener("mousedown", onPointerDown);
    return () => document.removeEventListener("mousedown", onPointerDown);
  }, [open]);

  const close = (returnFocus: boolean) => {
    setOpen(false);
    if (returnFocus) buttonRef.current?.focus();
  };

  const onMenuKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const list = items();
    const index = list.indexOf(document.activeElement as HTMLElement);
    const focus = (i: number) => list[(i + list.length) % list.length]?.focus();
    switch (event.key) {
      case "Escape":
        event.preventDefault();
        close(true);
        break;
      case "ArrowDown":
        event.preventDefault();
        focus(index + 1);
        break;
      case "ArrowUp":
        event.preventDefault();
        focus(index - 1);
        break;
      case "Home":
        event.preventDefault();
        focus(0);
        break;
      case "End":
        event.preventDefault();
        focus(list.length - 1);
        break;
      case "Tab":
        close(false);
        break;
    }
  };

  const onButtonKeyDown = (event: KeyboardEvent<HTMLButtonElement>) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      setOpen("first");
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      setOpen("last");
    }
  };

  const item = `block w-full rounded-lg px-3 py-2 text-left text-sm text-zinc-200 hover:bg-zinc-800 focus:bg-zinc-800 focus:outline-none focus-visible:outline-2 focus-visible:outline-violet-400`;

  return (
    <div className="relative flex items-center gap-2">
      {/* Beside the button, not in it: the button's name is "Account menu", and a visible name inside would not match it. */}
      <span className="hidden max-w-[10rem] truncate text-sm text-zinc-200 sm:inline">{me.data?.display_name || me.data?.username}</span>
      <button
        ref={buttonRef}
        type="button"
        id="account-menu-button"
        className={`flex min-h-9 items-center rounded-full p-0.5 hover:bg-zinc-800 ${FOCUS}`}
        aria-label="Account menu"
        aria-haspopup="menu"
        aria-expanded={open !== false}
        aria-controls={open ? "account-menu" : undefined}
        onClick={() => setOpen((now) => (now ? false : "first"))}
        onKeyDown={onButtonKeyDown}
      >
        {me.data ? <Avatar user={me.data} size={8} /> : <span className="h-8 w-8 rounded-full bg-zinc-800" />}
      </button>
      {open ? (
        <div
          ref={menuRef}
          id="account-menu"
          role="menu"
          aria-labelledby="account-menu-button"
          className="absolute right-0 top-full z-50 mt-2 w-44 rounded-xl bg-zinc-900 p-1 shadow-xl ring-1 ring-zinc-700"
          onKeyDown={onMenuKeyDown}
        >
          <Link role="menuitem" tabIndex={-1} to="/profile" className={item} onClick={() => close(false)}>
            Profile & history
          </Link>
          {/* Also in the main nav; here too because on a phone the nav's last links scroll out of sight. */}
          <Link role="menuitem" tabIndex={-1} to="/uploads" className={item} onClick={() => close(false)}>
            My uploads
          </Link>
          <Link role="menuitem" tabIndex={-1} to="/notifications" className={item} onClick={() => close(false)}>
            Notifications
          </Link>
          <button
            role="menuitem"
            tabIndex={-1}
            type="button"
            className={item}
            onClick={() => {
              close(false);
              void signOut().then(() => navigate("/signin"));
            }}
          >
            Sign out
          </button>
        </div>
      ) : null}
    </div>
  );
}
