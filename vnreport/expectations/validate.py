"""Validate one run's facts and reports with Great Expectations.

One batch per suite (facts, reports), each expectation's failures mapped back
to the rows they came from through the `_row` column, and every row's failed
expectations turned into a verdict: a `fail` expectation sends the record to
quarantine (with all its reasons and the record itself), a `warn` expectation
lets it load with the reason in `dq_warnings`. Nothing is dropped: each input
row ends up either in `Validation.facts`/`reports` or in `quarantine`.

Great Expectations is imported inside the functions: it takes seconds to
import and the light CLI commands must not pay for it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from vnreport import memory
from vnreport.expectations import checks, suites
from vnreport.expectations.summary import summary_markdown, write_summary_html

__all__ = [
    "Validation",
    "summary_markdown",
    "validate_run",
    "validate_spill",
    "write_summary_html",
]

FACT_SUITE = "facts"
REPORT_SUITE = "reports"
DATASOURCE = "vnreport"

QUARANTINE_SCHEMA = {
    "record_id": pl.Utf8,
    "record_type": pl.Utf8,
    "doc_id": pl.Utf8,
    "run_id": pl.Utf8,
    "reasons": pl.List(pl.Utf8),
    "record": pl.Utf8,
}
DQ_RESULTS_SCHEMA = {
    "run_id": pl.Utf8,
    "suite": pl.Utf8,
    "expectation": pl.Utf8,
    "severity": pl.Utf8,
    "success": pl.Boolean,
    "observed": pl.Utf8,
    "unexpected_count": pl.Int64,
}
ISSUES_SCHEMA = {
    "record_type": pl.Utf8,
    "record_id": pl.Utf8,
    "doc_id": pl.Utf8,
    "rule": pl.Utf8,
    "severity": pl.Utf8,
    "detail": pl.Utf8,
    "metric": pl.Utf8,
    "value": pl.Float64,
    "evidence": pl.Utf8,
}
POLARS_TYPES = {"str": pl.Utf8, "float": pl.Float64, "int": pl.Int64, "list": pl.List(pl.Utf8)}


# Rows (facts + reports) per validation chunk: memory is bounded by the chunk, not the run.
CHUNK_ROWS = 20_000


@dataclass
class Validation:
    """What validation lets through, what it holds back, and why."""

    facts: pl.DataFrame  # input columns + dq_status + dq_warnings; loadable facts only
    reports: pl.DataFrame  # loadable reports
    quarantine: pl.DataFrame  # record_id, record_type, doc_id, run_id, reasons, record (JSON)
    dq_results: pl.DataFrame  # one row per expectation and suite
    data_docs_index: str | None
    # One row per (record, failed expectation): the examples the run summary shows.
    issues: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=ISSUES_SCHEMA))
    # Rule name -> its description, for reports.
    descriptions: dict[str, str] = field(default_factory=dict)
    summary_html: str | None = None
    reports_in: int = 0
    facts_in: int = 0
    # When validation wrote the loadable facts to Parquet (`validate_spill`), `facts` is
    # empty and these files hold them; the load reads them from disk.
    facts_files: list[str] = field(default_factory=list)
    facts_ok: int | None = None  # loadable facts (pass + warn); None: facts.height
    facts_warned: int | None = None  # loadable facts with warnings; None: counted in facts
    # With build_docs=False: what `build_data_docs` needs to render this run's pages later.
    docs_pending: dict[str, Any] | None = None

    @property
    def docs_index(self) -> str | None:
        """The Data Docs index of this run: built, or to be built by `build_data_docs`."""
        if self.data_docs_index or not self.docs_pending:
            return self.data_docs_index
        return str(data_docs_index(Path(self.docs_pending["dq_root"])))

    def __post_init__(self) -> None:
        if self.facts_ok is None:
            self.facts_ok = self.facts.height
        if self.facts_warned is None:
            self.facts_warned = (
                self.facts.filter(pl.col("dq_status") == "warn").height
                if "dq_status" in self.facts.columns
                else 0
            )


def _quiet_gx() -> None:
    """Telemetry off before Great Expectations is imported (it reads the variable then)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"


def _schema(frame) -> pl.Schema:
    return frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema


def _coerce(frame, columns: Mapping[str, str]):
    """The contract columns in their contract types, for the derived checks only.

    The Great Expectations batch keeps the frame as it came (so a wrong type is
    reported), but the checks must compute on something well-typed. `frame` may
    be a DataFrame or a LazyFrame.
    """
    schema = _schema(frame)
    exprs = []
    for col, kind in columns.items():
        target = POLARS_TYPES[kind]
        if col not in schema:
            exprs.append(pl.lit(None, dtype=target).alias(col))
        elif schema[col] != target:
            if kind == "list":
                exprs.append(pl.lit(None, dtype=target).alias(col))
            else:
                exprs.append(pl.col(col).cast(target, strict=False))
    return frame.with_columns(exprs) if exprs else frame


