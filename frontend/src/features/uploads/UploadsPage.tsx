import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useRef, useState } from "react";

import { useApi } from "../../app/context";
import { keys } from "../../app/queryKeys";
import { Button, Card, EmptyState, ErrorNote, PageTitle, Spinner } from "../../components/ui";
import { QuotaMeter } from "./QuotaMeter";
import { uploadRulesOf } from "./types";
import { UploadForm } from "./UploadForm";
import { UploadRow } from "./UploadRow";
import { listUploads, uploadListKey } from "./uploadsApi";

export const UPLOADS_PAGE = 50;

/**
 * "My uploads" (/app/uploads): upload an audio file, see one's uploads with the storage they
 * take, edit their tags, delete them. Uploads are queued in rooms from the room's track picker.
 */
export function UploadsPage() {
  const api = useApi();
  const [limit, setLimit] = useState(UPLOADS_PAGE);
  const [deleted, setDeleted] = useState<string | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const config = useQuery({ queryKey: keys.config, queryFn: () => api.config(), staleTime: Infinity });
  const uploads = useQuery({
    queryKey: uploadListKey(limit),
    queryFn: () => listUploads(api, { limit }),
    placeholderData: keepPreviousData,
  });
  const list = uploads.data;
  const rules = uploadRulesOf(config.data) ?? (list ? { max_bytes: list.max_bytes, quota_bytes: list.quota_bytes, content_types: [] } : null);

  return (
    <div className="space-y-5">
      <PageTitle>My uploads</PageTitle>
      <p className="max-w-prose text-sm text-zinc-400">
        Your own audio files, to play in rooms for everyone there. Only you can find them, and the members of rooms where you queue
        them; their file addresses are unguessable, so anyone given one can play it.
      </p>
      <div className="grid grid-cols-1 gap-5 lg:grid-cols-[minmax(0,24rem)_minmax(0,1fr)]">
        <div className="min-w-0 space-y-5">
          {list ? (
            <Card>
              <QuotaMeter used={list.used_bytes} quota={list.quota_bytes} count={list.count} />
            </Card>
          ) : null}
          <Card>
            <UploadForm rules={rules} usage={list ? { used_bytes: list.used_bytes, quota_bytes: list.quota_bytes } : null} />
          </Card>
        </div>
        <section aria-labelledby="uploads-heading" className="min-w-0 space-y-3">
          <h2 id="uploads-heading" ref={headingRef} tabIndex={-1} className="text-lg font-semibold text-white focus:outline-none">
            Your files{list ? <span className="font-normal text-zinc-400"> ({list.count})</span> : null}
          </h2>
          <p role="status" className="text-sm text-emerald-300 empty:hidden">
            {deleted ? `Deleted “${deleted}”.` : ""}
          </p>
          {uploads.isPending ? <Spinner label="Loading your uploads…" /> : null}
          <ErrorNote error={uploads.error} />
          {list && list.results.length === 0 ? (
            <EmptyState title="No uploads yet.">Upload an MP3, M4A, Ogg, FLAC or WAV file to play it in your rooms.</EmptyState>
          ) : null}
          {list && list.results.length > 0 ? (
            <ul className="grid grid-cols-1 items-start gap-3 xl:grid-cols-2">
              {list.results.map((upload) => (
                <UploadRow
                  key={upload.id}
                  upload={upload}
                  onDeleted={(title) => {
                    setDeleted(title);
                    headingRef.current?.focus();
                  }}
                />
              ))}
            </ul>
          ) : null}
          {list && list.count > list.results.length ? (
            <Button onClick={() => setLimit((now) => now + UPLOADS_PAGE)} disabled={uploads.isFetching}>
              {uploads.isFetching ? "Loading…" : "Show more"}
            </Button>
          ) : null}
        </section>
      </div>
    </div>
  );
}
