// @vitest-environment jsdom
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { fakeJwt, jsonResponse, mockFetch, renderWithApp } from "../../test/helpers";
import { CreateRoomPage } from "./CreateRoomPage";

const tokens = { access: fakeJwt("me"), refresh: "r" };

function errorOf(control: HTMLElement): string {
  const ids = (control.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
  return ids.map((id) => document.getElementById(id)?.textContent ?? "").join(" ");
}

describe("<CreateRoomPage>", () => {
  it("limits the name to the server's 80 characters (not 100)", () => {
    renderWithApp(<CreateRoomPage />, { fetch: mockFetch(), tokens });
    expect(screen.getByLabelText("Name").getAttribute("maxlength")).toBe("80");
  });

  it("shows the server's field error under its field, in words, with no field name", async () => {
    const fetch = mockFetch((url, init) =>
      url.pathname === "/rooms/" && init.method === "POST"
        ? jsonResponse(
            {
              detail: "genres: Ensure this field has no more than 50 characters.",
              code: "max_length",
              errors: { genres: { "0": ["Ensure this field has no more than 50 characters."] } },
            },
            400,
          )
        : undefined,
    );
    renderWithApp(<CreateRoomPage />, { fetch, tokens });
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "Late jazz" } });
    fireEvent.change(screen.getByLabelText("Genres"), { target: { value: "jazz" } });
    fireEvent.click(screen.getByRole("button", { name: "Create room" }));

    const genres = screen.getByLabelText("Genres");
    await waitFor(() => expect(genres.getAttribute("aria-invalid")).toBe("true"));
    expect(errorOf(genres)).toContain("Genres can be at most 50 characters.");
    expect(document.body.textContent).not.toMatch(/genres:|genres\.0/);
    expect(screen.getByLabelText("Name").getAttribute("aria-invalid")).toBeNull();
  });

  it("shows a taken name (409) under the name", async () => {
    const fetch = mockFetch((url, init) =>
      url.pathname === "/rooms/" && init.method === "POST"
        ? jsonResponse({ detail: "A room with that name already exists.", code: "conflict" }, 409)
        : undefined,
    );
    renderWithApp(<CreateRoomPage />, { fetch, tokens });
    const name = screen.getByLabelText("Name");
    fireEvent.change(name, { target: { value: "Late jazz" } });
    fireEvent.click(screen.getByRole("button", { name: "Create room" }));

    await waitFor(() => expect(name.getAttribute("aria-invalid")).toBe("true"));
    expect(errorOf(name)).toContain("A room with that name already exists.");
  });

  it("says a blank name is required without asking the server", async () => {
    const fetch = mockFetch();
    renderWithApp(<CreateRoomPage />, { fetch, tokens });
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "   " } });
    fireEvent.click(screen.getByRole("button", { name: "Create room" }));

    expect(await screen.findByText("Name is required.")).toBeTruthy();
    expect(fetch).not.toHaveBeenCalled();
  });
});
