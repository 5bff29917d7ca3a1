import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent } from "react";

import { errorMessage, labelsOf } from "../../api/client";
import { limits } from "../../api/limits";
import type { User } from "../../api/types";
import { useApi, useMe } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Avatar, Button, Card, ErrorNote, Field, formErrors, Input, PageTitle, parseList, Spinner, Textarea } from "../../components/ui";
import { countHint, focusFirstInvalid, listError, present, textError } from "../../components/validate";
import { RoomCard } from "../rooms/RoomCard";
import { HISTORY_PAGE, HistoryList } from "./HistoryList";

export function ProfilePage() {
  const me = useMe();
  if (me.isPending) return <Spinner />;
  if (me.isError) return <ErrorNote error={me.error} />;
  return <Profile user={me.data} />;
}

const RULES = limits.UserUpdateRequest;
const LABELS = labelsOf(["username", "display_name", "bio", "favorite_genres", "history_public", "email_notifications"]);

/** "image/webp" → "WebP" */
const TYPE_NAMES: Record<string, string> = { "image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "image/gif": "GIF" };
function typeName(type: string): string {
  return TYPE_NAMES[type] ?? type.replace(/^image\//, "").toUpperCase();
}
function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
}
function listWords(items: string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}` : (items[0] ?? "");
}

/** Everything that shows this person's name or avatar inside another object: refetched after a change. */
function refreshWhereIAmShown(queryClient: QueryClient, userId: string) {
  for (const queryKey of [keys.roomsAll, keys.myRooms, ["room"], keys.recommendedRooms, keys.user(userId), keys.friends]) {
    void queryClient.invalidateQueries({ queryKey });
  }
}

function Profile({ user }: { user: User }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [form, setForm] = useState(() => toForm(user));
  useEffect(() => setForm(toForm(user)), [user]);
  const formRef = useRef<HTMLFormElement>(null);
  const [tried, setTried] = useState(false);
  const [avatarProblem, setAvatarProblem] = useState<string | null>(null);
  const config = useQuery({ queryKey: keys.config, queryFn: () => api.config(), staleTime: Infinity });
  const avatarRules = config.data?.avatar;

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
    onSuccess: (updated) => {
      queryClient.setQueryData(keys.me, updated);
      refreshWhereIAmShown(queryClient, user.id);
    },
    onError: () => focusFirstInvalid(formRef.current),
  });
  const avatar = useMutation({
    mutationFn: (file: File) => api.uploadAvatar(file),
    onSuccess: (updated) => {
      queryClient.setQueryData(keys.me, updated);
      refreshWhereIAmShown(queryClient, user.id);
    },
  });
  const myRooms = useQuery({ queryKey: keys.myRooms, queryFn: () => api.myRooms({ limit: 50 }) });

  const local = present({
    username: textError(form.username, "Username", RULES.username, { required: true }),
    display_name: textError(form.display_name, "Display name", RULES.display_name),
    bio: textError(form.bio, "Bio", RULES.bio),
    favorite_genres: listError(parseList(form.favorite_genres), "Favorite genres", RULES.favorite_genres, "genre"),
  });
  const server = formErrors(save.error, LABELS, { conflict: "username" });
  const shown = (field: keyof typeof LABELS) => {
    const mine = tried ? local[field as keyof typeof local] : undefined;
    return mine ? [mine] : save.isPending ? undefined : server.fields[field];
  };
  const avatarErrors = avatarProblem ? [avatarProblem] : avatar.error ? [formErrors(avatar.error, { avatar_file: "Avatar" }).fields.avatar_file?.join(" ") ?? errorMessage(avatar.error)] : [];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (Object.keys(local).length > 0) {
      focusFirstInvalid(formRef.current);
      return;
    }
    save.mutate();
  };

  const pickAvatar = (file: File) => {
    avatar.reset();
    if (avatarRules && avatarRules.content_types.length > 0 && file.type && !avatarRules.content_types.includes(file.type)) {
      setAvatarProblem(`That file is not a ${listWords(avatarRules.content_types.map(typeName))} image.`);
      return;
    }
    if (avatarRules && file.size > avatarRules.max_bytes) {
      setAvatarProblem(`That image is ${megabytes(file.size)}; the limit is ${megabytes(avatarRules.max_bytes)}.`);
      return;
    }
    setAvatarProblem(null);
    avatar.mutate(file);
  };

  return (
    <div className="space-y-6">
      <PageTitle>Your profile</PageTitle>
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-[20rem_minmax(0,1fr)]">
        <Card className="min-w-0 space-y-4">
          <div className="flex items-center gap-4">
            <Avatar user={user} size={24} />
            <div className="min-w-0">
              <p className="truncate text-lg font-semibold text-white">{user.display_name || user.username}</p>
              <p className="truncate text-sm text-zinc-400">@{user.username}</p>
              <p className="truncate text-xs text-zinc-400">{user.email}</p>
            </div>
          </div>
          <div>
            <input
              type="file"
              accept={avatarRules?.content_types.join(",") || undefined}
              className="peer sr-only"
              id="avatar-file"
              aria-describedby={`avatar-hint${avatarErrors.length ? " avatar-error" : ""}`}
              aria-invalid={avatarErrors.length ? true : undefined}
              disabled={avatar.isPending}
              onChange={(e) => {
                const file = e.target.files?.[0];
                if (file) pickAvatar(file);
                e.target.value = "";
              }}
            />
            <label
              htmlFor="avatar-file"
              className="inline-flex min-h-9 cursor-pointer items-center justify-center rounded-lg bg-zinc-800 px-3.5 py-2 text-sm font-medium text-zinc-100 ring-1 ring-inset ring-zinc-700 hover:bg-zinc-700 peer-focus-visible:outline-2 peer-focus-visible:outline-offset-2 peer-focus-visible:outline-violet-400"
            >
              {avatar.isPending ? "Uploading…" : "Change avatar"}
            </label>
            <p id="avatar-hint" className="mt-1 text-xs text-zinc-400">
              {avatarRules ? `${listWords(avatarRules.content_types.map(typeName))}, up to ${megabytes(avatarRules.max_bytes)}.` : "An image file."}
            </p>
            {avatarErrors.length ? (
              <p id="avatar-error" role="alert" className="mt-1 text-sm text-rose-300">
                {avatarErrors.join(" ")}
              </p>
            ) : null}
          </div>
        </Card>

        <Card className="min-w-0">
          <form ref={formRef} onSubmit={submit} className="space-y-4" noValidate aria-label="Edit profile">
            <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
              <Field label="Username" hint={`${RULES.username.minLength}–${RULES.username.maxLength} letters, digits and . @ + - _`} error={shown("username")}>
                <Input
                  required
                  autoComplete="username"
                  maxLength={RULES.username.maxLength}
                  value={form.username}
                  onChange={(e) => setForm({ ...form, username: e.target.value })}
                />
              </Field>
              <Field label="Display name" error={shown("display_name")}>
                <Input maxLength={RULES.display_name.maxLength} value={form.display_name} onChange={(e) => setForm({ ...form, display_name: e.target.value })} />
              </Field>
            </div>
            <Field label="Bio" hint={countHint(form.bio, RULES.bio.maxLength)} error={shown("bio")}>
              <Textarea rows={3} value={form.bio} onChange={(e) => setForm({ ...form, bio: e.target.value })} />
            </Field>
            <Field label="Favorite genres" hint={`Comma-separated (up to ${RULES.favorite_genres.maxItems}); they shape your recommendations.`} error={shown("favorite_genres")}>
              <Input value={form.favorite_genres} onChange={(e) => setForm({ ...form, favorite_genres: e.target.value })} />
            </Field>
            <label className="flex min-h-6 items-center gap-2 text-sm text-zinc-300">
              <input type="checkbox" className="h-6 w-6 shrink-0 accent-violet-500" checked={form.history_public} onChange={(e) => setForm({ ...form, history_public: e.target.checked })} />
              Others may see my listening history
            </label>
            <label className="flex min-h-6 items-center gap-2 text-sm text-zinc-300">
              <input
                type="checkbox"
                className="h-6 w-6 shrink-0 accent-violet-500"
                checked={form.email_notifications}
                onChange={(e) => setForm({ ...form, email_notifications: e.target.checked })}
              />
              E-mail me about friend requests and invites
            </label>
            <ErrorNote>{server.rest ?? ([server.fields.history_public, server.fields.email_notifications].flat().filter(Boolean).join(" ") || null)}</ErrorNote>
            {save.isSuccess ? <p className="text-sm text-emerald-300">Saved.</p> : null}
            <Button type="submit" variant="primary" disabled={save.isPending}>
              Save profile
            </Button>
          </form>
        </Card>
      </div>

      <Card>
        <h2 className="mb-3 text-lg font-semibold text-white">Your rooms</h2>
        {myRooms.data && myRooms.data.length === 0 ? <p className="text-sm text-zinc-400">You haven't joined any room yet.</p> : null}
        <ErrorNote error={myRooms.error} />
        <ul className="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-3" aria-label="Your rooms">
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
