"""Verbs of SQL review: the project rules, sqlfluff on changed SQL, the Trino check."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from duckhouse import review
from duckhouse.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    ensure_profiles_for,
    select_tenants,
    tenant_arg,
)
from duckhouse.paths import PROJECT_DIR, registry_path
from duckhouse.tenants import LINT_TARGET, load_registry
from duckhouse.warehouse.dbt import dbt_env, manifest_path, run_dbt


def cmd_check_project(args: argparse.Namespace) -> int:
    if args.manifest is None:
        run_dbt(LINT_TARGET, "parse", "--quiet", capture=True)
        args.manifest = manifest_path(LINT_TARGET)
    manifest = review.load_json(args.manifest)
    catalog = review.load_json(args.catalog) if args.catalog else None
    violations = review.check_project(manifest, catalog)
    models = sum(1 for n in manifest["nodes"].values() if n["resource_type"] == "model")
    for violation in violations:
        print(violation.as_annotation() if args.format == "github" else violation.as_line())
    if violations:
        offenders = len({v.model for v in violations})
        print(
            f"project rules: {len(violations)} violation(s) in {offenders} of {models} models",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(f"project rules: {models} models checked, no violations")
    return EXIT_OK


_SQLFLUFF_FORMATS = {"human": "human", "github": "github-annotation-native", "json": "json"}


def cmd_lint_changed(args: argparse.Namespace) -> int:
    try:
        files = review.changed_sql_files(args.base)
    except RuntimeError as exc:
        print(f"duckhouse: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not files:
        print(f"lint-changed: no SQL changed against {args.base}")
        return EXIT_OK
    print(f"lint-changed: {len(files)} SQL file(s) changed against {args.base}", file=sys.stderr)
    sqlfluff = str(Path(sys.executable).with_name("sqlfluff"))
    command = [sqlfluff, "lint", "--format", _SQLFLUFF_FORMATS[args.format]]
    if args.format == "github":
        command += ["--annotation-level", "error"]  # a violation fails the review
    command += files
    result = subprocess.run(command, cwd=PROJECT_DIR, env=dbt_env(), check=False)
    return EXIT_OK if result.returncode == 0 else EXIT_FAILED


def cmd_trino(args: argparse.Namespace) -> int:
    """Compile every node for each tenant's Trino target and check the SQL is Trino's."""
    from duckhouse.warehouse.trino import check_compiled, compile_for_trino

    ensure_profiles_for(load_registry(registry_path()))
    failed = False
    for tenant in select_tenants(args.tenants):
        started = time.perf_counter()
        files, problems = check_compiled(compile_for_trino(tenant.id))
        for problem in problems:
            print(f"[{tenant.id}] {problem}", file=sys.stderr)
        verdict = f"{len(problems)} problems" if problems else "all Trino SQL"
        seconds = time.perf_counter() - started
        print(f"[{tenant.id}] {tenant.id}_trino: {files} compiled nodes, {verdict} "
              f"(sqlglot + sqlfluff trino dialects, {seconds:.0f} s)")  # fmt: skip
        failed = failed or bool(problems)
    return EXIT_FAILED if failed else EXIT_OK


def register(verbs: argparse._SubParsersAction) -> None:
    check = verbs.add_parser("check-project", help="check the project rules (see review.py)")
    check.add_argument("--manifest", type=Path, help="a manifest.json (default: dbt parse)")
    check.add_argument("--catalog", type=Path, help="a catalog.json: check real columns too")
    check.add_argument("--format", choices=("text", "github"), default="text")
    check.set_defaults(run=cmd_check_project)

    lint = verbs.add_parser("lint-changed", help="sqlfluff on SQL changed against --base")
    lint.add_argument("--base", default=os.environ.get("DUCKHOUSE_BASE_REF", "main"))
    lint.add_argument("--format", choices=sorted(_SQLFLUFF_FORMATS), default="human")
    lint.set_defaults(run=cmd_lint_changed)

    trino = verbs.add_parser(
        "trino-check",
        help="compile every model for each tenant's Trino target (no server needed) and "
        "check the SQL with the Trino dialects of sqlglot and sqlfluff",
    )
    trino.add_argument("tenants", nargs="*", type=tenant_arg, help="tenant ids (default: all)")
    trino.set_defaults(run=cmd_trino)
