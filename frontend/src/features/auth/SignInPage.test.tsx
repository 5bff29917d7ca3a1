// @vitest-environment jsdom
import { QueryClient } from "@tanstack/react-query";
import { act, fireEvent, render, screen } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { describe, expect, it } from "vitest";

import { ApiClient } from "../../api/client";
import { AppProviders } from "../../app/context";
import { memoryTokenStore } from "../../auth/tokens";
import { fakeJwt, jsonResponse, mockFetch } from "../../test/helpers";
import { RequireAuth } from "./RequireAuth";
import { SignInPage } from "./SignInPage";

const CONFIG = {
  providers: [],
  login_urls: {},
  dev_login: true,
  ws_url: "/ws/",
  frontend_url: "http://test.local/app/",
  avatar: { max_bytes: 5242880, content_types: ["image/jpeg", "image/png", "image/webp"] },
};

function app(fetch: typeof globalThis.fetch, initial: string) {
  const store = memoryTokenStore(null);
  const api = new ApiClient({ tokens: store, fetch, withLock: (_name, run) => run() });
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const router = createMemoryRouter(
    [
      { path: "/signin", element: <SignInPage /> },
      { path: "/rooms/:roomId", element: <RequireAuth><p>The room</p></RequireAuth> },
    ],
    { initialEntries: [initial] },
  );
  render(
    <AppProviders store={store} api={api} queryClient={queryClient}>
      <RouterProvider router={router} />
    </AppProviders>,
  );
  return { router, store };
}

describe("<SignInPage>", () => {
  it("after signing in from a deep link the address is the target, and the sign-in page is not in the history", async () => {
    const fetch = mockFetch((url) => {
      if (url.pathname === "/auth/config") return jsonResponse(CONFIG);
      if (url.pathname === "/auth/dev/login")
        return jsonResponse({ access: fakeJwt("u1"), refresh: "r", created: false, user: { id: "u1", username: "ann" } });
      return undefined;
    });
    const { router } = app(fetch, "/rooms/r1");
    expect(router.state.location.pathname).toBe("/signin");

    fireEvent.change(await screen.findByLabelText("E-mail"), { target: { value: "ann@example.com" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByText("The room")).toBeTruthy();
    expect(router.state.location.pathname).toBe("/rooms/r1");
    expect(router.state.location.search).toBe("");
    await act(() => router.navigate(-1));
    expect(router.state.location.pathname).not.toBe("/signin");
  });

  it("shows a refused e-mail under the field, in words", async () => {
    const fetch = mockFetch((url) => {
      if (url.pathname === "/auth/config") return jsonResponse(CONFIG);
      if (url.pathname === "/auth/dev/login")
        return jsonResponse(
          { detail: "email: Enter a valid email address.", code: "invalid", errors: { email: ["Enter a valid email address."] } },
          400,
        );
      return undefined;
    });
    app(fetch, "/signin");

    const email = await screen.findByLabelText("E-mail");
    fireEvent.change(email, { target: { value: "ann@x" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByText("Enter a valid e-mail address.")).toBeTruthy();
    expect(email.getAttribute("aria-invalid")).toBe("true");
    expect(document.body.textContent).not.toContain("email:");
  });

  it("says what a sign-in error code means instead of showing the code", async () => {
    const fetch = mockFetch((url) => (url.pathname === "/auth/config" ? jsonResponse(CONFIG) : undefined));
    app(fetch, "/signin?error=email_in_use");

    expect((await screen.findByRole("alert")).textContent).toContain("already belongs to another account");
    expect(document.body.textContent).not.toContain("email_in_use");
  });
});

