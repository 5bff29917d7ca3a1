"""How long `make run` takes on a fresh machine, from a clean clone to a working server.

    python3 bench/make_run.py [--repo .] [--keep-caches] [--timeout 600]

Clones the repository (HEAD) into a temporary directory and runs `make run` there on a free
port, with pip's and npm's download caches turned off (PIP_NO_CACHE_DIR=1, an empty npm
cache) unless --keep-caches, so every package is downloaded as on a new machine. It prints
the seconds until /healthz answers 200, until /api/docs/ serves the Swagger page, and until
/app/ serves the built web app (built in the background by `make run`), then stops the
server and deletes the clone. The issue's goal: /healthz and /api/docs/ within 120 s.
"""

import argparse
import os
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

GOAL_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except OSError:
        return 0, b""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--keep-caches", action="store_true", help="let pip and npm use their caches")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tunewave-make-run-"))
    clone = workdir / "tunewave"
    subprocess.run(["git", "clone", "--quiet", args.repo, str(clone)], check=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "CELERY_"))}
    if not args.keep_caches:
        env["PIP_NO_CACHE_DIR"] = "1"
        env["npm_config_cache"] = str(workdir / "npm-cache")
    log = open(workdir / "make-run.log", "wb")  # noqa: SIM115 - closed below
    start = time.monotonic()
    proc = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    marks: dict[str, float] = {}
    try:
        while time.monotonic() - start < args.timeout and len(marks) < 3:
            if proc.poll() is not None:
                print(f"make run exited with {proc.returncode}; log:\n{(workdir / 'make-run.log').read_text()[-3000:]}")
                return 1
            now = time.monotonic() - start
            if "healthz" not in marks and fetch(f"{base}/healthz")[0] == 200:
                marks["healthz"] = now
            if "healthz" in marks and "docs" not in marks:
                status, body = fetch(f"{base}/api/docs/")
                if status == 200 and b"swagger" in body.lower():
                    marks["docs"] = now
            if "healthz" in marks and "app" not in marks:
                status, body = fetch(f"{base}/app/")
                if status == 200 and b"/static/app/assets/" in body:
                    marks["app"] = now
            time.sleep(0.25)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)

    caches = "pip and npm caches kept" if args.keep_caches else "no pip or npm cache"
    print(f"make run on a clean clone ({caches}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}):")
    for key, label in (("healthz", "/healthz answers"), ("docs", "/api/docs/ serves"), ("app", "/app/ web app built")):
        value = marks.get(key)
        print(f"  {label:<22} {value:6.1f} s" if value is not None else f"  {label:<22}  not within {args.timeout:g} s")
    ready = max(marks.get("healthz", float("inf")), marks.get("docs", float("inf")))
    verdict = "PASS" if ready <= GOAL_SECONDS else "FAIL"
    print(f"{verdict}: API up with docs after {ready:.1f} s (goal <= {GOAL_SECONDS} s)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
