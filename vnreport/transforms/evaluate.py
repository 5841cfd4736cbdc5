"""Score extracted facts and document fields against a gold file (METRICS.md, Scoring).

Value level: a prediction matches a gold fact of the same document when the
values agree within 0.5%; matching is one-to-one (maximum bipartite matching,
so the order of records never changes a score). Precision counts every
prediction except those that match a `context` gold fact; recall counts `org`
gold facts. Typed level: the same, also requiring the same metric code, over
facts whose code is not `other`. Document level: exact match of the gold's
non-inferred fields, `organization` compared after case and whitespace folding.
"""

from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from pathlib import Path

from vnreport.transforms.docfields import fold

TOLERANCE = 0.005


def load_jsonl(path: Path) -> list[dict]:
    """Records of a JSON-lines file; a bad line is an error naming the file and line."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON: {exc}") from exc
            if not isinstance(rec, dict) or "doc" not in rec:
                raise ValueError(f"{path}:{n}: not a fact or document record")
            out.append(rec)
    return out


def values_agree(pred: float, gold: float) -> bool:
    if gold == 0:
        return pred == 0
    return abs(pred - gold) <= TOLERANCE * abs(gold)


def _max_matching(n_left: int, adj: list[list[int]]) -> dict[int, int]:
    """Maximum bipartite matching (augmenting paths): left index -> right index."""
    match_right: dict[int, int] = {}

    def augment(u: int, seen: set[int]) -> bool:
        for v in adj[u]:
            if v in seen:
                continue
            seen.add(v)
            if v not in match_right or augment(match_right[v], seen):
                match_right[v] = u
                return True
        return False

    for u in range(n_left):
        augment(u, set())
    return {u: v for v, u in match_right.items()}


def _match_doc(preds: list[dict], gold: list[dict], typed: bool):
    """(pairs of (pred, gold) org matches, set of ignored pred indexes)."""
    org = [g for g in gold if g.get("scope", "org") != "context"]
    ctx = [g for g in gold if g.get("scope", "org") == "context"]

    def edges(targets: list[dict], allowed: list[int]) -> list[list[int]]:
        return [
            [
                j
                for j, g in enumerate(targets)
                if values_agree(float(preds[i]["value"]), float(g["value"]))
                and (not typed or preds[i]["metric"] == g["metric"])
            ]
            for i in allowed
        ]

    all_idx = list(range(len(preds)))
    m1 = _max_matching(len(all_idx), edges(org, all_idx))
    pairs = [(all_idx[i], org[j]) for i, j in m1.items()]
    rest = [i for i in all_idx if i not in m1]
    m2 = _max_matching(len(rest), edges(ctx, rest))
    ignored = {rest[i] for i in m2}
    return pairs, ignored, org


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f}


def _same_field(field: str, pred: str, gold: str) -> bool:
    if field == "organization":
        return fold(pred) == fold(gold)
    return (
        unicodedata.normalize("NFC", str(pred)).strip()
        == unicodedata.normalize("NFC", str(gold)).strip()
    )


def score(gold: list[dict], pred: list[dict]) -> dict:
    """Scores over the documents that appear in `gold`; predictions for other documents are ignored."""
    gold_facts, gold_fields = defaultdict(list), defaultdict(list)
    for g in gold:
        (gold_facts if "metric" in g else gold_fields)[g["doc"]].append(g)
    docs = sorted(set(gold_facts) | set(gold_fields))
    pred_facts, pred_fields = defaultdict(list), defaultdict(dict)
    for p in pred:
        if p["doc"] not in docs:
            continue
        if "metric" in p:
            pred_facts[p["doc"]].append(p)
        else:
            pred_fields[p["doc"]].setdefault(p["field"], p["value"])
    per_metric: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    result: dict = {"documents": docs}
    for level, typed in (("value", False), ("typed", True)):
        result[level] = _score_level(docs, gold_facts, pred_facts, typed, per_metric)
    result["per_metric"] = {m: _prf(*v) for m, v in sorted(per_metric.items())}
    result["fields"] = _score_fields(docs, gold_fields, pred_fields)
    return result


def _score_level(docs, gold_facts, pred_facts, typed: bool, per_metric) -> dict:
    """P/R/F1 at one level, with every miss and extra; adds to the per-metric counts
    (typed codes at the typed level, `other` at the value level)."""
    tp = fp = fn = 0
    misses, extras = [], []

    def count(metric: str, slot: int) -> None:
        if typed or metric == "other":
            per_metric[metric][slot] += 1

    for doc in docs:
        preds = [p for p in pred_facts[doc] if not typed or p["metric"] != "other"]
        golds = [g for g in gold_facts[doc] if not typed or g["metric"] != "other"]
        pairs, ignored, org = _match_doc(preds, golds, typed)
        matched_gold = {id(g) for _, g in pairs}
        matched_pred = {i for i, _ in pairs}
        tp += len(pairs)
        for _, g in pairs:
            count(g["metric"], 0)
        for i, p in enumerate(preds):
            if i not in matched_pred and i not in ignored:
                fp += 1
                extras.append(_brief(p))
                count(p["metric"], 1)
        for g in org:
            if id(g) not in matched_gold:
                fn += 1
                misses.append(_brief(g))
                count(g["metric"], 2)
    return {**_prf(tp, fp, fn), "misses": misses, "extras": extras}


def _score_fields(docs, gold_fields, pred_fields) -> dict:
    """Exact match of the gold's non-inferred document fields."""
    correct = total = 0
    per_field: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    mismatches = []
    for doc in docs:
        for g in gold_fields[doc]:
            if g.get("inferred"):
                continue
            total += 1
            per_field[g["field"]][1] += 1
            got = pred_fields[doc].get(g["field"])
            if got is not None and _same_field(g["field"], got, g["value"]):
                correct += 1
                per_field[g["field"]][0] += 1
            else:
                mismatches.append(
                    {"doc": doc, "field": g["field"], "gold": g["value"], "predicted": got}
                )
    return {
        "correct": correct,
        "total": total,
        "accuracy": correct / total if total else 0.0,
        "per_field": {f: {"correct": c, "total": t} for f, (c, t) in sorted(per_field.items())},
        "mismatches": mismatches,
    }


