import { useState } from "react";
import { Link, NavLink, Outlet, useLocation, useNavigate } from "react-router";

import { useAuth, useMe } from "./context";
import { Avatar } from "../components/ui";
import { NotificationBell, NotificationToast } from "../features/notifications/NotificationBell";
import { NotificationsProvider } from "../features/notifications/useNotifications";

const NAV = [
  { to: "/rooms", label: "Rooms" },
  { to: "/discover", label: "Discover" },
  { to: "/friends", label: "Friends" },
  { to: "/favorites", label: "Favorites" },
];

export function Layout() {
  const { tokens, signOut } = useAuth();
  const me = useMe();
  const navigate = useNavigate();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);

  const navLink = ({ isActive }: { isActive: boolean }) =>
    `rounded-lg px-3 py-1.5 text-sm font-medium ${isActive ? "bg-zinc-800 text-white" : "text-zinc-400 hover:text-white"}`;

  return (
    <NotificationsProvider>
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-violet-500 focus:px-3 focus:py-1 focus:text-white">
        Skip to content
      </a>
      <header className="sticky top-0 z-40 border-b border-zinc-800/80 bg-zinc-950/85 backdrop-blur">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
          <Link to="/rooms" className="flex items-center gap-2 text-lg font-bold tracking-tight text-white">
            <span aria-hidden className="inline-flex h-7 w-7 items-center justify-center rounded-lg bg-gradient-to-br from-violet-500 to-fuchsia-600 text-sm">
              ≈
            </span>
            TuneWave
          </Link>
          {tokens ? (
            <nav aria-label="Main" className="order-3 flex w-full gap-1 overflow-x-auto sm:order-none sm:w-auto">
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
                <NotificationBell />
                <div className="relative">
                  <button
                    type="button"
                    className="flex items-center gap-2 rounded-full p-0.5 pr-2 hover:bg-zinc-800"
                    aria-haspopup="menu"
                    aria-expanded={menuOpen}
                    onClick={() => setMenuOpen((open) => !open)}
                  >
                    {me.data ? <Avatar user={me.data} size={8} /> : <span className="h-8 w-8 rounded-full bg-zinc-800" />}
                    <span className="hidden max-w-[10rem] truncate text-sm text-zinc-200 sm:inline">{me.data?.display_name || me.data?.username}</span>
                  </button>
                  {menuOpen ? (
                    <div role="menu" className="absolute right-0 mt-2 w-44 rounded-xl bg-zinc-900 p-1 shadow-xl ring-1 ring-zinc-700" onClick={() => setMenuOpen(false)}>
                      <Link role="menuitem" to="/profile" className="block rounded-lg px-3 py-2 text-sm text-zinc-200 hover:bg-zinc-800">
                        Profile & history
                      </Link>
                      <Link role="menuitem" to="/notifications" className="block rounded-lg px-3 py-2 text-sm text-zinc-200 hover:bg-zinc-800">
                        Notifications
                      </Link>
                      <button
                        role="menuitem"
                        type="button"
                        className="block w-full rounded-lg px-3 py-2 text-left text-sm text-zinc-200 hover:bg-zinc-800"
                        onClick={() => {
                          void signOut().then(() => navigate("/signin"));
                        }}
                      >
                        Sign out
                      </button>
                    </div>
                  ) : null}
                </div>
              </>
            ) : location.pathname === "/signin" ? null : (
              <Link to={`/signin?next=${encodeURIComponent(location.pathname + location.search)}`} className="rounded-lg bg-violet-500 px-3 py-1.5 text-sm font-medium text-white hover:bg-violet-400">
                Sign in
              </Link>
            )}
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-7xl px-4 py-6">
        <Outlet />
      </main>
      {tokens ? <NotificationToast /> : null}
    </NotificationsProvider>
  );
}
