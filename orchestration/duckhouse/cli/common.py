"""What every verb shares: exit codes, selecting tenants, the console, argument types."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from duckhouse.paths import profiles_dir, registry_path
from duckhouse.tenants import RegistryError, Tenant, get_tenant, load_registry, validate_tenant_id
from duckhouse.warehouse.profiles import ensure_profiles

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def select_tenants(ids: Sequence[str]) -> list[Tenant]:
    tenants = load_registry(registry_path())
    if not ids:
        return tenants
    return [get_tenant(tenants, tenant_id) for tenant_id in ids]


def ensure_profiles_for(tenants: list[Tenant]) -> None:
    """Keep profiles.yml in step with the registry (it is generated, never hand-edited)."""
    if ensure_profiles(tenants, profiles_dir()):
        print(f"rendered {profiles_dir() / 'profiles.yml'} from {registry_path()}")


def console(stderr: bool = False):  # noqa: ANN201 - rich is imported lazily
    from rich.console import Console

    # colours only where the terminal supports them (rich honours NO_COLOR and non-ttys)
    # piped output is not cut at 80 columns: scripts should use --json anyway
    return Console(stderr=stderr, highlight=False, width=None if sys.stdout.isatty() else 120)


def plain(text: str) -> str:
    """Text from the registry as rich shows it: never read as markup (`[/]`, `[red]`)."""
    from rich.markup import escape

    return escape(text)


def tenant_arg(value: str) -> str:
    """argparse type of every tenant id argument: refused before anything runs."""
    try:
        return validate_tenant_id(value)
    except RegistryError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
