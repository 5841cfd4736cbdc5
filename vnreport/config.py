"""sources.yaml: the user's declaration of where report articles come from.

The keys of each source (`name`, `kind`, `path`, ...) are the user's interface
and stay stable; errors name the source and the field so a typo is easy to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SOURCE_KINDS = ("folder",)


class ConfigError(ValueError):
    """sources.yaml is unreadable or a source is misdeclared."""


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    options: dict[str, Any] = field(default_factory=dict)
    base_dir: Path = Path(".")

    @property
    def path(self) -> Path:
        """A folder source's path, relative paths taken from the config file's folder."""
        p = Path(self.options["path"])
        return p if p.is_absolute() else (self.base_dir / p)


def load_sources(config_path: Path) -> list[Source]:
    config_path = Path(config_path)
    try:
        data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{config_path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{config_path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise ConfigError(f"{config_path}: expected a top-level `sources:` list")
    sources: list[Source] = []
    seen: set[str] = set()
    for i, entry in enumerate(data["sources"]):
        where = f"{config_path}: sources[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a mapping with `name` and `kind`")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}: field `name` is required and must be text")
        where = f"{config_path}: source {name!r}"
        if name in seen:
            raise ConfigError(f"{where}: field `name` is used by another source")
        seen.add(name)
        kind = entry.get("kind")
        if kind not in SOURCE_KINDS:
            raise ConfigError(
                f"{where}: field `kind` must be one of {', '.join(SOURCE_KINDS)}, got {kind!r}"
            )
        options = {k: v for k, v in entry.items() if k not in ("name", "kind")}
        if kind == "folder" and not isinstance(options.get("path"), str):
            raise ConfigError(f"{where}: field `path` is required for a folder source")
        sources.append(Source(name=name, kind=kind, options=options, base_dir=config_path.parent))
    return sources
