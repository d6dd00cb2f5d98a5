"""Run a GitHub Actions composite action or workflow on this machine, as far as it is shell.

`run:` steps run in order with bash as GitHub runs them (`--noprofile --norc -eo
pipefail`), their `${{ }}` expressions substituted, `GITHUB_OUTPUT`, `GITHUB_ENV`
and `GITHUB_STEP_SUMMARY` honoured. `uses:` steps are handed to `uses`, a dict
from an action's name (without `@version`) to a function the test provides (the
cache simulated by a folder, for example); an action it does not know fails the
run, so a new step in the YAML cannot go untested by accident. Only the few
expression forms the project's YAML uses are understood; any other is an error.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
Uses = Callable[[dict[str, str], "Context"], dict[str, str] | None]


@dataclass
class Context:
    """What expressions can read, and what the steps left behind."""

    workspace: Path
    inputs: dict[str, str]
    github: dict[str, str]
    runner: dict[str, str]
    env: dict[str, str]  # the job's environment: the base plus what steps wrote to GITHUB_ENV
    steps: dict[str, dict[str, str]] = field(default_factory=dict)
    summary: Path | None = None
    failed: bool = False
    log: list[tuple[str, subprocess.CompletedProcess[str] | None]] = field(default_factory=list)

    def value(self, expression: str) -> str:
        scope, _, rest = expression.partition(".")
        if scope == "inputs":
            return self.inputs[rest]
        if scope in ("github", "runner"):
            return getattr(self, scope)[rest]
        if scope == "steps":
            step_id, outputs, name = rest.split(".", 2)
            assert outputs == "outputs", expression
            return self.steps.get(step_id, {}).get(name, "")
        raise ValueError(f"expression not understood: {expression!r}")

    def substitute(self, text: str) -> str:
        return EXPRESSION.sub(lambda match: self.value(match.group(1)), str(text))

    def condition(self, expression: str | None) -> bool:
        if expression is None:
            return not self.failed
        inner = EXPRESSION.sub(lambda match: match.group(1), str(expression)).strip()
        if inner == "always()":
            return True
        if inner == "success()":
            return not self.failed
        if inner == "failure()":
            return self.failed
        comparison = re.fullmatch(r"([\w.-]+)\s*(==|!=)\s*'([^']*)'", inner)
        if comparison:
            left, operator, right = comparison.groups()
            equal = self.value(left) == right
            return (not self.failed) and (equal if operator == "==" else not equal)
        raise ValueError(f"condition not understood: {expression!r}")


def action_inputs(action: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, str]:
    """The action's inputs: its defaults, overridden by `given` (which must name real inputs)."""
    declared = action.get("inputs") or {}
    unknown = set(given) - set(declared)
    assert not unknown, f"inputs the action does not declare: {sorted(unknown)}"
    return {name: str(given.get(name, spec.get("default", ""))) for name, spec in declared.items()}


def run_steps(steps: list[dict[str, Any]], context: Context, uses: Mapping[str, Uses]) -> Context:
    """Every step in order; a failing step marks the run failed and later steps follow their `if`."""
    for number, step in enumerate(steps):
        name = str(step.get("name") or step.get("id") or f"step {number}")
        if not context.condition(step.get("if")):
            context.log.append((name, None))
            continue
        if "uses" in step:
            action = str(step["uses"]).split("@", 1)[0]
            assert action in uses, f"no simulation for `uses: {step['uses']}` ({name})"
            with_values = {k: context.substitute(v) for k, v in (step.get("with") or {}).items()}
            outputs = uses[action](with_values, context) or {}
            context.log.append((name, None))
        else:
            outputs, result = _run_shell(step, context)
            context.log.append((name, result))
            if result.returncode != 0 and not step.get("continue-on-error"):
                context.failed = True
        if step.get("id"):
            context.steps[str(step["id"])] = outputs
    return context


def _run_shell(step: Mapping[str, Any], context: Context) -> tuple[dict[str, str], subprocess.CompletedProcess[str]]:
    assert step.get("shell", "bash") == "bash", "only bash steps are run"
    scratch = Path(context.runner["temp"])
    output_file, env_file = scratch / "github_output", scratch / "github_env"
    for file in (output_file, env_file):
        file.write_text("", encoding="utf-8")
    script = scratch / "step.sh"
    script.write_text(context.substitute(step["run"]), encoding="utf-8")
    env = dict(context.env)
    env.update({k: context.substitute(v) for k, v in (step.get("env") or {}).items()})
    env.update(
        GITHUB_OUTPUT=str(output_file),
        GITHUB_ENV=str(env_file),
        GITHUB_STEP_SUMMARY=str(context.summary or scratch / "summary.md"),
        GITHUB_WORKSPACE=str(context.workspace),
        RUNNER_TEMP=context.runner["temp"],
    )
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=context.workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    context.env.update(_key_values(env_file))
    return _key_values(output_file), result


def _key_values(path: Path) -> dict[str, str]:
    """`name=value` lines, and `name<<DELIMITER` blocks, as GitHub reads its files."""
    values: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def base_env(extra: Mapping[str, str], path_first: list[Path]) -> dict[str, str]:
    """A clean environment: none of the caller's harvester settings, `path_first` ahead on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_") and k not in ("COLUMNS", "LINES")}
    env["PATH"] = os.pathsep.join([*map(str, path_first), env.get("PATH", "")])
    env.update(extra)
    return env
