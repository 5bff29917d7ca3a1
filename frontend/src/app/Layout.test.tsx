// @vitest-environment jsdom
import { QueryClient } from "@tanstack/react-query";
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { describe, expect, it, vi } from "vitest";

import { ApiClient } from "../api/client";
import { memoryTokenStore, type TokenPair } from "../auth/tokens";
import { roomFixture, userFixture } from "../test/fixtures";
import { fakeJwt, jsonResponse, mockFetch } from "../test/helpers";
import { AppProviders } from "./context";

// The room page is not what these tests are about (and pulls in the socket stack).
vi.mock("../features/room/RoomPage", () => ({ RoomPage: () => <p>The room</p> }));
const { routes } = await import("./App");

function renderApp(path: string, tokens: TokenPair | null, fetch = mockFetch()) {
  const store = memoryTokenStore(tokens);
  const api = new ApiClient({ tokens: store, fetch, withLock: (_name, run) => run() });
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  render(
    <AppProviders store={store} api={api} queryClient={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <RouterProvider router={router} />
    </AppProviders>,
  );
  return { router, fetch };
}

describe("landing page at /app/", () => {
  it("tells a signed-out visitor what TuneWave is, lists live rooms from the public API and offers one Sign in link", async () => {
    const fetch = mockFetch((url) => (url.pathname === "/rooms/" ? jsonResponse([roomFixture(1, { online_count: 4 }), roomFixture(2)]) : undefined));
    renderApp("/", null, fetch);

    expect(screen.getByRole("heading", { level: 1 }).textContent).toContain("TuneWave");
    expect(document.body.textContent).toMatch(/in sync/);
    expect(document.body.textContent).toMatch(/chat/i);
    expect(document.body.textContent).toMatch(/friends/i);
    expect(screen.getByRole("heading", { level: 2, name: "Live now" })).toBeTruthy();
    const live = await screen.findByRole("list", { name: "Live rooms" });
    expect(within(live).getAllByRole("listitem")).toHaveLength(2);
    expect(within(live).getByRole("link", { name: "Room 1" })).toBeTruthy();
    expect(screen.getAllByRole("link", { name: /sign in/i })).toHaveLength(1);

    const request = fetch.mock.calls.map(([r]) => r as Request).find((r) => new URL(r.url).pathname === "/rooms/")!;
    expect(request.headers.get("Authorization")).toBeNull();
    expect(new URL(request.url).searchParams.get("order")).toBe("live");
  });

  it("sends a signed-in person to their rooms", async () => {
    const fetch = mockFetch((url) => {
      if (url.pathname === "/users/me") return jsonResponse(userFixture());
      if (url.pathname === "/rooms/") return jsonResponse([]);
      return undefined;
    });
    const { router } = renderApp("/", { access: fakeJwt("u1"), refresh: "r" }, fetch);
    await waitFor(() => expect(router.state.location.pathname).toBe("/rooms"));
  });
});

describe("account menu", () => {
  const signedIn = () =>
    renderApp(
      "/rooms",
      { access: fakeJwt("u1"), refresh: "r" },
      mockFetch((url) => {
        if (url.pathname === "/users/me") return jsonResponse(userFixture());
        if (url.pathname === "/rooms/") return jsonResponse([]);
        return undefined;
      }),
    );

  it("is a menu button named 'Account menu' that opens on the first item and moves with the arrow keys", async () => {
    signedIn();
    const button = screen.getByRole("button", { name: "Account menu" });
    expect(button.getAttribute("aria-haspopup")).toBe("menu");

    fireEvent.click(button);
    const menu = screen.getByRole("menu");
    const items = within(menu).getAllByRole("menuitem");
    await waitFor(() => expect(document.activeElement).toBe(items[0]));
    expect(button.getAttribute("aria-expanded")).toBe("true");

    fireEvent.keyDown(document.activeElement!, { key: "ArrowDown" });
    expect(document.activeElement).toBe(items[1]);
    fireEvent.keyDown(document.activeElement!, { key: "End" });
    expect(document.activeElement).toBe(items[items.length - 1]);
    fireEvent.keyDown(document.activeElement!, { key: "ArrowDown" });
    expect(document.activeElement).toBe(items[0]);
    fireEvent.keyDown(document.activeElement!, { key: "ArrowUp" });
    expect(document.activeElement).toBe(items[items.length - 1]);
    fireEvent.keyDown(document.activeElement!, { key: "Home" });
    expect(document.activeElement).toBe(items[0]);
  });

  it("closes on Escape with focus back on the button, and on a click outside", async () => {
    signedIn();
    const button = screen.getByRole("button", { name: "Account menu" });
    fireEvent.click(button);
    await waitFor(() => expect(document.activeElement?.getAttribute("role")).toBe("menuitem"));

    fireEvent.keyDown(document.activeElement!, { key: "Escape" });
    expect(screen.queryByRole("menu")).toBeNull();
    expect(document.activeElement).toBe(button);
    expect(button.getAttribute("aria-expanded")).toBe("false");

    fireEvent.click(button);
    expect(screen.getByRole("menu")).toBeTruthy();
    await act(async () => {
      fireEvent.mouseDown(document.getElementById("main")!);
    });
    expect(screen.queryByRole("menu")).toBeNull();
  });
});

describe("uploads", () => {
  it("reaches My uploads from the main nav and from the account menu", async () => {
    const { router } = renderApp(
      "/rooms",
      { access: fakeJwt("u1"), refresh: "r" },
      mockFetch((url) => {
        if (url.pathname === "/users/me") return jsonResponse(userFixture());
        if (url.pathname === "/rooms/") return jsonResponse([]);
        if (url.pathname === "/track/uploads") return jsonResponse({ used_bytes: 0, quota_bytes: 1, max_bytes: 1, count: 0, results: [] });
        return undefined;
      }),
    );
    fireEvent.click(within(screen.getByRole("navigation", { name: "Main" })).getByRole("link", { name: "Uploads" }));
    expect(await screen.findByRole("heading", { level: 1, name: "My uploads" })).toBeTruthy();
    expect(router.state.location.pathname).toBe("/uploads");

    await act(() => router.navigate("/rooms"));
    fireEvent.click(screen.getByRole("button", { name: "Account menu" }));
    fireEvent.click(within(screen.getByRole("menu")).getByRole("menuitem", { name: "My uploads" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/uploads"));
  });
});
