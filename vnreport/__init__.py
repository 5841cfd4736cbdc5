"""vnreport: nightly ETL of Vietnamese organizational report articles."""

__version__ = "0.1.0"
