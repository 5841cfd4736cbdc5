"""Read stage: turn a folder source into raw documents.

Nothing is interpreted here; bytes are kept as they are so the content hash
identifies exactly what was read, and a file that cannot be read becomes a
recorded failure instead of stopping the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from vnreport.records import Failure, RawDoc, content_hash

KINDS_BY_SUFFIX = {".html": "html", ".htm": "html", ".txt": "text"}
MAX_BYTES = 50 * 1024 * 1024


def kind_of(path: Path) -> str | None:
    return KINDS_BY_SUFFIX.get(path.suffix.lower())


def read_path(path: Path, source: str = "cli") -> RawDoc:
    """One file as a raw document; `doc_id` is its name without the extension."""
    path = Path(path)
    kind = kind_of(path)
    if kind is None:
        raise ValueError(
            f"{path}: unsupported file type {path.suffix!r} (expected .html, .htm or .txt)"
        )
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ValueError(f"{path}: {size} bytes is over the {MAX_BYTES}-byte limit")
    data = path.read_bytes()
    return RawDoc(
        doc_id=path.stem,
        source=source,
        uri=str(path),
        kind=kind,
        content=data,
        content_hash=content_hash(data),
    )


def folder_files(root: Path) -> Iterator[Path | Failure]:
    """Every .html/.htm/.txt file under `root`, in a stable order (depth first, by name).

    Symlinks that lead outside the folder are refused: a source folder must not
    become a way to read arbitrary files on the machine. A subfolder that cannot
    be listed is a recorded failure, not a silent gap.
    """
    root = Path(root)
    if not root.is_dir():
        yield Failure(
            doc_id=root.name, uri=str(root), stage="read", reason="source folder does not exist"
        )
        return
    yield from _walk(root, root.resolve())


def _walk(folder: Path, real_root: Path) -> Iterator[Path | Failure]:
    """Directory entries tell file from folder and link without a system call each: on an
    unchanged night listing the files was a fifth of the run."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield Failure(doc_id=folder.name, uri=str(folder), stage="read", reason=str(exc))
        return
    for entry in entries:
        path = folder / entry.name
        try:
            is_dir = entry.is_dir()
            if is_dir and not entry.is_symlink():  # linked folders are not followed
                yield from _walk(path, real_root)
            if is_dir or kind_of(path) is None:
                continue
            # only a file that is itself a link can lead outside
            if entry.is_symlink() and not path.resolve().is_relative_to(real_root):
                raise ValueError(f"{path}: symlink points outside the source folder")
        except (OSError, ValueError) as exc:
            yield Failure(doc_id=path.stem, uri=str(path), stage="read", reason=str(exc))
            continue
        yield path


def read_file(path: Path, source: str) -> RawDoc | Failure:
    """`read_path`, with a file that cannot be read as a recorded Failure."""
    try:
        return read_path(path, source)
    except (OSError, ValueError) as exc:
        return Failure(doc_id=path.stem, uri=str(path), stage="read", reason=str(exc))


def iter_folder(root: Path, source: str) -> Iterator[RawDoc | Failure]:
    """Every file of `folder_files`, read; a file that cannot be read is a Failure."""
    for path in folder_files(root):
        yield path if isinstance(path, Failure) else read_file(path, source)


def stat_key(path: Path) -> list[int]:
    """What changes when a file's bytes change: size, modification and change times, inode.

    The change time cannot be set back by a user (unlike the modification time), so a
    rewrite keeps its old key only if it is undone within the clock's resolution.
    """
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
