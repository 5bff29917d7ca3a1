/**
 * A fake of Spotify's Web Playback SDK for the web app's tests (`window.Spotify = {Player:
 * FakePlayer}`): records what it is asked and emits the SDK's events when told. Test support
 * only; the browser tests have their own (frontend/e2e/fakeSpotify.ts).
 */
import type { SpotifySdkPlayerOptions, SpotifySdkState } from "./spotifyEngine";

/** Spotify's Web Playback SDK, as far as TuneWave uses it. */
export class FakePlayer {
  static last: FakePlayer | null = null;
  readonly calls: [string, ...unknown[]][] = [];
  readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  state: SpotifySdkState | null = null;
  tokens: string[] = [];

  constructor(readonly options: SpotifySdkPlayerOptions) {
    FakePlayer.last = this;
  }
  emit(event: string, payload: unknown) {
    for (const listener of this.listeners.get(event) ?? []) listener(payload);
  }
  /** The SDK's player_state_changed, with the state it keeps. */
  playing(uri: string, position: number, paused = false) {
    this.state = { paused, position, duration: 200_000, track_window: { current_track: { uri } } };
    this.emit("player_state_changed", this.state);
  }
  addListener(event: string, listener: (payload: unknown) => void) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)!.add(listener);
    return true;
  }
  removeListener(event: string, listener?: (payload: unknown) => void) {
    if (listener) this.listeners.get(event)?.delete(listener);
    return true;
  }
  connect() {
    this.calls.push(["connect"]);
    this.options.getOAuthToken((token) => this.tokens.push(token));
    return Promise.resolve(true);
  }
  disconnect() {
    this.calls.push(["disconnect"]);
  }
  getCurrentState() {
    return Promise.resolve(this.state);
  }
  seek(ms: number) {
    this.calls.push(["seek", ms]);
    return Promise.resolve();
  }
  pause() {
    this.calls.push(["pause"]);
    return Promise.resolve();
  }
  resume() {
    this.calls.push(["resume"]);
    return Promise.resolve();
  }
  setVolume(volume: number) {
    this.calls.push(["setVolume", volume]);
    return Promise.resolve();
  }
  activateElement() {
    this.calls.push(["activateElement"]);
    return Promise.resolve();
  }
}