def _to_pandas(frame: pl.DataFrame):
    """Hand the batch to Great Expectations: integers as nullable Int64, text as Python str.

    Built column by column: integers from their values and null mask (no Python
    list per value), text as an object column of Python strings (Great Expectations
    then checks each value's type), everything else through Arrow.
    """
    import numpy as np
    import pandas as pd

    conv = frame.with_columns(
        [
            pl.col(c).map_elements(
                lambda v: json.dumps(list(v), ensure_ascii=False), return_dtype=pl.Utf8
            )
            for c, t in frame.schema.items()
            if isinstance(t, pl.List)
        ]
    )
    special: dict[str, Any] = {}
    for c, t in conv.schema.items():
        if t.is_integer():
            col = conv[c]
            values = np.array(col.fill_null(0).cast(pl.Int64).to_numpy(), dtype=np.int64)
            mask = np.array(col.is_null().to_numpy(), dtype=bool)
            special[c] = pd.arrays.IntegerArray(values, mask)
        elif t == pl.Utf8:
            special[c] = np.array(conv[c].to_list(), dtype=object)
    rest = [c for c in conv.columns if c not in special]
    pdf = conv.select(rest).to_pandas() if rest else None
    index = pd.RangeIndex(conv.height)
    columns = {}
    for c in conv.columns:
        if c not in special:
            columns[c] = pdf[c]
        elif isinstance(special[c], np.ndarray):
            columns[c] = pd.Series(special[c], dtype=object, index=index)
        else:
            columns[c] = pd.Series(special[c], index=index)
    return pd.DataFrame(columns, index=index)


def _context(dq_root: Path):
    """A file-backed Great Expectations project under dq_root with offline Data Docs.

    The project's settings are written only when they differ from what is stored.
    """
    _quiet_gx()
    import great_expectations as gx

    from vnreport.expectations import datadocs

    dq_root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(dq_root))
    progress = {"globally": False, "metric_calculations": False}
    if context.variables.progress_bars != progress or context.variables.analytics_enabled:
        context.variables.progress_bars = progress
        context.variables.analytics_enabled = False
        context.variables.save()
    sites = context.variables.data_docs_sites or {}
    config = datadocs.site_config()
    if sites.get(datadocs.SITE_NAME) != config:
        if datadocs.SITE_NAME in sites:
            context.update_data_docs_site(datadocs.SITE_NAME, config)
        else:
            context.add_data_docs_site(datadocs.SITE_NAME, config)
    return context


def _batch_definition(context, asset_name: str):
    try:
        source = context.data_sources.get(DATASOURCE)
    except (KeyError, ValueError, LookupError):
        source = context.data_sources.add_or_update_pandas(DATASOURCE)
    try:
        asset = source.get_asset(asset_name)
    except LookupError:
        asset = source.add_dataframe_asset(asset_name)
    try:
        return asset.get_batch_definition("whole")
    except KeyError:
        return asset.add_batch_definition_whole_dataframe("whole")


SUITE_HASH_KEY = "vnreport_rules_sha256"


def _stored_hash(path: Path) -> str | None:
    try:
        return (json.loads(path.read_text(encoding="utf-8")).get("meta") or {}).get(SUITE_HASH_KEY)
    except (OSError, ValueError, AttributeError):
        return None


def _definition(context, gx_root: Path, name: str, rules: list[suites.Rule]):
    """The stored validation definition of a suite, rebuilt only when its rules changed.

    The suite's meta keeps a digest of its rules (`suites.rules_hash`): a run whose
    rules give the same digest reuses the stored suite and definition as they are
    (no delete, no write). Returns (definition, rebuilt).
    """
    import great_expectations as gx

    digest = suites.rules_hash(name, rules)
    if (
        _stored_hash(gx_root / "expectations" / f"{name}.json") == digest
        and (gx_root / "validation_definitions" / f"{name}.json").exists()
    ):
        with contextlib.suppress(Exception):  # unreadable or inconsistent: rebuild below
            definition = context.validation_definitions.get(name)
            if definition.suite.meta.get(SUITE_HASH_KEY) == digest:
                return definition, False
    # Replace the stored suite in one write: updating it in place re-serializes the
    # whole suite once per expectation (seconds for a hundred expectations).
    with contextlib.suppress(Exception):  # absent on the first run
        context.suites.delete(name)
    suite = context.suites.add(suites.build_suite(name, rules, meta={SUITE_HASH_KEY: digest}))
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=_batch_definition(context, name), suite=suite)
    )
    return definition, True


def _plain(v: Any) -> Any:
    """numpy/pandas scalars to JSON-friendly Python values."""
    if hasattr(v, "item") and not isinstance(v, (list, dict, str)):
        with contextlib.suppress(ValueError, AttributeError):
            v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    try:
        import pandas as pd

        if v is pd.NA:
            return None
    except ImportError:  # pragma: no cover
        pass
    return v


def _plain_observed(result: dict[str, Any]) -> str:
    """What a table-level expectation observed (no per-row counts)."""
    mismatched = (result.get("details") or {}).get("mismatched") or {}
    if mismatched.get("missing"):
        return "missing columns: " + ", ".join(sorted(mismatched["missing"]))
    return json.dumps(_plain(result.get("observed_value")), ensure_ascii=False, default=str)


def _observed(result: dict[str, Any], exception: str | None, *, sample: bool = True) -> str:
    if exception:
        return f"error: {exception}"
    if "unexpected_count" in result:
        n = result.get("unexpected_count") or 0
        total = result.get("element_count")
        values = [_plain(v) for v in (result.get("partial_unexpected_list") or [])[:5]]
        text = f"{n} of {total} unexpected"
        if n and values and sample:
            text += f"; e.g. {json.dumps(values, ensure_ascii=False, default=str)}"
        return text
    return _plain_observed(result)


EXAMPLES = 5  # unexpected values shown in `observed`


