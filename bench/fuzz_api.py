"""Property-based fuzzing of the whole REST API against its own OpenAPI schema (schemathesis).

    .venv/bin/python bench/fuzz_api.py                     # the full run: >= 30,000 cases
    .venv/bin/python bench/fuzz_api.py --ci                # the same, capped to about two minutes
    .venv/bin/python bench/fuzz_api.py --max-examples 50   # a quicker look

Starts a real server on 127.0.0.1 (Daphne, DEBUG off, rate limits off with
RATE_LIMITS_ENABLED=0, dev login on) on a fresh database: a throwaway SQLite file, or with
DATABASE_URL=postgres://… a throwaway database created beside the one named there and dropped
at the end. REDIS_URL and CELERY_BROKER_URL are passed through as given (services mode).
It migrates, loads a few demo tracks, rooms and users, issues access tokens with
`manage.py issue_token --create`, and runs schemathesis with every check against
/api/schema/, authenticated:

1. every operation but `POST /auth/logout`, as one user;
2. `POST /auth/logout` alone, as another user, so the main run never revokes its own token.

It prints the cases generated and the findings by kind, and exits 1 on any server error,
schema violation (body, content type or headers not as documented), undocumented status
code, or run error. The data checks (schema-valid input refused, invalid input accepted,
undeclared methods, stateful use-after-delete, auth) are counted and listed too; they judge
the server's input rules rather than the document, which JSON Schema cannot always state
(an unknown id, "no friend request to yourself", DRF taking 0 for "0"), so they fail the run
only with --strict. Failures are written to schemathesis's JSON and JUnit reports under
--report-dir, with `st replay` ids, for reproduction.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
LOGOUT = "/auth/logout"

# schemathesis failure codes (`st explain CODE`) -> the kinds of finding the summary counts.
KINDS = {
    "ST101": "server errors",  # a 5xx
    "ST102": "server errors",  # a 5xx for an undeclared Content-Type
    "ST103": "undocumented status codes",
    **dict.fromkeys(
        ["ST104", "ST105", "ST106", "ST107", "ST108", "ST109", "ST110", "ST111"], "schema violations"
    ),  # content type, headers, body or its JSON not as documented
}
ADVISORY = "data checks (advisory)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_database(url: str, workdir: Path) -> tuple[str, str | None]:
    """Returns (DATABASE_URL for the run, PostgreSQL database to drop afterwards or None)."""
    if not url or url.startswith("sqlite"):
        return f"sqlite:///{workdir / 'fuzz.sqlite3'}", None
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'tunewave'}_fuzz"
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), name


def drop_database(url: str, name: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_env(database_url: str, workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Nothing may leave the machine: no OAuth or Spotify credentials, so no outgoing calls.
    for name in ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET"):
        env.pop(name, None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tunewave.settings",
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "RATE_LIMITS_ENABLED": "0",
            "TUNEWAVE_DEV_LOGIN": "1",
            # The run must outlive the default 15-minute access token.
            "JWT_ACCESS_MINUTES": str(24 * 60),
            "MEDIA_ROOT": str(workdir / "media"),
            "SERVE_MEDIA": "1",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def wait_until_up(base: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server exited with status {server.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310 (our own server)
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    sys.exit(f"the server did not answer {base}/healthz within {timeout:.0f} s")


def schemathesis(
    *,
    base: str,
    token: str,
    label: str,
    report_dir: Path,
    include_logout: bool,
    max_examples: int | None,
    max_seconds: int | None,
    workers: str,
    seed: int | None,
) -> dict:
    report = report_dir / f"{label}.json"
    command = [
        PYTHON,
        "-m",
        "schemathesis.cli",
        "run",
        f"{base}/api/schema/",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {token}",
        "--workers",
        workers,
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--no-color",
        "--report",
        "json,junit",
        "--report-json-path",
        str(report),
        "--report-junit-path",
        str(report_dir / f"{label}.xml"),
    ]
    command += ["--include-path", LOGOUT] if include_logout else ["--exclude-path", LOGOUT]
    if max_examples is not None:
        command += ["--max-examples", str(max_examples)]
    if max_seconds is not None:
        command += ["--max-time", str(max(1, max_seconds))]
    if seed is not None:
        command += ["--seed", str(seed)]
    print(f"\n--- schemathesis: {label} ---", flush=True)
    # Run from the report directory: schemathesis keeps replay data in ./.schemathesis/.
    subprocess.run(command, cwd=report_dir, check=False)
    if not report.exists():
        sys.exit(f"schemathesis wrote no report ({report})")
    return json.loads(report.read_text())


def tally(reports: list[dict]) -> dict[str, int]:
    counts = {"cases": 0, **dict.fromkeys(KINDS.values(), 0), ADVISORY: 0, "run errors": 0}
    for report in reports:
        counts["cases"] += report["test_cases"]["generated"]
        for failure in report["failures"]:
            counts[KINDS.get(failure["code"], ADVISORY)] += failure["count"]
        counts["run errors"] += sum(error["count"] for error in report["errors"])
        counts["run errors"] += 0 if report["complete"] else 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--max-examples", type=int, default=None, help="cases per operation and phase (default 1200; --ci: none)"
    )
    parser.add_argument("--strict", action="store_true", help="fail on the advisory data checks too")
    parser.add_argument("--logout-examples", type=int, default=None, help="cases for POST /auth/logout (default 300)")
    parser.add_argument("--max-seconds", type=int, default=None, help="wall-clock cap for the whole script")
    parser.add_argument("--ci", action="store_true", help="capped run for CI: --max-seconds 120")
    parser.add_argument("--workers", default="2", help="concurrent schemathesis workers (default 2)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--report-dir", type=Path, default=None, help="where the reports go (default: a temp dir)")
    args = parser.parse_args()
    if args.ci and args.max_seconds is None:
        args.max_seconds = 120
    capped = args.max_seconds is not None
    max_examples = args.max_examples if args.max_examples is not None else (None if capped else 1200)
    logout_examples = args.logout_examples if args.logout_examples is not None else (None if capped else 300)

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="tunewave-fuzz-"))
    report_dir = args.report_dir or workdir / "reports"
    report_dir.mkdir(parents=True, exist_ok=True)
    given_url = os.environ.get("DATABASE_URL", "")
    database_url, pg_name = fresh_database(given_url, workdir)
    env = server_env(database_url, workdir)
    server = None
    try:
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        manage(env, "load_demo_data", "--tracks", "30", "--no-audio", "--verbosity", "0")
        token, logout_token = manage(env, "issue_token", "fuzz@fuzz.test", "logout@fuzz.test", "--create").split()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = (workdir / "server.log").open("w")
        server = subprocess.Popen(
            [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "tunewave.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until_up(base, server)
        print(f"server: {base} ({'PostgreSQL ' + pg_name if pg_name else 'SQLite'}), log {workdir / 'server.log'}")

        main_budget = logout_budget = None
        if capped:
            left = args.max_seconds - (time.monotonic() - started) - 20  # teardown and reporting
            logout_budget = max(5, int(left * 0.1))
            main_budget = max(10, int(left - logout_budget))
        common = {"base": base, "report_dir": report_dir, "workers": args.workers, "seed": args.seed}
        reports = [
            schemathesis(
                token=token,
                label="api",
                include_logout=False,
                max_examples=max_examples,
                max_seconds=main_budget,
                **common,
            ),
            schemathesis(
                token=logout_token,
                label="logout",
                include_logout=True,
                max_examples=logout_examples,
                max_seconds=logout_budget,
                **common,
            ),
        ]
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        if pg_name:
            drop_database(given_url, pg_name)

    counts = tally(reports)
    tracebacks = (workdir / "server.log").read_text(errors="replace").count("Traceback (most recent call last)")
    print("\n=== fuzz_api summary ===")
    rows = {
        "operations tested": sum(r["operations"]["tested"] for r in reports if r["operations"]),
        **counts,
        "tracebacks in server log": tracebacks,
        "wall time": f"{time.monotonic() - started:.0f} s",
        "reports": report_dir,
    }
    for name, value in rows.items():
        print(f"{name:<28}{value}")
    for report in reports:
        for failure in report["failures"]:
            print(f"  {failure['code']}: {failure['count']} x {failure['title']} -- {', '.join(failure['operations'])}")
        for error in report["errors"]:
            print(f"  error: {error['count']} x {error['title']}")
    failing = [name for name in ("server errors", "schema violations", "undocumented status codes", "run errors")]
    if args.strict:
        failing.append(ADVISORY)
    if any(counts[name] for name in failing):
        print(f"FAIL: {', '.join(f'{counts[n]} {n}' for n in failing if counts[n])} (see above)")
        return 1
    if args.report_dir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"PASS: 0 server errors, 0 schema violations, 0 undocumented status codes in {counts['cases']} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
