"""Per-batch work: clean and extract a list of raw documents.

One function per batch (not per document) keeps orchestration overhead small;
a document that raises is recorded with the stage and reason, and the rest of
the batch goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vnreport.records import CleanDoc, Failure, RawDoc


@dataclass
class BatchResult:
    docs: list[CleanDoc] = field(default_factory=list)
    facts: list[dict] = field(default_factory=list)
    doc_fields: list[dict] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    def extend(self, other: BatchResult) -> None:
        self.docs += other.docs
        self.facts += other.facts
        self.doc_fields += other.doc_fields
        self.failures += other.failures


def chunks(items: Sequence, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def clean_batch(raws: Iterable[RawDoc], profiles: dict[str, dict] | None = None) -> BatchResult:
    """Clean each document; a page with no main text is a failure with the cleaner's reason."""
    from vnreport.transforms.clean import clean_document

    profiles = profiles or {}
    out = BatchResult()
    for raw in raws:
        try:
            doc = clean_document(raw, profiles.get(raw.source))
        except Exception as exc:  # one bad page must not stop the night
            out.failures.append(Failure(raw.doc_id, raw.uri, "clean", _reason(exc)))
            continue
        if not doc.text.strip():
            out.failures.append(
                Failure(raw.doc_id, raw.uri, "clean", doc.reason or "no main text found")
            )
            continue
        out.docs.append(doc)
    return out


def extract_batch(docs: Iterable[CleanDoc]) -> BatchResult:
    """Extract facts and document fields; a document that raises is recorded, the rest go on."""
    from vnreport.transforms.extract import extract_document

    out = BatchResult()
    for doc in docs:
        try:
            facts, fields = extract_document(doc)
        except Exception as exc:
            out.failures.append(Failure(doc.doc_id, doc.uri, "extract", _reason(exc)))
            continue
        out.docs.append(doc)
        out.facts += facts
        out.doc_fields += fields
    return out


def process_batch(raws: Iterable[RawDoc], profiles: dict[str, dict] | None = None) -> BatchResult:
    """Clean then extract, for callers that need no step between the two."""
    cleaned = clean_batch(raws, profiles)
    out = extract_batch(cleaned.docs)
    out.failures = cleaned.failures + out.failures
    return out


def split_by_change(
    raws: Iterable[RawDoc], known: dict[str, tuple[str, str]], extractor_version: str
) -> tuple[list[RawDoc], dict[str, int]]:
    """Documents that need work, and counts of new / changed / unchanged.

    An unchanged document (same content hash, same extractor version) costs
    nothing: it is neither cleaned, extracted nor loaded again.
    """
    todo: list[RawDoc] = []
    counts = {"documents_new": 0, "documents_changed": 0, "documents_unchanged": 0}
    for raw in raws:
        prev = known.get(raw.doc_id)
        if prev is None:
            counts["documents_new"] += 1
            todo.append(raw)
        elif prev != (raw.content_hash, extractor_version):
            counts["documents_changed"] += 1
            todo.append(raw)
        else:
            counts["documents_unchanged"] += 1
    return todo, counts


# -- streaming a run: light references in, per-batch frames out --------------------------------


@dataclass(frozen=True)
class RawRef:
    """A folder file known by path and hash; its bytes are read only inside its batch.

    Holding every page's bytes from discovery to the end of a run is what made a
    backfill of 100,000 pages run out of memory; a reference costs a few hundred
    bytes. Workers must see the same path (a shared volume on a cluster).
    """

    doc_id: str
    source: str
    uri: str
    kind: str
    content_hash: str

    @classmethod
    def of(cls, raw: RawDoc) -> RawRef:
        return cls(raw.doc_id, raw.source, raw.uri, raw.kind, raw.content_hash)

    def load(self) -> RawDoc:
        from pathlib import Path

        from vnreport.transforms.read import read_path

        return read_path(Path(self.uri), self.source)


