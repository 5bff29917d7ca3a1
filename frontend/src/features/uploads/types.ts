/**
 * The shapes of the upload endpoints (issue 15): POST /track/upload, GET /track/uploads,
 * PATCH/DELETE /track/uploads/{id}, and GET /auth/config → uploads.
 *
 * Written by hand from the contract until the backend's schema lands in
 * api/schema.d.ts; then these become aliases of the generated types.
 */
import type { FrontendConfig, Track } from "../../api/types";

/** Where a track comes from. */
export type TrackOrigin = "spotify" | "upload" | "demo" | "import";
/** How a track can play: its own audio file, and/or Spotify's player. */
export type TrackSource = "audio" | "spotify";

/** A track, with `origin`/`sources` as the issue 15 schema adds them (optional until it lands). */
export type TrackWithOrigin = Track & { readonly origin?: TrackOrigin; readonly sources?: readonly TrackSource[] };

/** One of the caller's uploads (GET /track/uploads → results). */
export interface Upload {
  /** the track's id (`upload:<hex>`), as everywhere a track's id sits */
  readonly id: string;
  readonly track: TrackWithOrigin;
  readonly size_bytes: number;
  readonly format: "mp3" | "mp4" | "ogg" | "flac" | "wav" | string;
  readonly content_type: string;
  readonly created_at: string;
}

/** GET /track/uploads */
export interface UploadList {
  readonly used_bytes: number;
  readonly quota_bytes: number;
  readonly max_bytes: number;
  readonly count: number;
  readonly results: Upload[];
}

/** GET /auth/config → uploads: what POST /track/upload accepts. */
export interface UploadRules {
  readonly max_bytes: number;
  readonly quota_bytes: number;
  readonly content_types: readonly string[];
}

/** The form's fields (POST /track/upload): name/artists/album override the file's tags. */
export interface UploadInput {
  file: File;
  name?: string;
  artists?: string[];
  album?: string;
}

/** PATCH /track/uploads/{id} */
export interface UploadEdit {
  name?: string;
  artists?: string[];
  album?: string;
}

/** The config's upload rules, when the server says them. */
export function uploadRulesOf(config: FrontendConfig | undefined): UploadRules | null {
  const rules = (config as (FrontendConfig & { uploads?: UploadRules | null }) | undefined)?.uploads;
  return rules ?? null;
}
