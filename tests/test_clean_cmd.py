"""`vnreport clean`, run as the installed command in a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PORTALS = Path(__file__).parent / "fixtures" / "portals"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from vnreport.flows.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


def test_text_output(tmp_path: Path) -> None:
    page = PORTALS / "newspaper.html"
    res = run("clean", str(page))
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(
        "Đảng bộ các Khu công nghiệp tỉnh: Kết nạp 32 đảng viên, vượt kế hoạch năm\n\n"
    )
    assert "32/30 đảng viên mới" in res.stdout
    assert "0238.3844.555" not in res.stdout


def test_json_output_one_object_per_input(tmp_path: Path) -> None:
    txt = tmp_path / "bai.txt"
    txt.write_text(
        "Chi bộ Công ty tổng kết năm 2023\n\nNăm 2023, Chi bộ kết nạp 3 đảng viên mới.\n", "utf-8"
    )
    res = run("clean", "--format", "json", str(PORTALS / "wordpress_dangbo.html"), str(txt))
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert set(first) >= {"path", "title", "published_date", "site", "text"}
    assert first["published_date"] == "2024-07-12"
    assert first["site"] == "Đảng bộ Khối Doanh nghiệp tỉnh Hà Giang Xanh"
    assert "Công ty Điện lực tỉnh | 3.215,4 | 412" in first["text"]
    assert second["path"] == str(txt)
    assert second["title"] == "Chi bộ Công ty tổng kết năm 2023"
    assert "ạ" in lines[1] or "ả" in lines[1], "JSON keeps Vietnamese letters (ensure_ascii=False)"


def test_missing_file_and_empty_page_are_reported(tmp_path: Path) -> None:
    empty = tmp_path / "trong.html"
    empty.write_bytes(b"")
    res = run("clean", str(empty), str(tmp_path / "khong-co.html"))
    assert res.returncode == 1
    assert "trong.html: empty document" in res.stderr
    assert "khong-co.html" in res.stderr


def test_clean_stays_light() -> None:
    code = (
        "import sys; import vnreport.flows.cmd_clean, vnreport.transforms.clean as c;"
        "from vnreport.records import RawDoc;"
        "c.clean_document(RawDoc('a','s','a.html','html',b'<p>x</p>','h'));"
        "heavy=[m for m in ('polars','duckdb','prefect','great_expectations') if m in sys.modules];"
        "print(heavy)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"
