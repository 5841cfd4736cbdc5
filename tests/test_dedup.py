"""Near-duplicate articles across sources: grouped once, canonical chosen, addresses kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.site.server import HERE, Site, standard_site, to_cp1258

from vnreport.config import load_sources
from vnreport.records import CleanDoc
from vnreport.transforms.dedup import (
    canonical_ids,
    find_duplicates,
    merge_duplicates,
    normalize_text,
    shingles,
    signature,
)
from vnreport.transforms.discover import discover
from vnreport.transforms.guard import UnsafeURL

REPORT = (
    "Chiều ngày 04/01, Đảng ủy Khối Doanh nghiệp tỉnh tổ chức Hội nghị tổng kết công tác xây "
    "dựng Đảng năm 2023. Đảng bộ Khối hiện có 52 tổ chức cơ sở đảng với tổng số 3.214 đảng "
    "viên; trong năm kết nạp 186/160 đảng viên mới, đạt 116,3% kế hoạch; xét chuyển đảng chính "
    "thức cho 142 đảng viên dự bị. Các doanh nghiệp trong Khối đạt tổng doanh thu 18.420 tỷ "
    "đồng, nộp ngân sách 1.236,5 tỷ đồng; thu nhập bình quân 9,4 triệu đồng/người/tháng. "
    "Dịp này, Đảng ủy Khối khen thưởng 12 tập thể và 35 cá nhân có thành tích xuất sắc."
)
OTHER = (
    "Ngày 19/01, Công ty Cổ phần May Hòa Bình tổ chức hội nghị người lao động năm 2023. Công ty "
    "đạt doanh thu 642,7 tỷ đồng, lợi nhuận trước thuế 31,2 tỷ đồng, nộp ngân sách 18,9 tỷ "
    "đồng; duy trì việc làm cho 2.850 công nhân với thu nhập bình quân 8,2 triệu đồng/người/"
    "tháng. Đảng bộ Công ty có 7 chi bộ trực thuộc với 164 đảng viên."
)


def doc(doc_id: str, text: str, published: str | None = None, source: str = "s") -> CleanDoc:
    return CleanDoc(doc_id, source, f"http://{source}.example/{doc_id}", "h" * 64, text,
                    published_date=published)  # fmt: skip


def test_normalization_ignores_case_punctuation_and_spacing():
    assert normalize_text("Kết nạp  186/160 ĐẢNG VIÊN mới!") == "kết nạp 186 160 đảng viên mới"
    decomposed = "Đảng vie\u0302n"  # NFD circumflex
    assert shingles(decomposed) == shingles("Đảng viên")


def test_syndicated_copy_with_other_furniture_is_one_group():
    original = doc("goc", "Tổng kết năm 2023\n\n" + REPORT, "2024-01-05", "portal")
    copy = doc(
        "bao", "(BT) - " + REPORT.replace("Chiều ngày", "Chiều") + "\n\nNguồn: Đảng ủy Khối",
        "2024-01-06", "baotinh",
    )  # fmt: skip
    other = doc("may", OTHER, "2024-01-20")
    (group,) = find_duplicates([copy, other, original])
    assert group.canonical == "goc"  # published first
    assert group.members == ("bao", "goc") and group.similarity >= 0.8
    assert canonical_ids([group]) == {"bao": "goc"}


def test_different_reports_with_shared_phrasing_stay_apart():
    q1 = REPORT.replace("năm 2023", "quý I năm 2024").replace("3.214", "3.230")
    q1 = q1.replace("186/160", "41/160").replace("18.420", "4.105").replace("142", "37")
    q1 = q1.replace("12 tập thể và 35 cá nhân", "4 tập thể và 9 cá nhân")
    q1 = q1.replace("1.236,5", "301,2").replace("9,4", "9,6").replace("116,3", "25,6")
    assert find_duplicates([doc("nam", REPORT), doc("quy", q1)]) == []


def test_trimmed_copy_is_caught_by_containment():
    long = REPORT + " " + OTHER
    assert find_duplicates([doc("full", long), doc("trim", REPORT)])[0].canonical == "full"


def test_canonical_falls_back_to_fullest_text_then_id():
    a, b = doc("b", REPORT + " Tin: Minh Thu."), doc("a", REPORT)
    assert find_duplicates([a, b])[0].canonical == "b"
    assert find_duplicates([doc("z", REPORT), doc("y", REPORT)])[0].canonical == "y"


def test_signature_is_stable_and_tracks_jaccard():
    s1, s2 = shingles(REPORT), shingles(REPORT.replace("Dịp này,", "Nhân dịp này,"))
    sig1, sig2 = signature(s1), signature(s2)
    assert signature(s1) == sig1 and len(sig1) == 128
    est = sum(x == y for x, y in zip(sig1, sig2, strict=True)) / 128
    true = len(s1 & s2) / len(s1 | s2)
    assert abs(est - true) < 0.15


def test_empty_texts_are_never_grouped():
    assert find_duplicates([doc("a", ""), doc("b", "   ")]) == []


def test_merge_keeps_the_canonical_with_every_address():
    docs = [doc("goc", REPORT, "2024-01-05", "portal"), doc("bao", REPORT, "2024-01-06", "baotinh"),
            doc("may", OTHER)]  # fmt: skip
    kept, groups = merge_duplicates(docs)
    assert [d.doc_id for d in kept] == ["goc", "may"]
    assert kept[0].meta["duplicates"] == [
        {"doc_id": "bao", "source": "baotinh", "uri": "http://baotinh.example/bao"}
    ]
    assert docs[0].meta == {}  # inputs untouched
    assert groups[0].uris == ("http://baotinh.example/bao", "http://portal.example/goc")


def test_many_documents_stay_quick():
    import time

    docs = [doc(f"d{i}", f"Đơn vị số {i} " + OTHER.replace("642,7", str(i)) * (1 + i % 3))
            for i in range(300)]  # fmt: skip
    t0 = time.monotonic()
    find_duplicates(docs)
    assert time.monotonic() - t0 < 10


# -- the same article on two real (loopback) sites --------------------------------------


def dns(host: str) -> list[str]:
    if host.endswith(".example"):
        return ["127.0.0.1"]
    raise UnsafeURL(f"{host}: cannot resolve (test DNS)")


@pytest.fixture
def two_sites():
    s = Site().start()
    standard_site(s, "portal.example")
    copy = HERE / "baotinh" / "tong-ket-cong-tac-xay-dung-dang-khoi-doanh-nghiep.html"
    s.add("/chinh-tri/tong-ket-xay-dung-dang-khoi-dn.html",
          to_cp1258(copy.read_text(encoding="utf-8")), "baotinh.example",
          content_type="text/html; charset=windows-1258")  # fmt: skip
    yield s
    s.stop()


def test_article_syndicated_on_two_sources_is_stored_once(tmp_path, two_sites):
    clean = pytest.importorskip("vnreport.transforms.clean")
    site = two_sites
    cfg = Path(tmp_path / "sources.yaml")
    cfg.write_text(
        "sources:\n"
        "  - name: portal\n    kind: sitemap\n"
        f"    url: {site.url('/sitemap.xml', 'portal.example')}\n    url_filter: /bai-viet/\n"
        "    allow_private_network: true\n    http: {per_host_delay: 0.0}\n"
        "  - name: baotinh\n    kind: urls\n"
        f"    urls: [{site.url('/chinh-tri/tong-ket-xay-dung-dang-khoi-dn.html', 'baotinh.example')}]\n"
        "    allow_private_network: true\n    http: {per_host_delay: 0.0}\n",
        encoding="utf-8",
    )
    result = discover(load_sources(cfg), resolver=dns)
    assert len(result.raws) == 5 and result.failures == []
    docs = [clean.clean_document(r) for r in result.raws]
    copy = next(d for d in docs if d.source == "baotinh")
    assert "kết nạp 186/160 đảng viên mới" in copy.text  # windows-1258 decoded to NFC
    kept, groups = merge_duplicates(docs)
    assert len(kept) == 4
    (group,) = groups
    original = next(d for d in kept if d.doc_id == group.canonical)
    assert original.source == "portal" and "dang-uy-khoi" in original.doc_id
    assert [x["source"] for x in original.meta["duplicates"]] == ["baotinh"]