class _Totals:
    """One suite's expectation results summed over the chunks of a run.

    Per expectation: success if every chunk succeeded, the unexpected and element
    counts summed, the first EXAMPLES unexpected values by input row, and for a
    table-level expectation what the first failing chunk observed (every chunk
    sees the same columns and types).
    """

    def __init__(self, suite: str, run_id: str) -> None:
        self.suite, self.run_id = suite, run_id
        self.rules: dict[str, dict[str, Any]] = {}

    def add(self, entry: dict[str, Any]) -> None:
        cur = self.rules.get(entry["rule"])
        if cur is None:
            self.rules[entry["rule"]] = {**entry, "examples": sorted(entry["examples"])[:EXAMPLES]}
            return
        if entry["exception"] and not cur["exception"]:
            cur["exception"] = entry["exception"]
        if cur["success"] and not entry["success"]:
            cur["plain"] = entry["plain"]
        cur["success"] = cur["success"] and entry["success"]
        cur["counted"] = cur["counted"] or entry["counted"]
        for key in ("unexpected_count", "element_count"):
            if entry[key] is not None:
                cur[key] = (cur[key] or 0) + entry[key]
        cur["examples"] = sorted(cur["examples"] + entry["examples"])[:EXAMPLES]

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for rule, e in self.rules.items():
            if e["exception"]:
                observed = f"error: {e['exception']}"
            elif e["counted"]:
                n = e["unexpected_count"] or 0
                observed = f"{n} of {e['element_count']} unexpected"
                values = [v for _, v in e["examples"]]
                if n and values and e["sample"]:
                    observed += f"; e.g. {json.dumps(values, ensure_ascii=False, default=str)}"
            else:
                observed = e["plain"]
            out.append(
                {
                    "run_id": self.run_id,
                    "suite": self.suite,
                    "expectation": rule,
                    "severity": e["severity"],
                    "success": e["success"],
                    "observed": observed,
                    "unexpected_count": e["unexpected_count"],
                }
            )
        return out


def _example(item: Mapping[str, Any], kwargs: Mapping[str, Any]) -> Any:
    """The unexpected value(s) of one row, as Great Expectations lists them."""
    if "column" in kwargs:
        return _plain(item.get(kwargs["column"]))
    if "column_A" in kwargs:
        return [_plain(item.get(kwargs["column_A"])), _plain(item.get(kwargs["column_B"]))]
    return None


_GX_RUN = threading.Lock()


@contextlib.contextmanager
def _configurations_once():
    """Each expectation's `configuration` built once per validation instead of on every read.

    Great Expectations 1.x rebuilds `Expectation.configuration` (a pydantic `.dict()`
    and a new ExpectationConfiguration) each time it is read, and one validation
    reads it about a hundred times per expectation: a fifth of a warm validation's
    CPU. During a validation the expectation objects are not changed, so the value
    is kept per object for the duration of the run (the objects are held, so an id
    is never reused meanwhile). Validations in this process are serialized while the
    class attribute is swapped, and it is put back afterwards, whatever happens.
    """
    from great_expectations.expectations.expectation import Expectation

    original = Expectation.__dict__.get("configuration")
    if not isinstance(original, property):  # another Great Expectations: leave it alone
        yield
        return
    cache: dict[int, tuple[Any, Any]] = {}

    def configuration(self):
        hit = cache.get(id(self))
        if hit is not None and hit[0] is self:
            return hit[1]
        value = original.fget(self)
        cache[id(self)] = (self, value)
        return value

    with _GX_RUN:
        Expectation.configuration = property(configuration, doc=original.__doc__)
        try:
            yield
        finally:
            Expectation.configuration = original
            cache.clear()


def _drop_batches(definition) -> None:
    """Forget the chunks Great Expectations has validated.

    The data source's execution engine outlives the run and kept the last batch of each
    suite: a chunk's pandas frame (about 44 MB at 17,600 facts) held through the load and
    the report. Nothing reads a batch after its suite has run.
    """
    engine = definition.data_source.get_execution_engine()
    engine.batch_manager.batch_data_cache.clear()
    engine.batch_manager.reset_batch_cache()


