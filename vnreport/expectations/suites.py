"""Expectation suites generated from the metric catalog and the record contract.

Nothing here is written per metric: adding a metric to the catalog adds its
plausible-range expectation and its (metric, unit) pair. Every expectation is
first described as a `Rule` (plain data: a stable name, a severity, a
description a reviewer can read), and only turned into a Great Expectations
object inside `build_suite`, so importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from vnreport.expectations import checks

# The agreed frame shapes (see the normalize stage). They are restated here on
# purpose: validation checks the normalizer's output against the contract, so
# it must not derive the contract from the code it checks.
FACT_COLUMNS: dict[str, str] = {
    "fact_id": "str",
    "doc_id": "str",
    "metric": "str",
    "value": "float",
    "value_max": "float",
    "unit": "str",
    "qualifier": "str",
    "denominator": "float",
    "pct": "float",
    "scope": "str",
    "subject": "str",
    "label": "str",
    "evidence": "str",
    "start": "int",
    "end": "int",
    "doc_length": "int",
    "organization": "str",
    "period": "str",
    "report_type": "str",
    "extractor_version": "str",
    "run_id": "str",
}
FACT_KEYS = (
    "fact_id",
    "doc_id",
    "metric",
    "value",
    "unit",
    "scope",
    "evidence",
    "start",
    "end",
    "doc_length",
    "extractor_version",
    "run_id",
)
REPORT_COLUMNS: dict[str, str] = {
    "doc_id": "str",
    "title": "str",
    "organization": "str",
    "province": "str",
    "district": "str",
    "period": "str",
    "report_type": "str",
    "meeting_date": "str",
    "published_date": "str",
    "source_name": "str",
    "inferred": "list",
}
REPORT_KEYS = ("doc_id",)

# pandas dtype names each contract type may arrive as once the Polars frame is
# handed to Great Expectations (integers go as nullable Int64, see validate).
PANDAS_TYPES = {
    "str": ["str"],
    "float": ["float64", "Float64"],
    "int": ["Int64Dtype", "int64"],
}

# The suite parameter `facts.run_id` reads: the list of accepted run ids.
RUN_IDS_PARAMETER = "run_ids"

ALL_UNITS = ("person", "org", "count", "vnd", "vnd_per_person_month", "pct")


@dataclass(frozen=True)
class MetricSpec:
    """What the suites need to know about one catalog metric."""

    code: str
    unit: str | None  # None: any unit (the `other` code)
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Rule:
    """One expectation as plain data: `kind` is a Great Expectations class name."""

    name: str
    severity: str  # 'fail' | 'warn'
    description: str
    kind: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    where: tuple[str, str] | None = None  # (column, value): only rows where column == value


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, Mapping) and name in obj:
            return obj[name]
        if not isinstance(obj, Mapping) and hasattr(obj, name):
            return getattr(obj, name)
    return None


def metric_specs(catalog: Any = None) -> dict[str, MetricSpec]:
    """The catalog as MetricSpecs, whatever container the catalog loader returns.

    Accepts a mapping code -> entry or a list of entries, entries being dicts or
    objects with `code`, `unit` and a plausible range (`min`/`max`,
    `plausible_min`/`plausible_max` or `plausible: [min, max]`).
    """
    if catalog is None:
        from vnreport.transforms.catalog import load_catalog

        catalog = load_catalog()
    metrics = _get(catalog, "metrics")
    if metrics is not None and not isinstance(catalog, list):
        catalog = metrics
    if isinstance(catalog, Mapping):
        entries = [(code, entry) for code, entry in catalog.items()]
    else:
        entries = [(_get(entry, "code"), entry) for entry in catalog]
    specs: dict[str, MetricSpec] = {}
    for code, entry in entries:
        code = _get(entry, "code") or code
        if not code:
            raise ValueError(f"metric catalog entry without a code: {entry!r}")
        unit = _get(entry, "unit")
        lo = _get(entry, "min", "plausible_min", "min_value")
        hi = _get(entry, "max", "plausible_max", "max_value")
        plausible = _get(entry, "plausible", "plausible_range", "range")
        if plausible is not None:
            if isinstance(plausible, Mapping):
                lo = plausible.get("min", lo)
                hi = plausible.get("max", hi)
            else:
                lo, hi = plausible
        if unit in ("any", "", None) or code == "other":
            unit = None
        specs[code] = MetricSpec(
            code=code,
            unit=unit,
            min=None if lo is None else float(lo),
            max=None if hi is None else float(hi),
        )
    if not specs:
        raise ValueError("the metric catalog is empty")
    return specs


def _structure_rules(
    table: str, columns: Mapping[str, str], keys: Iterable[str], id_column: str
) -> list[Rule]:
    rules = [
        Rule(
            f"{table}.columns",
            "fail",
            f"The {table} frame has every contract column.",
            "ExpectTableColumnsToMatchSet",
            {"column_set": list(columns), "exact_match": False},
        )
    ]
    for col, kind in columns.items():
        if kind in PANDAS_TYPES:
            rules.append(
                Rule(
                    f"{table}.type[{col}]",
                    "fail",
                    f"{col} is {kind}.",
                    "ExpectColumnValuesToBeInTypeList",
                    {"column": col, "type_list": PANDAS_TYPES[kind]},
                )
            )
    for col in keys:
        rules.append(
            Rule(
                f"{table}.not_null[{col}]",
                "fail",
                f"{col} is always present.",
                "ExpectColumnValuesToNotBeNull",
                {"column": col},
            )
        )
    rules.append(
        Rule(
            f"{table}.unique[{id_column}]",
            "fail",
            f"{id_column} identifies one record.",
            "ExpectColumnValuesToBeUnique",
            {"column": id_column},
        )
    )
    return rules


def _fmt_bound(x: float) -> str:
    return f"{x:,.0f}".replace(",", ".") if float(x).is_integer() else f"{x:g}"


# The (metric, unit) pair is checked as one derived column: Great Expectations' pair
# expectation walks a pandas frame row by row, which was a fifth of a validation's time.
METRIC_UNIT = "metric_unit"
METRIC_UNIT_SEP = ":"


def with_derived_facts(frame: pl.DataFrame) -> pl.DataFrame:
    """The fact columns the suite checks besides the contract's (null where a part is)."""
    if {"metric", "unit"} <= set(frame.columns):
        parts = [
            pl.col("metric").cast(pl.Utf8),
            pl.lit(METRIC_UNIT_SEP),
            pl.col("unit").cast(pl.Utf8),
        ]
        expr = pl.concat_str(parts)
    else:  # the columns rule holds the chunk; nothing to pair
        expr = pl.lit(None, dtype=pl.Utf8)
    return frame.with_columns(expr.alias(METRIC_UNIT))


