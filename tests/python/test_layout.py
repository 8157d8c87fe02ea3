"""What reads deliveries never imports what simulates them: the ingest package and the dbt
Python models import no demo generator, fault injector or local server."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import PROJECT_DIR

pytestmark = pytest.mark.fast

PACKAGE = PROJECT_DIR / "orchestration" / "duckhouse"
SIMULATORS = ("duckhouse.simulate", "duckhouse.services")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_readers_of_deliveries_never_import_simulators() -> None:
    readers = [*(PACKAGE / "ingest").glob("*.py"), *(PROJECT_DIR / "models").rglob("*.py")]
    assert len(readers) >= 8
    offending = {
        str(path.relative_to(PROJECT_DIR)): sorted(
            name for name in _imports(path) if name.startswith(SIMULATORS)
        )
        for path in readers
    }
    assert not {path: names for path, names in offending.items() if names}
    # and the simulators are where the code that writes demo data lives
    assert {p.name for p in (PACKAGE / "simulate").glob("*.py")} >= {
        "shop.py",
        "ksqldb.py",
        "pgserver.py",
    }


def _readme_layout() -> list[str]:
    """The paths named in the README's Layout section (first word of each line)."""
    text = (PROJECT_DIR / "README.md").read_text()
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```\n", 2)[1]
    names, parent = [], ""
    for line in block.splitlines():
        word = line.split()[0] if line.strip() else ""
        if not word.endswith(("/", ".py", ".yml")) or word.startswith("`"):
            continue
        word = word.rstrip(",")
        indented = line.startswith("  ")
        names.append(parent + word if indented else word)
        if not indented and word.endswith("/"):
            parent = word
    return names


def test_the_readme_layout_matches_the_tree() -> None:
    listed = _readme_layout()
    missing = [name for name in listed if "<" not in name and not (PROJECT_DIR / name).exists()]
    assert not missing, f"README's Layout names what is not in the tree: {missing}"
    subpackages = {
        f"orchestration/duckhouse/{path.name}/"
        for path in PACKAGE.iterdir()
        if path.is_dir() and (path / "__init__.py").exists()
    }
    assert subpackages <= set(listed), f"not in README's Layout: {subpackages - set(listed)}"
    for folder in ("models/", "seeds/", "macros/", "snapshots/", "analyses/", "profiles/",
                   "orchestration/duckhouse/", "benchmarks/", "docs/"):  # fmt: skip
        assert folder in listed, folder


def test_dbt_plumbing_imports_no_dagster() -> None:
    offending = {
        path.name: sorted(
            name for name in _imports(path) if name.split(".")[0].startswith("dagster")
        )
        for path in (PACKAGE / "warehouse").glob("*.py")
    }
    assert not {name: found for name, found in offending.items() if found}
