// @vitest-environment jsdom
import { screen } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";

import { userFixture } from "../../test/fixtures";
import { fakeJwt, jsonResponse, mockFetch, renderWithApp } from "../../test/helpers";
import { trackFixture } from "../search/testData";
import { UserPage } from "./UserPage";

const tokens = { access: fakeJwt("me"), refresh: "r" };

function render(listening_now: unknown) {
  const fetch = mockFetch((url) => {
    if (url.pathname === "/users/u9") return jsonResponse({ ...userFixture({ id: "u9", display_name: "Dana", username: "dana" }), listening_now });
    if (url.pathname === "/favorites/u9" || url.pathname === "/users/u9/history" || url.pathname.startsWith("/friendships/my-")) return jsonResponse([]);
    return undefined;
  });
  renderWithApp(
    <Routes>
      <Route path="/users/:userId" element={<UserPage />} />
    </Routes>,
    { fetch, tokens, route: "/users/u9" },
  );
}

describe("<UserPage> listening now", () => {
  it("shows the track and the room they are listening in, with a link to the room", async () => {
    render({ room: { id: "room-3", name: "Late Night Jazz", image_url: null }, track: trackFixture(1, { name: "So What", artists: ["Miles Davis"] }) });
    const line = (await screen.findByText("Listening now:")).parentElement!;
    expect(line.textContent).toBe("Listening now: So What — Miles Davis in Late Night Jazz");
    expect(screen.getByRole("link", { name: "Late Night Jazz" }).getAttribute("href")).toBe("/rooms/room-3");
  });

  it("shows nothing when listening_now is null (not listening, or their history is private)", async () => {
    render(null);
    await screen.findByRole("heading", { level: 1, name: "Dana" });
    expect(screen.queryByText("Listening now:")).toBeNull();
  });
});
