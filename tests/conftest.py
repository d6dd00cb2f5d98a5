"""Shared test set-up. pytest-socket (see pyproject addopts) allows loopback only.

Tests import helpers from one root, `tests.` (pyproject puts the project on
sys.path): `from tests.standins.arxiv import ArxivStandIn`.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.seeddb import SEED, build_seed_db
from tests.standins.arxiv import ArxivStandIn
from tests.standins.scholar import HuggingFaceStandIn, SemanticScholarStandIn
from tests.standins.web import LocalWeb

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent


def _one_module_per_standin() -> None:
    """`standins.x` still resolves (pytest puts tests/ on sys.path), but to the very
    modules `tests.standins.x` names: imported twice, each class would exist twice
    and a Fault or a stand-in from one name would not be an instance of the other's."""
    for name, module in list(sys.modules.items()):
        if name == "tests.standins" or name.startswith("tests.standins."):
            sys.modules.setdefault(name.removeprefix("tests."), module)


_one_module_per_standin()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: half as many workers again as cores. A third of a worker's time is spent
    waiting (on stand-ins' spacing, on child processes, on servers starting), and a
    worker waiting leaves its core to another (on 2 cores: 3 workers; benchmarks/suite
    measures the suite with 2, 3 and 4)."""
    cores = os.cpu_count() or 1
    return cores + cores // 2


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def arxiv() -> Iterator[ArxivStandIn]:
    """arXiv's API on loopback, serving the seed list's papers."""
    with ArxivStandIn() as standin:
        yield standin


@pytest.fixture
def s2() -> Iterator[SemanticScholarStandIn]:
    with SemanticScholarStandIn() as service:
        yield service


@pytest.fixture
def hf() -> Iterator[HuggingFaceStandIn]:
    with HuggingFaceStandIn() as service:
        yield service


@pytest.fixture
def scholars(s2: SemanticScholarStandIn, hf: HuggingFaceStandIn) -> tuple[SemanticScholarStandIn, HuggingFaceStandIn]:
    return s2, hf


@pytest.fixture
def web() -> Iterator[LocalWeb]:
    """An empty local web; each test or module routes the pages it needs."""
    with LocalWeb() as server:
        yield server


@pytest.fixture
def seed_db(tmp_path: Path) -> Path:
    """A database of the seed list and its 19 papers, from a copy of the list the test may edit."""
    listing = tmp_path / "model-compression.md"
    shutil.copyfile(SEED, listing)
    return build_seed_db(tmp_path / "h.db", listing=listing)


@pytest.fixture(scope="module")
def shared_seed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed database built once per module, for tests that only read it."""
    return build_seed_db(tmp_path_factory.mktemp("seed") / "h.db")
