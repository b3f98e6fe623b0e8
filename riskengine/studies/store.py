"""Finished cells on disk, so an interrupted sweep resumes where it stopped.

A sweep writing ``results.parquet`` keeps its finished cells in the folder
``results.parquet.cells/``: one JSON file per cell, named by the cell id
(:mod:`riskengine.studies.cells`), written atomically (temp file + rename) as
soon as the cell is done. A restarted sweep reads them and runs only the
other cells; a file that cannot be read is ignored (its cell runs again).
Floats are written in their shortest round-trip form, so a resumed table is
bit-identical to an uninterrupted one. The folder is removed once the table
is written, unless asked to keep it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from riskengine.io.writers import write_text_atomic


def store_path(out: str | os.PathLike) -> Path:
    """The folder of finished cells beside a result file."""
    out = Path(out)
    return out.with_name(out.name + ".cells")


class CellStore:
    """Finished rows keyed by cell id."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def load(self) -> dict[str, dict]:
        """Every readable finished row, by cell id."""
        done: dict[str, dict] = {}
        if not self.folder.is_dir():
            return done
        for f in self.folder.glob("*.json"):
            try:
                row = json.loads(f.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(row, dict) and row.get("cell_id") == f.stem:
                done[f.stem] = row
        return done

    def put(self, row: dict) -> None:
        """Record a finished row (atomically)."""
        write_text_atomic(self.folder / f"{row['cell_id']}.json", json.dumps(row, allow_nan=True))

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
