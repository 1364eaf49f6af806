"""Files that cannot hurt the user: bounded reads, output paths checked before any work, results
folders that are never confused with other folders, and a lock while a run writes one.

* :func:`check_regular_file` / :func:`read_bounded_bytes`: a file the tools read must be a
  regular file of bounded size. A FIFO, a device (``/dev/zero``, ``/dev/stdin``) or a folder
  is refused before it is opened (opening a FIFO blocks; a device can give bytes without end).
* :func:`check_output_path`: an output path is checked up front, before any simulation:
  every name fits the file system (with room for the temporary names written next to it),
  the path as a whole too, the nearest existing folder is a folder we may write in, and a
  file output is not an existing folder.
* :func:`check_out_dir`: an existing results folder is replaced only with ``--overwrite`` and
  only if it is a results folder written by these tools (:func:`results_folder_problem`),
  never the folder one works in.
* :class:`FolderLock`: while a run or a sweep writes a results folder, a lock (an exclusive
  ``flock`` on ``.NAME.lock`` next to the folder, removed when done) keeps a second run out:
  it exits with status 2 naming the first.
* :func:`atomic_path` / ``atomic_write_*`` and :class:`StagedDir`: a file is written to a
  temporary name in the same folder and renamed into place (``os.replace`` is atomic on one
  file system); a run's folder is assembled in a temporary sibling folder and swapped in only
  when complete. A crash leaves the old file or folder, never half of a new one.

This module imports neither numpy nor pandas.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import numbers
import os
import shutil
import stat
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sim.config.errors import DataFileError, SimInputError

MB = 1_000_000

RESULT_MARKERS = ("summary.json", "manifest.json", "result.json")
"""A results folder holds one of these: a run, a sweep, an optimisation."""

RESULT_SUFFIXES = frozenset({".json", ".parquet", ".yaml", ".yml", ".csv", ".txt", ".md", ".png",
                             ".svg", ".pdf", ".gif", ".mp4", ".html"})
"""The files a results folder holds (tables, reports, figures)."""

TEMP_NAME_ROOM = 24
"""Bytes a folder name needs to leave for the temporary names written beside it
(``.NAME.old.XXXXXXXX``, ``.NAME.lock``)."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a regular file"


def check_regular_file(path: str | Path, limit: int, what: str = "file",
                       error: type[SimInputError] = SimInputError) -> int:
    """Refuse anything but a regular file of at most ``limit`` bytes, without opening it.

    Returns:
        The file's size in bytes.

    Raises:
        ``error``: missing, unreadable, a folder, a FIFO or a device, or too large.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise error(f"{p}: file not found") from None
    except OSError as exc:
        raise error(f"{p}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{p}: is a folder, not a {what}")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{p}: {_kind(st.st_mode)}, not a {what}; refusing to read it (a pipe or a "
                    "device can block or give data without end)")
    if st.st_size > limit:
        raise error(f"{p}: file is {st.st_size:,} bytes; a {what} is limited to "
                    f"{limit / MB:,.0f} MB")
    return int(st.st_size)


def read_bounded_bytes(path: str | Path, limit: int, what: str = "file",
                       error: type[SimInputError] = SimInputError) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (also if it grows while read)."""
    check_regular_file(path, limit, what, error)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > limit:
        raise error(f"{path}: more than {limit / MB:,.0f} MB; a {what} is limited to that")
    return raw


# ------------------------------------------------------------------------------ output paths
def _exists(p: Path) -> bool:
    try:
        os.stat(p)
    except (OSError, ValueError):  # missing, a name too long, ...
        return False
    return True


def _existing_ancestor(p: Path) -> Path:
    q = p
    while not _exists(q) and q != q.parent:
        q = q.parent
    return q


