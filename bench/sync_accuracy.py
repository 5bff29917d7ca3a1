"""How far apart do listeners hear a room? Simulated clients run the SPA's own estimator.

    python3 bench/sync_accuracy.py [--clients 1000] [--seed 1] [--moments 20] [--goal-ms 40]

Issue 5's bench: clients with clock offsets of ±500 ms and asymmetric 5-80 ms one-way delays
estimate their offset from time.ping round trips and compute the playing track's position;
this prints the p50/p95/p99/max error of those positions and a verdict on the goal
(p95 at or under 40 ms for the asymmetric scenario). Exit status 1 when the goal is missed.

It is the same code as the SPA's, not a Python copy: frontend/src/lib/clock.ts is compiled
with the TypeScript compiler pinned in frontend/package-lock.json (`npm run build:lib`, to
frontend/build-lib/clock.js, gitignored) and bench/sync_sim.mjs imports that and simulates
the clients under Node (20+). The first run installs frontend/node_modules with `npm ci`
when it is missing; nothing else is fetched. Seeded: the same --seed prints the same table.
"""

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
SIM = ROOT / "bench" / "sync_sim.mjs"
GOAL_KEY = "asym"


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, check=True, **kwargs)


def build_estimator() -> None:
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            sys.exit(f"sync_accuracy: `{tool}` not found; Node 20+ is needed (see README).")
    if not (FRONTEND / "node_modules" / ".bin" / "tsc").exists():
        print("sync_accuracy: installing frontend dev dependencies (npm ci) ...", file=sys.stderr)
        run(["npm", "--prefix", str(FRONTEND), "ci", "--no-audit", "--no-fund"], stdout=sys.stderr)
    # Always rebuild (about a second): the bench must measure the estimator as it is now.
    run(["npm", "--prefix", str(FRONTEND), "run", "--silent", "build:lib"])


def format_table(rows: list[dict]) -> str:
    head = ["scenario", "pings", "p50", "p95", "p99", "max", "pair p95"]
    lines = []
    for r in rows:
        tag = " *" if r["goal"] else " (i)" if r["info"] else " (b)" if r.get("baseline") else ""
        lines.append(
            [r["label"] + tag, str(r["pings"])] + [f"{r[k]:.1f}" for k in ("p50", "p95", "p99", "max", "pair_p95")]
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(head)]

    def fmt(cells):
        return "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells))

    return "\n".join([fmt(head), "  ".join("-" * w for w in widths), *map(fmt, lines)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000, help="simulated clients per scenario")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--moments", type=int, default=20, help="positions computed per client")
    parser.add_argument("--goal-ms", type=float, default=40.0, help="p95 goal for the asymmetric scenario")
    args = parser.parse_args()

    build_estimator()
    out = run(
        [
            "node",
            str(SIM),
            "--json",
            "--clients",
            str(args.clients),
            "--seed",
            str(args.seed),
            "--moments",
            str(args.moments),
        ],
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    rows = result["rows"]

    print(
        f"sync accuracy: {result['clients']} clients per scenario, true offsets uniform in ±500 ms, "
        f"{result['moments']} positions each, seed {result['seed']}"
    )
    print("estimator: frontend/src/lib/clock.ts (ClockSync + playbackPosition), compiled, run under Node")
    print("absolute error of the computed playback position in ms; pair p95: two listeners against each other\n")
    print(format_table(rows))
    print("\n*   the goal scenario (issue 5): 10 pings, one-way delays 5-80 ms drawn independently per leg")
    print("(b) baseline estimators on the goal scenario, for comparison (not the SPA's code)")
    print("(i) informational: a constant one-way bias, which no ping-based estimator can detect")

    goal = next(r for r in rows if r["key"] == GOAL_KEY)
    ok = goal["p95"] <= args.goal_ms
    verdict = "PASS" if ok else "FAIL"
    print(
        f"\n{verdict}: p95 error {goal['p95']:.1f} ms for ±500 ms offsets and 5-80 ms asymmetric delays (goal <= {args.goal_ms:g} ms)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
