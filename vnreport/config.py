"""sources.yaml: the user's declaration of where report articles come from.

The keys of each source (`name`, `kind`, `path`, ...) are the user's interface
and stay stable; errors name the source and the field so a typo is easy to fix.

Kinds and their fields:
    folder    path
    urls      urls: [article URLs]
    listing   start_urls, link_selector (CSS, article links), next_selector (CSS) or
              next_pattern (a URL with {page}), max_pages (default 5)
    feed      url (or urls): RSS 2.0, RSS 1.0 or Atom
    sitemap   url (sitemap.xml or a sitemap index, .xml.gz too), url_filter (regex)
Any web source may also set: allow_private_network (false: hosts resolving to
private, loopback or link-local addresses are refused), allowed_domains (hosts
besides the declared ones whose links are followed), profile (cleaning
selectors), max_articles (default 2000), http (FetchSettings overrides, e.g.
{per_host_delay: 2, read_timeout: 20}).

    - name: dang-uy-khoi
      kind: listing
      start_urls: [https://dangbokhoi.example.vn/tin-tuc]
      link_selector: "ul.news-list h3 a"
      next_selector: "a.next"
      max_pages: 10
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

SOURCE_KINDS = ("folder", "urls", "listing", "feed", "sitemap")

# Keys each web source kind accepts besides `name` and `kind`; an unknown key is
# an error because a misspelt `link_selctor` would otherwise be silently ignored.
COMMON_WEB_KEYS = ("allow_private_network", "allowed_domains", "profile", "max_articles", "http")
KIND_KEYS = {
    "urls": ("urls",),
    "listing": ("start_urls", "link_selector", "next_selector", "next_pattern", "max_pages"),
    "feed": ("url", "urls"),
    "sitemap": ("url", "url_filter"),
}


class ConfigError(ValueError):
    """sources.yaml is unreadable or a source is misdeclared."""


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    options: dict[str, Any] = field(default_factory=dict)
    base_dir: Path = Path(".")

    @property
    def path(self) -> Path:
        """A folder source's path, relative paths taken from the config file's folder."""
        p = Path(self.options["path"])
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def allow_private_network(self) -> bool:
        return bool(self.options.get("allow_private_network", False))

    def declared_urls(self) -> list[str]:
        """The URLs the user wrote for a web source: its own hosts are the source's domains."""
        o = self.options
        if self.kind == "urls":
            return list(o["urls"])
        if self.kind == "listing":
            out = list(o["start_urls"])
            if o.get("next_pattern"):
                out.append(o["next_pattern"].replace("{page}", "2"))
            return out
        if self.kind == "feed":
            return [o["url"]] if o.get("url") else list(o.get("urls") or [])
        if self.kind == "sitemap":
            return [o["url"]]
        return []


def load_sources(config_path: Path) -> list[Source]:
    config_path = Path(config_path)
    try:
        data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{config_path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{config_path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise ConfigError(f"{config_path}: expected a top-level `sources:` list")
    sources: list[Source] = []
    seen: set[str] = set()
    for i, entry in enumerate(data["sources"]):
        where = f"{config_path}: sources[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a mapping with `name` and `kind`")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}: field `name` is required and must be text")
        where = f"{config_path}: source {name!r}"
        if name in seen:
            raise ConfigError(f"{where}: field `name` is used by another source")
        seen.add(name)
        kind = entry.get("kind")
        if kind not in SOURCE_KINDS:
            raise ConfigError(
                f"{where}: field `kind` must be one of {', '.join(SOURCE_KINDS)}, got {kind!r}"
            )
        options = {k: v for k, v in entry.items() if k not in ("name", "kind")}
        if kind == "folder" and not isinstance(options.get("path"), str):
            raise ConfigError(f"{where}: field `path` is required for a folder source")
        if kind != "folder":
            _check_web_source(where, kind, options)
        sources.append(Source(name=name, kind=kind, options=options, base_dir=config_path.parent))
    return sources


