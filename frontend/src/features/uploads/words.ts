/** What the uploads page says: sizes, formats, and each refusal in words a person can act on. */
import { errorMessage, isApiError } from "../../api/client";
import { limits } from "../../api/limits";
import { charCount, present, textError } from "../../components/validate";
import type { UploadRules } from "./types";

/** The formats POST /track/upload takes (recognised by content, not by the file's name). */
export const FORMATS_IN_WORDS = "MP3, AAC/M4A, Ogg (Vorbis or Opus), FLAC or WAV";

/** 1536 → "1.5 KB"; 52428800 → "50 MB" (binary units, as the avatar limit is said). */
export function formatBytes(bytes: number): string {
  const units = ["bytes", "KB", "MB", "GB"];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${value} ${value === 1 ? "byte" : "bytes"}`;
  const shown = value >= 100 || Number.isInteger(value) ? Math.round(value).toString() : value.toFixed(1).replace(/\.0$/, "");
  return `${shown} ${units[unit]}`;
}

/** "mp4" → "AAC/M4A" */
export function formatName(format: string): string {
  const names: Record<string, string> = { mp3: "MP3", mp4: "AAC/M4A", ogg: "Ogg", flac: "FLAC", wav: "WAV" };
  return names[format] ?? format.toUpperCase();
}

/** Artists as typed: one per line, or separated by commas when on one line. */
export function parseArtists(text: string): string[] {
  const parts = text.includes("\n") ? text.split(/\r?\n/) : text.split(",");
  const seen = new Set<string>();
  const artists: string[] = [];
  for (const part of parts) {
    const name = part.trim();
    if (name && !seen.has(name.toLowerCase())) {
      seen.add(name.toLowerCase());
      artists.push(name);
    }
  }
  return artists;
}

/**
 * A file refused before it is sent: empty, over the size cap, or over what is left of the
 * quota (when the list's `used_bytes` is known). Null when it may go.
 */
export function checkFile(
  file: File,
  rules: UploadRules | null,
  usage: { used_bytes: number; quota_bytes: number } | null,
): string | null {
  if (file.size === 0) return "That file is empty. Choose an audio file.";
  if (file.type && !file.type.startsWith("audio/") && /^(image|text|font|application\/(pdf|zip|json))/.test(file.type)) {
    return `That file is not audio. Upload ${FORMATS_IN_WORDS}.`;
  }
  if (rules && file.size > rules.max_bytes) {
    return `That file is ${formatBytes(file.size)}; the limit is ${formatBytes(rules.max_bytes)} a file.`;
  }
  if (usage && usage.used_bytes + file.size > usage.quota_bytes) {
    const left = Math.max(0, usage.quota_bytes - usage.used_bytes);
    return `That file is ${formatBytes(file.size)}, but only ${formatBytes(left)} of your ${formatBytes(usage.quota_bytes)} of storage is left. Delete an upload to make room.`;
  }
  return null;
}

/** A refused upload in words, per the server's code (the server's detail where it says more). */
export function uploadErrorMessage(error: unknown, rules: UploadRules | null): string {
  if (!isApiError(error)) return errorMessage(error);
  switch (error.code) {
    case "upload_invalid": {
      // The server says what is wrong with the file (under `file`, or in its detail).
      const said = error.fields.file?.join(" ") ?? (Object.keys(error.fields).length === 0 ? error.message : "");
      const detail = said && !/^Request failed/.test(said) ? said.trim() : "";
      return detail
        ? `TuneWave could not use that file: ${sentence(lowerFirst(detail))}`
        : "TuneWave could not read that file as audio (it may be damaged, cut short or not audio at all). Try another file.";
    }
    case "upload_unsupported":
      return `That audio format isn't supported. Upload ${FORMATS_IN_WORDS}.`;
    case "upload_too_large":
      return rules ? `That file is too big: the limit is ${formatBytes(rules.max_bytes)} a file.` : "That file is too big for TuneWave.";
    case "upload_quota_exceeded":
      return rules
        ? `Your uploads would go over your ${formatBytes(rules.quota_bytes)} of storage. Delete an upload to make room.`
        : "Your uploads would go over your storage. Delete an upload to make room.";
  }
  if (error.status === 413) return rules ? `That file is too big: the limit is ${formatBytes(rules.max_bytes)} a file.` : "That file is too big for TuneWave.";
  if (error.status === 429) {
    const wait = error.retryAfter ? ` Try again in ${error.retryAfter} s.` : " Try again in a minute.";
    return `You're uploading too fast.${wait}`;
  }
  return errorMessage(error);
}

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function lowerFirst(text: string): string {
  // "The WAV file is cut short." → "the WAV file is cut short." (an acronym stays as it is)
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

const RULES = limits.UploadCreateRequest;
/** The most characters a title, an album or one artist's name may have. */
export const TAG_MAX = RULES.name.maxLength;
/** The most artists one upload may name. */
export const MAX_ARTISTS = RULES.artists.maxItems;

/** Problems with typed tags before they are sent, by field (only those with one). */
export function tagErrors(
  { name, artists, album }: { name: string; artists: string; album: string },
  { nameRequired = false, artistsRequired = false } = {},
): Partial<Record<"name" | "artists" | "album", string>> {
  const names = parseArtists(artists);
  return present({
    name: textError(name, "Title", { maxLength: TAG_MAX }, { required: nameRequired }),
    artists:
      artistsRequired && names.length === 0
        ? "Name at least one artist."
        : names.length > MAX_ARTISTS
          ? `Name at most ${MAX_ARTISTS} artists (now ${names.length}).`
          : names.some((artist) => charCount(artist) > TAG_MAX)
          ? `Each artist can be at most ${TAG_MAX} characters.`
          : null,
    album: textError(album, "Album", { maxLength: TAG_MAX }),
  });
}
