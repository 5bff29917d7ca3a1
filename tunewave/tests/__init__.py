"""Tests of the project wiring: run modes, Celery, health probes and deployment files.

The helpers below are shared by these modules: they start fresh Python processes whose
settings come only from the variables a test chooses.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
SETTINGS_FILE = BASE_DIR / "tunewave" / "settings.py"

_ENV_READ = re.compile(r"""\benv\.\w+\(\s*["']([A-Z][A-Z0-9_]*)["']""")


def settings_variables() -> list[str]:
    """Every environment variable tunewave/settings.py reads, in the order it reads them."""
    seen: dict[str, None] = {}
    for name in _ENV_READ.findall(SETTINGS_FILE.read_text()):
        seen.setdefault(name, None)
    return list(seen)


def clean_env(**overrides: str) -> dict[str, str]:
    """This process's environment without any TuneWave setting, plus `overrides`."""
    env = {key: value for key, value in os.environ.items() if key not in settings_variables()}
    env["DJANGO_SETTINGS_MODULE"] = "tunewave.settings"
    env.update(overrides)
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
