"""Hostile and broken pages through read, clean and extract, each under a time bound.

Every case goes through the same per-document path the nightly run uses (a real
file read by `read_path`, then `clean_batch` and `extract_batch`), and the same
invariants are checked on every outcome: the document is either processed or
recorded as a failure with its stage and a reason (never silently dropped), the
text is NFC and holds no markup or control bytes, and every fact's offsets
index its evidence in that text.
"""

from __future__ import annotations

import gzip
import os
import re
import resource
import unicodedata
import zlib
from pathlib import Path

import pytest
from fixtures.site.server import Site, send, to_cp1258

from vnreport.records import Failure
from vnreport.transforms import batch
from vnreport.transforms.fetch import Fetcher, FetchSettings, gunzip_capped
from vnreport.transforms.guard import Guard
from vnreport.transforms.read import MAX_BYTES, iter_folder, read_path

PROSE = (
    "Năm 2023, Đảng bộ Khối Doanh nghiệp tỉnh kết nạp 57 đảng viên mới, đạt 114% kế hoạch; "
    "toàn Đảng bộ có 2.316 đảng viên sinh hoạt tại 96 tổ chức cơ sở đảng. Tổng doanh thu của "
    "các doanh nghiệp ước đạt 12.450 tỷ đồng, nộp ngân sách 1.027,5 tỷ đồng, thu nhập bình "
    "quân của người lao động 8,6 triệu đồng/người/tháng."
)
FAST = FetchSettings(
    connect_timeout=2.0, read_timeout=5.0, total_timeout=20.0, retries=0,
    backoff_base=0.01, backoff_max=0.05, retry_after_max=1.0, per_host_delay=0.0,
)  # fmt: skip
LOOPBACK = Guard(private_hosts=frozenset({"127.0.0.1"}))


def page(body: str, title: str = "Đảng bộ Khối tổng kết công tác năm 2023") -> str:
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<div class='article'><h1>{title}</h1>{body}</div></body></html>"
    )


def run_one(path: Path) -> tuple[list, list[dict], list[Failure]]:
    """One file through read, clean and extract, as a nightly batch handles it."""
    try:
        raw = read_path(path, "thu-muc")
    except (OSError, ValueError) as exc:
        return [], [], [Failure(path.stem, str(path), "read", str(exc))]
    cleaned = batch.clean_batch([raw])
    extracted = batch.extract_batch(cleaned.docs)
    failures = cleaned.failures + extracted.failures
    assert len(extracted.docs) + len(failures) == 1, "a document was dropped or doubled"
    for f in failures:
        assert f.doc_id == path.stem and f.stage and f.reason.strip()
    for doc in extracted.docs:
        check_text(doc.text)
        for fact in extracted.facts:
            start, end = fact["start"], fact["end"]
            assert 0 <= start < end <= len(doc.text)
            assert doc.text[start:end] == fact["evidence"]
    return extracted.docs, extracted.facts, failures


CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def check_text(text: str) -> None:
    assert unicodedata.is_normalized("NFC", text)
    for marker in ("<script", "<div", "<p>", "onclick", "onerror", "javascript:"):
        assert marker not in text.lower()


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    p = tmp_path / name
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


@pytest.mark.timeout(10)
@pytest.mark.parametrize("name", ["trong.html", "trong.txt", "khoang-trang.html"])
def test_empty_file_is_a_recorded_failure(tmp_path, name):
    data = b"" if name.startswith("trong") else b" \n\t\r\n  "
    docs, _, failures = run_one(write(tmp_path, name, data))
    assert not docs and failures[0].stage == "clean" and "empty" in failures[0].reason


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    "data",
    [
        os.urandom(200_000),
        b"\x89PNG\r\n\x1a\n" + os.urandom(50_000),
        b"PK\x03\x04" + os.urandom(50_000),
        gzip.compress(page(f"<p>{PROSE}</p>").encode()),
        b"\x00" * 100_000,
    ],
    ids=["random", "png", "zip", "gzip-of-a-page", "nul"],
)
def test_binary_bytes_named_html_are_refused_with_a_reason(tmp_path, data):
    docs, facts, failures = run_one(write(tmp_path, "bai-viet.html", data))
    assert not docs and not facts
    assert failures[0].stage == "clean" and "binary" in failures[0].reason


