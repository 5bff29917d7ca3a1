import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent } from "react";

import type { User } from "../../api/types";
import { useApi, useMe } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Avatar, Button, Card, ErrorNote, Field, Input, PageTitle, parseList, Spinner, Textarea } from "../../components/ui";
import { RoomCard } from "../rooms/RoomCard";
import { HISTORY_PAGE, HistoryList } from "./HistoryList";

export function ProfilePage() {
  const me = useMe();
  if (me.isPending) return <Spinner />;
  if (me.isError) return <ErrorNote error={me.error} />;
  return <Profile user={me.data} />;
}

function Profile({ user }: { user: User }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [form, setForm] = useState(() => toForm(user));
  useEffect(() => setForm(toForm(user)), [user]);
  const fileRef = useRef<HTMLInputElement>(null);

  const save = useMutation({
    mutationFn: () =>
      api.updateUser(user.id, {
        username: form.username.trim(),
        display_name: form.display_name.trim(),
        bio: form.bio,
        favorite_genres: parseList(form.favorite_genres),
        history_public: form.history_public,
        email_notifications: form.email_notifications,
      }),
    onSuccess: (updated) => queryClient.setQueryData(keys.me, updated),
  });
  const avatar = useMutation({
    mutationFn: (file: File) => api.uploadAvatar(file),
    onSuccess: (updated) => queryClient.setQueryData(keys.me, updated),
  });
  const myRooms = useQuery({ queryKey: keys.myRooms, queryFn: () => api.myRooms({ limit: 50 }) });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };

  return (
    <div className="space-y-6">
      <PageTitle>Your profile</PageTitle>
      <div className="grid gap-6 lg:grid-cols-[20rem_minmax(0,1fr)]">
        <Card className="space-y-4">
          <div className="flex items-center gap-4">
            <Avatar user={user} size={24} />
            <div className="min-w-0">
              <p className="truncate text-lg font-semibold text-white">{user.display_name || user.username}</p>
              <p className="truncate text-sm text-zinc-400">@{user.username}</p>
              <p className="truncate text-xs text-zinc-500">{user.email}</p>
            </div>
          </div>
          <div>
            <input
              ref={fileRef}
              type="file"
              accept="image/png,image/jpeg,image/webp,image/gif"
              className="sr-only"
              id="avatar-file"
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) avatar.mutate(file);
                e.target.value = "";
              }}
            />
            <Button onClick={() => fileRef.current?.click()} disabled={avatar.isPending}>
              {avatar.isPending ? "Uploading…" : "Change avatar"}
            </Button>
            <p className="mt-1 text-xs text-zinc-500">PNG, JPEG, WebP or GIF, up to 5 MB.</p>
            <ErrorNote error={avatar.error} />
          </div>
          <p className="break-all text-xs text-zinc-500">
            Your user id (for friend requests and invites): <code className="text-zinc-300">{user.id}</code>
          </p>
        </Card>

        <Card>
          <form onSubmit={submit} className="space-y-4">
            <div className="grid gap-4 sm:grid-cols-2">
              <Field label="Username">
                <Input required value={form.username} onChange={(e) => setForm({ ...form, username: e.target.value })} />
              </Field>
              <Field label="Display name">
                <Input value={form.display_name} onChange={(e) => setForm({ ...form, display_name: e.target.value })} />
              </Field>
            </div>
            <Field label="Bio">
              <Textarea rows={3} value={form.bio} onChange={(e) => setForm({ ...form, bio: e.target.value })} />
            </Field>
            <Field label="Favorite genres" hint="Comma-separated; they shape your recommendations.">
              <Input value={form.favorite_genres} onChange={(e) => setForm({ ...form, favorite_genres: e.target.value })} />
            </Field>
            <label className="flex items-center gap-2 text-sm text-zinc-300">
              <input type="checkbox" className="h-4 w-4 accent-violet-500" checked={form.history_public} onChange={(e) => setForm({ ...form, history_public: e.target.checked })} />
              Others may see my listening history
            </label>
            <label className="flex items-center gap-2 text-sm text-zinc-300">
              <input
                type="checkbox"
                className="h-4 w-4 accent-violet-500"
                checked={form.email_notifications}
                onChange={(e) => setForm({ ...form, email_notifications: e.target.checked })}
              />
              E-mail me about friend requests and invites
            </label>
            <ErrorNote error={save.error} />
            {save.isSuccess ? <p className="text-sm text-emerald-300">Saved.</p> : null}
            <Button type="submit" variant="primary" disabled={save.isPending}>
              Save profile
            </Button>
          </form>
        </Card>
      </div>

      <Card>
        <h2 className="mb-3 text-lg font-semibold text-white">Your rooms</h2>
        {myRooms.data && myRooms.data.length === 0 ? <p className="text-sm text-zinc-500">You haven't joined any room yet.</p> : null}
        <ErrorNote error={myRooms.error} />
        <ul className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
          {myRooms.data?.map((room) => (
            <RoomCard key={room.id} room={room} />
          ))}
        </ul>
      </Card>

      <Card>
        <h2 className="mb-3 text-lg font-semibold text-white">Listening history</h2>
        <HistoryList queryKey={keys.history("me")} load={(before) => api.myHistory({ limit: HISTORY_PAGE, before_timestamp: before })} />
      </Card>
    </div>
  );
}

function toForm(user: User) {
  return {
    username: user.username,
    display_name: user.display_name,
    bio: user.bio,
    favorite_genres: (Array.isArray(user.favorite_genres) ? (user.favorite_genres as string[]) : []).join(", "),
    history_public: user.history_public,
    email_notifications: user.email_notifications,
  };
}
