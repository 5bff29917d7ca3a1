"""Times `import_listening_history` on synthetic CSVs and shows that its memory stays flat.

    python bench/import_history.py [--rows 100000 1000000] [--again]

For each size it writes the CSV if missing (bench/make_history_csv.py, in /tmp/tunewave_bench),
empties the database, and imports the file in a fresh process, so that each figure of
peak memory (ru_maxrss) belongs to that import alone. The database is DATABASE_URL if set
(a PostgreSQL one is flushed first: point it at a database kept for benchmarks), else a
SQLite file in /tmp/tunewave_bench. `--again` imports each file a second time, which must
add nothing. Prints elapsed seconds, rows/s and peak RSS per run.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path("/tmp/tunewave_bench")


def rss_now_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child_prepare() -> None:
    """Gives the benchmark an empty, migrated database."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)


def child_import(csv_path: str) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    from music.models import ListeningEvent, Track

    baseline = rss_now_mb()
    bad_rows = open(WORK / "bad_rows.txt", "w")  # noqa: SIM115 - closed below, kept out of the timing
    started = time.perf_counter()
    call_command("import_listening_history", csv_path, stdout=sys.stdout, stderr=bad_rows)
    elapsed = time.perf_counter() - started
    bad_rows.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    rows = sum(1 for _ in open(csv_path)) - 1
    print(
        "RESULT "
        + json.dumps(
            {
                "rows": rows,
                "seconds": round(elapsed, 1),
                "rows_per_s": round(rows / elapsed),
                "baseline_rss_mb": round(baseline, 1),
                "peak_rss_mb": round(peak, 1),
                "events": ListeningEvent.objects.count(),
                "tracks": Track.objects.count(),
            }
        ),
        flush=True,
    )


def run_child(args: list[str], env: dict) -> dict | None:
    process = subprocess.Popen(
        [sys.executable, __file__, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, bufsize=1
    )
    result = None
    for line in process.stdout:
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
        else:
            print("   ", line, end="", flush=True)
    if process.wait() != 0:
        sys.exit(f"{args[0]} failed with exit code {process.returncode}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--again", action="store_true", help="Import each file a second time too.")
    parser.add_argument("--child-prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-import", metavar="CSV", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tunewave.settings")
    if args.child_prepare:
        return child_prepare()
    if args.child_import:
        return child_import(args.child_import)

    WORK.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{WORK / 'bench.sqlite3'}")
    database = env["DATABASE_URL"]
    print(f"database: {database}")
    results = []
    for rows in args.rows:
        csv_path = WORK / f"history_{rows}.csv"
        if not csv_path.exists():
            print(f"writing {csv_path} ...", flush=True)
            subprocess.run([sys.executable, ROOT / "bench" / "make_history_csv.py", "--rows", str(rows)], check=True)
        if database.startswith("sqlite:"):
            Path(database.removeprefix("sqlite:///").removeprefix("sqlite://")).unlink(missing_ok=True)
        run_child(["--child-prepare"], env)
        print(f"importing {csv_path} ({csv_path.stat().st_size / 2**20:.0f} MB) into an empty database", flush=True)
        results.append(("first import", run_child(["--child-import", str(csv_path)], env)))
        if args.again:
            results.append(("again", run_child(["--child-import", str(csv_path)], env)))

    print()
    print(f"{'run':<13} {'rows':>10} {'seconds':>8} {'rows/s':>8} {'RSS after setup':>16} {'peak RSS':>9}")
    for label, result in results:
        print(
            f"{label:<13} {result['rows']:>10,} {result['seconds']:>8} {result['rows_per_s']:>8,} "
            f"{result['baseline_rss_mb']:>13} MB {result['peak_rss_mb']:>6} MB"
        )
    print(f"bad rows reported by the last run: {WORK / 'bad_rows.txt'}")


if __name__ == "__main__":
    main()
