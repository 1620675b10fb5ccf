"""The figures as files, with the project's export machinery (services/exports.py): CSV as German
Excel opens it (the tables one below the other, each under its title) and XLSX (a sheet per table,
typed cells). Same tables as the page (figures/tables.py); issued files stay German."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from workflow.figures.tables import COUNT, DATE, DAYS, MONEY, PERCENT, Table
from workflow.formatting import local_date, money
from workflow.services import exports


def number(value: float | int, places: int = 1) -> str:
    """8 → '8' (places 0), 8.5 → '8,5', 75.0 → '75,0'."""
    return f"{value:.{places}f}".replace(".", ",")


def text(kind: str, value) -> str:
    """A cell as people read it in German (the page's filters write the same)."""
    if value is None:
        return ""
    if kind == MONEY:
        return money(value).replace("\u00a0", " ")
    if kind == DAYS:
        return number(value, 0 if float(value).is_integer() else 1)
    if kind == PERCENT:
        return number(float(value)) + " %"
    if kind == DATE:
        return local_date(value)
    return str(value)


def _lines(heading: str, tables: list[Table]) -> Iterator[list[str]]:
    yield [heading]
    for table in tables:
        yield []
        yield [table.title]
        yield [column.label for column in table.columns]
        for row in table.rows:
            yield [text(column.kind, value) for column, value in zip(table.columns, row, strict=True)]


def csv_stream(heading: str, tables: list[Table]) -> Iterator[str]:
    return exports.csv_lines(_lines(heading, tables))


SHEET_NAMES = {
    "funnel": "Verlauf",
    "times": "Bearbeitungszeiten",
    "amounts_field": "Handlungsfelder",
    "amounts_district": "Landkreise",
    "amounts_funding_object": "Fördergegenstände",
    "budget": "Budget",
}
FORMATS = {MONEY: '#,##0.00 "€"', DAYS: "0.0", PERCENT: '0.0" %"', DATE: "DD.MM.YYYY", COUNT: "0"}


def _cell(sheet, kind: str, value) -> WriteOnlyCell:
    if kind == MONEY and value is not None:
        value = Decimal(value) / 100
    elif kind == DAYS and isinstance(value, float) and value.is_integer():
        value = int(value)
    cell = WriteOnlyCell(sheet, value=value)
    if kind in FORMATS and not (kind == DAYS and isinstance(value, int)):
        cell.number_format = FORMATS[kind]
    return cell


def xlsx_file(heading: str, tables: list[Table]) -> tuple[IO[bytes], int]:
    """A sheet per table: the heading, the table's title, its header and rows (typed)."""
    workbook = Workbook(write_only=True)
    for table in tables:
        sheet = workbook.create_sheet(SHEET_NAMES[table.key])
        for index in range(1, len(table.columns) + 1):
            sheet.column_dimensions[get_column_letter(index)].width = 48 if index == 1 else 20
        sheet.append([heading])
        sheet.append([table.title])
        sheet.append([column.label for column in table.columns])
        for row in table.rows:
            sheet.append([_cell(sheet, c.kind, v) for c, v in zip(table.columns, row, strict=True)])
    return exports.workbook_file(workbook)


def filename(slug: str, span_name: str, fmt: str) -> str:
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in span_name).strip(
        "-"
    )
    return f"kennzahlen-{slug}-{safe or date.today().year}.{fmt}"
