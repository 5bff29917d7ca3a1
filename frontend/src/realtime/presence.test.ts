import { describe, expect, it } from "vitest";

import type { UserBrief } from "../api/types";
import { applyPresence, applyPresenceMeta, NO_PRESENCE, newcomers } from "./presence";

const user = (id: string): UserBrief => ({ id, username: id, display_name: id, avatar_url: null });
const ids = (list: UserBrief[]) => list.map((u) => u.id);

describe("applyPresence", () => {
  it("takes a presence frame's list as it is", () => {
    expect(ids(applyPresence([user("a")], { type: "presence", room_id: "r", count: 2, online: [user("b"), user("c")], friends: [], next: null }))).toEqual(["b", "c"]);
  });

  it("adds the listeners of a page asked for after the first", () => {
    const first = applyPresence([], { type: "presence", room_id: "r", count: 3, online: [user("a"), user("b")], friends: [], next: "b" });
    expect(ids(applyPresence(first, { type: "presence.page", room_id: "r", online: [user("c")], next: null }))).toEqual(["a", "b", "c"]);
  });

  it("adds a joiner once and removes a leaver", () => {
    let online = [user("a")];
    online = applyPresence(online, { type: "member.joined", room_id: "r", user: user("b") });
    online = applyPresence(online, { type: "member.joined", room_id: "r", user: user("b") });
    expect(ids(online)).toEqual(["a", "b"]);
    expect(ids(applyPresence(online, { type: "member.left", room_id: "r", user: user("a") }))).toEqual(["b"]);
  });

  it("applies several joins and leaves from one members.changed", () => {
    const online = [user("a"), user("b")];
    const next = applyPresence(online, { type: "members.changed", room_id: "r", joined: [user("c"), user("a"), user("d")], left: [user("b")] });
    expect(ids(next)).toEqual(["a", "c", "d"]);
  });

  it("keeps the same list object when nothing changed", () => {
    const online = [user("a")];
    expect(applyPresence(online, { type: "members.changed", room_id: "r", joined: [user("a")], left: [user("z")] })).toBe(online);
  });
});

describe("applyPresenceMeta", () => {
  it("keeps the count, the friends present and the next page's cursor", () => {
    let meta = applyPresenceMeta(NO_PRESENCE, { type: "presence", room_id: "r", count: 240, online: [user("a")], friends: [user("f")], next: "a" });
    expect(meta).toEqual({ count: 240, friends: [user("f")], next: "a" });
    meta = applyPresenceMeta(meta, { type: "presence.page", room_id: "r", online: [user("b")], next: null });
    expect(meta.next).toBeNull();
    // A crowded room's count update.
    meta = applyPresenceMeta(meta, { type: "room.audience", room_id: "r", online: 251, spotify: 3 });
    expect(meta.count).toBe(251);
    meta = applyPresenceMeta(meta, { type: "member.left", room_id: "r", user: user("f") });
    expect(meta.friends).toEqual([]);
  });
});

describe("newcomers", () => {
  it("names the arrivals not listed yet", () => {
    const listed = [user("a")];
    expect(ids(newcomers(listed, { type: "members.changed", room_id: "r", joined: [user("a"), user("b")], left: [] }))).toEqual(["b"]);
    expect(ids(newcomers(listed, { type: "member.joined", room_id: "r", user: user("a") }))).toEqual([]);
  });
});
