"""The coordinator's table as files: CSV the way German Excel opens it (UTF-8 with BOM, `;`,
decimal comma) and XLSX (openpyxl, typed cells). Same columns and rows as the page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from workflow.models.types import utcnow
from workflow.rules.deadlines import BERLIN
from workflow.services.overview import COLUMNS, formatted

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def stamp() -> str:
    return utcnow().astimezone(BERLIN).strftime("%Y-%m-%d")


def csv_stream(rows: Iterable[dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([label for _, label in COLUMNS])
    yield "\ufeff" + flush()
    for row in rows:
        writer.writerow([_safe(v) for v in formatted(row)])
        yield flush()


def _safe(value: str) -> str:
    """No formula injection: a cell that starts like a formula is kept as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def xlsx_bytes(rows: Iterable[dict]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Anträge")
    widths = {key: len(label) for key, label in COLUMNS}
    sheet.append([label for _, label in COLUMNS])
    formats = {
        "requested_grant": '#,##0.00 "€"',
        "deadline": "DD.MM.YYYY",
        "created": "DD.MM.YYYY",
        "updated": "DD.MM.YYYY HH:MM",
    }
    for row in rows:
        cells = []
        for key, _ in COLUMNS:
            value = row[key]
            if key == "requested_grant" and value is not None:
                value = Decimal(value) / 100
            elif key == "created" and value is not None:
                value = value.astimezone(BERLIN).date()
            elif key == "updated" and value is not None:
                value = value.astimezone(BERLIN).replace(tzinfo=None, microsecond=0)
            elif isinstance(value, str):
                widths[key] = max(widths[key], len(value))
            cell = WriteOnlyCell(sheet, value=value)
            if key in formats:
                cell.number_format = formats[key]
            cells.append(cell)
        sheet.append(cells)
    for index, (key, _) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(60, widths[key] + 4))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
