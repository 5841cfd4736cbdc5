"""The `nightly` Prefect flow: wiring only.

Every step is a plain function from `vnreport.transforms`, `vnreport.expectations`
or `vnreport.warehouse`; the flow decides what runs in which order, batches the
per-document work, and publishes the run summary as an artifact.

A run streams: folder files are known by path and hash until their batch reads
them, each batch is read, cleaned, extracted and normalized in one task (on a
thread, a process or a Dask worker) and its frames are spilled to Parquet under
a run temp dir as soon as it returns, with a bounded number of batches in
flight. Near-duplicates are found across batches from LSH keys; validation and
the single DuckDB load (one transaction, in the flow's process) read the spill.
Tasks take no input cache keys: hashing frames and page batches would cost more
than the work they describe.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# Without a Prefect server the run starts a local one; on a busy 2-core machine that can take
# longer than Prefect's default 20 s, and the run would fail before doing any work.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402
from prefect.cache_policies import NONE  # noqa: E402

from vnreport import memory, paths, progress  # noqa: E402
from vnreport.config import load_sources  # noqa: E402
from vnreport.records import Failure  # noqa: E402
from vnreport.transforms import batch as batching  # noqa: E402

BATCH_SIZE = 200
IN_FLIGHT = 4  # batches submitted ahead of the one being collected


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@task(name="discover", cache_policy=NONE)
def discover_task(config: str, warehouse: str, offline: bool = False):
    from vnreport.transforms import discover
    from vnreport.warehouse.fetch_state import load_state

    sources = load_sources(Path(config))
    raw_root = paths.output_dir(Path(warehouse)) / "raw"
    web = any(s.kind != "folder" for s in sources)  # folders need no fetch state
    state = load_state(Path(warehouse)) if web and not offline else None
    found = batching.discover_lazy(
        sources, state, raw_root, offline=offline, hash_cache=paths.hash_cache(Path(warehouse))
    )
    return found, discover.profiles(sources)


@task(name="known-documents", cache_policy=NONE)
def known_documents_task(warehouse: str) -> dict[str, tuple[str, str]]:
    from vnreport.warehouse.load import known_documents

    return known_documents(Path(warehouse))


@task(name="clean-extract-normalize", cache_policy=NONE)
def process_task(
    items: list, profiles: dict[str, dict], *, extractor_version: str, run_id: str
) -> batching.BatchFrames:
    return batching.process_frames(
        items, profiles, extractor_version=extractor_version, run_id=run_id
    )


@task(name="merge-duplicates", cache_policy=NONE)
def dedup_task(spill: batching.Spill) -> tuple[set[str], list]:
    merged = spill.merge_duplicates()
    # the shingle arrays read for the check: 130 MB kept by the allocator at 100,000 pages
    memory.release(spill.documents)
    return merged


@task(name="validate", cache_policy=NONE)
def validate_task(spill: batching.Spill, dropped: set[str], *, run_id: str, warehouse: str):
    """Validate the spilled batches a chunk at a time; loadable facts go back to Parquet
    beside the spill (`Validation.facts_files`), and the load reads them from there."""
    from vnreport.expectations.validate import validate_spill
    from vnreport.warehouse.load import fact_history

    if not spill.has_records(exclude=dropped):
        return batching.nothing_to_validate(
            spill.frame("facts", exclude=dropped), spill.frame("reports", exclude=dropped)
        )
    history = fact_history(Path(warehouse))
    return validate_spill(
        spill.root,
        exclude=dropped,
        run_id=run_id,
        dq_root=paths.dq_dir(Path(warehouse)),
        facts_dir=spill.root.parent / "validated",
        history=history,
        build_docs=False,  # rendered after the load, with the run report
    )


@task(name="load", cache_policy=NONE)
def load_task(
    warehouse: str, run: dict, spill: batching.Spill, dropped: set[str], validation,
    failures: list[Failure], fetch_state,
) -> dict:  # fmt: skip
    from vnreport.warehouse.load import load_run

    # what validation freed, before DuckDB takes its buffers
    memory.release(validation.facts_in + validation.reports_in)
    doc_files = sorted(spill.root.glob("documents-*.parquet"))
    return load_run(
        Path(warehouse),
        run=run,
        # read from the spill by DuckDB in the load's transaction: the run's texts are
        # never in memory at once
        documents=None if doc_files else spill.frame("documents"),
        documents_files=doc_files,
        exclude_documents=dropped,
        reports=validation.reports,
        facts=validation.facts,
        facts_files=validation.facts_files,
        quarantine=validation.quarantine,
        dq_results=validation.dq_results,
        failures=failures,
        fetch_state=fetch_state,
    )


@task(name="report", cache_policy=NONE)
def report_task(warehouse: str, run_id: str, validation) -> dict:
    """The pages people read: this run's Data Docs, then the run report and viewer pages."""
    from vnreport.expectations.validate import build_data_docs
    from vnreport.reports import write_reports

    build_data_docs(validation)
    return write_reports(Path(warehouse), paths.reports_dir(Path(warehouse)), run_id=run_id)


def _data_docs(validation, warehouse: str) -> str | None:
    """The Data Docs index the run links to: the one the report step builds for this run,
    or on a night with nothing to validate the last one built."""
    from vnreport.expectations.validate import data_docs_index

    if validation.docs_index:
        return validation.docs_index
    index = data_docs_index(paths.dq_dir(Path(warehouse)))
    return str(index) if index.exists() else None


