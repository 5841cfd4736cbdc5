"""`vnreport run`: one pipeline run now, through the same flow the schedule uses."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import typer

from vnreport import paths
from vnreport.progress import counts_text

NO_PROGRESS = typer.Option(
    False, "--no-progress", help="No per-source progress bars (never drawn when not a terminal)."
)


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
    no_progress: bool = NO_PROGRESS,
) -> None:
    """Run the nightly pipeline once, without needing a Prefect server."""
    names = _source_names(config)

    from vnreport.flows.nightly import nightly, task_runner

    if runner not in ("threads", "processes", "dask"):
        typer.echo(
            f"error: --task-runner must be threads, processes or dask, got {runner!r}", err=True
        )
        raise typer.Exit(2)
    flow = nightly.with_options(task_runner=task_runner(runner, dask_address, workers))
    with _showing_progress(names, not no_progress):
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
        typer.echo(f"  source {name}: {counts_text(counts)}")
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
    no_progress: bool = NO_PROGRESS,
) -> None:
    """Re-clean and re-extract every stored page (folders and the raw store); fetch nothing."""
    names = _source_names(config)

    from vnreport.flows.nightly import nightly

    with _showing_progress(names, not no_progress, "Reprocessing the stored pages…"):
        result = nightly(config=str(config), warehouse=str(warehouse), reprocess=True)
    _print_result(result, warehouse)


def _source_names(config: Path) -> list[str]:
    """The sources declared in `config`, in their order; exit 2 on a bad config."""
    from vnreport.config import ConfigError, load_sources

    try:
        return [s.name for s in load_sources(config)]
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@contextlib.contextmanager
def _showing_progress(
    names: list[str], wanted: bool, status: str = "Running the nightly pipeline…"
) -> Iterator[None]:
    """One bar per source on a terminal (stderr); otherwise the spinner, which a log file never sees.

    The final per-source counts are printed by `_print_result` either way.
    """
    from rich.console import Console

    from vnreport import progress

    console = Console(stderr=True)
    if not wanted or not console.is_terminal:
        with console.status(status):
            yield
        return
    bars = source_bars(console)
    listener = SourceBars(bars, names)
    with bars, _prefect_logs_above(console), progress.listening(listener, names):
        yield


def source_bars(console):
    """The rich Progress of a run: name, bar, done/total, the source's counts so far."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=30),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        console=console,
    )


class SourceBars:
    """A `vnreport.progress` listener drawing one rich bar per source, in the config's order.

    The bar has no total (it pulses) while the source is being discovered; its counts
    move as pages are found, fetched or read. After the change check the total is all
    the source's items and the bar fills as batches of its documents are collected.
    """

    def __init__(self, bars, names: list[str]) -> None:
        self.bars = bars
        self.tasks = {name: self._add(name) for name in names}

    def _add(self, name: str):
        return self.bars.add_task(name, total=None, counts="", start=False)

    def __call__(self, sp) -> None:
        task = self.tasks.get(sp.name)
        if task is None:  # a source the config did not name (none should report)
            task = self.tasks[sp.name] = self._add(sp.name)
        self.bars.start_task(task)  # its clock runs from the source's first report
        self.bars.update(
            task,
            total=sp.total,
            completed=sp.done if sp.total is not None else 0,
            counts=counts_text(sp.counts),
        )


@contextlib.contextmanager
def _prefect_logs_above(console) -> Iterator[None]:
    """Prefect's console log lines printed above the live bars rather than through them.

    Prefect's handlers hold their own rich Console on the stderr of start-up, which the
    live display's redirection of sys.stderr does not reach; for the run their output is
    sent through a proxy that prints each line on `console`, above the bars.
    """
    import logging

    from prefect.logging.handlers import PrefectConsoleHandler
    from rich.file_proxy import FileProxy

    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    handlers = {id(h): h for lg in loggers for h in lg.handlers}
    saved = [
        (h, h.console.file)
        for h in handlers.values()
        if isinstance(h, PrefectConsoleHandler) and hasattr(h, "console")
    ]
    for handler, file in saved:
        handler.console.file = _Lines(FileProxy(console, file))
    try:
        yield
    finally:
        for handler, file in saved:
            handler.console.file = file


class _Lines:
    """A text stream forwarding to a rich FileProxy, which a rich Console does not unwrap."""

    def __init__(self, proxy) -> None:
        self._proxy = proxy

    def write(self, text: str) -> int:
        self._proxy.write(text)
        return len(text)

    def flush(self) -> None:
        self._proxy.flush()

    def isatty(self) -> bool:
        return self._proxy.isatty()

    def fileno(self) -> int:
        return self._proxy.fileno()


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
