// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { CONFIG_FIXTURE } from "../../test/fixtures";
import { fakeJwt, jsonResponse, mockFetch, renderWithApp, type FetchRoute } from "../../test/helpers";
import { installFakeXhr, MB, RULES, uploadFixture, uploadList, uploadsRoute } from "./testData";
import type { Upload } from "./types";
import { UploadsPage } from "./UploadsPage";

const tokens = { access: fakeJwt("u1"), refresh: "r" };

afterEach(() => {
  vi.unstubAllGlobals();
});

const configRoute: FetchRoute = (url) => (url.pathname === "/auth/config" ? jsonResponse({ ...CONFIG_FIXTURE, uploads: RULES, spotify_player: null }) : undefined);

function audioFile(name = "song.mp3", size?: number, type = "audio/mpeg"): File {
  const file = new File([new Uint8Array(16)], name, { type });
  if (size !== undefined) Object.defineProperty(file, "size", { value: size });
  return file;
}

/** The words under a control: its aria-describedby targets (hint and errors). */
function describedText(control: HTMLElement): string {
  const ids = (control.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
  return ids.map((id) => document.getElementById(id)?.textContent ?? "").join(" ");
}

function setup({ uploads = [uploadFixture(1), uploadFixture(2, { size_bytes: 3 * MB, format: "flac" })], routes = [] as FetchRoute[], manual = false } = {}) {
  let current: Upload[] = uploads;
  const listCalls: URL[] = [];
  const fetch = mockFetch(configRoute, uploadsRoute(() => uploadList(current), listCalls), ...routes);
  const xhr = installFakeXhr(fetch, { manual });
  const view = renderWithApp(<UploadsPage />, { fetch, tokens });
  return { ...view, fetch, xhr, listCalls, setUploads: (next: Upload[]) => (current = next) };
}

async function chooseFile(file: File) {
  const input = await screen.findByLabelText("Audio file");
  await waitFor(() => expect(input.getAttribute("accept")).toContain("audio/mpeg"));
  fireEvent.change(input, { target: { files: [file] } });
  return input;
}

const submit = () => fireEvent.click(screen.getByRole("button", { name: "Upload" }));

describe("<UploadsPage> list", () => {
  it("lists each upload with artwork, title, artists, duration, size and format, and the storage used as a meter", async () => {
    setup();
    const row = (await screen.findByText("Song 1")).closest("li")!;
    expect(row.textContent).toContain("Singer 1");
    expect(row.textContent).toContain("Record 1");
    expect(row.textContent).toContain("3:20 · MP3 · 3 MB · uploaded");
    expect(row.querySelector("img")?.getAttribute("src")).toBe("http://test.local/covers/1.png");
    expect(screen.getByText("Song 2").closest("li")!.textContent).toContain("3:20 · FLAC · 3 MB");

    const meter = screen.getByRole("meter", { name: "Storage" });
    expect(meter.getAttribute("aria-valuenow")).toBe(String(6 * MB));
    expect(meter.getAttribute("aria-valuemax")).toBe(String(500 * MB));
    expect(meter.getAttribute("aria-valuetext")).toBe("6 MB of 500 MB used (1%)");
    expect(screen.getByTestId("upload-quota").textContent).toBe("6 MB of 500 MB used · 2 files");
  });

  it("says when there are no uploads yet", async () => {
    setup({ uploads: [] });
    expect(await screen.findByText("No uploads yet.")).toBeTruthy();
  });

  it("warns when the storage is full", async () => {
    setup({ uploads: [uploadFixture(1, { size_bytes: 500 * MB })] });
    expect(await screen.findByText("Your storage is full. Delete an upload to make room for another.")).toBeTruthy();
  });
});

describe("<UploadsPage> upload form", () => {
  it("sends the file with its tags, shows progress, and the new upload joins the list", async () => {
    const { xhr, setUploads } = setup({
      manual: true,
      routes: [
        (url, init) =>
          url.pathname === "/track/upload" && init.method === "POST"
            ? jsonResponse({ ...uploadFixture(3).track, name: "My Song", artists: ["Ann", "Bob"] }, 201)
            : undefined,
      ],
    });
    await screen.findByText("Song 1");
    await chooseFile(audioFile("my-song.mp3"));
    fireEvent.change(screen.getByLabelText("Title"), { target: { value: " My Song " } });
    fireEvent.change(screen.getByLabelText("Artists"), { target: { value: "Ann, Bob" } });
    fireEvent.change(screen.getByLabelText("Album"), { target: { value: "Demos" } });
    submit();

    await waitFor(() => expect(xhr.sent).toHaveLength(1));
    const request = xhr.last();
    expect(request.method).toBe("POST");
    expect(new URL(request.url).pathname).toBe("/track/upload");
    expect(request.headers.authorization).toBe(`Bearer ${tokens.access}`);
    expect((request.body!.get("file") as File).name).toBe("my-song.mp3");
    expect(request.body!.get("name")).toBe("My Song");
    expect(request.body!.getAll("artists")).toEqual(["Ann", "Bob"]);
    expect(request.body!.get("album")).toBe("Demos");

    request.progress(3 * MB, 6 * MB);
    const bar = await screen.findByRole("progressbar", { name: "Uploading my-song.mp3" });
    await waitFor(() => expect(bar.getAttribute("aria-valuenow")).toBe("50"));
    expect(screen.getByTestId("upload-progress").textContent).toBe("50% · 3 MB of 6 MB");
    expect(within(screen.getByTestId("upload-form")).getByRole("status").textContent).toBe("Uploading my-song.mp3: 50%");
    expect(screen.getByRole("button", { name: "Uploading…" }).getAttribute("aria-disabled")).toBe("true");

    setUploads([uploadFixture(3, { track: { ...uploadFixture(3).track, name: "My Song" } }), uploadFixture(1), uploadFixture(2)]);
    await request.respond();

    expect(await screen.findByText("My Song")).toBeTruthy();
    expect(document.body.textContent).toContain("Uploaded My Song by Ann, Bob.");
    expect(screen.queryByRole("progressbar")).toBeNull();
    expect((screen.getByLabelText("Title") as HTMLInputElement).value).toBe("");
    expect(screen.getByTestId("upload-quota").textContent).toContain("3 files");
  });

  it("takes artists one per line, keeping commas inside a name", async () => {
    const { xhr } = setup({
      routes: [(url, init) => (url.pathname === "/track/upload" && init.method === "POST" ? jsonResponse(uploadFixture(3).track, 201) : undefined)],
    });
    await chooseFile(audioFile());
    fireEvent.change(screen.getByLabelText("Artists"), { target: { value: "Earth, Wind & Fire\nThe Emotions\n" } });
    submit();
    await waitFor(() => expect(xhr.sent).toHaveLength(1));
    expect(xhr.last().body!.getAll("artists")).toEqual(["Earth, Wind & Fire", "The Emotions"]);
    expect(xhr.last().body!.has("name")).toBe(false);
  });

  it("refuses a file over the size limit before sending it", async () => {
    const { xhr } = setup();
    const input = await chooseFile(audioFile("long-mix.wav", 50 * MB + 1, "audio/wav"));
    await waitFor(() => expect(input.getAttribute("aria-invalid")).toBe("true"));
    expect(describedText(input)).toContain("That file is 50 MB; the limit is 50 MB a file.");
    submit();
    await waitFor(() => expect(document.activeElement).toBe(input));
    expect(xhr.sent).toHaveLength(0);
  });

  it("refuses a file that would go over the storage left, before sending it", async () => {
    const { xhr } = setup({ uploads: [uploadFixture(1, { size_bytes: 490 * MB })] });
    await screen.findByText("Song 1");
    const input = await chooseFile(audioFile("album.flac", 20 * MB, "audio/flac"));
    await waitFor(() => expect(describedText(input)).toContain("That file is 20 MB, but only 10 MB of your 500 MB of storage is left. Delete an upload to make room."));
    submit();
    expect(xhr.sent).toHaveLength(0);
  });

  it("refuses an empty file and a missing one", async () => {
    const { xhr } = setup();
    await screen.findByText("Song 1");
    submit();
    const input = screen.getByLabelText("Audio file");
    await waitFor(() => expect(describedText(input)).toContain("Choose an audio file to upload."));
    await chooseFile(audioFile("empty.mp3", 0));
    expect(describedText(input)).toContain("That file is empty. Choose an audio file.");
    submit();
    expect(xhr.sent).toHaveLength(0);
  });

  const refusals: Array<[string, number, Record<string, unknown>, Record<string, string>, string]> = [
    [
      "upload_invalid",
      400,
      { detail: "file: This is a PNG image, not an audio file.", code: "upload_invalid", errors: { file: ["This is a PNG image, not an audio file."] } },
      {},
      "TuneWave could not use that file: this is a PNG image, not an audio file.",
    ],
    [
      "upload_invalid (detail only)",
      400,
      { detail: "The file is truncated: its header promises 132344 bytes, the file has 100.", code: "upload_invalid" },
      {},
      "TuneWave could not use that file: the file is truncated: its header promises 132344 bytes, the file has 100.",
    ],
    [
      "upload_unsupported",
      400,
      { detail: "AIFF audio is not supported.", code: "upload_unsupported" },
      {},
      "That audio format isn't supported. Upload MP3, AAC/M4A, Ogg (Vorbis or Opus), FLAC or WAV.",
    ],
    ["upload_too_large", 413, { detail: "The file is over 52428800 bytes.", code: "upload_too_large" }, {}, "That file is too big: the limit is 50 MB a file."],
    [
      "upload_quota_exceeded",
      409,
      { detail: "Over quota.", code: "upload_quota_exceeded" },
      {},
      "Your uploads would go over your 500 MB of storage. Delete an upload to make room.",
    ],
  ];

  it.each(refusals)("says %s in words under the file", async (_code, status, body, headers, words) => {
    setup({ routes: [(url, init) => (url.pathname === "/track/upload" && init.method === "POST" ? jsonResponse(body, status, headers) : undefined)] });
    const input = await chooseFile(audioFile());
    submit();
    await waitFor(() => expect(describedText(input)).toContain(words));
    expect(input.getAttribute("aria-invalid")).toBe("true");
    await waitFor(() => expect(document.activeElement).toBe(input));
    expect(document.body.textContent).not.toContain("upload_");
    expect(document.body.textContent).not.toMatch(/file: [A-Z]/);
  });

  it("says a rate limit in words, with when to try again", async () => {
    setup({
      routes: [
        (url, init) =>
          url.pathname === "/track/upload" && init.method === "POST"
            ? jsonResponse({ detail: "Request was throttled.", code: "rate_limited" }, 429, { "Retry-After": "30" })
            : undefined,
      ],
    });
    await chooseFile(audioFile());
    submit();
    expect((await screen.findByRole("alert")).textContent).toBe("You're uploading too fast. Try again in 30 s.");
  });

  it("says when the server cannot be reached", async () => {
    const { xhr } = setup({ manual: true });
    await chooseFile(audioFile());
    submit();
    await waitFor(() => expect(xhr.sent).toHaveLength(1));
    xhr.last().fail();
    expect((await screen.findByRole("alert")).textContent).toBe("The server could not be reached. Check your connection and try again.");
  });

  it("shows the server's field errors under their fields, in words", async () => {
    setup({
      routes: [
        (url, init) =>
          url.pathname === "/track/upload" && init.method === "POST"
            ? jsonResponse(
                { detail: "name: Ensure this field has no more than 300 characters.", code: "invalid", errors: { name: ["Ensure this field has no more than 300 characters."] } },
                400,
              )
            : undefined,
      ],
    });
    await chooseFile(audioFile());
    fireEvent.change(screen.getByLabelText("Title"), { target: { value: "A title" } });
    submit();
    const title = screen.getByLabelText("Title");
    await waitFor(() => expect(describedText(title)).toContain("Title can be at most 300 characters."));
    expect(title.getAttribute("aria-invalid")).toBe("true");
  });

  it("cancels an upload in progress", async () => {
    const { xhr } = setup({ manual: true });
    await chooseFile(audioFile());
    submit();
    await waitFor(() => expect(xhr.sent).toHaveLength(1));
    fireEvent.click(await screen.findByRole("button", { name: "Cancel upload" }));
    await waitFor(() => expect(document.body.textContent).toContain("Upload cancelled."));
    expect(xhr.last().aborted).toBe(true);
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.getByRole("button", { name: "Upload" })).toBeTruthy();
  });
});

