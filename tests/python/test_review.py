"""Pull-request review catches bad SQL: a deliberately bad model committed to a temporary
copy of the repository fails the changed-SQL lint and the project rules, with messages
that name the file, the model and the rule."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import PROJECT_DIR

BAD_MODEL = """\
SELECT o.*, c.CUSTOMER_NAME FROM {{ source('tpch', 'orders') }} o
JOIN {{ ref('dim_customer') }} c ON o.o_custkey = c.customer_id
"""


@pytest.fixture(scope="module")
def pull_request(tmp_path_factory):
    """A clone of the repository with one commit that adds a bad model."""
    repo = tmp_path_factory.mktemp("pr") / "duckhouse"
    subprocess.run(["git", "clone", "-q", str(PROJECT_DIR), str(repo)], check=True)
    (repo / "models" / "silver" / "BadOrders.sql").write_text(BAD_MODEL)
    git = ["git", "-C", str(repo), "-c", "user.name=ci", "-c", "user.email=ci@example.com"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "Add a bad model"], check=True)
    return repo


def _project_env(repo, artifacts) -> dict[str, str]:
    """The environment of a project checked out at `repo`: its own profiles; dbt's artifacts
    and logs in `artifacts` (a clone's own folder, never the checkout's)."""
    env = dict(os.environ, DUCKHOUSE_PROJECT_DIR=str(repo), DBT_PROFILES_DIR=str(repo / "profiles"))
    env.update(
        DUCKHOUSE_TARGET_DIR=str(artifacts / "target"),
        DBT_TARGET_PATH=str(artifacts / "target"),
        DBT_LOG_PATH=str(artifacts / "logs"),
    )
    env.pop("DUCKHOUSE_DATA_DIR", None)
    return env


def _duckhouse(repo, *args: str, artifacts=None) -> subprocess.CompletedProcess:
    env = _project_env(repo, artifacts or repo)
    return subprocess.run(
        [sys.executable, "-m", "duckhouse.cli", *args],
        cwd=repo,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )


def test_changed_sql_lint_fails_with_annotations(pull_request) -> None:
    result = _duckhouse(pull_request, "lint-changed", "--base", "HEAD~1", "--format", "github")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 SQL file(s) changed against HEAD~1" in result.stderr
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert annotations, result.stdout
    assert all("file=models/silver/BadOrders.sql" in line for line in annotations)
    assert any("CP01" in line for line in annotations), "upper-case keywords not reported"
    assert any("AL01" in line or "AL05" in line or "RF02" in line for line in annotations)


def test_nothing_changed_lints_nothing(pull_request) -> None:
    result = _duckhouse(pull_request, "lint-changed", "--base", "HEAD")
    assert result.returncode == 0
    assert "no SQL changed against HEAD" in result.stdout


def test_project_rules_fail_and_list_the_offender(pull_request) -> None:
    result = _duckhouse(pull_request, "check-project")
    assert result.returncode == 1, result.stdout + result.stderr
    offending = [line for line in result.stdout.splitlines() if "BadOrders" in line]
    rules = {line.split("[")[1].split("]")[0] for line in offending}
    assert rules == {
        "model-description",
        "primary-key-test",
        "source-outside-staging",
        "source-joined",
        "naming",
    }, result.stdout
    assert all(line.startswith("models/silver/BadOrders.sql: BadOrders:") for line in offending)
    # only the bad model offends: the rest of the project is clean
    assert all("BadOrders" in line for line in result.stdout.splitlines())
    assert "5 violation(s) in 1 of" in result.stderr


def test_the_project_itself_passes_the_rules(tmp_path) -> None:
    result = _duckhouse(PROJECT_DIR, "check-project", artifacts=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def _pre_commit(repo, tmp_path, *args: str) -> subprocess.CompletedProcess:
    """Run the repository's pre-commit hooks offline (they use the project's .venv)."""
    venv = repo / ".venv"
    if not venv.exists():
        venv.symlink_to(PROJECT_DIR / ".venv")
    env = dict(_project_env(repo, repo), PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    return subprocess.run(
        [str(PROJECT_DIR / ".venv" / "bin" / "pre-commit"), "run", *args],
        cwd=repo,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )


def test_pre_commit_passes_on_the_project(tmp_path) -> None:
    repo = tmp_path / "clean"
    subprocess.run(["git", "clone", "-q", str(PROJECT_DIR), str(repo)], check=True)
    result = _pre_commit(repo, tmp_path, "--all-files")
    assert result.returncode == 0, result.stdout + result.stderr
    for hook in ("sqlfluff lint", "ruff check", "check yaml", "dbt project rules"):
        assert hook in result.stdout


def test_pre_commit_rejects_the_bad_model(pull_request, tmp_path) -> None:
    result = _pre_commit(pull_request, tmp_path, "--files", "models/silver/BadOrders.sql")
    assert result.returncode == 1
    failed = [line for line in result.stdout.splitlines() if line.endswith("Failed")]
    assert any(line.startswith("sqlfluff lint") for line in failed), result.stdout
    assert any(line.startswith("dbt project rules") for line in failed), result.stdout


def _manifest_with(meta: dict) -> dict:
    """A one-model manifest: a bronze model reading two sources, documented and keyed."""
    model = "model.duckhouse.stg_tpch__both"
    return {
        "metadata": {"project_name": "duckhouse"},
        "nodes": {
            model: {
                "resource_type": "model",
                "package_name": "duckhouse",
                "name": "stg_tpch__both",
                "original_file_path": "models/bronze/tpch/stg_tpch__both.sql",
                "description": "Both tables.",
                "columns": {"id": {"description": "Key."}},
                "config": {"meta": meta},
                "depends_on": {"nodes": ["source.duckhouse.tpch.a", "source.duckhouse.tpch.b"]},
            },
            **{
                f"test.duckhouse.{name}_id": {
                    "resource_type": "test",
                    "package_name": "duckhouse",
                    "attached_node": model,
                    "column_name": "id",
                    "test_metadata": {"name": name, "kwargs": {"column_name": "id"}},
                    "config": {},
                    "depends_on": {"nodes": [model]},
                }
                for name in ("unique", "not_null")
            },
        },
        "sources": {},
    }


@pytest.mark.fast
def test_a_rule_exception_needs_a_reason() -> None:
    from duckhouse.review import check_project

    rules = [v.rule for v in check_project(_manifest_with({}))]
    assert rules == ["source-joined"]
    reason = {"review_exceptions": {"source-joined": "read in one snapshot"}}
    assert check_project(_manifest_with(reason)) == []
    empty = {"review_exceptions": {"source-joined": " "}}
    assert [v.rule for v in check_project(_manifest_with(empty))] == [
        "review-exception",
        "source-joined",
    ]
