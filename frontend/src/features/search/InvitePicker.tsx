import { useMutation } from "@tanstack/react-query";
import { useId } from "react";

import type { UserBrief } from "../../api/types";
import { errorMessage } from "../../api/client";
import { useApi } from "../../app/context";
import { displayName } from "../../components/ui";
import { PersonPicker } from "./PersonPicker";

/**
 * Invite someone to a room by choosing them by name (POST /rooms/{id}/invite/{user_id}): the
 * PersonPicker ("Invite a person") with what happened said under it. `exclude`: ids not to
 * offer (the room's members).
 */
export function InvitePicker({ roomId, exclude = [] }: { roomId: string; exclude?: readonly string[] }) {
  const api = useApi();
  const messageId = `invite-${useId().replace(/:/g, "")}`;
  const invite = useMutation({ mutationFn: (user: UserBrief) => api.invite(roomId, user.id) });
  return (
    <div className="min-w-0 space-y-1.5">
      <PersonPicker
        label="Invite a person"
        exclude={exclude}
        onPick={(user) => {
          if (!invite.isPending) invite.mutate(user);
        }}
        describedBy={messageId}
      />
      <div id={messageId} className="text-sm">
        {invite.isPending ? <p className="text-zinc-400">Inviting…</p> : null}
        {invite.error ? (
          <p role="alert" className="text-rose-300 [overflow-wrap:anywhere]">
            {errorMessage(invite.error)}
          </p>
        ) : null}
        <p role="status" className="text-emerald-300 [overflow-wrap:anywhere] empty:hidden">
          {invite.isSuccess && invite.variables ? `Invitation sent to ${displayName(invite.variables)}.` : ""}
        </p>
      </div>
    </div>
  );
}
