"""Shingle precision / recall / F1 as the article-extraction benchmark defines it.

Per page: tokens are `\\w+` runs; shingles are 4 consecutive tokens (a text of
fewer than 4 tokens is one shingle of all of them), counted as a multiset;
tp/fp/fn come from the multiset overlap and are divided by tp+fp+fn so long
pages weigh no more than short ones. Precision is averaged over pages with a
prediction, recall over pages with a truth, F1 is taken of those two means.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

TOKEN = re.compile(r"\w+")
N = 4


def shingles(text: str | None) -> Counter[tuple[str, ...]]:
    tokens = TOKEN.findall(text or "")
    if not tokens:
        return Counter()
    if len(tokens) < N:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + N]) for i in range(len(tokens) - N + 1))


@dataclass(frozen=True)
class PageScore:
    tp: float
    fp: float
    fn: float

    @property
    def has_prediction(self) -> bool:
        return self.tp + self.fp > 0

    @property
    def has_truth(self) -> bool:
        return self.tp + self.fn > 0

    @property
    def precision(self) -> float:
        if self.fp == 0 and self.fn == 0:
            return 1.0
        if self.tp == 0:
            return 0.0
        return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float:
        if self.fp == 0 and self.fn == 0:
            return 1.0
        if self.tp == 0:
            return 0.0
        return self.tp / (self.tp + self.fn)


def score_page(truth: str | None, predicted: str | None) -> PageScore:
    t, p = shingles(truth), shingles(predicted)
    tp = sum(min(c, p[s]) for s, c in t.items() if s in p)
    fp = sum(p.values()) - tp
    fn = sum(t.values()) - tp
    total = tp + fp + fn
    if total == 0:
        return PageScore(0.0, 0.0, 0.0)
    return PageScore(tp / total, fp / total, fn / total)


def aggregate(pages: list[PageScore]) -> dict[str, float]:
    """Mean precision over pages with a prediction, mean recall over pages with a truth."""
    pred = [p.precision for p in pages if p.has_prediction]
    true = [p.recall for p in pages if p.has_truth]
    precision = sum(pred) / len(pred) if pred else 0.0
    recall = sum(true) / len(true) if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": f1, "precision": precision, "recall": recall}
