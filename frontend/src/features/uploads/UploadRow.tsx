import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

import { useApi } from "../../app/context";
import { Button, ErrorNote, Field, formatMs, formatWhen, formErrors, Input, Textarea, TrackArt } from "../../components/ui";
import { focusFirstInvalid } from "../../components/validate";
import type { Upload, UploadEdit } from "./types";
import { deleteUpload, updateUpload, uploadsKey } from "./uploadsApi";
import { formatBytes, formatName, parseArtists, TAG_MAX, tagErrors } from "./words";

const LABELS = { name: "Title", artists: "Artists", album: "Album" } as const;
type TagField = keyof typeof LABELS;

/**
 * One upload: artwork, title, artists, duration, size, format and when; "Edit tags" opens a
 * small form in place (PATCH /track/uploads/{id}), "Delete" asks first (DELETE). `onDeleted`
 * hears the title, to say so and move focus somewhere that still exists.
 */
export function UploadRow({ upload, onDeleted }: { upload: Upload; onDeleted: (title: string) => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  const editId = `edit-tags${useId().replace(/:/g, "-")}`;
  const { track } = upload;

  const remove = useMutation({
    mutationFn: () => deleteUpload(api, upload.id),
    onSuccess: () => {
      onDeleted(track.name);
      void queryClient.invalidateQueries({ queryKey: uploadsKey });
    },
  });

  const close = (didSave: boolean) => {
    setEditing(false);
    setSaved(didSave);
    // Back to the button that opened the form, once it is rendered again.
    setTimeout(() => document.getElementById(editId)?.focus(), 0);
  };

  return (
    <li className="min-w-0 rounded-xl bg-zinc-900/70 p-3 ring-1 ring-zinc-800">
      <div className="flex min-w-0 items-start gap-3">
        <TrackArt track={track} />
        <div className="min-w-0 flex-1">
          <p className="truncate text-sm font-medium text-zinc-100">{track.name}</p>
          <p className="truncate text-xs text-zinc-400">{track.artists.length > 0 ? track.artists.join(", ") : "Unknown artist"}</p>
          {track.album ? <p className="truncate text-xs text-zinc-400">{track.album}</p> : null}
          <p className="text-xs text-zinc-400 [overflow-wrap:anywhere]">
            {track.duration_ms ? `${formatMs(track.duration_ms)} · ` : ""}
            {formatName(upload.format)} · {formatBytes(upload.size_bytes)} · uploaded <time dateTime={upload.created_at}>{formatWhen(upload.created_at)}</time>
          </p>
        </div>
      </div>
      {editing ? (
        <EditTags upload={upload} onClose={close} />
      ) : (
        <div className="mt-2 flex flex-wrap items-center gap-2">
          <Button id={editId} size="sm" onClick={() => setEditing(true)} aria-label={`Edit tags of ${track.name}`}>
            Edit tags
          </Button>
          <Button
            size="sm"
            variant="ghost"
            aria-label={`Delete ${track.name}`}
            aria-disabled={remove.isPending || undefined}
            className="aria-disabled:cursor-progress aria-disabled:opacity-70"
            onClick={() => {
              if (remove.isPending) return;
              if (window.confirm(`Delete “${track.name}”? It leaves every room's queue, and this cannot be undone.`)) remove.mutate();
            }}
          >
            {remove.isPending ? "Deleting…" : "Delete"}
          </Button>
          {saved ? (
            <span role="status" className="text-xs text-emerald-300">
              Saved.
            </span>
          ) : null}
        </div>
      )}
      {remove.error ? (
        <div className="mt-2">
          <ErrorNote error={remove.error} />
        </div>
      ) : null}
    </li>
  );
}

function EditTags({ upload, onClose }: { upload: Upload; onClose: (saved: boolean) => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const formRef = useRef<HTMLFormElement>(null);
  const titleRef = useRef<HTMLInputElement>(null);
  const [name, setName] = useState(upload.track.name);
  const [artists, setArtists] = useState(upload.track.artists.join("\n"));
  const [album, setAlbum] = useState(upload.track.album);
  const [tried, setTried] = useState(false);

  useEffect(() => titleRef.current?.focus(), []);

  const save = useMutation({
    mutationFn: (edit: UploadEdit) => updateUpload(api, upload.id, edit),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: uploadsKey });
      onClose(true);
    },
  });
  useEffect(() => {
    if (save.error) focusFirstInvalid(formRef.current);
  }, [save.error]);

  // The API keeps at least one artist once there is one (a track that came without any may stay so).
  const artistsRequired = upload.track.artists.length > 0;
  const problems = () => tagErrors({ name, artists, album }, { nameRequired: true, artistsRequired });
  const local: Partial<Record<TagField, string>> = tried ? problems() : {};
  const server = save.isPending ? { fields: {} as Partial<Record<TagField, string[]>>, rest: null } : formErrors(save.error, LABELS);
  const shown = (field: TagField) => (local[field] ? [local[field]] : server.fields[field]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (save.isPending) return;
    setTried(true);
    if (Object.keys(problems()).length > 0) {
      focusFirstInvalid(formRef.current);
      return;
    }
    const artistList = parseArtists(artists);
    save.mutate({ name: name.trim(), ...(artistList.length > 0 ? { artists: artistList } : {}), album: album.trim() });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLFormElement>) => {
    if (event.key === "Escape") {
      event.preventDefault();
      onClose(false);
    }
  };

  return (
    <form ref={formRef} onSubmit={submit} onKeyDown={onKeyDown} noValidate aria-label={`Edit tags of ${upload.track.name}`} className="mt-3 space-y-3">
      <Field label={LABELS.name} error={shown("name")}>
        <Input ref={titleRef} required maxLength={TAG_MAX} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field label={LABELS.artists} hint="One per line, or separated by commas." error={shown("artists")}>
        <Textarea rows={2} value={artists} onChange={(e) => setArtists(e.target.value)} />
      </Field>
      <Field label={LABELS.album} error={shown("album")}>
        <Input maxLength={TAG_MAX} autoComplete="off" value={album} onChange={(e) => setAlbum(e.target.value)} />
      </Field>
      <ErrorNote>{server.rest}</ErrorNote>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" size="sm" variant="primary" aria-disabled={save.isPending || undefined} className="aria-disabled:cursor-progress aria-disabled:opacity-70">
          {save.isPending ? "Saving…" : "Save tags"}
        </Button>
        <Button size="sm" onClick={() => onClose(false)}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
