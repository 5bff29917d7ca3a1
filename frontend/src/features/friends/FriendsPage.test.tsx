// @vitest-environment jsdom
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { fakeJwt, jsonResponse, mockFetch, renderWithApp } from "../../test/helpers";
import { searchRoute, userBrief } from "../search/testData";
import { FriendsPage } from "./FriendsPage";

const tokens = { access: fakeJwt("u1"), refresh: "r" };
const ID = "0b9e9a4e-8c1d-4a57-9a1e-3f2b1c0d9e8f";

function lists(url: URL) {
  if (url.pathname.startsWith("/friendships/my-")) return jsonResponse([]);
  return undefined;
}

function errorOf(control: HTMLElement): string {
  const ids = (control.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
  return ids.map((id) => document.getElementById(id)?.textContent ?? "").join(" ");
}

describe("<FriendsPage> add by id", () => {
  it("says in words that a bad id is not a user id, under the field, without 'user_id:'", async () => {
    const fetch = mockFetch(lists);
    renderWithApp(<FriendsPage />, { fetch, tokens });
    const input = screen.getByLabelText(/Send a request by user id/);
    fireEvent.change(input, { target: { value: "bob" } });
    fireEvent.click(screen.getByRole("button", { name: "Send" }));

    await waitFor(() => expect(input.getAttribute("aria-invalid")).toBe("true"));
    expect(errorOf(input)).toContain("That isn't a user id. Copy it from their profile page");
    expect(document.body.textContent).not.toContain("user_id");
  });

  it("accepts a profile link and sends the id in it", async () => {
    const bodies: unknown[] = [];
    const fetch = mockFetch(lists, (url, init) => {
      if (url.pathname === "/friendships/send-request") {
        bodies.push(JSON.parse(String(init.body)));
        return jsonResponse({ detail: "You are already friends.", code: "conflict" }, 409);
      }
      return undefined;
    });
    renderWithApp(<FriendsPage />, { fetch, tokens });
    const input = screen.getByLabelText(/Send a request by user id/);
    fireEvent.change(input, { target: { value: `https://tunewave.example/app/users/${ID}` } });
    fireEvent.click(screen.getByRole("button", { name: "Send" }));

    await waitFor(() => expect(input.getAttribute("aria-invalid")).toBe("true"));
    expect(bodies).toEqual([{ user_id: ID }]);
    expect(errorOf(input)).toContain("You are already friends.");
  });

  it("words the server's UUID error", async () => {
    const fetch = mockFetch(lists, (url) =>
      url.pathname === "/friendships/send-request"
        ? jsonResponse({ detail: "user_id: Must be a valid UUID.", code: "invalid", errors: { user_id: ["Must be a valid UUID."] } }, 400)
        : undefined,
    );
    renderWithApp(<FriendsPage />, { fetch, tokens });
    const input = screen.getByLabelText(/Send a request by user id/);
    fireEvent.change(input, { target: { value: ID } });
    fireEvent.click(screen.getByRole("button", { name: "Send" }));

    await waitFor(() => expect(errorOf(input)).toContain("That isn't a user id. Copy it from their profile page."));
    expect(document.body.textContent).not.toContain("user_id");
  });
});

describe("<FriendsPage> find a person", () => {
  it("sends a friend request to the person chosen by name, and says so", async () => {
    const bodies: unknown[] = [];
    const fetch = mockFetch(
      lists,
      searchRoute([], () => ({ users: [userBrief(5, { display_name: "Zoe Quinn", username: "zoeq" })] })),
      (url, init) => {
        if (url.pathname !== "/friendships/send-request") return undefined;
        bodies.push(JSON.parse(String(init.body)));
        return jsonResponse({ id: "f1", status: "pending" }, 201);
      },
    );
    renderWithApp(<FriendsPage />, { fetch, tokens });
    const box = screen.getByRole("combobox", { name: "Find a person" });
    box.focus();
    fireEvent.change(box, { target: { value: "zoe" } });
    await screen.findByRole("option", { name: /Zoe Quinn/ });
    fireEvent.keyDown(box, { key: "Enter" });

    expect(await screen.findByText("Request sent to Zoe Quinn.")).toBeTruthy();
    expect(bodies).toEqual([{ user_id: "user-5" }]);
  });

  it("says a refusal in words", async () => {
    const fetch = mockFetch(lists, searchRoute([], () => ({ users: [userBrief(5)] })), (url) =>
      url.pathname === "/friendships/send-request" ? jsonResponse({ detail: "You are already friends.", code: "conflict" }, 409) : undefined,
    );
    renderWithApp(<FriendsPage />, { fetch, tokens });
    const box = screen.getByRole("combobox", { name: "Find a person" });
    box.focus();
    fireEvent.change(box, { target: { value: "pers" } });
    fireEvent.click(await screen.findByRole("option", { name: /Person 5/ }));
    expect((await screen.findByRole("alert")).textContent).toBe("You are already friends.");
  });
});