def _limits(at: Path) -> tuple[int, int]:
    try:
        return os.pathconf(at, "PC_NAME_MAX"), os.pathconf(at, "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):
        return 255, 4096


def check_output_path(path: str | Path, option: str, folder: bool = False) -> Path:
    """Check an output path before any work: names and length fit the file system (a folder
    leaves room for the temporary names written beside it), the nearest existing ancestor is a
    folder we may write in, and a file output is not a folder.

    Raises:
        SimInputError: naming ``option``, the path and the reason.
    """
    p = Path(path)
    shown = str(p) if len(str(p)) <= 90 else f"{str(p)[:60]}...{str(p)[-20:]}"
    where = f"{option} {shown}"
    if not str(p).strip():
        raise SimInputError(f"{option}: empty path")
    if "\x00" in str(p):
        raise SimInputError(f"{option}: the path contains a NUL character")
    full = p.absolute()
    anc = _existing_ancestor(full)
    name_max, path_max = _limits(anc if anc.is_dir() else anc.parent)
    room = TEMP_NAME_ROOM if folder else 16  # a file is written as .tmp-XXXXXXXX-NAME
    for part in p.parts:
        n = len(os.fsencode(part))
        if part not in ("/", "..", ".") and n + room > name_max:
            raise SimInputError(f"{where}: the name {part[:40]!r}... is {n} bytes; names here "
                                f"are limited to {name_max} bytes ({name_max - room} with the "
                                "temporary name written beside it): choose a shorter name")
    if len(os.fsencode(str(full))) + 2 * room > path_max:
        raise SimInputError(f"{where}: the path is too long for the file system "
                            f"({len(os.fsencode(str(full)))} bytes; at most {path_max - 2 * room})")
    if not anc.is_dir():
        raise SimInputError(f"{where}: {anc} is a file, not a folder")
    if not os.access(anc, os.W_OK | os.X_OK):
        raise SimInputError(f"{where}: cannot write in {anc} (permission denied)")
    if not folder and anc == full and p.is_dir():
        raise SimInputError(f"{where}: is a folder; give the name of a file")
    return p


def results_folder_problem(folder: str | Path) -> str | None:
    """Why ``folder`` is not a results folder written by these tools (``None`` if it is): it
    must hold a run's ``summary.json``, a sweep's ``manifest.json`` or an optimisation's
    ``result.json``, and nothing but results files (tables, reports, figures; a sweep's
    ``parts/``)."""
    folder = Path(folder)
    entries = sorted(folder.iterdir())
    names = {p.name for p in entries}
    if not names & set(RESULT_MARKERS):
        shown = ", ".join(sorted(n for n in names if not n.startswith("."))[:4]) or "hidden files"
        return f"it holds {shown} and no results of these tools ({', '.join(RESULT_MARKERS)})"
    for p in entries:
        if p.name.startswith("."):
            continue
        if p.is_symlink():
            return f"it holds a link ({p.name})"
        if p.is_dir():
            if p.name == "parts":
                continue
            return f"it holds a folder ({p.name}/)"
        if p.suffix.lower() not in RESULT_SUFFIXES:
            return f"it holds {p.name}, which is not a results file"
    return None


def check_out_dir(out: str | Path, overwrite: bool, option: str = "--out") -> Path:
    """Check a results folder before any work: a usable path (:func:`check_output_path`), not
    the folder one works in, and an existing non-empty folder replaced only with ``overwrite``
    and only if it is a results folder (:func:`results_folder_problem`).

    Raises:
        SimInputError: naming ``option``, the folder and the reason.
    """
    out = Path(out)
    check_output_path(out, option, folder=True)
    if out.exists() and not out.is_dir():
        raise SimInputError(f"{option} {out}: exists and is not a folder")
    here = Path.cwd().resolve()
    if out.exists() and (out.resolve() == here or out.resolve() in here.parents):
        raise SimInputError(f"{option} {out}: this is the folder you work in (or holds it); "
                            "results go into a folder of their own")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise SimInputError(
                f"{option} {out}: folder already holds results; choose another folder or pass "
                "--overwrite to replace them (the old results are kept until the new run "
                "completes)")
        problem = results_folder_problem(out)
        if problem:
            raise SimInputError(
                f"{option} {out}: not replaced: {problem}. --overwrite replaces only a results "
                "folder written by these tools; choose a new folder")
    return out


# ------------------------------------------------------------------------------ the lock
class FolderLock:
    """An exclusive lock on a results folder while one process writes it.

    The lock is an ``flock`` on ``.NAME.lock`` beside the folder (the folder itself may be
    swapped in whole when a run completes); the kernel releases it if the process dies, and
    the file is removed when the writer is done. Where ``flock`` is missing, the lock file is
    created exclusively instead.

    Raises (on entry):
        SimInputError: another process holds the lock (its pid and start time are named).
    """

    def __init__(self, folder: str | Path, option: str = "--out"):
        self.folder = Path(folder)
        self.option = option
        self.path = self.folder.parent / f".{self.folder.name}.lock"
        self.fd: int | None = None

    def _busy(self, holder: str) -> SimInputError:
        return SimInputError(
            f"{self.option} {self.folder}: another run is writing this folder now "
            f"({holder or 'unknown process'}); wait for it to finish, or choose another folder")

    def __enter__(self) -> FolderLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            try:
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                raise self._busy(self._holder()) from None
            self._stamp()
            return self
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise self._busy(self._holder()) from None
            try:  # the holder we waited on may have removed the file: lock the current one
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                break
            os.close(fd)
        self._stamp()
        return self

    def _stamp(self) -> None:
        assert self.fd is not None
        os.ftruncate(self.fd, 0)
        now = dt.datetime.now().isoformat(timespec="seconds")
        os.write(self.fd, f"pid {os.getpid()}, since {now}".encode())

    def _holder(self) -> str:
        with contextlib.suppress(OSError):
            return self.path.read_text(encoding="utf-8", errors="replace")[:200].strip()
        return ""

    def __exit__(self, *exc) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)  # before unlocking: a waiter then locks a fresh file
        os.close(self.fd)  # closing releases the flock
        self.fd = None