describe("<UploadsPage> edit and delete", () => {
  it("edits an upload's tags in place (PATCH) and returns focus to its button", async () => {
    const patches: unknown[] = [];
    const { setUploads } = setup({
      routes: [
        (url, init) => {
          if (decodeURIComponent(url.pathname) !== `/track/uploads/${uploadFixture(1).id}` || init.method !== "PATCH") return undefined;
          patches.push(JSON.parse(String(init.body)));
          return jsonResponse(uploadFixture(1));
        },
      ],
    });
    fireEvent.click(await screen.findByRole("button", { name: "Edit tags of Song 1" }));
    const form = screen.getByRole("form", { name: "Edit tags of Song 1" });
    const title = within(form).getByLabelText("Title");
    expect(document.activeElement).toBe(title);
    expect((within(form).getByLabelText("Artists") as HTMLTextAreaElement).value).toBe("Singer 1");
    fireEvent.change(title, { target: { value: "Renamed" } });
    fireEvent.change(within(form).getByLabelText("Artists"), { target: { value: "Ann\nBob" } });
    fireEvent.change(within(form).getByLabelText("Album"), { target: { value: "" } });
    setUploads([uploadFixture(1, { track: { ...uploadFixture(1).track, name: "Renamed", artists: ["Ann", "Bob"], album: "" } }), uploadFixture(2)]);
    fireEvent.click(within(form).getByRole("button", { name: "Save tags" }));

    await waitFor(() => expect(patches).toEqual([{ name: "Renamed", artists: ["Ann", "Bob"], album: "" }]));
    expect(await screen.findByText("Renamed")).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("button", { name: "Edit tags of Renamed" })));
    expect(screen.queryByRole("form", { name: /Edit tags/ })).toBeNull();
  });

  it("will not save an empty title, and Escape closes the form", async () => {
    const { fetch } = setup();
    fireEvent.click(await screen.findByRole("button", { name: "Edit tags of Song 1" }));
    const form = screen.getByRole("form", { name: "Edit tags of Song 1" });
    const title = within(form).getByLabelText("Title");
    fireEvent.change(title, { target: { value: "  " } });
    fireEvent.click(within(form).getByRole("button", { name: "Save tags" }));
    await waitFor(() => expect(describedText(title)).toContain("Title is required."));
    expect(fetch.mock.calls.some(([request]) => (request as Request).method === "PATCH")).toBe(false);

    fireEvent.change(title, { target: { value: "Fine" } });
    const artists = within(form).getByLabelText("Artists");
    fireEvent.change(artists, { target: { value: " , " } });
    fireEvent.click(within(form).getByRole("button", { name: "Save tags" }));
    await waitFor(() => expect(describedText(artists)).toContain("Name at least one artist."));
    expect(fetch.mock.calls.some(([request]) => (request as Request).method === "PATCH")).toBe(false);

    fireEvent.keyDown(title, { key: "Escape" });
    expect(screen.queryByRole("form", { name: /Edit tags/ })).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("button", { name: "Edit tags of Song 1" })));
  });

  it("shows the server's refusal of an edit under the field", async () => {
    setup({
      routes: [
        (url, init) =>
          url.pathname.startsWith("/track/uploads/") && init.method === "PATCH"
            ? jsonResponse({ detail: "album: Ensure this field has no more than 300 characters.", code: "invalid", errors: { album: ["Ensure this field has no more than 300 characters."] } }, 400)
            : undefined,
      ],
    });
    fireEvent.click(await screen.findByRole("button", { name: "Edit tags of Song 1" }));
    const form = screen.getByRole("form", { name: "Edit tags of Song 1" });
    fireEvent.click(within(form).getByRole("button", { name: "Save tags" }));
    const album = within(form).getByLabelText("Album");
    await waitFor(() => expect(describedText(album)).toContain("Album can be at most 300 characters."));
  });

  it("deletes an upload after asking, and says so", async () => {
    const deletes: string[] = [];
    const { setUploads } = setup({
      routes: [
        (url, init) => {
          if (!url.pathname.startsWith("/track/uploads/") || init.method !== "DELETE") return undefined;
          deletes.push(decodeURIComponent(url.pathname));
          return jsonResponse(null, 204);
        },
      ],
    });
    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    const button = await screen.findByRole("button", { name: "Delete Song 1" });
    fireEvent.click(button);
    expect(confirm).toHaveBeenCalledWith("Delete “Song 1”? It leaves every room's queue, and this cannot be undone.");
    expect(deletes).toEqual([]);

    setUploads([uploadFixture(2)]);
    fireEvent.click(button);
    await waitFor(() => expect(deletes).toEqual([`/track/uploads/${uploadFixture(1).id}`]));
    await waitFor(() => expect(screen.queryByText("Song 1")).toBeNull());
    expect(document.body.textContent).toContain("Deleted “Song 1”.");
    expect(document.activeElement).toBe(screen.getByRole("heading", { name: /Your files/ }));
    expect(screen.getByTestId("upload-quota").textContent).toBe("3 MB of 500 MB used · 1 file");
  });

  it("says why a delete failed", async () => {
    setup({
      routes: [
        (url, init) =>
          url.pathname.startsWith("/track/uploads/") && init.method === "DELETE" ? jsonResponse({ detail: "Not found.", code: "not_found" }, 404) : undefined,
      ],
    });
    vi.spyOn(window, "confirm").mockReturnValue(true);
    fireEvent.click(await screen.findByRole("button", { name: "Delete Song 1" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Not found.");
  });
});
