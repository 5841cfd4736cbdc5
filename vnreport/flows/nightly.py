"""The `nightly` Prefect flow: wiring only.

Every step is a plain function from `vnreport.transforms`, `vnreport.expectations`
or `vnreport.warehouse`; the flow decides what runs in which order, batches the
per-document work, and publishes the run summary as an artifact.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402

from vnreport import paths  # noqa: E402
from vnreport.config import load_sources  # noqa: E402
from vnreport.records import CleanDoc, Failure, RawDoc  # noqa: E402
from vnreport.transforms import batch as batching  # noqa: E402
from vnreport.transforms import discover  # noqa: E402

BATCH_SIZE = 200


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@task(name="discover")
def discover_task(
    config: str, warehouse: str, offline: bool = False
) -> tuple[discover.DiscoveryResult, dict[str, dict]]:
    from vnreport.warehouse.fetch_state import load_state

    sources = load_sources(Path(config))
    raw_root = paths.output_dir(Path(warehouse)) / "raw"
    if offline:
        return discover.from_store(sources, raw_root), discover.profiles(sources)
    result = discover.discover(sources, load_state(Path(warehouse)), raw_root)
    return result, discover.profiles(sources)


@task(name="known-documents")
def known_documents_task(warehouse: str) -> dict[str, tuple[str, str]]:
    from vnreport.warehouse.load import known_documents

    return known_documents(Path(warehouse))


@task(name="clean")
def clean_task(raws: list[RawDoc], profiles: dict[str, dict]) -> batching.BatchResult:
    return batching.clean_batch(raws, profiles)


@task(name="merge-duplicates")
def dedup_task(docs: list[CleanDoc]) -> tuple[list[CleanDoc], list]:
    from vnreport.transforms.dedup import merge_duplicates

    return merge_duplicates(docs)


@task(name="extract")
def extract_task(docs: list[CleanDoc]) -> batching.BatchResult:
    return batching.extract_batch(docs)


@task(name="normalize")
def normalize_task(result: batching.BatchResult, *, extractor_version: str, run_id: str):
    from vnreport.transforms import normalize

    reports = normalize.reports_frame(result.doc_fields)
    lengths = {d.doc_id: len(d.text) for d in result.docs}
    facts = normalize.facts_frame(
        result.facts, reports, lengths, extractor_version=extractor_version, run_id=run_id
    )
    documents = normalize.documents_frame(result.docs, extractor_version=extractor_version)
    return documents, reports, facts


@task(name="validate")
def validate_task(facts, reports, *, run_id: str, warehouse: str):
    from vnreport.expectations.validate import validate_run
    from vnreport.warehouse.load import fact_history

    history = fact_history(Path(warehouse))
    return validate_run(
        facts, reports, run_id=run_id, dq_root=paths.dq_dir(Path(warehouse)), history=history
    )


@task(name="load")
def load_task(
    warehouse: str, run: dict, documents, validation, failures: list[Failure], fetch_state
) -> dict:
    from vnreport.warehouse.load import load_run

    return load_run(
        Path(warehouse),
        run=run,
        documents=documents,
        reports=validation.reports,
        facts=validation.facts,
        quarantine=validation.quarantine,
        dq_results=validation.dq_results,
        failures=failures,
        fetch_state=fetch_state,
    )


def task_runner(kind: str = "threads", address: str | None = None, workers: int = 2):
    """The task runner for the batch stages; the DuckDB load stays a single writer at the end."""
    if kind == "threads":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner()
    if kind == "dask":
        from prefect_dask import DaskTaskRunner

        if address:
            return DaskTaskRunner(address=address)
        return DaskTaskRunner(
            cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True}
        )
    raise ValueError(f"unknown task runner {kind!r} (expected 'threads' or 'dask')")


@flow(name="nightly", log_prints=True)
def nightly(
    config: str = "sources.yaml",
    warehouse: str = str(paths.DEFAULT_WAREHOUSE),
    batch_size: int = BATCH_SIZE,
    reprocess: bool = False,
) -> dict:
    """One pipeline run: discover, clean+extract in batches, normalize, validate, load, report.

    `reprocess`: fetch nothing; re-read folders and the stored raw pages and
    process every document again, whatever its hash and extractor version.
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
    known = known_documents_task(warehouse)
    todo, change_counts = batching.split_by_change(raws, known, EXTRACTOR_VERSION)
    if reprocess:
        todo = raws
    logger.info("%d documents read, %d to process", len(raws), len(todo))

    size = max(1, batch_size)
    cleaned = batching.BatchResult()
    for fut in [clean_task.submit(chunk, profiles) for chunk in batching.chunks(todo, size)]:
        cleaned.extend(fut.result())
    docs, duplicate_groups = dedup_task(cleaned.docs)
    result = batching.BatchResult(failures=cleaned.failures)
    for fut in [extract_task.submit(chunk) for chunk in batching.chunks(docs, size)]:
        result.extend(fut.result())
    failures = failures + result.failures

    documents, reports, facts = normalize_task(
        result, extractor_version=EXTRACTOR_VERSION, run_id=run["run_id"]
    )
    validation = validate_task(facts, reports, run_id=run["run_id"], warehouse=warehouse)

    run.update(change_counts)
    run.update(
        documents_read=len(raws) + sum(1 for f in failures if f.stage == "read"),
        documents_failed=sum(1 for f in failures if f.stage != "skip"),
        documents_skipped=len(found.skipped),
        documents_duplicate=sum(len(g.members) - 1 for g in duplicate_groups),
        source_counts=found.counts,
        facts_loaded=validation.facts.height,
        facts_warned=validation.facts.filter(validation.facts["dq_status"] == "warn").height,
        facts_quarantined=int(
            validation.quarantine.filter(validation.quarantine["record_type"] == "fact").height
        ),
        data_docs_index=validation.data_docs_index,
        report_path=None,
        status="completed",
        finished_at=_now(),
    )
    run["summary_md"] = summary_markdown(run, validation)
    loaded = load_task(warehouse, run, documents, validation, failures, found.updated_rows())
    create_markdown_artifact(
        markdown=run["summary_md"], key="nightly-run-summary", description="vnreport run summary"
    )
    logger.info("loaded: %s", loaded)
    return run