def fact_rules(specs: Mapping[str, MetricSpec], *, run_id: str | None = None) -> list[Rule]:
    """Every expectation on the facts frame, generated from the catalog.

    The run's id is not written into the rules: `facts.run_id` takes it as the suite
    parameter RUN_IDS_PARAMETER at validation time (see `suite_parameters`), so the
    stored suite stays the same from one night to the next. `run_id` is accepted for
    callers that still pass it and is not used.
    """
    rules = _structure_rules("facts", FACT_COLUMNS, FACT_KEYS, "fact_id")
    units = sorted({s.unit for s in specs.values() if s.unit} | set(ALL_UNITS))
    pairs = sorted((s.code, u) for s in specs.values() for u in ([s.unit] if s.unit else units))
    rules += [
        Rule(
            "facts.metric_in_catalog",
            "fail",
            "metric is a code of the metric catalog.",
            "ExpectColumnValuesToBeInSet",
            {"column": "metric", "value_set": sorted(specs)},
        ),
        Rule(
            "facts.unit_known",
            "fail",
            "unit is one of " + ", ".join(units) + ".",
            "ExpectColumnValuesToBeInSet",
            {"column": "unit", "value_set": units},
        ),
        Rule(
            "facts.unit_matches_metric",
            "fail",
            "unit is the catalog unit of the metric (any unit for `other`): "
            f"metric{METRIC_UNIT_SEP}unit is one of the catalog's pairs.",
            "ExpectColumnValuesToBeInSet",
            {"column": METRIC_UNIT, "value_set": [f"{m}{METRIC_UNIT_SEP}{u}" for m, u in pairs]},
        ),
        Rule(
            "facts.qualifier_known",
            "fail",
            "qualifier is null or one of " + ", ".join(checks.QUALIFIERS) + ".",
            "ExpectColumnValuesToBeInSet",
            {"column": "qualifier", "value_set": list(checks.QUALIFIERS)},
        ),
        Rule(
            "facts.scope_known",
            "fail",
            "scope is org or context.",
            "ExpectColumnValuesToBeInSet",
            {"column": "scope", "value_set": list(checks.SCOPES)},
        ),
        Rule(
            "facts.report_type_known",
            "fail",
            "report_type is null or one of the contract's report types.",
            "ExpectColumnValuesToBeInSet",
            {"column": "report_type", "value_set": list(checks.REPORT_TYPES)},
        ),
        Rule(
            "facts.period_format",
            "fail",
            "period is YYYY, YYYY-Qn, YYYY-Hn, YYYY-MM or a term YYYY-YYYY.",
            "ExpectColumnValuesToMatchRegex",
            {"column": "period", "regex": checks.PERIOD_RE},
        ),
        Rule(
            "facts.evidence_not_blank",
            "fail",
            "evidence quotes the words the fact came from (not empty, not blank).",
            "ExpectColumnValuesToMatchRegex",
            {"column": "evidence", "regex": r"\S"},
        ),
        Rule(
            "facts.start_not_negative",
            "fail",
            "start >= 0: the span begins inside the document.",
            "ExpectColumnValuesToBeBetween",
            {"column": "start", "min_value": 0},
        ),
        Rule(
            "facts.start_before_end",
            "fail",
            "start < end: the span is not empty.",
            "ExpectColumnPairValuesAToBeGreaterThanB",
            {
                "column_A": "end",
                "column_B": "start",
                "or_equal": False,
                "ignore_row_if": "either_value_is_missing",
            },
        ),
        Rule(
            "facts.end_within_document",
            "fail",
            "end <= doc_length: the span ends inside the cleaned text.",
            "ExpectColumnPairValuesAToBeGreaterThanB",
            {
                "column_A": "doc_length",
                "column_B": "end",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
        ),
        Rule(
            "facts.denominator_positive",
            "fail",
            "The Y of an X/Y pair is positive.",
            "ExpectColumnValuesToBeBetween",
            {"column": "denominator", "min_value": 0, "strict_min": True},
        ),
        Rule(
            "facts.pct_not_negative",
            "fail",
            "A stated percentage is not negative.",
            "ExpectColumnValuesToBeBetween",
            {"column": "pct", "min_value": 0},
        ),
        Rule(
            "facts.run_id",
            "fail",
            "Every fact carries this run's id.",
            "ExpectColumnValuesToBeInSet",
            {"column": "run_id", "value_set": {"$PARAMETER": RUN_IDS_PARAMETER}},
        ),
    ]
    for spec in sorted(specs.values(), key=lambda s: s.code):
        if spec.min is None and spec.max is None:
            continue
        lo = "" if spec.min is None else _fmt_bound(spec.min)
        hi = "" if spec.max is None else _fmt_bound(spec.max)
        rules.append(
            Rule(
                f"facts.range[{spec.code}]",
                "fail",
                f"{spec.code} is plausible: between {lo or '-∞'} and {hi or '∞'} "
                f"{spec.unit or ''}".rstrip()
                + ".",
                "ExpectColumnValuesToBeBetween",
                {"column": "value", "min_value": spec.min, "max_value": spec.max},
                where=("metric", spec.code),
            )
        )
    rules += _check_rules("facts", checks.FACT_CHECKS)
    return rules


def report_rules() -> list[Rule]:
    """Every expectation on the reports frame (one row per document)."""
    rules = _structure_rules("reports", REPORT_COLUMNS, REPORT_KEYS, "doc_id")
    rules += [
        Rule(
            "reports.report_type_known",
            "fail",
            "report_type is null or one of the contract's report types.",
            "ExpectColumnValuesToBeInSet",
            {"column": "report_type", "value_set": list(checks.REPORT_TYPES)},
        ),
        Rule(
            "reports.period_format",
            "fail",
            "period is YYYY, YYYY-Qn, YYYY-Hn, YYYY-MM or a term YYYY-YYYY.",
            "ExpectColumnValuesToMatchRegex",
            {"column": "period", "regex": checks.PERIOD_RE},
        ),
        Rule(
            "reports.meeting_date_format",
            "fail",
            "meeting_date is an ISO date YYYY-MM-DD.",
            "ExpectColumnValuesToMatchRegex",
            {"column": "meeting_date", "regex": checks.DATE_RE},
        ),
        Rule(
            "reports.published_date_format",
            "fail",
            "published_date is an ISO date YYYY-MM-DD.",
            "ExpectColumnValuesToMatchRegex",
            {"column": "published_date", "regex": checks.DATE_RE},
        ),
        Rule(
            "reports.organization_present",
            "warn",
            "The reporting organization is known (facts without it cannot join a time series).",
            "ExpectColumnValuesToNotBeNull",
            {"column": "organization"},
        ),
    ]
    rules += _check_rules("reports", checks.REPORT_CHECKS)
    return rules


def _check_rules(table: str, check_list: Iterable[checks.Check]) -> list[Rule]:
    """Derived check columns are validated like any column: True passes, null does not apply."""
    return [
        Rule(
            f"{table}.{c.name}",
            c.severity,
            c.description,
            "ExpectColumnValuesToBeInSet",
            {"column": c.column, "value_set": [True]},
        )
        for c in check_list
    ]


def suite_parameters(run_id: str) -> dict[str, Any]:
    """The values of the suites' parameters for one run."""
    return {RUN_IDS_PARAMETER: [run_id]}


def rules_hash(name: str, rules: Iterable[Rule]) -> str:
    """A digest of everything a stored suite is built from (and the Great Expectations version).

    Two runs with the same digest would store the same suite, so the second keeps the first's.
    """
    import hashlib
    import json

    import great_expectations as gx

    payload = json.dumps(
        {
            "name": name,
            "gx": gx.__version__,
            "rules": [
                [r.name, r.severity, r.description, r.kind, r.kwargs, list(r.where or ())]
                for r in rules
            ],
        },
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def build_suite(name: str, rules: Iterable[Rule], *, meta: dict[str, Any] | None = None):
    """A Great Expectations suite from rules; each expectation's meta keeps the rule name.

    The expectations are handed to the suite's constructor: `add_expectation` compares
    each new expectation with every one already added (quadratic, about a second for
    the fact suite). Rule names are unique, and each expectation's description starts
    with its rule name, so no two are equal and nothing the set semantics would drop
    is lost.
    """
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    expectations = []
    for rule in rules:
        cls = getattr(gxe, rule.kind)
        kwargs = dict(rule.kwargs)
        if rule.where:
            kwargs["row_condition"] = Column(rule.where[0]) == rule.where[1]
        expectations.append(
            cls(
                **kwargs,
                description=f"{rule.name} ({rule.severity}): {rule.description}",
                severity="critical" if rule.severity == "fail" else "warning",
                meta={"rule": rule.name, "severity": rule.severity},
            )
        )
    suite = gx.ExpectationSuite(name=name, expectations=expectations)
    if meta:
        suite.meta.update(meta)
    return suite