@pytest.mark.timeout(120)
def test_fifty_megabyte_page_is_cleaned_within_bounds(tmp_path):
    head = page(f"<p>{PROSE}</p>").replace("</div></body></html>", "</div>")
    filler = "<div class='widget'><a href='/tin/1'>Tin liên quan 123</a></div>\n"
    room = MAX_BYTES - len(head.encode()) - 100
    body = head + filler * (room // len(filler.encode())) + "</body></html>"
    path = write(tmp_path, "rat-lon.html", body)
    assert MAX_BYTES - 200 < path.stat().st_size <= MAX_BYTES
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    docs, facts, _ = run_one(path)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert docs and "57 đảng viên mới" in docs[0].text
    assert {f["metric"] for f in facts} >= {"new_members_admitted", "party_members"}
    assert grown_mb < 1500, f"peak memory grew by {grown_mb:.0f} MB"


@pytest.mark.timeout(20)
def test_page_over_the_read_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "qua-lon.html"
    with open(path, "wb") as fh:  # sparse: no 50 MB written
        fh.truncate(MAX_BYTES + 1)
    docs, _, failures = run_one(path)
    assert not docs and failures[0].stage == "read" and "limit" in failures[0].reason


@pytest.mark.timeout(120)
@pytest.mark.parametrize("tag", ["div", "span", "table"])
def test_markup_nested_100000_levels(tmp_path, tag):
    html = page(f"<{tag}>" * 100_000 + f"<p>{PROSE}</p>" + f"</{tag}>" * 99_000)
    docs, _, failures = run_one(write(tmp_path, "long-nhau.html", html))
    if docs:
        assert "57 đảng viên mới" in docs[0].text
    else:
        assert failures[0].stage == "clean" and "nested" in failures[0].reason


@pytest.mark.timeout(30)
def test_invalid_utf8_is_decoded_without_raising(tmp_path):
    good = page(f"<p>{PROSE}</p>").encode("utf-8")
    bad = good.replace("đạt".encode(), b"\xff\xfe\xc3\x28") + b"\xe2\x82" + b"\xed\xa0\x80"
    docs, facts, failures = run_one(write(tmp_path, "utf8-hong.html", bad))
    assert docs, failures
    assert "2.316 đảng viên" in docs[0].text
    assert any(f["metric"] == "party_members" and f["value"] == 2316 for f in facts)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", ["html", "txt"])
def test_nfd_text_becomes_nfc_with_valid_offsets(tmp_path, kind):
    nfd = unicodedata.normalize("NFD", PROSE)
    assert nfd != PROSE
    data = page(f"<p>{nfd}</p>") if kind == "html" else "Tổng kết năm 2023\n\n" + nfd
    docs, facts, _ = run_one(write(tmp_path, f"to-hop.{kind}", unicodedata.normalize("NFD", data)))
    assert docs and "kết nạp 57 đảng viên mới" in docs[0].text
    assert any(f["metric"] == "new_members_admitted" and f["value"] == 57 for f in facts)


@pytest.mark.timeout(30)
def test_mixed_encodings_in_one_page(tmp_path):
    """A UTF-8 page with a paragraph pasted from a windows-1258 document."""
    first = page(f"<p>{PROSE}</p>").replace("</div></body></html>", "").encode("utf-8")
    legacy = to_cp1258("<p>Công đoàn cơ sở có 1.250 đoàn viên, đạt 98% số lao động.</p>")
    data = first + legacy + b"</div></body></html>"
    docs, facts, failures = run_one(write(tmp_path, "tron-ma.html", data))
    assert docs, failures
    assert "kết nạp 57 đảng viên mới" in docs[0].text  # the UTF-8 part survives intact
    assert any(f["metric"] == "party_members" and f["value"] == 2316 for f in facts)


@pytest.mark.timeout(30)
def test_page_whose_only_numbers_are_counters_gives_no_facts(tmp_path):
    body = (
        "<p>Lượt xem: 12.345 | Bình luận (8) | Chia sẻ 1.204 | Thích 356</p>"
        "<p>Cập nhật lúc 08:45 ngày 15/01/2024. Mã tin 20240115.</p>"
        "<p>Trang 1 2 3 4 5 ... 128 Trang sau</p>"
        "<p>Hotline: 0912 345 678 - Fax: 0227 3831 246</p>"
        "<p>Đã có 4.821 lượt truy cập trong ngày, 1.002.376 lượt truy cập từ đầu năm.</p>"
    )
    docs, facts, failures = run_one(write(tmp_path, "bo-dem.html", page(body, "Tin tức")))
    assert not facts, [(f["metric"], f["evidence"]) for f in facts]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "digits",
    ["1234567890" * 300_000, ("9." * 1_000_000) + "9", "0" * 2_000_000 + ",5 tỷ đồng"],
    ids=["one-run", "dotted", "zeros-then-money"],
)
def test_megabytes_of_digits(tmp_path, digits):
    text = "Báo cáo số liệu năm 2023\n\n" + PROSE + "\n\n" + digits + "\n"
    docs, facts, failures = run_one(write(tmp_path, "chu-so.txt", text))
    for f in facts:
        assert f["value"] == f["value"] and abs(f["value"]) < 1e18  # finite, not absurd
    assert docs or failures[0].reason


