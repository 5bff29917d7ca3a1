// Simulated listeners running the SPA's own clock estimator (frontend/src/lib/clock.ts,
// compiled to frontend/build-lib/clock.js by `npm --prefix frontend run build:lib`).
// Normally started by bench/sync_accuracy.py, which builds first; by hand:
//
//     npm --prefix frontend run build:lib && node bench/sync_sim.mjs [--clients 1000] [--seed 1] [--json]
//
// Each client has a true clock offset (server - client) drawn uniformly from ±500 ms. It
// sends time.ping at true time ts; the server stamps server_time = floor(ts + up) (integer
// epoch ms, like chat/consumers.py's now_ms()), the pong arrives at ts + up + down, and the
// client reads its own clock (0.1 ms resolution, like performance.now()). up and down are
// drawn independently per ping from the scenario's delay model. Then, at random true
// moments, the client computes the room's position with ClockSync.serverNow +
// playbackPosition for a playing state; error = computed - true position.
// Everything comes from one seeded PRNG: the same seed prints the same table.

import { ClockSync, playbackPosition } from "../frontend/build-lib/clock.js";

function parseArgs(argv) {
  const args = { clients: 1000, seed: 1, moments: 20, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") args.json = true;
    else if (a === "--clients") args.clients = Number(argv[++i]);
    else if (a === "--seed") args.seed = Number(argv[++i]);
    else if (a === "--moments") args.moments = Number(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

// mulberry32: small, fast, deterministic.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const uniform = (rnd, lo, hi) => lo + (hi - lo) * rnd();

// Delay models: each returns [up, down] in ms for one ping.
const delays = {
  symmetricLow: (rnd) => {
    const d = uniform(rnd, 5, 20);
    return [d + uniform(rnd, 0, 1), d + uniform(rnd, 0, 1)];
  },
  asym: (rnd) => [uniform(rnd, 5, 80), uniform(rnd, 5, 80)],
  asymOutliers: (rnd) => {
    const legs = [uniform(rnd, 5, 80), uniform(rnd, 5, 80)];
    if (rnd() < 0.1) legs[rnd() < 0.5 ? 0 : 1] += uniform(rnd, 100, 1000);
    return legs;
  },
  // A path that is slower one way every time (e.g. a saturated uplink). No ping-based
  // estimator can see this: the error is about half the constant asymmetry.
  biasedPath: (rnd) => [uniform(rnd, 40, 80), uniform(rnd, 5, 20)],
};

const SCENARIOS = [
  { key: "symmetric", label: "symmetric 5-20 ms", delay: "symmetricLow", pings: 10 },
  { key: "asym", label: "asymmetric 5-80 ms (goal)", delay: "asym", pings: 10, goal: true },
  { key: "asym_3pings", label: "asymmetric 5-80 ms, 3 pings", delay: "asym", pings: 3 },
  { key: "asym_outliers", label: "asym 5-80 ms + 10% outliers", delay: "asymOutliers", pings: 10 },
  {
    key: "long_drift",
    label: "asym+outliers, ±50 ppm, 10 min",
    delay: "asymOutliers",
    pings: 10,
    // keep pinging every 15 s for 10 minutes while the client clocks drift
    periodicMs: 15000,
    sessionMs: 600000,
    ppm: 50,
  },
  // baselines on the goal scenario, to show what the estimator buys (not the SPA's code):
  { key: "naive", label: "baseline: latest ping only", delay: "asym", pings: 10, baseline: "latest" },
  { key: "best3", label: "baseline: median of best-3 RTT", delay: "asym", pings: 10, baseline: "best3" },
  { key: "biased_path", label: "one-way biased path 40-80/5-20", delay: "biasedPath", pings: 10, info: true },
];

// The textbook alternative, for the comparison row only: the median of the midpoint
// offsets of the k lowest-RTT samples of the last 20.
class MedianOfBest {
  constructor(k) {
    this.k = k;
    this.samples = [];
  }
  sample(t0, serverTime, t1) {
    this.samples.push({ rtt: t1 - t0, offset: serverTime - (t0 + t1) / 2 });
    if (this.samples.length > 20) this.samples.shift();
  }
  serverNow(clientNow) {
    const best = this.samples.slice().sort((a, b) => a.rtt - b.rtt).slice(0, this.k).map((s) => s.offset);
    best.sort((a, b) => a - b);
    const m = best.length >> 1;
    return clientNow + (best.length % 2 ? best[m] : (best[m - 1] + best[m]) / 2);
  }
}

const BURST_SPACING_MS = 250; // the initial pings go out a quarter second apart
const EPOCH = 1_767_225_600_000; // some epoch ms; server time = true time

function runScenario(sc, args) {
  const rnd = prng(args.seed * 7919 + SCENARIOS.indexOf(sc) * 104729);
  const delay = delays[sc.delay];
  const errors = [];
  const clientErrors = []; // one representative error per client, for listener-vs-listener
  for (let c = 0; c < args.clients; c++) {
    const offset = uniform(rnd, -500, 500); // server - client
    const rate = 1 + (sc.ppm ? uniform(rnd, -sc.ppm, sc.ppm) * 1e-6 : 0);
    const start = EPOCH + uniform(rnd, 0, 3_600_000);
    // the client's clock at true (server) time t, at performance.now()-like resolution
    const clientClock = (t) => Math.round(((t - offset) + (t - start) * (rate - 1)) * 10) / 10;
    const sync = sc.baseline === "best3" ? new MedianOfBest(3) : new ClockSync(sc.baseline === "latest" ? { window: 1 } : {});

    const pingTimes = [];
    for (let i = 0; i < sc.pings; i++) pingTimes.push(start + i * BURST_SPACING_MS);
    const burstEnd = start + sc.pings * BURST_SPACING_MS + 2000;
    const sessionEnd = burstEnd + (sc.sessionMs ?? 60000);
    if (sc.periodicMs) {
      for (let t = burstEnd; t < sessionEnd; t += sc.periodicMs) pingTimes.push(t + uniform(rnd, 0, 1000));
    }
    // pongs, in true time of arrival (a slow one may land after a later one)
    const pongs = pingTimes.map((ts) => {
      const [up, down] = delay(rnd);
      return { arrive: ts + up + down, t0: clientClock(ts), serverTime: Math.floor(ts + up), t1: clientClock(ts + up + down) };
    });
    pongs.sort((a, b) => a.arrive - b.arrive);

    // a playing state the server sent some time before: position_ms valid at server_time
    const state = {
      status: "playing",
      position_ms: Math.floor(uniform(rnd, 0, 60000)),
      server_time: Math.floor(burstEnd - uniform(rnd, 0, 30000)),
      track: { duration_ms: 3_600_000 },
    };
    const moments = [];
    for (let m = 0; m < args.moments; m++) moments.push(uniform(rnd, burstEnd, sessionEnd));
    moments.sort((a, b) => a - b);

    let p = 0;
    for (const t of moments) {
      while (p < pongs.length && pongs[p].arrive <= t) {
        const s = pongs[p++];
        sync.sample(s.t0, s.serverTime, s.t1);
      }
      const computed = playbackPosition(state, sync.serverNow(clientClock(t)));
      const truth = playbackPosition(state, t);
      errors.push(computed - truth);
    }
    clientErrors.push(errors[errors.length - 1]);
  }

  const abs = errors.map(Math.abs).sort((a, b) => a - b);
  const pct = (q) => abs[Math.min(abs.length - 1, Math.floor(q * abs.length))];
  // two listeners of the same room: how far apart they hear the track
  const pair = [];
  for (let i = 0; i < 5000; i++) {
    const a = clientErrors[Math.floor(rnd() * clientErrors.length)];
    const b = clientErrors[Math.floor(rnd() * clientErrors.length)];
    pair.push(Math.abs(a - b));
  }
  pair.sort((a, b) => a - b);
  const r1 = (x) => Math.round(x * 10) / 10;
  return {
    key: sc.key,
    label: sc.label,
    goal: Boolean(sc.goal),
    info: Boolean(sc.info),
    baseline: sc.baseline ?? null,
    clients: args.clients,
    pings: sc.pings + (sc.periodicMs ? "+15s" : ""),
    samples: errors.length,
    p50: r1(pct(0.5)),
    p95: r1(pct(0.95)),
    p99: r1(pct(0.99)),
    max: r1(abs[abs.length - 1]),
    pair_p95: r1(pair[Math.floor(0.95 * pair.length)]),
  };
}

export function formatTable(rows) {
  const head = ["scenario", "pings", "p50", "p95", "p99", "max", "pair p95"];
  const lines = rows.map((r) => [
    r.label + (r.goal ? " *" : r.info ? " (i)" : r.baseline ? " (b)" : ""),
    String(r.pings),
    ...[r.p50, r.p95, r.p99, r.max, r.pair_p95].map((x) => x.toFixed(1)),
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join("  ");
  return [fmt(head), width.map((w) => "-".repeat(w)).join("  "), ...lines.map(fmt)].join("\n");
}

const args = parseArgs(process.argv.slice(2));
const rows = SCENARIOS.map((sc) => runScenario(sc, args));
if (args.json) {
  process.stdout.write(JSON.stringify({ clients: args.clients, seed: args.seed, moments: args.moments, rows }) + "\n");
} else {
  console.log(`${args.clients} clients per scenario, offsets ±500 ms, ${args.moments} moments each, seed ${args.seed}`);
  console.log("absolute position error in ms (computed - true); pair p95: two listeners vs each other");
  console.log(formatTable(rows));
  console.log("*   the goal scenario: p95 <= 40 ms");
  console.log("(b) baseline estimators on the goal scenario, for comparison (not the SPA's code)");
  console.log("(i) informational: a constant one-way bias, which no ping-based estimator can detect");
}
