import { afterEach } from "vitest";

// Component tests opt into jsdom (`// @vitest-environment jsdom`); the rest run in Node.
// Testing Library unmounts between tests only when the runner exposes globals; vitest here
// does not, so do it explicitly.
afterEach(async () => {
  if (typeof document === "undefined") return;
  const { cleanup } = await import("@testing-library/react");
  cleanup();
  localStorage.clear();
});
