"""Starting Datasette with the dashboard for `harvester serve`.

Datasette is an optional extra (`arxiv-harvester[dashboard]`): the nightly job never
needs a web server, so it is imported only when the dashboard is asked for.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..errors import HarvesterError

INSTALL_HINT = "the dashboard needs Datasette: pip install 'arxiv-harvester[dashboard]'"


class DashboardMissing(HarvesterError):
    """Datasette is not installed."""


def serve(path: Path, host: str, port: int) -> None:
    """Serve `path` until interrupted; the plugin comes in through Datasette's entry point."""
    if importlib.util.find_spec("datasette") is None:
        raise DashboardMissing(INSTALL_HINT)
    from datasette.cli import cli  # here, not at the top: see the module's docstring

    # Facet suggestions run one query per column over the whole view on every page load:
    # seconds a page on a large database (benchmarks/scale).
    args = ["serve", str(path), "--host", host, "--port", str(port), "--setting", "suggest_facets", "off"]
    cli.main(args=args, prog_name="harvester serve", standalone_mode=False)
