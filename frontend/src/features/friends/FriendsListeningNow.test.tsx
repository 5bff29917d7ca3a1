// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { useLocation } from "react-router";
import { describe, expect, it } from "vitest";

import { roomFixture } from "../../test/fixtures";
import { fakeJwt, jsonResponse, mockFetch, renderWithApp } from "../../test/helpers";
import { RoomsPage } from "../rooms/RoomsPage";
import { trackFixture, userBrief } from "../search/testData";

const tokens = { access: fakeJwt("me"), refresh: "r" };

function Where() {
  const location = useLocation();
  return <p data-testid="where">{location.pathname}</p>;
}

describe("Friends listening now (rooms home)", () => {
  it("lists friends in rooms with the room and track, and Join joins then opens the room", async () => {
    const joins: string[] = [];
    const fetch = mockFetch(
      (url) => (url.pathname === "/rooms/" ? jsonResponse([roomFixture(1)]) : undefined),
      (url) =>
        url.pathname === "/friendships/listening-now"
          ? jsonResponse([
              {
                user: userBrief(1, { display_name: "Dana" }),
                room: { id: "room-9", name: "Late Night Jazz", image_url: "http://test.local/rooms/9.png" },
                track: trackFixture(1, { name: "So What", artists: ["Miles Davis"] }),
              },
              { user: userBrief(2, { display_name: "Eli" }), room: { id: "room-8", name: "Quiet", image_url: null }, track: null },
            ])
          : undefined,
      (url, init) => {
        if (init.method !== "POST" || !url.pathname.endsWith("/join")) return undefined;
        joins.push(url.pathname);
        return jsonResponse(roomFixture(9), 201);
      },
    );
    renderWithApp(
      <>
        <RoomsPage />
        <Where />
      </>,
      { fetch, tokens, route: "/rooms" },
    );

    const list = await screen.findByRole("list", { name: "Friends listening now" });
    expect(screen.getByRole("heading", { level: 2, name: "Friends listening now" })).toBeTruthy();
    const [dana, eli] = within(list).getAllByRole("listitem");
    expect(dana!.textContent).toContain("Dana in Late Night Jazz");
    expect(dana!.textContent).toContain("So What — Miles Davis");
    expect(within(dana!).getByRole("link", { name: "Late Night Jazz" }).getAttribute("href")).toBe("/rooms/room-9");
    expect(within(dana!).getByRole("link", { name: "Dana" }).getAttribute("href")).toBe("/users/user-1");
    expect(eli!.textContent).toContain("Nothing playing");

    fireEvent.click(within(dana!).getByRole("button", { name: /^Join Late Night Jazz/ }));
    await waitFor(() => expect(screen.getByTestId("where").textContent).toBe("/rooms/room-9"));
    expect(joins).toEqual(["/rooms/room-9/join"]);
  });

  it("shows nothing when no friend is listening", async () => {
    const fetch = mockFetch(
      (url) => (url.pathname === "/rooms/" ? jsonResponse([roomFixture(1)]) : undefined),
      (url) => (url.pathname === "/friendships/listening-now" ? jsonResponse([]) : undefined),
    );
    renderWithApp(<RoomsPage />, { fetch, tokens, route: "/rooms" });
    await screen.findByRole("list", { name: "Rooms" });
    expect(screen.queryByText("Friends listening now")).toBeNull();
  });
});
