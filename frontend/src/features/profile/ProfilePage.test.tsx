// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { CONFIG_FIXTURE, roomFixture, userFixture } from "../../test/fixtures";
import { fakeJwt, jsonResponse, mockFetch, renderWithApp, type FetchRoute } from "../../test/helpers";
import { ProfilePage } from "./ProfilePage";

const tokens = { access: fakeJwt("u1"), refresh: "r" };

function errorOf(control: HTMLElement): string {
  const ids = (control.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
  return ids.map((id) => document.getElementById(id)?.textContent ?? "").join(" ");
}

function server(...extra: FetchRoute[]) {
  return mockFetch(...extra, (url) => {
    if (url.pathname === "/users/me") return jsonResponse(userFixture());
    if (url.pathname === "/auth/config") return jsonResponse(CONFIG_FIXTURE);
    if (url.pathname === "/rooms/my-rooms") return jsonResponse([]);
    if (url.pathname === "/users/me/history") return jsonResponse([]);
    return undefined;
  });
}

describe("<ProfilePage>", () => {
  it("says an empty or blank username is required (not 'taken'), under the field, without asking the server", async () => {
    const fetch = server((url, init) =>
      url.pathname === "/users/u1" && init.method === "PUT"
        ? jsonResponse({ detail: "That username is already taken.", code: "conflict" }, 409)
        : undefined,
    );
    renderWithApp(<ProfilePage />, { fetch, tokens });
    const username = await screen.findByLabelText("Username");

    fireEvent.change(username, { target: { value: "   " } });
    fireEvent.click(screen.getByRole("button", { name: "Save profile" }));

    await waitFor(() => expect(username.getAttribute("aria-invalid")).toBe("true"));
    expect(errorOf(username)).toContain("Username is required.");
    expect(document.body.textContent).not.toContain("taken");
    expect(fetch.mock.calls.some(([request]) => (request as Request).method === "PUT")).toBe(false);
  });

  it("shows each server field error under its field, in words", async () => {
    const fetch = server((url, init) =>
      url.pathname === "/users/u1" && init.method === "PUT"
        ? jsonResponse(
            {
              detail: "username: Use 3-30 letters, digits and . @ + - _ only.",
              code: "invalid",
              errors: { username: ["Use 3-30 letters, digits and . @ + - _ only."], bio: ["Ensure this field has no more than 500 characters."] },
            },
            400,
          )
        : undefined,
    );
    renderWithApp(<ProfilePage />, { fetch, tokens });
    const username = await screen.findByLabelText("Username");
    fireEvent.change(username, { target: { value: "ann!" } });
    fireEvent.click(screen.getByRole("button", { name: "Save profile" }));

    await waitFor(() => expect(username.getAttribute("aria-invalid")).toBe("true"));
    expect(errorOf(username)).toContain("Use 3-30 letters, digits and . @ + - _ only.");
    expect(errorOf(screen.getByLabelText("Bio"))).toContain("Bio can be at most 500 characters.");
    expect(document.body.textContent).not.toMatch(/username:|bio:/);
  });

  it("takes its limits from the server's schema", async () => {
    renderWithApp(<ProfilePage />, { fetch: server(), tokens });
    expect((await screen.findByLabelText("Username")).getAttribute("maxlength")).toBe("30");
    expect(screen.getByLabelText("Display name").getAttribute("maxlength")).toBe("64");
    fireEvent.change(screen.getByLabelText("Bio"), { target: { value: "x".repeat(501) } });
    fireEvent.click(screen.getByRole("button", { name: "Save profile" }));
    expect(await screen.findByText(/Bio can be at most 500 characters/)).toBeTruthy();
  });

  it("labels the avatar input, offers what the server takes (no GIF) and checks the size before uploading", async () => {
    const fetch = server();
    renderWithApp(<ProfilePage />, { fetch, tokens });

    const input = await screen.findByLabelText("Change avatar");
    expect(input.getAttribute("type")).toBe("file");
    await waitFor(() => expect(input.getAttribute("accept")).toBe("image/jpeg,image/png,image/webp"));
    expect(errorOf(input)).toContain("JPEG, PNG or WebP, up to 5 MB.");
    expect(document.body.textContent).not.toMatch(/GIF/);

    const big = new File(["x"], "big.png", { type: "image/png" });
    Object.defineProperty(big, "size", { value: 6 * 1024 * 1024 });
    fireEvent.change(input, { target: { files: [big] } });

    expect((await screen.findByRole("alert")).textContent).toContain("the limit is 5 MB");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(fetch.mock.calls.some(([request]) => new URL((request as Request).url).pathname === "/users/me/avatar")).toBe(false);
  });

  it("shows the server's avatar error without its field name", async () => {
    const fetch = server((url) =>
      url.pathname === "/users/me/avatar"
        ? jsonResponse(
            { detail: "avatar_file: Avatars must be JPEG, PNG or WebP images.", code: "invalid", errors: { avatar_file: ["Avatars must be JPEG, PNG or WebP images."] } },
            400,
          )
        : undefined,
    );
    renderWithApp(<ProfilePage />, { fetch, tokens });
    const input = await screen.findByLabelText("Change avatar");
    fireEvent.change(input, { target: { files: [new File(["x"], "a.png", { type: "image/png" })] } });

    expect((await screen.findByRole("alert")).textContent).toBe("Avatars must be JPEG, PNG or WebP images.");
    expect(document.body.textContent).not.toContain("avatar_file");
  });

  it("refreshes the room cards that show the user after a rename", async () => {
    let name = "Ann";
    const fetch = mockFetch((url, init) => {
      if (url.pathname === "/users/u1" && init.method === "PUT") {
        name = JSON.parse(String(init.body)).display_name;
        return jsonResponse(userFixture({ display_name: name }));
      }
      if (url.pathname === "/users/me") return jsonResponse(userFixture({ display_name: name }));
      if (url.pathname === "/auth/config") return jsonResponse(CONFIG_FIXTURE);
      if (url.pathname === "/rooms/my-rooms")
        return jsonResponse([roomFixture(1, { owner: { id: "u1", username: "ann", display_name: name, avatar_url: null } })]);
      if (url.pathname === "/users/me/history") return jsonResponse([]);
      return undefined;
    });
    renderWithApp(<ProfilePage />, { fetch, tokens });
    const rooms = await screen.findByRole("list", { name: "Your rooms" });
    expect(await within(rooms).findByText("by Ann")).toBeTruthy();

    fireEvent.change(screen.getByLabelText("Display name"), { target: { value: "Annie" } });
    fireEvent.click(screen.getByRole("button", { name: "Save profile" }));

    expect(await within(rooms).findByText("by Annie")).toBeTruthy();
  });
});
