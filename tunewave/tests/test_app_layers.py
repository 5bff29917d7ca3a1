"""The app layers hold: each app imports only the apps below it (docs/architecture.md).

    accounts → music → social → rooms → search → chat → recommendations

The scan reads every non-test, non-migration module of each app as Python syntax and refuses
a reference to a higher app at any level (an import inside a function counts the same as one
at the top), including the dotted strings that load code by name: `import_module`,
`import_string`, `apps.get_model`, `include`, model relations, and task names given to
`enqueue`. The shared base, `core/`, imports no app at all, nor do the modules of `tunewave/`
that the apps use; only the project wiring (settings, URLs, ASGI/WSGI entry points, socket
routing, the Celery app) sits above them all.
A lower app that needs something only a higher one knows declares a hook and the higher app
registers its implementation in `AppConfig.ready()` (docs/architecture.md, "Registering
implementations across layers").
"""

import ast
import tomllib
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LAYERS = ["accounts", "music", "social", "rooms", "search", "chat", "recommendations"]
WIRING = {"settings.py", "urls.py", "asgi.py", "wsgi.py", "routing.py", "celery.py"}
BY_NAME = {
    "import_module",
    "import_string",
    "get_model",
    "include",
    "ForeignKey",
    "OneToOneField",
    "ManyToManyField",
    "enqueue",
}


def modules_of(package: str) -> list[Path]:
    return [
        path
        for path in sorted((ROOT / package).rglob("*.py"))
        if not {"tests", "testing", "migrations"} & set(path.relative_to(ROOT).parts[:-1])
        and not path.name.startswith("test_")
        and path.name != "conftest.py"
    ]


def referenced_apps(source: str) -> list[tuple[int, str]]:
    """(line, app) for every import of, or by-name reference to, one of the apps."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            first = node.args[0]
            if called in BY_NAME and isinstance(first, ast.Constant) and isinstance(first.value, str):
                names = [first.value]
        line = getattr(node, "lineno", 0)
        found += [(line, name.split(".")[0]) for name in names if name.split(".")[0] in LAYERS]
    return found


def test_the_scan_sees_every_app_and_the_shared_modules():
    for app in LAYERS:
        assert ROOT / app / "services.py" in modules_of(app) or ROOT / app / "models.py" in modules_of(app)
    assert {"ratelimit.py", "errors.py", "frames.py"} <= {path.name for path in modules_of("core")}
    assert {"settings.py", "celery.py", "health.py"} <= {path.name for path in modules_of("tunewave")}
    assert not any("tests" in path.parts for app in [*LAYERS, "core", "tunewave"] for path in modules_of(app))


@pytest.mark.parametrize(
    ("source", "app"),
    [
        ("from recommendations.selectors import tracks_for_room", "recommendations"),
        ("def f():\n    from rooms import services\n", "rooms"),
        ("import chat.events", "chat"),
        ("import_module('recommendations.services')", "recommendations"),
        ("apps.get_model('rooms.QueueItem')", "rooms"),
        ("models.ForeignKey('rooms.Room', on_delete=models.CASCADE)", "rooms"),
        ("enqueue('recommendations.tasks.recompute')", "recommendations"),
    ],
)
def test_the_scan_finds_a_reference_at_any_level(source, app):
    assert [found for _, found in referenced_apps(source)] == [app]


def test_the_scan_ignores_comments_strings_and_relative_imports():
    assert referenced_apps('# from rooms import x\nlog("rooms.services")\nfrom . import models\n') == []


def test_each_app_refers_only_to_the_apps_below_it():
    offenders = []
    for level, app in enumerate(LAYERS):
        higher = set(LAYERS[level + 1 :])
        for path in modules_of(app):
            for line, found in referenced_apps(path.read_text()):
                if found in higher:
                    offenders.append(f"{path.relative_to(ROOT)}:{line} {app} -> {found}")

    assert offenders == [], "an app may refer only to the apps below it: " + ", ".join(offenders)


def test_no_app_nor_the_base_imports_the_project_wiring():
    """Apps and `core/` import `core/`, never `tunewave/` (settings through django.conf, tasks
    through core.background)."""
    offenders = []
    for app in [*LAYERS, "core"]:
        for path in modules_of(app):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                offenders += [
                    f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n.split(".")[0] == "tunewave"
                ]

    assert offenders == [], "import core/ instead of tunewave/: " + ", ".join(offenders)


def test_the_shared_base_refers_to_no_app():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} -> {found}"
        for path in modules_of("core")
        for line, found in referenced_apps(path.read_text())
    ]

    assert offenders == [], "core/ sits below every app: " + ", ".join(offenders)


def test_the_modules_of_tunewave_outside_the_wiring_refer_to_no_app():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} -> {found}"
        for path in modules_of("tunewave")
        if path.name not in WIRING
        for line, found in referenced_apps(path.read_text())
    ]

    assert offenders == [], "tunewave/'s shared modules sit below every app: " + ", ".join(offenders)


def test_ruff_refuses_imports_inside_functions_in_the_apps():
    """PLC0415: an import inside a function, the usual way to break an import circle, fails lint
    outside tests and benchmarks (a lazy import kept for another reason carries a noqa saying why)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]

    assert "PLC0415" in config["select"]
    assert not any(
        "PLC0415" in ignored
        for pattern, ignored in config["per-file-ignores"].items()
        if "tests" not in pattern and pattern not in {"conftest.py", "bench/*"}
    )
