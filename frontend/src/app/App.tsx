import { createBrowserRouter, RouterProvider, type RouteObject } from "react-router";

import { AuthCallbackPage } from "../features/auth/AuthCallbackPage";
import { RequireAuth } from "../features/auth/RequireAuth";
import { SignInPage } from "../features/auth/SignInPage";
import { DiscoverPage } from "../features/discover/DiscoverPage";
import { FriendsPage } from "../features/friends/FriendsPage";
import { HomePage } from "../features/landing/LandingPage";
import { NotificationsPage } from "../features/notifications/NotificationsPage";
import { FavoritesPage } from "../features/profile/FavoritesPage";
import { ProfilePage } from "../features/profile/ProfilePage";
import { UserPage } from "../features/profile/UserPage";
import { RoomPage } from "../features/room/RoomPage";
import { CreateRoomPage } from "../features/rooms/CreateRoomPage";
import { SearchPage } from "../features/search/SearchPage";
import { UploadsPage } from "../features/uploads/UploadsPage";
import { RoomsPage } from "../features/rooms/RoomsPage";
import { EmptyState } from "../components/ui";
import { AppProviders } from "./context";
import { Layout } from "./Layout";

/** Django serves the shell at /app/… (tunewave/views_spa.py); every route lives below it. */
export const BASENAME = "/app";

const guard = (element: React.ReactNode) => <RequireAuth>{element}</RequireAuth>;

export const routes: RouteObject[] = [
  {
    element: <Layout />,
    children: [
      { index: true, element: <HomePage /> },
      { path: "signin", element: <SignInPage /> },
      { path: "auth/callback", element: <AuthCallbackPage /> },
      { path: "rooms", element: <RoomsPage /> },
      { path: "rooms/new", element: guard(<CreateRoomPage />) },
      { path: "rooms/:roomId", element: guard(<RoomPage />) },
      { path: "discover", element: guard(<DiscoverPage />) },
      { path: "search", element: guard(<SearchPage />) },
      { path: "friends", element: guard(<FriendsPage />) },
      { path: "favorites", element: guard(<FavoritesPage />) },
      { path: "uploads", element: guard(<UploadsPage />) },
      { path: "profile", element: guard(<ProfilePage />) },
      { path: "users/:userId", element: guard(<UserPage />) },
      { path: "notifications", element: guard(<NotificationsPage />) },
      { path: "*", element: <EmptyState title="Page not found." /> },
    ],
  },
];

const router = createBrowserRouter(routes, { basename: BASENAME });

export function App() {
  return (
    <AppProviders>
      <RouterProvider router={router} />
    </AppProviders>
  );
}
