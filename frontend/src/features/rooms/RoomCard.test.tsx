// @vitest-environment jsdom
import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { roomFixture } from "../../test/fixtures";
import { mockFetch, renderWithApp } from "../../test/helpers";
import { trackFixture } from "../search/testData";
import { RoomCard } from "./RoomCard";

function card(room: ReturnType<typeof roomFixture>) {
  renderWithApp(
    <ul>
      <RoomCard room={room} />
    </ul>,
    { fetch: mockFetch() },
  );
  return screen.getByRole("listitem");
}

describe("<RoomCard> artwork", () => {
  it("shows the room's image_url", () => {
    const item = card({ ...roomFixture(1), image_url: "http://test.local/rooms/1.png" } as ReturnType<typeof roomFixture>);
    expect(item.querySelector("img")?.getAttribute("src")).toBe("http://test.local/rooms/1.png");
  });

  it("falls back to the playing track's cover, then to the note", () => {
    const item = card(roomFixture(2, { now_playing: trackFixture(4) }));
    expect(item.querySelector("img")?.getAttribute("src")).toBe("http://test.local/covers/4.png");
  });

  it("shows the note art when there is no image at all", () => {
    const item = card(roomFixture(3));
    expect(item.querySelector("img")).toBeNull();
    expect(item.querySelector("svg")).not.toBeNull();
  });
});
