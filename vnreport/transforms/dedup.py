"""Near-duplicate articles across sources.

A year-end review is often published by the Party committee's own portal and
re-published by the province's or the industrial zone's news site, with a
different headline style, a byline, "Nguồn: ..." at the end and other page
furniture around it. Both copies carry the same numbers, so keeping both would
count every fact twice. Documents are compared on their cleaned text:
normalized word 5-shingles, MinHash signatures bucketed with LSH so only
likely pairs are compared, and each candidate pair verified on the exact
shingle sets (Jaccard, or containment for a copy that trimmed a few
paragraphs). One canonical document is kept per group and told the addresses
of the others.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from vnreport.records import CleanDoc

SHINGLE_WORDS = 5
NUM_PERM = 128
BANDS = 32  # 32 bands x 4 rows: pairs above ~0.5 Jaccard nearly always meet in a bucket
_MERSENNE = (1 << 61) - 1
_WORD = re.compile(r"\w+")


def normalize_text(text: str) -> str:
    """NFC, lower case, words only: punctuation, spacing and case differ between copies."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFC", text).lower()))


def shingles(text: str, k: int = SHINGLE_WORDS) -> set[int]:
    words = normalize_text(text).split()
    if not words:
        return set()
    if len(words) < k:
        grams = [" ".join(words)]
    else:
        grams = [" ".join(words[i : i + k]) for i in range(len(words) - k + 1)]
    return {
        int.from_bytes(hashlib.blake2b(g.encode("utf-8"), digest_size=8).digest(), "big")
        & _MERSENNE
        for g in grams
    }


def _perms(num_perm: int) -> list[tuple[int, int]]:
    # Fixed parameters: signatures must be comparable across runs and machines.
    out = []
    for i in range(num_perm):
        h = hashlib.blake2b(f"vnreport-minhash-{i}".encode(), digest_size=16).digest()
        out.append((int.from_bytes(h[:8], "big") | 1, int.from_bytes(h[8:], "big")))
    return out


_PERMS = _perms(NUM_PERM)


@functools.lru_cache(maxsize=4)
def _perm_arrays(num_perm: int):
    """The permutations' (a, b) as numpy columns, built once rather than per document."""
    import numpy as np

    perms = _PERMS if num_perm == NUM_PERM else _perms(num_perm)
    a = np.array([p[0] for p in perms], dtype=np.uint64)[:, None]
    b = np.array([p[1] for p in perms], dtype=np.uint64)[:, None]
    return a, b


_MASK64 = (1 << 64) - 1


def signature(shingle_set: set[int], num_perm: int = NUM_PERM) -> tuple[int, ...]:
    """MinHash of a shingle set with multiply-shift hashing ((a*x + b) mod 2**64) >> 32."""
    perms = _PERMS if num_perm == NUM_PERM else _perms(num_perm)
    if not shingle_set:
        return tuple([1 << 32] * num_perm)
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy ships with the pinned stack
        return tuple(min(((a * x + b) & _MASK64) >> 32 for x in shingle_set) for a, b in perms)
    xs = np.fromiter(shingle_set, dtype=np.uint64, count=len(shingle_set))
    a, b = _perm_arrays(num_perm)
    with np.errstate(over="ignore"):
        hashed = np.multiply(a, xs[None, :])  # one (num_perm, n) array, updated in place
        hashed += b
        hashed >>= np.uint64(32)
    return tuple(hashed.min(axis=1).tolist())


@dataclass(frozen=True)
class DuplicateGroup:
    canonical: str  # doc_id kept
    members: tuple[str, ...]  # every doc_id of the group, canonical included, sorted
    uris: tuple[str, ...]  # their addresses, in `members` order
    similarity: float  # the lowest verified similarity that joined the group


def _similar(a: set[int], b: set[int], threshold: float, containment: float) -> float | None:
    if not a or not b:
        return None
    inter = len(a & b)
    jac = inter / len(a | b)
    if jac >= threshold:
        return jac
    small = min(len(a), len(b))
    # A copy that dropped a paragraph or two; very short texts are too easy to contain.
    if small >= 30 and inter / small >= containment:
        return inter / small
    return None


