import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { errorMessage } from "../../api/client";
import { useApi, useAuth } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Badge, Button } from "../../components/ui";

/** The friendship lists, shared (cached) by every button on a page. */
export function useFriendLists() {
  const api = useApi();
  const friends = useQuery({ queryKey: keys.friends, queryFn: () => api.friends() });
  const sent = useQuery({ queryKey: keys.sentRequests, queryFn: () => api.sentRequests() });
  const received = useQuery({ queryKey: keys.receivedRequests, queryFn: () => api.receivedRequests() });
  return { friends, sent, received };
}

/** "Add friend" for a user id, or where things stand with them. */
export function AddFriendButton({ userId }: { userId: string }) {
  const api = useApi();
  const { userId: me } = useAuth();
  const queryClient = useQueryClient();
  const { friends, sent, received } = useFriendLists();
  const send = useMutation({
    mutationFn: () => api.sendFriendRequest(userId),
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.sentRequests }),
  });

  if (userId === me) return null;
  if (friends.data?.some((f) => f.friend.id === userId)) return <Badge tone="emerald">Friend</Badge>;
  if (sent.data?.some((f) => f.to_user.id === userId && f.status === "pending")) return <Badge>Requested</Badge>;
  if (received.data?.some((f) => f.from_user.id === userId && f.status === "pending")) return <Badge tone="violet">Wants to be friends</Badge>;
  return (
    <span className="inline-flex items-center gap-1">
      <Button size="sm" onClick={() => send.mutate()} disabled={send.isPending || send.isSuccess}>
        {send.isSuccess ? "Requested" : "+ Friend"}
      </Button>
      {send.error ? (
        <span role="alert" className="text-xs text-rose-300">
          {errorMessage(send.error)}
        </span>
      ) : null}
    </span>
  );
}
