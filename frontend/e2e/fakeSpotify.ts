/**
 * A stand-in for Spotify's Web Playback SDK, injected into a page before the app loads
 * (`page.addInitScript(fakeSpotifySdk)`). The real SDK needs the internet and a Premium
 * account; this one keeps the parts TuneWave's Spotify engine uses:
 *
 * - `new Spotify.Player({name, getOAuthToken, volume})`, `connect()`, `addListener`/
 *   `removeListener`, `getCurrentState()`, `seek`, `pause`, `resume`, `setVolume`,
 *   `getVolume`, `activateElement`, `disconnect`;
 * - `connect()` asks for a token (the app's GET /auth/spotify/player-token) and, once one
 *   comes, announces `ready` with a device id;
 * - Spotify starts playback when the Web API is told to (`PUT …/v1/me/player/play?device_id=`),
 *   not through the SDK: the fake watches the page's fetch for that call (and still sends it
 *   on, to the local Spotify stub) and starts "playing" after a simulated start-up delay, from
 *   the position asked for, on the page's clock; seeks land after a delay too.
 *
 * `window.__fakeSpotify` lets a test read what happened: the tokens given, the device, the
 * track playing and its position now.
 */
export function fakeSpotifySdk({ startDelayMs, seekDelayMs }: { startDelayMs: number; seekDelayMs: number }) {
  type Listener = (payload: unknown) => void;
  const now = () => performance.now();
  const record = {
    tokens: [] as string[],
    deviceId: null as string | null,
    uri: null as string | null,
    plays: 0,
    seeks: 0,
    // The position is `base + (now - since)` while playing.
    base: 0,
    since: 0,
    paused: true,
    volume: 1,
    position(): number {
      return this.paused ? this.base : this.base + (now() - this.since);
    },
  };
  let player: FakePlayer | null = null;

  function startAt(positionMs: number, uri: string | null, delayMs: number) {
    window.setTimeout(() => {
      if (uri) record.uri = uri;
      record.base = positionMs;
      record.since = now();
      record.paused = false;
      player?.emit("player_state_changed", player.state());
    }, delayMs);
  }

  class FakePlayer {
    private listeners = new Map<string, Set<Listener>>();
    constructor(private readonly options: { name: string; getOAuthToken: (cb: (token: string) => void) => void; volume?: number }) {
      record.volume = options.volume ?? 1;
      player = this;
    }
    emit(event: string, payload: unknown) {
      for (const listener of this.listeners.get(event) ?? []) listener(payload);
    }
    state() {
      if (!record.uri) return null;
      const id = record.uri.split(":").pop() ?? "";
      return {
        paused: record.paused,
        position: Math.round(record.position()),
        duration: 600_000,
        track_window: { current_track: { id, uri: record.uri, name: "", artists: [] } },
      };
    }
    addListener(event: string, listener: Listener) {
      if (!this.listeners.has(event)) this.listeners.set(event, new Set());
      this.listeners.get(event)!.add(listener);
      return true;
    }
    on(event: string, listener: Listener) {
      return this.addListener(event, listener);
    }
    removeListener(event: string, listener?: Listener) {
      if (listener) this.listeners.get(event)?.delete(listener);
      else this.listeners.delete(event);
      return true;
    }
    connect() {
      return new Promise<boolean>((resolve) => {
        this.options.getOAuthToken((token) => {
          record.tokens.push(token);
          if (!record.deviceId) record.deviceId = `fake-device-${Math.random().toString(36).slice(2, 10)}`;
          window.setTimeout(() => this.emit("ready", { device_id: record.deviceId }), 20);
        });
        resolve(true);
      });
    }
    disconnect() {
      record.paused = true;
      return true;
    }
    getCurrentState() {
      return Promise.resolve(this.state());
    }
    seek(positionMs: number) {
      record.seeks += 1;
      const paused = record.paused;
      if (paused) record.base = positionMs;
      else startAt(positionMs, null, seekDelayMs);
      return Promise.resolve();
    }
    pause() {
      record.base = record.position();
      record.paused = true;
      this.emit("player_state_changed", this.state());
      return Promise.resolve();
    }
    resume() {
      if (record.paused) startAt(record.base, null, startDelayMs);
      return Promise.resolve();
    }
    togglePlay() {
      return record.paused ? this.resume() : this.pause();
    }
    setVolume(volume: number) {
      record.volume = volume;
      return Promise.resolve();
    }
    getVolume() {
      return Promise.resolve(record.volume);
    }
    activateElement() {
      return Promise.resolve();
    }
  }

  // Spotify's Web API starts playback on a device: watch for it.
  const realFetch = window.fetch.bind(window);
  window.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? (typeof input === "object" && "method" in input ? input.method : "GET")).toUpperCase();
    const response = await realFetch(input, init);
    if (method === "PUT" && /\/v1\/me\/player\/play(\?|$)/.test(url) && response.ok) {
      const device = new URL(url, location.href).searchParams.get("device_id");
      if (device && device === record.deviceId) {
        const body = JSON.parse(String(init?.body ?? "{}")) as { uris?: string[]; position_ms?: number };
        record.plays += 1;
        startAt(body.position_ms ?? 0, body.uris?.[0] ?? record.uri, startDelayMs);
      }
    }
    return response;
  };

  (window as unknown as { Spotify: unknown }).Spotify = { Player: FakePlayer };
  (window as unknown as { __fakeSpotify: unknown }).__fakeSpotify = record;
  // The real SDK calls this once it has loaded.
  const onReady = (window as unknown as { onSpotifyWebPlaybackSDKReady?: () => void }).onSpotifyWebPlaybackSDKReady;
  if (typeof onReady === "function") onReady();
}
