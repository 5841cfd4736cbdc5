"""The scorer's arithmetic, on a small gold file and predictions built for it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from vnreport.transforms.evaluate import format_report, load_jsonl, score, values_agree


def fact(doc, metric, value, scope="org", evidence="e"):
    return {"doc": doc, "metric": metric, "value": value, "scope": scope, "evidence": evidence}


def field(doc, name, value, inferred=False):
    return {"doc": doc, "field": name, "value": value, "inferred": inferred}


GOLD = [
    fact("a", "party_members", 1840),
    fact("a", "party_cells", 122),
    fact("a", "member_units", 17),
    fact("a", "grassroots_party_orgs", 17),
    fact("a", "other", 100),  # counts at value level only
    fact("a", "other", 20, scope="context"),  # neither required nor penalized
    fact("a", "new_members_admitted", 2, scope="context"),
    field("a", "organization", "Cụm số 7 (các đơn vị Công nghiệp, Xây dựng)"),
    field("a", "period", "2024-Q1"),
    field("a", "province", "Thanh Hóa", inferred=True),
    field("a", "meeting_date", "2024-03-30"),
]


def test_values_agree_within_half_a_percent():
    assert values_agree(1845, 1840)
    assert not values_agree(1850, 1840)
    assert values_agree(0, 0) and not values_agree(1, 0)


def test_perfect_predictions_score_one():
    pred = [dict(g) for g in GOLD]
    res = score(GOLD, pred)
    assert res["value"]["f1"] == 1 and res["typed"]["f1"] == 1
    assert res["fields"]["accuracy"] == 1
    assert res["fields"]["total"] == 3  # the inferred province is not scored


def test_one_to_one_matching_and_context():
    pred = [
        fact("a", "party_members", 1841),  # within 0.5%: a match
        fact("a", "party_cells", 122),
        fact("a", "member_units", 17),
        fact("a", "member_units", 17),  # second 17 matches grassroots_party_orgs by value only
        fact("a", "member_units", 17),  # third 17: nothing left -> extra
        fact("a", "other", 20),  # matches a context gold fact: ignored
        fact("a", "inspections", 2),  # matches the context admission: ignored
        fact("a", "other", 55),  # extra
    ]
    res = score(GOLD, pred)
    v = res["value"]
    # org gold: 1840, 122, 17, 17, 100 -> 4 found, 100 missed
    assert (v["tp"], v["fp"], v["fn"]) == (4, 2, 1)
    assert v["precision"] == pytest.approx(4 / 6)
    assert v["recall"] == pytest.approx(4 / 5)
    t = res["typed"]
    # typed gold (not other, org): members, cells, units, grassroots -> the 17s need their codes,
    # and the context admission is ignored only for a prediction with its code
    assert (t["tp"], t["fp"], t["fn"]) == (3, 3, 1)
    assert res["per_metric"]["grassroots_party_orgs"]["fn"] == 1
    assert res["per_metric"]["member_units"]["fp"] == 2
    assert res["per_metric"]["inspections"]["fp"] == 1
    assert {m["value"] for m in v["misses"]} == {100}
    assert sorted(e["value"] for e in v["extras"]) == [17, 55]


def test_matching_is_maximal_not_greedy():
    gold = [fact("d", "x", 100), fact("d", "x", 100.4)]
    # 100.3 agrees with both; greedy pairing with 100 first would strand 99.6
    pred = [fact("d", "x", 100.3), fact("d", "x", 99.6)]
    assert score(gold, pred)["value"]["tp"] == 2
    assert score(gold, list(reversed(pred)))["value"]["tp"] == 2


def test_other_is_left_out_at_typed_level():
    gold = [fact("b", "other", 5), fact("b", "party_cells", 3)]
    pred = [fact("b", "other", 5), fact("b", "party_cells", 3), fact("b", "other", 9)]
    res = score(gold, pred)
    assert (res["typed"]["tp"], res["typed"]["fp"], res["typed"]["fn"]) == (1, 0, 0)
    assert (res["value"]["tp"], res["value"]["fp"]) == (2, 1)


def test_fields_fold_organization_only():
    pred = [
        field("a", "organization", "  cụm số 7 (các đơn vị công nghiệp,   xây dựng) "),
        field("a", "period", "2024-q1"),  # not folded: wrong
        field("a", "meeting_date", "2024-03-30"),
        field("a", "province", "Nghệ An"),  # inferred in gold: not scored
    ]
    res = score(GOLD, pred)["fields"]
    assert (res["correct"], res["total"]) == (2, 3)
    assert res["mismatches"] == [
        {"doc": "a", "field": "period", "gold": "2024-Q1", "predicted": "2024-q1"}
    ]


def test_documents_outside_the_gold_are_ignored():
    pred = [fact("zzz", "party_members", 1)]
    res = score(GOLD, pred)
    assert res["value"]["fp"] == 0
    assert res["documents"] == ["a"]


def test_report_lists_misses_and_extras_with_evidence():
    pred = [fact("a", "other", 55, evidence="55 cái gì đó")]
    text = format_report(score(GOLD, pred))
    assert "value extras (1)" in text and "55 cái gì đó" in text
    assert "value misses (5)" in text


def test_load_jsonl_names_the_bad_line(tmp_path):
    p = tmp_path / "g.jsonl"
    p.write_text('{"doc": "a", "field": "x", "value": 1}\nnot json\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"g.jsonl:2"):
        load_jsonl(p)


def test_eval_command_scores_given_predictions(tmp_path):
    gold = tmp_path / "gold.jsonl"
    pred = tmp_path / "pred.jsonl"
    gold.write_text("\n".join(json.dumps(g, ensure_ascii=False) for g in GOLD), encoding="utf-8")
    pred.write_text(json.dumps(fact("a", "party_members", 1840)), encoding="utf-8")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "vnreport.flows.cli",
            "eval",
            str(gold),
            "--corpus",
            str(tmp_path),
            "--pred",
            str(pred),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    res = json.loads(out.stdout)
    assert res["value"]["tp"] == 1 and res["value"]["fn"] == 4
    assert res["typed"]["recall"] == pytest.approx(1 / 4)