# ------------------------------------------------------------------------------ atomic writes
def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, bool | str) or obj is None:
        return obj
    if isinstance(obj, numbers.Integral):  # numpy integers too
        return int(obj)
    if isinstance(obj, numbers.Real):  # numpy floats too
        f = float(obj)
        return None if math.isnan(f) or math.isinf(f) else f
    if hasattr(obj, "tolist"):  # numpy arrays
        return _jsonable(obj.tolist())
    if hasattr(obj, "isoformat"):  # dates
        return obj.isoformat()
    return obj


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary file name next to ``path``: write to it inside the ``with`` block; on success
    it is flushed to disk and renamed onto ``path`` (atomic on one file system), on failure it
    is removed. Temporary names start with ``.tmp-`` (a crashed writer leaves nothing else)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex[:8]}-{path.name}")
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_json_object(path: str | Path, *, what: str = "JSON file", error: type = DataFileError,
                     not_found_hint: str = "") -> dict:
    """A JSON file whose top level is an object, or ``error`` naming the file and the reason:
    not found (with ``not_found_hint``, e.g. the command that makes it), a folder, not readable
    as JSON, or not an object."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{p}: file not found{not_found_hint}") from None
    except IsADirectoryError:
        raise error(f"{p}: is a directory, not a {what}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{p}: not a readable JSON file ({exc})") from None
    if not isinstance(data, dict):
        raise error(f"{p}: top level must be a JSON object")
    return data


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write text to ``path`` atomically (:func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def atomic_write_json(path: str | Path, obj: Any) -> None:
    """Write JSON (NaN and inf become null, dates ISO strings) atomically."""
    atomic_write_text(path, json.dumps(_jsonable(obj), indent=2, sort_keys=False) + "\n")


def atomic_write_parquet(path: str | Path, df) -> None:
    """Write a DataFrame (or a pyarrow Table) as Parquet atomically."""
    with atomic_path(path) as tmp:
        if hasattr(df, "to_parquet"):
            df.to_parquet(tmp, index=False)
        else:
            import pyarrow.parquet as pq

            pq.write_table(df, tmp)


class StagedDir:
    """Assemble a results folder next to its destination and swap it in on success.

    Usage::

        with StagedDir(out) as stage:
            atomic_write_json(stage / "summary.json", ...)
        # now `out` holds exactly the new files; on an exception it is untouched.
    """

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.path: Path | None = None

    def __enter__(self) -> Path:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", dir=self.out.parent))
        return self.path

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self.path is not None
        if exc_type is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            return
        old = None
        if self.out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.old.", dir=self.out.parent))
            os.replace(self.out, old / "x")
        os.replace(self.path, self.out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
