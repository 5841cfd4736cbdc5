"""Default locations, so every command agrees on where a run leaves its output."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_WAREHOUSE = Path(os.environ.get("VNREPORT_WAREHOUSE", "data/warehouse.duckdb"))


def output_dir(warehouse: Path) -> Path:
    """Reports, Data Docs and raw pages live next to the warehouse file they describe."""
    return Path(warehouse).resolve().parent


def hash_cache(warehouse: Path) -> Path:
    """Folder files' stat keys and content hashes from the last run (`discover_lazy`)."""
    return output_dir(warehouse) / "folder-hashes.json"


def dq_dir(warehouse: Path) -> Path:
    """Great Expectations project root (its Data Docs site is under it)."""
    return output_dir(warehouse) / "dq"


def reports_dir(warehouse: Path) -> Path:
    return output_dir(warehouse) / "reports"
