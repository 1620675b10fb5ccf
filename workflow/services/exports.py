"""The coordinator's table as files: CSV the way German Excel opens it (UTF-8 with BOM, `;`,
decimal comma) and XLSX (openpyxl, typed cells). Same columns and rows as the page."""

from __future__ import annotations

import csv
import io
import itertools
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from workflow.models.types import utcnow
from workflow.rules.deadlines import BERLIN
from workflow.services.overview import COLUMNS, formatted

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def stamp() -> str:
    return utcnow().astimezone(BERLIN).strftime("%Y-%m-%d")


def csv_stream(rows: Iterable[dict], chunk_size: int = 64 * 1024) -> Iterator[str]:
    """The table's CSV text in pieces of about `chunk_size` characters, as the rows come (the
    caller streams it; a piece per row would be a network write per row)."""
    header = [label for _, label in COLUMNS]
    return csv_lines(itertools.chain([header], (formatted(row) for row in rows)), chunk_size)


def csv_lines(lines: Iterable[list[str]], chunk_size: int = 64 * 1024) -> Iterator[str]:
    """Any lines of text cells as such a CSV (BOM, `;`, CRLF), in pieces of about `chunk_size`
    characters as they come; cells that start like a formula are kept as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    buffer.write("\ufeff")
    for line in lines:
        writer.writerow([_safe(v) for v in line])
        if buffer.tell() >= chunk_size:
            yield flush()
    yield flush()


def _safe(value: str) -> str:
    """No formula injection: a cell that starts like a formula is kept as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# Column widths in characters, fixed before the first row: a write-only sheet writes its column
# definitions ahead of the rows, so widths cannot follow the longest value of a streamed table.
WIDTHS = {
    "reference": 18,
    "title": 50,
    "sponsor": 36,
    "state": 30,
    "funding_object": 34,
    "fields": 24,
    "districts": 30,
    "requested_grant": 18,
    "deadline": 14,
    "deadline_status": 30,
    "created": 14,
    "updated": 20,
}
FORMATS = {
    "requested_grant": '#,##0.00 "€"',
    "deadline": "DD.MM.YYYY",
    "created": "DD.MM.YYYY",
    "updated": "DD.MM.YYYY HH:MM",
}


def xlsx_file(rows: Iterable[dict]) -> tuple[IO[bytes], int]:
    """The workbook in an unnamed temporary file, rewound, and its size. openpyxl's write-only
    mode puts each row into its own temporary file as it comes and the finished workbook goes to
    disk too, so memory stays the same however many rows there are. The caller sends and closes
    the file."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Anträge")
    for index, (key, _) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS[key]
    sheet.append([label for _, label in COLUMNS])
    for row in rows:
        sheet.append([_cell(sheet, key, row[key]) for key, _ in COLUMNS])
    return workbook_file(workbook)


def workbook_file(workbook: Workbook) -> tuple[IO[bytes], int]:
    """A (write-only) workbook saved into an unnamed temporary file, rewound, and its size."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    try:
        workbook.save(out)
        size = out.tell()
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out, size


def _cell(sheet, key: str, value) -> WriteOnlyCell:
    if key == "requested_grant" and value is not None:
        value = Decimal(value) / 100
    elif key == "created" and value is not None:
        value = value.astimezone(BERLIN).date()
    elif key == "updated" and value is not None:
        value = value.astimezone(BERLIN).replace(tzinfo=None, microsecond=0)
    cell = WriteOnlyCell(sheet, value=value)
    if key in FORMATS:
        cell.number_format = FORMATS[key]
    return cell
