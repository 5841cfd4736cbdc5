"""`vnreport run`: one pipeline run now, through the same flow the schedule uses."""

from __future__ import annotations

from pathlib import Path

import typer

from vnreport import paths


def run(
    config: Path = typer.Option(Path("sources.yaml"), "--config", help="Sources declaration."),
    warehouse: Path = typer.Option(paths.DEFAULT_WAREHOUSE, "--warehouse", help="DuckDB file."),
    batch_size: int = typer.Option(200, "--batch-size", min=1, help="Documents per task."),
    runner: str = typer.Option(
        "threads",
        "--task-runner",
        help="threads (one process), processes (a local pool of --workers), "
        "or dask to run batches on a Dask cluster.",
    ),
    dask_address: str = typer.Option(
        None, "--dask-address", help="Scheduler of an existing Dask cluster (tcp://host:8786)."
    ),
    workers: int = typer.Option(
        2, "--workers", min=1, help="Local worker processes (processes, or dask without address)."
    ),
    in_flight: int = typer.Option(
        None, "--in-flight", min=1, help="Batches submitted ahead (default: twice the workers)."
    ),
) -> None:
    """Run the nightly pipeline once, without needing a Prefect server."""
    from vnreport.config import ConfigError, load_sources

    try:
        load_sources(config)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc

    from rich.console import Console

    from vnreport.flows.nightly import nightly, task_runner

    if runner not in ("threads", "processes", "dask"):
        typer.echo(
            f"error: --task-runner must be threads, processes or dask, got {runner!r}", err=True
        )
        raise typer.Exit(2)
    flow = nightly.with_options(task_runner=task_runner(runner, dask_address, workers))
    console = Console(stderr=True)
    with console.status("Running the nightly pipeline…"):
        result = flow(
            config=str(config),
            warehouse=str(warehouse),
            batch_size=batch_size,
            in_flight=in_flight or max(4, 2 * workers),
        )
    _print_result(result, warehouse)


def _print_result(result: dict, warehouse: Path) -> None:
    typer.echo(
        f"run {result['run_id']}: {result['documents_read']} documents read "
        f"({result['documents_new']} new, {result['documents_changed']} changed, "
        f"{result['documents_unchanged']} unchanged, {result['documents_failed']} failed); "
        f"{result['facts_loaded']} facts loaded, {result['facts_warned']} warned, "
        f"{result['facts_quarantined']} quarantined"
    )
    for name, counts in sorted((result.get("source_counts") or {}).items()):
        shown = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        typer.echo(f"  source {name}: {shown or 'nothing found'}")
    typer.echo(f"warehouse: {Path(result.get('warehouse', warehouse)).resolve()}")
    if result.get("data_docs_index"):
        typer.echo(f"data-quality report: {result['data_docs_index']}")
    summary = paths.dq_dir(warehouse) / "summary.html"
    if summary.exists():
        typer.echo(f"run summary: {summary}")
    index = paths.reports_dir(warehouse) / "index.html"
    if index.exists():
        typer.echo(f"run report: {index}")


def reprocess(
    config: Path = typer.Option(Path("sources.yaml"), "--config", help="Sources declaration."),
    warehouse: Path = typer.Option(paths.DEFAULT_WAREHOUSE, "--warehouse", help="DuckDB file."),
) -> None:
    """Re-clean and re-extract every stored page (folders and the raw store); fetch nothing."""
    from vnreport.flows.nightly import nightly

    result = nightly(config=str(config), warehouse=str(warehouse), reprocess=True)
    _print_result(result, warehouse)


def serve(
    config: Path = typer.Option(Path("sources.yaml"), "--config", help="Sources declaration."),
    warehouse: Path = typer.Option(paths.DEFAULT_WAREHOUSE, "--warehouse", help="DuckDB file."),
    deployments: Path = typer.Option(
        Path("prefect.yaml"), "--deployments", help="Schedule source."
    ),
) -> None:
    """Serve `nightly` on the schedule declared in prefect.yaml (needs a Prefect API)."""
    import yaml
    from prefect.schedules import Cron

    from vnreport.flows.nightly import nightly

    spec = yaml.safe_load(deployments.read_text(encoding="utf-8"))
    (dep,) = [d for d in spec["deployments"] if d["name"] == "nightly"]
    schedules = [Cron(s["cron"], timezone=s.get("timezone")) for s in dep.get("schedules", [])]
    nightly.serve(
        name="nightly",
        schedules=schedules,
        parameters={"config": str(config.resolve()), "warehouse": str(warehouse.resolve())},
    )


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("reprocess")(reprocess)
    app.command("serve")(serve)
