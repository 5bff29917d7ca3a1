"""Services enqueue tasks by name, so they never import the tasks modules that import them.

`tasks.py` imports its app's services at module level; a service sends a task with
`core.background.enqueue("<app>.tasks.<name>", ...)`. A misspelt name would only fail in
production (enqueue logs and returns False), so this scan reads every project source as
Python syntax and checks each name given to `enqueue()` against the tasks Celery registers,
and the beat schedule's names too.
"""

import ast

from django.conf import settings

from core import background
from tunewave.celery import app
from tunewave.tests.test_enqueue_guard import ROOT, project_sources


def registered_tasks() -> set[str]:
    app.loader.import_default_modules()  # every app's tasks module, as a worker loads them
    return set(app.tasks)


def enqueue_calls(source: str) -> list[tuple[int, ast.expr]]:
    """(line, first argument) of each `enqueue(...)` / `x.enqueue(...)` call."""
    calls = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name == "enqueue":
            calls.append((node.lineno, node.args[0]))
    return calls


def imports_a_tasks_module(source: str) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        if any(module.split(".")[-1] == "tasks" for module in modules):
            lines.append(node.lineno)
    return lines


def named_enqueues() -> dict[str, list[str]]:
    """Task name -> where it is enqueued by name; a non-literal first argument outside a
    tasks module (where enqueuing a task object of the same module is fine) is reported as such."""
    found: dict[str, list[str]] = {}
    for path in project_sources():
        rel = path.relative_to(ROOT).as_posix()
        if rel == "core/background.py":
            continue
        for line, arg in enqueue_calls(path.read_text()):
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.setdefault(arg.value, []).append(f"{rel}:{line}")
            elif path.name != "tasks.py":
                found.setdefault(f"<not a string literal: {ast.unparse(arg)}>", []).append(f"{rel}:{line}")
    return found


def test_the_scan_finds_enqueues_by_name():
    calls = enqueue_calls('enqueue("music.tasks.enrich_artists", args=[1])\ncelery.enqueue(task)\nqueue(x)')

    assert [ast.unparse(arg) for _, arg in calls] == ["'music.tasks.enrich_artists'", "task"]
    assert imports_a_tasks_module("from music.tasks import enrich_artists\nfrom rooms import tasks\nimport x") == [1, 2]


def test_services_enqueue_the_tasks_they_need_by_name():
    names = named_enqueues()

    assert {"music.tasks.enrich_artists", "social.tasks.email_send", "rooms.playback_advance_if_over"} <= set(names)


def test_every_name_given_to_enqueue_is_a_registered_task():
    unknown = {name: where for name, where in named_enqueues().items() if name not in registered_tasks()}

    assert unknown == {}, f"enqueue() is given names no task is registered under: {unknown}"


def test_every_task_in_the_beat_schedule_is_registered():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert scheduled - registered_tasks() == set()


def test_every_project_task_has_an_explicit_name():
    """A task's name is what the queue and the enqueuers hold, so moving or renaming its
    function must not change it."""
    unnamed = []
    for path in project_sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                func = decorator.func if isinstance(decorator, ast.Call) else decorator  # @app.task or @app.task(...)
                keywords = decorator.keywords if isinstance(decorator, ast.Call) else []
                called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                if called in {"task", "shared_task"} and not any(k.arg == "name" for k in keywords):
                    unnamed.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")

    assert unnamed == []


def test_only_tasks_modules_and_the_celery_app_import_tasks_modules():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in project_sources()
        if path.name != "tasks.py"
        for line in imports_a_tasks_module(path.read_text())
    ]

    assert offenders == [], "enqueue by name instead of importing a tasks module: " + ", ".join(offenders)


def test_the_celery_app_registered_itself_for_enqueue():
    """core.background enqueues through the app the project wiring registered at start-up, not
    Celery's per-thread `current_app`, which in a thread of Daphne's pool is a bare default app."""
    assert background.celery_app() is app
    assert background.celery_app().conf.task_acks_late is True  # the project's settings, not Celery's defaults
