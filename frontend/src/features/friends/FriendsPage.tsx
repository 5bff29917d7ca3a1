import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";

import type { Friendship, UserBrief } from "../../api/types";
import { errorMessage } from "../../api/client";
import { useApi } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Avatar, Button, Card, displayName, ErrorNote, Field, formErrors, Input, PageTitle, Spinner } from "../../components/ui";
import { focusFirstInvalid } from "../../components/validate";
import { PersonPicker } from "../search/PersonPicker";
import { useFriendLists } from "./AddFriendButton";

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
export const NOT_A_USER_ID = "That isn't a user id. Copy it from their profile page (or paste the page's link).";

/** A user id from what was pasted: the id itself or a profile link (…/app/users/<id>). */
export function extractUserId(text: string): string | null {
  const match = text.trim().match(UUID);
  return match ? match[0].toLowerCase() : null;
}

export function FriendsPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const { friends, sent, received } = useFriendLists();
  const [userId, setUserId] = useState("");
  const [idProblem, setIdProblem] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: keys.friends });
  const send = useMutation({
    mutationFn: (id: string) => api.sendFriendRequest(id),
    onSuccess: () => {
      setUserId("");
      void refresh();
    },
    onError: () => focusFirstInvalid(formRef.current),
  });
  // The primary way: choose the person by name (the link box below is the fallback).
  const sendPicked = useMutation({
    mutationFn: (user: UserBrief) => api.sendFriendRequest(user.id),
    onSettled: () => void refresh(),
  });
  const sendErrors = formErrors(send.error, { user_id: "User id" }, { conflict: "user_id" });
  const accept = useMutation({ mutationFn: (id: string) => api.acceptFriendRequest(id), onSuccess: () => void refresh() });
  const decline = useMutation({ mutationFn: (id: string) => api.declineFriendRequest(id), onSuccess: () => void refresh() });
  const remove = useMutation({ mutationFn: (id: string) => api.removeFriendship(id), onSuccess: () => void refresh() });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const id = extractUserId(userId);
    if (!id) {
      setIdProblem(userId.trim() ? NOT_A_USER_ID : "Paste their user id or profile link.");
      focusFirstInvalid(formRef.current);
      return;
    }
    setIdProblem(null);
    send.mutate(id);
  };
  /** Where things stand with someone, for the picker's list. */
  const relation = (id: string): string | null => {
    if (friends.data?.some((f) => f.friend.id === id)) return "Friend";
    if (sent.data?.some((f) => f.to_user.id === id && f.status === "pending")) return "Requested";
    if (received.data?.some((f) => f.from_user.id === id && f.status === "pending")) return "Wants to be friends";
    return null;
  };
  const pendingReceived = received.data?.filter((f) => f.status === "pending") ?? [];
  const pendingSent = sent.data?.filter((f) => f.status === "pending") ?? [];

  return (
    <div className="space-y-5">
      <PageTitle>Friends</PageTitle>
      <ErrorNote error={accept.error ?? decline.error ?? remove.error} />
      <div className="grid grid-cols-1 gap-5 lg:grid-cols-2">
        <Card>
          <h2 className="mb-3 text-lg font-semibold text-white">Requests for you</h2>
          {received.isPending ? <Spinner /> : null}
          <ErrorNote error={received.error} />
          {received.data && pendingReceived.length === 0 ? <p className="text-sm text-zinc-400">No requests waiting.</p> : null}
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
          <div className="mb-3 space-y-1.5">
            <PersonPicker
              label="Find a person"
              onPick={(user) => {
                if (!sendPicked.isPending) sendPicked.mutate(user);
              }}
              note={(user) => relation(user.id)}
              describedBy="friend-pick-message"
            />
            <div id="friend-pick-message" className="text-sm">
              <p className="text-xs text-zinc-400">Type a name or username, then choose them to send a friend request.</p>
              {sendPicked.isPending ? <p className="text-zinc-400">Sending…</p> : null}
              {sendPicked.error ? (
                <p role="alert" className="text-rose-300 [overflow-wrap:anywhere]">
                  {errorMessage(sendPicked.error)}
                </p>
              ) : null}
              <p role="status" className="text-emerald-300 [overflow-wrap:anywhere] empty:hidden">
                {sendPicked.isSuccess && sendPicked.variables ? `Request sent to ${displayName(sendPicked.variables)}.` : ""}
              </p>
            </div>
          </div>
          <details className="mb-3">
            <summary className="inline-flex min-h-8 cursor-pointer items-center text-sm text-zinc-300 hover:text-white">Have a profile link instead?</summary>
            <form ref={formRef} onSubmit={submit} className="mt-2" noValidate>
              <Field
                label="Send a request by user id or profile link"
                hint="Paste the link to their page (…/app/users/…)."
                error={idProblem ? [idProblem] : send.isPending ? undefined : (sendErrors.fields.user_id ?? (sendErrors.rest ? [sendErrors.rest] : undefined))}
              >
                <div className="flex min-w-0 gap-2">
                  <Input
                    value={userId}
                    onChange={(e) => {
                      setUserId(e.target.value);
                      setIdProblem(null);
                    }}
                    placeholder="User id or profile link"
                    autoComplete="off"
                    spellCheck={false}
                  />
                  <Button type="submit" className="shrink-0" disabled={send.isPending}>
                    Send
                  </Button>
                </div>
              </Field>
              {send.isSuccess ? <p className="mt-2 text-sm text-emerald-300">Request sent.</p> : null}
            </form>
          </details>
          {sent.data && pendingSent.length === 0 ? <p className="text-sm text-zinc-400">No pending requests.</p> : null}
          <ul className="divide-y divide-zinc-800">
            {pendingSent.map((f) => (
              <FriendRow key={f.id} user={f.to_user}>
                <span className="text-xs text-zinc-400">pending</span>
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
          Your friends <span className="text-zinc-400">({friends.data?.length ?? 0})</span>
        </h2>
        {friends.isPending ? <Spinner /> : null}
        <ErrorNote error={friends.error} />
        {friends.data?.length === 0 ? <p className="text-sm text-zinc-400">No friends yet — meet people in rooms!</p> : null}
        <ul className="grid grid-cols-1 gap-x-6 sm:grid-cols-2">
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

/** A person in a list: avatar, name linking to their page, and actions at the end. */
export function FriendRow({ user, children }: { user: UserBrief; children: React.ReactNode }) {
  return (
    <li className="flex min-w-0 flex-wrap items-center gap-x-3 gap-y-1 py-2">
      <Avatar user={user} />
      <Link
        to={`/users/${user.id}`}
        className="min-w-0 flex-1 truncate py-1 text-sm text-zinc-100 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-violet-400"
      >
        {displayName(user)} <span className="text-zinc-400">@{user.username}</span>
      </Link>
      <div className="ml-auto flex shrink-0 items-center gap-1.5">{children}</div>
    </li>
  );
}
