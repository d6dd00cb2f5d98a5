"""The settings: one object, built once from defaults < file < environment < flags, checked once.

Every setting is one field of `Settings`, declared with `setting(...)`: its key in
`harvester.toml`, its kind (how a value is read and checked), its default, its
environment variables and the sentence the README shows. Adding a setting is
adding that one field (and a flag, if it wants one, names the key with `sets`
in cli.py): the README table, `harvester init`'s starter file, `--set`, the
environment and the precedence tests all read the fields from here.

A switch for a refresh step is a `steps.<step>` Switch setting (read where cli.py
builds `RefreshOptions`), its step a `vocabulary.Step`; `fail_on_steps` then
accepts the step's name, and its flag is `--no-<step>` with `sets("steps.<step>", False)`.

The file is `harvester.toml` in the current folder, else `[tool.harvester]` in
its `pyproject.toml`, else the one `--config` names. Relative paths in the file
(and the defaults) are relative to its folder, the lists' `root`; paths from the
environment and flags are relative to the current folder, as paths typed in a
shell are.
"""

from __future__ import annotations

import glob
import json
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import settings_check
from .arxiv.config import ARXIV_API_URL, DEFAULT_STALE_AFTER, ClientConfig
from .enrich import huggingface, semantic_scholar
from .enrich.base import SourceSettings
from .enrich.config import DEFAULT_SOURCES, SOURCES, EnrichConfig
from .enrich.huggingface import DEFAULT_URL as HF_URL
from .enrich.semantic_scholar import DEFAULT_URL as S2_URL
from .errors import HarvesterError
from .links.config import LinkCheckConfig
from .suggest.config import DEFAULT_MAX_AGE as SUGGEST_MAX_AGE
from .suggest.config import SuggestConfig
from .vocabulary import ADVISORY_STEPS, Step

FILE_NAME = "harvester.toml"
PYPROJECT = "pyproject.toml"
CONFIG_ENV = "HARVESTER_CONFIG"
DEFAULT = "default"  # where a value came from when nobody set it


class ConfigError(HarvesterError):
    """A setting that cannot be used, or a file that cannot be read: a usage error (exit 2)."""


# --- kinds: how a value is read, checked and written --------------------------------------


class Kind:
    """How one setting's value is read (from TOML, or from a variable's or flag's text) and written."""

    doc = ""  # what a value looks like, for the README table
    is_list = False  # an empty variable means "none" rather than "unset"

    def read(self, value: Any) -> Any:  # raises ValueError with the reason
        raise NotImplementedError

    def toml(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)  # a JSON string or number is a TOML one

    def show(self, value: Any) -> str:
        return "" if value is None else f"`{self.toml(value)}`"


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, not {value!r}")
    return value.strip()


class Text(Kind):
    doc = "text"

    def read(self, value: Any) -> str | None:
        return _text(value) or None


class Url(Kind):
    doc = "http(s) URL"

    def read(self, value: Any) -> str:
        text = _text(value)
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an http(s) URL: {text!r}")
        return text


class FilePath(Kind):
    doc = "path"

    def read(self, value: Any) -> Path | None:
        text = _text(value)
        return Path(text).expanduser() if text else None

    def toml(self, value: Any) -> str:
        return json.dumps(str(value), ensure_ascii=False)


class Number(Kind):
    """A number checked by one of settings_check's rules (count, delay, timeout, retries)."""

    def __init__(self, check: Callable[[str, Any], Any], doc: str) -> None:
        self.check = check
        self.doc = doc

    def read(self, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f"expected a number, not {value!r}")
        if not isinstance(value, int | float | str):
            raise ValueError(f"expected a number, not {value!r}")
        try:
            return self.check("", value)
        except settings_check.InvalidSetting as error:
            raise ValueError(error.reason) from None


class Age(Kind):
    doc = "age (`30m`, `20h`, `7d`)"

    def read(self, value: Any) -> timedelta:
        try:
            return settings_check.duration("", _text(value))
        except settings_check.InvalidSetting as error:
            raise ValueError(error.reason) from None

    def toml(self, value: Any) -> str:
        return json.dumps(age_text(value))