def _is_http_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _url_list(where: str, options: dict, key: str, *, required: bool = True) -> None:
    value = options.get(key)
    if value is None and not required:
        return
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: field `{key}` must be a non-empty list of http(s) URLs")
    for i, url in enumerate(value):
        if not _is_http_url(url):
            raise ConfigError(f"{where}: field `{key}[{i}]` must be an http(s) URL, got {url!r}")


def _one_url(where: str, options: dict, key: str) -> None:
    if not _is_http_url(options.get(key)):
        raise ConfigError(
            f"{where}: field `{key}` must be an http(s) URL, got {options.get(key)!r}"
        )


def _css(where: str, options: dict, key: str, *, required: bool) -> None:
    value = options.get(key)
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: field `{key}` must be a CSS selector")
    import soupsieve

    try:
        soupsieve.compile(value)
    except soupsieve.SelectorSyntaxError as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError(f"{where}: field `{key}` is not a valid CSS selector: {first}") from exc


def _positive_int(where: str, options: dict, key: str) -> None:
    value = options.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ConfigError(f"{where}: field `{key}` must be a whole number of at least 1")


def _check_web_source(where: str, kind: str, options: dict) -> None:
    """Validation of urls / listing / feed / sitemap sources; errors name source and field."""
    allowed = set(COMMON_WEB_KEYS) | set(KIND_KEYS[kind])
    for key in options:
        if key not in allowed:
            raise ConfigError(
                f"{where}: field `{key}` is not known for a {kind} source "
                f"(expected one of {', '.join(sorted(allowed))})"
            )
    if not isinstance(options.get("allow_private_network", False), bool):
        raise ConfigError(f"{where}: field `allow_private_network` must be true or false")
    domains = options.get("allowed_domains", [])
    if not isinstance(domains, list) or not all(
        isinstance(d, str) and d.strip() and "/" not in d for d in domains
    ):
        raise ConfigError(f"{where}: field `allowed_domains` must be a list of host names")
    if "profile" in options and not isinstance(options["profile"], dict):
        raise ConfigError(f"{where}: field `profile` must be a mapping of cleaning options")
    _positive_int(where, options, "max_articles")
    _check_http(where, options.get("http"))
    if kind == "urls":
        _url_list(where, options, "urls")
    elif kind == "listing":
        _url_list(where, options, "start_urls")
        _css(where, options, "link_selector", required=True)
        _css(where, options, "next_selector", required=False)
        pattern = options.get("next_pattern")
        if pattern is not None and (not _is_http_url(pattern) or "{page}" not in pattern):
            raise ConfigError(
                f"{where}: field `next_pattern` must be an http(s) URL containing {{page}}, "
                f"got {pattern!r}"
            )
        _positive_int(where, options, "max_pages")
    elif kind == "feed":
        if ("url" in options) == ("urls" in options):
            raise ConfigError(f"{where}: give the feed address as field `url` (or a `urls` list)")
        if "url" in options:
            _one_url(where, options, "url")
        else:
            _url_list(where, options, "urls")
    elif kind == "sitemap":
        _one_url(where, options, "url")
        url_filter = options.get("url_filter")
        if url_filter is not None:
            try:
                re.compile(url_filter)
            except (re.error, TypeError) as exc:
                raise ConfigError(
                    f"{where}: field `url_filter` is not a valid regular expression: {exc}"
                ) from exc


def _check_http(where: str, http: object) -> None:
    """Per-source overrides of the fetch limits (timeouts, delay, retries...)."""
    if http is None:
        return
    if not isinstance(http, dict):
        raise ConfigError(f"{where}: field `http` must be a mapping of fetch settings")
    from vnreport.transforms.fetch import SETTING_TYPES

    for key, value in http.items():
        expected = SETTING_TYPES.get(key)
        if expected is None:
            raise ConfigError(
                f"{where}: field `http.{key}` is not a fetch setting "
                f"(expected one of {', '.join(sorted(SETTING_TYPES))})"
            )
        ok = isinstance(value, expected) and not (expected is not bool and isinstance(value, bool))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok or (expected in (int, float) and value < 0):
            raise ConfigError(
                f"{where}: field `http.{key}` must be a non-negative {expected.__name__}, "
                f"got {value!r}"
            )
