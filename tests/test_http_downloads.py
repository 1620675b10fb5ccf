"""Every response a person downloads or a program consumes, fetched over real HTTP from the suite's
gunicorn node (never Flask's test client, which reads a streamed body while the test's own app
context is still open), parsed back and compared with what the pages show."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import parse_qsl

import pytest
import sqlalchemy as sa
from icalendar import Calendar
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader
from werkzeug.datastructures import MultiDict
from werkzeug.http import parse_options_header

from forms.overview import FilterForm
from tests.conftest import _empty_tables, make_pdf, move_deadline
from tests.live import HttpApi, HttpUser
from workflow import demo
from workflow.extensions import db
from workflow.formatting import local_date, money
from workflow.models import Application, FundingObject
from workflow.services import calendar_feeds, long_forms, overview, sketches, tokens
from workflow.services.lifecycle import fire
from workflow.services.overview import COLUMNS

TITLE = 'Größe; "Übergänge" – Fachkräfte für Lüneburg'
SKETCH_NAME = "Projektskizze Lüneburg – Größe.pdf"  # stored as Projektskizze_Lüneburg_Größe.pdf
LONG_FORM_NAME = "Finanzierungsplan NBank (Übersicht).xlsx"
SUBMISSION_NAME = "Antrag bei der NBank – Förderung.pdf"


def _xlsx_upload() -> bytes:
    workbook = Workbook()
    workbook.active.append(["Position", "Betrag"])
    workbook.active.append(["Personal", 120_000])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _walk_with_uploads(walker, application: Application, sponsor) -> None:
    """To `granted` through the real operations, uploading what a sponsor uploads on the way: the
    sketch as a PDF, NBank's long-form document, the NBank application under a German name."""
    for trigger in demo.ROUTES["granted"]:
        if trigger == "submit_sketch":
            sketches.upload_pdf(application, sponsor, io.BytesIO(make_pdf(2, "Projektskizze")), SKETCH_NAME)
        if trigger == "submit_long_form":
            demo.fill_long_form(application, sponsor)
            long_forms.store_document(application, sponsor, io.BytesIO(_xlsx_upload()), LONG_FORM_NAME)
        if trigger == "vote":
            walker.vote(application, ["approve"] * 14)
            continue
        actor, data = walker.step(trigger, sponsor)
        if trigger == "record_nbank_submission":
            data["document"] = (data["document"][0], SUBMISSION_NAME)
        if trigger == "record_grant":
            data["amount_granted"] = application.requested_grant_cents
        fire(application, trigger, actor, data)


@pytest.fixture(scope="module")
def site(app, live_node):
    """Built once for the module (the suite empties the tables after it): the demo alliance, one
    application granted with every kind of file on the way, a few more that the table's filters
    tell apart, API tokens and a calendar address; plain values only, no session left open (the
    gunicorn node writes to the same database)."""
    with app.app_context():
        try:
            base = demo.seed_alliance()
            people = base["people"]
            walker = demo.Walker(people)
            sponsor = people["applicant-bildungswerk"]
            full = demo.new_application(sponsor, TITLE)
            _walk_with_uploads(walker, full, sponsor)
            waiting = demo.new_application(people["applicant-lwz"], "Zukunftswerkstatt Uelzen")
            walker.walk_to(waiting, "sketch_submitted", people["applicant-lwz"])
            move_deadline(waiting, "submit_sketch", date.today() - timedelta(days=10))
            other = demo.new_application(people["applicant-elbtal"], "Handwerk digital Celle", number=2)
            other.fields_of_action = ["III"]
            other.districts = ["Celle"]
            old = demo.new_application(people["applicant-lwz"], "Pflege-Perspektiven Heidekreis")
            old.created_at = datetime(2024, 5, 6, 8, 0, tzinfo=old.created_at.tzinfo)
            db.session.commit()
            walker.walk_to(other, "withdrawn", people["applicant-elbtal"])
            site = SimpleNamespace(
                full=full.id,
                waiting=waiting.id,
                other=other.id,
                old=old.id,
                alliance=base["alliance"].id,
                emails={key: user.email for key, user in people.items()},
                references={a.id: a.reference for a in (full, waiting, other, old)},
                api_token=tokens.create(sponsor, "HTTP")[1],
                feed=calendar_feeds.issue(people["coordinator"]),
                log_start=len(live_node.log()),
            )
            db.session.commit()
            db.session.close()
            yield site
        finally:
            db.session.rollback()
            db.session.remove()
            _empty_tables()


