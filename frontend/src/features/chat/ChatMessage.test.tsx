// @vitest-environment jsdom
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { fakeJwt, jsonResponse, mockFetch, renderWithApp } from "../../test/helpers";
import { ChatMessage } from "./ChatMessage";
import { ChatPanel } from "./ChatPanel";

const MALLORY = { id: "m", username: "mallory", display_name: "Mallory", avatar_url: null };
const EVIL = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold?</b>`;

describe("chat rendering", () => {
  it("shows message text as text, never as HTML", () => {
    const { container } = render(
      <ol>
        <ChatMessage message={{ id: 1, user: MALLORY, text: EVIL, created_at: "2026-01-01T00:00:00Z" }} mine={false} />
      </ol>,
    );

    expect(screen.getByText(EVIL)).toBeTruthy(); // the exact characters, visible
    expect(container.querySelector("img, script, b")).toBeNull(); // no element was made from them
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("escapes history and live messages in the panel too", async () => {
    const fetch = mockFetch((url) =>
      url.pathname === "/chat/r1" ? jsonResponse([{ id: 5, room_id: "r1", user: MALLORY, text: EVIL, created_at: "2026-01-01T00:00:00Z" }]) : undefined,
    );
    const { container } = renderWithApp(<ChatPanel roomId="r1" socket={null} me={null} canModerate={false} />, {
      fetch,
      tokens: { access: fakeJwt("me"), refresh: "r" },
    });

    expect(await screen.findByText(EVIL)).toBeTruthy();
    expect(container.querySelector("ol[aria-label='Messages'] img, ol[aria-label='Messages'] script")).toBeNull();
    expect(fetch.mock.calls.map(([input]) => (input as Request).url)).toContainEqual(expect.stringContaining("/chat/r1?limit=30"));
  });
});
