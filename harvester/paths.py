"""Paths as people and CI read them: relative to the lists' root, with forward slashes.

GitHub annotations, SARIF, `fix` diffs (applied with `git apply` from the root)
and every table name a list by this one spelling. The root is the folder of the
configuration file, or the current folder.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath


def relative_to_root(path: str | PurePath, root: str | PurePath) -> str:
    """`path` relative to `root` (`lists/a.md`); a path outside `root` stays absolute.

    Both are resolved first, so a symlinked root or a `..` in either names the same
    file. Outside the root a `../x` would send `git apply` and GitHub out of the
    repository: the absolute path at least names the file.
    """
    resolved = Path(os.path.abspath(path)).resolve()
    base = Path(os.path.abspath(root)).resolve()
    try:
        return resolved.relative_to(base).as_posix()
    except ValueError:
        return resolved.as_posix()