@pytest.fixture(scope="module")
def people(site, live_server):
    """Real HTTP clients signed in through the login form, one per person, for the module."""
    clients: dict[str, HttpUser] = {}

    def _person(key: str | None) -> HttpUser:
        if key not in clients:
            client = HttpUser(live_server)
            clients[key] = client.login(site.emails[key]) if key else client
        return clients[key]

    yield _person
    for client in clients.values():
        client.close()


def _ok(response, content_type: str) -> bytes:
    """A complete body of the expected type: the status, the type, and (when the server said it)
    exactly Content-Length bytes; a body cut off mid-stream raises in requests already."""
    assert response.status_code == 200, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"].split(";")[0] == content_type
    if "Content-Length" in response.headers:
        assert int(response.headers["Content-Length"]) == len(response.content)
    else:
        assert response.headers.get("Transfer-Encoding") == "chunked"
    return response.content


def _attachment_name(response) -> str:
    kind, options = parse_options_header(response.headers["Content-Disposition"])
    assert kind == "attachment"
    return options["filename"]  # the UTF-8 `filename*` when the name is not ASCII


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


class _TableRows(HTMLParser):
    """The cells of the body rows of a page's table, as text."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append([])
        elif self._in_body and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(_fold(" ".join(self._cell)))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _table(page: str) -> list[list[str]]:
    parser = _TableRows()
    parser.feed(page)
    return parser.rows


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM German Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


def _xlsx_rows(body: bytes) -> list[list[str]]:
    """The sheet's rows written as the CSV writes them (typed cells back to German text)."""
    rows = []
    for index, row in enumerate(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True)):
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
            elif isinstance(value, datetime):
                values.append(local_date(value.date()))
            else:
                values.append(str(value))
        rows.append(values)
    return rows


def _unformula(value: str) -> str:
    return value[1:] if value.startswith("'") else value


def _filter_cases(site) -> dict[str, tuple[str, set[int]]]:
    """Each filter the table offers (query, the applications it keeps)."""
    everything = {site.full, site.waiting, site.other, site.old}
    return {
        "none": ("", everything),
        "state": ("status=granted", {site.full}),
        "funding_object": ("foerdergegenstand=2", {site.other}),
        "field": ("handlungsfeld=III", {site.other}),
        "district": ("landkreis=Celle", {site.other}),
        "year": ("jahr=2024", {site.old}),
        "overdue": ("ueberfaellig=1", {site.waiting}),
        "search": ("suche=Größe", {site.full}),
        "sorted": ("sortierung=title&absteigend=1", everything),
        "empty": ("suche=gibt+es+nicht", set()),
    }


