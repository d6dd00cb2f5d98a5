"""Run the real `harvester` command in a separate process, as a user or cron would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def run_cli(
    *args: str,
    db: Path | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    # As cron would run it: none of the caller's harvester settings, no terminal size.
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_") and k not in ("COLUMNS", "LINES")}
    full_env.update(env or {})
    command = [sys.executable, "-m", "harvester"]
    if db is not None:
        command += ["--db", str(db)]
    return subprocess.run(
        command + list(args),
        cwd=cwd or ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
