/**
 * The API's shapes, taken from the generated OpenAPI types (schema.d.ts, `npm run api:types`)
 * so that a renamed or removed field breaks `npm run lint` instead of the page.
 */
import type { components, paths } from "./schema";

type Schemas = components["schemas"];

export type ApiPath = keyof paths;

export type FrontendConfig = Schemas["FrontendConfig"];
export type DevLoginResponse = Schemas["DevLoginResponse"];
export type TokenPairResponse = Schemas["TokenPair"];
export type WsTicket = Schemas["WsTicket"];
export type User = Schemas["UserResponse"];
export type UserUpdate = Schemas["PatchedUserUpdateRequest"];
export type UserBrief = Schemas["UserBrief"];
export type Track = Schemas["TrackBase"];
export type FavoriteTrack = Schemas["FavoriteTrackResponse"];
export type ListeningEvent = Schemas["ListeningEvent"];
export type Room = Schemas["Room"];
export type RoomWrite = Schemas["RoomWriteRequest"];
export type RoomUpdate = Schemas["PatchedRoomUpdateRequest"];
export type RoomPolicy = Schemas["RoomPolicyEnum"];
export type Member = Schemas["Member"];
export type Role = Schemas["MemberRoleEnum"];
export type QueueItem = Schemas["QueueItem"];
export type Message = Schemas["MessageResponse"];
export type Friendship = Schemas["Friendship"];
export type Notification = Schemas["Notification"];
export type NotificationKind = Schemas["KindEnum"];
export type Ban = Schemas["Ban"];
export type Invite = Schemas["Invite"];

/**
 * Recommendations (DESIGN.md "Schemas"): not in the OpenAPI document yet — the endpoints
 * are being built. Written by hand from the design; regenerate schema.d.ts and switch to
 * the generated types once /recommendations/* appear there.
 */
export interface RoomRecommendation {
  room: Room;
  score: number;
  reasons: string[];
}
export interface TrackRecommendation {
  track: Track;
  score: number;
  reasons: string[];
}
