import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent } from "react";

import { isApiError } from "../../api/client";
import { useApi } from "../../app/context";
import { Button, ErrorNote, Field, formErrors, Input, Textarea } from "../../components/ui";
import { focusFirstInvalid } from "../../components/validate";
import { trackTitle } from "../search/TrackSummary";
import type { UploadInput, UploadRules } from "./types";
import { uploadsKey, uploadTrack } from "./uploadsApi";
import type { UploadProgress } from "./xhrFetch";
import { checkFile, formatBytes, FORMATS_IN_WORDS, parseArtists, TAG_MAX, tagErrors, uploadErrorMessage } from "./words";

const LABELS = { file: "Audio file", name: "Title", artists: "Artists", album: "Album" } as const;
type FieldName = keyof typeof LABELS;

/** Codes that are about the file itself: said under the file field. */
const FILE_CODES = new Set(["upload_invalid", "upload_unsupported", "upload_too_large", "upload_quota_exceeded"]);

/**
 * POST /track/upload: a file, and optional title, artists and album over the file's own tags.
 * A file that cannot go (empty, over the size cap, over what is left of the quota) is refused
 * here before any byte is sent; the server's refusals are said in words under the field they
 * concern. Progress shows while the file is sent, and can be cancelled.
 */
export function UploadForm({ rules, usage }: { rules: UploadRules | null; usage: { used_bytes: number; quota_bytes: number } | null }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const formRef = useRef<HTMLFormElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const abortRef = useRef<AbortController | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [artists, setArtists] = useState("");
  const [album, setAlbum] = useState("");
  const [fileProblem, setFileProblem] = useState<string | null>(null);
  const [tried, setTried] = useState(false);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [done, setDone] = useState<string | null>(null);

  useEffect(() => () => abortRef.current?.abort(), []);

  const upload = useMutation({
    mutationFn: (input: UploadInput) => {
      const controller = new AbortController();
      abortRef.current = controller;
      return uploadTrack(api, input, { onProgress: setProgress, signal: controller.signal });
    },
    onSuccess: (track) => {
      setFile(null);
      setName("");
      setArtists("");
      setAlbum("");
      setTried(false);
      if (fileRef.current) fileRef.current.value = "";
      setDone(`Uploaded ${trackTitle(track)}. Open a room and add it from “Add from my uploads”, or find it by name.`);
      void queryClient.invalidateQueries({ queryKey: uploadsKey });
    },
    onSettled: () => {
      abortRef.current = null;
      setProgress(null);
    },
  });

  // After the refusal is rendered (the fields are enabled again and marked invalid).
  useEffect(() => {
    if (upload.error) focusFirstInvalid(formRef.current);
  }, [upload.error]);

  const cancelled = upload.error instanceof DOMException && upload.error.name === "AbortError";
  const server = upload.isPending || cancelled ? { fields: {}, rest: null } : splitError(upload.error, rules);
  const local: Partial<Record<FieldName, string>> = tried ? tagErrors({ name, artists, album }) : {};
  const fileError = fileProblem ?? (tried && !file ? "Choose an audio file to upload." : null);
  const shown = (field: FieldName): string[] | undefined => {
    const mine = field === "file" ? fileError : local[field];
    return mine ? [mine] : server.fields[field];
  };

  const pick = (picked: File | null) => {
    upload.reset();
    setDone(null);
    setFile(picked);
    setFileProblem(picked ? checkFile(picked, rules, usage) : null);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (upload.isPending) return;
    setTried(true);
    setDone(null);
    const problem = file ? checkFile(file, rules, usage) : null;
    setFileProblem(problem);
    if (!file || problem || Object.keys(tagErrors({ name, artists, album })).length > 0) {
      focusFirstInvalid(formRef.current);
      return;
    }
    upload.reset();
    const artistList = parseArtists(artists);
    upload.mutate({
      file,
      name: name.trim() || undefined,
      artists: artistList.length > 0 ? artistList : undefined,
      album: album.trim() || undefined,
    });
  };

  const percent = progress && progress.total > 0 ? Math.min(100, Math.floor((progress.loaded / progress.total) * 100)) : 0;
  // Announced in quarters, not every percent: a screen reader would read nothing else.
  const announced = upload.isPending
    ? progress && percent >= 100
      ? "File sent. Reading its tags…"
      : `Uploading ${file?.name ?? "the file"}${percent >= 25 ? `: ${Math.floor(percent / 25) * 25}%` : "…"}`
    : cancelled
      ? "Upload cancelled."
      : (done ?? "");

  return (
    <form ref={formRef} onSubmit={submit} noValidate aria-labelledby="upload-form-heading" data-testid="upload-form" className="space-y-4">
      <h2 id="upload-form-heading" className="text-lg font-semibold text-white">
        Upload a file
      </h2>
      <Field
        label={LABELS.file}
        hint={`${FORMATS_IN_WORDS}${rules ? `, up to ${formatBytes(rules.max_bytes)}` : ""}. Title, artists and album are read from the file's tags unless you fill them in below.`}
        error={shown("file")}
      >
        <Input
          ref={fileRef}
          type="file"
          name="file"
          accept={["audio/*", ...(rules?.content_types ?? [])].join(",")}
          disabled={upload.isPending}
          className="cursor-pointer file:mr-3 file:cursor-pointer file:rounded-md file:border-0 file:bg-zinc-800 file:px-3 file:py-1.5 file:text-sm file:font-medium file:text-zinc-100 hover:file:bg-zinc-700"
          onChange={(event) => pick(event.target.files?.[0] ?? null)}
        />
      </Field>
      <Field label={LABELS.name} hint="Optional: the file's own title tag otherwise." error={shown("name")}>
        <Input name="name" autoComplete="off" maxLength={TAG_MAX} value={name} readOnly={upload.isPending} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field label={LABELS.artists} hint="Optional: one per line, or separated by commas." error={shown("artists")}>
        <Textarea name="artists" rows={2} value={artists} readOnly={upload.isPending} onChange={(e) => setArtists(e.target.value)} />
      </Field>
      <Field label={LABELS.album} hint="Optional." error={shown("album")}>
        <Input name="album" autoComplete="off" maxLength={TAG_MAX} value={album} readOnly={upload.isPending} onChange={(e) => setAlbum(e.target.value)} />
      </Field>

      {upload.isPending ? (
        <div className="space-y-1.5">
          <div
            role="progressbar"
            aria-label={`Uploading ${file?.name ?? "the file"}`}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent}
            className="h-2 min-w-0 overflow-hidden rounded-full bg-zinc-800"
          >
            <div className="h-full rounded-full bg-violet-500 transition-[width]" style={{ width: `${percent}%` }} />
          </div>
          <p className="text-xs text-zinc-400 [overflow-wrap:anywhere]" data-testid="upload-progress">
            {progress ? `${percent}% · ${formatBytes(progress.loaded)} of ${formatBytes(progress.total)}` : "Starting…"}
          </p>
        </div>
      ) : null}

      <ErrorNote>{server.rest}</ErrorNote>
      <p role="status" aria-live="polite" className={`text-sm [overflow-wrap:anywhere] empty:hidden ${done && !upload.isPending ? "text-emerald-300" : "text-zinc-300"}`}>
        {announced}
      </p>

      <div className="flex flex-wrap gap-2">
        {/* aria-disabled, not disabled: a disabled button would drop the keyboard focus to the page. */}
        <Button type="submit" variant="primary" aria-disabled={upload.isPending || undefined} className="aria-disabled:cursor-progress aria-disabled:opacity-70">
          {upload.isPending ? "Uploading…" : "Upload"}
        </Button>
        {upload.isPending ? (
          <Button onClick={() => abortRef.current?.abort()}>Cancel upload</Button>
        ) : null}
      </div>
    </form>
  );
}

/** A refusal split for the form: the file's own refusals under the file, field errors under their fields, the rest below. */
function splitError(error: unknown, rules: UploadRules | null): { fields: Partial<Record<FieldName, string[]>>; rest: string | null } {
  if (!error) return { fields: {}, rest: null };
  if (isApiError(error) && (FILE_CODES.has(error.code) || error.status === 413)) {
    return { fields: { file: [uploadErrorMessage(error, rules)] }, rest: null };
  }
  if (isApiError(error) && Object.keys(error.fields).length > 0) return formErrors(error, LABELS);
  return { fields: {}, rest: uploadErrorMessage(error, rules) };
}
