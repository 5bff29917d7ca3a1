import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";

import type { Member, Role, UserBrief } from "../../api/types";
import { useApi, useAuth } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Avatar, Badge, Button, displayName, ErrorNote } from "../../components/ui";
import { AddFriendButton } from "../friends/AddFriendButton";

const ROLE_ORDER: Record<Role, number> = { owner: 0, moderator: 1, member: 2 };

/** Who is listening: the count, the viewer's friends among them, and the listeners the
 * socket has named so far (its first page, the pages asked for with "Show more", and the
 * arrivals told since). `count` null: the list's length is the count. */
export function OnlineNow({
  online,
  count = null,
  friends = [],
  onMore,
}: {
  online: UserBrief[];
  count?: number | null;
  friends?: UserBrief[];
  onMore?: () => void;
}) {
  const shown = count ?? online.length;
  return (
    <section aria-labelledby="online-heading">
      <h2 id="online-heading" className="mb-2 text-sm font-semibold uppercase tracking-wider text-zinc-400">
        Listening now <span className="text-zinc-400">({shown})</span>
      </h2>
      {shown === 0 ? <p className="text-sm text-zinc-400">Nobody else is here right now.</p> : null}
      {friends.length ? (
        <p className="mb-2 text-sm text-zinc-300">
          Friends here: {friends.map((user) => displayName(user)).join(", ")}
        </p>
      ) : null}
      <ul aria-label="Listening now" className="flex flex-wrap gap-2">
        {online.map((user) => (
          <li key={user.id} className="flex min-w-0 max-w-full items-center gap-1.5 rounded-full bg-zinc-800/80 py-0.5 pl-0.5 pr-2.5 text-xs text-zinc-200">
            <span className="relative shrink-0">
              <Avatar user={user} size={6} />
              <span className="absolute -bottom-0.5 -right-0.5 h-2 w-2 rounded-full bg-emerald-400 ring-2 ring-zinc-900" aria-hidden />
            </span>
            <span className="min-w-0 truncate">{displayName(user)}</span>
          </li>
        ))}
      </ul>
      {onMore ? (
        <Button className="mt-2" variant="ghost" onClick={onMore}>
          Show more listeners
        </Button>
      ) : null}
    </section>
  );
}

export function Members({
  roomId,
  members,
  onlineIds,
  myRole,
}: {
  roomId: string;
  members: Member[] | undefined;
  onlineIds: Set<string>;
  myRole: Role | null;
}) {
  const api = useApi();
  const { userId: me } = useAuth();
  const queryClient = useQueryClient();
  const [banning, setBanning] = useState<string | null>(null);
  const [reason, setReason] = useState("");
  const refresh = () => queryClient.invalidateQueries({ queryKey: keys.members(roomId) });
  const setRole = useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: Role }) => api.setRole(roomId, userId, role),
    onSuccess: () => {
      void refresh();
      void queryClient.invalidateQueries({ queryKey: keys.room(roomId) });
    },
  });
  const ban = useMutation({
    mutationFn: ({ userId }: { userId: string }) => api.ban(roomId, userId, reason.trim()),
    onSuccess: () => {
      setBanning(null);
      setReason("");
      void refresh();
    },
  });

  const sorted = [...(members ?? [])].sort(
    (a, b) =>
      ROLE_ORDER[a.role ?? "member"] - ROLE_ORDER[b.role ?? "member"] ||
      Number(onlineIds.has(b.user.id)) - Number(onlineIds.has(a.user.id)) ||
      displayName(a.user).localeCompare(displayName(b.user)),
  );
  const isOwner = myRole === "owner";
  const isModerator = myRole === "moderator";

  return (
    <section aria-labelledby="members-heading">
      <h2 id="members-heading" className="mb-2 text-sm font-semibold uppercase tracking-wider text-zinc-400">
        Members <span className="text-zinc-400">({members?.length ?? 0})</span>
      </h2>
      <ul aria-label="Members" className="divide-y divide-zinc-800">
        {sorted.map((member) => {
          const online = onlineIds.has(member.user.id);
          const isMe = member.user.id === me;
          return (
            <li key={member.user.id} className="py-2">
              <div className="flex flex-wrap items-center gap-2">
                <span className="relative shrink-0">
                  <Avatar user={member.user} size={8} />
                  {online ? <span className="absolute -bottom-0.5 -right-0.5 h-2.5 w-2.5 rounded-full bg-emerald-400 ring-2 ring-zinc-900" aria-hidden /> : null}
                </span>
                <div className="min-w-0 flex-1">
                  <Link to={`/users/${member.user.id}`} className="block truncate text-sm text-zinc-100 hover:underline">
                    {displayName(member.user)} {isMe ? <span className="text-zinc-400">(you)</span> : null}
                  </Link>
                  <p className="truncate text-xs text-zinc-400">
                    @{member.user.username} · {online ? "online" : "offline"}
                  </p>
                </div>
                {member.role && member.role !== "member" ? <Badge tone={member.role === "owner" ? "amber" : "violet"}>{member.role}</Badge> : null}
                {!isMe ? <AddFriendButton userId={member.user.id} /> : null}
              </div>
              {!isMe && member.role !== "owner" && (isOwner || isModerator) ? (
                <div className="mt-1.5 flex flex-wrap gap-1.5 pl-10 max-sm:pl-0">
                  {member.role === "member" ? (
                    <Button size="sm" variant="ghost" onClick={() => setRole.mutate({ userId: member.user.id, role: "moderator" })}>
                      Make moderator
                    </Button>
                  ) : null}
                  {isOwner && member.role === "moderator" ? (
                    <Button size="sm" variant="ghost" onClick={() => setRole.mutate({ userId: member.user.id, role: "member" })}>
                      Remove moderator
                    </Button>
                  ) : null}
                  {isOwner ? (
                    <Button
                      size="sm"
                      variant="ghost"
                      onClick={() => {
                        if (window.confirm(`Hand ownership of this room to ${displayName(member.user)}? You stay on as a moderator.`)) {
                          setRole.mutate({ userId: member.user.id, role: "owner" });
                        }
                      }}
                    >
                      Make owner
                    </Button>
                  ) : null}
                  {isOwner ? (
                    <Button size="sm" variant="ghost" className="text-rose-300" onClick={() => setBanning(banning === member.user.id ? null : member.user.id)}>
                      Ban…
                    </Button>
                  ) : null}
                </div>
              ) : null}
              {banning === member.user.id ? (
                <form
                  className="mt-2 flex min-w-0 gap-2 pl-10 max-sm:pl-0"
                  onSubmit={(event) => {
                    event.preventDefault();
                    ban.mutate({ userId: member.user.id });
                  }}
                >
                  <label className="sr-only" htmlFor={`ban-${member.user.id}`}>
                    Reason
                  </label>
                  <input
                    id={`ban-${member.user.id}`}
                    className="min-w-0 flex-1 rounded-lg bg-zinc-900 px-2 py-1 text-sm ring-1 ring-zinc-700"
                    placeholder="Reason (optional)"
                    value={reason}
                    onChange={(e) => setReason(e.target.value)}
                  />
                  <Button size="sm" variant="danger" type="submit" disabled={ban.isPending}>
                    Ban
                  </Button>
                </form>
              ) : null}
            </li>
          );
        })}
      </ul>
      <ErrorNote error={setRole.error ?? ban.error} />
    </section>
  );
}
