// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { useLocation } from "react-router";
import { describe, expect, it } from "vitest";

import { fakeJwt, mockFetch, renderWithApp } from "../../test/helpers";
import { HeaderSearch } from "./HeaderSearch";
import { searchRoute } from "./testData";

const tokens = { access: fakeJwt("me"), refresh: "r" };

function Where() {
  const location = useLocation();
  return <p data-testid="where">{location.pathname + location.search}</p>;
}

function setup() {
  const calls: URL[] = [];
  const fetch = mockFetch(searchRoute(calls));
  renderWithApp(
    <>
      <HeaderSearch />
      <Where />
    </>,
    { fetch, tokens, route: "/rooms" },
  );
  const box = screen.getByRole("combobox", { name: "Search" });
  return { box, calls };
}

const where = () => screen.getByTestId("where").textContent;

describe("<HeaderSearch>", () => {
  it("shows tracks, rooms and people in a popup after a pause in typing, asking once", async () => {
    const { box, calls } = setup();
    box.focus();
    fireEvent.change(box, { target: { value: "b" } });
    fireEvent.change(box, { target: { value: "bl" } });
    fireEvent.change(box, { target: { value: "blu" } });

    await screen.findByRole("option", { name: /Blue Room/ });
    const list = screen.getByRole("listbox", { name: "Search" });
    expect(box.getAttribute("aria-expanded")).toBe("true");
    expect(within(list).getByRole("group", { name: "Tracks" })).toBeTruthy();
    expect(within(list).getByRole("option", { name: /Blue in Green/ }).textContent).toContain("Miles Davis, Bill Evans · 5:37");
    expect(within(list).getByRole("option", { name: /Blue Monk/ }).textContent).toContain("Spotify only");
    expect(within(list).getByRole("option", { name: /Blue Room/ })).toBeTruthy();
    expect(within(list).getByRole("option", { name: /Bluebird/ })).toBeTruthy();
    // Debounced: one request, for the whole word, asking for all three kinds.
    expect(calls).toHaveLength(1);
    expect(calls[0]!.searchParams.get("q")).toBe("blu");
    expect(calls[0]!.searchParams.get("type")).toBe("track,room,user");
  });

  it("ArrowDown moves through the options and Enter opens the room", async () => {
    const { box } = setup();
    box.focus();
    fireEvent.change(box, { target: { value: "blue" } });
    await screen.findByRole("option", { name: /Blue Room/ });

    // No option is highlighted until the arrows move.
    expect(box.getAttribute("aria-activedescendant")).toBeNull();
    for (let i = 0; i < 3; i++) fireEvent.keyDown(box, { key: "ArrowDown" });
    const active = document.getElementById(box.getAttribute("aria-activedescendant")!)!;
    expect(active.textContent).toContain("Blue Room");
    expect(active.getAttribute("aria-selected")).toBe("true");
    fireEvent.keyDown(box, { key: "Enter" });

    await waitFor(() => expect(where()).toBe("/rooms/room-7"));
    expect((box as HTMLInputElement).value).toBe("");
  });

  it("Enter on a person opens their page; ArrowUp wraps to the end", async () => {
    const { box } = setup();
    box.focus();
    fireEvent.change(box, { target: { value: "blue" } });
    await screen.findByRole("option", { name: /Bluebird/ });
    fireEvent.keyDown(box, { key: "ArrowUp" }); // the last: "All results"
    fireEvent.keyDown(box, { key: "ArrowUp" }); // Bluebird
    fireEvent.keyDown(box, { key: "Enter" });
    await waitFor(() => expect(where()).toBe("/users/user-3"));
  });

  it("Enter with nothing highlighted opens the results page for the text", async () => {
    const { box } = setup();
    box.focus();
    fireEvent.change(box, { target: { value: "miles davis" } });
    fireEvent.keyDown(box, { key: "Enter" });
    await waitFor(() => expect(where()).toBe("/search?q=miles%20davis"));
  });

  it("Escape closes the popup, a second Escape clears the box", async () => {
    const { box } = setup();
    box.focus();
    fireEvent.change(box, { target: { value: "blue" } });
    await screen.findByRole("option", { name: /Blue Room/ });
    fireEvent.keyDown(box, { key: "Escape" });
    expect(box.getAttribute("aria-expanded")).toBe("false");
    expect((box as HTMLInputElement).value).toBe("blue");
    fireEvent.keyDown(box, { key: "Escape" });
    expect((box as HTMLInputElement).value).toBe("");
  });

  it("a click on an option opens it", async () => {
    const { box } = setup();
    box.focus();
    fireEvent.change(box, { target: { value: "blue" } });
    fireEvent.click(await screen.findByRole("option", { name: /Bluebird/ }));
    await waitFor(() => expect(where()).toBe("/users/user-3"));
  });

  it("says the server's error in words", async () => {
    const fetch = mockFetch((url) =>
      url.pathname === "/search/"
        ? new Response(JSON.stringify({ detail: "Too many requests. Try again in 20 s.", code: "rate_limited" }), {
            status: 429,
            headers: { "Content-Type": "application/json", "Retry-After": "20" },
          })
        : undefined,
    );
    renderWithApp(<HeaderSearch />, { fetch, tokens });
    const box = screen.getByRole("combobox", { name: "Search" });
    box.focus();
    fireEvent.change(box, { target: { value: "blue" } });
    expect(await screen.findByText("Too many requests. Try again in 20 s.")).toBeTruthy();
  });
});
