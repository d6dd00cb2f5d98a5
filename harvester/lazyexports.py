"""Names a package exports from modules it imports only when one is first used.

The settings are read by every command, so what they import must stay light:
a package whose configuration they need (`links`, `enrich`, `suggest`) exports its
running side (httpx, asyncio, the parser) through this, and `harvester status`
never loads it. Type checkers see the names through the package's TYPE_CHECKING imports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, modules: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: each name in `modules` read from `package.<module>`."""

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return __getattr__
