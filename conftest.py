"""Shared test fixtures: where the reference material beside the checkout is.

Tests read ../shared/reference and ../shared/corpus in place.  A fresh clone may
not have ../shared; tests that need it skip with the reason, and only then.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("CALIPER_CONTRACT_SHARED", ROOT.parent / "shared"))
REFERENCE = SHARED / "reference"
CORPUS = SHARED / "corpus" / "caliper-v1p2"


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared reference material sits beside a full checkout only")
    return path


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return _require(REFERENCE)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return _require(CORPUS)
