"""duckhouse command line: manage tenants, land their sources and build them.

duckhouse create TENANT       register a tenant (landing zone, warehouse, dbt target)
duckhouse list                every tenant: sources, last build, view rows, status
duckhouse delete TENANT       archive and remove a tenant (asks first, or --yes)
duckhouse profiles            render profiles/profiles.yml from tenants.yml
duckhouse land [TENANT...]    land every source of the tenants (default: all)
duckhouse build [TENANT...]   land, then `dbt build --target <tenant>` for each
duckhouse demo                build every registered tenant and say where to look

Exit codes: 0 done; 1 failed (a build, a busy warehouse, a refused confirmation);
2 usage (a bad or unknown tenant id, an existing tenant, an invalid registry).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from duckhouse.cli import build, review, serve, sources, tenants
from duckhouse.cli.common import EXIT_FAILED, EXIT_USAGE
from duckhouse.folders import private_umask
from duckhouse.tenants import RegistryError
from duckhouse.warehouse.dbt import DbtError

VERB_GROUPS = (tenants, build, review, serve, sources)
"""Each module registers its verbs (`register`), each verb its own `run` function."""


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="duckhouse",
        description=__doc__.split("\n")[0],
        epilog=__doc__.split("\n\n")[-1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = top.add_subparsers(dest="verb", required=True)
    for group in VERB_GROUPS:
        group.register(verbs)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    private_umask()  # what duckhouse writes is its user's alone (duckhouse.folders)
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except RegistryError as exc:
        print(f"duckhouse: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DbtError as exc:
        print(f"duckhouse: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except RuntimeError as exc:  # PostgresError and other failures with a clear message
        print(f"duckhouse: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
