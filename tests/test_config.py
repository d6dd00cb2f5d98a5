"""The settings object: every setting from defaults < file < environment < flags, checked once, documented once.

The precedence and invalid-value tests are parametrized over `config.SPECS`, so a
new setting is covered as soon as it is declared (a new kind of value needs its
samples here: the tests say so by failing).
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from harvester import config
from harvester.config import SPECS, Age, FilePath, Globs, Names, Number, Patterns, Spec, Switch, Text, Url
from harvester.enrich.config import SOURCES
from tests.cli import ROOT, invoke

USAGE = 2

# Three valid texts per kind (file, environment, flag), each different from the layer before it.
SAMPLES: dict[type, tuple[str, str, str]] = {
    Text: ("file@example.org", "env@example.org", "flag@example.org"),
    Url: ("http://127.0.0.1:1/file", "http://127.0.0.1:1/env", "http://127.0.0.1:1/flag"),
    FilePath: ("file.db", "env.db", "flag.db"),
    Number: ("5", "6", "7"),
    Age: ("1h", "2h", "3d"),
    Patterns: ("^file", "^env,^env2", '["^flag{1,2}"]'),
    Globs: ("file.md", "env.md", "flag/*.md"),
}
# Texts no setting of the kind accepts (kinds whose every text is valid are absent).
INVALID: dict[type, str] = {
    Url: "ftp://example.org/",
    Number: "nope",
    Age: "soon",
    Switch: "maybe",
    Names: "nope",
    Patterns: "(",
}


def samples(spec: Spec) -> tuple[str, str, str]:
    if isinstance(spec.kind, Switch):
        flipped = "false" if spec.default else "true"
        return flipped, "true" if flipped == "false" else "false", flipped
    if isinstance(spec.kind, Names):
        choices = list(spec.kind.choices())
        return choices[0], choices[-1], ""
    return SAMPLES[type(spec.kind)]


def toml_line(spec: Spec, text: str) -> str:
    return f"{spec.key} = {spec.kind.toml(spec.kind.read(text))}\n"


def from_file(spec: Spec, text: str, root: Path) -> Any:
    value = spec.kind.read(text)
    if isinstance(value, Path):
        return root / value
    if isinstance(spec.kind, Globs):
        return tuple(str(root / item) for item in value)
    return value


def ids(specs: Any) -> list[str]:
    return [spec.key for spec in specs]


@pytest.mark.parametrize("spec", SPECS, ids=ids(SPECS))
def test_each_layer_overrides_the_one_before(tmp_path: Path, spec: Spec) -> None:
    file_text, env_text, flag_text = samples(spec)
    env_name = spec.env[0]
    defaults = config.build(tmp_path, {})
    assert defaults.origins[spec.key] == "default"
    (tmp_path / "harvester.toml").write_text(toml_line(spec, file_text), encoding="utf-8")
    filed = config.build(tmp_path, {})
    assert (getattr(filed, spec.name), filed.origins[spec.key]) == (
        from_file(spec, file_text, tmp_path),
        "harvester.toml",
    )
    assert getattr(filed, spec.name) != getattr(defaults, spec.name)
    env = config.build(tmp_path, {env_name: env_text})
    assert (getattr(env, spec.name), env.origins[spec.key]) == (spec.kind.read(env_text), env_name)
    flagged = config.build(tmp_path, {env_name: env_text}, {spec.key: config.Flag(flag_text, "--flag")})
    assert (getattr(flagged, spec.name), flagged.origins[spec.key]) == (spec.kind.read(flag_text), "--flag")
    assert getattr(flagged, spec.name) != getattr(env, spec.name)


@pytest.mark.parametrize("spec", SPECS, ids=ids(SPECS))
def test_the_command_line_sets_every_setting_over_file_and_environment(tmp_path: Path, spec: Spec) -> None:
    file_text, env_text, flag_text = samples(spec)
    (tmp_path / "harvester.toml").write_text(toml_line(spec, file_text), encoding="utf-8")
    result = invoke("config", "--json", "--set", f"{spec.key}={flag_text}", cwd=tmp_path, env={spec.env[0]: env_text})
    assert result.returncode == 0, result.stderr
    row = _row(result, spec.key)
    assert row["from"] == f"--set {spec.key}"
    without_flag = _row(invoke("config", "--json", cwd=tmp_path, env={spec.env[0]: env_text}), spec.key)
    assert without_flag["from"] == spec.env[0]
    assert row["value"] != without_flag["value"] or spec.secret  # a key shows only as "(set)"


def _row(result: subprocess.CompletedProcess[str], key: str) -> dict[str, Any]:
    return next(row for row in json.loads(result.stdout)["settings"] if row["setting"] == key)


# Where each named flag lives, and a value it refuses (None: a switch, which takes no value).
FLAG_USES: dict[str, tuple[list[str], str | None]] = {
    "--db": (["config"], None),
    "--contact": (["config"], None),
    "--accept-file": (["config"], None),
    "--verbose": (["config"], None),
    "-v": (["config"], None),
    "--arxiv-url": (["config"], "ftp://x"),
    "--arxiv-delay": (["config"], "inf"),
    "--arxiv-timeout": (["config"], "0"),
    "--arxiv-attempts": (["config"], "0"),
    "--arxiv-backoff": (["config"], "nan"),
    "--stale-after": (["fetch"], "soon"),
    "--source": (["enrich"], "dblp"),
    "--max-age": (["links"], "soon"),
    "--exclude": (["links"], "("),
    "--fail-on-steps": (["refresh"], "publish"),
    "--allow-private": (["links"], None),
    "--no-enrich": (["refresh"], None),
    "--no-links": (["refresh"], None),
    "--suggest": (["refresh"], None),
    "PATHS": (["import"], None),
}
NAMED = [(spec, flag) for spec in SPECS for flag in spec.flags]


def test_every_named_flag_is_known_to_this_test() -> None:
    assert {flag for _, flag in NAMED} == set(FLAG_USES)


@pytest.mark.parametrize(("spec", "flag"), [(s, f) for s, f in NAMED if FLAG_USES[f][1] is not None])
def test_a_named_flag_reaches_its_setting_and_is_checked_by_name(tmp_path: Path, spec: Spec, flag: str) -> None:
    command, bad = FLAG_USES[flag]
    result = invoke(*command, flag, str(bad), cwd=tmp_path)
    assert result.returncode == USAGE, result.stderr
    assert result.stderr.startswith(f"error: invalid setting {spec.key} (from {flag}): ")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("flag", ["--db", "--contact", "--verbose", "--accept-file"])
def test_global_options_are_accepted_before_and_after_the_command(tmp_path: Path, flag: str) -> None:
    spec = next(spec for spec, f in NAMED if f == flag)
    value = [] if isinstance(spec.kind, Switch) else ["x@example.org" if flag == "--contact" else "given.path"]
    before = _row(invoke(flag, *value, "config", "--json", cwd=tmp_path), spec.key)
    after = _row(invoke("config", "--json", flag, *value, cwd=tmp_path), spec.key)
    assert before == after and before["from"] == flag


def test_status_takes_db_after_the_command(shared_seed_db: Path) -> None:
    result = invoke("status", "--json", "--db", str(shared_seed_db))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["papers"] == 19


# --- invalid values: one line naming the setting and where the value came from, exit 2 ------

BAD = [spec for spec in SPECS if type(spec.kind) in INVALID]


def assert_one_line(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == USAGE, (result.returncode, result.stderr)
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"error: {expected}"), result.stderr


@pytest.mark.parametrize("spec", BAD, ids=ids(BAD))
def test_an_invalid_value_in_the_file_is_one_line_naming_it(tmp_path: Path, spec: Spec) -> None:
    bad = INVALID[type(spec.kind)]
    (tmp_path / "harvester.toml").write_text(f"{spec.key} = {json.dumps(bad)}\n", encoding="utf-8")
    assert_one_line(invoke("config", cwd=tmp_path), f"invalid setting {spec.key} (from harvester.toml): ")


@pytest.mark.parametrize("spec", BAD, ids=ids(BAD))
def test_an_invalid_value_in_the_environment_is_one_line_naming_it(tmp_path: Path, spec: Spec) -> None:
    bad = INVALID[type(spec.kind)]
    result = invoke("config", cwd=tmp_path, env={spec.env[0]: bad})
    assert_one_line(result, f"invalid setting {spec.key} (from {spec.env[0]}): ")


@pytest.mark.parametrize("spec", BAD, ids=ids(BAD))
def test_an_invalid_value_on_the_command_line_is_one_line_naming_it(tmp_path: Path, spec: Spec) -> None:
    bad = INVALID[type(spec.kind)]
    result = invoke("config", "--set", f"{spec.key}={bad}", cwd=tmp_path)
    assert_one_line(result, f"invalid setting {spec.key} (from --set {spec.key}): ")


def test_a_value_of_the_wrong_type_in_the_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "harvester.toml").write_text('[links]\nconcurrency = true\nexclude = "x"\n', encoding="utf-8")
    assert_one_line(invoke("config", cwd=tmp_path), "invalid setting links.concurrency (from harvester.toml): ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[arxiv]\ndealy = 3\n", "unknown setting arxiv.dealy (in harvester.toml)"),
        ("colour = 1\n", "unknown setting colour (in harvester.toml)"),
        ("[arxiv\n", "is not valid TOML"),
    ],
)
def test_a_file_with_an_unknown_key_or_broken_toml_is_one_line(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "harvester.toml").write_text(text, encoding="utf-8")
    result = invoke("config", cwd=tmp_path)
    assert result.returncode == USAGE and expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unknown_key_given_with_set_and_a_missing_config_file_are_usage_errors(tmp_path: Path) -> None:
    assert_one_line(invoke("config", "--set", "arxiv.dealy=3", cwd=tmp_path), "unknown setting arxiv.dealy")
    assert_one_line(invoke("config", "--set", "nonsense", cwd=tmp_path), "--set takes KEY=VALUE")
    assert_one_line(invoke("--config", "missing.toml", "config", cwd=tmp_path), "no config file at missing.toml")


# --- where the file is found, and what its paths are relative to ---------------------------


def test_the_file_is_harvester_toml_else_pyproject_else_none(tmp_path: Path) -> None:
    assert config.build(tmp_path, {}).file is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert config.build(tmp_path, {}).file is None  # a pyproject without [tool.harvester] is not ours
    (tmp_path / "pyproject.toml").write_text('[tool.harvester]\ncontact = "py@example.org"\n', encoding="utf-8")
    assert config.build(tmp_path, {}).contact == "py@example.org"
    (tmp_path / "harvester.toml").write_text('contact = "own@example.org"\n', encoding="utf-8")
    assert config.build(tmp_path, {}).contact == "own@example.org"


def test_relative_paths_in_the_file_are_relative_to_its_folder_and_root_is_that_folder(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "lists").mkdir()
    (project / "lists" / "b.md").write_text("# B\n", encoding="utf-8")
    (project / "lists" / "a.md").write_text("# A\n", encoding="utf-8")
    (project / "ci.toml").write_text('db = "data/h.db"\nlists = ["lists/*.md"]\n', encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    settings = config.build(elsewhere, {}, config=Path("../project/ci.toml"))
    assert settings.root == project
    assert settings.db == project / "data" / "h.db"
    assert settings.list_paths() == [project / "lists" / "a.md", project / "lists" / "b.md"]
    # A path typed in a shell is relative to where it is typed.
    assert config.build(elsewhere, {"HARVESTER_DB": "mine.db"}, config=project / "ci.toml").db == Path("mine.db")
    assert config.build(elsewhere, {}).root == elsewhere


def test_a_glob_that_matches_nothing_is_an_input_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "harvester.toml").write_text('lists = ["nothing/*.md"]\n', encoding="utf-8")
    result = invoke("import", cwd=tmp_path)
    assert result.returncode == 1 and str(tmp_path / "nothing/*.md") in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_import_without_lists_says_how_to_name_them(tmp_path: Path) -> None:
    result = invoke("import", cwd=tmp_path)
    assert_one_line(result, "no reading lists: name them")
    assert not list(tmp_path.iterdir())  # nothing read from ./seeds, nothing written


def test_contact_reaches_enrichment_and_arxiv(tmp_path: Path) -> None:
    settings = config.build(tmp_path, {}, {"contact": config.Flag("me@example.org", "--contact")})
    assert settings.enrich_config().contact == "me@example.org"
    assert settings.client_config().contact == "me@example.org"


def test_every_enrichment_source_has_its_settings() -> None:
    keys = {spec.key for spec in SPECS}
    for name in SOURCES:
        assert {f"enrich.{name}.url", f"enrich.{name}.delay", f"enrich.{name}.key"} <= keys


def test_defaults_are_those_of_the_modules_that_use_them() -> None:
    settings = config.build(ROOT, {})
    links = settings.link_config()
    from harvester.links import LinkCheckConfig

    defaults = LinkCheckConfig()
    assert (links.concurrency, links.per_host, links.per_host_delay, links.timeout, links.max_age) == (
        defaults.concurrency,
        defaults.per_host,
        defaults.per_host_delay,
        defaults.timeout,
        defaults.max_age,
    )


# --- documented once: the README table and the starter file ---------------------------------


def test_the_readme_settings_table_is_generated_from_the_settings() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- settings:[^\n]*-->\n(.*?)<!-- /settings -->", readme, re.S)
    assert match, "README lost its generated settings table markers"
    assert match.group(1) == config.settings_table()
    for spec in SPECS:
        assert f"| `{spec.key}` |" in match.group(1)


def test_init_writes_a_starter_file_whose_every_line_uncommented_gives_the_defaults(tmp_path: Path) -> None:
    result = invoke("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "harvester.toml").read_text(encoding="utf-8")
    assert set(config.build(tmp_path, {}).origins.values()) == {"default"}  # all commented out
    uncommented = re.sub(r"^# (\w+ = )", r"\1", text, flags=re.M).replace('lists = ["lists/*.md"]', "lists = []")
    tomllib.loads(uncommented)
    (tmp_path / "harvester.toml").write_text(uncommented, encoding="utf-8")
    settings = config.build(tmp_path, {})
    assert all(origin == "harvester.toml" for origin in settings.origins.values())
    empty = tmp_path / "empty"
    empty.mkdir()
    defaults = config.build(empty, {})
    for spec in SPECS:
        expected = getattr(defaults, spec.name)
        if isinstance(expected, Path):
            expected = tmp_path / expected.relative_to(empty)
        assert getattr(settings, spec.name) == expected, spec.key


def test_init_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "harvester.toml").write_text("# mine\n", encoding="utf-8")
    result = invoke("init", cwd=tmp_path)
    assert result.returncode == 1 and "exists; nothing was written" in result.stderr
    assert (tmp_path / "harvester.toml").read_text(encoding="utf-8") == "# mine\n"