def task_runner(kind: str = "threads", address: str | None = None, workers: int = 2):
    """The task runner for the batch stages; the DuckDB load stays a single writer at the end.

    threads: one worker thread in this process (`workers` is ignored). Cleaning and
    extraction hold the GIL, and lxml drops and retakes it on every parser callback:
    four threads cleaning at once cost 2.3x the CPU of one and took twice the wall
    time (user+sys, 400 pages), so more threads only slow the run. processes: a local
    process pool of `workers`; dask: a Dask cluster, local (`workers` processes) or
    the one at `address`.
    """
    if kind == "threads":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=1)
    if kind == "processes":
        from prefect.task_runners import ProcessPoolTaskRunner

        return ProcessPoolTaskRunner(max_workers=workers)
    if kind == "dask":
        from prefect_dask import DaskTaskRunner

        if address:
            return DaskTaskRunner(address=address)
        return DaskTaskRunner(
            cluster_kwargs={
                "n_workers": workers,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": None,
            }
        )
    raise ValueError(f"unknown task runner {kind!r} (expected threads, processes or dask)")


def _links(run: dict) -> str:
    """Per-source counts, then where a reader goes next: the run report and the Data Docs."""
    lines = ["", "", "### Sources", ""] + source_table(run.get("source_counts") or {})
    lines += ["", "### Reports", "", f"- Run report: `{run['report_path']}`"]
    if run.get("data_docs_index"):
        lines.append(f"- Data Docs: `{run['data_docs_index']}`")
    return "\n".join(lines) + "\n"


def source_table(counts: dict[str, dict[str, int]]) -> list[str]:
    """One markdown row per source: what discovery found new, changed, unchanged, failed."""
    keys = sorted({k for c in counts.values() for k in c})
    rows = ["| source | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    rows += [f"| {name} | " + " | ".join(str(c.get(k, 0)) for k in keys) + " |"
             for name, c in sorted(counts.items())]  # fmt: skip
    return rows


@flow(name="nightly", log_prints=True, task_runner=task_runner("threads"))
def nightly(
    config: str = "sources.yaml",
    warehouse: str = str(paths.DEFAULT_WAREHOUSE),
    batch_size: int = BATCH_SIZE,
    reprocess: bool = False,
    in_flight: int = IN_FLIGHT,
) -> dict:
    """One pipeline run: discover, clean+extract in batches, normalize, validate, load, report.

    `reprocess`: fetch nothing; re-read folders and the stored raw pages and
    process every document again, whatever its hash and extractor version.
    `in_flight`: batches submitted ahead (about twice the workers keeps them busy).
    """
    from vnreport.expectations.validate import summary_markdown
    from vnreport.transforms.extract import EXTRACTOR_VERSION

    logger = get_run_logger()
    warehouse = str(Path(warehouse).resolve())
    Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
    run = {
        "run_id": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6],
        "started_at": _now(),
        "config_path": str(Path(config).resolve()),
        "extractor_version": EXTRACTOR_VERSION,
        "status": "running",
    }

    found, profiles = discover_task(config, warehouse, offline=reprocess)
    raws = found.raws
    failures = found.failures + found.skipped
    documents_read = len(raws) + sum(1 for f in failures if f.stage == "read")
    known = known_documents_task(warehouse)
    todo, change_counts = batching.split_by_change(raws, known, EXTRACTOR_VERSION)
    if reprocess:
        todo = list(raws)
    progress.planned(todo)  # per-source bars (vnreport.progress): what is left to process
    found.raws, found.by_hash = [], {}  # from here each page lives only while its batch does
    del raws
    logger.info("%d documents read, %d to process", documents_read, len(todo))

    tmp = tempfile.mkdtemp(prefix=f"run-{run['run_id']}-", dir=Path(warehouse).parent)
    try:
        spill = batching.Spill(Path(tmp) / "spill")

        def submit(chunk: list):
            future = process_task.submit(
                chunk, profiles, extractor_version=EXTRACTOR_VERSION, run_id=run["run_id"]
            )
            return progress.tracked(future, chunk)  # counted when collected here, any runner

        anything = bool(todo)  # `drain` empties todo as it hands out batches
        for frames in batching.bounded(submit, batching.drain(todo, max(1, batch_size)), in_flight):
            spill.add(frames)
        if anything:
            dropped, duplicate_groups = dedup_task(spill)
            validation = validate_task(spill, dropped, run_id=run["run_id"], warehouse=warehouse)
        else:  # a night with nothing new or changed: two task runs saved
            dropped, duplicate_groups = set(), []
            validation = batching.nothing_to_validate(spill.frame("facts"), spill.frame("reports"))
        failures = failures + spill.failures

        run.update(change_counts)
        run.update(
            documents_read=documents_read,
            documents_failed=sum(1 for f in failures if f.stage != "skip"),
            documents_skipped=len(found.skipped),
            documents_duplicate=sum(len(g.members) - 1 for g in duplicate_groups),
            source_counts=found.counts,
            facts_loaded=validation.facts_ok,
            facts_warned=validation.facts_warned,
            facts_quarantined=int(
                validation.quarantine.filter(validation.quarantine["record_type"] == "fact").height
            ),
            data_docs_index=_data_docs(validation, warehouse),
            report_path=str(paths.reports_dir(Path(warehouse)) / f"run-{run['run_id']}.html"),
            status="completed",
            finished_at=_now(),
        )
        run["summary_md"] = summary_markdown(run, validation) + _links(run)
        loaded = load_task(
            warehouse, run, spill, dropped, validation, failures, found.updated_rows()
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report_task(warehouse, run["run_id"], validation)
    create_markdown_artifact(
        markdown=run["summary_md"], key="nightly-run-summary", description="vnreport run summary"
    )
    logger.info("loaded: %s", loaded)
    return run
