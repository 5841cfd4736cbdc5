"""Shared test fixtures: where the repo and the shared test inputs are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("VNREPORT_SHARED", REPO.parent / "shared"))

# Keep third-party telemetry and Prefect state out of the user's home during tests.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# `vnreport run` starts a temporary Prefect API; on a 2-core machine busy with the rest of the
# suite its start-up can pass Prefect's 20 s default, which is not what these tests measure.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the repo: the seeds, gold labels and benchmark pages."""
    if not SHARED.is_dir():
        pytest.skip(f"shared test inputs not found at {SHARED} (set VNREPORT_SHARED)")
    return SHARED