def discover_lazy(
    sources, state=None, raw_root=None, *, offline: bool = False, hash_cache: Path | None = None
):
    """`discover.discover` (or `from_store` when offline) for web sources; folders as RawRefs.

    Folder files are read one at a time to hash them, then only their reference is
    kept. Ids stay unique across sources: a second file with a taken id is a
    recorded "read" failure, as in `discover.discover`.

    `hash_cache`: a file of each folder file's `stat_key` and content hash from the last
    run. A file whose key is unchanged is not read again: reading and hashing every
    page was most of a night on which nothing changed. The cache is rewritten with the
    files seen this run.
    """
    from vnreport.transforms import discover as disc
    from vnreport.transforms.read import folder_files

    known = load_hash_cache(hash_cache)
    seen: dict[str, list] = {}

    sources = list(sources)
    web = [s for s in sources if s.kind != "folder"]
    result = disc.from_store(web, raw_root) if offline else disc.discover(web, state, raw_root)
    owner = {r.doc_id: r.uri for r in result.raws}
    for source in sources:
        if source.kind != "folder":
            continue
        result.counts.setdefault(source.name, dict.fromkeys(disc.COUNT_KEYS, 0))
        for path in folder_files(source.path):
            item = (
                path if isinstance(path, Failure) else _read_known(path, source.name, known, seen)
            )
            if isinstance(item, Failure):
                result.failures.append(item)
                result.count(source.name, "failed")
                continue
            if item.doc_id in owner:
                disc.taken_id(result, owner, item, source, "read")
                continue
            owner[item.doc_id] = item.uri
            result.count(source.name, "read")
            result.raws.append(item if isinstance(item, RawRef) else RawRef.of(item))
    if hash_cache is not None:
        save_hash_cache(hash_cache, seen)
    return result


def _read_known(
    path: Path, source: str, known: dict[str, list], seen: dict[str, list]
) -> RawDoc | RawRef | Failure:
    """A folder file by reference when its stat key is the one `known` holds, else read;
    what was found goes into `seen` (the next run's cache)."""
    from vnreport.transforms.read import kind_of, read_file, stat_key

    uri = str(path)
    try:
        key = stat_key(path)
    except OSError as exc:
        return Failure(doc_id=path.stem, uri=uri, stage="read", reason=str(exc))
    hit = known.get(uri)
    if hit is not None and hit[0] == key:
        item: RawDoc | RawRef | Failure = RawRef(path.stem, source, uri, kind_of(path), hit[1])
    else:
        item = read_file(path, source)
    if not isinstance(item, Failure):
        seen[uri] = [key, item.content_hash]
    return item


def load_hash_cache(path: Path | None) -> dict[str, list]:
    """{path: [stat key, content hash]}; a missing or unreadable cache is empty."""
    import json

    if path is None:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_hash_cache(path: Path, entries: dict[str, list]) -> None:
    import json
    import os

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(entries), encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class BatchFrames:
    """One batch, normalized: what the flow spills to disk and a worker sends back."""

    documents: object  # pl.DataFrame, DOCUMENT_SCHEMA
    reports: object  # pl.DataFrame, REPORT_SCHEMA
    facts: object  # pl.DataFrame, FACT_SCHEMA
    failures: list[Failure] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    band_keys: object = None  # numpy uint64 (len(doc_ids), BANDS): near-duplicate buckets
    shingles: list = field(default_factory=list)  # per doc_id: sorted uint64 word 5-shingles
    seconds: dict[str, float] = field(default_factory=dict)  # CPU seconds per stage


