"""The GitHub Action (action.yml) and the example workflow, run on this machine.

Their shell steps run in order with bash, `${{ }}` substituted (tests/actionrunner.py);
the Actions cache is a folder; harvester talks to the loopback stand-ins. Two
consecutive "nights" show that the database, and so the link history, survives
from one run to the next.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.actionrunner import Context, action_inputs, base_env, load, run_steps
from tests.seeddb import SEED
from tests.standins.arxiv import ArxivStandIn
from tests.standins.web import LocalWeb, page
from tests.test_refresh import env_for

ROOT = Path(__file__).parent.parent
ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / "docs" / "examples" / "nightly.yml"
SARIF_SCHEMA = Path(__file__).parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"


class FolderCache:
    """actions/cache/restore and actions/cache/save, on a folder: one sub-folder per key."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.restored: list[str | None] = []

    def keys(self) -> list[str]:
        index = self.folder / "index"  # keys in the order they were saved: newest last
        return index.read_text(encoding="utf-8").split() if index.exists() else []

    def restore(self, given: dict[str, str], context: Context) -> dict[str, str]:
        keys = self.keys()
        found = given["key"] if given["key"] in keys else None
        for prefix in filter(None, given.get("restore-keys", "").splitlines()):
            found = found or next((key for key in reversed(keys) if key.startswith(prefix.strip())), None)
        self.restored.append(found)
        if found is None:
            return {"cache-hit": "false"}
        for path in _paths(given):
            saved = self.folder / found / path
            if saved.exists():
                (context.workspace / path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(saved, context.workspace / path)
        return {"cache-hit": str(found == given["key"]).lower(), "cache-matched-key": found}

    def save(self, given: dict[str, str], context: Context) -> dict[str, str]:
        key = given["key"]
        present = [path for path in _paths(given) if (context.workspace / path).exists()]
        if key in self.keys() or not present:  # GitHub warns and saves nothing
            return {}
        for path in present:
            (self.folder / key / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(context.workspace / path, self.folder / key / path)
        with (self.folder / "index").open("a", encoding="utf-8") as index:
            index.write(key + "\n")
        return {}

    def database(self, key: str, path: str) -> Path:
        return self.folder / key / path


def _paths(given: dict[str, str]) -> list[str]:
    return [line.strip() for line in given["path"].splitlines() if line.strip()]


class Night:
    """Everything one run of the action needs: the simulated `uses:` steps, the pip stand-in."""

    def __init__(self, tmp_path: Path, cache: FolderCache, env: dict[str, str]) -> None:
        self.tmp_path, self.cache, self.env = tmp_path, cache, env
        self.sarif_uploads: list[dict[str, Any]] = []
        self.pip_calls = tmp_path / "pip-calls"
        shims = tmp_path / "shims"
        shims.mkdir(exist_ok=True)
        # Installing is the packaging test's job (a wheel in a fresh venv); here `pip install`
        # is recorded, and the harvester under test is the one on PATH behind the shim.
        python = shims / "python"
        python.write_text(
            "#!/bin/sh\n"
            'if [ "$1 $2 $3" = "-m pip install" ]; then printf "%s\\n" "$@" >> "$PIP_CALLS"; exit 0; fi\n'
            f'exec "{sys.executable}" "$@"\n',
            encoding="utf-8",
        )
        python.chmod(0o755)
        self.path_first = [shims, Path(sys.executable).parent]

    def uses(self) -> dict[str, Any]:
        return {
            "actions/setup-python": lambda given, context: {"python-version": given["python-version"]},
            "actions/cache/restore": self.cache.restore,
            "actions/cache/save": self.cache.save,
            "github/codeql-action/upload-sarif": self._upload_sarif,
        }

    def _upload_sarif(self, given: dict[str, str], context: Context) -> dict[str, str]:
        self.sarif_uploads.append(json.loads(Path(given["sarif_file"]).read_text(encoding="utf-8")))
        return {}

    def context(self, workspace: Path, run_id: int, inputs: dict[str, str], action: dict[str, Any]) -> Context:
        temp = self.tmp_path / f"runner-{run_id}"
        temp.mkdir()
        return Context(
            workspace=workspace,
            inputs=action_inputs(action, inputs),
            github={"action_path": str(ROOT), "run_id": str(run_id), "run_attempt": "1", "workspace": str(workspace)},
            runner={"temp": str(temp)},
            env=base_env({**self.env, "PIP_CALLS": str(self.pip_calls)}, self.path_first),
            summary=temp / "step-summary.md",
        )

    def run_action(self, workspace: Path, run_id: int, inputs: dict[str, str]) -> Context:
        action = load(ACTION)
        return run_steps(action["runs"]["steps"], self.context(workspace, run_id, inputs, action), self.uses())


def _a_day_passes(db: Path) -> None:
    """Yesterday's database, as the next night restores it: every timestamp one day older."""
    columns = {
        "links": ("first_checked_at", "last_checked_at", "verdict_since", "last_ok_at", "first_failed_at"),
        "link_checks": ("checked_at",),
        "papers": ("last_fetched",),
        "runs": ("started_at", "ended_at"),
    }
    with sqlite3.connect(db) as conn:
        for table, names in columns.items():
            for name in names:
                conn.execute(f"UPDATE {table} SET {name} = strftime('%Y-%m-%dT%H:%M:%SZ', {name}, '-1 day')")
    conn.close()


@pytest.fixture
def env(arxiv: ArxivStandIn, web: LocalWeb) -> dict[str, str]:
    web.route("/down", page("Down for maintenance", status=503))
    return env_for(arxiv, HARVESTER_LINKS_RETRIES="0", HARVESTER_LINKS_TIMEOUT="5")


@pytest.fixture
def workspace(tmp_path: Path, web: LocalWeb) -> Path:
    """A reading-list repository: the seed list and a list with a page that answers 503 every time."""
    root = tmp_path / "workspace"
    (root / "lists").mkdir(parents=True)
    shutil.copyfile(SEED, root / "lists" / "model-compression.md")
    (root / "lists" / "tools.md").write_text(
        f"# Papers\n\n1. [A paper with a flaky page]({web.url('/down')})\n", encoding="utf-8"
    )
    return root


def _failures(db: Path, url: str) -> tuple[int, int, int]:
    with sqlite3.connect(db) as conn:
        streak = conn.execute("SELECT consecutive_failures FROM links WHERE url = ?", [url]).fetchone()[0]
        checks = conn.execute("SELECT count(*) FROM link_checks WHERE url = ? AND counted = 1", [url]).fetchone()[0]
        runs = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    conn.close()
    return streak, checks, runs


def test_two_nights_of_the_action_keep_the_database_and_count_a_failing_link_across_runs(
    tmp_path: Path, env: dict[str, str], workspace: Path, web: LocalWeb
) -> None:
    cache = FolderCache(tmp_path / "actions-cache")
    night = Night(tmp_path, cache, env)
    inputs = {"paths": "lists", "refresh-args": "--allow-private", "sarif": "true", "contact": "ci@example.org"}
    flaky = web.url("/down")

    first = night.run_action(workspace, 1, inputs)
    shells = [(name, result) for name, result in first.log if result is not None]
    assert not first.failed, [(name, r.returncode, r.stderr[-800:]) for name, r in shells if r.returncode]
    assert cache.restored == [None]  # nothing to restore on the first night
    assert night.pip_calls.read_text(encoding="utf-8").split() == [
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--quiet",
        str(ROOT),
    ]
    annotations = dict(shells)["Annotate the lists"].stdout
    assert "::warning file=lists/model-compression.md,line=37,title=harvester date_mismatch::" in annotations
    summary = (Path(first.runner["temp"]) / "step-summary.md").read_text(encoding="utf-8")
    assert summary.startswith("# Findings\n") and "| lists/model-compression.md:37 | warning |" in summary
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert len(night.sarif_uploads) == 1
    jsonschema.validators.validator_for(schema)(schema).validate(night.sarif_uploads[0])
    first_key = cache.keys()[0]
    assert first_key.startswith("harvester-db-") and first_key.endswith("-1-1")
    assert _failures(cache.database(first_key, "db/harvester.db"), flaky) == (1, 1, 1)

    # The runner is gone by the next night: a new workspace from the same repository, a day later.
    _a_day_passes(cache.database(first_key, "db/harvester.db"))
    second_workspace = tmp_path / "workspace-2"
    shutil.copytree(workspace, second_workspace, ignore=shutil.ignore_patterns("db"))
    second = night.run_action(second_workspace, 2, {**inputs, "fail-on": "warning"})
    assert cache.restored == [None, first_key]  # yesterday's entry, through the restore-keys prefix
    assert _failures(second_workspace / "db" / "harvester.db", flaky) == (2, 2, 2)  # both nights counted
    # Warnings were asked to fail the job: the last step fails, and the database is saved all the same.
    assert second.failed and second.log[-1][1] is not None and second.log[-1][1].returncode == 3
    assert "open findings of severity warning or worse" in second.log[-1][1].stdout
    assert len(cache.keys()) == 2
    assert _failures(cache.database(cache.keys()[-1], "db/harvester.db"), flaky) == (2, 2, 2)


def test_the_action_declares_the_inputs_the_readme_documents() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert {"paths", "fail-on", "config", "database", "sarif"} <= set(action["inputs"])
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in action["inputs"]:
        assert f"`{name}`" in readme, f"input {name} is not in the README's CI section"


def test_the_example_workflow_runs_the_action_then_its_own_command_lines(
    tmp_path: Path, env: dict[str, str], workspace: Path
) -> None:
    workflow = load(WORKFLOW)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["schedule"][0]["cron"]
    steps = workflow["jobs"]["refresh"]["steps"]
    night = Night(tmp_path, FolderCache(tmp_path / "actions-cache"), env)
    checkout = tmp_path / "checkout"

    def the_action(given: dict[str, str], context: Context) -> dict[str, str]:
        ran = night.run_action(context.workspace, 7, {**given, "refresh-args": "--allow-private"})
        context.env.update({k: v for k, v in ran.env.items() if k.startswith("HARVESTER_")})
        context.failed = context.failed or ran.failed
        return ran.steps.get("refresh", {})

    uses = {
        "actions/checkout": lambda given, context: {},
        "OWNER/harvester": the_action,
    }
    context = Context(
        workspace=workspace,
        inputs={},
        github={"run_id": "7", "run_attempt": "1"},
        runner={"temp": str(checkout)},
        env=base_env(env, night.path_first),
    )
    checkout.mkdir()
    run_steps(steps, context, uses)
    shells = [result for _, result in context.log if result is not None]
    assert not context.failed, [(r.returncode, r.stderr[-800:]) for r in shells]
    assert len(night.sarif_uploads) == 1
    links = shells[-1].stdout.splitlines()
    assert links[0] == "url,verdict,consecutive_failures,used_at"
    assert any(line.startswith("http://127.0.0.1:") and ",unreachable,1,tools.md:3" in line for line in links[1:])
