import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { useNavigate } from "react-router";

import { limits } from "../../api/limits";
import type { RoomPolicy } from "../../api/types";
import { useApi } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Button, Card, ErrorNote, Field, formErrors, Input, PageTitle, parseList, Select, Textarea } from "../../components/ui";
import { countHint, focusFirstInvalid, listError, present, textError } from "../../components/validate";
import { DEFAULT_PARTICIPATION, ParticipationFields, type ParticipationSettings } from "../room/ParticipationFields";

const RULES = limits.RoomWriteRequest;
const LABELS = {
  name: "Name",
  description: "Description",
  genres: "Genres",
  is_private: "Private",
  queue_policy: "Who can add to the queue",
  playback_policy: "Who controls playback",
  autoplay: "Keep playing when the queue runs out",
  skip_share: "Votes needed to skip",
  queue_order: "Queue order",
};

export function CreateRoomPage() {
  const api = useApi();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const formRef = useRef<HTMLFormElement>(null);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [genres, setGenres] = useState("");
  const [isPrivate, setIsPrivate] = useState(false);
  // New rooms let members add to the queue (the server's default too).
  const [queuePolicy, setQueuePolicy] = useState<RoomPolicy>("members");
  const [playbackPolicy, setPlaybackPolicy] = useState<RoomPolicy>("moderators");
  const [participation, setParticipation] = useState<ParticipationSettings>(DEFAULT_PARTICIPATION);
  // Checked as the person types once they tried to submit.
  const [tried, setTried] = useState(false);

  const create = useMutation({
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
      return api.createRoom(body);
    },
    onSuccess: (room) => {
      queryClient.setQueryData(keys.room(room.id), room);
      void queryClient.invalidateQueries({ queryKey: keys.roomsAll });
      void queryClient.invalidateQueries({ queryKey: keys.myRooms });
      navigate(`/rooms/${room.id}`);
    },
  });

  const local = present({
    name: textError(name, "Name", RULES.name, { required: true }),
    description: textError(description, "Description", RULES.description),
    genres: listError(parseList(genres), "Genres", RULES.genres, "genre"),
  });
  const server = formErrors(create.error, LABELS, { conflict: "name" });
  const shown = (field: keyof typeof local) => (tried && local[field] ? [local[field]] : create.isPending ? undefined : server.fields[field]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (Object.keys(local).length > 0) {
      focusFirstInvalid(formRef.current);
      return;
    }
    create.mutate(undefined, { onError: () => focusFirstInvalid(formRef.current) });
  };

  return (
    <div className="mx-auto max-w-xl">
      <PageTitle>Create a room</PageTitle>
      <Card>
        <form ref={formRef} onSubmit={submit} className="space-y-4" noValidate>
          <Field label="Name" hint={`Room names are unique; ${RULES.name.minLength}–${RULES.name.maxLength} characters.`} error={shown("name")}>
            <Input required maxLength={RULES.name.maxLength} value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field label="Description" hint={countHint(description, RULES.description.maxLength)} error={shown("description")}>
            <Textarea rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
          </Field>
          <Field
            label="Genres"
            hint={`Comma-separated, e.g. jazz, bebop (up to ${RULES.genres.maxItems})`}
            error={shown("genres") ?? server.fields.genres}
          >
            <Input value={genres} onChange={(e) => setGenres(e.target.value)} />
          </Field>
          <label className="flex min-h-6 items-center gap-2 text-sm text-zinc-300">
            <input type="checkbox" className="h-6 w-6 shrink-0 accent-violet-500" checked={isPrivate} onChange={(e) => setIsPrivate(e.target.checked)} />
            Private (only invited people can join)
          </label>
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
            <Field label="Who can add to the queue" error={server.fields.queue_policy}>
              <Select value={queuePolicy} onChange={(e) => setQueuePolicy(e.target.value as RoomPolicy)}>
                <option value="moderators">Owner and moderators</option>
                <option value="members">Every member</option>
              </Select>
            </Field>
            <Field label="Who controls playback" error={server.fields.playback_policy}>
              <Select value={playbackPolicy} onChange={(e) => setPlaybackPolicy(e.target.value as RoomPolicy)}>
                <option value="moderators">Owner and moderators</option>
                <option value="members">Every member</option>
              </Select>
            </Field>
          </div>
          <ParticipationFields
            value={participation}
            onChange={setParticipation}
            errors={{ autoplay: server.fields.autoplay, skip_share: server.fields.skip_share, queue_order: server.fields.queue_order }}
          />
          <ErrorNote>{server.rest ?? (server.fields.is_private ? server.fields.is_private.join(" ") : null)}</ErrorNote>
          <Button type="submit" variant="primary" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create room"}
          </Button>
        </form>
      </Card>
    </div>
  );
}
