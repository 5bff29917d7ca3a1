import type { Track } from "../../api/types";
import { Badge } from "../../components/ui";

/** Whether a track is someone's uploaded file (origin "upload"). */
export function isUpload(track: Pick<Track, "origin">): boolean {
  return track.origin === "upload";
}

/** "Upload" beside a track that is an uploaded file; nothing for catalog tracks. */
export function UploadBadge({ track }: { track: Pick<Track, "origin"> }) {
  if (!isUpload(track)) return null;
  return (
    <span className="shrink-0" title="An audio file a listener uploaded to TuneWave">
      <Badge tone="violet">Upload</Badge>
    </span>
  );
}
