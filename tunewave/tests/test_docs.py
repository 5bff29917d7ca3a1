"""The docs travel with the code: they point only at what a clone of this repository has."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SKIP_DIRS = {".git", "node_modules", ".venv", "static", "staticfiles", "media", "build-lib", "__pycache__"}
TEXT_SUFFIXES = {".py", ".ts", ".tsx", ".mjs", ".md", ".yaml", ".yml", ".toml", ".cfg", ".conf", ".html", ".txt"}
# Built from parts so this file does not match itself.
OUTSIDE = re.compile("|".join([re.escape("../" + "shared"), re.escape("DESIGN" + ".md"), re.escape("STYLE" + ".md")]))


def _files():
    for path in ROOT.rglob("*"):
        if SKIP_DIRS & set(path.relative_to(ROOT).parts) or not path.is_file():
            continue
        if path.suffix in TEXT_SUFFIXES or path.name in {"Makefile", "Dockerfile", "Procfile", "run"}:
            yield path


def test_nothing_points_outside_the_repository():
    found = []
    for path in _files():
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert found == [], "point to docs/ instead"


def _pages():
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_links_between_the_docs_resolve():
    broken = []
    for page in _pages():
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} → {target}")
    assert broken == []


def test_the_files_the_docs_name_exist():
    """A path in backticks (`chat/consumers.py`) names a file of this repository: moving the
    file means updating the page."""
    missing = []
    pattern = re.compile(r"`((?:[\w.-]+/)+[\w.-]+\.(?:py|ts|tsx|md|yaml|conf|json))`")
    for page in [ROOT / "docs" / "architecture.md", ROOT / "docs" / "realtime.md", ROOT / "docs" / "README.md"]:
        for name in pattern.findall(page.read_text(encoding="utf-8")):
            if not (ROOT / name).exists():
                missing.append(f"{page.relative_to(ROOT)}: {name}")
    assert missing == []