def _run_suite(
    definition,
    *,
    rules_by_name: Mapping[str, suites.Rule],
    batch: pl.DataFrame,
    whys: Mapping[str, Mapping[int, str]],
    parameters: dict[str, Any],
    run_name: str,
    index_columns: list[str],
) -> tuple[list[dict[str, Any]], dict[int, list[tuple[str, str, str]]]]:
    """One suite over one chunk: per-expectation entries for `_Totals`, failed rules per row."""
    from great_expectations.core.run_identifier import RunIdentifier

    pdf = _to_pandas(batch)
    with _configurations_once():
        result = definition.run(
            batch_parameters={"dataframe": pdf},
            expectation_parameters=parameters,
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": index_columns,
                "partial_unexpected_count": EXAMPLES,
                "return_unexpected_index_query": False,
            },
            run_id=RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.UTC)),
        )
    _drop_batches(definition)
    del pdf
    all_rows: list[int] | None = None
    check_by_column = {f"chk_{name}": name for name in whys}
    entries: list[dict[str, Any]] = []
    by_row: dict[int, list[tuple[str, str, str]]] = {}
    for res in result.results:
        meta = res.expectation_config.meta or {}
        rule, severity = meta.get("rule"), meta.get("severity", "fail")
        info = res.exception_info or {}
        exception = info.get("exception_message") if info.get("raised_exception") else None
        body = res.result or {}
        success = bool(res.success) and not exception
        kwargs = res.expectation_config.kwargs
        column = kwargs.get("column")
        check = check_by_column.get(column)
        index_list = body.get("unexpected_index_list")
        examples = []
        if index_list and not exception:
            rule_kwargs = rules_by_name[rule].kwargs if rule in rules_by_name else kwargs
            firsts = sorted(index_list, key=lambda item: int(_plain(item["_row"])))[:EXAMPLES]
            examples = [(int(_plain(i["_row"])), _example(i, rule_kwargs)) for i in firsts]
        entries.append(
            {
                "rule": rule,
                "severity": severity,
                "success": success,
                "exception": exception,
                "counted": "unexpected_count" in body,
                "unexpected_count": body.get("unexpected_count"),
                "element_count": body.get("element_count"),
                "examples": examples,
                "sample": check is None,
                "plain": None if "unexpected_count" in body else _plain_observed(body),
            }
        )
        if success:
            continue
        if index_list is not None and len(index_list) < (body.get("unexpected_count") or 0):
            # Never let a truncated index list load records that failed: hold the chunk.
            index_list = None
        if exception or index_list is None:
            # A table-level expectation (or one that could not run): the whole chunk is suspect.
            detail = f"observed {_observed(body, exception)}"
            mismatched = (body.get("details") or {}).get("mismatched") or {}
            if mismatched.get("missing"):
                detail = "missing columns: " + ", ".join(sorted(mismatched["missing"]))
            elif column and column not in batch.columns:
                detail = f"column {column} is missing"
            if all_rows is None:
                all_rows = batch["_row"].to_list()
            for row in all_rows:
                by_row.setdefault(row, []).append((rule, severity, detail))
            continue
        for item in index_list:
            row = int(_plain(item["_row"]))
            if check is not None:
                detail = whys[check].get(row, "check failed")
            else:
                shown = {
                    k: _plain(v) for k, v in item.items() if k not in ("_row", "fact_id", "doc_id")
                } or {k: _plain(v) for k, v in item.items() if k != "_row"}
                detail = "got " + ", ".join(f"{k}={v!r}" for k, v in shown.items())
            by_row.setdefault(row, []).append((rule, severity, detail))
    return entries, by_row


def _record_json(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, default=str, sort_keys=False)


def _record_id(record: dict[str, Any], key: str) -> str:
    if record.get(key):
        return str(record[key])
    digest = hashlib.sha256(_record_json(record).encode()).hexdigest()[:16]
    return f"{record.get('doc_id') or 'unknown'}:{digest}"


def _split(
    frame: pl.DataFrame,
    by_row: Mapping[int, list[tuple[str, str, str]]],
    *,
    record_type: str,
    key: str,
    run_id: str,
    descriptions: Mapping[str, str],
) -> tuple[pl.DataFrame, list[tuple[int, dict]], list[tuple[int, dict]]]:
    """Loadable rows (with dq_status, dq_warnings), quarantine rows and issue rows.

    `frame` is one chunk with its `_row` column. Rows no expectation failed pass as
    they are, without a trip through Python: they hold unique, present ids (a
    duplicate or missing id fails its expectation), so their record id is the key.
    Quarantine and issue rows come with their input row, to be ordered by it.
    """
    flagged_rows = sorted(by_row)
    columns = [c for c in frame.columns if c != "_row"]
    clean = frame.filter(~pl.col("_row").is_in(flagged_rows)).with_columns(
        pl.lit("pass", dtype=pl.Utf8).alias("dq_status"),
        pl.lit([], dtype=pl.List(pl.Utf8)).alias("dq_warnings"),
    )
    flagged = frame.filter(pl.col("_row").is_in(flagged_rows))
    keep, status, warnings = [], [], []
    quarantine: list[tuple[int, dict]] = []
    issues: list[tuple[int, dict]] = []
    used: set[str] = set()
    for record in flagged.iter_rows(named=True):
        row = record.pop("_row")
        found = by_row.get(row, [])
        fails = [(r, d) for r, s, d in found if s == "fail"]
        warns = [(r, d) for r, s, d in found if s != "fail"]
        rid = _record_id(record, key)
        if rid in used:
            # Duplicate ids are quarantined together; the warehouse keys quarantine by id.
            digest = hashlib.sha256(_record_json(record).encode()).hexdigest()[:12]
            rid, n = f"{rid}:{digest}", 1
            while rid in used:
                n += 1
                rid = f"{rid.rsplit('#', 1)[0]}#{n}"
        used.add(rid)
        for rule, severity, detail in found:
            issues.append(
                (
                    row,
                    {
                        "record_type": record_type,
                        "record_id": rid,
                        "doc_id": record.get("doc_id"),
                        "rule": rule,
                        "severity": severity,
                        "detail": detail,
                        "metric": record.get("metric"),
                        "value": record.get("value")
                        if isinstance(record.get("value"), float | int)
                        else None,
                        "evidence": record.get("evidence"),
                    },
                )
            )
        if fails:
            quarantine.append(
                (
                    row,
                    {
                        "record_id": rid,
                        "record_type": record_type,
                        "doc_id": record.get("doc_id"),
                        "run_id": run_id,
                        "reasons": [
                            f"{r}: {descriptions.get(r, '')} — {d}" for r, d in fails + warns
                        ],
                        "record": _record_json(record),
                    },
                )
            )
            continue
        keep.append(row)
        status.append("warn" if warns else "pass")
        warnings.append([f"{r}: {d}" for r, d in warns])
    verdicts = pl.DataFrame(
        {"_row": keep, "dq_status": status, "dq_warnings": warnings},
        schema={"_row": pl.Int64, "dq_status": pl.Utf8, "dq_warnings": pl.List(pl.Utf8)},
    )
    kept = pl.concat([clean, flagged.join(verdicts, on="_row", how="inner")], how="vertical").sort(
        "_row"
    )
    return kept.select([*columns, "dq_status", "dq_warnings", "_row"]), quarantine, issues


