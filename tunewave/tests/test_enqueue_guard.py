"""Every enqueue goes through core.background.enqueue, the one path with a bounded broker wait.

A direct `.delay()` in a request once answered 500 whenever the broker was hung and took 3 s
when it was slow (issue 11). The scan reads the project's source as Python syntax (comments
and strings do not count) and refuses any call to `.delay`, `.apply_async`, `.delay_on_commit`,
`.apply_async_on_commit`, `.send_task` or `.signature(...).apply_async` outside core/background.py.
Tests and benchmarks may call tasks as they like.
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

from core import background

ROOT = Path(settings.BASE_DIR)
FORBIDDEN = {"delay", "apply_async", "delay_on_commit", "apply_async_on_commit", "send_task"}
ALLOWED_FILES = {ROOT / "core" / "background.py"}
SKIPPED_DIRS = {"tests", "bench", "node_modules", "frontend", "migrations", "static", "staticfiles", "media"}


def project_sources() -> list[Path]:
    files = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if any(part.startswith(".") or part in SKIPPED_DIRS for part in parts[:-1]):
            continue
        if parts[-1] == "conftest.py" or parts[-1].startswith("test_"):
            continue
        files.append(path)
    return files


def direct_enqueues(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in FORBIDDEN:
            found.append((node.lineno, node.func.attr))
    return found


def test_the_scan_sees_the_project():
    sources = project_sources()
    names = {path.relative_to(ROOT).as_posix() for path in sources}

    assert {"rooms/services.py", "recommendations/selectors.py", "music/tasks.py", "social/services.py"} <= names
    assert not any("/tests/" in name or name.startswith(("bench/", ".venv/")) for name in names)


@pytest.mark.parametrize(
    "source",
    [
        "refresh_room_index.delay()",
        "tasks.email_send.apply_async(args=[1], countdown=5)",
        "app.send_task('music.tasks.enrich_pending')",
        "record.delay_on_commit('x')",
    ],
)
def test_the_scan_finds_a_direct_enqueue(source):
    assert direct_enqueues(source)


def test_the_scan_ignores_words_in_comments_and_strings():
    assert direct_enqueues('# never .delay() here\nlog("use enqueue, not .delay()")') == []


def test_nothing_enqueues_except_through_core_background_enqueue():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} .{name}()"
        for path in project_sources()
        if path not in ALLOWED_FILES
        for line, name in direct_enqueues(path.read_text())
    ]

    assert offenders == [], "enqueue through core.background.enqueue instead: " + ", ".join(offenders)


def test_the_guarded_path_itself_is_the_one_that_sends():
    assert Path(background.__file__).resolve() in ALLOWED_FILES
    assert direct_enqueues(Path(background.__file__).read_text())
