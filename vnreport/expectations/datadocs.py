"""Data Docs that open from disk with no network.

The stock Great Expectations pages load Bootstrap, jQuery and bootstrap-table
from CDNs, and the site index fills its table with JavaScript from those CDNs:
opened offline, the index is an empty page. These view classes put the
templates in `templates/` in front of the stock ones (the stock loader would
otherwise win: Great Expectations appends custom view folders *after* its
own), so pages are styled by an inlined stylesheet and tables are rendered as
plain HTML. The site is wired to them in `site_config()`.
"""

from __future__ import annotations

from pathlib import Path

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import ChoiceLoader, FileSystemLoader

TEMPLATES = Path(__file__).with_name("templates")
SITE_NAME = "local_site"
SITE_DIR = "uncommitted/data_docs/local_site/"


def _offline(view) -> None:
    view.env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES)), view.env.loader])


class OfflinePageView(DefaultJinjaPageView):
    """Suite and validation pages without CDN assets."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _offline(self)


class OfflineIndexPageView(DefaultJinjaIndexPageView):
    """The site index with its tables rendered server-side."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _offline(self)


def site_config(validation_results_limit: int = 60) -> dict:
    """A filesystem Data Docs site using the offline views.

    `validation_results_limit` keeps the nightly rebuild bounded: the index
    lists the most recent results, older pages stay on disk.
    """

    def page_view() -> dict:
        return {"module_name": __name__, "class_name": "OfflinePageView"}

    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": SITE_DIR},
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "show_cta_footer": False,
            "validation_results_limit": validation_results_limit,
            "view": {"module_name": __name__, "class_name": "OfflineIndexPageView"},
        },
        "site_section_builders": {
            "expectations": {"view": page_view()},
            "validations": {"view": page_view()},
            "profiling": "None",
        },
    }
