// @vitest-environment jsdom
import { fireEvent, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { fakeJwt, jsonResponse, mockFetch, renderWithApp } from "../../test/helpers";
import { InvitePicker } from "./InvitePicker";
import { searchRoute, userBrief } from "./testData";

const tokens = { access: fakeJwt("me"), refresh: "r" };

describe("<InvitePicker>", () => {
  it("invites the person chosen by name, leaving out members, and says so", async () => {
    const invited: string[] = [];
    const fetch = mockFetch(searchRoute([], () => ({ users: [userBrief(1), userBrief(2, { display_name: "Mo Ray" })] })), (url, init) => {
      if (init.method !== "POST" || !url.pathname.startsWith("/rooms/room-1/invite/")) return undefined;
      invited.push(url.pathname);
      return jsonResponse({ id: "i1" }, 201);
    });
    renderWithApp(<InvitePicker roomId="room-1" exclude={["user-1"]} />, { fetch, tokens });
    const box = screen.getByRole("combobox", { name: "Invite a person" });
    box.focus();
    fireEvent.change(box, { target: { value: "mo r" } });
    await screen.findByRole("option", { name: /Mo Ray/ });
    expect(screen.queryByRole("option", { name: /Person 1/ })).toBeNull();
    fireEvent.keyDown(box, { key: "Enter" });

    expect(await screen.findByText("Invitation sent to Mo Ray.")).toBeTruthy();
    expect(invited).toEqual(["/rooms/room-1/invite/user-2"]);
  });

  it("says a refusal in words", async () => {
    const fetch = mockFetch(searchRoute([], () => ({ users: [userBrief(2)] })), (url) =>
      url.pathname.startsWith("/rooms/room-1/invite/")
        ? jsonResponse({ detail: "Only the owner and moderators can invite.", code: "permission_denied" }, 403)
        : undefined,
    );
    renderWithApp(<InvitePicker roomId="room-1" />, { fetch, tokens });
    const box = screen.getByRole("combobox", { name: "Invite a person" });
    box.focus();
    fireEvent.change(box, { target: { value: "pers" } });
    fireEvent.click(await screen.findByRole("option", { name: /Person 2/ }));
    expect((await screen.findByRole("alert")).textContent).toBe("Only the owner and moderators can invite.");
  });
});