# --------------------------------------------------------------------------- chunking


def _shared_keys(per_batch: list) -> list[tuple[int, int]]:
    """(first batch, other batch) for every key hash found in more than one batch.

    `per_batch`: each batch's distinct hashes (numpy uint64). Sorted with numpy rather
    than grouped in Polars: at 1.8 million facts a Polars hash grouping took 300 MB,
    and its allocator kept them through the load.
    """
    import numpy as np

    if not per_batch:
        return []
    h = np.concatenate(per_batch)
    batch = np.repeat(np.arange(len(per_batch)), [len(a) for a in per_batch])
    order = np.argsort(h, kind="stable")  # stable: a hash's batches stay in batch order
    h, batch = h[order], batch[order]
    del order
    same = h[1:] == h[:-1]
    if not same.any():
        return []
    links: list[tuple[int, int]] = []
    # runs of one hash: each later batch is linked to the run's first
    starts = np.flatnonzero(np.r_[True, ~same])
    ends = np.r_[starts[1:], len(h)]
    for lo, hi in zip(starts[ends - starts > 1], ends[ends - starts > 1], strict=True):
        first = int(batch[lo])
        links += [(first, int(j)) for j in batch[lo + 1 : hi]]
    return links


def _union(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    """Connected groups of linked keys: key -> its group's smallest key."""
    parent: dict[Any, Any] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in parent}


def _pack(units: list[tuple[Any, int]], chunk_rows: int) -> list[list[Any]]:
    """Units (in order, with their row counts) into consecutive chunks of about chunk_rows."""
    chunks: list[list[Any]] = []
    size = 0
    for unit, n in units:
        if not chunks or (size and size + n > chunk_rows):
            chunks.append([])
            size = 0
        chunks[-1].append(unit)
        size += n
    return chunks or [[]]


@dataclass
class _Source:
    """A run's facts and reports, and how to read them one chunk at a time.

    `parts` yields (facts, reports) per chunk, each with its `_row` (the row's place
    in the run's whole frame, so row numbers never clash across chunks). Every row
    of a document is in the same chunk, and so is every row sharing a fact id with
    another (uniqueness is checked per chunk).
    """

    n_chunks: int
    facts_in: int
    reports_in: int
    facts_lazy: Any  # LazyFrame/DataFrame of every fact with `_row`: the run-wide checks read it
    fact_columns: list[str]
    report_columns: list[str]
    parts: Any  # () -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]


def _with_rows(frame: pl.DataFrame, offset: int = 0) -> pl.DataFrame:
    return frame.with_row_index("_row", offset=offset).with_columns(pl.col("_row").cast(pl.Int64))


def _doc_key(frame: pl.DataFrame) -> pl.Expr:
    if "doc_id" not in frame.columns:
        return pl.lit("\x00", dtype=pl.Utf8)
    return pl.col("doc_id").cast(pl.Utf8, strict=False).fill_null("\x00")


def _frame_source(facts: pl.DataFrame, reports: pl.DataFrame, chunk_rows: int) -> _Source:
    """In-memory frames, cut into chunks of whole documents."""
    facts_rows = _with_rows(facts).with_columns(_doc_key(facts).alias("_unit"))
    reports_rows = _with_rows(reports).with_columns(_doc_key(reports).alias("_unit"))
    links: list[tuple[str, str]] = []
    if "fact_id" in facts.columns:
        dup = facts_rows.filter(
            pl.col("fact_id").is_not_null() & pl.col("fact_id").is_duplicated()
        ).select(pl.col("fact_id").cast(pl.Utf8), "_unit")
        for _, grp in dup.group_by("fact_id"):
            units = grp["_unit"].to_list()
            links += [(units[0], u) for u in units[1:]]
    root = _union(links)
    first = (
        pl.concat(
            [
                facts_rows.select("_unit", pl.lit(0).alias("_t"), "_row"),
                reports_rows.select("_unit", pl.lit(1).alias("_t"), "_row"),
            ]
        )
        .with_columns(pl.col("_unit").replace(root).alias("_unit"))
        .group_by("_unit")
        .agg(
            pl.min("_t").alias("_t"),
            pl.len().alias("_n"),
            pl.col("_row").filter(pl.col("_t") == pl.col("_t").min()).min().alias("_r"),
        )
        .sort("_t", "_r")
    )
    # A unit's first row: its first fact (facts in input order), else its report.
    order = [(u, n) for u, _t, n, _r in first.iter_rows()]
    chunks = _pack(order, max(1, chunk_rows))
    chunk_of = {u: i for i, units in enumerate(chunks) for u in units}
    for key, r in root.items():
        chunk_of[key] = chunk_of[r]
    mapping = pl.DataFrame(
        {"_unit": list(chunk_of), "_chunk": list(chunk_of.values())},
        schema={"_unit": pl.Utf8, "_chunk": pl.Int64},
    )
    facts_rows = facts_rows.join(mapping, on="_unit", how="left").drop("_unit")
    reports_rows = reports_rows.join(mapping, on="_unit", how="left").drop("_unit")

    def parts():
        if len(chunks) == 1:
            yield facts_rows.drop("_chunk").sort("_row"), reports_rows.drop("_chunk").sort("_row")
            return
        f_parts = facts_rows.partition_by("_chunk", as_dict=True, include_key=False)
        r_parts = reports_rows.partition_by("_chunk", as_dict=True, include_key=False)
        for i in range(len(chunks)):
            yield (
                f_parts.get((i,), facts_rows.clear().drop("_chunk")).sort("_row"),
                r_parts.get((i,), reports_rows.clear().drop("_chunk")).sort("_row"),
            )

    return _Source(
        n_chunks=len(chunks),
        facts_in=facts.height,
        reports_in=reports.height,
        facts_lazy=facts_rows.drop("_chunk"),
        fact_columns=list(facts.columns),
        report_columns=list(reports.columns),
        parts=parts,
    )


