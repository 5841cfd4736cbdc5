"""Organization resolution: precision and recall over hand-made alias groups."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from vnreport.warehouse.orgs import Mention, Resolver, expand_abbreviations, fold, parse_name

FIXTURE = Path(__file__).parent / "fixtures" / "org_aliases.yaml"


def _mentions():
    groups = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))["groups"]
    return [
        (g["id"], Mention(m["name"], m["province"], m["district"], f"{g['id']}#{i}"))
        for g in groups
        for i, m in enumerate(g["mentions"])
    ]


def pairwise_scores(mentions, predicted: dict[str, str]) -> tuple[float, float]:
    tp = fp = fn = 0
    for (g1, a), (g2, b) in itertools.combinations(mentions, 2):
        same = predicted[a.doc_id] == predicted[b.doc_id]
        tp += same and g1 == g2
        fp += same and g1 != g2
        fn += (not same) and g1 == g2
    return tp / ((tp + fp) or 1), tp / ((tp + fn) or 1)


@pytest.mark.parametrize("order", ["file", "reversed"])
def test_alias_groups_resolve_with_high_precision_and_recall(order):
    mentions = _mentions()
    seq = mentions if order == "file" else list(reversed(mentions))
    resolver = Resolver()
    predicted = {m.doc_id: resolver.resolve(m) for _, m in seq}
    precision, recall = pairwise_scores(mentions, predicted)
    n_groups = len({g for g, _ in mentions})
    print(
        f"\norg resolution ({order} order): {len(mentions)} mentions, {n_groups} bodies, "
        f"{len(resolver.orgs)} organizations; pairwise precision {precision:.3f}, "
        f"recall {recall:.3f}"
    )
    assert precision >= 0.98
    assert recall >= 0.90


def test_abbreviations_expand_only_as_whole_upper_case_words():
    assert (
        expand_abbreviations("ĐUK DN quận Long Biên") == "Đảng ủy Khối Doanh nghiệp quận Long Biên"
    )
    assert expand_abbreviations("Công ty du lịch Đu Đủ") == "Công ty du lịch Đu Đủ"
    assert fold("Đảng uỷ Khối") == fold("Đảng ủy khối") == "dang uy khoi"


def test_place_comes_from_the_name_or_from_the_report():
    a = parse_name("Đảng ủy Khối Doanh nghiệp quận Long Biên, thành phố Hà Nội")
    b = parse_name("Đảng bộ Khối doanh nghiệp quận", "Hà Nội", "Long Biên")
    c = parse_name("ĐUK DN Long Biên", "Hà Nội", "Long Biên")
    assert a == b == c
    assert (a.body, a.kind, a.level, a.district) == (
        "khoi doanh nghiep", "enterprise_block", "district", "long bien",
    )  # fmt: skip
    agencies = parse_name("Đảng ủy Khối các cơ quan quận Tây Hồ")
    assert (agencies.kind, agencies.district) == ("agency_block", "tay ho")
    province = parse_name("Đảng ủy Khối Doanh nghiệp tỉnh", "Thanh Hóa", None)
    city = parse_name("Đảng ủy Khối Doanh nghiệp thành phố Thanh Hóa", "Thanh Hóa", "Thanh Hóa")
    assert (province.level, city.level) == ("province", "district")


def test_ambiguous_mention_gets_its_own_organization_rather_than_a_wrong_merge():
    r = Resolver()
    tg = r.resolve(
        Mention("Đảng ủy Khối Doanh nghiệp huyện Châu Thành", "Tiền Giang", "Châu Thành")
    )
    bt = r.resolve(Mention("Đảng ủy Khối Doanh nghiệp huyện Châu Thành", "Bến Tre", "Châu Thành"))
    unknown = r.resolve(Mention("ĐUK DN huyện Châu Thành", None, "Châu Thành"))
    assert len({tg, bt, unknown}) == 3
    # With the province given it resolves.
    assert r.resolve(Mention("ĐUK DN Châu Thành", "Bến Tre", "Châu Thành")) == bt


def test_canonical_name_is_complete_and_names_the_company_not_its_party_body():
    r = Resolver()
    oid = r.resolve(Mention("ĐUK DN quận", "Hà Nội", "Long Biên"))
    r.resolve(Mention("Đảng bộ Khối Doanh nghiệp quận Long Biên", "Hà Nội", "Long Biên"))
    org = r.orgs[oid]
    # Abbreviations expanded and the district the report gave written in.
    assert org.canonical_name == "Đảng ủy Khối Doanh nghiệp quận Long Biên"
    assert (org.province, org.district, org.level) == ("Hà Nội", "Long Biên", "district")
    company = r.resolve(Mention("Đảng bộ Công ty CP Xi măng Bỉm Sơn", "Thanh Hóa", None))
    r.resolve(Mention("Công ty cổ phần Xi măng Bỉm Sơn", "Thanh Hóa", "Bỉm Sơn"))
    assert r.orgs[company].canonical_name == "Công ty cổ phần Xi măng Bỉm Sơn"


def test_loads_store_new_and_improved_organizations_and_each_alias_once(tmp_path):
    """Two loads into a real warehouse: the second improves an organization (its row is
    replaced, not duplicated) and adds only the aliases it has not seen."""
    from vnreport.warehouse import db
    from vnreport.warehouse.orgs import resolve_into

    path = tmp_path / "warehouse.duckdb"
    with db.writer(path) as con:
        first, counts = resolve_into(
            con,
            [
                Mention("ĐUK DN quận", "Hà Nội", None, "a"),
                Mention("Đảng bộ Công ty X", None, None, "b"),
            ],
            run_id="r1",
        )
        before = con.execute(
            "SELECT canonical_name, district FROM organizations WHERE org_id = ?", [first["a"]]
        ).fetchone()
    assert counts == {"organizations_added": 2, "aliases_added": 2}
    assert before == ("Đảng ủy Khối Doanh nghiệp quận", None)
    with db.writer(path) as con:
        second, counts = resolve_into(
            con,
            [
                Mention("ĐUK DN quận", "Hà Nội", None, "c"),  # a known alias
                Mention("Đảng bộ Khối Doanh nghiệp quận Long Biên", "Hà Nội", "Long Biên", "d"),
            ],
            run_id="r2",
        )
    assert counts == {"organizations_added": 0, "aliases_added": 1}
    assert second == {"c": first["a"], "d": first["a"]}
    with db.writer(path) as con:
        orgs = con.execute(
            "SELECT org_id, canonical_name, district, first_seen_run FROM organizations "
            "ORDER BY org_id"
        ).fetchall()
        aliases = con.execute(
            "SELECT alias, org_id, first_doc_id FROM org_aliases ORDER BY 3"
        ).fetchall()
    assert len(orgs) == 2
    improved = next(o for o in orgs if o[0] == first["a"])
    assert improved[1:] == ("Đảng bộ Khối Doanh nghiệp quận Long Biên", "Long Biên", "r1")
    assert [a[2] for a in aliases] == ["a", "b", "d"]
