"""Installed from its wheel into a fresh virtualenv, with no checkout in sight, harvester works.

The wheel is built once per module from a copy of what the distribution
declares (pyproject.toml, README.md, harvester/), offline, with this venv's
setuptools. The fresh venv gets the wheel through pip; its dependencies come
from this venv's site-packages through a path entry, because the suite never
leaves the machine (so PyPI is not asked). That the wheel declares every
dependency it imports is checked against its metadata instead.
"""

from __future__ import annotations

import email
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.cli import ROOT
from tests.standins.arxiv import ArxivStandIn
from tests.standins.scholar import HuggingFaceStandIn, SemanticScholarStandIn
from tests.standins.web import LocalWeb, page

PACKAGE = ROOT / "harvester"


def _run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(ROOT / name, source / name)
    shutil.copytree(PACKAGE, source / "harvester", ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path_factory.mktemp("dist")
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-q",
        "-w",
        dist,
        source,
    )
    [built] = dist.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A fresh virtualenv with the wheel installed; returns its bin folder."""
    folder = tmp_path_factory.mktemp("venv") / "fresh"
    _run(sys.executable, "-m", "venv", "--without-pip", folder)
    python = folder / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel)
    purelib = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    # A plain path line: this venv's packages, but not its .pth files (so not the editable checkout).
    (purelib / "zz-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return folder / "bin"


def test_the_wheel_is_named_arxiv_harvester_and_holds_every_data_file(wheel: Path) -> None:
    assert wheel.name.startswith("arxiv_harvester-")
    data = {
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }
    assert data, "the package holds no data file: the glossary at least must be there"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert data <= names, sorted(data - names)
    assert re.search(r"^harvester = harvester\.cli:app$", entry_points, re.M)


def test_the_wheel_declares_every_package_it_imports(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        metadata = email.message_from_bytes(archive.read(next(n for n in archive.namelist() if n.endswith("METADATA"))))
    requirements = metadata.get_all("Requires-Dist") or []
    # The dashboard (`harvester serve`) may import what its extra declares; everything else only the core.
    for folder, extra in ((PACKAGE, None), (PACKAGE / "dashboard", "dashboard")):
        declared = {
            re.split(r"[ ;<>=!~\[]", requirement, maxsplit=1)[0].lower()
            for requirement in requirements
            if "extra ==" not in requirement or (extra is not None and f'extra == "{extra}"' in requirement)
        }
        files = [
            p for p in folder.rglob("*.py") if extra is not None or "dashboard" not in p.relative_to(PACKAGE).parts
        ]
        needed = _third_party_imports(files)
        assert needed <= declared, (extra, sorted(needed - declared))


def _third_party_imports(files: list[Path]) -> set[str]:
    providers = importlib.metadata.packages_distributions()
    imported = set()
    for path in files:
        for match in re.finditer(r"^\s*(?:from|import) ([a-zA-Z_]\w*)", path.read_text(encoding="utf-8"), re.M):
            imported.add(match.group(1))
    third_party = {name for name in imported if name in providers and name != "harvester"}
    return {dist.lower() for name in third_party for dist in providers[name]}


def test_the_installed_command_refreshes_an_empty_folder_holding_a_list_and_its_config(
    tmp_path: Path,
    venv: Path,
    arxiv: ArxivStandIn,
    s2: SemanticScholarStandIn,
    hf: HuggingFaceStandIn,
    web: LocalWeb,
) -> None:
    web.route("/tool", page("A tool"))
    folder = tmp_path / "my lists"
    folder.mkdir()
    (folder / "papers.md").write_text(
        "# Compression\n\n"
        "1. [Deep Compression](https://arxiv.org/abs/1510.00149) *2015-10-01*\n"
        f"1. [Trained Rank Pruning](https://arxiv.org/abs/1910.04576) [code]({web.url('/tool')})\n",
        encoding="utf-8",
    )
    (folder / "harvester.toml").write_text(
        'lists = ["*.md"]\n'
        'db = "data/lists.db"\n'
        'contact = "curator@example.org"\n'
        f'[arxiv]\nurl = "{arxiv.url}"\ndelay = 0\n'
        f'[enrich.semantic_scholar]\nurl = "{s2.url}"\ndelay = 0\n'
        f'[enrich.huggingface]\nurl = "{hf.url}"\ndelay = 0\n'
        # Only the local web: the arXiv links are judged from metadata, never fetched.
        '[links]\nallow_private = true\ndelay = 0\nexclude = ["^https?://(?!127\\\\.0\\\\.0\\\\.1[:/]|(\\\\w+\\\\.)?arxiv\\\\.org/)"]\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVESTER_") and k != "PYTHONPATH"}
    where = _run(venv / "python", "-c", "import harvester; print(harvester.__file__)", cwd=folder, env=env)
    assert Path(where.strip()).is_relative_to(venv.parent), where  # the wheel's copy, not the checkout

    result = subprocess.run(
        [str(venv / "harvester"), "refresh"], cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "refresh ok" in result.stdout
    database = folder / "data" / "lists.db"
    assert database.is_file()
    assert sorted(p.name for p in folder.iterdir()) == ["data", "harvester.toml", "papers.md"]  # no ./db/, no ./seeds
    assert {seen.ids for seen in arxiv.requests if seen.ids} and all(
        "curator@example.org" in seen.headers.get("user-agent", "") for seen in s2.requests
    )
    assert [r.path for r in web.requests] == ["/tool"]
    status = _run(venv / "harvester", "status", "--json", cwd=folder, env=env)
    assert '"papers": 2' in status
