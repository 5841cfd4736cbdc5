"""vnreport: nightly ETL of Vietnamese organizational report articles."""

import os

__version__ = "0.1.0"

# Polars allocates through its own jemalloc, which keeps freed pages for half a second
# but gives them back only when Polars next allocates: between the stages of a run that
# can be never, and a 100,000-page validation kept about 100 MB it no longer used through
# the load. Polars appends this variable to its own settings when it is first imported,
# so it is set here, before any module of the package imports Polars; a value already in
# the environment wins. CPU time of the stages was the same with it.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")
