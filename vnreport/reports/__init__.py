"""Static HTML an analyst opens from disk: the run report and one viewer page per document."""

from vnreport.reports.run_report import write_reports

__all__ = ["write_reports"]
