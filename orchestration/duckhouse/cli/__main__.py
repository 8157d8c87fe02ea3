"""`python -m duckhouse.cli`: the same as the `duckhouse` command."""

import sys

from duckhouse.cli import main

sys.exit(main())
