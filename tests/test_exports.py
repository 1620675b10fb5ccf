"""The table as CSV (UTF-8 with BOM, `;`) and XLSX: same columns, same rows, same filters."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from openpyxl import load_workbook

from tests.conftest import text_of
from workflow.formatting import local_date, money
from workflow.services.overview import COLUMNS


def _csv(response) -> list[list[str]]:
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM German Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def _xlsx_as_text(response) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = []
    for index, row in enumerate(sheet.iter_rows(values_only=True)):
        if index == 0:
            rows.append(list(row))
            continue
        values = []
        for (key, _), value in zip(COLUMNS, row, strict=True):
            if value is None:
                values.append("")
            elif key == "requested_grant":
                values.append(money(round(value * 100)).replace("\u00a0", " "))
            elif key == "updated":
                values.append(value.strftime("%d.%m.%Y, %H:%M Uhr"))
            elif isinstance(value, datetime | date):
                values.append(local_date(value.date() if isinstance(value, datetime) else value))
            else:
                values.append(str(value))
        rows.append(values)
    return rows


def test_csv_and_xlsx_hold_the_rows_of_the_filtered_table(world, login):
    kept = [
        world.application("sketch_submitted"),
        world.application("sketch_submitted", applicant="applicant-lwz"),
    ]
    kept[1].title = 'Umlaute: Größe, Übergänge; "Zitat"'
    from workflow.extensions import db

    db.session.commit()
    world.application("consultation")  # filtered out
    client = login("coordinator")
    query = "status=sketch_submitted&sortierung=title"
    page = client.get(f"/uebersicht/antraege?{query}")
    csv_response = client.get(f"/uebersicht/antraege.csv?{query}")
    xlsx_response = client.get(f"/uebersicht/antraege.xlsx?{query}")
    assert csv_response.status_code == xlsx_response.status_code == 200
    assert csv_response.mimetype == "text/csv"
    assert "attachment" in xlsx_response.headers["Content-Disposition"]
    from_csv, from_xlsx = _csv(csv_response), _xlsx_as_text(xlsx_response)
    assert from_csv[0] == [label for _, label in COLUMNS] == from_xlsx[0]
    assert from_csv == from_xlsx
    assert {row[0] for row in from_csv[1:]} == {a.reference for a in kept}
    assert len(from_csv) == 3
    # the same rows as the page shows, in the same order
    text = text_of(page.text)
    assert text.index(from_csv[1][0]) < text.index(from_csv[2][0])
    assert 'Umlaute: Größe, Übergänge; "Zitat"' in [row[1] for row in from_csv]


def test_exported_cells_cannot_smuggle_formulas(world, login):
    application = world.application("consultation")
    application.title = '=HYPERLINK("http://evil")'
    from workflow.extensions import db

    db.session.commit()
    rows = _csv(login("coordinator").get("/uebersicht/antraege.csv"))
    assert rows[1][1].startswith("'=")


def test_money_is_written_exactly_as_babel_writes_euros_in_german():
    from decimal import Decimal

    from babel.numbers import format_currency

    for cents in (0, 1, 5, 99, 100, 101, 123_456, 100_000_000, 123_456_789_012, -5, -123_456, -100):
        assert money(cents) == format_currency(Decimal(cents) / 100, "EUR", locale="de_DE"), cents
    assert money(None) == ""
