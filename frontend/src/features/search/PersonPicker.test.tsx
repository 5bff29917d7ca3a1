// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { fakeJwt, mockFetch, renderWithApp } from "../../test/helpers";
import { PersonPicker } from "./PersonPicker";
import { searchRoute, userBrief } from "./testData";

describe("<PersonPicker>", () => {
  it("finds people by name (type=user), never offers you or the excluded, and Enter picks", async () => {
    const calls: URL[] = [];
    const fetch = mockFetch(searchRoute(calls, () => ({ users: [userBrief(1), userBrief(2, { id: "me" }), userBrief(3), userBrief(4)] })));
    const onPick = vi.fn();
    renderWithApp(<PersonPicker onPick={onPick} exclude={["user-4"]} note={(u) => (u.id === "user-3" ? "Friend" : null)} />, {
      fetch,
      tokens: { access: fakeJwt("me"), refresh: "r" },
    });
    const box = screen.getByRole("combobox", { name: "Find a person" });
    box.focus();
    fireEvent.change(box, { target: { value: "pers" } });

    await screen.findByRole("option", { name: /Person 1/ });
    const options = within(screen.getByRole("listbox")).getAllByRole("option");
    expect(options.map((o) => o.textContent)).toEqual(["PPerson 1@user1", "PPerson 3@user3Friend"]);
    expect(calls[0]!.searchParams.get("type")).toBe("user");

    fireEvent.keyDown(box, { key: "ArrowDown" });
    fireEvent.keyDown(box, { key: "Enter" });
    await waitFor(() => expect(onPick).toHaveBeenCalledWith(expect.objectContaining({ id: "user-3" })));
    expect((box as HTMLInputElement).value).toBe("");
  });
});
