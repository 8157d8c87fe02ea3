"""The Trino (scale-out) targets: compile every node for a tenant's `<tenant>_trino` target
without a server, and check that the compiled SQL is Trino SQL with two independent
parsers (sqlglot's and sqlfluff's Trino dialects) plus the DuckDB-only constructs both
would let through. No Trino server can run here: this is what can be proven offline."""

from __future__ import annotations

import itertools
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel
from sqlglot.tokens import TokenType

from duckhouse.tenants import validate_tenant_id
from duckhouse.warehouse.dbt import DbtError, run_dbt, target_path
from duckhouse.warehouse.profiles import TRINO_SUFFIX

# Trino functions that sqlglot's Trino dialect does not model (it parses them as
# "anonymous" functions): every other anonymous function is not Trino's
TRINO_FUNCTIONS_SQLGLOT_LACKS = frozenset({"to_milliseconds", "date_parse"})
_TYPES_AS_FUNCTIONS = frozenset({"decimal", "varchar", "char", "timestamp", "time", "row"})


@dataclass(frozen=True)
class Problem:
    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


# words that precede a parenthesis without naming a function
_NOT_CALLS = frozenset((
    "all", "and", "as", "by", "distinct", "else", "end", "exists", "filter", "from", "in",
    "join", "not", "on", "or", "over", "select", "then", "union", "using", "values", "when",
    "where", "window", "with",
))  # fmt: skip


def _called_names(sql: str, dialect: str) -> set[str]:
    """Names written as `name(` in the SQL (functions, as spelled; some are keywords to the
    tokenizer, e.g. `first`)."""
    tokens = sqlglot.tokenize(sql, read=dialect)
    return {
        token.text.lower()
        for token, following in itertools.pairwise(tokens)
        if following.token_type == TokenType.L_PAREN
        and token.text.isidentifier()
        and token.token_type not in (TokenType.STRING, TokenType.IDENTIFIER)
        and token.text.lower() not in _NOT_CALLS
    }


def check_trino_sql(sql: str) -> list[str]:
    """What in `sql` is not Trino SQL (empty: it is)."""
    problems: list[str] = []
    try:
        trees = [t for t in sqlglot.parse(sql, read="trino", error_level=ErrorLevel.RAISE) if t]
    except sqlglot.errors.ParseError as error:
        return [f"sqlglot (trino): {str(error).splitlines()[0]}"]
    tokens = sqlglot.tokenize(sql, read="trino")
    if any(token.token_type == TokenType.DCOLON for token in tokens):
        problems.append("`::` casts are DuckDB/PostgreSQL syntax: use cast(x as type)")
    for tree in trees:
        for node in tree.find_all(exp.Anonymous):
            name = node.name.lower()
            if name not in TRINO_FUNCTIONS_SQLGLOT_LACKS and name not in _TYPES_AS_FUNCTIONS:
                problems.append(f"{node.name}() is not a Trino function")
        for table in tree.find_all(exp.Table):
            source = table.this
            if isinstance(source, exp.Func) and not isinstance(source, exp.Unnest):
                named = source.name if isinstance(source, exp.Anonymous) else source.sql_name()
                problems.append(f"{named.lower()}() is not a Trino table function")
        for join in tree.find_all(exp.Join):
            if (join.args.get("kind") or "").upper() in ("ANTI", "SEMI"):
                problems.append(f"{join.args['kind'].lower()} join is DuckDB syntax")
        for union in tree.find_all(exp.Union):
            if union.args.get("by_name"):
                problems.append("union ... by name is DuckDB syntax")
        for star in tree.find_all(exp.Star):
            for option in ("except", "replace", "rename"):
                if star.args.get(option):
                    problems.append(f"select * {option} (...) is DuckDB syntax")
    # a function Trino spells otherwise: sqlglot understands it, and writes it back for
    # Trino under another name (first -> arbitrary, generate_series -> sequence, ...)
    written_back = "; ".join(tree.sql(dialect="trino") for tree in trees)
    renamed = _called_names(sql, "trino") - _called_names(written_back, "trino")
    problems.extend(f"{name}() is not Trino's spelling" for name in sorted(renamed))
    return problems


def _sqlfluff_problems(sql: str) -> list[str]:
    import sqlfluff
    from sqlfluff.api.simple import APIParsingError

    try:
        sqlfluff.parse(sql, dialect="trino")
    except APIParsingError as error:
        return [f"sqlfluff (trino): {violation.desc()}" for violation in error.violations]
    return []


def _check_file(path: Path) -> list[str]:
    sql = path.read_text()
    return check_trino_sql(sql) + _sqlfluff_problems(sql)


def compile_for_trino(tenant: str, artifacts: Path | None = None) -> Path:
    """`dbt compile --no-populate-cache` of every node for the tenant's Trino target; the
    folder of the compiled SQL. Raises DbtError with dbt's output when a node does not
    compile."""
    target = validate_tenant_id(tenant) + TRINO_SUFFIX
    artifacts = artifacts or target_path(target)
    result = run_dbt(target, "compile", "--no-populate-cache", artifacts=artifacts,
                     capture=True, check=False)  # fmt: skip
    if result.returncode != 0:
        raise DbtError(f"tenant '{tenant}': dbt compile --target {target} failed:\n"
                       f"{result.stdout[-4000:]}{result.stderr[-2000:]}")  # fmt: skip
    return artifacts / "compiled"


def check_compiled(compiled: Path) -> tuple[int, list[Problem]]:
    """Check every compiled node (models, tests, snapshots, analyses): (files, problems)."""
    files = sorted(compiled.rglob("*.sql"))
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_check_file, files, chunksize=8))
    problems = [
        Problem(str(path.relative_to(compiled)), message)
        for path, messages in zip(files, results, strict=True)
        for message in messages
    ]
    return len(files), problems