@pytest.mark.parametrize(
    "case",
    ["none", "state", "funding_object", "field", "district", "year", "overdue", "search", "sorted", "empty"],
)
def test_csv_and_xlsx_exports_hold_exactly_the_rows_of_the_table_page(site, people, case):
    query, expected = _filter_cases(site)[case]
    coordinator = people("coordinator")
    page = coordinator.get(f"/uebersicht/antraege?{query}")
    assert page.status_code == 200
    shown = _table(page.text)
    assert {row[0].rsplit(" ", 1)[1] for row in shown} == {site.references[i] for i in expected}
    # The page links the exports of exactly these filters.
    links = {
        fmt: html.unescape(href)
        for href, fmt in re.findall(r'href="(/uebersicht/antraege\.(csv|xlsx)[^"]*)"', page.text)
    }
    assert set(links) == {"csv", "xlsx"}

    response = coordinator.get(links["csv"])
    rows = _csv_rows(_ok(response, "text/csv"))
    assert response.headers["Transfer-Encoding"] == "chunked"  # streamed, not built in memory
    assert re.fullmatch(
        r'attachment; filename="antraege-\d{4}-\d\d-\d\d\.csv"', response.headers["Content-Disposition"]
    )
    assert rows[0] == [label for _, label in COLUMNS]
    assert len(rows) == len(shown) + 1
    for cells, row in zip(shown, rows[1:], strict=True):
        value = dict(zip([k for k, _ in COLUMNS], [_unformula(v) for v in row], strict=True))
        # The page groups some columns into one cell: the project with its reference, the deadline
        # with its name and state, the day created with the last change.
        assert cells[0] == _fold(f"{value['title']} {value['reference']}")
        keys = ("sponsor", "state", "funding_object", "fields", "districts", "requested_grant")
        assert cells[1:7] == [value[k] for k in keys]
        assert cells[7].startswith(value["deadline"]) and cells[7].endswith(value["deadline_status"])
        assert cells[8] == _fold(f"{value['created']} {value['updated']}")

    response = coordinator.get(links["xlsx"])
    body = _ok(response, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "Content-Length" in response.headers
    assert re.fullmatch(r"antraege-\d{4}-\d\d-\d\d\.xlsx", _attachment_name(response))
    assert _xlsx_rows(body) == [rows[0]] + [[_unformula(v) for v in row] for row in rows[1:]]


def test_the_xlsx_columns_are_wide_enough_to_read(site, people):
    body = _ok(
        people("coordinator").get("/uebersicht/antraege.xlsx"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    sheet = load_workbook(io.BytesIO(body)).active
    widths = {label: sheet.column_dimensions[chr(ord("A") + i)].width for i, (_, label) in enumerate(COLUMNS)}
    assert widths["Projekt"] >= 40 and widths["Antragsteller"] >= 30
    assert all(width >= 12 for width in widths.values())


def test_the_export_reads_its_rows_in_batches_in_the_tables_order(site):
    funding_objects = db.session.scalars(
        sa.select(FundingObject).where(FundingObject.alliance_id == site.alliance)
    ).all()
    for query, _ in _filter_cases(site).values():
        form = FilterForm(MultiDict(parse_qsl(query)), funding_objects=funding_objects)
        assert form.validate(), form.errors
        filters = form.filters()
        paged = overview.page(site.alliance, filters).rows
        assert list(overview.all_rows(site.alliance, filters, batch=2)) == paged
    db.session.rollback()


def test_the_statement_pdf_is_the_one_the_page_names(site, people):
    for who in ("coordinator", "applicant-bildungswerk", "partner-dgb"):
        client = people(who)
        page = client.get(f"/antraege/{site.full}").text
        reference = re.search(r"Stellungnahme herunterladen \(([^,]+), PDF/A\)", page).group(1)
        digest = re.search(r'<code class="hash">([0-9a-f]{64})</code>', page).group(1)
        href = re.search(r'href="(/antraege/\d+/stellungnahme/\d+\.pdf)"', page).group(1)
        response = client.get(href)
        body = _ok(response, "application/pdf")
        assert hashlib.sha256(body).hexdigest() == digest
        assert _attachment_name(response) == f"Stellungnahme_{reference.replace('/', '_')}.pdf"
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
        assert reference in text and "befürwortet" in text


def test_the_assessment_letter_pdf_says_what_its_page_says(site, people):
    client = people("applicant-bildungswerk")
    letter = client.get(f"/antraege/{site.full}/ersteinschaetzung/schreiben")
    assert letter.status_code == 200
    response = client.get(f"/antraege/{site.full}/ersteinschaetzung/schreiben.pdf")
    body = _ok(response, "application/pdf")
    reference = site.references[site.full]
    assert _attachment_name(response) == f"Ersteinschaetzung_{reference}_E1.pdf"  # the issued letter
    text = _fold("".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages))
    shown = _fold(re.sub(r"<[^>]+>", " ", html.unescape(letter.text)))
    assert reference in text and reference in shown
    sentence = "Wir laden Sie ein, die Langfassung zu erarbeiten und einzureichen."
    assert sentence in shown and sentence in text


def test_the_vote_protocol_pdf_holds_every_ballot(site, people):
    client = people("partner-dgb")
    page = client.get(f"/antraege/{site.full}").text
    assert f"/antraege/{site.full}/votum/protokoll.pdf" in page
    response = client.get(f"/antraege/{site.full}/votum/protokoll.pdf")
    body = _ok(response, "application/pdf")
    assert _attachment_name(response) == f"Abstimmungsprotokoll_{site.references[site.full]}.pdf"
    text = _fold("".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages))
    assert site.references[site.full] in text
    assert "Zustimmung 14 · Ablehnung 0 · Enthaltung 0 · abgegeben 14 von 14" in text
    for name, _ in demo.PARTNERS:
        assert name in text


def _links(page: str, pattern: str) -> list[tuple[str, str]]:
    return [(html.unescape(h), _fold(html.unescape(t))) for h, t in re.findall(pattern, page)]


def test_uploaded_documents_come_whole_under_their_german_names(site, people):
    client = people("coordinator")
    page = client.get(f"/antraege/{site.full}").text
    downloads = []
    [(href, name)] = _links(page, r'href="(/antraege/\d+/dokumente/\d+)" download>([^<]+)</a>')
    downloads.append((href, name, "application/pdf"))
    for href, text in _links(page, r'href="(/antraege/\d+/nbank-dokumente/\d+)">([^<]+)</a>'):
        downloads.append((href, re.search(r"\(([^()]+)\)$", text).group(1), "application/pdf"))
    long_form = client.get(f"/antraege/{site.full}/langfassung").text
    [(href, text)] = _links(long_form, r'href="(/antraege/\d+/langfassung/dokument/\d+)">([^<]+)</a>')
    downloads.append(
        (href, text.split(": ", 1)[1], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    names = {name for _, name, _ in downloads}
    assert {"Projektskizze_Lüneburg_Größe.pdf", "Finanzierungsplan_NBank_Übersicht.xlsx"} <= names
    assert "Antrag_bei_der_NBank_Förderung.pdf" in names and "Zuwendungsbescheid.pdf" in names
    digests = set(re.findall(r'<code class="hash">([0-9a-f]{64})</code>', page))
    api = HttpApi(client.base_url, site.api_token)
    listed = {
        d["filename"]: d for d in api.get(f"/api/v1/applications/{site.full}/documents").json()["items"]
    }
    for href, name, media_type in downloads:
        response = client.get(href)
        body = _ok(response, media_type)
        assert "Content-Length" in response.headers
        assert _attachment_name(response) == name
        assert response.headers["Cache-Control"] == "private, no-store"
        digest = hashlib.sha256(body).hexdigest()
        assert listed[name]["sha256"] == digest and listed[name]["size"] == len(body)
        if "nbank-dokumente" in href:
            assert digest in digests  # the hash the page prints
        # the API serves the same bytes under the same name
        via_api = api.get(listed[name]["url"])
        assert _ok(via_api, media_type) == body and _attachment_name(via_api) == name
        assert via_api.headers["Cache-Control"] == "private, no-store"
    api.close()


def test_the_api_statement_pdf_is_the_stored_file(site, people):
    api = HttpApi(people(None).base_url, site.api_token)
    response = api.get(f"/api/v1/applications/{site.full}/statement.pdf")
    body = _ok(response, "application/pdf")
    again = _ok(api.get(f"/api/v1/applications/{site.full}/statement.pdf?version=1"), "application/pdf")
    shown = people("applicant-bildungswerk").get(f"/antraege/{site.full}").text
    assert hashlib.sha256(body).hexdigest() in shown and body == again
    assert _attachment_name(response).startswith("Stellungnahme_")
    assert api.get(f"/api/v1/applications/{site.waiting}/statement.pdf").status_code == 404
    api.close()


def test_the_openapi_document_describes_the_downloads(site, people):
    response = people(None).get("/api/v1/openapi.json")
    document = json.loads(_ok(response, "application/json"))
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    statement = next(p for p in paths if p.endswith("/statement.pdf"))
    assert "application/pdf" in paths[statement]["get"]["responses"]["200"]["content"]
    assert any(re.search(r"/documents/\{document_id\}$", p) for p in paths)


def test_the_calendar_feed_holds_the_deadlines_the_table_shows(site, people):
    response = people(None).get(f"/kalender/{site.feed}.ics")
    body = _ok(response, "text/calendar")
    calendar = Calendar.from_ical(body)
    events = {str(e["SUMMARY"]): e.decoded("DTSTART") for e in calendar.walk("VEVENT")}
    shown = _table(people("coordinator").get("/uebersicht/antraege").text)
    # The page's deadline cell holds the day, the deadline's name and its state; the project's
    # cell ends with the reference.
    for row in shown:
        if row[7]:
            day, told = row[7].split(" ", 1)
            reference = row[0].rsplit(" ", 1)[1]
            (summary,) = [s for s in events if s.startswith("Frist: ") and s.endswith(f" – {reference}")]
            assert told.startswith(summary.removeprefix("Frist: ").removesuffix(f" – {reference}"))
            assert local_date(events[summary]) == day
    assert any(row[7] for row in shown)


def test_the_personal_data_export_is_the_persons_json(site, people):
    response = people("applicant-bildungswerk").get("/konto/daten.json")
    data = json.loads(_ok(response, "application/json"))
    assert _attachment_name(response) == "antragsweg-meine-daten.json"
    assert site.emails["applicant-bildungswerk"] in json.dumps(data, ensure_ascii=False)


def test_the_node_logged_no_error_while_serving_them(site, live_node):
    """Last in this module: nothing above made the server fail mid-response (a streamed body
    that breaks off shows here as well as in the client)."""
    log = live_node.log()[site.log_start :]
    assert "Traceback" not in log and "Error handling request" not in log, log[-3000:]
