import { ApiError } from "../../api/client";

export interface UploadProgress {
  /** bytes sent so far */
  loaded: number;
  /** bytes in the whole request body */
  total: number;
}

/**
 * A `fetch` for one request, over XMLHttpRequest: fetch() cannot report how much of a request
 * body has been sent, XHR's `upload.onprogress` can. It is handed to openapi-fetch per request
 * (`fetch:` option), so the API client's middleware (bearer token, one refresh and retry on a
 * 401) still runs around it.
 *
 * `body` is the FormData the request was built from: XHR sends it itself (with its own
 * multipart boundary, so the Request's Content-Type is not copied), instead of reading the
 * Request's body stream into memory first.
 */
export function xhrFetch(
  body: FormData,
  onProgress?: (progress: UploadProgress) => void,
): (request: Request) => Promise<Response> {
  return (request) =>
    new Promise<Response>((resolve, reject) => {
      if (request.signal.aborted) {
        reject(new DOMException("The upload was cancelled.", "AbortError"));
        return;
      }
      const xhr = new XMLHttpRequest();
      xhr.open(request.method, request.url);
      request.headers.forEach((value, name) => {
        if (name.toLowerCase() !== "content-type") xhr.setRequestHeader(name, value);
      });
      if (onProgress) {
        xhr.upload.onprogress = (event: ProgressEvent) => {
          if (event.lengthComputable) onProgress({ loaded: event.loaded, total: event.total });
        };
      }
      const onAbort = () => xhr.abort();
      request.signal.addEventListener("abort", onAbort, { once: true });
      const done = () => request.signal.removeEventListener("abort", onAbort);
      xhr.onload = () => {
        done();
        const status = xhr.status;
        resolve(
          new Response(status === 204 || status === 205 ? null : xhr.responseText, {
            status,
            statusText: xhr.statusText,
            headers: parseHeaders(xhr.getAllResponseHeaders()),
          }),
        );
      };
      // As the API client's own transport does: a failure to reach the server is status 0.
      xhr.onerror = () => {
        done();
        reject(new ApiError(0, null));
      };
      xhr.ontimeout = xhr.onerror;
      xhr.onabort = () => {
        done();
        reject(new DOMException("The upload was cancelled.", "AbortError"));
      };
      xhr.send(body);
    });
}

/** "content-type: application/json\r\nretry-after: 12" → Headers */
export function parseHeaders(raw: string): Headers {
  const headers = new Headers();
  for (const line of raw.trim().split(/[\r\n]+/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    try {
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    } catch {
      // A header name the Headers class refuses: nothing the client reads.
    }
  }
  return headers;
}