def band_keys(docs: Sequence[CleanDoc], with_shingles: bool = False):
    """MinHash LSH bucket keys per document (the buckets `dedup.find_duplicates` uses).

    Computed where the text is, so near-duplicates across batches are found from
    32 integers per document instead of keeping every text of the run in memory;
    `with_shingles` also returns each text's shingle set (sorted array) for the
    exact check of the few pairs the keys point at.
    """
    import numpy as np

    from vnreport.transforms import dedup

    rows = dedup.NUM_PERM // dedup.BANDS
    out = np.zeros((len(docs), dedup.BANDS), dtype=np.uint64)
    sets = []
    for i, doc in enumerate(docs):
        sh = dedup.shingles(doc.text)
        if with_shingles:
            sets.append(np.sort(np.fromiter(sh, dtype=np.uint64, count=len(sh))))
        if not sh:
            continue  # never bucketed, as in find_duplicates; 0 marks "no key"
        sig = dedup.signature(sh)
        for b in range(dedup.BANDS):
            key = hash((b, sig[b * rows : (b + 1) * rows])) & 0xFFFFFFFFFFFFFFFF
            out[i, b] = key or 1
    return (out, sets) if with_shingles else out


def process_frames(
    items: Iterable[RawDoc | RawRef],
    profiles: dict[str, dict] | None = None,
    *,
    extractor_version: str,
    run_id: str,
) -> BatchFrames:
    """Read, clean, extract and normalize one batch; raw bytes do not outlive this call.

    A file that cannot be read any more is a "read" failure; clean and extract
    failures are recorded as in `clean_batch` / `extract_batch`.
    """
    import time

    from vnreport.transforms import normalize

    clock = time.process_time
    t0 = clock()
    raws: list[RawDoc] = []
    failures: list[Failure] = []
    for item in items:
        if isinstance(item, RawRef):
            try:
                raws.append(item.load())
            except (OSError, ValueError) as exc:
                failures.append(Failure(item.doc_id, item.uri, "read", _reason(exc)))
        else:
            raws.append(item)
    t1 = clock()
    cleaned = clean_batch(raws, profiles)
    del raws
    t2 = clock()
    keys, sets = band_keys(cleaned.docs, with_shingles=True)
    t3 = clock()
    result = extract_batch(cleaned.docs)
    t4 = clock()
    reports = normalize.reports_frame(result.doc_fields)
    lengths = {d.doc_id: len(d.text) for d in result.docs}
    facts = normalize.facts_frame(
        result.facts, reports, lengths, extractor_version=extractor_version, run_id=run_id
    )
    documents = normalize.documents_frame(result.docs, extractor_version=extractor_version)
    kept = {d.doc_id for d in result.docs}
    rows = [i for i, d in enumerate(cleaned.docs) if d.doc_id in kept]
    t5 = clock()
    return BatchFrames(
        documents=documents,
        reports=reports,
        facts=facts,
        failures=failures + cleaned.failures + result.failures,
        doc_ids=[cleaned.docs[i].doc_id for i in rows],
        band_keys=keys[rows],
        shingles=[sets[i] for i in rows],
        seconds={
            "read": t1 - t0,
            "clean": t2 - t1,
            "dedup": t3 - t2,
            "extract": t4 - t3,
            "normalize": t5 - t4,
        },
    )


def bounded(submit, batches: Iterable, window: int) -> Iterator:
    """Results of `submit(batch)` in order, with at most `window` batches in flight.

    Submitting every batch at once would hold every batch's input and output in
    memory; a window keeps the workers busy and the flow's memory flat.
    """
    from collections import deque

    pending: deque = deque()
    for batch in batches:
        pending.append(submit(batch))
        if len(pending) >= max(1, window):
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def drain(items: list, size: int) -> Iterator[list]:
    """`chunks`, but each batch leaves `items` as it is handed out (its bytes can go)."""
    from collections import deque

    queue = deque(items)
    items.clear()
    while queue:
        yield [queue.popleft() for _ in range(min(size, len(queue)))]