def _brief(rec: dict) -> dict:
    return {k: rec.get(k) for k in ("doc", "metric", "value", "scope", "evidence")}


def format_report(res: dict) -> str:
    """The scores as a plain-text table, then every miss and every extra with its evidence."""
    lines = [f"documents: {len(res['documents'])}", ""]
    lines.append(f"{'level':<30}{'P':>7}{'R':>7}{'F1':>7}{'tp':>6}{'fp':>6}{'fn':>6}")
    for level in ("value", "typed"):
        s = res[level]
        lines.append(
            f"{level:<30}{s['precision']:>7.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}"
            f"{s['tp']:>6}{s['fp']:>6}{s['fn']:>6}"
        )
    lines.append("")
    lines.append("per metric (typed level; `other` at value level)")
    for m, s in res["per_metric"].items():
        lines.append(
            f"  {m:<28}{s['precision']:>7.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}"
            f"{s['tp']:>6}{s['fp']:>6}{s['fn']:>6}"
        )
    f = res["fields"]
    lines.append("")
    lines.append(f"document fields: {f['correct']}/{f['total']} = {f['accuracy']:.3f}")
    for name, s in f["per_field"].items():
        lines.append(f"  {name:<28}{s['correct']:>4}/{s['total']}")
    for level in ("value", "typed"):
        for kind in ("misses", "extras"):
            items = res[level][kind]
            if items:
                lines.append("")
                lines.append(f"{level} {kind} ({len(items)}):")
                for it in items:
                    lines.append(
                        f"  {it['doc']}  {it['metric']}={it['value']} [{it['scope']}]  "
                        f"{it['evidence']!r}"
                    )
    if f["mismatches"]:
        lines.append("")
        lines.append(f"field mismatches ({len(f['mismatches'])}):")
        for mm in f["mismatches"]:
            lines.append(
                f"  {mm['doc']}  {mm['field']}: gold {mm['gold']!r}, got {mm['predicted']!r}"
            )
    return "\n".join(lines)
