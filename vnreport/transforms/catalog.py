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
    noun_words: frozenset[str] | None = None  # first words the noun can start with, if known
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

    def rules_for(self, kinds: tuple[str, ...], word: str) -> tuple[Rule, ...]:
        """Rules of these kinds whose noun may start with `word` (the lower-cased word after a
        number): most numbers are followed by a noun that most rules cannot match."""
        key = (kinds, word)
        got = self._by_first.get(key)
        if got is None:
            got = tuple(
                r
                for r in self.rules
                if r.kind in kinds and (r.noun_words is None or word in r.noun_words)
            )
            if len(self._by_first) > 4096:
                self._by_first.clear()
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


_WORD_START_RE = re.compile(r"[^\W\d_]+")


def _first_words(pattern: str | None) -> frozenset[str] | None:
    """Lower-cased first words of a noun pattern's alternatives, or None when one cannot be read.

    A first word counts only when it is a whole word of plain letters (followed by the end, a
    space, punctuation or a lookaround), so a number whose next word is not in the set cannot
    match the noun: the per-number filter is exact, never a guess.
    """
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
    words = set()
    for alt in alts:
        alt = alt.strip()
        m = _WORD_START_RE.match(alt)
        if not m:
            return None
        if not _word_ends(alt[m.end() :]):
            return None  # `đ(?:ảng|oàn)`, `ab?c`: the word may go on in the pattern
        words.add(m.group().lower())
    return frozenset(words)


def _word_ends(rest: str) -> bool:
    """Does a pattern's first word end where `rest` starts (end, or a non-letter it must match)?"""
    while rest.startswith(("(?!", "(?=")):  # lookarounds consume nothing: look past them
        depth, close = 0, len(rest)
        for pos, ch in enumerate(rest):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0:
                close = pos
                break
        rest = rest[close + 1 :]
    if not rest:
        return True
    if rest.startswith("\\s"):
        return rest[2:3] not in ("?", "*", "{")
    if rest[0] in ",;:" and rest[1:2] == "?":
        return _word_ends(rest[2:])  # `chi,? đảng bộ`
    return rest[0] in " ,;:\u00a0" and rest[1:2] not in ("?", "*", "{")


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
                    noun_words=_first_words(r.get("noun")),
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