def _rank(doc: CleanDoc) -> tuple:
    """Canonical = earliest stated publication, then the fullest text, then the smallest id."""
    return (doc.published_date or "9999", -len(doc.text), doc.doc_id)


def group_pairs(
    ids: Iterable[str], similar: Iterable[tuple[str, str, float]]
) -> list[tuple[tuple[str, ...], float]]:
    """Union of verified similar pairs: (sorted members, weakest similarity) per group of 2+.

    Shared by whole-run deduplication and the spilled, batch-wise path, so both join
    documents into groups the same way.
    """
    parent = {d: d for d in ids}
    weakest: dict[str, float] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, sim in similar:
        ra, rb = find(a), find(b)
        weakest[ra] = min(sim, weakest.get(ra, 1.0), weakest.get(rb, 1.0))
        if ra != rb:
            parent[rb] = ra
    members: dict[str, list[str]] = {}
    for d in parent:
        members.setdefault(find(d), []).append(d)
    return [(tuple(sorted(m)), weakest.get(root, 1.0)) for root, m in members.items() if len(m) > 1]


def find_duplicates(
    docs: Sequence[CleanDoc],
    *,
    threshold: float = 0.8,
    containment: float = 0.9,
    bands: int = BANDS,
) -> list[DuplicateGroup]:
    """Groups of near-identical documents (only groups of two or more), canonical first."""
    sets = {d.doc_id: shingles(d.text) for d in docs}
    by_id = {d.doc_id: d for d in docs}
    rows = NUM_PERM // bands
    buckets: dict[tuple, list[str]] = {}
    for doc_id, sh in sets.items():
        if not sh:
            continue
        sig = signature(sh)
        for band in range(bands):
            key = (band, sig[band * rows : (band + 1) * rows])
            buckets.setdefault(key, []).append(doc_id)

    def verified():
        checked: set[tuple[str, str]] = set()
        for ids in buckets.values():
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    pair = (a, b) if a < b else (b, a)
                    if pair in checked:
                        continue
                    checked.add(pair)
                    sim = _similar(sets[a], sets[b], threshold, containment)
                    if sim is not None:
                        yield a, b, sim

    out = [
        DuplicateGroup(
            canonical=min(members, key=lambda m: _rank(by_id[m])),
            members=members,
            uris=tuple(by_id[m].uri for m in members),
            similarity=round(sim, 4),
        )
        for members, sim in group_pairs(sets, verified())
    ]
    return sorted(out, key=lambda g: g.canonical)


def canonical_ids(groups: Iterable[DuplicateGroup]) -> dict[str, str]:
    """doc_id -> the doc_id that stands for it (only duplicates are listed)."""
    return {m: g.canonical for g in groups for m in g.members if m != g.canonical}


def merge_duplicates(
    docs: Sequence[CleanDoc], **options: float
) -> tuple[list[CleanDoc], list[DuplicateGroup]]:
    """The documents with each duplicate group reduced to its canonical document.

    The canonical document's meta["duplicates"] lists the others (doc_id,
    source, uri), so the warehouse keeps every address while facts are
    extracted and counted once. The dropped copies are in the returned groups:
    nothing disappears without a record.
    """
    groups = find_duplicates(docs, **options)
    dup_of = canonical_ids(groups)
    by_id = {d.doc_id: d for d in docs}
    extra: dict[str, list[dict]] = {}
    for member, canonical in dup_of.items():
        d = by_id[member]
        extra.setdefault(canonical, []).append(
            {"doc_id": d.doc_id, "source": d.source, "uri": d.uri}
        )
    kept = []
    for d in docs:
        if d.doc_id in dup_of:
            continue
        if d.doc_id in extra:
            meta = dict(d.meta)
            meta["duplicates"] = sorted(extra[d.doc_id], key=lambda r: r["doc_id"])
            d = replace(d, meta=meta)
        kept.append(d)
    return kept, groups