def age_text(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


class Switch(Kind):
    doc = "true or false"
    WORDS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}

    def read(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
        if text not in self.WORDS:
            raise ValueError(f"expected true or false, not {value!r}")
        return self.WORDS[text]

    def toml(self, value: Any) -> str:
        return "true" if value else "false"


def _items(value: Any) -> list[str]:
    """A list from TOML, or from text: a TOML array (`["a", "b"]`) or comma-separated words."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = tomllib.loads(f"v = {text}")["v"]
            except tomllib.TOMLDecodeError as error:
                raise ValueError(f"not a TOML array: {text!r} ({error})") from None
        else:
            return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"expected a list of strings, not {value!r}")
    return [item.strip() for item in value]


class Names(Kind):
    """Some of a closed set of names."""

    is_list = True

    def __init__(self, choices: Callable[[], Iterable[str]], what: str) -> None:
        self.choices = choices
        self.what = what
        self.doc = f"list of {what}"

    def read(self, value: Any) -> tuple[str, ...]:
        names = tuple(dict.fromkeys(item for item in _items(value) if item))
        known = list(self.choices())
        for name in names:
            if name not in known:
                raise ValueError(f"unknown {self.what} {name!r}; choose from {', '.join(known)}")
        return names

    def toml(self, value: Any) -> str:
        return json.dumps(list(value), ensure_ascii=False)


class Patterns(Kind):
    doc = "list of regular expressions"
    is_list = True

    def read(self, value: Any) -> tuple[str, ...]:
        patterns = _items(value)
        for pattern in patterns:
            if not pattern:
                raise ValueError("an empty pattern would match everything")
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"not a regular expression: {pattern!r} ({error})") from None
        return tuple(patterns)

    def toml(self, value: Any) -> str:
        return json.dumps(list(value), ensure_ascii=False)


class Globs(Kind):
    doc = "list of paths or globs"
    is_list = True

    def read(self, value: Any) -> tuple[str, ...]:
        return tuple(item for item in _items(value) if item)

    def toml(self, value: Any) -> str:
        return json.dumps(list(value), ensure_ascii=False)


# --- the declaration of a setting ----------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    key: str  # dotted: `arxiv.delay` is `delay` in the file's `[arxiv]` table
    kind: Kind
    default: Any
    help: str
    env: tuple[str, ...]  # variables, the first set one wins
    flags: tuple[str, ...] = ()  # the command-line flags that set it (documentation; cli.py owns them)

    @property
    def name(self) -> str:
        """The attribute of `Settings`."""
        return self.key.replace(".", "_")

    @property
    def secret(self) -> bool:
        """An API key or token: shown only as set or not."""
        return self.key.endswith(".key")

    @property
    def table(self) -> str:
        return self.key.rpartition(".")[0]


def setting(
    key: str,
    kind: Kind,
    default: Any,
    help: str,
    env: str | tuple[str, ...] | None = None,
    flags: tuple[str, ...] = (),
) -> Any:
    """A field of `Settings`; the variable is HARVESTER_<KEY> unless the documented name differs."""
    names = (env,) if isinstance(env, str) else env or ("HARVESTER_" + key.replace(".", "_").upper(),)
    spec = Spec(key, kind, default, help, names, flags)
    return field(default=default, metadata={"setting": spec})


def _steps() -> list[str]:
    return [step.value for step in Step]


DELAY = Number(settings_check.delay, "seconds (0 or more)")
TIMEOUT = Number(settings_check.timeout, "seconds (more than 0)")
COUNT = Number(settings_check.count, "whole number (1 or more)")
RETRIES = Number(settings_check.retries, "whole number (0 or more)")
_LINKS = LinkCheckConfig()
_CLIENT = ClientConfig()
_SOURCE = SourceSettings(base_url="")


@dataclass(frozen=True)
class Settings:
    """Every setting of a run, each with the value that won and (in `origins`) where it came from."""

    lists: tuple[str, ...] = setting(
        "lists", Globs(), (), "Reading lists: files, folders of `*.md`, or globs.", flags=("PATHS",)
    )
    db: Path = setting("db", FilePath(), Path("harvester.db"), "The SQLite database file.", flags=("--db",))
    contact: str | None = setting(
        "contact",
        Text(),
        None,
        "An e-mail address or URL for the User-Agent of arXiv and enrichment requests; please set it.",
        flags=("--contact",),
    )
    accept_file: Path | None = setting(
        "accept_file",
        FilePath(),
        None,
        "Accepted findings (default: `harvester-accept.toml` beside the lists).",
        flags=("--accept-file",),
    )
    fail_on_steps: tuple[str, ...] = setting(
        "fail_on_steps",
        Names(_steps, "step"),
        tuple(step.value for step in Step if step not in ADVISORY_STEPS),
        "The refresh steps whose failure fails the run (exit 1); the others are advisory (reported, exit 0).",
        flags=("--fail-on-steps",),
    )
    verbose: bool = setting(
        "verbose", Switch(), False, "Log each request and retry on stderr.", flags=("--verbose", "-v")
    )
    steps_enrich: bool = setting(
        "steps.enrich", Switch(), True, "`refresh` asks the enrichment sources.", flags=("--no-enrich",)
    )
    steps_links: bool = setting("steps.links", Switch(), True, "`refresh` checks the links.", flags=("--no-links",))
    steps_suggest: bool = setting(
        "steps.suggest",
        Switch(),
        False,
        "`refresh` suggests new papers per section (asks Semantic Scholar and arXiv's search).",
        flags=("--suggest",),
    )
    arxiv_url: str = setting(
        "arxiv.url", Url(), ARXIV_API_URL, "arXiv API endpoint (or a mirror or proxy).", flags=("--arxiv-url",)
    )
    arxiv_delay: float = setting(
        "arxiv.delay", DELAY, _CLIENT.delay, "Seconds between arXiv requests (arXiv asks 3).", flags=("--arxiv-delay",)
    )
    arxiv_timeout: float = setting(
        "arxiv.timeout", TIMEOUT, _CLIENT.timeout, "Seconds to wait for arXiv.", flags=("--arxiv-timeout",)
    )
    arxiv_attempts: int = setting(
        "arxiv.attempts", COUNT, _CLIENT.max_attempts, "Tries per arXiv request.", flags=("--arxiv-attempts",)
    )
    arxiv_backoff: float = setting(
        "arxiv.backoff",
        DELAY,
        _CLIENT.backoff_base,
        "First retry wait in seconds; doubles.",
        flags=("--arxiv-backoff",),
    )
    arxiv_stale_after: timedelta = setting(
        "arxiv.stale_after",
        Age(),
        DEFAULT_STALE_AFTER,
        "Papers fetched longer ago than this are fetched again.",
        flags=("--stale-after",),
    )
    enrich_sources: tuple[str, ...] = setting(
        "enrich.sources",
        Names(lambda: SOURCES, "source"),
        DEFAULT_SOURCES,
        "The enrichment sources asked; empty turns enrichment off.",
        env="HARVESTER_ENRICH_SOURCES",
        flags=("--source",),
    )
    enrich_max_age: timedelta = setting(
        "enrich.max_age", Age(), EnrichConfig.max_age, "Answers younger than this are not asked again."
    )
    enrich_not_found_max_age: timedelta = setting(
        "enrich.not_found_max_age",
        Age(),
        EnrichConfig.not_found_max_age,
        'A "not indexed" answer younger than this is not asked again.',
    )
    enrich_attempts: int = setting("enrich.attempts", COUNT, _SOURCE.max_attempts, "Tries per enrichment request.")
    enrich_backoff: float = setting(
        "enrich.backoff", DELAY, _SOURCE.backoff_base, "First retry wait in seconds; doubles."
    )
    enrich_semantic_scholar_url: str = setting(
        "enrich.semantic_scholar.url", Url(), S2_URL, "Semantic Scholar's base address.", env="HARVESTER_S2_URL"
    )
    enrich_semantic_scholar_delay: float = setting(
        "enrich.semantic_scholar.delay",
        DELAY,
        SOURCES[semantic_scholar.NAME].default_delay,
        "Seconds between Semantic Scholar requests.",
        env="HARVESTER_S2_DELAY",
    )
    enrich_semantic_scholar_key: str | None = setting(
        "enrich.semantic_scholar.key",
        Text(),
        None,
        "Semantic Scholar API key (better in the environment than in a committed file).",
        env="SEMANTIC_SCHOLAR_API_KEY",  # the name Semantic Scholar's own documentation uses
    )
    enrich_huggingface_url: str = setting(
        "enrich.huggingface.url", Url(), HF_URL, "Hugging Face's base address.", env="HARVESTER_HF_URL"
    )
    enrich_huggingface_delay: float = setting(
        "enrich.huggingface.delay",
        DELAY,
        SOURCES[huggingface.NAME].default_delay,
        "Seconds between Hugging Face requests: its anonymous budget is 500 per 5 minutes (0.3 with a token).",
        env="HARVESTER_HF_DELAY",
    )
    enrich_huggingface_key: str | None = setting(
        "enrich.huggingface.key",
        Text(),
        None,
        "Hugging Face token (better in the environment than in a committed file).",
        env="HF_TOKEN",  # the name Hugging Face's own tools read
    )
    links_concurrency: int = setting("links.concurrency", COUNT, _LINKS.concurrency, "Link requests in flight.")
    links_per_host: int = setting("links.per_host", COUNT, _LINKS.per_host, "Link requests in flight to one host.")
    links_delay: float = setting(
        "links.delay", DELAY, _LINKS.per_host_delay, "Seconds between two requests to one host."
    )
    links_timeout: float = setting("links.timeout", TIMEOUT, _LINKS.timeout, "Seconds to wait for a link.")
    links_retries: int = setting("links.retries", RETRIES, _LINKS.retries, "Retries after a transient failure.")
    links_backoff: float = setting("links.backoff", DELAY, _LINKS.backoff, "First retry wait in seconds; doubles.")
    links_max_age: timedelta = setting(
        "links.max_age",
        Age(),
        _LINKS.max_age,
        "A link checked ok more recently is not checked again.",
        flags=("--max-age",),
    )
    links_exclude: tuple[str, ...] = setting(
        "links.exclude", Patterns(), (), "URLs matching any of these are not checked.", flags=("--exclude",)
    )
    links_allow_private: bool = setting(
        "links.allow_private",
        Switch(),
        False,
        "Also check loopback, private and link-local addresses.",
        flags=("--allow-private",),
    )

    suggest_max_age: timedelta = setting(
        "suggest.max_age",
        Age(),
        SUGGEST_MAX_AGE,
        "A section's stored candidates younger than this are not asked again.",
    )

    # Not settings: where they were read.
    root: Path = field(default_factory=Path.cwd)  # the lists' root: the config file's folder, else the current one
    file: Path | None = None  # the config file read, if any
    origins: Mapping[str, str] = field(default_factory=dict)  # key -> "default", the file's name, a variable, a flag

    # --- what the modules take ----------------------------------------------------------

    def client_config(self, batch_size: int = _CLIENT.batch_size) -> ClientConfig:
        return ClientConfig(
            base_url=self.arxiv_url,
            delay=self.arxiv_delay,
            batch_size=batch_size,
            contact=self.contact,
            timeout=self.arxiv_timeout,
            max_attempts=self.arxiv_attempts,
            backoff_base=self.arxiv_backoff,
            max_retry_after=max(self.arxiv_backoff * 40, 1.0),
        )

    def enrich_config(self) -> EnrichConfig:
        return EnrichConfig(
            sources=self.enrich_sources,
            settings={name: self._source_settings(name) for name in SOURCES},
            max_age=self.enrich_max_age,
            not_found_max_age=self.enrich_not_found_max_age,
            contact=self.contact,
        )

    def _source_settings(self, name: str) -> SourceSettings:
        return SourceSettings(
            base_url=getattr(self, f"enrich_{name}_url"),
            delay=self._source_delay(name),
            api_key=getattr(self, f"enrich_{name}_key"),
            max_attempts=self.enrich_attempts,
            backoff_base=self.enrich_backoff,
        )

    def _source_delay(self, name: str) -> float:
        """The delay set for a source; left at its default, a service that allows more with a key gets its keyed pace."""
        delay: float = getattr(self, f"enrich_{name}_delay")
        keyed = SOURCES[name].keyed_delay
        if (
            keyed is not None
            and getattr(self, f"enrich_{name}_key")
            and self.origins.get(f"enrich.{name}.delay", DEFAULT) == DEFAULT
        ):
            return keyed
        return delay

    def suggest_config(self, since: datetime | None = None) -> SuggestConfig:
        return SuggestConfig(
            arxiv=self.client_config(), enrich=self.enrich_config(), max_age=self.suggest_max_age, since=since
        )

    def link_config(self) -> LinkCheckConfig:
        return LinkCheckConfig(
            concurrency=self.links_concurrency,
            per_host=self.links_per_host,
            per_host_delay=self.links_delay,
            timeout=self.links_timeout,
            retries=self.links_retries,
            backoff=self.links_backoff,
            max_age=self.links_max_age,
            exclude=self.links_exclude,
            allow_private=self.links_allow_private,
        )

    def list_paths(self) -> list[Path]:
        """The `lists` setting, globs expanded (relative ones were made relative to `root` or the current folder)."""
        paths: list[Path] = []
        for pattern in self.lists:
            if not glob.has_magic(pattern) or Path(pattern).exists():  # `[draft] list.md` is a name
                paths.append(Path(pattern))
                continue
            # A glob that matches nothing stays as written: reading it then says "no such file", by name,
            # where every missing list is reported (and a refresh records it in its import step).
            matched = sorted(glob.glob(pattern, recursive=True)) or [pattern]
            paths.extend(Path(match) for match in matched)
        return list(dict.fromkeys(paths))


SPECS: tuple[Spec, ...] = tuple(f.metadata["setting"] for f in fields(Settings) if "setting" in f.metadata)
BY_KEY: dict[str, Spec] = {spec.key: spec for spec in SPECS}


# --- building the object --------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    """A value given on the command line, and the flag that gave it (for errors)."""

    value: Any
    label: str


def build(
    cwd: Path,
    environ: Mapping[str, str],
    flags: Mapping[str, Flag] | None = None,
    config: Path | None = None,
) -> Settings:
    """Defaults < file < environment < flags, every value checked; ConfigError names the first bad one."""
    flags = flags or {}
    unknown = [key for key in flags if key not in BY_KEY]
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]} (from {flags[unknown[0]].label})")
    if config is None and environ.get(CONFIG_ENV, "").strip():
        config = Path(environ[CONFIG_ENV].strip())
    file, table = find_file(cwd, config)
    root = Path(os.path.abspath(file.parent if file else cwd))  # absolute, symlinks kept as the user named them
    from_file = _flatten(table, file) if file else {}
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for spec in SPECS:
        value, origin = _resolve_paths(spec, spec.default, root), DEFAULT
        if file is not None and spec.key in from_file:
            value, origin = _resolve_paths(spec, _read(spec, from_file[spec.key], file.name), root), file.name
        for name in spec.env:
            text = environ.get(name)
            if text is not None and (text.strip() or spec.kind.is_list):
                value, origin = _read(spec, text, name), name
                break
        if spec.key in flags:
            value, origin = _read(spec, flags[spec.key].value, flags[spec.key].label), flags[spec.key].label
        values[spec.name] = value
        origins[spec.key] = origin
    return Settings(**values, root=root, file=file, origins=origins)


def _read(spec: Spec, value: Any, origin: str) -> Any:
    try:
        return spec.kind.read(value)
    except ValueError as error:
        raise ConfigError(f"invalid setting {spec.key} (from {origin}): {error}") from None


def _resolve_paths(spec: Spec, value: Any, root: Path) -> Any:
    """Defaults and the file's paths are relative to the file's folder."""
    if isinstance(value, Path) and not value.is_absolute():
        return root / value
    if isinstance(spec.kind, Globs):
        return tuple(str(root / Path(item).expanduser()) for item in value)
    return value


def find_file(cwd: Path, config: Path | None) -> tuple[Path | None, dict[str, Any]]:
    """The config file and its harvester table: `config`, else ./harvester.toml, else ./pyproject.toml's."""
    if config is not None:
        path = config if config.is_absolute() else cwd / config
        if not path.is_file():
            raise ConfigError(f"no config file at {config}")
        data = _load(path)
        return path, _tool_table(data, path) if path.name == PYPROJECT else data
    own = cwd / FILE_NAME
    if own.is_file():
        return own, _load(own)
    pyproject = cwd / PYPROJECT
    if pyproject.is_file():
        data = _load(pyproject)
        if "harvester" in data.get("tool", {}):
            return pyproject, _tool_table(data, pyproject)
    return None, {}


def _load(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {path}: {getattr(error, 'strerror', None) or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None


def _tool_table(data: dict[str, Any], path: Path) -> dict[str, Any]:
    table = data.get("tool", {}).get("harvester", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.harvester] must be a table")
    return table


def _flatten(table: Mapping[str, Any], file: Path, prefix: str = "") -> dict[str, Any]:
    """`{"arxiv": {"delay": 3}}` -> `{"arxiv.delay": 3}`; a key no setting has is an error."""
    flat: dict[str, Any] = {}
    for name, value in table.items():
        key = prefix + name
        if key in BY_KEY:
            flat[key] = value
        elif isinstance(value, dict) and any(spec.key.startswith(key + ".") for spec in SPECS):
            flat.update(_flatten(value, file, key + "."))
        else:
            raise ConfigError(f"unknown setting {key} (in {file.name})")
    return flat


def from_environment(environ: Mapping[str, str], cwd: Path | None = None) -> Settings:
    """The settings a command would see with no flags (for code and tests that configure by environment)."""
    return build(cwd or Path.cwd(), environ)


# --- what people read: the README table and the starter file --------------------------------


def settings_table() -> str:
    """The README's table of settings, generated so it cannot drift from `Settings`."""
    lines = ["| setting | default | environment | flag | meaning |", "|---|---|---|---|---|"]
    for spec in SPECS:
        default = spec.kind.show(spec.default) or "none"
        env = ", ".join(f"`{name}`" for name in spec.env)
        flags = ", ".join(f"`{flag}`" for flag in spec.flags)
        lines.append(f"| `{spec.key}` | {default} | {env} | {flags} | {spec.help} ({spec.kind.doc}) |")
    return "\n".join(lines) + "\n"


def starter_file() -> str:
    """`harvester init`'s harvester.toml: every setting, commented out at its default, with its meaning."""
    lines = [
        "# harvester settings. Relative paths are relative to this file's folder.",
        "# Environment variables override this file, and flags override both",
        "# (`harvester config` shows each value and where it came from).",
        "",
        "# The reading lists to read (files, folders of *.md, or globs), for example:",
        '# lists = ["lists/*.md"]',
        "",
    ]
    table = ""
    order = {table: index for index, table in reversed(list(enumerate(spec.table for spec in SPECS)))}
    for spec in sorted(SPECS, key=lambda spec: (spec.table != "", order[spec.table])):
        if spec.key == "lists":
            continue
        if spec.table != table:
            table = spec.table
            lines += [f"[{table}]", ""]
        lines.append(f"# {spec.help} ({', '.join(spec.env)})")
        example = '""' if spec.default is None else spec.kind.toml(spec.default)
        lines += [f"# {spec.key.rpartition('.')[2]} = {example}", ""]
    return "\n".join(lines).rstrip() + "\n"


def describe(settings: Settings) -> list[dict[str, Any]]:
    """Each setting's value (a key shown only as set or not) and where it came from."""
    rows = []
    for spec in SPECS:
        value = getattr(settings, spec.name)
        if spec.secret and value:
            value = "(set)"
        elif isinstance(value, timedelta):
            value = age_text(value)
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Path):
            value = str(value)
        rows.append({"setting": spec.key, "value": value, "from": settings.origins.get(spec.key, DEFAULT)})
    return rows
