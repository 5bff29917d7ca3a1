/**
 * The shapes of the upload endpoints (issue 15): POST /track/upload, GET /track/uploads,
 * PATCH/DELETE /track/uploads/{id}, and GET /auth/config → uploads; from the generated
 * OpenAPI types (api/schema.d.ts).
 */
import type { components } from "../../api/schema";
import type { FrontendConfig } from "../../api/types";

type Schemas = components["schemas"];

/** Where a track comes from. */
export type TrackOrigin = Schemas["OriginEnum"];
/** One of the caller's uploads (GET /track/uploads → results); `id` is its track's id. */
export type Upload = Schemas["Upload"];
/** GET /track/uploads: the caller's uploads, and the space they take. */
export type UploadList = Schemas["UploadList"];
/** GET /auth/config → uploads: what POST /track/upload accepts. */
export type UploadRules = Schemas["UploadRules"];
/** PATCH /track/uploads/{id} */
export type UploadEdit = Schemas["PatchedUploadUpdateRequest"];

/** The form's fields (POST /track/upload): name/artists/album override the file's tags. */
export interface UploadInput {
  file: File;
  name?: string;
  artists?: string[];
  album?: string;
}

/** The config's upload rules, when the server says them. */
export function uploadRulesOf(config: FrontendConfig | undefined): UploadRules | null {
  return config?.uploads ?? null;
}
