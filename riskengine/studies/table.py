"""The result table of a sweep: one row per cell, written as Parquet or CSV.

Columns, in order: ``cell`` (position in the study: plans vary fastest
within a design point), ``plan`` (label), one column per parameter,
``seed`` (the cell's derived seed), ``replications``, ``planned_finish``
(hours from horizon start to the last planned end of the plan variant),
``{metric}_mean``, ``{metric}_low``, ``{metric}_high`` per metric (95%
interval; ``finish_p90`` too), and ``cell_id``. Nothing in the table
depends on the backend, the worker count or timing.

Parquet needs pyarrow (extra ``sweep``); CSV is written with the csv module
(floats in shortest round-trip form, nulls as empty cells). Both are
written atomically.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from pydantic import ConfigDict

from riskengine.errors import InputError, Problem
from riskengine.io.documents import Document
from riskengine.io.writers import atomic_path, write_text_atomic
from riskengine.model.describe import describe

FORMATS = (".parquet", ".csv")
TEXT = ("plan", "cell_id")  # never read as numbers
#: The metric columns: ``{metric}_mean``, ``_low``, ``_high`` (``finish_p90`` too).
METRIC_COLUMN = r"^(plan_holds|bts|btp|volume|mix|sequence|finish|holds_day_[0-9]+)_(mean|low|high|p90)$"


def _metric_columns(schema: dict) -> None:
    describe(schema, StudyRow)
    schema["patternProperties"] = {METRIC_COLUMN: {
        "type": ["number", "null"],
        "description": "A metric's mean and the bounds of its 95% interval (probabilities and ratios in "
                       "[0, 1], finish in hours from the horizon start); null where it is undefined"}}
    schema["additionalProperties"] = {
        "type": ["number", "string", "boolean", "null"],
        "description": "One column per study parameter (its name): the cell's value"}


class StudyRow(Document):
    """One row of a sweep's result table (``riskengine sweep``, Parquet or CSV): one plan under one
    design point. Rows come in cell order; nothing in them depends on the backend or worker count."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_metric_columns)

    cell: int
    """Position in the study: plans vary fastest within a design point."""
    plan: str
    """The plan's label in the study."""
    seed: int
    """The cell's seed, derived from the study seed and the design point."""
    replications: int
    """Replications run."""
    planned_finish: float
    """Hours from the horizon start to the last planned end of the plan variant."""
    cell_id: str
    """Content hash of the cell: the name of its file in OUT.cells/."""


def columns(rows: list[dict]) -> dict[str, list]:
    """Rows (dicts with the same keys, in cell order) as columns."""
    names: list[str] = []
    for r in rows:
        for k in r:
            if k not in names:
                names.append(k)
    return {k: [r.get(k) for r in rows] for k in names}


def check_out(path: str | os.PathLike) -> None:
    """Refuse an output path of unknown format (before any work)."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(Problem("--out", f"must end in {' or '.join(FORMATS)}, got {str(path)!r}"))
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InputError(Problem("--out", "Parquet needs pyarrow: python -m pip install "
                                     "'riskengine[sweep]' (or write .csv)")) from None


def to_arrow(rows: list[dict]):
    """A ``pyarrow.Table`` of the rows (a column mixing numbers and text becomes text)."""
    import pyarrow as pa

    arrays = {}
    for name, values in columns(rows).items():
        try:
            arrays[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrays[name] = pa.array([None if v is None else str(v) for v in values])
    return pa.table(arrays)


def _csv_text(rows: list[dict]) -> str:
    cols = columns(rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for i in range(len(rows)):
        w.writerow(["" if cols[k][i] is None else repr(cols[k][i]) if isinstance(cols[k][i], float)
                    else cols[k][i] for k in cols])
    return buf.getvalue()


def write_table(rows: list[dict], path: str | os.PathLike) -> None:
    """Write the rows to ``path`` (``.parquet`` or ``.csv``), atomically."""
    path = Path(path)
    check_out(path)
    if path.suffix.lower() == ".csv":
        write_text_atomic(path, _csv_text(rows))
        return
    import pyarrow.parquet as pq

    with atomic_path(path) as tmp:
        pq.write_table(to_arrow(rows), tmp)


def read_table(path: str | os.PathLike) -> dict[str, list]:
    """A result table (Parquet or CSV) as columns (CSV cells are parsed as numbers where they are)."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pydict()
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        out: dict[str, list] = {k: [] for k in reader.fieldnames or []}
        for row in reader:
            for k, v in row.items():
                out[k].append(v if k in TEXT else _number(v))
    return out


def _number(text: str):
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
