"""What reads deliveries never imports what simulates them: the ingest package and the dbt
Python models import no demo generator, fault injector or local server."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import PROJECT_DIR

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
    assert {p.name for p in (PACKAGE / "simulate").glob("*.py")} >= {"shop.py", "ksqldb.py", "pgserver.py"}
