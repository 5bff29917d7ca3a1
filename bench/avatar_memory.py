"""What avatar uploads cost a Daphne process in memory.

    python3 bench/avatar_memory.py [--repo .] [--python .venv/bin/python]

Starts a real Daphne (DEBUG=0, SQLite and media in a temporary directory) on 127.0.0.1 for
each case, so one case's freed-but-kept heap does not blur the next, warms it up with one
small avatar upload, and then sends:

  a. one 6320x6320 RGBA PNG, mostly one flat colour (about 150 KB on the wire, 40 MP);
  b. six of those at once, from six users;
  c. a 50 MB multipart POST to /users/me/avatar without credentials;
  d. a 12-megapixel (4000x3000) JPEG, as a phone takes it;
  e. a 4000x4000 RGBA PNG (16 MP: the largest PNG the new rules still take).

For each case it prints the HTTP statuses, the server's resident memory before the case
(VmRSS) and its peak during the case (VmHWM, reset through /proc/<pid>/clear_refs just
before; a 10 ms VmRSS sampler stands in where that reset is not allowed). `--repo` may point
at another checkout (e.g. `git worktree add /tmp/tw_before <commit>`) to measure old code
with this script; `--python` is the interpreter whose Daphne runs it.
"""

import argparse
import http.client
import io
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from PIL import Image

HOST = "127.0.0.1"
MB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- the images ---------------------------------------------------------------------------


def flat_png(side: int = 6320) -> bytes:
    image = Image.new("RGBA", (side, side), (30, 120, 200, 255))
    # A little detail so it is an image, not one colour; still compresses to ~150 KB.
    for i in range(0, side, 79):
        image.paste((250, 200, 20, 128), (i, i, min(side, i + 40), min(side, i + 40)))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def phone_jpeg(size: tuple[int, int] = (4000, 3000)) -> bytes:
    gradient = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 24)
    image = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def tiny_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(out, format="PNG")
    return out.getvalue()


def multipart(content: bytes, filename: str, content_type: str) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="avatar_file"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# --- the server -----------------------------------------------------------------------------


class Server:
    def __init__(self, repo: Path, python: Path, workdir: Path):
        self.repo, self.python, self.workdir = repo, python, workdir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "CELERY_"))}
        self.env.update(
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS=HOST,
            SECURE_SSL_REDIRECT="0",
            DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
            MEDIA_ROOT=str(workdir / "media"),
            LOG_LEVEL="ERROR",
        )
        self.proc: subprocess.Popen | None = None
        self.port = 0

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [str(self.python), "manage.py", *args],
            cwd=self.repo,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def tokens(self, emails: list[str]) -> list[str]:
        return self.manage("issue_token", "--create", *emails).split()

    def start(self) -> None:
        self.port = free_port()
        daphne = self.python.with_name("daphne")
        log = open(self.workdir / f"daphne-{self.port}.log", "wb")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [str(daphne), "-b", HOST, "-p", str(self.port), "--access-log", "/dev/null", "tunewave.asgi:application"],
            cwd=self.repo,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _ = self.request("GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"daphne did not start; see {log.name}")

    def stop(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
            self.proc = None

    def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
        try:
            conn.request(method, path, body=body or None, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def upload(self, token: str | None, content: bytes, filename: str, content_type: str) -> int:
        body, kind = multipart(content, filename, content_type)
        headers = {"Content-Type": kind}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            return self.request("POST", "/users/me/avatar", body, headers)[0]
        except OSError:  # the server closed the connection while the body was still going
            return 0

    # /proc/<pid>/status of the Daphne process itself (the popen'd executable).
    def memory(self) -> dict[str, int]:
        values = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) * 1024
        return values

    def reset_peak(self) -> bool:
        try:
            Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True


class Sampler(threading.Thread):
    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.server, self.peak, self.running = server, 0, True

    def run(self) -> None:
        while self.running:
            try:
                self.peak = max(self.peak, self.server.memory()["VmRSS"])
            except (OSError, KeyError):
                pass
            time.sleep(0.01)


def measure(server: Server, action) -> dict:
    server.start()
    try:
        warm = server.tokens(["warmup@example.com"])[0]
        server.upload(warm, tiny_png(), "warm.png", "image/png")
        time.sleep(0.5)
        before = server.memory()["VmRSS"]
        exact = server.reset_peak()
        sampler = Sampler(server)
        sampler.start()
        started = time.monotonic()
        statuses = action()
        seconds = time.monotonic() - started
        time.sleep(0.3)
        sampler.running = False
        sampler.join()
        peak = server.memory()["VmHWM"] if exact else sampler.peak
        return {
            "statuses": statuses,
            "seconds": round(seconds, 2),
            "rss_before_mb": round(before / MB),
            "peak_mb": round(max(peak, sampler.peak) / MB),
            "delta_mb": round((max(peak, sampler.peak) - before) / MB),
        }
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()

    repo, python = Path(args.repo).resolve(), Path(args.python).absolute()
    png, jpeg, png16 = flat_png(), phone_jpeg(), flat_png(4000)
    junk = os.urandom(50 * MB)
    print(f"images: PNG 6320x6320 RGBA {len(png) // 1024} KB, JPEG 4000x3000 {len(jpeg) // 1024} KB")

    with tempfile.TemporaryDirectory(prefix="tunewave-avatar-bench-") as tmp:
        server = Server(repo, python, Path(tmp))
        server.manage("migrate", "--noinput", "--verbosity", "0")
        tokens = server.tokens([f"bench{i}@example.com" for i in range(9)])

        def one_png():
            return [server.upload(tokens[0], png, "big.png", "image/png")]

        def six_pngs():
            results = [0] * 6

            def send(i: int) -> None:
                results[i] = server.upload(tokens[1 + i], png, "big.png", "image/png")

            threads = [threading.Thread(target=send, args=(i,)) for i in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return results

        def anonymous_50mb():
            return [server.upload(None, junk, "junk.png", "image/png")]

        def phone_photo():
            return [server.upload(tokens[7], jpeg, "photo.jpg", "image/jpeg")]

        def png_16mp():
            return [server.upload(tokens[8], png16, "16mp.png", "image/png")]

        cases = [
            ("a. one 6320x6320 RGBA PNG", one_png),
            ("b. six of them at once", six_pngs),
            ("c. 50 MB multipart, anonymous", anonymous_50mb),
            ("d. 12 MP JPEG", phone_photo),
            ("e. 4000x4000 RGBA PNG (16 MP)", png_16mp),
        ]
        rows = {}
        print(f"{'case':34}{'statuses':>26}{'s':>7}{'RSS before MB':>15}{'peak MB':>9}{'+MB':>7}")
        for name, action in cases:
            row = measure(server, action)
            rows[name] = row
            print(
                f"{name:34}{','.join(map(str, row['statuses'])):>26}{row['seconds']:>7}"
                f"{row['rss_before_mb']:>15}{row['peak_mb']:>9}{row['delta_mb']:>7}"
            )
        if args.json:
            print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
