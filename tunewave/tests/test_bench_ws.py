"""bench/ws_join.py still runs: five listeners join a room on one embedded Daphne.

Not a timing test (the benchmarks stay out of CI): it checks that the bench starts its
servers, joins every listener to its first frame and prints its table, so it does not rot
between the runs that bench/README.md records.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = Path(sys.executable).with_name("daphne")


@pytest.mark.skipif(not DAPHNE.exists(), reason="daphne is not installed next to this Python")
def test_it_joins_five_listeners_to_one_room_and_prints_the_table(tmp_path):
    env = {
        **os.environ,
        # Embedded whatever mode the suite runs in: its own SQLite file, the in-memory layer.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
    }
    result = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "bench/ws_join.py", "--clients", "5", "--servers", "1", "--configs", "tunewave,bare"]
        + ["--modes", "burst", "--logdir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    rows = {
        line.split()[0]: line.split()
        for line in result.stdout.splitlines()
        if line.split()[:1] in (["tunewave"], ["bare"])
    }
    # config, processes, mode, N, joined, ..., retries, dropped handshakes, failures
    for config in ("tunewave", "bare"):
        row = rows[config]
        assert row[1:5] == ["1", "burst", "5", "5"], row
        assert row[12] == "0", row  # no listener failed to join
    assert "TuneWave against the floors in this run" in result.stdout
