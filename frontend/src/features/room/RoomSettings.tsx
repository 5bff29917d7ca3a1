import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";

import type { Member, Room, RoomPolicy } from "../../api/types";
import { useApi } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Button, ErrorNote, Field, Input, parseList, Select, Textarea } from "../../components/ui";
import { InvitePicker } from "../search/InvitePicker";
import { DEFAULT_PARTICIPATION, ParticipationFields, type ParticipationSettings } from "./ParticipationFields";
import type { RoomWithSettings } from "./participation";

/** Owner: edit or delete the room. Owner and moderators: invite a person found by name. */
export function RoomSettings({ room }: { room: Room }) {
  const api = useApi();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const isOwner = room.my_role === "owner";
  const [name, setName] = useState(room.name);
  const [description, setDescription] = useState(room.description);
  const [genres, setGenres] = useState(room.genres.join(", "));
  const [isPrivate, setIsPrivate] = useState(room.is_private);
  const [queuePolicy, setQueuePolicy] = useState<RoomPolicy>(room.queue_policy as RoomPolicy);
  const [playbackPolicy, setPlaybackPolicy] = useState<RoomPolicy>(room.playback_policy as RoomPolicy);
  const withSettings = room as RoomWithSettings;
  const [participation, setParticipation] = useState<ParticipationSettings>({
    autoplay: withSettings.autoplay ?? DEFAULT_PARTICIPATION.autoplay,
    skip_share: withSettings.skip_share ?? DEFAULT_PARTICIPATION.skip_share,
    queue_order: withSettings.queue_order ?? DEFAULT_PARTICIPATION.queue_order,
  });

  const save = useMutation({
    mutationFn: () => {
      const body = {
        name: name.trim(),
        description: description.trim(),
        genres: parseList(genres),
        is_private: isPrivate,
        queue_policy: queuePolicy,
        playback_policy: playbackPolicy,
        ...participation,
      };
      return api.updateRoom(room.id, body);
    },
    onSuccess: (updated) => {
      queryClient.setQueryData(keys.room(room.id), updated);
      void queryClient.invalidateQueries({ queryKey: keys.roomsAll });
    },
  });
  const remove = useMutation({
    mutationFn: () => api.deleteRoom(room.id),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.roomsAll });
      navigate("/rooms", { replace: true });
    },
  });
  // Invite by choosing a person (never by pasting an id); the room's members are not offered.
  const memberIds = (queryClient.getQueryData<Member[]>(keys.members(room.id)) ?? []).map((m) => m.user.id);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };

  return (
    <div className="space-y-6">
      <InvitePicker roomId={room.id} exclude={memberIds} />

      {isOwner ? (
        <form onSubmit={submit} className="space-y-3">
          <Field label="Name">
            <Input required value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field label="Description">
            <Textarea rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
          </Field>
          <Field label="Genres" hint="Comma-separated">
            <Input value={genres} onChange={(e) => setGenres(e.target.value)} />
          </Field>
          <label className="flex items-center gap-2 text-sm text-zinc-300">
            <input type="checkbox" className="h-4 w-4 accent-violet-500" checked={isPrivate} onChange={(e) => setIsPrivate(e.target.checked)} />
            Private
          </label>
          <div className="grid gap-3 sm:grid-cols-2">
            <Field label="Queue">
              <Select value={queuePolicy} onChange={(e) => setQueuePolicy(e.target.value as RoomPolicy)}>
                <option value="moderators">Owner and moderators</option>
                <option value="members">Every member</option>
              </Select>
            </Field>
            <Field label="Playback">
              <Select value={playbackPolicy} onChange={(e) => setPlaybackPolicy(e.target.value as RoomPolicy)}>
                <option value="moderators">Owner and moderators</option>
                <option value="members">Every member</option>
              </Select>
            </Field>
          </div>
          <ParticipationFields value={participation} onChange={setParticipation} />
          <ErrorNote error={save.error} />
          {save.isSuccess ? <p className="text-sm text-emerald-300">Saved.</p> : null}
          <div className="flex flex-wrap gap-2">
            <Button type="submit" variant="primary" disabled={save.isPending}>
              Save changes
            </Button>
            <Button
              variant="danger"
              onClick={() => {
                if (window.confirm(`Delete “${room.name}” for everyone? This cannot be undone.`)) remove.mutate();
              }}
              disabled={remove.isPending}
            >
              Delete room
            </Button>
          </div>
          <ErrorNote error={remove.error} />
        </form>
      ) : null}
    </div>
  );
}
