"""Write the example factory's planning sheet: plan-v1 as a planner's spreadsheet export (issue 21).

    python scenarios/example-factory/spreadsheet/make_spreadsheet.py

``wk47-v1.xlsx`` (sheet ``Arbeitsgänge``: typed cells, local times without
offset) and ``wk47-v1.csv`` (semicolon-separated, German headers, times as
``16.11.2026 06:00``, quantities as ``2.500``, setup in minutes, two columns
the import does not need) hold the operations of ``../plan-v1.json``;
``map.toml`` maps them back, and with ``--timezone Europe/Berlin``

    riskengine import table wk47-v1.xlsx --kind plan --map map.toml --timezone Europe/Berlin

writes exactly ``plan-v1.json`` (a test checks both files). Needs openpyxl
(``python -m pip install 'riskengine[sheets]'``).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from riskengine.io.writers import write_text_atomic

HERE = Path(__file__).resolve().parent
PLAN = HERE.parent / "plan-v1.json"
BERLIN = ZoneInfo("Europe/Berlin")
HEADER = ["Arbeitsgang", "Auftrag", "Artikel", "Familie", "Linie", "Menge", "Beginn", "Ende",
          "Rüstzeit (min)", "Vorgänger", "Material", "Bemerkung", "Status"]
SHEET = "Arbeitsgänge"


def local(text: str) -> datetime:
    """An ISO time with offset as the naive wall-clock time in Berlin that a spreadsheet shows."""
    return datetime.fromisoformat(text).astimezone(BERLIN).replace(tzinfo=None)


def rows() -> list[list[object]]:
    """One row per operation, typed as a workbook holds it."""
    out = []
    for op in json.loads(PLAN.read_text(encoding="utf-8"))["operations"]:
        note = "Kühlzeit beachten" if op["after"] else None
        out.append([op["id"], op["order"], op["product"], op["family"], op["resource"], op["quantity"],
                    local(op["start"]), local(op["end"]), round(op["setup_hours"] * 60),
                    ", ".join(op["after"]) or None, ", ".join(op["materials"]) or None, note, "freigegeben"])
    return out


def csv_text() -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(HEADER)
    for r in rows():
        w.writerow(["" if v is None else f"{v:%d.%m.%Y %H:%M}" if isinstance(v, datetime)
                    else f"{v:,}".replace(",", ".") if isinstance(v, int) else v for v in r])
    return buf.getvalue()


def write_xlsx(path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = SHEET
    ws.append(HEADER)
    for r in rows():
        ws.append(r)
    for column in ("G", "H"):
        for cell in ws[column][1:]:
            cell.number_format = "DD.MM.YYYY HH:MM"
    info = book.create_sheet("Info")
    info.append(["Wochenplan KW 47/2026, Version 1, veröffentlicht 16.11.2026 06:00 (Ortszeit Berlin)"])
    book.properties.creator = "riskengine example factory"
    book.properties.created = book.properties.modified = datetime(2026, 11, 16, 6, 0)
    book.save(path)


def main() -> None:
    write_text_atomic(HERE / "wk47-v1.csv", csv_text())
    write_xlsx(HERE / "wk47-v1.xlsx")


if __name__ == "__main__":
    main()
