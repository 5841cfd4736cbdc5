"""The metric catalog, loaded from `catalog.yaml` and compiled once.

Cues live in data so a new metric or a new way of writing an old one is a
YAML edit, not a code change; this module only checks the file's shape and
compiles its regexes (a broken pattern fails loudly at load time, naming the
metric, instead of silently matching nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")
UNITS = {"person", "org", "count", "vnd", "vnd_per_person_month", "pct", "any"}
KINDS = {"count", "money", "income", "pct"}
_FLAGS = re.I | re.U


@dataclass(frozen=True)
class Rule:
    metric: str
    noun: re.Pattern | None = None
    before: re.Pattern | None = None
    adjacent: bool = False
    after: re.Pattern | None = None
    not_before: re.Pattern | None = None
    not_after: re.Pattern | None = None
    kind: str = "count"
    priority: int = 0
    label: str | None = None
    ratio: bool = True  # may the number be the X of an `X/Y` pair
    noun_first: frozenset[str] | None = None  # first letters the noun can start with, if known
    breakdown: bool = False  # still this metric when it splits a whole by kind (`trong đó có`)


@dataclass(frozen=True)
class Metric:
    code: str
    unit: str
    description: str
    min: float | None
    max: float | None
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Catalog:
    metrics: dict[str, Metric]
    rules: tuple[Rule, ...]  # every rule, highest priority first
    nouns: re.Pattern  # counted nouns for `other` facts; group name = unit
    abbreviations: dict[str, str] = field(default_factory=dict)
    by_kind: dict[str, tuple[Rule, ...]] = field(default_factory=dict)  # rules per kind, in order
    _by_first: dict = field(default_factory=dict, repr=False, compare=False)

    def rules_for(self, kinds: tuple[str, ...], first: str) -> tuple[Rule, ...]:
        """Rules of these kinds whose noun may start with `first` (the letter after a number)."""
        key = (kinds, first)
        got = self._by_first.get(key)
        if got is None:
            got = tuple(
                r
                for r in self.rules
                if r.kind in kinds and (r.noun_first is None or first in r.noun_first)
            )
            self._by_first[key] = got
        return got

    def plausible(self, code: str, value: float) -> bool:
        m = self.metrics[code]
        return (m.min is None or value >= m.min) and (m.max is None or value <= m.max)


def _compile(metric: str, key: str, pattern: str | None) -> re.Pattern | None:
    if pattern is None:
        return None
    pattern = re.sub(r"\s*\n\s*", "", pattern) if "\n" in pattern else pattern
    try:
        return re.compile(pattern, _FLAGS)
    except re.error as exc:
        raise ValueError(
            f"catalog: metric {metric!r}, {key}: bad regex {pattern!r}: {exc}"
        ) from exc


def _first_letters(pattern: str | None) -> frozenset[str] | None:
    """Lower-cased first letters of a noun pattern's alternatives: a cheap pre-check per number."""
    if pattern is None:
        return None
    alts, depth, cur = [], 0, ""
    for ch in re.sub(r"\s*\n\s*", "", pattern):
        if ch == "|" and depth == 0:
            alts.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    alts.append(cur)
    firsts = {a.strip()[:1].lower() for a in alts}
    return frozenset(firsts) if all(f.isalpha() for f in firsts) else None


def _anchored(metric: str, key: str, pattern: str | None) -> re.Pattern | None:
    """Nouns must start right after the number (glued or after spaces)."""
    if pattern is None:
        return None
    return _compile(metric, key, rf"[\s\u00a0]*(?:{pattern})(?!\w)")


def _ending(metric: str, key: str, pattern: str | None) -> re.Pattern | None:
    """`before` cues are searched as whole words; the last match is the nearest."""
    if pattern is None:
        return None
    return _compile(metric, key, rf"(?<!\w)(?:{pattern})(?!\w)")


def _num(metric: str, key: str, v) -> float | None:
    if v is None:
        return None
    try:
        return float(v)  # YAML reads `1.0e16` (no sign in the exponent) as a string
    except (TypeError, ValueError) as exc:
        raise ValueError(f"catalog: metric {metric!r}: {key} {v!r} is not a number") from exc


def parse_catalog(data: dict) -> Catalog:
    """Validate and compile a catalog mapping (the parsed YAML)."""
    if not isinstance(data, dict) or "metrics" not in data:
        raise ValueError("catalog: expected a mapping with a `metrics` key")
    metrics: dict[str, Metric] = {}
    all_rules: list[Rule] = []
    for code, spec in data["metrics"].items():
        unit = spec.get("unit")
        if unit not in UNITS:
            raise ValueError(f"catalog: metric {code!r} has unknown unit {unit!r}")
        rules = []
        for i, r in enumerate(spec.get("rules") or []):
            kind = r.get("kind", "count")
            if kind not in KINDS:
                raise ValueError(f"catalog: metric {code!r} rule {i}: unknown kind {kind!r}")
            if not any(k in r for k in ("noun", "before", "after")) and kind == "count":
                raise ValueError(f"catalog: metric {code!r} rule {i} has no cue")
            rules.append(
                Rule(
                    metric=code,
                    noun=_anchored(code, "noun", r.get("noun")),
                    before=_ending(code, "before", r.get("before")),
                    adjacent=bool(r.get("adjacent", False)),
                    after=_compile(code, "after", r.get("after")),
                    not_before=_ending(code, "not_before", r.get("not_before")),
                    not_after=_compile(code, "not_after", r.get("not_after")),
                    kind=kind,
                    priority=int(r.get("priority", 0)),
                    label=r.get("label"),
                    ratio=bool(r.get("ratio", True)),
                    noun_first=_first_letters(r.get("noun")),
                    breakdown=bool(r.get("breakdown", False)),
                )
            )
        metrics[code] = Metric(
            code=code,
            unit=unit,
            description=spec.get("description", ""),
            min=_num(code, "min", spec.get("min")),
            max=_num(code, "max", spec.get("max")),
            rules=tuple(rules),
        )
        all_rules.extend(rules)
    nouns = data.get("nouns") or {}
    parts = []
    for unit in ("person", "org", "count"):
        if unit in nouns:
            alts = re.sub(r"\s*\n\s*", "", nouns[unit])
            parts.append(rf"(?P<{unit}>{alts})")
    noun_re = _compile("nouns", "nouns", r"[\s\u00a0]*(?:" + "|".join(parts) + r")(?!\w)")
    all_rules.sort(key=lambda r: -r.priority)
    return Catalog(
        metrics=metrics,
        rules=tuple(all_rules),
        nouns=noun_re,
        abbreviations=dict(data.get("abbreviations") or {}),
        by_kind={k: tuple(r for r in all_rules if r.kind == k) for k in KINDS},
    )


@lru_cache(maxsize=4)
def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    """The catalog from `path` (the packaged YAML by default), compiled once per process."""
    with open(path, encoding="utf-8") as fh:
        return parse_catalog(yaml.safe_load(fh))