@pytest.mark.timeout(45)
def test_eighty_thousand_numbers_in_one_clause(tmp_path):
    """Tables pasted as one line, or a crafted page: many numbers with no sentence end."""
    text = "Báo cáo số liệu năm 2023\n\n" + PROSE + "\n\n"
    text += " 1.000.000" * 30_000 + " " + "12,5%/" * 50_000 + "\n"
    docs, facts, failures = run_one(write(tmp_path, "nhieu-so.txt", text))
    assert docs and any(f["metric"] == "party_members" for f in facts)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("typo", ["2/0,.,0", "69/12,3.4,5"])
def test_a_malformed_number_costs_that_number_not_the_document(tmp_path, typo):
    text = "Báo cáo năm 2023\n\n" + PROSE + f"\n\nTheo bảng tổng hợp: {typo}.\n"
    docs, facts, failures = run_one(write(tmp_path, "so-hong.txt", text))
    assert docs, failures
    assert any(f["metric"] == "party_members" and f["value"] == 2316 for f in facts)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", ["html", "txt"])
def test_control_characters_and_terminal_escapes_never_reach_text(tmp_path, kind):
    dirty = PROSE.replace("kết nạp", "kết nạp\x1b[2J\x1b]0;pwned\x07").replace(
        "đạt", "\x9b31mđạt\x00"
    )
    data = page(f"<p>{dirty}</p>") if kind == "html" else "Tổng kết năm 2023\n\n" + dirty
    docs, facts, failures = run_one(write(tmp_path, f"dieu-khien.{kind}", data))
    assert docs, failures
    assert not CONTROLS.search(docs[0].text), repr(CONTROLS.findall(docs[0].text))
    assert any(f["metric"] == "party_members" and f["value"] == 2316 for f in facts)


@pytest.mark.timeout(20)
def test_a_line_of_repeated_widget_words_is_cleaned_quickly(tmp_path):
    """Found by fuzzing: share-bar words repeated on one line, ending in a non-widget word."""
    line = " ".join(["top"] * 24) + " x"
    docs, _, failures = run_one(
        write(tmp_path, "lap-tu.html", page(f"<p>{line}</p><p>{PROSE}</p>"))
    )
    assert docs and "57 đảng viên mới" in docs[0].text


@pytest.mark.timeout(30)
def test_scripts_and_event_handlers_are_never_text(tmp_path):
    payloads = (
        "<script>document.write('Kết nạp 999 đảng viên'); fetch('http://169.254.169.254/')"
        "</script>",
        "<script type='module'>import('/x.js')</script><noscript>Bật JavaScript 777</noscript>",
        "<p onclick=\"alert('xss')\" onmouseover='steal()'>" + PROSE + "</p>",
        "<img src=x onerror=\"alert(document.cookie)\" alt='Ảnh 555 đảng viên'>",
        "<svg onload=alert(1)><script>alert(2)</script></svg>",
        "<a href=\"javascript:alert('x')\">Xem thêm</a>",
        '<iframe srcdoc="<script>alert(3)</script>Kết nạp 888 đảng viên"></iframe>',
        "<style>p::after{content:'Lượt xem 444'}</style>",
        "<template><p>Kết nạp 666 đảng viên mới</p></template>",
    )
    docs, facts, _ = run_one(write(tmp_path, "kich-ban.html", page("".join(payloads))))
    assert docs and "kết nạp 57 đảng viên mới" in docs[0].text
    text = docs[0].text
    for word in ("alert", "document.", "fetch(", "import(", "steal", "xss", "cookie"):
        assert word not in text
    for n in ("999", "777", "555", "888", "444", "666"):
        assert n not in text
        assert all(n not in f["evidence"] for f in facts)


