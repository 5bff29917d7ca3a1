// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { Friendship, Notification } from "../../api/types";
import { fakeJwt, jsonResponse, mockFetch, renderWithApp } from "../../test/helpers";
import { NotificationsPage } from "./NotificationsPage";

const tokens = { access: fakeJwt("u1"), refresh: "r" };
const bob = { id: "u2", username: "bob", display_name: "Bob", avatar_url: null };
const me = { id: "u1", username: "ann", display_name: "Ann", avatar_url: null };

function request(id: string, status: Friendship["status"] = "pending"): Friendship {
  return { id, from_user: bob, to_user: me, status, created_at: "2026-01-01T00:00:00Z", friend: bob } as Friendship;
}
function notification(id: string, friendshipId: string, extra: Partial<Notification> = {}): Notification {
  return {
    id,
    kind: "friend_request",
    text: `Bob wants to be friends (${id})`,
    data: { friendship_id: friendshipId },
    is_read: false,
    created_at: "2026-01-01T00:00:00Z",
    ...extra,
  } as Notification;
}

describe("<NotificationsPage>", () => {
  it("offers Accept/Decline only for a request that is still pending", async () => {
    const fetch = mockFetch((url) => {
      if (url.pathname === "/notifications/my") return jsonResponse([notification("n1", "f1"), notification("n2", "f2")]);
      // f2 was answered on the Friends page (or in another tab): no longer in the pending list.
      if (url.pathname === "/friendships/my-received-requests") return jsonResponse([request("f1"), request("f2", "accepted")]);
      return undefined;
    });
    renderWithApp(<NotificationsPage />, { fetch, tokens });

    const open = (await screen.findByText(/\(n1\)/)).closest("li")!;
    const answered = screen.getByText(/\(n2\)/).closest("li")!;
    expect(await within(open).findByRole("button", { name: "Accept" })).toBeTruthy();
    expect(within(answered).queryByRole("button", { name: "Accept" })).toBeNull();
    expect(within(answered).queryByRole("button", { name: "Decline" })).toBeNull();
  });

  it("hides Accept/Decline once the request is answered from the notification, and after a refusal", async () => {
    let pending = true;
    const fetch = mockFetch((url, init) => {
      if (url.pathname === "/notifications/my") return jsonResponse([notification("n1", "f1")]);
      if (url.pathname === "/friendships/my-received-requests") return jsonResponse(pending ? [request("f1")] : []);
      if (url.pathname === "/friendships/f1/accept" && init.method === "PUT") {
        pending = false;
        return jsonResponse({ detail: "This request was already answered.", code: "conflict" }, 409);
      }
      return undefined;
    });
    renderWithApp(<NotificationsPage />, { fetch, tokens });

    fireEvent.click(await screen.findByRole("button", { name: "Accept" }));

    await waitFor(() => expect(screen.queryByRole("button", { name: "Accept" })).toBeNull());
    expect(screen.queryByRole("button", { name: "Decline" })).toBeNull();
  });

  it("trusts the server's status in the notification", async () => {
    const fetch = mockFetch((url) => {
      if (url.pathname === "/notifications/my")
        return jsonResponse([notification("n1", "f1", { data: { friendship_id: "f1", status: "declined" } })]);
      if (url.pathname === "/friendships/my-received-requests") return jsonResponse([request("f1")]);
      return undefined;
    });
    renderWithApp(<NotificationsPage />, { fetch, tokens });
    await screen.findByText(/\(n1\)/);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.queryByRole("button", { name: "Accept" })).toBeNull();
  });
});
