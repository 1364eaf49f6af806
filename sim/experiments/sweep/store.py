"""The results folder of a sweep: chunked Parquet parts, consolidation, manifest, resume.

Layout of ``DIR``::

    manifest.json        sweep id (hash), sweep file hash, package version, times, run count
    spec.json            the sweep as run (resolved paths, fixed overrides, hashes)
    sweep.yaml           a copy of the sweep file
    design.parquet       the design points (factor values, unit-cube coordinates)
    parts/               results while the sweep runs: <first run id>-<token>.runs.parquet
                         (and .nights.parquet), each written to a temporary name and renamed,
                         so a part is either complete or absent
    runs.parquet         consolidated, one row per run, sorted by run id (written at the end)
    nights.parquet       consolidated per-night table, if asked

A runs part is the commit record of its runs: the nights part of the same chunk is written
first, and a nights part without its runs part (a crash in between) is deleted on resume.
Resume reads the ``run_id`` column of every runs part (and of ``runs.parquet``) and skips those
runs. Consolidation streams the parts in run-id order into fixed-size row groups, so the output
does not depend on how the runs were chunked or which backend ran them; it then removes
``parts/``.
"""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.config.files import MB, atomic_path, atomic_write_parquet, read_bounded_bytes
from sim.experiments.sweep.errors import ResultsFolderError

ROW_GROUP_ROWS = 65_536
MANIFEST_FORMAT = "sim-sweep/1"
_OWN_FILES = (
    "manifest.json",
    "spec.json",
    "sweep.yaml",
    "design.parquet",
    "runs.parquet",
    "nights.parquet",
    "sensitivity.csv",
    "sensitivity_s2.csv",
)


