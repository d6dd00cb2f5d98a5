"""Paths as people and CI read them: relative to the lists' root, with forward slashes.

GitHub annotations, SARIF, `fix` diffs (applied with `git apply` from the root)
and every table name a list by this one spelling. The root is the folder of the
configuration file, or the current folder.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path, PurePath


def relative_to_root(path: str | PurePath, root: str | PurePath) -> str:
    """`path` relative to `root` (`lists/a.md`); a path outside `root` stays absolute.

    Both are resolved first, so a symlinked root or a `..` in either names the same
    file. Outside the root a `../x` would send `git apply` and GitHub out of the
    repository: the absolute path at least names the file.
    """
    return _relative(os.path.abspath(path), os.path.abspath(root))


# A report names the same few lists in every row: resolving (a system call per path
# component) once per list, not once per row, keeps 100,000 rows under a second.
@functools.lru_cache(maxsize=4096)
def _relative(path: str, root: str) -> str:
    resolved = Path(path).resolve()
    base = Path(root).resolve()
    try:
        return resolved.relative_to(base).as_posix()
    except ValueError:
        return resolved.as_posix()
