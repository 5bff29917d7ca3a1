import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";

import type { RoomPolicy } from "../../api/types";
import { useApi } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Button, Card, ErrorNote, Field, Input, PageTitle, parseList, Select, Textarea } from "../../components/ui";

export function CreateRoomPage() {
  const api = useApi();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [genres, setGenres] = useState("");
  const [isPrivate, setIsPrivate] = useState(false);
  const [queuePolicy, setQueuePolicy] = useState<RoomPolicy>("moderators");
  const [playbackPolicy, setPlaybackPolicy] = useState<RoomPolicy>("moderators");

  const create = useMutation({
    mutationFn: () =>
      api.createRoom({
        name: name.trim(),
        description: description.trim(),
        genres: parseList(genres),
        is_private: isPrivate,
        queue_policy: queuePolicy,
        playback_policy: playbackPolicy,
      }),
    onSuccess: (room) => {
      queryClient.setQueryData(keys.room(room.id), room);
      void queryClient.invalidateQueries({ queryKey: keys.roomsAll });
      void queryClient.invalidateQueries({ queryKey: keys.myRooms });
      navigate(`/rooms/${room.id}`);
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };

  return (
    <div className="mx-auto max-w-xl">
      <PageTitle>Create a room</PageTitle>
      <Card>
        <form onSubmit={submit} className="space-y-4">
          <Field label="Name" hint="Room names are unique.">
            <Input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field label="Description">
            <Textarea rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
          </Field>
          <Field label="Genres" hint="Comma-separated, e.g. jazz, bebop">
            <Input value={genres} onChange={(e) => setGenres(e.target.value)} />
          </Field>
          <label className="flex items-center gap-2 text-sm text-zinc-300">
            <input type="checkbox" className="h-4 w-4 accent-violet-500" checked={isPrivate} onChange={(e) => setIsPrivate(e.target.checked)} />
            Private (only invited people can join)
          </label>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Who can add to the queue">
              <Select value={queuePolicy} onChange={(e) => setQueuePolicy(e.target.value as RoomPolicy)}>
                <option value="moderators">Owner and moderators</option>
                <option value="members">Every member</option>
              </Select>
            </Field>
            <Field label="Who controls playback">
              <Select value={playbackPolicy} onChange={(e) => setPlaybackPolicy(e.target.value as RoomPolicy)}>
                <option value="moderators">Owner and moderators</option>
                <option value="members">Every member</option>
              </Select>
            </Field>
          </div>
          <ErrorNote error={create.error} />
          <Button type="submit" variant="primary" disabled={create.isPending || !name.trim()}>
            {create.isPending ? "Creating…" : "Create room"}
          </Button>
        </form>
      </Card>
    </div>
  );
}
