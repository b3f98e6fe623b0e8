"""Rows of a spreadsheet export: CSV (any delimiter, detected when not given) or ``.xlsx``.

Every row keeps where it came from, so that a bad value is reported by its
cell as a person sees it in a spreadsheet program: ``cell G5`` of a CSV file
(column G, row 5, the header being row 1) or ``cell Arbeitsgänge!G5`` of a
workbook. CSV cells are text; workbook cells keep their type (numbers,
datetimes without time zone, text), which the column map's conversion
accepts as they are. ``.xlsx`` needs openpyxl (extra ``sheets``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from riskengine.errors import InputError, Problem

MAX_BYTES = 1 << 30
MAX_ROWS = 1_000_000
DELIMITERS = ",;\t|"


def column_letter(k: int) -> str:
    """The spreadsheet letter of the 0-based column ``k`` (0 -> A, 26 -> AA)."""
    out = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        out = chr(65 + r) + out
    return out


@dataclass
class Sheet:
    """The header and the data rows of one table, with its cell names."""

    header: list[str]
    rows: list[list[object]]  # cell values by header position; None for an empty cell
    first_row: int  # spreadsheet row number of rows[0]
    sheet: str | None = None  # workbook sheet name (None for CSV)

    def cell(self, row: int, column: str) -> str:
        """The name of the cell of data row ``row`` (0-based) in ``column``: ``G5`` or
        ``Sheet!G5``."""
        ref = f"{column_letter(self.header.index(column))}{self.first_row + row}"
        return f"{self.sheet}!{ref}" if self.sheet else ref


def read_sheet(path: str | Path, *, delimiter: str | None = None, encoding: str = "utf-8-sig",
               sheet: str | None = None) -> Sheet:
    """Read a ``.csv`` (or any text table) or ``.xlsx`` file; the first non-empty row is the header."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem(str(path), "no such file"))
    if path.stat().st_size > MAX_BYTES:
        raise InputError(Problem(str(path), f"larger than the {MAX_BYTES} bytes allowed"))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    try:
        text = path.read_bytes().decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(Problem("[format].encoding", f"the file is not {encoding} text ({exc.reason} at "
                                 f"byte {exc.start}); spreadsheet exports are often encoding = "
                                 "\"cp1252\""), str(path)) from None
    except LookupError:
        raise InputError(Problem("[format].encoding", f"unknown encoding {encoding!r}"), str(path)) from None
    return _read_csv(text, delimiter, str(path))


def _detect(text: str) -> str:
    """The delimiter of a CSV text: the one among , ; tab | that splits the header into most columns
    and splits the first lines alike."""
    lines = [line for line in text.splitlines() if line.strip()][:20]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        return max(DELIMITERS, key=lambda d: (lines[0].count(d), -DELIMITERS.index(d)))


def _read_csv(text: str, delimiter: str | None, source: str) -> Sheet:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or _detect(text))
    try:
        rows: list[Sequence[object]] = []
        for row in reader:
            rows.append(row)
            if len(rows) > MAX_ROWS + 1:
                raise InputError(Problem("", f"more than {MAX_ROWS} rows"), source)
    except csv.Error as exc:
        raise InputError(Problem(f"line {reader.line_num}", f"not valid CSV: {exc}"), source) from None
    return _table(rows, None, source)


def _table(rows: Sequence[Sequence[object]], sheet: str | None, source: str) -> Sheet:
    """Header (the first row with a value) and data rows; trailing empty rows are dropped."""
    def empty(value: object) -> bool:
        return value is None or (isinstance(value, str) and not value.strip())

    start = next((k for k, row in enumerate(rows) if not all(map(empty, row))), None)
    if start is None:
        raise InputError(Problem("", "the table is empty (no header row)"), source)
    header = [("" if v is None else str(v)).strip() for v in rows[start]]
    while header and not header[-1]:
        header.pop()
    seen = [h for k, h in enumerate(header) if h and h in header[:k]]
    if seen:
        raise InputError(Problem("header", f"column {seen[0]!r} occurs twice"), source)
    data = [[None if empty(v) else v for v in row] for row in rows[start + 1:]]
    while data and all(v is None for v in data[-1]):
        data.pop()
    for k, row in enumerate(data):
        if len(row) > len(header) and any(v is not None for v in row[len(header):]):
            where = f"{sheet}!" if sheet else ""
            raise InputError(Problem(f"row {where}{start + 2 + k}", "more cells than header columns"), source)
        row[:] = (row + [None] * len(header))[:len(header)]
    return Sheet(header, data, start + 2, sheet)


def _read_xlsx(path: Path, name: str | None) -> Sheet:
    from riskengine.extras import require

    openpyxl = require("openpyxl", "reading .xlsx workbooks")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a corrupt or foreign file: openpyxl raises many kinds
        raise InputError(Problem("", f"not a readable .xlsx workbook: {exc}"), str(path)) from None
    try:
        if name is not None and name not in book.sheetnames:
            raise InputError(Problem("[format].sheet", f"no sheet {name!r} (sheets: "
                                     f"{', '.join(book.sheetnames)})"), str(path))
        ws = book[name] if name is not None else book.worksheets[0]
        rows = []
        for row in ws.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 1:
                raise InputError(Problem("", f"more than {MAX_ROWS} rows"), str(path))
        return _table(rows, ws.title, str(path))
    finally:
        book.close()