def now_iso() -> str:
    """Current UTC time, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write JSON to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, default=str) + "\n")


def write_table_atomic(table: pa.Table, path: Path) -> None:
    """Write a Parquet file atomically."""
    atomic_write_parquet(path, table)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    cols = []
    for f in schema:
        if f.name in table.column_names:
            col = table.column(f.name)
            cols.append(col if col.type == f.type else col.cast(f.type))
        else:
            cols.append(pa.nulls(len(table), type=f.type))
    return pa.Table.from_arrays(cols, schema=schema)


class _RowGroupWriter:
    """Write tables to one Parquet file in row groups of exactly ``rows`` rows (last: fewer)."""

    def __init__(self, path: Path, schema: pa.Schema, rows: int = ROW_GROUP_ROWS) -> None:
        self.rows = rows
        self.buf: list[pa.Table] = []
        self.n = 0
        self.writer = pq.ParquetWriter(path, schema)

    def write(self, table: pa.Table) -> None:
        if len(table) == 0:
            return
        self.buf.append(table)
        self.n += len(table)
        while self.n >= self.rows:
            t = pa.concat_tables(self.buf)
            self.writer.write_table(t.slice(0, self.rows), row_group_size=self.rows)
            rest = t.slice(self.rows)
            self.buf = [rest] if len(rest) else []
            self.n = len(rest)

    def close(self) -> None:
        if self.n:
            self.writer.write_table(pa.concat_tables(self.buf), row_group_size=self.rows)
        self.writer.close()


def merge_parquet(sources: list[Path], out: Path, sort_by: list[str]) -> int:
    """Merge Parquet files into ``out`` sorted by ``sort_by`` (first key: ``run_id``).

    Streams one source at a time when the sources cover disjoint, internally sorted run-id
    ranges (the normal case); otherwise sorts in memory. Rows of a run id that appears in more
    than one source are taken from the first source only. Returns the row count.
    """
    if not sources:
        return 0
    schemas = [pq.read_schema(s) for s in sources]
    schema = pa.unify_schemas(schemas, promote_options="permissive")
    schema = schema.remove_metadata()
    spans = []
    for s in sources:
        ids = pq.read_table(s, columns=["run_id"]).column("run_id").to_numpy()
        ok = len(ids) == 0 or bool((ids[1:] >= ids[:-1]).all())
        spans.append((int(ids.min()) if len(ids) else 0, int(ids.max()) if len(ids) else -1, ok, s))
    spans.sort(key=lambda t: (t[0], t[1]))
    disjoint = all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))
    streaming = disjoint and all(t[2] for t in spans)
    total = 0
    with atomic_path(out) as tmp:
        writer = _RowGroupWriter(tmp, schema)
        if streaming:
            for _, _, _, s in spans:
                t = _conform(pq.read_table(s), schema)
                writer.write(t)
                total += len(t)
        else:
            seen: set[int] = set()
            tables = []
            for s in sources:
                t = _conform(pq.read_table(s), schema)
                ids = t.column("run_id").to_pylist()
                fresh = {i for i in set(ids) if i not in seen}
                mask = pa.array([i in fresh for i in ids], type=pa.bool_())
                tables.append(t.filter(mask))
                seen |= fresh
            t = pa.concat_tables(tables)
            keys = [(k, "ascending") for k in sort_by if k in t.column_names]
            t = t.sort_by(keys)
            writer.write(t)
            total = len(t)
        writer.close()
    return total


class SweepStore:
    """A sweep's results folder (see the module docstring)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.parts = self.root / "parts"
        self.manifest_path = self.root / "manifest.json"
        self.runs_path = self.root / "runs.parquet"
        self.nights_path = self.root / "nights.parquet"
        self.design_path = self.root / "design.parquet"
        self.spec_path = self.root / "spec.json"

    # -- manifest -----------------------------------------------------------------------------
    def read_manifest(self) -> dict | None:
        """The manifest, or ``None`` if the folder has none."""
        if not self.manifest_path.exists() and not self.manifest_path.is_symlink():
            return None
        try:
            raw = read_bounded_bytes(self.manifest_path, 50 * MB, "manifest", ResultsFolderError)
            manifest = json.loads(raw.decode("utf-8"))
        except (OSError, ValueError) as exc:
            raise ResultsFolderError(
                f"{self.manifest_path}: damaged manifest ({exc}); the folder's results cannot "
                "be trusted: move the folder away and run the sweep again, or choose another "
                "--out") from None
        if not isinstance(manifest, dict) or "sweep_id" not in manifest:
            raise ResultsFolderError(
                f"{self.manifest_path}: damaged manifest (not a sweep manifest); move the "
                "folder away and run the sweep again, or choose another --out")
        return manifest

    def write_manifest(self, manifest: dict) -> None:
        write_json_atomic(self.manifest_path, manifest)

    # -- opening ------------------------------------------------------------------------------
    def check(self, sweep_id: str, force: bool, describe: str) -> tuple[dict | None, bool]:
        """Check, without changing anything, that the folder may take sweep ``sweep_id``.

        Returns ``(manifest to resume or None, whether the folder must be cleared first)``.

        Raises:
            ResultsFolderError: the folder holds another sweep's results, or is a non-empty
                folder that is not a results folder (unless ``force``; with ``force`` another
                sweep's results are to be deleted).
        """
        if not self.root.exists():
            return None, False
        if not self.root.is_dir():
            raise ResultsFolderError(f"{self.root}: exists and is not a folder")
        manifest = self.read_manifest()
        if manifest is None:
            foreign = [p.name for p in self.root.iterdir() if not p.name.startswith(".")]
            if foreign and not force:
                raise ResultsFolderError(
                    f"{self.root}: exists, is not empty and is not a sweep results folder "
                    f"(no manifest.json); choose another --out, or pass --force"
                )
            return None, False
        if manifest.get("sweep_id") != sweep_id:
            if not force:
                raise ResultsFolderError(
                    f"{self.root}: holds results of a different sweep "
                    f"({manifest.get('sweep_file') or 'unknown file'}, "
                    f"id {str(manifest.get('sweep_id'))[:12]}) than {describe} "
                    f"(id {sweep_id[:12]}); choose another --out, or pass --force to "
                    f"discard them"
                )
            return None, True
        return manifest, False

    def prepare(self, sweep_id: str, force: bool, describe: str) -> dict | None:
        """:meth:`check`, then clear the folder if needed and create it.

        Returns the existing manifest of the same sweep (to resume), or ``None``.
        """
        manifest, clear = self.check(sweep_id, force, describe)
        if clear:
            self.clear()
        self.parts.mkdir(parents=True, exist_ok=True)
        return manifest

    def clear(self) -> None:
        """Delete this store's own files (never anything else in the folder)."""
        shutil.rmtree(self.parts, ignore_errors=True)
        for name in _OWN_FILES:
            (self.root / name).unlink(missing_ok=True)

    # -- parts --------------------------------------------------------------------------------
    def _clean_parts(self) -> None:
        if not self.parts.is_dir():
            return
        runs_tokens = set()
        for p in self.parts.iterdir():
            if p.name.startswith(".tmp-"):
                p.unlink(missing_ok=True)
            elif p.name.endswith(".runs.parquet"):
                runs_tokens.add(p.name.removesuffix(".runs.parquet"))
        for p in self.parts.glob("*.nights.parquet"):
            if p.name.removesuffix(".nights.parquet") not in runs_tokens:
                p.unlink(missing_ok=True)
        for p in self.root.glob(".tmp-*"):
            p.unlink(missing_ok=True)

    def run_parts(self) -> list[Path]:
        return sorted(self.parts.glob("*.runs.parquet")) if self.parts.is_dir() else []

    def night_parts(self) -> list[Path]:
        return sorted(self.parts.glob("*.nights.parquet")) if self.parts.is_dir() else []

    def finished_ids(self) -> set[int]:
        """Run ids already on disk (in complete parts or in ``runs.parquet``).

        A damaged part (unreadable Parquet, no ``run_id``) is repaired: it and its nights part
        are removed, with a note naming it, and its runs are run again. A damaged
        ``runs.parquet`` is refused, naming it (its runs cannot be told apart).
        """
        self._clean_parts()
        done: set[int] = set()
        for part in self.run_parts():
            try:
                ids = pq.read_table(part, columns=["run_id"]).column("run_id").to_pylist()
            except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
                night = part.with_name(part.name.replace(".runs.parquet", ".nights.parquet"))
                part.unlink(missing_ok=True)
                night.unlink(missing_ok=True)
                print(f"note: {part}: damaged ({str(exc).splitlines()[0][:120]}); removed, its "
                      "runs will be run again", file=sys.stderr)
                continue
            done.update(ids)
        if self.runs_path.exists():
            try:
                done.update(pq.read_table(self.runs_path, columns=["run_id"])
                            .column("run_id").to_pylist())
            except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
                raise ResultsFolderError(
                    f"{self.runs_path}: damaged ({str(exc).splitlines()[0][:120]}); its runs "
                    "cannot be recovered: delete it (the sweep then runs them again), or choose "
                    "another --out") from None
        return done

    def repair_records(self, spec_json: dict, design_table: pa.Table) -> list[str]:
        """Rewrite ``spec.json`` and ``design.parquet`` when damaged (on resume; both follow
        from the sweep file). Returns the names repaired."""
        fixed = []
        try:
            json.loads(read_bounded_bytes(self.spec_path, 50 * MB, "sweep record",
                                          ResultsFolderError).decode("utf-8"))
        except (ResultsFolderError, ValueError, OSError):
            write_json_atomic(self.spec_path, spec_json)
            fixed.append(self.spec_path.name)
        try:
            pq.read_schema(self.design_path)
        except (OSError, ValueError, pa.ArrowException):
            write_table_atomic(design_table, self.design_path)
            fixed.append(self.design_path.name)
        return fixed

    def write_part(self, runs: pa.Table, nights: pa.Table | None = None) -> Path:
        """Write one chunk of results atomically (nights first, then the runs commit record)."""
        first = runs.column("run_id")[0].as_py()
        token = f"{first:010d}-{uuid.uuid4().hex[:8]}"
        if nights is not None and len(nights):
            write_table_atomic(nights, self.parts / f"{token}.nights.parquet")
        path = self.parts / f"{token}.runs.parquet"
        write_table_atomic(runs, path)
        return path

    # -- consolidation ------------------------------------------------------------------------
    def consolidate(self, nights: bool) -> int:
        """Merge the parts into ``runs.parquet`` (and ``nights.parquet``); remove ``parts/``."""
        self._clean_parts()
        sources = self.run_parts()
        if self.runs_path.exists():
            sources = [self.runs_path, *sources]
        n = merge_parquet(sources, self.runs_path, ["run_id"])
        if nights:
            nsrc = self.night_parts()
            if self.nights_path.exists():
                nsrc = [self.nights_path, *nsrc]
            if nsrc:
                merge_parquet(nsrc, self.nights_path, ["run_id", "night"])
        shutil.rmtree(self.parts, ignore_errors=True)
        return n