def _spill_source(root: Path, exclude: list[str], chunk_rows: int) -> _Source:
    """Spilled batch files (`facts-NNNNNN.parquet`, `reports-NNNNNN.parquet`), read a few
    batches at a time.

    A batch holds whole documents, so chunks are sets of batches; batches sharing a
    fact id (or a report's doc id) go in the same chunk.
    """
    from vnreport.transforms import normalize

    def files(name: str) -> dict[str, Path]:
        return {p.name.split("-", 1)[1]: p for p in sorted(root.glob(f"{name}-*.parquet"))}

    fact_files, report_files = files("facts"), files("reports")
    batches = sorted(set(fact_files) | set(report_files))

    def scan(path: Path | None, schema) -> pl.LazyFrame:
        lazy = pl.scan_parquet(path) if path else pl.LazyFrame(schema=schema)
        return lazy.filter(~pl.col("doc_id").is_in(exclude)) if exclude else lazy

    n_facts, n_reports = [], []
    hashes: tuple[list, list] = ([], [])  # per key kind: each batch's distinct key hashes
    for b in batches:
        # One read of the key column per file: its row count and its keys' hashes.
        for t, (files_of, key, schema, counts) in enumerate(
            (
                (fact_files, "fact_id", normalize.FACT_SCHEMA, n_facts),
                (report_files, "doc_id", normalize.REPORT_SCHEMA, n_reports),
            )
        ):
            keys = scan(files_of.get(b), schema).select(pl.col(key)).collect()[key]
            counts.append(len(keys))
            hashes[t].append(keys.drop_nulls().hash().unique().to_numpy())
    links = [link for per_batch in hashes for link in _shared_keys(per_batch)]
    del hashes
    root_of = _union(links)
    groups: dict[int, list[int]] = {}
    for i in range(len(batches)):
        groups.setdefault(root_of.get(i, i), []).append(i)
    units = [(tuple(members), sum(n_facts[j] + n_reports[j] for j in members))
             for _, members in sorted(groups.items())]  # fmt: skip
    chunks = [sorted(j for unit in c for j in unit) for c in _pack(units, max(1, chunk_rows))]
    fact_offsets = [sum(n_facts[:i]) for i in range(len(batches))]
    report_offsets = [sum(n_reports[:i]) for i in range(len(batches))]

    def read(i: int, name: str) -> pl.DataFrame:
        path, schema, offsets = (
            (fact_files.get(batches[i]), normalize.FACT_SCHEMA, fact_offsets)
            if name == "facts"
            else (report_files.get(batches[i]), normalize.REPORT_SCHEMA, report_offsets)
        )
        return _with_rows(scan(path, schema).collect(), offsets[i])

    def parts():
        for chunk in chunks:
            if not chunk:
                yield (
                    _with_rows(pl.DataFrame(schema=normalize.FACT_SCHEMA)),
                    _with_rows(pl.DataFrame(schema=normalize.REPORT_SCHEMA)),
                )
                continue
            yield (
                pl.concat([read(i, "facts") for i in chunk], how="vertical_relaxed"),
                pl.concat([read(i, "reports") for i in chunk], how="vertical_relaxed"),
            )

    all_facts = [fact_files[b] for b in batches if b in fact_files]
    lazy = (
        scan(all_facts, normalize.FACT_SCHEMA)
        if all_facts
        else pl.LazyFrame(schema=normalize.FACT_SCHEMA)
    )
    return _Source(
        n_chunks=len(chunks),
        facts_in=sum(n_facts),
        reports_in=sum(n_reports),
        facts_lazy=lazy.with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64)),
        fact_columns=list(normalize.FACT_SCHEMA),
        report_columns=list(normalize.REPORT_SCHEMA),
        parts=parts,
    )


# --------------------------------------------------------------------------- the run


class _FactSink:
    """Loadable facts of each chunk: kept in memory, or written to Parquet under `out_dir`."""

    def __init__(self, out_dir: Path | None) -> None:
        self.out_dir = Path(out_dir) if out_dir is not None else None
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        self.frames: list[pl.DataFrame] = []
        self.files: list[str] = []
        self.ok = self.warned = 0
        self.schema: pl.Schema | None = None

    def add(self, frame: pl.DataFrame) -> None:
        self.ok += frame.height
        self.warned += frame.filter(pl.col("dq_status") == "warn").height
        self.schema = self.schema or frame.drop("_row").schema
        if self.out_dir is None:
            self.frames.append(frame)
        elif frame.height:
            path = self.out_dir / f"facts-{len(self.files):06d}.parquet"
            frame.drop("_row").write_parquet(path)
            self.files.append(str(path))

    def frame(self) -> pl.DataFrame:
        if self.out_dir is not None or not self.frames:
            return pl.DataFrame(schema=self.schema)
        return pl.concat(self.frames, how="vertical").sort("_row").drop("_row")


