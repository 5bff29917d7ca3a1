"""The recommendations app reads one way: its modules import each other without a circle.

The graph is read from the source (AST), so an import inside a function counts as one at the
top, and so does a task named in a string given to `enqueue` (a module that queues
"recommendations.tasks.x" depends on tasks.py as surely as one that imports it).
"""

import ast
from pathlib import Path

from django.conf import settings

APP = "recommendations"
PACKAGE = Path(settings.BASE_DIR) / APP


def _target(dotted: str, modules: set[str]) -> str | None:
    """The app's module a dotted name points into ("recommendations.tasks.x" -> "tasks")."""
    parts = dotted.split(".")
    if parts[0] != APP or len(parts) < 2:
        return None
    return parts[1] if parts[1] in modules else None


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """{module: the app's modules it imports or enqueues by name}, for the package's top-level modules."""
    modules = {path.stem for path in package.glob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for path in package.glob("*.py"):
        edges = graph[path.stem]
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                edges.update(t for alias in node.names if (t := _target(alias.name, modules)))
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module == APP:
                    edges.update(alias.name for alias in node.names if alias.name in modules)
                elif target := _target(node.module, modules):
                    edges.add(target)
            elif isinstance(node, ast.ImportFrom) and node.level:  # relative: from . import x / from .x import y
                if node.module:
                    edges.add(node.module.split(".")[0])
                else:
                    edges.update(alias.name for alias in node.names if alias.name in modules)
            elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "enqueue":
                for arg in node.args[:1]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        edges.update(t for t in [_target(arg.value, modules)] if t)
        edges.discard(path.stem)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of the graph (a list of modules, first repeated last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_app_has_no_import_circle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_the_scan_sees_imports_in_functions_and_tasks_named_in_strings(tmp_path):
    (tmp_path / "low.py").write_text(
        "from core.background import enqueue\n\ndef later():\n    enqueue('recommendations.high.refresh')\n"
    )
    (tmp_path / "high.py").write_text("def refresh():\n    from recommendations import low\n")
    (tmp_path / "other.py").write_text("import recommendations.low\n")

    graph = import_graph(tmp_path)

    assert graph == {"low": {"high"}, "high": {"low"}, "other": {"low"}}
    assert find_cycle(graph) in (["high", "low", "high"], ["low", "high", "low"])
    assert find_cycle({"a": {"b"}, "b": set()}) is None
