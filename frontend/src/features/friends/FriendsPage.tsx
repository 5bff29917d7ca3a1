import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "react-router";

import type { Friendship, UserBrief } from "../../api/types";
import { useApi } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Avatar, Button, Card, displayName, ErrorNote, Field, Input, PageTitle, Spinner } from "../../components/ui";
import { useFriendLists } from "./AddFriendButton";

export function FriendsPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const { friends, sent, received } = useFriendLists();
  const [userId, setUserId] = useState("");
  const refresh = () => queryClient.invalidateQueries({ queryKey: keys.friends });
  const send = useMutation({
    mutationFn: (id: string) => api.sendFriendRequest(id),
    onSuccess: () => {
      setUserId("");
      void refresh();
    },
  });
  const accept = useMutation({ mutationFn: (id: string) => api.acceptFriendRequest(id), onSuccess: () => void refresh() });
  const decline = useMutation({ mutationFn: (id: string) => api.declineFriendRequest(id), onSuccess: () => void refresh() });
  const remove = useMutation({ mutationFn: (id: string) => api.removeFriendship(id), onSuccess: () => void refresh() });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (userId.trim()) send.mutate(userId.trim());
  };
  const pendingReceived = received.data?.filter((f) => f.status === "pending") ?? [];
  const pendingSent = sent.data?.filter((f) => f.status === "pending") ?? [];

  return (
    <div className="space-y-5">
      <PageTitle>Friends</PageTitle>
      <ErrorNote error={accept.error ?? decline.error ?? remove.error} />
      <div className="grid gap-5 lg:grid-cols-2">
        <Card>
          <h2 className="mb-3 text-lg font-semibold text-white">Requests for you</h2>
          {received.isPending ? <Spinner /> : null}
          <ErrorNote error={received.error} />
          {received.data && pendingReceived.length === 0 ? <p className="text-sm text-zinc-500">No requests waiting.</p> : null}
          <ul className="divide-y divide-zinc-800">
            {pendingReceived.map((f) => (
              <FriendRow key={f.id} user={f.from_user}>
                <Button size="sm" variant="primary" onClick={() => accept.mutate(f.id)} disabled={accept.isPending}>
                  Accept
                </Button>
                <Button size="sm" variant="ghost" onClick={() => decline.mutate(f.id)} disabled={decline.isPending}>
                  Decline
                </Button>
              </FriendRow>
            ))}
          </ul>
        </Card>
        <Card>
          <h2 className="mb-3 text-lg font-semibold text-white">Sent requests</h2>
          <form onSubmit={submit} className="mb-3">
            <Field label="Send a request by user id" hint="Or use “+ Friend” in a room's member list.">
              <div className="flex gap-2">
                <Input value={userId} onChange={(e) => setUserId(e.target.value)} placeholder="User id" />
                <Button type="submit" disabled={send.isPending || !userId.trim()}>
                  Send
                </Button>
              </div>
            </Field>
            <div className="mt-2">
              <ErrorNote error={send.error} />
            </div>
          </form>
          {sent.data && pendingSent.length === 0 ? <p className="text-sm text-zinc-500">No pending requests.</p> : null}
          <ul className="divide-y divide-zinc-800">
            {pendingSent.map((f) => (
              <FriendRow key={f.id} user={f.to_user}>
                <span className="text-xs text-zinc-500">pending</span>
                <Button size="sm" variant="ghost" onClick={() => remove.mutate(f.id)}>
                  Cancel
                </Button>
              </FriendRow>
            ))}
          </ul>
        </Card>
      </div>
      <Card>
        <h2 className="mb-3 text-lg font-semibold text-white">
          Your friends <span className="text-zinc-500">({friends.data?.length ?? 0})</span>
        </h2>
        {friends.isPending ? <Spinner /> : null}
        <ErrorNote error={friends.error} />
        {friends.data?.length === 0 ? <p className="text-sm text-zinc-500">No friends yet — meet people in rooms!</p> : null}
        <ul className="grid gap-x-6 sm:grid-cols-2">
          {friends.data?.map((f: Friendship) => (
            <FriendRow key={f.id} user={f.friend}>
              <Button
                size="sm"
                variant="ghost"
                onClick={() => {
                  if (window.confirm(`Remove ${displayName(f.friend)} from your friends?`)) remove.mutate(f.id);
                }}
              >
                Remove
              </Button>
            </FriendRow>
          ))}
        </ul>
      </Card>
    </div>
  );
}

function FriendRow({ user, children }: { user: UserBrief; children: React.ReactNode }) {
  return (
    <li className="flex items-center gap-3 py-2">
      <Avatar user={user} />
      <Link to={`/users/${user.id}`} className="min-w-0 flex-1 truncate text-sm text-zinc-100 hover:underline">
        {displayName(user)} <span className="text-zinc-500">@{user.username}</span>
      </Link>
      <div className="flex items-center gap-1.5">{children}</div>
    </li>
  );
}