def _run_names(run_id: str, n: int) -> list[str]:
    """One validation result per chunk, named after the run and the chunk."""
    if n <= 1:
        return [run_id]
    return [f"{run_id}-part-{i + 1:03d}-of-{n:03d}" for i in range(n)]


def _check_chunk(
    rows: pl.DataFrame,
    *,
    record_type: str,
    key: str,
    columns: Mapping[str, str],
    chunk_checks: list,
    definition,
    rules_by_name: dict,
    totals: _Totals,
    parameters: dict,
    run_name: str,
    descriptions: Mapping[str, str],
    derive=None,
    **check_kwargs,
) -> tuple[pl.DataFrame, list, list]:
    """One suite over one chunk's rows: derived checks, Great Expectations, then the split
    into loadable rows, quarantine and issues; the suite's results are added to `totals`.
    `derive` adds the derived columns the suite's expectations read."""
    checked, whys = checks.apply_checks(_coerce(rows, columns), chunk_checks, **check_kwargs)
    batch = rows.join(checked.select("_row", *[c.column for c in chunk_checks]), on="_row")
    batch = batch.sort("_row")
    if derive is not None:
        batch = derive(batch)
    del checked
    entries, by_row = _run_suite(
        definition,
        rules_by_name=rules_by_name,
        batch=batch,
        whys=whys,
        parameters=parameters,
        run_name=run_name,
        index_columns=["_row"] + ([key] if key in rows.columns else []),
    )
    del batch
    for entry in entries:
        totals.add(entry)
    return _split(
        rows,
        by_row,
        record_type=record_type,
        key=key,
        run_id=totals.run_id,
        descriptions=descriptions,
    )


def _validate(
    source: _Source,
    *,
    run_id: str,
    dq_root: Path,
    history: pl.DataFrame | None,
    catalog: Any,
    today: dt.date | None,
    build_docs: bool,
    facts_dir: Path | None,
) -> Validation:
    """Validate a run chunk by chunk; see `validate_run`."""
    dq_root = Path(dq_root)
    specs = suites.metric_specs(catalog)
    fact_rules = suites.fact_rules(specs)
    report_rules = suites.report_rules()
    descriptions = {r.name: r.description for r in fact_rules + report_rules}
    parameters = suites.suite_parameters(run_id)

    # The checks whose rows depend on other documents read the whole run once, as a few
    # columns; each chunk then takes its own rows of the result.
    every_fact = _coerce(source.facts_lazy, suites.FACT_COLUMNS)
    run_docs = every_fact.select(pl.col("doc_id").drop_nulls().unique())
    run_docs = checks._collect(run_docs)["doc_id"]
    stock = checks.stock_change_across_periods(
        checks.stock_points(every_fact), history=history, run_docs=run_docs.to_list()
    )
    parents = checks.subordinate_parents(every_fact)
    del run_docs, every_fact

    context = _context(dq_root)
    gx_root = dq_root / "gx"
    fact_definition, fact_new = _definition(context, gx_root, FACT_SUITE, fact_rules)
    report_definition, report_new = _definition(context, gx_root, REPORT_SUITE, report_rules)
    fact_totals, report_totals = _Totals(FACT_SUITE, run_id), _Totals(REPORT_SUITE, run_id)
    sink = _FactSink(facts_dir)
    reports_ok: list[pl.DataFrame] = []
    quarantine: dict[str, list[tuple[int, dict]]] = {"fact": [], "report": []}
    issues: dict[str, list[tuple[int, dict]]] = {"fact": [], "report": []}
    fact_rule_map = {r.name: r for r in fact_rules}
    report_rule_map = {r.name: r for r in report_rules}
    names = _run_names(run_id, source.n_chunks)
    for i, (facts_rows, reports_rows) in enumerate(source.parts()):
        facts_rows = facts_rows.drop(
            [c for c in facts_rows.columns if c in ("dq_status", "dq_warnings")]
        )
        # A suite runs on every chunk holding rows for it, and once on an empty run.
        if facts_rows.height or (i == 0 and not source.facts_in):
            kept, q, found = _check_chunk(
                facts_rows,
                record_type="fact",
                key="fact_id",
                columns=suites.FACT_COLUMNS,
                chunk_checks=checks.FACT_CHECKS,
                derive=suites.with_derived_facts,
                definition=fact_definition,
                rules_by_name=fact_rule_map,
                totals=fact_totals,
                parameters=parameters,
                run_name=names[i],
                descriptions=descriptions,
                precomputed={"stock_change_across_periods": stock},
                history=history,
                today=today,
                parents=parents,
            )
            sink.add(kept)
            quarantine["fact"] += q
            issues["fact"] += found
        if reports_rows.height or (i == 0 and not source.reports_in):
            kept, q, found = _check_chunk(
                reports_rows,
                record_type="report",
                key="doc_id",
                columns=suites.REPORT_COLUMNS,
                chunk_checks=checks.REPORT_CHECKS,
                definition=report_definition,
                rules_by_name=report_rule_map,
                totals=report_totals,
                parameters=parameters,
                run_name=names[i],
                descriptions=descriptions,
                today=today,
            )
            reports_ok.append(kept)
            quarantine["report"] += q
            issues["report"] += found
        rows = facts_rows.height + reports_rows.height
        del facts_rows, reports_rows
        memory.release(rows)

    pending = {
        "dq_root": str(dq_root),
        "run_names": sorted(names),
        "rebuilt": {FACT_SUITE: fact_new, REPORT_SUITE: report_new},
    }
    index = None
    if build_docs:
        index = _build_docs(context, dq_root, set(names), pending["rebuilt"])
        pending = None

    def ordered(by_type: dict[str, list[tuple[int, dict]]]) -> list[dict]:
        return [d for t in ("fact", "report") for _, d in sorted(by_type[t], key=lambda x: x[0])]

    reports_frame = (
        pl.concat(reports_ok, how="vertical").sort("_row").drop("_row", "dq_status", "dq_warnings")
        if reports_ok
        else pl.DataFrame(schema={c: pl.Utf8 for c in source.report_columns})
    )
    validation = Validation(
        facts=sink.frame(),
        reports=reports_frame,
        quarantine=pl.DataFrame(ordered(quarantine), schema=QUARANTINE_SCHEMA),
        dq_results=pl.DataFrame(
            fact_totals.rows() + report_totals.rows(), schema=DQ_RESULTS_SCHEMA
        ),
        data_docs_index=index,
        issues=pl.DataFrame(ordered(issues), schema=ISSUES_SCHEMA),
        descriptions=descriptions,
        facts_in=source.facts_in,
        reports_in=source.reports_in,
        facts_files=sink.files,
        facts_ok=sink.ok,
        facts_warned=sink.warned,
        docs_pending=pending,
    )
    run = {"run_id": run_id, "data_docs_index": validation.docs_index}
    validation.summary_html = str(write_summary_html(run, validation, dq_root))
    return validation


