"""The `vnreport` command line.

Each group of commands lives in its own small module with a `register(app)`
function, so the entry point stays a list and heavy imports (Prefect, Great
Expectations, Polars) happen only inside the command that needs them.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    help="Nightly ETL of Vietnamese organizational report articles into a DuckDB warehouse.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

COMMAND_MODULES = (
    "vnreport.flows.cmd_pipeline",
    "vnreport.flows.cmd_extract",
    "vnreport.flows.cmd_clean",
    "vnreport.flows.cmd_warehouse",
    "vnreport.flows.cmd_dq",
    "vnreport.flows.cmd_show",
)

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
