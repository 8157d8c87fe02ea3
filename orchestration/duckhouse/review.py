"""Pull-request review: project rules over the dbt manifest, and lint of changed SQL.

The project rules are those of dbt-project-evaluator (which cannot be installed here,
dbt hub is out of reach), applied to duckhouse's layout:

  model-description        every model (and every source table) has a description
  column-description       every column has a description (with a catalog: every column
                           that exists in the warehouse, not only those in YAML)
  primary-key-test         every model has a tested primary key: one column with
                           primary_key (unique and present, one query) or unique and
                           not_null, or a unique_combination_of_columns test (or, on an
                           incremental model, unique_per_landing)
  source-outside-staging   only bronze staging models (and the landed lines and file
                           inventories) call source()
  source-joined            no model joins a source with anything else
  naming                   models are named for their layer and folder (bronze:
                           `<kind>_<source>__<what>`, BRONZE_KINDS; silver: in a domain
                           folder)
  public-contract          every public view enforces its contract, every column typed
  python-model-confined    a Python model uses the DuckDB session dbt gives it (confined
                           to the tenant's folder) and reads files only through
                           duckhouse.ingest: no duckdb.connect(), open(), exec/eval, and no
                           os, subprocess, socket, pathlib, ... (docs/security.md)

A model may be exempted from one rule, never silently: `meta: {review_exceptions: {<rule>:
<reason>}}` in its YAML, with the reason in words (an empty reason is itself a violation).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from duckhouse.paths import PROJECT_DIR

SQL_ROOTS = ("models/", "tests/", "analyses/", "snapshots/", "macros/")
_PK_COLUMN_TESTS = {"unique", "not_null"}
_PK_COMBINATION_TESTS = {"unique_combination_of_columns", "unique_per_landing"}


@dataclass(frozen=True, order=True)
class Violation:
    path: str
    model: str
    rule: str
    message: str

    def as_line(self) -> str:
        return f"{self.path}: {self.model}: [{self.rule}] {self.message}"

    def as_annotation(self) -> str:
        return f"::error file={self.path},line=1,title={self.rule}::{self.model}: {self.message}"


BRONZE_KINDS = {
    "stg": "staging: 1:1 with a source table, typed and renamed",
    "landed": "every record of a source's files as landed: typed, or rejected with why",
    "inventory": "every file of a landing zone, with what became of it",
    "rule_failures": "the landed records that break a business rule, with the rule",
    "quarantine": "every record that did not land, with the rule and the reason",
}
"""The kinds of bronze model, each named `<kind>_<source>__<what>` (docs/sources.md, "Bronze
model names"): `stg_` is staging only."""
SOURCE_READERS = ("stg", "landed", "inventory")
"""The bronze kinds that read a source: staging, and the landed lines and file inventories
(on Trino, whose SQL twins of the Python models read the tenant's catalog)."""


def _naming_rule(path: str) -> tuple[str, str] | None:
    """The pattern a model's name must match given its folder, and the rule in words."""
    parts = Path(path).parts  # ("models", layer, ...)
    if len(parts) < 3 or parts[0] != "models":
        return None
    layer = parts[1]
    if layer == "bronze" and len(parts) >= 4:
        source = parts[2]
        kinds = "|".join(BRONZE_KINDS)
        return (
            rf"({kinds})_{source}__[a-z0-9_]+",
            f"<kind>_{source}__<what> in models/bronze/{source}/, <kind> one of "
            f"{', '.join(BRONZE_KINDS)} (stg_: staging, 1:1 with a source table)",
        )
    if layer == "silver" and len(parts) >= 4:
        return r"(dim|fct|int)_[a-z0-9_]+", "dim_<entity>, fct_<event> or int_<entity>_<verb>"
    if layer == "silver":
        return r"(?!)", "silver models live in models/silver/<domain>/ (tpch, payments, shop)"
    if layer == "gold" and len(parts) >= 4:
        area = parts[2]
        if area == "tpch_reports":
            return r"rpt_tpch__q\d\d_[a-z0-9_]+", "rpt_tpch__qNN_<name>"
        return rf"mart_{area}__[a-z0-9_]+", f"mart_{area}__<what> in models/gold/{area}/"
    if layer == "views" and len(parts) >= 4:
        area = parts[2]
        return rf"{area}_[a-z0-9_]+", f"{area}_<what> in models/views/{area}/"
    return r"(?!)", "models live in bronze/, silver/, gold/<area>/ or views/<area>/"


_FORBIDDEN_MODULES = frozenset({
    "os", "sys", "subprocess", "shutil", "socket", "pathlib", "io", "tempfile", "glob",
    "urllib", "http", "requests", "ctypes", "importlib", "multiprocessing", "pickle",
})  # fmt: skip
_FORBIDDEN_CALLS = frozenset({"open", "exec", "eval", "compile", "__import__", "breakpoint"})


def python_model_escapes(code: str) -> list[str]:
    """What in a Python model's code could reach outside its confined DuckDB session: its
    own database (`duckdb.connect`), files or processes (open, os, subprocess, ...)."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        return [f"does not parse: {exc.msg} (line {exc.lineno})"]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            for name in names:
                if name.split(".")[0] in _FORBIDDEN_MODULES:
                    found.append(f"imports {name} (line {node.lineno})")
        elif isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Name) and function.id in _FORBIDDEN_CALLS:
                found.append(f"calls {function.id}() (line {node.lineno})")
            if isinstance(function, ast.Attribute) and function.attr in ("connect", "open"):
                found.append(f"calls .{function.attr}() (line {node.lineno})")
    return found


def _tests_by_model(manifest: dict) -> dict[str, list[dict]]:
    tests: dict[str, list[dict]] = defaultdict(list)
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("attached_node"):
            tests[node["attached_node"]].append(node)
    return tests


def _has_primary_key_test(tests: Iterable[dict]) -> bool:
    per_column: dict[str, set[str]] = defaultdict(set)
    for test in tests:
        metadata = test.get("test_metadata") or {}
        name = metadata.get("name")
        if name in _PK_COMBINATION_TESTS:
            return True
        column = test.get("column_name") or metadata.get("kwargs", {}).get("column_name")
        if not column or (test.get("config") or {}).get("where"):
            continue
        if name == "primary_key":
            return True
        if name in _PK_COLUMN_TESTS:
            per_column[column].add(name)
    return any(names >= _PK_COLUMN_TESTS for names in per_column.values())


def check_project(manifest: dict, catalog: dict | None = None) -> list[Violation]:
    """Every violation of the project rules in the manifest (and catalog, if given)."""
    tests = _tests_by_model(manifest)
    violations: list[Violation] = []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or node["package_name"] != manifest["metadata"].get(
            "project_name", node["package_name"]
        ):
            continue
        name, path = node["name"], node["original_file_path"]

        exceptions = (node.get("config", {}).get("meta") or node.get("meta") or {}).get(
            "review_exceptions", {}
        )
        for rule, reason in exceptions.items():
            if not str(reason or "").strip():
                violations.append(
                    Violation(
                        path, name, "review-exception", f"exempt from {rule} without a reason"
                    )
                )

        def flag(
            rule: str,
            message: str,
            name: str = name,
            path: str = path,
            exceptions: dict = exceptions,
        ) -> None:
            if not str(exceptions.get(rule) or "").strip():
                violations.append(Violation(path, name, rule, message))

        if not node.get("description", "").strip():
            flag("model-description", "has no description in its folder's YAML")
        for column, spec in node.get("columns", {}).items():
            if not spec.get("description", "").strip():
                flag("column-description", f"column '{column}' has no description")
        if catalog is not None and unique_id in catalog.get("nodes", {}):
            documented = {c.lower() for c in node.get("columns", {})}
            for column in catalog["nodes"][unique_id]["columns"]:
                if column.lower() not in documented:
                    flag("column-description", f"column '{column.lower()}' is not documented")

        if not _has_primary_key_test(tests.get(unique_id, [])):
            flag(
                "primary-key-test",
                "has no tested primary key (primary_key, or unique + not_null, on one "
                "column, or unique_combination_of_columns)",
            )

        parents = node["depends_on"]["nodes"]
        sources = [p for p in parents if p.startswith("source.")]
        readers = tuple(f"{kind}_" for kind in SOURCE_READERS)
        if sources and not (path.startswith("models/bronze/") and name.startswith(readers)):
            flag(
                "source-outside-staging",
                "calls source(): only bronze staging (stg_), landed_ and inventory_ models may",
            )
        if sources and len(parents) > 1:
            others = ", ".join(sorted(p.split(".", 2)[-1] for p in parents))
            flag("source-joined", f"joins a source with other relations ({others})")

        if node.get("language") == "python":
            for escape in python_model_escapes(node.get("raw_code", "")):
                flag(
                    "python-model-confined",
                    f"{escape}: use the session dbt passes and duckhouse.ingest's readers",
                )

        rule = _naming_rule(path)
        if rule is not None and not re.fullmatch(rule[0], name):
            flag("naming", f"name does not follow {rule[1]}")

        is_public = node.get("access") == "public"
        if path.startswith("models/views/") and not is_public:
            flag("public-contract", "is in models/views/ but not access: public")
        if is_public:
            if not node["config"].get("contract", {}).get("enforced"):
                flag("public-contract", "is public but its contract is not enforced")
            untyped = [
                c for c, spec in node.get("columns", {}).items() if not spec.get("data_type")
            ]
            if untyped:
                flag("public-contract", f"columns without data_type: {', '.join(untyped)}")
    for source in manifest.get("sources", {}).values():
        if not source.get("description", "").strip():
            name = f"{source['source_name']}.{source['name']}"
            violations.append(
                Violation(
                    source["original_file_path"],
                    name,
                    "model-description",
                    "source table has no description",
                )
            )
    return sorted(violations)


def load_json(path: Path) -> dict:
    return json.loads(path.read_text())


def changed_sql_files(base: str, project_dir: Path = PROJECT_DIR) -> list[str]:
    """SQL files added or changed since `base` (committed, staged or in the work tree)."""

    def git(*args: str) -> list[str]:
        result = subprocess.run(
            ["git", *args], cwd=project_dir, text=True, capture_output=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
        return [line for line in result.stdout.splitlines() if line]

    names = set(git("diff", "--name-only", "--diff-filter=ACMR", f"{base}...HEAD"))
    names |= set(git("diff", "--name-only", "--diff-filter=ACMR", "HEAD"))
    names |= set(git("ls-files", "--others", "--exclude-standard"))
    return sorted(
        name
        for name in names
        if name.endswith(".sql") and name.startswith(SQL_ROOTS) and (project_dir / name).is_file()
    )