def data_docs_index(dq_root: Path) -> Path:
    """Where the Data Docs site's index is (built or not)."""
    from vnreport.expectations import datadocs

    return Path(dq_root) / "gx" / datadocs.SITE_DIR / "index.html"


def build_data_docs(validation: Validation) -> str | None:
    """The Data Docs of a validation run with build_docs=False; returns the index path.

    The flow renders them after the load, with the run report: they are pages for
    people, and rendering them is a third of a small run's validation time.
    """
    pending = validation.docs_pending
    if not pending:
        return validation.data_docs_index
    dq_root = Path(pending["dq_root"])
    index = _build_docs(_context(dq_root), dq_root, set(pending["run_names"]), pending["rebuilt"])
    validation.data_docs_index, validation.docs_pending = index, None
    return index


def _build_docs(
    context, dq_root: Path, run_names: set[str], rebuilt: dict[str, bool]
) -> str | None:
    """Data Docs for this run's validation results (and a suite's page when it changed).

    Pages of earlier runs are left as they are; the index is rebuilt.
    """
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    from vnreport.expectations import datadocs

    site = dq_root / "gx" / datadocs.SITE_DIR
    resources: list[Any] = [
        key
        for key in context.validation_results_store.list_keys()
        if getattr(key.run_id, "run_name", None) in run_names
    ]
    for name, changed in rebuilt.items():
        if changed or not (site / "expectations" / f"{name}.html").exists():
            resources.append(ExpectationSuiteIdentifier(name=name))
    context.build_data_docs(site_names=[datadocs.SITE_NAME], resource_identifiers=resources)
    path = site / "index.html"
    return str(path) if path.exists() else None


def validate_run(
    facts: pl.DataFrame,
    reports: pl.DataFrame,
    *,
    run_id: str,
    dq_root: Path,
    history: pl.DataFrame | None = None,
    catalog: Any = None,
    today: dt.date | None = None,
    build_docs: bool = True,
    chunk_rows: int = CHUNK_ROWS,
) -> Validation:
    """Validate a run's frames, build its Data Docs under dq_root and split pass/warn/quarantine.

    The frames are validated in chunks of about `chunk_rows` facts and reports, every
    row of a document in the same chunk (and every row sharing a fact id). The
    result does not depend on the chunk size: checks across documents
    (`checks.RUN_WIDE`, a subordinate's parent) are computed over the whole run
    first, and the expectation results are summed over the chunks (success if every
    chunk succeeded; unexpected counts added; the first unexpected values by input
    row). Data Docs get one validation result per suite and chunk, named
    `<run_id>` for a run in one chunk and `<run_id>-part-NNN-of-MMM` otherwise.

    `catalog` defaults to the project's metric catalog; `today` bounds plausible
    years (defaults to the current date).
    """
    facts = facts.drop([c for c in facts.columns if c in ("dq_status", "dq_warnings")])
    return _validate(
        _frame_source(facts, reports, chunk_rows),
        run_id=run_id,
        dq_root=dq_root,
        history=history,
        catalog=catalog,
        today=today,
        build_docs=build_docs,
        facts_dir=None,
    )


def validate_spill(
    spill_root: Path,
    *,
    run_id: str,
    dq_root: Path,
    facts_dir: Path,
    exclude: Iterable[str] = (),
    history: pl.DataFrame | None = None,
    catalog: Any = None,
    today: dt.date | None = None,
    build_docs: bool = True,
    chunk_rows: int = CHUNK_ROWS,
) -> Validation:
    """`validate_run` over a run's spilled batches, never holding the whole run in memory.

    Chunks are read from the batch Parquet files under `spill_root` (documents in
    `exclude` left out); each chunk's loadable facts are written to Parquet under
    `facts_dir` (`Validation.facts_files`, `Validation.facts` is empty) for the
    load to read. Reports (one per document), quarantine and issues stay in memory.
    """
    return _validate(
        _spill_source(Path(spill_root), sorted(set(exclude)), chunk_rows),
        run_id=run_id,
        dq_root=dq_root,
        history=history,
        catalog=catalog,
        today=today,
        build_docs=build_docs,
        facts_dir=Path(facts_dir),
    )
