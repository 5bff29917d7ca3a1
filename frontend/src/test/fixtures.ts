import type { Room, User } from "../api/types";

/** A signed-in user as GET /users/me answers. */
export function userFixture(extra: Partial<User> = {}): User {
  return {
    id: "u1",
    username: "ann",
    display_name: "Ann",
    avatar_url: null,
    bio: "",
    favorite_genres: [],
    history_public: true,
    email_notifications: true,
    created_at: "2026-01-01T00:00:00Z",
    email: "ann@example.com",
    ...extra,
  } as User;
}

export function roomFixture(n: number, extra: Partial<Room> = {}): Room {
  return {
    id: `room-${n}`,
    name: `Room ${n}`,
    description: `About room ${n}`,
    is_private: false,
    genres: ["jazz"],
    owner: { id: "o", username: "olga", display_name: "Olga", avatar_url: null },
    member_count: 3,
    online_count: 0,
    now_playing: null,
    queue_policy: "moderators",
    playback_policy: "moderators",
    my_role: null,
    created_at: "2026-01-01T00:00:00Z",
    ...extra,
  } as Room;
}

export const CONFIG_FIXTURE = {
  providers: [],
  login_urls: {},
  dev_login: true,
  ws_url: "/ws/",
  frontend_url: "http://test.local/app/",
  avatar: { max_bytes: 5 * 1024 * 1024, content_types: ["image/jpeg", "image/png", "image/webp"] },
};
