"""sources.yaml loading and the folder read stage."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vnreport.config import ConfigError, load_sources
from vnreport.records import Failure, RawDoc, content_hash
from vnreport.transforms.discover import read_sources
from vnreport.transforms.read import iter_folder, read_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_default_config_points_at_bundled_samples(repo_root):
    (src,) = load_sources(repo_root / "sources.yaml")
    assert (src.name, src.kind) == ("samples", "folder")
    assert src.path.resolve() == (repo_root / "samples").resolve()


@pytest.mark.parametrize(
    "body, message",
    [
        ("sources: {}", "top-level `sources:` list"),
        ("sources:\n  - kind: folder\n    path: x", "sources[0]: field `name`"),
        ("sources:\n  - name: a\n    kind: ftp", "source 'a': field `kind`"),
        ("sources:\n  - name: a\n    kind: folder", "source 'a': field `path`"),
        (
            "sources:\n  - {name: a, kind: folder, path: x}\n  - {name: a, kind: folder, path: y}",
            "source 'a': field `name` is used by another source",
        ),
        ("sources: [", "not valid YAML"),
    ],
)
def test_config_errors_name_the_source_and_field(tmp_path, body, message):
    cfg = write(tmp_path / "sources.yaml", body)
    with pytest.raises(ConfigError) as err:
        load_sources(cfg)
    assert message in str(err.value)
    assert str(cfg) in str(err.value)


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_sources(tmp_path / "nope.yaml")


def test_relative_folder_paths_are_taken_from_the_config_folder(tmp_path):
    cfg = write(
        tmp_path / "conf" / "sources.yaml", "sources:\n  - {name: s, kind: folder, path: pages/}"
    )
    (src,) = load_sources(cfg)
    assert src.path == tmp_path / "conf" / "pages/"


def test_read_path_keeps_bytes_and_hash(tmp_path):
    p = write(tmp_path / "bao_cao_2023.html", "<p>Kết nạp 12 đảng viên</p>")
    raw = read_path(p, "s")
    assert raw.doc_id == "bao_cao_2023"
    assert raw.kind == "html"
    assert raw.content == p.read_bytes()
    assert raw.content_hash == content_hash(p.read_bytes())
    assert read_path(write(tmp_path / "a.TXT", "x")).kind == "text"


def test_read_path_refuses_unknown_types(tmp_path):
    with pytest.raises(ValueError, match=r"a\.pdf: unsupported file type"):
        read_path(write(tmp_path / "a.pdf", "%PDF"))


def test_folder_is_read_in_stable_order_and_skips_other_files(tmp_path):
    write(tmp_path / "b.txt", "b")
    write(tmp_path / "sub" / "a.html", "<p>a</p>")
    write(tmp_path / "notes.md", "ignored")
    items = list(iter_folder(tmp_path, "s"))
    assert [i.doc_id for i in items] == ["b", "a"]  # b.txt sorts before sub/a.html
    assert all(isinstance(i, RawDoc) for i in items)
    assert [i.uri for i in items] == sorted(i.uri for i in items)


def test_symlink_out_of_the_folder_is_a_recorded_failure(tmp_path):
    secret = write(tmp_path / "outside" / "secret.txt", "mật khẩu")
    folder = tmp_path / "src"
    write(folder / "ok.txt", "Báo cáo")
    os.symlink(secret, folder / "leak.txt")
    items = list(iter_folder(folder, "s"))
    failures = [i for i in items if isinstance(i, Failure)]
    assert [i.doc_id for i in items if isinstance(i, RawDoc)] == ["ok"]
    assert len(failures) == 1 and "outside the source folder" in failures[0].reason
    assert failures[0].stage == "read"


def test_files_behind_a_linked_folder_are_not_read(tmp_path):
    """Only links to files are resolved; the walk never enters a linked folder at all."""
    write(tmp_path / "outside" / "secret.html", "<p>mật khẩu</p>")
    folder = tmp_path / "src"
    write(folder / "ok.txt", "Báo cáo")
    os.symlink(tmp_path / "outside", folder / "linked")
    inside = write(folder / "sub" / "real.txt", "Báo cáo quý")
    os.symlink(inside, folder / "alias.txt")  # a link that stays inside is read
    items = list(iter_folder(folder, "s"))
    assert sorted(i.doc_id for i in items if isinstance(i, RawDoc)) == ["alias", "ok", "real"]
    assert not [i for i in items if isinstance(i, Failure)]


def test_a_subfolder_that_cannot_be_listed_is_a_recorded_failure(tmp_path):
    """Folders nested past the system's path length limit cannot be opened by path: the
    walk records the folder it could not list and reads everything else."""
    folder = tmp_path / "src"
    write(folder / "ok.txt", "Báo cáo")
    write(folder / "z.txt", "Báo cáo năm")
    name = "thư-mục-" + "x" * 200
    fd = os.open(folder, os.O_RDONLY)
    deep = folder
    try:
        while len(os.fsencode(deep)) <= os.pathconf(folder, "PC_PATH_MAX"):
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd, deep = child, deep / name
        with open(os.open("lost.txt", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as fh:
            fh.write("Báo cáo")
    finally:
        os.close(fd)
    items = list(iter_folder(folder, "s"))
    assert [i.doc_id for i in items if isinstance(i, RawDoc)] == ["ok", "z"]
    (failure,) = [i for i in items if isinstance(i, Failure)]
    assert failure.stage == "read" and failure.uri.startswith(str(folder / name))
    assert "too long" in failure.reason.lower()


def test_missing_folder_is_a_recorded_failure(tmp_path):
    (item,) = list(iter_folder(tmp_path / "missing", "s"))
    assert isinstance(item, Failure) and "does not exist" in item.reason


def test_duplicate_ids_across_sources_are_failures_not_overwrites(tmp_path):
    write(tmp_path / "a" / "same.txt", "một")
    write(tmp_path / "b" / "same.txt", "hai")
    cfg = write(
        tmp_path / "sources.yaml",
        "sources:\n  - {name: a, kind: folder, path: a}\n  - {name: b, kind: folder, path: b}",
    )
    raws, failures = read_sources(load_sources(cfg))
    assert [r.source for r in raws] == ["a"]
    assert len(failures) == 1 and "already used" in failures[0].reason
