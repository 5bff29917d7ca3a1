/**
 * The API's shapes, taken from the generated OpenAPI types (schema.d.ts, `npm run api:types`)
 * so that a renamed or removed field breaks `npm run lint` instead of the page.
 */
import type { components, paths } from "./schema";

type Schemas = components["schemas"];

export type ApiPath = keyof paths;
type HttpMethod = "get" | "put" | "post" | "delete" | "patch";
type Operation<P extends ApiPath, M extends HttpMethod> = NonNullable<paths[P][M]>;

/** The query parameters an operation takes, as the schema lists them. */
export type ApiQuery<P extends ApiPath, M extends HttpMethod = "get"> = NonNullable<
  Operation<P, M> extends { parameters: { query?: infer Q } } ? Q : never
>;
/** The JSON body an operation takes, as the schema describes it. */
export type ApiBody<P extends ApiPath, M extends HttpMethod> =
  Operation<P, M> extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;

export type FrontendConfig = Schemas["FrontendConfig"];
export type DevLoginResponse = Schemas["DevLoginResponse"];
export type TokenPairResponse = Schemas["TokenPair"];
export type WsTicket = Schemas["WsTicket"];
export type User = Schemas["UserResponse"];
export type UserUpdate = Schemas["UserUpdateRequest"];
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

export type RoomRecommendation = Schemas["RoomRecommendation"];
export type TrackRecommendation = Schemas["TrackRecommendation"];