@pytest.mark.timeout(30)
def test_symlinks_out_of_a_folder_source_are_refused(tmp_path):
    outside = tmp_path / "ngoai"
    outside.mkdir()
    secret = write(outside, "bi-mat.html", page("<p>Mật khẩu quản trị: hunter2</p>"))
    (outside / "thu-muc-con").mkdir()
    write(outside / "thu-muc-con", "an.txt", "Bí mật nội bộ 4242\n")
    src = tmp_path / "nguon"
    src.mkdir()
    write(src, "that.html", page(f"<p>{PROSE}</p>"))
    (src / "tro-ra.html").symlink_to(secret)
    (src / "tuong-doi.txt").symlink_to("../ngoai/bi-mat.html")
    (src / "etc.txt").symlink_to("/etc/hostname")
    (src / "cau-noi.html").symlink_to(src / "tro-ra.html")  # inside -> inside -> outside
    (src / "thu-muc-ngoai").symlink_to(outside / "thu-muc-con", target_is_directory=True)
    (src / "treo.html").symlink_to(tmp_path / "khong-co.html")  # dangling
    (src / "ben-trong.html").symlink_to(src / "that.html")  # a link inside is fine
    items = list(iter_folder(src, "thu-muc"))
    read = {i.doc_id: i for i in items if not isinstance(i, Failure)}
    failed = {i.doc_id: i.reason for i in items if isinstance(i, Failure)}
    assert set(read) == {"that", "ben-trong"}
    for name in ("tro-ra", "tuong-doi", "etc", "cau-noi"):
        assert "outside the source folder" in failed[name], failed
    assert "treo" in failed  # dangling: a recorded read failure, not a crash
    for raw in read.values():
        assert b"hunter2" not in raw.content and b"4242" not in raw.content


# ---------------------------------------------------------------- compressed responses


@pytest.fixture
def site():
    s = Site().start()
    yield s
    s.stop()


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


def _bomb(size: int) -> bytes:
    """gzip of `size` zero bytes, built in pieces (never `size` bytes in memory)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1 << 20)
    parts = [c.compress(block) for _ in range(size >> 20)]
    return b"".join(parts) + c.flush()


@pytest.mark.timeout(60)
def test_zip_bomb_responses_stop_at_the_cap(site):
    bomb = _bomb(2 << 30)  # 2 GiB of zeros in about 2 MB
    assert len(bomb) < 3_000_000
    site.add("/bomb.html", bomb, headers={"Content-Encoding": "gzip"})
    site.add("/deflate.html", _deflate(b"<p>" + b"9" * 200_000_000), headers={
        "Content-Encoding": "deflate"})  # fmt: skip
    site.add("/twice.html", gzip.compress(gzip.compress(b"x" * 1000)), headers={
        "Content-Encoding": "gzip, gzip"})  # fmt: skip
    site.add("/lies.html", lambda r, n: send(r, 200, b"\x1f\x8b\x08\x00garbage" * 100,
             "text/html", {"Content-Encoding": "gzip"}))  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with Fetcher(LOOPBACK, FAST.with_overrides({"max_body_bytes": 5_000_000})) as f:
        got = {p: f.get(site.url(p), robots=False) for p in (
            "/bomb.html", "/deflate.html", "/twice.html", "/lies.html")}  # fmt: skip
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    for p, r in got.items():
        assert r.outcome == "failed" and r.content is None, (p, r.outcome, r.reason)
    assert "over the 5000000-byte limit" in got["/bomb.html"].reason
    assert "over the 5000000-byte limit" in got["/deflate.html"].reason
    assert "Content-Encoding" in got["/twice.html"].reason
    assert "corrupt" in got["/lies.html"].reason
    assert grown_mb < 200, f"peak memory grew by {grown_mb:.0f} MB"


@pytest.mark.timeout(30)
def test_gzip_sitemap_bomb_is_capped():
    with pytest.raises(ValueError, match="over the 1000000-byte limit"):
        gunzip_capped(_bomb(1 << 30), 1_000_000)
    with pytest.raises(ValueError, match="corrupt"):
        gunzip_capped(b"\x1f\x8b\x08\x00" + b"\xff" * 64, 1_000_000)