class Spill:
    """Per-batch frames as Parquet under the run's temp dir, read back once for validate/load."""

    NAMES = ("documents", "reports", "facts")

    def __init__(self, root) -> None:
        from pathlib import Path

        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.batches = 0
        self.failures: list[Failure] = []
        self.seconds: dict[str, float] = {}
        self._ids: list[str] = []
        self._keys: list = []

    def add(self, frames: BatchFrames) -> None:
        for name in self.NAMES:
            getattr(frames, name).write_parquet(self.root / f"{name}-{self.batches:06d}.parquet")
        if frames.shingles:
            import polars as pl

            pl.DataFrame(
                {"doc_id": frames.doc_ids, "shingles": [a.tolist() for a in frames.shingles]},
                schema={"doc_id": pl.Utf8, "shingles": pl.List(pl.UInt64)},
            ).write_parquet(self.root / f"shingles-{self.batches:06d}.parquet")
        self.batches += 1
        self.failures += frames.failures
        self._ids += frames.doc_ids
        if frames.band_keys is not None and len(frames.doc_ids):
            self._keys.append(frames.band_keys)
        for k, v in frames.seconds.items():
            self.seconds[k] = self.seconds.get(k, 0.0) + v

    @property
    def documents(self) -> int:
        """Documents spilled so far."""
        return len(self._ids)

    MIN_SHARED_BANDS = 2

    def candidate_pairs(self) -> list[tuple[str, str]]:
        """Pairs of documents sharing at least MIN_SHARED_BANDS LSH buckets.

        One shared bucket is what `dedup.find_duplicates` checks; on a large run of
        formulaic reports (texts sharing a fifth of their phrases) that makes nearly
        every pair a candidate. Two shared buckets cut chance pairs by orders of
        magnitude while a pair with Jaccard 0.8 still shares about 13 of 32 (the
        chance it shares fewer than two is about one in a million).
        """
        import numpy as np

        if not self._keys:
            return []
        keys = np.concatenate(self._keys)
        n = len(keys)
        bands = keys.shape[1]
        valid = (keys != 0).all(axis=1)
        rows = np.flatnonzero(valid)
        codes: list = []
        # Sharing two of the bands is sharing both buckets of some pair of bands: bucket on
        # each pair of bands in turn, so no list of every one-band pair is ever built (on
        # formulaic text that list grows with the square of the run).
        with np.errstate(over="ignore"):
            for b1 in range(bands):
                for b2 in range(b1 + 1, bands):
                    col = keys[rows, b1] * np.uint64(0x9E3779B97F4A7C15) ^ keys[rows, b2]
                    order = np.argsort(col, kind="stable")
                    sorted_col = col[order]
                    starts = np.flatnonzero(np.r_[True, sorted_col[1:] != sorted_col[:-1]])
                    ends = np.r_[starts[1:], len(col)]
                    for lo, hi in zip(
                        starts[ends - starts > 1], ends[ends - starts > 1], strict=True
                    ):
                        members = np.sort(rows[order[lo:hi]]).astype(np.int64)
                        i, j = np.triu_indices(len(members), k=1)
                        codes.append(members[i] * n + members[j])
        if not codes:
            return []
        picked = np.unique(np.concatenate(codes))
        return [(self._ids[int(c // n)], self._ids[int(c % n)]) for c in picked]

    def candidates(self) -> list[str]:
        """Every document of a candidate pair."""
        return sorted({d for pair in self.candidate_pairs() for d in pair})

    def frame(self, name: str, exclude: Iterable[str] = (), columns=None):
        import polars as pl

        from vnreport.transforms import normalize

        schema = {
            "documents": normalize.DOCUMENT_SCHEMA,
            "reports": normalize.REPORT_SCHEMA,
            "facts": normalize.FACT_SCHEMA,
        }[name]
        files = sorted(self.root.glob(f"{name}-*.parquet"))
        if not files:
            out = pl.DataFrame(schema=schema)
            return out.select(columns) if columns else out
        lazy = pl.scan_parquet(files)
        exclude = list(exclude)
        if exclude:
            lazy = lazy.filter(~pl.col("doc_id").is_in(exclude))
        if columns:
            lazy = lazy.select(columns)
        return lazy.collect()

    def has_records(self, exclude: Iterable[str] = ()) -> bool:
        """Whether any fact or report is left once `exclude`d documents are left out."""
        import polars as pl

        exclude = list(exclude)
        for name in ("facts", "reports"):
            files = sorted(self.root.glob(f"{name}-*.parquet"))
            if not files:
                continue
            lazy = pl.scan_parquet(files)
            if exclude:
                lazy = lazy.filter(~pl.col("doc_id").is_in(exclude))
            if lazy.select(pl.len()).collect().item():
                return True
        return False

    def merge_duplicates(self):
        """Near-duplicate groups across all batches: (dropped doc_ids, DuplicateGroup list).

        Candidate pairs are verified on their exact shingle sets with the rule of
        `dedup.find_duplicates` (same thresholds, same canonical choice); only the
        shingles of documents in a pair are read back.
        """
        import inspect

        import polars as pl

        from vnreport.transforms import dedup

        pairs = self.candidate_pairs()
        if not pairs:
            return set(), []
        defaults = inspect.signature(dedup.find_duplicates).parameters
        threshold = defaults["threshold"].default
        containment = defaults["containment"].default
        needed = sorted({d for pair in pairs for d in pair})
        if not any(self.root.glob("shingles-*.parquet")):
            raise ValueError(f"{self.root}: batches were spilled without their shingle sets")
        import numpy as np

        # Shingles stay compact arrays (8 bytes each); a pair's sets are built only for its check.
        arrays: dict[str, np.ndarray] = {}
        for path in sorted(self.root.glob("shingles-*.parquet")):
            part = pl.read_parquet(path).filter(pl.col("doc_id").is_in(needed))
            for doc_id, sh in part.iter_rows():
                arrays[doc_id] = np.asarray(sh, dtype=np.uint64)

        def verified():
            for a, b in pairs:
                sim = dedup._similar(set(arrays[a]), set(arrays[b]), threshold, containment)
                if sim is not None:
                    yield a, b, sim

        grouped = dedup.group_pairs(needed, verified())
        if not grouped:
            return set(), []
        in_groups = sorted(d for m, _ in grouped for d in m)
        info = {
            r["doc_id"]: r
            for r in pl.scan_parquet(sorted(self.root.glob("documents-*.parquet")))
            .filter(pl.col("doc_id").is_in(in_groups))
            .select("doc_id", "uri", "published_date", "text_length")
            .collect()
            .iter_rows(named=True)
        }

        def rank(d: str) -> tuple:  # dedup._rank: earliest stated date, fullest text, smallest id
            r = info[d]
            return (r["published_date"] or "9999", -(r["text_length"] or 0), d)

        groups = [
            dedup.DuplicateGroup(
                canonical=min(m, key=rank),
                members=m,
                uris=tuple(info[d]["uri"] for d in m),
                similarity=round(sim, 4),
            )
            for m, sim in grouped
        ]
        groups.sort(key=lambda g: g.canonical)
        dropped = {d for g in groups for d in g.members if d != g.canonical}
        return dropped, groups


def nothing_to_validate(facts, reports):
    """The Validation of a run with no new or changed record: no suite has anything to check.

    Great Expectations costs seconds to start; a night where nothing changed must
    cost close to nothing, and the loader stores no dq_results for such a run anyway.
    """
    import polars as pl

    from vnreport.expectations.validate import DQ_RESULTS_SCHEMA, QUARANTINE_SCHEMA, Validation

    return Validation(
        facts=facts.with_columns(
            pl.lit("pass").alias("dq_status"),
            pl.lit([], dtype=pl.List(pl.Utf8)).alias("dq_warnings"),
        ),
        reports=reports,
        quarantine=pl.DataFrame(schema=QUARANTINE_SCHEMA),
        dq_results=pl.DataFrame(schema=DQ_RESULTS_SCHEMA),
        data_docs_index=None,
    )
