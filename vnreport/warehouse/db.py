"""Opening the warehouse: migrations, readers, and the one writer.

Concurrency. DuckDB takes a POSIX lock on the database file: an analyst's
read-only session (DuckDB CLI `-readonly`, Python `read_only=True`) holds a
shared lock, and a read-write open in another process fails at once while it
is held. So the nightly writer never opens the live file. It copies it to
`<file>.next`, migrates and loads the copy, checkpoints it and renames it over
the live file with `os.replace` (atomic on POSIX). Sessions already open keep
reading the old snapshot through their open file handle, undisturbed; anything
opened after the swap sees the new data. Two writers are serialized by an
exclusive `flock` on `<file>.writer.lock`, waited for at most `lock_timeout`
seconds. The copy is taken under a shared lock on the live file, so a
read-write session someone opened by hand (which would be mid-write) makes the
writer wait, bounded, instead of copying a torn file. A crash or an exception
at any point before the rename leaves the live file exactly as it was.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb


class WarehouseError(RuntimeError):
    """The warehouse file cannot be opened or upgraded; the message says which and why."""


class WarehouseBusy(WarehouseError):
    """Another writer (or a read-write session) held the warehouse longer than we wait."""


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql_file: str
    after: Callable[[duckdb.DuckDBPyConnection], None] | None = None


def _backfill_organizations(con: duckdb.DuckDBPyConnection) -> None:
    from vnreport.warehouse import orgs

    orgs.backfill(con)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "first cut: documents, reports, facts, run log", "001_initial.sql"),
    Migration(
        2,
        "organizations and aliases, failures, released quarantine, run links, value_max",
        "002_organizations.sql",
        after=_backfill_organizations,
    ),
    Migration(3, "fetch state of web sources for conditional requests", "003_fetch_state.sql"),
)
SCHEMA_VERSION = MIGRATIONS[-1].version
POLL_SECONDS = 0.2
FAULT_ENV = "VNREPORT_FAULT_STOP"


def fault_point(name: str) -> None:
    """Crash tests stop the process here (SIGSTOP) when VNREPORT_FAULT_STOP names this point.

    Some instants (inside the load transaction, between the checkpoint and the
    swap) cannot be seen from outside the process, so a test sets the variable,
    waits until the process is stopped and kills it with SIGKILL. Unset, this is
    one dictionary lookup. The only place the variable is read.
    """
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGSTOP)


def sql_text(name: str) -> str:
    """Text of a packaged .sql file (`views.sql`, `migrations/001_initial.sql`, ...)."""
    return resources.files("vnreport.warehouse").joinpath("sql", name).read_text(encoding="utf-8")


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Version recorded in the file; 0 for an empty database."""
    tables = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
        ).fetchall()
    }
    if "schema_version" not in tables:
        if tables:
            raise WarehouseError(
                f"not a vnreport warehouse: tables {sorted(tables)} but no schema_version table"
            )
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchall()[0]
    return int(row[0] or 0)


def migrate(con: duckdb.DuckDBPyConnection, *, target: int = SCHEMA_VERSION) -> int:
    """Apply the migrations after the file's version, each in its own transaction.

    Views hold no data, so they are dropped first (DuckDB may refuse ALTER TABLE
    under a dependent view) and recreated with their comments after, on every open
    for writing.
    """
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise WarehouseError(
            f"warehouse schema version {current} is newer than this code ({SCHEMA_VERSION}); "
            "upgrade vnreport"
        )
    pending = [m for m in MIGRATIONS if current < m.version <= target]
    if pending:
        _drop_views(con)
    for m in pending:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql_text(f"migrations/{m.sql_file}"))
            if m.after is not None:
                m.after(con)
            con.execute(
                "INSERT INTO schema_version (version, description) VALUES (?, ?)",
                [m.version, m.description],
            )
            con.execute("COMMIT")
        except Exception as exc:
            rollback_quietly(con)
            raise WarehouseError(f"migration to v{m.version} failed: {exc}") from exc
        current = m.version
    if target == SCHEMA_VERSION:
        _refresh_views(con, force=bool(pending))
    return current


def rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back if a transaction is still open, keeping the error that got us here.

    DuckDB ends the transaction itself when COMMIT fails (a full disk while
    writing the log), and a second ROLLBACK would replace the real cause with
    "no transaction is active".
    """
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def _refresh_views(con: duckdb.DuckDBPyConnection, *, force: bool) -> None:
    """Re-create views and comments when their definition in the code changed."""
    text = sql_text("views.sql") + "\n" + sql_text("comments.sql")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    stored = con.execute("SELECT sha256 FROM schema_objects WHERE name = 'views'").fetchall()
    if not force and stored and stored[0][0] == digest:
        return
    con.execute("BEGIN TRANSACTION")
    _drop_views(con)  # a view the code no longer defines goes too
    con.execute(sql_text("views.sql"))
    con.execute(sql_text("comments.sql"))
    con.execute("INSERT OR REPLACE INTO schema_objects VALUES ('views', ?)", [digest])
    con.execute("COMMIT")


def _drop_views(con: duckdb.DuckDBPyConnection) -> None:
    views = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'"
    ).fetchall()
    for (name,) in views:
        con.execute(f'DROP VIEW IF EXISTS "{name}"')


def connect_read(db_path: Path | str, **config: object) -> duckdb.DuckDBPyConnection:
    """A read-only connection: shares the file with analysts and never blocks the writer."""
    db_path = Path(db_path)
    if not db_path.exists():
        raise WarehouseError(f"{db_path}: warehouse file not found")
    try:
        return duckdb.connect(str(db_path), read_only=True, config=dict(config))
    except duckdb.IOException as exc:
        raise WarehouseError(f"{db_path}: cannot open read-only: {exc}") from exc


def needs_upgrade(db_path: Path | str) -> bool:
    db_path = Path(db_path)
    if not db_path.exists():
        return False
    con = connect_read(db_path)
    try:
        return schema_version(con) < SCHEMA_VERSION
    finally:
        con.close()


def ensure_current(db_path: Path | str, *, lock_timeout: float = 600.0) -> None:
    """Upgrade an older warehouse in place (through the same snapshot swap as a load)."""
    if needs_upgrade(db_path):
        with writer(db_path, lock_timeout=lock_timeout):
            pass


def connect_current(db_path: Path | str, **config: object) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a warehouse at the current schema, upgraded first if older.

    The version is read on the connection that is returned: opening a DuckDB
    file costs about 15 ms of CPU, a tenth of an unchanged night's reads.
    """
    con = connect_read(db_path, **config)
    try:
        if schema_version(con) >= SCHEMA_VERSION:
            return con
    except BaseException:
        con.close()
        raise
    con.close()
    ensure_current(db_path)
    return connect_read(db_path, **config)


# Storage failures (full disk, read-only or vanished directory) while the copy is
# written or committed; a full disk fails the COMMIT with a TransactionException.
_STORAGE_ERRORS = (OSError, duckdb.IOException, duckdb.TransactionException)


@contextlib.contextmanager
def _flock(lock_path: Path, timeout: float, what: str) -> Iterator[None]:
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WarehouseError(
            f"{what}: cannot open the writer lock {lock_path.name}: {exc}; the warehouse is unchanged"
        ) from exc
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"{what}: another load holds {lock_path} (waited {timeout:.0f}s)"
                    ) from None
                time.sleep(POLL_SECONDS)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def _read_lock(fd: int) -> None:
    """Take a shared lock on the whole file that DuckDB's (POSIX fcntl) locks respect.

    On Linux an open-file-description lock, which, unlike a POSIX lock, is not
    dropped when this process closes some other handle on the same file (such as a
    DuckDB read-only connection); elsewhere a plain POSIX lock.
    """
    if hasattr(fcntl, "F_OFD_SETLK"):
        flock = struct.pack("hhqqi4x", fcntl.F_RDLCK, os.SEEK_SET, 0, 0, 0)
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, flock)
    else:  # pragma: no cover - not Linux
        fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)


def _copy_under_shared_lock(src: Path, dst: Path, timeout: float) -> None:
    """Copy the live file under a shared lock that DuckDB's own locks respect.

    Read-only sessions share that lock, so they do not delay us; a read-write
    session holds it exclusively, and then we wait up to `timeout` seconds.
    Closing the file releases the lock.
    """
    deadline = time.monotonic() + timeout
    with open(src, "rb") as fh:
        while True:
            try:
                _read_lock(fh.fileno())
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"{src}: a read-write session holds the file (waited {timeout:.0f}s); "
                        "close it or open it read-only"
                    ) from None
                time.sleep(POLL_SECONDS)
        with open(dst, "wb") as out:
            shutil.copyfileobj(fh, out, 16 * 1024 * 1024)
        wal = src.with_name(src.name + ".wal")
        if wal.exists():  # left by a session that crashed; replayed into the copy
            shutil.copyfile(wal, dst.with_name(dst.name + ".wal"))


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


@contextlib.contextmanager
def writer(
    db_path: Path | str, *, lock_timeout: float = 600.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The only way to change the warehouse: a migrated read-write snapshot swapped in on success."""
    db_path = Path(db_path).resolve()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = db_path.with_name(db_path.name + ".writer.lock")
    next_path = db_path.with_name(db_path.name + ".next")
    next_wal = next_path.with_name(next_path.name + ".wal")
    with _flock(lock_path, lock_timeout, str(db_path)):
        _remove(next_path)
        _remove(next_wal)
        try:
            if db_path.exists():
                _copy_under_shared_lock(db_path, next_path, lock_timeout)
            con = duckdb.connect(str(next_path))
        except (OSError, duckdb.Error) as exc:
            _remove(next_path)
            _remove(next_wal)
            raise WarehouseError(
                f"{db_path}: cannot write a copy to load into ({next_path.name}): {exc}; "
                "the warehouse is unchanged"
            ) from exc
        try:
            con.execute("SET TimeZone = 'UTC'")
            migrate(con)
            yield con
            con.execute("CHECKPOINT")
        except BaseException as exc:
            con.close()
            _remove(next_path)
            _remove(next_wal)
            if isinstance(exc, _STORAGE_ERRORS):
                raise WarehouseError(
                    f"{db_path}: writing the new snapshot failed: {exc}; the warehouse is unchanged"
                ) from exc
            raise
        con.close()
        fault_point("before-swap")
        try:
            _remove(next_wal)
            _remove(db_path.with_name(db_path.name + ".wal"))
            os.replace(next_path, db_path)
        except OSError as exc:
            _remove(next_path)
            raise WarehouseError(f"{db_path}: cannot swap in the new snapshot: {exc}") from exc
        dir_fd = os.open(db_path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
